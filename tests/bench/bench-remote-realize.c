/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-remote-realize [--rounds N] [--phases] [--by-hand-validates]
 *                      [--pid1-reaps]
 *
 * A realize onto a remote host end to end (vr_realize over qemu+unix onto
 * a second libvirtd, uid 65534, session mode, as tests/test-remote starts
 * it: validate, upload, define, paused restore + managed save, delete the
 * upload) against the same done by hand with one virsh (define,
 * vol-create-as, vol-upload --sparse, restore --paused, managedsave
 * --running, vol-delete: one process, one connection), on the test bed's
 * basic guest. virsh is timed by its own clock (virsh -t, the sum of its
 * commands): its start and connection are left out, as ours has its
 * connection already; with --phases each command's time is printed. One untimed run of each
 * first (the daemon probes QEMU on the first questions that need it);
 * then rounds alternate the order (AB, BA, …); between runs the domain is undefined with its managed save
 * and the planned system imported again into a new state directory,
 * neither timed. The far daemon runs under tini (QEMU reaped at once, as
 * on a host; --pid1-reaps leaves it to this machine's PID 1, which adds up
 * to 2 s to each managed save). Root only. */
#include "config.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-caps.h"
#include "import.h"
#include "bench-util.h"
#include "libvirt-util.h"
#include "realize.h"
#include "test-util.h"
#include "testbed.h"

/* Undefined with its managed save, not timed. */
static void
clean (virConnectPtr conn, const char *uuid)
{
  g_autoptr (virDomain) dom = virDomainLookupByUUIDString (conn, uuid);

  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainHasManagedSaveImage (dom, 0), ==, 1);
  g_assert_cmpint (virDomainUndefineFlags (dom,
                                           VIR_DOMAIN_UNDEFINE_MANAGED_SAVE),
                   ==, 0);
}

/* With --phases, when each step of ours began (where the time goes). */
static gboolean show_phases;
/* With --by-hand-validates, virsh defines with --validate, the schema
 * check ours has libvirt make at its define (VIR_DOMAIN_DEFINE_VALIDATE). */
static gboolean by_hand_validates;

static void
on_phase (const VrProgressState *state, gpointer user_data)
{
  const char **last = user_data;

  if (g_strcmp0 (*last, state->phase) == 0)
    return;
  *last = state->phase;
  fprintf (stderr, "    %.3f %s\n", vr_bench_now (), state->phase);
}

static double
run_ours (virConnectPtr conn, const char *import)
{
  g_autofree char *state = test_mkdtemp ();
  g_autoptr (VrStore) store = vr_store_new (state);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = vr_import_path (store, import, NULL,
                                                       &error);
  g_autoptr (VrHostCaps) caps = NULL;
  VrRealizeOptions options = { 0 };
  const char *last = NULL;
  g_autoptr (VrProgress) progress = show_phases
                                        ? vr_progress_new (on_phase, &last)
                                        : NULL;
  double start;
  double seconds;

  g_assert_no_error (error);
  start = vr_bench_now ();
  if (show_phases)
    fprintf (stderr, "    %.3f start\n", start);
  caps = vr_host_caps_new (conn);
  if (!vr_realize (store, caps, conn, system, &options, progress, NULL,
                   &error))
    g_error ("%s", error->message);
  seconds = vr_bench_now () - start;
  clean (conn, vr_planned_system_get_uuid (system));
  test_rmtree (state);
  return seconds;
}

static double
run_virsh (virConnectPtr conn, const char *uri, const char *import,
           const char *pool_dir, const char *uuid)
{
  g_autofree char *xml = g_build_filename (import, "domain.xml", NULL);
  g_autofree char *save = g_build_filename (import, "vr-guest.save", NULL);
  g_autofree char *vol = g_build_filename (pool_dir, "byhand.save", NULL);
  struct stat st;
  g_autofree char *commands = NULL;
  g_autoptr (GArray) each = g_array_new (FALSE, FALSE, sizeof (double));
  double seconds;

  g_assert_cmpint (stat (save, &st), ==, 0);
  commands = g_strdup_printf (
      "define %s%s; vol-create-as default byhand.save %" G_GINT64_FORMAT
      " --allocation 0 --format raw; vol-upload --sparse byhand.save %s "
      "--pool default; restore %s --paused; managedsave vr-guest --running; "
      "vol-delete byhand.save --pool default", xml,
      by_hand_validates ? " --validate" : "", (gint64) st.st_size, save, vol);
  seconds = vr_bench_virsh_timed_each (uri, commands, each);
  if (show_phases)
    {
      static const char *const names[] = { "define", "vol-create-as",
                                           "vol-upload", "restore",
                                           "managedsave", "vol-delete" };

      for (guint i = 0; i < each->len && i < G_N_ELEMENTS (names); i++)
        fprintf (stderr, "    virsh %-14s %.3f s\n", names[i],
                 g_array_index (each, double, i));
    }
  clean (conn, uuid);
  return seconds;
}

/* Milliseconds count here (a run is ~0.4 s where QEMU is reaped at once). */
static void
print_runs (const char *label, GArray *runs)
{
  printf ("  %-40s", label);
  for (guint i = 0; i < runs->len; i++)
    printf (" %.3f", g_array_index (runs, double, i));
  printf (", median %.3f s\n", vr_bench_median (runs));
}

int
main (int argc, char **argv)
{
  int rounds = 7;
  GOptionEntry entries[] = {
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Rounds", "N" },
    { "phases", 0, 0, G_OPTION_ARG_NONE, &show_phases,
      "Print when each step of ours began (stderr)", NULL },
    { "by-hand-validates", 0, 0, G_OPTION_ARG_NONE, &by_hand_validates,
      "virsh defines with --validate, as ours does", NULL },
    { "pid1-reaps", 0, 0, G_OPTION_ARG_NONE, &vr_bench_pid1_reaps,
      "Leave the QEMU processes the far daemon orphans to PID 1 (no tini)",
      NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *import = NULL;
  VrBenchRemote *remote;
  g_autoptr (virConnect) conn = NULL;
  g_autoptr (GArray) ours = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) theirs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (VrStore) probe = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autofree char *probe_dir = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);
  if (getuid () != 0)
    {
      fprintf (stderr, "bench-remote-realize: needs root (the second "
               "libvirtd runs as uid 65534)\n");
      return 77;
    }
  vr_libvirt_init ();
  import = vr_testbed_import_dir ("basic", &error);
  if (import == NULL)
    g_error ("%s", error->message);
  probe_dir = test_mkdtemp ();
  probe = vr_store_new (probe_dir);
  system = vr_import_path (probe, import, NULL, &error);
  g_assert_no_error (error);
  remote = vr_bench_remote_start ("vr-bench-e2e", "default");
  conn = vr_libvirt_open (remote->unix_uri, &error);
  g_assert_no_error (error);
  /* The daemon probes QEMU on the first questions that need it (and
   * pages in what each side uses): one untimed run of each first. */
  run_ours (conn, import);
  run_virsh (conn, remote->unix_uri, import, remote->pool_dir,
             vr_planned_system_get_uuid (system));
  printf ("bench-remote-realize: %s (%s), %d rounds over qemu+unix, "
          "seconds per run in run order\n", import,
          vr_planned_system_get_name (system), rounds);
  for (int r = 0; r < rounds; r++)
    {
      double a;
      double b;

      if (r % 2 == 0)
        {
          a = run_ours (conn, import);
          b = run_virsh (conn, remote->unix_uri, import, remote->pool_dir,
                         vr_planned_system_get_uuid (system));
        }
      else
        {
          b = run_virsh (conn, remote->unix_uri, import, remote->pool_dir,
                         vr_planned_system_get_uuid (system));
          a = run_ours (conn, import);
        }
      g_array_append_val (ours, a);
      g_array_append_val (theirs, b);
    }
  print_runs ("virt-realize realize (managed save)", ours);
  print_runs ("virsh define+upload+restore+managedsave", theirs);
  printf ("  ratio of medians (virt-realize / by hand): %.3f\n",
          vr_bench_median (ours) / vr_bench_median (theirs));
  g_clear_pointer (&conn, virConnectClose);
  vr_bench_remote_stop (remote);
  test_rmtree (probe_dir);
  return 0;
}
