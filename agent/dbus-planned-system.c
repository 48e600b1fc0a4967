/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.virtrealize.Realize1.PlannedSystem: one object per planned system. */
#include "config.h"

#include "dbus-planned-system.h"

#include <gio/gunixfdlist.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "caller-access.h"
#include "caller-watch.h"
#include "dbus-errors.h"
#include "dbus-planned-skeleton.h"
#include "domain-xml.h"
#include "errors.h"
#include "findings.h"
#include "host-access.h"
#include "object-path.h"
#include "options.h"
#include "pool-access.h"
#include "realize-limits.h"
#include "realized-domain.h"
#include "safe-xml.h"
#include "test-hooks.h"
#include "validate.h"
#include "place.h"

/* What a handler needs: the planned system is looked up again in the store
 * by UUID for every call, so it is never stale. */
typedef struct {
  VrAgentContext *context;
  char *uuid;
  gboolean secrets; /* GetDomainXML only */
  char *xml;        /* Update only */
  guint uid;        /* Update: the caller, once authorized */
  gboolean held;    /* Update: one of uid's validations (MaxValidationsPerUser) */
  char *host;       /* Validate: option host (a listed host), or NULL */
  VrPlace *place;   /* Place: its hosts, or NULL */
  virConnectPtr conn; /* CheckDomain: the agent's connection, referenced */
  GDBusMethodInvocation *invocation; /* once on a worker */
  /* Who imported it (FALSE/0 for a record from before owners), kept
   * from the record so that the owner check on the main loop reads no
   * disk (set by vr_planned_object_update; an owner never changes). */
  gboolean has_owner;
  guint owner;
  gboolean has_author; /* the last to import or update it, likewise */
  guint author;
} Target;

static void
target_free (gpointer data)
{
  Target *target = data;

  if (target->held)
    vr_user_quotas_release_validation (
        vr_agent_context_get_user_quotas (target->context), target->uid);
  g_free (target->uuid);
  g_free (target->xml);
  g_free (target->host);
  g_clear_pointer (&target->place, vr_place_free);
  g_clear_pointer (&target->conn, virConnectClose);
  g_clear_object (&target->invocation);
  g_free (target);
}

/* The authorized part of a method, on a worker after the work on the same
 * planned system asked for before (the store's reads and writes never
 * hold up the main loop); done comes in the main context. */
static void
run_on_system (Target *target, GDBusMethodInvocation *invocation,
               GTaskThreadFunc func, GAsyncReadyCallback done)
{
  g_autoptr (GTask) task = g_task_new (target->context, NULL, done, NULL);

  target->invocation = g_object_ref (invocation);
  g_task_set_task_data (task, target, target_free);
  vr_agent_context_run_system_work (target->context, target->uuid, task, func);
}

static VrPlannedSystem *
lookup (Target *target, GError **error)
{
  return vr_store_lookup (vr_agent_context_get_store (target->context),
                          target->uuid, error);
}

static const char *
or_empty (const char *text)
{
  return text ? text : "";
}

/* What `virt-realize show` prints, as the in-process one does. */
static void
vr_planned_object_update_details (VrDBusPlannedSystem *iface,
                                  VrPlannedSystem *system)
{
  GPtrArray *snapshots = vr_planned_system_get_snapshots (system);
  GDateTime *created = vr_planned_system_get_created (system);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  for (guint i = 0; snapshots != NULL && i < snapshots->len; i++)
    g_ptr_array_add (names, snapshots->pdata[i]);
  g_ptr_array_add (names, NULL);
  vr_dbus_planned_system_set_save_file (
      iface, or_empty (vr_planned_system_get_save_file (system)));
  vr_dbus_planned_system_set_save_size (
      iface, vr_planned_system_get_save_size (system));
  vr_dbus_planned_system_set_save_was_running (
      iface, vr_planned_system_get_save_was_running (system));
  vr_dbus_planned_system_set_saved_state_discarded (
      iface, vr_planned_system_get_saved_state_discarded (system));
  vr_dbus_planned_system_set_nvram_file (
      iface, or_empty (vr_planned_system_get_nvram_file (system)));
  vr_dbus_planned_system_set_nvram_size (
      iface, vr_planned_system_get_nvram_size (system));
  vr_dbus_planned_system_set_tpm_folder (
      iface, or_empty (vr_planned_system_get_tpm_folder (system)));
  vr_dbus_planned_system_set_tpm_discarded (
      iface, vr_planned_system_get_tpm_discarded (system));
  vr_dbus_planned_system_set_snapshots (
      iface, (const char *const *) names->pdata);
  vr_dbus_planned_system_set_current_snapshot (
      iface, or_empty (vr_planned_system_get_current_snapshot (system)));
  vr_dbus_planned_system_set_memory (
      iface, vr_planned_system_get_memory_kib (system));
  vr_dbus_planned_system_set_vcpus (iface,
                                    vr_planned_system_get_vcpus (system));
  vr_dbus_planned_system_set_created (
      iface, g_date_time_to_unix (created) * G_USEC_PER_SEC
                 + g_date_time_get_microsecond (created));
}

void
vr_planned_object_update (VrDBusObjectSkeleton *object,
                          VrPlannedSystem *system)
{
  g_autoptr (VrDBusPlannedSystem) iface = vr_dbus_object_get_planned_system (
      VR_DBUS_OBJECT (object));
  const char *domain = vr_planned_system_get_domain (system);
  const char *connection = vr_planned_system_get_connection (system);
  const char *message = vr_planned_system_get_last_job_message (system);
  Target *target = g_object_get_data (G_OBJECT (iface), "vr-target");

  vr_dbus_planned_system_set_name (iface, vr_planned_system_get_name (system));
  vr_dbus_planned_system_set_uuid (iface, vr_planned_system_get_uuid (system));
  vr_dbus_planned_system_set_state (
      iface, vr_planned_state_to_string (vr_planned_system_get_state (system)));
  vr_dbus_planned_system_set_has_saved_state (
      iface, vr_planned_system_get_save_file (system) != NULL);
  vr_dbus_planned_system_set_import_directory (
      iface, vr_planned_system_get_import_dir (system));
  vr_dbus_planned_system_set_domain (iface, domain ? domain : "");
  vr_dbus_planned_system_set_connection (iface, connection ? connection : "");
  vr_dbus_planned_system_set_last_job_code (
      iface, vr_planned_system_get_last_job_code (system));
  vr_dbus_planned_system_set_last_job_message (iface, message ? message : "");
  vr_planned_object_update_details (iface, system);
  vr_planned_skeleton_changed (iface);
  if (target != NULL)
    {
      target->has_owner = vr_planned_system_get_owner (system,
                                                       &target->owner);
      target->has_author = vr_planned_system_get_author (system,
                                                         &target->author);
    }
}

/* Option import-dir (h) of the call, as a descriptor of ours, or -1. */
static int
take_import_fd (GDBusMethodInvocation *invocation)
{
  GDBusMessage *message = g_dbus_method_invocation_get_message (invocation);
  GUnixFDList *fds = g_dbus_message_get_unix_fd_list (message);
  g_autoptr (GVariant) options = g_variant_get_child_value (
      g_dbus_method_invocation_get_parameters (invocation), 0);
  gint32 handle = -1;

  if (fds == NULL
      || !g_variant_lookup (options, "import-dir", "h", &handle)
      || handle < 0 || handle >= g_unix_fd_list_get_length (fds))
    return -1;
  return g_unix_fd_list_get (fds, handle, NULL);
}

/* The caller shows again that they may read the import directory: by a
 * descriptor they opened (option import-dir, fd >= 0), which must be the
 * folder that was imported and whose files they may still read (then
 * *out is it, to read instead of the path); without one, the agent reads
 * it by path only below the folders agent.conf trusts. */
static gboolean
check_import_dir (VrAgentContext *context, VrPlannedSystem *system, int fd,
                  guint uid, VrImportDir **out, GError **error)
{
  const char *path = vr_planned_system_get_import_dir (system);
  g_autoptr (VrImportDir) dir = NULL;
  g_autoptr (VrCaller) caller = NULL;

  if (fd < 0)
    {
      if (vr_host_access_path_inside (
              path, vr_agent_context_get_trusted_import_dirs (context)))
        return TRUE;
      g_set_error (error, VR_ERROR, VR_ERROR_ACCESS_DENIED,
                   "the agent reads %s again only from a descriptor the "
                   "caller opened (option import-dir, as virt-realize "
                   "passes it) or below a folder %s trusts "
                   "(TrustedImportDirs)",
                   path, vr_agent_context_get_config_path (context));
      return FALSE;
    }
  caller = vr_caller_new (uid);
  /* Nothing of it is parsed before the caller is known to be allowed to
   * read it. */
  if (!vr_caller_check_dir_fd (fd, error)
      || !vr_caller_check_import_fd (fd, NULL, caller, error))
    return FALSE;
  dir = vr_import_dir_open_fd_as (fd, caller, error);
  if (dir == NULL)
    return FALSE;
  if (!vr_planned_system_is_import_dir (system, dir))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_ACCESS_DENIED,
                   "the descriptor passed as import-dir is not %s, the "
                   "directory that was imported", path);
      return FALSE;
    }
  if (out != NULL)
    *out = g_steal_pointer (&dir);
  return TRUE;
}

/* Validate: findings are made on a worker thread. */

typedef struct {
  VrHostCaps *caps;
  VrStore *store;
  Target *target;
  VrPlannedSystem *system;
  GDBusMethodInvocation *invocation;
  VrValidateOptions options;
  VrAgentContext *context;
  guint uid;
  int import_fd; /* option import-dir, or -1 */
  char *host;    /* option host, or NULL */
  guint watch;   /* cancels the task when the caller leaves */
  gboolean held; /* one of uid's validations (MaxValidationsPerUser) */
} ValidateCall;

static void
validate_call_free (gpointer data)
{
  ValidateCall *call = data;

  if (call->held)
    vr_user_quotas_release_validation (
        vr_agent_context_get_user_quotas (call->context), call->uid);
  g_clear_object (&call->caps);
  g_clear_object (&call->store);
  g_clear_object (&call->system);
  g_clear_object (&call->invocation);
  g_clear_object (&call->context);
  if (call->import_fd >= 0)
    close (call->import_fd);
  if (call->watch != 0)
    g_bus_unwatch_name (call->watch);
  g_clear_pointer (&call->target, target_free);
  g_free (call->host);
  g_free (call);
}

static void
validate_thread (GTask *task, gpointer source, gpointer task_data,
                 GCancellable *cancellable)
{
  ValidateCall *call = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (VrImportDir) dir = NULL;
  g_autoptr (GPtrArray) findings = NULL;
  g_autofree char *json = NULL;

  call->system = lookup (call->target, &error);
  if (call->system == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!vr_agent_context_is_session (call->context)
      && !check_import_dir (call->context, call->system, call->import_fd,
                            call->uid, &dir, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  call->options.import_dir = dir;
  call->options.cancellable = cancellable;
  vr_agent_context_index_options (call->context, &call->options);
  if (call->target->place != NULL)
    {
      g_task_return_pointer (
          task,
          g_variant_ref_sink (vr_place_run (call->target->place, call->store,
                                            call->system, &call->options)),
          (GDestroyNotify) g_variant_unref);
      return;
    }
  findings = vr_validate_planned_with (call->caps, call->store, call->system,
                                       &call->options, &error);
  if (findings == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  json = vr_findings_to_json (findings);
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
validate_start (VrAgentContext *context, GDBusMethodInvocation *invocation,
                gpointer data, guint uid, gboolean host_access_allowed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, validate_done,
                                       NULL);
  ValidateCall *call = g_new0 (ValidateCall, 1);
  virConnectPtr conn = NULL;

  call->options.host_access_allowed = host_access_allowed;
  call->options.caller_known = TRUE;
  call->options.caller_uid = uid;
  call->options.bridges = vr_agent_context_get_bridges (context);
  call->context = g_object_ref (context);
  call->uid = uid;
  call->import_fd = take_import_fd (invocation);
  g_task_set_task_data (task, call, validate_call_free);
  call->watch = vr_caller_watch (invocation, cancellable);
  call->invocation = g_object_ref (invocation);
  call->store = g_object_ref (vr_agent_context_get_store (context));
  call->target = data;
  call->host = g_strdup (call->target->host);
  /* Each validation is root's CPU; a caller runs only so many at once
   * (seventh review F4: six of a 40,000-disk XML all ran). */
  call->held = vr_user_quotas_hold_validation (
      vr_agent_context_get_user_quotas (context), uid, &error);
  if (!call->held)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Place holds its hosts' connections already. */
  if (call->target->place != NULL)
    {
      g_task_run_in_thread (task, validate_thread);
      return;
    }
  if (!vr_agent_context_ref_host (context, call->host, "host", &conn,
                                  &call->caps, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The caps keep their own reference on the connection. */
  virConnectClose (conn);
  g_task_run_in_thread (task, validate_thread);
}

/* The report says what a realize by this caller would meet: what
 * reaches into the host is an error unless they hold the host-access
 * right already (asked without a password dialog: validating never
 * prompts for it). */
typedef struct {
  VrAgentContext *context;
  GDBusMethodInvocation *invocation;
  gpointer target;
  guint uid;
} ValidateRight;

static void
on_validate_right (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ValidateRight *right = user_data;
  guint uid;
  gboolean allowed = vr_auth_check_finish (result, &uid, NULL);

  validate_start (right->context, right->invocation, right->target, right->uid,
                  allowed);
  g_object_unref (right->invocation);
  g_free (right);
}

static void
validate_authorized (VrAgentContext *context, GDBusMethodInvocation *invocation,
                     guint uid, gpointer data)
{
  ValidateRight *right = g_new0 (ValidateRight, 1);
  Target *target = data;
  g_auto (GStrv) details = target->place
                               ? vr_place_details (target->place)
                               : vr_agent_context_host_details (context,
                                                                target->host);

  right->context = context;
  right->invocation = g_object_ref (invocation);
  right->target = data;
  right->uid = uid;
  /* The same host details as "validate": a rule may allow host access
   * on one host only. */
  vr_auth_check_details_async (invocation,
                               vr_agent_context_is_session (context),
                               VR_ACTION_HOST_ACCESS, FALSE,
                               (const char *const *) details, NULL,
                               on_validate_right, right);
}

static Target *
target_copy (Target *target)
{
  Target *copy = g_new0 (Target, 1);

  copy->context = target->context;
  copy->uuid = g_strdup (target->uuid);
  copy->has_owner = target->has_owner;
  copy->owner = target->owner;
  copy->has_author = target->has_author;
  copy->author = target->author;
  copy->host = g_strdup (target->host);
  return copy;
}

/* Another user's planned system: a caller who is neither its owner (who
 * imported it) nor root needs manage-others (auth_admin) on top of the
 * method's own action before func runs. */

typedef struct {
  Target *target;
  VrAuthorizedFunc func;
  gpointer data;
  GDestroyNotify destroy;
  GDBusMethodInvocation *invocation;
  guint uid;
  gboolean author_ok; /* the author (who last wrote the XML) needs none */
  gboolean claims;    /* realize, update: the UUID's holder's right */
  gboolean taken;     /* another user holds its UUID (uuid-owners.h) */
  char **details;     /* the method's host details, for manage-others */
} OwnCall;

static void
own_call_free (OwnCall *call)
{
  target_free (call->target);
  g_strfreev (call->details);
  if (call->data != NULL && call->destroy != NULL)
    call->destroy (call->data);
  g_clear_object (&call->invocation);
  g_free (call);
}

static void
own_call_run (OwnCall *call)
{
  call->func (call->target->context, call->invocation, call->uid,
              g_steal_pointer (&call->data));
  own_call_free (call);
}

static void
on_manage_others (GObject *source, GAsyncResult *result, gpointer user_data)
{
  OwnCall *call = user_data;
  g_autoptr (GError) error = NULL;
  guint uid;

  if (vr_auth_check_finish (result, &uid, &error))
    {
      own_call_run (call);
      return;
    }
  if (call->taken)
    {
      g_clear_error (&error);
      vr_uuid_owners_check (
          vr_agent_context_get_uuid_owners (call->target->context), NULL,
          call->target->uuid, call->uid, FALSE, &error);
    }
  vr_dbus_return_error (call->invocation, error);
  own_call_free (call);
}

static void
owner_check (VrAgentContext *context, GDBusMethodInvocation *invocation,
             guint uid, gpointer data)
{
  OwnCall *call = data;
  guint holder = 0;

  call->uid = uid;
  call->invocation = g_object_ref (invocation);
  /* A planned system imported before its UUID's holder was known (an
   * older agent) is realized or changed by that holder, or with
   * manage-others (ninth review, F3). */
  call->taken = call->claims
                && vr_uuid_owners_held_by_other (
                       vr_agent_context_get_uuid_owners (context), NULL,
                       call->target->uuid, uid, &holder);
  /* The owner and author as the object knows them: no record is read on
   * the main loop. A record with no owner is another user's for all but
   * root. */
  if (uid == 0
      || (!call->taken
          && ((call->target->has_owner && call->target->owner == uid)
              || (call->author_ok && call->target->has_author
                  && call->target->author == uid))))
    {
      own_call_run (call);
      return;
    }
  vr_auth_check_details_async (invocation,
                               vr_agent_context_is_session (context),
                               VR_ACTION_MANAGE_OTHERS, TRUE,
                               (const char *const *) call->details, NULL,
                               on_manage_others, call);
}

/* details: polkit's (vr_agent_context_host_details), may be NULL. */
static void
authorize_own_full (Target *target, GDBusMethodInvocation *invocation,
                    const char *action, const char *const *details,
                    gboolean author_ok, VrAuthorizedFunc func, gpointer data,
                    GDestroyNotify destroy)
{
  OwnCall *call = g_new0 (OwnCall, 1);

  call->author_ok = author_ok;
  call->claims = g_str_equal (action, "realize")
                 || g_str_equal (action, "update");
  call->details = g_strdupv ((char **) details);
  call->target = target_copy (target);
  call->func = func;
  call->data = data;
  call->destroy = destroy;
  vr_agent_context_authorize_details (target->context, invocation, action,
                                      details, owner_check, call,
                                      (GDestroyNotify) own_call_free);
}

static void
authorize_own (Target *target, GDBusMethodInvocation *invocation,
               const char *action, VrAuthorizedFunc func, gpointer data,
               GDestroyNotify destroy)
{
  authorize_own_full (target, invocation, action, NULL, FALSE, func, data,
                      destroy);
}

static gboolean
handle_validate (VrDBusPlannedSystem *iface,
                 GDBusMethodInvocation *invocation, GVariant *options,
                 gpointer user_data)
{
  static const char *const known[] = { "import-dir", "host", NULL };
  Target *target = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *host = NULL;
  g_auto (GStrv) details = NULL;
  Target *copy;

  if (!vr_options_check_known (options, known, &error)
      || !vr_option_host (options, &host, &error)
      || (host != NULL
          && vr_host_connections_resolve (
                 vr_agent_context_get_hosts (target->context), host, "host",
                 &error)
                 == NULL))
    {
      vr_dbus_return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  details = vr_agent_context_host_details (target->context, host);
  copy = target_copy (target);
  copy->host = g_steal_pointer (&host);
  /* The findings tell what is in the import directory, read as root
   * (below TrustedImportDirs): another user's system is for its owner,
   * its author or manage-others. */
  authorize_own_full (target, invocation, "validate",
                      (const char *const *) details, TRUE,
                      validate_authorized, copy, target_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Place: Validate on several listed hosts (place.c). */
static gboolean
handle_place (VrDBusPlannedSystem *iface, GDBusMethodInvocation *invocation,
              GVariant *options, gpointer user_data)
{
  static const char *const known[] = { "import-dir", "hosts", "copy-disks",
                                       NULL };
  Target *target = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) hosts = g_variant_lookup_value (options, "hosts",
                                                       NULL);
  g_autofree const char **names = NULL;
  gboolean copy_disks = FALSE;
  g_auto (GStrv) details = NULL;
  Target *copy;

  if (hosts != NULL && !g_variant_is_of_type (hosts, G_VARIANT_TYPE ("as")))
    g_set_error (&error, VR_ERROR, VR_ERROR_INCORRECT_TYPE,
                 "option 'hosts' must be an array of strings (as), not %s",
                 g_variant_get_type_string (hosts));
  else if (vr_options_check_known (options, known, &error)
           && vr_option_boolean (options, "copy-disks", &copy_disks,
                                 &error))
    names = hosts ? g_variant_get_strv (hosts, NULL) : NULL;
  copy = target_copy (target);
  if (error == NULL)
    copy->place = vr_place_new (target->context, names, copy_disks, &error);
  if (error != NULL)
    {
      target_free (copy);
      vr_dbus_return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  details = vr_place_details (copy->place);
  authorize_own_full (target, invocation, "validate",
                      (const char *const *) details, TRUE,
                      validate_authorized, copy, target_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Realize */

typedef struct {
  Target *target;
  VrRealizeOptions options;
  char *pool;
  char *pool_dir;
  char *host;
  VrRealizeHold *hold; /* the caller's limits, until the job ends */
} RealizeCall;

static void
realize_call_free (gpointer data)
{
  RealizeCall *call = data;

  target_free (call->target);
  g_free (call->pool);
  g_free (call->pool_dir);
  vr_import_dir_free (call->options.import_dir);
  g_clear_pointer (&call->options.counted_sizes, g_hash_table_unref);
  g_free (call->host);
  vr_realize_hold_release (call->hold);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RealizeCall, realize_call_free)

/* A host must be one agent.conf lists; a pool-dir is a folder on this
 * host, which a realize onto another cannot write into. */
static gboolean
parse_realize_options (GVariant *options, RealizeCall *call, GError **error)
{
  VrHostConnections *hosts = vr_agent_context_get_hosts (call->target->context);

  if (!vr_realize_options_parse (options, &call->options, &call->pool,
                                 &call->pool_dir, error)
      || !vr_option_host (options, &call->host, error))
    return FALSE;
  if (call->host == NULL)
    return TRUE;
  if (vr_host_connections_resolve (hosts, call->host, "host", error) == NULL)
    return FALSE;
  if (call->pool_dir != NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "option 'pool-dir' is a folder on this host; with option "
                   "'host' name a pool of that host ('pool')");
      return FALSE;
    }
  call->options.host = call->host;
  return TRUE;
}

/* system as read on the worker (host_access_thread). */
static void
realize_queue (VrAgentContext *context, GDBusMethodInvocation *invocation,
               guint uid, RealizeCall *data, VrPlannedSystem *system)
{
  g_autoptr (RealizeCall) call = data;
  g_autoptr (GError) error = NULL;
  const char *path;

  /* Realizing: the queue answers that it is busy (32774). */
  if (vr_planned_system_get_state (system) == VR_PLANNED_STATE_REALIZED
      && !vr_planned_system_check_realizable (system, &error))
    {
      vr_dbus_return_error (invocation, error);
      return;
    }
  /* Host access is judged with the caller's uid against the XML's
   * author (vr_planned_system_author_may_reach_host). */
  call->options.caller_known = TRUE;
  call->options.caller_uid = uid;
  call->options.bridges = vr_agent_context_get_bridges (context);
  /* Every realize is a job, one without saved state too: it is
   * journaled, counts against --max-jobs, is cancelled at shutdown and
   * makes its planned system busy. */
  path = vr_agent_context_queue_realize (context, system, &call->options, uid,
                                         g_steal_pointer (&call->hold), &error);
  if (path == NULL)
    {
      vr_dbus_return_error (invocation, error);
      return;
    }
  g_dbus_method_invocation_return_value (
      invocation, g_variant_new ("(uos)", VR_ERROR_JOB_STARTED, path, ""));
}

/* Realize, before the job: a pool-dir must be one the administrator
 * allows; XML that reaches into the host (VR1801-VR1809, in the
 * planned XML or the save image's) needs the host-access right on top
 * of "realize"; the realize itself checks again, refusing them unless
 * that right was granted, so an Update in between gains nothing. */
typedef struct {
  VrAgentContext *context;
  GDBusMethodInvocation *invocation;
  guint uid;
  RealizeCall *call;
  VrHostCaps *caps;
  virConnectPtr conn;
  VrPlannedSystem *system;
  int import_fd; /* option import-dir, or -1 */
  GError *lookup_error;  /* why system is NULL */
  GError *libvirt_error; /* why conn is NULL */
  GError *pool_error;
  GPtrArray *findings;
} HostAccessStep;

static void
host_access_step_free (HostAccessStep *step)
{
  g_clear_object (&step->invocation);
  if (step->call != NULL)
    realize_call_free (step->call);
  g_clear_object (&step->caps);
  g_clear_pointer (&step->conn, virConnectClose);
  g_clear_object (&step->system);
  g_clear_error (&step->pool_error);
  g_clear_error (&step->lookup_error);
  g_clear_error (&step->libvirt_error);
  if (step->import_fd >= 0)
    close (step->import_fd);
  g_clear_pointer (&step->findings, g_ptr_array_unref);
  g_free (step);
}

static void
host_access_step_continue (HostAccessStep *step)
{
  realize_queue (step->context, step->invocation, step->uid,
                 g_steal_pointer (&step->call), step->system);
  host_access_step_free (step);
}

static char *
describe_findings (GPtrArray *findings)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *finding = findings->pdata[i];

      if (finding->severity != VR_SEVERITY_ERROR)
        continue;
      g_string_append_printf (text, "%s%s %s (%s)", text->len ? "; " : "",
                              finding->id, finding->message,
                              finding->source ? finding->source : "");
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
on_host_access_right (GObject *source, GAsyncResult *result,
                      gpointer user_data)
{
  HostAccessStep *step = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *found = NULL;
  guint uid;

  if (vr_auth_check_finish (result, &uid, &error))
    {
      step->call->options.host_access_allowed = TRUE;
      host_access_step_continue (step);
      return;
    }
  found = describe_findings (step->findings);
  vr_dbus_return_error_printf (
      step->invocation, VR_ERROR_ACCESS_DENIED,
      "%s; planned system '%s' reaches into the host: %s",
      error->message, vr_planned_system_get_name (step->system), found);
  host_access_step_free (step);
}

static void
host_access_thread (GTask *task, gpointer source, gpointer task_data,
                    GCancellable *cancellable)
{
  HostAccessStep *step = task_data;
  VrValidateOptions options = {
    .pool_dir = step->call->options.pool_dir,
    .bridges = vr_agent_context_get_bridges (step->context),
    .caller_known = TRUE,
    .caller_uid = step->uid,
  };
  VrAgentContext *context = step->context;
  g_autoptr (VrImportDir) dir = NULL;

  /* Without the system the realize answers why; without libvirt nothing
   * here can be checked, so nothing goes on. */
  step->system = lookup (step->call->target, &step->lookup_error);
  if (step->system == NULL || step->libvirt_error != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* A pool-dir is where root writes: only where the administrator said.
   * (On a session bus the agent has only its caller's rights.) */
  if (!vr_agent_context_is_session (context)
      && ((options.pool_dir != NULL
           && !vr_pool_dir_check_caller (
               step->conn, options.pool_dir, step->uid,
               vr_agent_context_get_pool_dirs (context),
               vr_agent_context_get_config_path (context),
               &step->call->options.pool_dev, &step->call->options.pool_ino,
               &step->pool_error))
          || !check_import_dir (context, step->system, step->import_fd,
                                step->uid, &dir, &step->pool_error)))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* One user's guests run on everyone's host and fill its pools
   * (agent.conf limits): counted with the realizes already checked, and
   * this one held until its job ends. */
  if (!vr_agent_context_is_session (context))
    {
      step->call->hold = vr_realize_limits_hold (
          vr_agent_context_get_realize_limits (context),
          vr_agent_context_get_realize_holds (context),
          vr_agent_context_get_store (context), step->conn, step->system, dir,
          step->call->options.copy_disks, step->uid,
          vr_agent_context_get_config_path (context), &step->pool_error);
      if (step->call->hold == NULL)
        {
          g_task_return_boolean (task, TRUE);
          return;
        }
      step->call->options.charged_bytes
          = vr_realize_hold_get_bytes (step->call->hold);
      step->call->options.counted_sizes
          = vr_realize_hold_get_sizes (step->call->hold);
    }
  /* Judged on the descriptor the caller handed over, not by path: a
   * folder swapped at that path would be judged instead of theirs. */
  options.import_dir = dir;
  step->findings = vr_validate_host_access (step->caps, step->system,
                                            &options, NULL);
  /* The realize job reads the folder from the same descriptor: a
   * caller's folder is never opened by its path as root. */
  step->call->options.import_dir = g_steal_pointer (&dir);
  g_task_return_boolean (task, TRUE);
}

static void
host_access_found (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HostAccessStep *step = user_data;
  g_auto (GStrv) details = NULL;
  const GError *error = step->lookup_error ? step->lookup_error
                      : step->libvirt_error ? step->libvirt_error
                                            : step->pool_error;

  if (error != NULL)
    {
      vr_dbus_return_error (step->invocation, error);
      host_access_step_free (step);
      return;
    }
  /* A warning (a fixed console port) is no more than the caller could
   * do themself: nothing to authorize. */
  if (step->findings == NULL
      || vr_findings_count (step->findings, VR_SEVERITY_ERROR) == 0)
    {
      host_access_step_continue (step);
      return;
    }
  details = vr_agent_context_host_details (step->context,
                                           step->call->host);
  vr_auth_check_details_async (
      step->invocation, vr_agent_context_is_session (step->context),
      VR_ACTION_HOST_ACCESS, TRUE, (const char *const *) details, NULL,
      on_host_access_right, step);
}

static void
realize_check_host_access (VrAgentContext *context,
                           GDBusMethodInvocation *invocation, guint uid,
                           gpointer data)
{
  HostAccessStep *step = g_new0 (HostAccessStep, 1);
  g_autoptr (GTask) task = NULL;

  step->context = context;
  step->invocation = g_object_ref (invocation);
  step->uid = uid;
  step->call = data;
  step->import_fd = take_import_fd (invocation);
  vr_agent_context_ref_host (context, step->call->options.host, "host",
                             &step->conn, &step->caps, &step->libvirt_error);
  task = g_task_new (context, NULL, host_access_found, step);
  g_task_set_task_data (task, step, NULL);
  vr_agent_context_run_system_work (context, step->call->target->uuid, task,
                                    host_access_thread);
}

static gboolean
handle_realize (VrDBusPlannedSystem *iface, GDBusMethodInvocation *invocation,
                GVariant *options, gpointer user_data)
{
  Target *target = user_data;
  g_autoptr (RealizeCall) call = g_new0 (RealizeCall, 1);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) details = NULL;

  call->target = target_copy (target);
  if (!parse_realize_options (options, call, &error))
    {
      vr_dbus_return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  details = vr_agent_context_host_details (target->context, call->host);
  authorize_own_full (target, invocation, "realize",
                      (const char *const *) details, FALSE,
                      realize_check_host_access, g_steal_pointer (&call),
                      realize_call_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* GetDomainXML: without secrets under "list"; option secrets=true asks
 * for read-secrets (auth_admin) and gives the XML as it is. */

/* The reply goes from the worker (GDBusMethodInvocation's returns are
 * thread-safe): nothing is left for the main context. */
static void
get_domain_xml_thread (GTask *task, gpointer source, gpointer task_data,
                       GCancellable *cancellable)
{
  Target *target = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = lookup (target, &error);
  GVariant *xml;

  g_task_return_boolean (task, TRUE);
  if (system == NULL)
    {
      vr_dbus_return_error (target->invocation, error);
      return;
    }
  xml = g_variant_new_take_string (
      target->secrets ? vr_planned_system_dup_domain_xml (system)
                      : vr_domain_xml_to_string_public (
                            vr_planned_system_get_doc (system)));
  g_dbus_method_invocation_return_value (target->invocation,
                                         g_variant_new_tuple (&xml, 1));
}

static void
get_domain_xml_authorized (VrAgentContext *context,
                           GDBusMethodInvocation *invocation, guint uid,
                           gpointer data)
{
  run_on_system (data, invocation, get_domain_xml_thread, NULL);
}

static gboolean
handle_get_domain_xml (VrDBusPlannedSystem *iface,
                       GDBusMethodInvocation *invocation, GVariant *options,
                       gpointer user_data)
{
  static const char *const known[] = { "secrets", NULL };
  Target *target = target_copy (user_data);
  g_autoptr (GError) error = NULL;

  if (!vr_options_check_known (options, known, &error)
      || !vr_option_boolean (options, "secrets", &target->secrets,
                             &error))
    {
      target_free (target);
      vr_dbus_return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  vr_agent_context_authorize (target->context, invocation,
                              target->secrets ? VR_ACTION_READ_SECRETS : "list",
                              get_domain_xml_authorized, target, target_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* CheckDomain: asks libvirt on a worker, answers from there. */

static void
check_domain_thread (GTask *task, gpointer source, gpointer task_data,
                     GCancellable *cancellable)
{
  Target *target = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = lookup (target, &error);
  VrDomainPresence presence;

  g_task_return_boolean (task, TRUE);
  if (system == NULL
      || !vr_realized_domain_presence (target->conn, system, &presence,
                                       &error))
    {
      vr_dbus_return_error (target->invocation, error);
      return;
    }
  g_dbus_method_invocation_return_value (
      target->invocation,
      g_variant_new ("(s)", vr_domain_presence_to_string (presence)));
}

/* The connection is taken here, on the main loop, where reconnecting
 * replaces it; a worker only holds its reference. */
static void
check_domain_authorized (VrAgentContext *context,
                         GDBusMethodInvocation *invocation, guint uid,
                         gpointer data)
{
  Target *target = data;
  g_autoptr (VrHostCaps) caps = NULL;
  g_autoptr (GError) error = NULL;

  if (!vr_agent_context_ref_libvirt (context, &target->conn, &caps, &error))
    {
      vr_dbus_return_error (invocation, error);
      target_free (target);
      return;
    }
  run_on_system (target, invocation, check_domain_thread, NULL);
}

static gboolean
handle_check_domain (VrDBusPlannedSystem *iface,
                     GDBusMethodInvocation *invocation, GVariant *options,
                     gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!vr_options_check_known (options, NULL, &error))
    {
      vr_dbus_return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  vr_agent_context_authorize (((Target *)user_data)->context, invocation,
                              "list", check_domain_authorized,
                              target_copy (user_data), target_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Update */

/* On a worker, under the store's lock of the planned system. */
static VrPlannedSystem *
update (Target *target, GError **error)
{
  VrStore *store = vr_agent_context_get_store (target->context);
  g_autoptr (VrPlannedSystem) system = lookup (target, error);
  g_autoptr (VrStoreLock) lock = NULL;
  VrPlannedState state;

  if (system == NULL)
    return NULL;
  /* A realize holds the lock: the XML may not change under it. */
  lock = vr_store_lock (store, system, error);
  if (lock == NULL)
    return NULL;
  state = vr_planned_system_get_state (system);
  if (state != VR_PLANNED_STATE_PLANNED && state != VR_PLANNED_STATE_FAILED)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_STATE,
                   "planned system '%s' is %s: only a planned or failed one "
                   "can be updated", vr_planned_system_get_name (system),
                   vr_planned_state_to_string (state));
      return NULL;
    }
  vr_test_hook_stall ("update", NULL);
  /* A bigger XML counts against its owner's MaxPlannedBytesPerUser. */
  if (target->has_owner
      && !vr_user_quotas_check_growth (
             vr_agent_context_get_user_quotas (target->context),
             target->owner,
             vr_user_quotas_planned_bytes (
                 vr_agent_context_get_user_quotas (target->context),
                 target->uuid),
             strlen (target->xml), error))
    return NULL;
  if (!vr_planned_system_set_domain_xml (system, target->xml,
                                         strlen (target->xml), error))
    return NULL;
  vr_planned_system_note_author (system, target->uid);
  if (!vr_store_save_checked (store, system, error))
    return NULL;
  return g_steal_pointer (&system);
}

static void
update_thread (GTask *task, gpointer source, gpointer task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;
  VrPlannedSystem *system = update (task_data, &error);

  if (system != NULL)
    g_task_return_pointer (task, system, g_object_unref);
  else
    g_task_return_error (task, error);
}

/* The object shows the new XML's name before the caller hears of it. */
static void
update_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Target *target = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = g_task_propagate_pointer (
      G_TASK (result), &error);

  if (system == NULL)
    {
      vr_dbus_return_error (target->invocation, error);
      return;
    }
  vr_agent_context_export_system (target->context, system);
  g_dbus_method_invocation_return_value (target->invocation, NULL);
}

static void
update_authorized (VrAgentContext *context, GDBusMethodInvocation *invocation,
                   guint uid, gpointer data)
{
  Target *target = data;
  g_autoptr (GError) error = NULL;

  target->uid = uid;
  /* Parsing and judging a 4 MiB XML is root's CPU as a validation is
   * (eleventh review): a caller runs only so many of either at once. */
  target->held = vr_user_quotas_hold_validation (
      vr_agent_context_get_user_quotas (context), uid, &error);
  if (!target->held)
    {
      vr_dbus_return_error (invocation, error);
      target_free (target);
      return;
    }
  run_on_system (target, invocation, update_thread, update_done);
}

static gboolean
handle_update (VrDBusPlannedSystem *iface, GDBusMethodInvocation *invocation,
               const char *xml, GVariant *options, gpointer user_data)
{
  Target *target = user_data;
  g_autoptr (GError) error = NULL;
  Target *call;

  /* As for files: XML larger than this is no domain, only work. */
  if (strlen (xml) > VR_XML_MAX_SIZE)
    g_set_error (&error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "the domain XML is larger than %u bytes",
                 (unsigned) VR_XML_MAX_SIZE);
  if (error != NULL || !vr_options_check_known (options, NULL, &error))
    {
      vr_dbus_return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  call = target_copy (target);
  call->xml = g_strdup (xml);
  authorize_own (target, invocation, "update", update_authorized, call,
                 target_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Destroy */

static void
destroy_thread (GTask *task, gpointer source, gpointer task_data,
                GCancellable *cancellable)
{
  Target *target = task_data;
  GError *error = NULL;
  g_autoptr (VrPlannedSystem) system = lookup (target, &error);

  if (system != NULL)
    vr_test_hook_stall ("destroy", NULL);
  if (system != NULL
      && vr_store_remove (vr_agent_context_get_store (target->context), system,
                          &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
destroy_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Target *target = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      vr_dbus_return_error (target->invocation, error);
      return;
    }
  vr_agent_context_unexport_system (target->context, target->uuid);
  g_dbus_method_invocation_return_value (target->invocation, NULL);
}

static void
destroy_authorized (VrAgentContext *context, GDBusMethodInvocation *invocation,
                    guint uid, gpointer data)
{
  Target *target = data;

  /* A queued job holds no lock yet, but would find its system gone. (A
   * realize asked for after this Destroy reads the system after it.) */
  if (vr_agent_context_system_busy (context, target->uuid))
    {
      vr_dbus_return_error_printf (
          invocation, VR_ERROR_IN_USE,
          "planned system '%s' is busy: a job of it is queued or running",
          vr_agent_context_system_name (context, target->uuid));
      target_free (target);
      return;
    }
  run_on_system (target, invocation, destroy_thread, destroy_done);
}

static gboolean
handle_destroy (VrDBusPlannedSystem *iface, GDBusMethodInvocation *invocation,
                gpointer user_data)
{
  authorize_own (user_data, invocation, "destroy", destroy_authorized,
                 target_copy (user_data), target_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

VrDBusObjectSkeleton *
vr_planned_object_new (VrAgentContext *context, VrPlannedSystem *system)
{
  const char *uuid = vr_planned_system_get_uuid (system);
  g_autofree char *path = vr_object_path_for_system (uuid);
  VrDBusObjectSkeleton *object = vr_dbus_object_skeleton_new (path);
  g_autoptr (VrDBusPlannedSystem) iface = vr_planned_skeleton_new ();
  Target *target = g_new0 (Target, 1);

  target->context = context;
  target->uuid = g_strdup (uuid);
  /* The handlers' data lives as long as the interface. */
  g_object_set_data_full (G_OBJECT (iface), "vr-target", target, target_free);
  g_signal_connect (iface, "handle-validate", G_CALLBACK (handle_validate),
                    target);
  g_signal_connect (iface, "handle-place", G_CALLBACK (handle_place),
                    target);
  g_signal_connect (iface, "handle-realize", G_CALLBACK (handle_realize),
                    target);
  g_signal_connect (iface, "handle-get-domain-xml",
                    G_CALLBACK (handle_get_domain_xml), target);
  g_signal_connect (iface, "handle-check-domain",
                    G_CALLBACK (handle_check_domain), target);
  g_signal_connect (iface, "handle-update", G_CALLBACK (handle_update),
                    target);
  g_signal_connect (iface, "handle-destroy", G_CALLBACK (handle_destroy),
                    target);
  vr_dbus_object_skeleton_set_planned_system (object, iface);
  vr_planned_object_update (object, system);
  return object;
}
