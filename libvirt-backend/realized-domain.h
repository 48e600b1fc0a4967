/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/libvirt.h>

#include "planned-system.h"

G_BEGIN_DECLS

/* Whether a realized planned system's domain is still defined. Not
 * stored: a person may undefine it behind our back at any time, so show
 * asks libvirt each time. */
typedef enum {
  VR_DOMAIN_PRESENCE_UNKNOWN,   /* not realized, or on another connection */
  VR_DOMAIN_PRESENCE_DEFINED,
  VR_DOMAIN_PRESENCE_UNDEFINED,
} VrDomainPresence;

const char *vr_domain_presence_to_string (VrDomainPresence presence);

/* Asks conn by the planned system's UUID (a name can be taken again) when
 * system is realized and was realized on conn (its recorded URI is
 * conn's); else UNKNOWN. Blocks on libvirt. FALSE with error when libvirt
 * fails otherwise than "no such domain". */
gboolean vr_realized_domain_presence (virConnectPtr conn,
                                      VrPlannedSystem *system,
                                      VrDomainPresence *presence,
                                      GError **error);

G_END_DECLS
