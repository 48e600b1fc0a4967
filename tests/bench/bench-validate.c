/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* bench-validate [--runs N] [--process-runs M]
 *
 * 1. In process: validates the test bed's guest (a planned system with its
 *    saved state) on a real embedded QEMU with warm caches, N times, and
 *    prints the median. Target: under 2 ms.
 * 2. Whole process: `virt-realize --direct -c test:///default validate
 *    FILE.xml` against `virt-xml-validate FILE.xml domain` on the same
 *    file, interleaved, M times each, and prints both medians and their
 *    ratio. Target: at most 1.0. */

#include "config.h"

#include "bench-util.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib/gstdio.h>

#include "errors.h"
#include "import.h"
#include "libvirt-util.h"
#include "testbed.h"
#include "validate.h"

/* The sample at index len/2 (the upper of the two middle ones). */
static double
median (GArray *samples)
{
  return vr_bench_percentile (samples, 50);
}

/* Its own rank ((len - 1) * p / 100): the figures in the README use it. */
static double
percentile (GArray *samples, guint p)
{
  g_array_sort (samples, vr_bench_compare_doubles);
  return g_array_index (samples, double, (samples->len - 1) * p / 100);
}

static void
die (const char *what, GError *error)
{
  fprintf (stderr, "bench-validate: %s: %s\n", what,
           error ? error->message : "failed");
  exit (1);
}

static double
time_validation (VrHostCaps *caps, VrStore *store, VrPlannedSystem *system)
{
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  g_autoptr (GPtrArray) findings = vr_validate_planned (caps, store, system,
                                                       &error);
  double ms = (g_get_monotonic_time () - start) / 1000.0;

  if (findings == NULL)
    die ("validation", error);
  if (vr_findings_has_errors (findings))
    die ("the test bed's guest has error findings", NULL);
  return ms;
}

static void
bench_in_process (const char *import_dir, guint runs)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = vr_testbed_new_root ("bench");
  g_autofree char *uri = vr_testbed_root_uri (root);
  g_autofree char *state = g_dir_make_tmp ("vr-bench-XXXXXX", &error);
  g_autoptr (virConnect) conn = NULL;
  g_autoptr (VrHostCaps) caps = NULL;
  g_autoptr (VrStore) store = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
  double first;

  conn = vr_libvirt_open (uri, &error);
  if (conn == NULL)
    die (uri, error);
  caps = vr_host_caps_new (conn);
  store = vr_store_new (state);
  system = vr_import_path (store, import_dir, NULL, &error);
  if (system == NULL)
    die (import_dir, error);
  first = time_validation (caps, store, system);
  for (guint i = 0; i < runs; i++)
    {
      double ms = time_validation (caps, store, system);

      g_array_append_val (samples, ms);
    }
  printf ("in-process validate of the test bed's guest (planned, saved "
          "state, %s):\n  first %.2f ms (with the connection's QEMU probe); "
          "warm median %.3f ms, p90 %.3f ms "
          "over %u runs (target < 2 ms: %s)\n", uri, first, median (samples),
          percentile (samples, 90), runs,
          median (samples) < 2.0 ? "met" : "NOT met");
  vr_store_remove (store, system, NULL);
  g_rmdir (state);
  vr_testbed_rmtree (root);
}

static double
time_command (const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL
                         | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, &error))
    die (argv[0], error);
  return (g_get_monotonic_time () - start) / 1000.0;
}

static void
bench_process (const char *file, guint runs)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *state = g_dir_make_tmp ("vr-bench-XXXXXX", &error);
  const char *ours[] = { VR_CLI_PATH, "--direct", "-c", "test:///default",
                         "--state-dir", state, "validate", file, NULL };
  const char *theirs[] = { "virt-xml-validate", file, "domain", NULL };
  /* The floors: exec and loading libvirt's libraries, then that plus the
   * least libvirt work a check against a connection does. */
  const char *version[] = { VR_CLI_PATH, "--version", NULL };
  const char *floor[] = { VR_LIBVIRT_FLOOR_PATH, "test:///default", NULL };
  const char *const *commands[] = { ours, theirs, version, floor };
  GArray *times[G_N_ELEMENTS (commands)];
  double m[G_N_ELEMENTS (commands)];

  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    {
      times[c] = g_array_new (FALSE, FALSE, sizeof (double));
      /* One of each first, so that all start with warm page caches. */
      time_command (commands[c]);
    }
  for (guint i = 0; i < runs; i++)
    for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
      {
        double ms = time_command (commands[c]);

        g_array_append_val (times[c], ms);
      }
  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    {
      m[c] = median (times[c]);
      g_array_unref (times[c]);
    }
  printf ("whole process on %s, %u runs each, interleaved:\n"
          "  virt-realize --direct -c test:///default validate: median "
          "%.1f ms\n  virt-xml-validate FILE domain:                     "
          "median %.1f ms\n  ratio %.2f (target <= 1.0: %s)\n"
          "  floor 1, virt-realize --version (exec, loading libvirt and "
          "its libraries): median %.1f ms, %.2f of virt-xml-validate\n"
          "  floor 2, libvirt-floor test:///default (the same, plus open, "
          "one lookup, close; no schema, no checks): median %.1f ms, %.2f "
          "of virt-xml-validate\n",
          file, runs, m[0], m[1], m[0] / m[1],
          m[0] <= m[1] ? "met" : "NOT met", m[2], m[2] / m[1], m[3],
          m[3] / m[1]);
  g_rmdir (state);
}

int
main (int argc, char **argv)
{
  int runs = 500;
  int process_runs = 30;
  const GOptionEntry entries[] = {
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "In-process runs", "N" },
    { "process-runs", 0, 0, G_OPTION_ARG_INT, &process_runs,
      "Whole-process runs of each command", "M" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *file = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || runs < 1
      || process_runs < 1)
    die ("usage", error);
  dir = vr_testbed_import_dir ("basic", &error);
  if (dir == NULL)
    die ("test bed", error);
  file = g_build_filename (dir, "domain.xml", NULL);
  bench_in_process (dir, runs);
  bench_process (file, process_runs);
  return 0;
}
