/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "agent-context.h"
#include "vr-dbus-generated.h"
#include "validate.h"

G_BEGIN_DECLS

/* PlannedSystem.Place: how a planned system fits each of the hosts
 * agent.conf lists, over the agent's kept connection to each, and the one
 * a realize would take (the fitting one with the most free memory). */
typedef struct _VrPlace VrPlace;

/* In the main context: takes a reference on each named host's connection
 * (names: listed names or URIs, NULL or empty: every listed host). An
 * unlisted name is VR_ERROR_INVALID_PARAMETER naming option 'hosts'; a
 * listed host not connected now is kept as not reachable. */
VrPlace *vr_place_new (VrAgentContext *context, const char *const *names,
                       gboolean copy_disks, GError **error);
void vr_place_free (VrPlace *place);

/* Polkit's details for the Place (vr_agent_context_host_details): "host" the
 * hosts' listed names joined by ", ", "host_uri" their URIs joined by
 * spaces. */
char **vr_place_details (VrPlace *place);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrPlace, vr_place_free)

/* On a worker: validates system on each host (options as Validate's for
 * this caller); the reply (a(ssbbstu)i): per host (name, URI, reachable,
 * fits, why not, free memory in bytes, CPUs), and the chosen index or
 * -1. */
GVariant *vr_place_run (VrPlace *place,
                        VrStore *store,
                        VrPlannedSystem *system,
                        const VrValidateOptions *options);

G_END_DECLS
