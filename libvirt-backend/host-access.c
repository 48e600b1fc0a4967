/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "host-access.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/xpath.h>

#include "safe-xml.h"

typedef enum {
  RULE_ALWAYS,    /* the construct itself reaches the host */
  RULE_PATH,      /* a host path: fine inside the allowed dirs */
  RULE_CARRIED,   /* as RULE_PATH, and a relative path is a carried file */
  RULE_BOOT,      /* a boot file: fine inside the firmware or allowed dirs */
  RULE_EMULATOR,  /* an executable: fine when the capabilities list it */
  RULE_RNG,       /* a random source: fine when it is the kernel's */
} RuleKind;

typedef struct {
  const char *id;
  RuleKind kind;
  const char *xpath;
  const char *gives;  /* what it would give the caller, for the message */
} Rule;

#define CHARDEVS "/domain/devices/*[self::serial or self::console" \
                 " or self::channel or self::parallel]"

static const Rule rules[] = {
  { VR_FINDING_HOST_QEMU, RULE_ALWAYS,
    "/domain/*[namespace-uri()='http://libvirt.org/schemas/domain/qemu/1.0']",
    "passes options straight to QEMU, which runs them on the host" },
  { VR_FINDING_HOST_SECLABEL, RULE_ALWAYS,
    /* A dynamic label's <label> is what libvirt generated when it ran
     * (a save image's XML has it) and dropped when parsed again; a
     * <baselabel> picks the confinement itself. */
    "/domain/seclabel[@type='none' or @type='static' or @model='none'"
    " or @relabel='no' or baselabel"
    " or ((label or imagelabel) and not(@type='dynamic'))]"
    " | /domain/devices//seclabel[@relabel='no' or @model='none' or label]",
    "overrides the security label that confines QEMU" },
  { VR_FINDING_HOST_DEVICE, RULE_ALWAYS,
    "/domain/devices/hostdev | /domain/devices/interface[@type='hostdev']"
    " | /domain/devices/smartcard[@mode='host' or @mode='host-certificates']"
    " | /domain/devices/tpm/backend[@type='passthrough']"
    " | /domain/devices/input[@type='passthrough' or @type='evdev']"
    " | /domain/devices/graphics/gl[@rendernode]"
    " | /domain/devices/video/driver[@rendernode]"
    " | /domain/devices/audio[@type='oss' or @type='alsa']",
    "gives the guest a device of the host" },
  { VR_FINDING_HOST_PATH, RULE_CARRIED,
    "/domain/devices/disk/source/@file | /domain/devices/disk/source/@dev"
    " | /domain/devices/disk/source/@dir"
    " | /domain/devices/disk//backingStore/source/@file"
    " | /domain/devices/disk//backingStore/source/@dev"
    " | /domain/devices/filesystem/source/@dir"
    " | /domain/devices/filesystem/source/@file"
    " | /domain/devices/filesystem/source/@dev"
    " | /domain/devices/memory/source/path",
    "opens a host path outside the pool and the carried files" },
  { VR_FINDING_HOST_CHARDEV, RULE_PATH,
    CHARDEVS "/source/@path | " CHARDEVS "/log/@file"
    " | /domain/devices/smartcard/source/@path"
    " | /domain/devices/redirdev/source/@path"
    " | /domain/devices/rng/backend/source/@path"
    " | /domain/devices/shmem/server/@path"
    " | /domain/devices/filesystem/source/@socket"
    " | /domain/devices/interface/source/@path"
    " | /domain/devices/graphics/listen/@socket"
    " | /domain/devices/graphics/@socket"
    " | /domain/devices/audio/*/@path",
    "connects the guest to a host file, device or socket" },
  { VR_FINDING_HOST_BOOT, RULE_BOOT,
    "/domain/os/kernel | /domain/os/initrd | /domain/os/dtb"
    " | /domain/os/loader | /domain/os/nvram | /domain/os/nvram/@template"
    " | /domain/os/acpi/table | /domain/devices/*/rom/@file",
    "boots or loads a host file outside the firmware directories" },
  { VR_FINDING_HOST_EMULATOR, RULE_EMULATOR,
    "/domain/devices/emulator | /domain/devices/filesystem/binary/@path",
    "runs a program the host's capabilities do not list" },
  { VR_FINDING_HOST_NETWORK, RULE_ALWAYS,
    "/domain/devices/interface/script | /domain/devices/interface/downscript"
    " | /domain/devices/interface[@type='ethernet']/target[@managed='no']"
    " | /domain/devices/interface[@type='direct']"
    " | /domain/devices/interface/backend[@tap or @vhost]",
    "runs a host script or uses a host network device" },
  { VR_FINDING_HOST_RNG, RULE_RNG,
    "/domain/devices/rng/backend[@model='random']",
    "reads a host file as the guest's random source" },
};

static const char *const firmware_dirs[] = {
  "/usr/share/OVMF", "/usr/share/ovmf", "/usr/share/AAVMF",
  "/usr/share/qemu", "/usr/share/seabios", "/usr/share/edk2",
  "/usr/lib/ipxe", "/usr/share/ipxe", NULL
};

static const char *const rng_sources[] = {
  "/dev/urandom", "/dev/random", "/dev/hwrng", NULL
};

const char *const *
vr_host_access_firmware_dirs (void)
{
  return firmware_dirs;
}

static gboolean
below (const char *path, const char *dir)
{
  gsize len = strlen (dir);

  while (len > 1 && dir[len - 1] == '/')
    len--;
  return strncmp (path, dir, len) == 0
         && (path[len] == '/' || path[len] == '\0');
}

static gboolean
below_any (const char *path, const char *const *dirs)
{
  for (guint i = 0; dirs != NULL && dirs[i] != NULL; i++)
    if (below (path, dirs[i]))
      return TRUE;
  return FALSE;
}

/* Both the path as written (".." folded) and where its symbolic links
 * lead must be inside: libvirt and QEMU open it as written, with root's
 * right to follow links. A path that does not exist yet is judged as
 * written (the file would be made there). */
gboolean
vr_host_access_path_inside (const char *path, const char *const *dirs)
{
  g_autofree char *folded = g_canonicalize_filename (path, "/");
  g_autofree char *resolved = realpath (folded, NULL);
  struct stat st;

  if (!below_any (folded, dirs))
    return FALSE;
  if (resolved == NULL)
    return TRUE;
  if (!below_any (resolved, dirs))
    return FALSE;
  return stat (resolved, &st) != 0
         || !(S_ISBLK (st.st_mode) || S_ISCHR (st.st_mode));
}

static gboolean
listed (const char *value, const char *const *list)
{
  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    if (g_str_equal (value, list[i]))
      return TRUE;
  return FALSE;
}

static gboolean
path_allowed (const char *path, const VrHostAccessPolicy *policy)
{
  if (vr_host_access_path_inside (path, policy->allowed_dirs))
    return TRUE;
  return policy->is_volume != NULL && policy->is_volume (path, policy->data);
}

static gboolean
boot_allowed (const char *path, const VrHostAccessPolicy *policy)
{
  const char *const *dirs = policy->firmware_dirs ? policy->firmware_dirs
                                                  : firmware_dirs;

  return vr_host_access_path_inside (path, dirs)
         || path_allowed (path, policy);
}

/* Whether the value a rule selected is within the policy. */
static gboolean
value_allowed (const Rule *rule, const char *value,
               const VrHostAccessPolicy *policy)
{
  switch (rule->kind)
    {
    case RULE_ALWAYS:
      return FALSE;
    case RULE_CARRIED:
      if (!g_path_is_absolute (value))
        return TRUE;
      return path_allowed (value, policy);
    case RULE_PATH:
      return g_path_is_absolute (value) && path_allowed (value, policy);
    case RULE_BOOT:
      return g_path_is_absolute (value) && boot_allowed (value, policy);
    case RULE_EMULATOR:
      return policy->emulators == NULL || listed (value, policy->emulators);
    case RULE_RNG:
      return listed (value, rng_sources);
    }
  return FALSE;
}

static char *
node_value (xmlNode *node)
{
  xmlChar *text = xmlNodeGetContent (node);
  char *value = g_strstrip (g_strdup ((const char *) text));

  xmlFree (text);
  return value;
}

static char *
describe (xmlNode *node, const char *value)
{
  xmlNode *element = node->type == XML_ATTRIBUTE_NODE ? node->parent : node;
  const char *name = (const char *) element->name;

  if (node->type == XML_ATTRIBUTE_NODE)
    return g_strdup_printf ("<%s %s='%s'>", name, node->name, value);
  if (element->ns != NULL && element->ns->prefix != NULL)
    return g_strdup_printf ("<%s:%s>", element->ns->prefix, name);
  if (*value != '\0' && element->children != NULL
      && element->children->type == XML_TEXT_NODE
      && element->children->next == NULL)
    return g_strdup_printf ("<%s>%s</%s>", name, value, name);
  return g_strdup_printf ("<%s>", name);
}

static void
add_finding (const Rule *rule, xmlNode *node, const char *value,
             const VrHostAccessPolicy *policy, GPtrArray *findings)
{
  xmlNode *element = node->type == XML_ATTRIBUTE_NODE ? node->parent : node;
  g_autofree char *source = (char *) xmlGetNodePath (node);
  g_autofree char *what = describe (node, value);
  VrFinding *finding;

  finding = vr_findings_add (
      findings, rule->id, source,
      "remove it from the planned XML, or have an administrator realize it "
      "(the host-access right, polkit action "
      "org.virtrealize.Realize1.realize-host-access)",
      "%s%s %s", policy->what ? policy->what : "", what, rule->gives);
  finding->severity = policy->severity;
  finding->line = (int) xmlGetLineNo (element);
}

static void
check_rule (xmlXPathContext *ctxt, const Rule *rule,
            const VrHostAccessPolicy *policy, GPtrArray *findings)
{
  g_autoptr (xmlXPathObject) obj = xmlXPathEvalExpression (
      (const xmlChar *) rule->xpath, ctxt);

  if (obj == NULL || obj->nodesetval == NULL)
    return;
  for (int i = 0; i < obj->nodesetval->nodeNr; i++)
    {
      xmlNode *node = obj->nodesetval->nodeTab[i];
      g_autofree char *value = node_value (node);

      /* An empty path is libvirt's default, not a host path. */
      if (rule->kind != RULE_ALWAYS && *value == '\0')
        continue;
      if (!value_allowed (rule, value, policy))
        add_finding (rule, node, value, policy, findings);
    }
}

void
vr_host_access_check (xmlDoc *doc, const VrHostAccessPolicy *policy,
                      GPtrArray *findings)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);

  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    check_rule (ctxt, &rules[i], policy, findings);
}
