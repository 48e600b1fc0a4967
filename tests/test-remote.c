/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Realize onto a remote libvirt, real QEMU on both sides: a guest saved
 * under the test bed's root is realized onto a second libvirtd (session
 * mode, as uid 65534, with everything under its own directory) reached by
 * qemu+unix, qemu+tcp (127.0.0.1 only) and qemu+ssh through a private
 * sshd (key auth, 127.0.0.1 only; skipped where sshd is not installed). The save image and disks are uploaded
 * into that daemon's "default" pool; the second daemon killed mid-upload
 * must leave nothing of the job once it is back. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-harness.h"
#include "dbus-errors.h"
#include "dbus-names.h"
#include "errors.h"
#include "export.h"
#include "hostile-xml.h"
#include "import.h"
#include "libvirt-util.h"
#include "realize.h"
#include "realize-journal.h"
#include "safe-xml.h"
#include "test-util.h"
#include "testbed.h"
#include "volume-upload.h"

#define BASIC_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000001"
#define DISK_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000002"
#define NOBODY 65534
#define LOCAL_IMAGES "/var/lib/libvirt/images"
#define BASIC_PATH VR_DBUS_PLANNED_PREFIX "5a1ad0c0_7e57_4b3d_9c1e_000000000001"
#define WAIT_SECONDS 120

/* The second libvirtd: DIR/run holds its socket, DIR/home its session
 * config, logs and the pool DIR/home/pool. */
typedef struct {
  char *dir;
  char *sock;
  char *pool;
  guint port;
  GSubprocess *daemon;
} Remote;

static Remote remote;

/* The agent's tests: a private system bus with polkitd, and the agent's
 * own libvirt an embedded root this process never opens. */
static VrBusHarness *harness;
static char *why_no_bus;
static char *agent_root;
/* This process's own embedded QEMU (what an export is realized onto). */
static char *local_root;

/* Socket paths must stay under 108 characters: a short base. */
static void
remote_init (Remote *rm)
{
  rm->dir = g_dir_make_tmp ("vr-remote-XXXXXX", NULL);
  g_assert_nonnull (rm->dir);
  g_assert_cmpint (chmod (rm->dir, 0755), ==, 0);
  rm->sock = g_build_filename (rm->dir, "run", "libvirt-sock", NULL);
  rm->pool = g_build_filename (rm->dir, "home", "pool", NULL);
}

static void
remote_clear (Remote *rm)
{
  test_rmtree (rm->dir);
  g_free (rm->dir);
  g_free (rm->sock);
  g_free (rm->pool);
}

static void
make_owned_dir (const char *path)
{
  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
  g_assert_cmpint (chown (path, NOBODY, NOBODY), ==, 0);
}

static char *
unix_uri (Remote *rm)
{
  return g_strdup_printf ("qemu+unix:///session?socket=%s", rm->sock);
}

static char *
tcp_uri (Remote *rm)
{
  return g_strdup_printf ("qemu+tcp://127.0.0.1:%u/session", rm->port);
}

static void
remote_start (Remote *rm)
{
  make_owned_dir (rm->pool);
  rm->daemon = test_remote_libvirtd_start (rm->dir, rm->port);
}

/* The pool is defined once, autostarted: a restarted daemon has it. */
static void
define_pool (Remote *rm)
{
  g_autofree char *uri = unix_uri (rm);
  g_autofree char *commands = g_strdup_printf (
      "pool-define-as default dir --target %s; pool-autostart default; "
      "pool-start default", rm->pool);

  g_free (test_virsh (uri, commands));
}

static void
remote_kill (Remote *rm)
{
  g_subprocess_force_exit (rm->daemon);
  g_assert_true (g_subprocess_wait (rm->daemon, NULL, NULL));
  g_clear_object (&rm->daemon);
}

typedef struct {
  char *state;
  VrStore *store;
  VrPlannedSystem *system;
  char *import;
  char *import_tree;
  const char *uuid;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  const char *variant = data;
  g_autoptr (GError) error = NULL;

  f->import = vr_testbed_require (variant);
  f->uuid = g_str_equal (variant, "disk") ? DISK_UUID : BASIC_UUID;
  f->state = test_mkdtemp ();
  f->store = vr_store_new (f->state);
  f->system = vr_import_path (f->store, f->import, NULL, &error);
  g_assert_no_error (error);
  f->import_tree = test_snapshot_tree (f->import);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autofree char *tree = test_snapshot_tree (f->import);

  /* The import directory is read, never written. */
  g_assert_cmpstr (tree, ==, f->import_tree);
  if (conn != NULL)
    test_remove_domain (conn, f->uuid);
  g_object_unref (f->system);
  g_object_unref (f->store);
  test_rmtree (f->state);
  g_free (f->state);
  g_free (f->import);
  g_free (f->import_tree);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

/* The pool's volumes by name, sorted, one a line. */
static char *
pool_volumes (virConnectPtr conn)
{
  g_autoptr (virStoragePool) pool = virStoragePoolLookupByName (conn,
                                                                "default");
  virStorageVolPtr *vols = NULL;
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  GString *out = g_string_new (NULL);
  int n;

  g_assert_nonnull (pool);
  g_assert_cmpint (virStoragePoolRefresh (pool, 0), ==, 0);
  n = virStoragePoolListAllVolumes (pool, &vols, 0);
  g_assert_cmpint (n, >=, 0);
  for (int i = 0; i < n; i++)
    {
      g_ptr_array_add (list, g_strdup (virStorageVolGetName (vols[i])));
      virStorageVolFree (vols[i]);
    }
  free (vols);
  g_ptr_array_sort (list, compare_names);
  for (guint i = 0; i < list->len; i++)
    g_string_append_printf (out, "%s\n", (const char *) list->pdata[i]);
  return g_string_free (out, FALSE);
}

/* The files in the pool's directory, as the host sees them: nothing a
 * volume listing would not show. */
static guint
pool_files (Remote *rm)
{
  return test_count_entries (rm->pool);
}

static char *
remote_qemu_log (Remote *rm, const char *name)
{
  g_autofree char *file = g_strdup_printf ("%s.log", name);
  g_autofree char *path = g_build_filename (rm->dir, "home", "libvirt",
                                            "qemu", "log", file, NULL);
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text ? text : g_strdup ("");
}

static void
assert_restored (Remote *rm, virDomainPtr dom)
{
  g_autofree char *log = remote_qemu_log (rm, virDomainGetName (dom));
  int state = 0;
  int reason = 0;

  g_assert_cmpint (virDomainGetState (dom, &state, &reason, 0), ==, 0);
  g_assert_cmpint (state, ==, VIR_DOMAIN_RUNNING);
  g_assert_cmpint (reason, ==, VIR_DOMAIN_RUNNING_RESTORED);
  g_assert_nonnull (strstr (log, "-incoming"));
}

static gboolean
realize_on (Fixture *f, virConnectPtr conn, const VrRealizeOptions *options,
            VrProgress *progress, GCancellable *cancellable, GError **error)
{
  g_autoptr (VrHostCaps) caps = vr_host_caps_new (conn);

  return vr_realize (f->store, caps, conn, f->system, options, progress,
                     cancellable, error);
}

/* The disks are copied and the state handed over as a managed save: the
 * pool holds exactly the domain's disk, starting it restores the guest. */
static void
test_managed_save (Fixture *f, const char *uri)
{
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  VrRealizeOptions options = { .copy_disks = TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *volumes = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *want = NULL;
  g_autofree char *before = test_snapshot_tree (LOCAL_IMAGES);
  g_autofree char *after = NULL;

  g_assert_nonnull (conn);
  realize_on (f, conn, &options, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vr_planned_system_get_state (f->system), ==,
                   VR_PLANNED_STATE_REALIZED);
  dom = virDomainLookupByUUIDString (conn, f->uuid);
  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainHasManagedSaveImage (dom, 0), ==, 1);
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "vr-guest-disk-disk0.qcow2\n");
  g_assert_cmpuint (pool_files (&remote), ==, 1);
  xml = virDomainGetXMLDesc (dom, 0);
  want = g_strdup_printf ("'%s/vr-guest-disk-disk0.qcow2'", remote.pool);
  g_assert_nonnull (strstr (xml, want));
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  assert_restored (&remote, dom);
  /* This host's own pool, where a local realize would have copied. */
  after = test_snapshot_tree (LOCAL_IMAGES);
  g_assert_cmpstr (after, ==, before);
  test_remove_domain (conn, f->uuid);
}

static void
skipped (void)
{
  g_test_skip ("needs root and /usr/sbin/libvirtd: the second libvirtd "
               "runs as uid 65534");
}

static void
delete_volumes (virConnectPtr conn)
{
  g_autoptr (virStoragePool) pool = virStoragePoolLookupByName (conn,
                                                                "default");
  virStorageVolPtr *vols = NULL;
  int n = virStoragePoolListAllVolumes (pool, &vols, 0);

  for (int i = 0; i < n; i++)
    {
      virStorageVolDelete (vols[i], 0);
      virStorageVolFree (vols[i]);
    }
  free (vols);
}

static void
test_unix (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);

  test_managed_save (f, uri);
  delete_volumes (conn);
}

/* --start: the plain restore from the uploaded volume resumes the guest
 * at once; the upload is gone and the pool holds nothing (no disks). */
static void
test_tcp_start (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = tcp_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  VrRealizeOptions options = { .start = TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *volumes = NULL;

  g_assert_nonnull (conn);
  realize_on (f, conn, &options, NULL, NULL, &error);
  g_assert_no_error (error);
  dom = virDomainLookupByUUIDString (conn, f->uuid);
  g_assert_nonnull (dom);
  assert_restored (&remote, dom);
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "");
  g_assert_cmpuint (pool_files (&remote), ==, 0);
}

/* The same through the command line, over TCP, with the disk copied;
 * show without -c then asks no libvirt about it. */
static void
test_cli_tcp (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = tcp_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  int status = -1;
  g_autofree char *out = test_cli_direct (f->state, uri, &status, "realize",
                                          "vr-guest-disk", "--copy-disks",
                                          "--start", NULL);
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *volumes = NULL;
  g_autofree char *shown = NULL;

  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "realized as domain 'vr-guest-disk'; it "
                                 "resumed from its saved state"));
  dom = virDomainLookupByUUIDString (conn, f->uuid);
  g_assert_nonnull (dom);
  assert_restored (&remote, dom);
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "vr-guest-disk-disk0.qcow2\n");
  /* Without -c the remote host is not the connection in use: show does
   * not connect anywhere to ask about the domain (no warning). */
  shown = test_cli_direct (f->state, NULL, &status, "show", "vr-guest-disk",
                           NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (shown, uri));
  g_assert_null (strstr (shown, "cannot tell"));
  g_assert_null (strstr (shown, "warning"));
  test_remove_domain (conn, f->uuid);
  delete_volumes (conn);
}

static void
run_or_fail (const char *const *argv)
{
  g_auto (TestRun) run = { 0 };

  test_run (&run, argv, NULL);
  g_assert_cmpint (run.status, ==, 0);
}

/* A test that aborts takes its sshd with it. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* A private sshd on 127.0.0.1 only: its own config, host key and
 * authorized key, in dir; ssh's side (known hosts) through a wrapper that
 * libvirt runs as its ssh command, so that nothing goes to ~/.ssh. */
static GSubprocess *
sshd_start (const char *dir, guint port)
{
  g_autofree char *host_key = g_build_filename (dir, "host_key", NULL);
  g_autofree char *client_key = g_build_filename (dir, "client_key", NULL);
  g_autofree char *client_pub = g_strdup_printf ("%s.pub", client_key);
  g_autofree char *conf = g_build_filename (dir, "sshd_config", NULL);
  g_autofree char *text = g_strdup_printf (
      "Port %u\nListenAddress 127.0.0.1\nHostKey %s\n"
      "AuthorizedKeysFile %s\nPasswordAuthentication no\n"
      "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
      "PermitRootLogin prohibit-password\nUsePAM no\nPidFile none\n"
      "StrictModes no\n", port, host_key, client_pub);
  g_autofree char *client = g_strdup_printf (
      "UserKnownHostsFile %s/known_hosts\nStrictHostKeyChecking accept-new\n"
      "BatchMode yes\n", dir);
  g_autofree char *wrapper = g_strdup_printf (
      "#!/bin/sh\nexec ssh -F %s/ssh_config \"$@\"\n", dir);
  g_autofree char *wrap = g_build_filename (dir, "ssh", NULL);
  const char *host_argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                              "-f", host_key, NULL };
  const char *client_argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N",
                                "", "-f", client_key, NULL };
  g_autoptr (GError) error = NULL;
  GSubprocess *sshd;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  g_autoptr (GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;

  run_or_fail (host_argv);
  run_or_fail (client_argv);
  test_write_file (dir, "sshd_config", text, -1);
  test_write_file (dir, "ssh_config", client, -1);
  test_write_file (dir, "ssh", wrapper, -1);
  g_assert_cmpint (chmod (wrap, 0755), ==, 0);
  /* sshd's privilege separation directory (its package's service makes
   * it at boot; nothing else is put there). */
  g_mkdir_with_parents ("/run/sshd", 0755);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                        | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
                                         NULL);
  sshd = g_subprocess_launcher_spawn (launcher, &error, "/usr/sbin/sshd",
                                      "-D", "-e", "-f", conf, NULL);
  g_assert_no_error (error);
  while ((connection = g_socket_client_connect_to_host (
              socket_client, "127.0.0.1", port, NULL, NULL)) == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
  return sshd;
}

/* qemu+ssh as admins use it: key auth through sshd to the daemon's
 * socket; the guest is handed over as a managed save and resumes. */
static void
test_ssh (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = g_build_filename (remote.dir, "ssh", NULL);
  guint port = test_free_port ();
  g_autoptr (GSubprocess) sshd = NULL;
  g_autofree char *uri = NULL;
  g_autoptr (virConnect) conn = NULL;
  VrRealizeOptions options = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *volumes = NULL;

  if (!g_file_test ("/usr/sbin/sshd", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("no /usr/sbin/sshd (openssh-server, scripts/deps.txt): "
                   "qemu+ssh is not tried");
      return;
    }
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  sshd = sshd_start (dir, port);
  uri = g_strdup_printf ("qemu+ssh://root@127.0.0.1:%u/session?socket=%s&"
                         "keyfile=%s/client_key&command=%s/ssh", port,
                         remote.sock, dir, dir);
  conn = vr_libvirt_open (uri, &error);
  g_assert_no_error (error);
  realize_on (f, conn, &options, NULL, NULL, &error);
  g_assert_no_error (error);
  dom = virDomainLookupByUUIDString (conn, f->uuid);
  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainHasManagedSaveImage (dom, 0), ==, 1);
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "");
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  assert_restored (&remote, dom);
  test_remove_domain (conn, f->uuid);
  g_subprocess_send_signal (sshd, SIGTERM);
  g_subprocess_wait (sshd, NULL, NULL);
}

typedef struct {
  GMutex lock;
  GCond cond;
  gboolean copying;
} Copying;

static void
on_progress (const VrProgressState *state, gpointer user_data)
{
  Copying *c = user_data;

  if (g_strcmp0 (state->phase, "copy") != 0 || state->bytes_done == 0)
    return;
  g_mutex_lock (&c->lock);
  c->copying = TRUE;
  g_cond_signal (&c->cond);
  g_mutex_unlock (&c->lock);
}

static void
wait_copying (Copying *c)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  g_mutex_lock (&c->lock);
  while (!c->copying && g_cond_wait_until (&c->cond, &c->lock, deadline))
    ;
  g_assert_true (c->copying);
  g_mutex_unlock (&c->lock);
}

typedef struct {
  Fixture *f;
  virConnectPtr conn;
  VrProgress *progress;
  GCancellable *cancellable;
  GError *error;
} Job;

static gpointer
run_job (gpointer data)
{
  Job *job = data;
  VrRealizeOptions options = { 0 };
  gboolean ok = realize_on (job->f, job->conn, &options, job->progress,
                            job->cancellable, &job->error);

  return GINT_TO_POINTER (ok);
}

/* Cancelled mid-upload: the volume goes, the system is "planned". */
static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  Copying c = { 0 };
  g_autoptr (VrProgress) progress = vr_progress_new (on_progress, &c);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Job job = { f, conn, progress, cancellable, NULL };
  g_autofree char *volumes = NULL;
  GThread *thread;

  if (!test_needs_hooks ())
    return;
  g_setenv ("VR_TEST_STALL_AT", "copy", TRUE);
  thread = g_thread_new ("realize", run_job, &job);
  wait_copying (&c);
  g_usleep (G_USEC_PER_SEC / 5);
  g_cancellable_cancel (cancellable);
  g_assert_false (GPOINTER_TO_INT (g_thread_join (thread)));
  g_unsetenv ("VR_TEST_STALL_AT");
  g_assert_error (job.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&job.error);
  g_assert_cmpint (vr_planned_system_get_state (f->system), ==,
                   VR_PLANNED_STATE_PLANNED);
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "");
  g_assert_cmpuint (pool_files (&remote), ==, 0);
  g_assert_false (vr_realize_journal_exists (f->store, f->system));
}

/* The second daemon killed mid-upload: the realize fails with its
 * rollback pending (the journal keeps the volume); once the daemon is
 * back, recovery over a new connection removes the volume, and the next
 * realize goes through. */
static void
test_killed (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autoptr (virConnect) again = NULL;
  Copying c = { 0 };
  g_autoptr (VrProgress) progress = vr_progress_new (on_progress, &c);
  g_autofree char *pause = g_build_filename (f->state, "pause", NULL);
  Job job = { f, conn, progress, NULL, NULL };
  g_autoptr (VrStoreLock) lock = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *volumes = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *journal_path = NULL;
  g_autofree char *journal = NULL;
  VrRealizeOptions options = { 0 };
  GThread *thread;

  if (!test_needs_hooks ())
    return;
  test_write_file (f->state, "pause", "", 0);
  g_setenv ("VR_TEST_PAUSE_AT", "copy", TRUE);
  g_setenv ("VR_TEST_PAUSE_FILE", pause, TRUE);
  thread = g_thread_new ("realize", run_job, &job);
  wait_copying (&c);
  g_usleep (G_USEC_PER_SEC / 5);
  g_assert_cmpuint (pool_files (&remote), ==, 1);
  remote_kill (&remote);
  unlink (pause);
  g_assert_false (GPOINTER_TO_INT (g_thread_join (thread)));
  g_unsetenv ("VR_TEST_PAUSE_AT");
  g_unsetenv ("VR_TEST_PAUSE_FILE");
  g_test_message ("realize: %s", job.error->message);
  g_clear_error (&job.error);
  g_assert_cmpint (vr_planned_system_get_state (f->system), ==,
                   VR_PLANNED_STATE_FAILED);
  g_assert_true (vr_planned_system_get_rollback_pending (f->system));
  g_assert_nonnull (strstr (vr_planned_system_get_last_job_message (
                                f->system),
                            "rollback pending"));
  g_assert_true (vr_realize_journal_exists (f->store, f->system));
  journal_path = g_build_filename (f->state, f->uuid, VR_REALIZE_JOURNAL,
                                   NULL);
  g_assert_true (g_file_get_contents (journal_path, &journal, NULL, NULL));
  test_assert_valid_rng ("realize-journal.rng", journal);
  g_assert_nonnull (strstr (journal, "<volume name=\"vr-guest.save\" key="));
  /* The partial upload is still there while nobody can remove it. */
  g_assert_cmpuint (pool_files (&remote), ==, 1);

  remote_start (&remote);
  again = vr_libvirt_open (uri, NULL);
  g_assert_nonnull (again);
  lock = vr_store_lock (f->store, f->system, &error);
  g_assert_no_error (error);
  g_assert_true (vr_realize_recover (f->store, again, f->system, &error));
  g_assert_no_error (error);
  g_assert_false (vr_planned_system_get_rollback_pending (f->system));
  g_assert_false (vr_realize_journal_exists (f->store, f->system));
  volumes = pool_volumes (again);
  g_assert_cmpstr (volumes, ==, "");
  g_assert_cmpuint (pool_files (&remote), ==, 0);
  dom = virDomainLookupByUUIDString (again, f->uuid);
  g_assert_null (dom);
  /* And the next realize goes through. */
  g_clear_pointer (&lock, vr_store_lock_free);
  g_assert_true (realize_on (f, again, &options, NULL, NULL, &error));
  g_assert_no_error (error);
  dom = virDomainLookupByUUIDString (again, f->uuid);
  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainHasManagedSaveImage (dom, 0), ==, 1);
  g_clear_pointer (&volumes, g_free);
  volumes = pool_volumes (again);
  g_assert_cmpstr (volumes, ==, "");
}

/* Placement across three hosts: one not reachable, one with a domain of
 * the same UUID defined (VR1602), one that fits (a third libvirtd): realize
 * --host picks the third, says why not the others, and the guest resumes
 * there; the clashing domain is left as it was. */
static void
test_placement (Fixture *f, gconstpointer data)
{
  Remote other = { 0 };
  g_autofree char *domain_xml = NULL;
  g_autoptr (GString) clash = NULL;
  g_autofree char *clash_uri = tcp_uri (&remote);
  g_autofree char *dead_uri = g_strdup_printf (
      "qemu+tcp://127.0.0.1:%u/session", test_free_port ());
  g_autofree char *fit_uri = NULL;
  g_autoptr (virConnect) clash_conn = vr_libvirt_open (clash_uri, NULL);
  g_autoptr (virConnect) fit_conn = NULL;
  g_autoptr (virDomain) defined = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *out = NULL;
  g_autofree char *path = g_build_filename (f->import, "domain.xml", NULL);
  int status = -1;

  g_assert_true (g_file_get_contents (path, &domain_xml, NULL, NULL));
  clash = g_string_new (domain_xml);
  g_string_replace (clash, "<name>vr-guest</name>",
                    "<name>vr-clash</name>", 1);
  defined = virDomainDefineXML (clash_conn, clash->str);
  g_assert_nonnull (defined);
  remote_init (&other);
  other.port = test_free_port ();
  remote_start (&other);
  define_pool (&other);
  fit_uri = unix_uri (&other);
  out = test_cli_direct (f->state, NULL, &status, "realize", "vr-guest",
                         "--start", "--host", dead_uri, "--host", clash_uri,
                         "--host", fit_uri, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "does not fit: not reachable"));
  g_assert_nonnull (strstr (out, "does not fit: VR1602"));
  g_assert_nonnull (strstr (out, "fits ("));
  g_assert_nonnull (strstr (out, "chosen"));
  fit_conn = vr_libvirt_open (fit_uri, NULL);
  dom = virDomainLookupByUUIDString (fit_conn, f->uuid);
  g_assert_nonnull (dom);
  assert_restored (&other, dom);
  g_clear_pointer (&dom, virDomainFree);
  dom = virDomainLookupByUUIDString (clash_conn, f->uuid);
  g_assert_nonnull (dom);
  g_assert_cmpstr (virDomainGetName (dom), ==, "vr-clash");
  g_assert_cmpint (virDomainIsActive (dom), ==, 0);
  test_remove_domain (fit_conn, f->uuid);
  g_clear_pointer (&fit_conn, virConnectClose);
  remote_kill (&other);
  remote_clear (&other);
}

/* A host without the guest's memory free does not fit, and says so. */
static void
test_placement_memory (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = tcp_uri (&remote);
  int status = -1;
  g_autofree char *out = NULL;

  g_free (test_cli_direct (
      f->state, uri, &status, "edit", "vr-guest", "--set",
      "/domain/memory=68719476736", "--set", "/domain/currentMemory=68719476736",
      NULL));
  /* The edit is kept; its validation reports what no longer fits. */
  g_assert_cmpint (status, ==, 3);
  out = test_cli_direct (f->state, NULL, &status, "validate", "vr-guest",
                         "--host", uri, NULL);
  g_assert_cmpint (status, ==, 3);
  g_assert_nonnull (strstr (out, "does not fit: "));
  /* g_format_size puts a no-break space before the unit. */
  g_assert_nonnull (strstr (out, "needs 64.0\u00a0TiB of memory"));
  g_assert_nonnull (strstr (out, " free memory, "));
}

/* Placement sizes the guest as validate and the limits do: a 64 MiB
 * guest whose TCG translation cache asks 64 TiB does not fit (with
 * <memory> alone it did). */
static void
test_placement_memory_bound (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = tcp_uri (&remote);
  g_autofree char *path = g_build_filename (f->import, "domain.xml", NULL);
  g_autofree char *domain_xml = NULL;
  g_autoptr (GString) edited = NULL;
  g_autofree char *edited_path = g_build_filename (f->state, "bound.xml",
                                                   NULL);
  g_autofree char *edit = NULL;
  g_autofree char *out = NULL;
  int status = -1;

  g_assert_true (g_file_get_contents (path, &domain_xml, NULL, NULL));
  edited = g_string_new (domain_xml);
  g_assert_cmpuint (g_string_replace (edited, "<clock ",
                                      "<features><tcg><tb-cache unit='TiB'>"
                                      "64</tb-cache></tcg></features><clock ",
                                      1),
                    ==, 1);
  g_assert_true (g_file_set_contents (edited_path, edited->str, -1, NULL));
  edit = test_cli_direct (f->state, NULL, &status, "edit", "vr-guest",
                          "--xml", edited_path, NULL);
  g_test_message ("%s", edit);
  out = test_cli_direct (f->state, NULL, &status, "validate", "vr-guest",
                         "--host", uri, NULL);
  g_test_message ("%s", out);
  g_assert_cmpint (status, ==, 3);
  g_assert_nonnull (strstr (out, "does not fit: "));
  g_assert_nonnull (strstr (out, "needs 64.0\u00a0TiB of memory"));
}

/* Validated against another machine, the note about skipped checks
 * (VR1002) names that URI and does not send the user to "a connection to
 * the host that will run the guest": this is that connection. */
static void
test_validate_skipped_hint (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = tcp_uri (&remote);
  g_autofree char *named = g_strdup_printf ("validated against %s, another "
                                            "machine", uri);
  int status = -1;
  g_autofree char *out = test_cli_direct (f->state, uri, &status,
                                          "validate", "vr-guest", NULL);

  g_test_message ("%s", out);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "info VR1002"));
  g_assert_nonnull (strstr (out, named));
  g_assert_nonnull (strstr (out, "a validate on that host itself"));
  g_assert_null (strstr (out, "validate on a connection to the host that "
                              "will run"));
}

/* The pool a remote realize uploads into is missing or stopped: validate
 * and placement say so (VR1509, with the virsh -c command that fixes it),
 * placement skips the host, and realize refuses before it made anything
 * (--pool names the pool checked). */
static void
test_validate_no_pool (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = tcp_uri (&remote);
  g_autofree char *virsh = g_strdup_printf ("virsh -c '%s' pool-start "
                                            "default", uri);
  g_autofree char *out = NULL;
  g_autofree char *placed = NULL;
  g_autofree char *realized = NULL;
  g_autofree char *other = NULL;
  g_autofree char *started = NULL;
  g_autoptr (virConnect) conn = NULL;
  g_autoptr (virDomain) dom = NULL;
  int status = -1;

  g_free (test_virsh (uri, "pool-destroy default"));
  conn = vr_libvirt_open (uri, NULL);
  out = test_cli_direct (f->state, uri, &status, "validate", "vr-guest",
                         NULL);
  g_assert_cmpint (status, ==, 3);
  g_assert_nonnull (strstr (out, "VR1509"));
  g_assert_nonnull (strstr (out, "storage pool 'default' is not active"));
  g_assert_nonnull (strstr (out, virsh));
  placed = test_cli_direct (f->state, NULL, &status, "realize", "vr-guest",
                            "--host", uri, NULL);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (placed, "does not fit: VR1509"));
  realized = test_cli_direct (f->state, uri, &status, "realize", "vr-guest",
                              "--pool", "nosuch", NULL);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (realized, "storage pool 'nosuch' does not "
                                      "exist"));
  g_assert_null (strstr (realized, "pool-dir"));
  started = test_virsh (uri, "pool-start default");
  other = test_cli_direct (f->state, uri, &status, "show", "vr-guest", NULL);
  g_assert_nonnull (strstr (other, "planned"));
  dom = virDomainLookupByUUIDString (conn, f->uuid);
  g_assert_null (dom);
}

/* --pool-dir names a folder on this host: a realize onto another host
 * (a URI that names one) refuses it before anything is made, naming the
 * option, directly and after --host placement; the planned system stays
 * planned, nothing is in the pool or the folder. */
static void
test_pool_dir_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = tcp_uri (&remote);
  g_autofree char *dir = g_build_filename (f->state, "pool-here", NULL);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *out = NULL;
  g_autofree char *placed = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *volumes = NULL;
  int status = -1;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  out = test_cli_direct (f->state, uri, &status, "realize", "vr-guest",
                         "--pool-dir", dir, NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (out, "Invalid parameter (32773)"));
  g_assert_nonnull (strstr (out, "--pool-dir"));
  g_assert_nonnull (strstr (out, "--pool NAME"));
  placed = test_cli_direct (f->state, NULL, &status, "realize", "vr-guest",
                            "--host", uri, "--pool-dir", dir, NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (placed, "Invalid parameter (32773): --pool-dir"));
  shown = test_cli_direct (f->state, NULL, &status, "show", "vr-guest", NULL);
  g_assert_nonnull (strstr (shown, "planned"));
  g_assert_null (strstr (shown, "failed"));
  g_assert_false (vr_realize_journal_exists (f->store, f->system));
  g_assert_cmpuint (test_count_entries (dir), ==, 0);
  dom = virDomainLookupByUUIDString (conn, f->uuid);
  g_assert_null (dom);
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "");
}

/* The agent (virt-realized) on the private bus, its own libvirt the
 * embedded root, and agent.conf listing hosts ("NAME=URI" lines). */
static GSubprocess *
agent_start_with (Fixture *f, const char *agent_keys, const char *hosts)
{
  g_autofree char *conf = g_build_filename (remote.dir, "agent.conf", NULL);
  g_autofree char *text = g_strdup_printf ("[Agent]\n%s[Hosts]\n%s",
                                           agent_keys, hosts);
  g_autofree char *uri = vr_testbed_root_uri (agent_root);
  const char *const args[] = { "--config", conf, NULL };

  g_assert_true (g_file_set_contents (conf, text, -1, NULL));
  return vr_bus_harness_start_agent (harness, uri, f->state, NULL, args);
}

static GSubprocess *
agent_start (Fixture *f, const char *hosts)
{
  return agent_start_with (f, "", hosts);
}

/* virt-realize (the thin client) on the private bus, through the agent. */
static int
run_cli (char **out, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  va_list ap;

  g_ptr_array_add (argv, (char *) g_getenv ("VR_CLI"));
  g_ptr_array_add (argv, (char *) "--system");
  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS",
                                harness->address, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "VIRT_REALIZE_STATE_DIR");
  process = g_subprocess_launcher_spawnv (
      launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, out,
                                                NULL, &error));
  g_test_message ("virt-realize %s: %s", first, *out);
  return g_subprocess_get_exit_status (process);
}

static GVariant *
agent_call (const char *path, const char *iface, const char *method,
            GVariant *params, GError **error)
{
  GVariant *reply = g_dbus_connection_call_sync (
      harness->bus, VR_DBUS_NAME, path, iface, method, params, NULL,
      G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, NULL, error);

  vr_dbus_error_to_local (error);
  return reply;
}

static GVariant *
host_option (const char *key, GVariant *value)
{
  GVariantBuilder options;

  g_variant_builder_init (&options, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&options, "{sv}", key, value);
  return g_variant_new ("(a{sv})", &options);
}

static void
skip_bus_test (Fixture *f, gconstpointer data)
{
  g_test_skip (why_no_bus);
}

/* Realize onto a second libvirtd through the agent, by the name
 * agent.conf gives it: Manager.Hosts lists it, validate and realize
 * --host go to the agent, and the guest resumes there. */
static void
test_agent_realize (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autofree char *hosts = g_strdup_printf ("near=%s\n", uri);
  g_autoptr (GSubprocess) agent = agent_start (f, hosts);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) listed = NULL;
  g_autofree char *out = NULL;
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *volumes = NULL;
  g_autofree char *want = g_strdup_printf ("[('near', '%s')]", uri);
  g_autofree char *text = NULL;

  reply = agent_call (VR_DBUS_MANAGER_PATH, "org.freedesktop.DBus.Properties",
                      "Get", g_variant_new ("(ss)", VR_DBUS_MANAGER_IFACE,
                                            "Hosts"), NULL);
  g_assert_nonnull (reply);
  g_variant_get (reply, "(v)", &listed);
  text = g_variant_print (listed, FALSE);
  g_assert_cmpstr (text, ==, want);
  g_assert_cmpint (run_cli (&out, "validate", "vr-guest", "--host", "near",
                            NULL), ==, 0);
  g_assert_nonnull (strstr (out, "near: fits ("));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&out, "realize", "vr-guest", "--host", "near",
                            NULL), ==, 0);
  g_assert_nonnull (strstr (out, "chosen"));
  g_assert_nonnull (strstr (out, "realized as domain 'vr-guest'"));
  dom = virDomainLookupByUUIDString (conn, f->uuid);
  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainHasManagedSaveImage (dom, 0), ==, 1);
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "");
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  assert_restored (&remote, dom);
  vr_bus_harness_stop_agent (g_steal_pointer (&agent));
}

static void
assert_refused (const char *method, GVariant *params, const char *option)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = agent_call (BASIC_PATH, VR_DBUS_PLANNED_IFACE,
                                           method, params, &error);
  g_autofree char *named = g_strdup_printf ("option '%s'", option);

  g_assert_null (reply);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, named,
                     "not a host the agent's configuration lists", NULL);
}

/* A URI agent.conf does not list is refused, whatever it is (another
 * transport, the listed one with command= added), by Realize, Validate,
 * Place and the CLI, and nothing is made anywhere. */
static void
test_agent_unlisted (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autofree char *hosts = g_strdup_printf ("near=%s\n", uri);
  g_autoptr (GSubprocess) agent = agent_start (f, hosts);
  g_autofree char *tcp = tcp_uri (&remote);
  g_autofree char *command = g_strdup_printf ("%s&command=/bin/false", uri);
  const char *const one[] = { tcp, NULL };
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *volumes = NULL;
  g_autofree char *out = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) value = NULL;

  assert_refused ("Realize", host_option ("host", g_variant_new_string (tcp)),
                  "host");
  assert_refused ("Realize",
                  host_option ("host", g_variant_new_string (command)),
                  "host");
  assert_refused ("Validate",
                  host_option ("host", g_variant_new_string (tcp)), "host");
  assert_refused ("Place", host_option ("hosts", g_variant_new_strv (one, -1)),
                  "hosts");
  g_assert_cmpint (run_cli (&out, "realize", "vr-guest", "--host", tcp,
                            NULL), ==, 1);
  g_assert_nonnull (strstr (out, "Invalid parameter (32773)"));
  reply = agent_call (BASIC_PATH, "org.freedesktop.DBus.Properties", "Get",
                      g_variant_new ("(ss)", VR_DBUS_PLANNED_IFACE, "State"),
                      NULL);
  g_variant_get (reply, "(v)", &value);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "planned");
  vr_bus_harness_stop_agent (g_steal_pointer (&agent));
  dom = virDomainLookupByUUIDString (conn, f->uuid);
  g_assert_null (dom);
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "");
  g_assert_false (vr_realize_journal_exists (f->store, f->system));
}

/* A rule that allows validate and realize to nobody for host "near" of
 * this test's second daemon only (its two URIs: near by qemu+unix, far by
 * qemu+tcp); polkit lets root do anything whatever the rules say, so the
 * calls are made as nobody. Inert once this process is gone. */
static char *
near_only_rule (void)
{
  g_autofree char *port = g_strdup_printf (":%u/", remote.port);

  return g_strdup_printf (
      "// virt-realize test-remote: inert once process %d is gone.\n"
      "polkit.addRule(function(action, subject) {\n"
      "    var uri = action.lookup(\"host_uri\") || \"\";\n"
      "    if (subject.user == \"nobody\" &&\n"
      "        (action.id == \"org.virtrealize.Realize1.validate\" ||\n"
      "         action.id == \"org.virtrealize.Realize1.realize\") &&\n"
      "        (uri.indexOf(\"%s\") >= 0 || uri.indexOf(\"%s\") >= 0) &&\n"
      "        action.lookup(\"host\") == \"near\") {\n"
      "        try {\n"
      "            polkit.spawn([\"/usr/bin/test\", \"-d\", \"/proc/%d\"]);\n"
      "            return polkit.Result.YES;\n"
      "        } catch (error) {\n"
      "        }\n"
      "    }\n"
      "});\n", (int) getpid (), remote.dir, port, (int) getpid ());
}

/* The CLI as nobody on the test's bus: its exit status, what it said. */
static int
run_cli_nobody (char **out, const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *said = NULL;
  g_autofree char *err = NULL;
  int status;

  g_ptr_array_add (argv, (char *) g_getenv ("VR_CLI"));
  g_ptr_array_add (argv, (char *) "--system");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  status = vr_bus_harness_run_as_nobody_out (
      harness, (const char *const *) argv->pdata, &said, &err);
  g_test_message ("virt-realize %s (nobody): %s%s", args[0], said, err);
  *out = g_strconcat (said, err, NULL);
  return status;
}

/* Polkit sees which host (details host = the listed name, host_uri): a
 * rule that allows one host ("near") lets Place/validate through for it,
 * named by name or by URI, and not for "far" (the same daemon by another
 * URI) nor a Place over both, nor a realize onto far; the planned system
 * stays planned and nothing is made there. */
static void
test_agent_host_rule (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autofree char *tcp = tcp_uri (&remote);
  g_autofree char *hosts = g_strdup_printf ("near=%s\nfar=%s\n", uri, tcp);
  g_autofree char *rule = near_only_rule ();
  g_autoptr (GSubprocess) agent = NULL;
  const char *const near[] = { "validate", "vr-guest", "--host", "near",
                               NULL };
  const char *const by_uri[] = { "validate", "vr-guest", "--host", uri,
                                 NULL };
  const char *const far[] = { "validate", "vr-guest", "--host", "far", NULL };
  const char *const both[] = { "validate", "vr-guest", "--host", "near",
                               "--host", "far", NULL };
  const char *const realize[] = { "realize", "vr-guest", "--host", "far",
                                  NULL };
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) value = NULL;
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autoptr (virDomain) dom = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *volumes = NULL;
  char *out = NULL;

  /* nobody's own: no manage-others on top. */
  vr_planned_system_set_owner (f->system, NOBODY);
  g_assert_true (vr_store_save_record (f->store, f->system, &error));
  vr_bus_harness_add_rules (harness, "49-vr-test-remote-host.rules", rule);
  agent = agent_start (f, hosts);
  g_assert_cmpint (run_cli_nobody (&out, near), ==, 0);
  g_assert_nonnull (strstr (out, "near: fits ("));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli_nobody (&out, by_uri), ==, 0);
  g_assert_nonnull (strstr (out, ": fits ("));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli_nobody (&out, far), ==, 1);
  g_assert_nonnull (strstr (out, "Access denied (32769)"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli_nobody (&out, both), ==, 1);
  g_assert_nonnull (strstr (out, "Access denied (32769)"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli_nobody (&out, realize), ==, 1);
  g_assert_nonnull (strstr (out, "Access denied (32769)"));
  g_clear_pointer (&out, g_free);
  reply = agent_call (BASIC_PATH, "org.freedesktop.DBus.Properties", "Get",
                      g_variant_new ("(ss)", VR_DBUS_PLANNED_IFACE, "State"),
                      NULL);
  g_variant_get (reply, "(v)", &value);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "planned");
  vr_bus_harness_stop_agent (g_steal_pointer (&agent));
  dom = virDomainLookupByUUIDString (conn, f->uuid);
  g_assert_null (dom);
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "");
}

/* Issue 13 after the sixth review: the per-user limits are per host.
 * nobody holds a realized guest on the agent's own host (its record
 * names that connection) and MaxDomainsPerUser=1 there; a realize of
 * another guest onto "near" counts what nobody holds on near (nothing)
 * and goes through (counted together, it was refused with InUse). That
 * the record counts on its own host is /realize-limits/per-host. */
static void
test_agent_limits_per_host (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autofree char *hosts = g_strdup_printf ("near=%s\n", uri);
  g_autofree char *rule = near_only_rule ();
  g_autofree char *second_dir = vr_testbed_require ("second");
  g_autofree char *local = vr_testbed_root_uri (agent_root);
  const char *const realize[] = { "realize", "vr-guest", "--host", "near",
                                  NULL };
  g_autoptr (VrPlannedSystem) held = NULL;
  g_autoptr (GSubprocess) agent = NULL;
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autoptr (virDomain) dom = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;

  held = vr_import_path (f->store, second_dir, NULL, &error);
  g_assert_no_error (error);
  vr_planned_system_set_owner (held, NOBODY);
  vr_planned_system_set_state (held, VR_PLANNED_STATE_REALIZED);
  vr_planned_system_set_connection (held, local);
  g_assert_true (vr_store_save_record (f->store, held, &error));
  g_assert_no_error (error);
  vr_planned_system_set_owner (f->system, NOBODY);
  g_assert_true (vr_store_save_record (f->store, f->system, &error));
  vr_bus_harness_add_rules (harness, "49-vr-test-remote-host.rules", rule);
  agent = agent_start_with (f, "MaxDomainsPerUser=1\n", hosts);
  g_assert_cmpint (run_cli_nobody (&out, realize), ==, 0);
  g_assert_nonnull (strstr (out, "realized as domain 'vr-guest'"));
  vr_bus_harness_stop_agent (g_steal_pointer (&agent));
  dom = virDomainLookupByUUIDString (conn, f->uuid);
  g_assert_nonnull (dom);
}

/* A rule for nobody on this test's second daemon (by either URI): action
 * `always` allowed on every host, action `near_only` only for host
 * "near". Inert once this process is gone. */
static char *
admin_rule (const char *always, const char *near_only)
{
  g_autofree char *port = g_strdup_printf (":%u/", remote.port);

  return g_strdup_printf (
      "// virt-realize test-remote: inert once process %d is gone.\n"
      "polkit.addRule(function(action, subject) {\n"
      "    var uri = action.lookup(\"host_uri\") || \"\";\n"
      "    if (subject.user != \"nobody\" ||\n"
      "        (uri.indexOf(\"%s\") < 0 && uri.indexOf(\"%s\") < 0))\n"
      "        return polkit.Result.NOT_HANDLED;\n"
      "    if (action.id == \"org.virtrealize.Realize1.%s\" ||\n"
      "        (action.id == \"org.virtrealize.Realize1.%s\" &&\n"
      "         action.lookup(\"host\") == \"near\")) {\n"
      "        try {\n"
      "            polkit.spawn([\"/usr/bin/test\", \"-d\", \"/proc/%d\"]);\n"
      "            return polkit.Result.YES;\n"
      "        } catch (error) {\n"
      "        }\n"
      "    }\n"
      "});\n", (int) getpid (), remote.dir, port, always, near_only,
      (int) getpid ());
}

/* The test's two names for the second daemon: near (qemu+unix), far
 * (qemu+tcp). */
static char *
near_far_hosts (void)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autofree char *tcp = tcp_uri (&remote);

  return g_strdup_printf ("near=%s\nfar=%s\n", uri, tcp);
}

/* realize-host-access carries the host too: with it allowed to nobody on
 * "near" only, nobody's own planned system whose XML passes QEMU options
 * (VR1801) fits near and does not fit far (the finding is an error
 * there), validate being allowed on both. */
static void
test_agent_host_access_rule (Fixture *f, gconstpointer data)
{
  static const HostileEdit qemu_env = { "/domain",
    "<qemu:commandline " HOSTILE_QEMU_NS "><qemu:env name='VR_REMOTE' "
    "value='1'/></qemu:commandline>", NULL };
  g_autofree char *dir = hostile_import_dir ("basic", &qemu_env, FALSE);
  g_autofree char *state = test_mkdtemp ();
  g_autoptr (VrStore) store = vr_store_new (state);
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autofree char *hosts = near_far_hosts ();
  g_autofree char *conf = g_build_filename (remote.dir, "agent.conf", NULL);
  g_autofree char *text = g_strdup_printf ("[Hosts]\n%s", hosts);
  g_autofree char *agent_uri = vr_testbed_root_uri (agent_root);
  const char *const args[] = { "--config", conf, NULL };
  g_autofree char *rule = admin_rule ("validate", "realize-host-access");
  const char *const near[] = { "validate", "vr-guest", "--host", "near",
                               NULL };
  const char *const far[] = { "validate", "vr-guest", "--host", "far", NULL };
  g_autoptr (GSubprocess) agent = NULL;
  g_autoptr (GError) error = NULL;
  char *out = NULL;

  system = vr_import_path (store, dir, NULL, &error);
  g_assert_no_error (error);
  vr_planned_system_set_owner (system, NOBODY);
  vr_planned_system_set_author (system, NOBODY);
  g_assert_true (vr_store_save_record (store, system, &error));
  vr_bus_harness_add_rules (harness, "48-vr-test-remote-access.rules", rule);
  g_assert_true (g_file_set_contents (conf, text, -1, NULL));
  agent = vr_bus_harness_start_agent (harness, agent_uri, state, NULL, args);
  g_assert_cmpint (run_cli_nobody (&out, near), ==, 0);
  g_assert_nonnull (strstr (out, "near: fits ("));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli_nobody (&out, far), ==, 3);
  g_assert_nonnull (strstr (out, "far: does not fit: VR1801"));
  g_clear_pointer (&out, g_free);
  vr_bus_harness_stop_agent (g_steal_pointer (&agent));
  test_rmtree (state);
  test_rmtree (dir);
}

/* manage-others carries the host too: with it allowed to nobody on
 * "near" only, another user's planned system may be validated on near by
 * nobody, not on far. */
static void
test_agent_others_rule (Fixture *f, gconstpointer data)
{
  g_autofree char *hosts = near_far_hosts ();
  g_autofree char *rule = admin_rule ("validate", "manage-others");
  const char *const near[] = { "validate", "vr-guest", "--host", "near",
                               NULL };
  const char *const far[] = { "validate", "vr-guest", "--host", "far", NULL };
  g_autoptr (GSubprocess) agent = NULL;
  g_autoptr (GError) error = NULL;
  char *out = NULL;

  /* uid 1's, written by uid 1: nobody needs manage-others. */
  vr_planned_system_set_owner (f->system, 1);
  vr_planned_system_set_author (f->system, 1);
  g_assert_true (vr_store_save_record (f->store, f->system, &error));
  vr_bus_harness_add_rules (harness, "48-vr-test-remote-others.rules", rule);
  agent = agent_start (f, hosts);
  g_assert_cmpint (run_cli_nobody (&out, near), ==, 0);
  g_assert_nonnull (strstr (out, "near: fits ("));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli_nobody (&out, far), ==, 1);
  g_assert_nonnull (strstr (out, "Access denied (32769)"));
  g_assert_nonnull (strstr (out, "manage-others"));
  g_clear_pointer (&out, g_free);
  vr_bus_harness_stop_agent (g_steal_pointer (&agent));
}

/* Placement through the agent across its three listed hosts: one not
 * reachable, one with a domain of the same UUID (VR1602), one that fits
 * (a third libvirtd): it realizes onto the third and says why not the
 * others. */
static void
test_agent_placement (Fixture *f, gconstpointer data)
{
  Remote other = { 0 };
  g_autofree char *domain_xml = NULL;
  g_autoptr (GString) clash = NULL;
  g_autofree char *clash_uri = tcp_uri (&remote);
  g_autofree char *dead_uri = g_strdup_printf (
      "qemu+tcp://127.0.0.1:%u/session", test_free_port ());
  g_autofree char *fit_uri = NULL;
  g_autofree char *hosts = NULL;
  g_autoptr (virConnect) clash_conn = vr_libvirt_open (clash_uri, NULL);
  g_autoptr (virConnect) fit_conn = NULL;
  g_autoptr (virDomain) defined = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autoptr (GSubprocess) agent = NULL;
  g_autofree char *out = NULL;
  g_autofree char *path = g_build_filename (f->import, "domain.xml", NULL);

  g_assert_true (g_file_get_contents (path, &domain_xml, NULL, NULL));
  clash = g_string_new (domain_xml);
  g_string_replace (clash, "<name>vr-guest</name>",
                    "<name>vr-clash</name>", 1);
  defined = virDomainDefineXML (clash_conn, clash->str);
  g_assert_nonnull (defined);
  remote_init (&other);
  other.port = test_free_port ();
  remote_start (&other);
  define_pool (&other);
  fit_uri = unix_uri (&other);
  hosts = g_strdup_printf ("dead=%s\nclash=%s\nfit=%s\n", dead_uri,
                           clash_uri, fit_uri);
  agent = agent_start (f, hosts);
  /* A host named again is checked once (a name repeated 100000 times
   * was that many checks of root's CPU). */
  run_cli (&out, "validate", "vr-guest", "--host", "fit", "--host", "fit",
           "--host", fit_uri, NULL);
  g_assert_nonnull (strstr (out, "fit: fits ("));
  g_assert_null (strstr (strstr (out, "fit: fits (") + strlen ("fit: fits ("),
                         "fits ("));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&out, "realize", "vr-guest", "--start", "--host",
                            "dead", "--host", "clash", "--host", "fit", NULL),
                   ==, 0);
  g_assert_nonnull (strstr (out, "dead: does not fit: not reachable"));
  g_assert_nonnull (strstr (out, "clash: does not fit: VR1602"));
  g_assert_nonnull (strstr (out, "fit: fits ("));
  g_assert_nonnull (strstr (out, "chosen"));
  vr_bus_harness_stop_agent (g_steal_pointer (&agent));
  fit_conn = vr_libvirt_open (fit_uri, NULL);
  dom = virDomainLookupByUUIDString (fit_conn, f->uuid);
  g_assert_nonnull (dom);
  assert_restored (&other, dom);
  g_clear_pointer (&dom, virDomainFree);
  dom = virDomainLookupByUUIDString (clash_conn, f->uuid);
  g_assert_nonnull (dom);
  g_assert_cmpstr (virDomainGetName (dom), ==, "vr-clash");
  g_assert_cmpint (virDomainIsActive (dom), ==, 0);
  test_remove_domain (fit_conn, f->uuid);
  g_clear_pointer (&fit_conn, virConnectClose);
  remote_kill (&other);
  remote_clear (&other);
}

static char *
planned_state (void)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) value = NULL;

  reply = agent_call (BASIC_PATH, "org.freedesktop.DBus.Properties", "Get",
                      g_variant_new ("(ss)", VR_DBUS_PLANNED_IFACE, "State"),
                      NULL);
  g_assert_nonnull (reply);
  g_variant_get (reply, "(v)", &value);
  return g_variant_dup_string (value, NULL);
}

/* Polls (10 per second, at most a minute) until test says so. */
static void
wait_for (gboolean (*test) (gpointer), gpointer data, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!test (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_usleep (G_USEC_PER_SEC / 10);
    }
}

static gboolean
file_exists (gpointer path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static gboolean
is_failed (gpointer data)
{
  g_autofree char *state = planned_state ();

  return g_str_equal (state, "failed");
}

static gboolean
pool_empty (gpointer data)
{
  return pool_files (&remote) == 0;
}

/* The rollback's last step: its journal goes after the volumes. */
static gboolean
journal_gone (gpointer data)
{
  Fixture *f = data;

  return !vr_realize_journal_exists (f->store, f->system);
}

/* The second daemon killed mid-upload of a realize through the agent: the
 * job fails with its rollback pending and the partial volume stays while
 * nobody can remove it; once the daemon is back, the agent's own
 * reconnect to that host finishes the rollback (no volume, no domain, no
 * journal), with no realize or restart of the agent. */
static void
test_agent_killed (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autofree char *hosts = g_strdup_printf ("near=%s\n", uri);
  g_autofree char *conf = g_build_filename (remote.dir, "agent.conf", NULL);
  g_autofree char *pause = g_build_filename (remote.dir, "pause", NULL);
  g_autofree char *reached = g_build_filename (remote.dir, "reached", NULL);
  g_autofree char *env_pause = g_strconcat ("VR_TEST_PAUSE_FILE=", pause,
                                            NULL);
  g_autofree char *env_reached = g_strconcat ("VR_TEST_PAUSE_REACHED=",
                                              reached, NULL);
  const char *const env[] = { "VR_TEST_PAUSE_AT=copy", env_pause,
                              env_reached, NULL };
  g_autofree char *text = g_strdup_printf ("[Hosts]\n%s", hosts);
  g_autofree char *agent_uri = vr_testbed_root_uri (agent_root);
  const char *const args[] = { "--config", conf, NULL };
  g_autoptr (GSubprocess) agent = NULL;
  g_autoptr (virConnect) conn = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *out = NULL;

  if (!test_needs_hooks ())
    return;
  g_assert_true (g_file_set_contents (conf, text, -1, NULL));
  test_write_file (remote.dir, "pause", "", 0);
  unlink (reached);
  agent = vr_bus_harness_start_agent (harness, agent_uri, f->state, env,
                                      args);
  g_assert_cmpint (run_cli (&out, "realize", "vr-guest", "--host", "near",
                            "--no-wait", NULL), ==, 0);
  wait_for (file_exists, reached, "the upload to pause");
  g_assert_cmpuint (pool_files (&remote), ==, 1);
  remote_kill (&remote);
  unlink (pause);
  wait_for (is_failed, NULL, "the job to fail");
  g_assert_true (vr_realize_journal_exists (f->store, f->system));
  g_assert_cmpuint (pool_files (&remote), ==, 1);
  remote_start (&remote);
  wait_for (pool_empty, NULL, "the agent's reconnect to roll back");
  wait_for (journal_gone, f, "the rollback to end");
  conn = vr_libvirt_open (uri, NULL);
  g_assert_nonnull (conn);
  dom = virDomainLookupByUUIDString (conn, f->uuid);
  g_assert_null (dom);
  vr_bus_harness_stop_agent (g_steal_pointer (&agent));
}

/* export -c REMOTE --save: a guest running on the second daemon is
 * exported here (its state through a volume there, downloaded as a sparse
 * stream); the remote domain is left managed-saved (start resumes it) with
 * nothing left in its pool; the export imports and realizes onto this
 * host's embedded QEMU, where the guest resumes. */
static void
test_export (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  VrRealizeOptions start = { .start = TRUE };
  VrExportOptions options = { .save = TRUE };
  g_autofree char *out = test_mkdtemp ();
  g_autofree char *dir = g_build_filename (out, "export", NULL);
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *pool = test_mkdtemp ();
  g_autofree char *local_uri = vr_testbed_root_uri (local_root);
  g_autoptr (virConnect) local = NULL;
  g_autoptr (VrStore) store = vr_store_new (state);
  g_autoptr (VrPlannedSystem) planned = NULL;
  g_autoptr (VrHostCaps) caps = NULL;
  g_autoptr (VrExportResult) result = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autoptr (virDomain) here = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *volumes = NULL;
  VrRealizeOptions local_options = { .pool_dir = pool, .start = TRUE };

  g_assert_true (realize_on (f, conn, &start, NULL, NULL, &error));
  g_assert_no_error (error);
  result = vr_export (conn, "vr-guest", dir, &options, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (result->save_file, ==, "vr-guest.save");
  g_assert_true (result->saved);
  dom = virDomainLookupByUUIDString (conn, f->uuid);
  g_assert_cmpint (virDomainIsActive (dom), ==, 0);
  g_assert_cmpint (virDomainHasManagedSaveImage (dom, 0), ==, 1);
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "");
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  assert_restored (&remote, dom);

  planned = vr_import_path (store, dir, NULL, &error);
  g_assert_no_error (error);
  local = vr_libvirt_open (local_uri, &error);
  g_assert_no_error (error);
  caps = vr_host_caps_new (local);
  vr_realize (store, caps, local, planned, &local_options, NULL, NULL,
              &error);
  g_assert_no_error (error);
  here = virDomainLookupByUUIDString (local, f->uuid);
  g_assert_nonnull (here);
  {
    int st = 0;
    int reason = 0;

    g_assert_cmpint (virDomainGetState (here, &st, &reason, 0), ==, 0);
    g_assert_cmpint (st, ==, VIR_DOMAIN_RUNNING);
    g_assert_cmpint (reason, ==, VIR_DOMAIN_RUNNING_RESTORED);
  }
  test_remove_domain (local, f->uuid);
  test_rmtree (out);
  test_rmtree (state);
  test_rmtree (pool);
}

/* export --save from a remote host says the domain is saved there (not
 * "here"); a volume an earlier export left behind holds the guest's
 * state: the next export refuses (32774) and says how to take it back
 * with virsh commands that go to the remote host (-c 'URI'). */
static void
test_export_left_volume (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  VrRealizeOptions start = { .start = TRUE };
  VrExportOptions options = { .save = TRUE };
  g_autofree char *out = test_mkdtemp ();
  g_autofree char *dir = g_build_filename (out, "export", NULL);
  g_autofree char *virsh = g_strdup_printf ("virsh -c '%s' restore ", uri);
  g_autofree char *create = g_strdup_printf (
      "vol-create-as default vr-export-%s.save 1M", f->uuid);
  g_autofree char *made = NULL;
  g_autofree char *said = NULL;
  g_autofree char *saved_there = g_strdup_printf ("it is saved now on %s, "
                                                  "and starting it there "
                                                  "resumes it", uri);
  g_autoptr (virDomain) dom = NULL;
  int status = -1;
  g_autoptr (VrExportResult) result = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (realize_on (f, conn, &start, NULL, NULL, &error));
  g_assert_no_error (error);
  said = test_cli_direct (f->state, uri, &status, "export", "vr-guest",
                          dir, "--save", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (said, saved_there));
  g_assert_nonnull (strstr (said, "do not start it there again"));
  g_assert_null (strstr (said, "start it here"));
  dom = virDomainLookupByUUIDString (conn, f->uuid);
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  test_rmtree (dir);
  made = test_virsh (uri, create);
  result = vr_export (conn, "vr-guest", dir, &options, NULL, NULL, &error);
  g_assert_null (result);
  test_assert_error (error, VR_ERROR_IN_USE, "an earlier export", virsh,
                     "managedsave vr-guest --running", NULL);
  delete_volumes (conn);
  test_rmtree (out);
}

/* export --with-disks from the remote host: the disk, a volume of its
 * pool there, is downloaded into DIR/disks byte for byte; the remote pool
 * keeps exactly that volume (the save's is gone); the export realizes
 * onto this host's embedded QEMU, where the guest resumes. */
static void
test_export_disks (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  VrRealizeOptions start = { .start = TRUE, .copy_disks = TRUE };
  VrExportOptions options = { .save = TRUE, .with_disks = TRUE };
  g_autofree char *out = test_mkdtemp ();
  g_autofree char *dir = g_build_filename (out, "export", NULL);
  g_autofree char *copy = g_build_filename (dir, "disks",
                                            "vr-guest-disk-disk0.qcow2",
                                            NULL);
  g_autofree char *source = g_build_filename (remote.pool,
                                              "vr-guest-disk-disk0.qcow2",
                                              NULL);
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *pool = test_mkdtemp ();
  g_autofree char *local_uri = vr_testbed_root_uri (local_root);
  g_autoptr (virConnect) local = NULL;
  g_autoptr (VrStore) store = vr_store_new (state);
  g_autoptr (VrPlannedSystem) planned = NULL;
  g_autoptr (VrHostCaps) caps = NULL;
  g_autoptr (VrExportResult) result = NULL;
  g_autoptr (virDomain) here = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *volumes = NULL;
  g_autofree char *got = NULL;
  g_autofree char *want = NULL;
  gsize got_len = 0;
  gsize want_len = 0;
  VrRealizeOptions local_options = { .pool_dir = pool, .start = TRUE,
                                     .copy_disks = TRUE };
  int st = 0;
  int reason = 0;

  /* QEMU (uid libvirt-qemu) opens the disk copied there. */
  g_assert_cmpint (chmod (pool, 0755), ==, 0);
  g_assert_true (realize_on (f, conn, &start, NULL, NULL, &error));
  g_assert_no_error (error);
  result = vr_export (conn, "vr-guest-disk", dir, &options, NULL, NULL,
                      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->disks, ==, 1);
  g_assert_cmpstr (result->save_file, ==, "vr-guest-disk.save");
  g_assert_true (g_file_get_contents (copy, &got, &got_len, NULL));
  g_assert_true (g_file_get_contents (source, &want, &want_len, NULL));
  g_assert_cmpuint (got_len, ==, want_len);
  g_assert_true (memcmp (got, want, got_len) == 0);
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "vr-guest-disk-disk0.qcow2\n");

  planned = vr_import_path (store, dir, NULL, &error);
  g_assert_no_error (error);
  local = vr_libvirt_open (local_uri, &error);
  g_assert_no_error (error);
  caps = vr_host_caps_new (local);
  vr_realize (store, caps, local, planned, &local_options, NULL, NULL,
              &error);
  g_assert_no_error (error);
  here = virDomainLookupByUUIDString (local, f->uuid);
  g_assert_nonnull (here);
  g_assert_cmpint (virDomainGetState (here, &st, &reason, 0), ==, 0);
  g_assert_cmpint (st, ==, VIR_DOMAIN_RUNNING);
  g_assert_cmpint (reason, ==, VIR_DOMAIN_RUNNING_RESTORED);
  test_remove_domain (local, f->uuid);
  test_remove_domain (conn, f->uuid);
  delete_volumes (conn);
  test_rmtree (out);
  test_rmtree (state);
  test_rmtree (pool);
}

#define LOOSE_UUID "5a1ad0c0-7e57-4b3d-9c1e-0000000000a1"
#define EFI_UUID "5a1ad0c0-7e57-4b3d-9c1e-0000000000a2"

/* A domain defined on the second daemon from xml (never started). */
static virDomainPtr
define_remote (virConnectPtr conn, const char *xml)
{
  virDomainPtr dom = virDomainDefineXML (conn, xml);

  g_assert_nonnull (dom);
  return dom;
}

static void
undefine_remote (virDomainPtr dom)
{
  g_assert_cmpint (virDomainUndefineFlags (dom,
                                           VIR_DOMAIN_UNDEFINE_KEEP_NVRAM
                                           | VIR_DOMAIN_UNDEFINE_KEEP_TPM),
                   ==, 0);
}

/* Exports name from the second daemon into a new folder, which must fail
 * with Not supported and leave nothing; the message is returned. */
static char *
export_refused (virConnectPtr conn, const char *name)
{
  VrExportOptions options = { .with_disks = TRUE };
  g_autofree char *out = test_mkdtemp ();
  g_autofree char *dir = g_build_filename (out, "export", NULL);
  g_autoptr (VrExportResult) result = NULL;
  g_autoptr (GError) error = NULL;

  result = vr_export (conn, name, dir, &options, NULL, NULL, &error);
  g_assert_null (result);
  test_assert_error (error, VR_ERROR_NOT_SUPPORTED, NULL);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  test_rmtree (out);
  return g_strdup (error->message);
}

/* A disk that is a file of the remote host but no volume of its pools is
 * refused before anything is written, naming the disk and its path. */
static void
test_export_not_volume (void)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autofree char *loose = g_build_filename (remote.dir, "loose.qcow2", NULL);
  g_autofree char *xml = g_strdup_printf (
      "<domain type='qemu'><name>vr-loose</name><uuid>" LOOSE_UUID
      "</uuid><memory unit='MiB'>64</memory><os><type>hvm</type></os>"
      "<devices><disk type='file' device='disk'><driver name='qemu' "
      "type='raw'/><source file='%s'/><target dev='vda' bus='virtio'/>"
      "</disk></devices></domain>", loose);
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *message = NULL;

  g_assert_true (g_file_set_contents (loose, "", 0, NULL));
  dom = define_remote (conn, xml);
  message = export_refused (conn, "vr-loose");
  g_assert_nonnull (strstr (message, "disk vda"));
  g_assert_nonnull (strstr (message, loose));
  g_assert_nonnull (strstr (message, "not a volume"));
  undefine_remote (dom);
  unlink (loose);
}

/* A UEFI variable store and TPM state there are refused before anything
 * is written: the message names both and how to carry them. */
static void
test_export_firmware (void)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autofree char *nvram = g_build_filename (remote.dir, "vr-efi_VARS.fd",
                                             NULL);
  g_autofree char *xml = g_strdup_printf (
      "<domain type='qemu'><name>vr-efi</name><uuid>" EFI_UUID "</uuid>"
      "<memory unit='MiB'>128</memory><os><type machine='q35'>hvm</type>"
      "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd"
      "</loader><nvram>%s</nvram></os><features><acpi/></features>"
      "<devices><tpm model='tpm-crb'><backend type='emulator' "
      "version='2.0'/></tpm></devices></domain>", nvram);
  g_autoptr (virDomain) dom = define_remote (conn, xml);
  g_autofree char *message = export_refused (conn, "vr-efi");

  g_assert_nonnull (strstr (message, "UEFI variable store"));
  g_assert_nonnull (strstr (message, nvram));
  g_assert_nonnull (strstr (message, "TPM 2.0 state"));
  g_assert_nonnull (strstr (message, EFI_UUID));
  g_assert_nonnull (strstr (message, "Export 'vr-efi' on "));
  g_assert_nonnull (strstr (message, "rsync -aS"));
  undefine_remote (dom);
}

/* A local file of size bytes of data (no holes: all of it is written). */
static char *
dense_file (const char *dir, gsize size)
{
  g_autofree char *data = g_malloc (size);
  char *path = g_build_filename (dir, "dense", NULL);
  g_autoptr (GError) error = NULL;

  memset (data, 0x5a, size);
  g_file_set_contents (path, data, size, &error);
  g_assert_no_error (error);
  return path;
}

/* Whether any process has path open (the far daemon's stream writer). */
static gboolean
file_held_open (const char *path)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *pid;

  while ((pid = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *fds = g_build_filename ("/proc", pid, "fd", NULL);
      g_autoptr (GDir) dir = g_dir_open (fds, 0, NULL);
      const char *fd;

      while (dir != NULL && (fd = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *link = g_build_filename (fds, fd, NULL);
          g_autofree char *target = g_file_read_link (link, NULL);

          if (g_strcmp0 (target, path) == 0)
            return TRUE;
        }
    }
  return FALSE;
}

/* An upload returns once the far side is done with it: the stream is
 * finished, so the far daemon has closed the volume (before, the stream
 * stayed open there until the connection closed, and the far writer's
 * errors never came back). */
static void
test_upload_finished (void)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autoptr (virStoragePool) pool = virStoragePoolLookupByName (conn,
                                                                "default");
  g_autofree char *local = test_mkdtemp ();
  g_autofree char *file = dense_file (local, 256 * 1024);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  virStorageVolPtr vol;
  int fd = open (file, O_RDONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  vol = vr_volume_create (pool, "finished", 256 * 1024, &error);
  g_assert_no_error (error);
  path = virStorageVolGetPath (vol);
  g_assert_true (vr_volume_upload (conn, vol, fd, 256 * 1024, NULL, NULL,
                                   NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (file_held_open (path));
  g_assert_true (vr_volume_check (conn, vol, fd, 256 * 1024, &error));
  g_assert_no_error (error);
  close (fd);
  g_assert_cmpint (virStorageVolDelete (vol, 0), ==, 0);
  virStorageVolFree (vol);
  test_rmtree (local);
}

/* Extents that do not fall on the upload's 256 KiB packets: data at 0
 * (1 MiB + 3 bytes, so a short packet ends it), a hole, data of 300 KiB +
 * 17 at 5 MiB, a trailing hole. The volume holds the same bytes, its
 * holes stay holes, and the checksum (holes as zeros) is the file's. */
#define SPARSE_SIZE (8 * 1024 * 1024)

static void
write_at (int fd, guint64 offset, gsize length, guint8 seed)
{
  g_autofree guint8 *data = g_malloc (length);

  for (gsize i = 0; i < length; i++)
    data[i] = (guint8) (seed + i * 7 + i / 4093);
  g_assert_cmpint (pwrite (fd, data, length, offset), ==, (gssize) length);
}

static void
test_upload_sparse (void)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autoptr (virStoragePool) pool = virStoragePoolLookupByName (conn,
                                                                "default");
  g_autofree char *local = test_mkdtemp ();
  g_autofree char *file = g_build_filename (local, "sparse", NULL);
  g_autoptr (VrSha256) sent = vr_sha256_new ();
  g_autoptr (VrSha256) expected = vr_sha256_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *theirs = NULL;
  gsize ours_len;
  gsize theirs_len;
  struct stat st;
  virStorageVolPtr vol;
  int fd = open (file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, SPARSE_SIZE), ==, 0);
  write_at (fd, 0, 1024 * 1024 + 3, 1);
  write_at (fd, 5 * 1024 * 1024, 300 * 1024 + 17, 2);
  vol = vr_volume_create (pool, "sparse", SPARSE_SIZE, &error);
  g_assert_no_error (error);
  path = virStorageVolGetPath (vol);
  g_assert_true (vr_volume_upload (conn, vol, fd, SPARSE_SIZE, sent, NULL,
                                   NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (vr_volume_check (conn, vol, fd, SPARSE_SIZE, &error));
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_get_contents (file, &ours, &ours_len, NULL));
  g_assert_true (g_file_get_contents (path, &theirs, &theirs_len, NULL));
  g_assert_cmpmem (theirs, theirs_len, ours, ours_len);
  vr_sha256_update (expected, ours, ours_len);
  g_assert_cmpstr (vr_sha256_hex (sent), ==, vr_sha256_hex (expected));
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint ((guint64) st.st_blocks * 512, <, 4 * 1024 * 1024);
  g_assert_cmpint (virStorageVolDelete (vol, 0), ==, 0);
  virStorageVolFree (vol);
  test_rmtree (local);
}

/* The far pool a little too small for what is uploaded (the data fits in
 * the sockets' buffers, and libvirt 9.0's finish does not always report
 * its writer's ENOSPC): the upload and its read-back check never both
 * pass, and the error says what failed. */
#define UPLOAD_SIZE (1024 * 1024 + 128 * 1024)

static void
test_upload_full (void)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autofree char *small = g_build_filename (remote.dir, "small", NULL);
  g_autofree char *local = test_mkdtemp ();
  g_autofree char *file = dense_file (local, UPLOAD_SIZE);
  g_autofree char *create = g_strdup_printf (
      "pool-create-as small dir --target %s", small);
  g_autofree char *out = NULL;
  g_autoptr (virStoragePool) pool = NULL;
  g_autoptr (GError) error = NULL;
  virStorageVolPtr vol;
  int fd;

  make_owned_dir (small);
  if (mount ("tmpfs", small, "tmpfs", 0,
             "size=1m,mode=0755,uid=65534,gid=65534") != 0)
    {
      g_test_skip ("cannot mount a 1 MiB tmpfs for the far pool");
      test_rmtree (local);
      return;
    }
  out = test_virsh (uri, create);
  pool = virStoragePoolLookupByName (conn, "small");
  g_assert_nonnull (pool);
  vol = vr_volume_create (pool, "full", UPLOAD_SIZE, &error);
  g_assert_no_error (error);
  fd = open (file, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  g_assert_false (vr_volume_upload (conn, vol, fd, UPLOAD_SIZE, NULL, NULL,
                                    NULL, NULL, &error)
                  && vr_volume_check (conn, vol, fd, UPLOAD_SIZE, &error));
  g_assert_nonnull (error);
  g_assert_true (strstr (error->message, "No space left on device") != NULL
                 || strstr (error->message, "does not hold what was "
                            "uploaded") != NULL);
  close (fd);
  virStorageVolDelete (vol, 0);
  virStorageVolFree (vol);
  virStoragePoolDestroy (pool);
  g_assert_cmpint (umount (small), ==, 0);
  test_rmtree (local);
}

#define UEFI_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000004"
#define UEFI_VARS "vr-uefi_VARS.fd"
#define OVMF_CODE "/usr/share/OVMF/OVMF_CODE_4M.fd"

/* The test bed's UEFI guest (OVMF, TPM 2.0) imported from a copy of its
 * import directory; without_tpm: the copy's tpm/ removed (the domain keeps
 * its emulated TPM, whose state the saved stream holds). NULL, the test
 * skipped, where the test bed has no UEFI guest. */
static char *
uefi_copy (gboolean without_tpm)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *uefi = NULL;
  g_autofree char *tpm = NULL;
  char *copy;

  if (!g_file_test (OVMF_CODE, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no " OVMF_CODE " (ovmf): the test bed has no UEFI "
                   "guest");
      return NULL;
    }
  uefi = vr_testbed_require ("uefi");
  copy = vr_testbed_copy_import_dir (uefi, &error);
  g_assert_no_error (error);
  tpm = g_build_filename (copy, "tpm", NULL);
  if (without_tpm)
    test_rmtree (tpm);
  return copy;
}

/* A UEFI domain is undefined with its store kept (libvirt 9.0 refuses
 * otherwise); the store is a volume, deleted with the pool's others. */
static void
remove_uefi_domain (virConnectPtr conn)
{
  g_autoptr (virDomain) dom = virDomainLookupByUUIDString (conn, UEFI_UUID);

  if (dom == NULL)
    return;
  if (virDomainIsActive (dom) == 1)
    virDomainDestroy (dom);
  virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                                   | VIR_DOMAIN_UNDEFINE_KEEP_NVRAM
                                   | VIR_DOMAIN_UNDEFINE_KEEP_TPM);
}

static char *
domain_nvram (virDomainPtr dom)
{
  g_autofree char *xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  g_autoptr (xmlDoc) doc = NULL;

  g_assert_nonnull (xml);
  doc = vr_xml_parse_buffer (xml, strlen (xml), "domain", "domain", NULL);
  g_assert_nonnull (doc);
  return vr_xml_xpath_string (doc, "string(/domain/os/nvram)");
}

static void
assert_same_file (const char *a, const char *b)
{
  g_autofree char *one = NULL;
  g_autofree char *two = NULL;
  gsize one_len = 0;
  gsize two_len = 0;

  g_assert_true (g_file_get_contents (a, &one, &one_len, NULL));
  g_assert_true (g_file_get_contents (b, &two, &two_len, NULL));
  g_assert_cmpuint (one_len, ==, two_len);
  g_assert_true (memcmp (one, two, one_len) == 0);
}

/* The UEFI variable store goes as a volume of the remote pool, which the
 * domain's <nvram> names: a failure after define takes both back (the
 * volume deleted by its journaled key, libvirt told to keep NVRAM); then
 * the realize goes through, the volume holds the carried store byte for
 * byte before the guest runs, and the guest resumes from its managed save
 * with it. */
static void
test_uefi (void)
{
  g_autofree char *copy = uefi_copy (TRUE);
  g_autofree char *state = NULL;
  g_autofree char *uri = unix_uri (&remote);
  g_autofree char *carried = NULL;
  g_autofree char *volume = NULL;
  g_autofree char *nvram = NULL;
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autoptr (VrStore) store = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (VrHostCaps) caps = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *volumes = NULL;
  VrRealizeOptions options = { 0 };

  if (copy == NULL)
    return;
  state = test_mkdtemp ();
  store = vr_store_new (state);
  system = vr_import_path (store, copy, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (vr_planned_system_get_nvram_file (system));
  g_assert_null (vr_planned_system_get_tpm_folder (system));
  carried = g_build_filename (copy, "nvram", UEFI_VARS, NULL);
  volume = g_build_filename (remote.pool, UEFI_VARS, NULL);
  caps = vr_host_caps_new (conn);
  if (test_needs_hooks ())
    {
      g_setenv ("VR_TEST_FAIL_AT", "defined", TRUE);
      g_assert_false (vr_realize (store, caps, conn, system, &options, NULL,
                                  NULL, &error));
      g_unsetenv ("VR_TEST_FAIL_AT");
      g_test_message ("realize: %s", error->message);
      g_clear_error (&error);
      g_assert_false (vr_planned_system_get_rollback_pending (system));
      volumes = pool_volumes (conn);
      g_assert_cmpstr (volumes, ==, "");
      g_assert_cmpuint (pool_files (&remote), ==, 0);
      dom = virDomainLookupByUUIDString (conn, UEFI_UUID);
      g_assert_null (dom);
      g_clear_pointer (&volumes, g_free);
    }
  g_assert_true (vr_realize (store, caps, conn, system, &options, NULL, NULL,
                             &error));
  g_assert_no_error (error);
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, UEFI_VARS "\n");
  dom = virDomainLookupByUUIDString (conn, UEFI_UUID);
  g_assert_nonnull (dom);
  nvram = domain_nvram (dom);
  g_assert_cmpstr (nvram, ==, volume);
  assert_same_file (volume, carried);
  g_assert_cmpint (virDomainHasManagedSaveImage (dom, 0), ==, 1);
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  assert_restored (&remote, dom);
  remove_uefi_domain (conn);
  delete_volumes (conn);
  test_rmtree (state);
  test_rmtree (copy);
}

typedef struct {
  VrStore *store;
  VrPlannedSystem *system;
  virConnectPtr conn;
  GError *error;
} UefiJob;

static gpointer
run_uefi_job (gpointer data)
{
  UefiJob *job = data;
  VrRealizeOptions options = { 0 };
  g_autoptr (VrHostCaps) caps = vr_host_caps_new (job->conn);

  return GINT_TO_POINTER (vr_realize (job->store, caps, job->conn,
                                      job->system, &options, NULL, NULL,
                                      &job->error));
}

/* The second daemon killed once the domain is defined with its store
 * uploaded: the rollback is pending, the journal names the store's
 * volume; once the daemon is back, recovery undefines the domain and
 * deletes the store and the save image's volumes. */
static void
test_uefi_killed (void)
{
  g_autofree char *copy = uefi_copy (TRUE);
  g_autofree char *state = NULL;
  g_autofree char *pause = NULL;
  g_autofree char *reached = NULL;
  g_autofree char *journal_path = NULL;
  g_autofree char *journal = NULL;
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autoptr (virConnect) again = NULL;
  g_autoptr (VrStore) store = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (VrStoreLock) lock = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *volumes = NULL;
  UefiJob job = { 0 };
  GThread *thread;

  if (copy == NULL || !test_needs_hooks ())
    return;
  state = test_mkdtemp ();
  store = vr_store_new (state);
  system = vr_import_path (store, copy, NULL, &error);
  g_assert_no_error (error);
  pause = g_build_filename (state, "pause", NULL);
  reached = g_build_filename (state, "reached", NULL);
  test_write_file (state, "pause", "", 0);
  g_setenv ("VR_TEST_PAUSE_AT", "defined", TRUE);
  g_setenv ("VR_TEST_PAUSE_FILE", pause, TRUE);
  g_setenv ("VR_TEST_PAUSE_REACHED", reached, TRUE);
  job = (UefiJob){ store, system, conn, NULL };
  thread = g_thread_new ("realize", run_uefi_job, &job);
  while (!g_file_test (reached, G_FILE_TEST_EXISTS))
    g_usleep (G_USEC_PER_SEC / 20);
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "vr-uefi.save\n" UEFI_VARS "\n");
  remote_kill (&remote);
  unlink (pause);
  g_assert_false (GPOINTER_TO_INT (g_thread_join (thread)));
  g_unsetenv ("VR_TEST_PAUSE_AT");
  g_unsetenv ("VR_TEST_PAUSE_FILE");
  g_unsetenv ("VR_TEST_PAUSE_REACHED");
  g_test_message ("realize: %s", job.error->message);
  g_clear_error (&job.error);
  g_assert_true (vr_planned_system_get_rollback_pending (system));
  journal_path = g_build_filename (state, UEFI_UUID, VR_REALIZE_JOURNAL,
                                   NULL);
  g_assert_true (g_file_get_contents (journal_path, &journal, NULL, NULL));
  test_assert_valid_rng ("realize-journal.rng", journal);
  g_assert_nonnull (strstr (journal, "<volume name=\"" UEFI_VARS "\" key="));
  g_assert_cmpuint (pool_files (&remote), ==, 2);

  remote_start (&remote);
  again = vr_libvirt_open (uri, NULL);
  g_assert_nonnull (again);
  lock = vr_store_lock (store, system, &error);
  g_assert_no_error (error);
  g_assert_true (vr_realize_recover (store, again, system, &error));
  g_assert_no_error (error);
  g_assert_false (vr_planned_system_get_rollback_pending (system));
  g_assert_false (vr_realize_journal_exists (store, system));
  g_clear_pointer (&volumes, g_free);
  volumes = pool_volumes (again);
  g_assert_cmpstr (volumes, ==, "");
  g_assert_cmpuint (pool_files (&remote), ==, 0);
  dom = virDomainLookupByUUIDString (again, UEFI_UUID);
  g_assert_null (dom);
  g_clear_pointer (&lock, vr_store_lock_free);
  test_rmtree (state);
  test_rmtree (copy);
}

/* TPM state is not carried to a remote host: refused before anything is
 * made, the message naming it, where it would go and the commands that
 * carry it by hand. */
static void
test_uefi_tpm_refused (void)
{
  g_autofree char *copy = uefi_copy (FALSE);
  g_autofree char *state = NULL;
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autoptr (VrStore) store = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (VrHostCaps) caps = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *volumes = NULL;
  VrRealizeOptions options = { 0 };

  if (copy == NULL)
    return;
  state = test_mkdtemp ();
  store = vr_store_new (state);
  system = vr_import_path (store, copy, NULL, &error);
  g_assert_no_error (error);
  caps = vr_host_caps_new (conn);
  g_assert_false (vr_realize (store, caps, conn, system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_NOT_SUPPORTED, "TPM state",
                     "/var/lib/libvirt/swtpm/" UEFI_UUID,
                     "virt-realize import", "--new-id", NULL);
  g_assert_nonnull (strstr (error->message, "rsync -aS"));
  g_assert_cmpint (vr_planned_system_get_state (system), ==,
                   VR_PLANNED_STATE_PLANNED);
  g_assert_false (vr_realize_journal_exists (store, system));
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "");
  dom = virDomainLookupByUUIDString (conn, UEFI_UUID);
  g_assert_null (dom);
  test_rmtree (state);
  test_rmtree (copy);
}

typedef struct {
  VrStore *store;
  virConnectPtr conn;
  VrPlannedSystem *system;
  GError *error;
} SwapRealize;

static gpointer
swap_realize (gpointer data)
{
  SwapRealize *run = data;
  g_autoptr (VrHostCaps) caps = vr_host_caps_new (run->conn);
  VrRealizeOptions options = { .copy_disks = TRUE };

  return GINT_TO_POINTER (vr_realize (run->store, caps, run->conn,
                                      run->system, &options, NULL, NULL,
                                      &run->error));
}

/* Tenth review, F1, onto a remote host: the upload reads the caller's
 * disk again after the plan; a header swapped in between (a backing
 * file) is found in the uploaded volume's head, read back, before the
 * far libvirtd is given the domain: refused, no volume left. */
static void
test_disk_swapped (void)
{
  g_autofree char *src = vr_testbed_require ("disk");
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *copy = vr_testbed_copy_import_dir (src, &error);
  g_autofree char *state = test_mkdtemp ();
  g_autoptr (VrStore) store = vr_store_new (state);
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *volumes = NULL;
  HostileSwap swap = { g_build_filename (copy, "disks", "disk0.qcow2", NULL),
                       g_build_filename (state, "secret", NULL), FALSE };
  SwapRealize run = { store, conn, NULL, NULL };

  if (!test_needs_hooks ())
    return;
  g_assert_no_error (error);
  test_write_file (state, "secret", "root's only", -1);
  run.system = vr_import_path (store, copy, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (GPOINTER_TO_INT (test_run_paused (
      "planned-disks", swap_realize, &run, hostile_swap_disk, &swap)));
  g_test_message ("realize: %s", run.error->message);
  test_assert_error (run.error, VR_ERROR_INVALID_PARAMETER,
                     "disks/disk0.qcow2", "changed since it was validated",
                     swap.target, NULL);
  g_clear_error (&run.error);
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "");
  g_assert_cmpuint (pool_files (&remote), ==, 0);
  dom = virDomainLookupByUUIDString (conn, DISK_UUID);
  g_assert_null (dom);
  g_object_unref (run.system);
  test_rmtree (state);
  test_rmtree (copy);
  g_free (swap.disk);
  g_free (swap.target);
}

#define EFIVOL_UUID "5a1ad0c0-7e57-4b3d-9c1e-0000000000a3"
#define OVMF_VARS "/usr/share/OVMF/OVMF_VARS_4M.fd"

/* A UEFI variable store that is a volume of the remote pool (as a remote
 * realize makes it) is read through the storage API: the export carries
 * it, byte for byte, into DIR/nvram, the import takes it, and the volume
 * stays the domain's there. */
static void
test_export_nvram_volume (void)
{
  g_autofree char *uri = unix_uri (&remote);
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autofree char *volume = g_build_filename (remote.pool,
                                              "vr-efivol_VARS.fd", NULL);
  g_autofree char *commands = g_strdup_printf (
      "vol-create-as default vr-efivol_VARS.fd 540672 --allocation 0 "
      "--format raw; vol-upload --pool default vr-efivol_VARS.fd %s",
      OVMF_VARS);
  g_autofree char *made = NULL;
  g_autofree char *nvram = test_xml_text_element ("nvram", volume);
  g_autofree char *xml = g_strdup_printf (
      "<domain type='qemu'><name>vr-efivol</name><uuid>" EFIVOL_UUID
      "</uuid><memory unit='MiB'>128</memory><os><type machine='q35'>hvm"
      "</type><loader readonly='yes' type='pflash'>" OVMF_CODE "</loader>"
      "%s</os><features><acpi/></features></domain>", nvram);
  VrExportOptions options = { 0 };
  g_autofree char *out = test_mkdtemp ();
  g_autofree char *dir = g_build_filename (out, "export", NULL);
  g_autofree char *copy = g_build_filename (dir, "nvram",
                                            "vr-efivol_VARS.fd", NULL);
  g_autofree char *state = test_mkdtemp ();
  g_autoptr (VrStore) store = vr_store_new (state);
  g_autoptr (VrPlannedSystem) planned = NULL;
  g_autoptr (VrExportResult) result = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *volumes = NULL;

  if (!g_file_test (OVMF_VARS, G_FILE_TEST_EXISTS)
      || !g_file_test (OVMF_CODE, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no " OVMF_VARS " (ovmf): no UEFI variable store to "
                   "carry");
      return;
    }
  made = test_virsh (uri, commands);
  assert_same_file (volume, OVMF_VARS);
  dom = define_remote (conn, xml);
  result = vr_export (conn, "vr-efivol", dir, &options, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (result->nvram);
  g_assert_false (result->tpm);
  assert_same_file (copy, volume);
  planned = vr_import_path (store, dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vr_planned_system_get_nvram_file (planned), ==,
                   "nvram/vr-efivol_VARS.fd");
  volumes = pool_volumes (conn);
  g_assert_cmpstr (volumes, ==, "vr-efivol_VARS.fd\n");
  undefine_remote (dom);
  delete_volumes (conn);
  test_rmtree (out);
  test_rmtree (state);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  vr_libvirt_init ();
  if (!g_file_test ("/usr/sbin/libvirtd", G_FILE_TEST_IS_EXECUTABLE)
      || getuid () != 0)
    {
      g_test_add_func ("/remote/skipped", skipped);
      return g_test_run ();
    }
  remote_init (&remote);
  remote.port = test_free_port ();
  remote_start (&remote);
  define_pool (&remote);

  g_test_add ("/remote/unix/managed-save", Fixture, "disk", fixture_set_up,
              test_unix, fixture_tear_down);
  g_test_add ("/remote/tcp/start", Fixture, "basic", fixture_set_up,
              test_tcp_start, fixture_tear_down);
  g_test_add ("/remote/tcp/cli", Fixture, "disk", fixture_set_up,
              test_cli_tcp, fixture_tear_down);
  g_test_add ("/remote/ssh", Fixture, "basic", fixture_set_up, test_ssh,
              fixture_tear_down);
  g_test_add ("/remote/cancel", Fixture, "basic", fixture_set_up,
              test_cancel, fixture_tear_down);
  g_test_add ("/remote/placement", Fixture, "basic", fixture_set_up,
              test_placement, fixture_tear_down);
  g_test_add ("/remote/placement-memory", Fixture, "basic", fixture_set_up,
              test_placement_memory, fixture_tear_down);
  g_test_add ("/remote/placement-memory-bound", Fixture, "basic",
              fixture_set_up, test_placement_memory_bound, fixture_tear_down);
  g_test_add ("/remote/validate/no-pool", Fixture, "basic", fixture_set_up,
              test_validate_no_pool, fixture_tear_down);
  g_test_add ("/remote/validate/skipped-hint", Fixture, "basic",
              fixture_set_up, test_validate_skipped_hint, fixture_tear_down);
  g_test_add ("/remote/pool-dir-refused", Fixture, "basic", fixture_set_up,
              test_pool_dir_refused, fixture_tear_down);
  g_test_add ("/remote/killed", Fixture, "basic", fixture_set_up,
              test_killed, fixture_tear_down);
  g_test_add_func ("/remote/uefi", test_uefi);
  g_test_add_func ("/remote/uefi/killed", test_uefi_killed);
  g_test_add_func ("/remote/uefi/tpm-refused", test_uefi_tpm_refused);
  g_test_add_func ("/remote/disk-swapped", test_disk_swapped);
  local_root = vr_testbed_new_root ("remote-local");
  g_test_add ("/remote/export", Fixture, "basic", fixture_set_up,
              test_export, fixture_tear_down);
  g_test_add ("/remote/export/remote-words", Fixture, "basic",
              fixture_set_up, test_export_left_volume, fixture_tear_down);
  g_test_add ("/remote/export/disks", Fixture, "disk", fixture_set_up,
              test_export_disks, fixture_tear_down);
  g_test_add_func ("/remote/export/not-volume", test_export_not_volume);
  g_test_add_func ("/remote/export/firmware", test_export_firmware);
  g_test_add_func ("/remote/upload/finished", test_upload_finished);
  g_test_add_func ("/remote/upload/full", test_upload_full);
  g_test_add_func ("/remote/upload/sparse", test_upload_sparse);
  g_test_add_func ("/remote/export/nvram-volume", test_export_nvram_volume);
  vr_dbus_errors_register ();
  harness = vr_bus_harness_new (TRUE, &why_no_bus);
  if (harness != NULL)
    agent_root = vr_testbed_new_root ("remote-agent");
#define ADD(path, func) \
  g_test_add ("/remote/agent/" path, Fixture, "basic", \
              harness ? fixture_set_up : NULL, \
              harness ? func : skip_bus_test, \
              harness ? fixture_tear_down : NULL)
  ADD ("realize", test_agent_realize);
  ADD ("unlisted", test_agent_unlisted);
  ADD ("placement", test_agent_placement);
  ADD ("killed", test_agent_killed);
  ADD ("host-rule", test_agent_host_rule);
  ADD ("limits-per-host", test_agent_limits_per_host);
  ADD ("host-access-rule", test_agent_host_access_rule);
  ADD ("others-rule", test_agent_others_rule);
#undef ADD
  status = g_test_run ();
  g_clear_pointer (&harness, vr_bus_harness_free);
  if (agent_root != NULL)
    test_rmtree (agent_root);
  test_rmtree (local_root);
  g_free (local_root);
  g_free (agent_root);
  g_free (why_no_bus);
  remote_kill (&remote);
  remote_clear (&remote);
  return status;
}
