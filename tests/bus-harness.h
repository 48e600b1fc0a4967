/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A private system bus for the agent's tests and benchmarks: a dbus-daemon
 * started from Debian's system.conf (its own socket, no user switch, no
 * activation, plus data/org.virtrealize.Realize1.conf) and, if asked, a
 * real polkitd on it with the project's policy and rules installed where
 * polkitd reads them (removed again by vr_bus_harness_free()). Needs root:
 * vr_bus_harness_new() returns NULL with a reason otherwise. */
typedef struct {
  char *dir;
  char *address;
  GSubprocess *dbus;
  GSubprocess *polkitd;
  GDBusConnection *bus; /* the test's own connection, as root */
  GPtrArray *installed; /* (path, previous contents) put into
                           /usr/share/polkit-1 */
} VrBusHarness;

VrBusHarness *vr_bus_harness_new (gboolean polkit, char **why_not);
void vr_bus_harness_free (VrBusHarness *harness);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrBusHarness, vr_bus_harness_free)

/* Installs text as polkit's rules.d/name (a test's rule; it should hold
 * only while the test runs) and restarts polkitd so that it holds at
 * once; vr_bus_harness_free() removes it (or puts back what was there). */
void vr_bus_harness_add_rules (VrBusHarness *harness,
                               const char *name,
                               const char *text);

/* The one host bridge the agent.conf of vr_bus_harness_start_agent lets
 * guests join (Bridges=); it need not exist. */
#define VR_BUS_HARNESS_BRIDGE "vrtrustok0"

/* Starts virt-realized ($VR_AGENT) on the bus with -c uri --state-dir
 * state_dir, the extra environment (KEY=VALUE, may be NULL) and extra
 * arguments (may be NULL), and waits until it owns its name. */
GSubprocess *vr_bus_harness_start_agent (VrBusHarness *harness,
                                         const char *uri,
                                         const char *state_dir,
                                         const char *const *env,
                                         const char *const *args);

/* SIGTERM and wait: jobs roll back, the agent exits 0. */
void vr_bus_harness_stop_agent (GSubprocess *agent);

/* SIGKILL and wait: a crash. */
void vr_bus_harness_kill_agent (GSubprocess *agent);

/* Runs argv as uid/gid 65534 (nobody) on the bus; returns its exit status
 * and what it wrote to stderr. */
int vr_bus_harness_run_as_nobody (VrBusHarness *harness,
                                  const char *const *argv,
                                  char **err);

/* The same, with what it wrote to stdout too (out may be NULL). */
int vr_bus_harness_run_as_nobody_out (VrBusHarness *harness,
                                      const char *const *argv,
                                      char **out,
                                      char **err);

/* Starts argv as nobody on the bus, stdout and stderr merged into a pipe,
 * for a watcher (gdbus monitor) the caller ends. */
GSubprocess *vr_bus_harness_spawn_as_nobody (VrBusHarness *harness,
                                             const char *const *argv);

G_END_DECLS
