/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "progress.h"

typedef struct {
  char *phase;
  guint weight;
} Step;

struct _VrProgress {
  GArray *steps;
  int current;        /* -1 before the first step */
  guint weight_total;
  guint weight_done;  /* of the steps before the current one */
  double step_fraction;
  guint64 bytes_done;
  guint64 bytes_total;
  gboolean finished;
  VrProgressFunc func;
  gpointer user_data;
};

static void
step_clear (gpointer data)
{
  g_free (((Step *) data)->phase);
}

VrProgress *
vr_progress_new (VrProgressFunc func, gpointer user_data)
{
  VrProgress *progress = g_new0 (VrProgress, 1);

  progress->steps = g_array_new (FALSE, TRUE, sizeof (Step));
  g_array_set_clear_func (progress->steps, step_clear);
  progress->current = -1;
  progress->func = func;
  progress->user_data = user_data;
  return progress;
}

void
vr_progress_free (VrProgress *progress)
{
  if (progress == NULL)
    return;
  g_array_unref (progress->steps);
  g_free (progress);
}

void
vr_progress_add_step (VrProgress *progress, const char *phase, guint weight)
{
  Step step = { NULL, weight };

  if (progress == NULL)
    return;
  step.phase = g_strdup (phase);
  g_array_append_val (progress->steps, step);
  progress->weight_total += weight;
}

static void
notify (VrProgress *progress)
{
  VrProgressState state = { 0 };
  double step_weight = 0;

  if (progress->func == NULL)
    return;
  state.phase = vr_progress_get_phase (progress);
  if (progress->current >= 0 && !progress->finished)
    step_weight = g_array_index (progress->steps, Step,
                                 progress->current).weight;
  if (progress->finished || progress->weight_total == 0)
    state.fraction = progress->finished ? 1.0 : 0.0;
  else
    state.fraction = (progress->weight_done
                      + step_weight * progress->step_fraction)
                     / progress->weight_total;
  state.bytes_done = progress->bytes_done;
  state.bytes_total = progress->bytes_total;
  progress->func (&state, progress->user_data);
}

gboolean
vr_progress_next (VrProgress *progress)
{
  if (progress == NULL)
    return TRUE;
  if ((guint) (progress->current + 1) >= progress->steps->len)
    return FALSE;
  if (progress->current >= 0)
    progress->weight_done += g_array_index (progress->steps, Step,
                                            progress->current).weight;
  progress->current++;
  progress->step_fraction = 0;
  progress->bytes_done = 0;
  progress->bytes_total = 0;
  notify (progress);
  return TRUE;
}

const char *
vr_progress_get_phase (VrProgress *progress)
{
  if (progress == NULL || progress->current < 0)
    return NULL;
  return g_array_index (progress->steps, Step, progress->current).phase;
}

void
vr_progress_set_fraction (VrProgress *progress, double fraction)
{
  if (progress == NULL)
    return;
  progress->step_fraction = CLAMP (fraction, 0.0, 1.0);
  notify (progress);
}

void
vr_progress_set_bytes (VrProgress *progress, guint64 done, guint64 total)
{
  if (progress == NULL)
    return;
  progress->bytes_done = done;
  progress->bytes_total = total;
  progress->step_fraction = total > 0 ? MIN (1.0, (double) done / total) : 1.0;
  notify (progress);
}

void
vr_progress_finish (VrProgress *progress)
{
  if (progress == NULL)
    return;
  progress->finished = TRUE;
  notify (progress);
}
