/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "dbus-job.h"
#include "host-caps.h"
#include "host-connections.h"
#include "planned-system.h"
#include "realize.h"
#include "realize-limits.h"
#include "store.h"
#include "user-quotas.h"
#include "uuid-owners.h"
#include "validate.h"

G_BEGIN_DECLS

/* What the D-Bus objects (dbus-*.c, place.c) need of the agent: its store,
 * agent.conf, polkit, its workers, its hosts and its registry of exported
 * planned systems and jobs. An interface, so that those files know nothing
 * of VrDaemon (daemon.c implements it and makes the objects): the daemon
 * depends on them, never the other way round (as fwupd's plugins see a
 * FuContext, not the engine). tests/check-agent-layers.sh keeps it so.
 *
 * Everything here runs in the main context the daemon was made in; the
 * objects hold a reference on the context (an instance of the daemon)
 * while their async calls run. */
#define VR_TYPE_AGENT_CONTEXT (vr_agent_context_get_type ())
G_DECLARE_INTERFACE (VrAgentContext, vr_agent_context, VR, AGENT_CONTEXT,
                     GObject)

/* Every method handler starts with vr_agent_context_authorize(): func
 * gets the caller's uid when polkit allowed the action. */
typedef void (*VrAuthorizedFunc) (VrAgentContext *context,
                                  GDBusMethodInvocation *invocation, guint uid,
                                  gpointer data);

struct _VrAgentContextInterface
{
  GTypeInterface parent_iface;

  VrStore *(*get_store) (VrAgentContext *context);
  void (*index_options) (VrAgentContext *context, VrValidateOptions *options);
  gboolean (*is_session) (VrAgentContext *context);
  const char *const *(*get_pool_dirs) (VrAgentContext *context);
  const char *const *(*get_trusted_import_dirs) (VrAgentContext *context);
  const VrRealizeLimits *(*get_realize_limits) (VrAgentContext *context);
  VrRealizeHolds *(*get_realize_holds) (VrAgentContext *context);
  VrUserQuotas *(*get_user_quotas) (VrAgentContext *context);
  VrUuidOwners *(*get_uuid_owners) (VrAgentContext *context);
  const char *const *(*get_bridges) (VrAgentContext *context);
  const char *(*get_config_path) (VrAgentContext *context);
  void (*run_import) (VrAgentContext *context, guint uid, GTask *task,
                      GTaskThreadFunc func);
  gboolean (*ref_libvirt) (VrAgentContext *context, virConnectPtr *conn,
                           VrHostCaps **caps, GError **error);
  gboolean (*ref_host) (VrAgentContext *context, const char *host,
                        const char *option, virConnectPtr *conn,
                        VrHostCaps **caps, GError **error);
  VrHostConnections *(*get_hosts) (VrAgentContext *context);
  void (*authorize_details) (VrAgentContext *context,
                             GDBusMethodInvocation *invocation,
                             const char *action, const char *const *details,
                             VrAuthorizedFunc early, VrAuthorizedFunc func,
                             gpointer data, GDestroyNotify destroy);
  char **(*host_details) (VrAgentContext *context, const char *host);
  const char *(*export_system) (VrAgentContext *context,
                                VrPlannedSystem *system);
  void (*unexport_system) (VrAgentContext *context, const char *uuid);
  void (*run_system_work) (VrAgentContext *context, const char *uuid,
                           GTask *task, GTaskThreadFunc func);
  const char *(*system_name) (VrAgentContext *context, const char *uuid);
  GPtrArray *(*list_system_paths) (VrAgentContext *context);
  GVariant *(*list_system_summaries) (VrAgentContext *context);
  int (*get_summaries_fd) (VrAgentContext *context, GError **error);
  const char *(*queue_realize) (VrAgentContext *context,
                                VrPlannedSystem *system,
                                const VrRealizeOptions *options,
                                guint owner_uid, VrRealizeHold *hold,
                                GError **error);
  gboolean (*system_busy) (VrAgentContext *context, const char *uuid);
  VrJobObject *(*add_import_job) (VrAgentContext *context, const char *name,
                                  guint owner_uid, GError **error);
  GPtrArray *(*list_job_paths) (VrAgentContext *context);
};

VrStore *vr_agent_context_get_store (VrAgentContext *context);
/* Points a validation's name check at the agent's index of names
 * (name-index.h) instead of every record; the index lives as long as the
 * context, so the validation must hold a reference on the context. */
void vr_agent_context_index_options (VrAgentContext *context,
                                     VrValidateOptions *options);
/* On a session bus: no polkit, own uid only. */
gboolean vr_agent_context_is_session (VrAgentContext *context);

/* agent.conf's PoolDirs (NULL-terminated, maybe empty) and the file's
 * path. */
const char *const *vr_agent_context_get_pool_dirs (VrAgentContext *context);
const char *const *
vr_agent_context_get_trusted_import_dirs (VrAgentContext *context);
/* What one uid may have realized through the agent (agent.conf). */
const VrRealizeLimits *
vr_agent_context_get_realize_limits (VrAgentContext *context);
/* The realizes checked against those limits whose jobs have not ended. */
VrRealizeHolds *vr_agent_context_get_realize_holds (VrAgentContext *context);
/* What each uid keeps and runs besides realizes (agent.conf). */
VrUserQuotas *vr_agent_context_get_user_quotas (VrAgentContext *context);
/* Which uid holds each planned system's UUID (uuid-owners.h). */
VrUuidOwners *vr_agent_context_get_uuid_owners (VrAgentContext *context);
/* The host bridges guests may join (agent.conf Bridges); never NULL. */
const char *const *vr_agent_context_get_bridges (VrAgentContext *context);
const char *vr_agent_context_get_config_path (VrAgentContext *context);

/* Runs an import's task (g_task_run_in_thread's func) for caller uid on
 * the agent's import workers: at most max_imports at once, the rest in
 * order, one caller at most max_imports - 1 (import-queue.h). */
void vr_agent_context_run_import (VrAgentContext *context, guint uid,
                                  GTask *task, GTaskThreadFunc func);

/* A reference on the current connection and its host caps, for a worker;
 * VR_ERROR_NOT_AVAILABLE while libvirt is unreachable. */
gboolean vr_agent_context_ref_libvirt (VrAgentContext *context,
                                       virConnectPtr *conn, VrHostCaps **caps,
                                       GError **error);
/* The same for host (option names the caller's option, for messages):
 * NULL is the agent's own connection, else a host agent.conf lists, by
 * name or URI exactly as listed (any other is
 * VR_ERROR_INVALID_PARAMETER). */
gboolean vr_agent_context_ref_host (VrAgentContext *context, const char *host,
                                    const char *option, virConnectPtr *conn,
                                    VrHostCaps **caps, GError **error);
/* The listed hosts (host-connections.h). */
VrHostConnections *vr_agent_context_get_hosts (VrAgentContext *context);

/* Asks polkit about action (see auth.h) and calls func with the caller's
 * uid when allowed, handing it data; a denial is answered with
 * AccessDenied (32769) and data is destroyed. */
void vr_agent_context_authorize (VrAgentContext *context,
                                 GDBusMethodInvocation *invocation,
                                 const char *action, VrAuthorizedFunc func,
                                 gpointer data, GDestroyNotify destroy);
/* The same with polkit details (vr_auth_check_details_async). */
void vr_agent_context_authorize_details (VrAgentContext *context,
                                         GDBusMethodInvocation *invocation,
                                         const char *action,
                                         const char *const *details,
                                         VrAuthorizedFunc func, gpointer data,
                                         GDestroyNotify destroy);
/* The same, and early is called with the caller's uid and data once the
 * uid is known while polkit has not answered yet (vr_auth_check_early_async;
 * maybe never): for work with no effect, run beside polkit's check. Its
 * answer still decides: func when allowed (after early), else AccessDenied
 * at once, without waiting for what early started, and destroy. */
void vr_agent_context_authorize_early (VrAgentContext *context,
                                       GDBusMethodInvocation *invocation,
                                       const char *action,
                                       const char *const *details,
                                       VrAuthorizedFunc early,
                                       VrAuthorizedFunc func, gpointer data,
                                       GDestroyNotify destroy);
/* Polkit's details for an action on host (a listed name or URI, or NULL
 * for the agent's own libvirt): "host" its listed name ("this host" for
 * the agent's own) and "host_uri" its URI, whichever way the caller
 * named it. NULL when host is not listed. */
char **vr_agent_context_host_details (VrAgentContext *context,
                                      const char *host);

/* Planned systems (dbus-planned-system.c makes the objects, the daemon
 * exports them). */
const char *vr_agent_context_export_system (VrAgentContext *context,
                                            VrPlannedSystem *system);
void vr_agent_context_unexport_system (VrAgentContext *context,
                                       const char *uuid);
/* Runs func (task's thread function) on a worker after the work on the
 * planned system uuid queued before (system-work.h): the handlers' way
 * to read and write the store off the main loop, in order. */
void vr_agent_context_run_system_work (VrAgentContext *context,
                                       const char *uuid, GTask *task,
                                       GTaskThreadFunc func);
/* The Name of the planned system's object ("" when not exported). */
const char *vr_agent_context_system_name (VrAgentContext *context,
                                          const char *uuid);
/* Object paths, sorted by name. */
GPtrArray *vr_agent_context_list_system_paths (VrAgentContext *context);
/* ListPlannedSystemSummaries' answer: a(osssbs), sorted by name (a
 * reference on a kept value: unref it). */
GVariant *vr_agent_context_list_system_summaries (VrAgentContext *context);
/* The same serialized in a sealed memfd (GetPlannedSystemTable), made
 * once until a planned system changes: the agent's descriptor (borrowed;
 * dup it to send), or -1 with error. */
int vr_agent_context_get_summaries_fd (VrAgentContext *context, GError **error);

/* Jobs (dbus-job.h). A realize job of the planned system, queued; its
 * path, or NULL with VR_ERROR_IN_USE when the planned system has a job
 * already. hold (taken; may be NULL) is released when the job ends, or
 * at once when it is not queued. */
const char *vr_agent_context_queue_realize (VrAgentContext *context,
                                            VrPlannedSystem *system,
                                            const VrRealizeOptions *options,
                                            guint owner_uid,
                                            VrRealizeHold *hold,
                                            GError **error);
/* TRUE while a job of the planned system is queued or running. */
gboolean vr_agent_context_system_busy (VrAgentContext *context,
                                       const char *uuid);
/* Exports a job for an import by owner_uid (vr_job_object_new_import; name
 * shown until the planned system is made) and keeps it as any job: listed
 * by GetJobs, stopped when the agent stops, gone --job-keep seconds after
 * it ended. Runs nothing: the caller gives it its VrJob. The context owns
 * it. */
VrJobObject *vr_agent_context_add_import_job (VrAgentContext *context,
                                             const char *name,
                                             guint owner_uid,
                                             GError **error);
GPtrArray *vr_agent_context_list_job_paths (VrAgentContext *context);

G_END_DECLS
