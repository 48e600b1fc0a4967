/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The object path of the planned system uuid (under
 * VR_DBUS_PLANNED_PREFIX); shared by the objects that name it (the
 * planned system's own, a job's Target). */
char *vr_object_path_for_system (const char *uuid);

G_END_DECLS
