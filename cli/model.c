/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "model.h"

#include "findings.h"
#include "job-states.h"

gint64
vr_cli_time_to_usec (GDateTime *time)
{
  return g_date_time_to_unix (time) * G_USEC_PER_SEC
         + g_date_time_get_microsecond (time);
}

GDateTime *
vr_cli_time_new_utc (gint64 usec)
{
  g_autoptr (GDateTime) seconds = g_date_time_new_from_unix_utc (
      usec / G_USEC_PER_SEC);

  return seconds ? g_date_time_add (seconds, usec % G_USEC_PER_SEC) : NULL;
}

void
vr_cli_system_free (VrCliSystem *system)
{
  if (system == NULL)
    return;
  g_free (system->name);
  g_free (system->uuid);
  g_free (system->state);
  g_free (system->import_dir);
  g_free (system->domain);
  g_free (system->connection);
  g_free (system->save_file);
  g_free (system->nvram_file);
  g_free (system->tpm_folder);
  g_strfreev (system->snapshots);
  g_free (system->current_snapshot);
  g_free (system->last_job_message);
  g_free (system);
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
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_boolean (JsonBuilder *b, const char *name, gboolean value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

/* ISO 8601 in UTC, or NULL for 0. */
static char *
format_time (gint64 usec)
{
  g_autoptr (GDateTime) time = NULL;

  if (usec == 0)
    return NULL;
  time = vr_cli_time_new_utc (usec);
  return time ? g_date_time_format_iso8601 (time) : NULL;
}

static void
add_save_image (JsonBuilder *b, const VrCliSystem *system)
{
  json_builder_set_member_name (b, "saved_state");
  if (system->save_file == NULL)
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_object (b);
  add_string (b, "file", system->save_file);
  add_int (b, "size", system->save_size);
  add_boolean (b, "was_running", system->save_was_running);
  json_builder_end_object (b);
}

static void
add_firmware (JsonBuilder *b, const VrCliSystem *system)
{
  json_builder_set_member_name (b, "nvram");
  if (system->nvram_file != NULL)
    {
      json_builder_begin_object (b);
      add_string (b, "file", system->nvram_file);
      add_int (b, "size", system->nvram_size);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  add_string (b, "tpm", system->tpm_folder);
  add_boolean (b, "tpm_discarded", system->tpm_discarded);
  json_builder_set_member_name (b, "snapshots");
  json_builder_begin_array (b);
  for (guint i = 0; system->snapshots && system->snapshots[i]; i++)
    json_builder_add_string_value (b, system->snapshots[i]);
  json_builder_end_array (b);
  add_string (b, "current_snapshot", system->current_snapshot);
}

static void
add_last_job (JsonBuilder *b, const VrCliSystem *system)
{
  if (system->last_job_message == NULL)
    return;
  json_builder_set_member_name (b, "last_job");
  json_builder_begin_object (b);
  add_int (b, "code", system->last_job_code);
  add_string (b, "message", system->last_job_message);
  json_builder_end_object (b);
}

JsonNode *
vr_cli_system_to_json (const VrCliSystem *system)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *created = format_time (system->created);

  json_builder_begin_object (b);
  add_string (b, "name", system->name);
  add_string (b, "uuid", system->uuid);
  add_string (b, "state", system->state);
  add_string (b, "import_dir", system->import_dir);
  add_save_image (b, system);
  add_boolean (b, "saved_state_discarded", system->saved_state_discarded);
  add_firmware (b, system);
  add_int (b, "memory_kib", system->memory_kib);
  add_int (b, "vcpus", system->vcpus);
  add_string (b, "created", created);
  add_last_job (b, system);
  add_string (b, "domain", system->domain);
  add_string (b, "connection", system->connection);
  json_builder_set_member_name (b, "domain_defined");
  if (system->domain_presence == VR_CLI_DOMAIN_UNKNOWN)
    json_builder_add_null_value (b);
  else
    json_builder_add_boolean_value (
        b, system->domain_presence == VR_CLI_DOMAIN_DEFINED);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
vr_cli_system_summary_to_json (const VrCliSystem *system)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_string (b, "name", system->name);
  add_string (b, "uuid", system->uuid);
  add_string (b, "state", system->state);
  add_boolean (b, "saved_state", system->has_saved_state);
  add_string (b, "domain", system->domain);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
vr_cli_validation_free (VrCliValidation *validation)
{
  if (validation == NULL)
    return;
  g_free (validation->kind);
  g_free (validation->target);
  g_clear_pointer (&validation->findings, g_ptr_array_unref);
  g_free (validation);
}

JsonNode *
vr_cli_validation_to_json (const VrCliValidation *validation)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  GPtrArray *findings = validation->findings;

  json_builder_begin_object (b);
  add_string (b, "target", validation->target);
  add_string (b, "kind", validation->kind);
  add_boolean (b, "fits", !vr_findings_has_errors (findings));
  json_builder_set_member_name (b, "counts");
  json_builder_begin_object (b);
  for (VrSeverity s = VR_SEVERITY_INFO; s <= VR_SEVERITY_ERROR; s++)
    add_int (b, vr_severity_to_string (s), vr_findings_count (findings, s));
  json_builder_end_object (b);
  json_builder_set_member_name (b, "findings");
  json_builder_begin_array (b);
  for (guint i = 0; i < findings->len; i++)
    json_builder_add_value (b, vr_finding_to_json (findings->pdata[i]));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
vr_cli_job_free (VrCliJob *job)
{
  if (job == NULL)
    return;
  g_free (job->id);
  g_free (job->type);
  g_free (job->target);
  g_free (job->phase);
  g_free (job->error_description);
  g_free (job);
}

JsonNode *
vr_cli_job_to_json (const VrCliJob *job)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *started = format_time (job->start_time);

  json_builder_begin_object (b);
  add_string (b, "id", job->id);
  add_string (b, "type", job->type);
  add_string (b, "target", job->target);
  add_string (b, "state", vr_dbus_job_state_describe (job->state));
  add_string (b, "phase", job->phase);
  add_int (b, "percent", job->percent);
  add_int (b, "bytes_done", job->bytes_done);
  add_int (b, "bytes_total", job->bytes_total);
  add_string (b, "started", started);
  add_int (b, "elapsed_ms", job->elapsed / 1000);
  json_builder_set_member_name (b, "error");
  if (job->error_code != 0)
    {
      json_builder_begin_object (b);
      add_int (b, "code", job->error_code);
      add_string (b, "message", job->error_description);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
vr_cli_export_free (VrCliExport *result)
{
  if (result == NULL)
    return;
  g_free (result->domain);
  g_free (result->uuid);
  g_free (result->directory);
  g_free (result->remote_uri);
  g_free (result->save_file);
  g_strfreev (result->notes);
  g_free (result);
}

JsonNode *
vr_cli_export_to_json (const VrCliExport *result)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_string (b, "domain", result->domain);
  add_string (b, "uuid", result->uuid);
  add_string (b, "directory", result->directory);
  add_string (b, "save_file", result->save_file);
  add_boolean (b, "saved", result->saved);
  add_int (b, "disks", result->disks);
  add_boolean (b, "nvram", result->nvram);
  add_boolean (b, "tpm", result->tpm);
  add_int (b, "snapshots", result->snapshots);
  add_int (b, "bytes", result->bytes);
  json_builder_set_member_name (b, "notes");
  json_builder_begin_array (b);
  for (guint i = 0; result->notes && result->notes[i]; i++)
    json_builder_add_string_value (b, result->notes[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
vr_cli_placement_free (VrCliPlacement *placement)
{
  if (placement == NULL)
    return;
  g_free (placement->uri);
  g_free (placement->blocking);
  g_free (placement->line);
  g_free (placement);
}

char *
vr_cli_placement_describe (const VrCliPlacement *p)
{
  g_autofree char *free_text = g_format_size_full (p->free_memory,
                                                   G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *resources = p->reachable
      ? g_strdup_printf (" (%s free memory, %u CPUs)", free_text, p->cpus)
      : g_strdup ("");

  if (!p->fits)
    return g_strdup_printf ("%s: does not fit: %s%s", p->uri, p->blocking,
                            resources);
  return g_strdup_printf ("%s: fits%s%s", p->uri, resources,
                          p->chosen ? "; chosen: it fits and has the most "
                                      "free memory"
                                    : "");
}

JsonNode *
vr_cli_placements_to_json (GPtrArray *placements)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < placements->len; i++)
    {
      const VrCliPlacement *p = placements->pdata[i];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "uri");
      json_builder_add_string_value (b, p->uri);
      json_builder_set_member_name (b, "fits");
      json_builder_add_boolean_value (b, p->fits);
      json_builder_set_member_name (b, "chosen");
      json_builder_add_boolean_value (b, p->chosen);
      json_builder_set_member_name (b, "blocking");
      if (p->blocking != NULL)
        json_builder_add_string_value (b, p->blocking);
      else
        json_builder_add_null_value (b);
      /* Not known of a host that did not answer: null, not 0. */
      json_builder_set_member_name (b, "reachable");
      json_builder_add_boolean_value (b, p->reachable);
      json_builder_set_member_name (b, "free_memory");
      if (p->reachable)
        json_builder_add_int_value (b, (gint64) p->free_memory);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "cpus");
      if (p->reachable)
        json_builder_add_int_value (b, p->cpus);
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}
