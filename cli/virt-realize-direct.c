/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-realize-direct: the commands with the backend in this process
 * (libvirt, libxml2). virt-realize execs it for --direct, for -c or
 * --state-dir, when no agent answers and for the commands the agent does
 * not offer (edit, export); it takes the same arguments. */
#include "config.h"

#include <glib.h>

#include "cli.h"
#include "transport-direct.h"

static VrCliTransport *
open_direct (VrCli *cli, const VrCliCommand *command, GError **error)
{
  return vr_cli_direct_transport_new (cli);
}

int
main (int argc, char **argv)
{
  /* libvirt's own log lines (its version, host name and each error) are
   * not for this terminal: its errors reach the user as ours. A caller's
   * own LIBVIRT_LOG_OUTPUTS is kept. */
  g_setenv ("LIBVIRT_LOG_OUTPUTS", "1:file:/dev/null", FALSE);
  return vr_cli_main (argc, argv, open_direct);
}
