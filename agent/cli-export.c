/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* export, and the check of an exported directory's manifest at import. */
#include "config.h"

#include <stdio.h>

#include "cli-job.h"
#include "cli.h"
#include "export-job.h"
#include "libvirt-util.h"
#include "verify-job.h"

static JsonNode *
result_to_json (const VrExportResult *result, const char *path)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "domain");
  json_builder_add_string_value (b, result->name);
  json_builder_set_member_name (b, "uuid");
  json_builder_add_string_value (b, result->uuid);
  json_builder_set_member_name (b, "directory");
  json_builder_add_string_value (b, path);
  json_builder_set_member_name (b, "save_file");
  if (result->save_file != NULL)
    json_builder_add_string_value (b, result->save_file);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "saved");
  json_builder_add_boolean_value (b, result->saved);
  json_builder_set_member_name (b, "disks");
  json_builder_add_int_value (b, result->disks);
  json_builder_set_member_name (b, "nvram");
  json_builder_add_boolean_value (b, result->nvram);
  json_builder_set_member_name (b, "tpm");
  json_builder_add_boolean_value (b, result->tpm);
  json_builder_set_member_name (b, "snapshots");
  json_builder_add_int_value (b, result->snapshots);
  json_builder_set_member_name (b, "bytes");
  json_builder_add_int_value (b, result->bytes);
  json_builder_set_member_name (b, "notes");
  json_builder_begin_array (b);
  for (guint i = 0; i < result->notes->len; i++)
    json_builder_add_string_value (b, result->notes->pdata[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
print_result (const VrExportResult *result, const char *path)
{
  g_autofree char *size = g_format_size (result->bytes);
  g_autoptr (GString) files = g_string_new ("domain.xml");

  if (result->save_file != NULL)
    g_string_append_printf (files, ", %s (saved state)", result->save_file);
  if (result->disks > 0)
    g_string_append_printf (files, ", %u disk image%s in disks/",
                            result->disks, result->disks > 1 ? "s" : "");
  if (result->nvram)
    g_string_append (files, ", the UEFI variable store in nvram/");
  if (result->tpm)
    g_string_append (files, ", the TPM state in tpm/");
  if (result->snapshots > 0)
    g_string_append_printf (files, ", %u snapshot%s in snapshots/",
                            result->snapshots,
                            result->snapshots > 1 ? "s" : "");
  printf ("Domain '%s' exported to %s: %s, manifest.xml (%s)\n",
          result->name, path, files->str, size);
  if (result->saved)
    printf ("It was running: it is saved now, and starting it resumes it\n");
  for (guint i = 0; i < result->notes->len; i++)
    printf ("note: %s\n", (const char *) result->notes->pdata[i]);
}

static int
report (VrCli *cli, VrJob *job, const char *path)
{
  const VrExportResult *result = vr_export_job_get_result (job);

  if (vr_job_get_state (job) != VR_JOB_STATE_COMPLETED || result == NULL)
    return vr_cli_job_fail (job);
  if (cli->json)
    {
      g_autoptr (JsonNode) node = result_to_json (result, path);

      vr_cli_print_json (node);
    }
  else if (!cli->quiet)
    print_result (result, path);
  return VR_EXIT_OK;
}

int
vr_cli_export (VrCli *cli, int argc, char **argv)
{
  gboolean save = FALSE;
  gboolean with_disks = FALSE;
  const GOptionEntry entries[] = {
    { "save", 0, 0, G_OPTION_ARG_NONE, &save,
      "Managed-save a running domain first (it stays saved here; starting "
      "it resumes it)", NULL },
    { "with-disks", 0, 0, G_OPTION_ARG_NONE, &with_disks,
      "Copy its file-backed disks into DIR/disks too", NULL },
    { NULL }
  };
  VrExportOptions options = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (virConnect) conn = NULL;
  g_autoptr (VrJob) job = NULL;
  g_autofree char *path = NULL;

  if (!vr_cli_parse ("export", "DOMAIN DIR", "Write an import directory "
                     "for a persistent domain: domain.xml, its saved state, "
                     "its disks with --with-disks, and manifest.xml. DIR "
                     "must be new or empty; a failure or Ctrl-C leaves "
                     "nothing behind.", entries, &argc, &argv))
    return VR_EXIT_USAGE;
  if (argc != 3)
    return vr_cli_usage_error ("export", "expected DOMAIN and DIR");
  options.save = save;
  options.with_disks = with_disks;
  path = g_canonicalize_filename (argv[2], NULL);
  conn = vr_libvirt_open (cli->uri, &error);
  if (conn == NULL)
    return vr_cli_fail (error);
  job = vr_export_job_start (1, conn, argv[1], path, &options);
  vr_cli_job_wait (job, !cli->json && !cli->quiet);
  return report (cli, job, path);
}

int
vr_cli_verify_manifest (VrCli *cli, VrImportDir *dir)
{
  g_autoptr (VrJob) job = vr_verify_job_start (1, dir);

  vr_cli_job_wait (job, !cli->json && !cli->quiet);
  if (vr_job_get_state (job) != VR_JOB_STATE_COMPLETED)
    return vr_cli_job_fail (job);
  return VR_EXIT_OK;
}
