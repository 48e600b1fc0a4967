/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "bench-util.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"

#define NOBODY 65534

int
vr_bench_compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

double
vr_bench_median (GArray *samples)
{
  guint n = samples->len;

  g_array_sort (samples, vr_bench_compare_doubles);
  if (n % 2 == 1)
    return g_array_index (samples, double, n / 2);
  return (g_array_index (samples, double, n / 2 - 1)
          + g_array_index (samples, double, n / 2)) / 2;
}

double
vr_bench_percentile (GArray *samples, guint p)
{
  g_array_sort (samples, vr_bench_compare_doubles);
  return g_array_index (samples, double,
                        MIN (samples->len - 1, samples->len * p / 100));
}

double
vr_bench_now (void)
{
  return g_get_monotonic_time () / (double) G_USEC_PER_SEC;
}

void
vr_bench_virsh (const char *uri, const char *commands)
{
  const char *argv[] = { "virsh", "-q", "-c", uri, commands, NULL };
  int status = -1;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
                               G_SPAWN_SEARCH_PATH
                                   | G_SPAWN_STDOUT_TO_DEV_NULL,
                               NULL, NULL, NULL, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

double
vr_bench_virsh_timed_each (const char *uri, const char *commands,
                           GArray *each)
{
  const char *argv[] = { "virsh", "-q", "-t", "-c", uri, commands, NULL };
  g_autofree char *out = NULL;
  const char *time;
  double total = 0;
  int status = -1;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
                               G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                               &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  time = strstr (out, "(Time: ");
  g_assert_nonnull (time);
  for (; time != NULL; time = strstr (time + 1, "(Time: "))
    {
      double seconds = g_ascii_strtod (time + strlen ("(Time: "), NULL)
                       / 1000;

      if (each != NULL)
        g_array_append_val (each, seconds);
      total += seconds;
    }
  return total;
}

double
vr_bench_virsh_timed (const char *uri, const char *command)
{
  return vr_bench_virsh_timed_each (uri, command, NULL);
}

void
vr_bench_print_runs (const char *indent, int width, const char *label,
                     GArray *runs)
{
  printf ("%s%-*s", indent, width, label);
  for (guint i = 0; i < runs->len; i++)
    printf (" %.2f", g_array_index (runs, double, i));
  printf (", median %.2f s\n", vr_bench_median (runs));
}

gboolean vr_bench_pid1_reaps;

VrBenchRemote *
vr_bench_remote_start (const char *name, const char *pool)
{
  VrBenchRemote *remote = g_new0 (VrBenchRemote, 1);
  guint port = test_free_port ();
  g_autofree char *define = NULL;

  remote->dir = g_strdup_printf ("/var/tmp/%s-XXXXXX", name);
  g_assert_nonnull (g_mkdtemp (remote->dir));
  g_assert_cmpint (chmod (remote->dir, 0755), ==, 0);
  remote->pool_dir = g_build_filename (remote->dir, "home", "pool", NULL);
  g_assert_cmpint (g_mkdir_with_parents (remote->pool_dir, 0755), ==, 0);
  g_assert_cmpint (chown (remote->pool_dir, NOBODY, NOBODY), ==, 0);
  remote->daemon = test_remote_libvirtd_start_full (remote->dir, port,
                                                    !vr_bench_pid1_reaps);
  remote->unix_uri = g_strdup_printf (
      "qemu+unix:///session?socket=%s/run/libvirt-sock", remote->dir);
  remote->tcp_uri = g_strdup_printf ("qemu+tcp://127.0.0.1:%u/session",
                                     port);
  define = g_strdup_printf ("pool-create-as %s dir --target %s", pool,
                            remote->pool_dir);
  vr_bench_virsh (remote->unix_uri, define);
  return remote;
}

void
vr_bench_remote_stop (VrBenchRemote *remote)
{
  g_subprocess_send_signal (remote->daemon, SIGTERM);
  g_subprocess_wait (remote->daemon, NULL, NULL);
  g_object_unref (remote->daemon);
  test_rmtree (remote->dir);
  g_free (remote->dir);
  g_free (remote->pool_dir);
  g_free (remote->unix_uri);
  g_free (remote->tcp_uri);
  g_free (remote);
}
