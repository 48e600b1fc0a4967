/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>

#include "errors.h"
#include "libvirt-util.h"

static void
test_format (void)
{
  g_autoptr (GError) error = g_error_new (VR_ERROR, VR_ERROR_IN_USE, "busy");
  g_autoptr (GError) io = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone");
  g_autoptr (GError) other = g_error_new (G_OPTION_ERROR, 0, "odd");
  g_autofree char *a = vr_error_format (error);
  g_autofree char *b = vr_error_format (io);
  g_autofree char *c = vr_error_format (other);

  g_assert_cmpstr (a, ==, "System is in use (32774): busy");
  g_assert_cmpstr (b, ==, "Invalid parameter (32773): gone");
  g_assert_cmpstr (c, ==, "Failed (32768): odd");
}

static void
test_table (void)
{
  guint n = 0;
  int code;
  const char *nick;

  while (vr_error_code_nth (n, &code, &nick))
    {
      g_assert_nonnull (vr_error_code_describe (code));
      g_assert_cmpstr (vr_error_code_nick (code), ==, nick);
      n++;
    }
  g_assert_cmpuint (n, ==, 13);
  g_assert_cmpstr (vr_error_code_nick (VR_ERROR_ACCESS_DENIED), ==,
                   "AccessDenied");
  g_assert_null (vr_error_code_describe (12345));
}

static void
test_errno (void)
{
  g_autoptr (GError) error = NULL;

  /* The errno is kept as the cause; the seed's code is picked at the edge. */
  vr_error_set_errno (&error, EACCES, "cannot open %s", "x");
  g_assert_error (error, VR_ERRNO_ERROR, EACCES);
  g_assert_cmpint (vr_error_get_code (error), ==, VR_ERROR_ACCESS_DENIED);
  g_assert_true (vr_error_is (error, VR_ERROR_ACCESS_DENIED));
  g_assert_cmpstr (error->message, ==, "cannot open x: Permission denied");
  g_clear_error (&error);
  vr_error_set_errno (&error, EWOULDBLOCK, "lock");
  g_assert_error (error, VR_ERRNO_ERROR, EWOULDBLOCK);
  g_assert_true (vr_error_is (error, VR_ERROR_IN_USE));
  g_assert_false (vr_error_is (NULL, VR_ERROR_IN_USE));
}

/* A GIO or file error carried to the edge maps to the code the errno it
 * comes from gets at the source, so a cause kept as it is (its domain,
 * code and text) ends in the same seed code. */
static void
test_io_errno_agree (void)
{
  static const int errnos[] = { EACCES, EPERM, EROFS, EBUSY, EEXIST,
                                ENOTEMPTY, EWOULDBLOCK, ETIMEDOUT,
                                EOPNOTSUPP, ENOENT, ENOTDIR, EISDIR, ELOOP,
                                ENAMETOOLONG, EINVAL };

  for (guint i = 0; i < G_N_ELEMENTS (errnos); i++)
    {
      g_autoptr (GError) from_errno = NULL;
      g_autoptr (GError) io = g_error_new_literal (
          G_IO_ERROR, g_io_error_from_errno (errnos[i]),
          g_strerror (errnos[i]));
      g_autoptr (GError) file = g_error_new_literal (
          G_FILE_ERROR, g_file_error_from_errno (errnos[i]),
          g_strerror (errnos[i]));

      vr_error_set_errno (&from_errno, errnos[i], "x");
      g_test_message ("%s", g_strerror (errnos[i]));
      g_assert_cmpint (vr_error_get_code (io), ==,
                       vr_error_get_code (from_errno));
      /* GFileError has no name for some (EBUSY): those read as Failed. */
      if (file->code != G_FILE_ERROR_FAILED)
        g_assert_cmpint (vr_error_get_code (file), ==,
                         vr_error_get_code (from_errno));
      g_assert_true (g_str_has_suffix (from_errno->message,
                                       g_strerror (errnos[i])));
    }
}

static void
test_libvirt_mapping (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (vr_libvirt_error_code (VIR_ERR_NO_SUPPORT), ==,
                   VR_ERROR_NOT_SUPPORTED);
  g_assert_cmpint (vr_libvirt_error_code (VIR_ERR_OPERATION_INVALID), ==,
                   VR_ERROR_INVALID_STATE);
  g_assert_cmpint (vr_libvirt_error_code (VIR_ERR_ACCESS_DENIED), ==,
                   VR_ERROR_ACCESS_DENIED);
  /* A real libvirt failure keeps libvirt's words and number. */
  g_assert_null (vr_libvirt_open ("bogus:///nowhere", &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == VR_ERROR);
  g_assert_nonnull (strstr (error->message, "bogus:///nowhere"));
  g_assert_nonnull (strstr (error->message, "libvirt error"));
}

/* libvirt's error survives a public libvirt call among the message's
 * arguments (each resets the thread's last error). */
static void
test_libvirt_cause (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (virConnect) conn = NULL;

  vr_libvirt_init ();
  conn = vr_libvirt_open ("test:///default", &error);
  g_assert_no_error (error);
  g_assert_null (virDomainLookupByName (conn, "no-such-domain"));
  vr_libvirt_set_error (&error, "cannot find it on %s",
                        virConnectGetType (conn));
  g_assert_cmpstr (error->message, ==, "cannot find it on TEST: Domain not "
                   "found (libvirt error 42)");
  g_assert_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER);
}

/* What a job or a planned system keeps of a message: whole up to 4096
 * bytes, else cut at a whole character, saying how much more there was. */
static void
test_message_bounded (void)
{
  g_autofree char *short_one = vr_message_bounded ("short");
  g_autofree char *at_max = g_strnfill (VR_MESSAGE_MAX, 'm');
  g_autofree char *kept = vr_message_bounded (at_max);
  g_autoptr (GString) wide = g_string_new ("x");
  g_autofree char *cut = NULL;

  g_assert_cmpstr (short_one, ==, "short");
  g_assert_cmpstr (kept, ==, at_max);
  g_assert_null (vr_message_bounded (NULL));
  for (guint i = 0; i < 500000; i++)
    g_string_append (wide, "\xc3\xbc");
  cut = vr_message_bounded (wide->str);
  g_assert_cmpuint (strlen (cut), <=, VR_MESSAGE_MAX);
  g_assert_true (g_utf8_validate (cut, -1, NULL));
  g_assert_true (g_str_has_suffix (cut, " bytes more)"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/errors/format", test_format);
  g_test_add_func ("/errors/table", test_table);
  g_test_add_func ("/errors/errno", test_errno);
  g_test_add_func ("/errors/io-errno-agree", test_io_errno_agree);
  g_test_add_func ("/errors/libvirt", test_libvirt_mapping);
  g_test_add_func ("/errors/libvirt-cause", test_libvirt_cause);
  g_test_add_func ("/errors/message-bounded", test_message_bounded);
  return g_test_run ();
}
