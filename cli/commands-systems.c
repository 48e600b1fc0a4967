/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The commands on planned systems: import, list, show, destroy, validate,
 * edit. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "commands-private.h"
#include "errors.h"
#include "findings.h"

int
vr_cli_cmd_import (VrCliRun *run, int argc, char **argv)
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
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (VrCliSystem) system = NULL;
  VrCliImportRequest request = { 0 };

  if (!vr_cli_parse_command (run, entries, &argc, &argv)
      || !vr_cli_want_args (run, argc, 1, "DIR"))
    return VR_EXIT_USAGE;
  if ((transport = vr_cli_open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  request.dir = argv[1];
  request.name = name;
  request.new_id = new_id;
  request.discard_saved_state = discard;
  request.show_progress = vr_cli_say (run);
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
  vr_cli_printf ("Planned system '%s' (%s) imported from %s\n", system->name,
                 system->uuid, system->import_dir);
  if (system->saved_state_discarded)
    vr_cli_printf ("Its saved state is left behind: the guest will boot "
                   "from its disks\n");
  if (system->tpm_discarded)
    vr_cli_printf ("Its TPM state is left behind: a new identity gets a "
                   "new TPM, so that the copy does not hold the original's "
                   "keys\n");
  return VR_EXIT_OK;
}

int
vr_cli_cmd_list (VrCliRun *run, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (GPtrArray) systems = NULL;

  if (!vr_cli_parse_command (run, NULL, &argc, &argv)
      || !vr_cli_want_args (run, argc, 0, "nothing"))
    return VR_EXIT_USAGE;
  if ((transport = vr_cli_open_transport (run)) == NULL)
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

/* A realized system's domain may have been undefined behind our back:
 * libvirt is asked (a failure to ask is said, and show goes on). One
 * realized before the connection was recorded is not asked: its domain
 * may live anywhere. */
static void
check_domain (VrCliTransport *transport, VrCliSystem *system)
{
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (system->state, "realized") != 0
      || system->connection == NULL
      || transport->klass->check_domain == NULL
      || transport->klass->check_domain (transport, system, &error))
    return;
  vr_cli_fprintf (stderr, "warning: cannot tell whether domain %s is still "
                  "defined: %s\n", system->domain ? system->domain : "",
                  error->message);
}

int
vr_cli_cmd_show (VrCliRun *run, int argc, char **argv)
{
  gboolean xml = FALSE;
  const GOptionEntry entries[] = {
    { "xml", 0, 0, G_OPTION_ARG_NONE, &xml, "Print the planned domain XML",
      NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (VrCliSystem) system = NULL;

  if (!vr_cli_parse_command (run, entries, &argc, &argv)
      || !vr_cli_want_args (run, argc, 1, "PLANNED"))
    return VR_EXIT_USAGE;
  if ((transport = vr_cli_open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  if (xml)
    {
      g_autofree char *text = transport->klass->get_xml (transport, argv[1],
                                                         &error);

      if (text == NULL)
        return vr_cli_fail_planned (transport, argv[1], error);
      vr_cli_print_document (text);
      return VR_EXIT_OK;
    }
  system = transport->klass->lookup (transport, argv[1], &error);
  if (system == NULL)
    return vr_cli_fail_planned (transport, argv[1], error);
  check_domain (transport, system);
  if (run->cli->json)
    {
      g_autoptr (JsonNode) node = vr_cli_system_to_json (system);

      vr_cli_print_json (node);
    }
  else
    vr_cli_print_system (system);
  return VR_EXIT_OK;
}

/* What destroy leaves of the domain a realize defined, as libvirt told
 * (check_domain); when libvirt could not be asked (or the connection it
 * was realized on is not known), it is not said to be there. */
static void
say_domain_left (const VrCliSystem *system)
{
  if (system->domain == NULL)
    return;
  if (system->domain_presence == VR_CLI_DOMAIN_DEFINED)
    vr_cli_printf ("Domain '%s', which its realize defined, stays defined "
                   "(undefine it with virsh)\n", system->domain);
  else if (system->domain_presence == VR_CLI_DOMAIN_UNDEFINED)
    vr_cli_printf ("Domain '%s', which its realize defined, was undefined since: "
                   "no domain of it is left\n", system->domain);
  else
    vr_cli_printf ("Domain '%s', which its realize defined, is left as it is "
                   "(whether it is still defined is not known)\n", system->domain);
}

int
vr_cli_cmd_destroy (VrCliRun *run, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (VrCliSystem) system = NULL;
  g_autoptr (VrCliSystem) known = NULL;

  if (!vr_cli_parse_command (run, NULL, &argc, &argv)
      || !vr_cli_want_args (run, argc, 1, "PLANNED"))
    return VR_EXIT_USAGE;
  if ((transport = vr_cli_open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  /* What stays is asked of libvirt before the record goes (show's
   * question): a domain undefined since is not said to stay. */
  known = transport->klass->lookup (transport, argv[1], &error);
  if (known == NULL)
    return vr_cli_fail_planned (transport, argv[1], error);
  check_domain (transport, known);
  system = transport->klass->destroy (transport, argv[1], &error);
  if (system == NULL)
    return vr_cli_fail (error);
  system->domain_presence = known->domain_presence;
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
      vr_cli_printf ("Planned system '%s' destroyed; its import directory "
                     "%s is left as it was\n", system->name,
                     system->import_dir);
      say_domain_left (system);
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

/* validate --host: one line per host; status 3 when none fits. */
static int
validate_hosts (VrCliRun *run, VrCliTransport *transport, const char *key,
                const char *const *hosts, gboolean copy_disks)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) placements = NULL;
  gboolean any = FALSE;

  if (transport->klass->place == NULL)
    return vr_cli_not_offered (run, transport);
  placements = transport->klass->place (transport, key, hosts, copy_disks,
                                        &error);
  if (placements == NULL)
    return vr_cli_fail_planned (transport, key, error);
  for (guint i = 0; i < placements->len; i++)
    any |= ((VrCliPlacement *) placements->pdata[i])->chosen;
  if (run->cli->json)
    {
      g_autoptr (JsonNode) node = vr_cli_placements_to_json (placements);

      vr_cli_print_json (node);
    }
  else
    for (guint i = 0; i < placements->len; i++)
      vr_cli_printf ("%s\n", ((VrCliPlacement *) placements->pdata[i])->line);
  return any ? VR_EXIT_OK : VR_EXIT_FINDINGS;
}

int
vr_cli_cmd_validate (VrCliRun *run, int argc, char **argv)
{
  gboolean copy_disks = FALSE;
  g_auto (GStrv) hosts = NULL;
  const GOptionEntry entries[] = {
    { "copy-disks", 0, 0, G_OPTION_ARG_NONE, &copy_disks,
      "As realize --copy-disks will: disks inside the import directory are "
      "fine", NULL },
    { "host", 0, 0, G_OPTION_ARG_STRING_ARRAY, &hosts,
      "Check PLANNED against this libvirt host instead, one line per host: "
      "fits or why not, free memory, CPUs (repeatable; through the agent, "
      "a host its configuration lists, by name or URI)", "HOST" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (VrCliValidation) validation = NULL;

  if (!vr_cli_parse_command (run, entries, &argc, &argv)
      || !vr_cli_want_args (run, argc, 1, "PLANNED, DIR or FILE.xml"))
    return VR_EXIT_USAGE;
  if (!vr_cli_check_hosts (run, (const char *const *) hosts, &error))
    return vr_cli_fail (error);
  if ((transport = vr_cli_open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  if (hosts != NULL)
    return validate_hosts (run, transport, argv[1],
                           (const char *const *) hosts, copy_disks);
  /* A bare word that is no file is a planned system's name: a typo is
   * said as such, before this host's libvirt is opened. */
  if (strchr (argv[1], '/') == NULL
      && !g_file_test (argv[1], G_FILE_TEST_EXISTS)
      && !vr_cli_find_planned (transport, argv[1], &error))
    return vr_cli_fail (error);
  validation = transport->klass->validate (transport, argv[1], &error);
  if (validation == NULL)
    return vr_cli_fail (error);
  if (copy_disks)
    vr_findings_remove_id (validation->findings, VR_FINDING_DISK_IN_IMPORT);
  return report_validation (run, validation);
}

/* The edit is saved; only its validation could not run (libvirt did not
 * answer): that is no failure of the edit, so exit 0 and say why, and
 * with --json {"edited": NAME, "validation": null, "validation_error":
 * {"code", "name", "message"}}. */
static int
edit_not_validated (VrCliRun *run, const VrCliSystem *system,
                    const GError *error)
{
  g_autofree char *why = vr_error_format (error);
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (JsonNode) root = NULL;

  vr_cli_fprintf (stderr, "warning: the edit of '%s' is saved, but "
                  "validation could not run: %s\n(run 'virt-realize "
                  "validate %s' once it can)\n",
                  system->name, why, system->name);
  if (!run->cli->json)
    return VR_EXIT_OK;
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "edited");
  json_builder_add_string_value (b, system->name);
  json_builder_set_member_name (b, "validation");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "validation_error");
  vr_cli_json_add_error (b, error);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  vr_cli_print_json (root);
  return VR_EXIT_OK;
}

int
vr_cli_cmd_edit (VrCliRun *run, int argc, char **argv)
{
  g_autofree char *xml_file = NULL;
  g_auto (GStrv) sets = NULL;
  g_auto (GStrv) removes = NULL;
  gboolean copy_disks = FALSE;
  const GOptionEntry entries[] = {
    { "xml", 0, 0, G_OPTION_ARG_FILENAME, &xml_file,
      "Replace the planned domain XML with FILE's", "FILE" },
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets,
      "Set an attribute or an element's text (repeatable)", "XPATH=VALUE" },
    { "remove", 0, 0, G_OPTION_ARG_STRING_ARRAY, &removes,
      "Remove what XPATH selects (repeatable; after the sets)", "XPATH" },
    { "copy-disks", 0, 0, G_OPTION_ARG_NONE, &copy_disks,
      "Validate as realize --copy-disks will (as validate --copy-disks): "
      "disks inside the import directory are fine", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCliTransport) transport = NULL;
  g_autoptr (VrCliSystem) system = NULL;
  g_autoptr (VrCliValidation) validation = NULL;
  VrCliEditRequest request = { 0 };

  if (!vr_cli_parse_command (run, entries, &argc, &argv)
      || !vr_cli_want_args (run, argc, 1, "PLANNED"))
    return VR_EXIT_USAGE;
  if (xml_file != NULL && (sets != NULL || removes != NULL))
    return vr_cli_usage_error ("edit", "--xml excludes --set and --remove");
  if (xml_file == NULL && sets == NULL && removes == NULL)
    return vr_cli_usage_error ("edit", "nothing to change: give --xml FILE, "
                               "--set XPATH=VALUE or --remove XPATH");
  if ((transport = vr_cli_open_transport (run)) == NULL)
    return VR_EXIT_FAILED;
  if (transport->klass->edit == NULL)
    return vr_cli_not_offered (run, transport);
  request.xml_file = xml_file;
  request.sets = (const char *const *) sets;
  request.removes = (const char *const *) removes;
  system = transport->klass->edit (transport, argv[1], &request, &error);
  if (system == NULL)
    return vr_cli_fail_planned (transport, argv[1], error);
  if (vr_cli_say (run))
    vr_cli_printf ("Planned system '%s' updated\n\n", system->name);
  /* The edit is kept whatever validation says; it only reports. */
  validation = transport->klass->validate (transport, system->uuid, &error);
  if (validation == NULL)
    return edit_not_validated (run, system, error);
  if (copy_disks)
    vr_findings_remove_id (validation->findings, VR_FINDING_DISK_IN_IMPORT);
  return report_validation (run, validation);
}
