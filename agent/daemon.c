/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "daemon.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "agent-config.h"
#include "auth.h"
#include "dbus-errors.h"
#include "dbus-job.h"
#include "dbus-manager.h"
#include "dbus-planned-system.h"
#include "dbus-planned-skeleton.h"
#include "errors.h"
#include "idle-trim.h"
#include "import-queue.h"
#include "libvirt-util.h"
#include "name-index.h"
#include "sealed-file.h"
#include "realize-journal.h"
#include "system-work.h"
#include "uid-share.h"

#define RECONNECT_SECONDS 2

struct _VrDaemon {
  GObject parent_instance;

  GDBusConnection *bus;
  gboolean session;
  char **pool_dirs;
  char **trusted_import_dirs;
  char **bridges;
  VrRealizeLimits realize_limits;
  VrRealizeHolds *realize_holds; /* realizes checked, until their job ends */
  VrUserQuotas *quotas; /* planned systems, imports, validations per uid */
  VrUuidOwners *uuid_owners; /* who holds each UUID, kept across Destroy */
  char *config_path;
  VrImportQueue *imports; /* fair share per caller */
  /* Cancelled when the agent stops: imports under way stop hashing
   * (nothing of theirs is kept) and queued ones end at once. */
  GCancellable *stopping;
  char *uri;
  guint max_jobs;
  guint job_keep_seconds;
  guint max_import_jobs; /* per uid (not root), live or kept */
  guint max_kept_jobs;   /* ended jobs per uid (not root) */
  VrStore *store;
  GMainContext *context;
  GDBusObjectManagerServer *manager;
  VrDBusObjectSkeleton *manager_object;

  /* Only the main context touches these; libvirt's close callback comes
   * on its event thread and only schedules a reconnect. */
  virConnectPtr conn;
  VrHostCaps *caps;
  guint reconnect_id;
  gboolean connecting; /* a Connect is on a worker */
  VrHostConnections *hosts; /* agent.conf [Hosts] */
  guint idle_trim_seconds;
  guint idle_trim_id;

  VrSystemWork *work;  /* blocking work, in order per planned system */
  GHashTable *systems; /* uuid -> VrDBusObjectSkeleton */
  VrNameIndex *names;  /* the exported systems' names, for workers */
  GVariant *summaries; /* ListPlannedSystemSummaries' answer; NULL: stale */
  int summaries_fd;    /* the same in a sealed memfd, or -1 */
  GHashTable *jobs;    /* id -> VrJobObject */
  GHashTable *expiry;  /* id -> GSource id removing an ended job */
  GQueue ended;        /* the ids in expiry, in the order they ended */
  GQueue queue;        /* VrJobObject waiting for a worker */
  guint running;
  VrUidShare *share; /* realizes running per caller, as imports' */
  guint next_job_id;

  GSourceFunc shutdown_done;
  gpointer shutdown_data;
};

static void vr_daemon_context_init (VrAgentContextInterface *iface);

G_DEFINE_TYPE_WITH_CODE (VrDaemon, vr_daemon, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (VR_TYPE_AGENT_CONTEXT,
                                                vr_daemon_context_init))

static void connect_libvirt (VrDaemon *self);

/* A planned system was exported, removed or changed state: the kept
 * listing is stale. */
static void
summaries_changed (VrDaemon *self)
{
  g_clear_pointer (&self->summaries, g_variant_unref);
  if (self->summaries_fd >= 0)
    close (self->summaries_fd);
  self->summaries_fd = -1;
}
static void schedule_reconnect (VrDaemon *self);
static void on_job_ended (VrJobObject *job, gpointer user_data);
static VrJobObject *lookup_job (VrDaemon *self, guint id);
static void on_closed (virConnectPtr conn, int reason, void *opaque);

/* Timeouts go to the daemon's context: g_timeout_add() would put them in
 * GLib's default one, which libvirt's event thread iterates. */
static guint
add_seconds (VrDaemon *self, guint seconds, GSourceFunc func, gpointer data,
             GDestroyNotify destroy)
{
  g_autoptr (GSource) source = g_timeout_source_new_seconds (seconds);

  g_source_set_callback (source, func, data, destroy);
  return g_source_attach (source, self->context);
}

static void
remove_source_id (VrDaemon *self, guint id)
{
  GSource *source = g_main_context_find_source_by_id (self->context, id);

  if (source != NULL)
    g_source_destroy (source);
}

static VrStore *
daemon_get_store (VrDaemon *self)
{
  return self->store;
}

static void
daemon_index_options (VrDaemon *self, VrValidateOptions *options)
{
  options->planned_by_name = vr_name_index_lookup;
  options->planned_by_name_data = self->names;
}

static gboolean
daemon_is_session (VrDaemon *self)
{
  return self->session;
}

static const char *const *
daemon_get_pool_dirs (VrDaemon *self)
{
  static const char *const none[] = { NULL };

  return self->pool_dirs ? (const char *const *) self->pool_dirs : none;
}

static void
daemon_run_import (VrDaemon *self, guint uid, GTask *task, GTaskThreadFunc func)
{
  vr_import_queue_push (self->imports, uid, task, func);
}

static const VrRealizeLimits *
daemon_get_realize_limits (VrDaemon *self)
{
  return &self->realize_limits;
}

static VrRealizeHolds *
daemon_get_realize_holds (VrDaemon *self)
{
  return self->realize_holds;
}

static const char *const *
daemon_get_bridges (VrDaemon *self)
{
  static const char *const none[] = { NULL };

  return self->bridges ? (const char *const *) self->bridges : none;
}

static const char *const *
daemon_get_trusted_import_dirs (VrDaemon *self)
{
  static const char *const none[] = { NULL };

  return self->trusted_import_dirs
             ? (const char *const *) self->trusted_import_dirs
             : none;
}

static const char *
daemon_get_config_path (VrDaemon *self)
{
  return self->config_path;
}

static gboolean
daemon_ref_libvirt (VrDaemon *self, virConnectPtr *conn, VrHostCaps **caps,
                    GError **error)
{
  if (self->conn == NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_AVAILABLE,
                   "libvirt (%s) is not reachable; the agent keeps trying",
                   self->uri ? self->uri : "default URI");
      return FALSE;
    }
  virConnectRef (self->conn);
  *conn = self->conn;
  *caps = g_object_ref (self->caps);
  return TRUE;
}

static gboolean
daemon_ref_host (VrDaemon *self, const char *host, const char *option,
                 virConnectPtr *conn, VrHostCaps **caps, GError **error)
{
  if (host == NULL)
    return daemon_ref_libvirt (self, conn, caps, error);
  return vr_host_connections_ref (self->hosts, host, option, conn, caps,
                                  error);
}

static VrHostConnections *
daemon_get_hosts (VrDaemon *self)
{
  return self->hosts;
}

/* Authorization */

typedef struct {
  VrDaemon *daemon;
  GDBusMethodInvocation *invocation;
  VrAuthorizedFunc early;
  VrAuthorizedFunc func;
  gpointer data;
  GDestroyNotify destroy;
} Authorize;

static void
on_uid_known (guint uid, gpointer user_data)
{
  Authorize *call = user_data;

  call->early (VR_AGENT_CONTEXT (call->daemon), call->invocation, uid,
               call->data);
}

static void
on_authorized (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Authorize *call = user_data;
  g_autoptr (GError) error = NULL;
  guint uid;

  if (vr_auth_check_finish (result, &uid, &error))
    call->func (VR_AGENT_CONTEXT (call->daemon), call->invocation, uid,
                call->data);
  else
    {
      vr_dbus_return_error (call->invocation, error);
      if (call->destroy != NULL)
        call->destroy (call->data);
    }
  g_object_unref (call->invocation);
  g_object_unref (call->daemon);
  g_free (call);
}

static gboolean
trim_when_quiet (gpointer user_data)
{
  VrDaemon *self = user_data;

  self->idle_trim_id = 0;
  /* A running job touches its pages again at once; it ends in a call to
   * vr_daemon_job_ended, which waits for quiet again. */
  if (self->running == 0)
    vr_idle_trim ();
  return G_SOURCE_REMOVE;
}

/* Every call and every job's end puts the trim off: it comes only after
 * idle_trim_seconds without either. */
static void
postpone_trim (VrDaemon *self)
{
  if (self->idle_trim_seconds == 0)
    return;
  if (self->idle_trim_id != 0)
    remove_source_id (self, self->idle_trim_id);
  self->idle_trim_id = add_seconds (self, self->idle_trim_seconds,
                                    trim_when_quiet, self, NULL);
}

static void
daemon_authorize_details (VrDaemon *self, GDBusMethodInvocation *invocation,
                          const char *action, const char *const *details,
                          VrAuthorizedFunc early, VrAuthorizedFunc func,
                          gpointer data, GDestroyNotify destroy)
{
  Authorize *call = g_new0 (Authorize, 1);

  /* polkit may answer after the agent began to stop. */
  call->daemon = g_object_ref (self);
  call->invocation = g_object_ref (invocation);
  call->early = early;
  call->func = func;
  call->data = data;
  call->destroy = destroy;
  postpone_trim (self);
  vr_auth_check_early_async (invocation, self->session, action, TRUE,
                             details, early ? on_uid_known : NULL, call,
                             NULL, on_authorized, call);
}

static char **
daemon_host_details (VrDaemon *self, const char *host)
{
  const char *name = host ? vr_host_connections_name (self->hosts, host)
                          : "this host";
  const char *uri = host ? vr_host_connections_resolve (self->hosts, host,
                                                        "host", NULL)
                         : self->uri ? self->uri : "";
  const char *const details[] = { "host", name, "host_uri", uri, NULL };

  if (name == NULL || uri == NULL)
    return NULL;
  return g_strdupv ((char **) details);
}

/* Planned systems */

/* What the system's owner keeps: its stored XML's size, a stat of the
 * state directory's own file (root's, not a caller's). */
static void
count_planned (VrDaemon *self, VrPlannedSystem *system)
{
  g_autofree char *path = vr_store_system_file (self->store, system,
                                                VR_STORE_DOMAIN_XML);
  GStatBuf st;
  guint owner = 0;
  gboolean has_owner = vr_planned_system_get_owner (system, &owner);

  vr_user_quotas_set_planned (self->quotas,
                              vr_planned_system_get_uuid (system), has_owner,
                              owner, g_stat (path, &st) == 0
                                         ? (guint64) st.st_size : 0);
  /* A record with no owner is root's (it predates owners). */
  vr_uuid_owners_seen (self->uuid_owners, vr_planned_system_get_uuid (system),
                       has_owner ? owner : 0);
}

static const char *
daemon_export_system (VrDaemon *self, VrPlannedSystem *system)
{
  const char *uuid = vr_planned_system_get_uuid (system);
  VrDBusObjectSkeleton *object = g_hash_table_lookup (self->systems, uuid);

  vr_name_index_set (self->names, uuid, vr_planned_system_get_name (system));
  count_planned (self, system);
  summaries_changed (self);
  if (object != NULL)
    {
      vr_planned_object_update (object, system);
      return g_dbus_object_get_object_path (G_DBUS_OBJECT (object));
    }
  object = vr_planned_object_new (VR_AGENT_CONTEXT (self), system);
  g_dbus_object_manager_server_export (self->manager,
                                       G_DBUS_OBJECT_SKELETON (object));
  g_hash_table_insert (self->systems, g_strdup (uuid), object);
  return g_dbus_object_get_object_path (G_DBUS_OBJECT (object));
}

static void
daemon_unexport_system (VrDaemon *self, const char *uuid)
{
  VrDBusObjectSkeleton *object = g_hash_table_lookup (self->systems, uuid);

  vr_name_index_remove (self->names, uuid);
  vr_user_quotas_forget_planned (self->quotas, uuid);
  vr_uuid_owners_gone (self->uuid_owners, uuid);
  summaries_changed (self);
  if (object == NULL)
    return;
  g_dbus_object_manager_server_unexport (
      self->manager, g_dbus_object_get_object_path (G_DBUS_OBJECT (object)));
  g_hash_table_remove (self->systems, uuid);
}

static void
daemon_run_system_work (VrDaemon *self, const char *uuid, GTask *task,
                        GTaskThreadFunc func)
{
  vr_system_work_run (self->work, uuid, task, func);
}

typedef struct {
  char *uuid;
  GSourceFunc done;
  gpointer data;
  GDestroyNotify destroy;
} Refresh;

static void
refresh_free (Refresh *refresh)
{
  g_free (refresh->uuid);
  if (refresh->destroy != NULL)
    refresh->destroy (refresh->data);
  g_free (refresh);
}

static void
refresh_thread (GTask *task, gpointer source, gpointer task_data,
                GCancellable *cancellable)
{
  VrDaemon *self = source;
  Refresh *refresh = task_data;
  GError *error = NULL;
  VrPlannedSystem *system = vr_store_lookup (self->store, refresh->uuid,
                                             &error);

  if (system != NULL)
    g_task_return_pointer (task, system, g_object_unref);
  else
    g_task_return_error (task, error);
}

static void
refresh_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VrDaemon *self = VR_DAEMON (source);
  Refresh *refresh = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = g_task_propagate_pointer (
      G_TASK (result), &error);

  /* After dispose nobody is served any more. */
  if (self->systems == NULL)
    return;
  if (system != NULL)
    daemon_export_system (self, system);
  else if (vr_error_is (error, VR_ERROR_INVALID_PARAMETER))
    daemon_unexport_system (self, refresh->uuid);
  if (refresh->done != NULL)
    refresh->done (refresh->data);
}

static void
refresh_system (VrDaemon *self, const char *uuid, GSourceFunc done,
                          gpointer data, GDestroyNotify destroy)
{
  g_autoptr (GTask) task = g_task_new (self, NULL, refresh_done, NULL);
  Refresh *refresh = g_new0 (Refresh, 1);

  refresh->uuid = g_strdup (uuid);
  refresh->done = done;
  refresh->data = data;
  refresh->destroy = destroy;
  g_task_set_task_data (task, refresh, (GDestroyNotify) refresh_free);
  daemon_run_system_work (self, uuid, task, refresh_thread);
}

static const char *
daemon_system_name (VrDaemon *self, const char *uuid)
{
  VrDBusObjectSkeleton *object = g_hash_table_lookup (self->systems, uuid);
  g_autoptr (VrDBusPlannedSystem) iface = NULL;

  if (object == NULL)
    return "";
  iface = vr_dbus_object_get_planned_system (VR_DBUS_OBJECT (object));
  /* The object keeps the interface, and the interface its name. */
  return vr_dbus_planned_system_get_name (iface);
}

static void
set_system_state (VrDaemon *self, const char *uuid,
                            VrPlannedState state)
{
  VrDBusObjectSkeleton *object = g_hash_table_lookup (self->systems, uuid);
  g_autoptr (VrDBusPlannedSystem) iface = NULL;

  if (object == NULL)
    return;
  iface = vr_dbus_object_get_planned_system (VR_DBUS_OBJECT (object));
  vr_dbus_planned_system_set_state (iface, vr_planned_state_to_string (state));
  vr_planned_skeleton_changed (iface);
  summaries_changed (self);
}

static GPtrArray *
values_of (GHashTable *table)
{
  GPtrArray *values = g_ptr_array_sized_new (g_hash_table_size (table));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (values, value);
  return values;
}

typedef struct {
  const char *name;
  const char *path;
} Entry;

static int
compare_entries (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (((const Entry *) a)->name, ((const Entry *) b)->name);
}

typedef struct {
  const char *name;
  const char *path;
  VrDBusPlannedSystem *iface;
} Summary;

static int
compare_summaries (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (((const Summary *) a)->name,
                    ((const Summary *) b)->name);
}

static GVariant *
build_summaries (VrDaemon *self)
{
  g_autoptr (GArray) rows = g_array_sized_new (
      FALSE, FALSE, sizeof (Summary), g_hash_table_size (self->systems));
  GVariantBuilder builder;
  GHashTableIter iter;
  gpointer object;

  g_hash_table_iter_init (&iter, self->systems);
  while (g_hash_table_iter_next (&iter, NULL, &object))
    {
      VrDBusPlannedSystem *iface
          = vr_dbus_object_peek_planned_system (VR_DBUS_OBJECT (object));
      Summary row = { vr_dbus_planned_system_get_name (iface),
                      g_dbus_object_get_object_path (object), iface };

      g_array_append_val (rows, row);
    }
  g_array_sort (rows, compare_summaries);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(osssbs)"));
  for (guint i = 0; i < rows->len; i++)
    {
      Summary *row = &g_array_index (rows, Summary, i);

      g_variant_builder_add (
          &builder, "(osssbs)", row->path, row->name,
          vr_dbus_planned_system_get_uuid (row->iface),
          vr_dbus_planned_system_get_state (row->iface),
          vr_dbus_planned_system_get_has_saved_state (row->iface),
          vr_dbus_planned_system_get_domain (row->iface));
    }
  return g_variant_builder_end (&builder);
}

/* Built once and kept until a planned system is exported, removed or
 * changes state (the only ways its columns change): with a thousand, the
 * rows cost the agent more than the rest of the call. */
static GVariant *
daemon_list_system_summaries (VrDaemon *self)
{
  if (self->summaries == NULL)
    {
      self->summaries = g_variant_ref_sink (build_summaries (self));
      /* Serialized now: the next calls marshal one buffer, not a tree. */
      g_variant_get_data (self->summaries);
    }
  return g_variant_ref (self->summaries);
}

static int
daemon_get_summaries_fd (VrDaemon *self, GError **error)
{
  g_autoptr (GVariant) rows = NULL;

  if (self->summaries_fd >= 0)
    return self->summaries_fd;
  rows = daemon_list_system_summaries (self);
  self->summaries_fd = vr_sealed_file_new ("virt-realize planned systems",
                                           g_variant_get_data (rows),
                                           g_variant_get_size (rows), error);
  return self->summaries_fd;
}

static GPtrArray *
daemon_list_system_paths (VrDaemon *self)
{
  guint n = g_hash_table_size (self->systems);
  g_autoptr (GArray) entries = g_array_sized_new (FALSE, FALSE,
                                                  sizeof (Entry), n);
  GPtrArray *paths = g_ptr_array_new_full (n + 1, g_free);
  GHashTableIter iter;
  gpointer object;

  /* Names are looked up once, not in every comparison of the sort. */
  g_hash_table_iter_init (&iter, self->systems);
  while (g_hash_table_iter_next (&iter, NULL, &object))
    {
      g_autoptr (VrDBusPlannedSystem) iface
          = vr_dbus_object_get_planned_system (object);
      Entry entry = { vr_dbus_planned_system_get_name (iface),
                      g_dbus_object_get_object_path (object) };

      g_array_append_val (entries, entry);
    }
  g_array_sort (entries, compare_entries);
  for (guint i = 0; i < entries->len; i++)
    g_ptr_array_add (paths,
                     g_strdup (g_array_index (entries, Entry, i).path));
  return paths;
}

typedef void (*SystemFunc) (VrDaemon *self, VrPlannedSystem *system);

/* One planned system at a time: with thousands, holding them all (each
 * with its parsed XML) would only raise the heap's high-water mark. */
static void
foreach_system (VrDaemon *self, SystemFunc func)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) uuids = vr_store_list_uuids (self->store, &error);

  if (uuids == NULL)
    {
      g_warning ("cannot list %s: %s", vr_store_get_path (self->store),
                 error->message);
      return;
    }
  for (guint i = 0; i < uuids->len; i++)
    {
      g_autoptr (GError) broken = NULL;
      g_autoptr (VrPlannedSystem) system = vr_store_load (
          self->store, uuids->pdata[i], &broken);

      if (system == NULL)
        g_debug ("skipping: %s", broken->message);
      else
        func (self, system);
    }
}

static void
export_one (VrDaemon *self, VrPlannedSystem *system)
{
  daemon_export_system (self, system);
}

/* Jobs */

/* The job's realize runs: its planned system is shown realizing from
 * that (the backend wrote it to the record before its first step), not
 * read again. */
static void
on_job_running (VrJobObject *job, gpointer user_data)
{
  /* An import has no planned system while it runs. */
  if (vr_job_object_get_system_uuid (job) == NULL)
    return;
  set_system_state (user_data, vr_job_object_get_system_uuid (job),
                              VR_PLANNED_STATE_REALIZING);
}

static gboolean
end_job (gpointer job)
{
  vr_job_object_end (job);
  return G_SOURCE_REMOVE;
}

/* The planned system as the job left it is read once (on a worker, after
 * the work on it queued before) and on its object before the job's
 * Completed goes out. */
static void
on_job_finished (VrJobObject *job, gboolean success, const char *message,
                 gpointer user_data)
{
  /* An import exported what it made itself (dbus-manager.c), and a failed
   * one made nothing. */
  if (g_str_equal (vr_dbus_job_get_job_type (VR_DBUS_JOB (job)), "import"))
    {
      vr_job_object_end (job);
      return;
    }
  refresh_system (user_data, vr_job_object_get_system_uuid (job),
                            end_job, g_object_ref (job), g_object_unref);
}

static guint
add_job (VrDaemon *self, VrJobObject *job, GCallback ended)
{
  guint id = vr_job_object_get_id (job);
  /* The manager holds the object, the object its interface (the job). */
  g_autoptr (VrDBusObjectSkeleton) object = NULL;

  g_hash_table_insert (self->jobs, GUINT_TO_POINTER (id), job);
  /* The table owns the job, and the job is the daemon's: no need to
   * disconnect. */
  g_signal_connect (job, "running", G_CALLBACK (on_job_running), self);
  g_signal_connect (job, "finished", G_CALLBACK (on_job_finished), self);
  g_signal_connect (job, "ended", ended, self);
  object = vr_dbus_object_skeleton_new (vr_job_object_get_path (job));
  vr_dbus_object_skeleton_set_job (object, VR_DBUS_JOB (job));
  g_dbus_object_manager_server_export (self->manager,
                                       G_DBUS_OBJECT_SKELETON (object));
  return id;
}

/* A job's planned system is read on a worker, after any work on it asked
 * for before (an Update waits no more than it did on the main loop). */
static void
lookup_thread (GTask *task, gpointer source, gpointer task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;
  VrPlannedSystem *system = vr_store_lookup (VR_DAEMON (source)->store,
                                             task_data, &error);

  if (system != NULL)
    g_task_return_pointer (task, system, g_object_unref);
  else
    g_task_return_error (task, error);
}

static void
lookup_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VrDaemon *self = VR_DAEMON (source);
  VrJobObject *job = lookup_job (self, GPOINTER_TO_UINT (user_data));
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = g_task_propagate_pointer (
      G_TASK (result), &error);
  virConnectPtr conn = NULL;
  g_autoptr (VrHostCaps) caps = NULL;

  /* Cancelled (and maybe expired) while the record was read. */
  if (job == NULL || vr_job_object_is_finished (job))
    return;
  if (system == NULL
      || !daemon_ref_host (self, vr_job_object_get_host (job), "host", &conn,
                           &caps, &error))
    {
      vr_job_object_fail_to_begin (job, error);
      return;
    }
  vr_job_object_begin (job, self->store, caps, conn, system);
  virConnectClose (conn);
}

static void
start_job (VrDaemon *self, VrJobObject *job)
{
  const char *uuid = vr_job_object_get_system_uuid (job);
  g_autoptr (GTask) task = g_task_new (
      self, NULL, lookup_done,
      GUINT_TO_POINTER (vr_job_object_get_id (job)));

  g_task_set_task_data (task, g_strdup (uuid), g_free);
  vr_system_work_run (self->work, uuid, task, lookup_thread);
}

static guint
job_uid (VrJobObject *job)
{
  return vr_dbus_job_get_started_by_uid (VR_DBUS_JOB (job));
}

/* The first waiting realize whose caller is under its share, taken off
 * the queue: one user's long copies never hold every slot while others
 * wait (thirteenth review, D2). Within a caller, in order. */
static VrJobObject *
next_ready (VrDaemon *self)
{
  for (GList *l = self->queue.head; l != NULL; l = l->next)
    if (vr_uid_share_allows (self->share, job_uid (l->data)))
      {
        VrJobObject *job = l->data;

        g_queue_delete_link (&self->queue, l);
        return job;
      }
  return NULL;
}

static void
schedule (VrDaemon *self)
{
  VrJobObject *job;

  while (self->running < self->max_jobs && self->shutdown_done == NULL
         && (job = next_ready (self)) != NULL)
    {
      self->running++;
      vr_uid_share_count (self->share, job_uid (job), 1);
      start_job (self, job);
    }
}

static gboolean
daemon_system_busy (VrDaemon *self, const char *uuid)
{
  GHashTableIter iter;
  gpointer job;

  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &job))
    if (!vr_job_object_is_finished (job)
        && g_strcmp0 (vr_job_object_get_system_uuid (job), uuid) == 0)
      return TRUE;
  return FALSE;
}

typedef struct {
  VrRealizeHold *hold;
} JobHold;

static void
on_hold_job_ended (VrJobObject *job, gpointer user_data)
{
  JobHold *held = user_data;

  vr_realize_hold_release (g_steal_pointer (&held->hold));
}

/* A job dropped without ending (the agent stops) lets go too. */
static void
job_hold_free (gpointer data, GClosure *closure)
{
  JobHold *held = data;

  vr_realize_hold_release (held->hold);
  g_free (held);
}

/* The limits count the realize by its hold until the job ends
 * (success: its domain counts from then on; failure, cancel, rollback:
 * nothing of it is left to count). */
static void
hold_until_ended (VrJobObject *job, VrRealizeHold *hold)
{
  JobHold *held;

  if (hold == NULL)
    return;
  held = g_new0 (JobHold, 1);
  held->hold = hold;
  g_signal_connect_data (job, "ended", G_CALLBACK (on_hold_job_ended), held,
                         job_hold_free, 0);
}

static const char *
daemon_queue_realize (VrDaemon *self, VrPlannedSystem *system,
                      const VrRealizeOptions *options, guint owner_uid,
                      VrRealizeHold *hold, GError **error)
{
  VrJobObject *job;

  if (daemon_system_busy (self, vr_planned_system_get_uuid (system)))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "planned system '%s' is busy: a job of it is queued or "
                   "running", vr_planned_system_get_name (system));
      vr_realize_hold_release (hold);
      return NULL;
    }
  job = vr_job_object_new_realize (++self->next_job_id, system, options,
                                   owner_uid, self->session);
  add_job (self, job, G_CALLBACK (on_job_ended));
  hold_until_ended (job, hold);
  g_queue_push_tail (&self->queue, job);
  schedule (self);
  return vr_job_object_get_path (job);
}

static VrJobObject *
lookup_job (VrDaemon *self, guint id)
{
  if (self->jobs == NULL) /* disposed */
    return NULL;
  return g_hash_table_lookup (self->jobs, GUINT_TO_POINTER (id));
}

static int
compare_ids (gconstpointer a, gconstpointer b)
{
  guint x = vr_job_object_get_id (*(VrJobObject *const *) a);
  guint y = vr_job_object_get_id (*(VrJobObject *const *) b);

  return x < y ? -1 : x > y;
}

static GPtrArray *
daemon_list_job_paths (VrDaemon *self)
{
  g_autoptr (GPtrArray) jobs = values_of (self->jobs);
  GPtrArray *paths = g_ptr_array_new_full (jobs->len, g_free);

  g_ptr_array_sort (jobs, compare_ids);
  for (guint i = 0; i < jobs->len; i++)
    g_ptr_array_add (paths, g_strdup (vr_job_object_get_path (jobs->pdata[i])));
  return paths;
}

typedef struct {
  VrDaemon *daemon;
  guint id;
} Expiry;

/* An ended job leaves the bus and the table. */
static void
forget_job (VrDaemon *self, guint id)
{
  VrJobObject *job = lookup_job (self, id);

  g_dbus_object_manager_server_unexport (self->manager,
                                         vr_job_object_get_path (job));
  g_hash_table_remove (self->expiry, GUINT_TO_POINTER (id));
  g_queue_remove (&self->ended, GUINT_TO_POINTER (id));
  g_hash_table_remove (self->jobs, GUINT_TO_POINTER (id));
}

/* The same before its time: its expiry goes too. */
static void
forget_ended_job (VrDaemon *self, guint id)
{
  remove_source_id (self, GPOINTER_TO_UINT (g_hash_table_lookup (
                              self->expiry, GUINT_TO_POINTER (id))));
  forget_job (self, id);
}

/* Every ended job stayed --job-keep seconds, with no limit per caller:
 * a user's realizes cancelled at once, in a loop, kept 2580 Job objects
 * (eighteenth review F5). A uid other than root keeps at most
 * max_kept_jobs ended ones (realizes and imports alike); beyond, its
 * oldest ended one leaves the bus at once. Queued and running jobs are
 * not counted and never removed here. */
static void
trim_ended (VrDaemon *self, guint uid)
{
  guint count = 0;

  if (uid == 0)
    return;
  for (GList *l = self->ended.head; l != NULL; l = l->next)
    count += job_uid (lookup_job (self, GPOINTER_TO_UINT (l->data))) == uid;
  for (GList *l = self->ended.head; l != NULL && count > self->max_kept_jobs;)
    {
      GList *next = l->next;
      guint id = GPOINTER_TO_UINT (l->data);

      if (job_uid (lookup_job (self, id)) == uid)
        {
          forget_ended_job (self, id);
          count--;
        }
      l = next;
    }
}

static gboolean
expire_job (gpointer user_data)
{
  Expiry *expiry = user_data;

  forget_job (expiry->daemon, expiry->id);
  return G_SOURCE_REMOVE;
}

/* A finished job stays for a while, so that a client that looks late
 * still finds its outcome. */
static void
keep_for_a_while (VrDaemon *self, guint id)
{
  Expiry *expiry = g_new0 (Expiry, 1);
  guint source;

  expiry->daemon = self;
  expiry->id = id;
  source = add_seconds (self, self->job_keep_seconds, expire_job, expiry,
                        g_free);
  g_hash_table_insert (self->expiry, GUINT_TO_POINTER (id),
                       GUINT_TO_POINTER (source));
  g_queue_push_tail (&self->ended, GUINT_TO_POINTER (id));
  trim_ended (self, job_uid (lookup_job (self, id)));
}

static gboolean
finish_shutdown (VrDaemon *self)
{
  GSourceFunc done = self->shutdown_done;

  if (done == NULL || self->running > 0)
    return FALSE;
  self->shutdown_done = NULL;
  done (self->shutdown_data);
  return TRUE;
}

static void
on_job_ended (VrJobObject *job, gpointer user_data)
{
  VrDaemon *self = user_data;
  guint id = vr_job_object_get_id (job);

  if (!g_queue_remove (&self->queue, job))
    {
      self->running--;
      if (self->share != NULL) /* disposed */
        vr_uid_share_count (self->share, job_uid (job), -1);
    }
  keep_for_a_while (self, id);
  postpone_trim (self);
  if (!finish_shutdown (self))
    schedule (self);
}

/* An import's job runs on the import workers (import-queue.h), not in
 * the realizes' slots: its end frees none of them. */
static void
on_import_job_ended (VrJobObject *job, gpointer user_data)
{
  VrDaemon *self = user_data;

  keep_for_a_while (self, vr_job_object_get_id (job));
  postpone_trim (self);
}

static gboolean
is_import_of (VrJobObject *job, guint uid)
{
  return g_str_equal (vr_dbus_job_get_job_type (VR_DBUS_JOB (job)), "import")
         && vr_dbus_job_get_started_by_uid (VR_DBUS_JOB (job)) == uid;
}

/* Every ImportSystemDefinitionAsJob made a public Job object, kept
 * --job-keep seconds after its end, with no limit per caller (twelfth
 * review F4: 3000 calls grew the agent by 17 MB, and every bus listener
 * got their signals). A uid other than root has at most
 * max_import_jobs: to make room, its oldest ended ones go first (a
 * caller who looks late for an old outcome is the only one to lose);
 * with that many still queued or running, the call is refused. */
static gboolean
room_for_import_job (VrDaemon *self, guint uid, GError **error)
{
  g_autoptr (GPtrArray) jobs = NULL;
  g_autoptr (GPtrArray) ended = NULL;
  guint count = 0;

  if (uid == 0)
    return TRUE;
  jobs = values_of (self->jobs);
  ended = g_ptr_array_new ();
  g_ptr_array_sort (jobs, compare_ids);
  for (guint i = 0; i < jobs->len; i++)
    {
      VrJobObject *job = jobs->pdata[i];
      guint id = vr_job_object_get_id (job);

      if (!is_import_of (job, uid))
        continue;
      count++;
      if (g_hash_table_contains (self->expiry, GUINT_TO_POINTER (id)))
        g_ptr_array_add (ended, job);
    }
  for (guint i = 0; i < ended->len && count >= self->max_import_jobs; i++)
    {
      forget_ended_job (self, vr_job_object_get_id (ended->pdata[i]));
      count--;
    }
  if (count < self->max_import_jobs)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
               "uid %u has %u imports as jobs queued or running, the most "
               "%s allows one user (MaxImportJobsPerUser=%u): wait for "
               "them", uid, count,
               self->config_path ? self->config_path : "agent.conf",
               self->max_import_jobs);
  return FALSE;
}

static VrJobObject *
daemon_add_import_job (VrDaemon *self, const char *name, guint owner_uid,
                       GError **error)
{
  VrJobObject *job;

  if (!room_for_import_job (self, owner_uid, error))
    return NULL;
  job = vr_job_object_new_import (++self->next_job_id, name, owner_uid,
                                  self->session);
  add_job (self, job, G_CALLBACK (on_import_job_ended));
  return job;
}

void
vr_daemon_shutdown (VrDaemon *self, GSourceFunc done, gpointer data)
{
  g_autoptr (GPtrArray) jobs = values_of (self->jobs);

  self->shutdown_done = done;
  self->shutdown_data = data;
  g_cancellable_cancel (self->stopping);
  for (guint i = 0; i < jobs->len; i++)
    vr_job_object_cancel (jobs->pdata[i]);
  if (self->running == 0)
    finish_shutdown (self);
}

/* libvirt and crash recovery: connecting, probing the host and rolling
 * back what an earlier agent left all block, so they run on a worker
 * (Connect); the main context only takes the result. */

typedef struct {
  VrStore *store;
  char *uri;
  GHashTable *busy;        /* uuids with a job: not recovered now */
  virConnectPtr conn;      /* NULL when libvirt is not reachable */
  VrHostCaps *caps;
  GError *error;           /* why conn is NULL */
  GPtrArray *systems;      /* recovered: VrPlannedSystem, to export */
  GPtrArray *interrupted;  /* those whose realize was interrupted */
} Connect;

static void
connect_free (Connect *connect)
{
  g_clear_object (&connect->store);
  g_free (connect->uri);
  g_clear_pointer (&connect->busy, g_hash_table_unref);
  g_clear_pointer (&connect->conn, virConnectClose);
  g_clear_object (&connect->caps);
  g_clear_error (&connect->error);
  g_ptr_array_unref (connect->systems);
  g_ptr_array_unref (connect->interrupted);
  g_free (connect);
}

static Connect *
connect_new (VrDaemon *self)
{
  Connect *connect = g_new0 (Connect, 1);
  GHashTableIter iter;
  gpointer job;

  connect->store = g_object_ref (self->store);
  connect->uri = g_strdup (self->uri);
  connect->busy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         NULL);
  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &job))
    if (!vr_job_object_is_finished (job))
      g_hash_table_add (connect->busy,
                        g_strdup (vr_job_object_get_system_uuid (job)));
  connect->systems = g_ptr_array_new_with_free_func (g_object_unref);
  connect->interrupted = g_ptr_array_new_with_free_func (g_object_unref);
  return connect;
}

/* A realize that an earlier agent did not finish, or whose rollback
 * could not finish (libvirt was gone): end it from its journal, and report
 * an interrupted one as such. A lock taken by a live process (a CLI
 * realizing in-process) means that one is still at it. */
static void
recover_system (Connect *connect, VrPlannedSystem *system)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrStoreLock) lock = vr_store_lock (connect->store, system,
                                                &error);
  gboolean interrupted;

  if (lock == NULL)
    return;
  interrupted = vr_planned_system_get_state (system)
                == VR_PLANNED_STATE_REALIZING;
  g_ptr_array_add (connect->systems, g_object_ref (system));
  if (!vr_realize_recover (connect->store, connect->conn, system, &error))
    {
      g_message ("cannot recover planned system '%s' yet: %s",
                 vr_planned_system_get_name (system), error->message);
      return;
    }
  g_message ("planned system '%s': an unfinished realize was rolled back "
             "(%s)", vr_planned_system_get_name (system),
             vr_planned_system_get_state (system) == VR_PLANNED_STATE_REALIZED
                 ? "it had finished: realized"
                 : vr_planned_state_to_string (
                       vr_planned_system_get_state (system)));
  if (interrupted)
    g_ptr_array_add (connect->interrupted, g_object_ref (system));
}

static void
recover_all (Connect *connect)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) uuids = vr_store_list_uuids (connect->store, &error);

  if (uuids == NULL)
    {
      g_warning ("cannot list %s: %s", vr_store_get_path (connect->store),
                 error->message);
      return;
    }
  for (guint i = 0; i < uuids->len; i++)
    {
      g_autoptr (GError) broken = NULL;
      g_autoptr (VrPlannedSystem) system = NULL;

      if (g_hash_table_contains (connect->busy, uuids->pdata[i]))
        continue;
      system = vr_store_load (connect->store, uuids->pdata[i], &broken);
      if (system == NULL)
        g_debug ("skipping: %s", broken->message);
      else if (vr_planned_system_get_state (system)
                   == VR_PLANNED_STATE_REALIZING
               || vr_planned_system_get_rollback_pending (system)
               || vr_realize_journal_exists (connect->store, system))
        recover_system (connect, system);
    }
}

/* On a worker (or before the main loop runs). */
static void
connect_run (Connect *connect)
{
  connect->conn = vr_libvirt_open (connect->uri, &connect->error);
  if (connect->conn == NULL)
    return;
  connect->caps = vr_host_caps_new (connect->conn);
  recover_all (connect);
}

static void
connect_thread (GTask *task, gpointer source, gpointer task_data,
                GCancellable *cancellable)
{
  connect_run (task_data);
  g_task_return_boolean (task, TRUE);
}

static void recovered (VrDaemon *self, Connect *connect);

/* In the main context: the connection is the daemon's from now on. */
static void
connected (VrDaemon *self, Connect *connect)
{
  if (connect->conn == NULL)
    {
      g_warning ("%s; retrying in %d s", connect->error->message,
                 RECONNECT_SECONDS);
      schedule_reconnect (self);
      return;
    }
  self->conn = g_steal_pointer (&connect->conn);
  self->caps = g_steal_pointer (&connect->caps);
  virConnectRegisterCloseCallback (self->conn, on_closed, self, NULL);
  recovered (self, connect);
}

/* In the main context: what recovery rolled back is exported again, an
 * interrupted realize shown as a job. */
static void
recovered (VrDaemon *self, Connect *connect)
{
  for (guint i = 0; i < connect->systems->len; i++)
    daemon_export_system (self, connect->systems->pdata[i]);
  for (guint i = 0; i < connect->interrupted->len; i++)
    {
      add_job (self,
               vr_job_object_new_interrupted (
                   ++self->next_job_id, connect->interrupted->pdata[i]),
               G_CALLBACK (on_job_ended));
      keep_for_a_while (self, self->next_job_id);
    }
}

static void
connect_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VrDaemon *self = VR_DAEMON (source);

  self->connecting = FALSE;
  connected (self, g_task_get_task_data (G_TASK (result)));
}

static void
connect_libvirt (VrDaemon *self)
{
  g_autoptr (GTask) task = NULL;

  if (self->connecting)
    return;
  self->connecting = TRUE;
  task = g_task_new (self, NULL, connect_done, NULL);
  g_task_set_task_data (task, connect_new (self),
                        (GDestroyNotify) connect_free);
  g_task_run_in_thread (task, connect_thread);
}

static gboolean
reconnect (gpointer user_data)
{
  VrDaemon *self = user_data;

  self->reconnect_id = 0;
  connect_libvirt (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (VrDaemon *self)
{
  if (self->reconnect_id == 0)
    self->reconnect_id = add_seconds (self, RECONNECT_SECONDS, reconnect,
                                      self, NULL);
}

static void
recover_thread (GTask *task, gpointer source, gpointer task_data,
                GCancellable *cancellable)
{
  recover_all (task_data);
  g_task_return_boolean (task, TRUE);
}

static void
recover_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  recovered (VR_DAEMON (source), g_task_get_task_data (G_TASK (result)));
}

/* A listed host (re)connected: a realize onto it whose rollback could not
 * finish while it was gone is finished now (recovery opens the journal's
 * host itself). Without the agent's own libvirt, its reconnect will. */
static void
on_host_connected (const char *name, const char *uri, gpointer data)
{
  VrDaemon *self = data;
  g_autoptr (GTask) task = NULL;
  Connect *connect;

  if (self->conn == NULL)
    return;
  connect = connect_new (self);
  virConnectRef (self->conn);
  connect->conn = self->conn;
  task = g_task_new (self, NULL, recover_done, NULL);
  g_task_set_task_data (task, connect, (GDestroyNotify) connect_free);
  g_task_run_in_thread (task, recover_thread);
}

static void
close_thread (GTask *task, gpointer source, gpointer task_data,
              GCancellable *cancellable)
{
  virConnectClose (task_data);
  g_task_return_boolean (task, TRUE);
}

static gboolean
on_closed_in_main (gpointer user_data)
{
  VrDaemon *self = user_data;
  g_autoptr (GTask) task = NULL;

  if (self->conn == NULL)
    return G_SOURCE_REMOVE;
  g_message ("libvirt closed the connection; reconnecting");
  virConnectUnregisterCloseCallback (self->conn, on_closed);
  g_clear_object (&self->caps);
  /* Closing talks to libvirt (the last reference may be ours): on a
   * worker too. Jobs that hold their own reference keep it. */
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, g_steal_pointer (&self->conn), NULL);
  g_task_run_in_thread (task, close_thread);
  schedule_reconnect (self);
  return G_SOURCE_REMOVE;
}

/* libvirtd restarted or died. This runs on libvirt's event thread and
 * holds libvirt's close-callback lock: the work must come later, in the
 * daemon's context, never inline. */
static void
on_closed (virConnectPtr conn, int reason, void *opaque)
{
  VrDaemon *self = opaque;
  g_autoptr (GSource) idle = g_idle_source_new ();

  g_source_set_callback (idle, on_closed_in_main, g_object_ref (self),
                         g_object_unref);
  g_source_attach (idle, self->context);
}

VrDaemon *
vr_daemon_new (GDBusConnection *bus, const VrDaemonOptions *options,
               GError **error)
{
  g_autoptr (VrDaemon) self = g_object_new (VR_TYPE_DAEMON, NULL);
  g_autofree char *state_dir = options->state_dir
                                   ? g_strdup (options->state_dir)
                                   : vr_store_default_dir ();
  Connect *connect;
  static const VrUserQuotaLimits unlimited = { G_MAXUINT, G_MAXUINT32,
                                               G_MAXUINT };

  if (g_mkdir_with_parents (state_dir, 0700) < 0)
    {
      vr_error_set_errno (error, errno, "cannot make state directory %s",
                          state_dir);
      return NULL;
    }
  self->bus = g_object_ref (bus);
  self->session = options->session;
  self->pool_dirs = g_strdupv ((char **) options->pool_dirs);
  self->trusted_import_dirs = g_strdupv (
      (char **) options->trusted_import_dirs);
  self->stopping = g_cancellable_new ();
  self->bridges = g_strdupv ((char **) options->bridges);
  self->realize_limits = options->realize_limits;
  if (self->realize_limits.max_domains == 0)
    self->realize_limits.max_domains = VR_AGENT_DEFAULT_MAX_DOMAINS_PER_USER;
  self->realize_holds = vr_realize_holds_new ();
  self->imports = vr_import_queue_new (
      options->max_imports > 0 ? options->max_imports : 2,
      options->max_waiting_imports > 0
          ? options->max_waiting_imports
          : VR_AGENT_DEFAULT_MAX_WAITING_IMPORTS_PER_USER,
      options->config_path, self->stopping);
  self->config_path = g_strdup (options->config_path);
  /* On a session bus the agent is its caller's own: nothing to share. */
  self->quotas = vr_user_quotas_new (options->session ? &unlimited
                                                      : &options->user_quotas,
                                     options->config_path);
  /* Four times the planned systems a user may keep: the holds of the
   * ones they destroyed, bounded (uuid-owners.h). */
  self->uuid_owners = vr_uuid_owners_new (
      state_dir, 4 * (options->user_quotas.max_planned > 0
                          ? options->user_quotas.max_planned
                          : VR_USER_QUOTA_DEFAULT_PLANNED));
  self->uri = g_strdup (options->uri);
  self->max_jobs = MAX (options->max_jobs, 1);
  self->share = vr_uid_share_new (self->max_jobs);
  self->job_keep_seconds = options->job_keep_seconds;
  self->max_import_jobs = options->max_import_jobs > 0
                              ? options->max_import_jobs
                              : VR_AGENT_DEFAULT_MAX_IMPORT_JOBS_PER_USER;
  self->max_kept_jobs = options->max_kept_jobs > 0
                            ? options->max_kept_jobs
                            : VR_AGENT_DEFAULT_MAX_KEPT_JOBS_PER_USER;
  self->idle_trim_seconds = options->idle_trim_seconds;
  self->store = vr_store_new (state_dir);
  self->context = g_main_context_ref_thread_default ();
  self->work = vr_system_work_new ();
  self->systems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         g_object_unref);
  self->names = vr_name_index_new ();
  self->jobs = g_hash_table_new_full (
      NULL, NULL, NULL, g_object_unref);
  self->expiry = g_hash_table_new (NULL, NULL);
  self->hosts = vr_host_connections_new (options->host_names,
                                         options->host_uris,
                                         on_host_connected, self);
  self->manager = g_dbus_object_manager_server_new (VR_DBUS_ROOT);
  self->manager_object = vr_manager_object_new (VR_AGENT_CONTEXT (self));
  g_dbus_object_manager_server_export (
      self->manager, G_DBUS_OBJECT_SKELETON (self->manager_object));
  vr_libvirt_init ();
  foreach_system (self, export_one);
  vr_uuid_owners_expire (self->uuid_owners);
  /* The first connection and recovery come before any client can call
   * (the main loop does not run yet): a client never sees a planned
   * system an earlier crash left realizing. Reconnects run on a worker. */
  connect = connect_new (self);
  connect_run (connect);
  connected (self, connect);
  connect_free (connect);
  g_dbus_object_manager_server_set_connection (self->manager, bus);
  return g_steal_pointer (&self);
}

static void
remove_source (gpointer key, gpointer value, gpointer user_data)
{
  remove_source_id (user_data, GPOINTER_TO_UINT (value));
}

static void
vr_daemon_dispose (GObject *object)
{
  VrDaemon *self = VR_DAEMON (object);

  /* Imports under way and queued end first, cancelled (they make nothing
   * to roll back, and their tasks hold the store). */
  if (self->stopping != NULL)
    g_cancellable_cancel (self->stopping);
  if (self->imports != NULL)
    vr_import_queue_free (g_steal_pointer (&self->imports));
  g_clear_object (&self->stopping);
  if (self->manager != NULL)
    g_dbus_object_manager_server_set_connection (self->manager, NULL);
  if (self->conn != NULL)
    virConnectUnregisterCloseCallback (self->conn, on_closed);
  g_clear_pointer (&self->hosts, vr_host_connections_free);
  if (self->reconnect_id != 0)
    remove_source_id (self, self->reconnect_id);
  self->reconnect_id = 0;
  if (self->idle_trim_id != 0)
    remove_source_id (self, self->idle_trim_id);
  self->idle_trim_id = 0;
  if (self->expiry != NULL)
    {
      g_hash_table_foreach (self->expiry, remove_source, self);
      g_clear_pointer (&self->expiry, g_hash_table_unref);
    }
  g_queue_clear (&self->queue);
  g_queue_clear (&self->ended);
  g_clear_pointer (&self->work, vr_system_work_free);
  g_clear_pointer (&self->jobs, g_hash_table_unref);
  g_clear_pointer (&self->share, vr_uid_share_free);
  g_clear_pointer (&self->systems, g_hash_table_unref);
  g_clear_pointer (&self->names, vr_name_index_unref);
  summaries_changed (self);
  g_clear_object (&self->manager_object);
  g_clear_object (&self->manager);
  g_clear_object (&self->caps);
  g_clear_pointer (&self->conn, virConnectClose);
  g_clear_object (&self->store);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->bus);
  G_OBJECT_CLASS (vr_daemon_parent_class)->dispose (object);
}

static void
vr_daemon_finalize (GObject *object)
{
  VrDaemon *self = VR_DAEMON (object);

  g_strfreev (self->pool_dirs);
  g_strfreev (self->trusted_import_dirs);
  g_strfreev (self->bridges);
  g_free (self->config_path);
  g_free (self->uri);
  /* After the jobs (dispose), which release theirs as they go. */
  vr_realize_holds_free (self->realize_holds);
  vr_user_quotas_free (self->quotas);
  vr_uuid_owners_free (self->uuid_owners);
  G_OBJECT_CLASS (vr_daemon_parent_class)->finalize (object);
}

static void
vr_daemon_class_init (VrDaemonClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = vr_daemon_dispose;
  G_OBJECT_CLASS (klass)->finalize = vr_daemon_finalize;
}

static void
vr_daemon_init (VrDaemon *self)
{
  self->summaries_fd = -1;
}

/* The agent context (agent-context.h): what the D-Bus objects see of the
 * daemon. */

static VrStore *
context_get_store (VrAgentContext *context)
{
  return daemon_get_store (VR_DAEMON (context));
}

static void
context_index_options (VrAgentContext *context, VrValidateOptions *options)
{
  daemon_index_options (VR_DAEMON (context), options);
}

static gboolean
context_is_session (VrAgentContext *context)
{
  return daemon_is_session (VR_DAEMON (context));
}

static const char *const *
context_get_pool_dirs (VrAgentContext *context)
{
  return daemon_get_pool_dirs (VR_DAEMON (context));
}

static const char *const *
context_get_trusted_import_dirs (VrAgentContext *context)
{
  return daemon_get_trusted_import_dirs (VR_DAEMON (context));
}

static const VrRealizeLimits *
context_get_realize_limits (VrAgentContext *context)
{
  return daemon_get_realize_limits (VR_DAEMON (context));
}

static VrRealizeHolds *
context_get_realize_holds (VrAgentContext *context)
{
  return daemon_get_realize_holds (VR_DAEMON (context));
}

static VrUserQuotas *
context_get_user_quotas (VrAgentContext *context)
{
  return VR_DAEMON (context)->quotas;
}

static VrUuidOwners *
context_get_uuid_owners (VrAgentContext *context)
{
  return VR_DAEMON (context)->uuid_owners;
}

static const char *const *
context_get_bridges (VrAgentContext *context)
{
  return daemon_get_bridges (VR_DAEMON (context));
}

static const char *
context_get_config_path (VrAgentContext *context)
{
  return daemon_get_config_path (VR_DAEMON (context));
}

static void
context_run_import (VrAgentContext *context, guint uid, GTask *task,
                    GTaskThreadFunc func)
{
  daemon_run_import (VR_DAEMON (context), uid, task, func);
}

static gboolean
context_ref_libvirt (VrAgentContext *context, virConnectPtr *conn,
                     VrHostCaps **caps, GError **error)
{
  return daemon_ref_libvirt (VR_DAEMON (context), conn, caps, error);
}

static gboolean
context_ref_host (VrAgentContext *context, const char *host, const char *option,
                  virConnectPtr *conn, VrHostCaps **caps, GError **error)
{
  return daemon_ref_host (VR_DAEMON (context), host, option, conn, caps, error);
}

static VrHostConnections *
context_get_hosts (VrAgentContext *context)
{
  return daemon_get_hosts (VR_DAEMON (context));
}

static VrJobObject *
context_add_import_job (VrAgentContext *context, const char *name,
                        guint owner_uid, GError **error)
{
  return daemon_add_import_job (VR_DAEMON (context), name, owner_uid, error);
}

static void
context_authorize_details (VrAgentContext *context,
                           GDBusMethodInvocation *invocation,
                           const char *action, const char *const *details,
                           VrAuthorizedFunc early, VrAuthorizedFunc func,
                           gpointer data, GDestroyNotify destroy)
{
  daemon_authorize_details (VR_DAEMON (context), invocation, action, details,
                            early, func, data, destroy);
}

static char **
context_host_details (VrAgentContext *context, const char *host)
{
  return daemon_host_details (VR_DAEMON (context), host);
}

static const char *
context_export_system (VrAgentContext *context, VrPlannedSystem *system)
{
  return daemon_export_system (VR_DAEMON (context), system);
}

static void
context_unexport_system (VrAgentContext *context, const char *uuid)
{
  daemon_unexport_system (VR_DAEMON (context), uuid);
}

static void
context_run_system_work (VrAgentContext *context, const char *uuid, GTask *task,
                         GTaskThreadFunc func)
{
  daemon_run_system_work (VR_DAEMON (context), uuid, task, func);
}

static const char *
context_system_name (VrAgentContext *context, const char *uuid)
{
  return daemon_system_name (VR_DAEMON (context), uuid);
}

static GPtrArray *
context_list_system_paths (VrAgentContext *context)
{
  return daemon_list_system_paths (VR_DAEMON (context));
}

static GVariant *
context_list_system_summaries (VrAgentContext *context)
{
  return daemon_list_system_summaries (VR_DAEMON (context));
}

static int
context_get_summaries_fd (VrAgentContext *context, GError **error)
{
  return daemon_get_summaries_fd (VR_DAEMON (context), error);
}

static const char *
context_queue_realize (VrAgentContext *context, VrPlannedSystem *system,
                       const VrRealizeOptions *options, guint owner_uid,
                       VrRealizeHold *hold, GError **error)
{
  return daemon_queue_realize (VR_DAEMON (context), system, options, owner_uid,
                               hold, error);
}

static gboolean
context_system_busy (VrAgentContext *context, const char *uuid)
{
  return daemon_system_busy (VR_DAEMON (context), uuid);
}

static GPtrArray *
context_list_job_paths (VrAgentContext *context)
{
  return daemon_list_job_paths (VR_DAEMON (context));
}

static void
vr_daemon_context_init (VrAgentContextInterface *iface)
{
  iface->get_store = context_get_store;
  iface->index_options = context_index_options;
  iface->is_session = context_is_session;
  iface->get_pool_dirs = context_get_pool_dirs;
  iface->get_trusted_import_dirs = context_get_trusted_import_dirs;
  iface->get_realize_limits = context_get_realize_limits;
  iface->get_realize_holds = context_get_realize_holds;
  iface->get_user_quotas = context_get_user_quotas;
  iface->get_uuid_owners = context_get_uuid_owners;
  iface->get_bridges = context_get_bridges;
  iface->get_config_path = context_get_config_path;
  iface->run_import = context_run_import;
  iface->ref_libvirt = context_ref_libvirt;
  iface->ref_host = context_ref_host;
  iface->get_hosts = context_get_hosts;
  iface->authorize_details = context_authorize_details;
  iface->add_import_job = context_add_import_job;
  iface->host_details = context_host_details;
  iface->export_system = context_export_system;
  iface->unexport_system = context_unexport_system;
  iface->run_system_work = context_run_system_work;
  iface->system_name = context_system_name;
  iface->list_system_paths = context_list_system_paths;
  iface->list_system_summaries = context_list_system_summaries;
  iface->get_summaries_fd = context_get_summaries_fd;
  iface->queue_realize = context_queue_realize;
  iface->system_busy = context_system_busy;
  iface->list_job_paths = context_list_job_paths;
}
