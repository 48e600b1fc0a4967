/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the benchmarks share: their statistics, the clock, virsh, and the
 * second libvirtd the remote benchmarks upload into. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* For g_array_sort of doubles, ascending. */
int vr_bench_compare_doubles (gconstpointer a, gconstpointer b);

/* Sorts samples (doubles); the middle one, or the mean of the two middle
 * ones. */
double vr_bench_median (GArray *samples);

/* Sorts samples (doubles); the one at index len * p / 100 (the last at
 * most). */
double vr_bench_percentile (GArray *samples, guint p);

/* Monotonic seconds. */
double vr_bench_now (void);

/* One virsh -q -c uri "commands" (several, ';'-separated: one process, one
 * connection); aborts when it fails. */
void vr_bench_virsh (const char *uri, const char *commands);

/* Seconds the one virsh command took by its own clock (virsh -t): its
 * start and connection left out, as a library caller has them already. */
double vr_bench_virsh_timed (const char *uri, const char *command);
/* Several commands (';'): the sum of their times, each into each. */
double vr_bench_virsh_timed_each (const char *uri, const char *commands,
                                  GArray *each);

/* "  LABEL 1.23 4.56 ..., median 2.34 s", label left-aligned in width
 * columns after indent. */
void vr_bench_print_runs (const char *indent, int width, const char *label,
                          GArray *runs);

/* A second libvirtd as uid 65534 in session mode (as tests/test-remote
 * starts it) under a new /var/tmp/NAME-XXXXXX (short: unix socket paths
 * stay under 108 characters), with a directory pool named pool there
 * (transient, in DIR/home/pool), listening on qemu+tcp 127.0.0.1:port
 * too, under tini as a subreaper (QEMU reaped at once, as on a host; see
 * test_remote_libvirtd_start_full) unless vr_bench_pid1_reaps is set.
 * Root only. */
typedef struct {
  char *dir;
  char *pool_dir;
  char *unix_uri;
  char *tcp_uri;
  GSubprocess *daemon;
} VrBenchRemote;

extern gboolean vr_bench_pid1_reaps;

VrBenchRemote *vr_bench_remote_start (const char *name, const char *pool);

/* Stops the daemon and removes its directory. */
void vr_bench_remote_stop (VrBenchRemote *remote);

G_END_DECLS
