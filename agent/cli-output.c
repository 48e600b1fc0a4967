/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "errors.h"

int
vr_cli_fail (const GError *error)
{
  g_autofree char *text = vr_error_format (error);

  fprintf (stderr, "error: %s\n", text);
  return VR_EXIT_FAILED;
}

int
vr_cli_usage_error (const char *command, const char *format, ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  fprintf (stderr, "error: %s\nTry 'virt-realize %s%s--help'.\n", text,
           command ? command : "", command ? " " : "");
  return VR_EXIT_USAGE;
}

gboolean
vr_cli_parse (const char *command, const char *args, const char *summary,
              const GOptionEntry *entries, int *argc, char ***argv)
{
  g_autofree char *usage = g_strdup_printf ("%s %s", command, args);
  g_autoptr (GOptionContext) context = g_option_context_new (usage);
  g_autoptr (GError) error = NULL;

  g_option_context_set_summary (context, summary);
  g_option_context_set_help_enabled (context, TRUE);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);
  if (g_option_context_parse (context, argc, argv, &error))
    return TRUE;
  vr_cli_usage_error (command, "%s", error->message);
  return FALSE;
}

void
vr_cli_print_json (JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

static void
add_last_job (JsonBuilder *b, VrPlannedSystem *system)
{
  const char *message = vr_planned_system_get_last_job_message (system);

  if (message == NULL)
    return;
  json_builder_set_member_name (b, "last_job");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_int_value (b, vr_planned_system_get_last_job_code (system));
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
}

static void
add_save_image (JsonBuilder *b, VrPlannedSystem *system)
{
  const char *file = vr_planned_system_get_save_file (system);

  json_builder_set_member_name (b, "saved_state");
  if (file == NULL)
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, file);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, vr_planned_system_get_save_size (system));
  json_builder_set_member_name (b, "was_running");
  json_builder_add_boolean_value (
      b, vr_planned_system_get_save_was_running (system));
  json_builder_end_object (b);
}

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_firmware (JsonBuilder *b, VrPlannedSystem *system)
{
  GPtrArray *snapshots = vr_planned_system_get_snapshots (system);

  json_builder_set_member_name (b, "nvram");
  if (vr_planned_system_get_nvram_file (system) != NULL)
    {
      json_builder_begin_object (b);
      add_string (b, "file", vr_planned_system_get_nvram_file (system));
      json_builder_set_member_name (b, "size");
      json_builder_add_int_value (b, vr_planned_system_get_nvram_size (system));
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  add_string (b, "tpm", vr_planned_system_get_tpm_folder (system));
  json_builder_set_member_name (b, "tpm_discarded");
  json_builder_add_boolean_value (b,
                                  vr_planned_system_get_tpm_discarded (system));
  json_builder_set_member_name (b, "snapshots");
  json_builder_begin_array (b);
  for (guint i = 0; snapshots != NULL && i < snapshots->len; i++)
    json_builder_add_string_value (b, snapshots->pdata[i]);
  json_builder_end_array (b);
  add_string (b, "current_snapshot",
              vr_planned_system_get_current_snapshot (system));
}

JsonNode *
vr_cli_system_to_json (VrPlannedSystem *system)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *created = g_date_time_format_iso8601 (
      vr_planned_system_get_created (system));

  json_builder_begin_object (b);
  add_string (b, "name", vr_planned_system_get_name (system));
  add_string (b, "uuid", vr_planned_system_get_uuid (system));
  add_string (b, "state",
              vr_planned_state_to_string (vr_planned_system_get_state (system)));
  add_string (b, "import_dir", vr_planned_system_get_import_dir (system));
  add_save_image (b, system);
  add_firmware (b, system);
  json_builder_set_member_name (b, "memory_kib");
  json_builder_add_int_value (b, vr_planned_system_get_memory_kib (system));
  json_builder_set_member_name (b, "vcpus");
  json_builder_add_int_value (b, vr_planned_system_get_vcpus (system));
  add_string (b, "created", created);
  add_last_job (b, system);
  add_string (b, "domain", vr_planned_system_get_domain (system));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static char *
describe_saved_state (VrPlannedSystem *system)
{
  const char *file = vr_planned_system_get_save_file (system);
  g_autofree char *size = NULL;

  if (file == NULL)
    return g_strdup ("none (the guest will boot)");
  size = g_format_size (vr_planned_system_get_save_size (system));
  return g_strdup_printf ("%s (%s, guest %s)", file, size,
                          vr_planned_system_get_save_was_running (system)
                              ? "was running" : "was paused");
}

static void
print_firmware (VrPlannedSystem *system)
{
  const char *nvram = vr_planned_system_get_nvram_file (system);
  const char *tpm = vr_planned_system_get_tpm_folder (system);
  GPtrArray *snapshots = vr_planned_system_get_snapshots (system);
  const char *current = vr_planned_system_get_current_snapshot (system);

  if (nvram != NULL)
    {
      g_autofree char *size = g_format_size (
          vr_planned_system_get_nvram_size (system));

      printf ("%-16s%s (%s)\n", "NVRAM:", nvram, size);
    }
  if (tpm != NULL)
    printf ("%-16s%s/ (its state travels with it)\n", "TPM:", tpm);
  else if (vr_planned_system_get_tpm_discarded (system))
    printf ("%-16s%s\n", "TPM:", "a new one (a new identity does not "
            "clone the exported TPM's keys)");
  if (snapshots == NULL)
    return;
  printf ("%-16s", "Snapshots:");
  for (guint i = 0; i < snapshots->len; i++)
    printf ("%s%s%s", i > 0 ? ", " : "", (const char *) snapshots->pdata[i],
            g_strcmp0 (current, snapshots->pdata[i]) == 0 ? " (current)"
                                                          : "");
  printf ("\n");
}

void
vr_cli_print_system (VrPlannedSystem *system)
{
  g_autofree char *saved = describe_saved_state (system);
  g_autofree char *created = g_date_time_format (
      vr_planned_system_get_created (system), "%Y-%m-%d %H:%M:%S UTC");
  const char *message = vr_planned_system_get_last_job_message (system);
  const char *domain = vr_planned_system_get_domain (system);

  printf ("%-16s%s\n", "Name:", vr_planned_system_get_name (system));
  printf ("%-16s%s\n", "UUID:", vr_planned_system_get_uuid (system));
  printf ("%-16s%s\n", "State:",
          vr_planned_state_to_string (vr_planned_system_get_state (system)));
  printf ("%-16s%s\n", "Import dir:",
          vr_planned_system_get_import_dir (system));
  printf ("%-16s%s\n", "Saved state:", saved);
  print_firmware (system);
  printf ("%-16s%" G_GUINT64_FORMAT " KiB\n", "Memory:",
          vr_planned_system_get_memory_kib (system));
  printf ("%-16s%u\n", "CPU(s):", vr_planned_system_get_vcpus (system));
  printf ("%-16s%s\n", "Created:", created);
  if (message != NULL)
    printf ("%-16s%s (%d)\n", "Last job:", message,
            vr_planned_system_get_last_job_code (system));
  if (domain != NULL)
    printf ("%-16s%s\n", "Domain:", domain);
}

void
vr_cli_print_system_table (GPtrArray *systems)
{
  printf (" %-24s %-36s   %-10s %s\n", "Name", "UUID", "State",
          "Saved state");
  printf ("%s\n", "-----------------------------------------------------"
                  "-------------------------------------");
  for (guint i = 0; i < systems->len; i++)
    {
      VrPlannedSystem *system = systems->pdata[i];

      printf (" %-24s %-36s   %-10s %s\n", vr_planned_system_get_name (system),
              vr_planned_system_get_uuid (system),
              vr_planned_state_to_string (vr_planned_system_get_state (system)),
              vr_planned_system_get_save_file (system) ? "yes" : "no");
    }
}
