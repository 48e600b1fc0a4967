/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "errors.h"
#include "test-util.h"

#define MIB (1u << 20)
#define CHUNK VR_COPY_CHUNK_SIZE

typedef struct {
  char *dir;
  char *mnt;       /* a mount point inside dir, for the tests that mount */
  gboolean mounted;
} Fixture;

typedef struct {
  guint64 offset;
  guint64 len;
} Region;

typedef struct {
  guint calls;
  guint64 last_done;
  guint64 last_total;
  gint64 last_time;
  gint64 latest_gap;  /* before the latest call */
  gint64 min_gap;     /* between two calls before the latest one */
  GCancellable *cancel_at_first;
  guint64 first_done;
} Progress;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->dir = test_mkdtemp ();
  f->mnt = g_build_filename (f->dir, "mnt", NULL);
  g_assert_cmpint (g_mkdir (f->mnt, 0700), ==, 0);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  /* A loop device made by mount -o loop goes with the unmount. */
  if (f->mounted && umount2 (f->mnt, 0) < 0)
    umount2 (f->mnt, MNT_DETACH);
  test_rmtree (f->dir);
  g_free (f->dir);
  g_free (f->mnt);
}

static char *
path_in (const char *dir, const char *name)
{
  return g_build_filename (dir, name, NULL);
}

/* Content that differs at every 8 bytes of every file offset. */
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

static void
write_regions (const char *path, const Region *regions, guint n, guint64 size)
{
  g_autofree guint8 *buf = g_malloc (MIB);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  for (guint r = 0; r < n; r++)
    for (guint64 o = regions[r].offset; o < regions[r].offset + regions[r].len;)
      {
        gsize len = MIN (MIB, regions[r].offset + regions[r].len - o);

        fill (buf, o, len);
        g_assert_cmpint (pwrite (fd, buf, len, o), ==, len);
        o += len;
      }
  g_assert_cmpint (ftruncate (fd, size), ==, 0);
  /* Allocated blocks are final only once on disk. */
  g_assert_cmpint (fsync (fd), ==, 0);
  close (fd);
}

static void
write_dense (const char *path, guint64 size)
{
  Region all = { 0, size };

  write_regions (path, &all, size ? 1 : 0, size);
}

static void
assert_same_content (const char *a, const char *b)
{
  g_autofree char *ca = NULL;
  g_autofree char *cb = NULL;
  gsize la = 0;
  gsize lb = 0;

  g_assert_true (g_file_get_contents (a, &ca, &la, NULL));
  g_assert_true (g_file_get_contents (b, &cb, &lb, NULL));
  g_assert_cmpuint (la, ==, lb);
  g_assert_true (memcmp (ca, cb, la) == 0);
}

static guint64
allocated (const char *path)
{
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  return (guint64) st.st_blocks * 512;
}

static void
on_progress (guint64 done, guint64 total, gpointer user_data)
{
  Progress *p = user_data;
  gint64 now = g_get_monotonic_time ();

  if (p->calls == 0)
    p->first_done = done;
  if (p->calls > 1)
    p->min_gap = MIN (p->min_gap, p->latest_gap);
  if (p->calls > 0)
    {
      g_assert_cmpuint (done, >=, p->last_done);
      p->latest_gap = now - p->last_time;
    }
  p->calls++;
  p->last_done = done;
  p->last_total = total;
  p->last_time = now;
  if (p->cancel_at_first != NULL)
    g_cancellable_cancel (p->cancel_at_first);
}

static void
assert_progress_done (const Progress *p, guint64 total)
{
  g_assert_cmpuint (p->calls, >=, 1);
  g_assert_cmpuint (p->last_done, ==, total);
  g_assert_cmpuint (p->last_total, ==, total);
}

static void
assert_method (VrCopyFlags flags, VrCopyMethod method)
{
  if (flags & VR_COPY_NO_REFLINK)
    g_assert_cmpint (method, !=, VR_COPY_METHOD_REFLINK);
  if ((flags & VR_COPY_NO_REFLINK) && (flags & VR_COPY_NO_COPY_FILE_RANGE))
    g_assert_cmpint (method, ==, VR_COPY_METHOD_READ_WRITE);
}

/* Copies dir/src to dir/dst and checks everything a good copy is. */
static void
copy_and_check (Fixture *f, VrCopyFlags flags, guint64 data_bytes)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *dst = path_in (f->dir, "dst");
  Progress p = { .min_gap = G_MAXINT64 };
  VrCopyResult result = { 0 };
  struct stat st;

  g_assert_true (vr_copy_file (src, dst, 0640, flags, NULL, on_progress, &p,
                               &result, &error));
  g_assert_no_error (error);
  assert_same_content (src, dst);
  g_assert_cmpint (stat (dst, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0640);
  g_assert_cmpuint (result.size, ==, st.st_size);
  g_assert_cmpuint (result.data_bytes, ==, data_bytes);
  assert_method (flags, result.method);
  assert_progress_done (&p, data_bytes);
  /* src, dst and the mount point: no temp file left. */
  g_assert_cmpuint (test_count_entries (f->dir), ==, 3);
}

static void
test_dense (Fixture *f, gconstpointer data)
{
  g_autofree char *src = path_in (f->dir, "src");
  guint64 size = 3 * CHUNK + 4097;

  write_dense (src, size);
  copy_and_check (f, GPOINTER_TO_UINT (data), size);
}

static void
test_sparse (Fixture *f, gconstpointer data)
{
  /* Data at the start, a small extent, one longer than two chunks, and a
   * hole at the end. */
  static const Region regions[] = {
    { 0, MIB },
    { 5 * MIB, 64 * 1024 },
    { 20 * MIB, 2 * CHUNK + 3 * 4096 },
  };
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *dst = path_in (f->dir, "dst");
  guint64 data_bytes = 0;

  for (guint i = 0; i < G_N_ELEMENTS (regions); i++)
    data_bytes += regions[i].len;
  write_regions (src, regions, G_N_ELEMENTS (regions), 48 * MIB);
  copy_and_check (f, GPOINTER_TO_UINT (data), data_bytes);
  g_assert_cmpuint (allocated (dst), <=, allocated (src) + 64 * 1024);
  g_assert_cmpuint (allocated (dst), <, 48 * MIB / 2);
}

static void
test_empty (Fixture *f, gconstpointer data)
{
  g_autofree char *src = path_in (f->dir, "src");

  write_dense (src, 0);
  copy_and_check (f, GPOINTER_TO_UINT (data), 0);
}

static void
test_chunk_sized (Fixture *f, gconstpointer data)
{
  static const guint64 sizes[] = { CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK };
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *dst = path_in (f->dir, "dst");

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      write_dense (src, sizes[i]);
      copy_and_check (f, GPOINTER_TO_UINT (data), sizes[i]);
      g_assert_cmpint (unlink (dst), ==, 0);
    }
}

static void
test_exists (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *dst = path_in (f->dir, "dst");
  g_autofree char *link = path_in (f->dir, "link");
  g_autofree char *target = path_in (f->dir, "target");
  g_autofree char *contents = NULL;

  write_dense (src, 100000);
  test_write_file (f->dir, "dst", "old", -1);
  g_assert_false (vr_copy_file (src, dst, 0600, VR_COPY_NONE, NULL, NULL,
                                NULL, NULL, &error));
  test_assert_error (error, VR_ERROR_IN_USE, dst, "already exists", NULL);
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (dst, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "old");
  g_assert_cmpuint (test_count_entries (f->dir), ==, 3);

  g_assert_true (vr_copy_file (src, dst, 0600, VR_COPY_REPLACE, NULL, NULL,
                               NULL, NULL, &error));
  g_assert_no_error (error);
  assert_same_content (src, dst);

  /* A symbolic link in dst's place is a name in use, and replacing it
   * replaces the link, not what it points to. */
  test_write_file (f->dir, "target", "target", -1);
  g_assert_cmpint (symlink ("target", link), ==, 0);
  g_assert_false (vr_copy_file (src, link, 0600, VR_COPY_NONE, NULL, NULL,
                                NULL, NULL, &error));
  test_assert_error (error, VR_ERROR_IN_USE, link, NULL);
  g_clear_error (&error);
  g_assert_true (vr_copy_file (src, link, 0600, VR_COPY_REPLACE, NULL, NULL,
                               NULL, NULL, &error));
  g_assert_no_error (error);
  assert_same_content (src, link);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (target, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "target");
}

static void
assert_refused (Fixture *f, const char *src, int code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dst = path_in (f->dir, "dst");

  g_assert_false (vr_copy_file (src, dst, 0600, VR_COPY_NONE, NULL, NULL,
                                NULL, NULL, &error));
  test_assert_error (error, code, src, needle, NULL);
  g_assert_false (g_file_test (dst, G_FILE_TEST_EXISTS));
}

static void
test_bad_source (Fixture *f, gconstpointer data)
{
  g_autofree char *real = path_in (f->dir, "real");
  g_autofree char *link = path_in (f->dir, "link");
  g_autofree char *fifo = path_in (f->dir, "fifo");
  g_autofree char *missing = path_in (f->dir, "missing");

  write_dense (real, 1000);
  g_assert_cmpint (symlink ("real", link), ==, 0);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  assert_refused (f, link, VR_ERROR_INVALID_PARAMETER, "symbolic link");
  assert_refused (f, f->mnt, VR_ERROR_INVALID_PARAMETER, "not a regular file");
  /* Opening a FIFO with no writer must not hang. */
  assert_refused (f, fifo, VR_ERROR_INVALID_PARAMETER, "not a regular file");
  assert_refused (f, missing, VR_ERROR_INVALID_PARAMETER, "No such file");
  g_assert_cmpuint (test_count_entries (f->dir), ==, 4);
}

static void
test_bad_name (Fixture *f, gconstpointer data)
{
  static const char *const names[] = { "", ".", "..", "a/b", "/abs" };
  g_autofree char *src = path_in (f->dir, "src");
  int src_fd;
  int dir_fd = open (f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  write_dense (src, 1000);
  src_fd = open (src, O_RDONLY | O_CLOEXEC);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (vr_copy_fd_to (src_fd, dir_fd, names[i], 0600,
                                     VR_COPY_REPLACE, NULL, NULL, NULL, NULL,
                                     &error));
      test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "not a file name",
                         NULL);
    }
  g_assert_cmpuint (test_count_entries (f->dir), ==, 2);
  close (src_fd);
  close (dir_fd);
}

/* By descriptors, as the pipeline calls it: messages still name the
 * destination by its full path. */
static void
test_fd_api (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *dst = path_in (f->dir, "dst");
  int src_fd;
  int dir_fd = open (f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  VrCopyResult result = { 0 };

  write_dense (src, CHUNK + 5);
  src_fd = open (src, O_RDONLY | O_CLOEXEC);
  g_assert_true (vr_copy_fd_to (src_fd, dir_fd, "dst", 0600, VR_COPY_NONE,
                                NULL, NULL, NULL, &result, &error));
  g_assert_no_error (error);
  assert_same_content (src, dst);
  g_assert_cmpuint (result.size, ==, CHUNK + 5);
  g_assert_false (vr_copy_fd_to (src_fd, dir_fd, "dst", 0600, VR_COPY_NONE,
                                 NULL, NULL, NULL, &result, &error));
  test_assert_error (error, VR_ERROR_IN_USE, dst, NULL);
  close (src_fd);
  close (dir_fd);
}

static void
test_long_name (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *name = g_strnfill (NAME_MAX, 'n');
  g_autofree char *dst = path_in (f->dir, name);

  write_dense (src, 5000);
  g_assert_true (vr_copy_file (src, dst, 0600, VR_COPY_NONE, NULL, NULL, NULL,
                               NULL, &error));
  g_assert_no_error (error);
  assert_same_content (src, dst);
}

static void
assert_cancelled (Fixture *f, GError *error, guint entries)
{
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (test_count_entries (f->dir), ==, entries);
}

static void
test_cancel_before (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *dst = path_in (f->dir, "dst");

  write_dense (src, 1000);
  g_cancellable_cancel (cancellable);
  g_assert_false (vr_copy_file (src, dst, 0600, VR_COPY_NONE, cancellable,
                                NULL, NULL, NULL, &error));
  assert_cancelled (f, error, 2);
}

/* Copies a file of size bytes and cancels at the first progress report. */
static Progress
cancel_at_first_report (Fixture *f, guint64 size, VrCopyFlags flags)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *dst = path_in (f->dir, "dst");
  Progress p = { .min_gap = G_MAXINT64, .cancel_at_first = cancellable };

  write_dense (src, size);
  g_assert_false (vr_copy_file (src, dst, 0600, flags, cancellable,
                                on_progress, &p, NULL, &error));
  assert_cancelled (f, error, 2);
  p.cancel_at_first = NULL;
  return p;
}

/* The first report comes after the first chunk, so cancelling in it
 * cancels mid-copy. */
static void
test_cancel_in_progress (Fixture *f, gconstpointer data)
{
  Progress p = cancel_at_first_report (f, 3 * CHUNK, GPOINTER_TO_UINT (data));

  g_assert_cmpuint (p.calls, ==, 1);
  g_assert_cmpuint (p.first_done, <, 3 * CHUNK);
}

/* The last report comes before the rename: a cancel in it still leaves
 * nothing. */
static void
test_cancel_at_end (Fixture *f, gconstpointer data)
{
  Progress p = cancel_at_first_report (f, 0, VR_COPY_NONE);

  g_assert_cmpuint (p.calls, ==, 1);
  g_assert_cmpuint (p.last_total, ==, 0);
}

typedef struct {
  GMutex lock;
  GCond cond;
  gboolean started;
  gboolean cancelled;
  gint64 cancel_time;
  GCancellable *cancellable;
} Canceller;

static gpointer
canceller_thread (gpointer user_data)
{
  Canceller *c = user_data;

  g_mutex_lock (&c->lock);
  while (!c->started)
    g_cond_wait (&c->cond, &c->lock);
  c->cancel_time = g_get_monotonic_time ();
  g_cancellable_cancel (c->cancellable);
  c->cancelled = TRUE;
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
  return NULL;
}

/* Holds the copy at its first report until the other thread has
 * cancelled, so that the cancel lands mid-copy on any machine. */
static void
on_progress_wait_for_cancel (guint64 done, guint64 total, gpointer user_data)
{
  Canceller *c = user_data;

  g_mutex_lock (&c->lock);
  c->started = TRUE;
  g_cond_broadcast (&c->cond);
  while (!c->cancelled)
    g_cond_wait (&c->cond, &c->lock);
  g_mutex_unlock (&c->lock);
}

static void
test_cancel_thread (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *dst = path_in (f->dir, "dst");
  Canceller c = { .cancellable = cancellable };
  GThread *thread;
  gint64 latency;

  g_mutex_init (&c.lock);
  g_cond_init (&c.cond);
  write_dense (src, 4 * CHUNK);
  thread = g_thread_new ("canceller", canceller_thread, &c);
  g_assert_false (vr_copy_file (src, dst, 0600, GPOINTER_TO_UINT (data),
                                cancellable, on_progress_wait_for_cancel, &c,
                                NULL, &error));
  latency = g_get_monotonic_time () - c.cancel_time;
  g_thread_join (thread);
  assert_cancelled (f, error, 2);
  g_test_message ("returned %" G_GINT64_FORMAT " us after the cancel",
                  latency);
  g_assert_cmpint (latency, <, 200 * 1000);
  g_mutex_clear (&c.lock);
  g_cond_clear (&c.cond);
}

static void
on_progress_slow (guint64 done, guint64 total, gpointer user_data)
{
  on_progress (done, total, user_data);
  g_usleep (20 * 1000);
}

static void
test_progress_rate (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *dst = path_in (f->dir, "dst");
  Progress p = { .min_gap = G_MAXINT64 };

  write_dense (src, 12 * CHUNK);
  g_assert_true (vr_copy_file (src, dst, 0600, GPOINTER_TO_UINT (data), NULL,
                               on_progress_slow, &p, NULL, &error));
  g_assert_no_error (error);
  assert_progress_done (&p, 12 * CHUNK);
  g_test_message ("%u reports, smallest gap before the last %" G_GINT64_FORMAT
                  " us", p.calls, p.min_gap);
  /* Only the final report may come sooner than 100 ms after the one
   * before it (a millisecond for the clock read in the callback). Were
   * every chunk reported, the 20 ms of each report would not reach it. */
  g_assert_cmpint (p.min_gap, >=, 99 * 1000);
}

static gboolean
spawn (const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH
                     | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                     &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    {
      g_test_message ("%s: %s %s", argv[0], error->message, err ? err : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
mount_tmpfs (Fixture *f, const char *size)
{
  g_autofree char *options = g_strdup_printf ("size=%s,mode=0700", size);

  if (geteuid () != 0)
    {
      g_test_skip ("mounting a small tmpfs needs root");
      return FALSE;
    }
  if (mount ("tmpfs", f->mnt, "tmpfs", MS_NOSUID | MS_NODEV, options) < 0)
    {
      g_test_skip_printf ("cannot mount a tmpfs: %s", g_strerror (errno));
      return FALSE;
    }
  f->mounted = TRUE;
  return TRUE;
}

static gboolean
mount_xfs (Fixture *f)
{
  g_autofree char *image = path_in (f->dir, "xfs.img");
  const char *mkfs[] = { "mkfs.xfs", "-q", "-m", "reflink=1", image, NULL };
  const char *mnt[] = { "mount", "-t", "xfs", "-o", "loop", image, f->mnt,
                        NULL };

  if (geteuid () != 0)
    {
      g_test_skip ("mounting an XFS loop image needs root");
      return FALSE;
    }
  /* The smallest XFS that mkfs.xfs makes; sparse, so it costs little. */
  test_write_file (f->dir, "xfs.img", "", 0);
  g_assert_cmpint (truncate (image, 320 * MIB), ==, 0);
  if (!spawn (mkfs) || !spawn (mnt))
    {
      g_test_skip ("cannot make and mount an XFS image with reflink=1");
      return FALSE;
    }
  f->mounted = TRUE;
  return TRUE;
}

static void
assert_no_space (Fixture *f, const char *src, const char *dst,
                 VrCopyFlags flags, guint entries)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (vr_copy_file (src, dst, 0600, flags, NULL, NULL, NULL, NULL,
                                &error));
  test_assert_error (error, VR_ERROR_FAILED, dst, "No space left on device",
                     NULL);
  g_assert_cmpuint (test_count_entries (f->mnt), ==, entries);
}

/* Into a full tmpfs: from another filesystem (read/write) and from the
 * same one (copy_file_range and read/write). */
static void
test_no_space (Fixture *f, gconstpointer data)
{
  g_autofree char *outside = path_in (f->dir, "src");
  g_autofree char *inside = path_in (f->mnt, "src");
  g_autofree char *dst = path_in (f->mnt, "dst");

  if (!mount_tmpfs (f, "12m"))
    return;
  write_dense (outside, 16 * MIB);
  assert_no_space (f, outside, dst, VR_COPY_NONE, 0);
  write_dense (inside, 7 * MIB);
  assert_no_space (f, inside, dst, VR_COPY_NONE, 1);
  assert_no_space (f, inside, dst, VR_COPY_NO_COPY_FILE_RANGE, 1);
}

static void
test_cross_fs (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *dst = path_in (f->mnt, "dst");
  VrCopyResult result = { 0 };

  if (!mount_tmpfs (f, "64m"))
    return;
  write_dense (src, 2 * CHUNK + 1);
  g_assert_true (vr_copy_file (src, dst, 0600, VR_COPY_NONE, NULL, NULL, NULL,
                               &result, &error));
  g_assert_no_error (error);
  assert_same_content (src, dst);
  g_test_message ("tmpfs from another filesystem: %s",
                  vr_copy_method_to_string (result.method));
  g_assert_cmpint (result.method, !=, VR_COPY_METHOD_REFLINK);
}

static void
test_reflink (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *src = path_in (f->mnt, "src");
  g_autofree char *dst = path_in (f->mnt, "dst");
  g_autofree char *dst2 = path_in (f->mnt, "dst2");
  VrCopyResult result = { 0 };

  if (!mount_xfs (f))
    return;
  write_dense (src, 3 * CHUNK + 1);
  g_assert_true (vr_copy_file (src, dst, 0600, VR_COPY_NONE, NULL, NULL, NULL,
                               &result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result.method, ==, VR_COPY_METHOD_REFLINK);
  g_assert_cmpuint (result.data_bytes, ==, 3 * CHUNK + 1);
  assert_same_content (src, dst);
  g_assert_true (vr_copy_file (src, dst2, 0600, VR_COPY_NO_REFLINK, NULL, NULL,
                               NULL, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result.method, ==, VR_COPY_METHOD_COPY_FILE_RANGE);
  assert_same_content (src, dst2);
  g_assert_cmpuint (test_count_entries (f->mnt), ==, 3);
}

static void
test_remove_temps (Fixture *f, gconstpointer data)
{
  static const char *const kept[] = {
    "vm.save",
    VR_COPY_TEMP_PREFIX "vm.save.abc12",
    VR_COPY_TEMP_PREFIX "vm.save.abc1234",
    VR_COPY_TEMP_PREFIX "vm.save.zzzzzz",
    VR_COPY_TEMP_PREFIX "vm.saved.abc123",
    VR_COPY_TEMP_PREFIX "other.abc123",
  };

  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    test_write_file (f->dir, kept[i], "x", -1);
  test_write_file (f->dir, VR_COPY_TEMP_PREFIX "vm.save.0f9a3c", "x", -1);
  test_write_file (f->dir, VR_COPY_TEMP_PREFIX "vm.save.ABC123", "x", -1);
  vr_copy_remove_temps (f->dir, "vm.save");
  g_assert_cmpuint (test_count_entries (f->dir), ==, G_N_ELEMENTS (kept) + 1);
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      g_autofree char *path = path_in (f->dir, kept[i]);

      g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
    }
}

static void
test_method_names (void)
{
  g_assert_cmpstr (vr_copy_method_to_string (VR_COPY_METHOD_REFLINK), ==,
                   "reflink");
  g_assert_cmpstr (vr_copy_method_to_string (VR_COPY_METHOD_COPY_FILE_RANGE),
                   ==, "copy_file_range");
  g_assert_cmpstr (vr_copy_method_to_string (VR_COPY_METHOD_READ_WRITE), ==,
                   "read/write");
}

/* As root the tests mount; in a mount namespace of their own, the mounts
 * (and the loop devices mount -o loop made) go away with the process even
 * when a failed assertion skips the teardown. */
static void
private_mounts (void)
{
  if (geteuid () != 0)
    return;
  if (unshare (CLONE_NEWNS) < 0
      || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    g_test_message ("no private mount namespace: %s", g_strerror (errno));
}

/* The copy's SHA-256, taken while it reads (holes as zeros), for dir/src
 * copied to dir/dst with flags. */
static char *
copy_hashed (const char *dir, VrCopyFlags flags, VrCopyMethod *method)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrSha256) checksum = vr_sha256_new ();
  VrCopyExtra extra = { .sha256 = checksum };
  VrCopyResult result = { 0 };
  g_autofree char *src = path_in (dir, "src");
  int src_fd = open (src, O_RDONLY | O_CLOEXEC);
  int dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  g_assert_true (vr_copy_fd_to_extra (src_fd, dir_fd, "dst", 0600, flags,
                                      &extra, NULL, NULL, NULL, &result,
                                      &error));
  g_assert_no_error (error);
  close (src_fd);
  close (dir_fd);
  *method = result.method;
  return g_strdup (vr_sha256_hex (checksum));
}

/* Every method hashes exactly the source's bytes: the manifest check at
 * realize depends on it. */
static void
test_checksum (Fixture *f, gconstpointer data)
{
  static const Region regions[] = {
    { MIB, 64 * 1024 + 7 },
    { 20 * MIB, 2 * CHUNK + 3 * 4096 },
  };
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  VrCopyMethod method;

  write_regions (src, regions, G_N_ELEMENTS (regions), 48 * MIB + 5);
  want = test_sha256_file (src);
  got = copy_hashed (f->dir, GPOINTER_TO_UINT (data), &method);
  g_assert_cmpstr (got, ==, want);
}

static void
test_reflink_checksum (Fixture *f, gconstpointer data)
{
  g_autofree char *src = path_in (f->mnt, "src");
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  VrCopyMethod method;

  if (!mount_xfs (f))
    return;
  write_dense (src, 3 * CHUNK + 1);
  want = test_sha256_file (src);
  got = copy_hashed (f->mnt, VR_COPY_NONE, &method);
  g_assert_cmpint (method, ==, VR_COPY_METHOD_REFLINK);
  g_assert_cmpstr (got, ==, want);
}

/* Found by the firmware test under ASan: a copy whose last buffer ends
 * the file returned (and freed its buffers) while the hash's worker still
 * read that buffer. Small files, as a TPM state folder has, many times:
 * the worker is then nearly always still at work when the copy ends. */
static void
test_checksum_small_files (Fixture *f, gconstpointer data)
{
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *dst = path_in (f->dir, "dst");

  test_write_file (f->dir, "src", "a TPM state of 21 b.\n", -1);
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *want = test_sha256_file (src);
      g_autofree char *got = NULL;
      VrCopyMethod method;

      got = copy_hashed (f->dir, GPOINTER_TO_UINT (data), &method);
      g_assert_cmpstr (got, ==, want);
      g_assert_cmpint (unlink (dst), ==, 0);
    }
}

typedef struct {
  GPtrArray *names;
  guint64 ino;
} Tracked;

static gboolean
on_track (const char *name, guint64 dev, guint64 ino, gpointer user_data,
          GError **error)
{
  Tracked *t = user_data;

  g_ptr_array_add (t->names, g_strdup (name));
  t->ino = ino;
  return TRUE;
}

/* VR_COPY_FREE_NAME: existing files keep their bytes, the copy takes the
 * first free name, and track is told that name (with the copy's inode)
 * before it appears; a named temp is told first. */
static void
test_free_name (Fixture *f, gconstpointer data)
{
  VrCopyFlags flags = GPOINTER_TO_UINT (data) | VR_COPY_FREE_NAME;
  g_autoptr (GError) error = NULL;
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *taken = path_in (f->dir, "vm.save");
  g_autofree char *copy = path_in (f->dir, "vm-3.save");
  Tracked t = { g_ptr_array_new_with_free_func (g_free), 0 };
  VrCopyExtra extra = { .track = on_track, .track_data = &t };
  int src_fd;
  int dir_fd;
  struct stat st;
  g_autofree char *text = NULL;

  write_dense (src, MIB);
  test_write_file (f->dir, "vm.save", "first", -1);
  test_write_file (f->dir, "vm-2.save", "second", -1);
  src_fd = open (src, O_RDONLY | O_CLOEXEC);
  dir_fd = open (f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_true (vr_copy_fd_to_extra (src_fd, dir_fd, "vm.save", 0600, flags,
                                      &extra, NULL, NULL, NULL, NULL,
                                      &error));
  g_assert_no_error (error);
  close (src_fd);
  close (dir_fd);
  g_assert_true (g_file_get_contents (taken, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "first");
  assert_same_content (src, copy);
  g_assert_cmpint (stat (copy, &st), ==, 0);
  g_assert_cmpuint (t.ino, ==, st.st_ino);
  g_assert_cmpstr (t.names->pdata[t.names->len - 1], ==, "vm-3.save");
  if (flags & VR_COPY_NAMED_TEMP)
    g_assert_true (g_str_has_prefix (t.names->pdata[0], VR_COPY_TEMP_PREFIX));
  else
    g_assert_cmpuint (t.names->len, ==, 1);
  /* src, vm.save, vm-2.save, vm-3.save, mnt: no temp file left. */
  g_assert_cmpuint (test_count_entries (f->dir), ==, 5);
  g_ptr_array_unref (t.names);
}

/* F7 of the fifth attack review: in a shared pool folder another user
 * takes every readable name first, as links to a victim's file (and a
 * dangling one). The copy takes a random name nobody could predict; the
 * links and the victim are as they were. */
static void
test_free_name_squatted (Fixture *f, gconstpointer data)
{
  VrCopyFlags flags = GPOINTER_TO_UINT (data) | VR_COPY_FREE_NAME;
  g_autoptr (GError) error = NULL;
  g_autofree char *src = path_in (f->dir, "src");
  g_autofree char *victim = path_in (f->dir, "victim");
  g_autofree char *first = path_in (f->dir, "vm.save");
  g_autofree char *got = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *text = NULL;
  Tracked t = { g_ptr_array_new_with_free_func (g_free), 0 };
  VrCopyExtra extra = { .track = on_track, .track_data = &t };
  guint64 suffix;
  int src_fd;
  int dir_fd;
  struct stat st;

  write_dense (src, MIB);
  test_write_file (f->dir, "victim", "victim's", -1);
  g_assert_cmpint (symlink ("/nonexistent/vr", first), ==, 0);
  for (guint n = 2; n <= 1000; n++)
    {
      g_autofree char *name = vr_copy_free_name ("vm.save", n);
      g_autofree char *link = path_in (f->dir, name);

      g_assert_cmpint (symlink (victim, link), ==, 0);
    }
  src_fd = open (src, O_RDONLY | O_CLOEXEC);
  dir_fd = open (f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_true (vr_copy_fd_to_extra (src_fd, dir_fd, "vm.save", 0600, flags,
                                      &extra, NULL, NULL, NULL, NULL,
                                      &error));
  g_assert_no_error (error);
  close (src_fd);
  close (dir_fd);
  got = g_strdup (t.names->pdata[t.names->len - 1]);
  g_test_message ("the copy's name: %s", got);
  g_assert_cmpuint (strlen (got), ==, strlen ("vm-0123456789abcdef.save"));
  g_assert_cmpint (sscanf (got, "vm-%16" G_GINT64_MODIFIER "x.save",
                           &suffix), ==, 1);
  copy = path_in (f->dir, got);
  assert_same_content (src, copy);
  g_assert_cmpint (lstat (copy, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpuint (t.ino, ==, st.st_ino);
  g_assert_true (g_file_get_contents (victim, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "victim's");
  g_assert_cmpint (lstat (first, &st), ==, 0);
  g_assert_true (S_ISLNK (st.st_mode));
  for (guint n = 2; n <= 1000; n++)
    {
      g_autofree char *name = vr_copy_free_name ("vm.save", n);
      g_autofree char *link = path_in (f->dir, name);
      g_autofree char *target = g_file_read_link (link, NULL);

      g_assert_cmpstr (target, ==, victim);
    }
  /* src, victim, 1000 links, the copy, mnt: no temp file left. */
  g_assert_cmpuint (test_count_entries (f->dir), ==, 1004);
  g_ptr_array_unref (t.names);
}

/* Copies dir/src to dir/name held to expected bytes. */
static gboolean
copy_counted (const char *dir, const char *name, VrCopyFlags flags,
              guint64 expected, GError **error)
{
  VrCopyExtra extra = { .check_size = TRUE, .expected_size = expected };
  g_autofree char *src = path_in (dir, "src");
  int src_fd = open (src, O_RDONLY | O_CLOEXEC);
  int dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gboolean ok = vr_copy_fd_to_extra (src_fd, dir_fd, name, 0600, flags,
                                     &extra, NULL, NULL, NULL, NULL, error);

  close (src_fd);
  close (dir_fd);
  return ok;
}

/* Sixth review, F4: a file counted against a per-user limit at one size
 * and grown (by its owner) before the copy starts is refused, and
 * nothing of it is left; at the counted size it is copied. */
static void
test_counted_size (Fixture *f, gconstpointer data)
{
  VrCopyFlags flags = GPOINTER_TO_UINT (data);
  g_autofree char *src = path_in (f->dir, "src");
  g_autoptr (GError) error = NULL;

  write_dense (src, MIB);
  g_assert_true (copy_counted (f->dir, "same", flags, MIB, &error));
  g_assert_no_error (error);
  write_dense (src, 3 * MIB);
  g_assert_false (copy_counted (f->dir, "grown", flags, MIB, &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "counted", NULL);
  g_assert_nonnull (strstr (error->message, "3145728 bytes"));
  /* src, same and mnt: nothing of the refused copy. */
  g_assert_cmpuint (test_count_entries (f->dir), ==, 3);
}

#define ADD(path, func, flags) \
  g_test_add ("/copy/" path, Fixture, GUINT_TO_POINTER (flags), \
              fixture_set_up, func, fixture_tear_down)

#define ADD_METHODS(path, func) \
  G_STMT_START { \
    ADD (path "/default", func, VR_COPY_NONE); \
    ADD (path "/copy-file-range", func, VR_COPY_NO_REFLINK); \
    ADD (path "/read-write", func, \
         VR_COPY_NO_REFLINK | VR_COPY_NO_COPY_FILE_RANGE); \
  } G_STMT_END

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  private_mounts ();
  g_test_add_func ("/copy/method-names", test_method_names);
  ADD_METHODS ("dense", test_dense);
  ADD_METHODS ("sparse", test_sparse);
  ADD_METHODS ("empty", test_empty);
  ADD_METHODS ("chunk-sized", test_chunk_sized);
  ADD_METHODS ("cancel/in-progress", test_cancel_in_progress);
  ADD_METHODS ("cancel/thread", test_cancel_thread);
  ADD_METHODS ("progress-rate", test_progress_rate);
  ADD ("cancel/before", test_cancel_before, VR_COPY_NONE);
  ADD ("cancel/at-end", test_cancel_at_end, VR_COPY_NONE);
  ADD ("exists", test_exists, VR_COPY_NONE);
  ADD ("bad-source", test_bad_source, VR_COPY_NONE);
  ADD ("bad-name", test_bad_name, VR_COPY_NONE);
  ADD ("fd-api", test_fd_api, VR_COPY_NONE);
  ADD ("long-name", test_long_name, VR_COPY_NONE);
  ADD ("remove-temps", test_remove_temps, VR_COPY_NONE);
  ADD ("no-space", test_no_space, VR_COPY_NONE);
  ADD ("cross-fs", test_cross_fs, VR_COPY_NONE);
  ADD ("reflink", test_reflink, VR_COPY_NONE);
  ADD_METHODS ("checksum", test_checksum);
  ADD_METHODS ("counted-size", test_counted_size);
  ADD_METHODS ("checksum/small-files", test_checksum_small_files);
  ADD ("checksum/named-temp", test_checksum,
       VR_COPY_NO_REFLINK | VR_COPY_NAMED_TEMP);
  ADD ("reflink-checksum", test_reflink_checksum, VR_COPY_NONE);
  ADD ("free-name", test_free_name, VR_COPY_NONE);
  ADD ("free-name/named-temp", test_free_name, VR_COPY_NAMED_TEMP);
  ADD ("free-name/squatted", test_free_name_squatted, VR_COPY_NONE);
  ADD ("free-name/squatted-named-temp", test_free_name_squatted,
       VR_COPY_NAMED_TEMP);
  return g_test_run ();
}
