/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "agent-context.h"
#include "vr-dbus-generated.h"

G_BEGIN_DECLS

/* org.virtrealize.Realize1.Manager at VR_DBUS_MANAGER_PATH: Import,
 * ListPlannedSystems, GetJobs. */
VrDBusObjectSkeleton *vr_manager_object_new (VrAgentContext *context);

G_END_DECLS
