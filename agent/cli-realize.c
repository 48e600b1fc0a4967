/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>

#include "cli-client.h"
#include "cli-job.h"
#include "cli.h"
#include "errors.h"
#include "libvirt-util.h"
#include "realize-job.h"

static int
report (VrCli *cli, VrJob *job, VrPlannedSystem *system)
{
  if (vr_job_get_state (job) != VR_JOB_STATE_COMPLETED)
    return vr_cli_job_fail (job);
  if (cli->json)
    {
      g_autoptr (JsonNode) node = vr_cli_system_to_json (system);

      vr_cli_print_json (node);
    }
  else if (!cli->quiet)
    printf ("Planned system '%s' %s\n", vr_planned_system_get_name (system),
            vr_planned_system_get_last_job_message (system));
  return VR_EXIT_OK;
}

static gboolean
parse_handoff (const char *text, VrHandoff *handoff)
{
  if (text == NULL)
    {
      *handoff = VR_HANDOFF_AUTO;
      return TRUE;
    }
  if (vr_handoff_from_string (text, handoff))
    return TRUE;
  vr_cli_usage_error ("realize", "--handoff takes auto, link or managedsave, "
                      "not '%s'", text);
  return FALSE;
}

int
vr_cli_realize (VrCli *cli, int argc, char **argv)
{
  g_autofree char *pool = NULL;
  g_autofree char *pool_dir = NULL;
  g_autofree char *handoff = NULL;
  gboolean start = FALSE;
  gboolean copy_disks = FALSE;
  gboolean no_wait = FALSE;
  const GOptionEntry entries[] = {
    { "pool", 0, 0, G_OPTION_ARG_STRING, &pool,
      "libvirt directory pool to copy the saved state into", "NAME" },
    { "pool-dir", 0, 0, G_OPTION_ARG_FILENAME, &pool_dir,
      "Directory to copy the saved state into (connections without "
      "storage, like the embedded one)", "DIR" },
    { "copy-disks", 0, 0, G_OPTION_ARG_NONE, &copy_disks,
      "Copy the disks inside the import directory into the pool too, and "
      "point the domain (and its saved state) at the copies", NULL },
    { "start", 0, 0, G_OPTION_ARG_NONE, &start,
      "Start the domain once realized (it resumes)", NULL },
    { "no-wait", 0, 0, G_OPTION_ARG_NONE, &no_wait,
      "Return once the job has started (needs the agent)", NULL },
    { "handoff", 0, 0, G_OPTION_ARG_STRING, &handoff,
      "How libvirt takes the saved state: auto, link or managedsave",
      "HOW" },
    { NULL }
  };
  VrRealizeOptions options = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (virConnect) conn = NULL;
  g_autoptr (VrHostCaps) caps = NULL;
  g_autoptr (VrJob) job = NULL;
  g_autoptr (GDBusConnection) bus = NULL;

  if (!vr_cli_parse ("realize", "PLANNED", "Realize a planned system: "
                     "validate, copy its saved state into a pool, define the "
                     "domain and hand the state to libvirt, so that starting "
                     "the domain resumes the guest. Rolls back on failure or "
                     "Ctrl-C.", entries, &argc, &argv))
    return VR_EXIT_USAGE;
  if (argc != 2)
    return vr_cli_usage_error ("realize", "expected one PLANNED");
  if (!parse_handoff (handoff, &options.handoff))
    return VR_EXIT_USAGE;
  options.pool = pool;
  options.pool_dir = pool_dir;
  options.start = start;
  options.copy_disks = copy_disks;
  /* In-process the caller acts with their own rights (through the agent
   * this field is never sent: the agent asks polkit). */
  options.host_access_allowed = TRUE;
  bus = vr_cli_client_connect (cli);
  if (bus != NULL)
    return vr_cli_client_realize (cli, bus, argv[1], &options, no_wait);
  if (no_wait)
    return vr_cli_usage_error ("realize", "--no-wait needs the agent "
                               "(virt-realized); an in-process job lives "
                               "only as long as its command");
  system = vr_store_lookup (cli->store, argv[1], &error);
  if (system == NULL)
    return vr_cli_fail (error);
  conn = vr_libvirt_open (cli->uri, &error);
  if (conn == NULL)
    return vr_cli_fail (error);
  caps = vr_host_caps_new (conn);
  job = vr_realize_job_start (1, cli->store, caps, conn, system, &options);
  vr_cli_job_wait (job, !cli->json && !cli->quiet);
  return report (cli, job, system);
}
