/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The whole round trip between two hosts (two embedded QEMU roots), as a
 * person at a shell does it: a guest with a qcow2 disk runs on host A and
 * its disk is written to; virt-realize exports it there with --save
 * --with-disks; the export is imported, validated and realized with
 * --copy-disks on host B; started there, it resumes (restore, not boot),
 * and the disk in B's pool is the exported one, byte for byte. Every step
 * is its own process: a process may open only one embedded root. */
#include "config.h"

#include <string.h>
#include <sys/wait.h>

#include "safe-xml.h"
#include "test-util.h"
#include "testbed.h"


/* Host A: the test bed's disk guest defined with its disk under A, started,
 * and its disk written to through QEMU while it runs. */
static void
run_guest_on_a (const char *root_a, const char *uri_a, char **original)
{
  g_autofree char *bed = vr_testbed_require ("disk");
  g_autofree char *images = g_build_filename (root_a, "images", NULL);
  g_autofree char *disk = g_build_filename (images, "disk0.qcow2", NULL);
  g_autofree char *src = g_build_filename (bed, "disks", "disk0.qcow2", NULL);
  g_autofree char *xml_path = g_build_filename (bed, "domain.xml", NULL);
  g_autofree char *xml = NULL;
  g_autofree char *data = NULL;
  g_autofree char *dom = g_build_filename (root_a, "dom.xml", NULL);
  g_autofree char *before = NULL;
  g_autofree char *commands = NULL;
  g_autofree char *out = NULL;
  g_autofree char *text = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 0;

  g_assert_cmpint (g_mkdir_with_parents (images, 0755), ==, 0);
  g_assert_true (g_file_get_contents (src, &data, &len, NULL));
  g_assert_true (g_file_set_contents (disk, data, len, NULL));
  g_assert_true (g_file_get_contents (xml_path, &xml, NULL, NULL));
  doc = vr_xml_parse_buffer (xml, strlen (xml), xml_path, "domain", &error);
  g_assert_no_error (error);
  xmlSetProp (vr_xml_xpath_node (doc, "/domain/devices/disk/source"),
              (const xmlChar *) "file", (const xmlChar *) disk);
  text = vr_xml_to_string (doc);
  g_assert_true (g_file_set_contents (dom, text, -1, NULL));
  before = test_sha256_file (disk);
  commands = g_strdup_printf (
      "define %s; start vr-guest-disk; qemu-monitor-command vr-guest-disk "
      "--hmp 'qemu-io -d /machine/peripheral/virtio-disk0/virtio-backend "
      "\"write -P 0x5a 0 64k\"'", dom);
  out = test_virsh_all (uri_a, commands);
  g_assert_null (strstr (out, "rror"));
  /* QEMU flushes the write when the guest is saved, by the export. */
  *original = g_steal_pointer (&before);
}


static void
test_round_trip (void)
{
  g_autofree char *root_a = vr_testbed_new_root ("trip-a");
  g_autofree char *root_b = vr_testbed_new_root ("trip-b");
  g_autofree char *uri_a = vr_testbed_root_uri (root_a);
  g_autofree char *uri_b = vr_testbed_root_uri (root_b);
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *parent = test_mkdtemp ();
  g_autofree char *export = g_build_filename (parent, "exported", NULL);
  g_autofree char *exported_disk = g_build_filename (export, "disks",
                                                     "disk0.qcow2", NULL);
  g_autofree char *pool_disk = g_build_filename (
      root_b, "lib", "libvirt", "images", "vr-guest-disk-disk0.qcow2", NULL);
  g_autofree char *original = NULL;
  g_autofree char *exported_sum = NULL;
  g_autofree char *pool_sum = NULL;
  char *out;
  int status = 0;

  run_guest_on_a (root_a, uri_a, &original);
  out = test_cli_direct (state, uri_a, &status, "export", "vr-guest-disk",
                         export, "--save", "--with-disks", NULL);
  test_expect (out, status, 0, NULL);
  exported_sum = test_sha256_file (exported_disk);
  /* The export holds the disk as the running guest left it. */
  g_assert_cmpstr (exported_sum, !=, original);
  out = test_cli_direct (state, uri_b, &status, "import", export, NULL);
  test_expect (out, status, 0, "imported");
  out = test_cli_direct (state, uri_b, &status, "validate", "vr-guest-disk",
                         NULL);
  /* The hint names the option by its key, as both front ends take it. */
  test_expect (out, status, 3, "with the copy-disks option");
  out = test_cli_direct (state, uri_b, &status, "validate", "vr-guest-disk",
                         "--copy-disks", NULL);
  test_expect (out, status, 0, NULL);
  out = test_cli_direct (state, uri_b, &status, "realize", "vr-guest-disk",
                         "--copy-disks", NULL);
  test_expect (out, status, 0, "realized as domain 'vr-guest-disk'");
  pool_sum = test_sha256_file (pool_disk);
  g_assert_cmpstr (pool_sum, ==, exported_sum);
  out = test_virsh_all (uri_b,
                        "start vr-guest-disk; domstate --reason vr-guest-disk; "
                        "dommemstat vr-guest-disk; destroy vr-guest-disk; "
                        "undefine vr-guest-disk --managed-save");
  test_expect (out, 0, 0, "running (restored)");
  g_free (test_virsh_all (uri_a, "undefine vr-guest-disk --managed-save"));
  test_rmtree (state);
  test_rmtree (parent);
  test_rmtree (root_a);
  test_rmtree (root_b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/roundtrip/export-import-realize-resume",
                   test_round_trip);
  return g_test_run ();
}
