/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "dbus-job.h"

#include "auth.h"
#include "dbus-errors.h"
#include "errors.h"
#include "object-path.h"
#include "realize-job.h"

struct _VrJobObject {
  VrDBusJobSkeleton parent_instance;

  gboolean session; /* on a session bus: see vr_auth_check_async */
  guint id;
  char *path;
  char *system_uuid;
  guint owner_uid;
  VrRealizeOptions options;
  char *pool;
  char *pool_dir;
  char *host;
  VrJob *job; /* NULL while queued, and for an interrupted job */
  gboolean running_shown; /* "running" emitted */
  gboolean finished;
  gboolean success;  /* of the realize, between "finished" and the end */
  char *message;
};

enum {
  SIGNAL_RUNNING,
  SIGNAL_FINISHED,
  SIGNAL_ENDED,
  N_SIGNALS,
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (VrJobObject, vr_job_object, VR_DBUS_TYPE_JOB_SKELETON)

/* What a job is from its start: its path, type, target and starter. The
 * target's name too: a client lists the job after the planned system is
 * destroyed, when its path names nothing. */
static void
set_identity (VrJobObject *self, const char *job_type,
              const char *target_name)
{
  /* An import's planned system is not there yet: "/" names none. */
  g_autofree char *target = self->system_uuid
                                ? vr_object_path_for_system (self->system_uuid)
                                : g_strdup ("/");

  self->path = g_strdup_printf (VR_DBUS_JOBS_PREFIX "%u", self->id);
  vr_dbus_job_set_job_type (VR_DBUS_JOB (self), job_type);
  vr_dbus_job_set_target (VR_DBUS_JOB (self), target);
  vr_dbus_job_set_target_name (VR_DBUS_JOB (self), target_name);
  vr_dbus_job_set_started_by_uid (VR_DBUS_JOB (self), self->owner_uid);
  vr_dbus_job_set_job_state (VR_DBUS_JOB (self), VR_JOB_STATE_NEW);
  vr_dbus_job_set_phase (VR_DBUS_JOB (self), "");
  vr_dbus_job_set_error_description (VR_DBUS_JOB (self), "");
}

/* The VrJob's state into the exported properties. */
static void
sync_properties (VrJobObject *self)
{
  VrDBusJob *iface = VR_DBUS_JOB (self);
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
      g_signal_emit (self, signals[SIGNAL_RUNNING], 0);
    }
}

/* What only the realize needed: the caller's import folder (an open
 * descriptor, with its parsed XML) and the sizes counted for it. An
 * ended job is kept JobKeepSeconds for its outcome only; kept with it,
 * a user's cancelled realizes held 1000 of the agent's descriptors
 * (eighteenth review F5). */
static void
release_options (VrJobObject *self)
{
  g_clear_pointer (&self->options.import_dir, vr_import_dir_free);
  g_clear_pointer (&self->options.counted_sizes, g_hash_table_unref);
}

static void
end (VrJobObject *self, gboolean success, const char *message)
{
  self->finished = TRUE;
  release_options (self);
  vr_dbus_job_set_cancellable (VR_DBUS_JOB (self), FALSE);
  vr_dbus_job_emit_completed (VR_DBUS_JOB (self), success, message);
  g_signal_emit (self, signals[SIGNAL_ENDED], 0);
}

/* The planned system as the job left it is on its object before the job
 * says it ended (the daemon sees to it on "finished", then calls this): a
 * client that reads it on Completed sees the outcome. */
void
vr_job_object_end (VrJobObject *self)
{
  g_return_if_fail (self->job != NULL && !self->finished);
  self->finished = TRUE;
  sync_properties (self);
  end (self, self->success, self->message);
}

static void
on_completed (VrJob *job, gboolean success, const char *message,
              gpointer user_data)
{
  VrJobObject *self = user_data;

  self->success = success;
  self->message = g_strdup (message);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, success, message);
}

/* Cancel: the job's own starter may cancel it under the cancel-job action;
 * anybody else needs cancel-job-other-user (admin by default). The call
 * holds the job: one that ended (and maybe left the bus) meanwhile is
 * told so. */
typedef struct {
  VrJobObject *job;
  GDBusMethodInvocation *invocation;
} CancelCall;

static void
cancel_call_free (CancelCall *call)
{
  g_object_unref (call->job);
  g_object_unref (call->invocation);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CancelCall, cancel_call_free)

static gboolean
refuse_ended (CancelCall *call)
{
  if (!call->job->finished)
    return FALSE;
  vr_dbus_return_error_printf (call->invocation, VR_ERROR_INVALID_STATE,
                               "job %u has ended already", call->job->id);
  return TRUE;
}

static void
on_cancel_authorized (GObject *source, GAsyncResult *result,
                      gpointer user_data)
{
  g_autoptr (CancelCall) call = user_data;
  g_autoptr (GError) error = NULL;
  guint uid;

  if (!vr_auth_check_finish (result, &uid, &error))
    {
      vr_dbus_return_error (call->invocation, error);
      return;
    }
  if (refuse_ended (call))
    return;
  vr_job_object_cancel (call->job);
  vr_dbus_job_complete_cancel (VR_DBUS_JOB (call->job), call->invocation);
}

static void
on_cancel_uid (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (CancelCall) call = user_data;
  g_autoptr (GError) error = NULL;
  GDBusMethodInvocation *invocation;
  VrJobObject *self = call->job;
  guint uid;

  if (!vr_auth_get_uid_finish (result, &uid, &error))
    {
      vr_dbus_return_error (call->invocation, error);
      return;
    }
  if (refuse_ended (call))
    return;
  invocation = call->invocation;
  vr_auth_check_async (invocation, self->session,
                       uid == self->owner_uid ? "cancel-job"
                                              : "cancel-job-other-user",
                       NULL, on_cancel_authorized, g_steal_pointer (&call));
}

static gboolean
handle_cancel (VrDBusJob *iface, GDBusMethodInvocation *invocation,
               gpointer user_data)
{
  CancelCall *call = g_new0 (CancelCall, 1);

  call->job = g_object_ref (user_data);
  call->invocation = g_object_ref (invocation);
  vr_auth_get_uid_async (invocation, on_cancel_uid, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static VrJobObject *
job_object_new (guint id, const char *uuid, const char *name, guint owner_uid,
                const char *job_type)
{
  VrJobObject *self = g_object_new (VR_TYPE_JOB_OBJECT, NULL);

  self->id = id;
  self->system_uuid = g_strdup (uuid);
  self->owner_uid = owner_uid;
  set_identity (self, job_type, name);
  /* Its own signal: gone with it, nothing to disconnect. */
  g_signal_connect (self, "handle-cancel", G_CALLBACK (handle_cancel), self);
  return self;
}

VrJobObject *
vr_job_object_new_realize (guint id, VrPlannedSystem *system,
                           const VrRealizeOptions *options, guint owner_uid,
                           gboolean session)
{
  VrJobObject *self = job_object_new (
      id, vr_planned_system_get_uuid (system),
      vr_planned_system_get_name (system), owner_uid, "realize");

  self->options = *options;
  self->pool = g_strdup (options->pool);
  self->pool_dir = g_strdup (options->pool_dir);
  self->options.pool = self->pool;
  self->options.pool_dir = self->pool_dir;
  self->session = session;
  if (options->import_dir != NULL)
    self->options.import_dir = vr_import_dir_ref (options->import_dir);
  if (options->counted_sizes != NULL)
    g_hash_table_ref (options->counted_sizes);
  self->host = g_strdup (options->host);
  self->options.host = self->host;
  vr_dbus_job_set_cancellable (VR_DBUS_JOB (self), TRUE);
  return self;
}

VrJobObject *
vr_job_object_new_interrupted (guint id, VrPlannedSystem *system)
{
  VrJobObject *self = job_object_new (
      id, vr_planned_system_get_uuid (system),
      vr_planned_system_get_name (system), 0, "realize");
  const char *message = vr_planned_system_get_last_job_message (system);
  int code = vr_planned_system_get_last_job_code (system);
  g_autofree char *description = NULL;

  if (message == NULL)
    message = "";
  description = g_str_has_prefix (message, "interrupted")
                    ? g_strdup (message)
                    : g_strdup_printf ("interrupted: %s", message);
  self->finished = TRUE;
  vr_dbus_job_set_job_state (VR_DBUS_JOB (self), VR_JOB_STATE_EXCEPTION);
  vr_dbus_job_set_error_code (VR_DBUS_JOB (self),
                              code != 0 ? code : VR_ERROR_FAILED);
  vr_dbus_job_set_error_description (VR_DBUS_JOB (self), description);
  vr_dbus_job_set_cancellable (VR_DBUS_JOB (self), FALSE);
  return self;
}

void
vr_job_object_fail_to_begin (VrJobObject *self, const GError *error)
{
  g_return_if_fail (self->job == NULL && !self->finished);
  vr_dbus_job_set_job_state (VR_DBUS_JOB (self), VR_JOB_STATE_EXCEPTION);
  vr_dbus_job_set_error_code (VR_DBUS_JOB (self), vr_error_get_code (error));
  vr_dbus_job_set_error_description (VR_DBUS_JOB (self), error->message);
  end (self, FALSE, error->message);
}

VrJobObject *
vr_job_object_new_import (guint id, const char *name, guint owner_uid,
                          gboolean session)
{
  VrJobObject *self = job_object_new (id, NULL, name, owner_uid, "import");

  self->session = session;
  vr_dbus_job_set_cancellable (VR_DBUS_JOB (self), TRUE);
  return self;
}

void
vr_job_object_set_target (VrJobObject *self, VrPlannedSystem *system)
{
  g_autofree char *target = NULL;

  g_return_if_fail (self->system_uuid == NULL);
  self->system_uuid = g_strdup (vr_planned_system_get_uuid (system));
  target = vr_object_path_for_system (self->system_uuid);
  vr_dbus_job_set_target (VR_DBUS_JOB (self), target);
  vr_dbus_job_set_target_name (VR_DBUS_JOB (self),
                               vr_planned_system_get_name (system));
}

void
vr_job_object_run (VrJobObject *self, VrJob *job)
{
  g_return_if_fail (self->job == NULL && !self->finished);
  self->job = g_object_ref (job);
  g_signal_connect (self->job, "changed", G_CALLBACK (on_changed), self);
  g_signal_connect (self->job, "completed", G_CALLBACK (on_completed), self);
  sync_properties (self);
}

void
vr_job_object_begin (VrJobObject *self, VrStore *store, VrHostCaps *caps,
                     virConnectPtr conn, VrPlannedSystem *system)
{
  g_autoptr (VrJob) job = vr_realize_job_start (self->id, store, caps, conn,
                                                system, &self->options);

  vr_job_object_run (self, job);
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
  vr_dbus_job_set_job_state (VR_DBUS_JOB (self), VR_JOB_STATE_TERMINATED);
  g_set_error (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
               "cancelled before it started");
  vr_dbus_job_set_error_code (VR_DBUS_JOB (self), vr_error_get_code (error));
  vr_dbus_job_set_error_description (VR_DBUS_JOB (self), error->message);
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
  g_free (self->path);
  g_free (self->system_uuid);
  g_free (self->pool);
  g_free (self->pool_dir);
  g_free (self->message);
  release_options (self);
  g_free (self->host);
  G_OBJECT_CLASS (vr_job_object_parent_class)->finalize (object);
}

static void
vr_job_object_class_init (VrJobObjectClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vr_job_object_finalize;
  /* Once, when the realize runs: its planned system is realizing. */
  signals[SIGNAL_RUNNING] = g_signal_new ("running",
                                          G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                          NULL, G_TYPE_NONE, 0);
  /* Once, when the realize is over: vr_job_object_end() follows. */
  signals[SIGNAL_FINISHED] = g_signal_new (
      "finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
      NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_STRING);
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
vr_job_object_get_host (VrJobObject *self)
{
  return self->host;
}

const char *
vr_job_object_get_system_uuid (VrJobObject *self)
{
  return self->system_uuid;
}

gboolean
vr_job_object_is_finished (VrJobObject *self)
{
  return self->finished;
}
