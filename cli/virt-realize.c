/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-realize: the thin client. It links GIO and json-glib only; the
 * work happens in the agent (virt-realized) when one answers, else in
 * virt-realize-direct, which this program execs with the same arguments
 * (same process, same pid, so signals and exit status are the direct
 * program's own):
 * - --direct, or -c / --state-dir / $VIRT_REALIZE_STATE_DIR without
 *   --system or --session (they name what this process should open);
 * - the commands the agent does not offer (edit, export), unless
 *   --system or --session asks for the agent (then: NotSupported);
 * - no agent answers, and neither --system nor --session was given
 *   (with them: NotAvailable, 32777, never another state directory). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "errors.h"
#include "transport-dbus.h"

static char **original_argv;

/* Beside this program in a build tree; else where meson installed it. */
static char *
direct_program (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self ? g_path_get_dirname (self) : NULL;
  g_autofree char *beside = dir ? g_build_filename (dir,
                                                    "virt-realize-direct",
                                                    NULL)
                                : NULL;

  if (beside != NULL && g_file_test (beside, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&beside);
  return g_strdup (VR_DIRECT_PATH);
}

static VrCliTransport *
exec_direct (GError **error)
{
  g_autofree char *program = direct_program ();

  fflush (NULL);
  execv (program, original_argv);
  vr_error_set_errno (error, errno, "cannot run %s", program);
  return NULL;
}

static gboolean
wants_direct (VrCli *cli)
{
  gboolean asked = cli->system || cli->session;

  /* --host goes to the agent too: it takes the hosts its configuration
   * lists (Manager.Hosts), by name or URI, and refuses any other. */
  return cli->direct
         || (!asked && (cli->uri != NULL || cli->state_dir != NULL
                        || g_getenv ("VIRT_REALIZE_STATE_DIR") != NULL));
}

static VrCliTransport *
open_transport (VrCli *cli, const VrCliCommand *command, GError **error)
{
  gboolean asked = cli->system || cli->session;
  VrCliTransport *agent;

  /* --system and --session ask for the agent: a command it does not
   * offer is refused, not done in this process on another state. */
  if (asked && !cli->direct && vr_cli_command_is_direct_only (command))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                   "%s: the agent does not offer it; run it in-process with "
                   "--direct (and -c, --state-dir for what to open)",
                   vr_cli_command_get_name (command));
      return NULL;
    }
  if (wants_direct (cli) || vr_cli_command_is_direct_only (command))
    return exec_direct (error);
  /* Asked for, the agent is not looked for first: its first call finds
   * out (one round trip fewer). Else its answer chooses in-process work. */
  agent = vr_cli_dbus_transport_new (cli->session ? G_BUS_TYPE_SESSION
                                                  : G_BUS_TYPE_SYSTEM,
                                     !asked, error);
  if (agent == NULL && asked)
    {
      GError *hinted = g_error_new (
          VR_ERROR, VR_ERROR_NOT_AVAILABLE,
          "%s: %s (start it: %s; or work in-process with --direct)",
          vr_cli_command_get_name (command), (*error)->message,
          cli->session ? "virt-realized --session"
                       : "systemctl start virt-realized");

      g_clear_error (error);
      g_propagate_error (error, hinted);
      return NULL;
    }
  if (agent == NULL && vr_cli_command_needs_agent (command))
    return NULL;
  if (agent == NULL)
    {
      g_clear_error (error);
      return exec_direct (error);
    }
  return agent;
}

int
main (int argc, char **argv)
{
  original_argv = g_strdupv (argv);
  return vr_cli_main (argc, argv, open_transport);
}
