/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's speed: ListPlannedSystems and GetManagedObjects with 1000
 * planned systems, `virt-realize list` through it against `virsh list
 * --all` (whole processes) and the thin client's peak RSS, `show NAME`
 * against `virsh dominfo`, `virt-realize validate FILE.xml` through it
 * against `virt-xml-validate`, method round trips while a 2 GiB saved
 * state is being
 * copied, and the agent's idle RSS. The agent runs on a private system bus
 * with polkitd (tests/bus-harness.c), so every call pays for its polkit
 * check as it would in production (GetPlannedSystemTable, which `list`
 * calls, has none). Needs root. */
#include "config.h"

#include "bench-util.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus-harness.h"
#include "dbus-errors.h"
#include "dbus-names.h"
#include "import.h"
#include "test-util.h"
#include "testbed.h"

#define ROUNDS 50
#define COPY_BYTES (G_GUINT64_CONSTANT (2) << 30)

static VrBusHarness *harness;
static char *uri;

static double
call_ms (const char *path, const char *iface, const char *method,
         GVariant *params)
{
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  GVariant *reply = g_dbus_connection_call_sync (
      harness->bus, VR_DBUS_NAME, path, iface, method, params, NULL,
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  double ms;

  g_assert_no_error (error);
  ms = (g_get_monotonic_time () - start) / 1000.0;
  g_variant_unref (reply);
  return ms;
}

static void
report (const char *what, GArray *ms)
{
  printf ("%-58s median %6.1f ms  p99 %6.1f ms  (%u calls)\n", what,
          vr_bench_percentile (ms, 50), vr_bench_percentile (ms, 99),
          ms->len);
}

static GSubprocess *agent;

/* The agent's own CPU time in ms (utime + stime), to tell its share of a
 * call from the bus's and polkitd's. */
static double
agent_cpu_ms (void)
{
  g_autofree char *path = g_strdup_printf (
      "/proc/%s/stat", g_subprocess_get_identifier (agent));
  g_autofree char *stat = NULL;
  g_auto (GStrv) fields = NULL;
  const char *after_comm;

  g_assert_true (g_file_get_contents (path, &stat, NULL, NULL));
  after_comm = strrchr (stat, ')');
  fields = g_strsplit (after_comm + 2, " ", -1);
  /* Fields 14 and 15 of stat(5): the 12th and 13th after the name. */
  return (g_ascii_strtoull (fields[11], NULL, 10)
          + g_ascii_strtoull (fields[12], NULL, 10))
         * 1000.0 / sysconf (_SC_CLK_TCK);
}

static void
measure (const char *what, const char *path, const char *iface,
         const char *method)
{
  g_autoptr (GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));
  double cpu = agent_cpu_ms ();

  for (guint i = 0; i < ROUNDS; i++)
    {
      double t = call_ms (path, iface, method, NULL);

      g_array_append_val (ms, t);
    }
  cpu = (agent_cpu_ms () - cpu) / ROUNDS;
  report (what, ms);
  printf ("%-58s %6.1f ms of the agent's CPU a call\n", "", cpu);
}

/* GetPlannedSystemTable, the one call of `virt-realize list`: no polkit
 * check (docs/security.md), the rows in a memfd. */
static void
measure_table (void)
{
  g_autoptr (GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < ROUNDS; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GUnixFDList) fds = NULL;
      gint64 start = g_get_monotonic_time ();
      g_autoptr (GVariant) reply = NULL;
      double t;

      reply = g_dbus_connection_call_with_unix_fd_list_sync (
          harness->bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH,
          VR_DBUS_MANAGER_IFACE, "GetPlannedSystemTable",
          g_variant_new ("(a{sv})", NULL), G_VARIANT_TYPE ("(h)"),
          G_DBUS_CALL_FLAGS_NONE, -1, NULL, &fds, NULL, &error);
      t = (g_get_monotonic_time () - start) / 1000.0;
      g_assert_no_error (error);
      g_assert_cmpint (g_unix_fd_list_get_length (fds), ==, 1);
      g_array_append_val (ms, t);
    }
  report ("GetPlannedSystemTable (no polkit), 1000 planned systems", ms);
}

static guint64
status_kib (const char *status, const char *field)
{
  const char *line = strstr (status, field);

  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen (field), NULL, 10);
}

/* VmRSS, and how much of it is the agent's own heap (RssAnon) rather than
 * mapped library pages shared with every other libvirt client. */
static void
print_rss (const char *when)
{
  g_autofree char *path = g_strdup_printf (
      "/proc/%s/status", g_subprocess_get_identifier (agent));
  g_autofree char *status = NULL;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  printf ("agent RSS idle, %s: %" G_GUINT64_FORMAT " KiB (anonymous %"
          G_GUINT64_FORMAT " KiB, file-backed %" G_GUINT64_FORMAT " KiB)\n",
          when, status_kib (status, "VmRSS:"), status_kib (status, "RssAnon:"),
          status_kib (status, "RssFile:"));
}

static void
add_planned_systems (const char *state, guint n, const char *dirs)
{
  g_autoptr (VrStore) store = vr_store_new (state);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("bench-%04u", i);
      g_autofree char *uuid = g_strdup_printf (
          "5a1ad0c0-7e57-4b3d-9c1e-%012u", 100000 + i);
      g_autofree char *xml = test_domain_xml (name, uuid);
      g_autofree char *dir = g_build_filename (dirs, name, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (VrPlannedSystem) system = NULL;

      g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
      test_write_file (dir, "domain.xml", xml, -1);
      system = vr_import_path (store, dir, NULL, &error);
      g_assert_no_error (error);
    }
}

static char *
import_dir (const char *dir)
{
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  char *path;

  g_unix_fd_list_append (fds, fd, NULL);
  close (fd);
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      harness->bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
      "ImportSystemDefinition", g_variant_new ("(hsa{sv})", 0, "", NULL),
      G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, -1, fds, NULL, NULL,
      &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(o)", &path);
  return path;
}

static guint32
job_state (const char *job)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      harness->bus, VR_DBUS_NAME, job, "org.freedesktop.DBus.Properties",
      "Get", g_variant_new ("(ss)", VR_DBUS_NAME ".Job", "JobState"),
      G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  g_autoptr (GVariant) value = NULL;

  g_assert_nonnull (reply);
  g_variant_get (reply, "(v)", &value);
  return g_variant_get_uint32 (value);
}

/* Round trips of a cheap method while the copy runs. */
static void
bench_during_copy (const char *state, const char *pool)
{
  g_autofree char *dir = vr_testbed_large_import (COPY_BYTES >> 20);
  g_autofree char *system = import_dir (dir);
  g_autoptr (GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GVariant) reply = NULL;
  GVariantBuilder options;
  const char *job;
  gint64 start = g_get_monotonic_time ();
  double seconds;

  g_variant_builder_init (&options, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&options, "{sv}", "pool-dir",
                         g_variant_new_string (pool));
  reply = g_dbus_connection_call_sync (
      harness->bus, VR_DBUS_NAME, system, VR_DBUS_NAME ".PlannedSystem",
      "Realize", g_variant_new ("(a{sv})", &options), G_VARIANT_TYPE ("(uos)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  g_assert_nonnull (reply);
  g_variant_get (reply, "(u&o&s)", NULL, &job, NULL);
  while (job_state (job) < 7)
    {
      double t = call_ms (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
                          "GetJobs", NULL);

      g_array_append_val (ms, t);
      g_usleep (10 * 1000);
    }
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_assert_cmpuint (job_state (job), ==, 7);
  printf ("realize of a %.1f GiB saved state took %.1f s\n",
          COPY_BYTES / (double) (1 << 30), seconds);
  report ("GetJobs round trip while the realize copies", ms);
  test_rmtree (dir);
}

/* One whole process, its output to /dev/null: wall ms and peak RSS. */
static double
run_process_ms (char *const *argv, char **envp, long *maxrss_kib)
{
  posix_spawn_file_actions_t actions;
  struct rusage usage;
  gint64 start = g_get_monotonic_time ();
  int status = 0;
  pid_t pid;

  posix_spawn_file_actions_init (&actions);
  posix_spawn_file_actions_addopen (&actions, STDOUT_FILENO, "/dev/null",
                                    O_WRONLY, 0);
  posix_spawn_file_actions_addopen (&actions, STDERR_FILENO, "/dev/null",
                                    O_WRONLY, 0);
  g_assert_cmpint (posix_spawnp (&pid, argv[0], &actions, NULL, argv, envp),
                   ==, 0);
  g_assert_cmpint (wait4 (pid, &status, 0, &usage), ==, pid);
  posix_spawn_file_actions_destroy (&actions);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  *maxrss_kib = usage.ru_maxrss;
  return (g_get_monotonic_time () - start) / 1000.0;
}

/* virt-realize list (1000 planned systems, through the agent) against
 * virsh -c test:///default list --all, interleaved. */
static void
bench_cli_list (void)
{
  char *cli[] = { (char *) VR_CLI_PATH, (char *) "--system",
                  (char *) "list", NULL };
  char *virsh[] = { (char *) "virsh", (char *) "-c",
                    (char *) "test:///default", (char *) "list",
                    (char *) "--all", NULL };
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (),
                                         "DBUS_SYSTEM_BUS_ADDRESS",
                                         harness->address, TRUE);
  g_autoptr (GArray) cli_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) virsh_ms = g_array_new (FALSE, FALSE, sizeof (double));
  long rss = 0;
  long max_rss = 0;
  double ratio;

  /* A child spawned from this process starts its ru_maxrss from this
   * process's pages (tens of MiB) until it execs: GNU time, a small
   * process, runs the client and reports its own child's peak. */
  g_autofree char *rss_file = g_build_filename (g_get_tmp_dir (),
                                                "vr-bench-rss", NULL);
  char *cli_rss[] = { (char *) "/usr/bin/time", (char *) "-f", (char *) "%M",
                      (char *) "-o", rss_file, (char *) VR_CLI_PATH,
                      (char *) "--system", (char *) "list", NULL };

  env = g_environ_unsetenv (env, "VIRT_REALIZE_STATE_DIR");
  for (guint i = 0; i < ROUNDS; i++)
    {
      double ms = run_process_ms (cli, env, &rss);

      g_array_append_val (cli_ms, ms);
      ms = run_process_ms (virsh, env, &rss);
      g_array_append_val (virsh_ms, ms);
    }
  for (guint i = 0; i < 5 && g_file_test (cli_rss[0], G_FILE_TEST_EXISTS);
       i++)
    {
      g_autofree char *text = NULL;

      run_process_ms (cli_rss, env, &rss);
      if (g_file_get_contents (rss_file, &text, NULL, NULL))
        max_rss = MAX (max_rss, g_ascii_strtoll (text, NULL, 10));
    }
  g_unlink (rss_file);
  g_array_sort (cli_ms, vr_bench_compare_doubles);
  g_array_sort (virsh_ms, vr_bench_compare_doubles);
  report ("virt-realize --system list (1000, whole process)", cli_ms);
  report ("virsh -c test:///default list --all", virsh_ms);
  ratio = g_array_index (cli_ms, double, cli_ms->len / 2)
          / g_array_index (virsh_ms, double, virsh_ms->len / 2);
  printf ("%-58s %.2f (target at most 0.5: %s)\n",
          "ratio of medians, virt-realize list / virsh list", ratio,
          ratio <= 0.5 ? "met" : "NOT met");
  printf ("%-58s %.1f MiB (target under 8 MiB: %s)\n",
          "virt-realize list, peak RSS (GNU time %M, worst of 5)", max_rss / 1024.0,
          max_rss < 8 * 1024 ? "met" : "NOT met");
}

/* virt-realize show NAME (1000 planned systems, through the agent: the
 * table finds the object, one GetAll reads it) against virsh -c
 * test:///default dominfo test, interleaved. */
static void
bench_cli_show (void)
{
  char *cli[] = { (char *) VR_CLI_PATH, (char *) "--system", (char *) "show",
                  (char *) "bench-0500", NULL };
  char *virsh[] = { (char *) "virsh", (char *) "-c",
                    (char *) "test:///default", (char *) "dominfo",
                    (char *) "test", NULL };
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (),
                                         "DBUS_SYSTEM_BUS_ADDRESS",
                                         harness->address, TRUE);
  g_autoptr (GArray) cli_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) virsh_ms = g_array_new (FALSE, FALSE, sizeof (double));
  long rss = 0;

  env = g_environ_unsetenv (env, "VIRT_REALIZE_STATE_DIR");
  for (guint i = 0; i < ROUNDS; i++)
    {
      double ms = run_process_ms (cli, env, &rss);

      g_array_append_val (cli_ms, ms);
      ms = run_process_ms (virsh, env, &rss);
      g_array_append_val (virsh_ms, ms);
    }
  report ("virt-realize --system show NAME (1000, whole process)", cli_ms);
  report ("virsh -c test:///default dominfo test", virsh_ms);
  printf ("%-58s %.2f\n", "ratio of medians, virt-realize show / virsh dominfo",
          vr_bench_percentile (cli_ms, 50)
              / vr_bench_percentile (virsh_ms, 50));
}

/* virt-realize validate FILE.xml through the agent (the file passed as a
 * descriptor) against virt-xml-validate FILE.xml domain, interleaved. */
static void
bench_cli_validate (const char *what)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autofree char *file = g_build_filename (basic, "domain.xml", NULL);
  char *cli[] = { (char *) VR_CLI_PATH, (char *) "--system",
                  (char *) "validate", file, NULL };
  char *xml_validate[] = { (char *) "virt-xml-validate", file,
                           (char *) "domain", NULL };
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (),
                                         "DBUS_SYSTEM_BUS_ADDRESS",
                                         harness->address, TRUE);
  g_autoptr (GArray) cli_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) xml_ms = g_array_new (FALSE, FALSE, sizeof (double));
  long rss = 0;
  double ratio;

  env = g_environ_unsetenv (env, "VIRT_REALIZE_STATE_DIR");
  /* The agent's first validate loads libvirt's schema. */
  run_process_ms (cli, env, &rss);
  for (guint i = 0; i < ROUNDS; i++)
    {
      double ms = run_process_ms (cli, env, &rss);

      g_array_append_val (cli_ms, ms);
      ms = run_process_ms (xml_validate, env, &rss);
      g_array_append_val (xml_ms, ms);
    }
  printf ("validate FILE.xml, %s:\n", what);
  report ("virt-realize --system validate FILE.xml (whole process)", cli_ms);
  report ("virt-xml-validate FILE.xml domain", xml_ms);
  ratio = g_array_index (cli_ms, double, cli_ms->len / 2)
          / g_array_index (xml_ms, double, xml_ms->len / 2);
  printf ("%-58s %.2f (target at most 0.5: %s)\n",
          "ratio of medians, validate through the agent", ratio,
          ratio <= 0.5 ? "met" : "NOT met");
}

static GSubprocess *
start (const char *state)
{
  return vr_bus_harness_start_agent (harness, uri, state, NULL, NULL);
}

/* The idle RSS with and without the agent's idle trim (agent/idle-trim.c),
 * and what the first call after a trim pays for faulting pages back. */
static void
bench_idle (const char *agent_uri, const char *state, const char *what)
{
  const char *const untrimmed[] = { "--idle-trim=0", NULL };
  g_autofree char *label = NULL;
  double first;
  double second;

  agent = vr_bus_harness_start_agent (harness, agent_uri, state, NULL,
                                      untrimmed);
  g_usleep (G_USEC_PER_SEC);
  label = g_strdup_printf ("%s, --idle-trim=0", what);
  print_rss (label);
  vr_bus_harness_stop_agent (agent);
  agent = vr_bus_harness_start_agent (harness, agent_uri, state, NULL, NULL);
  g_usleep (G_USEC_PER_SEC);
  print_rss (what);
  first = call_ms (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
                   "ListPlannedSystems", NULL);
  second = call_ms (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
                    "ListPlannedSystems", NULL);
  printf ("%-58s first call after the trim %.1f ms, next %.1f ms\n", "",
          first, second);
  vr_bus_harness_stop_agent (agent);
}

/* $VR_BENCH_STATE: a folder kept between runs, holding the state and
 * import directories of the 1000 planned systems (importing them takes
 * minutes on a loaded machine); made on the first run. */
static gboolean
reuse_state (char **state, char **dirs)
{
  const char *kept = g_getenv ("VR_BENCH_STATE");
  g_autofree char *made = NULL;

  if (kept == NULL || *kept == '\0')
    {
      *state = test_mkdtemp ();
      *dirs = test_mkdtemp ();
      return FALSE;
    }
  *state = g_build_filename (kept, "state", NULL);
  *dirs = g_build_filename (kept, "dirs", NULL);
  made = g_build_filename (kept, "made-1000", NULL);
  g_assert_cmpint (g_mkdir_with_parents (*state, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (*dirs, 0755), ==, 0);
  return g_file_test (made, G_FILE_TEST_EXISTS);
}

static void
mark_state_made (void)
{
  const char *kept = g_getenv ("VR_BENCH_STATE");

  if (kept == NULL || *kept == '\0')
    return;
  test_write_file (kept, "made-1000", "", 0);
}

/* $VR_BENCH_HOLD=SECONDS: with the 1000 planned systems served, print the
 * bus address and wait, for strace or perf on a client by hand. */
static void
hold_for_profiling (void)
{
  const char *hold = g_getenv ("VR_BENCH_HOLD");

  if (hold == NULL)
    return;
  printf ("DBUS_SYSTEM_BUS_ADDRESS=%s (agent pid %s), holding %s s\n",
          harness->address, g_subprocess_get_identifier (agent), hold);
  fflush (stdout);
  g_usleep (g_ascii_strtoull (hold, NULL, 10) * G_USEC_PER_SEC);
}

static gboolean
has_arg (int argc, char **argv, const char *arg)
{
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], arg))
      return TRUE;
  return FALSE;
}

int
main (int argc, char **argv)
{
  g_autofree char *why_not = NULL;
  g_autofree char *root = NULL;
  g_autofree char *state = NULL;
  g_autofree char *dirs = NULL;
  g_autofree char *pool = NULL;
  g_autofree char *out = NULL;
  g_autofree char *undefine = NULL;
  /* --cli: only the whole-process figures (list, validate) */
  gboolean cli_only = has_arg (argc, argv, "--cli");
  gboolean kept;

  g_test_init (&argc, &argv, NULL);
  /* --prepare: only make $VR_BENCH_STATE's 1000 planned systems (minutes
   * on a loaded machine), with no bus, no polkitd and no agent, so that
   * the figures' run later holds the machine for the figures only. */
  if (has_arg (argc, argv, "--prepare"))
    {
      if (g_getenv ("VR_BENCH_STATE") == NULL)
        g_error ("--prepare needs VR_BENCH_STATE");
      if (!reuse_state (&state, &dirs))
        {
          add_planned_systems (state, 1000, dirs);
          mark_state_made ();
        }
      return 0;
    }
  vr_dbus_errors_register ();
  harness = vr_bus_harness_new (TRUE, &why_not);
  if (harness == NULL)
    {
      printf ("bench-agent: %s\n", why_not);
      return 77;
    }
  root = vr_testbed_new_root ("bench-agent");
  uri = vr_testbed_root_uri (root);
  kept = reuse_state (&state, &dirs);
  pool = test_mkdtemp ();

  if (!cli_only)
    {
      bench_idle (uri, state, "no planned systems");
      /* Without the embedded QEMU driver in the process, as with
       * qemu:///system where virtqemud does the driver's work. */
      bench_idle ("test:///default", state,
                  "no planned systems, test:///default");
    }
  if (!kept)
    {
      agent = start (state);
      bench_cli_validate ("no planned systems");
      vr_bus_harness_stop_agent (agent);
      add_planned_systems (state, 1000, dirs);
      mark_state_made ();
    }
  agent = start (state);
  hold_for_profiling ();
  if (!cli_only)
    {
      measure ("ListPlannedSystems, 1000 planned systems",
               VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
               "ListPlannedSystems");
      measure ("Ping (no polkit), 1000 planned systems", VR_DBUS_MANAGER_PATH,
               "org.freedesktop.DBus.Peer", "Ping");
      measure ("GetJobs (polkit, tiny answer)", VR_DBUS_MANAGER_PATH,
               VR_DBUS_MANAGER_IFACE, "GetJobs");
      measure ("GetManagedObjects, 1000 planned systems", VR_DBUS_ROOT,
               "org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
    }
  measure ("ListPlannedSystemSummaries, 1000 planned systems",
           VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
           "ListPlannedSystemSummaries");
  measure_table ();
  bench_cli_list ();
  bench_cli_show ();
  /* Validate looks for planned systems of the same name or UUID: with a
   * thousand, the backend reads every record. */
  bench_cli_validate ("1000 planned systems");
  if (!cli_only)
    {
      g_usleep (G_USEC_PER_SEC);
      print_rss ("1000 planned systems, 1 s after the calls");
      /* The agent's default --idle-trim is 10 s of quiet. */
      g_usleep (11 * G_USEC_PER_SEC);
      print_rss ("1000 planned systems, 11 s after the calls");
    }
  /* --no-copy: only the listing and memory figures. */
  if (!cli_only && !has_arg (argc, argv, "--no-copy"))
    bench_during_copy (state, pool);
  vr_bus_harness_stop_agent (agent);

  /* The realized domain is the root's; undefine it. */
  undefine = g_strdup_printf ("virsh -q -c '%s' undefine vr-guest "
                              "--managed-save", uri);
  g_spawn_command_line_sync (undefine, &out, NULL, NULL, NULL);
  vr_bus_harness_free (harness);
  if (g_getenv ("VR_BENCH_STATE") == NULL)
    {
      test_rmtree (state);
      test_rmtree (dirs);
    }
  test_rmtree (pool);
  test_rmtree (root);
  g_free (uri);
  return 0;
}
