/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "agent-context.h"
#include "vr-dbus-generated.h"

G_BEGIN_DECLS

/* org.virtrealize.Realize1.PlannedSystem: one object per planned system,
 * at vr_object_path_for_system() of its UUID. */
VrDBusObjectSkeleton *vr_planned_object_new (VrAgentContext *context,
                                             VrPlannedSystem *system);
/* The system's properties into its object (no reading of the store). */
void vr_planned_object_update (VrDBusObjectSkeleton *object,
                               VrPlannedSystem *system);

G_END_DECLS
