/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-realize validate (PLANNED | DIR | FILE.xml) and
 * virt-realize edit PLANNED (--xml FILE | --set XPATH=VALUE … | --remove XPATH …) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli-client.h"
#include "edit.h"
#include "errors.h"
#include "libvirt-util.h"
#include "placement.h"
#include "safe-xml.h"
#include "validate.h"

/* What was validated, for the summary line and the JSON. */
typedef struct {
  const char *kind; /* "planned", "directory", "file" */
  char *name;
} Target;

static void
target_clear (Target *target)
{
  g_free (target->name);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Target, target_clear)

static void
add_counts (JsonBuilder *b, GPtrArray *findings)
{
  json_builder_set_member_name (b, "counts");
  json_builder_begin_object (b);
  for (VrSeverity s = VR_SEVERITY_INFO; s <= VR_SEVERITY_ERROR; s++)
    {
      json_builder_set_member_name (b, vr_severity_to_string (s));
      json_builder_add_int_value (b, vr_findings_count (findings, s));
    }
  json_builder_end_object (b);
}

static void
print_json (const Target *target, GPtrArray *findings)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "target");
  json_builder_add_string_value (b, target->name);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, target->kind);
  json_builder_set_member_name (b, "fits");
  json_builder_add_boolean_value (b, !vr_findings_has_errors (findings));
  add_counts (b, findings);
  json_builder_set_member_name (b, "findings");
  json_builder_begin_array (b);
  for (guint i = 0; i < findings->len; i++)
    json_builder_add_value (b, vr_finding_to_json (findings->pdata[i]));
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  vr_cli_print_json (root);
}

static const char *
plural (guint n, const char *one, const char *many)
{
  return n == 1 ? one : many;
}

static void
print_text (VrCli *cli, const Target *target, GPtrArray *findings)
{
  guint errors = vr_findings_count (findings, VR_SEVERITY_ERROR);
  guint warnings = vr_findings_count (findings, VR_SEVERITY_WARNING);
  guint infos = vr_findings_count (findings, VR_SEVERITY_INFO);

  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *finding = findings->pdata[i];
      g_autofree char *text = NULL;

      if (cli->quiet && finding->severity != VR_SEVERITY_ERROR)
        continue;
      text = vr_finding_to_text (finding);
      printf ("%s\n", text);
    }
  if (cli->quiet)
    return;
  printf ("%s: %u %s, %u %s, %u %s: %s\n", target->name, errors,
          plural (errors, "error", "errors"), warnings,
          plural (warnings, "warning", "warnings"), infos,
          plural (infos, "note", "notes"),
          errors ? "does not fit this host" : "fits this host");
}

static int
report (VrCli *cli, const Target *target, GPtrArray *findings)
{
  if (cli->json)
    print_json (target, findings);
  else
    print_text (cli, target, findings);
  return vr_findings_has_errors (findings) ? VR_EXIT_FINDINGS : VR_EXIT_OK;
}

static VrHostCaps *
connect_host (VrCli *cli, GError **error)
{
  virConnectPtr conn = vr_libvirt_open (cli->uri, error);
  VrHostCaps *caps;

  if (conn == NULL)
    return NULL;
  caps = vr_host_caps_new (conn);
  virConnectClose (conn);
  return caps;
}

/* In-process the caller acts with their own rights: what reaches into
 * the host is theirs to allow, a warning (the agent refuses it). */
static const VrValidateOptions in_process = { .host_access_allowed = TRUE };

/* A name without '/' is a planned system's first; a path is a path. */
static GPtrArray *
validate_arg (VrCli *cli, VrHostCaps *caps, const char *arg, Target *target,
              GError **error)
{
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (VrImportDir) dir = NULL;

  if (strchr (arg, '/') == NULL
      && (system = vr_store_lookup (cli->store, arg, NULL)) != NULL)
    {
      target->kind = "planned";
      target->name = g_strdup (vr_planned_system_get_name (system));
      return vr_validate_planned_with (caps, cli->store, system, &in_process,
                                       error);
    }
  target->name = g_strdup (arg);
  if (g_file_test (arg, G_FILE_TEST_IS_DIR))
    {
      target->kind = "directory";
      dir = vr_import_dir_open (arg, error);
      return dir ? vr_validate_import_dir_with (caps, cli->store, dir,
                                                &in_process, error)
                 : NULL;
    }
  if (g_file_test (arg, G_FILE_TEST_EXISTS))
    {
      target->kind = "file";
      return vr_validate_file_with (caps, cli->store, arg, &in_process,
                                    error);
    }
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "'%s' is no planned system (in %s), directory or file", arg,
               vr_store_get_path (cli->store));
  return NULL;
}

/* A planned system is the agent's when one answers; a path is read here.
 * NULL without an error: do it in-process. */
static GPtrArray *
validate_through_agent (VrCli *cli, const char *arg, Target *target,
                        GError **error)
{
  g_autoptr (GDBusConnection) bus = NULL;
  g_autoptr (GError) local = NULL;
  GPtrArray *findings;

  if (strchr (arg, '/') != NULL || (bus = vr_cli_client_connect (cli)) == NULL)
    return NULL;
  findings = vr_cli_client_validate (bus, arg, &target->name, &local);
  if (findings != NULL)
    target->kind = "planned";
  else if (!g_error_matches (local, VR_ERROR, VR_ERROR_INVALID_PARAMETER)
           || !g_file_test (arg, G_FILE_TEST_EXISTS))
    g_propagate_error (error, g_steal_pointer (&local));
  return findings;
}

/* --host: one line per host (placement.c), in-process; status 3 when
 * the planned system fits none. */
static int
validate_hosts (VrCli *cli, const char *name, const char *const *hosts,
                gboolean copy_disks)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = vr_store_lookup (cli->store, name,
                                                        &error);
  g_autoptr (GPtrArray) found = NULL;
  int best;

  if (system == NULL)
    return vr_cli_fail (error);
  vr_validate_preload ();
  found = vr_placement_check (cli->store, system, hosts, copy_disks, TRUE);
  best = vr_placement_choose (found);
  for (guint i = 0; i < found->len; i++)
    {
      g_autofree char *line = vr_placement_describe (found->pdata[i],
                                                     (int) i == best);

      printf ("%s\n", line);
    }
  return best < 0 ? VR_EXIT_FINDINGS : VR_EXIT_OK;
}

int
vr_cli_validate (VrCli *cli, int argc, char **argv)
{
  gboolean copy_disks = FALSE;
  g_auto (GStrv) hosts = NULL;
  const GOptionEntry entries[] = {
    { "copy-disks", 0, 0, G_OPTION_ARG_NONE, &copy_disks,
      "As realize --copy-disks will: disks inside the import directory are "
      "fine", NULL },
    { "host", 0, 0, G_OPTION_ARG_STRING_ARRAY, &hosts,
      "Check PLANNED against this libvirt host instead, one line per host: "
      "fits or why not, free memory, CPUs (repeatable)", "URI" },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrHostCaps) caps = NULL;
  g_autoptr (GPtrArray) findings = NULL;
  g_auto (Target) target = { NULL, NULL };

  if (!vr_cli_parse ("validate", "(PLANNED | DIR | FILE.xml)",
                     "Check a planned system, an import directory or a "
                     "domain XML file against this host: what does not fit, "
                     "where it is in the XML and how to fix it. Exit status "
                     "3 when anything is an error.", entries, &argc, &argv))
    return VR_EXIT_USAGE;
  if (argc != 2)
    return vr_cli_usage_error ("validate", argc < 2 ? "missing PLANNED, DIR "
                               "or FILE.xml" : "too many arguments");
  if (hosts != NULL)
    return validate_hosts (cli, argv[1], (const char *const *) hosts,
                           copy_disks);
  findings = validate_through_agent (cli, argv[1], &target, &error);
  if (findings == NULL && error != NULL)
    return vr_cli_fail (error);
  if (findings == NULL)
    {
      /* The schema loads while libvirt connects. */
      vr_validate_preload ();
      caps = connect_host (cli, &error);
      if (caps == NULL)
        return vr_cli_fail (error);
      findings = validate_arg (cli, caps, argv[1], &target, &error);
    }
  if (findings == NULL)
    return vr_cli_fail (error);
  if (copy_disks)
    vr_findings_remove_id (findings, VR_FINDING_DISK_IN_IMPORT);
  return report (cli, &target, findings);
}

static VrPlannedSystem *
replace_from_file (VrCli *cli, const char *key, const char *path,
                   GError **error)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  g_autofree char *xml = NULL;
  gsize len = 0;

  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open %s", path);
      return NULL;
    }
  xml = vr_read_fd_limited (fd, path, VR_XML_MAX_SIZE, &len, error);
  close (fd);
  if (xml == NULL)
    return NULL;
  return vr_edit_replace (cli->store, key, xml, len, error);
}

/* The edit is kept whatever validation says; it only reports. */
static int
revalidate (VrCli *cli, VrPlannedSystem *system)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrHostCaps) caps = NULL;
  g_autoptr (GPtrArray) findings = NULL;
  g_auto (Target) target = { "planned", NULL };

  target.name = g_strdup (vr_planned_system_get_name (system));
  vr_validate_preload ();
  caps = connect_host (cli, &error);
  if (caps != NULL)
    findings = vr_validate_planned_with (caps, cli->store, system,
                                         &in_process, &error);
  if (findings == NULL)
    {
      g_prefix_error (&error, "the edit is saved, but validation failed: ");
      return vr_cli_fail (error);
    }
  return report (cli, &target, findings);
}

int
vr_cli_edit (VrCli *cli, int argc, char **argv)
{
  g_autofree char *xml_file = NULL;
  g_auto (GStrv) sets = NULL;
  g_auto (GStrv) removes = NULL;
  const GOptionEntry entries[] = {
    { "xml", 0, 0, G_OPTION_ARG_FILENAME, &xml_file,
      "Replace the planned domain XML with FILE's", "FILE" },
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets,
      "Set an attribute or an element's text (repeatable)", "XPATH=VALUE" },
    { "remove", 0, 0, G_OPTION_ARG_STRING_ARRAY, &removes,
      "Remove what XPATH selects (repeatable; after the sets)", "XPATH" },
    { NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;

  if (!vr_cli_parse ("edit", "PLANNED (--xml FILE | --set XPATH=VALUE … | "
                     "--remove XPATH …)", "Change a planned system's domain "
                     "XML, then validate it again. Its UUID cannot change.",
                     entries, &argc, &argv))
    return VR_EXIT_USAGE;
  if (argc != 2)
    return vr_cli_usage_error ("edit", argc < 2 ? "missing PLANNED"
                                                : "too many arguments");
  if (xml_file != NULL && (sets != NULL || removes != NULL))
    return vr_cli_usage_error ("edit", "--xml excludes --set and --remove");
  if (xml_file == NULL && sets == NULL && removes == NULL)
    return vr_cli_usage_error ("edit", "nothing to change: give --xml FILE, "
                               "--set XPATH=VALUE or --remove XPATH");
  if (xml_file != NULL)
    system = replace_from_file (cli, argv[1], xml_file, &error);
  else
    system = vr_edit_patch (cli->store, argv[1], (const char *const *) sets,
                            (const char *const *) removes, &error);
  if (system == NULL)
    return vr_cli_fail (error);
  if (!cli->quiet && !cli->json)
    printf ("Planned system '%s' updated\n\n",
            vr_planned_system_get_name (system));
  return revalidate (cli, system);
}
