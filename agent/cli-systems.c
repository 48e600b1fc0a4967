/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>

#include "cli-client.h"
#include "cli.h"
#include "errors.h"
#include "import.h"

/* Commands take exactly the positional arguments their usage names. */
static gboolean
want_args (const char *command, int argc, int wanted, const char *what)
{
  if (argc - 1 == wanted)
    return TRUE;
  vr_cli_usage_error (command, argc - 1 < wanted ? "missing %s"
                                                 : "too many arguments (%s "
                                                   "expected)", what);
  return FALSE;
}

int
vr_cli_import (VrCli *cli, int argc, char **argv)
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
  g_autoptr (VrImportDir) dir = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GDBusConnection) bus = NULL;
  VrImportFlags flags;

  if (!vr_cli_parse ("import", "DIR", "Register an import directory as a "
                     "planned system. Copies nothing; DIR is never written.",
                     entries, &argc, &argv))
    return VR_EXIT_USAGE;
  if (!want_args ("import", argc, 1, "DIR"))
    return VR_EXIT_USAGE;
  bus = vr_cli_client_connect (cli);
  if (bus != NULL)
    return vr_cli_client_import (cli, bus, argv[1], name, new_id, discard);
  flags = (new_id ? VR_IMPORT_NEW_ID : 0)
          | (discard ? VR_IMPORT_DISCARD_SAVED_STATE : 0);
  dir = vr_import_dir_open (argv[1], &error);
  if (dir == NULL)
    return vr_cli_fail (error);
  if (dir->has_manifest && vr_cli_verify_manifest (cli, dir) != VR_EXIT_OK)
    return VR_EXIT_FAILED;
  system = vr_import_with_flags (cli->store, dir, name, flags, &error);
  if (system == NULL)
    return vr_cli_fail (error);
  if (cli->json)
    {
      g_autoptr (JsonNode) node = vr_cli_system_to_json (system);

      vr_cli_print_json (node);
    }
  else if (!cli->quiet)
    printf ("Planned system '%s' (%s) imported from %s\n",
            vr_planned_system_get_name (system),
            vr_planned_system_get_uuid (system),
            vr_planned_system_get_import_dir (system));
  if (!cli->json && !cli->quiet
      && vr_planned_system_get_saved_state_discarded (system))
    printf ("Its saved state (%s) is left behind: the guest will boot from "
            "its disks\n", dir->save_file);
  if (!cli->json && !cli->quiet
      && vr_planned_system_get_tpm_discarded (system))
    printf ("Its TPM state (%s/%s) is left behind: a new identity gets a "
            "new TPM, so that the copy does not hold the original's keys\n",
            VR_IMPORT_TPM_DIR, dir->tpm_folder);
  return VR_EXIT_OK;
}

int
vr_cli_list (VrCli *cli, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) systems = NULL;
  g_autoptr (GDBusConnection) bus = NULL;

  if (!vr_cli_parse ("list", "", "List the planned systems.", NULL, &argc,
                     &argv)
      || !want_args ("list", argc, 0, "nothing"))
    return VR_EXIT_USAGE;
  bus = vr_cli_client_connect (cli);
  if (bus != NULL)
    return vr_cli_client_list (cli, bus);
  systems = vr_store_list (cli->store, &error);
  if (systems == NULL)
    return vr_cli_fail (error);
  if (cli->json)
    {
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
      g_autoptr (JsonArray) array = json_array_new ();

      for (guint i = 0; i < systems->len; i++)
        json_array_add_element (array, vr_cli_system_to_json (systems->pdata[i]));
      json_node_set_array (node, array);
      vr_cli_print_json (node);
    }
  else
    vr_cli_print_system_table (systems);
  return VR_EXIT_OK;
}

int
vr_cli_show (VrCli *cli, int argc, char **argv)
{
  gboolean xml = FALSE;
  const GOptionEntry entries[] = {
    { "xml", 0, 0, G_OPTION_ARG_NONE, &xml, "Print the planned domain XML",
      NULL },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GDBusConnection) bus = NULL;

  if (!vr_cli_parse ("show", "PLANNED", "Show a planned system (by name or "
                     "UUID).", entries, &argc, &argv)
      || !want_args ("show", argc, 1, "PLANNED"))
    return VR_EXIT_USAGE;
  bus = vr_cli_client_connect (cli);
  if (bus != NULL)
    return vr_cli_client_show (cli, bus, argv[1], xml);
  system = vr_store_lookup (cli->store, argv[1], &error);
  if (system == NULL)
    return vr_cli_fail (error);
  if (xml)
    {
      g_autofree char *text = vr_planned_system_dup_domain_xml (system);

      fputs (text, stdout);
    }
  else if (cli->json)
    {
      g_autoptr (JsonNode) node = vr_cli_system_to_json (system);

      vr_cli_print_json (node);
    }
  else
    vr_cli_print_system (system);
  return VR_EXIT_OK;
}

int
vr_cli_destroy (VrCli *cli, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GDBusConnection) bus = NULL;

  if (!vr_cli_parse ("destroy", "PLANNED", "Forget a planned system. Its "
                     "import directory is left as it is.", NULL, &argc, &argv)
      || !want_args ("destroy", argc, 1, "PLANNED"))
    return VR_EXIT_USAGE;
  bus = vr_cli_client_connect (cli);
  if (bus != NULL)
    return vr_cli_client_destroy (cli, bus, argv[1]);
  system = vr_store_lookup (cli->store, argv[1], &error);
  if (system == NULL || !vr_store_remove (cli->store, system, &error))
    return vr_cli_fail (error);
  if (!cli->quiet && !cli->json)
    printf ("Planned system '%s' destroyed\n",
            vr_planned_system_get_name (system));
  return VR_EXIT_OK;
}
