/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every command, written once against VrCliTransport: virt-realize (the
 * agent's client) and virt-realize-direct (in-process) both run these. */
#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "errors.h"
#include "findings.h"
#include "job-states.h"

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

const char *
vr_cli_command_get_name (const VrCliCommand *command)
{
  return command->name;
}

gboolean
vr_cli_command_is_direct_only (const VrCliCommand *command)
{
  return (command->flags & COMMAND_DIRECT_ONLY) != 0;
}

gboolean
vr_cli_command_needs_agent (const VrCliCommand *command)
{
  return (command->flags & COMMAND_NEEDS_AGENT) != 0;
}

void
vr_cli_transport_free (VrCliTransport *transport)
{
  if (transport != NULL)
    transport->klass->free (transport);
}

/* The global options, accepted before and after the command. */
static GOptionEntry *
global_entries (VrCli *cli, gboolean *version)
{
  const GOptionEntry entries[] = {
    { "connect", 'c', 0, G_OPTION_ARG_STRING, &cli->uri,
      "libvirt connection URI (default: $LIBVIRT_DEFAULT_URI, else "
      "libvirt's default)", "URI" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &cli->state_dir,
      "State directory (default: $VIRT_REALIZE_STATE_DIR, else "
      "/var/lib/virt-realize as root)", "DIR" },
    { "direct", 0, 0, G_OPTION_ARG_NONE, &cli->direct,
      "Do the work in this process (virt-realize-direct), not through the "
      "agent", NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &cli->session,
      "Talk to the agent on the session bus; never work in-process", NULL },
    { "system", 0, 0, G_OPTION_ARG_NONE, &cli->system,
      "Talk to the agent on the system bus; never work in-process", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json,
      "Print JSON for programs (errors too)", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &cli->quiet,
      "Print only errors", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, version, "Print the version",
      NULL },
    { NULL }
  };

  return g_memdup2 (entries, sizeof entries);
}

/* Parses a command's own options and the global ones; FALSE when the
 * usage is wrong (said) or --help was printed. */
static gboolean
parse_command (VrCliRun *run, const GOptionEntry *entries, int *argc,
               char ***argv)
{
  const VrCliCommand *command = run->command;
  gboolean version = FALSE;
  g_autofree GOptionEntry *globals = global_entries (run->cli, &version);
  g_autofree char *usage = g_strdup_printf ("%s %s", command->name,
                                            command->args);
  g_autoptr (GOptionContext) context = g_option_context_new (usage);
  g_autoptr (GError) error = NULL;
  GOptionGroup *group = g_option_group_new ("global", "Global options:",
                                            "Show the global options",
                                            NULL, NULL);

  g_option_context_set_summary (context, command->summary);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);
  g_option_group_add_entries (group, globals);
  g_option_context_add_group (context, group);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      vr_cli_output_set_json (run->cli->json);
      vr_cli_usage_error (command->name, "%s", error->message);
      return FALSE;
    }
  vr_cli_output_set_json (run->cli->json);
  if (run->cli->session && run->cli->system)
    {
      vr_cli_usage_error (NULL, "--session and --system exclude each other");
      return FALSE;
    }
  return TRUE;
}

/* Commands take exactly the positional arguments their usage names. */
static gboolean
want_args (VrCliRun *run, int argc, int wanted, const char *what)
{
  if (argc - 1 == wanted)
    return TRUE;
  vr_cli_usage_error (run->command->name,
                      argc - 1 < wanted ? "missing %s"
                                        : "too many arguments (%s expected)",
                      what);
  return FALSE;
}

static VrCliTransport *
open_transport (VrCliRun *run)
{
  g_autoptr (GError) error = NULL;
  VrCliTransport *transport = run->open (run->cli, run->command, &error);

  if (transport == NULL)
    vr_cli_fail (error);
  return transport;
}

static gboolean
say (VrCliRun *run)
{
  return !run->cli->json && !run->cli->quiet;
}

static int
not_offered (VrCliRun *run, VrCliTransport *transport)
{
  g_autoptr (GError) error = NULL;

  if (vr_cli_command_needs_agent (run->command))
    error = g_error_new (VR_ERROR, VR_ERROR_NOT_AVAILABLE,
                         "%s: no agent (virt-realized) answers, and an "
                         "in-process job ends with its command",
                         run->command->name);
  else
    error = g_error_new (VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                         "%s is not offered by the %s transport",
                         run->command->name, transport->klass->name);
  return vr_cli_fail (error);
}

/* Runs the main loop until the job ends: a progress bar on a terminal,
 * Ctrl-C (or SIGTERM) cancels it, and it rolls back before it ends. */
typedef struct {
  GCancellable *interrupted;
  gboolean drawn;
  gboolean draw;
} Watch;

static gboolean
on_interrupt (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_CONTINUE;
}

static void
on_changed (const VrCliJob *job, gpointer user_data)
{
  Watch *watch = user_data;

  if (!watch->draw)
    return;
  vr_cli_progress_draw (job, stderr);
  watch->drawn = TRUE;
}

VrCliJob *
vr_cli_run_job (VrCliTransport *transport, const char *id,
                gboolean show_progress, gboolean *interrupted)
{
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  Watch watch = { cancel, FALSE, show_progress && isatty (STDERR_FILENO) };
  guint sigint = g_unix_signal_add (SIGINT, on_interrupt, cancel);
  guint sigterm = g_unix_signal_add (SIGTERM, on_interrupt, cancel);

  transport->klass->wait (transport, id, cancel, on_changed, &watch);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  if (watch.drawn)
    fputs ("\n", stderr);
  if (interrupted != NULL)
    *interrupted = g_cancellable_is_cancelled (cancel);
  return transport->klass->job (transport, id, NULL);
}

/* How a job that did not complete ends the command: "cancelled" and 130
 * for a cancel, its error and 1 otherwise. */
static int
job_failed (const VrCliJob *job)
{
  g_autoptr (GError) error = NULL;

  if (job == NULL)
    {
      error = g_error_new_literal (VR_ERROR, VR_ERROR_UNKNOWN,
                                   "the agent went away before the job "
                                   "ended; its next start rolls the job "
                                   "back");
      return vr_cli_fail (error);
    }
  if (job->state == VR_DBUS_JOB_TERMINATED)
    return vr_cli_cancelled (job->id);
  error = g_error_new_literal (VR_ERROR,
                               job->error_code ? job->error_code
                                               : VR_ERROR_FAILED,
                               job->error_description
                                   ? job->error_description : "failed");
  return vr_cli_fail (error);
}

static int
cmd_import (VrCliRun *run, int argc, char **argv)
{
  g_autofree char *name = NULL;
  gboolean new_id = FALSE;
  gboolean discard = FALSE;
  const GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name,
      "Name of the planned system and its domain", "NAME" },
    { "new-id", 0, 0, G_OPTION_ARG_NONE, &new_id,
      "A copy beside the original: new UUID, new MAC addresses, a new name "
      "if the old one is taken", NULL },
    { "discard-saved-state", 0, 0, G_OPTION_ARG_NONE, &discard,
      "Leave the saved state behind: the guest will boot from its disks",
      NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (VrCliSystem) system = NULL;
  VrCliImportRequest request = { 0 };

  if (!parse_command (run, entries, &argc, &argv)
      || !want_args (run, argc, 1, "DIR"))
    return VR_EXIT_USAGE;
  if ((transport = open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  request.dir = argv[1];
  request.name = name;
  request.new_id = new_id;
  request.discard_saved_state = discard;
  system = transport->klass->import (transport, &request, &error);
  if (system == NULL)
    return vr_cli_fail (error);
  if (run->cli->json)
    {
      g_autoptr (JsonNode) node = vr_cli_system_to_json (system);

      vr_cli_print_json (node);
      return VR_EXIT_OK;
    }
  if (run->cli->quiet)
    return VR_EXIT_OK;
  printf ("Planned system '%s' (%s) imported from %s\n", system->name,
          system->uuid, system->import_dir);
  if (system->saved_state_discarded)
    printf ("Its saved state is left behind: the guest will boot from its "
            "disks\n");
  if (system->tpm_discarded)
    printf ("Its TPM state is left behind: a new identity gets a new TPM, "
            "so that the copy does not hold the original's keys\n");
  return VR_EXIT_OK;
}

static int
cmd_list (VrCliRun *run, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (GPtrArray) systems = NULL;

  if (!parse_command (run, NULL, &argc, &argv)
      || !want_args (run, argc, 0, "nothing"))
    return VR_EXIT_USAGE;
  if ((transport = open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  systems = transport->klass->list (transport, &error);
  if (systems == NULL)
    return vr_cli_fail (error);
  if (run->cli->json)
    {
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
      g_autoptr (JsonArray) array = json_array_new ();

      for (guint i = 0; i < systems->len; i++)
        json_array_add_element (
            array, vr_cli_system_summary_to_json (systems->pdata[i]));
      json_node_set_array (node, array);
      vr_cli_print_json (node);
    }
  else
    vr_cli_print_system_table (systems);
  return VR_EXIT_OK;
}

static int
cmd_show (VrCliRun *run, int argc, char **argv)
{
  gboolean xml = FALSE;
  const GOptionEntry entries[] = {
    { "xml", 0, 0, G_OPTION_ARG_NONE, &xml, "Print the planned domain XML",
      NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (VrCliSystem) system = NULL;

  if (!parse_command (run, entries, &argc, &argv)
      || !want_args (run, argc, 1, "PLANNED"))
    return VR_EXIT_USAGE;
  if ((transport = open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  if (xml)
    {
      g_autofree char *text = transport->klass->get_xml (transport, argv[1],
                                                         &error);

      if (text == NULL)
        return vr_cli_fail (error);
      fputs (text, stdout);
      return VR_EXIT_OK;
    }
  system = transport->klass->lookup (transport, argv[1], &error);
  if (system == NULL)
    return vr_cli_fail (error);
  if (run->cli->json)
    {
      g_autoptr (JsonNode) node = vr_cli_system_to_json (system);

      vr_cli_print_json (node);
    }
  else
    vr_cli_print_system (system);
  return VR_EXIT_OK;
}

static int
cmd_destroy (VrCliRun *run, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (VrCliSystem) system = NULL;

  if (!parse_command (run, NULL, &argc, &argv)
      || !want_args (run, argc, 1, "PLANNED"))
    return VR_EXIT_USAGE;
  if ((transport = open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  system = transport->klass->destroy (transport, argv[1], &error);
  if (system == NULL)
    return vr_cli_fail (error);
  if (run->cli->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "destroyed");
      json_builder_add_value (b, vr_cli_system_to_json (system));
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      vr_cli_print_json (root);
    }
  else if (!run->cli->quiet)
    {
      printf ("Planned system '%s' destroyed; its import directory %s is "
              "left as it was\n", system->name, system->import_dir);
      if (system->domain != NULL)
        printf ("Domain '%s', which its realize defined, stays defined "
                "(undefine it with virsh)\n", system->domain);
    }
  return VR_EXIT_OK;
}

static int
report_validation (VrCliRun *run, const VrCliValidation *validation)
{
  if (run->cli->json)
    {
      g_autoptr (JsonNode) node = vr_cli_validation_to_json (validation);

      vr_cli_print_json (node);
    }
  else
    vr_cli_print_validation (validation, run->cli->quiet);
  return vr_findings_has_errors (validation->findings) ? VR_EXIT_FINDINGS
                                                       : VR_EXIT_OK;
}

static int
cmd_validate (VrCliRun *run, int argc, char **argv)
{
  gboolean copy_disks = FALSE;
  const GOptionEntry entries[] = {
    { "copy-disks", 0, 0, G_OPTION_ARG_NONE, &copy_disks,
      "As realize --copy-disks will: disks inside the import directory are "
      "fine", NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (VrCliValidation) validation = NULL;

  if (!parse_command (run, entries, &argc, &argv)
      || !want_args (run, argc, 1, "PLANNED, DIR or FILE.xml"))
    return VR_EXIT_USAGE;
  if ((transport = open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  validation = transport->klass->validate (transport, argv[1], &error);
  if (validation == NULL)
    return vr_cli_fail (error);
  if (copy_disks)
    vr_findings_remove_id (validation->findings, VR_FINDING_DISK_IN_IMPORT);
  return report_validation (run, validation);
}

static int
cmd_edit (VrCliRun *run, int argc, char **argv)
{
  g_autofree char *xml_file = NULL;
  g_auto (GStrv) sets = NULL;
  g_auto (GStrv) removes = NULL;
  const GOptionEntry entries[] = {
    { "xml", 0, 0, G_OPTION_ARG_FILENAME, &xml_file,
      "Replace the planned domain XML with FILE's", "FILE" },
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets,
      "Set an attribute or an element's text (repeatable)", "XPATH=VALUE" },
    { "remove", 0, 0, G_OPTION_ARG_STRING_ARRAY, &removes,
      "Remove what XPATH selects (repeatable; after the sets)", "XPATH" },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (VrCliSystem) system = NULL;
  g_autoptr (VrCliValidation) validation = NULL;
  VrCliEditRequest request = { 0 };

  if (!parse_command (run, entries, &argc, &argv)
      || !want_args (run, argc, 1, "PLANNED"))
    return VR_EXIT_USAGE;
  if (xml_file != NULL && (sets != NULL || removes != NULL))
    return vr_cli_usage_error ("edit", "--xml excludes --set and --remove");
  if (xml_file == NULL && sets == NULL && removes == NULL)
    return vr_cli_usage_error ("edit", "nothing to change: give --xml FILE, "
                               "--set XPATH=VALUE or --remove XPATH");
  if ((transport = open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  if (transport->klass->edit == NULL)
    return not_offered (run, transport);
  request.xml_file = xml_file;
  request.sets = (const char *const *) sets;
  request.removes = (const char *const *) removes;
  system = transport->klass->edit (transport, argv[1], &request, &error);
  if (system == NULL)
    return vr_cli_fail (error);
  if (say (run))
    printf ("Planned system '%s' updated\n\n", system->name);
  /* The edit is kept whatever validation says; it only reports. */
  validation = transport->klass->validate (transport, system->uuid, &error);
  if (validation == NULL)
    {
      g_prefix_error (&error, "the edit is saved, but validation failed: ");
      return vr_cli_fail (error);
    }
  return report_validation (run, validation);
}

static int
report_realized (VrCliRun *run, VrCliTransport *transport, const char *key,
                 gboolean started)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliSystem) system = transport->klass->lookup (transport, key,
                                                             &error);

  if (system == NULL)
    return vr_cli_fail (error);
  if (run->cli->json)
    {
      g_autoptr (JsonNode) node = vr_cli_system_to_json (system);

      vr_cli_print_json (node);
      return VR_EXIT_OK;
    }
  if (run->cli->quiet)
    return VR_EXIT_OK;
  printf ("Planned system '%s' %s\n", system->name,
          system->last_job_message ? system->last_job_message : "realized");
  if (started)
    printf ("Domain '%s' is running: the guest resumed where it stopped\n",
            system->domain);
  else
    printf ("Start it with: virsh start %s (the guest resumes)\n",
            system->domain);
  return VR_EXIT_OK;
}

/* realize --no-wait: the job's id, for jobs, job, wait and cancel. */
static int
print_job_id (VrCliRun *run, const char *id)
{
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (JsonNode) root = NULL;

  if (!run->cli->json)
    {
      printf ("%s\n", id);
      return VR_EXIT_OK;
    }
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "job");
  json_builder_add_string_value (b, id);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  vr_cli_print_json (root);
  return VR_EXIT_OK;
}

static int
cmd_realize (VrCliRun *run, int argc, char **argv)
{
  g_autofree char *pool = NULL;
  g_autofree char *pool_dir = NULL;
  g_autofree char *handoff = NULL;
  gboolean no_wait = FALSE;
  VrCliRealizeRequest request = { 0 };
  const GOptionEntry entries[] = {
    { "pool", 0, 0, G_OPTION_ARG_STRING, &pool,
      "libvirt directory pool to copy the saved state into", "NAME" },
    { "pool-dir", 0, 0, G_OPTION_ARG_FILENAME, &pool_dir,
      "Directory to copy the saved state into (connections without "
      "storage, like the embedded one)", "DIR" },
    { "copy-disks", 0, 0, G_OPTION_ARG_NONE, &request.copy_disks,
      "Copy the disks inside the import directory into the pool too, and "
      "point the domain (and its saved state) at the copies", NULL },
    { "start", 0, 0, G_OPTION_ARG_NONE, &request.start,
      "Start the domain once realized (it resumes)", NULL },
    { "no-wait", 0, 0, G_OPTION_ARG_NONE, &no_wait,
      "Return once the job has started (needs the agent)", NULL },
    { "handoff", 0, 0, G_OPTION_ARG_STRING, &handoff,
      "How libvirt takes the saved state: auto, link or managedsave",
      "HOW" },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (VrCliJob) job = NULL;
  g_autofree char *id = NULL;

  if (!parse_command (run, entries, &argc, &argv)
      || !want_args (run, argc, 1, "PLANNED"))
    return VR_EXIT_USAGE;
  if (handoff != NULL && !g_str_equal (handoff, "auto")
      && !g_str_equal (handoff, "link") && !g_str_equal (handoff,
                                                         "managedsave"))
    return vr_cli_usage_error ("realize", "--handoff takes auto, link or "
                               "managedsave, not '%s'", handoff);
  if ((transport = open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  if (no_wait && transport->klass->jobs == NULL)
    return vr_cli_usage_error ("realize", "--no-wait needs the agent "
                               "(virt-realized); an in-process job lives "
                               "only as long as its command");
  request.pool = pool;
  request.pool_dir = pool_dir;
  request.handoff = handoff;
  id = transport->klass->realize (transport, argv[1], &request, &error);
  if (id == NULL)
    return vr_cli_fail (error);
  if (*id == '\0') /* nothing left to do */
    return report_realized (run, transport, argv[1], FALSE);
  if (no_wait)
    return print_job_id (run, id);
  job = vr_cli_run_job (transport, id, say (run), NULL);
  if (job == NULL || job->state != VR_DBUS_JOB_COMPLETED)
    return job_failed (job);
  return report_realized (run, transport, argv[1], request.start);
}

static int
cmd_export (VrCliRun *run, int argc, char **argv)
{
  VrCliExportRequest request = { 0 };
  const GOptionEntry entries[] = {
    { "save", 0, 0, G_OPTION_ARG_NONE, &request.save,
      "Managed-save a running domain first (it stays saved here; starting "
      "it resumes it)", NULL },
    { "with-disks", 0, 0, G_OPTION_ARG_NONE, &request.with_disks,
      "Copy its file-backed disks into DIR/disks too", NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (VrCliJob) job = NULL;
  g_autoptr (VrCliExport) result = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;

  if (!parse_command (run, entries, &argc, &argv)
      || !want_args (run, argc, 2, "DOMAIN and DIR"))
    return VR_EXIT_USAGE;
  if ((transport = open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  if (transport->klass->export_domain == NULL)
    return not_offered (run, transport);
  path = g_canonicalize_filename (argv[2], NULL);
  request.domain = argv[1];
  request.dir = path;
  id = transport->klass->export_domain (transport, &request, &error);
  if (id == NULL)
    return vr_cli_fail (error);
  job = vr_cli_run_job (transport, id, say (run), NULL);
  result = transport->klass->export_result (transport, id);
  if (job == NULL || job->state != VR_DBUS_JOB_COMPLETED || result == NULL)
    return job_failed (job);
  if (run->cli->json)
    {
      g_autoptr (JsonNode) node = vr_cli_export_to_json (result);

      vr_cli_print_json (node);
    }
  else if (!run->cli->quiet)
    vr_cli_print_export (result);
  return VR_EXIT_OK;
}

static int
cmd_jobs (VrCliRun *run, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (GPtrArray) jobs = NULL;

  if (!parse_command (run, NULL, &argc, &argv)
      || !want_args (run, argc, 0, "nothing"))
    return VR_EXIT_USAGE;
  if ((transport = open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  if (transport->klass->jobs == NULL)
    return not_offered (run, transport);
  jobs = transport->klass->jobs (transport, &error);
  if (jobs == NULL)
    return vr_cli_fail (error);
  if (run->cli->json)
    {
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
      g_autoptr (JsonArray) array = json_array_new ();

      for (guint i = 0; i < jobs->len; i++)
        json_array_add_element (array, vr_cli_job_to_json (jobs->pdata[i]));
      json_node_set_array (node, array);
      vr_cli_print_json (node);
    }
  else
    vr_cli_print_jobs (jobs);
  return VR_EXIT_OK;
}

/* job, cancel and wait: one job ID (the number jobs prints, or its
 * object path). */
static VrCliTransport *
open_for_job (VrCliRun *run, int *argc, char ***argv, int *status)
{
  VrCliTransport *transport;

  *status = VR_EXIT_USAGE;
  if (!parse_command (run, NULL, argc, argv)
      || !want_args (run, *argc, 1, "a job ID"))
    return NULL;
  *status = VR_EXIT_FAILED;
  if ((transport = open_transport (run)) == NULL)
    return NULL;
  if (transport->klass->jobs == NULL)
    {
      not_offered (run, transport);
      vr_cli_transport_free (transport);
      return NULL;
    }
  return transport;
}

static int
print_job_result (VrCliRun *run, const VrCliJob *job)
{
  if (run->cli->json)
    {
      g_autoptr (JsonNode) node = vr_cli_job_to_json (job);

      vr_cli_print_json (node);
    }
  else if (!run->cli->quiet)
    vr_cli_print_job (job);
  return VR_EXIT_OK;
}

static int
cmd_job (VrCliRun *run, int argc, char **argv)
{
  int status;
  g_autoptr (VrCliTransport) transport = open_for_job (run, &argc, &argv,
                                                       &status);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliJob) job = NULL;

  if (transport == NULL)
    return status;
  job = transport->klass->job (transport, argv[1], &error);
  if (job == NULL)
    return vr_cli_fail (error);
  return print_job_result (run, job);
}

static int
cmd_cancel (VrCliRun *run, int argc, char **argv)
{
  int status;
  g_autoptr (VrCliTransport) transport = open_for_job (run, &argc, &argv,
                                                       &status);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliJob) job = NULL;

  if (transport == NULL)
    return status;
  if (!transport->klass->cancel (transport, argv[1], &error))
    return vr_cli_fail (error);
  if (run->cli->json)
    {
      job = transport->klass->job (transport, argv[1], NULL);
      return job ? print_job_result (run, job) : VR_EXIT_OK;
    }
  if (!run->cli->quiet)
    printf ("Job %s cancelled: it rolls back what it made\n", argv[1]);
  return VR_EXIT_OK;
}

static int
cmd_wait (VrCliRun *run, int argc, char **argv)
{
  int status;
  g_autoptr (VrCliTransport) transport = open_for_job (run, &argc, &argv,
                                                       &status);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliJob) job = NULL;

  if (transport == NULL)
    return status;
  job = transport->klass->job (transport, argv[1], &error);
  if (job == NULL)
    return vr_cli_fail (error);
  g_clear_pointer (&job, vr_cli_job_free);
  job = vr_cli_run_job (transport, argv[1], say (run), NULL);
  if (job == NULL || job->state != VR_DBUS_JOB_COMPLETED)
    return job_failed (job);
  return print_job_result (run, job);
}

static int cmd_help (VrCliRun *run, int argc, char **argv);

static const VrCliCommand commands[] = {
  { "import", cmd_import,
    "DIR [--name NAME] [--new-id] [--discard-saved-state]",
    "Register an import directory as a planned system. Copies nothing; DIR "
    "is never written.", 0 },
  { "list", cmd_list, "", "List the planned systems.", 0 },
  { "show", cmd_show, "PLANNED [--xml]",
    "Show a planned system (by name or UUID).", 0 },
  { "destroy", cmd_destroy, "PLANNED",
    "Forget a planned system. Its import directory and a domain its "
    "realize defined stay as they are.", 0 },
  { "validate", cmd_validate, "(PLANNED | DIR | FILE.xml) [--copy-disks]",
    "Check a planned system, an import directory or a domain XML file "
    "against this host: what does not fit, where it is in the XML and how "
    "to fix it. Exit status 3 when anything is an error.", 0 },
  { "edit", cmd_edit,
    "PLANNED (--xml FILE | --set XPATH=VALUE … | --remove XPATH …)",
    "Change a planned system's domain XML, then validate it again. Its "
    "UUID cannot change.", COMMAND_DIRECT_ONLY },
  { "realize", cmd_realize,
    "PLANNED [--pool NAME|--pool-dir DIR] [--copy-disks] [--start]",
    "Realize a planned system: validate, copy its saved state into a pool, "
    "define the domain and hand the state to libvirt, so that starting "
    "the domain resumes the guest. Rolls back on failure or Ctrl-C.", 0 },
  { "export", cmd_export, "DOMAIN DIR [--save] [--with-disks]",
    "Write an import directory for a persistent domain: domain.xml, its "
    "saved state, its disks with --with-disks, and manifest.xml. DIR must "
    "be new or empty; a failure or Ctrl-C leaves nothing behind.",
    COMMAND_DIRECT_ONLY },
  { "jobs", cmd_jobs, "",
    "List the agent's jobs: queued, running and finished in the last "
    "minutes.", COMMAND_NEEDS_AGENT },
  { "job", cmd_job, "ID", "Show one of the agent's jobs.",
    COMMAND_NEEDS_AGENT },
  { "cancel", cmd_cancel, "ID", "Cancel a job: it rolls back what it made.",
    COMMAND_NEEDS_AGENT },
  { "wait", cmd_wait, "ID",
    "Wait for a job to end; exit status 0 when it completed.",
    COMMAND_NEEDS_AGENT },
  { "help", cmd_help, "[COMMAND]", "Describe the commands, or one.", 0 },
};

static char *
commands_description (void)
{
  GString *text = g_string_new ("Commands:\n");

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (text, "  %-8s %s\n", commands[i].name,
                            commands[i].args);
  g_string_append (text, "\nPLANNED is a planned system's name or UUID. "
                   "'virt-realize help COMMAND' describes a command.");
  return g_string_free (text, FALSE);
}

static const VrCliCommand *
find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

/* Levenshtein distance, for "did you mean". */
static guint
distance (const char *a, const char *b)
{
  gsize la = strlen (a);
  gsize lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    row[j] = j;
  for (gsize i = 1; i <= la; i++)
    {
      guint diagonal = row[0];

      row[0] = i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint above = row[j];
          guint cost = a[i - 1] == b[j - 1] ? 0 : 1;

          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diagonal + cost);
          diagonal = above;
        }
    }
  return row[lb];
}

static const char *
nearest_command (const char *name)
{
  const char *best = NULL;
  guint best_distance = 3; /* more than two edits is no near miss */

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      guint d = distance (name, commands[i].name);

      if (d < best_distance
          || (g_str_has_prefix (commands[i].name, name) && strlen (name) > 1
              && best == NULL))
        {
          best = commands[i].name;
          best_distance = MIN (d, best_distance);
        }
    }
  return best;
}

static int
unknown_command (const char *name)
{
  const char *near = nearest_command (name);

  if (near != NULL)
    return vr_cli_usage_error (NULL, "unknown command '%s'; did you mean "
                               "'%s'?", name, near);
  return vr_cli_usage_error (NULL, "unknown command '%s'", name);
}

static int
cmd_help (VrCliRun *run, int argc, char **argv)
{
  const VrCliCommand *command;
  char *help_argv[] = { argv[0], (char *) "--help", NULL };

  if (!parse_command (run, NULL, &argc, &argv))
    return VR_EXIT_USAGE;
  if (argc < 2)
    {
      g_autofree char *description = commands_description ();

      printf ("Usage: virt-realize [OPTION…] COMMAND [ARGS…]\n\n%s\n",
              description);
      return VR_EXIT_OK;
    }
  command = find_command (argv[1]);
  if (command == NULL)
    return unknown_command (argv[1]);
  /* The command's own --help: its options and the global ones. */
  run->command = command;
  return command->func (run, 2, help_argv);
}

static gboolean
parse_globals (VrCli *cli, gboolean *version, int *argc, char ***argv)
{
  g_autofree GOptionEntry *entries = global_entries (cli, version);
  g_autoptr (GOptionContext) context = g_option_context_new (
      "COMMAND [ARGS…]");
  g_autofree char *description = commands_description ();
  g_autoptr (GError) error = NULL;

  g_option_context_set_summary (context, "Validate planned virtual machines "
                                "against this host and realize them as "
                                "libvirt domains that resume their saved "
                                "state.");
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
  /* What follows the command is the command's (its parser takes the
   * global options too). */
  g_option_context_set_strict_posix (context, TRUE);
  if (g_option_context_parse (context, argc, argv, &error))
    return TRUE;
  vr_cli_usage_error (NULL, "%s", error->message);
  return FALSE;
}

static void
vr_cli_clear (VrCli *cli)
{
  g_free (cli->uri);
  g_free (cli->state_dir);
}

int
vr_cli_main (int argc, char **argv, VrCliOpenFunc open)
{
  VrCli cli = { 0 };
  VrCliRun run = { &cli, NULL, open };
  gboolean version = FALSE;
  int status;

  setlocale (LC_ALL, "");
  /* virt-realize-direct's help and usage name the command users type. */
  g_set_prgname ("virt-realize");
  if (!parse_globals (&cli, &version, &argc, &argv))
    status = VR_EXIT_USAGE;
  else if (version)
    {
      printf ("virt-realize %s\n", PACKAGE_VERSION);
      status = VR_EXIT_OK;
    }
  else if (argc < 2)
    status = vr_cli_usage_error (NULL, "no command given");
  else if ((run.command = find_command (argv[1])) == NULL)
    {
      vr_cli_output_set_json (cli.json);
      status = unknown_command (argv[1]);
    }
  else
    status = run.command->func (&run, argc - 1, argv + 1);
  vr_cli_clear (&cli);
  return status;
}
