/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "findings.h"

#include "errors.h"

/* The one table of finding IDs. An ID is never reused: a check that goes
 * away leaves a gap. README.md lists the same rows. */
static const VrFindingKind kinds[] = {
  { VR_FINDING_SCHEMA, VR_SEVERITY_ERROR,
    "The XML does not follow libvirt's domain schema" },
  { VR_FINDING_SKIPPED, VR_SEVERITY_INFO,
    "Checks this connection cannot answer were skipped" },
  { VR_FINDING_NO_SCHEMA, VR_SEVERITY_WARNING,
    "libvirt's domain schema could not be loaded" },
  { VR_FINDING_NO_UUID, VR_SEVERITY_INFO,
    "The XML has no UUID: realize will need one" },
  { VR_FINDING_REALIZED, VR_SEVERITY_ERROR,
    "Planned system realized already: realize refuses it" },
  { VR_FINDING_DOMAIN_TYPE, VR_SEVERITY_ERROR,
    "Domain type not offered by this host" },
  { VR_FINDING_ARCH, VR_SEVERITY_ERROR,
    "Architecture not offered by this host" },
  { VR_FINDING_EMULATOR, VR_SEVERITY_ERROR, "Emulator not present" },
  { VR_FINDING_MACHINE, VR_SEVERITY_ERROR,
    "Machine type not offered by the emulator" },
  { VR_FINDING_MACHINE_DEPRECATED, VR_SEVERITY_WARNING,
    "Machine type deprecated by the emulator" },
  { VR_FINDING_VCPU_MAX, VR_SEVERITY_ERROR,
    "More vCPUs than the hypervisor allows" },
  { VR_FINDING_VCPU_HOST, VR_SEVERITY_WARNING,
    "More vCPUs than the host has CPUs" },
  { VR_FINDING_MEMORY_HOST, VR_SEVERITY_ERROR,
    "More memory than the host has" },
  { VR_FINDING_CPU_MODE, VR_SEVERITY_ERROR,
    "CPU mode not supported by this host" },
  { VR_FINDING_CPU_MODEL, VR_SEVERITY_ERROR,
    "CPU model not runnable on this host" },
  { VR_FINDING_CPU_DROPPED, VR_SEVERITY_WARNING,
    "QEMU will drop CPU features this host lacks (check='none')" },
  { VR_FINDING_DISK_BUS, VR_SEVERITY_ERROR, "Disk bus not supported" },
  { VR_FINDING_DISK_DEVICE, VR_SEVERITY_ERROR,
    "Disk device type not supported" },
  { VR_FINDING_VIDEO, VR_SEVERITY_ERROR, "Video model not supported" },
  { VR_FINDING_GRAPHICS, VR_SEVERITY_ERROR, "Graphics type not supported" },
  { VR_FINDING_HOSTDEV, VR_SEVERITY_ERROR,
    "Host device not present on this host" },
  { VR_FINDING_HOSTDEV_TYPE, VR_SEVERITY_ERROR,
    "Host device type not supported" },
  { VR_FINDING_LOADER, VR_SEVERITY_ERROR, "Firmware not available" },
  { VR_FINDING_NVRAM_TEMPLATE, VR_SEVERITY_ERROR,
    "NVRAM template not present" },
  { VR_FINDING_NVRAM, VR_SEVERITY_WARNING, "NVRAM file not present" },
  { VR_FINDING_DISK_SOURCE, VR_SEVERITY_ERROR,
    "Disk source missing or unreadable" },
  { VR_FINDING_NETWORK, VR_SEVERITY_ERROR, "Network not found" },
  { VR_FINDING_HOST_INTERFACE, VR_SEVERITY_ERROR,
    "Host bridge or interface not found" },
  { VR_FINDING_POOL, VR_SEVERITY_ERROR, "Storage pool not found" },
  { VR_FINDING_VOLUME, VR_SEVERITY_ERROR, "Storage volume not found" },
  { VR_FINDING_NOT_CHECKABLE, VR_SEVERITY_WARNING,
    "Reference not checkable on this connection" },
  { VR_FINDING_DISK_IN_IMPORT, VR_SEVERITY_ERROR,
    "Disk inside the import directory: realize needs its disks copied" },
  { VR_FINDING_POOL_OVERLAP, VR_SEVERITY_ERROR,
    "Pool directory is, contains or lies inside the import directory" },
  { VR_FINDING_REMOTE_POOL, VR_SEVERITY_ERROR,
    "Remote host's pool to upload into missing or not active" },
  { VR_FINDING_DOMAIN_NAME, VR_SEVERITY_ERROR,
    "A defined domain has the same name" },
  { VR_FINDING_DOMAIN_UUID, VR_SEVERITY_ERROR,
    "A defined domain has the same UUID" },
  { VR_FINDING_PLANNED_UUID, VR_SEVERITY_ERROR,
    "Another planned system has the same UUID" },
  { VR_FINDING_PLANNED_NAME, VR_SEVERITY_ERROR,
    "Another planned system has the same name" },
  { VR_FINDING_SAVE_DIR_TAKEN, VR_SEVERITY_ERROR,
    "NAME.save in libvirt's save directory belongs to no domain" },
  { VR_FINDING_MAC_TAKEN, VR_SEVERITY_ERROR,
    "An interface's MAC address is another defined domain's" },
  { VR_FINDING_SAVE_IMAGE, VR_SEVERITY_ERROR, "Save image not usable" },
  { VR_FINDING_SAVE_NAME, VR_SEVERITY_ERROR,
    "Save image made by a domain of another name" },
  { VR_FINDING_SAVE_UUID, VR_SEVERITY_ERROR,
    "Save image made by a domain of another UUID" },
  { VR_FINDING_SAVE_MEMORY, VR_SEVERITY_ERROR,
    "Memory differs from the saved state" },
  { VR_FINDING_SAVE_VCPUS, VR_SEVERITY_ERROR,
    "vCPUs differ from the saved state" },
  { VR_FINDING_SAVE_PLATFORM, VR_SEVERITY_ERROR,
    "Machine, architecture or domain type differs from the saved state" },
  { VR_FINDING_SAVE_DEVICES, VR_SEVERITY_ERROR,
    "Devices differ from the saved state" },
  { VR_FINDING_SAVE_CPU, VR_SEVERITY_ERROR,
    "Saved guest CPU not runnable on this host" },
  { VR_FINDING_NO_SAVE, VR_SEVERITY_INFO,
    "No saved state: the guest will boot" },
  { VR_FINDING_SAVE_IDENTITY, VR_SEVERITY_ERROR,
    "Saved state cannot follow a new identity" },
  { VR_FINDING_SAVE_GUEST_CPU, VR_SEVERITY_ERROR,
    "Guest CPU differs from the saved state" },
  { VR_FINDING_SAVE_FIRMWARE, VR_SEVERITY_ERROR,
    "Firmware differs from the saved state" },
  { VR_FINDING_SAVE_FEATURES, VR_SEVERITY_ERROR,
    "Hypervisor features differ from the saved state" },
  { VR_FINDING_SAVE_ABI, VR_SEVERITY_ERROR,
    "libvirt refuses the planned XML for the saved state" },
  { VR_FINDING_SAVE_INCOMPLETE, VR_SEVERITY_ERROR,
    "Save image incomplete (cut short)" },
  { VR_FINDING_SAVE_UNCHECKED, VR_SEVERITY_WARNING,
    "Save image completeness not checkable" },
  { VR_FINDING_HOST_QEMU, VR_SEVERITY_ERROR,
    "QEMU passthrough (root on the host)" },
  { VR_FINDING_HOST_SECLABEL, VR_SEVERITY_ERROR,
    "Security label override" },
  { VR_FINDING_HOST_DEVICE, VR_SEVERITY_ERROR,
    "Host device given to the guest" },
  { VR_FINDING_HOST_PATH, VR_SEVERITY_ERROR,
    "Storage on a host path outside the carried files" },
  { VR_FINDING_HOST_CHARDEV, VR_SEVERITY_ERROR,
    "Guest connected to a host file, device or socket" },
  { VR_FINDING_HOST_BOOT, VR_SEVERITY_ERROR,
    "Boot file outside the firmware directories" },
  { VR_FINDING_HOST_EMULATOR, VR_SEVERITY_ERROR,
    "Program the host's capabilities do not list" },
  { VR_FINDING_HOST_NETWORK, VR_SEVERITY_ERROR,
    "Host script or host network device" },
  { VR_FINDING_HOST_RNG, VR_SEVERITY_ERROR,
    "Host file as the random source" },
  { VR_FINDING_HOST_FOREIGN, VR_SEVERITY_ERROR,
    "Another guest's data: libvirt's storage on this host" },
  { VR_FINDING_HOST_DATA, VR_SEVERITY_ERROR,
    "Host data or a host file loaded into the guest" },
  { VR_FINDING_HOST_UNKNOWN, VR_SEVERITY_ERROR,
    "Host path in a place the host-access policy does not know" },
  { VR_FINDING_HOST_BRIDGE, VR_SEVERITY_ERROR,
    "Host bridge no administrator allowed" },
  { VR_FINDING_HOST_SEGMENT, VR_SEVERITY_ERROR,
    "Host network segment through a libvirt network or port setting" },
  { VR_FINDING_HOST_DUMP, VR_SEVERITY_ERROR,
    "Guest memory dumped into a host directory" },
  { VR_FINDING_HOST_SHMEM, VR_SEVERITY_ERROR,
    "Memory shared under a host-wide name" },
  { VR_FINDING_HOST_PRIORITY, VR_SEVERITY_ERROR,
    "Host CPU, cache or bandwidth beyond an ordinary guest's share" },
  { VR_FINDING_HOST_PORT, VR_SEVERITY_WARNING,
    "Console on a fixed host TCP port" },
  { VR_FINDING_NVRAM_TAKEN, VR_SEVERITY_ERROR,
    "The carried NVRAM's place on this host is taken" },
  { VR_FINDING_TPM_EMULATOR, VR_SEVERITY_ERROR,
    "TPM emulator not available" },
  { VR_FINDING_TPM_SECRET, VR_SEVERITY_ERROR,
    "Encrypted TPM state needs a libvirt secret" },
  { VR_FINDING_TPM_NOT_CARRIED, VR_SEVERITY_WARNING,
    "TPM state not carried: the guest gets a new TPM" },
  { VR_FINDING_TPM_TAKEN, VR_SEVERITY_ERROR,
    "A TPM state of this UUID is already on this host" },
  { VR_FINDING_SNAPSHOT_DISKS, VR_SEVERITY_WARNING,
    "Snapshot whose disks are not carried" },
};

static const char *const severity_names[] = {
  [VR_SEVERITY_INFO] = "info",
  [VR_SEVERITY_WARNING] = "warning",
  [VR_SEVERITY_ERROR] = "error",
};

const VrFindingKind *
vr_finding_kind_nth (guint n)
{
  return n < G_N_ELEMENTS (kinds) ? &kinds[n] : NULL;
}

const VrFindingKind *
vr_finding_kind_lookup (const char *id)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (kinds[i].id, id) == 0)
      return &kinds[i];
  return NULL;
}

const char *
vr_severity_to_string (VrSeverity severity)
{
  g_return_val_if_fail (severity < G_N_ELEMENTS (severity_names), NULL);
  return severity_names[severity];
}

void
vr_finding_free (VrFinding *finding)
{
  if (finding == NULL)
    return;
  g_free (finding->id);
  g_free (finding->message);
  g_free (finding->source);
  g_free (finding->hint);
  vr_finding_set_fix (finding, NULL, NULL);
  g_free (finding);
}

VrFindingFix *
vr_finding_fix_new (const char *xpath, const char *value)
{
  VrFindingFix *fix = g_new0 (VrFindingFix, 1);

  fix->xpath = g_strdup (xpath);
  fix->value = g_strdup (value);
  return fix;
}

void
vr_finding_fix_free (VrFindingFix *fix)
{
  if (fix == NULL)
    return;
  g_free (fix->xpath);
  g_free (fix->value);
  g_free (fix);
}

void
vr_finding_set_fix (VrFinding *finding, const char *xpath, const char *value)
{
  g_clear_pointer (&finding->fix, vr_finding_fix_free);
  if (xpath != NULL)
    finding->fix = vr_finding_fix_new (xpath, value);
}

GPtrArray *
vr_findings_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) vr_finding_free);
}

VrFinding *
vr_findings_add (GPtrArray *findings, const char *id, const char *source,
                 const char *hint, const char *format, ...)
{
  const VrFindingKind *kind = vr_finding_kind_lookup (id);
  VrFinding *finding;
  va_list ap;

  g_return_val_if_fail (kind != NULL, NULL);
  finding = g_new0 (VrFinding, 1);
  finding->id = g_strdup (id);
  finding->severity = kind->severity;
  finding->source = g_strdup (source);
  finding->hint = g_strdup (hint);
  va_start (ap, format);
  finding->message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_ptr_array_add (findings, finding);
  return finding;
}

guint
vr_findings_count (GPtrArray *findings, VrSeverity severity)
{
  guint n = 0;

  for (guint i = 0; i < findings->len; i++)
    if (((VrFinding *) findings->pdata[i])->severity == severity)
      n++;
  return n;
}

gboolean
vr_findings_has_errors (GPtrArray *findings)
{
  return vr_findings_count (findings, VR_SEVERITY_ERROR) > 0;
}

void
vr_findings_remove_id (GPtrArray *findings, const char *id)
{
  for (guint i = findings->len; i > 0; i--)
    {
      VrFinding *finding = findings->pdata[i - 1];

      if (g_str_equal (finding->id, id))
        g_ptr_array_remove_index (findings, i - 1);
    }
}

VrFinding *
vr_findings_find (GPtrArray *findings, const char *id)
{
  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *finding = findings->pdata[i];

      if (g_str_equal (finding->id, id))
        return finding;
    }
  return NULL;
}

static void
add_member (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

JsonNode *
vr_finding_to_json (const VrFinding *finding)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const VrFindingKind *kind = vr_finding_kind_lookup (finding->id);

  json_builder_begin_object (b);
  add_member (b, "id", finding->id);
  add_member (b, "severity", vr_severity_to_string (finding->severity));
  add_member (b, "title", kind ? kind->title : NULL);
  add_member (b, "message", finding->message);
  add_member (b, "source", finding->source);
  json_builder_set_member_name (b, "line");
  if (finding->line > 0)
    json_builder_add_int_value (b, finding->line);
  else
    json_builder_add_null_value (b);
  add_member (b, "hint", finding->hint);
  json_builder_set_member_name (b, "fix");
  if (finding->fix == NULL)
    json_builder_add_null_value (b);
  else
    {
      json_builder_begin_object (b);
      add_member (b, "xpath", finding->fix->xpath);
      if (finding->fix->value != NULL)
        add_member (b, "value", finding->fix->value);
      else
        {
          json_builder_set_member_name (b, "remove");
          json_builder_add_boolean_value (b, TRUE);
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
vr_findings_to_json (GPtrArray *findings)
{
  g_autoptr (JsonArray) array = json_array_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < findings->len; i++)
    json_array_add_element (array, vr_finding_to_json (findings->pdata[i]));
  json_node_set_array (node, array);
  return json_to_string (node, FALSE);
}

/* A string member, or NULL; json-glib lets a lone surrogate escape
 * ("\ud800") through as bytes that are not UTF-8, which no text output
 * (JSON, D-Bus, a terminal) may carry: such a member makes *valid FALSE. */
static char *
dup_member (JsonObject *object, const char *name, gboolean *valid)
{
  JsonNode *node = json_object_get_member (object, name);
  const char *text;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  text = json_node_get_string (node);
  if (!g_utf8_validate (text, -1, NULL))
    {
      *valid = FALSE;
      return NULL;
    }
  return g_strdup (text);
}

/* The line a finding points at, or 0 for none: the writer gives no line
 * as null, so anything that is not a line number (negative, beyond an
 * int, a fraction, text) reads as none and writes back the same. */
static int
line_member (JsonObject *object)
{
  JsonNode *node = json_object_get_member (object, "line");
  gint64 line;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  line = json_node_get_int (node);
  return line > 0 && line <= G_MAXINT ? (int) line : 0;
}

static gboolean
is_true (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_TYPE (node) == JSON_NODE_VALUE
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN
         && json_node_get_boolean (node);
}

/* {"xpath", "value"} or {"xpath", "remove": true}; anything else (null,
 * a kind of fix of a later version) is no fix. */
static void
fix_member (JsonObject *object, VrFinding *finding, gboolean *valid)
{
  JsonNode *node = json_object_get_member (object, "fix");
  JsonObject *fix = node && JSON_NODE_HOLDS_OBJECT (node)
                        ? json_node_get_object (node)
                        : NULL;
  g_autofree char *xpath = NULL;
  g_autofree char *value = NULL;
  gboolean remove;

  if (fix == NULL)
    return;
  xpath = dup_member (fix, "xpath", valid);
  value = dup_member (fix, "value", valid);
  remove = is_true (fix, "remove");
  if (xpath != NULL && (value != NULL) != remove)
    vr_finding_set_fix (finding, xpath, value);
}

static VrFinding *
finding_from_json (JsonNode *node)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (node)
                           ? json_node_get_object (node)
                           : NULL;
  g_autoptr (VrFinding) finding = g_new0 (VrFinding, 1);
  g_autofree char *severity = NULL;
  gboolean valid = TRUE;
  guint i;

  if (object == NULL)
    return NULL;
  finding->id = dup_member (object, "id", &valid);
  finding->message = dup_member (object, "message", &valid);
  severity = dup_member (object, "severity", &valid);
  finding->source = dup_member (object, "source", &valid);
  finding->hint = dup_member (object, "hint", &valid);
  fix_member (object, finding, &valid);
  for (i = 0; i < G_N_ELEMENTS (severity_names); i++)
    if (g_strcmp0 (severity, severity_names[i]) == 0)
      break;
  if (!valid || finding->id == NULL || finding->message == NULL
      || i == G_N_ELEMENTS (severity_names))
    return NULL;
  finding->severity = i;
  finding->line = line_member (object);
  return g_steal_pointer (&finding);
}

GPtrArray *
vr_findings_from_json (const char *json, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) findings = vr_findings_new ();
  JsonNode *root;
  JsonArray *array;

  /* An empty or blank text parses with no root at all. */
  if (!json_parser_load_from_data (parser, json, -1, NULL)
      || (root = json_parser_get_root (parser)) == NULL
      || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_FAILED,
                   "findings are not a JSON array of objects");
      return NULL;
    }
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      VrFinding *finding = finding_from_json (
          json_array_get_element (array, i));

      if (finding == NULL)
        {
          g_set_error (error, VR_ERROR, VR_ERROR_FAILED,
                       "finding %u lacks an id, a message or a severity, "
                       "or holds text that is not UTF-8", i);
          return NULL;
        }
      g_ptr_array_add (findings, finding);
    }
  return g_steal_pointer (&findings);
}

char *
vr_finding_to_text (const VrFinding *finding)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "%s %s", vr_severity_to_string (
                                             finding->severity), finding->id);
  if (finding->source != NULL)
    g_string_append_printf (text, " %s", finding->source);
  if (finding->line > 0)
    g_string_append_printf (text, " (line %d)", finding->line);
  g_string_append_printf (text, ": %s\n", finding->message);
  if (finding->hint != NULL)
    g_string_append_printf (text, "  hint: %s\n", finding->hint);
  return g_string_free (text, FALSE);
}
