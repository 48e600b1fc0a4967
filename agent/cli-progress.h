/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "job.h"

G_BEGIN_DECLS

/* A one-line progress bar on a terminal for a job: phase, percent, bytes,
 * rate and ETA, redrawn on each "changed". Does nothing when stream is
 * not a terminal. */
typedef struct _VrCliProgressBar VrCliProgressBar;

VrCliProgressBar *vr_cli_progress_bar_new (VrJob *job, FILE *stream);
void vr_cli_progress_bar_free (VrCliProgressBar *bar);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrCliProgressBar, vr_cli_progress_bar_free)

/* The bar's text for a job at this moment (for tests, and the bar). */
char *vr_cli_progress_bar_format (VrJob *job, guint width);

G_END_DECLS
