/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-realize export as a person runs it, then import of what it wrote:
 * the manifest is checked, and a damaged or extra file is named; Ctrl-C
 * in the middle of a disk copy leaves no directory. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "safe-xml.h"
#include "test-util.h"
#include "testbed.h"

static char *root;
static char *uri;

static void
assert_contains (const char *text, const char *needle)
{
  if (strstr (text, needle) == NULL)
    g_error ("'%s' not found in: %s", needle, text);
}

static void
flip_byte (const char *path, goffset offset)
{
  int fd = open (path, O_RDWR | O_CLOEXEC);
  char c = 0;

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pread (fd, &c, 1, offset), ==, 1);
  c ^= 0x01;
  g_assert_cmpint (pwrite (fd, &c, 1, offset), ==, 1);
  close (fd);
}

static void
test_export_then_import (void)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autofree char *tmp = test_mkdtemp ();
  g_autofree char *out = g_build_filename (tmp, "vr-guest", NULL);
  g_autofree char *state = g_build_filename (tmp, "state", NULL);
  g_autofree char *state2 = g_build_filename (tmp, "state2", NULL);
  g_autofree char *command = g_strdup_printf (
      "define %s/domain.xml; start vr-guest", basic);
  g_autofree char *exported = NULL;
  g_autofree char *imported = NULL;
  g_autofree char *damaged = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *save = g_build_filename (out, "vr-guest.save", NULL);
  g_autofree char *gone = NULL;
  int status = -1;

  g_free (test_virsh (uri, command));
  exported = test_cli_direct (state, uri, &status, "export", "vr-guest", out,
                              "--save", NULL);
  g_assert_cmpint (status, ==, 0);
  assert_contains (exported, "Domain 'vr-guest' exported to");
  assert_contains (exported, "vr-guest.save (saved state)");
  assert_contains (exported, "It was running");
  /* Two copies of one guest must not run. */
  assert_contains (exported, "do not start it here again");
  imported = test_cli_direct (state, uri, &status, "import", out, NULL);
  g_assert_cmpint (status, ==, 0);
  assert_contains (imported, "imported from");
  /* The guest memory changed in transit: the file is named. */
  flip_byte (save, 200000);
  damaged = test_cli_direct (state2, uri, &status, "import", out, NULL);
  g_assert_cmpint (status, ==, 1);
  assert_contains (damaged, "vr-guest.save: SHA-256");
  flip_byte (save, 200000);
  test_write_file (out, "README", "mine", -1);
  extra = test_cli_direct (state2, uri, &status, "import", out, NULL);
  g_assert_cmpint (status, ==, 1);
  assert_contains (extra, "README: extra file");
  gone = test_virsh (uri, "undefine --managed-save vr-guest; list --all --name");
  g_assert_cmpstr (gone, ==, "");
  test_rmtree (tmp);
}

static void
test_refusals_write_nothing (void)
{
  g_autofree char *tmp = test_mkdtemp ();
  g_autofree char *out = g_build_filename (tmp, "export", NULL);
  g_autofree char *state = g_build_filename (tmp, "state", NULL);
  g_autofree char *missing = NULL;
  g_autofree char *usage = NULL;
  int status = -1;

  missing = test_cli_direct (state, uri, &status, "export", "no-such-guest",
                             out, NULL);
  g_assert_cmpint (status, ==, 1);
  assert_contains (missing, "Invalid parameter (32773): no domain "
                            "'no-such-guest'");
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  usage = test_cli_direct (state, uri, &status, "export", "vr-guest", NULL);
  g_assert_cmpint (status, ==, 2);
  test_rmtree (tmp);
}

/* A guest (never started) with one raw disk of mib MiB. */
static char *
big_disk_guest_xml (const char *tmp, guint mib)
{
  g_autofree char *xml_path = NULL;
  g_autofree char *disk_dir = vr_testbed_require ("disk");
  g_autofree char *image = g_build_filename (tmp, "big.img", NULL);
  g_autofree char *chunk = g_malloc (1 << 20);
  g_autofree char *xml = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  int fd = open (image, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  memset (chunk, 0x5a, 1 << 20);
  for (guint i = 0; i < mib; i++)
    g_assert_cmpint (write (fd, chunk, 1 << 20), ==, 1 << 20);
  close (fd);
  xml_path = g_build_filename (disk_dir, "domain.xml", NULL);
  g_assert_true (g_file_get_contents (xml_path, &xml, NULL, NULL));
  doc = vr_xml_parse_buffer (xml, strlen (xml), "domain.xml", "domain",
                             &error);
  g_assert_no_error (error);
  xmlSetProp (vr_xml_xpath_node (doc, "/domain/devices/disk/source"),
              (const xmlChar *) "file", (const xmlChar *) image);
  xmlSetProp (vr_xml_xpath_node (doc, "/domain/devices/disk/driver"),
              (const xmlChar *) "type", (const xmlChar *) "raw");
  text = vr_xml_to_string (doc);
  test_write_file (tmp, "guest.xml", text, -1);
  return g_build_filename (tmp, "guest.xml", NULL);
}

static void
wait_for_disk_copy (const char *out)
{
  g_autofree char *disks = g_build_filename (out, "disks", NULL);

  for (int i = 0; i < 300; i++)
    {
      g_autoptr (GDir) dir = g_dir_open (disks, 0, NULL);

      if (dir != NULL && g_dir_read_name (dir) != NULL)
        return;
      g_usleep (G_USEC_PER_SEC / 10);
    }
  g_error ("the export never started copying its disk");
}

static void
test_ctrl_c_leaves_nothing (void)
{
  g_autofree char *tmp = test_mkdtemp ();
  g_autofree char *out = g_build_filename (tmp, "export", NULL);
  g_autofree char *xml = big_disk_guest_xml (tmp, 128);
  g_autofree char *command = g_strdup_printf ("define %s", xml);
  g_autofree char *gone = NULL;
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "VR_TEST_SLOW_COPY",
                                         "1", TRUE);
  const char *argv[] = { g_getenv ("VR_CLI"), "--direct", "-c", uri,
                         "export", "vr-guest-disk", out, "--with-disks",
                         NULL };
  g_autoptr (GError) error = NULL;
  GPid pid;
  int wait_status = 0;

  g_free (test_virsh (uri, command));
  if (!test_needs_hooks ())
    return;

  g_spawn_async (NULL, (char **) argv, env, G_SPAWN_DO_NOT_REAP_CHILD
                 | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  wait_for_disk_copy (out);
  kill (pid, SIGINT);
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_assert_true (WIFEXITED (wait_status));
  /* Cancelled, not failed: 130 as a shell reports Ctrl-C. */
  g_assert_cmpint (WEXITSTATUS (wait_status), ==, 130);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  gone = test_virsh (uri, "undefine vr-guest-disk; list --all --name");
  g_assert_cmpstr (gone, ==, "");
  test_rmtree (tmp);
}

/* Without --with-disks, export says which disks stay behind and the flag
 * that carries them. */
static void
test_disks_left_said (void)
{
  g_autofree char *tmp = test_mkdtemp ();
  g_autofree char *out = g_build_filename (tmp, "export", NULL);
  g_autofree char *xml = big_disk_guest_xml (tmp, 1);
  g_autofree char *command = g_strdup_printf ("define %s", xml);
  g_autofree char *exported = NULL;
  g_autofree char *gone = NULL;
  int status = -1;

  g_free (test_virsh (uri, command));
  exported = test_cli_direct (tmp, uri, &status, "export", "vr-guest-disk",
                              out, NULL);
  g_assert_cmpint (status, ==, 0);
  assert_contains (exported, "1 disk image not carried");
  assert_contains (exported, "--with-disks");
  gone = test_virsh (uri, "undefine vr-guest-disk; list --all --name");
  g_assert_cmpstr (gone, ==, "");
  test_rmtree (tmp);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  root = vr_testbed_new_root ("cli-export");
  uri = vr_testbed_root_uri (root);
  g_test_add_func ("/cli-export/export-then-import", test_export_then_import);
  g_test_add_func ("/cli-export/refusals-write-nothing",
                   test_refusals_write_nothing);
  g_test_add_func ("/cli-export/ctrl-c-leaves-nothing",
                   test_ctrl_c_leaves_nothing);
  g_test_add_func ("/cli-export/disks-left-said", test_disks_left_said);
  status = g_test_run ();
  test_rmtree (root);
  g_free (root);
  g_free (uri);
  return status;
}
