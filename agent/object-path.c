/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "object-path.h"

#include "dbus-names.h"

char *
vr_object_path_for_system (const char *uuid)
{
  g_autofree char *part = g_strdup (uuid);

  /* Object path elements allow [A-Za-z0-9_] only. */
  g_strdelimit (part, "-", '_');
  return g_strconcat (VR_DBUS_PLANNED_PREFIX, part, NULL);
}
