/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vr-dbus-generated.h"

G_BEGIN_DECLS

/* The PlannedSystem interface skeleton, with its properties kept as one
 * ready GVariant: GetManagedObjects asks every object for all its
 * properties on every call, and the generated skeleton builds them anew
 * through GObject properties each time (most of that call's cost with
 * 1000 planned systems). Planned systems change rarely; the cache is
 * dropped whenever they do. */
#define VR_TYPE_PLANNED_SKELETON (vr_planned_skeleton_get_type ())
G_DECLARE_FINAL_TYPE (VrPlannedSkeleton, vr_planned_skeleton, VR,
                      PLANNED_SKELETON, VrDBusPlannedSystemSkeleton)

VrDBusPlannedSystem *vr_planned_skeleton_new (void);

/* After setting properties: the next GetManagedObjects rebuilds them. */
void vr_planned_skeleton_changed (VrDBusPlannedSystem *skeleton);

G_END_DECLS
