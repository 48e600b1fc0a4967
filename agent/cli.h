/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "planned-system.h"
#include "store.h"

G_BEGIN_DECLS

/* Exit statuses of virt-realize (DESIGN.md, CLI). */
enum {
  VR_EXIT_OK = 0,
  VR_EXIT_FAILED = 1,
  VR_EXIT_USAGE = 2,
  VR_EXIT_FINDINGS = 3,
};

/* What the global options chose, shared by every command. */
typedef struct {
  char *uri;
  char *state_dir;
  gboolean direct;
  gboolean session;
  gboolean system;
  gboolean json;
  gboolean quiet;
  VrStore *store;
} VrCli;

typedef int (*VrCliCommandFunc) (VrCli *cli, int argc, char **argv);

typedef struct {
  const char *name;
  VrCliCommandFunc run;
  const char *args;
  const char *summary;
} VrCliCommand;

/* Prints "error: <Code text> (<code>): <message>" and returns 1. */
int vr_cli_fail (const GError *error);

/* Prints "error: <message>" with a pointer to --help and returns 2. */
int vr_cli_usage_error (const char *command, const char *format, ...)
  G_GNUC_PRINTF (2, 3);

/* Parses a command's own options; on failure prints why and returns FALSE. */
gboolean vr_cli_parse (const char *command,
                       const char *args,
                       const char *summary,
                       const GOptionEntry *entries,
                       int *argc,
                       char ***argv);

/* Prints a JSON node to stdout, pretty. */
void vr_cli_print_json (JsonNode *node);

JsonNode *vr_cli_system_to_json (VrPlannedSystem *system);
void vr_cli_print_system (VrPlannedSystem *system);
void vr_cli_print_system_table (GPtrArray *systems);

/* The commands on planned systems (cli-systems.c). */
int vr_cli_import (VrCli *cli, int argc, char **argv);
int vr_cli_list (VrCli *cli, int argc, char **argv);
int vr_cli_show (VrCli *cli, int argc, char **argv);
int vr_cli_destroy (VrCli *cli, int argc, char **argv);

/* validate and edit (cli-validate.c). */
int vr_cli_validate (VrCli *cli, int argc, char **argv);
int vr_cli_edit (VrCli *cli, int argc, char **argv);

/* Realize (cli-realize.c). */
int vr_cli_realize (VrCli *cli, int argc, char **argv);

/* Export, and the manifest check of import (cli-export.c): runs the
 * check as a job with a progress bar; VR_EXIT_OK or VR_EXIT_FAILED (the
 * error printed). */
int vr_cli_export (VrCli *cli, int argc, char **argv);
int vr_cli_verify_manifest (VrCli *cli, VrImportDir *dir);

/* The agent's jobs (cli-jobs.c). */
int vr_cli_jobs (VrCli *cli, int argc, char **argv);
int vr_cli_job (VrCli *cli, int argc, char **argv);
int vr_cli_cancel (VrCli *cli, int argc, char **argv);
int vr_cli_wait (VrCli *cli, int argc, char **argv);

G_END_DECLS
