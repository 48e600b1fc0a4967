/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-xml.h"
#include "errors.h"
#include "fs-util.h"
#include "realize-journal.h"
#include "safe-xml.h"

#define STORE_LOCK ".lock"
#define SYSTEM_LOCK "lock"

struct _VrStore {
  GObject parent_instance;
  char *path;
};

struct _VrStoreLock {
  int fd;
};

G_DEFINE_TYPE (VrStore, vr_store, G_TYPE_OBJECT)

static void
vr_store_finalize (GObject *object)
{
  g_free (VR_STORE (object)->path);
  G_OBJECT_CLASS (vr_store_parent_class)->finalize (object);
}

static void
vr_store_class_init (VrStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vr_store_finalize;
}

static void
vr_store_init (VrStore *self)
{
}

char *
vr_store_default_dir (void)
{
  const char *env = g_getenv ("VIRT_REALIZE_STATE_DIR");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (geteuid () == 0)
    return g_strdup ("/var/lib/virt-realize");
  return g_build_filename (g_get_user_data_dir (), "virt-realize", NULL);
}

VrStore *
vr_store_new (const char *path)
{
  VrStore *self = g_object_new (VR_TYPE_STORE, NULL);

  self->path = g_canonicalize_filename (path, NULL);
  return self;
}

const char *
vr_store_get_path (VrStore *self)
{
  return self->path;
}

static char *
system_dir (VrStore *self, const char *uuid)
{
  return g_build_filename (self->path, uuid, NULL);
}

/* Locks are flock()s on files, so they vanish with a crashed holder. */
static int
take_flock (const char *path, gboolean wait, GError **error)
{
  int fd = open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open lock %s", path);
      return -1;
    }
  if (flock (fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0)
    {
      vr_error_set_errno (error, errno, "cannot lock %s", path);
      close (fd);
      return -1;
    }
  return fd;
}

static int
lock_store (VrStore *self, GError **error)
{
  g_autofree char *lock = g_build_filename (self->path, STORE_LOCK, NULL);

  if (g_mkdir_with_parents (self->path, 0700) < 0)
    {
      vr_error_set_errno (error, errno, "cannot create state directory %s",
                          self->path);
      return -1;
    }
  return take_flock (lock, TRUE, error);
}

static gboolean
write_system_files (const char *dir, VrPlannedSystem *system, GError **error)
{
  g_autofree char *record = vr_planned_system_to_record (system);
  g_autofree char *xml = vr_planned_system_dup_domain_xml (system);
  g_autofree char *record_path = g_build_filename (dir, VR_STORE_RECORD, NULL);
  g_autofree char *xml_path = g_build_filename (dir, VR_STORE_DOMAIN_XML,
                                                NULL);

  /* The record goes last: it is what makes the folder a planned system. */
  return vr_write_file_atomic (xml_path, xml, -1, error)
         && vr_write_file_atomic (record_path, record, -1, error);
}

static VrPlannedSystem *
load_system (VrStore *self, const char *uuid, GError **error)
{
  g_autofree char *dir = system_dir (self, uuid);
  g_autofree char *record_path = g_build_filename (dir, VR_STORE_RECORD, NULL);
  g_autofree char *xml_path = g_build_filename (dir, VR_STORE_DOMAIN_XML,
                                                NULL);
  g_autofree char *record = NULL;
  g_autofree char *xml = NULL;
  gsize record_len = 0;
  gsize xml_len = 0;

  if (!g_file_get_contents (record_path, &record, &record_len, error)
      || !g_file_get_contents (xml_path, &xml, &xml_len, error))
    return NULL;
  return vr_planned_system_new_from_record (record, record_len, xml, xml_len,
                                            record_path, error);
}

/* No other planned system has system's UUID (unless itself is meant:
 * an update) or its name. */
static gboolean
check_free (VrStore *self, VrPlannedSystem *system, gboolean update,
            GError **error)
{
  g_autoptr (GPtrArray) all = vr_store_list (self, error);

  if (all == NULL)
    return FALSE;
  for (guint i = 0; i < all->len; i++)
    {
      VrPlannedSystem *other = all->pdata[i];
      gboolean same_uuid = g_str_equal (vr_planned_system_get_uuid (other),
                                        vr_planned_system_get_uuid (system));

      if (same_uuid && update)
        continue;
      if (!same_uuid && g_strcmp0 (vr_planned_system_get_name (other),
                                   vr_planned_system_get_name (system)) != 0)
        continue;
      if (same_uuid)
        g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                     "%s: this VM (UUID %s) is already imported as planned "
                     "system '%s' from %s",
                     vr_planned_system_get_import_dir (system),
                     vr_planned_system_get_uuid (other),
                     vr_planned_system_get_name (other),
                     vr_planned_system_get_import_dir (other));
      else
        g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                     "%s: the name '%s' is taken by planned system %s from "
                     "%s (import it under another name)",
                     vr_planned_system_get_import_dir (system),
                     vr_planned_system_get_name (other),
                     vr_planned_system_get_uuid (other),
                     vr_planned_system_get_import_dir (other));
      return FALSE;
    }
  return TRUE;
}
/* An import folder is made as .new-XXXXXX and renamed into place, both
 * under the store lock: one found while holding that lock belongs to an
 * import that died (killed) before its rename, and nobody else removes
 * it. */
static void
remove_dead_imports (VrStore *self)
{
  g_autoptr (GDir) dir = g_dir_open (self->path, 0, NULL);
  const char *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;

      if (!g_str_has_prefix (entry, ".new-"))
        continue;
      path = g_build_filename (self->path, entry, NULL);
      vr_rmtree (path, NULL);
    }
}

static gboolean
add_locked (VrStore *self, VrPlannedSystem *system, GError **error)
{
  g_autofree char *tmp = g_build_filename (self->path, ".new-XXXXXX", NULL);
  g_autofree char *dir = system_dir (self, vr_planned_system_get_uuid (system));
  g_autofree char *lock = NULL;
  int fd;

  if (!check_free (self, system, FALSE, error))
    return FALSE;
  remove_dead_imports (self);
  if (g_mkdtemp_full (tmp, 0700) == NULL)
    {
      vr_error_set_errno (error, errno, "state directory %s is not writable",
                          self->path);
      return FALSE;
    }
  lock = g_build_filename (tmp, SYSTEM_LOCK, NULL);
  fd = open (lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || close (fd) < 0 || !write_system_files (tmp, system, error)
      || rename (tmp, dir) < 0)
    {
      if (error != NULL && *error == NULL)
        vr_error_set_errno (error, errno, "cannot add %s", dir);
      vr_rmtree (tmp, NULL);
      return FALSE;
    }
  return vr_fsync_dir (self->path, error);
}

gboolean
vr_store_add (VrStore *self, VrPlannedSystem *system, GError **error)
{
  int lock = lock_store (self, error);
  gboolean ok;

  if (lock < 0)
    return FALSE;
  ok = add_locked (self, system, error);
  close (lock);
  return ok;
}

char *
vr_store_system_file (VrStore *self, VrPlannedSystem *system, const char *file)
{
  return g_build_filename (self->path, vr_planned_system_get_uuid (system),
                           file, NULL);
}

gboolean
vr_store_save_record (VrStore *self, VrPlannedSystem *system, GError **error)
{
  g_autofree char *path = vr_store_system_file (self, system,
                                                VR_STORE_RECORD);
  g_autofree char *record = vr_planned_system_to_record (system);

  return vr_write_file_atomic (path, record, -1, error);
}

gboolean
vr_store_save (VrStore *self, VrPlannedSystem *system, GError **error)
{
  g_autofree char *dir = system_dir (self, vr_planned_system_get_uuid (system));

  return write_system_files (dir, system, error);
}

gboolean
vr_store_save_checked (VrStore *self, VrPlannedSystem *system,
                       GError **error)
{
  int lock = lock_store (self, error);
  gboolean ok;

  if (lock < 0)
    return FALSE;
  ok = check_free (self, system, TRUE, error)
       && vr_store_save (self, system, error);
  close (lock);
  return ok;
}

static int
compare_by_name (gconstpointer a, gconstpointer b)
{
  VrPlannedSystem *x = *(VrPlannedSystem *const *) a;
  VrPlannedSystem *y = *(VrPlannedSystem *const *) b;

  return g_strcmp0 (vr_planned_system_get_name (x),
                    vr_planned_system_get_name (y));
}

GPtrArray *
vr_store_list_uuids (VrStore *self, GError **error)
{
  g_autoptr (GPtrArray) uuids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) local = NULL;
  g_autoptr (GDir) dir = g_dir_open (self->path, 0, &local);
  const char *entry;

  if (dir == NULL && g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    return g_steal_pointer (&uuids);
  /* The cause (G_FILE_ERROR_ACCES, …) goes on as it is: the edge maps
   * it to the seed's code. */
  if (dir == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *uuid = vr_uuid_normalize (entry);

      /* Temp and deleted folders start with '.', and are not UUIDs. */
      if (uuid != NULL && g_str_equal (uuid, entry))
        g_ptr_array_add (uuids, g_steal_pointer (&uuid));
    }
  return g_steal_pointer (&uuids);
}

VrPlannedSystem *
vr_store_load (VrStore *self, const char *uuid, GError **error)
{
  g_autoptr (GError) local = NULL;
  VrPlannedSystem *system = load_system (self, uuid, &local);

  /* The cause (an unreadable file, a record that does not parse) keeps
   * its domain and code: the edge maps it to the seed's code. */
  if (system == NULL)
    g_propagate_prefixed_error (error, g_steal_pointer (&local),
                                "cannot read planned system %s (in %s): ",
                                uuid, self->path);
  return system;
}

GPtrArray *
vr_store_list (VrStore *self, GError **error)
{
  g_autoptr (GPtrArray) uuids = vr_store_list_uuids (self, error);
  g_autoptr (GPtrArray) all = NULL;

  if (uuids == NULL)
    return NULL;
  all = g_ptr_array_new_full (uuids->len, g_object_unref);
  for (guint i = 0; i < uuids->len; i++)
    {
      g_autoptr (GError) broken = NULL;
      VrPlannedSystem *system = load_system (self, uuids->pdata[i], &broken);

      if (system == NULL)
        g_debug ("skipping %s: %s", (char *) uuids->pdata[i], broken->message);
      else
        g_ptr_array_add (all, system);
    }
  g_ptr_array_sort (all, compare_by_name);
  return g_steal_pointer (&all);
}

VrPlannedSystem *
vr_store_lookup (VrStore *self, const char *key, GError **error)
{
  g_autofree char *uuid = vr_uuid_normalize (key);
  g_autoptr (GPtrArray) all = NULL;
  VrPlannedSystem *system;

  /* By UUID the folder is known: one record to read, not all of them. */
  if (uuid != NULL && (system = load_system (self, uuid, NULL)) != NULL)
    return system;
  all = vr_store_list (self, error);
  if (all == NULL)
    return NULL;
  for (guint i = 0; i < all->len; i++)
    if (vr_planned_system_matches (all->pdata[i], key))
      return g_object_ref (all->pdata[i]);
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "no planned system has the name or UUID '%s' (in %s)", key,
               self->path);
  return NULL;
}

VrStoreLock *
vr_store_lock (VrStore *self, VrPlannedSystem *system, GError **error)
{
  g_autofree char *dir = system_dir (self, vr_planned_system_get_uuid (system));
  g_autofree char *path = g_build_filename (dir, SYSTEM_LOCK, NULL);
  g_autoptr (GError) local = NULL;
  VrStoreLock *lock;
  int fd = take_flock (path, FALSE, &local);

  if (fd < 0 && vr_error_is (local, VR_ERROR_IN_USE))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "planned system '%s' is busy with another job",
                   vr_planned_system_get_name (system));
      return NULL;
    }
  if (fd < 0)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  lock = g_new0 (VrStoreLock, 1);
  lock->fd = fd;
  return lock;
}

void
vr_store_lock_free (VrStoreLock *lock)
{
  if (lock == NULL)
    return;
  close (lock->fd);
  g_free (lock);
}

gboolean
vr_store_remove (VrStore *self, VrPlannedSystem *system, GError **error)
{
  g_autoptr (VrStoreLock) lock = vr_store_lock (self, system, error);
  g_autofree char *dir = system_dir (self, vr_planned_system_get_uuid (system));
  g_autofree char *doomed = NULL;
  g_autofree char *journal = NULL;

  if (lock == NULL)
    return FALSE;
  /* A realize that died or could not finish its rollback left a journal:
   * it is the only record of what that job made, and goes with the
   * rollback, not before. */
  journal = g_build_filename (dir, VR_REALIZE_JOURNAL, NULL);
  if (vr_planned_system_get_state (system) == VR_PLANNED_STATE_REALIZING
      || g_file_test (journal, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "planned system '%s' has an unfinished realize (%s): "
                   "realize it again or restart the agent to finish its "
                   "rollback, then destroy it",
                   vr_planned_system_get_name (system), journal);
      return FALSE;
    }
  doomed = g_strdup_printf ("%s/.del-%s-%08x", self->path,
                            vr_planned_system_get_uuid (system),
                            g_random_int ());
  if (rename (dir, doomed) < 0)
    {
      vr_error_set_errno (error, errno, "cannot remove %s", dir);
      return FALSE;
    }
  vr_fsync_dir (self->path, NULL);
  return vr_rmtree (doomed, error);
}
