/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "transport.h"

G_BEGIN_DECLS

/* Exit statuses of virt-realize (DESIGN.md, CLI). */
enum {
  VR_EXIT_OK = 0,
  VR_EXIT_FAILED = 1,
  VR_EXIT_USAGE = 2,
  VR_EXIT_FINDINGS = 3,
  /* Ctrl-C: the job was cancelled and rolled back (128 + SIGINT, as a
   * shell reports it). */
  VR_EXIT_CANCELLED = 130,
};

/* What the global options chose, shared by every command. Global options
 * are taken before and after the command (`show NAME --json`). */
typedef struct {
  char *uri;
  char *state_dir;
  gboolean direct;
  gboolean session;
  gboolean system;
  gboolean json;
  gboolean quiet;
} VrCli;

typedef struct _VrCliCommand VrCliCommand;

/* Gives the transport for a command: the program's own choice
 * (virt-realize: the agent, or exec virt-realize-direct; the direct
 * program: the backend). NULL with error when there is none. */
typedef VrCliTransport *(*VrCliOpenFunc) (VrCli *cli,
                                          const VrCliCommand *command,
                                          GError **error);

/* The whole program: parses argv, runs the command, prints its result
 * (text or --json, errors too) and returns the exit status. */
int vr_cli_main (int argc, char **argv, VrCliOpenFunc open_transport);

/* The command's name and whether a transport must offer it: the thin
 * client asks this before choosing. */
const char *vr_cli_command_get_name (const VrCliCommand *command);
/* Whether the command runs only in-process (edit, export). */
gboolean vr_cli_command_is_direct_only (const VrCliCommand *command);
/* Whether the command is about the agent's jobs. */
gboolean vr_cli_command_needs_agent (const VrCliCommand *command);

/* output.c: errors and JSON, once for every command. */

/* With --json errors print {"error": {"code", "name", "message"}} on
 * stdout; set once the options are known. */
void vr_cli_output_set_json (gboolean json);

/* Prints "error: <Code text> (<code>): <message>" (or its JSON) and
 * returns VR_EXIT_FAILED (a G_IO_ERROR_CANCELLED: vr_cli_cancelled()). */
int vr_cli_fail (const GError *error);

/* A job that was cancelled (Ctrl-C, or cancel ID): "cancelled: ..." (or
 * {"cancelled": {"job": ID}}), distinct from a failure; returns
 * VR_EXIT_CANCELLED. */
int vr_cli_cancelled (const char *job_id);

/* Prints "error: <message>" with a pointer to help and returns
 * VR_EXIT_USAGE. */
int vr_cli_usage_error (const char *command, const char *format, ...)
  G_GNUC_PRINTF (2, 3);

/* Text for a terminal: a name, path, description or message from a
 * planned system, a folder, a domain or libvirt is shown, never acted on.
 * Control characters (C0, DEL, C1), Unicode format and line/paragraph
 * separators (bidirectional overrides) and bytes that are not UTF-8 are
 * written as escapes, as `ls -b` and systemd's cescape do: \e \a \b \t
 * \n \v \f \r, else \xNN per byte. '\n' is kept when keep_newlines. A
 * backslash is not doubled, so escaping twice changes nothing. */
char *vr_cli_escape (const char *text, gboolean keep_newlines);

/* printf and fprintf for human output: the whole text goes through
 * vr_cli_escape (keeping newlines). Every text printer uses them; JSON
 * is escaped by json-glib. */
void vr_cli_printf (const char *format, ...) G_GNUC_PRINTF (1, 2);
void vr_cli_fprintf (FILE *stream, const char *format, ...)
  G_GNUC_PRINTF (2, 3);

/* A document (show --xml) to stdout: as it is into a pipe or a file,
 * where it is data (XML may hold a C1 control or a bidirectional
 * override in a name); through vr_cli_escape on a terminal. */
void vr_cli_print_document (const char *text);

/* Prints a JSON node to stdout, pretty. */
void vr_cli_print_json (JsonNode *node);
/* An error as JSON's {"code", "name", "message"} object, the value of
 * the member b is at. */
void vr_cli_json_add_error (JsonBuilder *b, const GError *error);

void vr_cli_print_system (const VrCliSystem *system);
void vr_cli_print_system_table (GPtrArray *systems);
void vr_cli_print_validation (const VrCliValidation *validation,
                              gboolean errors_only);
void vr_cli_print_jobs (GPtrArray *jobs);
void vr_cli_print_job (const VrCliJob *job);
void vr_cli_print_export (const VrCliExport *result);

/* Runs a transport's job to its end: a progress bar on a terminal when
 * show_progress, Ctrl-C or SIGTERM cancels it (it rolls back first;
 * *interrupted says so). The job as it ended, or NULL when it is gone. */
VrCliJob *vr_cli_run_job (VrCliTransport *transport,
                          const char *id,
                          gboolean show_progress,
                          gboolean *interrupted);

/* TRUE when job (vr_cli_run_job's answer) completed; else FALSE with
 * its error: "cancelled" (G_IO_ERROR_CANCELLED) when interrupted, the
 * job's code and description otherwise, NotAvailable-like Unknown when
 * it is gone. */
gboolean vr_cli_job_succeeded (const VrCliJob *job,
                               gboolean interrupted,
                               GError **error);

/* progress.c: the one progress bar, for a job of either transport. */
char *vr_cli_progress_format (const VrCliJob *job, guint width);
void vr_cli_progress_draw (const VrCliJob *job, gpointer stream);

G_END_DECLS
