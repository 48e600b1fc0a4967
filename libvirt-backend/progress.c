/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "progress.h"

typedef struct {
  char *phase;
  guint64 weight;
  gboolean bytes;     /* the weight is the bytes the step moves */
} Step;

struct _VrProgress {
  GArray *steps;
  int current;        /* -1 before the first step */
  guint64 weight_total;
  guint64 weight_done; /* of the steps before the current one */
  guint byte_steps;   /* steps added with vr_progress_add_step_bytes */
  double step_fraction;
  guint64 bytes_done;
  guint64 bytes_total;
  gboolean finished;
  VrProgress *parent; /* NULL for the root, which has the callback */
  VrProgress *child;  /* made on the first vr_progress_get_child */
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
  vr_progress_free (progress->child);
  g_array_unref (progress->steps);
  g_free (progress);
}

static void
add (VrProgress *progress, const char *phase, guint64 weight, gboolean bytes)
{
  Step step = { g_strdup (phase), weight, bytes };

  g_array_append_val (progress->steps, step);
  progress->weight_total += weight;
  progress->byte_steps += bytes ? 1 : 0;
}

void
vr_progress_add_step (VrProgress *progress, const char *phase, guint weight)
{
  if (progress != NULL)
    add (progress, phase, weight, FALSE);
}

void
vr_progress_add_step_bytes (VrProgress *progress, const char *phase,
                            guint64 bytes)
{
  if (progress != NULL)
    add (progress, phase, bytes, TRUE);
}

static guint64
current_weight (VrProgress *progress)
{
  if (progress->current < 0 || progress->finished)
    return 0;
  return g_array_index (progress->steps, Step, progress->current).weight;
}

/* Without steps a progress is one step of its own (a child whose step
 * has no parts, or a caller that only sets bytes). */
static double
fraction_of (VrProgress *progress)
{
  if (progress->finished)
    return 1.0;
  if (progress->steps->len == 0)
    return progress->step_fraction;
  /* Steps of no weight (empty files) count as equal ones. */
  if (progress->weight_total == 0)
    return (MAX (progress->current, 0) + progress->step_fraction)
           / progress->steps->len;
  return (progress->weight_done
          + current_weight (progress) * progress->step_fraction)
         / progress->weight_total;
}

static gboolean
counts_bytes (VrProgress *progress)
{
  return progress->steps->len > 0
         && progress->byte_steps == progress->steps->len;
}

static void
bytes_of (VrProgress *progress, guint64 *done, guint64 *total)
{
  if (!counts_bytes (progress))
    {
      *done = progress->bytes_done;
      *total = progress->bytes_total;
      return;
    }
  *total = progress->weight_total;
  *done = progress->finished
              ? *total
              : progress->weight_done
                    + (guint64) (current_weight (progress)
                                 * progress->step_fraction);
}

static void
notify (VrProgress *progress)
{
  VrProgressState state = { 0 };
  VrProgress *root = progress;

  /* Each level's 0..1 becomes its parent's current step's fraction. */
  while (root->parent != NULL)
    {
      VrProgress *parent = root->parent;

      parent->step_fraction = fraction_of (root);
      bytes_of (root, &parent->bytes_done, &parent->bytes_total);
      root = parent;
    }
  if (root->func == NULL)
    return;
  state.phase = vr_progress_get_phase (root);
  state.fraction = fraction_of (root);
  bytes_of (root, &state.bytes_done, &state.bytes_total);
  root->func (&state, root->user_data);
}

/* A child is emptied, not freed, when its parent moves on: a pointer
 * kept past its step is never a dangling one (it is then the new step's
 * child, so each step takes it afresh). */
static void
reset (VrProgress *progress)
{
  if (progress == NULL)
    return;
  g_array_set_size (progress->steps, 0);
  progress->current = -1;
  progress->weight_total = 0;
  progress->weight_done = 0;
  progress->byte_steps = 0;
  progress->step_fraction = 0;
  progress->bytes_done = 0;
  progress->bytes_total = 0;
  progress->finished = FALSE;
  reset (progress->child);
}

static gboolean
enter_next (VrProgress *progress)
{
  if ((guint) (progress->current + 1) >= progress->steps->len)
    return FALSE;
  progress->weight_done += current_weight (progress);
  progress->current++;
  progress->step_fraction = 0;
  progress->bytes_done = 0;
  progress->bytes_total = 0;
  reset (progress->child);
  notify (progress);
  return TRUE;
}

/* fwupd's steps start at the first: work on a progress whose first step
 * was not entered is that step's. */
static void
enter_first (VrProgress *progress)
{
  if (progress->current < 0)
    enter_next (progress);
}

gboolean
vr_progress_next (VrProgress *progress)
{
  if (progress == NULL)
    return TRUE;
  return enter_next (progress);
}

void
vr_progress_step_done (VrProgress *progress)
{
  if (progress == NULL)
    return;
  enter_first (progress);
  if (!enter_next (progress))
    vr_progress_finish (progress);
}

VrProgress *
vr_progress_get_child (VrProgress *progress)
{
  if (progress == NULL)
    return NULL;
  enter_first (progress);
  if (progress->child == NULL)
    {
      progress->child = vr_progress_new (NULL, NULL);
      progress->child->parent = progress;
    }
  return progress->child;
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
  enter_first (progress);
  progress->step_fraction = CLAMP (fraction, 0.0, 1.0);
  notify (progress);
}

void
vr_progress_set_bytes (VrProgress *progress, guint64 done, guint64 total)
{
  if (progress == NULL)
    return;
  enter_first (progress);
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
