/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "caller-access.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"

VrCaller *
vr_caller_new (uid_t uid)
{
  VrCaller *caller = g_new0 (VrCaller, 1);
  struct passwd pw;
  struct passwd *found = NULL;
  char buf[4096];
  int n = 64;

  caller->uid = uid;
  caller->gids = g_array_new (FALSE, FALSE, sizeof (gid_t));
  if (getpwuid_r (uid, &pw, buf, sizeof buf, &found) != 0 || found == NULL)
    return caller; /* no groups: only "other" bits count */
  g_array_set_size (caller->gids, n);
  if (getgrouplist (pw.pw_name, pw.pw_gid,
                    &g_array_index (caller->gids, gid_t, 0), &n) < 0)
    {
      g_array_set_size (caller->gids, n);
      getgrouplist (pw.pw_name, pw.pw_gid,
                    &g_array_index (caller->gids, gid_t, 0), &n);
    }
  g_array_set_size (caller->gids, n);
  return caller;
}

void
vr_caller_free (VrCaller *caller)
{
  if (caller == NULL)
    return;
  g_array_unref (caller->gids);
  g_free (caller);
}

static gboolean
in_group (const VrCaller *caller, gid_t gid)
{
  for (guint i = 0; i < caller->gids->len; i++)
    if (g_array_index (caller->gids, gid_t, i) == gid)
      return TRUE;
  return FALSE;
}

gboolean
vr_caller_may (const VrCaller *caller, const struct stat *st, int mask)
{
  mode_t bits;

  if (caller->uid == 0)
    return TRUE;
  /* The kernel's order: the owner's bits alone, else the group's alone,
   * else the others'. */
  if (st->st_uid == caller->uid)
    bits = (st->st_mode >> 6) & 7;
  else if (in_group (caller, st->st_gid))
    bits = (st->st_mode >> 3) & 7;
  else
    bits = st->st_mode & 7;
  return (bits & mask) == (mode_t) mask;
}

static gboolean
denied (const char *path, const VrCaller *caller, const struct stat *st,
        GError **error)
{
  g_set_error (error, VR_ERROR, VR_ERROR_ACCESS_DENIED,
               "%s: the caller (uid %u) may not read it (owner %u, group "
               "%u, mode %04o), so the agent does not read it for them",
               path, (unsigned) caller->uid, (unsigned) st->st_uid,
               (unsigned) st->st_gid, (unsigned) (st->st_mode & 07777));
  return FALSE;
}

static gboolean
errno_error (GError **error, const char *path)
{
  vr_error_set_errno (error, errno, "%s", path);
  return FALSE;
}

static gboolean check_tree (int dirfd, const char *path,
                            gboolean (*wanted) (const char *name),
                            const VrCaller *caller, GError **error);

/* One entry of a folder: a folder is entered, a regular file checked;
 * anything else is refused by the import directory's reader anyway. */
static gboolean
check_entry (int dirfd, const char *dir_path, const char *name,
             const VrCaller *caller, GError **error)
{
  g_autofree char *path = g_build_filename (dir_path, name, NULL);
  struct stat st;
  int fd;
  gboolean ok;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT || errno_error (error, path);
  if (S_ISREG (st.st_mode))
    return vr_caller_may (caller, &st, R_OK)
           || denied (path, caller, &st, error);
  if (!S_ISDIR (st.st_mode))
    return TRUE;
  if (!vr_caller_may (caller, &st, R_OK | X_OK))
    return denied (path, caller, &st, error);
  fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno_error (error, path);
  ok = check_tree (fd, path, NULL, caller, error);
  close (fd);
  return ok;
}

/* Every entry of the folder on dirfd that wanted (NULL: all) names. */
static gboolean
check_tree (int dirfd, const char *path,
            gboolean (*wanted) (const char *name), const VrCaller *caller,
            GError **error)
{
  int fd = dup (dirfd);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  struct dirent *entry;
  gboolean ok = TRUE;

  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      return errno_error (error, path);
    }
  rewinddir (d);
  while (ok && (entry = readdir (d)) != NULL)
    {
      const char *name = entry->d_name;

      if (g_str_equal (name, ".") || g_str_equal (name, "..")
          || (wanted != NULL && !wanted (name)))
        continue;
      ok = check_entry (dirfd, path, name, caller, error);
    }
  closedir (d);
  return ok;
}

/* What virt-realize reads of an import directory: see import-dir.h. */
static gboolean
is_read (const char *name)
{
  static const char *const names[] = { "domain.xml", "manifest.xml",
                                       "disks", "nvram", "tpm", "snapshots",
                                       NULL };

  return g_strv_contains (names, name) || g_str_has_suffix (name, ".save");
}

gboolean
vr_import_dir_check_caller (VrImportDir *dir, const VrCaller *caller,
                            GError **error)
{
  struct stat st;

  if (caller->uid == 0)
    return TRUE;
  if (fstat (dir->fd, &st) < 0)
    return errno_error (error, dir->path);
  if (!vr_caller_may (caller, &st, R_OK | X_OK))
    return denied (dir->path, caller, &st, error);
  return check_tree (dir->fd, dir->path, is_read, caller, error);
}

/* The caller hands over a directory; the root agent must read nothing
 * the caller could not. An O_PATH descriptor proves no read permission,
 * so only one opened for reading is taken. */
gboolean
vr_caller_check_dir_fd (int fd, GError **error)
{
  int flags = fcntl (fd, F_GETFL);
  struct stat st;

  if (flags < 0 || fstat (fd, &st) < 0)
    {
      vr_error_set_errno (error, errno, "the import directory's descriptor");
      return FALSE;
    }
  if ((flags & O_PATH) != 0 || (flags & O_ACCMODE) == O_WRONLY)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "the import directory's descriptor is not open for "
                   "reading (open it with O_RDONLY | O_DIRECTORY)");
      return FALSE;
    }
  if (!S_ISDIR (st.st_mode))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "the descriptor passed as the import directory is not a "
                   "directory");
      return FALSE;
    }
  return TRUE;
}
