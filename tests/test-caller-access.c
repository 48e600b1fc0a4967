/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the root agent reads on a caller's behalf: only what the caller
 * could read themself, by owner, group and mode (caller-access.c). */
#include "config.h"

#include <glib/gstdio.h>

#include <fcntl.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "caller-access.h"
#include "errors.h"
#include "test-util.h"

#define NOBODY 65534

static VrImportDir *
open_dir (const char *path)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  return vr_import_dir_new_unread (fd, path);
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
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, NULL);
  g_clear_error (&error);
  g_assert_false (vr_caller_check_dir_fd (regular, &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, NULL);
  close (readable);
  close (path_only);
  close (regular);
  test_rmtree (dir);
}

/* Sets an access ACL as setfacl would: pairs of (tag, perm, id), the
 * xattr in Linux's little-endian layout. FALSE when the file system has
 * no ACLs. */
static gboolean
set_acl (const char *path, const guint32 *entries, gsize n)
{
  g_autoptr (GByteArray) buf = g_byte_array_new ();
  guint32 version = GUINT32_TO_LE (2);

  g_byte_array_append (buf, (const guint8 *) &version, 4);
  for (gsize i = 0; i < n; i++)
    {
      guint16 tag = GUINT16_TO_LE ((guint16) entries[3 * i]);
      guint16 perm = GUINT16_TO_LE ((guint16) entries[3 * i + 1]);
      guint32 id = GUINT32_TO_LE (entries[3 * i + 2]);

      g_byte_array_append (buf, (const guint8 *) &tag, 2);
      g_byte_array_append (buf, (const guint8 *) &perm, 2);
      g_byte_array_append (buf, (const guint8 *) &id, 4);
    }
  if (setxattr (path, "system.posix_acl_access", buf->data, buf->len, 0) == 0)
    return TRUE;
  g_assert_cmpint (errno, ==, EOPNOTSUPP);
  return FALSE;
}

/* POSIX ACLs are honoured as the kernel does: a root-owned domain.xml
 * whose mode shows "others may read" (0644) but whose ACL names nobody
 * with no rights is refused (mode bits alone would let the agent read
 * it for them); a 0600-looking file whose ACL grants nobody read is
 * theirs to read. Checked on the bare descriptor, before anything in the
 * folder is opened or parsed. */
static void
test_acl (void)
{
  /* user::rw- user:65534:--- group::r-- mask::r-- other::r-- */
  const guint32 deny[] = { 0x01, 6, 0xffffffff, 0x02, 0, NOBODY,
                           0x04, 4, 0xffffffff, 0x10, 4, 0xffffffff,
                           0x20, 4, 0xffffffff };
  /* user::rw- user:65534:r-- group::--- mask::r-- other::--- */
  const guint32 grant[] = { 0x01, 6, 0xffffffff, 0x02, 4, NOBODY,
                            0x04, 0, 0xffffffff, 0x10, 4, 0xffffffff,
                            0x20, 0, 0xffffffff };
  g_autoptr (VrCaller) nobody = vr_caller_new (NOBODY);
  g_autofree char *path = test_mkdtemp ();
  g_autofree char *xml = g_build_filename (path, "domain.xml", NULL);
  g_autoptr (GError) error = NULL;
  struct stat st;
  int fd;

  g_assert_cmpint (chmod (path, 0755), ==, 0);
  test_write_file (path, "domain.xml", "<domain><name>TOPSECRET</name></domain>",
                   -1);
  if (!set_acl (xml, deny, G_N_ELEMENTS (deny) / 3))
    {
      g_test_skip ("the test folder's file system has no POSIX ACLs");
      test_rmtree (path);
      return;
    }
  g_assert_cmpint (stat (xml, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0644);
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_false (vr_caller_check_import_fd (fd, NULL, nobody, &error));
  test_assert_error (error, VR_ERROR_ACCESS_DENIED, "domain.xml",
                     "uid 65534", NULL);
  g_assert_null (strstr (error->message, "TOPSECRET"));
  g_clear_error (&error);
  g_assert_true (set_acl (xml, grant, G_N_ELEMENTS (grant) / 3));
  g_assert_cmpint (stat (xml, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0640);
  g_assert_true (vr_caller_check_import_fd (fd, NULL, nobody, &error));
  g_assert_no_error (error);
  close (fd);
  test_rmtree (path);
}

/* Paths are resolved as the caller could: through folders they may
 * search only. A name in a folder closed to them gives the same answer
 * whether it is there or not (no existence oracle); a link is followed
 * only where they could follow it; root's resolution is realpath's. */
static void
test_resolve (void)
{
  g_autoptr (VrCaller) nobody = vr_caller_new (NOBODY);
  g_autoptr (VrCaller) root = vr_caller_new (0);
  g_autofree char *top = test_mkdtemp ();
  g_autofree char *open_dir = g_build_filename (top, "open", NULL);
  g_autofree char *closed = g_build_filename (top, "closed", NULL);
  g_autofree char *file = g_build_filename (open_dir, "f", NULL);
  g_autofree char *pub = g_build_filename (open_dir, "pub", NULL);
  g_autofree char *into = g_build_filename (open_dir, "into-closed", NULL);
  g_autofree char *absent = g_build_filename (open_dir, "absent", NULL);
  g_autofree char *hidden = g_build_filename (closed, "f", NULL);
  g_autofree char *hidden_absent = g_build_filename (closed, "absent", NULL);
  g_autofree char *climb = g_build_filename (open_dir, "..", "open", "f",
                                             NULL);
  g_autofree char *real = NULL;
  g_autofree char *got = NULL;
  gboolean missing = TRUE;

  g_assert_cmpint (chmod (top, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (open_dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (closed, 0700), ==, 0);
  test_write_file (open_dir, "f", "x", -1);
  test_write_file (closed, "f", "x", -1);
  g_assert_cmpint (symlink ("f", pub), ==, 0);
  g_assert_cmpint (symlink ("../closed/f", into), ==, 0);
  real = realpath (file, NULL);

  got = vr_caller_resolve (nobody, pub, &missing);
  g_assert_cmpstr (got, ==, real);
  g_clear_pointer (&got, g_free);
  got = vr_caller_resolve (nobody, climb, NULL);
  g_assert_cmpstr (got, ==, real);
  g_clear_pointer (&got, g_free);
  g_assert_null (vr_caller_resolve (nobody, absent, &missing));
  g_assert_true (missing);
  /* Closed to nobody: there or not, the same answer. */
  g_assert_null (vr_caller_resolve (nobody, hidden, &missing));
  g_assert_false (missing);
  g_assert_null (vr_caller_resolve (nobody, hidden_absent, &missing));
  g_assert_false (missing);
  g_assert_null (vr_caller_resolve (nobody, into, &missing));
  g_assert_false (missing);
  g_assert_true (vr_caller_sees_missing (nobody, absent));
  g_assert_false (vr_caller_sees_missing (nobody, file));
  g_assert_false (vr_caller_sees_missing (nobody, hidden_absent));
  /* Root sees what realpath sees. */
  got = vr_caller_resolve (root, into, NULL);
  g_clear_pointer (&real, free);
  real = realpath (hidden, NULL);
  g_assert_cmpstr (got, ==, real);
  g_assert_true (vr_caller_sees_missing (root, hidden_absent));
  test_rmtree (top);
}

/* Each open of a file of the import directory, for a caller, is judged
 * on the descriptors opened (F8): in a sticky world-writable folder a
 * file below another user's 0700 folder is refused at that folder (a
 * missing one the same: no existence oracle), a 0600 file of root's
 * beside domain.xml is refused, a FIFO and a link are not regular files,
 * and what the caller may read opens. Without a caller (root) all
 * open. */
static void
test_open_file (void)
{
  g_autoptr (VrCaller) nobody = vr_caller_new (NOBODY);
  g_autofree char *path = test_mkdtemp ();
  g_autofree char *vdir = g_build_filename (path, "vdir", NULL);
  g_autofree char *open_dir_path = g_build_filename (path, "open", NULL);
  g_autofree char *fifo = g_build_filename (path, "fifo", NULL);
  g_autofree char *link = g_build_filename (path, "link", NULL);
  g_autofree char *top = g_build_filename (path, "top.img", NULL);
  g_autoptr (VrImportDir) dir = NULL;
  g_autoptr (GError) error = NULL;
  int fd;

  g_assert_cmpint (mkdir (vdir, 0700), ==, 0);
  g_assert_cmpint (mkdir (open_dir_path, 0755), ==, 0);
  test_write_file (vdir, "secret.img", "victim", -1);
  test_write_file (open_dir_path, "ok.img", "mine", -1);
  test_write_file (path, "top.img", "victim", -1);
  g_assert_cmpint (chmod (top, 0600), ==, 0);
  g_assert_cmpint (chmod (vdir, 0700), ==, 0);
  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  g_assert_cmpint (symlink ("open/ok.img", link), ==, 0);
  g_assert_cmpint (chmod (path, 01777), ==, 0);
  dir = open_dir (path);
  vr_import_dir_set_caller (dir, nobody);
  {
    const char *const hidden[] = { "vdir/secret.img", "vdir/missing.img" };

    for (guint i = 0; i < G_N_ELEMENTS (hidden); i++)
      {
        fd = vr_import_dir_open_file (dir, hidden[i], &error);
        g_assert_cmpint (fd, ==, -1);
        test_assert_error (error, VR_ERROR_ACCESS_DENIED, "vdir: ",
                           "uid 65534", "may not search", NULL);
        g_assert_null (strstr (error->message, ".img"));
        g_clear_error (&error);
      }
  }
  fd = vr_import_dir_open_file (dir, "top.img", &error);
  g_assert_cmpint (fd, ==, -1);
  test_assert_error (error, VR_ERROR_ACCESS_DENIED, "top.img", "may not read",
                     NULL);
  g_clear_error (&error);
  fd = vr_import_dir_open_file (dir, "fifo", &error);
  g_assert_cmpint (fd, ==, -1);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "not a regular file",
                     NULL);
  g_clear_error (&error);
  fd = vr_import_dir_open_file (dir, "link", &error);
  g_assert_cmpint (fd, ==, -1);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "symbolic link", NULL);
  g_clear_error (&error);
  fd = vr_import_dir_open_file (dir, "open/ok.img", &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  vr_import_dir_set_caller (dir, NULL);
  fd = vr_import_dir_open_file (dir, "vdir/secret.img", &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  test_rmtree (path);
}

/* Thirteenth review, D1: the walk is bounded. 40 nested folders in
 * disks/ (6,660 took every descriptor of the agent) and 5000 files are
 * refused, naming the folder, with the descriptors the walk opened all
 * closed again; 6 levels and a few files pass. Needs no root: the
 * caller's checks run as any uid but root's shortcut. */
static void
test_walk_bounds (void)
{
  g_autoptr (VrCaller) nobody = vr_caller_new (NOBODY);
  g_autofree char *path = test_mkdtemp ();
  g_autofree char *deep = g_build_filename (path, "disks", NULL);
  g_autofree char *wide = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) fds = NULL;
  guint before = 0;
  guint after = 0;
  int fd;

  g_assert_cmpint (chmod (path, 0755), ==, 0);
  test_write_file (path, "domain.xml", "<domain/>", -1);
  g_assert_cmpint (mkdir (deep, 0755), ==, 0);
  for (guint i = 0; i < 6; i++)
    {
      char *next = g_build_filename (deep, "d", NULL);

      g_assert_cmpint (mkdir (next, 0755), ==, 0);
      g_free (deep);
      deep = next;
    }
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_true (vr_caller_check_import_fd (fd, path, nobody, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 34; i++)
    {
      char *next = g_build_filename (deep, "d", NULL);

      g_assert_cmpint (mkdir (next, 0755), ==, 0);
      g_free (deep);
      deep = next;
    }
  fds = g_dir_open ("/proc/self/fd", 0, NULL);
  while (g_dir_read_name (fds) != NULL)
    before++;
  g_clear_pointer (&fds, g_dir_close);
  g_assert_false (vr_caller_check_import_fd (fd, path, nobody, &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "nest too deep",
                     "disks", NULL);
  g_clear_error (&error);
  fds = g_dir_open ("/proc/self/fd", 0, NULL);
  while (g_dir_read_name (fds) != NULL)
    after++;
  g_assert_cmpuint (after, ==, before);
  wide = g_build_filename (path, "disks", NULL);
  {
    g_autofree char *nested = g_build_filename (wide, "d", NULL);

    test_rmtree (nested);
  }
  for (guint i = 0; i < 5000; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%u", i);

      test_write_file (wide, name, "", -1);
    }
  g_assert_false (vr_caller_check_import_fd (fd, path, nobody, &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "too many entries",
                     wide, NULL);
  close (fd);
  test_rmtree (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/caller-access/mode-bits", test_mode_bits);
  g_test_add_func ("/caller-access/dir-fd", test_dir_fd);
  g_test_add_func ("/caller-access/walk-bounds", test_walk_bounds);
  if (getuid () == 0)
    {
      g_test_add_func ("/caller-access/import-dir", test_import_dir);
      g_test_add_func ("/caller-access/acl", test_acl);
      g_test_add_func ("/caller-access/resolve", test_resolve);
      g_test_add_func ("/caller-access/open-file", test_open_file);
    }
  else
    {
      g_test_add_data_func ("/caller-access/import-dir",
                            "needs root to make root-owned files",
                            (GTestDataFunc) g_test_skip);
      g_test_add_data_func ("/caller-access/acl",
                            "needs root to make root-owned files",
                            (GTestDataFunc) g_test_skip);
      g_test_add_data_func ("/caller-access/resolve",
                            "needs root to make folders closed to nobody",
                            (GTestDataFunc) g_test_skip);
      g_test_add_data_func ("/caller-access/open-file",
                            "needs root to make root-owned files",
                            (GTestDataFunc) g_test_skip);
    }
  return g_test_run ();
}
