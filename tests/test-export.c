/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Export on real QEMU (this program's own embedded root): what it refuses
 * writes nothing; what it writes is an import directory whose manifest
 * verifies; a cancel or failure leaves no directory behind. */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "export.h"
#include "import.h"
#include "libvirt-util.h"
#include "manifest.h"
#include "safe-xml.h"
#include "test-util.h"
#include "testbed.h"

#define BASIC_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000001"
#define DISK_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000002"
#define OTHER_UUID "5a1ad0c0-7e57-4b3d-9c1e-0000000000e1"

static char *root;
static virConnectPtr conn;

typedef struct {
  char *tmp;
  char *out;   /* the export directory: not there before the test */
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->tmp = test_mkdtemp ();
  f->out = g_build_filename (f->tmp, "export", NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  test_remove_domain (conn, BASIC_UUID);
  test_remove_domain (conn, DISK_UUID);
  test_remove_domain (conn, OTHER_UUID);
  test_rmtree (f->tmp);
  g_free (f->tmp);
  g_free (f->out);
}

static char *
testbed_file (const char *variant, const char *name)
{
  g_autofree char *dir = vr_testbed_require (variant);

  return g_build_filename (dir, name, NULL);
}

static char *
read_text (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static virDomainPtr
define (const char *xml)
{
  virDomainPtr dom = virDomainDefineXML (conn, xml);

  g_assert_nonnull (dom);
  return dom;
}

static virDomainPtr
define_basic (void)
{
  g_autofree char *path = testbed_file ("basic", "domain.xml");
  g_autofree char *xml = read_text (path);

  return define (xml);
}

static char *
managed_save_path (const char *name)
{
  g_autofree char *file = g_strdup_printf ("%s.save", name);

  return g_build_filename (root, "lib", "qemu", "save", file, NULL);
}

static VrExportResult *
export (Fixture *f, const char *domain, gboolean save, gboolean with_disks,
        GError **error)
{
  VrExportOptions options = { .save = save, .with_disks = with_disks };

  return vr_export (conn, domain, f->out, &options, NULL, NULL, error);
}

static void
assert_refused (Fixture *f, const char *domain, gboolean save,
                gboolean with_disks, int code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrExportResult) result = export (f, domain, save, with_disks,
                                              &error);

  g_assert_null (result);
  test_assert_error (error, code, needle, NULL);
  g_assert_false (g_file_test (f->out, G_FILE_TEST_EXISTS));
}

/* The export is an import directory whose manifest holds. */
static void
assert_imports (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrImportDir) dir = vr_import_dir_open (f->out, &error);
  g_autofree char *state = g_build_filename (f->tmp, "state", NULL);
  g_autoptr (VrStore) store = vr_store_new (state);
  g_autoptr (VrPlannedSystem) system = NULL;

  g_assert_no_error (error);
  g_assert_true (dir->has_manifest);
  g_assert_true (vr_manifest_verify (dir, NULL, NULL, &error));
  g_assert_no_error (error);
  system = vr_import_verified (store, dir, NULL, VR_IMPORT_NONE, NULL, NULL,
                               &error);
  g_assert_no_error (error);
  g_assert_nonnull (system);
}

static void
test_no_such_domain (Fixture *f, gconstpointer data)
{
  assert_refused (f, "no-such-guest", FALSE, FALSE,
                  VR_ERROR_INVALID_PARAMETER, "no domain 'no-such-guest'");
}

static void
test_transient (Fixture *f, gconstpointer data)
{
  g_autofree char *xml = test_domain_xml ("vr-transient", OTHER_UUID);
  g_autoptr (virDomain) dom = virDomainCreateXML (conn, xml, 0);

  g_assert_nonnull (dom);
  assert_refused (f, "vr-transient", TRUE, FALSE, VR_ERROR_INVALID_STATE,
                  "transient");
  assert_refused (f, OTHER_UUID, FALSE, FALSE, VR_ERROR_INVALID_STATE,
                  "virsh define");
  g_assert_cmpint (virDomainIsActive (dom), ==, 1);
}

static void
test_non_empty_dir (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrExportResult) result = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  virDomainFree (define_basic ());
  g_assert_cmpint (g_mkdir (f->out, 0755), ==, 0);
  test_write_file (f->out, "notes.txt", "mine", -1);
  before = test_snapshot_tree (f->tmp);
  result = export (f, "vr-guest", FALSE, FALSE, &error);
  g_assert_null (result);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, f->out, "not empty",
                     NULL);
  after = test_snapshot_tree (f->tmp);
  g_assert_cmpstr (before, ==, after);
}

static void
test_running_needs_save (Fixture *f, gconstpointer data)
{
  g_autoptr (virDomain) dom = define_basic ();

  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  assert_refused (f, "vr-guest", FALSE, FALSE, VR_ERROR_INVALID_STATE,
                  "--save");
  g_assert_cmpint (virDomainIsActive (dom), ==, 1);
}

static void
test_nothing_to_save (Fixture *f, gconstpointer data)
{
  virDomainFree (define_basic ());
  assert_refused (f, "vr-guest", TRUE, FALSE, VR_ERROR_INVALID_STATE,
                  "not running: nothing to save");
}

static void
test_defined_without_state (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrExportResult) result = NULL;
  g_autofree char *save = g_build_filename (f->out, "vr-guest.save", NULL);
  struct stat st;

  virDomainFree (define_basic ());
  result = export (f, BASIC_UUID, FALSE, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (result->name, ==, "vr-guest");
  g_assert_null (result->save_file);
  g_assert_false (g_file_test (save, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_stat (f->out, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0755);
  assert_imports (f);
}

/* A managed save libvirt did not make itself (placed as a realize's link
 * hand-off places it): libvirt does not report it, the file counts. */
static void
test_managed_save_exported (Fixture *f, gconstpointer data)
{
  g_autofree char *src = testbed_file ("basic", "vr-guest.save");
  g_autofree char *managed = managed_save_path ("vr-guest");
  g_autofree char *copy = g_build_filename (f->out, "vr-guest.save", NULL);
  g_autofree char *want = test_sha256_file (src);
  g_autofree char *got = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (VrExportResult) result = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  virDomainFree (define_basic ());
  g_assert_true (g_file_get_contents (src, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (managed, contents, len, NULL));
  result = export (f, "vr-guest", FALSE, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (result->save_file, ==, "vr-guest.save");
  g_assert_false (result->saved);
  got = test_sha256_file (copy);
  g_assert_cmpstr (got, ==, want);
  assert_imports (f);
}

static void
test_save_running (Fixture *f, gconstpointer data)
{
  g_autoptr (virDomain) dom = define_basic ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VrExportResult) result = NULL;
  g_autoptr (VrImportDir) dir = NULL;

  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  result = export (f, "vr-guest", TRUE, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (result->saved);
  g_assert_cmpstr (result->save_file, ==, "vr-guest.save");
  /* It stays saved here; starting it resumes it. */
  g_assert_cmpint (virDomainIsActive (dom), ==, 0);
  g_assert_cmpint (virDomainHasManagedSaveImage (dom, 0), ==, 1);
  dir = vr_import_dir_open (f->out, &error);
  g_assert_no_error (error);
  g_assert_true (dir->save->was_running);
  assert_imports (f);
}

/* The test bed's disk guest, its image copied into this root. */
static virDomainPtr
define_disk_guest (char **image_out)
{
  g_autofree char *xml_path = testbed_file ("disk", "domain.xml");
  g_autofree char *disk_src = testbed_file ("disk", "disks/disk0.qcow2");
  g_autofree char *images = g_build_filename (root, "images", NULL);
  g_autofree char *image = g_build_filename (images, "disk0.qcow2", NULL);
  g_autofree char *xml = read_text (xml_path);
  g_autofree char *contents = NULL;
  g_autofree char *fixed = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  gsize len = 0;

  g_assert_cmpint (g_mkdir_with_parents (images, 0755), ==, 0);
  g_assert_true (g_file_get_contents (disk_src, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (image, contents, len, NULL));
  doc = vr_xml_parse_buffer (xml, strlen (xml), "domain.xml", "domain",
                             &error);
  g_assert_no_error (error);
  xmlSetProp (vr_xml_xpath_node (doc, "/domain/devices/disk/source"),
              (const xmlChar *) "file", (const xmlChar *) image);
  fixed = vr_xml_to_string (doc);
  *image_out = g_steal_pointer (&image);
  return define (fixed);
}

typedef struct {
  GString *phases;
  double fraction;
  double manifest_from; /* the fraction when hashing began */
} Phases;

static void
record_phases (const VrProgressState *state, gpointer user_data)
{
  Phases *seen = user_data;

  g_assert_cmpfloat (state->fraction, >=, seen->fraction);
  seen->fraction = state->fraction;
  if (state->phase != NULL && !g_str_has_suffix (seen->phases->str,
                                                 state->phase))
    {
      g_string_append_printf (seen->phases, " %s", state->phase);
      if (g_str_equal (state->phase, "manifest"))
        seen->manifest_from = state->fraction;
    }
}

static void
test_with_disks (Fixture *f, gconstpointer data)
{
  g_autofree char *image = NULL;
  g_autoptr (virDomain) dom = define_disk_guest (&image);
  g_autofree char *copy = g_build_filename (f->out, "disks", "disk0.qcow2",
                                            NULL);
  g_autofree char *xml_path = g_build_filename (f->out, "domain.xml", NULL);
  g_autofree char *xml = NULL;
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (VrExportResult) result = NULL;
  g_autoptr (VrImportDir) dir = NULL;
  VrExportOptions options = { .save = TRUE, .with_disks = TRUE };
  Phases seen = { g_string_new (NULL), 0, 1.0 };
  g_autoptr (VrProgress) progress = vr_progress_new (record_phases, &seen);

  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  result = vr_export (conn, "vr-guest-disk", f->out, &options, progress,
                      NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (seen.phases->str, ==, " save xml copy disks manifest");
  g_assert_cmpfloat (seen.fraction, ==, 1.0);
  /* Hashing reads what the copies wrote: a step of its weight, which
   * starts near the middle, not at 96%. */
  g_assert_cmpfloat (seen.manifest_from, <, 0.6);
  g_string_free (seen.phases, TRUE);
  g_assert_cmpuint (result->disks, ==, 1);
  g_assert_cmpuint (result->notes->len, ==, 0);
  want = test_sha256_file (image);
  got = test_sha256_file (copy);
  g_assert_cmpstr (got, ==, want);
  xml = read_text (xml_path);
  g_assert_nonnull (strstr (xml, "file=\"disks/disk0.qcow2\""));
  dir = vr_import_dir_open (f->out, &error);
  g_assert_no_error (error);
  /* The saved state keeps libvirt's own XML: realize updates it. */
  g_assert_nonnull (strstr (dir->save->xml, image));
  assert_imports (f);
}

/* Into a directory the caller opened (the agent's way): it must be
 * empty, and is never removed. */
static void
test_to_fd (Fixture *f, gconstpointer data)
{
  VrExportOptions options = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrExportResult) result = NULL;
  g_autoptr (VrExportResult) again = NULL;
  int fd;

  virDomainFree (define_basic ());
  g_assert_cmpint (g_mkdir (f->out, 0700), ==, 0);
  fd = open (f->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  result = vr_export_to_fd (conn, "vr-guest", fd, &options, NULL, NULL,
                            &error);
  g_assert_no_error (error);
  assert_imports (f);
  again = vr_export_to_fd (conn, "vr-guest", fd, &options, NULL, NULL,
                           &error);
  g_assert_null (again);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, f->out, "not empty",
                     NULL);
  close (fd);
}

static void
run_qemu_img (const char *const *argv)
{
  int status = 0;
  g_autoptr (GError) error = NULL;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH
                | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                &status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
}

/* A domain (never started) with the given disks: pairs of device and
 * image path, then NULL. */
static virDomainPtr
define_with_disks (const char *first, ...)
{
  g_autofree char *xml = test_domain_xml ("vr-export-disks", OTHER_UUID);
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = vr_xml_parse_buffer (xml, strlen (xml), "xml",
                                                "domain", &error);
  xmlNode *devices = xmlNewChild (xmlDocGetRootElement (doc), NULL,
                                  (const xmlChar *) "devices", NULL);
  g_autofree char *text = NULL;
  const char *device = first;
  guint n = 0;
  va_list ap;

  va_start (ap, first);
  for (; device != NULL; device = va_arg (ap, const char *))
    {
      const char *path = va_arg (ap, const char *);
      gboolean cdrom = g_str_equal (device, "cdrom");
      xmlNode *disk = xmlNewChild (devices, NULL, (const xmlChar *) "disk",
                                   NULL);
      xmlNode *node;
      g_autofree char *dev = g_strdup_printf (cdrom ? "hd%c" : "vd%c",
                                              'a' + n++);

      xmlNewProp (disk, (const xmlChar *) "type", (const xmlChar *) "file");
      xmlNewProp (disk, (const xmlChar *) "device", (const xmlChar *) device);
      node = xmlNewChild (disk, NULL, (const xmlChar *) "source", NULL);
      xmlNewProp (node, (const xmlChar *) "file", (const xmlChar *) path);
      node = xmlNewChild (disk, NULL, (const xmlChar *) "target", NULL);
      xmlNewProp (node, (const xmlChar *) "dev", (const xmlChar *) dev);
      xmlNewProp (node, (const xmlChar *) "bus",
                  (const xmlChar *) (cdrom ? "ide" : "virtio"));
    }
  va_end (ap);
  g_assert_no_error (error);
  text = vr_xml_to_string (doc);
  return define (text);
}

/* An external snapshot's chain (top on base) is exported whole: each
 * file under its own name in disks/, the top naming its base beside it,
 * so that the chain holds wherever the directory goes. */
static void
test_backing_chain_exported (Fixture *f, gconstpointer data)
{
  g_autofree char *base = g_build_filename (f->tmp, "base.qcow2", NULL);
  g_autofree char *top = g_build_filename (f->tmp, "top.qcow2", NULL);
  g_autofree char *copy = NULL;
  const char *make_base[] = { "qemu-img", "create", "-q", "-f", "qcow2", base,
                              "1M", NULL };
  const char *make_top[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-b",
                             base, "-F", "qcow2", top, NULL };
  g_autoptr (virDomain) dom = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (VrExportResult) result = NULL;
  g_auto (TestRun) info = { 0 };
  const char *info_argv[] = { "qemu-img", "info", "-U", NULL, NULL };

  run_qemu_img (make_base);
  run_qemu_img (make_top);
  dom = define_with_disks ("disk", top, NULL);
  result = export (f, "vr-export-disks", FALSE, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->disks, ==, 2);
  copy = g_build_filename (f->out, "disks", "top.qcow2", NULL);
  info_argv[3] = copy;
  test_run (&info, info_argv, NULL);
  g_assert_nonnull (strstr (info.out, "backing file: base.qcow2"));
  assert_imports (f);
}

/* A backing that is not a file cannot travel as files. */
static void
test_network_backing_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *top = g_build_filename (f->tmp, "top.qcow2", NULL);
  const char *make_top[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-u",
                             "-b", "nbd://127.0.0.1:1/x", "-F", "raw", top,
                             "1M", NULL };
  g_autoptr (virDomain) dom = NULL;

  run_qemu_img (make_top);
  dom = define_with_disks ("disk", top, NULL);
  assert_refused (f, "vr-export-disks", FALSE, TRUE, VR_ERROR_NOT_SUPPORTED,
                  "not a plain file");
}

static void
write_image (const char *path, guint mib)
{
  g_autofree char *chunk = g_malloc (1 << 20);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  memset (chunk, 0x5a, 1 << 20);
  for (guint i = 0; i < mib; i++)
    g_assert_cmpint (write (fd, chunk, 1 << 20), ==, 1 << 20);
  close (fd);
}

static void
test_cdrom_and_same_names (Fixture *f, gconstpointer data)
{
  g_autofree char *iso = g_build_filename (f->tmp, "install.iso", NULL);
  g_autofree char *a = g_build_filename (f->tmp, "a", NULL);
  g_autofree char *b = g_build_filename (f->tmp, "b", NULL);
  g_autofree char *disk_a = g_build_filename (a, "disk.img", NULL);
  g_autofree char *disk_b = g_build_filename (b, "disk.img", NULL);
  g_autofree char *xml_path = g_build_filename (f->out, "domain.xml", NULL);
  g_autofree char *xml = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (VrExportResult) result = NULL;

  g_assert_cmpint (g_mkdir (a, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (b, 0755), ==, 0);
  write_image (iso, 1);
  write_image (disk_a, 1);
  write_image (disk_b, 2);
  dom = define_with_disks ("disk", disk_a, "disk", disk_b, "cdrom", iso,
                           NULL);
  result = export (f, "vr-export-disks", FALSE, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->disks, ==, 2);
  g_assert_cmpuint (result->notes->len, ==, 1);
  g_assert_nonnull (strstr (result->notes->pdata[0], "removable media"));
  xml = read_text (xml_path);
  g_assert_nonnull (strstr (xml, "file=\"disks/disk.img\""));
  g_assert_nonnull (strstr (xml, "file=\"disks/2-disk.img\""));
  g_assert_nonnull (strstr (xml, iso));
}

typedef struct {
  GCancellable *cancellable;
  const char *phase;
  gboolean cancelled;
} CancelAt;

static void
cancel_at (const VrProgressState *state, gpointer user_data)
{
  CancelAt *c = user_data;

  if (g_strcmp0 (state->phase, c->phase) == 0 && state->bytes_done > 0
      && !c->cancelled)
    {
      c->cancelled = TRUE;
      g_cancellable_cancel (c->cancellable);
    }
}

static void
export_cancelled (Fixture *f, const char *phase)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  CancelAt c = { cancellable, phase, FALSE };
  g_autoptr (VrProgress) progress = vr_progress_new (cancel_at, &c);
  VrExportOptions options = { .with_disks = TRUE,
                              .copy_flags = VR_COPY_NO_REFLINK };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrExportResult) result = vr_export (
      conn, "vr-export-disks", f->out, &options, progress, cancellable,
      &error);

  g_assert_null (result);
  g_assert_true (c.cancelled);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autofree char *image = g_build_filename (f->tmp, "big.img", NULL);
  g_autoptr (virDomain) dom = NULL;
  g_autoptr (GDir) left = NULL;

  write_image (image, 64);
  dom = define_with_disks ("disk", image, NULL);
  export_cancelled (f, "disks");
  g_assert_false (g_file_test (f->out, G_FILE_TEST_EXISTS));
  export_cancelled (f, "manifest");
  g_assert_false (g_file_test (f->out, G_FILE_TEST_EXISTS));
  /* A directory that was there empty stays, empty. */
  g_assert_cmpint (g_mkdir (f->out, 0700), ==, 0);
  export_cancelled (f, "disks");
  left = g_dir_open (f->out, 0, NULL);
  g_assert_nonnull (left);
  g_assert_null (g_dir_read_name (left));
}

/* An export that fails after its managed save starts the guest again:
 * the copy of the saved state runs out of space. */
static void
test_failure_restarts (Fixture *f, gconstpointer data)
{
  g_autoptr (virDomain) dom = define_basic ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VrExportResult) result = NULL;
  g_autofree char *small = g_build_filename (f->tmp, "small", NULL);
  g_autoptr (GDir) left = NULL;

  if (geteuid () != 0)
    {
      g_test_skip ("mounting a small tmpfs needs root");
      return;
    }
  g_assert_cmpint (g_mkdir (small, 0755), ==, 0);
  g_assert_cmpint (mount ("tmpfs", small, "tmpfs", 0, "size=256k"), ==, 0);
  g_free (f->out);
  f->out = g_build_filename (small, "export", NULL);
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  result = export (f, "vr-guest", TRUE, FALSE, &error);
  g_assert_null (result);
  test_assert_error (error, VR_ERROR_FAILED, "No space left on device", NULL);
  g_assert_false (g_file_test (f->out, G_FILE_TEST_EXISTS));
  left = g_dir_open (small, 0, NULL);
  g_assert_null (g_dir_read_name (left));
  g_clear_pointer (&left, g_dir_close);
  g_assert_cmpint (virDomainIsActive (dom), ==, 1);
  g_assert_cmpint (umount (small), ==, 0);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  root = vr_testbed_new_root ("export");
  uri = vr_testbed_root_uri (root);
  conn = vr_libvirt_open (uri, &error);
  g_assert_no_error (error);
#define ADD(path, func) \
  g_test_add ("/export/" path, Fixture, NULL, fixture_set_up, func, \
              fixture_tear_down)
  ADD ("no-such-domain", test_no_such_domain);
  ADD ("transient", test_transient);
  ADD ("non-empty-dir", test_non_empty_dir);
  ADD ("running-needs-save", test_running_needs_save);
  ADD ("nothing-to-save", test_nothing_to_save);
  ADD ("defined-without-state", test_defined_without_state);
  ADD ("managed-save-exported", test_managed_save_exported);
  ADD ("save-running", test_save_running);
  ADD ("with-disks", test_with_disks);
  ADD ("to-fd", test_to_fd);
  ADD ("backing-chain-exported", test_backing_chain_exported);
  ADD ("network-backing-refused", test_network_backing_refused);
  ADD ("cdrom-and-same-names", test_cdrom_and_same_names);
  ADD ("cancel", test_cancel);
  ADD ("failure-restarts", test_failure_restarts);
#undef ADD
  status = g_test_run ();
  virConnectClose (conn);
  test_rmtree (root);
  g_free (root);
  return status;
}
