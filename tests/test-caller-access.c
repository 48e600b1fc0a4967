/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the root agent reads on a caller's behalf: only what the caller
 * could read themself, by owner, group and mode (caller-access.c). */
#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caller-access.h"
#include "errors.h"
#include "test-util.h"

#define NOBODY 65534

static VrImportDir *
open_dir (const char *path)
{
  VrImportDir *dir = g_new0 (VrImportDir, 1);

  dir->fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (dir->fd, >=, 0);
  dir->path = g_strdup (path);
  return dir;
}

static void
test_mode_bits (void)
{
  g_autoptr (VrCaller) nobody = vr_caller_new (NOBODY);
  g_autoptr (VrCaller) root = vr_caller_new (0);
  struct stat st = { .st_uid = 0, .st_gid = 0, .st_mode = S_IFREG | 0600 };

  g_assert_false (vr_caller_may (nobody, &st, R_OK));
  g_assert_true (vr_caller_may (root, &st, R_OK));
  st.st_mode = S_IFREG | 0644;
  g_assert_true (vr_caller_may (nobody, &st, R_OK));
  g_assert_false (vr_caller_may (nobody, &st, W_OK));
  /* The owner's bits alone count for the owner, even when others have
   * more. */
  st.st_uid = NOBODY;
  st.st_mode = S_IFREG | 0044;
  g_assert_false (vr_caller_may (nobody, &st, R_OK));
  /* The group's bits for a member (nogroup is nobody's). */
  st.st_uid = 0;
  st.st_gid = 65534;
  st.st_mode = S_IFREG | 0040;
  g_assert_true (vr_caller_may (nobody, &st, R_OK));
}

/* A world-readable folder with a root-owned 0600 save image, disk, or
 * folder: refused for nobody with 32769 naming the file; fine for root;
 * files virt-realize never reads do not matter. */
static void
test_import_dir (void)
{
  const char *cases[][2] = {
    { "vr-guest.save", NULL }, { "domain.xml", NULL },
    { "disks/d.qcow2", NULL }, { "disks", "dir" },
  };
  g_autoptr (VrCaller) nobody = vr_caller_new (NOBODY);
  g_autoptr (VrCaller) root = vr_caller_new (0);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = test_mkdtemp ();
      g_autofree char *disks = g_build_filename (path, "disks", NULL);
      g_autofree char *bad = g_build_filename (path, cases[i][0], NULL);
      g_autofree char *notes = g_build_filename (path, "notes.txt", NULL);
      g_autoptr (VrImportDir) dir = NULL;
      g_autoptr (GError) error = NULL;

      g_assert_cmpint (chmod (path, 0755), ==, 0);
      g_assert_cmpint (mkdir (disks, 0755), ==, 0);
      test_write_file (path, "domain.xml", "<domain/>", -1);
      test_write_file (path, "vr-guest.save", "x", -1);
      test_write_file (path, "notes.txt", "x", -1);
      test_write_file (disks, "d.qcow2", "x", -1);
      g_assert_cmpint (chmod (notes, 0600), ==, 0);
      dir = open_dir (path);
      g_assert_true (vr_import_dir_check_caller (dir, nobody, &error));
      g_assert_no_error (error);
      g_assert_cmpint (chmod (bad, cases[i][1] ? 0700 : 0600), ==, 0);
      g_assert_false (vr_import_dir_check_caller (dir, nobody, &error));
      test_assert_error (error, VR_ERROR_ACCESS_DENIED, cases[i][0],
                         "uid 65534", NULL);
      g_clear_error (&error);
      g_assert_true (vr_import_dir_check_caller (dir, root, &error));
      test_rmtree (path);
    }
}

/* Only a descriptor open for reading proves the caller may read the
 * directory: O_PATH and anything not a directory are refused. */
static void
test_dir_fd (void)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *file = g_build_filename (dir, "f", NULL);
  g_autoptr (GError) error = NULL;
  int readable = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int path_only = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int regular;

  test_write_file (dir, "f", "x", -1);
  regular = open (file, O_RDONLY | O_CLOEXEC);
  g_assert_true (vr_caller_check_dir_fd (readable, &error));
  g_assert_no_error (error);
  g_assert_false (vr_caller_check_dir_fd (path_only, &error));
  g_assert_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER);
  g_clear_error (&error);
  g_assert_false (vr_caller_check_dir_fd (regular, &error));
  g_assert_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER);
  close (readable);
  close (path_only);
  close (regular);
  test_rmtree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/caller-access/mode-bits", test_mode_bits);
  g_test_add_func ("/caller-access/dir-fd", test_dir_fd);
  if (getuid () == 0)
    g_test_add_func ("/caller-access/import-dir", test_import_dir);
  else
    g_test_add_data_func ("/caller-access/import-dir",
                          "needs root to make root-owned files",
                          (GTestDataFunc) g_test_skip);
  return g_test_run ();
}
