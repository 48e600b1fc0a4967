/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Realize end to end against the bare copy it is built on: a planned
 * system whose saved state is 1 GiB is realized (validate, copy, define,
 * hand-off) into an embedded root, and the same file is copied with the
 * copy engine into the same directory; medians of several rounds, the page
 * cache dropped before each run when we are root. Target: overhead under
 * 5%; the planned XML written into the copy's header (every realize
 * does it) under 20 ms. Usage: bench-realize [--rounds N] [--mib M] */
#include "config.h"

#include "bench-util.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "copy.h"
#include "fs-util.h"
#include "import.h"
#include "libvirt-util.h"
#include "realize.h"
#include "testbed.h"

static void
drop_caches (void)
{
  int fd;

  sync ();
  fd = open ("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  if (write (fd, "3\n", 2) != 2)
    g_printerr ("cannot drop the page cache\n");
  close (fd);
}

static char *
make_import (guint mib)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *basic = vr_testbed_import_dir ("basic", &error);
  char *dir = basic ? vr_testbed_copy_import_dir (basic, &error) : NULL;
  g_autofree char *save = NULL;
  g_autofree char *chunk = g_malloc (1 << 20);
  int fd;

  if (dir == NULL)
    g_error ("test bed: %s", error->message);
  save = g_build_filename (dir, "vr-guest.save", NULL);
  fd = open (save, O_WRONLY | O_APPEND | O_CLOEXEC);
  for (guint i = 0; i < mib; i++)
    {
      for (guint j = 0; j < (1 << 20); j += 4096)
        memset (chunk + j, (int) (i + j / 4096), 4096);
      if (write (fd, chunk, 1 << 20) != 1 << 20)
        g_error ("cannot write %s", save);
    }
  close (fd);
  return dir;
}

static double
time_copy (const char *src, const char *pool)
{
  g_autofree char *dst = g_build_filename (pool, "bare.save", NULL);
  g_autoptr (GError) error = NULL;
  gint64 start;
  double seconds;

  drop_caches ();
  start = g_get_monotonic_time ();
  if (!vr_copy_file (src, dst, 0600, VR_COPY_NONE, NULL, NULL, NULL, NULL,
                     &error))
    g_error ("copy: %s", error->message);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  unlink (dst);
  return seconds;
}

static void
remove_domain (virConnectPtr conn)
{
  g_autoptr (virDomain) dom = virDomainLookupByName (conn, "vr-guest");

  if (dom != NULL)
    virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE);
}

typedef struct {
  gint64 start;
  const char *phase;
  GString *times;
  double update_ms; /* the planned XML written into the copy's header */
} Phases;

/* Where the time goes: each phase's share, printed per round. */
static void
on_phase (const VrProgressState *state, gpointer user_data)
{
  Phases *p = user_data;
  gint64 now = g_get_monotonic_time ();

  if (g_strcmp0 (state->phase, p->phase) == 0 && state->fraction < 1.0)
    return;
  if (p->phase != NULL)
    g_string_append_printf (p->times, " %s %.0f ms", p->phase,
                            (now - p->start) / 1e3);
  if (g_strcmp0 (p->phase, "update") == 0)
    p->update_ms = (now - p->start) / 1e3;
  p->phase = state->phase;
  p->start = now;
}

static double
time_realize (VrStore *store, VrHostCaps *caps, virConnectPtr conn,
              const char *import_dir, const char *pool, double *update_ms)
{
  VrRealizeOptions options = { .pool_dir = pool };
  Phases phases = { 0, NULL, g_string_new (NULL), 0 };
  g_autoptr (VrProgress) progress = vr_progress_new (on_phase, &phases);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = vr_import_path (store, import_dir,
                                                       NULL, &error);
  gint64 start;
  double seconds;

  if (system == NULL)
    g_error ("import: %s", error->message);
  drop_caches ();
  start = g_get_monotonic_time ();
  phases.start = start;
  if (!vr_realize (store, caps, conn, system, &options, progress, NULL,
                   &error))
    g_error ("realize: %s", error->message);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  if (g_getenv ("VR_BENCH_PHASES") != NULL)
    printf ("   phases:%s\n", phases.times->str);
  g_string_free (phases.times, TRUE);
  if (update_ms != NULL)
    *update_ms = phases.update_ms;
  remove_domain (conn);
  vr_store_remove (store, system, NULL);
  return seconds;
}


int
main (int argc, char **argv)
{
  int rounds = 5;
  int mib = 1024;
  const GOptionEntry entries[] = {
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Rounds", "N" },
    { "mib", 0, 0, G_OPTION_ARG_INT, &mib, "Save image size", "MIB" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *root = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *import_dir = NULL;
  g_autofree char *save = NULL;
  g_autofree char *state = g_dir_make_tmp ("vr-bench-state-XXXXXX", NULL);
  g_autofree char *pool = g_dir_make_tmp ("vr-bench-pool-XXXXXX", NULL);
  g_autoptr (GArray) copies = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) realizes = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) updates = g_array_new (FALSE, FALSE, sizeof (double));
  double u;
  g_autoptr (VrStore) store = NULL;
  g_autoptr (VrHostCaps) caps = NULL;
  virConnectPtr conn;
  double c;
  double r;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);
  root = vr_testbed_new_root ("bench-realize");
  uri = vr_testbed_root_uri (root);
  conn = vr_libvirt_open (uri, &error);
  if (conn == NULL)
    g_error ("%s", error->message);
  caps = vr_host_caps_new (conn);
  store = vr_store_new (state);
  import_dir = make_import (mib);
  save = g_build_filename (import_dir, "vr-guest.save", NULL);
  printf ("realize of a %d MiB saved state vs a bare copy of it (%d rounds, "
          "%s)\n", mib, rounds, geteuid () == 0 ? "page cache dropped before "
                                                   "each run" : "warm cache");
  /* One unmeasured realize warms libvirt's and validate's caches. */
  time_realize (store, caps, conn, import_dir, pool, NULL);
  for (int i = 0; i < rounds; i++)
    {
      c = time_copy (save, pool);
      r = time_realize (store, caps, conn, import_dir, pool, &u);
      g_array_append_val (copies, c);
      g_array_append_val (realizes, r);
      g_array_append_val (updates, u);
      printf ("  round %d: copy %.3f s, realize %.3f s, header %.1f ms\n",
              i + 1, c, r, u);
    }
  c = vr_bench_percentile (copies, 50);
  r = vr_bench_percentile (realizes, 50);
  printf ("median: copy %.3f s, realize %.3f s, overhead %.1f%% (target < 5%%)\n",
          c, r, (r / c - 1.0) * 100.0);
  printf ("median: planned XML written into the header %.1f ms "
          "(target < 20 ms)\n", vr_bench_percentile (updates, 50));
  virConnectClose (conn);
  vr_rmtree (import_dir, NULL);
  vr_rmtree (state, NULL);
  vr_rmtree (pool, NULL);
  vr_rmtree (root, NULL);
  return 0;
}
