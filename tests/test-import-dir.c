/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-xml.h"
#include "errors.h"
#include "import-dir.h"
#include "safe-xml.h"
#include "test-util.h"

#define UUID "5a1ad0c0-7e57-4b3d-9c1e-0000000000aa"
#define OTHER_UUID "5a1ad0c0-7e57-4b3d-9c1e-0000000000bb"

typedef struct {
  char *dir;
  char *outside;
} Fixture;

static void
write_save (const char *dir, const char *file, const char *name,
            const char *uuid)
{
  g_autofree char *xml = test_domain_xml (name, uuid);
  g_autoptr (GBytes) bytes = test_save_image ("LibvirtQemudSave", 2, 0, xml,
                                              4096);
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  test_write_file (dir, file, data, len);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree char *xml = test_domain_xml ("g", UUID);

  f->dir = test_mkdtemp ();
  f->outside = test_mkdtemp ();
  test_write_file (f->dir, "domain.xml", xml, -1);
  write_save (f->dir, "g.save", "g", UUID);
  test_write_file (f->outside, "domain.xml", xml, -1);
  write_save (f->outside, "g.save", "g", UUID);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  test_rmtree (f->dir);
  test_rmtree (f->outside);
  g_free (f->dir);
  g_free (f->outside);
}

static void
expect_error (Fixture *f, int code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrImportDir) dir = NULL;
  g_autofree char *before = test_snapshot_tree (f->dir);
  g_autofree char *after = NULL;

  dir = vr_import_dir_open (f->dir, &error);
  g_assert_null (dir);
  test_assert_error (error, code, f->dir, needle, NULL);
  after = test_snapshot_tree (f->dir);
  g_assert_cmpstr (before, ==, after);
}

static void
test_good (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrImportDir) dir = vr_import_dir_open (f->dir, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (dir->name, ==, "g");
  g_assert_cmpstr (dir->uuid, ==, UUID);
  g_assert_cmpstr (dir->save_file, ==, "g.save");
  g_assert_nonnull (dir->save);
  g_assert_false (dir->has_manifest);
  g_assert_cmpstr (dir->path, ==, f->dir);
}

static void
test_no_save (Fixture *f, gconstpointer data)
{
  g_autofree char *save = g_build_filename (f->dir, "g.save", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrImportDir) dir = NULL;

  g_assert_cmpint (unlink (save), ==, 0);
  dir = vr_import_dir_open (f->dir, &error);
  g_assert_no_error (error);
  g_assert_null (dir->save_file);
  g_assert_null (dir->save);
}

static void
test_by_fd (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrImportDir) dir = NULL;
  int fd = open (f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  dir = vr_import_dir_open_fd (fd, &error);
  close (fd);
  g_assert_no_error (error);
  g_assert_cmpstr (dir->path, ==, f->dir);
  g_assert_cmpstr (dir->uuid, ==, UUID);
}

static void
test_missing_domain_xml (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "domain.xml", NULL);

  unlink (path);
  expect_error (f, VR_ERROR_INVALID_PARAMETER, "domain.xml: no such file");
}

static void
test_not_a_directory (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "domain.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrImportDir) dir = vr_import_dir_open (path, &error);

  g_assert_null (dir);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, path,
                     "not a directory", NULL);
}

static void
test_symlink_domain_xml (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "domain.xml", NULL);
  g_autofree char *target = g_build_filename (f->outside, "domain.xml", NULL);

  unlink (path);
  g_assert_cmpint (symlink (target, path), ==, 0);
  expect_error (f, VR_ERROR_INVALID_PARAMETER, "symbolic link");
}

static void
test_symlink_save (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "g.save", NULL);
  g_autofree char *target = g_build_filename (f->outside, "g.save", NULL);

  unlink (path);
  g_assert_cmpint (symlink (target, path), ==, 0);
  expect_error (f, VR_ERROR_INVALID_PARAMETER, "g.save: is a symbolic link");
}

static void
test_fifo_domain_xml (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "domain.xml", NULL);

  unlink (path);
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  /* Must not block waiting for a writer. */
  expect_error (f, VR_ERROR_INVALID_PARAMETER, "not a regular file");
}

static void
test_two_saves (Fixture *f, gconstpointer data)
{
  write_save (f->dir, "h.save", "g", UUID);
  expect_error (f, VR_ERROR_INVALID_PARAMETER, "two save images");
}

static void
test_mismatch (Fixture *f, gconstpointer data)
{
  write_save (f->dir, "g.save", "other", OTHER_UUID);
  expect_error (f, VR_ERROR_INVALID_PARAMETER, "belongs to domain 'other'");
}

static void
test_name_mismatch (Fixture *f, gconstpointer data)
{
  write_save (f->dir, "g.save", "other", UUID);
  expect_error (f, VR_ERROR_INVALID_PARAMETER, "belongs to domain 'other'");
}

static void
test_open_file (Fixture *f, gconstpointer data)
{
  const char *bad[] = { "../x", "/etc/passwd", "disks/../../x", "disks//a",
                        "./domain.xml", "", "link/a" };
  g_autofree char *disks = g_build_filename (f->dir, "disks", NULL);
  g_autofree char *link = g_build_filename (f->dir, "link", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrImportDir) dir = NULL;
  int fd;

  g_assert_cmpint (mkdir (disks, 0700), ==, 0);
  test_write_file (disks, "a.qcow2", "data", -1);
  g_assert_cmpint (symlink (f->outside, link), ==, 0);
  dir = vr_import_dir_open (f->dir, &error);
  g_assert_no_error (error);
  fd = vr_import_dir_open_file (dir, "disks/a.qcow2", &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      fd = vr_import_dir_open_file (dir, bad[i], &error);
      g_assert_cmpint (fd, ==, -1);
      test_assert_error (error, VR_ERROR_INVALID_PARAMETER, NULL);
      g_clear_error (&error);
    }
  fd = vr_import_dir_open_file (dir, "disks", &error);
  g_assert_cmpint (fd, ==, -1);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "not a regular file",
                     NULL);
}

static void
test_unreadable (Fixture *f, gconstpointer data)
{
  if (geteuid () == 0)
    {
      g_test_skip ("root reads any directory; test-cli covers this as an "
                   "unprivileged user");
      return;
    }
  g_assert_cmpint (chmod (f->dir, 0), ==, 0);
  expect_error (f, VR_ERROR_ACCESS_DENIED, "Permission denied");
}

static void
expect_ok (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrImportDir) dir = vr_import_dir_open (f->dir, &error);

  g_assert_no_error (error);
  g_assert_nonnull (dir);
}

/* doc written to dir/file (libxml2 escapes names, and writes a newline
 * in an attribute as a character reference). */
static void
write_doc (const char *dir, const char *file, xmlDoc *doc)
{
  xmlChar *xml = NULL;
  int len = 0;

  xmlDocDumpMemory (doc, &xml, &len);
  test_write_file (dir, file, (const char *) xml, len);
  xmlFree (xml);
}

/* snapshots/ with n snapshots named name_of (i), each file holding
 * pad bytes of comment beside its name. */
static void
write_snapshots (Fixture *f, guint n, char *(*name_of) (guint),
                 gsize pad)
{
  g_autofree char *dir = g_build_filename (f->dir, "snapshots", NULL);
  g_autoptr (xmlDoc) index = xmlNewDoc (BAD_CAST "1.0");
  xmlNode *snapshots = xmlNewNode (NULL, BAD_CAST "snapshots");
  g_autofree char *filler = g_strnfill (pad, 'c');

  g_assert_cmpint (mkdir (dir, 0755), ==, 0);
  xmlDocSetRootElement (index, snapshots);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = name_of (i);
      g_autofree char *file = g_strdup_printf ("%u.xml", i);
      g_autoptr (xmlDoc) doc = xmlNewDoc (BAD_CAST "1.0");
      xmlNode *root = xmlNewNode (NULL, BAD_CAST "domainsnapshot");
      xmlNode *entry = xmlNewChild (snapshots, NULL, BAD_CAST "snapshot",
                                    NULL);

      xmlSetProp (entry, BAD_CAST "name", BAD_CAST name);
      xmlSetProp (entry, BAD_CAST "file", BAD_CAST file);
      xmlDocSetRootElement (doc, root);
      xmlNewTextChild (root, NULL, BAD_CAST "name", BAD_CAST name);
      xmlAddChild (root, xmlNewDocComment (doc, BAD_CAST filler));
      write_doc (dir, file, doc);
    }
  write_doc (dir, "index.xml", index);
}

static char *
long_name (guint i)
{
  return g_strnfill (VR_DOMAIN_NAME_MAX + 1, 'n');
}

static char *
line_name (guint i)
{
  return g_strdup ("s1\nDomain:         root-owned-vm");
}

static char *
wide_name (guint i)
{
  g_autofree char *fill = g_strnfill (VR_DOMAIN_NAME_MAX - 8, 'w');

  return g_strdup_printf ("%08u%s", i, fill);
}

static char *
short_name (guint i)
{
  return g_strdup_printf ("s%u", i);
}

/* Nineteenth review, F1 and F4: snapshot names go on the bus to every
 * user (PlannedSystem.Snapshots) and into `show`: 4000-byte names made
 * GetManagedObjects pass the bus's 32 MB, and a newline forged lines in
 * what an administrator reads. */
static void
test_snapshot_names (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = g_build_filename (f->dir, "snapshots", NULL);

  write_snapshots (f, 1, long_name, 0);
  expect_error (f, VR_ERROR_INVALID_PARAMETER, "at most 200 bytes");
  test_rmtree (dir);
  write_snapshots (f, 1, line_name, 0);
  expect_error (f, VR_ERROR_INVALID_PARAMETER, "no control character");
  test_rmtree (dir);
  /* 400 names of 200 bytes: 80,000 bytes together, past 64 KiB. */
  write_snapshots (f, 400, wide_name, 0);
  expect_error (f, VR_ERROR_INVALID_PARAMETER, "pass 64 KiB");
  test_rmtree (dir);
  write_snapshots (f, 300, wide_name, 0);
  expect_ok (f);
}

/* Nineteenth review, F2: an import keeps every snapshot file parsed; 1000
 * of 4 MiB were allowed. Together they may have 64 MiB: 17 of 4 MiB are
 * refused, 15 taken. */
static void
test_snapshot_bytes (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = g_build_filename (f->dir, "snapshots", NULL);

  write_snapshots (f, 17, short_name, 4 * 1024 * 1024 - 100);
  expect_error (f, VR_ERROR_INVALID_PARAMETER, "pass 64 MiB");
  test_rmtree (dir);
  write_snapshots (f, 15, short_name, 4 * 1024 * 1024 - 100);
  expect_ok (f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/import-dir/" path, Fixture, NULL, fixture_set_up, func, \
              fixture_tear_down)
  ADD ("good", test_good);
  ADD ("no-save", test_no_save);
  ADD ("by-fd", test_by_fd);
  ADD ("missing-domain-xml", test_missing_domain_xml);
  ADD ("not-a-directory", test_not_a_directory);
  ADD ("symlink-domain-xml", test_symlink_domain_xml);
  ADD ("symlink-save", test_symlink_save);
  ADD ("fifo-domain-xml", test_fifo_domain_xml);
  ADD ("two-saves", test_two_saves);
  ADD ("uuid-mismatch", test_mismatch);
  ADD ("name-mismatch", test_name_mismatch);
  ADD ("open-file", test_open_file);
  ADD ("unreadable", test_unreadable);
  ADD ("snapshot-names", test_snapshot_names);
  ADD ("snapshot-bytes", test_snapshot_bytes);
#undef ADD
  return g_test_run ();
}
