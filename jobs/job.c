/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "job.h"

#include "errors.h"

#define NOTIFY_INTERVAL_MS 100
#define RATE_WINDOW_US (3 * G_USEC_PER_SEC)

typedef struct {
  gint64 time;
  guint64 bytes;
} Sample;

struct _VrJob {
  GObject parent_instance;

  guint id;
  char *type;
  char *target;
  GCancellable *cancellable;
  GMainContext *context;

  /* Written by the worker, read by anyone: under lock. */
  GMutex lock;
  VrJobState state;
  double fraction;
  char *phase;
  guint64 bytes_done;
  guint64 bytes_total;
  /* What the byte-moving steps behind moved, and the last one's figures:
   * a job that ended reports the bytes it moved, not the last step's 0. */
  guint64 moved_before;
  guint64 moved_before_total;
  guint64 moved_done;
  guint64 moved_total;
  GArray *samples;
  int error_code;
  char *error_description;
  gint64 start_time;
  gint64 start_monotonic;
  gint64 end_monotonic;
  GSource *notify_source;
};

enum {
  SIGNAL_CHANGED,
  SIGNAL_COMPLETED,
  N_SIGNALS,
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (VrJob, vr_job, G_TYPE_OBJECT)

typedef struct {
  VrJobFunc func;
  gpointer data;
  GDestroyNotify destroy;
} Work;

static const char *const state_names[] = {
  [VR_JOB_STATE_NEW] = "new",
  [VR_JOB_STATE_STARTING] = "starting",
  [VR_JOB_STATE_RUNNING] = "running",
  [VR_JOB_STATE_COMPLETED] = "completed",
  [VR_JOB_STATE_TERMINATED] = "terminated",
  [VR_JOB_STATE_KILLED] = "killed",
  [VR_JOB_STATE_EXCEPTION] = "exception",
};

const char *
vr_job_state_to_string (VrJobState state)
{
  if (state < G_N_ELEMENTS (state_names) && state_names[state] != NULL)
    return state_names[state];
  return "unknown";
}

static void
vr_job_finalize (GObject *object)
{
  VrJob *self = VR_JOB (object);

  if (self->notify_source != NULL)
    {
      g_source_destroy (self->notify_source);
      g_source_unref (self->notify_source);
    }
  g_free (self->type);
  g_free (self->target);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);
  g_free (self->phase);
  g_array_unref (self->samples);
  g_free (self->error_description);
  G_OBJECT_CLASS (vr_job_parent_class)->finalize (object);
}

static void
vr_job_class_init (VrJobClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vr_job_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                          NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_COMPLETED] = g_signal_new (
      "completed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_STRING);
}

static void
vr_job_init (VrJob *self)
{
  g_mutex_init (&self->lock);
  self->state = VR_JOB_STATE_NEW;
  self->cancellable = g_cancellable_new ();
  self->samples = g_array_new (FALSE, FALSE, sizeof (Sample));
}

VrJob *
vr_job_new (guint id, const char *type, const char *target)
{
  VrJob *self = g_object_new (VR_TYPE_JOB, NULL);

  self->id = id;
  self->type = g_strdup (type);
  self->target = g_strdup (target);
  return self;
}

static gboolean
emit_changed (gpointer user_data)
{
  VrJob *self = user_data;

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->notify_source, g_source_unref);
  g_mutex_unlock (&self->lock);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

/* Coalesces the worker's many updates into one "changed" per interval. */
static void
schedule_notify_locked (VrJob *self)
{
  if (self->notify_source != NULL || self->context == NULL)
    return;
  self->notify_source = g_timeout_source_new (NOTIFY_INTERVAL_MS);
  g_source_set_callback (self->notify_source, emit_changed,
                         g_object_ref (self), g_object_unref);
  g_source_attach (self->notify_source, self->context);
}

static void
add_sample_locked (VrJob *self, guint64 bytes)
{
  Sample sample = { g_get_monotonic_time (), bytes };

  /* A new byte-moving step starts counting again. */
  if (self->samples->len > 0
      && bytes < g_array_index (self->samples, Sample,
                                self->samples->len - 1).bytes)
    g_array_set_size (self->samples, 0);
  g_array_append_val (self->samples, sample);
  while (self->samples->len > 2
         && sample.time - g_array_index (self->samples, Sample, 0).time
                > RATE_WINDOW_US)
    g_array_remove_index (self->samples, 0);
}

/* A step that moves bytes starts from 0: what the one before moved is
 * carried. */
static void
count_moved_locked (VrJob *self, const VrProgressState *state)
{
  if (state->bytes_total == 0)
    return;
  if (state->bytes_done < self->moved_done)
    {
      self->moved_before += self->moved_done;
      self->moved_before_total += self->moved_total;
    }
  self->moved_done = state->bytes_done;
  self->moved_total = state->bytes_total;
}

static void
on_progress (const VrProgressState *state, gpointer user_data)
{
  VrJob *self = user_data;

  g_mutex_lock (&self->lock);
  self->fraction = state->fraction;
  if (g_strcmp0 (self->phase, state->phase) != 0)
    {
      g_free (self->phase);
      self->phase = g_strdup (state->phase);
    }
  self->bytes_done = state->bytes_done;
  self->bytes_total = state->bytes_total;
  count_moved_locked (self, state);
  add_sample_locked (self, state->bytes_done);
  schedule_notify_locked (self);
  g_mutex_unlock (&self->lock);
}

static void
run_worker (GTask *task, gpointer source, gpointer task_data,
            GCancellable *cancellable)
{
  VrJob *self = source;
  Work *work = task_data;
  g_autoptr (VrProgress) progress = vr_progress_new (on_progress, self);
  g_autoptr (GError) error = NULL;

  g_mutex_lock (&self->lock);
  self->state = VR_JOB_STATE_RUNNING;
  schedule_notify_locked (self);
  g_mutex_unlock (&self->lock);
  if (work->func (self, progress, cancellable, work->data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
work_free (gpointer data)
{
  Work *work = data;

  if (work->destroy != NULL)
    work->destroy (work->data);
  g_free (work);
}

static void
finish_locked (VrJob *self, const GError *error)
{
  self->end_monotonic = g_get_monotonic_time ();
  g_array_set_size (self->samples, 0);
  if (error == NULL)
    {
      self->state = VR_JOB_STATE_COMPLETED;
      self->fraction = 1.0;
      self->bytes_done = self->moved_before + self->moved_done;
      self->bytes_total = self->moved_before_total + self->moved_total;
      return;
    }
  self->state = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                    ? VR_JOB_STATE_TERMINATED
                    : VR_JOB_STATE_EXCEPTION;
  self->error_code = vr_error_get_code (error);
  self->error_description = vr_message_bounded (error->message);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VrJob *self = VR_JOB (source);
  g_autoptr (GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  g_mutex_lock (&self->lock);
  finish_locked (self, error);
  if (self->notify_source != NULL)
    {
      g_source_destroy (self->notify_source);
      g_clear_pointer (&self->notify_source, g_source_unref);
    }
  g_mutex_unlock (&self->lock);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  g_signal_emit (self, signals[SIGNAL_COMPLETED], 0, ok,
                 ok ? "" : error->message);
}

void
vr_job_start (VrJob *self, VrJobFunc func, gpointer data,
              GDestroyNotify destroy)
{
  vr_job_start_with (self, NULL, NULL, func, data, destroy);
}

void
vr_job_start_with (VrJob *self, VrJobRunner runner, gpointer runner_data,
                   VrJobFunc func, gpointer data, GDestroyNotify destroy)
{
  g_autoptr (GTask) task = g_task_new (self, self->cancellable, on_done, NULL);
  Work *work = g_new0 (Work, 1);

  g_return_if_fail (self->state == VR_JOB_STATE_NEW);
  work->func = func;
  work->data = data;
  work->destroy = destroy;
  self->context = g_main_context_ref_thread_default ();
  self->start_time = g_get_real_time ();
  self->start_monotonic = g_get_monotonic_time ();
  self->state = VR_JOB_STATE_STARTING;
  g_task_set_task_data (task, work, work_free);
  /* The worker checks the cancellable itself and rolls back first. */
  g_task_set_return_on_cancel (task, FALSE);
  if (runner != NULL)
    runner (task, run_worker, runner_data);
  else
    g_task_run_in_thread (task, run_worker);
}

void
vr_job_cancel (VrJob *self)
{
  g_cancellable_cancel (self->cancellable);
}

guint
vr_job_get_id (VrJob *self)
{
  return self->id;
}

const char *
vr_job_get_job_type (VrJob *self)
{
  return self->type;
}

const char *
vr_job_get_target (VrJob *self)
{
  return self->target;
}

VrJobState
vr_job_get_state (VrJob *self)
{
  VrJobState state;

  g_mutex_lock (&self->lock);
  state = self->state;
  g_mutex_unlock (&self->lock);
  return state;
}

gboolean
vr_job_is_finished (VrJob *self)
{
  VrJobState state = vr_job_get_state (self);

  return state >= VR_JOB_STATE_COMPLETED;
}

gboolean
vr_job_get_cancellable (VrJob *self)
{
  return !vr_job_is_finished (self);
}

guint
vr_job_get_percent (VrJob *self)
{
  guint percent;

  g_mutex_lock (&self->lock);
  percent = (guint) (self->fraction * 100.0 + 0.5);
  g_mutex_unlock (&self->lock);
  return MIN (percent, 100);
}

char *
vr_job_dup_phase (VrJob *self)
{
  char *phase;

  g_mutex_lock (&self->lock);
  phase = g_strdup (self->phase);
  g_mutex_unlock (&self->lock);
  return phase;
}

void
vr_job_get_bytes (VrJob *self, guint64 *done, guint64 *total)
{
  g_mutex_lock (&self->lock);
  *done = self->bytes_done;
  *total = self->bytes_total;
  g_mutex_unlock (&self->lock);
}

static guint64
rate_locked (VrJob *self)
{
  Sample first;
  Sample last;

  if (self->samples->len < 2)
    return 0;
  first = g_array_index (self->samples, Sample, 0);
  last = g_array_index (self->samples, Sample, self->samples->len - 1);
  if (last.time <= first.time || last.bytes < first.bytes)
    return 0;
  return (last.bytes - first.bytes) * G_USEC_PER_SEC / (last.time - first.time);
}

guint64
vr_job_get_rate (VrJob *self)
{
  guint64 rate;

  g_mutex_lock (&self->lock);
  rate = rate_locked (self);
  g_mutex_unlock (&self->lock);
  return rate;
}

gint64
vr_job_get_eta (VrJob *self)
{
  gint64 eta = -1;
  guint64 rate;

  g_mutex_lock (&self->lock);
  rate = rate_locked (self);
  if (rate > 0 && self->bytes_total >= self->bytes_done)
    eta = (self->bytes_total - self->bytes_done) / rate;
  g_mutex_unlock (&self->lock);
  return eta;
}

int
vr_job_get_error_code (VrJob *self)
{
  int code;

  g_mutex_lock (&self->lock);
  code = self->error_code;
  g_mutex_unlock (&self->lock);
  return code;
}

char *
vr_job_dup_error_description (VrJob *self)
{
  char *text;

  g_mutex_lock (&self->lock);
  text = g_strdup (self->error_description);
  g_mutex_unlock (&self->lock);
  return text;
}

gint64
vr_job_get_start_time (VrJob *self)
{
  return self->start_time;
}

gint64
vr_job_get_elapsed (VrJob *self)
{
  gint64 elapsed;

  g_mutex_lock (&self->lock);
  if (self->start_monotonic == 0)
    elapsed = 0;
  else if (self->end_monotonic != 0)
    elapsed = self->end_monotonic - self->start_monotonic;
  else
    elapsed = g_get_monotonic_time () - self->start_monotonic;
  g_mutex_unlock (&self->lock);
  return elapsed;
}
