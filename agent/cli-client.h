/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "cli.h"
#include "realize.h"

G_BEGIN_DECLS

/* The CLI as the agent's client (virt-realized on the bus). */

/* The bus to use, or NULL to work in-process: with --direct; with -c or
 * --state-dir (or $VIRT_REALIZE_STATE_DIR) unless --system or --session
 * asks for the agent, since those name what this process should open; or
 * when no agent answers on the bus (none running, none activatable). */
GDBusConnection *vr_cli_client_connect (VrCli *cli);

int vr_cli_client_import (VrCli *cli,
                          GDBusConnection *bus,
                          const char *dir,
                          const char *name,
                          gboolean new_id,
                          gboolean discard_saved_state);
int vr_cli_client_list (VrCli *cli, GDBusConnection *bus);
int vr_cli_client_destroy (VrCli *cli, GDBusConnection *bus, const char *key);
/* show through the agent: its properties and GetDomainXML (no secrets). */
int vr_cli_client_show (VrCli *cli, GDBusConnection *bus, const char *key,
                        gboolean xml);

/* The agent's Validate of the planned system whose name or UUID is key:
 * its findings, and the system's name in *name. */
GPtrArray *vr_cli_client_validate (GDBusConnection *bus,
                                   const char *key,
                                   char **name,
                                   GError **error);

/* Realize as a job of the agent: a progress bar from the job's properties
 * on a terminal, Ctrl-C calls its Cancel(); with no_wait it returns once
 * the job is queued and prints its object path. */
int vr_cli_client_realize (VrCli *cli,
                           GDBusConnection *bus,
                           const char *key,
                           const VrRealizeOptions *options,
                           gboolean no_wait);

/* The agent's jobs: list them, show one, cancel one, wait for one (a
 * progress bar on a terminal; Ctrl-C cancels it). ID is the number jobs
 * prints, or the job's object path. */
int vr_cli_client_jobs (VrCli *cli, GDBusConnection *bus);
int vr_cli_client_job (VrCli *cli, GDBusConnection *bus, const char *id);
int vr_cli_client_cancel (VrCli *cli, GDBusConnection *bus, const char *id);
int vr_cli_client_wait (VrCli *cli, GDBusConnection *bus, const char *id);

G_END_DECLS
