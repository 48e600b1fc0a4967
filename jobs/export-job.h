/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "export.h"
#include "job.h"

G_BEGIN_DECLS

/* A job that runs vr_export() for one domain into path; the CLI and the
 * agent both export this way. The strings and options are copied. */
VrJob *vr_export_job_start (guint id,
                            virConnectPtr conn,
                            const char *domain,
                            const char *path,
                            const VrExportOptions *options);

/* The same into the empty directory open on dir_fd (vr_export_to_fd();
 * duplicated, the caller keeps its own): for the agent, which never opens
 * a path on a caller's behalf. */
VrJob *vr_export_job_start_fd (guint id,
                               virConnectPtr conn,
                               const char *domain,
                               int dir_fd,
                               const VrExportOptions *options);

/* What the export wrote, once the job completed (NULL before, or after a
 * failure); owned by the job. */
const VrExportResult *vr_export_job_get_result (VrJob *job);

G_END_DECLS
