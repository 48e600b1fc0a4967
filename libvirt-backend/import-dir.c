/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "import-dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caller-access.h"
#include "domain-xml.h"
#include "errors.h"
#include "import-firmware.h"
#include "snapshots.h"
#include "safe-xml.h"

void
vr_import_file_free (VrImportFile *file)
{
  if (file == NULL)
    return;
  g_free (file->relpath);
  g_free (file);
}

void
vr_import_snapshot_free (VrImportSnapshot *snapshot)
{
  g_free (snapshot->name);
  g_free (snapshot->relpath);
  g_free (snapshot->parent);
  if (snapshot->doc != NULL)
    xmlFreeDoc (snapshot->doc);
  g_free (snapshot);
}

static void
import_dir_clear (gpointer data)
{
  VrImportDir *dir = data;

  if (dir->fd >= 0)
    close (dir->fd);
  g_free (dir->path);
  if (dir->doc)
    xmlFreeDoc (dir->doc);
  g_free (dir->name);
  g_free (dir->uuid);
  g_free (dir->save_file);
  vr_save_image_free (dir->save);
  vr_import_file_free (dir->nvram);
  g_clear_pointer (&dir->tpm_files, g_ptr_array_unref);
  g_free (dir->tpm_folder);
  g_clear_pointer (&dir->snapshots, g_ptr_array_unref);
  vr_caller_free (dir->caller);
}

void
vr_import_dir_free (VrImportDir *dir)
{
  if (dir != NULL)
    g_atomic_rc_box_release_full (dir, import_dir_clear);
}

VrImportDir *
vr_import_dir_new_unread (int fd, const char *path)
{
  VrImportDir *dir = g_atomic_rc_box_new0 (VrImportDir);

  dir->fd = fd;
  dir->path = g_strdup (path);
  return dir;
}

VrImportDir *
vr_import_dir_ref (VrImportDir *dir)
{
  return g_atomic_rc_box_acquire (dir);
}

char *
vr_import_dir_describe (VrImportDir *dir, const char *relpath)
{
  return g_build_filename (dir->path, relpath, NULL);
}

static void
set_open_error (GError **error, int errsv, const char *display_name)
{
  if (errsv == ELOOP)
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s: is a symbolic link (links are not followed in an "
                 "import directory)", display_name);
  else if (errsv == ENOENT)
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s: no such file", display_name);
  else
    vr_error_set_errno (error, errsv, "cannot open %s", display_name);
}

/* O_NONBLOCK keeps a FIFO from blocking us; it is cleared once we know the
 * file is regular. */
static int
open_component (int at, const char *name, gboolean last,
                const char *display_name, GError **error)
{
  int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY
              | (last ? O_NONBLOCK : O_DIRECTORY);
  int fd = openat (at, name, flags);

  if (fd < 0)
    set_open_error (error, errno, display_name);
  return fd;
}

static gboolean
require_regular (int fd, const char *display_name, GError **error)
{
  struct stat st;

  if (fstat (fd, &st) < 0)
    {
      vr_error_set_errno (error, errno, "%s", display_name);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: not a regular file", display_name);
      return FALSE;
    }
  return fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK) == 0;
}

static gboolean
relpath_is_safe (const char *relpath)
{
  g_auto (GStrv) parts = NULL;

  if (relpath == NULL || *relpath == '\0' || g_path_is_absolute (relpath))
    return FALSE;
  parts = g_strsplit (relpath, "/", -1);
  for (guint i = 0; parts[i]; i++)
    if (*parts[i] == '\0' || g_str_equal (parts[i], ".")
        || g_str_equal (parts[i], ".."))
      return FALSE;
  return TRUE;
}

/* With a caller: the folder on at (display_name names it) must be one
 * they may search before anything in it is looked up. */
static gboolean
caller_may_search (VrImportDir *dir, int at, const char *display_name,
                   GError **error)
{
  struct stat st;

  if (dir->caller == NULL)
    return TRUE;
  if (fstat (at, &st) < 0)
    {
      vr_error_set_errno (error, errno, "%s", display_name);
      return FALSE;
    }
  return vr_caller_may_fd (dir->caller, at, &st, X_OK)
         || vr_caller_denied (display_name, dir->caller, &st, "search",
                              error);
}

/* The caller's last step: looked at without opening it (O_PATH: a device
 * or FIFO is not touched), judged on that inode, then opened for reading
 * through the same descriptor, so no other file can be put in its place
 * between the check and the open. */
static int
open_last_as_caller (VrImportDir *dir, int at, const char *name,
                     const char *display_name, GError **error)
{
  g_autofree char *proc = NULL;
  struct stat st;
  int path_fd = openat (at, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  int fd = -1;

  if (path_fd < 0)
    {
      set_open_error (error, errno, display_name);
      return -1;
    }
  if (fstat (path_fd, &st) < 0)
    vr_error_set_errno (error, errno, "%s", display_name);
  else if (S_ISLNK (st.st_mode))
    set_open_error (error, ELOOP, display_name);
  else if (!S_ISREG (st.st_mode))
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s: not a regular file", display_name);
  else if (!vr_caller_may_fd (dir->caller, path_fd, &st, R_OK))
    vr_caller_denied (display_name, dir->caller, &st, "read", error);
  else
    {
      proc = g_strdup_printf ("/proc/self/fd/%d", path_fd);
      fd = open (proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
      if (fd < 0)
        vr_error_set_errno (error, errno, "cannot open %s", display_name);
    }
  close (path_fd);
  return fd;
}

int
vr_import_dir_open_file (VrImportDir *dir, const char *relpath,
                         GError **error)
{
  g_autofree char *display_name = vr_import_dir_describe (dir, relpath);
  g_autofree char *walked = NULL; /* the folders so far, for messages */
  g_auto (GStrv) parts = NULL;
  int at = dir->fd;

  if (!relpath_is_safe (relpath))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: the path must stay inside the import directory "
                   "(relative, without '..')", display_name);
      return -1;
    }
  parts = g_strsplit (relpath, "/", -1);
  walked = g_strdup (dir->path);
  for (guint i = 0; parts[i]; i++)
    {
      gboolean last = parts[i + 1] == NULL;
      char *next = NULL;
      int fd = -1;

      if (caller_may_search (dir, at, walked, error))
        fd = last && dir->caller != NULL
                 ? open_last_as_caller (dir, at, parts[i], display_name,
                                        error)
                 : open_component (at, parts[i], last, display_name, error);
      if (at != dir->fd)
        close (at);
      if (fd < 0)
        return -1;
      at = fd;
      next = g_build_filename (walked, parts[i], NULL);
      g_free (walked);
      walked = next;
    }
  if (!require_regular (at, display_name, error))
    {
      close (at);
      return -1;
    }
  return at;
}

/* A subdirectory of the import directory, or -1 with no error when it is
 * not there. */
int
vr_import_dir_open_subdir (int at, const char *name,
                           const char *display_name, gboolean *missing,
                           GError **error)
{
  int fd = openat (at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;

  *missing = fd < 0 && errno == ENOENT;
  if (fd >= 0 || *missing)
    return fd;
  /* O_DIRECTORY answers ENOTDIR for a link too: look at what it is. */
  if (errno == ELOOP || errno == ENOTDIR)
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s: %s", display_name,
                 fstatat (at, name, &st, AT_SYMLINK_NOFOLLOW) == 0
                         && S_ISLNK (st.st_mode)
                     ? "is a symbolic link (links are not followed in an "
                       "import directory)"
                     : "not a directory");
  else
    vr_error_set_errno (error, errno, "cannot open %s", display_name);
  return -1;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names in a directory (takes fd), sorted. */
GPtrArray *
vr_import_dir_list_names (int fd, const char *display_name, GError **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  DIR *d = fdopendir (fd);
  struct dirent *item;

  if (d == NULL)
    {
      vr_error_set_errno (error, errno, "cannot list %s", display_name);
      close (fd);
      return NULL;
    }
  while ((errno = 0, item = readdir (d)) != NULL)
    if (!g_str_equal (item->d_name, ".") && !g_str_equal (item->d_name, ".."))
      g_ptr_array_add (names, g_strdup (item->d_name));
  if (errno != 0)
    {
      vr_error_set_errno (error, errno, "cannot list %s", display_name);
      closedir (d);
      return NULL;
    }
  closedir (d);
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

static gboolean
read_domain_xml (VrImportDir *dir, GError **error)
{
  g_autofree char *display_name = vr_import_dir_describe (dir,
                                                          VR_IMPORT_DOMAIN_XML);
  int fd = vr_import_dir_open_file (dir, VR_IMPORT_DOMAIN_XML, error);

  if (fd < 0)
    return FALSE;
  dir->doc = vr_xml_parse_fd (fd, display_name, VR_XML_MAX_SIZE, "domain",
                              error);
  close (fd);
  if (dir->doc == NULL)
    return FALSE;
  return vr_domain_xml_get_identity (dir->doc, display_name, &dir->name,
                                     &dir->uuid, error);
}

static gboolean
scan_entries (VrImportDir *dir, GError **error)
{
  int fd = dup (dir->fd);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  struct dirent *entry;

  if (d == NULL)
    {
      vr_error_set_errno (error, errno, "cannot list %s", dir->path);
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  rewinddir (d);
  errno = 0;
  while ((entry = readdir (d)) != NULL)
    {
      if (g_str_equal (entry->d_name, VR_IMPORT_MANIFEST))
        dir->has_manifest = TRUE;
      if (!g_str_has_suffix (entry->d_name, ".save"))
        continue;
      if (dir->save_file != NULL)
        {
          g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                       "%s: holds two save images, '%s' and '%s' (at most "
                       "one is allowed)", dir->path, dir->save_file,
                       entry->d_name);
          closedir (d);
          return FALSE;
        }
      dir->save_file = g_strdup (entry->d_name);
    }
  if (errno != 0)
    vr_error_set_errno (error, errno, "cannot list %s", dir->path);
  closedir (d);
  return errno == 0;
}

static gboolean
read_save_image (VrImportDir *dir, GError **error)
{
  g_autofree char *display_name = NULL;
  int fd;

  if (dir->save_file == NULL)
    return TRUE;
  display_name = vr_import_dir_describe (dir, dir->save_file);
  fd = vr_import_dir_open_file (dir, dir->save_file, error);
  if (fd < 0)
    return FALSE;
  dir->save = vr_save_image_read_fd (fd, display_name, error);
  close (fd);
  return dir->save != NULL;
}

/* A save image restores only into the domain it was saved from. */
static gboolean
check_save_matches (VrImportDir *dir, GError **error)
{
  g_autofree char *display_name = NULL;

  if (dir->save == NULL)
    return TRUE;
  if (g_str_equal (dir->save->uuid, dir->uuid)
      && g_str_equal (dir->save->name, dir->name))
    return TRUE;
  display_name = vr_import_dir_describe (dir, dir->save_file);
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s: the save image belongs to domain '%s' (UUID %s), but "
               "%s/%s defines '%s' (UUID %s)", display_name, dir->save->name,
               dir->save->uuid, dir->path, VR_IMPORT_DOMAIN_XML, dir->name,
               dir->uuid);
  return FALSE;
}

static char *
fd_path (int fd)
{
  g_autofree char *link = g_strdup_printf ("/proc/self/fd/%d", fd);

  return g_file_read_link (link, NULL);
}

void
vr_import_dir_set_caller (VrImportDir *dir, const VrCaller *caller)
{
  g_clear_pointer (&dir->caller, vr_caller_free);
  if (caller != NULL && caller->uid != 0)
    dir->caller = vr_caller_copy (caller);
}

VrImportDir *
vr_import_dir_open_fd_as (int dirfd, const VrCaller *caller, GError **error)
{
  g_autoptr (VrImportDir) dir = g_atomic_rc_box_new0 (VrImportDir);
  struct stat st;

  dir->fd = fcntl (dirfd, F_DUPFD_CLOEXEC, 3);
  if (dir->fd < 0 || fstat (dir->fd, &st) < 0)
    {
      vr_error_set_errno (error, errno, "import directory");
      return NULL;
    }
  dir->path = fd_path (dir->fd);
  if (dir->path == NULL)
    dir->path = g_strdup_printf ("(import directory fd %d)", dirfd);
  if (!S_ISDIR (st.st_mode))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: not a directory", dir->path);
      return NULL;
    }
  vr_import_dir_set_caller (dir, caller);
  dir->dev = st.st_dev;
  dir->ino = st.st_ino;
  if (!read_domain_xml (dir, error) || !scan_entries (dir, error)
      || !read_save_image (dir, error) || !check_save_matches (dir, error)
      || !vr_import_dir_read_firmware (dir, error)
      || !vr_import_dir_read_snapshots (dir, error))
    return NULL;
  return g_steal_pointer (&dir);
}

VrImportDir *
vr_import_dir_open_fd (int dirfd, GError **error)
{
  return vr_import_dir_open_fd_as (dirfd, NULL, error);
}

VrImportDir *
vr_import_dir_open (const char *path, GError **error)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  VrImportDir *dir;

  if (fd < 0)
    {
      int errsv = errno;

      if (errsv == ENOENT || errsv == ENOTDIR)
        g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                     "%s: %s", path, errsv == ENOENT ? "no such directory"
                                                     : "not a directory");
      else
        vr_error_set_errno (error, errsv, "cannot open import directory %s",
                            path);
      return NULL;
    }
  dir = vr_import_dir_open_fd (fd, error);
  close (fd);
  return dir;
}
