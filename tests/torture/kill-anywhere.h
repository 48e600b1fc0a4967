/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kill-anywhere trials' shared parts: what a trial is, the state of the
 * run, the processes it starts and kills (kill-process.c) and the trials
 * with their checks (kill-trials.c). kill-anywhere.c runs them. */
#pragma once

#include <gio/gio.h>

#include "test-util.h"
#include "testbed.h"

#define BASIC_NAME "vr-guest"
#define BASIC_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000001"
#define DISK_NAME "vr-guest-disk"
#define DISK_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000002"
#define BUS_NAME "org.virtrealize.Realize1"
#define WAIT_MS 120000
#define SENTINEL "other.img"
/* Every how many realize trials `virsh start` checks the guest resumes. */
#define RESUME_EVERY 4

typedef enum { OP_REALIZE, OP_EXPORT, OP_IMPORT } Op;

typedef struct {
  Op op;
  gboolean agent;
  const char *point; /* a stall point, or "random" */
} Case;

typedef struct {
  const char *dir;
  const char *name;
  const char *uuid;
  gboolean copy_disks;
} Guest;

typedef struct {
  guint trials;
  guint64 seed;
  GRand *rand;
  char *work;
  char *root, *uri;         /* where realize puts guests */
  char *src_root, *src_uri; /* the running guest export saves */
  char *src_disk;           /* its disk */
  Guest guests[3];          /* basic, disk (--copy-disks), large */
  char *manifest_dir;       /* a large import directory with a manifest */
  char *bus_address;
  GSubprocess *bus;
  guint trial;
  guint violations;
  guint resumes;
  guint kills;
  GString *summary;
} Torture;

extern Torture T;

/* kill-process.c: the trial's log files, processes started with the hooks'
 * environment and the private session bus in it, the CLI (in-process on a
 * state directory, or through the agent when state is NULL), the agent. */
char *log_path (const char *what);
GSubprocess *spawn (const char *const *argv, const char *log, const char *const *env);
char *read_log (const char *log);
gboolean exited (GSubprocess *process);
gboolean wait_for_log (GSubprocess *process, const char *log,
                       const char *needle);
void kill_and_reap (GSubprocess *process);
void wait_client (GSubprocess *client);
int wait_status (GSubprocess *process);
GPtrArray *cli_argv (const char *state, const char *uri,
                     const char *const *args);
int cli (const char *state, const char *uri, char **out,
         const char *const *args);
GSubprocess *start_agent (const char *state, const char *const *env);
void stop_agent (GSubprocess *agent);
void start_bus (void);
/* Counts and prints a broken invariant of the current trial. */
void violation (const char *format, ...) G_GNUC_PRINTF (1, 2);
gboolean exists_at (const char *dir, const char *name);
char *managed_save_of (const char *root, const char *name);
char *extra_entries (const char *dir, const char *keep);
/* Waits for point (a stall point's message in log, or a random moment,
 * half the time while worker writes a copy below pool or out) and SIGKILLs worker; TRUE if
 * it was still at work. hook_env is the environment that makes point. */
gboolean run_and_kill (GSubprocess *worker, const char *log,
                       GSubprocess *client, const char *point,
                       const char *pool, const char *out, char **where);
const char *const *hook_env (const char *point);
/* The libvirt definition of the export source, as virsh prints it. */
char *source_xml (void);

/* kill-trials.c: one trial each. */
void trial_realize (const Case *c);
void trial_export (const Case *c);
void trial_import (const Case *c);
