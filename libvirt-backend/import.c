/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "import.h"

VrPlannedSystem *
vr_import (VrStore *store, VrImportDir *dir, const char *name, GError **error)
{
  g_autoptr (VrPlannedSystem) system = vr_planned_system_new_from_import (
      dir, name, error);

  if (system == NULL || !vr_store_add (store, system, error))
    return NULL;
  return g_steal_pointer (&system);
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
