/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "dbus-planned-skeleton.h"

struct _VrPlannedSkeleton {
  VrDBusPlannedSystemSkeleton parent_instance;
  GVariant *properties; /* a{sv}, or NULL when stale */
};

G_DEFINE_TYPE (VrPlannedSkeleton, vr_planned_skeleton,
               VR_DBUS_TYPE_PLANNED_SYSTEM_SKELETON)

static GVariant *
get_properties (GDBusInterfaceSkeleton *skeleton)
{
  VrPlannedSkeleton *self = VR_PLANNED_SKELETON (skeleton);

  if (self->properties == NULL)
    {
      self->properties = g_variant_ref_sink (
          G_DBUS_INTERFACE_SKELETON_CLASS (vr_planned_skeleton_parent_class)
              ->get_properties (skeleton));
      /* Serialized in place, the dictionary is one buffer of some 400
       * bytes instead of a tree of ~40 GVariants (4 KB): with thousands of
       * planned systems, most of the agent's heap. */
      g_variant_get_data (self->properties);
    }
  return g_variant_ref (self->properties);
}

static void
vr_planned_skeleton_finalize (GObject *object)
{
  g_clear_pointer (&VR_PLANNED_SKELETON (object)->properties,
                   g_variant_unref);
  G_OBJECT_CLASS (vr_planned_skeleton_parent_class)->finalize (object);
}

static void
vr_planned_skeleton_class_init (VrPlannedSkeletonClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vr_planned_skeleton_finalize;
  G_DBUS_INTERFACE_SKELETON_CLASS (klass)->get_properties = get_properties;
}

static void
vr_planned_skeleton_init (VrPlannedSkeleton *self)
{
}

VrDBusPlannedSystem *
vr_planned_skeleton_new (void)
{
  return g_object_new (VR_TYPE_PLANNED_SKELETON, NULL);
}

void
vr_planned_skeleton_changed (VrDBusPlannedSystem *skeleton)
{
  g_clear_pointer (&VR_PLANNED_SKELETON (skeleton)->properties,
                   g_variant_unref);
}
