/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-remote [--size-mib N] [--rounds N] [--cold] [--settle S] [--only CASE]
 *
 * The remote realize's upload (volume-upload.c: a new volume, a sparse
 * stream, the read-back check) against `virsh vol-upload [--sparse]` of
 * the same file over the same URI, onto a second libvirtd (uid 65534,
 * session mode, as tests/test-remote starts it), by qemu+unix and
 * qemu+tcp on 127.0.0.1. Two files under /var/tmp: N MiB dense and N MiB
 * with 10% data. Rounds alternate the order (AB, BA, …; 8 by default, so
 * that each goes first as often); each volume is made before and deleted
 * after its timed run, and the page cache written back (sync) before
 * each timed run, none of it timed. virsh is timed by its own clock
 * (virsh -t: the command alone, without its start and connection, which
 * ours has already). Each tool's runs are printed in run order with
 * their median and minimum (load only adds time: the minimum is the run
 * it touched least), the load average before and after the rounds, and
 * the ratios of both. The read-back check's share of ours is printed
 * under it. The local copy engine's time (vr_copy_file into a directory
 * beside) is printed beside them, its runs after the rounds. Root only. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "bench-util.h"
#include "libvirt-util.h"
#include "test-util.h"
#include "volume-upload.h"

#define POOL "bench"

/* Data that does not compress: each MiB a different pattern. */
static void
write_data (int fd, guint64 offset, guint mib)
{
  g_autofree guint32 *buf = g_malloc (1024 * 1024);
  GRand *rand = g_rand_new_with_seed (offset >> 20);

  for (guint m = 0; m < mib; m++)
    {
      for (guint i = 0; i < 1024 * 1024 / 4; i++)
        buf[i] = g_rand_int (rand);
      g_assert_cmpint (pwrite (fd, buf, 1024 * 1024,
                               offset + (guint64) m * 1024 * 1024),
                       ==, 1024 * 1024);
    }
  g_rand_free (rand);
}

static char *
make_file (const char *dir, const char *name, guint mib, gboolean sparse)
{
  char *path = g_build_filename (dir, name, NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) mib * 1024 * 1024), ==, 0);
  if (!sparse)
    write_data (fd, 0, mib);
  else
    /* 10% data: one MiB in ten. */
    for (guint m = 0; m < mib; m += 10)
      write_data (fd, (guint64) m * 1024 * 1024, 1);
  fsync (fd);
  close (fd);
  return path;
}

static gboolean cold;
static double settle_seconds = 3;

/* Before each timed run, untimed: what the run before wrote (a 2 GiB
 * volume, the local copy) is written back, so that no run pays for the
 * one before it; with --cold the file to upload is dropped from the page
 * cache too (that file only: the machine is shared). Then a pause: the
 * run before freed gigabytes of page cache, and a VM with free page
 * reporting (virtio-balloon, as here) hands freed memory back to its host
 * some 2 s later, after which touching it again costs a host page fault
 * per page; without the pause a run took ~1 s or ~2 s (2 GiB, dense) by
 * whether it began before or after that, whichever the tool. */
static void
settle (const char *file)
{
  int fd;

  sync ();
  g_usleep ((gulong) (settle_seconds * G_USEC_PER_SEC));
  if (!cold)
    return;
  fd = open (file, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (posix_fadvise (fd, 0, 0, POSIX_FADV_DONTNEED), ==, 0);
  close (fd);
}

/* *check gets the read-back check's share (where the time goes). */
static double
run_ours (virConnectPtr conn, virStoragePoolPtr pool, const char *file,
          double *check)
{
  g_autoptr (GError) error = NULL;
  int fd = open (file, O_RDONLY | O_CLOEXEC);
  struct stat st;
  virStorageVolPtr vol;
  double start;
  double seconds;

  g_assert_cmpint (fstat (fd, &st), ==, 0);
  vol = vr_volume_create (pool, "ours", st.st_size, &error);
  g_assert_no_error (error);
  settle (file);
  start = vr_bench_now ();
  if (!vr_volume_upload (conn, vol, fd, st.st_size, NULL, NULL, NULL, NULL,
                         &error))
    g_error ("%s", error->message);
  *check = vr_bench_now ();
  if (!vr_volume_check (conn, vol, fd, st.st_size, &error))
    g_error ("%s", error->message);
  seconds = vr_bench_now () - start;
  *check = start + seconds - *check;
  virStorageVolDelete (vol, 0);
  virStorageVolFree (vol);
  close (fd);
  return seconds;
}

/* The upload by virsh's own clock (-t): its start and connection are not
 * counted, as ours has its connection already. */
static double
run_virsh (const char *uri, const char *file, gboolean sparse)
{
  struct stat st;
  g_autofree char *create = NULL;
  g_autofree char *upload = g_strdup_printf (
      "vol-upload %s theirs %s --pool " POOL, sparse ? "--sparse" : "", file);
  double seconds;

  g_assert_cmpint (stat (file, &st), ==, 0);
  create = g_strdup_printf ("vol-create-as " POOL " theirs %" G_GINT64_FORMAT
                            " --allocation 0 --format raw",
                            (gint64) st.st_size);
  vr_bench_virsh (uri, create);
  settle (file);
  seconds = vr_bench_virsh_timed (uri, upload);
  vr_bench_virsh (uri, "vol-delete theirs --pool " POOL);
  return seconds;
}

static double
run_copy (const char *file, const char *dir)
{
  g_autofree char *dst = g_build_filename (dir, "copy", NULL);
  g_autoptr (GError) error = NULL;
  double start;

  settle (file);
  start = vr_bench_now ();
  if (!vr_copy_file (file, dst, 0600, VR_COPY_NONE, NULL, NULL, NULL, NULL,
                     &error))
    g_error ("%s", error->message);
  unlink (dst);
  return vr_bench_now () - start;
}

static double
minimum (GArray *runs)
{
  double min = G_MAXDOUBLE;

  for (guint i = 0; i < runs->len; i++)
    min = MIN (min, g_array_index (runs, double, i));
  return min;
}

/* Run order, then median and fastest: the load of this shared machine
 * only ever adds time, so the fastest run is the one it touched least. */
static void
print_runs (const char *label, GArray *runs)
{
  g_autoptr (GArray) sorted = g_array_copy (runs);

  printf ("    %-28s", label);
  for (guint i = 0; i < runs->len; i++)
    printf (" %.2f", g_array_index (runs, double, i));
  printf (", median %.2f, min %.2f s\n", vr_bench_median (sorted),
          minimum (runs));
}

static void
print_load (const char *when)
{
  double load[3] = { 0 };

  g_assert_cmpint (getloadavg (load, 3), ==, 3);
  printf ("    load average %s: %.2f %.2f %.2f\n", when, load[0], load[1],
          load[2]);
}

static void
bench_file (const char *uri, const char *file, gboolean sparse, guint rounds,
            const char *copy_dir)
{
  g_autoptr (virConnect) conn = vr_libvirt_open (uri, NULL);
  g_autoptr (virStoragePool) pool = virStoragePoolLookupByName (conn, POOL);
  g_autoptr (GArray) ours = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) theirs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) copies = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) checks = g_array_new (FALSE, FALSE, sizeof (double));

  g_assert_nonnull (pool);
  printf ("  %s, %s:\n", uri, sparse ? "10% data" : "dense");
  print_load ("before");
  for (guint r = 0; r < rounds; r++)
    {
      double a;
      double b;
      double check;

      if (r % 2 == 0)
        {
          a = run_ours (conn, pool, file, &check);
          b = run_virsh (uri, file, sparse);
        }
      else
        {
          b = run_virsh (uri, file, sparse);
          a = run_ours (conn, pool, file, &check);
        }
      g_array_append_val (ours, a);
      g_array_append_val (checks, check);
      g_array_append_val (theirs, b);
    }
  print_load ("after the rounds");
  /* Apart from the rounds: a copy's 2 GiB of writes just before a round
   * made that round's first upload the slow one (session 6). */
  for (guint r = 0; r < rounds; r++)
    {
      double c = run_copy (file, copy_dir);

      g_array_append_val (copies, c);
    }
  print_runs ("virt-realize upload", ours);
  print_runs ("  of which read-back check", checks);
  print_runs (sparse ? "virsh vol-upload --sparse" : "virsh vol-upload",
              theirs);
  print_runs ("local copy engine", copies);
  printf ("    ratio (virt-realize / virsh): medians %.2f, mins %.2f\n",
          vr_bench_median (ours) / vr_bench_median (theirs),
          minimum (ours) / minimum (theirs));
}

int
main (int argc, char **argv)
{
  int size_mib = 2048;
  int rounds = 8;
  g_autofree char *only = NULL;
  GOptionEntry entries[] = {
    { "size-mib", 0, 0, G_OPTION_ARG_INT, &size_mib, "File size", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Rounds", "N" },
    { "cold", 0, 0, G_OPTION_ARG_NONE, &cold,
      "Drop the file from the page cache before each run", NULL },
    { "settle", 0, 0, G_OPTION_ARG_DOUBLE, &settle_seconds,
      "Pause before each timed run (default 3)", "SECONDS" },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
      "One case: unix-dense, unix-sparse, tcp-dense or tcp-sparse", "CASE" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  VrBenchRemote *remote;
  g_autofree char *files = NULL;
  g_autofree char *dense = NULL;
  g_autofree char *sparse = NULL;
  static const char *const cases[] = { "unix-dense", "unix-sparse",
                                       "tcp-dense", "tcp-sparse", NULL };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);
  if (getuid () != 0)
    {
      fprintf (stderr, "bench-remote: needs root (the second libvirtd runs "
               "as uid 65534)\n");
      return 77;
    }
  if (only != NULL
      && !g_strv_contains ((const char *const *) cases, only))
    {
      fprintf (stderr, "bench-remote: --only %s: not one of unix-dense, "
               "unix-sparse, tcp-dense, tcp-sparse\n", only);
      return 1;
    }
  vr_libvirt_init ();
  remote = vr_bench_remote_start ("vr-bench-remote", POOL);
  files = g_build_filename (remote->dir, "files", NULL);
  g_assert_cmpint (g_mkdir_with_parents (files, 0755), ==, 0);
  dense = make_file (files, "dense.img", size_mib, FALSE);
  sparse = make_file (files, "sparse.img", size_mib, TRUE);
  printf ("bench-remote: %d MiB, %d rounds%s, seconds per run in run "
          "order\n", size_mib, rounds, cold ? ", page cache dropped" : "");
  for (guint i = 0; cases[i] != NULL; i++)
    if (only == NULL || strcmp (only, cases[i]) == 0)
      bench_file (i < 2 ? remote->unix_uri : remote->tcp_uri,
                  i % 2 == 0 ? dense : sparse, i % 2 == 1, rounds, files);
  vr_bench_remote_stop (remote);
  return 0;
}
