/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command layer's dispatcher: global options, the command table,
 * help and "did you mean". Every command is written once against
 * VrCliTransport (commands-systems.c, commands-jobs.c): virt-realize (the
 * agent's client) and virt-realize-direct (in-process) both run them. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "commands-private.h"
#include "errors.h"

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
    G_OPTION_ENTRY_NULL
  };

  return g_memdup2 (entries, sizeof entries);
}

/* The long options a parser knows: the command's, the global ones and
 * GOption's own help. */
static GPtrArray *
long_names (const GOptionEntry *entries, const GOptionEntry *globals)
{
  const GOptionEntry *tables[] = { entries, globals };
  GPtrArray *names = g_ptr_array_new ();

  g_ptr_array_add (names, (char *) "help");
  g_ptr_array_add (names, (char *) "help-all");
  g_ptr_array_add (names, (char *) "help-global");
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    for (const GOptionEntry *e = tables[t]; e && e->long_name; e++)
      g_ptr_array_add (names, (char *) e->long_name);
  g_ptr_array_add (names, NULL);
  return names;
}

/* GOption says "Unknown option --jsno"; a near miss gets "did you mean
 * '--json'?", as a command does. given is argv as it was before parsing
 * (GOption takes what it knows out of argv). */
static char *
explain_option_error (const GError *error, char **given,
                      const GOptionEntry *entries,
                      const GOptionEntry *globals)
{
  g_autoptr (GPtrArray) names = NULL;

  if (!g_error_matches (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION))
    return g_strdup (error->message);
  names = long_names (entries, globals);
  for (guint i = 1; given[i] != NULL && !g_str_equal (given[i], "--"); i++)
    {
      g_autofree char *name = NULL;
      const char *near;

      if (!g_str_has_prefix (given[i], "--"))
        continue;
      name = g_strndup (given[i] + 2, strcspn (given[i] + 2, "="));
      if (g_strv_contains ((const char *const *) names->pdata, name))
        continue;
      near = vr_cli_nearest (name, (const char *const *) names->pdata,
                             names->len - 1);
      if (near != NULL)
        return g_strdup_printf ("%s; did you mean '--%s'?", error->message,
                                near);
      return g_strdup (error->message);
    }
  /* No long option is unknown: a short one, or a name such as -vm. */
  return g_strdup_printf ("%s (a name that starts with '-' goes after "
                          "'--')", error->message);
}

static guint
count_separators (char **args, int n)
{
  guint count = 0;

  for (int i = 1; i < n; i++)
    count += g_str_equal (args[i], "--");
  return count;
}

/* "--" ends the options (show -- -vm): what follows is positional. GOption
 * stops there but may leave the "--" itself in argv; it is no argument. */
static void
drop_separator (char **given, int *argc, char **argv)
{
  if (count_separators (argv, *argc)
      != count_separators (given, g_strv_length (given)))
    return;
  for (int i = 1; i < *argc; i++)
    if (g_str_equal (argv[i], "--"))
      {
        memmove (&argv[i], &argv[i + 1], (*argc - i) * sizeof (char *));
        (*argc)--;
        return;
      }
}

/* Parses a command's own options and the global ones; FALSE when the
 * usage is wrong (said) or --help was printed. */
gboolean
vr_cli_parse_command (VrCliRun *run, const GOptionEntry *entries, int *argc,
               char ***argv)
{
  const VrCliCommand *command = run->command;
  gboolean version = FALSE;
  g_autofree GOptionEntry *globals = global_entries (run->cli, &version);
  g_autofree char *usage = g_strdup_printf ("%s %s", command->name,
                                            command->args);
  g_autoptr (GOptionContext) context = g_option_context_new (usage);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) given = NULL;
  GOptionGroup *group = g_option_group_new ("global", "Global options:",
                                            "Show the global options",
                                            NULL, NULL);

  g_option_context_set_summary (context, command->summary);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);
  g_option_group_add_entries (group, globals);
  g_option_context_add_group (context, group);
  given = g_strdupv (*argv);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_autofree char *text = explain_option_error (error, given, entries,
                                                    globals);

      vr_cli_output_set_json (run->cli->json);
      vr_cli_usage_error (command->name, "%s", text);
      return FALSE;
    }
  drop_separator (given, argc, *argv);
  vr_cli_output_set_json (run->cli->json);
  if (run->cli->session && run->cli->system)
    {
      vr_cli_usage_error (NULL, "--session and --system exclude each other");
      return FALSE;
    }
  return TRUE;
}

/* Commands take exactly the positional arguments their usage names. */
gboolean
vr_cli_want_args (VrCliRun *run, int argc, int wanted, const char *what)
{
  if (argc - 1 == wanted)
    return TRUE;
  vr_cli_usage_error (run->command->name,
                      argc - 1 < wanted ? "missing %s"
                                        : "too many arguments (%s expected)",
                      what);
  return FALSE;
}

gboolean
vr_cli_check_hosts (VrCliRun *run, const char *const *hosts, GError **error)
{
  if (hosts == NULL)
    return TRUE;
  for (guint i = 0; hosts[i] != NULL; i++)
    if (*hosts[i] == '\0')
      {
        g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                     "--host '' names no host (each --host is a libvirt URI "
                     "or, through the agent, a host its configuration "
                     "lists)");
        return FALSE;
      }
  if (run->cli->uri == NULL)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "-c/--connect '%s' and --host exclude each other: with --host "
               "the command goes to the hosts it names; give the URI as "
               "another --host, or drop --host to use -c alone",
               run->cli->uri);
  return FALSE;
}

VrCliTransport *
vr_cli_open_transport (VrCliRun *run)
{
  g_autoptr (GError) error = NULL;
  VrCliTransport *transport = run->open (run->cli, run->command, &error);

  if (transport == NULL)
    vr_cli_fail (error);
  return transport;
}

gboolean
vr_cli_say (VrCliRun *run)
{
  return !run->cli->json && !run->cli->quiet;
}

int
vr_cli_not_offered (VrCliRun *run, VrCliTransport *transport)
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

gboolean
vr_cli_find_planned (VrCliTransport *transport, const char *key,
                     GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (VrCliSystem) system = transport->klass->lookup (transport, key,
                                                             &local);
  g_autoptr (GPtrArray) systems = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  const char *near = NULL;

  if (system != NULL
      || !vr_error_is (local, VR_ERROR_INVALID_PARAMETER))
    return TRUE;
  systems = transport->klass->list (transport, NULL);
  for (guint i = 0; systems != NULL && i < systems->len; i++)
    g_ptr_array_add (names, ((VrCliSystem *) systems->pdata[i])->name);
  if (names->len > 0)
    near = vr_cli_nearest (key, (const char *const *) names->pdata,
                           names->len);
  if (near != NULL)
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "there is no planned system '%s' (by name or UUID); did "
                 "you mean '%s'?", key, near);
  else
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "there is no planned system '%s' (by name or UUID; 'list' "
                 "shows them)", key);
  return FALSE;
}

int
vr_cli_fail_planned (VrCliTransport *transport, const char *key,
                     const GError *error)
{
  g_autoptr (GError) missing = NULL;

  if (vr_error_is (error, VR_ERROR_INVALID_PARAMETER)
      && !vr_cli_find_planned (transport, key, &missing))
    return vr_cli_fail (missing);
  return vr_cli_fail (error);
}

static int cmd_help (VrCliRun *run, int argc, char **argv);

static const VrCliCommand commands[] = {
  { "import", vr_cli_cmd_import,
    "DIR [--name NAME] [--new-id] [--discard-saved-state]",
    "Register an import directory as a planned system. Copies nothing; DIR "
    "is never written.", 0 },
  { "list", vr_cli_cmd_list, "", "List the planned systems.", 0 },
  { "show", vr_cli_cmd_show, "PLANNED [--xml]",
    "Show a planned system (by name or UUID).", 0 },
  { "destroy", vr_cli_cmd_destroy, "PLANNED",
    "Forget a planned system. Its import directory and a domain its "
    "realize defined stay as they are.", 0 },
  { "validate", vr_cli_cmd_validate,
    "(PLANNED | DIR | FILE.xml) [--copy-disks] [--host HOST]…",
    "Check a planned system, an import directory or a domain XML file "
    "against this host: what does not fit, where it is in the XML and how "
    "to fix it. Exit status 3 when anything is an error.", 0 },
  { "edit", vr_cli_cmd_edit,
    "PLANNED (--xml FILE | --set XPATH=VALUE … | --remove XPATH …) "
    "[--copy-disks]",
    "Change a planned system's domain XML, then validate it again. Its "
    "UUID cannot change.", COMMAND_DIRECT_ONLY },
  { "realize", vr_cli_cmd_realize,
    "PLANNED [--pool NAME|--pool-dir DIR] [--copy-disks] [--handoff HOW] "
    "[--start] [--no-wait] [--host HOST]…",
    "Realize a planned system: validate, copy its saved state into a pool, "
    "define the domain and hand the state to libvirt, so that starting "
    "the domain resumes the guest. Rolls back on failure or Ctrl-C.", 0 },
  { "export", vr_cli_cmd_export, "DOMAIN DIR [--save] [--with-disks]",
    "Write an import directory for a persistent domain: domain.xml, its "
    "saved state, its disks with --with-disks, and manifest.xml. DIR must "
    "be new or empty; a failure or Ctrl-C leaves nothing behind.",
    COMMAND_DIRECT_ONLY },
  { "jobs", vr_cli_cmd_jobs, "",
    "List the agent's jobs: queued, running and finished in the last "
    "minutes.", COMMAND_NEEDS_AGENT },
  { "job", vr_cli_cmd_job, "ID", "Show one of the agent's jobs.",
    COMMAND_NEEDS_AGENT },
  { "cancel", vr_cli_cmd_cancel, "ID", "Cancel a job: it rolls back what it made.",
    COMMAND_NEEDS_AGENT },
  { "wait", vr_cli_cmd_wait, "ID",
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
  g_string_append (text, "\nPLANNED is a planned system's name or UUID; "
                   "'--' ends the options (for a name that starts with "
                   "'-'). 'virt-realize help COMMAND' describes a command.");
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

/* The candidate a near miss meant: at most two edits away, or one it
 * begins (more than one letter); NULL for none. */
const char *
vr_cli_nearest (const char *word, const char *const *candidates, guint n)
{
  const char *best = NULL;
  guint best_distance = 3; /* more than two edits is no near miss */

  for (guint i = 0; i < n; i++)
    {
      guint d = distance (word, candidates[i]);

      if (d < best_distance
          || (g_str_has_prefix (candidates[i], word) && strlen (word) > 1
              && best == NULL))
        {
          best = candidates[i];
          best_distance = MIN (d, best_distance);
        }
    }
  return best;
}

static const char *
nearest_command (const char *name)
{
  const char *names[G_N_ELEMENTS (commands)];

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    names[i] = commands[i].name;
  return vr_cli_nearest (name, names, G_N_ELEMENTS (commands));
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

  if (!vr_cli_parse_command (run, NULL, &argc, &argv))
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
  g_auto (GStrv) given = NULL;
  g_autofree char *text = NULL;

  g_option_context_set_summary (context, "Validate planned virtual machines "
                                "against this host and realize them as "
                                "libvirt domains that resume their saved "
                                "state.");
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
  /* What follows the command is the command's (its parser takes the
   * global options too). */
  g_option_context_set_strict_posix (context, TRUE);
  given = g_strdupv (*argv);
  if (g_option_context_parse (context, argc, argv, &error))
    return TRUE;
  text = explain_option_error (error, given, NULL, entries);
  vr_cli_usage_error (NULL, "%s", text);
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
