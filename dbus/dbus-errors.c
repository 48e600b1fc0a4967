/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "dbus-errors.h"

#include "errors.h"

/* Completed (0) and JobStarted (4096) are the seed's return codes, not
 * errors: they get no D-Bus error name. */
static gboolean
is_error (int code)
{
  return code >= VR_ERROR_FAILED;
}

void
vr_dbus_errors_register (void)
{
  static gsize once = 0;
  /* GDBus keeps pointers to the entries for the life of the process. */
  static GDBusErrorEntry *entries;
  static gsize quark;
  guint n = 0;
  int code;
  const char *nick;

  if (!g_once_init_enter (&once))
    return;
  for (guint i = 0; vr_error_code_nth (i, &code, &nick); i++)
    n += is_error (code);
  entries = g_new0 (GDBusErrorEntry, n);
  n = 0;
  for (guint i = 0; vr_error_code_nth (i, &code, &nick); i++)
    if (is_error (code))
      {
        entries[n].error_code = code;
        entries[n++].dbus_error_name = g_strconcat (VR_DBUS_ERROR_PREFIX,
                                                    nick, NULL);
      }
  /* The quark name is VR_ERROR's own (G_DEFINE_QUARK in errors.c). */
  g_dbus_error_register_error_domain (g_quark_to_string (VR_ERROR), &quark,
                                      entries, n);
  g_once_init_leave (&once, 1);
}

void
vr_dbus_return_error (GDBusMethodInvocation *invocation, const GError *error)
{
  g_dbus_method_invocation_return_error_literal (
      invocation, VR_ERROR, vr_error_get_code (error), error->message);
}

void
vr_dbus_return_error_printf (GDBusMethodInvocation *invocation, int code,
                             const char *format, ...)
{
  va_list ap;
  g_autofree char *message = NULL;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_dbus_method_invocation_return_error_literal (invocation, VR_ERROR, code,
                                                 message);
}

static int
code_from_dbus_error (const GError *error)
{
  if (error->domain != G_DBUS_ERROR)
    return vr_error_get_code (error);
  switch (error->code)
    {
    case G_DBUS_ERROR_INVALID_ARGS:
    case G_DBUS_ERROR_UNKNOWN_METHOD:
    case G_DBUS_ERROR_UNKNOWN_OBJECT:
    case G_DBUS_ERROR_UNKNOWN_INTERFACE:
    case G_DBUS_ERROR_UNKNOWN_PROPERTY:
      return VR_ERROR_INVALID_PARAMETER;
    case G_DBUS_ERROR_ACCESS_DENIED:
    case G_DBUS_ERROR_AUTH_FAILED:
      return VR_ERROR_ACCESS_DENIED;
    case G_DBUS_ERROR_TIMEOUT:
    case G_DBUS_ERROR_TIMED_OUT:
    case G_DBUS_ERROR_NO_REPLY:
      return VR_ERROR_TIMEOUT;
    default:
      return VR_ERROR_NOT_AVAILABLE;
    }
}

void
vr_dbus_error_to_local (GError **error)
{
  GError *e = error ? *error : NULL;

  if (e == NULL)
    return;
  g_dbus_error_strip_remote_error (e);
  if (e->domain == VR_ERROR)
    return;
  e->code = code_from_dbus_error (e);
  e->domain = VR_ERROR;
}
