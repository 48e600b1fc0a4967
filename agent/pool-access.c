/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "pool-access.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caller-access.h"
#include "errors.h"
#include "libvirt-util.h"
#include "safe-xml.h"

/* What follows dir in path ("" when path is dir), or NULL when path is
 * not dir or below it. Both canonical. */
static const char *
rest_below (const char *path, const char *dir)
{
  gsize len = strlen (dir);

  if (g_str_equal (dir, "/"))
    return path + 1;
  if (strncmp (path, dir, len) != 0 || (path[len] != '/' && path[len] != 0))
    return NULL;
  return path[len] == '/' ? path + len + 1 : path + len;
}

/* The target path of every libvirt directory pool (none on a connection
 * without a storage driver). */
static gboolean
is_dir_pool (virConnectPtr conn, const char *path)
{
  virStoragePoolPtr *pools = NULL;
  int n = virConnectListAllStoragePools (conn, &pools,
                                         VIR_CONNECT_LIST_STORAGE_POOLS_DIR);
  gboolean found = FALSE;

  virResetLastError ();
  for (int i = 0; i < n; i++)
    {
      g_autofree char *xml = virStoragePoolGetXMLDesc (pools[i], 0);
      g_autoptr (xmlDoc) doc = xml ? vr_xml_parse_buffer (
          xml, strlen (xml), "pool", "pool", NULL) : NULL;
      g_autofree char *target = doc ? vr_xml_xpath_string (
          doc, "string(/pool/target/path)") : NULL;
      g_autofree char *canonical = target ? g_canonicalize_filename (
          target, "/") : NULL;

      if (canonical != NULL && g_str_equal (canonical, path))
        found = TRUE;
      virStoragePoolFree (pools[i]);
    }
  free (pools);
  return found;
}

/* Whether root may leave files that libvirt will use by path in the
 * folder fd (st): the caller must not be able to rename, replace or
 * remove them. The folder is root's and either closed to the caller's
 * writes or sticky (then only a file's owner, root, moves it). A folder
 * the caller may write, or their own, is refused: they would swap a copy
 * for a link to any host file after the checks (F1 of the fourth blind
 * review), or point qemu-img rebase at another guest's disk. */
static gboolean
holds_root_files (const VrCaller *caller, int fd, const struct stat *st)
{
  return st->st_uid == 0
         && ((st->st_mode & S_ISVTX) != 0
             || !vr_caller_may_fd (caller, fd, st, W_OK));
}

/* Opens each folder of rel below dirfd without following a link; with a
 * caller, each must be searchable by them on the way (what they could
 * reach themselves), and each below dirfd one whose entries they cannot
 * change (holds_root_files; root's own call may name any). -1 when
 * not. */
static int
walk (int dirfd, const char *rel, const VrCaller *caller, gboolean root)
{
  g_auto (GStrv) parts = g_strsplit (rel, "/", -1);
  int fd = fcntl (dirfd, F_DUPFD_CLOEXEC, 0);
  struct stat st;

  for (guint i = 0; fd >= 0 && parts[i] != NULL; i++)
    {
      int next;

      if (parts[i][0] == '\0')
        continue;
      if (caller != NULL
          && (fstat (fd, &st) < 0 || !vr_caller_may_fd (caller, fd, &st,
                                                        X_OK)))
        next = -1;
      else
        next = openat (fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                                     | O_CLOEXEC);
      close (fd);
      fd = next;
      if (fd >= 0 && caller != NULL && !root
          && (fstat (fd, &st) < 0 || !holds_root_files (caller, fd, &st)))
        {
          close (fd);
          fd = -1;
        }
    }
  return fd;
}

/* The allowed folder path is, or the one it lies below (*rel then the
 * rest); NULL when neither. A listed folder or a libvirt pool's target
 * is allowed itself, before any folder below a listed one is tried, and
 * of the listed folders path lies below, the deepest (the fewest steps
 * walked as the caller): the order of PoolDirs decides nothing (twelfth
 * review F6: /tmp listed first refused /tmp/pool listed after it).
 * Strings only: nothing is looked up yet. */
static const char *
find_allowed (virConnectPtr conn, const char *path,
              const char *const *allowed, const char **rel)
{
  const char *below = NULL;
  const char *below_rel = NULL;

  *rel = "";
  for (guint i = 0; allowed != NULL && allowed[i] != NULL; i++)
    {
      g_autofree char *dir = g_canonicalize_filename (allowed[i], "/");
      const char *rest = rest_below (path, dir);

      if (rest != NULL && *rest == '\0')
        return allowed[i];
      if (rest != NULL && (below_rel == NULL || rest > below_rel))
        {
          below = allowed[i];
          below_rel = rest;
        }
    }
  if (conn != NULL && is_dir_pool (conn, path))
    return path;
  if (below != NULL)
    *rel = below_rel;
  return below;
}

gboolean
vr_pool_dir_check_caller (virConnectPtr conn, const char *path, uid_t uid,
                          const char *const *allowed,
                          const char *config_path, guint64 *dev,
                          guint64 *ino, GError **error)
{
  g_autofree char *folded = g_canonicalize_filename (path, "/");
  g_autoptr (VrCaller) caller = vr_caller_new (uid);
  const char *rel = NULL;
  const char *base = find_allowed (conn, folded, allowed, &rel);
  g_autofree char *base_folded = base ? g_canonicalize_filename (base, "/")
                                      : NULL;
  int root = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int base_fd = -1;
  int fd = -1;
  struct stat st;

  /* The administrator's folder is opened as root (they named it); below
   * it only as far as the caller could go themselves (root never looks
   * up a folder for them that they could not), and only into folders
   * whose entries they cannot change. Every refusal says the same, so
   * none tells whether something exists. */
  if (base != NULL && root >= 0)
    base_fd = walk (root, base_folded + 1, NULL, TRUE);
  if (base_fd >= 0)
    fd = *rel == '\0' ? fcntl (base_fd, F_DUPFD_CLOEXEC, 0)
                      : walk (base_fd, rel, caller, uid == 0);
  if (root >= 0)
    close (root);
  if (base_fd >= 0)
    close (base_fd);
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      if (fd >= 0)
        close (fd);
      g_set_error (error, VR_ERROR, VR_ERROR_ACCESS_DENIED,
                   "pool-dir '%s' is not allowed: through the agent a "
                   "realize writes only into a libvirt directory pool, a "
                   "folder that %s allows (PoolDirs), or a folder below "
                   "one that you can search your way to, owned by root "
                   "and either closed to your writes or sticky (so that "
                   "nobody but root moves the copies in it), each reached "
                   "without symbolic links",
                   path, config_path ? config_path : "agent.conf");
      return FALSE;
    }
  close (fd);
  *dev = st.st_dev;
  *ino = st.st_ino;
  return TRUE;
}
