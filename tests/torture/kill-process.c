/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kill-anywhere trials' processes: the CLI, the agent on a private
 * session bus, their logs, and killing them at a stall point or a random
 * moment. */
#include "config.h"

#include "kill-anywhere.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safe-xml.h"

char *
log_path (const char *what)
{
  return g_strdup_printf ("%s/trial-%u-%s.log", T.work, T.trial, what);
}

/* Spawns argv with stdout and stderr into log and env (KEY=VALUE, NULL
 * ends) added; the session bus is always in the environment. */
GSubprocess *
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

char *
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

gboolean
exited (GSubprocess *process)
{
  /* g_subprocess_get_if_exited() needs a wait first: poll without one. */
  return g_subprocess_get_identifier (process) == NULL;
}

/* Waits until log has needle (TRUE) or the process ended (FALSE). */
gboolean
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

void
kill_and_reap (GSubprocess *process)
{
  g_subprocess_send_signal (process, SIGKILL);
  g_subprocess_wait (process, NULL, NULL);
}

/* The CLI waiting for a job of an agent that was killed must notice. */
void
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

int
wait_status (GSubprocess *process)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (g_subprocess_wait (process, NULL, &error));
  if (!g_subprocess_get_if_exited (process))
    return -1;
  return g_subprocess_get_exit_status (process);
}

/* The CLI in-process on state and uri, or (uri NULL) through the agent. */
GPtrArray *
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

/* Runs the CLI to its end; returns its exit status, its output in *out
 * (which may hold an earlier output: it is freed). */
int
cli (const char *state, const char *uri, char **out, const char *const *args)
{
  g_autoptr (GPtrArray) argv = cli_argv (state, uri, args);
  g_autofree char *log = log_path ("cli");
  g_autoptr (GSubprocess) process = spawn (
      (const char *const *) argv->pdata, log, NULL);
  int status = wait_status (process);

  if (out != NULL)
    {
      g_free (*out);
      *out = read_log (log);
    }
  return status;
}

GSubprocess *
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

void
stop_agent (GSubprocess *agent)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_subprocess_send_signal (agent, SIGTERM);
  while (!exited (agent) && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  /* An agent must stop on SIGTERM every time (its main loop never waits
   * on libvirt, and libvirt's event loop has a context of its own): one
   * that does not is a violation, then killed so the trials go on. */
  if (!exited (agent))
    {
      violation ("the agent did not stop within 30 s of SIGTERM");
      kill_and_reap (agent);
    }
  g_subprocess_wait (agent, NULL, NULL);
  g_object_unref (agent);
}

void
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

void
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

gboolean
exists_at (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

char *
managed_save_of (const char *root, const char *name)
{
  return g_strdup_printf ("%s/lib/qemu/save/%s.save", root, name);
}

/* Entries of dir other than the sentinel and keep (may be NULL), as one
 * string ("" when none). */
char *
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

/* The worker has a file open below dir: a copy is being written there.
 * (Copies go to an unnamed O_TMPFILE, which no directory listing shows;
 * /proc/PID/fd names it "DIR/#INODE (deleted)".) */
static gboolean
writing_below (GSubprocess *worker, const char *dir)
{
  const char *pid = g_subprocess_get_identifier (worker);
  g_autofree char *fds = pid ? g_strdup_printf ("/proc/%s/fd", pid) : NULL;
  g_autoptr (GDir) d = fds ? g_dir_open (fds, 0, NULL) : NULL;
  const char *entry;

  while (d != NULL && (entry = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *link = g_build_filename (fds, entry, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);

      if (target != NULL && g_str_has_prefix (target, dir)
          && strstr (target, "(deleted)") != NULL)
        return TRUE;
    }
  return FALSE;
}

/* Sleeps a random time: from the start (0-4 s: start-up, validate, copy,
 * define, hand-off) or, half the time, 0-0.8 s after the copy began. */
static void
random_delay (GSubprocess *worker, GSubprocess *process, const char *pool,
              const char *out, char **where)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  guint ms;

  if ((pool != NULL || out != NULL) && g_rand_boolean (T.rand))
    {
      while (!writing_below (worker, pool ? pool : out) && !exited (process)
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
gboolean
run_and_kill (GSubprocess *worker, const char *log, GSubprocess *client,
              const char *point, const char *pool, const char *out,
              char **where)
{
  g_autofree char *stalled = g_strdup_printf ("stalled at %s", point);
  gboolean reached;

  if (g_str_equal (point, "random"))
    {
      random_delay (worker, client ? client : worker, pool, out, where);
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

const char *const *
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
