/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kill-anywhere trials: realize, export and import real saved guests from
 * the test bed, SIGKILL the process doing it (the CLI with --direct, or the
 * agent on a private session bus) at a step boundary (VR_TEST_STALL_AT) or
 * at a random moment (VR_TEST_SLOW_COPY and a random delay, often inside a
 * copy), let the next command or agent start recover, and check that
 * nothing is half:
 *
 *   realize: the planned system is planned (or failed: rolled back) or
 *     realized, never realizing; planned means the
 *     pool holds only what was there before, the save directory no managed
 *     save, libvirt no domain of its UUID, the state folder no journal;
 *     realized means a domain and its managed save; the import directory's
 *     tree is unchanged; a following realize succeeds and (every few
 *     trials) `virsh start` resumes the guest ("running (restored)").
 *   export: with manifest.xml the export is complete (import verifies it);
 *     without, every file under a final name is whole (the same bytes as
 *     its source) and no copy's temp file is left; the source domain's
 *     definition is unchanged and it runs, or resumes from its managed
 *     save.
 *   import: the state directory holds no folder that is not a whole
 *     planned system, and importing again works.
 *
 * Usage: kill-anywhere [--trials N] [--seed S] (or VR_TORTURE_TRIALS,
 * VR_TORTURE_SEED); every violation is printed with its trial and the seed,
 * and the test fails if there was any. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "progress.h"
#include "safe-xml.h"
#include "test-hooks.h"
#include "test-util.h"
#include "testbed.h"

#define BASIC_NAME "vr-guest"
#define BASIC_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000001"
#define DISK_NAME "vr-guest-disk"
#define DISK_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000002"
#define BUS_NAME "org.virtrealize.Realize1"
#define WAIT_MS 120000
#define SENTINEL "other.img"
/* Every how many realize trials `virsh start` checks the guest resumes. */
#define RESUME_EVERY 4

typedef enum { OP_REALIZE, OP_EXPORT, OP_IMPORT } Op;

typedef struct {
  Op op;
  gboolean agent;
  const char *point; /* a stall point, or "random" */
} Case;

static const Case cases[] = {
  { OP_REALIZE, FALSE, "validate" }, { OP_REALIZE, FALSE, "copy" },
  { OP_REALIZE, FALSE, "update" },   { OP_REALIZE, FALSE, "define" },
  { OP_REALIZE, FALSE, "handoff" },  { OP_REALIZE, FALSE, "start" },
  { OP_REALIZE, FALSE, "defined" },  { OP_REALIZE, FALSE, "rollback" },
  { OP_REALIZE, FALSE, "random" },   { OP_REALIZE, FALSE, "random" },
  { OP_REALIZE, TRUE, "validate" },  { OP_REALIZE, TRUE, "copy" },
  { OP_REALIZE, TRUE, "update" },    { OP_REALIZE, TRUE, "define" },
  { OP_REALIZE, TRUE, "handoff" },   { OP_REALIZE, TRUE, "defined" },
  { OP_REALIZE, TRUE, "rollback" },  { OP_REALIZE, TRUE, "random" },
  { OP_REALIZE, TRUE, "random" },
  { OP_EXPORT, FALSE, "save" },      { OP_EXPORT, FALSE, "xml" },
  { OP_EXPORT, FALSE, "copy" },      { OP_EXPORT, FALSE, "disks" },
  { OP_EXPORT, FALSE, "manifest" },  { OP_EXPORT, FALSE, "random" },
  { OP_IMPORT, FALSE, "verify" },    { OP_IMPORT, FALSE, "store" },
  { OP_IMPORT, FALSE, "random" },    { OP_IMPORT, TRUE, "verify" },
  { OP_IMPORT, TRUE, "store" },      { OP_IMPORT, TRUE, "random" },
};

typedef struct {
  const char *dir;
  const char *name;
  const char *uuid;
  gboolean copy_disks;
} Guest;

static struct {
  guint trials;
  guint64 seed;
  GRand *rand;
  char *work;
  char *root, *uri;         /* where realize puts guests */
  char *src_root, *src_uri; /* the running guest export saves */
  char *src_disk;           /* its disk */
  Guest guests[3];          /* basic, disk (--copy-disks), large */
  char *manifest_dir;       /* a large import directory with a manifest */
  char *bus_address;
  GSubprocess *bus;
  guint trial;
  guint violations;
  guint resumes;
  guint kills;
  GString *summary;
} T;

/* ---- processes ---------------------------------------------------- */

static void violation (const char *format, ...) G_GNUC_PRINTF (1, 2);

static char *
log_path (const char *what)
{
  return g_strdup_printf ("%s/trial-%u-%s.log", T.work, T.trial, what);
}

/* Spawns argv with stdout and stderr into log and env (KEY=VALUE, NULL
 * ends) added; the session bus is always in the environment. */
static GSubprocess *
spawn (const char *const *argv, const char *log, const char *const *env)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                T.bus_address, TRUE);
  g_subprocess_launcher_setenv (launcher, "LIBVIRT_LOG_OUTPUTS",
                                "1:file:/dev/null", TRUE);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto (GStrv) kv = g_strsplit (env[i], "=", 2);

      g_subprocess_launcher_setenv (launcher, kv[0], kv[1], TRUE);
    }
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  return process;
}

static char *
read_log (const char *log)
{
  char *text = NULL;

  if (!g_file_get_contents (log, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

static gboolean
log_has (const char *log, const char *needle)
{
  g_autofree char *text = read_log (log);

  return strstr (text, needle) != NULL;
}

static gboolean
exited (GSubprocess *process)
{
  /* g_subprocess_get_if_exited() needs a wait first: poll without one. */
  return g_subprocess_get_identifier (process) == NULL;
}

/* Waits until log has needle (TRUE) or the process ended (FALSE). */
static gboolean
wait_for_log (GSubprocess *process, const char *log, const char *needle)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      if (log_has (log, needle))
        return TRUE;
      if (process != NULL && exited (process))
        return log_has (log, needle);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (20 * 1000);
    }
  g_error ("trial %u: no '%s' in %s after %d s", T.trial, needle, log,
           WAIT_MS / 1000);
  return FALSE;
}

static void
kill_and_reap (GSubprocess *process)
{
  g_subprocess_send_signal (process, SIGKILL);
  g_subprocess_wait (process, NULL, NULL);
}

/* The CLI waiting for a job of an agent that was killed must notice. */
static void
wait_client (GSubprocess *client)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!exited (client) && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  if (exited (client))
    return;
  violation ("the CLI still waits 60 s after the agent died");
  kill_and_reap (client);
}

static int
wait_status (GSubprocess *process)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (g_subprocess_wait (process, NULL, &error));
  if (!g_subprocess_get_if_exited (process))
    return -1;
  return g_subprocess_get_exit_status (process);
}

/* The CLI in-process on state and uri, or (uri NULL) through the agent. */
static GPtrArray *
cli_argv (const char *state, const char *uri, const char *const *args)
{
  GPtrArray *argv;

  if (state != NULL)
    return test_cli_argv (NULL, state, uri, args);
  argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) g_getenv ("VR_CLI"));
  g_ptr_array_add (argv, (char *) "--session");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Runs the CLI to its end; returns its exit status, its output in *out. */
static int
cli (const char *state, const char *uri, char **out, const char *const *args)
{
  g_autoptr (GPtrArray) argv = cli_argv (state, uri, args);
  g_autofree char *log = log_path ("cli");
  g_autoptr (GSubprocess) process = spawn (
      (const char *const *) argv->pdata, log, NULL);
  int status = wait_status (process);

  if (out != NULL)
    *out = read_log (log);
  return status;
}

static GSubprocess *
start_agent (const char *state, const char *const *env)
{
  g_autofree char *log = log_path ("agent");
  const char *argv[] = { g_getenv ("VR_AGENT"), "--session", "-c", T.uri,
                         "--state-dir", state, "--idle-trim=0", NULL };
  GSubprocess *agent;

  unlink (log);
  agent = spawn (argv, log, env);
  if (!wait_for_log (agent, log, "serving " BUS_NAME))
    g_error ("trial %u: the agent did not start: %s", T.trial,
             read_log (log));
  return agent;
}

static void
stop_agent (GSubprocess *agent)
{
  g_subprocess_send_signal (agent, SIGTERM);
  g_subprocess_wait (agent, NULL, NULL);
  g_object_unref (agent);
}

static void
start_bus (void)
{
  g_autofree char *socket = g_build_filename (T.work, "bus", NULL);
  g_autofree char *listen = g_strdup_printf ("unix:path=%s", socket);
  g_autofree char *log = g_build_filename (T.work, "bus.log", NULL);
  const char *argv[] = { "dbus-daemon", "--session", "--nofork",
                         "--address", listen, NULL };
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  T.bus_address = g_steal_pointer (&listen);
  T.bus = spawn (argv, log, NULL);
  while (!g_file_test (socket, G_FILE_TEST_EXISTS))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
}

/* ---- checks --------------------------------------------------------- */

static void
violation (const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list ap;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  T.violations++;
  g_printerr ("VIOLATION trial %u (seed %" G_GUINT64_FORMAT "): %s\n",
              T.trial, T.seed, text);
  g_string_append_printf (T.summary, "  trial %u: %s\n", T.trial, text);
}

static gboolean
exists_at (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static char *
managed_save_of (const char *root, const char *name)
{
  return g_strdup_printf ("%s/lib/qemu/save/%s.save", root, name);
}

/* Entries of dir other than the sentinel and keep (may be NULL), as one
 * string ("" when none). */
static char *
extra_entries (const char *dir, const char *keep)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  GString *out = g_string_new (NULL);
  const char *entry;

  while (d != NULL && (entry = g_dir_read_name (d)) != NULL)
    if (!g_str_equal (entry, SENTINEL) && g_strcmp0 (entry, keep) != 0)
      g_string_append_printf (out, "%s%s", out->len ? " " : "", entry);
  return g_string_free (out, FALSE);
}

static gboolean
has_domain (const char *uuid)
{
  g_autofree char *uuids = test_virsh (T.uri, "list --all --uuid");

  return strstr (uuids, uuid) != NULL;
}

static gboolean
is_running (const char *name)
{
  g_autofree char *cmd = g_strdup_printf ("domstate %s", name);
  g_autofree char *state = test_virsh (T.uri, cmd);

  return g_str_equal (state, "running");
}

/* The invariants of a realize after recovery; returns the state. */
static char *
check_realize_recovered (const Guest *g, const char *state, const char *pool,
                         const char *tree)
{
  char *st = test_record_state (state, g->uuid);
  /* "failed" is rolled back too (the realize failed before the kill). */
  gboolean undone = g_strcmp0 (st, "planned") == 0
                    || g_strcmp0 (st, "failed") == 0;
  g_autofree char *extra = NULL;
  g_autofree char *managed = managed_save_of (T.root, g->name);
  g_autofree char *now = test_snapshot_tree (g->dir);
  g_autofree char *folder = g_build_filename (state, g->uuid, NULL);
  g_autofree char *sentinel = g_build_filename (pool, SENTINEL, NULL);
  g_autofree char *sentinel_text = NULL;
  gboolean domain = has_domain (g->uuid);

  if (!undone && g_strcmp0 (st, "realized") != 0)
    violation ("planned system is '%s' after recovery", st ? st : "gone");
  if (exists_at (folder, "journal.xml"))
    violation ("a journal is left after recovery");
  if (g_strcmp0 (now, tree) != 0)
    violation ("the import directory %s changed", g->dir);
  if (!g_file_get_contents (sentinel, &sentinel_text, NULL, NULL)
      || g_strcmp0 (sentinel_text, "not ours") != 0)
    violation ("the pool's %s (not the job's) changed or went", SENTINEL);
  extra = extra_entries (pool, NULL);
  if (g_strcmp0 (st, "realized") == 0)
    {
      if (!domain)
        violation ("realized, but no domain %s", g->uuid);
      /* (--start resumed it already: the managed save is used up.) */
      if (!g_file_test (managed, G_FILE_TEST_EXISTS)
          && !is_running (g->name))
        violation ("realized, but no managed save %s", managed);
      /* With --copy-disks the disk copies are the realized domain's. */
      if (!g->copy_disks && *extra != '\0')
        violation ("realized, and the pool holds %s", extra);
    }
  else
    {
      if (domain)
        violation ("domain %s defined, but the record says '%s'", g->uuid,
                   st);
      if (g_file_test (managed, G_FILE_TEST_EXISTS))
        violation ("%s left, but the record says '%s'", managed, st);
      if (*extra != '\0')
        violation ("the pool holds %s, but the record says '%s'", extra, st);
    }
  return st;
}

/* virsh start resumes the guest from its saved state. */
static void
check_resumes (const Guest *g)
{
  g_autofree char *cmd = g_strdup_printf ("start %s; domstate %s --reason",
                                          g->name, g->name);
  g_autofree char *out = test_virsh (T.uri, cmd);

  T.resumes++;
  if (strstr (out, "running (restored)") == NULL)
    violation ("%s did not resume: %s", g->name, out);
}

static void
remove_guest (const Guest *g)
{
  g_autofree char *cmd = g_strdup_printf (
      "destroy %s; undefine %s --managed-save --nvram", g->uuid, g->uuid);
  g_autofree char *out = test_virsh (T.uri, cmd);
}

/* ---- realize -------------------------------------------------------- */

static const char *const *
realize_args (const Guest *g, const char *pool, gboolean start)
{
  static const char *args[8];
  guint n = 0;

  args[n++] = "realize";
  args[n++] = g->name;
  args[n++] = "--pool-dir";
  args[n++] = pool;
  if (g->copy_disks)
    args[n++] = "--copy-disks";
  if (start)
    args[n++] = "--start";
  args[n] = NULL;
  return args;
}

/* Something the job made is in the pool: a copy has started. */
static gboolean
copy_started (const char *pool)
{
  g_autofree char *extra = extra_entries (pool, NULL);

  return *extra != '\0';
}

/* A copy's temp file is in dir or dir/disks. */
static gboolean
has_temp (const char *dir)
{
  g_autofree char *disks = g_build_filename (dir, "disks", NULL);
  const char *dirs[] = { dir, disks };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autoptr (GDir) d = g_dir_open (dirs[i], 0, NULL);
      const char *entry;

      while (d != NULL && (entry = g_dir_read_name (d)) != NULL)
        if (g_str_has_prefix (entry, ".vr-copy-"))
          return TRUE;
    }
  return FALSE;
}

/* The copy has begun: for a realize (pool) something of the job is in the
 * pool, for an export (out) a copy's temp file is there. */
static gboolean
copy_begun (const char *pool, const char *out)
{
  return pool != NULL ? copy_started (pool) : has_temp (out);
}

/* Sleeps a random time: from the start (0-4 s: start-up, validate, copy,
 * define, hand-off) or, half the time, 0-0.8 s after the copy began. */
static void
random_delay (GSubprocess *process, const char *pool, const char *out,
              char **where)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  guint ms;

  if ((pool != NULL || out != NULL) && g_rand_boolean (T.rand))
    {
      while (!copy_begun (pool, out) && !exited (process)
             && g_get_monotonic_time () < deadline)
        g_usleep (5 * 1000);
      ms = g_rand_int_range (T.rand, 0, 800);
      *where = g_strdup_printf ("%u ms into the copy", ms);
    }
  else
    {
      ms = g_rand_int_range (T.rand, 0, 4000);
      *where = g_strdup_printf ("%u ms after start", ms);
    }
  g_usleep (ms * 1000);
}

/* Starts the operation's process with the hooks of point, waits until it
 * reaches it, kills the process that does the work; TRUE if it was killed
 * before it ended by itself. */
static gboolean
run_and_kill (GSubprocess *worker, const char *log, GSubprocess *client,
              const char *point, const char *pool, const char *out,
              char **where)
{
  g_autofree char *stalled = g_strdup_printf ("stalled at %s", point);
  gboolean reached;

  if (g_str_equal (point, "random"))
    {
      random_delay (client ? client : worker, pool, out, where);
      reached = !exited (client ? client : worker);
    }
  else
    {
      /* Through the agent, the client ends when the job does. */
      reached = wait_for_log (client ? client : worker, log, stalled);
      *where = g_strdup_printf ("at %s", point);
    }
  kill_and_reap (worker);
  T.kills += reached;
  return reached;
}

static const char *const *
hook_env (const char *point)
{
  static char stall[64];
  static const char *env[3];

  if (g_str_equal (point, "random"))
    {
      env[0] = "VR_TEST_SLOW_COPY=1";
      env[1] = NULL;
      return env;
    }
  g_snprintf (stall, sizeof stall, "VR_TEST_STALL_AT=%s", point);
  env[0] = stall;
  /* A rollback to kill: the realize fails right after its define. */
  env[1] = g_str_equal (point, "rollback") ? "VR_TEST_FAIL_AT=defined" : NULL;
  env[2] = NULL;
  return env;
}

static void
trial_realize (const Case *c)
{
  const Guest *g = &T.guests[g_rand_int_range (T.rand, 0, 3)];
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *pool = test_mkdtemp ();
  g_autofree char *tree = test_snapshot_tree (g->dir);
  g_autofree char *where = NULL;
  g_autofree char *st = NULL;
  g_autofree char *out = NULL;
  g_autofree char *log = log_path ("realize");
  const char *import[] = { "import", g->dir, NULL };
  gboolean start = g_str_equal (c->point, "start");
  gboolean agent_recovers = c->agent || g_rand_boolean (T.rand);
  gboolean killed;

  g_assert_cmpint (chmod (pool, 0755), ==, 0);
  test_write_file (pool, SENTINEL, "not ours", -1);
  if (cli (state, T.uri, &out, import) != 0)
    g_error ("trial %u: import failed: %s", T.trial, out);
  if (c->agent)
    {
      GSubprocess *agent = start_agent (state, hook_env (c->point));
      g_autofree char *agent_log = log_path ("agent");
      g_autoptr (GPtrArray) argv = cli_argv (NULL, NULL,
                                             realize_args (g, pool, start));
      g_autoptr (GSubprocess) client = spawn (
          (const char *const *) argv->pdata, log, NULL);

      killed = run_and_kill (agent, agent_log, client, c->point, pool, NULL,
                             &where);
      g_object_unref (agent);
      wait_client (client);
    }
  else
    {
      g_autoptr (GPtrArray) argv = cli_argv (state, T.uri,
                                             realize_args (g, pool, start));
      g_autoptr (GSubprocess) worker = spawn (
          (const char *const *) argv->pdata, log, hook_env (c->point));

      killed = run_and_kill (worker, log, NULL, c->point, pool, NULL,
                             &where);
    }
  g_string_append_printf (T.summary, "trial %u: realize %s%s%s, %s %s%s\n",
                          T.trial, g->name, g->copy_disks ? " --copy-disks"
                                                          : "",
                          c->agent ? " (agent)" : " (--direct)",
                          killed ? "killed" : "ended before the kill",
                          where, agent_recovers ? ", agent recovers"
                                                : ", next realize recovers");
  if (agent_recovers)
    stop_agent (start_agent (state, NULL));
  st = test_record_state (state, g->uuid);
  /* Unless the next realize is to recover, or the job ended by itself,
   * check what recovery left. */
  if (agent_recovers || g_strcmp0 (st, "realized") == 0)
    {
      g_free (st);
      st = check_realize_recovered (g, state, pool, tree);
    }
  if (g_strcmp0 (st, "realized") != 0)
    {
      g_clear_pointer (&out, g_free);
      if (cli (state, T.uri, &out, realize_args (g, pool, FALSE)) != 0)
        violation ("realize after the kill failed: %s", out);
      g_free (st);
      st = check_realize_recovered (g, state, pool, tree);
      if (g_strcmp0 (st, "realized") != 0)
        violation ("the planned system is '%s' after a realize", st);
    }
  if (T.trial % RESUME_EVERY == 0 && !start)
    check_resumes (g);
  remove_guest (g);
  test_rmtree (state);
  test_rmtree (pool);
}

/* ---- export --------------------------------------------------------- */

static char *
source_xml (void)
{
  return test_virsh (T.src_uri, "dumpxml --inactive --security-info "
                                DISK_NAME);
}

static gboolean
same_file (const char *a, const char *b)
{
  g_autofree char *x = test_sha256_file (a);
  g_autofree char *y = test_sha256_file (b);

  return g_strcmp0 (x, y) == 0;
}

/* A file under a final name in an export that did not finish must be
 * whole; no copy's temp file may be left. */
static void
check_export_files (const char *out, const char *managed)
{
  g_autofree char *save = g_build_filename (out, DISK_NAME ".save", NULL);
  g_autofree char *disk = g_build_filename (out, "disks", "disk0.qcow2",
                                            NULL);
  g_autofree char *xml_path = g_build_filename (out, "domain.xml", NULL);
  g_autofree char *xml = NULL;
  gsize len;

  if (has_temp (out))
    violation ("export left a half copy (%s*) in %s", ".vr-copy-", out);
  if (g_file_get_contents (xml_path, &xml, &len, NULL))
    {
      g_autoptr (xmlDoc) doc = vr_xml_parse_buffer (xml, len, xml_path,
                                                    "domain", NULL);

      if (doc == NULL)
        violation ("%s is not a whole domain XML", xml_path);
    }
  if (g_file_test (save, G_FILE_TEST_EXISTS) && !same_file (save, managed))
    violation ("%s differs from the managed save it copies", save);
  if (g_file_test (disk, G_FILE_TEST_EXISTS)
      && !same_file (disk, T.src_disk))
    violation ("%s differs from the disk it copies", disk);
}

/* A finished export must import (which verifies its manifest). */
static void
check_export_complete (const char *out)
{
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *text = NULL;
  const char *import[] = { "import", out, NULL };

  if (cli (state, "test:///default", &text, import) != 0)
    violation ("the finished export does not import: %s", text);
  test_rmtree (state);
}

/* The source must be as it was: same definition, running or resumable
 * from its managed save; it is left running for the next trial. */
static void
check_source (const char *before, const char *managed)
{
  g_autofree char *after = source_xml ();
  g_autofree char *state = test_virsh (T.src_uri, "domstate " DISK_NAME);

  if (g_strcmp0 (before, after) != 0)
    violation ("the source domain's definition changed");
  if (g_str_equal (state, "running"))
    return;
  if (!g_file_test (managed, G_FILE_TEST_EXISTS))
    {
      violation ("the source domain is '%s' without a managed save", state);
      g_free (test_virsh (T.src_uri, "destroy " DISK_NAME "; start "
                                     DISK_NAME));
      return;
    }
  g_free (state);
  state = test_virsh (T.src_uri, "start " DISK_NAME "; domstate "
                                 DISK_NAME " --reason");
  if (strstr (state, "running (restored)") == NULL)
    violation ("the source domain did not resume: %s", state);
}

static void
trial_export (const Case *c)
{
  g_autofree char *out = g_strdup_printf ("%s/export-%u", T.work, T.trial);
  g_autofree char *log = log_path ("export");
  g_autofree char *before = source_xml ();
  g_autofree char *managed = managed_save_of (T.src_root, DISK_NAME);
  g_autofree char *manifest = g_build_filename (out, "manifest.xml", NULL);
  g_autofree char *where = NULL;
  const char *args[] = { "export", DISK_NAME, out, "--save", "--with-disks",
                         NULL };
  g_autoptr (GPtrArray) argv = cli_argv (T.work, T.src_uri, args);
  g_autoptr (GSubprocess) worker = spawn (
      (const char *const *) argv->pdata, log, hook_env (c->point));
  gboolean killed = run_and_kill (worker, log, NULL, c->point, NULL, out,
                                  &where);

  g_string_append_printf (T.summary, "trial %u: export --save "
                          "--with-disks, %s %s\n", T.trial,
                          killed ? "killed" : "ended before the kill", where);
  if (g_file_test (manifest, G_FILE_TEST_EXISTS))
    check_export_complete (out);
  else
    check_export_files (out, managed);
  check_source (before, managed);
  test_rmtree (out);
}

/* ---- import --------------------------------------------------------- */

/* Every folder of the state directory is a whole planned system; with
 * after_retry, no dead import's folder is left either. */
static void
check_state_dir (const char *state, gboolean after_retry)
{
  g_autoptr (GDir) dir = g_dir_open (state, 0, NULL);
  const char *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *st = NULL;

      if (g_str_equal (entry, ".lock"))
        continue;
      if (g_str_has_prefix (entry, ".new-"))
        {
          if (after_retry)
            violation ("a dead import's %s/%s is left", state, entry);
          continue;
        }
      st = test_record_state (state, entry);
      if (g_strcmp0 (st, "planned") != 0)
        violation ("%s/%s is no whole planned system (state %s)", state,
                   entry, st ? st : "none");
    }
}

static void
trial_import (const Case *c)
{
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *tree = test_snapshot_tree (T.manifest_dir);
  g_autofree char *log = log_path ("import");
  g_autofree char *where = NULL;
  g_autofree char *out = NULL;
  g_autofree char *now = NULL;
  const char *args[] = { "import", T.manifest_dir, NULL };
  gboolean killed;
  int status;

  if (c->agent)
    {
      GSubprocess *agent = start_agent (state, hook_env (c->point));
      g_autofree char *agent_log = log_path ("agent");
      g_autoptr (GPtrArray) argv = cli_argv (NULL, NULL, args);
      g_autoptr (GSubprocess) client = spawn (
          (const char *const *) argv->pdata, log, NULL);

      killed = run_and_kill (agent, agent_log, client, c->point, NULL, NULL,
                             &where);
      g_object_unref (agent);
      wait_client (client);
      stop_agent (start_agent (state, NULL));
    }
  else
    {
      g_autoptr (GPtrArray) argv = cli_argv (state, T.uri, args);
      g_autoptr (GSubprocess) worker = spawn (
          (const char *const *) argv->pdata, log, hook_env (c->point));

      killed = run_and_kill (worker, log, NULL, c->point, NULL, NULL,
                             &where);
    }
  g_string_append_printf (T.summary, "trial %u: import%s, %s %s\n", T.trial,
                          c->agent ? " (agent)" : " (--direct)",
                          killed ? "killed" : "ended before the kill", where);
  check_state_dir (state, FALSE);
  status = cli (state, T.uri, &out, args);
  if (status != 0 && strstr (out, "already imported") == NULL)
    violation ("import after the kill failed: %s", out);
  check_state_dir (state, TRUE);
  if (test_record_state (state, BASIC_UUID) == NULL)
    violation ("no planned system after importing again");
  now = test_snapshot_tree (T.manifest_dir);
  if (g_strcmp0 (now, tree) != 0)
    violation ("the import directory changed");
  test_rmtree (state);
}

/* ---- set-up --------------------------------------------------------- */

/* The disk guest realized (with its disk copied) and started in the
 * source root: what the export trials save and export. */
static void
make_source (void)
{
  g_autofree char *state = g_build_filename (T.work, "src-state", NULL);
  g_autofree char *pool = g_build_filename (T.src_root, "pool", NULL);
  g_autofree char *out = NULL;
  g_autofree char *xml = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  const char *import[] = { "import", T.guests[1].dir, NULL };
  const char *realize[] = { "realize", DISK_NAME, "--pool-dir", pool,
                            "--copy-disks", "--start", NULL };

  g_assert_cmpint (g_mkdir_with_parents (pool, 0755), ==, 0);
  if (cli (state, T.src_uri, &out, import) != 0
      || cli (state, T.src_uri, &out, realize) != 0)
    g_error ("cannot make the export source: %s", out);
  xml = source_xml ();
  doc = vr_xml_parse_buffer (xml, strlen (xml), "source", "domain", NULL);
  g_assert_nonnull (doc);
  T.src_disk = vr_xml_xpath_string (doc,
                                    "string(/domain/devices/disk/source/@file)");
  g_assert_nonnull (T.src_disk);
}

/* A copy of the large import with a manifest, so that import hashes
 * 128 MiB before it records anything. */
static char *
make_manifest_dir (void)
{
  char *dir = vr_testbed_large_import (128);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrProgress) progress = vr_progress_new (NULL, NULL);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_autofree char *xml = NULL;

  g_assert_cmpint (fd, >=, 0);
  xml = vr_manifest_build (fd, dir, progress, NULL, &error);
  g_assert_no_error (error);
  close (fd);
  test_write_file (dir, "manifest.xml", xml, -1);
  return dir;
}

static void
set_up (void)
{
  T.work = test_mkdtemp ();
  g_assert_cmpint (chmod (T.work, 0755), ==, 0);
  T.root = vr_testbed_new_root ("kill-anywhere");
  T.uri = vr_testbed_root_uri (T.root);
  T.src_root = vr_testbed_new_root ("kill-anywhere-src");
  T.src_uri = vr_testbed_root_uri (T.src_root);
  T.guests[0] = (Guest) { vr_testbed_require ("basic"), BASIC_NAME,
                          BASIC_UUID, FALSE };
  T.guests[1] = (Guest) { vr_testbed_require ("disk"), DISK_NAME, DISK_UUID,
                          TRUE };
  T.guests[2] = (Guest) { vr_testbed_large_import (64), BASIC_NAME,
                          BASIC_UUID, FALSE };
  T.manifest_dir = make_manifest_dir ();
  start_bus ();
  make_source ();
}

static void
tear_down (void)
{
  g_free (test_virsh (T.src_uri, "destroy " DISK_NAME "; undefine "
                                 DISK_NAME " --managed-save --nvram"));
  g_subprocess_send_signal (T.bus, SIGTERM);
  g_subprocess_wait (T.bus, NULL, NULL);
  g_clear_object (&T.bus);
  test_rmtree ((char *) T.guests[2].dir);
  test_rmtree (T.manifest_dir);
  if (T.violations == 0)
    test_rmtree (T.work);
  else
    g_printerr ("logs kept in %s\n", T.work);
}

static void
test_kill_anywhere (void)
{
  g_autofree guint *order = g_new (guint, G_N_ELEMENTS (cases));
  gint64 started;

  if (!test_needs_hooks ())
    return;
  if (getuid () != 0)
    {
      g_test_skip ("needs root (embedded QEMU roots, libvirt-qemu)");
      return;
    }
  set_up ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    order[i] = i;
  started = g_get_monotonic_time ();
  for (T.trial = 0; T.trial < T.trials; T.trial++)
    {
      guint k = T.trial % G_N_ELEMENTS (cases);
      const Case *c;

      /* Each round through the cases in another order. */
      if (k == 0)
        for (guint i = G_N_ELEMENTS (cases) - 1; i > 0; i--)
          {
            guint j = g_rand_int_range (T.rand, 0, i + 1);
            guint swap = order[i];

            order[i] = order[j];
            order[j] = swap;
          }
      c = &cases[order[k]];
      if (c->op == OP_REALIZE)
        trial_realize (c);
      else if (c->op == OP_EXPORT)
        trial_export (c);
      else
        trial_import (c);
      g_test_message ("%s", T.summary->str);
      g_string_truncate (T.summary, 0);
    }
  tear_down ();
  g_test_message ("%u trials (%u killed mid-way, %u resume checks) in "
                  "%.0f s, seed %" G_GUINT64_FORMAT ": %u violations",
                  T.trials, T.kills, T.resumes,
                  (g_get_monotonic_time () - started) / 1e6, T.seed,
                  T.violations);
  g_printerr ("kill-anywhere: %u trials (%u killed mid-way, %u resume "
              "checks), seed %" G_GUINT64_FORMAT ": %u violations\n",
              T.trials, T.kills, T.resumes, T.seed, T.violations);
  g_assert_cmpuint (T.violations, ==, 0);
}

/* --trials N and --seed S, before GLib's own options. */
static void
parse_args (int *argc, char **argv)
{
  const char *trials = g_getenv ("VR_TORTURE_TRIALS");
  const char *seed = g_getenv ("VR_TORTURE_SEED");
  int out = 1;

  for (int i = 1; i < *argc; i++)
    {
      if (g_str_equal (argv[i], "--trials") && i + 1 < *argc)
        trials = argv[++i];
      else if (g_str_equal (argv[i], "--seed") && i + 1 < *argc)
        seed = argv[++i];
      else
        argv[out++] = argv[i];
    }
  *argc = out;
  argv[out] = NULL;
  T.trials = trials ? (guint) g_ascii_strtoull (trials, NULL, 10) : 20;
  T.seed = seed ? g_ascii_strtoull (seed, NULL, 10)
                : (guint64) g_get_real_time ();
  T.rand = g_rand_new_with_seed ((guint32) T.seed);
}

int
main (int argc, char **argv)
{
  parse_args (&argc, argv);
  g_test_init (&argc, &argv, NULL);
  T.summary = g_string_new (NULL);
  g_printerr ("kill-anywhere: %u trials, seed %" G_GUINT64_FORMAT
              " (rerun with --seed %" G_GUINT64_FORMAT ")\n", T.trials,
              T.seed, T.seed);
  g_test_add_func ("/torture/kill-anywhere", test_kill_anywhere);
  return g_test_run ();
}
