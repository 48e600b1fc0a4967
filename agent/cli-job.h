/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "job.h"

G_BEGIN_DECLS

/* Runs the main loop until a job the CLI started in-process ends: with a
 * progress bar on stderr when show_progress (and stderr is a terminal);
 * Ctrl-C or SIGTERM cancels the job, which rolls back before it ends. */
void vr_cli_job_wait (VrJob *job, gboolean show_progress);

/* For a job that did not complete: prints its error as vr_cli_fail() does
 * and returns VR_EXIT_FAILED. */
int vr_cli_job_fail (VrJob *job);

G_END_DECLS
