/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "cli-client.h"
#include "cli.h"
#include "errors.h"

/* Jobs outlive a command only in the agent; an in-process job lives as
 * long as the command that runs it (Ctrl-C cancels it there). */
static GDBusConnection *
agent_or_fail (VrCli *cli, const char *command)
{
  GDBusConnection *bus = vr_cli_client_connect (cli);
  g_autoptr (GError) error = NULL;

  if (bus != NULL)
    return bus;
  error = g_error_new (VR_ERROR, VR_ERROR_NOT_AVAILABLE,
                       "%s: no agent (virt-realized) answers on the %s bus, "
                       "and in-process jobs end with their command",
                       command, cli->session ? "session" : "system");
  vr_cli_fail (error);
  return NULL;
}

static int
run_job_command (VrCli *cli, int argc, char **argv, const char *command,
                 const char *summary,
                 int (*func) (VrCli *, GDBusConnection *, const char *))
{
  g_autoptr (GDBusConnection) bus = NULL;

  if (!vr_cli_parse (command, "ID", summary, NULL, &argc, &argv))
    return VR_EXIT_USAGE;
  if (argc != 2)
    return vr_cli_usage_error (command, "expected one job ID");
  bus = agent_or_fail (cli, command);
  if (bus == NULL)
    return VR_EXIT_FAILED;
  return func (cli, bus, argv[1]);
}

int
vr_cli_jobs (VrCli *cli, int argc, char **argv)
{
  g_autoptr (GDBusConnection) bus = NULL;

  if (!vr_cli_parse ("jobs", "", "List the agent's jobs: queued, running "
                     "and finished in the last minutes.", NULL, &argc, &argv))
    return VR_EXIT_USAGE;
  if (argc != 1)
    return vr_cli_usage_error ("jobs", "too many arguments");
  bus = agent_or_fail (cli, "jobs");
  if (bus == NULL)
    return VR_EXIT_FAILED;
  return vr_cli_client_jobs (cli, bus);
}

int
vr_cli_job (VrCli *cli, int argc, char **argv)
{
  return run_job_command (cli, argc, argv, "job", "Show a job's properties.",
                          vr_cli_client_job);
}

int
vr_cli_cancel (VrCli *cli, int argc, char **argv)
{
  return run_job_command (cli, argc, argv, "cancel", "Cancel a job: it rolls "
                          "back what it made.", vr_cli_client_cancel);
}

int
vr_cli_wait (VrCli *cli, int argc, char **argv)
{
  return run_job_command (cli, argc, argv, "wait", "Wait for a job to end; "
                          "exit status 0 when it completed.",
                          vr_cli_client_wait);
}
