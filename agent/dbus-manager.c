/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.virtrealize.Realize1.Manager at /org/virtrealize/Realize1/Manager. */
#include "config.h"

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "caller-access.h"
#include "caller-watch.h"
#include "dbus-manager.h"
#include "dbus-errors.h"
#include "dbus-names.h"
#include "dbus-validate-definition.h"
#include "domain-xml.h"
#include "errors.h"
#include "import.h"
#include "options.h"
#include "safe-xml.h"

typedef struct {
  gint ref;
  int fd;
  guint uid;
  GVariant *handle;
  char *name;
  VrImportFlags flags;
  VrStore *store;
  GDBusMethodInvocation *invocation;
  VrAgentContext *context;
  guint watch; /* cancels the task when the caller leaves */
  VrUserQuotas *quotas;
  guint64 held_bytes; /* held against the caller's quota, when held */
  gboolean held;
  guint owner; /* the import directory's, when another user's */
  /* ImportSystemDefinitionAsJob: the work runs as this job, and the
   * method's task ends with the job's path. */
  gboolean as_job;
  VrJobObject *job;
  GCancellable *cancellable; /* the task's: cancelled when the caller left */
  gulong cancel_job_id;      /* ...which cancels the job */
  VrPlannedSystem *system;   /* what the job made */
} ImportCall;

static ImportCall *
import_call_ref (ImportCall *call)
{
  g_atomic_int_inc (&call->ref);
  return call;
}

/* What was kept counts from its export on (import_done,
 * import_job_completed). */
static void
release_quota (ImportCall *call)
{
  if (call->held)
    vr_user_quotas_release_import (call->quotas, call->uid,
                                   call->held_bytes);
  call->held = FALSE;
}

static void
import_call_unref (gpointer data)
{
  ImportCall *call = data;

  if (!g_atomic_int_dec_and_test (&call->ref))
    return;
  release_quota (call);
  if (call->cancel_job_id != 0)
    g_cancellable_disconnect (call->cancellable, call->cancel_job_id);
  g_clear_object (&call->cancellable);
  g_clear_object (&call->job);
  g_clear_object (&call->system);
  if (call->fd >= 0)
    close (call->fd);
  g_clear_pointer (&call->handle, g_variant_unref);
  g_free (call->name);
  g_clear_object (&call->store);
  g_clear_object (&call->invocation);
  if (call->watch != 0)
    g_bus_unwatch_name (call->watch);
  g_free (call);
}

static int
take_fd (GUnixFDList *fd_list, GVariant *handle, GError **error)
{
  int index = g_variant_get_handle (handle);
  int fd;

  if (fd_list == NULL || index < 0
      || index >= g_unix_fd_list_get_length (fd_list))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "no file descriptor for the import directory came with "
                   "the call (handle %d)", index);
      return -1;
    }
  fd = g_unix_fd_list_get (fd_list, index, error);
  if (fd < 0)
    return -1;
  if (vr_caller_check_dir_fd (fd, error))
    return fd;
  close (fd);
  return -1;
}

/* The caller's planned systems and their XML are bounded (seventh review
 * F3: eight imports of 4 MiB grew root's state to 37 MB and the agent to
 * 739 MB); the room is held from before the manifest's hashing to the
 * import's end, so that two imports at once cannot both take the last. */
static gboolean
hold_quota (ImportCall *call, VrImportDir *dir, GError **error)
{
  g_autofree char *xml = vr_xml_to_string (dir->doc);

  call->held_bytes = strlen (xml);
  call->held = vr_user_quotas_hold_import (call->quotas, call->uid,
                                           call->held_bytes, error);
  return call->held;
}

/* A UUID another non-root user holds (uuid-owners.h: their planned
 * system, their realized domain, or one they destroyed lately) is theirs
 * to import; others need manage-others (ninth review, F3), asked here on
 * the worker only when it is so. */
static gboolean
uuid_free_to_caller (ImportCall *call, VrImportDir *dir,
                     GCancellable *cancellable, GError **error)
{
  VrUuidOwners *owners = vr_agent_context_get_uuid_owners (call->context);
  virConnectPtr conn = NULL;
  g_autoptr (VrHostCaps) caps = NULL;
  gboolean free_to = TRUE;
  guint holder = 0;

  if ((call->flags & VR_IMPORT_NEW_ID) || dir->uuid == NULL)
    return TRUE;
  /* Without libvirt now, the record alone decides. */
  if (!vr_agent_context_ref_libvirt (call->context, &conn, &caps, NULL))
    conn = NULL;
  if (vr_uuid_owners_held_by_other (owners, conn, dir->uuid, call->uid,
                                    &holder))
    free_to = vr_auth_check_sync (call->invocation, VR_ACTION_MANAGE_OTHERS,
                                  cancellable, NULL)
              || vr_uuid_owners_check (owners, conn, dir->uuid, call->uid,
                                       FALSE, error);
  if (conn != NULL)
    virConnectClose (conn);
  return free_to;
}

/* The import itself, on an import worker; progress (may be NULL) gets the
 * bytes of the manifest's files hashed. */
static VrPlannedSystem *
import_work (ImportCall *call, VrProgress *progress,
             GCancellable *cancellable, GError **error)
{
  g_autoptr (VrImportDir) dir = NULL;
  g_autoptr (VrCaller) caller = vr_caller_new (call->uid);

  /* A caller who left while it waited is not served. */
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  /* The descriptor proves the caller may read the folder, not the files
   * in it: a root-owned 0600 image is not read on their behalf, and
   * nothing is opened or parsed before that is known. */
  if (vr_caller_check_import_fd (call->fd, NULL, caller, error))
    dir = vr_import_dir_open_fd_as (call->fd, caller, error);
  if (dir == NULL || !uuid_free_to_caller (call, dir, cancellable, error)
      || !hold_quota (call, dir, error))
    return NULL;
  /* A manifest, when there is one, must hold before anything is kept. */
  return vr_import_verified_as (call->store, dir, call->name, call->flags,
                                call->uid, progress, cancellable, error);
}

static void
import_thread (GTask *task, gpointer source, gpointer task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;
  VrPlannedSystem *system = import_work (task_data, NULL, cancellable,
                                         &error);

  if (system == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, system, g_object_unref);
}

static void
import_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ImportCall *call = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  /* As a job: the job's path (import_job_start). */
  g_autofree char *job = call->as_job ? g_task_propagate_pointer (
                                            G_TASK (result), &error)
                                      : NULL;
  g_autoptr (VrPlannedSystem) system
      = call->as_job ? NULL
                     : g_task_propagate_pointer (G_TASK (result), &error);

  if (error != NULL)
    {
      vr_dbus_return_error (call->invocation, error);
      return;
    }
  g_dbus_method_invocation_return_value (
      call->invocation,
      g_variant_new ("(o)", job ? job
                                : vr_agent_context_export_system (
                                      call->context, system)));
}

/* ImportSystemDefinitionAsJob: the same work (import_work) as a VrJob,
 * which the agent shows as a Job object with progress. It waits in the
 * import queue (fair per caller) as the method's task would, and ends
 * with the caller's leaving, a Cancel or the agent's stop. */

static void
run_in_import_queue (GTask *task, GTaskThreadFunc worker, gpointer data)
{
  ImportCall *call = data;

  vr_agent_context_run_import (call->context, call->uid, task, worker);
}

static gboolean
import_job_work (VrJob *job, VrProgress *progress, GCancellable *cancellable,
                 gpointer data, GError **error)
{
  ImportCall *call = data;

  vr_progress_add_step (progress, "verify", 1);
  vr_progress_next (progress);
  call->system = import_work (call, progress, cancellable, error);
  if (call->system == NULL)
    return FALSE;
  vr_progress_finish (progress);
  return TRUE;
}

/* Connected before the job object's own handler: the planned system is
 * exported and the Job's Target names it when Completed goes out. */
static void
import_job_completed (VrJob *job, gboolean success, const char *message,
                      gpointer user_data)
{
  ImportCall *call = user_data;

  if (call->system != NULL)
    {
      vr_agent_context_export_system (call->context, call->system);
      vr_job_object_set_target (call->job, call->system);
      release_quota (call);
    }
  g_signal_handlers_disconnect_by_data (job, call);
}

static void
cancel_job (GCancellable *cancellable, gpointer job)
{
  vr_job_cancel (job);
}

static void
import_job_start (ImportCall *call, GTask *task)
{
  g_autoptr (VrJob) job = NULL;
  GError *error = NULL;
  VrJobObject *object = vr_agent_context_add_import_job (
      call->context, call->name ? call->name : "", call->uid, &error);

  if (object == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  call->job = g_object_ref (object);
  job = vr_job_new (vr_job_object_get_id (call->job), "import", "");
  g_signal_connect (job, "completed", G_CALLBACK (import_job_completed),
                    call);
  /* The caller left (vr_caller_watch): the job stops. */
  call->cancellable = g_object_ref (g_task_get_cancellable (task));
  call->cancel_job_id = g_cancellable_connect (
      call->cancellable, G_CALLBACK (cancel_job), g_object_ref (job),
      g_object_unref);
  vr_job_start_with (job, run_in_import_queue, call, import_job_work,
                     import_call_ref (call), import_call_unref);
  /* Its signals come from this main context: none is missed. */
  vr_job_object_run (call->job, job);
  g_task_return_pointer (task, g_strdup (vr_job_object_get_path (call->job)),
                         g_free);
}

static void
run_import (ImportCall *call, GTask *task)
{
  if (call->as_job)
    import_job_start (call, task);
  else
    vr_agent_context_run_import (call->context, call->uid, task,
                                 import_thread);
}

/* The owner of the import directory when it is another user's (not the
 * caller's, not root's) and the caller is not root, else -1. */
static gint64
others_folder (int fd, guint uid)
{
  struct stat st;

  if (uid == 0 || fstat (fd, &st) != 0 || st.st_uid == uid
      || st.st_uid == 0)
    return -1;
  return st.st_uid;
}

static void
on_others_folder (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ImportCall *call = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  guint uid;

  if (vr_auth_check_finish (result, &uid, &error))
    {
      run_import (call, task);
      return;
    }
  g_task_return_new_error (
      task, VR_ERROR, VR_ERROR_ACCESS_DENIED,
      "the import directory is another user's folder (uid %u): its owner "
      "imports it, or an administrator with " VR_ACTION_PREFIX
      VR_ACTION_MANAGE_OTHERS " (%s)", call->owner, error->message);
}

static void
import_authorized (VrAgentContext *context, GDBusMethodInvocation *invocation,
                   guint uid, gpointer data)
{
  ImportCall *call = data;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, import_done, NULL);
  g_autoptr (GError) error = NULL;
  GDBusMessage *message = g_dbus_method_invocation_get_message (invocation);
  gint64 owner;

  /* An import that was kept before the caller left is exported still. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, call, import_call_unref);
  call->uid = uid;
  /* Hashing an import's disks is long: it stops when the caller leaves. */
  call->watch = vr_caller_watch (invocation, cancellable);
  /* Only an authorized caller's descriptor is looked at at all. */
  call->fd = take_fd (g_dbus_message_get_unix_fd_list (message),
                      call->handle, &error);
  if (call->fd < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Another user's export is theirs to import: whoever imported it
   * first would hold its name and UUID, and could realize it before
   * them (seventh review F7). */
  owner = vr_agent_context_is_session (context)
              ? -1 : others_folder (call->fd, uid);
  if (owner >= 0)
    {
      call->owner = (guint) owner;
      vr_auth_check_async (invocation, FALSE, VR_ACTION_MANAGE_OTHERS, NULL,
                           on_others_folder, g_object_ref (task));
      return;
    }
  run_import (call, task);
}

static void
start_import (VrAgentContext *context, GDBusMethodInvocation *invocation,
              GVariant *dir_fd, const char *name, GVariant *options,
              gboolean as_job)
{
  g_autoptr (GError) error = NULL;
  VrImportFlags flags = 0;
  ImportCall *call;

  if (!vr_import_options_parse (options, &flags, &error))
    {
      vr_dbus_return_error (invocation, error);
      return;
    }
  /* The name goes on a public Job (TargetName) before the import checks
   * it, and every user's `virt-realize jobs` shows it: a newline in it
   * forged rows there (twelfth review F5). The rule a planned system's
   * name follows, before anything is made. */
  if (*name != '\0' && !vr_domain_name_is_valid (name))
    {
      g_set_error (&error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "name: not a valid domain name ("
                   VR_DOMAIN_NAME_RULE ")");
      vr_dbus_return_error (invocation, error);
      return;
    }
  call = g_new0 (ImportCall, 1);
  call->ref = 1;
  call->as_job = as_job;
  call->flags = flags;
  call->fd = -1;
  call->handle = g_variant_ref (dir_fd);
  call->name = *name != '\0' ? g_strdup (name) : NULL;
  call->store = g_object_ref (vr_agent_context_get_store (context));
  call->quotas = vr_agent_context_get_user_quotas (context);
  call->invocation = g_object_ref (invocation);
  call->context = context;
  vr_agent_context_authorize (context, invocation, "import", import_authorized,
                              call, import_call_unref);
}

static gboolean
handle_import (VrDBusManager *iface, GDBusMethodInvocation *invocation,
               GUnixFDList *fd_list, GVariant *dir_fd, const char *name,
               GVariant *options, gpointer user_data)
{
  start_import (user_data, invocation, dir_fd, name, options, FALSE);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_import_as_job (VrDBusManager *iface, GDBusMethodInvocation *invocation,
                      GUnixFDList *fd_list, GVariant *dir_fd,
                      const char *name, GVariant *options, gpointer user_data)
{
  start_import (user_data, invocation, dir_fd, name, options, TRUE);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ListPlannedSystems and GetJobs: object paths, under the list action. */
typedef struct {
  GPtrArray *(*list) (VrAgentContext *context);
} Lister;

static const Lister systems_lister = { vr_agent_context_list_system_paths };
static const Lister jobs_lister = { vr_agent_context_list_job_paths };

static void
paths_authorized (VrAgentContext *context, GDBusMethodInvocation *invocation,
                  guint uid, gpointer data)
{
  const Lister *lister = data;
  g_autoptr (GPtrArray) paths = lister->list (context);

  g_ptr_array_add (paths, NULL);
  g_dbus_method_invocation_return_value (
      invocation,
      g_variant_new ("(^ao)", (const char *const *) paths->pdata));
}

static gboolean
handle_list (VrDBusManager *iface, GDBusMethodInvocation *invocation,
             gpointer user_data)
{
  vr_agent_context_authorize (user_data, invocation, "list", paths_authorized,
                              (gpointer) &systems_lister, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
summaries_authorized (VrAgentContext *context,
                      GDBusMethodInvocation *invocation, guint uid,
                      gpointer data)
{
  g_autoptr (GVariant) summaries
      = vr_agent_context_list_system_summaries (context);

  g_dbus_method_invocation_return_value (
      invocation, g_variant_new ("(@a(osssbs))", summaries));
}

static gboolean
handle_list_summaries (VrDBusManager *iface,
                       GDBusMethodInvocation *invocation, gpointer user_data)
{
  vr_agent_context_authorize (user_data, invocation, "list",
                              summaries_authorized, NULL, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* The table's rows are five public properties of each PlannedSystem
 * object (Name, UUID, State, HasSavedState, Domain) and its path, which
 * any local user reads with GetManagedObjects without polkit (the bus
 * policy, docs/security.md): asking polkit would protect nothing and cost
 * the caller a polkitd round trip. What bounds the call is kept: options
 * are checked, and the table is built from the exported objects into a
 * memfd, with no disk I/O on the main loop. */
static void
send_table (VrAgentContext *context, GDBusMethodInvocation *invocation)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  int fd = vr_agent_context_get_summaries_fd (context, &error);

  /* The list dups the descriptor: the agent keeps its own. */
  if (fd < 0 || g_unix_fd_list_append (fds, fd, &error) < 0)
    {
      vr_dbus_return_error (invocation, error);
      return;
    }
  g_dbus_method_invocation_return_value_with_unix_fd_list (
      invocation, g_variant_new ("(h)", 0), fds);
}

static gboolean
handle_get_table (VrDBusManager *iface, GDBusMethodInvocation *invocation,
                  GUnixFDList *fd_list, GVariant *options,
                  gpointer user_data)
{
  static const char *const known[] = { NULL };
  g_autoptr (GError) error = NULL;

  if (!vr_options_check_known (options, known, &error))
    {
      vr_dbus_return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  send_table (user_data, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_get_jobs (VrDBusManager *iface, GDBusMethodInvocation *invocation,
                 gpointer user_data)
{
  vr_agent_context_authorize (user_data, invocation, "list", paths_authorized,
                              (gpointer) &jobs_lister, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

VrDBusObjectSkeleton *
vr_manager_object_new (VrAgentContext *context)
{
  VrDBusObjectSkeleton *object = vr_dbus_object_skeleton_new (
      VR_DBUS_MANAGER_PATH);
  g_autoptr (VrDBusManager) iface = vr_dbus_manager_skeleton_new ();

  vr_dbus_manager_set_version (iface, PACKAGE_VERSION);
  vr_dbus_manager_set_hosts (
      iface, vr_host_connections_list (vr_agent_context_get_hosts (context)));
  g_signal_connect (iface, "handle-import-system-definition",
                    G_CALLBACK (handle_import), context);
  g_signal_connect (iface, "handle-import-system-definition-as-job",
                    G_CALLBACK (handle_import_as_job), context);
  g_signal_connect (iface, "handle-list-planned-systems",
                    G_CALLBACK (handle_list), context);
  g_signal_connect (iface, "handle-validate-definition",
                    G_CALLBACK (vr_manager_handle_validate_definition),
                    context);
  g_signal_connect (iface, "handle-list-planned-system-summaries",
                    G_CALLBACK (handle_list_summaries), context);
  g_signal_connect (iface, "handle-get-planned-system-table",
                    G_CALLBACK (handle_get_table), context);
  g_signal_connect (iface, "handle-get-jobs", G_CALLBACK (handle_get_jobs),
                    context);
  vr_dbus_object_skeleton_set_manager (object, iface);
  return object;
}
