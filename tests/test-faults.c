/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Real I/O faults (root only): ENOSPC from size-limited tmpfs mounts, EIO
 * from an ext4 filesystem on a loop device whose backing file lies on a
 * full tmpfs (its write-back fails), a full state directory, and libvirtd
 * restarted in the middle of a realize. Each fault must end with a clear
 * error naming the file and the errno, no half-realized planned system,
 * nothing of the job left, the source untouched; after the fault is gone a
 * retry works. Everything runs through the CLI (--direct), so this process
 * never opens an embedded root itself. */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safe-xml.h"
#include "test-util.h"
#include "testbed.h"

#define BASIC_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000001"
#define DISK_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000002"
#define SENTINEL "other.img"
#define ENOSPC_TEXT "No space left on device"
#define EIO_TEXT "Input/output error"
#define WAIT_SECONDS 120

static char *root;
static char *uri;

/* ---- filesystems ---------------------------------------------------- */

/* Runs a command to its end; it must succeed. Returns its stdout. */
static char *
run_va (const char *first, va_list ap)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_auto (TestRun) run = { 0 };

  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, NULL);
  test_run (&run, (const char *const *) argv->pdata, NULL);
  g_assert_cmpint (run.status, ==, 0);
  return g_strdup (g_strstrip (run.out));
}

static void
run_ok (const char *first, ...)
{
  va_list ap;

  va_start (ap, first);
  g_free (run_va (first, ap));
  va_end (ap);
}

static char *
run_out (const char *first, ...)
{
  va_list ap;
  char *out;

  va_start (ap, first);
  out = run_va (first, ap);
  va_end (ap);
  return out;
}

/* A new tmpfs of size ("8m") on a new directory, traversable by QEMU. */
static char *
mount_tmpfs (const char *size)
{
  char *dir = test_mkdtemp ();
  g_autofree char *options = g_strdup_printf ("size=%s,mode=0755", size);

  run_ok ("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir, NULL);
  return dir;
}

static void
unmount (char *dir)
{
  run_ok ("umount", dir, NULL);
  g_assert_cmpint (rmdir (dir), ==, 0);
  g_free (dir);
}

/* Writes zeros into dir/name until the filesystem is full. */
static void
fill (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *chunk = g_malloc0 (64 << 10);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  while (write (fd, chunk, 64 << 10) > 0)
    ;
  /* The last partial block. */
  while (write (fd, chunk, 512) > 0)
    ;
  g_assert_cmpint (errno, ==, ENOSPC);
  close (fd);
}

static void
unfill (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_cmpint (unlink (path), ==, 0);
}

/* An ext4 filesystem that fails writes with EIO on demand: it lives on a
 * loop device over a memfd; sealing the memfd against writes (F_SEAL_WRITE)
 * makes the loop device's every write fail with EPERM, which the block
 * layer reports as EIO (a full backing tmpfs would give ENOSPC instead).
 * Writes land in the page cache; the fdatasync of a copy fails. */
typedef struct {
  int memfd;
  char *loop;
  char *mnt;
} FailingFs;

static gboolean
failing_fs_new (FailingFs *fs)
{
  g_autofree char *backing = NULL;

  if (!g_file_test ("/usr/sbin/mkfs.ext4", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("no mkfs.ext4 (e2fsprogs)");
      return FALSE;
    }
  fs->memfd = memfd_create ("vr-failing-fs", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  g_assert_cmpint (fs->memfd, >=, 0);
  g_assert_cmpint (ftruncate (fs->memfd, 64 << 20), ==, 0);
  backing = g_strdup_printf ("/proc/%d/fd/%d", (int) getpid (), fs->memfd);
  fs->loop = run_out ("losetup", "--find", "--show", backing, NULL);
  /* No journal, every inode table written now: later writes are data. */
  run_ok ("mkfs.ext4", "-q", "-F", "-O", "^has_journal", "-E",
          "lazy_itable_init=0,nodiscard", fs->loop, NULL);
  fs->mnt = test_mkdtemp ();
  run_ok ("mount", "-o", "errors=continue", fs->loop, fs->mnt, NULL);
  g_assert_cmpint (chmod (fs->mnt, 0755), ==, 0);
  run_ok ("sync", "-f", fs->mnt, NULL);
  g_assert_cmpint (fcntl (fs->memfd, F_ADD_SEALS, F_SEAL_WRITE), ==, 0);
  return TRUE;
}

static void
failing_fs_free (FailingFs *fs)
{
  unmount (fs->mnt);
  run_ok ("losetup", "-d", fs->loop, NULL);
  g_free (fs->loop);
  close (fs->memfd);
}

/* ---- the CLI and what it leaves ------------------------------------- */

static char *
cli (const char *state, int *status, const char *const *args)
{
  g_autoptr (GPtrArray) argv = test_cli_argv (NULL, state, uri, args);
  g_auto (TestRun) run = { 0 };

  test_run (&run, (const char *const *) argv->pdata, NULL);
  *status = run.status;
  return g_strconcat (run.out, run.err, NULL);
}

static void
import_with (const char *state, const char *dir, const char *flag)
{
  const char *args[] = { "import", dir, flag, NULL };
  int status;

  g_free (cli (state, &status, args));
  g_assert_cmpint (status, ==, 0);
}

static void
import (const char *state, const char *dir)
{
  import_with (state, dir, NULL);
}

static void
assert_error (const char *out, const char *file, const char *errno_text)
{
  g_assert_nonnull (strstr (out, "error: "));
  g_assert_nonnull (strstr (out, file));
  g_assert_nonnull (strstr (out, errno_text));
}

/* The pool holds the sentinel, unchanged, and nothing else (an ext4
 * root's lost+found aside). */
static void
assert_pool_as_it_was (const char *pool)
{
  g_autoptr (GDir) dir = g_dir_open (pool, 0, NULL);
  g_autofree char *sentinel = g_build_filename (pool, SENTINEL, NULL);
  g_autofree char *text = NULL;
  const char *entry;

  g_assert_nonnull (dir);
  while ((entry = g_dir_read_name (dir)) != NULL)
    if (!g_str_equal (entry, SENTINEL) && !g_str_equal (entry, "lost+found"))
      g_error ("%s/%s is left", pool, entry);
  g_assert_true (g_file_get_contents (sentinel, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "not ours");
}

/* The realize of uuid failed and left nothing: the planned system is not
 * half-realized, no journal, the pool holds only the sentinel, no domain,
 * no managed save. */
static void
assert_nothing_left (const char *state, const char *uuid, const char *name,
                     const char *pool)
{
  g_autofree char *st = test_record_state (state, uuid);
  g_autofree char *journal = g_build_filename (state, uuid, "journal.xml",
                                               NULL);
  g_autofree char *managed = g_strdup_printf ("%s/lib/qemu/save/%s.save",
                                              root, name);
  g_autofree char *uuids = test_virsh (uri, "list --all --uuid");

  g_assert_true (g_strcmp0 (st, "planned") == 0
                 || g_strcmp0 (st, "failed") == 0);
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  assert_pool_as_it_was (pool);
  g_assert_false (g_file_test (managed, G_FILE_TEST_EXISTS));
  g_assert_null (strstr (uuids, uuid));
}

/* After the fault: a realize into a sound pool works. */
static void
assert_retry_works (const char *state, const char *name, const char *uuid,
                    gboolean copy_disks)
{
  g_autofree char *pool = test_mkdtemp ();
  const char *args[] = { "realize", name, "--pool-dir", pool,
                         copy_disks ? "--copy-disks" : NULL, NULL };
  int status;
  g_autofree char *out = NULL;
  g_autofree char *st = NULL;
  g_autofree char *cmd = g_strdup_printf (
      "destroy %s; undefine %s --managed-save --nvram", uuid, uuid);

  g_assert_cmpint (chmod (pool, 0755), ==, 0);
  out = cli (state, &status, args);
  g_assert_cmpint (status, ==, 0);
  st = test_record_state (state, uuid);
  g_assert_cmpstr (st, ==, "realized");
  g_free (test_virsh (uri, cmd));
  test_rmtree (pool);
}

static gboolean
needs_root (void)
{
  if (getuid () == 0)
    return TRUE;
  g_test_skip ("needs root (mounts tmpfs and loop filesystems)");
  return FALSE;
}

/* A realize into pool that must fail on the copy of file with errno_text. */
static void
realize_fails_with (const char *dir, const char *import_flag,
                    const char *name, const char *uuid, gboolean copy_disks,
                    const char *pool, const char *file,
                    const char *errno_text)
{
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *tree = test_snapshot_tree (dir);
  g_autofree char *after = NULL;
  g_autofree char *out = NULL;
  const char *args[] = { "realize", name, "--pool-dir", pool,
                         copy_disks ? "--copy-disks" : NULL, NULL };
  int status;

  test_write_file (pool, SENTINEL, "not ours", -1);
  import_with (state, dir, import_flag);
  out = cli (state, &status, args);
  g_assert_cmpint (status, ==, 1);
  assert_error (out, file, errno_text);
  assert_nothing_left (state, uuid, name, pool);
  after = test_snapshot_tree (dir);
  g_assert_cmpstr (after, ==, tree);
  assert_retry_works (state, name, uuid, copy_disks);
  test_rmtree (state);
}

static void
realize_fails (const char *dir, const char *name, const char *uuid,
               gboolean copy_disks, const char *pool, const char *file,
               const char *errno_text)
{
  realize_fails_with (dir, NULL, name, uuid, copy_disks, pool, file,
                      errno_text);
}

/* ---- realize: the copies ------------------------------------------ */

static void
test_enospc_save_copy (void)
{
  if (!needs_root ())
    return;
  g_autofree char *dir = vr_testbed_large_import (32);
  char *pool = mount_tmpfs ("8m");

  realize_fails (dir, "vr-guest", BASIC_UUID, FALSE, pool, "vr-guest.save",
                 ENOSPC_TEXT);
  unmount (pool);
  test_rmtree (dir);
}

/* The disk variant with 8 MiB more in its qcow2 file (QEMU ignores data
 * past what the image uses): the save image fits, the disk does not. */
static char *
big_disk_import (void)
{
  g_autofree char *disk = vr_testbed_require ("disk");
  g_autoptr (GError) error = NULL;
  char *dir = vr_testbed_copy_import_dir (disk, &error);
  g_autofree char *image = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (chmod (dir, 0755), ==, 0);
  image = g_build_filename (dir, "disks", "disk0.qcow2", NULL);
  vr_testbed_append_mib (image, 8);
  return dir;
}

static void
test_enospc_disk_copy (void)
{
  if (!needs_root ())
    return;
  g_autofree char *dir = big_disk_import ();
  char *pool = mount_tmpfs ("4m");

  realize_fails (dir, "vr-guest-disk", DISK_UUID, TRUE, pool, "disk0.qcow2",
                 ENOSPC_TEXT);
  unmount (pool);
  test_rmtree (dir);
}

static void
test_eio_save_copy (void)
{
  if (!needs_root ())
    return;
  g_autofree char *dir = vr_testbed_large_import (32);
  FailingFs fs = { 0 };

  if (!failing_fs_new (&fs))
    return;
  realize_fails (dir, "vr-guest", BASIC_UUID, FALSE, fs.mnt, "vr-guest.save",
                 EIO_TEXT);
  failing_fs_free (&fs);
  test_rmtree (dir);
}

static void
test_eio_disk_copy (void)
{
  if (!needs_root ())
    return;
  g_autofree char *dir = big_disk_import ();
  FailingFs fs = { 0 };

  if (!failing_fs_new (&fs))
    return;
  /* Without the saved state the disk is the first write to fail. */
  realize_fails_with (dir, "--discard-saved-state", "vr-guest-disk",
                      DISK_UUID, TRUE, fs.mnt, "disk0.qcow2", EIO_TEXT);
  failing_fs_free (&fs);
  test_rmtree (dir);
}

/* ---- the state directory full ------------------------------------- */

/* No half planned system: nothing in state but the store's lock (if it
 * was made) and the filler. */
static void
assert_only_lock_and_fill (const char *state)
{
  g_autoptr (GDir) dir = g_dir_open (state, 0, NULL);
  const char *entry;

  g_assert_nonnull (dir);
  while ((entry = g_dir_read_name (dir)) != NULL)
    if (!g_str_equal (entry, ".lock") && !g_str_equal (entry, "fill"))
      g_error ("%s/%s is left", state, entry);
}

static void
test_state_full_import (void)
{
  if (!needs_root ())
    return;
  g_autofree char *dir = vr_testbed_require ("basic");
  char *state = mount_tmpfs ("256k");
  g_autofree char *out = NULL;
  g_autofree char *folder = g_build_filename (state, BASIC_UUID, NULL);
  g_autofree char *st = NULL;
  const char *args[] = { "import", dir, NULL };
  int status;

  fill (state, "fill");
  out = cli (state, &status, args);
  g_assert_cmpint (status, ==, 1);
  assert_error (out, state, ENOSPC_TEXT);
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
  assert_only_lock_and_fill (state);
  unfill (state, "fill");
  import (state, dir);
  st = test_record_state (state, BASIC_UUID);
  g_assert_cmpstr (st, ==, "planned");
  unmount (state);
}

/* Full before the realize: its first journal write fails. */
static void
test_state_full_realize (void)
{
  if (!needs_root ())
    return;
  g_autofree char *dir = vr_testbed_require ("basic");
  char *state = mount_tmpfs ("256k");
  g_autofree char *pool = test_mkdtemp ();
  g_autofree char *out = NULL;
  const char *args[] = { "realize", "vr-guest", "--pool-dir", pool, NULL };
  int status;

  g_assert_cmpint (chmod (pool, 0755), ==, 0);
  test_write_file (pool, SENTINEL, "not ours", -1);
  import (state, dir);
  fill (state, "fill");
  out = cli (state, &status, args);
  g_assert_cmpint (status, ==, 1);
  assert_error (out, "journal.xml", ENOSPC_TEXT);
  assert_nothing_left (state, BASIC_UUID, "vr-guest", pool);
  unfill (state, "fill");
  assert_retry_works (state, "vr-guest", BASIC_UUID, FALSE);
  test_rmtree (pool);
  unmount (state);
}

/* Starts the CLI with env in the background, stdout and stderr to log. */
static GSubprocess *
spawn_cli (const char *state, const char *cli_uri, const char *const *args,
           const char *log, const char *const *env)
{
  g_autoptr (GPtrArray) argv = test_cli_argv (NULL, state, cli_uri, args);
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  for (guint i = 0; env[i] != NULL; i++)
    {
      g_auto (GStrv) kv = g_strsplit (env[i], "=", 2);

      g_subprocess_launcher_setenv (launcher, kv[0], kv[1], TRUE);
    }
  process = g_subprocess_launcher_spawnv (
      launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

static void
wait_for_log (GSubprocess *process, const char *log, const char *needle)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *text = NULL;

      g_file_get_contents (log, &text, NULL, NULL);
      if (text != NULL && strstr (text, needle) != NULL)
        return;
      if (g_subprocess_get_identifier (process) == NULL)
        g_error ("ended before '%s': %s", needle, text);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
}

static char *
finish_cli (GSubprocess *process, const char *log, int *status)
{
  char *text = NULL;

  g_assert_true (g_subprocess_wait (process, NULL, NULL));
  *status = g_subprocess_get_if_exited (process)
                ? g_subprocess_get_exit_status (process) : -1;
  g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
  g_test_message ("%s", text);
  return text;
}

/* Full in the middle: the realize has written its journal and defined the
 * domain; the next journal write (before the hand-off) fails. The domain
 * is undefined again, the pool emptied; the record on disk may still say
 * "realizing" (it could not be written), and the next realize, with
 * space again, recovers and succeeds. */
static void
test_state_full_mid_realize (void)
{
  if (!needs_root ())
    return;
  g_autofree char *dir = vr_testbed_require ("basic");
  char *state = mount_tmpfs ("256k");
  g_autofree char *pool = test_mkdtemp ();
  g_autofree char *work = test_mkdtemp ();
  g_autofree char *pause = g_build_filename (work, "pause", NULL);
  g_autofree char *log = g_build_filename (work, "realize.log", NULL);
  g_autofree char *pause_env = g_strconcat ("VR_TEST_PAUSE_FILE=", pause,
                                            NULL);
  const char *env[] = { "VR_TEST_PAUSE_AT=handoff", pause_env, NULL };
  const char *args[] = { "realize", "vr-guest", "--pool-dir", pool, NULL };
  g_autoptr (GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autofree char *uuids = NULL;
  int status;

  if (!test_needs_hooks ())
    return;
  g_assert_cmpint (chmod (pool, 0755), ==, 0);
  test_write_file (pool, SENTINEL, "not ours", -1);
  test_write_file (work, "pause", "", 0);
  import (state, dir);
  process = spawn_cli (state, uri, args, log, env);
  wait_for_log (process, log, "paused at handoff");
  fill (state, "fill");
  g_assert_cmpint (unlink (pause), ==, 0);
  out = finish_cli (process, log, &status);
  g_assert_cmpint (status, ==, 1);
  assert_error (out, "journal.xml", ENOSPC_TEXT);
  uuids = test_virsh (uri, "list --all --uuid");
  g_assert_null (strstr (uuids, BASIC_UUID));
  assert_pool_as_it_was (pool);
  unfill (state, "fill");
  assert_retry_works (state, "vr-guest", BASIC_UUID, FALSE);
  test_rmtree (pool);
  test_rmtree (work);
  unmount (state);
}

/* A file appears at libvirt's SAVEDIR/NAME.save after the realize checked
 * that name and before its hand-off links the saved state there: the
 * link is refused, and undo must not let libvirt's undefine remove that
 * file by its name (it is not the job's). The domain stays with its
 * rollback pending and a message that says why; once the file is moved
 * away, the next realize recovers and succeeds. */
static void
test_foreign_managed_save (void)
{
  if (!needs_root ())
    return;
  g_autofree char *dir = vr_testbed_require ("basic");
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *pool = test_mkdtemp ();
  g_autofree char *work = test_mkdtemp ();
  g_autofree char *pause = g_build_filename (work, "pause", NULL);
  g_autofree char *log = g_build_filename (work, "realize.log", NULL);
  g_autofree char *save_dir = g_build_filename (root, "lib", "qemu", "save",
                                                NULL);
  g_autofree char *foreign = g_build_filename (save_dir, "vr-guest.save",
                                               NULL);
  g_autofree char *pause_env = g_strconcat ("VR_TEST_PAUSE_FILE=", pause,
                                            NULL);
  const char *env[] = { "VR_TEST_PAUSE_AT=handoff", pause_env, NULL };
  const char *args[] = { "realize", "vr-guest", "--pool-dir", pool, NULL };
  g_autoptr (GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autofree char *uuids = NULL;
  g_autofree char *text = NULL;
  int status;

  if (!test_needs_hooks ())
    return;
  g_assert_cmpint (chmod (pool, 0755), ==, 0);
  test_write_file (work, "pause", "", 0);
  import (state, dir);
  process = spawn_cli (state, uri, args, log, env);
  wait_for_log (process, log, "paused at handoff");
  g_assert_cmpint (g_mkdir_with_parents (save_dir, 0755), ==, 0);
  test_write_file (save_dir, "vr-guest.save", "someone else's", -1);
  g_assert_cmpint (unlink (pause), ==, 0);
  out = finish_cli (process, log, &status);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (out, "is not a file this realize made"));
  g_assert_true (g_file_get_contents (foreign, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "someone else's");
  uuids = test_virsh (uri, "list --all --uuid");
  g_assert_nonnull (strstr (uuids, BASIC_UUID));
  g_assert_cmpint (unlink (foreign), ==, 0);
  assert_retry_works (state, "vr-guest", BASIC_UUID, FALSE);
  test_rmtree (pool);
  test_rmtree (work);
  test_rmtree (state);
}

/* ---- export --------------------------------------------------------- */

/* The disk guest realized with its disk and running in a root of its
 * own: what export saves. Returns that root's URI. */
static char *
running_source (char **src_root)
{
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *pool = NULL;
  g_autofree char *disk = vr_testbed_require ("disk");
  char *src_uri;

  *src_root = vr_testbed_new_root ("faults-src");
  src_uri = vr_testbed_root_uri (*src_root);
  pool = g_build_filename (*src_root, "pool", NULL);
  g_assert_cmpint (g_mkdir_with_parents (pool, 0755), ==, 0);
  {
    g_autoptr (GPtrArray) a = test_cli_argv (
        NULL, state, src_uri,
        (const char *const[]) { "import", disk, NULL });
    g_autoptr (GPtrArray) b = test_cli_argv (
        NULL, state, src_uri,
        (const char *const[]) { "realize", "vr-guest-disk", "--pool-dir",
                                pool, "--copy-disks", "--start", NULL });
    g_auto (TestRun) run = { 0 };

    test_run (&run, (const char *const *) a->pdata, NULL);
    g_assert_cmpint (run.status, ==, 0);
    test_run (&run, (const char *const *) b->pdata, NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  test_rmtree (state);
  return src_uri;
}

/* An export into target that must fail with errno_text: the directory it
 * made is gone, and the source runs again with the same definition. */
static void
export_fails (const char *src_uri, const char *target,
              const char *errno_text)
{
  g_autofree char *out_dir = g_build_filename (target, "export", NULL);
  g_autofree char *before = test_virsh (src_uri, "dumpxml --inactive "
                                                 "--security-info "
                                                 "vr-guest-disk");
  g_autofree char *after = NULL;
  g_autofree char *domstate = NULL;
  g_autofree char *state = test_mkdtemp ();
  g_autoptr (GPtrArray) argv = test_cli_argv (
      NULL, state, src_uri,
      (const char *const[]) { "export", "vr-guest-disk", out_dir, "--save",
                              "--with-disks", NULL });
  g_auto (TestRun) run = { 0 };
  g_autofree char *out = NULL;

  test_run (&run, (const char *const *) argv->pdata, NULL);
  out = g_strconcat (run.out, run.err, NULL);
  g_assert_cmpint (run.status, ==, 1);
  assert_error (out, out_dir, errno_text);
  g_assert_false (g_file_test (out_dir, G_FILE_TEST_EXISTS));
  after = test_virsh (src_uri, "dumpxml --inactive --security-info "
                               "vr-guest-disk");
  g_assert_cmpstr (after, ==, before);
  domstate = test_virsh (src_uri, "domstate vr-guest-disk --reason");
  g_assert_cmpstr (domstate, ==, "running (restored)");
  test_rmtree (state);
}

static void
test_export (void)
{
  if (!needs_root ())
    return;
  g_autofree char *src_root = NULL;
  g_autofree char *src_uri = running_source (&src_root);
  char *small = mount_tmpfs ("512k");
  FailingFs fs = { 0 };

  export_fails (src_uri, small, ENOSPC_TEXT);
  unmount (small);
  if (failing_fs_new (&fs))
    {
      export_fails (src_uri, fs.mnt, EIO_TEXT);
      failing_fs_free (&fs);
    }
  g_free (test_virsh (src_uri, "destroy vr-guest-disk; undefine "
                               "vr-guest-disk --managed-save --nvram"));
}

/* ---- libvirtd restarted mid-realize ----------------------------------- */

/* The realize pauses before define; libvirtd is restarted under it; the
 * realize goes on, fails on the lost connection with a clear error and
 * rolls back; a retry works on the new libvirtd. */
static void
test_libvirtd_restart (void)
{
  if (!needs_root () || !test_needs_hooks ())
    return;
  if (!g_file_test ("/usr/sbin/libvirtd", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("no /usr/sbin/libvirtd");
      return;
    }
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *import_dir = g_build_filename (dir, "import", NULL);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *pool = g_build_filename (dir, "pool", NULL);
  g_autofree char *pause = g_build_filename (dir, "pause", NULL);
  g_autofree char *log = g_build_filename (dir, "realize.log", NULL);
  g_autofree char *pause_env = g_strconcat ("VR_TEST_PAUSE_FILE=", pause,
                                            NULL);
  /* What the test driver runs: i686, no devices. */
  const char *xml =
      "<domain type='test'><name>vr-restart</name>"
      "<uuid>5a1ad0c0-7e57-4b3d-9c1e-00000000c0de</uuid>"
      "<memory unit='KiB'>65536</memory><vcpu>1</vcpu>"
      "<os><type arch='i686'>hvm</type></os></domain>";
  g_autofree char *test_uri = g_strdup_printf (
      "test+unix:///default?socket=%s/run/libvirt-sock", dir);
  const char *env[] = { "VR_TEST_PAUSE_AT=define", pause_env, NULL };
  const char *args[] = { "realize", "vr-restart", "--pool-dir", pool, NULL };
  g_autoptr (GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autofree char *st = NULL;
  GSubprocess *daemon;
  int status;

  g_assert_cmpint (chmod (dir, 0755), ==, 0);
  g_assert_cmpint (mkdir (import_dir, 0755), ==, 0);
  g_assert_cmpint (mkdir (pool, 0755), ==, 0);
  test_write_file (import_dir, "domain.xml", xml, -1);
  test_write_file (dir, "pause", "", 0);
  daemon = test_libvirtd_start (dir);
  {
    g_autoptr (GPtrArray) argv = test_cli_argv (
        NULL, state, test_uri, (const char *const[]) { "import", import_dir,
                                                       NULL });
    g_auto (TestRun) run = { 0 };

    test_run (&run, (const char *const *) argv->pdata, NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  process = spawn_cli (state, test_uri, args, log, env);
  wait_for_log (process, log, "paused at define");
  test_libvirtd_stop (daemon);
  daemon = test_libvirtd_start (dir);
  g_assert_cmpint (unlink (pause), ==, 0);
  out = finish_cli (process, log, &status);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (out, "error: System is not available (32777)"));
  st = test_record_state (state, "5a1ad0c0-7e57-4b3d-9c1e-00000000c0de");
  g_assert_true (g_strcmp0 (st, "planned") == 0
                 || g_strcmp0 (st, "failed") == 0);
  /* (libvirtd's test driver forgets its domains when the last
   * connection closes: the record is what can be checked.) */
  {
    g_autoptr (GPtrArray) argv = test_cli_argv (NULL, state, test_uri, args);
    g_auto (TestRun) run = { 0 };

    test_run (&run, (const char *const *) argv->pdata, NULL);
    g_assert_cmpint (run.status, ==, 0);
  }
  g_free (st);
  st = test_record_state (state, "5a1ad0c0-7e57-4b3d-9c1e-00000000c0de");
  g_assert_cmpstr (st, ==, "realized");
  test_libvirtd_stop (daemon);
  test_rmtree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (getuid () == 0)
    {
      root = vr_testbed_new_root ("faults");
      uri = vr_testbed_root_uri (root);
    }
  g_test_add_func ("/faults/enospc/save-copy", test_enospc_save_copy);
  g_test_add_func ("/faults/enospc/disk-copy", test_enospc_disk_copy);
  g_test_add_func ("/faults/eio/save-copy", test_eio_save_copy);
  g_test_add_func ("/faults/eio/disk-copy", test_eio_disk_copy);
  g_test_add_func ("/faults/state-full/import", test_state_full_import);
  g_test_add_func ("/faults/state-full/realize", test_state_full_realize);
  g_test_add_func ("/faults/state-full/mid-realize",
                   test_state_full_mid_realize);
  g_test_add_func ("/faults/foreign-managed-save",
                   test_foreign_managed_save);
  g_test_add_func ("/faults/export", test_export);
  g_test_add_func ("/faults/libvirtd-restart", test_libvirtd_restart);
  return g_test_run ();
}
