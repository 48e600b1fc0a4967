/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/libvirt.h>

#include "store.h"

G_BEGIN_DECLS

/* What one caller of the root agent may have realized at once (agent.conf
 * MaxDomainsPerUser, MaxMemoryPerUser): a realize through the agent makes
 * a domain that runs on the host's CPUs and memory, and its caller cannot
 * stop it afterwards (F5 of the blind review). */
typedef struct {
  guint max_domains;    /* realized or realizing planned systems */
  guint64 max_memory_mib; /* their <memory> in all; 0: the host's memory */
} VrRealizeLimits;

/* Whether uid (not root: root has no limit) may realize system on top of
 * the planned systems it owns that are realized or realizing; else
 * VR_ERROR_IN_USE (32774) saying which limit and how much is used. conn
 * gives the host's memory when max_memory_mib is 0. Reads the store. */
gboolean vr_realize_limits_check (const VrRealizeLimits *limits,
                                  VrStore *store,
                                  virConnectPtr conn,
                                  VrPlannedSystem *system,
                                  guint uid,
                                  const char *config_path,
                                  GError **error);

G_END_DECLS
