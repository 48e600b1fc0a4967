/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UEFI firmware, the guest's variable store (NVRAM) and its emulated TPM
 * against this host, the carried ones against their places here, and the
 * carried snapshots against the disks that hold them. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <unistd.h>

#include "import-firmware.h"
#include "libvirt-util.h"
#include "state-paths.h"
#include "validate-private.h"

/* QEMU's firmware descriptors (docs/interop/firmware.json), where libvirt
 * looks for them; a name in an earlier folder hides the same name in a
 * later one. */
static const char *const descriptor_dirs[] = {
  "/etc/qemu/firmware",
  "/usr/share/qemu/firmware",
};

static void
check_loader (VrValidation *v, xmlNode *loader)
{
  g_autofree char *path = vr_node_string (loader, "string(.)");
  GPtrArray *offered
      = v->dcaps ? vr_domain_caps_get_enum (v->dcaps, "os/loader") : NULL;
  g_autofree char *hint = NULL;

  /* Only what the caller could see is told (a path closed to them is
   * host access, VR1806, anyway). */
  if (path == NULL || vr_validation_look (v, path, R_OK) != VR_SEEN_MISSING)
    return;
  if (offered != NULL && offered->len > 0)
    hint = vr_validation_hint_set (v, "/domain/os/loader", offered->pdata[0]);
  else
    hint = g_strdup ("install the firmware package that provides it "
                     "(Debian: ovmf for x86_64 UEFI)");
  vr_validation_add (v, VR_FINDING_LOADER, loader, hint,
                     "firmware %s is not present on this host", path);
}

static gboolean
json_array_has (JsonObject *object, const char *member, const char *value)
{
  JsonArray *array = json_object_has_member (object, member)
                         ? json_object_get_array_member (object, member)
                         : NULL;

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_array_get_string_element (array, i), value) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
targets_machine (JsonObject *descriptor, const char *arch, const char *machine)
{
  JsonArray *targets
      = json_object_has_member (descriptor, "targets")
            ? json_object_get_array_member (descriptor, "targets")
            : NULL;

  for (guint i = 0; targets != NULL && i < json_array_get_length (targets); i++)
    {
      JsonObject *target = json_array_get_object_element (targets, i);
      JsonArray *machines = NULL;

      if (target == NULL
          || g_strcmp0 (json_object_get_string_member_with_default (
                            target, "architecture", ""),
                        arch)
                 != 0
          || !json_object_has_member (target, "machines"))
        continue;
      machines = json_object_get_array_member (target, "machines");
      for (guint j = 0; machines && j < json_array_get_length (machines); j++)
        {
          const char *glob = json_array_get_string_element (machines, j);

          if (glob != NULL && g_pattern_match_simple (glob, machine))
            return TRUE;
        }
    }
  return FALSE;
}

/* The features the XML asks for (enabled='yes') or refuses ('no'). */
static gboolean
features_fit (VrValidation *v, JsonObject *descriptor)
{
  g_autoptr (xmlXPathObject) features
      = vr_validation_select (v, "/domain/os/firmware/feature");

  for (int i = 0; features && i < features->nodesetval->nodeNr; i++)
    {
      xmlNode *node = features->nodesetval->nodeTab[i];
      g_autofree char *name = vr_node_string (node, "string(@name)");
      g_autofree char *enabled = vr_node_string (node, "string(@enabled)");

      if (json_array_has (descriptor, "features", name)
          != (g_strcmp0 (enabled, "yes") == 0))
        return FALSE;
    }
  return TRUE;
}

static gboolean
descriptor_fits (VrValidation *v, const char *path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *descriptor;

  if (!json_parser_load_from_file (parser, path, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  descriptor = json_node_get_object (json_parser_get_root (parser));
  return json_array_has (descriptor, "interface-types", "uefi")
         && targets_machine (descriptor, v->arch, v->machine)
         && features_fit (v, descriptor);
}

/* What libvirt's firmware auto-selection does at start: the first
 * descriptor for this arch and machine with the features asked for. */
static gboolean
has_matching_firmware (VrValidation *v)
{
  g_autoptr (GHashTable) seen
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (descriptor_dirs); i++)
    {
      g_autoptr (GDir) dir = g_dir_open (descriptor_dirs[i], 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = NULL;

          if (!g_str_has_suffix (name, ".json")
              || !g_hash_table_add (seen, g_strdup (name)))
            continue;
          path = g_build_filename (descriptor_dirs[i], name, NULL);
          if (descriptor_fits (v, path))
            return TRUE;
        }
    }
  return FALSE;
}

static const char *
firmware_package (const char *arch)
{
  if (g_strcmp0 (arch, "aarch64") == 0)
    return "qemu-efi-aarch64";
  if (g_strcmp0 (arch, "i686") == 0)
    return "ovmf-ia32";
  return "ovmf";
}

static char *
describe_features (VrValidation *v)
{
  g_autoptr (GPtrArray) names = vr_xml_xpath_strings (
      v->doc, "/domain/os/firmware/feature[@enabled='yes']/@name");
  g_autofree char *list = NULL;

  if (names->len == 0)
    return g_strdup ("");
  g_ptr_array_add (names, NULL);
  list = g_strjoinv (", ", (char **)names->pdata);
  return g_strdup_printf (" with %s", list);
}

static void
check_auto_selection (VrValidation *v, xmlNode *node)
{
  g_autofree char *features = NULL;
  g_autofree char *hint = NULL;
  gboolean secure
      = vr_validation_node (
            v,
            "/domain/os/firmware/feature[@name='secure-boot'][@enabled='yes']")
        != NULL;

  if (!v->platform_ok || v->machine == NULL || !vr_host_caps_is_local (v->caps)
      || has_matching_firmware (v))
    return;
  features = describe_features (v);
  hint = g_strdup_printf (
      "install the firmware package that provides it (Debian: %s)%s",
      firmware_package (v->arch),
      secure && g_str_has_prefix (v->machine, "pc-i440fx")
          ? "; Secure Boot needs a q35 machine"
          : "");
  vr_validation_add (v, VR_FINDING_LOADER, node, hint,
                     "no UEFI firmware for %s on %s%s is described on this "
                     "host (%s): libvirt's firmware auto-selection would "
                     "fail at start",
                     v->machine, v->arch, features, descriptor_dirs[1]);
}

static void
check_efi (VrValidation *v)
{
  xmlNode *node = vr_validation_node (v, "/domain/os/@firmware");
  g_autofree char *value = node ? vr_node_string (node, "string(.)") : NULL;

  if (g_strcmp0 (value, "efi") != 0)
    return;
  if (v->dcaps != NULL
      && vr_domain_caps_enum_has (v->dcaps, "os/firmware", "efi")
             == VR_SUPPORT_NO)
    {
      g_autofree char *hint = g_strdup_printf (
          "install the UEFI firmware (Debian: %s)", firmware_package (v->arch));

      vr_validation_add (v, VR_FINDING_LOADER, node, hint,
                         "UEFI firmware is requested but %s has none on "
                         "this host",
                         v->emulator);
      return;
    }
  check_auto_selection (v, node);
}

static const char *
carried_nvram (VrValidation *v)
{
  if (v->system != NULL)
    return vr_planned_system_get_nvram_file (v->system);
  return v->dir && v->dir->nvram ? v->dir->nvram->relpath : NULL;
}

/* Realize puts the carried store at libvirt's default for the name, and
 * never over a file that is there. */
static void
check_nvram_place (VrValidation *v, xmlNode *node)
{
  virConnectPtr conn = vr_host_caps_get_connection (v->caps);
  g_autofree char *path = vr_state_nvram_path (conn, v->name);
  g_autofree char *hint = NULL;

  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    return;
  hint = g_strdup_printf ("remove %s if it is left over from a domain "
                          "named '%s' that is gone, or import under "
                          "another name",
                          path, v->name);
  vr_validation_add (v, VR_FINDING_NVRAM_TAKEN, node, hint,
                     "%s exists already: the carried UEFI variable store "
                     "(%s) would replace another guest's",
                     path, carried_nvram (v));
}

/* No store is carried, so libvirt makes one from the template at its
 * default for the name, or opens the one that is there: a file there is
 * another domain's or a leftover, and sharing it gives both guests one
 * variable store (fifth review, F2: names are public, so anyone could
 * make the store a planned system will use). TRUE when that finding is
 * given. */
static gboolean
check_nvram_squatted (VrValidation *v, const char *path, xmlNode *node)
{
  virConnectPtr conn = vr_host_caps_get_connection (v->caps);
  g_autofree char *own = vr_state_nvram_path (conn, v->name);
  g_autofree char *folded = path && g_path_is_absolute (path)
                                ? g_canonicalize_filename (path, "/")
                                : g_strdup (path);
  g_autofree char *hint = NULL;

  if (own == NULL || (folded != NULL && !g_str_equal (folded, own))
      || !g_file_test (own, G_FILE_TEST_EXISTS))
    return FALSE;
  hint = g_strdup_printf ("'virsh dumpxml DOMAIN | grep nvram' on each "
                          "domain of 'virsh list --all' shows whose it is; "
                          "'virsh undefine --nvram DOMAIN' removes a gone "
                          "domain's, or an administrator removes %s if no "
                          "domain uses it; or import under another name",
                          own);
  vr_validation_add (v, VR_FINDING_NVRAM_TAKEN, node, hint,
                     "%s exists already and no UEFI variable store is "
                     "carried: it belongs to another domain or is left "
                     "over, and '%s' would start with it (shared, or with "
                     "someone else's Secure Boot keys)", own, v->name);
  return TRUE;
}

static void
check_nvram (VrValidation *v)
{
  xmlNode *nvram = vr_validation_node (v, "/domain/os/nvram");
  xmlNode *os = vr_validation_node (v, "/domain/os");
  g_autofree char *template
      = nvram ? vr_node_string (nvram, "string(@template)") : NULL;
  g_autofree char *path = nvram ? vr_node_string (nvram, "string(.)") : NULL;
  g_autofree char *hint = NULL;

  if (template != NULL
      && vr_validation_look (v, template, R_OK) == VR_SEEN_MISSING)
    vr_validation_add (v, VR_FINDING_NVRAM_TEMPLATE,
                       vr_validation_node (v, "/domain/os/nvram/@template"),
                       "install the firmware package that provides it "
                       "(Debian: ovmf), or set it to this host's template",
                       "NVRAM template %s is not present on this host",
                       template);
  if (carried_nvram (v) != NULL)
    {
      check_nvram_place (v, nvram ? nvram : os);
      return;
    }
  if (check_nvram_squatted (v, path, nvram ? nvram : os))
    return;
  /* A domain XML alone (no import) names its own store, or none yet. */
  if ((path == NULL && !v->check_save)
      || (path != NULL
          && vr_validation_look (v, path, F_OK) != VR_SEEN_MISSING))
    return;
  hint = g_strdup_printf ("export the VM with this tool's export (it "
                          "carries nvram/), or copy its variable store from "
                          "the host it came from to %s",
                          path ? path : "this host's NVRAM folder");
  vr_validation_add (v, VR_FINDING_NVRAM, nvram ? nvram : os, hint,
                     "the guest's UEFI variable store is not carried%s%s: "
                     "libvirt will make it afresh from the template, and "
                     "its UEFI variables (boot entries, Secure Boot keys) "
                     "are lost",
                     path ? " and not present at " : "", path ? path : "");
}

static gboolean
tpm_carried (VrValidation *v)
{
  if (v->system != NULL)
    return vr_planned_system_get_tpm_folder (v->system) != NULL;
  return v->dir != NULL && v->dir->tpm_files != NULL;
}

static void
check_tpm_emulator (VrValidation *v, xmlNode *tpm, const char *version)
{
  g_autofree char *swtpm = g_find_program_in_path ("swtpm");
  g_autofree char *setup = g_find_program_in_path ("swtpm_setup");
  const char *missing = NULL;

  if (v->dcaps != NULL
      && vr_domain_caps_enum_has (v->dcaps, "devices/tpm/backendModel",
                                  "emulator")
             == VR_SUPPORT_NO)
    missing = "libvirt offers no TPM emulator";
  else if (v->dcaps != NULL
           && vr_domain_caps_enum_has (v->dcaps, "devices/tpm/backendVersion",
                                       version)
                  == VR_SUPPORT_NO)
    missing = "libvirt's TPM emulator offers no such version";
  else if (vr_host_caps_is_local (v->caps) && (swtpm == NULL || setup == NULL))
    missing = swtpm == NULL ? "swtpm is not installed"
                            : "swtpm_setup is not installed";
  if (missing == NULL)
    return;
  vr_validation_add (v, VR_FINDING_TPM_EMULATOR, tpm,
                     "install swtpm and swtpm-tools (Debian)",
                     "the guest has an emulated TPM %s, but %s on this host",
                     version, missing);
}

/* libvirt decrypts the state with the secret of that UUID; without it
 * swtpm cannot start and the guest's keys are out of reach. Whether a
 * secret exists is root's knowledge: an agent caller who may not use the
 * host's secrets gets VR1811 for naming one and nothing here, whether
 * or not a secret of that UUID exists (ninth review: VR1903 told them). */
static void
check_tpm_secret (VrValidation *v, xmlNode *tpm)
{
  xmlNode *node = vr_node_find (tpm, "backend/encryption/@secret");
  g_autofree char *uuid = node ? vr_node_string (node, "string(.)") : NULL;
  virConnectPtr conn = vr_host_caps_get_connection (v->caps);
  virSecretPtr secret;

  if (uuid == NULL
      || (v->options.caller_known && !v->options.host_access_allowed))
    return;
  secret = virSecretLookupByUUIDString (conn, uuid);
  if (secret != NULL)
    {
      virSecretFree (secret);
      return;
    }
  vr_validation_add (v, VR_FINDING_TPM_SECRET, node,
                     "define the secret on this host with the same UUID and "
                     "value (virsh secret-define, then virsh "
                     "secret-set-value), as on the host it came from",
                     "the TPM state is encrypted with libvirt secret %s, "
                     "which this host does not have",
                     uuid);
}

/* SWTPM_DIR/UUID is the state libvirt gives the guest of that UUID: a
 * carried state would replace it, and without one swtpm starts with
 * what is there. UUIDs are public (list), and libvirt keeps a gone
 * domain's state (persistent_state='yes', undefine --keep-tpm), so a
 * folder there is someone's leftover seeds, EK and keys whether or not
 * state is carried (sixth review, F1). TRUE when that finding is given. */
static gboolean
check_tpm_place (VrValidation *v, xmlNode *tpm, gboolean carried)
{
  virConnectPtr conn = vr_host_caps_get_connection (v->caps);
  g_autofree char *swtpm = vr_state_swtpm_dir (conn);
  g_autofree char *path = NULL;
  g_autofree char *hint = NULL;

  if (swtpm == NULL || v->uuid == NULL)
    return FALSE;
  path = g_build_filename (swtpm, v->uuid, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return FALSE;
  hint = g_strdup_printf ("'virsh domuuid DOMAIN' on each domain of 'virsh "
                          "list --all' shows whose it is; 'virsh undefine "
                          "--tpm DOMAIN' removes a domain's with it, or an "
                          "administrator removes %s if no domain of UUID %s "
                          "is left; or import with the new-id option (a new "
                          "UUID, and a new TPM)",
                          path, v->uuid);
  if (carried)
    vr_validation_add (v, VR_FINDING_TPM_TAKEN, tpm, hint,
                       "%s exists already: the carried TPM state would "
                       "replace the one there",
                       path);
  else
    vr_validation_add (v, VR_FINDING_TPM_TAKEN, tpm, hint,
                       "%s exists already and no TPM state is carried: "
                       "it is another domain's or left over, and the "
                       "guest would start with that TPM (its seeds, "
                       "endorsement key and sealed keys)",
                       path);
  return TRUE;
}

static void
check_tpm (VrValidation *v)
{
  xmlNode *tpm
      = vr_validation_node (v, "/domain/devices/tpm[backend/@type='emulator']");
  g_autofree char *version = vr_domain_tpm_version (v->doc);
  gboolean carried;

  if (tpm == NULL)
    return;
  check_tpm_emulator (v, tpm, version);
  check_tpm_secret (v, tpm);
  carried = tpm_carried (v);
  if (check_tpm_place (v, tpm, carried) || carried)
    return;
  if (v->system && vr_planned_system_get_tpm_discarded (v->system))
    vr_validation_add (v, VR_FINDING_TPM_NOT_CARRIED, tpm,
                       "import without the new-id option to keep the "
                       "guest's TPM (its sealed keys: BitLocker, LUKS)",
                       "a new identity gets a new TPM: the exported TPM "
                       "state stays behind, and keys the guest sealed in "
                       "it cannot be unsealed");
  else if (v->check_save)
    vr_validation_add (v, VR_FINDING_TPM_NOT_CARRIED, tpm,
                       "export the VM with this tool's export (it carries "
                       "tpm/), or copy its swtpm state by hand",
                       "the guest's TPM state is not carried: it gets a "
                       "new TPM (nothing is at this host's place for its "
                       "UUID), and keys it sealed in the old one "
                       "(BitLocker, LUKS) cannot be unsealed");
}

static guint
count_snapshots (VrValidation *v)
{
  GPtrArray *names
      = v->system ? vr_planned_system_get_snapshots (v->system) : NULL;

  if (v->system != NULL)
    return names ? names->len : 0;
  return v->dir && v->dir->snapshots ? v->dir->snapshots->len : 0;
}

/* Snapshots' metadata travels; their data is in the disks (internal
 * qcow2 snapshots), and a disk that stays on the other host takes its
 * snapshots with it. */
static void
check_snapshots (VrValidation *v)
{
  g_autoptr (xmlXPathObject) sources = NULL;
  guint count = count_snapshots (v);

  if (count == 0)
    return;
  sources = vr_validation_select (
      v, "/domain/devices/disk[@device='disk' or not(@device)]"
         "/source/@file");
  for (int i = 0; sources && i < sources->nodesetval->nodeNr; i++)
    {
      xmlNode *node = sources->nodesetval->nodeTab[i];
      g_autofree char *file = vr_node_string (node, "string(.)");

      if (file == NULL || !g_path_is_absolute (file))
        continue;
      vr_validation_add (v, VR_FINDING_SNAPSHOT_DISKS, node,
                         "export the VM with its disks to carry the disk, "
                         "or copy the disk to this path",
                         "%u snapshot%s travel%s with the VM, but disk %s is "
                         "not carried: reverting to %s needs that disk, "
                         "with its snapshots, at this path on this host",
                         count, count > 1 ? "s" : "", count > 1 ? "" : "s",
                         file, count > 1 ? "them" : "it");
    }
}

void
vr_validate_firmware (VrValidation *v)
{
  xmlNode *loader = vr_validation_node (v, "/domain/os/loader");

  check_efi (v);
  /* The files are on the connection's host; only ours can be looked at. */
  if (!vr_host_caps_is_local (v->caps))
    {
      if (loader != NULL || vr_domain_uses_nvram (v->doc))
        vr_validation_skip (v, "firmware files (on another machine)");
    }
  else
    {
      if (loader != NULL)
        check_loader (v, loader);
      if (vr_domain_uses_nvram (v->doc))
        check_nvram (v);
    }
  check_tpm (v);
  check_snapshots (v);
}
