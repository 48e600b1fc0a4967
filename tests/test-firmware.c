/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The whole VM moves between two hosts (two embedded QEMU roots, each
 * step its own process): a UEFI guest with a TPM 2.0 keeps its variable
 * store and its TPM state, resumes on host B and boots cold there with
 * them; a new identity gets a new TPM; snapshots' metadata follows its
 * disks (two internal snapshots and an external overlay, the chain
 * carried whole) and can be reverted to on B. */
#include "config.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-util.h"
#include "testbed.h"

#define UEFI_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000004"
/* The variable store template of the firmware auto-selection picks for the
 * test bed's guest (q35, no Secure Boot: Debian ovmf's
 * 60-edk2-x86_64.json). */
#define OVMF_VARS_TEMPLATE "/usr/share/OVMF/OVMF_VARS_4M.fd"

static void
contains (const char *text, const char *needle)
{
  if (strstr (text, needle) == NULL)
    g_error ("'%s' does not contain '%s'", text, needle);
}

/* Copies src to dir/name (dir made with mode dir_mode), owned by owner
 * when there is such a user. */
static void
place (const char *src, const char *dir, int dir_mode, const char *name,
       int mode, const char *owner)
{
  g_autofree char *data = NULL;
  g_autofree char *dst = g_build_filename (dir, name, NULL);
  struct passwd *pw = owner ? getpwnam (owner) : NULL;
  gsize len = 0;

  g_assert_cmpint (g_mkdir_with_parents (dir, dir_mode), ==, 0);
  g_assert_cmpint (chmod (dir, dir_mode), ==, 0);
  g_assert_true (g_file_get_contents (src, &data, &len, NULL));
  g_assert_true (g_file_set_contents (dst, data, len, NULL));
  g_assert_cmpint (chmod (dst, mode), ==, 0);
  if (pw != NULL)
    {
      g_assert_cmpint (chown (dir, pw->pw_uid, pw->pw_gid), ==, 0);
      g_assert_cmpint (chown (dst, pw->pw_uid, pw->pw_gid), ==, 0);
    }
}

/* An NV index written into the TPM state, read back on B: the TPM there
 * is the guest's own, not a new one (tpm2-tools, on swtpm's socket). */
#define TPM_MARK_INDEX "0x1500016"
#define TPM_MARK "virt-realize-12!"

static gboolean
tpm_tools (void)
{
  g_autofree char *nvread = g_find_program_in_path ("tpm2_nvread");

  return nvread != NULL;
}

/* Runs swtpm on the state folder dir for the tpm2 commands, then stops
 * it; their output. */
static char *
with_swtpm (const char *dir, const char *commands, int *status)
{
  g_autofree char *run = test_mkdtemp ();
  g_autofree char *script = g_strdup_printf (
      "set -e; s=%s/tpm.sock; p=%s/tpm.pid; "
      "swtpm socket --tpm2 --tpmstate dir=%s --flags startup-clear --daemon "
      "--server type=unixio,path=$s --ctrl type=unixio,path=$s.ctrl "
      "--pid file=$p; export TPM2TOOLS_TCTI=swtpm:path=$s; rc=0; "
      "{ %s; } || rc=$?; pid=$(cat $p); kill $pid; "
      "while kill -0 $pid 2>/dev/null; do sleep 0.1; done; exit $rc",
      run, run, dir, commands);
  const char *argv[] = { "sh", "-c", script, NULL };
  g_auto (TestRun) result = { 0 };

  test_run (&result, argv, NULL);
  *status = result.status;
  test_rmtree (run);
  return g_strconcat (result.out, result.err, NULL);
}

static void
mark_tpm (const char *dir)
{
  int status = 0;

  g_free (with_swtpm (dir,
                      "tpm2_nvdefine " TPM_MARK_INDEX " -C o -s 16 "
                      "-a 'ownerread|ownerwrite'; printf '" TPM_MARK "' | "
                      "tpm2_nvwrite " TPM_MARK_INDEX " -C o -i -",
                      &status));
  g_assert_cmpint (status, ==, 0);
}

/* Reads a copy: B's own state stays as libvirt left it. */
static void
assert_tpm_marked (const char *dir)
{
  g_autofree char *copy = test_mkdtemp ();
  g_autofree char *src = g_build_filename (dir, "tpm2-00.permall", NULL);
  g_autofree char *out = NULL;
  int status = 0;

  place (src, copy, 0700, "tpm2-00.permall", 0600, NULL);
  out = with_swtpm (copy, "tpm2_nvread " TPM_MARK_INDEX " -C o -s 16", &status);
  g_assert_cmpint (status, ==, 0);
  contains (out, TPM_MARK);
  test_rmtree (copy);
}

static void
chown_tree_to_tss (const char *dir)
{
  struct passwd *pw = getpwnam ("tss");
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (pw == NULL)
    return;
  g_assert_cmpint (chown (dir, pw->pw_uid, pw->pw_gid), ==, 0);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_cmpint (chown (path, pw->pw_uid, pw->pw_gid), ==, 0);
    }
}

/* Host A: the test bed's UEFI guest with its own variable store (written
 * by OVMF, so not the template) and its TPM state in A's places, started
 * (a cold boot: the test bed's saved state stays out of it). */
static void
run_uefi_on_a (const char *root_a, const char *uri_a)
{
  g_autofree char *bed = vr_testbed_require ("uefi");
  g_autofree char *nvram_src
      = g_build_filename (bed, "nvram", "vr-uefi_VARS.fd", NULL);
  g_autofree char *nvram_dir
      = g_build_filename (root_a, "lib", "qemu", "nvram", NULL);
  g_autofree char *tpm_src
      = g_build_filename (bed, "tpm", "tpm2", "tpm2-00.permall", NULL);
  g_autofree char *swtpm = g_build_filename (root_a, "lib", "swtpm", NULL);
  g_autofree char *uuid_dir = g_build_filename (swtpm, UEFI_UUID, NULL);
  g_autofree char *tpm_dir = g_build_filename (uuid_dir, "tpm2", NULL);
  g_autofree char *xml = g_build_filename (bed, "domain.xml", NULL);
  g_autofree char *commands = g_strdup_printf ("define %s; start vr-uefi", xml);
  g_autofree char *out = NULL;

  place (nvram_src, nvram_dir, 0755, "vr-uefi_VARS.fd", 0600, NULL);
  g_assert_cmpint (g_mkdir_with_parents (uuid_dir, 0711), ==, 0);
  place (tpm_src, tpm_dir, 0700, "tpm2-00.permall", 0600, NULL);
  if (tpm_tools ())
    mark_tpm (tpm_dir);
  /* swtpm runs as tss (libvirt's swtpm_user). */
  chown_tree_to_tss (tpm_dir);
  out = test_virsh_all (uri_a, commands);
  g_assert_null (strstr (out, "rror"));
}

typedef struct
{
  char *root_a;
  char *root_b;
  char *uri_a;
  char *uri_b;
  char *state;
  char *parent;
  char *export;
} Hosts;

static void
hosts_init (Hosts *h, const char *a, const char *b)
{
  h->root_a = vr_testbed_new_root (a);
  h->root_b = vr_testbed_new_root (b);
  h->uri_a = vr_testbed_root_uri (h->root_a);
  h->uri_b = vr_testbed_root_uri (h->root_b);
  h->state = test_mkdtemp ();
  h->parent = test_mkdtemp ();
  h->export = g_build_filename (h->parent, "exported", NULL);
}

static void
hosts_clear (Hosts *h)
{
  test_rmtree (h->state);
  test_rmtree (h->parent);
  test_rmtree (h->root_a);
  test_rmtree (h->root_b);
  g_free (h->root_a);
  g_free (h->root_b);
  g_free (h->uri_a);
  g_free (h->uri_b);
  g_free (h->state);
  g_free (h->parent);
  g_free (h->export);
}

static char *
in_root (const char *root, const char *a, const char *b, const char *c)
{
  return g_build_filename (root, "lib", a, b, c, NULL);
}

static guint64
inode_of (const char *path)
{
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  return st.st_ino;
}

/* --new-id: the copy keeps the variable store and gets a new TPM. */
static void
check_new_id (Hosts *h, const char *exported_nvram)
{
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *nvram
      = in_root (h->root_b, "qemu", "nvram", "vr-uefi-copy_VARS.fd");
  g_autofree char *sum = NULL;
  g_autofree char *exported_sum = test_sha256_file (exported_nvram);
  g_autofree char *tpms = NULL;
  char *out;
  int status = 0;

  out = test_cli_direct (state, h->uri_b, &status, "import", h->export,
                         "--new-id", "--discard-saved-state", "--name",
                         "vr-uefi-copy", NULL);
  test_expect (out, status, 0, "gets a new TPM");
  out = test_cli_direct (state, h->uri_b, &status, "realize", "vr-uefi-copy",
                         NULL);
  test_expect (out, status, 0, "realized as domain 'vr-uefi-copy'");
  sum = test_sha256_file (nvram);
  g_assert_cmpstr (sum, ==, exported_sum);
  /* The only TPM state in B is the original's (the copy's comes at its
   * first start, from swtpm_setup). */
  tpms = g_build_filename (h->root_b, "lib", "swtpm", NULL);
  g_assert_cmpuint (test_count_entries (tpms), ==, 1);
  g_free (test_virsh_all (h->uri_b, "undefine vr-uefi-copy --nvram"));
  test_rmtree (state);
}

static void
test_uefi_tpm (void)
{
  Hosts h;
  g_autofree char *exported_nvram = NULL;
  g_autofree char *exported_tpm = NULL;
  g_autofree char *b_nvram = NULL;
  g_autofree char *b_tpm = NULL;
  g_autofree char *sum_nvram = NULL;
  g_autofree char *sum_tpm = NULL;
  g_autofree char *template_sum = NULL;
  g_autofree char *b_sum = NULL;
  g_autofree char *log = NULL;
  g_autofree char *qemu_log = NULL;
  g_autofree char *swtpm_log = NULL;
  g_autofree char *text = NULL;
  g_autofree char *swtpm = g_find_program_in_path ("swtpm");
  g_autofree char *b_tpm_dir = NULL;
  guint64 nvram_ino;
  char *out;
  int status = 0;

  if (!g_file_test (OVMF_VARS_TEMPLATE, G_FILE_TEST_EXISTS) || swtpm == NULL)
    {
      g_test_skip ("needs Debian's ovmf and swtpm (scripts/deps.txt)");
      return;
    }
  hosts_init (&h, "fw-a", "fw-b");
  exported_nvram
      = g_build_filename (h.export, "nvram", "vr-uefi_VARS.fd", NULL);
  exported_tpm
      = g_build_filename (h.export, "tpm", "tpm2", "tpm2-00.permall", NULL);
  b_nvram = in_root (h.root_b, "qemu", "nvram", "vr-uefi_VARS.fd");
  b_tpm = g_build_filename (h.root_b, "lib", "swtpm", UEFI_UUID, "tpm2",
                            "tpm2-00.permall", NULL);
  run_uefi_on_a (h.root_a, h.uri_a);
  out = test_cli_direct (h.state, h.uri_a, &status, "export", "vr-uefi",
                         h.export, "--save", "--with-disks", NULL);
  test_expect (out, status, 0, "the TPM state in tpm/");
  /* The guest's own store, not a fresh one from the template. */
  template_sum = test_sha256_file (OVMF_VARS_TEMPLATE);
  sum_nvram = test_sha256_file (exported_nvram);
  sum_tpm = test_sha256_file (exported_tpm);
  g_assert_cmpstr (sum_nvram, !=, template_sum);

  out = test_cli_direct (h.state, h.uri_b, &status, "import", h.export, NULL);
  test_expect (out, status, 0, "imported");
  text = test_cli_direct (h.state, h.uri_b, &status, "show", "vr-uefi", NULL);
  contains (text, "nvram/vr-uefi_VARS.fd");
  contains (text, "tpm/tpm2/");
  out = test_cli_direct (h.state, h.uri_b, &status, "validate", "vr-uefi",
                         NULL);
  test_expect (out, status, 0, "fits this host");
  out = test_cli_direct (h.state, h.uri_b, &status, "realize", "vr-uefi", NULL);
  test_expect (out, status, 0, "realized as domain 'vr-uefi'");

  /* B holds exactly what was exported. */
  b_sum = test_sha256_file (b_nvram);
  g_assert_cmpstr (b_sum, ==, sum_nvram);
  g_free (b_sum);
  b_sum = test_sha256_file (b_tpm);
  g_assert_cmpstr (b_sum, ==, sum_tpm);
  nvram_ino = inode_of (b_nvram);

  /* It resumes, then boots cold with the same store and TPM. */
  log = test_virsh_all (h.uri_b, "start vr-uefi; domstate --reason vr-uefi; "
                                 "destroy vr-uefi; start vr-uefi; "
                                 "domstate --reason vr-uefi; destroy vr-uefi");
  contains (log, "running (restored)");
  contains (log, "running (booted)");
  qemu_log = g_build_filename (h.root_b, "log", "qemu", "vr-uefi.log", NULL);
  g_free (text);
  g_assert_true (g_file_get_contents (qemu_log, &text, NULL, NULL));
  contains (text, "-incoming");
  /* libvirt made no variable store from the template and ran no
   * swtpm_setup: the carried ones were used. */
  g_assert_cmpuint (inode_of (b_nvram), ==, nvram_ino);
  g_free (b_sum);
  b_sum = test_sha256_file (b_nvram);
  g_assert_cmpstr (b_sum, !=, template_sum);
  g_assert_true (g_file_test (b_tpm, G_FILE_TEST_IS_REGULAR));
  swtpm_log
      = g_build_filename (h.root_b, "log", "swtpm", "vr-uefi-swtpm.log", NULL);
  g_free (text);
  text = NULL;
  g_file_get_contents (swtpm_log, &text, NULL, NULL);
  g_assert_null (text ? strstr (text, "manufacturing") : NULL);
  b_tpm_dir = g_path_get_dirname (b_tpm);
  if (tpm_tools ())
    assert_tpm_marked (b_tpm_dir);
  else
    g_test_message ("tpm2-tools missing: the TPM's NV index not read back");

  check_new_id (&h, exported_nvram);
  g_free (test_virsh_all (h.uri_b,
                          "undefine vr-uefi --nvram --tpm --managed-save"));
  g_free (test_virsh_all (h.uri_a,
                          "undefine vr-uefi --nvram --tpm --managed-save"));
  hosts_clear (&h);
}

/* The test bed's disk guest on A with its qcow2 under A. */
static void
define_disk_guest_on_a (const char *root_a, const char *uri_a)
{
  g_autofree char *bed = vr_testbed_require ("disk");
  g_autofree char *images = g_build_filename (root_a, "images", NULL);
  g_autofree char *src = g_build_filename (bed, "disks", "disk0.qcow2", NULL);
  g_autofree char *xml_path = g_build_filename (bed, "domain.xml", NULL);
  g_autofree char *disk = g_build_filename (images, "disk0.qcow2", NULL);
  g_autofree char *xml = NULL;
  g_autofree char *dom = g_build_filename (root_a, "dom.xml", NULL);
  g_autofree char *commands = NULL;
  g_autofree char *out = NULL;
  g_autoptr (GString) text = NULL;

  place (src, images, 0755, "disk0.qcow2", 0644, NULL);
  g_assert_true (g_file_get_contents (xml_path, &xml, NULL, NULL));
  text = g_string_new (xml);
  g_string_replace (text, "disks/disk0.qcow2", disk, 0);
  g_assert_true (g_file_set_contents (dom, text->str, -1, NULL));
  commands = g_strdup_printf ("define %s", dom);
  out = test_virsh_all (uri_a, commands);
  g_assert_null (strstr (out, "rror"));
}

static void
test_snapshots (void)
{
  Hosts h;
  g_autofree char *tree_a = NULL;
  g_autofree char *tree_b = NULL;
  g_autofree char *log = NULL;
  g_autofree char *overlay = NULL;
  const char *info_argv[] = { "qemu-img", "info", "-U", NULL, NULL };
  g_auto (TestRun) info = { 0 };
  char *out;
  int status = 0;

  hosts_init (&h, "snap-a", "snap-b");
  define_disk_guest_on_a (h.root_a, h.uri_a);
  /* Two internal snapshots of the shut-off guest (inside its qcow2), then
   * an external one: the disk becomes an overlay on that qcow2. */
  g_free (test_virsh_all (h.uri_a, "snapshot-create-as vr-guest-disk s1; "
                                   "snapshot-create-as vr-guest-disk s2; "
                                   "snapshot-create-as vr-guest-disk s3 "
                                   "--disk-only"));
  tree_a = test_virsh (h.uri_a, "snapshot-list vr-guest-disk --tree");
  contains (tree_a, "s3");
  out = test_cli_direct (h.state, h.uri_a, &status, "export", "vr-guest-disk",
                         h.export, "--with-disks", NULL);
  test_expect (out, status, 0, "3 snapshots in snapshots/");
  out = test_cli_direct (h.state, h.uri_b, &status, "import", h.export, NULL);
  test_expect (out, status, 0, "imported");
  out = test_cli_direct (h.state, h.uri_b, &status, "show", "vr-guest-disk",
                         NULL);
  test_expect (out, status, 0, "s1, s2, s3 (current)");
  out = test_cli_direct (h.state, h.uri_b, &status, "realize", "vr-guest-disk",
                         "--copy-disks", NULL);
  test_expect (out, status, 0, "realized");
  tree_b = test_virsh (h.uri_b, "snapshot-list vr-guest-disk --tree");
  g_assert_cmpstr (tree_b, ==, tree_a);
  /* The overlay's copy names the base's copy beside it in B's pool. */
  overlay = g_build_filename (h.root_b, "lib", "libvirt", "images",
                              "vr-guest-disk-disk0.s3", NULL);
  info_argv[3] = overlay;
  test_run (&info, info_argv, NULL);
  contains (info.out, "backing file: vr-guest-disk-disk0.qcow2");
  log = test_virsh_all (h.uri_b, "snapshot-current vr-guest-disk --name; "
                                 "snapshot-revert vr-guest-disk s1; "
                                 "snapshot-current vr-guest-disk --name");
  g_assert_null (strstr (log, "rror"));
  /* The current one was s3 on A and is on B; after the revert, s1. */
  g_strstrip (log);
  g_assert_true (g_str_has_prefix (log, "s3"));
  g_assert_true (g_str_has_suffix (log, "s1"));
  g_free (
      test_virsh_all (h.uri_b, "undefine vr-guest-disk --snapshots-metadata"));
  g_free (
      test_virsh_all (h.uri_a, "undefine vr-guest-disk --snapshots-metadata"));
  hosts_clear (&h);
}

/* What a realize left in B's NVRAM and swtpm folders, as "name name …". */
static char *
firmware_leftovers (const char *root)
{
  g_autofree char *nvram
      = g_build_filename (root, "lib", "qemu", "nvram", NULL);
  g_autofree char *swtpm = g_build_filename (root, "lib", "swtpm", NULL);
  g_autofree char *a = test_snapshot_tree (nvram);
  g_autofree char *b = test_snapshot_tree (swtpm);

  return g_strconcat (a ? a : "", "|", b ? b : "", NULL);
}

static void
wait_for (const char *path)
{
  for (guint i = 0; i < 600 && !g_file_test (path, G_FILE_TEST_EXISTS); i++)
    g_usleep (G_USEC_PER_SEC / 10);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* A failure after the NVRAM and TPM state were placed removes them and
 * nothing else (another guest's store beside them stays); a realize
 * killed there is undone by the next one, which then succeeds. */
static void
test_rollback (void)
{
  g_autofree char *root = vr_testbed_new_root ("fw-rollback");
  g_autofree char *uri = vr_testbed_root_uri (root);
  g_autofree char *bed = vr_testbed_require ("uefi");
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *nvram_dir
      = g_build_filename (root, "lib", "qemu", "nvram", NULL);
  g_autofree char *tpm
      = g_build_filename (root, "lib", "swtpm", UEFI_UUID, NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_auto (GStrv) env
      = g_environ_setenv (g_get_environ (), "VR_TEST_STALL_AT", "update", TRUE);
  const char *argv[]
      = { g_getenv ("VR_CLI"), "--direct", "--state-dir", state, "-c", uri,
          "realize",           "vr-uefi",  NULL };
  g_autoptr (GError) error = NULL;
  GPid pid;
  g_autofree char *swtpm = g_build_filename (root, "lib", "swtpm", NULL);
  g_autofree char *journal
      = g_build_filename (state, UEFI_UUID, "journal.xml", NULL);
  g_autofree char *text = NULL;
  int wait_status = 0;
  char *out;
  int status = 0;

  if (!test_needs_hooks ())
    return;
  g_assert_cmpint (g_mkdir_with_parents (nvram_dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (swtpm, 0711), ==, 0);
  test_write_file (nvram_dir, "other_VARS.fd", "another guest's", -1);
  before = firmware_leftovers (root);
  out = test_cli_direct (state, uri, &status, "import", bed, NULL);
  test_expect (out, status, 0, "imported");
  g_setenv ("VR_TEST_FAIL_AT", "tpm", TRUE);
  out = test_cli_direct (state, uri, &status, "realize", "vr-uefi", NULL);
  g_unsetenv ("VR_TEST_FAIL_AT");
  test_expect (out, status, 1, "failed at tpm");
  after = firmware_leftovers (root);
  g_assert_cmpstr (after, ==, before);

  g_spawn_async (NULL, (char **)argv, env,
                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                 NULL, &pid, &error);
  g_assert_no_error (error);
  wait_for (tpm);
  g_usleep (G_USEC_PER_SEC / 2);
  kill (pid, SIGKILL);
  /* The journal names the placed files, in its schema. */
  g_assert_true (g_file_get_contents (journal, &text, NULL, NULL));
  test_assert_valid_rng ("realize-journal.rng", text);
  contains (text, "<swtpm-dir");
  contains (text, "dir=\"nvram\"");
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_spawn_close_pid (pid);
  out = test_cli_direct (state, uri, &status, "realize", "vr-uefi", NULL);
  test_expect (out, status, 0, "realized");
  g_free (after);
  after = firmware_leftovers (root);
  g_assert_null (strstr (after, ".vr-"));
  g_free (
      test_virsh_all (uri, "undefine vr-uefi --nvram --tpm --managed-save"));
  g_free (after);
  after = firmware_leftovers (root);
  g_assert_cmpstr (after, ==, before);
  test_rmtree (state);
  test_rmtree (root);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/firmware/uefi-tpm-round-trip", test_uefi_tpm);
  g_test_add_func ("/firmware/snapshots", test_snapshots);
  g_test_add_func ("/firmware/rollback", test_rollback);
  return g_test_run ();
}
