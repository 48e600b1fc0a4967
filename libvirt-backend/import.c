/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "import.h"

#include <unistd.h>

#include "domain-xml.h"
#include "manifest.h"
#include "test-hooks.h"

static gboolean
name_is_free (GPtrArray *systems, const char *name)
{
  for (guint i = 0; i < systems->len; i++)
    if (g_str_equal (vr_planned_system_get_name (systems->pdata[i]), name))
      return FALSE;
  return TRUE;
}

/* A copy with a new identity beside its original needs a name of its own:
 * NAME-2, NAME-3, ... */
static char *
free_name (VrStore *store, const char *name, GError **error)
{
  g_autoptr (GPtrArray) systems = vr_store_list (store, error);

  if (systems == NULL)
    return NULL;
  if (name_is_free (systems, name))
    return g_strdup (name);
  for (guint n = 2;; n++)
    {
      g_autofree char *candidate = g_strdup_printf ("%s-%u", name, n);

      if (name_is_free (systems, candidate))
        return g_steal_pointer (&candidate);
    }
}

static VrPlannedSystem *
import_as (VrStore *store, VrImportDir *dir, const char *name,
           VrImportFlags flags, guint author, GError **error);

VrPlannedSystem *
vr_import_with_flags (VrStore *store, VrImportDir *dir, const char *name,
                      VrImportFlags flags, GError **error)
{
  return import_as (store, dir, name, flags, getuid (), error);
}

/* The author is in the record from its first write: the agent dying
 * right after leaves no XML of a user's recorded as root's. */
static VrPlannedSystem *
import_as (VrStore *store, VrImportDir *dir, const char *name,
           VrImportFlags flags, guint author, GError **error)
{
  g_autofree char *chosen = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;

  if (name == NULL && (flags & VR_IMPORT_NEW_ID))
    {
      chosen = free_name (store, dir->name, error);
      if (chosen == NULL)
        return NULL;
      if (g_str_equal (chosen, dir->name))
        g_clear_pointer (&chosen, g_free);
    }
  system = vr_planned_system_new_from_import (dir, chosen ? chosen : name,
                                              flags, error);
  if (system != NULL)
    {
      vr_planned_system_set_author (system, author);
      vr_planned_system_set_owner (system, author);
      vr_test_hook_stall ("store", NULL);
    }
  if (system == NULL || !vr_store_add (store, system, error))
    return NULL;
  return g_steal_pointer (&system);
}

VrPlannedSystem *
vr_import (VrStore *store, VrImportDir *dir, const char *name, GError **error)
{
  return vr_import_with_flags (store, dir, name, VR_IMPORT_NONE, error);
}

VrPlannedSystem *
vr_import_verified (VrStore *store, VrImportDir *dir, const char *name,
                    VrImportFlags flags, VrProgress *progress,
                    GCancellable *cancellable, GError **error)
{
  return vr_import_verified_as (store, dir, name, flags, getuid (), progress,
                                cancellable, error);
}

VrPlannedSystem *
vr_import_verified_as (VrStore *store, VrImportDir *dir, const char *name,
                       VrImportFlags flags, guint author,
                       VrProgress *progress, GCancellable *cancellable,
                       GError **error)
{
  if (dir->has_manifest
      && !vr_manifest_verify (dir, progress, cancellable, error))
    return NULL;
  return import_as (store, dir, name, flags, author, error);
}

VrPlannedSystem *
vr_import_path (VrStore *store, const char *path, const char *name,
                GError **error)
{
  g_autoptr (VrImportDir) dir = vr_import_dir_open (path, error);

  if (dir == NULL)
    return NULL;
  return vr_import (store, dir, name, error);
}
