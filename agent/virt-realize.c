/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <locale.h>
#include <stdio.h>

#include "cli.h"
#include "store.h"

static const VrCliCommand commands[] = {
  { "import", vr_cli_import,
    "DIR [--name NAME] [--new-id] [--discard-saved-state]",
    "Register an import directory as a planned system" },
  { "list", vr_cli_list, "", "List the planned systems" },
  { "show", vr_cli_show, "PLANNED [--xml]", "Show a planned system" },
  { "destroy", vr_cli_destroy, "PLANNED", "Forget a planned system" },
  { "validate", vr_cli_validate, "PLANNED | DIR | FILE.xml",
    "Check against this host: what does not fit and how to fix it" },
  { "edit", vr_cli_edit, "PLANNED --set|--xml ARG",
    "Change a planned system's domain XML, then validate it" },
  { "realize", vr_cli_realize,
    "PLANNED [--pool NAME|--pool-dir DIR] [--copy-disks] [--start]",
    "Copy the saved state, define the domain, hand the state to libvirt" },
  { "export", vr_cli_export, "DOMAIN DIR [--save] [--with-disks]",
    "Write an import directory for a domain, with a manifest" },
  { "jobs", vr_cli_jobs, "", "List the agent's jobs" },
  { "job", vr_cli_job, "ID", "Show one of the agent's jobs" },
  { "cancel", vr_cli_cancel, "ID", "Cancel a job; it rolls back" },
  { "wait", vr_cli_wait, "ID", "Wait for a job to end" },
};

static char *
commands_description (void)
{
  GString *text = g_string_new ("Commands:\n");

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (text, "  %-8s %s\n  %-8s   %s\n",
                            commands[i].name, commands[i].args, "",
                            commands[i].summary);
  g_string_append (text, "\nPLANNED is a planned system's name or UUID. "
                   "'virt-realize COMMAND --help' describes a command.");
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

static void
vr_cli_clear (VrCli *cli)
{
  g_free (cli->uri);
  g_free (cli->state_dir);
  g_clear_object (&cli->store);
}

static gboolean
parse_globals (VrCli *cli, gboolean *version, int *argc, char ***argv)
{
  const GOptionEntry entries[] = {
    { "connect", 'c', 0, G_OPTION_ARG_STRING, &cli->uri,
      "libvirt connection URI (default: $LIBVIRT_DEFAULT_URI, else "
      "libvirt's default)", "URI" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &cli->state_dir,
      "State directory (default: $VIRT_REALIZE_STATE_DIR, else "
      "/var/lib/virt-realize as root)", "DIR" },
    { "direct", 0, 0, G_OPTION_ARG_NONE, &cli->direct,
      "Do the work in this process, not through the agent", NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &cli->session,
      "Talk to the agent on the session bus", NULL },
    { "system", 0, 0, G_OPTION_ARG_NONE, &cli->system,
      "Talk to the agent on the system bus (default)", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json,
      "Print JSON for programs", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &cli->quiet,
      "Print only errors", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, version, "Print the version",
      NULL },
    { NULL }
  };
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
  /* Options after the command are the command's own. */
  g_option_context_set_strict_posix (context, TRUE);
  if (g_option_context_parse (context, argc, argv, &error))
    return TRUE;
  vr_cli_usage_error (NULL, "%s", error->message);
  return FALSE;
}

static int
run (VrCli *cli, int argc, char **argv)
{
  gboolean version = FALSE;
  const VrCliCommand *command;
  g_autofree char *state_dir = NULL;

  if (!parse_globals (cli, &version, &argc, &argv))
    return VR_EXIT_USAGE;
  if (version)
    {
      printf ("virt-realize %s\n", PACKAGE_VERSION);
      return VR_EXIT_OK;
    }
  if (argc < 2)
    return vr_cli_usage_error (NULL, "no command given");
  command = find_command (argv[1]);
  if (command == NULL)
    return vr_cli_usage_error (NULL, "unknown command '%s'", argv[1]);
  if (cli->session && cli->system)
    return vr_cli_usage_error (NULL, "--session and --system exclude each "
                               "other");
  state_dir = cli->state_dir ? g_strdup (cli->state_dir)
                             : vr_store_default_dir ();
  cli->store = vr_store_new (state_dir);
  return command->run (cli, argc - 1, argv + 1);
}

int
main (int argc, char **argv)
{
  VrCli cli = { 0 };
  int status;

  setlocale (LC_ALL, "");
  status = run (&cli, argc, argv);
  vr_cli_clear (&cli);
  return status;
}
