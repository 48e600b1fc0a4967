/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "job.h"
#include "realize.h"

G_BEGIN_DECLS

/* A job that runs vr_realize() for one planned system; the CLI and the
 * agent both start realizes this way. The options' strings are copied. */
VrJob *vr_realize_job_start (guint id,
                             VrStore *store,
                             VrHostCaps *caps,
                             virConnectPtr conn,
                             VrPlannedSystem *system,
                             const VrRealizeOptions *options);

G_END_DECLS
