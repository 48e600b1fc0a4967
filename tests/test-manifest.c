/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* manifest.xml: what export writes, import verifies; every way a file can
 * differ from it is named; a manifest cannot reach outside its directory. */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "manifest.h"
#include "safe-xml.h"
#include "test-util.h"

#define UUID "5a1ad0c0-7e57-4b3d-9c1e-0000000000aa"
/* Larger than the hash buffer, so that a file takes several reads. */
#define DISK_SIZE ((9u << 20) + 123)

typedef struct {
  char *dir;
  char *disk;
} Fixture;

static void
write_disk (const char *path, gsize size, guchar fill)
{
  g_autofree guchar *data = g_malloc (size);
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < size; i++)
    data[i] = (guchar) (fill + i * 7);
  g_file_set_contents (path, (const char *) data, size, &error);
  g_assert_no_error (error);
}

static char *
build (const char *dir, VrProgress *progress, GCancellable *cancellable,
       GError **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  char *xml;

  g_assert_cmpint (fd, >=, 0);
  xml = vr_manifest_build (fd, dir, progress, cancellable, error);
  close (fd);
  return xml;
}

static void
write_manifest (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = build (f->dir, NULL, NULL, &error);

  g_assert_no_error (error);
  test_write_file (f->dir, "manifest.xml", xml, -1);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree char *xml = test_domain_xml ("vr-manifest", UUID);
  g_autofree char *disks = NULL;

  f->dir = test_mkdtemp ();
  disks = g_build_filename (f->dir, "disks", NULL);
  g_assert_cmpint (g_mkdir (disks, 0755), ==, 0);
  test_write_file (f->dir, "domain.xml", xml, -1);
  f->disk = g_build_filename (disks, "disk0.img", NULL);
  write_disk (f->disk, DISK_SIZE, 1);
  write_manifest (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  test_rmtree (f->dir);
  g_free (f->dir);
  g_free (f->disk);
}

static gboolean
verify (Fixture *f, GError **error)
{
  g_autoptr (VrImportDir) dir = vr_import_dir_open (f->dir, error);

  if (dir == NULL)
    return FALSE;
  g_assert_true (dir->has_manifest);
  return vr_manifest_verify (dir, NULL, NULL, error);
}

static void
assert_verify_fails (Fixture *f, const char *needle, const char *needle2)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (verify (f, &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, needle, needle2,
                     NULL);
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "manifest.xml", NULL);
  g_autofree char *xml = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &xml, NULL, NULL));
  test_assert_valid_rng ("manifest.rng", xml);
  g_assert_nonnull (strstr (xml, "path=\"disks/disk0.img\""));
  g_assert_nonnull (strstr (xml, "path=\"domain.xml\""));
  g_assert_null (strstr (xml, "path=\"manifest.xml\""));
  g_assert_true (verify (f, &error));
  g_assert_no_error (error);
}

static void
test_known_hash (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *dir = test_mkdtemp ();

  test_write_file (dir, "a", "abc", 3);
  xml = build (dir, NULL, NULL, &error);
  g_assert_no_error (error);
  /* FIPS 180-2's example: SHA-256("abc"). */
  g_assert_nonnull (strstr (xml, "<file path=\"a\" size=\"3\" sha256=\""
                            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9c"
                            "b410ff61f20015ad\"/>"));
  test_rmtree (dir);
}

typedef struct {
  guint64 last_done;
  guint64 total;
  guint calls;
} Seen;

static void
on_progress (const VrProgressState *state, gpointer user_data)
{
  Seen *seen = user_data;

  g_assert_cmpuint (state->bytes_done, >=, seen->last_done);
  seen->last_done = state->bytes_done;
  seen->total = state->bytes_total;
  seen->calls++;
}

static void
test_progress_by_bytes (Fixture *f, gconstpointer data)
{
  Seen seen = { 0 };
  g_autoptr (VrProgress) progress = vr_progress_new (on_progress, &seen);
  g_autoptr (VrImportDir) dir = NULL;
  g_autoptr (GError) error = NULL;

  vr_progress_add_step (progress, "verify", 1);
  vr_progress_next (progress);
  dir = vr_import_dir_open (f->dir, &error);
  g_assert_no_error (error);
  g_assert_true (vr_manifest_verify (dir, progress, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seen.total, >, DISK_SIZE);
  g_assert_cmpuint (seen.last_done, ==, seen.total);
  g_assert_cmpuint (seen.calls, >=, 3);
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (VrImportDir) dir = vr_import_dir_open (f->dir, NULL);
  g_autoptr (GError) error = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_false (vr_manifest_verify (dir, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_size_mismatch (Fixture *f, gconstpointer data)
{
  write_disk (f->disk, DISK_SIZE + 1, 1);
  assert_verify_fails (f, "disks/disk0.img", "bytes, but the manifest says");
}

static void
test_sha256_mismatch (Fixture *f, gconstpointer data)
{
  write_disk (f->disk, DISK_SIZE, 2);
  assert_verify_fails (f, "disks/disk0.img", "SHA-256");
}

static void
test_missing_file (Fixture *f, gconstpointer data)
{
  g_assert_cmpint (unlink (f->disk), ==, 0);
  assert_verify_fails (f, "disks/disk0.img", "no such file");
}

static void
test_extra_file (Fixture *f, gconstpointer data)
{
  test_write_file (f->dir, "notes.txt", "hello", -1);
  assert_verify_fails (f, "notes.txt", "extra file");
}

static void
test_extra_link (Fixture *f, gconstpointer data)
{
  g_autofree char *link = g_build_filename (f->dir, "disks", "other.img",
                                            NULL);

  g_assert_cmpint (symlink ("/etc/passwd", link), ==, 0);
  assert_verify_fails (f, "disks/other.img", "symbolic link");
}

static void
replace_manifest (Fixture *f, const char *xml)
{
  test_write_file (f->dir, "manifest.xml", xml, -1);
}

static void
test_path_outside (Fixture *f, gconstpointer data)
{
  const char *paths[] = { "../x", "/etc/passwd", "disks/../domain.xml",
                          "./domain.xml" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *xml = g_strdup_printf (
          "<manifest version='1'><file path='%s' size='3' sha256='"
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
          "'/></manifest>", paths[i]);

      replace_manifest (f, xml);
      assert_verify_fails (f, paths[i], "must stay inside");
    }
}

static void
test_xxe (Fixture *f, gconstpointer data)
{
  replace_manifest (f, "<?xml version='1.0'?>\n"
                       "<!DOCTYPE manifest [<!ENTITY x SYSTEM "
                       "'file:///etc/passwd'>]>\n"
                       "<manifest version='1'><file path='&x;' size='1' "
                       "sha256='00'/></manifest>");
  assert_verify_fails (f, "manifest.xml", NULL);
}

static void
test_malformed (Fixture *f, gconstpointer data)
{
  replace_manifest (f, "<manifest version='1'>\n<file path='domain.xml' "
                       "size='-1' sha256='00'/></manifest>");
  assert_verify_fails (f, "manifest.xml (line 2)", "needs a path");
  replace_manifest (f, "<manifest version='2'/>");
  assert_verify_fails (f, "manifest.xml", "version '2'");
  replace_manifest (f, "<files version='1'/>");
  assert_verify_fails (f, "manifest.xml", NULL);
}

static void
test_listed_twice (Fixture *f, gconstpointer data)
{
  replace_manifest (f, "<manifest version='1'>"
                       "<file path='a' size='0' sha256='e3b0c44298fc1c149af"
                       "bf4c8996fb92427ae41e4649b934ca495991b7852b855'/>"
                       "<file path='a' size='0' sha256='e3b0c44298fc1c149af"
                       "bf4c8996fb92427ae41e4649b934ca495991b7852b855'/>"
                       "</manifest>");
  assert_verify_fails (f, "manifest.xml", "lists a twice");
}

static void
test_build_refuses_links (Fixture *f, gconstpointer data)
{
  g_autofree char *link = g_build_filename (f->dir, "link", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = NULL;

  g_assert_cmpint (symlink ("domain.xml", link), ==, 0);
  xml = build (f->dir, NULL, NULL, &error);
  g_assert_null (xml);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "link",
                     "symbolic link", NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/manifest/" path, Fixture, NULL, fixture_set_up, func, \
              fixture_tear_down)
  ADD ("round-trip", test_round_trip);
  ADD ("known-hash", test_known_hash);
  ADD ("progress-by-bytes", test_progress_by_bytes);
  ADD ("cancel", test_cancel);
  ADD ("size-mismatch", test_size_mismatch);
  ADD ("sha256-mismatch", test_sha256_mismatch);
  ADD ("missing-file", test_missing_file);
  ADD ("extra-file", test_extra_file);
  ADD ("extra-link", test_extra_link);
  ADD ("path-outside", test_path_outside);
  ADD ("xxe", test_xxe);
  ADD ("malformed", test_malformed);
  ADD ("listed-twice", test_listed_twice);
  ADD ("build-refuses-links", test_build_refuses_links);
#undef ADD
  return g_test_run ();
}
