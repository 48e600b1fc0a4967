/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "progress.h"

G_BEGIN_DECLS

/* CIM job states (Msvm_ConcreteJob.JobState). */
typedef enum {
  VR_JOB_STATE_NEW = 2,
  VR_JOB_STATE_STARTING = 3,
  VR_JOB_STATE_RUNNING = 4,
  VR_JOB_STATE_COMPLETED = 7,
  VR_JOB_STATE_TERMINATED = 8,
  VR_JOB_STATE_KILLED = 9,
  VR_JOB_STATE_EXCEPTION = 10,
} VrJobState;

const char *vr_job_state_to_string (VrJobState state);

/* One long operation (a realize, an export…) run by a backend function on
 * a worker thread (GTask) with a GCancellable and weighted progress. What
 * the worker reports reaches the job's main context as "changed" at most
 * ten times a second; "completed" (success, message) comes once, last. The
 * agent exports the same object on D-Bus; the CLI watches it in-process. */
#define VR_TYPE_JOB (vr_job_get_type ())
G_DECLARE_FINAL_TYPE (VrJob, vr_job, VR, JOB, GObject)

/* Runs on the worker thread; progress is the job's own. */
typedef gboolean (*VrJobFunc) (VrJob *job,
                               VrProgress *progress,
                               GCancellable *cancellable,
                               gpointer data,
                               GError **error);

VrJob *vr_job_new (guint id, const char *type, const char *target);

/* Starts func on a worker thread; signals are emitted in the thread-default
 * main context of the caller. data is freed with destroy when the job is
 * done. */
void vr_job_start (VrJob *job,
                   VrJobFunc func,
                   gpointer data,
                   GDestroyNotify destroy);

/* Runs a job's worker (a GTaskThreadFunc of task) on a thread of the
 * caller's choosing, as g_task_run_in_thread would: a queue with its own
 * order and bounds (the agent's imports). The job stays Starting until
 * the worker runs. */
typedef void (*VrJobRunner) (GTask *task,
                             GTaskThreadFunc worker,
                             gpointer runner_data);

/* vr_job_start(), the worker run by runner (NULL: GLib's pool). */
void vr_job_start_with (VrJob *job,
                        VrJobRunner runner,
                        gpointer runner_data,
                        VrJobFunc func,
                        gpointer data,
                        GDestroyNotify destroy);

/* Asks the worker to stop; it rolls back and the job ends Terminated. */
void vr_job_cancel (VrJob *job);

guint vr_job_get_id (VrJob *job);
const char *vr_job_get_job_type (VrJob *job);
const char *vr_job_get_target (VrJob *job);
VrJobState vr_job_get_state (VrJob *job);
gboolean vr_job_is_finished (VrJob *job);
gboolean vr_job_get_cancellable (VrJob *job);
/* 0–100 */
guint vr_job_get_percent (VrJob *job);
char *vr_job_dup_phase (VrJob *job);
void vr_job_get_bytes (VrJob *job, guint64 *done, guint64 *total);
/* Bytes a second over the last few seconds; 0 when nothing moves. */
guint64 vr_job_get_rate (VrJob *job);
/* Seconds left at the current rate, or -1 when unknown. */
gint64 vr_job_get_eta (VrJob *job);
/* VR_ERROR code of the failure (0 on success or while running). */
int vr_job_get_error_code (VrJob *job);
char *vr_job_dup_error_description (VrJob *job);
/* Microseconds since the epoch; 0 before the start. */
gint64 vr_job_get_start_time (VrJob *job);
/* Microseconds of running, frozen at the end. */
gint64 vr_job_get_elapsed (VrJob *job);

G_END_DECLS
