/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The commands that run or watch jobs: realize, export, jobs, job, cancel,
 * wait, and the one way a job is waited for. */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "commands-private.h"
#include "errors.h"
#include "job-states.h"

/* Runs the main loop until the job ends: a progress bar on a terminal,
 * Ctrl-C (or SIGTERM, or SIGHUP: a closed terminal, a dropped ssh)
 * cancels it, and it rolls back before it ends. */
typedef struct {
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
  Watch watch = { FALSE, show_progress && isatty (STDERR_FILENO) };
  guint sigint = g_unix_signal_add (SIGINT, on_interrupt, cancel);
  guint sigterm = g_unix_signal_add (SIGTERM, on_interrupt, cancel);
  guint sighup = g_unix_signal_add (SIGHUP, on_interrupt, cancel);

  transport->klass->wait (transport, id, cancel, on_changed, &watch);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_source_remove (sighup);
  if (watch.drawn)
    fputs ("\n", stderr);
  if (interrupted != NULL)
    *interrupted = g_cancellable_is_cancelled (cancel);
  return transport->klass->job (transport, id, NULL);
}

gboolean
vr_cli_job_succeeded (const VrCliJob *job, gboolean interrupted,
                      GError **error)
{
  if (job != NULL && job->state == VR_DBUS_JOB_COMPLETED)
    return TRUE;
  if (interrupted)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                         "cancelled");
  else if (job == NULL)
    g_set_error_literal (error, VR_ERROR, VR_ERROR_UNKNOWN,
                         "the agent went away before the job ended");
  else
    g_set_error_literal (error, VR_ERROR,
                         job->error_code ? job->error_code : VR_ERROR_FAILED,
                         job->error_description ? job->error_description
                                                : "failed");
  return FALSE;
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
  vr_cli_printf ("Planned system '%s' %s\n", system->name,
                 system->last_job_message ? system->last_job_message
                                          : "realized");
  /* Without a saved state (none carried, or discarded) the guest boots. */
  if (started && system->has_saved_state)
    vr_cli_printf ("Domain '%s' is running: the guest resumed where it "
                   "stopped\n", system->domain);
  else if (started)
    vr_cli_printf ("Domain '%s' is running: the guest booted (no saved "
                   "state)\n", system->domain);
  else
    {
      /* On the connection it was defined on: virsh's default may be
       * another host's libvirt, with a domain of the same name. */
      g_autofree char *uri = system->connection
                                 ? g_shell_quote (system->connection) : NULL;
      g_autofree char *name = g_shell_quote (system->domain);

      vr_cli_printf ("Start it with: virsh%s%s start %s%s\n",
                     uri ? " -c " : "", uri ? uri : "", name,
                     system->has_saved_state ? " (the guest resumes)" : "");
    }
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
      vr_cli_printf ("%s\n", id);
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

/* realize --host: each host's line (unless quiet or JSON), and the URI
 * of the one that fits with the most free memory. */
static char *
choose_host (VrCliRun *run, VrCliTransport *transport, const char *key,
             const char *const *hosts, gboolean copy_disks, GError **error)
{
  g_autoptr (GPtrArray) placements = NULL;

  if (transport->klass->place == NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                   "--host is not offered by the %s transport",
                   transport->klass->name);
      return NULL;
    }
  placements = transport->klass->place (transport, key, hosts, copy_disks,
                                        error);
  if (placements == NULL)
    return NULL;
  for (guint i = 0; i < placements->len && vr_cli_say (run); i++)
    vr_cli_printf ("%s\n", ((VrCliPlacement *) placements->pdata[i])->line);
  for (guint i = 0; i < placements->len; i++)
    if (((VrCliPlacement *) placements->pdata[i])->chosen)
      return g_strdup (((VrCliPlacement *) placements->pdata[i])->uri);
  if (placements->len == 1)
    g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                 "planned system '%s' does not fit the one host given", key);
  else
    g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                 "planned system '%s' fits none of the %u hosts given", key,
                 placements->len);
  return NULL;
}

int
vr_cli_cmd_realize (VrCliRun *run, int argc, char **argv)
{
  g_autofree char *pool = NULL;
  g_autofree char *pool_dir = NULL;
  g_autofree char *handoff = NULL;
  g_autofree char *host = NULL;
  g_auto (GStrv) hosts = NULL;
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
    { "host", 0, 0, G_OPTION_ARG_STRING_ARRAY, &hosts,
      "Realize onto the host that fits with the most free memory, of these "
      "libvirt URIs (repeatable; through the agent, hosts its configuration "
      "lists, by name or URI)", "HOST" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (VrCliJob) job = NULL;
  g_autofree char *id = NULL;

  if (!vr_cli_parse_command (run, entries, &argc, &argv)
      || !vr_cli_want_args (run, argc, 1, "PLANNED"))
    return VR_EXIT_USAGE;
  if (handoff != NULL && !g_str_equal (handoff, "auto")
      && !g_str_equal (handoff, "link") && !g_str_equal (handoff,
                                                         "managedsave"))
    return vr_cli_usage_error ("realize", "--handoff takes auto, link or "
                               "managedsave, not '%s'", handoff);
  if (!vr_cli_check_hosts (run, (const char *const *) hosts, &error))
    return vr_cli_fail (error);
  if ((transport = vr_cli_open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  if (no_wait && transport->klass->jobs == NULL)
    return vr_cli_usage_error ("realize", "--no-wait needs the agent "
                               "(virt-realized); an in-process job lives "
                               "only as long as its command");
  request.pool = pool;
  request.pool_dir = pool_dir;
  request.handoff = handoff;
  if (hosts != NULL)
    {
      host = choose_host (run, transport, argv[1],
                          (const char *const *) hosts, request.copy_disks,
                          &error);
      if (host == NULL)
        return vr_cli_fail_planned (transport, argv[1], error);
      request.uri = host;
    }
  id = transport->klass->realize (transport, argv[1], &request, &error);
  if (id == NULL)
    return vr_cli_fail_planned (transport, argv[1], error);
  if (*id == '\0') /* nothing left to do */
    return report_realized (run, transport, argv[1], FALSE);
  if (no_wait)
    return print_job_id (run, id);
  job = vr_cli_run_job (transport, id, vr_cli_say (run), NULL);
  if (job == NULL || job->state != VR_DBUS_JOB_COMPLETED)
    return job_failed (job);
  return report_realized (run, transport, argv[1], request.start);
}

int
vr_cli_cmd_export (VrCliRun *run, int argc, char **argv)
{
  VrCliExportRequest request = { 0 };
  const GOptionEntry entries[] = {
    { "save", 0, 0, G_OPTION_ARG_NONE, &request.save,
      "Managed-save a running domain first (it stays saved here; starting "
      "it resumes it)", NULL },
    { "with-disks", 0, 0, G_OPTION_ARG_NONE, &request.with_disks,
      "Copy its file-backed disks into DIR/disks too", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (VrCliJob) job = NULL;
  g_autoptr (VrCliExport) result = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;

  if (!vr_cli_parse_command (run, entries, &argc, &argv)
      || !vr_cli_want_args (run, argc, 2, "DOMAIN and DIR"))
    return VR_EXIT_USAGE;
  if ((transport = vr_cli_open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  if (transport->klass->export_domain == NULL)
    return vr_cli_not_offered (run, transport);
  path = g_canonicalize_filename (argv[2], NULL);
  request.domain = argv[1];
  request.dir = path;
  id = transport->klass->export_domain (transport, &request, &error);
  if (id == NULL)
    return vr_cli_fail (error);
  job = vr_cli_run_job (transport, id, vr_cli_say (run), NULL);
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

int
vr_cli_cmd_jobs (VrCliRun *run, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (GPtrArray) jobs = NULL;

  if (!vr_cli_parse_command (run, NULL, &argc, &argv)
      || !vr_cli_want_args (run, argc, 0, "nothing"))
    return VR_EXIT_USAGE;
  if ((transport = vr_cli_open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  if (transport->klass->jobs == NULL)
    return vr_cli_not_offered (run, transport);
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
  if (!vr_cli_parse_command (run, NULL, argc, argv)
      || !vr_cli_want_args (run, *argc, 1, "a job ID"))
    return NULL;
  *status = VR_EXIT_FAILED;
  if ((transport = vr_cli_open_transport (run)) == NULL)
    return NULL;
  if (transport->klass->jobs == NULL)
    {
      vr_cli_not_offered (run, transport);
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

int
vr_cli_cmd_job (VrCliRun *run, int argc, char **argv)
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

int
vr_cli_cmd_cancel (VrCliRun *run, int argc, char **argv)
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
    vr_cli_printf ("Job %s cancelled: it rolls back what it made\n", argv[1]);
  return VR_EXIT_OK;
}

/* wait only watches: Ctrl-C (or SIGTERM) stops the watching, never the
 * job (it may have been started with --no-wait on purpose). The job's
 * state as it is goes out (JSON, or a line on stderr) before exit 130. */
typedef struct {
  VrCliRun *run;
  VrCliTransport *transport;
  const char *id;
} StopWaiting;

static gboolean
on_stop_waiting (gpointer user_data)
{
  StopWaiting *stop = user_data;
  g_autoptr (VrCliJob) job = stop->transport->klass->job (stop->transport,
                                                          stop->id, NULL);

  if (stop->run->cli->json && job != NULL)
    print_job_result (stop->run, job);
  vr_cli_fprintf (stderr, "\nstopped waiting: job %s goes on (virt-realize "
                  "wait %s to watch it again, virt-realize cancel %s to stop "
                  "it)\n", stop->id, stop->id, stop->id);
  exit (VR_EXIT_CANCELLED);
  return G_SOURCE_REMOVE;
}

int
vr_cli_cmd_wait (VrCliRun *run, int argc, char **argv)
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
  {
    StopWaiting stop = { run, transport, argv[1] };
    guint sigint = g_unix_signal_add (SIGINT, on_stop_waiting, &stop);
    guint sigterm = g_unix_signal_add (SIGTERM, on_stop_waiting, &stop);
    guint sighup = g_unix_signal_add (SIGHUP, on_stop_waiting, &stop);
    g_autoptr (GCancellable) never = g_cancellable_new ();
    Watch watch = { FALSE, vr_cli_say (run) && isatty (STDERR_FILENO) };

    transport->klass->wait (transport, argv[1], never, on_changed, &watch);
    g_source_remove (sigint);
    g_source_remove (sigterm);
    g_source_remove (sighup);
    if (watch.drawn)
      fputs ("\n", stderr);
    job = transport->klass->job (transport, argv[1], NULL);
  }
  if (job == NULL || job->state != VR_DBUS_JOB_COMPLETED)
    return job_failed (job);
  return print_job_result (run, job);
}
