/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "testbed.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

static gboolean copy_tree (const char *src, const char *dst, GError **error);

const char *
vr_testbed_dir (void)
{
  static gsize once = 0;
  static char *dir;

  if (g_once_init_enter (&once))
    {
      const char *env = g_getenv ("VR_TESTBED_DIR");

      /* Kept for the life of the process: every test asks for it. */
      dir = g_canonicalize_filename (env != NULL && *env != '\0'
                                     ? env : VR_TESTBED_DEFAULT_DIR, NULL);
      g_once_init_leave (&once, 1);
    }
  return dir;
}

static const char *
testbed_exe (void)
{
  const char *env = g_getenv ("VR_TESTBED");

  return env != NULL && *env != '\0' ? env : VR_TESTBED_EXE;
}

char *
vr_testbed_import_dir (const char *variant, GError **error)
{
  const char *exe = testbed_exe ();
  const char *argv[] = { exe, "--variant", variant, vr_testbed_dir (), NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) local_error = NULL;
  int status;

  g_return_val_if_fail (variant != NULL, NULL);

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, error))
    return NULL;
  if (!g_spawn_check_wait_status (status, &local_error))
    {
      /* vr-testbed says what went wrong in one line on stderr. */
      g_strstrip (err);
      g_set_error (error, G_SPAWN_EXIT_ERROR, local_error->code,
                   "%s --variant %s failed: %s", exe, variant,
                   *err != '\0' ? err : local_error->message);
      return NULL;
    }
  g_strstrip (out);
  if (*out == '\0' || strchr (out, '\n') != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s --variant %s printed '%s', not one directory",
                   exe, variant, out);
      return NULL;
    }
  return g_steal_pointer (&out);
}

char *
vr_testbed_require (const char *variant)
{
  g_autoptr(GError) error = NULL;
  char *dir = vr_testbed_import_dir (variant, &error);

  g_assert_no_error (error);
  return dir;
}

static gboolean
set_errno_error (GError **error, int errsv, const char *what, const char *path)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv),
               "cannot %s %s: %s", what, path, g_strerror (errsv));
  return FALSE;
}

static gboolean
copy_file (const char *src, const char *dst, GError **error)
{
  g_autoptr(GFile) src_file = g_file_new_for_path (src);
  g_autoptr(GFile) dst_file = g_file_new_for_path (dst);

  if (!g_file_copy (src_file, dst_file, G_FILE_COPY_NOFOLLOW_SYMLINKS,
                    NULL, NULL, NULL, error))
    return FALSE;
  /* Tests may read the copy as an unprivileged user. */
  if (g_chmod (dst, 0644) != 0)
    return set_errno_error (error, errno, "set the mode of", dst);
  return TRUE;
}

static gboolean
copy_entry (const char *src, const char *dst, GError **error)
{
  GStatBuf st;

  if (g_lstat (src, &st) != 0)
    return set_errno_error (error, errno, "stat", src);
  if (S_ISREG (st.st_mode))
    return copy_file (src, dst, error);
  if (!S_ISDIR (st.st_mode))
    return TRUE; /* not part of an import directory */
  if (g_mkdir (dst, 0755) != 0)
    return set_errno_error (error, errno, "create directory", dst);
  if (g_chmod (dst, 0755) != 0)
    return set_errno_error (error, errno, "set the mode of", dst);
  return copy_tree (src, dst, error);
}

static gboolean
copy_tree (const char *src, const char *dst, GError **error)
{
  g_autoptr(GDir) dir = g_dir_open (src, 0, error);
  const char *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *src_path = g_build_filename (src, name, NULL);
      g_autofree char *dst_path = g_build_filename (dst, name, NULL);

      if (!copy_entry (src_path, dst_path, error))
        return FALSE;
    }
  return TRUE;
}

char *
vr_testbed_copy_import_dir (const char *src, GError **error)
{
  g_autofree char *dst = g_dir_make_tmp ("vr-import-XXXXXX", error);

  if (dst == NULL)
    return NULL;
  /* mkdtemp makes it 0700; parts of a test may run unprivileged. */
  if (g_chmod (dst, 0755) != 0)
    set_errno_error (error, errno, "set the mode of", dst);
  else if (copy_tree (src, dst, error))
    return g_steal_pointer (&dst);
  vr_testbed_rmtree (dst);
  return NULL;
}

static int
remove_entry (const char *path, const struct stat *st, int flag,
              struct FTW *ftw)
{
  /* Best effort: keep going so that as much as possible goes away. */
  remove (path);
  return 0;
}

void
vr_testbed_rmtree (const char *path)
{
  g_return_if_fail (path != NULL);

  /* Children before their directory, symlinks removed, never followed. */
  nftw (path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *
vr_testbed_new_root (const char *name)
{
  g_autofree char *roots = g_build_filename (vr_testbed_dir (), "roots", NULL);
  g_autofree char *template = g_strdup_printf ("%s-XXXXXX", name);
  g_autofree char *root = NULL;
  g_autofree char *etc = NULL;
  g_autofree char *conf = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (roots, 0755), ==, 0);
  root = g_build_filename (roots, template, NULL);
  g_assert_nonnull (g_mkdtemp_full (root, 0755));
  /* QEMU runs as libvirt-qemu and must reach files under the root. */
  g_assert_cmpint (g_chmod (root, 0755), ==, 0);
  etc = g_build_filename (root, "etc", NULL);
  g_assert_cmpint (g_mkdir_with_parents (etc, 0755), ==, 0);
  /* No virtlogd here: QEMU's output goes to a file. */
  conf = g_build_filename (etc, "qemu.conf", NULL);
  g_file_set_contents (conf, "stdio_handler = \"file\"\n", -1, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&root);
}

char *
vr_testbed_root_uri (const char *root)
{
  return g_strdup_printf ("qemu:///embed?root=%s", root);
}

char *
vr_testbed_large_import (guint mib)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autoptr(GError) error = NULL;
  char *dir = vr_testbed_copy_import_dir (basic, &error);
  g_autofree char *save = NULL;

  g_assert_no_error (error);
  save = g_build_filename (dir, "vr-guest.save", NULL);
  vr_testbed_append_mib (save, mib);
  return dir;
}

/* Holds what validate looks for at the end of an image: QEMU's
 * end-of-stream marker and device description (30 KiB in the basic
 * guest's). */
#define TAIL_COPY (256 * 1024)

void
vr_testbed_append_mib (const char *path, guint mib)
{
  g_autofree char *chunk = g_malloc (1 << 20);
  g_autofree char *tail = g_malloc (TAIL_COPY);
  int fd = open (path, O_RDWR | O_APPEND | O_CLOEXEC);
  off_t size;
  gsize copy;

  g_assert_cmpint (fd, >=, 0);
  size = lseek (fd, 0, SEEK_END);
  copy = MIN (size, TAIL_COPY);
  g_assert_cmpint (pread (fd, tail, copy, size - copy), ==, copy);
  memset (chunk, 0x5a, 1 << 20);
  for (guint i = 0; i < mib; i++)
    g_assert_cmpint (write (fd, chunk, 1 << 20), ==, 1 << 20);
  /* The image still ends as a whole stream does (libvirt stops reading
   * at the first end). */
  g_assert_cmpint (write (fd, tail, copy), ==, copy);
  close (fd);
}
