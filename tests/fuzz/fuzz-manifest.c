/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* manifest.xml of an import directory, as import checks it
 * (vr_manifest_verify): the directory is a real one made once, holding
 * the files below; each input is written as its manifest.xml. */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "fuzz-common.h"
#include "import-dir.h"
#include "manifest.h"

/* The seed corpus's manifest-fixture.xml lists these two with their
 * sizes and SHA-256, so the fuzzer starts from a manifest that holds. */
#define FIXTURE_DOMAIN_XML \
  "<domain type='kvm'>\n" \
  "  <name>vr-fuzz</name>\n" \
  "  <uuid>5a1ad0c0-7e57-4b3d-9c1e-00000000f022</uuid>\n" \
  "  <memory unit='KiB'>65536</memory>\n" \
  "  <vcpu>1</vcpu>\n" \
  "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n" \
  "</domain>\n"
#define FIXTURE_DISK "disks/disk0.img"
#define FIXTURE_DISK_DATA "not a real disk, only bytes to hash\n"

static VrImportDir *dir;

static void
make_fixture (const char *path)
{
  g_autofree char *xml = g_build_filename (path, "domain.xml", NULL);
  g_autofree char *disks = g_build_filename (path, "disks", NULL);
  g_autofree char *disk = g_build_filename (path, FIXTURE_DISK, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir (disks, 0755), ==, 0);
  g_file_set_contents (xml, FIXTURE_DOMAIN_XML, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (disk, FIXTURE_DISK_DATA, -1, &error);
  g_assert_no_error (error);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  vr_fuzz_init ();
  path = vr_fuzz_tmpdir ("vr-fuzz-manifest-XXXXXX");
  make_fixture (path);
  dir = vr_import_dir_open (path, &error);
  g_assert_no_error (error);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;

  vr_fuzz_write_at (dir->fd, VR_IMPORT_MANIFEST, data, size);
  ok = vr_manifest_verify (dir, NULL, NULL, &error);
  vr_fuzz_check_outcome (ok, error, g_utf8_validate ((const char *) data,
                                                     size, NULL));
  return 0;
}
