/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "copy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"

/* Dirty pages of the copy allowed ahead of the disk. Behind this window the
 * copy waits for its writes and drops both files' pages: a 2 GiB copy then
 * neither pushes the guests' memory out of a VM host's page cache nor leaves
 * gigabytes for the final fdatasync, and a cancel does not wait for them. */
#define WRITEBACK_WINDOW (64u << 20)

#define PROGRESS_INTERVAL (G_USEC_PER_SEC / 10)

#define TEMP_TRIES 100

/* VR_COPY_FREE_NAME tries the readable NAME, NAME-2 … NAME-FREE_NAME_TRIES,
 * then NAME-<64 random bits> up to RANDOM_NAME_TRIES times. In a shared
 * pool folder anyone may make the readable names first (the planned XML
 * that predicts them is public: F7 of the fifth attack review); a random
 * one nobody can, and one taken by chance is simply passed. */
#define FREE_NAME_TRIES 10
#define RANDOM_NAME_TRIES 100

typedef int CopyFd;

static void
close_fd (int fd)
{
  close (fd);
}

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (CopyFd, close_fd, -1)

/* The temp file: removed when it goes out of scope unless committed.
 * Where the filesystem can, it has no name at all until it is linked into
 * place (O_TMPFILE): a process killed mid-copy leaves nothing behind. */
typedef struct {
  int dir_fd;
  int fd;
  char *name;        /* NULL for an O_TMPFILE file */
  gboolean close_later;
} TempFile;

static gpointer
close_in_thread (gpointer fd)
{
  close (GPOINTER_TO_INT (fd));
  return NULL;
}

static void
temp_file_clear (TempFile *tmp)
{
  GThread *closer = NULL;

  if (tmp->name != NULL)
    unlinkat (tmp->dir_fd, tmp->name, 0);
  if (tmp->fd >= 0 && tmp->close_later)
    closer = g_thread_try_new ("vr-copy-close", close_in_thread,
                               GINT_TO_POINTER (tmp->fd), NULL);
  if (closer != NULL)
    g_thread_unref (closer);
  else if (tmp->fd >= 0)
    close (tmp->fd);
  g_free (tmp->name);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TempFile, temp_file_clear)

typedef struct {
  int src_fd;
  int dst_fd;
  char *source;   /* both files as the user names them, for messages */
  char *target;
  VrCopyFlags flags;
  const VrCopyExtra *extra;
  GCancellable *cancellable;
  VrCopyProgressFunc progress;
  gpointer progress_data;
  VrCopyMethod method;
  guint64 size;
  guint64 total;
  guint64 done;
  guint64 settled;   /* below this offset the copy is on disk */
  guint64 hashed;    /* below this offset the checksum has the source */
  gint64 last_report;
  guint8 *buffer;    /* the current one of buffers */
  guint8 *buffers[2]; /* hashing reads into one while the other is hashed */
  guint which;
  char *name;        /* the destination's name (VR_COPY_FREE_NAME may
                        change it) */
  guint name_tries;  /* names tried so far */
  guint64 dev;       /* the temp file's */
  guint64 ino;
} Copy;

static void
copy_clear (Copy *c)
{
  /* The hash's worker may still read the last buffer it was given. */
  if (c->extra != NULL && c->extra->sha256 != NULL)
    vr_sha256_settle (c->extra->sha256);
  g_free (c->source);
  g_free (c->target);
  g_free (c->buffers[0]);
  g_free (c->buffers[1]);
  g_free (c->name);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Copy, copy_clear)

const char *
vr_copy_method_to_string (VrCopyMethod method)
{
  switch (method)
    {
    case VR_COPY_METHOD_REFLINK:
      return "reflink";
    case VR_COPY_METHOD_COPY_FILE_RANGE:
      return "copy_file_range";
    case VR_COPY_METHOD_READ_WRITE:
      return "read/write";
    default:
      return "unknown";
    }
}

static gboolean
fail_write (Copy *c, int errsv, GError **error)
{
  vr_error_set_errno (error, errsv, "cannot write %s", c->target);
  return FALSE;
}

static gboolean
fail_read (Copy *c, int errsv, GError **error)
{
  vr_error_set_errno (error, errsv, "cannot read %s", c->source);
  return FALSE;
}

/* Messages name a file by the path /proc gives for its descriptor: the
 * name the user knows, where the caller only passed descriptors. */
static char *
describe_fd (int fd, const char *name)
{
  g_autofree char *link = g_strdup_printf ("/proc/self/fd/%d", fd);
  g_autofree char *path = g_file_read_link (link, NULL);

  if (path == NULL)
    return g_strdup (name ? name : "the source file");
  return name ? g_build_filename (path, name, NULL) : g_steal_pointer (&path);
}

static gboolean
check_name (const char *name, GError **error)
{
  if (*name != '\0' && strchr (name, '/') == NULL
      && !g_str_equal (name, ".") && !g_str_equal (name, ".."))
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "'%s' is not a file name", name);
  return FALSE;
}

static gboolean
check_source (Copy *c, GError **error)
{
  struct stat st;

  if (fstat (c->src_fd, &st) < 0)
    return fail_read (c, errno, error);
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s is not a regular file", c->source);
      return FALSE;
    }
  c->size = st.st_size;
  if (c->extra != NULL && c->extra->check_size
      && c->size != c->extra->expected_size)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s is %" G_GUINT64_FORMAT " bytes, not the %"
                   G_GUINT64_FORMAT " it was counted as when the copy was "
                   "allowed: it changed since", c->source, c->size,
                   c->extra->expected_size);
      return FALSE;
    }
  return TRUE;
}

char *
vr_copy_free_name (const char *name, guint n)
{
  const char *dot = strrchr (name, '.');

  /* A leading dot starts a hidden name, not an extension. */
  if (dot == NULL || dot == name)
    return g_strdup_printf ("%s-%u", name, n);
  return g_strdup_printf ("%.*s-%u%s", (int) (dot - name), name, n, dot);
}

/* NAME-<16 hex digits>.EXT: from the kernel's random source, not GLib's
 * generator, whose state the temp names it gives could reveal. */
static char *
random_free_name (const char *name)
{
  const char *dot = strrchr (name, '.');
  guint64 bits;

  if (getrandom (&bits, sizeof bits, 0) != sizeof bits)
    bits = ((guint64) g_random_int () << 32) | g_random_int ();
  if (dot == NULL || dot == name)
    return g_strdup_printf ("%s-%016" G_GINT64_MODIFIER "x", name, bits);
  return g_strdup_printf ("%.*s-%016" G_GINT64_MODIFIER "x%s",
                          (int) (dot - name), name, bits, dot);
}

/* The candidate after c->name for VR_COPY_FREE_NAME; FALSE when none is
 * left. */
static gboolean
next_free_name (Copy *c, const char *name)
{
  if (!(c->flags & VR_COPY_FREE_NAME)
      || c->name_tries >= FREE_NAME_TRIES + RANDOM_NAME_TRIES)
    return FALSE;
  g_free (c->name);
  c->name_tries++;
  c->name = c->name_tries <= FREE_NAME_TRIES
                ? vr_copy_free_name (name, c->name_tries)
                : random_free_name (name);
  return TRUE;
}

/* Checked before the copy so that a name in use fails at once, not after
 * gigabytes; the rename checks again. With VR_COPY_FREE_NAME the first
 * free name is taken instead. */
static gboolean
check_destination (Copy *c, int dir_fd, const char *name, GError **error)
{
  struct stat st;

  c->name = g_strdup (name);
  c->name_tries = 1;
  if (c->flags & VR_COPY_REPLACE)
    return TRUE;
  while (fstatat (dir_fd, c->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    if (!next_free_name (c, name))
      {
        g_set_error (error, VR_ERROR, VR_ERROR_IN_USE, "%s already exists",
                     c->target);
        return FALSE;
      }
  if (errno == ENOENT)
    return TRUE;
  vr_error_set_errno (error, errno, "cannot use %s", c->target);
  return FALSE;
}

static gboolean
track (Copy *c, const char *name, GError **error)
{
  if (c->extra == NULL || c->extra->track == NULL)
    return TRUE;
  return c->extra->track (name, c->dev, c->ino, c->extra->track_data, error);
}

#define TEMP_SUFFIX_DIGITS 6

/* The temp names of name without their random suffix. Long names are cut
 * so that a temp name stays within NAME_MAX. */
static char *
temp_stem (const char *name)
{
  int keep = MIN (strlen (name), NAME_MAX - strlen (VR_COPY_TEMP_PREFIX)
                                 - 1 - TEMP_SUFFIX_DIGITS);

  return g_strdup_printf (VR_COPY_TEMP_PREFIX "%.*s.", keep, name);
}

static char *
temp_name (const char *name)
{
  g_autofree char *stem = temp_stem (name);

  return g_strdup_printf ("%s%0*x", stem, TEMP_SUFFIX_DIGITS,
                          (guint) g_random_int_range (0, 1 << 24));
}

static gboolean
is_temp_of (const char *entry, const char *stem)
{
  const char *suffix;

  if (!g_str_has_prefix (entry, stem))
    return FALSE;
  suffix = entry + strlen (stem);
  if (strlen (suffix) != TEMP_SUFFIX_DIGITS)
    return FALSE;
  for (; *suffix != '\0'; suffix++)
    if (!g_ascii_isxdigit (*suffix))
      return FALSE;
  return TRUE;
}

void
vr_copy_remove_temps (const char *dir, const char *name)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autofree char *stem = temp_stem (name);
  const char *entry;

  while (d != NULL && (entry = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;

      if (!is_temp_of (entry, stem))
        continue;
      path = g_build_filename (dir, entry, NULL);
      unlink (path);
    }
}

/* An O_TMPFILE file (a replacing copy needs a name to rename). Old
 * kernels say EISDIR, filesystems without it EOPNOTSUPP: then a named
 * temp file. */
static void
open_anonymous (TempFile *tmp, Copy *c, int dir_fd)
{
  if (c->flags & (VR_COPY_REPLACE | VR_COPY_NAMED_TEMP))
    return;
  tmp->fd = openat (dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
}

static gboolean
temp_file_create (TempFile *tmp, Copy *c, int dir_fd, const char *name,
                  mode_t mode, GError **error)
{
  struct stat st;

  open_anonymous (tmp, c, dir_fd);
  for (int i = 0; i < TEMP_TRIES && tmp->fd < 0; i++)
    {
      g_autofree char *candidate = temp_name (name);

      tmp->fd = openat (dir_fd, candidate,
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0600);
      if (tmp->fd >= 0)
        tmp->name = g_steal_pointer (&candidate);
      else if (errno != EEXIST)
        break;
    }
  if (tmp->fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot create a temporary file for %s",
                          c->target);
      return FALSE;
    }
  tmp->dir_fd = dir_fd;
  c->dst_fd = tmp->fd;
  if (fstat (tmp->fd, &st) < 0 || fchmod (tmp->fd, mode & 07777) < 0)
    return fail_write (c, errno, error);
  c->dev = st.st_dev;
  c->ino = st.st_ino;
  return tmp->name == NULL || track (c, tmp->name, error);
}

/* The next data extent at or after offset as [*start, *end); both are
 * c->size when only a hole is left. */
static gboolean
next_extent (Copy *c, guint64 offset, guint64 *start, guint64 *end,
             GError **error)
{
  off_t data = lseek (c->src_fd, offset, SEEK_DATA);
  off_t hole;

  if (data < 0 && errno != ENXIO)
    return fail_read (c, errno, error);
  if (data < 0 || (guint64) data >= c->size)
    {
      *start = *end = c->size;
      return TRUE;
    }
  hole = lseek (c->src_fd, data, SEEK_HOLE);
  if (hole < 0)
    return fail_read (c, errno, error);
  *start = data;
  *end = MIN ((guint64) hole, c->size);
  return TRUE;
}

static gboolean
count_data (Copy *c, GError **error)
{
  guint64 start = 0;
  guint64 end = 0;

  c->total = 0;
  while (end < c->size)
    {
      if (!next_extent (c, end, &start, &end, error))
        return FALSE;
      c->total += end - start;
    }
  return TRUE;
}

static void
report_progress (Copy *c, gboolean final)
{
  gint64 now = g_get_monotonic_time ();

  if (c->progress == NULL
      || (!final && now - c->last_report < PROGRESS_INTERVAL))
    return;
  c->last_report = now;
  c->progress (c->done, c->total, c->progress_data);
}

static gboolean
reflink_unsupported (int errsv)
{
  return errsv == EOPNOTSUPP || errsv == ENOTTY || errsv == EXDEV
         || errsv == EINVAL || errsv == ENOSYS;
}

/* *cloned tells whether the filesystem shared the source's extents; a
 * filesystem that cannot is no error. */
static gboolean
copy_by_reflink (Copy *c, gboolean *cloned, GError **error)
{
  struct stat st;

  *cloned = ioctl (c->dst_fd, FICLONE, c->src_fd) == 0;
  if (!*cloned)
    return reflink_unsupported (errno) || fail_write (c, errno, error);
  /* A clone takes the whole file as it is now: one that grew since
   * check_source is not the file that was checked (and counted). */
  if (fstat (c->dst_fd, &st) < 0)
    return fail_write (c, errno, error);
  if ((guint64) st.st_size == c->size)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_FAILED,
               "%s changed during the copy: it is no longer %"
               G_GUINT64_FORMAT " bytes", c->source, c->size);
  return FALSE;
}

static gboolean
read_full (Copy *c, guint64 offset, gsize len, gsize *got, GError **error)
{
  *got = 0;
  while (*got < len)
    {
      ssize_t n = pread (c->src_fd, c->buffer + *got, len - *got,
                         offset + *got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return fail_read (c, errno, error);
      if (n == 0)
        break;
      *got += n;
    }
  return TRUE;
}

static gboolean
write_full (Copy *c, guint64 offset, gsize len, GError **error)
{
  for (gsize put = 0; put < len;)
    {
      ssize_t n = pwrite (c->dst_fd, c->buffer + put, len - put,
                          offset + put);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return fail_write (c, n < 0 ? errno : ENOSPC, error);
      put += n;
    }
  return TRUE;
}

/* The checksum gets the source's holes as the zeros they read as. */
static void
hash_zeros_to (Copy *c, guint64 end)
{
  static const guint8 zeros[64 * 1024];

  while (c->hashed < end)
    {
      gsize n = MIN (end - c->hashed, sizeof zeros);

      vr_sha256_update (c->extra->sha256, zeros, n);
      c->hashed += n;
    }
}

static gboolean
hashing (Copy *c)
{
  return c->extra != NULL && c->extra->sha256 != NULL;
}

/* c->buffer holds len bytes of the source from offset. */
static void
hash_buffer (Copy *c, guint64 offset, gsize len)
{
  if (!hashing (c))
    return;
  hash_zeros_to (c, offset);
  vr_sha256_update_async (c->extra->sha256, c->buffer, len);
  c->hashed = offset + len;
}

static gboolean
source_shrank (Copy *c, GError **error)
{
  g_set_error (error, VR_ERROR, VR_ERROR_FAILED,
               "%s changed during the copy: it ends before %" G_GUINT64_FORMAT
               " bytes", c->source, c->size);
  return FALSE;
}

static gboolean
read_chunk (Copy *c, guint64 offset, gsize len, gsize *got, GError **error)
{
  /* While hashing, the other buffer may still be being hashed. */
  c->which = hashing (c) ? c->which ^ 1 : 0;
  if (c->buffers[c->which] == NULL)
    c->buffers[c->which] = g_malloc (VR_COPY_CHUNK_SIZE);
  c->buffer = c->buffers[c->which];
  if (!read_full (c, offset, len, got, error))
    return FALSE;
  if (*got == 0)
    return source_shrank (c, error);
  hash_buffer (c, offset, *got);
  return TRUE;
}

/* For the checksum only: data the kernel copied without us. */
static gboolean
hash_range (Copy *c, guint64 start, guint64 end, GError **error)
{
  for (guint64 offset = start; hashing (c) && offset < end;)
    {
      gsize got = 0;

      if (!read_chunk (c, offset, MIN (end - offset, VR_COPY_CHUNK_SIZE),
                       &got, error))
        return FALSE;
      offset += got;
    }
  return TRUE;
}

static gboolean
read_write_chunk (Copy *c, guint64 offset, gsize len, gsize *copied,
                  GError **error)
{
  return read_chunk (c, offset, len, copied, error)
         && write_full (c, offset, *copied, error);
}

/* Where the kernel cannot copy between these two files (another
 * filesystem before 5.19, some FUSE and network filesystems, seccomp
 * filters), read/write still can. */
static gboolean
copy_file_range_unsupported (int errsv)
{
  return errsv == EXDEV || errsv == EINVAL || errsv == EOPNOTSUPP
         || errsv == ENOSYS || errsv == EBADF || errsv == EPERM
         || errsv == ETXTBSY;
}

static gboolean
copy_file_range_chunk (Copy *c, guint64 offset, gsize len, gsize *copied,
                       GError **error)
{
  loff_t in = offset;
  loff_t out = offset;
  ssize_t n;

  do
    n = copy_file_range (c->src_fd, &in, c->dst_fd, &out, len, 0);
  while (n < 0 && errno == EINTR);
  if (n > 0)
    {
      *copied = n;
      return hash_range (c, offset, offset + n, error);
    }
  /* 0 before the end: a file the kernel cannot copy, or a source that
   * shrank; read/write tells which. */
  if (n < 0 && !copy_file_range_unsupported (errno))
    {
      vr_error_set_errno (error, errno, "cannot copy %s to %s", c->source,
                          c->target);
      return FALSE;
    }
  c->method = VR_COPY_METHOD_READ_WRITE;
  return read_write_chunk (c, offset, len, copied, error);
}

/* Starts writeback of what was just copied and, behind WRITEBACK_WINDOW,
 * waits for it and drops it from the cache. The wait reports a write
 * error once only (a later fdatasync would not see it), so it is checked
 * here. */
static gboolean
push_to_disk (Copy *c, guint64 offset, gsize len, GError **error)
{
  guint64 upto;

  if (sync_file_range (c->dst_fd, offset, len, SYNC_FILE_RANGE_WRITE) < 0)
    return fail_write (c, errno, error);
  /* (A length of 0 would mean "to the end of the file".) */
  if (offset + len <= c->settled + WRITEBACK_WINDOW)
    return TRUE;
  upto = offset + len - WRITEBACK_WINDOW;
  if (sync_file_range (c->dst_fd, c->settled, upto - c->settled,
                       SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE
                       | SYNC_FILE_RANGE_WAIT_AFTER) < 0)
    return fail_write (c, errno, error);
  posix_fadvise (c->dst_fd, c->settled, upto - c->settled,
                 POSIX_FADV_DONTNEED);
  posix_fadvise (c->src_fd, c->settled, upto - c->settled,
                 POSIX_FADV_DONTNEED);
  c->settled = upto;
  return TRUE;
}

static gboolean
copy_range (Copy *c, guint64 start, guint64 end, GError **error)
{
  for (guint64 offset = start; offset < end;)
    {
      gsize len = MIN (end - offset, VR_COPY_CHUNK_SIZE);
      gsize n = 0;
      gboolean ok;

      if (g_cancellable_set_error_if_cancelled (c->cancellable, error))
        return FALSE;
      if (c->method == VR_COPY_METHOD_COPY_FILE_RANGE)
        ok = copy_file_range_chunk (c, offset, len, &n, error);
      else
        ok = read_write_chunk (c, offset, len, &n, error);
      if (!ok || !push_to_disk (c, offset, n, error))
        return FALSE;
      offset += n;
      c->done += n;
      report_progress (c, FALSE);
    }
  return TRUE;
}

/* Data extents only: the temp file has the source's size from the start,
 * so the source's holes stay holes in it. */
static gboolean
copy_extents (Copy *c, GError **error)
{
  guint64 start = 0;
  guint64 end = 0;

  if (ftruncate (c->dst_fd, c->size) < 0)
    return fail_write (c, errno, error);
  posix_fadvise (c->src_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  while (end < c->size)
    {
      if (!next_extent (c, end, &start, &end, error)
          || !copy_range (c, start, end, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
hash_extents (Copy *c, GError **error)
{
  guint64 start = 0;
  guint64 end = 0;

  while (hashing (c) && end < c->size)
    {
      if (!next_extent (c, end, &start, &end, error)
          || !hash_range (c, start, end, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
copy_data (Copy *c, GError **error)
{
  gboolean cloned = FALSE;

  if (!count_data (c, error))
    return FALSE;
  if (!(c->flags & VR_COPY_NO_REFLINK)
      && !copy_by_reflink (c, &cloned, error))
    return FALSE;
  if (cloned)
    {
      c->method = VR_COPY_METHOD_REFLINK;
      c->done = c->total;
      return hash_extents (c, error);
    }
  c->method = (c->flags & VR_COPY_NO_COPY_FILE_RANGE)
              ? VR_COPY_METHOD_READ_WRITE
              : VR_COPY_METHOD_COPY_FILE_RANGE;
  return copy_extents (c, error);
}

static gboolean
sync_data (Copy *c, GError **error)
{
  if (hashing (c))
    hash_zeros_to (c, c->size);
  if (fdatasync (c->dst_fd) < 0)
    return fail_write (c, errno, error);
  if (c->method != VR_COPY_METHOD_REFLINK)
    {
      posix_fadvise (c->dst_fd, 0, 0, POSIX_FADV_DONTNEED);
      posix_fadvise (c->src_fd, 0, 0, POSIX_FADV_DONTNEED);
    }
  return TRUE;
}

/* Gives an O_TMPFILE file its name; like link(), never replaces one.
 * Through /proc (any user); without /proc, AT_EMPTY_PATH (needs
 * CAP_DAC_READ_SEARCH). */
static gboolean
link_anonymous (int fd, int dir_fd, const char *to)
{
  g_autofree char *proc = g_strdup_printf ("/proc/self/fd/%d", fd);

  if (linkat (AT_FDCWD, proc, dir_fd, to, AT_SYMLINK_FOLLOW) == 0)
    return TRUE;
  if (errno != ENOENT)
    return FALSE;
  return linkat (fd, "", dir_fd, to, AT_EMPTY_PATH) == 0;
}

static gboolean
rename_noreplace (int dir_fd, const char *from, const char *to)
{
  if (renameat2 (dir_fd, from, dir_fd, to, RENAME_NOREPLACE) == 0)
    return TRUE;
  if (errno != EINVAL && errno != ENOSYS)
    return FALSE;
  /* Filesystems without RENAME_NOREPLACE: a hard link refuses an existing
   * name just as well. */
  if (linkat (dir_fd, from, dir_fd, to, 0) < 0)
    return FALSE;
  unlinkat (dir_fd, from, 0);
  return TRUE;
}

/* Without VR_COPY_REPLACE the rename never replaces a file; with
 * VR_COPY_FREE_NAME a name taken meanwhile (another copy's) moves on to
 * the next free one. Each name is tracked before the rename can make it. */
static gboolean
rename_into_place (TempFile *tmp, Copy *c, const char *name, GError **error)
{
  for (;;)
    {
      gboolean renamed;

      if (!track (c, c->name, error))
        return FALSE;
      if (tmp->name == NULL)
        renamed = link_anonymous (tmp->fd, tmp->dir_fd, c->name);
      else if (c->flags & VR_COPY_REPLACE)
        renamed = renameat (tmp->dir_fd, tmp->name, tmp->dir_fd, c->name) == 0;
      else
        renamed = rename_noreplace (tmp->dir_fd, tmp->name, c->name);
      if (renamed)
        return TRUE;
      if (errno != EEXIST)
        return fail_write (c, errno, error);
      if (!next_free_name (c, name))
        {
          g_set_error (error, VR_ERROR, VR_ERROR_IN_USE, "%s already exists",
                       c->target);
          return FALSE;
        }
    }
}

static gboolean
temp_file_commit (TempFile *tmp, Copy *c, const char *name, GError **error)
{
  if (!rename_into_place (tmp, c, name, error))
    return FALSE;
  g_clear_pointer (&tmp->name, g_free);
  if (fsync (tmp->dir_fd) == 0)
    return TRUE;
  /* Not durable, so not done: the caller must not find it half there. */
  vr_error_set_errno (error, errno, "cannot sync the directory of %s",
                      c->target);
  unlinkat (tmp->dir_fd, c->name, 0);
  return FALSE;
}

static gboolean
fill_and_commit (TempFile *tmp, Copy *c, const char *name, GError **error)
{
  if (!copy_data (c, error) || !sync_data (c, error))
    return FALSE;
  /* The last report may cancel too: nothing is in place yet. */
  c->total = c->done;
  report_progress (c, TRUE);
  return !g_cancellable_set_error_if_cancelled (c->cancellable, error)
         && temp_file_commit (tmp, c, name, error);
}

static gboolean
copy_run (Copy *c, int dir_fd, const char *name, mode_t mode,
          VrCopyResult *result, GError **error)
{
  g_auto (TempFile) tmp = { .dir_fd = dir_fd, .fd = -1, .name = NULL };

  if (!check_source (c, error) || !check_destination (c, dir_fd, name, error)
      || g_cancellable_set_error_if_cancelled (c->cancellable, error)
      || !temp_file_create (&tmp, c, dir_fd, name, mode, error))
    return FALSE;
  if (!fill_and_commit (&tmp, c, name, error))
    {
      /* A cancel is answered once the temp file's name is gone: freeing
       * its blocks takes about 0.5 s a gigabyte on ext4 and goes on in
       * the background. A failure waits for it, so that a retry finds
       * the space free. */
      tmp.close_later = g_cancellable_is_cancelled (c->cancellable);
      return FALSE;
    }
  if (result != NULL)
    *result = (VrCopyResult) { c->method, c->size, c->done };
  return TRUE;
}

static Copy
copy_init (int src_fd, VrCopyFlags flags, const VrCopyExtra *extra,
           GCancellable *cancellable, VrCopyProgressFunc progress,
           gpointer progress_data)
{
  return (Copy) {
    .src_fd = src_fd,
    .dst_fd = -1,
    .flags = flags,
    .extra = extra,
    .cancellable = cancellable,
    .progress = progress,
    .progress_data = progress_data,
    /* The first chunk reports at once, so that a short copy shows it
     * started. */
    .last_report = g_get_monotonic_time () - PROGRESS_INTERVAL,
  };
}

gboolean
vr_copy_fd_to_extra (int src_fd, int dst_dir_fd, const char *dst_name,
                     mode_t dst_mode, VrCopyFlags flags,
                     const VrCopyExtra *extra, GCancellable *cancellable,
                     VrCopyProgressFunc progress, gpointer progress_data,
                     VrCopyResult *result, GError **error)
{
  g_auto (Copy) c = copy_init (src_fd, flags, extra, cancellable, progress,
                                progress_data);

  g_return_val_if_fail (src_fd >= 0, FALSE);
  g_return_val_if_fail (dst_name != NULL, FALSE);
  if (!check_name (dst_name, error))
    return FALSE;
  c.source = describe_fd (src_fd, NULL);
  c.target = describe_fd (dst_dir_fd, dst_name);
  return copy_run (&c, dst_dir_fd, dst_name, dst_mode, result, error);
}

gboolean
vr_copy_fd_to (int src_fd, int dst_dir_fd, const char *dst_name,
               mode_t dst_mode, VrCopyFlags flags, GCancellable *cancellable,
               VrCopyProgressFunc progress, gpointer progress_data,
               VrCopyResult *result, GError **error)
{
  return vr_copy_fd_to_extra (src_fd, dst_dir_fd, dst_name, dst_mode, flags,
                              NULL, cancellable, progress, progress_data,
                              result, error);
}

/* O_NONBLOCK so that a FIFO in src's place cannot block the open; the
 * regular-file check refuses it next. */
static int
open_source (const char *src, GError **error)
{
  int fd = open (src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

  if (fd < 0 && errno == ELOOP)
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s is a symbolic link; it is not followed", src);
  else if (fd < 0)
    vr_error_set_errno (error, errno, "cannot open %s", src);
  else
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

gboolean
vr_copy_file (const char *src, const char *dst, mode_t dst_mode,
              VrCopyFlags flags, GCancellable *cancellable,
              VrCopyProgressFunc progress, gpointer progress_data,
              VrCopyResult *result, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (dst);
  g_autofree char *name = g_path_get_basename (dst);
  g_auto (CopyFd) src_fd = -1;
  g_auto (CopyFd) dir_fd = -1;
  g_auto (Copy) c = copy_init (-1, flags, NULL, cancellable, progress,
                                progress_data);

  if (!check_name (name, error))
    return FALSE;
  src_fd = open_source (src, error);
  if (src_fd < 0)
    return FALSE;
  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open the directory of %s", dst);
      return FALSE;
    }
  c.src_fd = src_fd;
  c.source = g_strdup (src);
  c.target = g_strdup (dst);
  return copy_run (&c, dir_fd, name, dst_mode, result, error);
}
