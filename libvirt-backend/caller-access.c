/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "caller-access.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/xattr.h>
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

static gboolean
mode_may (const VrCaller *caller, const struct stat *st, int mask)
{
  mode_t bits;

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

VrCaller *
vr_caller_copy (const VrCaller *caller)
{
  VrCaller *copy = g_new0 (VrCaller, 1);

  copy->uid = caller->uid;
  copy->gids = g_array_copy (caller->gids);
  return copy;
}

gboolean
vr_caller_may (const VrCaller *caller, const struct stat *st, int mask)
{
  if (caller->uid == 0)
    return TRUE;
  return mode_may (caller, st, mask);
}

/* The POSIX ACL as Linux stores it in system.posix_acl_access
 * (include/uapi/linux/posix_acl_xattr.h): a version, then entries. */
#define ACL_XATTR_VERSION 2
enum {
  ACL_USER_OBJ = 0x01, ACL_USER = 0x02, ACL_GROUP_OBJ = 0x04,
  ACL_GROUP = 0x08, ACL_MASK = 0x10, ACL_OTHER = 0x20,
};

typedef struct {
  guint16 tag;
  guint16 perm;
  guint32 id;
} AclEntry;

static guint16
acl_mask (const AclEntry *entries, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (entries[i].tag == ACL_MASK)
      return entries[i].perm;
  return 7;
}

/* The kernel's posix_acl_permission: the owner's entry alone; else a
 * named user's entry under the mask; else any matching group entry that
 * grants it, under the mask (a matching group that does not grant it
 * denies); else the others' entry. */
static gboolean
acl_may (const VrCaller *caller, const struct stat *st,
         const AclEntry *entries, gsize n, int mask)
{
  guint16 limit = acl_mask (entries, n);
  gboolean group_found = FALSE;

  for (gsize i = 0; i < n; i++)
    {
      const AclEntry *e = &entries[i];

      switch (e->tag)
        {
        case ACL_USER_OBJ:
          if (st->st_uid == caller->uid)
            return (e->perm & mask) == mask;
          break;
        case ACL_USER:
          if (e->id == caller->uid)
            return (e->perm & limit & mask) == mask;
          break;
        case ACL_GROUP_OBJ:
        case ACL_GROUP:
          if (in_group (caller, e->tag == ACL_GROUP ? e->id : st->st_gid))
            {
              group_found = TRUE;
              if ((e->perm & limit & mask) == mask)
                return TRUE;
            }
          break;
        case ACL_OTHER:
          return !group_found && (e->perm & mask) == mask;
        default:
          break;
        }
    }
  return FALSE;
}

/* What the caller may do with the file whose ACL xattr is in buf (len
 * bytes); a malformed one grants nothing. */
static gboolean
acl_buffer_may (const VrCaller *caller, const struct stat *st,
                const guint8 *buf, gssize len, int mask)
{
  g_autofree AclEntry *entries = NULL;
  gsize n;

  if (len < 4 || (len - 4) % 8 != 0
      || GUINT32_FROM_LE (*(const guint32 *) buf) != ACL_XATTR_VERSION)
    return FALSE;
  n = (gsize) (len - 4) / 8;
  entries = g_new0 (AclEntry, n);
  for (gsize i = 0; i < n; i++)
    {
      const guint8 *p = buf + 4 + 8 * i;

      entries[i].tag = GUINT16_FROM_LE (*(const guint16 *) p);
      entries[i].perm = GUINT16_FROM_LE (*(const guint16 *) (p + 2));
      entries[i].id = GUINT32_FROM_LE (*(const guint32 *) (p + 4));
    }
  return acl_may (caller, st, entries, n, mask);
}

/* vr_caller_may with the file's access ACL honoured: the kernel grants
 * and denies by it, not by the mode bits (which then show only the
 * mask). fd may be O_PATH; -1 when unknown (mode bits only). */
gboolean
vr_caller_may_fd (const VrCaller *caller, int fd, const struct stat *st,
                  int mask)
{
  g_autofree char *proc = NULL;
  guint8 buf[4 + 8 * 64];
  gssize len;

  if (caller->uid == 0)
    return TRUE;
  proc = g_strdup_printf ("/proc/self/fd/%d", fd);
  len = getxattr (proc, "system.posix_acl_access", buf, sizeof buf);
  if (len < 0 && (errno == ENODATA || errno == EOPNOTSUPP))
    return mode_may (caller, st, mask);
  if (len < 0)
    return FALSE; /* an ACL too long to read, or none readable */
  return acl_buffer_may (caller, st, buf, len, mask);
}

gboolean
vr_caller_denied (const char *path, const VrCaller *caller,
                  const struct stat *st, const char *what, GError **error)
{
  g_set_error (error, VR_ERROR, VR_ERROR_ACCESS_DENIED,
               "%s: the caller (uid %u) may not %s it (owner %u, group "
               "%u, mode %04o), so the agent does not %s it for them",
               path, (unsigned) caller->uid, what, (unsigned) st->st_uid,
               (unsigned) st->st_gid, (unsigned) (st->st_mode & 07777), what);
  return FALSE;
}

static gboolean
denied (const char *path, const VrCaller *caller, const struct stat *st,
        GError **error)
{
  return vr_caller_denied (path, caller, st, "read", error);
}

static gboolean
errno_error (GError **error, const char *path)
{
  vr_error_set_errno (error, errno, "%s", path);
  return FALSE;
}

/* A walk keeps three descriptors a level and reads every entry as root:
 * an import directory nests as deep as the manifest's walk allows and
 * holds at most so many entries (thirteenth review, D1: 6,660 nested
 * folders took all the agent's descriptors, failing others' calls). */
#define WALK_MAX_DEPTH 8
#define WALK_MAX_ENTRIES 4096

typedef struct {
  const VrCaller *caller;
  guint entries;
} Walk;

static gboolean check_tree (Walk *w, int dirfd, const char *path,
                            gboolean (*wanted) (const char *name),
                            guint depth, GError **error);

static gboolean
bounded (const char *path, const char *what, GError **error)
{
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s: %s (an import directory holds at most %u entries, "
               "folders at most %u deep)",
               path, what, WALK_MAX_ENTRIES, WALK_MAX_DEPTH);
  return FALSE;
}

static gboolean
check_subdir (Walk *w, int dirfd, const char *name, const char *path,
              guint depth, GError **error)
{
  int fd;
  gboolean ok;

  if (depth + 1 >= WALK_MAX_DEPTH)
    return bounded (path, "directories nest too deep", error);
  fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno_error (error, path);
  ok = check_tree (w, fd, path, NULL, depth + 1, error);
  close (fd);
  return ok;
}

/* One entry of a folder: a folder is entered, a regular file checked;
 * anything else is refused by the import directory's reader anyway. */
static gboolean
check_entry (Walk *w, int dirfd, const char *dir_path, const char *name,
             guint depth, GError **error)
{
  g_autofree char *path = g_build_filename (dir_path, name, NULL);
  const VrCaller *caller = w->caller;
  struct stat st;
  int fd;
  gboolean ok;

  if (++w->entries > WALK_MAX_ENTRIES)
    return bounded (dir_path, "too many entries", error);

  /* O_PATH never opens the file, so a FIFO or device is not touched;
   * its ACL is read through /proc without following a link. */
  fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT || errno_error (error, path);
  if (fstat (fd, &st) < 0)
    ok = errno_error (error, path);
  else if (S_ISREG (st.st_mode))
    ok = vr_caller_may_fd (caller, fd, &st, R_OK)
         || denied (path, caller, &st, error);
  else if (!S_ISDIR (st.st_mode))
    ok = TRUE;
  else if (!vr_caller_may_fd (caller, fd, &st, R_OK | X_OK))
    ok = denied (path, caller, &st, error);
  else
    ok = check_subdir (w, dirfd, name, path, depth, error);
  close (fd);
  return ok;
}

/* Every entry of the folder on dirfd that wanted (NULL: all) names. */
static gboolean
check_tree (Walk *w, int dirfd, const char *path,
            gboolean (*wanted) (const char *name), guint depth,
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
      ok = check_entry (w, dirfd, path, name, depth, error);
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
vr_caller_check_import_fd (int dirfd, const char *path,
                           const VrCaller *caller, GError **error)
{
  g_autofree char *proc = NULL;
  g_autofree char *found = NULL;
  struct stat st;

  if (caller->uid == 0)
    return TRUE;
  if (path == NULL)
    {
      proc = g_strdup_printf ("/proc/self/fd/%d", dirfd);
      found = g_file_read_link (proc, NULL);
      path = found ? found : "the import directory";
    }
  if (fstat (dirfd, &st) < 0)
    return errno_error (error, path);
  if (!vr_caller_may_fd (caller, dirfd, &st, R_OK | X_OK))
    return denied (path, caller, &st, error);
  return check_tree (&(Walk) { caller, 0 }, dirfd, path, is_read, 0, error);
}

gboolean
vr_import_dir_check_caller (VrImportDir *dir, const VrCaller *caller,
                            GError **error)
{
  return vr_caller_check_import_fd (dir->fd, dir->path, caller, error);
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

/* The target of the link fd (O_PATH | O_NOFOLLOW); NULL if unreadable. */
static char *
read_link_fd (int fd)
{
  char buf[PATH_MAX];
  ssize_t len = readlinkat (fd, "", buf, sizeof buf);

  if (len < 0 || (size_t) len >= sizeof buf)
    return NULL;
  return g_strndup (buf, len);
}

/* The next component of a path being resolved, taken from the front of
 * parts (a queue of components; a link's target is pushed in front). */
static char *
next_part (GQueue *parts)
{
  return g_queue_pop_head (parts);
}

static void
push_path (GQueue *parts, const char *path)
{
  g_auto (GStrv) split = g_strsplit (path, "/", -1);

  for (guint i = g_strv_length (split); i > 0; i--)
    if (*split[i - 1] != '\0' && !g_str_equal (split[i - 1], "."))
      g_queue_push_head (parts, g_strdup (split[i - 1]));
}

/* A directory the walk stands in, as the caller would: they need search
 * permission on it to look up any name there. */
static gboolean
caller_may_search (const VrCaller *caller, int dirfd)
{
  struct stat st;

  return fstat (dirfd, &st) == 0 && S_ISDIR (st.st_mode)
         && vr_caller_may_fd (caller, dirfd, &st, X_OK);
}

/* Moves the walk to the directory fd (taken), or to "/". */
static void
walk_to (int *dirfd, int fd, GString *done, const char *name)
{
  close (*dirfd);
  *dirfd = fd;
  if (name == NULL)
    g_string_assign (done, "/");
  else
    {
      if (done->len > 1)
        g_string_append_c (done, '/');
      g_string_append (done, name);
    }
}

static void
walk_up (int *dirfd, GString *done)
{
  const char *slash = strrchr (done->str, '/');
  int fd = openat (*dirfd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return; /* the root's ".." is itself */
  close (*dirfd);
  *dirfd = fd;
  g_string_truncate (done, slash > done->str ? (gsize) (slash - done->str)
                                             : 1);
}

char *
vr_caller_resolve (const VrCaller *caller, const char *path,
                   gboolean *missing)
{
  g_autoptr (GString) done = g_string_new ("/");
  GQueue parts = G_QUEUE_INIT;
  int dirfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  guint links = 0;
  char *part;
  gboolean found = dirfd >= 0;

  if (missing != NULL)
    *missing = FALSE;
  push_path (&parts, path);
  while (found && (part = next_part (&parts)) != NULL)
    {
      g_autofree char *name = part;
      g_autofree char *target = NULL;
      struct stat st;
      int fd;

      /* Each name is looked up as the caller would: only in a directory
       * they may search, so a miss is one they could see themself. */
      if (!caller_may_search (caller, dirfd))
        {
          found = FALSE;
          break;
        }
      if (g_str_equal (name, ".."))
        {
          walk_up (&dirfd, done);
          continue;
        }
      fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 || fstat (fd, &st) < 0)
        {
          if (missing != NULL)
            *missing = errno == ENOENT || errno == ENOTDIR;
          if (fd >= 0)
            close (fd);
          found = FALSE;
          break;
        }
      if (!S_ISLNK (st.st_mode))
        {
          walk_to (&dirfd, fd, done, name);
          continue;
        }
      /* The kernel's limit on links in one lookup. */
      target = ++links <= 40 ? read_link_fd (fd) : NULL;
      close (fd);
      if (target == NULL)
        {
          found = FALSE;
          break;
        }
      push_path (&parts, target);
      if (g_path_is_absolute (target))
        walk_to (&dirfd, open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC), done,
                 NULL);
      found = dirfd >= 0;
    }
  g_queue_clear_full (&parts, g_free);
  if (dirfd >= 0)
    close (dirfd);
  return found ? g_strdup (done->str) : NULL;
}

gboolean
vr_caller_sees_missing (const VrCaller *caller, const char *path)
{
  g_autofree char *parent = g_path_get_dirname (path);
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *dir = vr_caller_resolve (caller, parent, NULL);
  struct stat st;
  int fd;
  gboolean missing;

  if (dir == NULL)
    return FALSE;
  fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  missing = caller_may_search (caller, fd)
            && fstatat (fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0
            && errno == ENOENT;
  close (fd);
  return missing;
}
