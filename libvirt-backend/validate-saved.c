/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The saved state: a sane image of this very VM, whose guest the planned
 * XML describes the same way (libvirt refuses to restore into a domain
 * whose ABI differs) and whose CPU this host can run. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain-xml.h"
#include "safe-xml.h"
#include "save-image.h"
#include "validate-private.h"

/* Devices libvirt's ABI check compares: what identifies one, and the
 * attributes that must not change. Controllers and the memory balloon are
 * compared only where both sides list them: libvirt adds them by itself,
 * so the image's XML and an inactive XML need not both show them. */
typedef struct {
  const char *kind;
  const char *select; /* below /domain/devices */
  const char *key;    /* NULL: by position among its kind */
  const char *attrs[2];
  gboolean both_only;
} AbiDevice;

static const AbiDevice abi_devices[] = {
  { "disk", "disk", "string(target/@dev)", { "@device", "target/@bus" },
    FALSE },
  { "interface", "interface", "string(mac/@address)", { "model/@type" },
    FALSE },
  { "hostdev", "hostdev", NULL, { "@type" }, FALSE },
  { "video", "video", NULL, { "model/@type" }, FALSE },
  { "sound", "sound", NULL, { "@model" }, FALSE },
  { "memballoon", "memballoon", NULL, { "@model" }, TRUE },
  { "rng", "rng", NULL, { "@model" }, FALSE },
  { "tpm", "tpm", NULL, { "@model" }, FALSE },
  { "watchdog", "watchdog", NULL, { "@model" }, FALSE },
  { "filesystem", "filesystem", "string(target/@dir)", { "@type" }, FALSE },
  /* PS/2 input is implicit on x86 and missing from the image's XML. */
  { "input", "input[not(@bus='ps2')]", "concat(@type, ' ', @bus)", { NULL },
    FALSE },
  { "controller", "controller", "concat(@type, ' ', @index)", { "@model" },
    TRUE },
};

/* The saved state is the guest's memory: bring back what is missing
 * before anything that gives it up. */
static char *
lost_image_hint (VrValidation *v, const char *path)
{
  const char *discard = "export the VM again; only if it cannot be, "
                        "re-import it and discard the saved state (the "
                        "guest then boots)";

  if (v->dir != NULL && faccessat (v->dir->fd, v->save_file, F_OK, 0) < 0
      && errno == ENOENT)
    return g_strdup_printf ("put the save image back at %s; if it is lost, "
                            "%s", path, discard);
  return g_strdup (discard);
}

/* A copy cut short is the one loss a later step cannot repair: the
 * source's image is the guest's memory, so say to keep it. FALSE when
 * the image must not be used. */
static gboolean
check_whole (VrValidation *v, int fd, VrSaveImage *image, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *hint = NULL;

  switch (vr_save_image_check_stream (fd, image, v->save_file, &error))
    {
    case VR_SAVE_STREAM_WHOLE:
      return TRUE;
    case VR_SAVE_STREAM_UNCHECKED:
      vr_findings_add (v->findings, VR_FINDING_SAVE_UNCHECKED, path,
                       "compare its size and checksum with the source's "
                       "before deleting the source",
                       "%s", error->message);
      return TRUE;
    case VR_SAVE_STREAM_INCOMPLETE:
      vr_findings_add (v->findings, VR_FINDING_SAVE_INCOMPLETE, path,
                       "copy the image again from the source, whole, and "
                       "keep the source until the guest runs here; or "
                       "export the VM again",
                       "%s", error->message);
      return FALSE;
    default:
      hint = lost_image_hint (v, path);
      vr_findings_add (v->findings, VR_FINDING_SAVE_IMAGE, path, hint, "%s",
                       error->message);
      return FALSE;
    }
}

/* Errors name the image by its file name; the finding's source is its
 * path. */
static VrSaveImage *
read_image (VrValidation *v, const char *path)
{
  const char *display_name = v->save_file;
  g_autoptr (GError) error = NULL;
  g_autofree char *moved = vr_validation_moved_dir_hint (v);
  VrSaveImage *image = NULL;
  int fd = -1;

  if (v->dir != NULL)
    fd = vr_import_dir_open_file (v->dir, v->save_file, &error);
  else
    g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                 "%s: its import directory cannot be opened", path);
  if (fd >= 0)
    {
      image = vr_save_image_read_fd (fd, display_name, &error);
      if (image != NULL && !check_whole (v, fd, image, path))
        g_clear_pointer (&image, vr_save_image_free);
      close (fd);
    }
  if (image == NULL && error != NULL)
    {
      g_autofree char *hint = moved ? g_steal_pointer (&moved)
                                    : lost_image_hint (v, path);

      vr_findings_add (v->findings, VR_FINDING_SAVE_IMAGE, path, hint, "%s",
                       error->message);
    }
  return image;
}

static gboolean
check_identity (VrValidation *v, VrSaveImage *image, const char *file)
{
  g_autofree char *hint = NULL;

  if (!g_str_equal (image->uuid, v->uuid))
    vr_validation_add (v, VR_FINDING_SAVE_UUID,
                       vr_validation_node (v, "/domain/uuid"),
                       "use the import directory this image came from, or "
                       "discard the saved state (the guest then boots)",
                       "the save image %s belongs to another VM, '%s' "
                       "(UUID %s)", file, image->name, image->uuid);
  else if (!g_str_equal (image->name, v->name))
    {
      hint = vr_validation_hint_set (v, "/domain/name", image->name);
      vr_validation_add (v, VR_FINDING_SAVE_NAME,
                         vr_validation_node (v, "/domain/name"), hint,
                         "the save image %s was made by domain '%s', and "
                         "libvirt restores it only under that name",
                         file, image->name);
    }
  return g_str_equal (image->uuid, v->uuid);
}

/* A difference from the saved state: its fix (the saved value) is the one
 * fix for that XPath, so every finding there takes the same hint. */
static void report (VrValidation *v, const char *id, xmlNode *node,
                    const char *hint, const char *format, ...)
    G_GNUC_PRINTF (5, 6);

static void
report (VrValidation *v, const char *id, xmlNode *node, const char *hint,
        const char *format, ...)
{
  g_autofree char *message = NULL;
  VrFinding *finding;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  finding = vr_validation_add (v, id, node, hint, "%s", message);
  vr_validation_agree (v, finding);
}

/* saved is the value to set, shown with unit (" KiB") where it has one. */
static void
differs (VrValidation *v, const char *id, const char *xpath,
         const char *what, const char *planned, const char *saved,
         const char *unit_text)
{
  g_autofree char *unit = vr_validation_string (
      v, "string(/domain/memory/@unit)");
  g_autofree char *hint = NULL;

  /* The image gives KiB; another unit here would scale the value. */
  if (g_str_equal (id, VR_FINDING_SAVE_MEMORY) && unit != NULL
      && !g_str_equal (unit, "KiB") && !g_str_equal (unit, "k"))
    hint = g_strdup_printf ("set %s to %s KiB", xpath, saved);
  else
    hint = vr_validation_hint_saved (v, xpath, saved);
  report (v, id, vr_validation_node (v, xpath), hint,
          "%s is %s%s here but %s%s in the saved state: the guest cannot "
          "resume with another", what, planned ? planned : "(default)",
          unit_text, saved, unit_text);
}

static char *
canonical_machine (VrValidation *v, const char *name)
{
  const VrMachine *machine = vr_validation_find_machine (v, name);

  return g_strdup (machine && machine->canonical ? machine->canonical : name);
}

static void
compare_string (VrValidation *v, xmlDoc *image, const char *expr,
                const char *xpath, const char *what, gboolean machine)
{
  g_autofree char *planned = vr_xml_xpath_string (v->doc, expr);
  g_autofree char *saved = vr_xml_xpath_string (image, expr);
  g_autofree char *a = machine ? canonical_machine (v, planned)
                               : g_strdup (planned);
  g_autofree char *b = machine ? canonical_machine (v, saved)
                               : g_strdup (saved);

  if (saved != NULL && g_strcmp0 (a, b) != 0)
    differs (v, VR_FINDING_SAVE_PLATFORM, xpath, what, planned, saved, "");
}

static void
compare_sizes (VrValidation *v, xmlDoc *image)
{
  guint64 planned_kib = vr_domain_xml_get_memory_kib (v->doc);
  guint64 saved_kib = vr_domain_xml_get_memory_kib (image);
  guint planned_vcpus = vr_domain_xml_get_vcpus (v->doc);
  guint saved_vcpus = vr_domain_xml_get_vcpus (image);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  if (planned_kib != saved_kib)
    {
      a = g_strdup_printf ("%" G_GUINT64_FORMAT, planned_kib);
      b = g_strdup_printf ("%" G_GUINT64_FORMAT, saved_kib);
      differs (v, VR_FINDING_SAVE_MEMORY, "/domain/memory", "memory", a, b,
               " KiB");
    }
  if (planned_vcpus != saved_vcpus)
    {
      g_free (a);
      g_free (b);
      a = g_strdup_printf ("%u", planned_vcpus);
      b = g_strdup_printf ("%u", saved_vcpus);
      differs (v, VR_FINDING_SAVE_VCPUS, "/domain/vcpu", "the vCPU count", a,
               b, "");
    }
}

/* Each device of a kind by its key ("disk vda"), or by its position
 * ("video 1") when the kind has none or the device lacks it. */
static GHashTable *
device_table (xmlDoc *doc, const AbiDevice *kind)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             NULL);
  g_autofree char *expr = g_strdup_printf ("/domain/devices/%s",
                                           kind->select);
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) obj = xmlXPathEvalExpression (
      (const xmlChar *) expr, ctxt);

  for (int i = 0; obj && obj->nodesetval && i < obj->nodesetval->nodeNr; i++)
    {
      xmlNode *node = obj->nodesetval->nodeTab[i];
      g_autofree char *key = kind->key ? vr_node_string (node, kind->key)
                                       : NULL;

      g_hash_table_insert (table,
                           key ? g_strdup_printf ("%s %s", kind->kind, key)
                               : g_strdup_printf ("%s %d", kind->kind, i + 1),
                           node);
    }
  return table;
}

/* The first attribute both sides give and that differs, or NULL. */
static char *
attr_difference (const AbiDevice *kind, xmlNode *planned, xmlNode *saved)
{
  for (guint i = 0; i < G_N_ELEMENTS (kind->attrs) && kind->attrs[i]; i++)
    {
      g_autofree char *expr = g_strdup_printf ("string(%s)", kind->attrs[i]);
      g_autofree char *a = vr_node_string (planned, expr);
      g_autofree char *b = vr_node_string (saved, expr);

      if (a != NULL && b != NULL && !g_str_equal (a, b))
        return g_strdup_printf ("%s is '%s' here but '%s' in the saved "
                                "state", kind->attrs[i], a, b);
    }
  return NULL;
}

/* "type='pci' bus='0x00' slot='0x02' ..." of a device's <address>. */
static char *
address_text (xmlNode *device)
{
  xmlNode *address = vr_node_child (device, "address");
  GString *text;

  if (address == NULL)
    return NULL;
  text = g_string_new (NULL);
  for (xmlAttr *a = address->properties; a; a = a->next)
    {
      xmlChar *value = xmlNodeGetContent ((xmlNode *) a);

      g_string_append_printf (text, "%s%s='%s'", text->len ? " " : "",
                              (const char *) a->name, (const char *) value);
      xmlFree (value);
    }
  return g_string_free (text, FALSE);
}

/* The guest finds its devices where they were: where both sides give an
 * address (libvirt assigns them at define), it must be the same. */
static char *
address_difference (xmlNode *planned, xmlNode *saved)
{
  g_autofree char *a = address_text (planned);
  g_autofree char *b = address_text (saved);

  if (a == NULL || b == NULL || g_str_equal (a, b))
    return NULL;
  return g_strdup_printf ("its address is %s here but %s in the saved state",
                          a, b);
}

static void
compare_device (VrValidation *v, const AbiDevice *kind, const char *key,
                xmlNode *node, xmlNode *saved, const char *hint)
{
  g_autofree char *why = saved ? attr_difference (kind, node, saved) : NULL;

  if (saved != NULL && why == NULL)
    why = address_difference (node, saved);

  if (saved == NULL && !kind->both_only)
    vr_validation_add (v, VR_FINDING_SAVE_DEVICES, node, hint,
                       "%s is not in the saved state: the guest cannot "
                       "resume with a device it did not have", key);
  else if (why != NULL)
    vr_validation_add (v, VR_FINDING_SAVE_DEVICES, node, hint, "%s: %s",
                       key, why);
}

static int
compare_keys (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* Sorted, so that findings come in the same order every time. */
static const char **
sorted_keys (GHashTable *table, guint *n)
{
  const char **keys = (const char **) g_hash_table_get_keys_as_array (table,
                                                                      n);

  qsort (keys, *n, sizeof *keys, compare_keys);
  return keys;
}

static void
compare_kind (VrValidation *v, xmlDoc *image, const AbiDevice *kind)
{
  g_autoptr (GHashTable) planned = device_table (v->doc, kind);
  g_autoptr (GHashTable) saved = device_table (image, kind);
  g_autofree char *hint = vr_validation_hint_edit (v);
  guint n = 0;
  g_autofree const char **mine = sorted_keys (planned, &n);
  guint m = 0;
  g_autofree const char **theirs = sorted_keys (saved, &m);

  for (guint i = 0; i < n; i++)
    compare_device (v, kind, mine[i], g_hash_table_lookup (planned, mine[i]),
                    g_hash_table_lookup (saved, mine[i]), hint);
  for (guint i = 0; i < m && !kind->both_only; i++)
    if (!g_hash_table_contains (planned, theirs[i]))
      vr_validation_add (v, VR_FINDING_SAVE_DEVICES,
                         vr_validation_node (v, "/domain/devices"), hint,
                         "%s of the saved state is missing here: the guest "
                         "cannot resume without it", theirs[i]);
}

/* "efi" for UEFI (chosen by name or by its pflash loader), else "bios". */
static const char *
firmware_kind (xmlDoc *doc)
{
  g_autofree char *firmware = vr_node_attr (vr_doc_element (doc, "os", NULL),
                                            "firmware");
  g_autofree char *loader = vr_node_attr (
      vr_doc_element (doc, "os", "loader", NULL), "type");

  return g_strcmp0 (firmware, "efi") == 0 || g_strcmp0 (loader, "pflash") == 0
             ? "efi"
             : "bios";
}

/* The firmware the guest runs: UEFI or BIOS, and Secure Boot where both
 * say. Paths are the host's business (the same firmware may live
 * elsewhere). */
static void
compare_firmware (VrValidation *v, xmlDoc *image)
{
  const char *planned = firmware_kind (v->doc);
  const char *saved = firmware_kind (image);
  g_autofree char *secure = vr_node_attr (
      vr_doc_element (v->doc, "os", "loader", NULL), "secure");
  g_autofree char *saved_secure = vr_node_attr (
      vr_doc_element (image, "os", "loader", NULL), "secure");
  g_autofree char *hint = NULL;

  if (!g_str_equal (planned, saved))
    {
      hint = vr_validation_hint_edit (v);
      report (v, VR_FINDING_SAVE_FIRMWARE,
              vr_validation_node (v, "/domain/os"), hint,
              "the firmware is %s here but %s in the saved state: the guest "
              "resumes in the firmware it was saved with", planned, saved);
    }
  else if (secure != NULL && saved_secure != NULL
           && !g_str_equal (secure, saved_secure))
    {
      hint = vr_validation_hint_saved (v, "/domain/os/loader/@secure",
                                       saved_secure);
      report (v, VR_FINDING_SAVE_FIRMWARE,
              vr_validation_node (v, "/domain/os/loader/@secure"), hint,
              "Secure Boot (secure='%s') is '%s' in the saved state", secure,
              saved_secure);
    }
}

/* "name attr='value' ...(children)" of one <features> child, for
 * comparing: what the guest sees of it. */
static char *
feature_text (xmlNode *node)
{
  GString *text = g_string_new ((const char *) node->name);

  for (xmlAttr *a = node->properties; a; a = a->next)
    {
      xmlChar *value = xmlNodeGetContent ((xmlNode *) a);

      g_string_append_printf (text, " %s='%s'", (const char *) a->name,
                              (const char *) value);
      xmlFree (value);
    }
  for (xmlNode *c = node->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE)
      {
        g_autofree char *child = feature_text (c);

        g_string_append_printf (text, " <%s>", child);
      }
  return g_string_free (text, FALSE);
}

/* Each /domain/features child by name -> its text. */
static GHashTable *
feature_table (xmlDoc *doc)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             g_free);
  xmlNode *features = vr_doc_element (doc, "features", NULL);

  for (xmlNode *c = features ? features->children : NULL; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE)
      g_hash_table_insert (table, (gpointer) c->name, feature_text (c));
  return table;
}

static void
feature_differs (VrValidation *v, const char *name, const char *planned,
                 const char *saved, const char *hint)
{
  g_autofree char *xpath = g_strdup_printf ("/domain/features/%s", name);
  xmlNode *node = vr_validation_node (v, xpath);

  report (v, VR_FINDING_SAVE_FEATURES,
          node ? node : vr_validation_node (v, "/domain"), hint,
          "hypervisor feature %s is %s here but %s in the saved state: the "
          "guest cannot resume with another", name,
          planned ? planned : "absent", saved ? saved : "absent");
}

/* ACPI, APIC, SMM, Hyper-V enlightenments...: what the guest found at
 * boot and still relies on. */
static void
compare_features (VrValidation *v, xmlDoc *image)
{
  g_autoptr (GHashTable) planned = feature_table (v->doc);
  g_autoptr (GHashTable) saved = feature_table (image);
  g_autofree char *hint = NULL;
  guint n = 0;
  g_autofree const char **mine = sorted_keys (planned, &n);

  /* Only what the planned XML names: libvirt adds some at start (SMM for
   * Secure Boot firmware), and they are in the image's XML only. */
  for (guint i = 0; i < n; i++)
    {
      const char *a = g_hash_table_lookup (planned, mine[i]);
      const char *b = g_hash_table_lookup (saved, mine[i]);

      if (g_strcmp0 (a, b) == 0)
        continue;
      if (hint == NULL)
        hint = vr_validation_hint_edit (v);
      feature_differs (v, mine[i], a, b, hint);
    }
}

static void
compare_abi (VrValidation *v, VrSaveImage *image, const char *file)
{
  g_autofree char *where = g_strdup_printf ("%s (embedded domain XML)", file);
  g_autoptr (xmlDoc) doc = vr_xml_parse_buffer (image->xml,
                                                strlen (image->xml), where,
                                                "domain", NULL);

  if (doc == NULL)
    return;
  compare_sizes (v, doc);
  compare_string (v, doc, "string(/domain/@type)", "/domain/@type",
                  "the domain type", FALSE);
  compare_string (v, doc, "string(/domain/os/type/@arch)",
                  "/domain/os/type/@arch", "the architecture", FALSE);
  compare_string (v, doc, "string(/domain/os/type/@machine)",
                  "/domain/os/type/@machine", "the machine type", TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (abi_devices); i++)
    compare_kind (v, doc, &abi_devices[i]);
  vr_validate_saved_cpu (v, doc);
  compare_firmware (v, doc);
  compare_features (v, doc);
  /* One problem, one finding: libvirt is asked only when our own
   * comparisons of the saved state (VR17xx) found nothing. */
  for (guint i = 0; i < v->findings->len; i++)
    {
      VrFinding *finding = v->findings->pdata[i];

      if (finding->severity == VR_SEVERITY_ERROR
          && g_str_has_prefix (finding->id, "VR17"))
        return;
    }
  vr_validate_saved_abi (v, image, doc, file);
}

/* The guest CPU libvirt recorded when it saved: the cookie's, else the
 * image XML's own <cpu>. */
static char *
saved_cpu_xml (VrSaveImage *image)
{
  const char *text = image->cookie ? image->cookie : image->xml;
  const char *expr = image->cookie ? "/cookie/cpu" : "/domain/cpu[model]";
  g_autoptr (xmlDoc) doc = vr_xml_parse_buffer (text, strlen (text),
                                                "save image", NULL, NULL);
  xmlNode *cpu = doc ? vr_xml_xpath_node (doc, expr) : NULL;

  return cpu ? vr_node_to_xml (cpu) : NULL;
}

static void
check_saved_cpu (VrValidation *v, VrSaveImage *image, const char *file)
{
  g_autofree char *xml = saved_cpu_xml (image);
  const char *reason = NULL;

  if (xml == NULL || !v->platform_ok)
    return;
  reason = vr_validation_cpu_unusable (v, xml, "the saved guest CPU");
  if (reason == NULL)
    return;
  vr_findings_add (v->findings, VR_FINDING_SAVE_CPU, file,
                   "realize it on a host whose CPU has these features, or "
                   "discard the saved state (the guest then boots with a "
                   "CPU this host has)",
                   "the guest was saved running on a CPU this host cannot "
                   "give it: %s", reason);
}

void
vr_validate_saved_state (VrValidation *v)
{
  g_autofree char *file = NULL;
  g_autoptr (VrSaveImage) image = NULL;

  if (!v->check_save)
    return;
  if (v->save_file == NULL)
    {
      vr_findings_add (v->findings, VR_FINDING_NO_SAVE,
                       v->dir ? v->dir->path : NULL, NULL,
                       "there is no saved state: realizing defines the "
                       "domain, and starting it boots the guest");
      return;
    }
  if (v->dir != NULL)
    file = vr_import_dir_describe (v->dir, v->save_file);
  else if (v->system != NULL)
    file = g_build_filename (vr_planned_system_get_import_dir (v->system),
                             v->save_file, NULL);
  else
    file = g_strdup (v->save_file);
  image = read_image (v, file);
  if (image == NULL || !check_identity (v, image, file))
    return;
  compare_abi (v, image, file);
  check_saved_cpu (v, image, file);
}
