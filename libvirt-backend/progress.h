/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Weighted steps of a long operation, as a tree, like fwupd's FuProgress:
 * each step has a phase name and a weight; a step that has parts of its
 * own (one per file it copies or hashes) takes a child progress, whose
 * 0..1 is scaled into that step. The backend fills it from the working
 * thread; whoever made the root (a job, a test) hears of each change
 * through its callback, with the root's phase. */
typedef struct _VrProgress VrProgress;

typedef struct {
  const char *phase;   /* the root's current step, e.g. "copy" */
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

/* A step weighed by the bytes it moves. When every step of a progress is
 * one, its bytes are counted across them (done: the steps behind plus the
 * current one's share of its size), so a child with one such step per
 * file reports the whole copy's bytes to its parent's step. */
void vr_progress_add_step_bytes (VrProgress *progress,
                                 const char *phase,
                                 guint64 bytes);

/* Enters the next step (the first on the first call); FALSE when there is
 * none left. */
gboolean vr_progress_next (VrProgress *progress);

/* Finishes the current step (the first one when none was entered, as
 * fwupd's): the next one becomes current, or after the last the progress
 * is done (fraction 1.0). */
void vr_progress_step_done (VrProgress *progress);

/* The current step's child (the first step's when none was entered): its
 * fraction is this step's, its bytes this step's bytes. Owned by
 * progress and emptied (no steps, nothing done) whenever progress enters
 * another step, so a step takes it afresh; NULL for a NULL progress. */
VrProgress *vr_progress_get_child (VrProgress *progress);

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
