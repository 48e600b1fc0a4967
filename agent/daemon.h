/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "agent-context.h"
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
  VrUserQuotaLimits user_quotas;  /* 0s: the defaults */
  /* agent.conf MaxImportJobsPerUser: import Job objects one uid (not
   * root) has, running or kept after their end; 0: 8. */
  guint max_import_jobs;
  /* agent.conf MaxKeptJobsPerUser: ended Job objects one uid (not root)
   * keeps on the bus, the oldest removed beyond; 0: 32. */
  guint max_kept_jobs;
  /* agent.conf MaxWaitingImportsPerUser: imports of one uid (not root)
   * waiting for an import slot, one more refused; 0: 8. */
  guint max_waiting_imports;
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

/* The rest of what the daemon offers (its store, agent.conf, polkit, its
 * workers and its registry of planned systems and jobs) the D-Bus objects
 * reach through the VrAgentContext interface it implements
 * (agent-context.h): VR_AGENT_CONTEXT (daemon). */

G_END_DECLS
