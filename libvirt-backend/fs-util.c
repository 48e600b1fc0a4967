/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fs-util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"

gboolean
vr_fsync_dir (const char *path, GError **error)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || fsync (fd) < 0)
    {
      vr_error_set_errno (error, errno, "cannot sync directory %s", path);
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  close (fd);
  return TRUE;
}

gboolean
vr_write_all (int fd, const char *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

gboolean
vr_write_file_atomic (const char *path, const char *contents, gssize len,
                      GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *tmp = g_strdup_printf ("%s.tmp-XXXXXX", path);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);

  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot write %s", path);
      return FALSE;
    }
  gboolean written = vr_write_all (fd, contents,
                                   len < 0 ? strlen (contents) : (gsize) len)
                     && fsync (fd) == 0;
  int errsv = errno;

  if (close (fd) < 0 && written)
    {
      written = FALSE;
      errsv = errno;
    }
  if (written && rename (tmp, path) < 0)
    {
      written = FALSE;
      errsv = errno;
    }
  if (!written)
    {
      unlink (tmp);
      vr_error_set_errno (error, errsv, "cannot write %s", path);
      return FALSE;
    }
  return vr_fsync_dir (dir, error);
}

static gboolean
rmtree_at (int parent, const char *name, GError **error);

static gboolean
empty_dir_at (int fd, GError **error)
{
  DIR *d = fdopendir (fd);
  struct dirent *entry;
  gboolean ok = TRUE;

  if (d == NULL)
    {
      close (fd);
      return FALSE;
    }
  while (ok && (entry = readdir (d)) != NULL)
    {
      if (g_str_equal (entry->d_name, ".") || g_str_equal (entry->d_name, ".."))
        continue;
      ok = rmtree_at (dirfd (d), entry->d_name, error);
    }
  closedir (d);
  return ok;
}

static gboolean
rmtree_at (int parent, const char *name, GError **error)
{
  int fd;

  if (unlinkat (parent, name, 0) == 0 || errno == ENOENT)
    return TRUE;
  if (errno != EISDIR && errno != EPERM)
    {
      vr_error_set_errno (error, errno, "cannot remove %s", name);
      return FALSE;
    }
  fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open %s", name);
      return FALSE;
    }
  if (!empty_dir_at (fd, error))
    return FALSE;
  if (unlinkat (parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    {
      vr_error_set_errno (error, errno, "cannot remove %s", name);
      return FALSE;
    }
  return TRUE;
}

gboolean
vr_rmtree (const char *path, GError **error)
{
  return rmtree_at (AT_FDCWD, path, error);
}

int
vr_open_dir (const char *path, guint64 *dev, guint64 *ino)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;

  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    {
      int errsv = errno;

      close (fd);
      errno = errsv;
      return -1;
    }
  *dev = st.st_dev;
  *ino = st.st_ino;
  return fd;
}

int
vr_reopen_dir (const char *path, guint64 dev, guint64 ino)
{
  guint64 now_dev = 0;
  guint64 now_ino = 0;
  int fd = vr_open_dir (path, &now_dev, &now_ino);

  if (fd < 0 || (now_dev == dev && now_ino == ino))
    return fd;
  close (fd);
  errno = ESTALE;
  return -1;
}

gboolean
vr_dir_is_within (int fd, guint64 dev, guint64 ino, gboolean *within)
{
  int at = fcntl (fd, F_DUPFD_CLOEXEC, 3);

  *within = FALSE;
  while (at >= 0)
    {
      struct stat st;
      struct stat up;
      int parent;

      if (fstat (at, &st) < 0)
        break;
      if ((guint64) st.st_dev == dev && (guint64) st.st_ino == ino)
        {
          *within = TRUE;
          close (at);
          return TRUE;
        }
      parent = openat (at, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      close (at);
      at = parent;
      /* The root is its own parent. */
      if (at >= 0 && fstat (at, &up) == 0 && up.st_dev == st.st_dev
          && up.st_ino == st.st_ino)
        {
          close (at);
          return TRUE;
        }
    }
  if (at >= 0)
    close (at);
  return FALSE;
}

/* Whether dir_fd/name is still the file of type (S_IFREG, S_IFDIR) and
 * dev/ino a job made. Between this look and the removal another process
 * could put a file at name; only one with write access to this directory
 * (root, or libvirt in its own directories), and the name is one this job
 * chose. */
static gboolean
is_inode (int dir_fd, const char *name, mode_t type, guint64 dev,
          guint64 ino)
{
  struct stat st;

  /* A name from a journal never leads out of its directory. */
  if (*name == '\0' || strchr (name, '/') != NULL || g_str_equal (name, ".")
      || g_str_equal (name, ".."))
    return FALSE;
  return fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0
         && (st.st_mode & S_IFMT) == type && (guint64) st.st_dev == dev
         && (guint64) st.st_ino == ino;
}

gboolean
vr_unlink_if_inode (int dir_fd, const char *name, guint64 dev, guint64 ino)
{
  return is_inode (dir_fd, name, S_IFREG, dev, ino)
         && unlinkat (dir_fd, name, 0) == 0;
}

gboolean
vr_rmtree_if_inode (int dir_fd, const char *name, guint64 dev, guint64 ino)
{
  return is_inode (dir_fd, name, S_IFDIR, dev, ino)
         && rmtree_at (dir_fd, name, NULL);
}

gboolean
vr_read_at (int fd, void *buf, gsize len, goffset offset, gsize *got,
            const char *display_name, GError **error)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = pread (fd, (char *) buf + done, len - done, offset + done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          vr_error_set_errno (error, errno, "cannot read %s", display_name);
          return FALSE;
        }
      if (n == 0)
        break;
      done += n;
    }
  *got = done;
  return TRUE;
}
