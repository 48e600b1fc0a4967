/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "import-dir.h"
#include "job.h"

G_BEGIN_DECLS

/* A job that checks an import directory's manifest.xml
 * (vr_manifest_verify(), progress by bytes hashed) before an import. It
 * opens the directory again from dir's descriptor, so dir may go before
 * the job does. */
VrJob *vr_verify_job_start (guint id, VrImportDir *dir);

G_END_DECLS
