/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "dbus-job.h"

#include "auth.h"
#include "dbus-errors.h"
#include "errors.h"
#include "object-path.h"
#include "realize-job.h"

struct _VrJobObject {
  GObject parent_instance;

  VrDaemon *daemon;
  guint id;
  char *path;
  char *system_uuid;
  guint owner_uid;
  VrRealizeOptions options;
  char *pool;
  char *pool_dir;
  char *host;
  VrDBusObjectSkeleton *object;
  VrDBusJob *iface;
  VrJob *job; /* NULL while queued, and for an interrupted job */
  gboolean running_shown; /* the planned system shown realizing */
  gboolean finished;
};

enum {
  SIGNAL_ENDED,
  N_SIGNALS,
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (VrJobObject, vr_job_object, G_TYPE_OBJECT)

static void
export (VrJobObject *self, const char *job_type)
{
  g_autoptr (GDBusObjectManagerServer) manager = NULL;
  g_autofree char *target = vr_object_path_for_system (self->system_uuid);

  self->path = g_strdup_printf (VR_DBUS_JOBS_PREFIX "%u", self->id);
  self->object = vr_dbus_object_skeleton_new (self->path);
  self->iface = vr_dbus_job_skeleton_new ();
  vr_dbus_job_set_job_type (self->iface, job_type);
  vr_dbus_job_set_target (self->iface, target);
  vr_dbus_job_set_started_by_uid (self->iface, self->owner_uid);
  vr_dbus_job_set_job_state (self->iface, VR_JOB_STATE_NEW);
  vr_dbus_job_set_phase (self->iface, "");
  vr_dbus_job_set_error_description (self->iface, "");
  vr_dbus_object_skeleton_set_job (self->object, self->iface);
}

/* The VrJob's state into the exported properties. */
static void
sync_properties (VrJobObject *self)
{
  VrDBusJob *iface = self->iface;
  g_autofree char *phase = vr_job_dup_phase (self->job);
  g_autofree char *description = vr_job_dup_error_description (self->job);
  guint64 done;
  guint64 total;

  VrJobState state = vr_job_get_state (self->job);

  vr_job_get_bytes (self->job, &done, &total);
  /* A final state goes out with Completed (end_after_refresh), not a
   * moment before it: a client that sees it may read the outcome. */
  if (self->finished || state < VR_JOB_STATE_COMPLETED)
    vr_dbus_job_set_job_state (iface, state);
  vr_dbus_job_set_phase (iface, phase ? phase : "");
  vr_dbus_job_set_percent_complete (iface, vr_job_get_percent (self->job));
  vr_dbus_job_set_bytes_done (iface, done);
  vr_dbus_job_set_bytes_total (iface, total);
  vr_dbus_job_set_rate (iface, vr_job_get_rate (self->job));
  vr_dbus_job_set_error_code (iface, vr_job_get_error_code (self->job));
  vr_dbus_job_set_error_description (iface, description ? description : "");
  vr_dbus_job_set_cancellable (iface, vr_job_get_cancellable (self->job));
  vr_dbus_job_set_start_time (iface, vr_job_get_start_time (self->job));
  vr_dbus_job_set_elapsed_time (iface, vr_job_get_elapsed (self->job));
}

/* Progress comes ten times a second: it only sets properties. That the
 * planned system is realizing is known from the job (the backend wrote it
 * to the record before its first step), not read again. */
static void
on_changed (VrJob *job, gpointer user_data)
{
  VrJobObject *self = user_data;

  sync_properties (self);
  if (!self->running_shown && vr_job_get_state (job) == VR_JOB_STATE_RUNNING)
    {
      self->running_shown = TRUE;
      vr_daemon_set_system_state (self->daemon, self->system_uuid,
                                  VR_PLANNED_STATE_REALIZING);
    }
}

static void
end (VrJobObject *self, gboolean success, const char *message)
{
  self->finished = TRUE;
  vr_dbus_job_set_cancellable (self->iface, FALSE);
  vr_dbus_job_emit_completed (self->iface, success, message);
  g_signal_emit (self, signals[SIGNAL_ENDED], 0);
}

typedef struct {
  VrJobObject *job;
  gboolean success;
  char *message;
} Ending;

static void
ending_free (gpointer data)
{
  Ending *ending = data;

  g_free (ending->message);
  g_free (ending);
}

/* The planned system as the job left it is on its object before the job
 * says it ended: a client that reads it on Completed sees the outcome.
 * (The daemon keeps the job until vr_daemon_job_ended.) */
static gboolean
end_after_refresh (gpointer data)
{
  Ending *ending = data;

  ending->job->finished = TRUE;
  sync_properties (ending->job);
  end (ending->job, ending->success, ending->message);
  return G_SOURCE_REMOVE;
}

static void
on_completed (VrJob *job, gboolean success, const char *message,
              gpointer user_data)
{
  VrJobObject *self = user_data;
  Ending *ending = g_new0 (Ending, 1);

  ending->job = self;
  ending->success = success;
  ending->message = g_strdup (message);
  vr_daemon_refresh_system (self->daemon, self->system_uuid,
                            end_after_refresh, ending, ending_free);
}

/* Cancel: the job's own starter may cancel it under the cancel-job action;
 * anybody else needs cancel-job-other-user (admin by default). */
typedef struct {
  VrDaemon *daemon;
  guint id;
  GDBusMethodInvocation *invocation;
} CancelCall;

static void
cancel_call_free (CancelCall *call)
{
  g_object_unref (call->invocation);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CancelCall, cancel_call_free)

static void
on_cancel_authorized (GObject *source, GAsyncResult *result,
                      gpointer user_data)
{
  g_autoptr (CancelCall) call = user_data;
  g_autoptr (GError) error = NULL;
  VrJobObject *self;
  guint uid;

  if (!vr_auth_check_finish (result, &uid, &error))
    {
      vr_dbus_return_error (call->invocation, error);
      return;
    }
  self = vr_daemon_lookup_job (call->daemon, call->id);
  if (self == NULL || self->finished)
    {
      vr_dbus_return_error_printf (call->invocation, VR_ERROR_INVALID_STATE,
                                   "job %u has ended already", call->id);
      return;
    }
  vr_job_object_cancel (self);
  vr_dbus_job_complete_cancel (self->iface, call->invocation);
}

static void
on_cancel_uid (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (CancelCall) call = user_data;
  g_autoptr (GError) error = NULL;
  VrJobObject *self = vr_daemon_lookup_job (call->daemon, call->id);
  GDBusMethodInvocation *invocation;
  gboolean session;
  guint uid;

  if (!vr_auth_get_uid_finish (result, &uid, &error))
    {
      vr_dbus_return_error (call->invocation, error);
      return;
    }
  if (self == NULL)
    {
      vr_dbus_return_error_printf (call->invocation, VR_ERROR_INVALID_STATE,
                                   "job %u has ended already", call->id);
      return;
    }
  invocation = call->invocation;
  session = vr_daemon_is_session (call->daemon);
  vr_auth_check_async (invocation, session,
                       uid == self->owner_uid ? "cancel-job"
                                              : "cancel-job-other-user",
                       NULL, on_cancel_authorized, g_steal_pointer (&call));
}

static gboolean
handle_cancel (VrDBusJob *iface, GDBusMethodInvocation *invocation,
               gpointer user_data)
{
  VrJobObject *self = user_data;
  CancelCall *call = g_new0 (CancelCall, 1);

  /* The job may go while polkit answers: keep its id, not a pointer. */
  call->daemon = self->daemon;
  call->id = self->id;
  call->invocation = g_object_ref (invocation);
  vr_auth_get_uid_async (invocation, on_cancel_uid, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static VrJobObject *
job_object_new (VrDaemon *daemon, guint id, const char *system_uuid,
                guint owner_uid, const char *job_type)
{
  VrJobObject *self = g_object_new (VR_TYPE_JOB_OBJECT, NULL);

  self->daemon = daemon;
  self->id = id;
  self->system_uuid = g_strdup (system_uuid);
  self->owner_uid = owner_uid;
  export (self, job_type);
  g_signal_connect (self->iface, "handle-cancel", G_CALLBACK (handle_cancel),
                    self);
  return self;
}

VrJobObject *
vr_job_object_new_realize (VrDaemon *daemon, guint id,
                           VrPlannedSystem *system,
                           const VrRealizeOptions *options, guint owner_uid)
{
  VrJobObject *self = job_object_new (
      daemon, id, vr_planned_system_get_uuid (system), owner_uid, "realize");

  self->options = *options;
  self->pool = g_strdup (options->pool);
  self->pool_dir = g_strdup (options->pool_dir);
  self->options.pool = self->pool;
  self->options.pool_dir = self->pool_dir;
  self->host = g_strdup (options->host);
  self->options.host = self->host;
  vr_dbus_job_set_cancellable (self->iface, TRUE);
  return self;
}

VrJobObject *
vr_job_object_new_interrupted (VrDaemon *daemon, guint id,
                               VrPlannedSystem *system)
{
  VrJobObject *self = job_object_new (
      daemon, id, vr_planned_system_get_uuid (system), 0, "realize");
  const char *message = vr_planned_system_get_last_job_message (system);
  int code = vr_planned_system_get_last_job_code (system);
  g_autofree char *description = NULL;

  if (message == NULL)
    message = "";
  description = g_str_has_prefix (message, "interrupted")
                    ? g_strdup (message)
                    : g_strdup_printf ("interrupted: %s", message);
  self->finished = TRUE;
  vr_dbus_job_set_job_state (self->iface, VR_JOB_STATE_EXCEPTION);
  vr_dbus_job_set_error_code (self->iface,
                              code != 0 ? code : VR_ERROR_FAILED);
  vr_dbus_job_set_error_description (self->iface, description);
  vr_dbus_job_set_cancellable (self->iface, FALSE);
  return self;
}

static void
fail_to_begin (VrJobObject *self, const GError *error)
{
  vr_dbus_job_set_job_state (self->iface, VR_JOB_STATE_EXCEPTION);
  vr_dbus_job_set_error_code (self->iface, vr_error_get_code (error));
  vr_dbus_job_set_error_description (self->iface, error->message);
  end (self, FALSE, error->message);
}

/* The planned system is read on a worker, after any work on it asked for
 * before (an Update waits no more than it did on the main loop). */
static void
lookup_thread (GTask *task, gpointer source, gpointer task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;
  VrPlannedSystem *system = vr_store_lookup (
      vr_daemon_get_store (VR_DAEMON (source)), task_data, &error);

  if (system != NULL)
    g_task_return_pointer (task, system, g_object_unref);
  else
    g_task_return_error (task, error);
}

static void
begin (VrJobObject *self, VrPlannedSystem *system)
{
  g_autoptr (GError) error = NULL;
  virConnectPtr conn = NULL;
  g_autoptr (VrHostCaps) caps = NULL;

  if (system == NULL
      || !vr_daemon_ref_host (self->daemon, self->options.host, "host",
                              &conn, &caps, &error))
    {
      fail_to_begin (self, error);
      return;
    }
  self->job = vr_realize_job_start (self->id,
                                    vr_daemon_get_store (self->daemon), caps,
                                    conn, system, &self->options);
  virConnectClose (conn);
  g_signal_connect (self->job, "changed", G_CALLBACK (on_changed), self);
  g_signal_connect (self->job, "completed", G_CALLBACK (on_completed), self);
  sync_properties (self);
}

static void
lookup_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VrJobObject *self = vr_daemon_lookup_job (VR_DAEMON (source),
                                            GPOINTER_TO_UINT (user_data));
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = g_task_propagate_pointer (
      G_TASK (result), &error);

  /* Cancelled (and maybe expired) while the record was read. */
  if (self == NULL || self->finished || self->job != NULL)
    return;
  if (system == NULL)
    fail_to_begin (self, error);
  else
    begin (self, system);
}

void
vr_job_object_start (VrJobObject *self)
{
  g_autoptr (GTask) task = g_task_new (self->daemon, NULL, lookup_done,
                                       GUINT_TO_POINTER (self->id));

  g_return_if_fail (self->job == NULL && !self->finished);
  g_task_set_task_data (task, g_strdup (self->system_uuid), g_free);
  vr_daemon_run_system_work (self->daemon, self->system_uuid, task,
                             lookup_thread);
}

void
vr_job_object_cancel (VrJobObject *self)
{
  g_autoptr (GError) error = NULL;

  if (self->finished)
    return;
  if (self->job != NULL)
    {
      vr_job_cancel (self->job);
      return;
    }
  vr_dbus_job_set_job_state (self->iface, VR_JOB_STATE_TERMINATED);
  g_set_error (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
               "cancelled before it started");
  vr_dbus_job_set_error_code (self->iface, vr_error_get_code (error));
  vr_dbus_job_set_error_description (self->iface, error->message);
  end (self, FALSE, error->message);
}

static void
vr_job_object_finalize (GObject *object)
{
  VrJobObject *self = VR_JOB_OBJECT (object);

  if (self->job != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->job, self);
      g_object_unref (self->job);
    }
  g_signal_handlers_disconnect_by_data (self->iface, self);
  g_object_unref (self->iface);
  g_object_unref (self->object);
  g_free (self->path);
  g_free (self->system_uuid);
  g_free (self->pool);
  g_free (self->pool_dir);
  g_free (self->host);
  G_OBJECT_CLASS (vr_job_object_parent_class)->finalize (object);
}

static void
vr_job_object_class_init (VrJobObjectClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vr_job_object_finalize;
  /* Once, after Completed: the daemon frees the job's place. */
  signals[SIGNAL_ENDED] = g_signal_new ("ended", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                        NULL, G_TYPE_NONE, 0);
}

static void
vr_job_object_init (VrJobObject *self)
{
}

guint
vr_job_object_get_id (VrJobObject *self)
{
  return self->id;
}

const char *
vr_job_object_get_path (VrJobObject *self)
{
  return self->path;
}

const char *
vr_job_object_get_system_uuid (VrJobObject *self)
{
  return self->system_uuid;
}

gboolean
vr_job_object_is_queued (VrJobObject *self)
{
  return self->job == NULL && !self->finished;
}

gboolean
vr_job_object_is_finished (VrJobObject *self)
{
  return self->finished;
}

GDBusObjectSkeleton *
vr_job_object_get_object (VrJobObject *self)
{
  return G_DBUS_OBJECT_SKELETON (self->object);
}
