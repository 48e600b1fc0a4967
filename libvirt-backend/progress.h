/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Weighted steps of a long operation, as fwupd's FuProgress: each step has
 * a phase name and a weight; a step's own fraction (or bytes) is scaled
 * into the whole. The backend fills it from the working thread; whoever
 * made it (a job, a test) hears of each change through its callback. */
typedef struct _VrProgress VrProgress;

typedef struct {
  const char *phase;   /* the current step's name, e.g. "copy" */
  double fraction;     /* of the whole, 0.0 to 1.0 */
  guint64 bytes_done;  /* of the current step, when it moves bytes */
  guint64 bytes_total;
} VrProgressState;

typedef void (*VrProgressFunc) (const VrProgressState *state,
                                gpointer user_data);

VrProgress *vr_progress_new (VrProgressFunc func, gpointer user_data);
void vr_progress_free (VrProgress *progress);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrProgress, vr_progress_free)

void vr_progress_add_step (VrProgress *progress,
                           const char *phase,
                           guint weight);

/* Enters the next step (the first on the first call); FALSE when there is
 * none left. */
gboolean vr_progress_next (VrProgress *progress);

/* The current step's name, or NULL before the first step. */
const char *vr_progress_get_phase (VrProgress *progress);

/* Within the current step. */
void vr_progress_set_fraction (VrProgress *progress, double fraction);
void vr_progress_set_bytes (VrProgress *progress,
                            guint64 done,
                            guint64 total);

/* All steps done: fraction 1.0. */
void vr_progress_finish (VrProgress *progress);

/* A progress may be NULL everywhere: the work is the same with nobody
 * listening. */

G_END_DECLS
