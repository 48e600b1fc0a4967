/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.virtrealize.Realize1.PlannedSystem: one object per planned system. */
#include "config.h"

#include <string.h>

#include "daemon.h"
#include "dbus-planned-skeleton.h"
#include "dbus-errors.h"
#include "errors.h"
#include "findings.h"
#include "validate.h"

/* What a handler needs: the planned system is looked up again in the store
 * by UUID for every call, so it is never stale. */
typedef struct {
  VrDaemon *daemon;
  char *uuid;
} Target;

static void
target_free (gpointer data)
{
  Target *target = data;

  g_free (target->uuid);
  g_free (target);
}

static VrPlannedSystem *
lookup (Target *target, GError **error)
{
  return vr_store_lookup (vr_daemon_get_store (target->daemon), target->uuid,
                          error);
}

void
vr_planned_object_update (VrDBusObjectSkeleton *object,
                          VrPlannedSystem *system)
{
  g_autoptr (VrDBusPlannedSystem) iface = vr_dbus_object_get_planned_system (
      VR_DBUS_OBJECT (object));
  const char *domain = vr_planned_system_get_domain (system);
  const char *message = vr_planned_system_get_last_job_message (system);

  vr_dbus_planned_system_set_name (iface, vr_planned_system_get_name (system));
  vr_dbus_planned_system_set_uuid (iface, vr_planned_system_get_uuid (system));
  vr_dbus_planned_system_set_state (
      iface, vr_planned_state_to_string (vr_planned_system_get_state (system)));
  vr_dbus_planned_system_set_has_saved_state (
      iface, vr_planned_system_get_save_file (system) != NULL);
  vr_dbus_planned_system_set_import_directory (
      iface, vr_planned_system_get_import_dir (system));
  vr_dbus_planned_system_set_domain (iface, domain ? domain : "");
  vr_dbus_planned_system_set_last_job_code (
      iface, vr_planned_system_get_last_job_code (system));
  vr_dbus_planned_system_set_last_job_message (iface, message ? message : "");
  vr_planned_skeleton_changed (iface);
}

/* Validate: findings are made on a worker thread. */

typedef struct {
  VrHostCaps *caps;
  VrStore *store;
  VrPlannedSystem *system;
  GDBusMethodInvocation *invocation;
} ValidateCall;

static void
validate_call_free (gpointer data)
{
  ValidateCall *call = data;

  g_clear_object (&call->caps);
  g_clear_object (&call->store);
  g_clear_object (&call->system);
  g_clear_object (&call->invocation);
  g_free (call);
}

static char *
findings_to_json (GPtrArray *findings)
{
  g_autoptr (JsonArray) array = json_array_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < findings->len; i++)
    json_array_add_element (array, vr_finding_to_json (findings->pdata[i]));
  json_node_set_array (node, array);
  return json_to_string (node, FALSE);
}

static void
validate_thread (GTask *task, gpointer source, gpointer task_data,
                 GCancellable *cancellable)
{
  ValidateCall *call = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) findings = vr_validate_planned (
      call->caps, call->store, call->system, &error);
  g_autofree char *json = NULL;

  if (findings == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  json = findings_to_json (findings);
  g_task_return_pointer (
      task,
      g_variant_ref_sink (g_variant_new (
          "(us)", vr_findings_count (findings, VR_SEVERITY_ERROR), json)),
      (GDestroyNotify) g_variant_unref);
}

static void
validate_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ValidateCall *call = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_task_propagate_pointer (G_TASK (result),
                                                         &error);

  if (reply == NULL)
    vr_dbus_return_error (call->invocation, error);
  else
    g_dbus_method_invocation_return_value (call->invocation, reply);
}

static void
validate_authorized (VrDaemon *daemon, GDBusMethodInvocation *invocation,
                     guint uid, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = g_task_new (NULL, NULL, validate_done, NULL);
  ValidateCall *call = g_new0 (ValidateCall, 1);
  virConnectPtr conn = NULL;

  g_task_set_task_data (task, call, validate_call_free);
  call->invocation = g_object_ref (invocation);
  call->store = g_object_ref (vr_daemon_get_store (daemon));
  call->system = lookup (data, &error);
  target_free (data);
  if (call->system == NULL
      || !vr_daemon_ref_libvirt (daemon, &conn, &call->caps, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The caps keep their own reference on the connection. */
  virConnectClose (conn);
  g_task_run_in_thread (task, validate_thread);
}

static Target *
target_copy (Target *target)
{
  Target *copy = g_new0 (Target, 1);

  copy->daemon = target->daemon;
  copy->uuid = g_strdup (target->uuid);
  return copy;
}

/* A method whose options are all reserved (options may be NULL for none)
 * and whose authorized part needs only the target. */
static gboolean
authorize_target (GDBusMethodInvocation *invocation, GVariant *options,
                  Target *target, const char *action, VrAuthorizedFunc func)
{
  g_autoptr (GError) error = NULL;

  if (options != NULL && !vr_daemon_check_options (options, NULL, &error))
    vr_dbus_return_error (invocation, error);
  else
    vr_daemon_authorize (target->daemon, invocation, action, func,
                         target_copy (target), target_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_validate (VrDBusPlannedSystem *iface,
                 GDBusMethodInvocation *invocation, GVariant *options,
                 gpointer user_data)
{
  return authorize_target (invocation, options, user_data, "validate",
                           validate_authorized);
}

/* Realize */

typedef struct {
  Target *target;
  VrRealizeOptions options;
  char *pool;
  char *pool_dir;
} RealizeCall;

static void
realize_call_free (gpointer data)
{
  RealizeCall *call = data;

  target_free (call->target);
  g_free (call->pool);
  g_free (call->pool_dir);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RealizeCall, realize_call_free)

static gboolean
parse_realize_options (GVariant *options, RealizeCall *call, GError **error)
{
  static const char *const known[] = { "pool", "pool-dir", "handoff",
                                       "start", "copy-disks", NULL };
  g_autofree char *handoff = NULL;

  if (!vr_daemon_check_options (options, known, error)
      || !vr_daemon_option_string (options, "pool", &call->pool, error)
      || !vr_daemon_option_string (options, "pool-dir", &call->pool_dir, error)
      || !vr_daemon_option_string (options, "handoff", &handoff, error)
      || !vr_daemon_option_boolean (options, "start", &call->options.start, error)
      || !vr_daemon_option_boolean (options, "copy-disks", &call->options.copy_disks,
                          error))
    return FALSE;
  if (call->pool_dir != NULL && !g_path_is_absolute (call->pool_dir))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "option 'pool-dir' must be an absolute path, not '%s'",
                   call->pool_dir);
      return FALSE;
    }
  if (handoff != NULL
      && !vr_handoff_from_string (handoff, &call->options.handoff))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "option 'handoff' must be auto, link or managedsave, "
                   "not '%s'", handoff);
      return FALSE;
    }
  call->options.pool = call->pool;
  call->options.pool_dir = call->pool_dir;
  return TRUE;
}

static void
realize_authorized (VrDaemon *daemon, GDBusMethodInvocation *invocation,
                    guint uid, gpointer data)
{
  g_autoptr (RealizeCall) call = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = lookup (call->target, &error);
  const char *path;

  if (system == NULL)
    {
      vr_dbus_return_error (invocation, error);
      return;
    }
  if (vr_planned_system_get_state (system) == VR_PLANNED_STATE_REALIZED)
    {
      vr_dbus_return_error_printf (
          invocation, VR_ERROR_INVALID_STATE,
          "planned system '%s' is realized already (as domain '%s'); "
          "destroy it to forget it", vr_planned_system_get_name (system),
          vr_planned_system_get_domain (system));
      return;
    }
  /* Every realize is a job, one without saved state too: it is
   * journaled, counts against --max-jobs, is cancelled at shutdown and
   * makes its planned system busy. */
  path = vr_daemon_queue_realize (daemon, system, &call->options, uid,
                                  &error);
  if (path == NULL)
    {
      vr_dbus_return_error (invocation, error);
      return;
    }
  g_dbus_method_invocation_return_value (
      invocation, g_variant_new ("(uos)", VR_ERROR_JOB_STARTED, path, ""));
}

static gboolean
handle_realize (VrDBusPlannedSystem *iface, GDBusMethodInvocation *invocation,
                GVariant *options, gpointer user_data)
{
  Target *target = user_data;
  g_autoptr (RealizeCall) call = g_new0 (RealizeCall, 1);
  g_autoptr (GError) error = NULL;

  call->target = target_copy (target);
  if (!parse_realize_options (options, call, &error))
    {
      vr_dbus_return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  vr_daemon_authorize (target->daemon, invocation, "realize",
                       realize_authorized, g_steal_pointer (&call),
                       realize_call_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* GetDomainXML */

static void
get_domain_xml_authorized (VrDaemon *daemon, GDBusMethodInvocation *invocation,
                           guint uid, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = lookup (data, &error);
  GVariant *xml;

  target_free (data);
  if (system == NULL)
    {
      vr_dbus_return_error (invocation, error);
      return;
    }
  xml = g_variant_new_take_string (vr_planned_system_dup_domain_xml (system));
  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new_tuple (&xml, 1));
}

static gboolean
handle_get_domain_xml (VrDBusPlannedSystem *iface,
                       GDBusMethodInvocation *invocation, GVariant *options,
                       gpointer user_data)
{
  return authorize_target (invocation, options, user_data, "list",
                           get_domain_xml_authorized);
}

/* Update */

typedef struct {
  Target *target;
  char *xml;
} UpdateCall;

static void
update_call_free (gpointer data)
{
  UpdateCall *call = data;

  target_free (call->target);
  g_free (call->xml);
  g_free (call);
}

static gboolean
update (VrDaemon *daemon, UpdateCall *call, GError **error)
{
  VrStore *store = vr_daemon_get_store (daemon);
  g_autoptr (VrPlannedSystem) system = lookup (call->target, error);
  g_autoptr (VrStoreLock) lock = NULL;
  VrPlannedState state;

  if (system == NULL)
    return FALSE;
  /* A realize holds the lock: the XML may not change under it. */
  lock = vr_store_lock (store, system, error);
  if (lock == NULL)
    return FALSE;
  state = vr_planned_system_get_state (system);
  if (state != VR_PLANNED_STATE_PLANNED && state != VR_PLANNED_STATE_FAILED)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_STATE,
                   "planned system '%s' is %s: only a planned or failed one "
                   "can be updated", vr_planned_system_get_name (system),
                   vr_planned_state_to_string (state));
      return FALSE;
    }
  if (!vr_planned_system_set_domain_xml (system, call->xml, strlen (call->xml),
                                         error)
      || !vr_store_save (store, system, error))
    return FALSE;
  vr_daemon_export_system (daemon, system);
  return TRUE;
}

static void
update_authorized (VrDaemon *daemon, GDBusMethodInvocation *invocation,
                   guint uid, gpointer data)
{
  g_autoptr (GError) error = NULL;

  if (update (daemon, data, &error))
    g_dbus_method_invocation_return_value (invocation, NULL);
  else
    vr_dbus_return_error (invocation, error);
  update_call_free (data);
}

static gboolean
handle_update (VrDBusPlannedSystem *iface, GDBusMethodInvocation *invocation,
               const char *xml, GVariant *options, gpointer user_data)
{
  Target *target = user_data;
  g_autoptr (GError) error = NULL;
  UpdateCall *call;

  if (!vr_daemon_check_options (options, NULL, &error))
    {
      vr_dbus_return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  call = g_new0 (UpdateCall, 1);
  call->target = target_copy (target);
  call->xml = g_strdup (xml);
  vr_daemon_authorize (target->daemon, invocation, "update",
                       update_authorized, call, update_call_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Destroy */

static void
destroy_authorized (VrDaemon *daemon, GDBusMethodInvocation *invocation,
                    guint uid, gpointer data)
{
  g_autoptr (GError) error = NULL;
  Target *target = data;
  g_autoptr (VrPlannedSystem) system = lookup (target, &error);

  /* A queued job holds no lock yet, but would find its system gone. */
  if (system != NULL && vr_daemon_system_busy (daemon, target->uuid))
    g_set_error (&error, VR_ERROR, VR_ERROR_IN_USE,
                 "planned system '%s' is busy: a job of it is queued or "
                 "running", vr_planned_system_get_name (system));
  if (error != NULL
      || !vr_store_remove (vr_daemon_get_store (daemon), system, &error))
    vr_dbus_return_error (invocation, error);
  else
    {
      vr_daemon_unexport_system (daemon, target->uuid);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  target_free (target);
}

static gboolean
handle_destroy (VrDBusPlannedSystem *iface, GDBusMethodInvocation *invocation,
                gpointer user_data)
{
  return authorize_target (invocation, NULL, user_data, "destroy",
                           destroy_authorized);
}

VrDBusObjectSkeleton *
vr_planned_object_new (VrDaemon *daemon, VrPlannedSystem *system)
{
  const char *uuid = vr_planned_system_get_uuid (system);
  g_autofree char *path = vr_daemon_system_path (uuid);
  VrDBusObjectSkeleton *object = vr_dbus_object_skeleton_new (path);
  g_autoptr (VrDBusPlannedSystem) iface = vr_planned_skeleton_new ();
  Target *target = g_new0 (Target, 1);

  target->daemon = daemon;
  target->uuid = g_strdup (uuid);
  /* The handlers' data lives as long as the interface. */
  g_object_set_data_full (G_OBJECT (iface), "vr-target", target, target_free);
  g_signal_connect (iface, "handle-validate", G_CALLBACK (handle_validate),
                    target);
  g_signal_connect (iface, "handle-realize", G_CALLBACK (handle_realize),
                    target);
  g_signal_connect (iface, "handle-get-domain-xml",
                    G_CALLBACK (handle_get_domain_xml), target);
  g_signal_connect (iface, "handle-update", G_CALLBACK (handle_update),
                    target);
  g_signal_connect (iface, "handle-destroy", G_CALLBACK (handle_destroy),
                    target);
  vr_dbus_object_skeleton_set_planned_system (object, iface);
  vr_planned_object_update (object, system);
  return object;
}
