/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* bench-copy [--dir DIR] [--size-mib N] [--rounds N] [--settle SECONDS]
 *            [--no-xfs]
 *
 * The copy engine against `cp --reflink=auto --sparse=auto SRC DST` followed
 * by `sync DST`, on the same filesystem (a scratch directory under DIR,
 * default /var/tmp), in the same run:
 *
 * 1. dense: a file of N MiB (default 2048) of pseudo-random data;
 * 2. sparse: the same size with 10% data (1 MiB of every 10 MiB);
 *
 * each copied by both tools in N rounds (default 6), in the order AB, BA,
 * AB…, so that each tool follows itself and the other equally often. As
 * root, every run starts with `sync` and `echo 3 > drop_caches`, then
 * --settle seconds of idling (default 0); not as root every run is warm,
 * and the report says so. Prints medians, their ratio (engine / cp),
 * allocated sizes and the engine's peak RSS during each copy (VmHWM after
 * resetting it through /proc/self/clear_refs).
 *
 * 3. the read/write fallback and the cancel latency (cancel 0.5 s into a
 *    dense copy, time until vr_copy_file returns);
 * 4. as root: reflink on a loop-mounted XFS made with mkfs.xfs -m
 *    reflink=1, in a mount namespace of its own.
 *
 * --hash-only: instead, the cost of the SHA-256 a realize takes while it
 * copies (VrCopyExtra.checksum, used when the import directory has a
 * manifest): plain and hashed copies of the dense file, alternating, by
 * the default method, by read/write and (as root) by reflink on XFS, where
 * the hash has to read the file once more.
 *
 * Everything it makes is removed at the end. */

#include "config.h"

#include "bench-util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "copy.h"
#include "fs-util.h"

#define MIB (1u << 20)

typedef struct {
  char *dir;
  gboolean hash_only;
  guint64 size;
  guint rounds;
  guint settle;
  gboolean xfs;
  gboolean root;
} Options;

typedef struct {
  GArray *seconds;
  guint64 allocated;
  guint64 peak_rss;        /* VmHWM during the copy, bytes */
  guint progress_calls;
  VrCopyMethod method;
} Runs;

/* Removed on every way out. */
static char *scratch;

static void
die (const char *what, const GError *error)
{
  fprintf (stderr, "bench-copy: %s: %s\n", what,
           error ? error->message : g_strerror (errno));
  if (scratch != NULL)
    vr_rmtree (scratch, NULL);
  exit (1);
}

/* /proc files take a plain write; g_file_set_contents would rename. */
static gboolean
write_proc (const char *path, const char *value)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  gboolean ok = fd >= 0 && write (fd, value, strlen (value)) >= 0;

  if (fd >= 0)
    close (fd);
  return ok;
}


static guint64
allocated (const char *path)
{
  struct stat st;

  if (stat (path, &st) < 0)
    die (path, NULL);
  return (guint64) st.st_blocks * 512;
}

static void
fill (guint8 *buf, guint64 offset, gsize len)
{
  for (gsize i = 0; i < len; i += 8)
    {
      guint64 z = offset + i + 0x9e3779b97f4a7c15;

      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
      z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
      z ^= z >> 31;
      memcpy (buf + i, &z, MIN (8, len - i));
    }
}

/* every_mib == 1: dense; 10: 1 MiB of data in every 10 MiB. */
static void
make_source (const char *path, guint64 size, guint every_mib)
{
  g_autofree guint8 *buf = g_malloc (MIB);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  if (fd < 0)
    die (path, NULL);
  for (guint64 o = 0; o < size; o += (guint64) every_mib * MIB)
    {
      gsize len = MIN (MIB, size - o);

      fill (buf, o, len);
      if (pwrite (fd, buf, len, o) != (ssize_t) len)
        die (path, NULL);
    }
  if (ftruncate (fd, size) < 0 || fsync (fd) < 0)
    die (path, NULL);
  close (fd);
}

/* Every run starts the same way: nothing of either file in the page
 * cache, nothing dirty, then the machine left alone for a while. */
static void
prepare_run (const Options *o, const char *dst)
{
  unlink (dst);
  sync ();
  if (o->root && !write_proc ("/proc/sys/vm/drop_caches", "3"))
    die ("cannot drop the page cache", NULL);
  if (o->settle > 0)
    g_usleep ((gulong) o->settle * G_USEC_PER_SEC);
}

static void
reset_peak_rss (void)
{
  if (!write_proc ("/proc/self/clear_refs", "5"))
    die ("cannot reset VmHWM", NULL);
}

static guint64
peak_rss (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL)
      || (line = strstr (status, "VmHWM:")) == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("VmHWM:"), NULL, 10) * 1024;
}

static void
count_progress (guint64 done, guint64 total, gpointer user_data)
{
  guint *calls = user_data;

  (*calls)++;
}

static double
run_engine (const char *src, const char *dst, VrCopyFlags flags, Runs *runs)
{
  g_autoptr (GError) error = NULL;
  VrCopyResult result;
  guint calls = 0;
  gint64 start;
  double seconds;

  reset_peak_rss ();
  start = g_get_monotonic_time ();
  if (!vr_copy_file (src, dst, 0600, flags, NULL, count_progress, &calls,
                     &result, &error))
    die ("vr_copy_file", error);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  runs->peak_rss = MAX (runs->peak_rss, peak_rss ());
  runs->progress_calls = calls;
  runs->method = result.method;
  return seconds;
}

static void
spawn (const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
                     NULL, NULL, NULL, &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    die (argv[0], error);
}

static double
run_cp (const char *src, const char *dst)
{
  const char *cp[] = { "cp", "--reflink=auto", "--sparse=auto", src, dst,
                       NULL };
  const char *sync_dst[] = { "sync", dst, NULL };
  gint64 start = g_get_monotonic_time ();

  spawn (cp);
  spawn (sync_dst);
  return (g_get_monotonic_time () - start) / 1e6;
}

static void
run_one (const Options *o, gboolean engine, const char *src, const char *dst,
         Runs *runs)
{
  double seconds;

  prepare_run (o, dst);
  seconds = engine ? run_engine (src, dst, VR_COPY_NONE, runs)
                   : run_cp (src, dst);
  g_array_append_val (runs->seconds, seconds);
  runs->allocated = allocated (dst);
}

static void
print_runs (const char *name, Runs *runs)
{
  printf ("  %-14s", name);
  for (guint i = 0; i < runs->seconds->len; i++)
    printf (" %6.3f", g_array_index (runs->seconds, double, i));
  printf ("  median %.3f s\n", vr_bench_median (runs->seconds));
}

static void
compare (const Options *o, const char *kind, const char *src)
{
  g_autofree char *dst = g_build_filename (o->dir, "copy", NULL);
  Runs engine = { .seconds = g_array_new (FALSE, FALSE, sizeof (double)) };
  Runs cp = { .seconds = g_array_new (FALSE, FALSE, sizeof (double)) };

  for (guint r = 0; r < o->rounds; r++)
    {
      gboolean engine_first = r % 2 == 0;

      run_one (o, engine_first, src, dst, engine_first ? &engine : &cp);
      run_one (o, !engine_first, src, dst, engine_first ? &cp : &engine);
    }
  unlink (dst);
  printf ("%s, %" G_GUINT64_FORMAT " MiB (seconds per run, in run order):\n",
          kind, o->size / MIB);
  print_runs ("virt-realize", &engine);
  print_runs ("cp + sync", &cp);
  printf ("  ratio of medians (virt-realize / cp): %.2f\n",
          vr_bench_median (engine.seconds) / vr_bench_median (cp.seconds));
  printf ("  allocated: source %.1f MiB, virt-realize's copy %.1f MiB, "
          "cp's copy %.1f MiB\n", allocated (src) / (double) MIB,
          engine.allocated / (double) MIB, cp.allocated / (double) MIB);
  printf ("  virt-realize: method %s, peak RSS during the copy %.1f MiB, "
          "%u progress reports\n", vr_copy_method_to_string (engine.method),
          engine.peak_rss / (double) MIB, engine.progress_calls);
  g_array_unref (engine.seconds);
  g_array_unref (cp.seconds);
}

static void
read_write (const Options *o, const char *src)
{
  g_autofree char *dst = g_build_filename (o->dir, "copy", NULL);
  Runs runs = { .seconds = g_array_new (FALSE, FALSE, sizeof (double)) };

  for (guint r = 0; r < 3; r++)
    {
      double seconds;

      prepare_run (o, dst);
      seconds = run_engine (src, dst, VR_COPY_NO_REFLINK
                            | VR_COPY_NO_COPY_FILE_RANGE, &runs);
      g_array_append_val (runs.seconds, seconds);
    }
  unlink (dst);
  printf ("read/write fallback, dense:\n");
  print_runs ("virt-realize", &runs);
  printf ("  peak RSS during the copy %.1f MiB\n",
          runs.peak_rss / (double) MIB);
  g_array_unref (runs.seconds);
}

typedef struct {
  GCancellable *cancellable;
  gint64 cancel_time;
} Canceller;

static gpointer
cancel_later (gpointer user_data)
{
  Canceller *c = user_data;

  g_usleep (G_USEC_PER_SEC / 2);
  c->cancel_time = g_get_monotonic_time ();
  g_cancellable_cancel (c->cancellable);
  return NULL;
}

static double
cancel_once (const Options *o, const char *src, const char *dst,
             VrCopyFlags flags)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Canceller c = { cancellable, 0 };
  GThread *thread;
  gint64 end;

  prepare_run (o, dst);
  thread = g_thread_new ("cancel", cancel_later, &c);
  if (vr_copy_file (src, dst, 0600, flags, cancellable, NULL, NULL, NULL,
                    &error))
    die ("the copy ended before the cancel; use a larger --size-mib", NULL);
  end = g_get_monotonic_time ();
  g_thread_join (thread);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    die ("cancel", error);
  if (g_file_test (dst, G_FILE_TEST_EXISTS))
    die ("a cancelled copy left its destination", NULL);
  return (end - c.cancel_time) / 1e3;
}

static void
cancel_latency (const Options *o, const char *src)
{
  g_autofree char *dst = g_build_filename (o->dir, "copy", NULL);
  double cfr = 0;
  double rw = 0;

  for (guint r = 0; r < 3; r++)
    {
      cfr = MAX (cfr, cancel_once (o, src, dst, VR_COPY_NONE));
      rw = MAX (rw, cancel_once (o, src, dst, VR_COPY_NO_REFLINK
                                              | VR_COPY_NO_COPY_FILE_RANGE));
    }
  printf ("cancel 0.5 s into a dense copy, until vr_copy_file returns "
          "(worst of 3): copy_file_range %.1f ms, read/write %.1f ms\n", cfr,
          rw);
}

static gboolean
mount_xfs (const Options *o, const char *image, const char *mnt)
{
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT "M",
                                           o->size / MIB + 1024);
  const char *truncate[] = { "truncate", "-s", size, image, NULL };
  const char *mkfs[] = { "mkfs.xfs", "-q", "-m", "reflink=1", image, NULL };
  const char *mount_argv[] = { "mount", "-t", "xfs", "-o", "loop", image, mnt,
                               NULL };

  /* Its own mount namespace: the mount and its loop device go with the
   * process, however it ends. */
  if (unshare (CLONE_NEWNS) < 0
      || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
      || g_mkdir (mnt, 0700) < 0)
    return FALSE;
  spawn (truncate);
  spawn (mkfs);
  spawn (mount_argv);
  return TRUE;
}

static void
reflink (const Options *o)
{
  g_autofree char *image = g_build_filename (o->dir, "xfs.img", NULL);
  g_autofree char *mnt = g_build_filename (o->dir, "xfs", NULL);
  g_autofree char *src = g_build_filename (mnt, "dense", NULL);
  g_autofree char *dst = g_build_filename (mnt, "copy", NULL);
  Runs engine = { .seconds = g_array_new (FALSE, FALSE, sizeof (double)) };
  Runs cp = { .seconds = g_array_new (FALSE, FALSE, sizeof (double)) };

  if (!mount_xfs (o, image, mnt))
    die ("cannot mount an XFS image", NULL);
  make_source (src, o->size, 1);
  for (guint r = 0; r < o->rounds; r++)
    {
      run_one (o, TRUE, src, dst, &engine);
      run_one (o, FALSE, src, dst, &cp);
    }
  unlink (dst);
  printf ("reflink on a loop-mounted XFS (mkfs.xfs -m reflink=1), dense "
          "%" G_GUINT64_FORMAT " MiB:\n", o->size / MIB);
  print_runs ("virt-realize", &engine);
  print_runs ("cp + sync", &cp);
  printf ("  virt-realize: method %s\n",
          vr_copy_method_to_string (engine.method));
  if (umount2 (mnt, 0) < 0)
    umount2 (mnt, MNT_DETACH);
  g_array_unref (engine.seconds);
  g_array_unref (cp.seconds);
}

/* One copy with or without the SHA-256 a realize takes when the import
 * directory has a manifest (VrCopyExtra.checksum). */
static double
run_hashed (const char *src, const char *dst, VrCopyFlags flags,
            gboolean hash, VrCopyMethod *method)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrSha256) checksum = hash ? vr_sha256_new () : NULL;
  g_autofree char *dir = g_path_get_dirname (dst);
  g_autofree char *name = g_path_get_basename (dst);
  VrCopyExtra extra = { .sha256 = checksum };
  VrCopyResult result;
  int src_fd = open (src, O_RDONLY | O_CLOEXEC);
  int dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gint64 start = g_get_monotonic_time ();

  if (src_fd < 0 || dir_fd < 0)
    die (src, NULL);
  if (!vr_copy_fd_to_extra (src_fd, dir_fd, name, 0600, flags, &extra, NULL,
                            NULL, NULL, &result, &error))
    die ("vr_copy_fd_to_extra", error);
  close (src_fd);
  close (dir_fd);
  *method = result.method;
  return (g_get_monotonic_time () - start) / 1e6;
}

/* The cost of hashing while copying: rounds of plain and hashed copies,
 * alternating, caches dropped before each as for the other parts. */
static void
hash_cost (const Options *o, const char *label, const char *src,
           VrCopyFlags flags)
{
  g_autofree char *dst = g_build_filename (o->dir, "copy", NULL);
  g_autoptr (GArray) plain = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) hashed = g_array_new (FALSE, FALSE, sizeof (double));
  VrCopyMethod method = VR_COPY_METHOD_READ_WRITE;
  Runs shown = { 0 };

  if (strstr (src, "/xfs/") != NULL)
    {
      g_free (dst);
      dst = g_build_filename (o->dir, "xfs", "copy", NULL);
    }
  for (guint r = 0; r < o->rounds; r++)
    for (guint h = 0; h < 2; h++)
      {
        gboolean hash = (r + h) % 2 == 1;
        double seconds;

        prepare_run (o, dst);
        seconds = run_hashed (src, dst, flags, hash, &method);
        g_array_append_val (hash ? hashed : plain, seconds);
      }
  unlink (dst);
  printf ("SHA-256 while copying (%s, method %s), %" G_GUINT64_FORMAT
          " MiB:\n", label, vr_copy_method_to_string (method), o->size / MIB);
  shown.seconds = plain;
  print_runs ("without hash", &shown);
  shown.seconds = hashed;
  print_runs ("with hash", &shown);
  printf ("  cost of hashing: +%.0f%% (median %.3f s -> %.3f s)\n",
          100.0 * (vr_bench_median (hashed) / vr_bench_median (plain) - 1), vr_bench_median (plain),
          vr_bench_median (hashed));
}

static void
hash_costs (Options *o, const char *dense)
{
  hash_cost (o, "dense, default", dense, VR_COPY_NONE);
  hash_cost (o, "dense, read/write", dense,
             VR_COPY_NO_REFLINK | VR_COPY_NO_COPY_FILE_RANGE);
  if (o->xfs)
    {
      g_autofree char *image = g_build_filename (o->dir, "xfs.img", NULL);
      g_autofree char *mnt = g_build_filename (o->dir, "xfs", NULL);
      g_autofree char *src = g_build_filename (mnt, "dense", NULL);

      if (!mount_xfs (o, image, mnt))
        die ("cannot mount an XFS image", NULL);
      make_source (src, o->size, 1);
      hash_cost (o, "XFS, reflink", src, VR_COPY_NONE);
      unlink (src);
      if (umount2 (mnt, 0) < 0)
        umount2 (mnt, MNT_DETACH);
    }
}

static void
parse_options (int argc, char **argv, Options *o)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *base = NULL;
  gint64 size_mib = 2048;
  int rounds = 6;
  int settle = 0;
  gboolean no_xfs = FALSE;
  GOptionEntry entries[] = {
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &base, "Scratch space (default /var/tmp)", "DIR" },
    { "size-mib", 0, 0, G_OPTION_ARG_INT64, &size_mib, "File size (default 2048)", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Rounds (default 6)", "N" },
    { "settle", 0, 0, G_OPTION_ARG_INT, &settle, "Idle seconds before each run (default 0)", "S" },
    { "no-xfs", 0, 0, G_OPTION_ARG_NONE, &no_xfs, "Skip the XFS reflink part", NULL },
    { "hash-only", 0, 0, G_OPTION_ARG_NONE, &o->hash_only, "Only the cost of hashing while copying", NULL },
    G_OPTION_ENTRY_NULL
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    die ("options", error);
  o->size = (guint64) size_mib * MIB;
  o->rounds = MAX (rounds, 1);
  o->settle = MAX (settle, 0);
  o->root = geteuid () == 0;
  o->xfs = !no_xfs && o->root;
  o->dir = g_build_filename (base ? base : "/var/tmp", "vr-bench-copy-XXXXXX",
                             NULL);
  if (g_mkdtemp (o->dir) == NULL)
    die (o->dir, NULL);
  scratch = o->dir;
}

int
main (int argc, char **argv)
{
  Options o = { 0 };
  g_autofree char *dense = NULL;
  g_autofree char *sparse = NULL;
  struct rusage usage;

  parse_options (argc, argv, &o);
  dense = g_build_filename (o.dir, "dense", NULL);
  sparse = g_build_filename (o.dir, "sparse", NULL);
  printf ("scratch %s; %s; %u s idle before each run\n", o.dir,
          o.root ? "page cache dropped before each run"
                 : "not root: every run is warm (page cache not dropped)",
          o.settle);
  make_source (dense, o.size, 1);
  if (o.hash_only)
    {
      hash_costs (&o, dense);
      unlink (dense);
      vr_rmtree (o.dir, NULL);
      return 0;
    }
  make_source (sparse, o.size, 10);
  compare (&o, "dense", dense);
  compare (&o, "sparse (10% data)", sparse);
  read_write (&o, dense);
  cancel_latency (&o, dense);
  unlink (sparse);
  unlink (dense);
  if (o.xfs)
    reflink (&o);
  if (!vr_rmtree (o.dir, NULL))
    fprintf (stderr, "bench-copy: cannot remove %s\n", o.dir);
  scratch = NULL;
  getrusage (RUSAGE_SELF, &usage);
  printf ("peak RSS of the whole benchmark process (ru_maxrss): %.1f MiB\n",
          usage.ru_maxrss / 1024.0);
  g_free (o.dir);
  return 0;
}
