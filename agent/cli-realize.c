/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>

#include "cli-client.h"
#include "cli-job.h"
#include "cli.h"
#include "errors.h"
#include "libvirt-util.h"
#include "placement.h"
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

/* --host: the host to realize onto (placement.c), each host's line
 * printed so that the choice and the skips are explained. */
static char *
choose_host (VrCli *cli, VrPlannedSystem *system, const char *const *hosts,
             gboolean copy_disks, GError **error)
{
  g_autoptr (GPtrArray) found = vr_placement_check (cli->store, system,
                                                    hosts, copy_disks, TRUE);
  int best = vr_placement_choose (found);

  for (guint i = 0; i < found->len && !cli->quiet; i++)
    {
      g_autofree char *line = vr_placement_describe (found->pdata[i],
                                                     (int) i == best);

      printf ("%s\n", line);
    }
  if (best >= 0)
    return g_strdup (((VrPlacementHost *) found->pdata[best])->uri);
  g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
               "planned system '%s' fits none of the %u hosts given",
               vr_planned_system_get_name (system), found->len);
  return NULL;
}

int
vr_cli_realize (VrCli *cli, int argc, char **argv)
{
  g_auto (GStrv) hosts = NULL;
  g_autofree char *uri = NULL;
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
    { "host", 0, 0, G_OPTION_ARG_STRING_ARRAY, &hosts,
      "Realize onto the host that fits with the most free memory, of these "
      "libvirt URIs (repeatable; in-process)", "URI" },
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
  bus = hosts == NULL ? vr_cli_client_connect (cli) : NULL;
  if (bus != NULL)
    return vr_cli_client_realize (cli, bus, argv[1], &options, no_wait);
  if (no_wait)
    return vr_cli_usage_error ("realize", "--no-wait needs the agent "
                               "(virt-realized); an in-process job lives "
                               "only as long as its command");
  system = vr_store_lookup (cli->store, argv[1], &error);
  if (system == NULL)
    return vr_cli_fail (error);
  uri = hosts ? choose_host (cli, system, (const char *const *) hosts,
                             copy_disks, &error)
              : g_strdup (cli->uri);
  if (hosts != NULL && uri == NULL)
    return vr_cli_fail (error);
  conn = vr_libvirt_open (uri, &error);
  if (conn == NULL)
    return vr_cli_fail (error);
  caps = vr_host_caps_new (conn);
  job = vr_realize_job_start (1, cli->store, caps, conn, system, &options);
  vr_cli_job_wait (job, !cli->json && !cli->quiet);
  return report (cli, job, system);
}
