/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "planned-system.h"
#include "host-caps.h"
#include "store.h"
#include "validate.h"

G_BEGIN_DECLS

/* How a planned system would fit one libvirt host. */
typedef struct {
  char *uri;
  gboolean reachable;
  gboolean fits;
  /* Why not: the blocking findings ("VR1101 …; VR1301 …"), too little
   * free memory, or why the host could not be asked; NULL when it fits. */
  char *blocking;
  guint64 free_memory;  /* bytes, as libvirt reports them */
  guint cpus;           /* the host's logical CPUs */
} VrPlacementHost;

VrPlacementHost *vr_placement_host_new (const char *uri);
void vr_placement_host_free (VrPlacementHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrPlacementHost, vr_placement_host_free)

/* Validates system against each host of uris (its own connection each,
 * closed again), in that order. copy_disks as realize --copy-disks
 * (disks inside the import directory do not block); host_access_allowed
 * as VrValidateOptions. A host that cannot be reached does not fit. */
GPtrArray *vr_placement_check (VrStore *store,
                               VrPlannedSystem *system,
                               const char *const *uris,
                               gboolean copy_disks,
                               gboolean host_access_allowed);

/* One host over a connection already open (the agent's, with caps of
 * it), validated with options as Validate does for the caller. */
void vr_placement_check_on (VrPlacementHost *host,
                            virConnectPtr conn,
                            VrHostCaps *caps,
                            VrStore *store,
                            VrPlannedSystem *system,
                            const VrValidateOptions *options,
                            gboolean copy_disks);
/* A host that could not be asked: does not fit, why says why. */
void vr_placement_unreachable (VrPlacementHost *host, const char *why);

/* The host to realize onto: of those that fit, the one with the most
 * free memory (the first given among equals); -1 when none fits. */
int vr_placement_choose (GPtrArray *hosts);

G_END_DECLS
