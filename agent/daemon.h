/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "dbus-names.h"
#include "host-caps.h"
#include "host-connections.h"
#include "options.h"
#include "planned-system.h"
#include "realize.h"
#include "realize-limits.h"
#include "store.h"
#include "validate.h"
#include "vr-dbus-generated.h"

G_BEGIN_DECLS

typedef struct {
  const char *uri;       /* libvirt URI; NULL: libvirt's default */
  const char *state_dir; /* NULL: vr_store_default_dir() */
  gboolean session;      /* on a session bus: no polkit, own uid only */
  guint max_jobs;        /* jobs running at once; more wait as New */
  guint job_keep_seconds; /* how long a finished job stays exported */
  guint idle_trim_seconds; /* quiet time before vr_idle_trim(); 0: never */
  const char *const *pool_dirs; /* agent.conf PoolDirs; may be NULL */
  const char *const *trusted_import_dirs; /* TrustedImportDirs; may be NULL */
  const char *config_path;      /* agent.conf, for messages */
  guint max_imports;            /* imports at once; 0: 2 */
  /* agent.conf [Hosts]: remote hosts' names and URIs; may be NULL. */
  const char *const *host_names;
  const char *const *host_uris;
  const char *const *bridges;   /* agent.conf Bridges; may be NULL */
  VrRealizeLimits realize_limits; /* max_domains 0: the default */
} VrDaemonOptions;

/* virt-realized: the planned systems and jobs of one state directory and
 * one libvirt connection, exported on a bus. Everything here runs in the
 * main context the daemon was made in (the thread-default one then); all
 * that blocks (the store, libvirt, backend work) runs on worker threads,
 * whose tasks hold a reference on the daemon. */
#define VR_TYPE_DAEMON (vr_daemon_get_type ())
G_DECLARE_FINAL_TYPE (VrDaemon, vr_daemon, VR, DAEMON, GObject)

/* Connects to libvirt (retrying in the background when that fails), puts
 * back planned systems an earlier crash left realizing, and exports the
 * object manager on bus. */
VrDaemon *vr_daemon_new (GDBusConnection *bus,
                         const VrDaemonOptions *options,
                         GError **error);

/* Cancels running jobs and calls done once none is running: jobs roll back
 * before the agent exits. */
void vr_daemon_shutdown (VrDaemon *daemon, GSourceFunc done, gpointer data);

VrStore *vr_daemon_get_store (VrDaemon *daemon);
/* Points a validation's name check at the daemon's index of names
 * (name-index.h) instead of every record; the index lives as long as the
 * daemon, so the validation must hold a reference on the daemon. */
void vr_daemon_index_options (VrDaemon *daemon, VrValidateOptions *options);
gboolean vr_daemon_is_session (VrDaemon *daemon);

/* agent.conf's PoolDirs (NULL-terminated, maybe empty) and the file's
 * path. */
const char *const *vr_daemon_get_pool_dirs (VrDaemon *daemon);
const char *const *vr_daemon_get_trusted_import_dirs (VrDaemon *daemon);
/* What one uid may have realized through the agent (agent.conf). */
const VrRealizeLimits *vr_daemon_get_realize_limits (VrDaemon *daemon);
/* The realizes checked against those limits whose jobs have not ended. */
VrRealizeHolds *vr_daemon_get_realize_holds (VrDaemon *daemon);

/* The host bridges guests may join (agent.conf Bridges); never NULL. */
const char *const *vr_daemon_get_bridges (VrDaemon *daemon);
const char *vr_daemon_get_config_path (VrDaemon *daemon);

/* Runs an import's task (g_task_run_in_thread's func) for caller uid on
 * the daemon's import workers: at most max_imports at once, the rest in
 * order, one caller at most max_imports - 1 (import-queue.h). */
void vr_daemon_run_import (VrDaemon *daemon,
                           guint uid,
                           GTask *task,
                           GTaskThreadFunc func);

/* A reference on the current connection and its host caps, for a worker;
 * VR_ERROR_NOT_AVAILABLE while libvirt is unreachable. */
gboolean vr_daemon_ref_libvirt (VrDaemon *daemon,
                                virConnectPtr *conn,
                                VrHostCaps **caps,
                                GError **error);

/* The same for host (option names the caller's option, for messages):
 * NULL is the agent's own connection, else a host agent.conf lists, by
 * name or URI exactly as listed (any other is
 * VR_ERROR_INVALID_PARAMETER). */
gboolean vr_daemon_ref_host (VrDaemon *daemon,
                             const char *host,
                             const char *option,
                             virConnectPtr *conn,
                             VrHostCaps **caps,
                             GError **error);
/* The listed hosts (host-connections.h). */
VrHostConnections *vr_daemon_get_hosts (VrDaemon *daemon);

/* Every method handler starts here: asks polkit about action (see
 * auth.h) and calls func with the caller's uid when allowed, handing it
 * data; a denial is answered with AccessDenied (32769) and data is
 * destroyed. */
typedef void (*VrAuthorizedFunc) (VrDaemon *daemon,
                                  GDBusMethodInvocation *invocation,
                                  guint uid,
                                  gpointer data);
void vr_daemon_authorize (VrDaemon *daemon,
                          GDBusMethodInvocation *invocation,
                          const char *action,
                          VrAuthorizedFunc func,
                          gpointer data,
                          GDestroyNotify destroy);

/* The same with polkit details (vr_auth_check_details_async). */
void vr_daemon_authorize_details (VrDaemon *daemon,
                                  GDBusMethodInvocation *invocation,
                                  const char *action,
                                  const char *const *details,
                                  VrAuthorizedFunc func,
                                  gpointer data,
                                  GDestroyNotify destroy);

/* Polkit's details for an action on host (a listed name or URI, or NULL
 * for the agent's own libvirt): "host" its listed name ("this host" for
 * the agent's own) and "host_uri" its URI, whichever way the caller
 * named it. NULL when host is not listed. */
char **vr_daemon_host_details (VrDaemon *daemon, const char *host);

/* Planned systems (dbus-planned-system.c makes the objects). */
const char *vr_daemon_export_system (VrDaemon *daemon,
                                     VrPlannedSystem *system);
void vr_daemon_unexport_system (VrDaemon *daemon, const char *uuid);
/* Runs func (task's thread function) on a worker after the work on the
 * planned system uuid queued before (system-work.h): the handlers' way
 * to read and write the store off the main loop, in order. */
void vr_daemon_run_system_work (VrDaemon *daemon,
                                const char *uuid,
                                GTask *task,
                                GTaskThreadFunc func);
/* The Name of the planned system's object ("" when not exported). */
const char *vr_daemon_system_name (VrDaemon *daemon, const char *uuid);
/* Object paths, sorted by name. */
GPtrArray *vr_daemon_list_system_paths (VrDaemon *daemon);
/* ListPlannedSystemSummaries' answer: a(osssbs), sorted by name (a
 * reference on a kept value: unref it). */
GVariant *vr_daemon_list_system_summaries (VrDaemon *daemon);
/* The same serialized in a sealed memfd (GetPlannedSystemTable), made
 * once until a planned system changes: the daemon's descriptor (borrowed;
 * dup it to send), or -1 with error. */
int vr_daemon_get_summaries_fd (VrDaemon *daemon, GError **error);

/* Jobs (dbus-job.h; the daemon listens to their signals). A realize job
 * of the planned system, queued; its path, or NULL with VR_ERROR_IN_USE
 * when the planned system has a job already. hold (taken; may be NULL)
 * is released when the job ends, or at once when it is not queued. */
const char *vr_daemon_queue_realize (VrDaemon *daemon,
                                     VrPlannedSystem *system,
                                     const VrRealizeOptions *options,
                                     guint owner_uid,
                                     VrRealizeHold *hold,
                                     GError **error);
/* TRUE while a job of the planned system is queued or running. */
gboolean vr_daemon_system_busy (VrDaemon *daemon, const char *uuid);
GPtrArray *vr_daemon_list_job_paths (VrDaemon *daemon);

G_END_DECLS
