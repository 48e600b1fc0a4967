/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the command files (commands-systems.c, commands-jobs.c) share with
 * the dispatcher (commands.c). */

#include "cli.h"

G_BEGIN_DECLS

typedef struct {
  VrCli *cli;
  const VrCliCommand *command;
  VrCliOpenFunc open;
} VrCliRun;

typedef int (*VrCliCommandFunc) (VrCliRun *run, int argc, char **argv);

enum {
  COMMAND_DIRECT_ONLY = 1 << 0,
  COMMAND_NEEDS_AGENT = 1 << 1,
};

struct _VrCliCommand {
  const char *name;
  VrCliCommandFunc func;
  const char *args;
  const char *summary;
  guint flags;
};

/* Parses a command's own options and the global ones; FALSE when the
 * usage is wrong (said) or --help was printed. */
gboolean vr_cli_parse_command (VrCliRun *run,
                               const GOptionEntry *entries,
                               int *argc,
                               char ***argv);

/* Commands take exactly the positional arguments their usage names. */
gboolean vr_cli_want_args (VrCliRun *run,
                           int argc,
                           int wanted,
                           const char *what);

/* --host's values: none empty (an empty one would be libvirt's default
 * connection), and no -c/--connect beside them (it would be ignored).
 * FALSE with InvalidParameter naming the options. */
gboolean vr_cli_check_hosts (VrCliRun *run,
                             const char *const *hosts,
                             GError **error);

/* The program's transport for the command, or NULL (the error said). */
VrCliTransport *vr_cli_open_transport (VrCliRun *run);

/* The candidate a near miss meant ("did you mean"), or NULL. */
const char *vr_cli_nearest (const char *word,
                            const char *const *candidates,
                            guint n);

/* Whether a planned system has the name or UUID key: FALSE with "there
 * is no planned system 'KEY'" (InvalidParameter) and the nearest name, for
 * a typo; TRUE when it is there, or when the lookup failed otherwise (the
 * command's own call then says why). */
gboolean vr_cli_find_planned (VrCliTransport *transport,
                              const char *key,
                              GError **error);

/* A command on a planned system failed: when no planned system is key,
 * that (with the nearest name), else the error as it is. */
int vr_cli_fail_planned (VrCliTransport *transport,
                         const char *key,
                         const GError *error);

/* Whether to print words (neither --json nor -q). */
gboolean vr_cli_say (VrCliRun *run);

/* For a method the transport lacks: NotAvailable for the agent's jobs,
 * NotSupported otherwise. */
int vr_cli_not_offered (VrCliRun *run, VrCliTransport *transport);

/* commands-systems.c */
int vr_cli_cmd_import (VrCliRun *run, int argc, char **argv);
int vr_cli_cmd_list (VrCliRun *run, int argc, char **argv);
int vr_cli_cmd_show (VrCliRun *run, int argc, char **argv);
int vr_cli_cmd_destroy (VrCliRun *run, int argc, char **argv);
int vr_cli_cmd_validate (VrCliRun *run, int argc, char **argv);
int vr_cli_cmd_edit (VrCliRun *run, int argc, char **argv);

/* commands-jobs.c */
int vr_cli_cmd_realize (VrCliRun *run, int argc, char **argv);
int vr_cli_cmd_export (VrCliRun *run, int argc, char **argv);
int vr_cli_cmd_jobs (VrCliRun *run, int argc, char **argv);
int vr_cli_cmd_job (VrCliRun *run, int argc, char **argv);
int vr_cli_cmd_cancel (VrCliRun *run, int argc, char **argv);
int vr_cli_cmd_wait (VrCliRun *run, int argc, char **argv);

G_END_DECLS
