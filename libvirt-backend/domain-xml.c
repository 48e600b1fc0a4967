/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "domain-xml.h"

#include <libxml/xpath.h>
#include <string.h>

#include "errors.h"
#include "safe-xml.h"

char *
vr_uuid_normalize (const char *text)
{
  char hex[33];
  guint n = 0;

  if (text == NULL)
    return NULL;
  for (const char *p = text; *p; p++)
    {
      /* libvirt's own parser skips dashes and surrounding spaces too. */
      if (*p == '-' || g_ascii_isspace (*p))
        continue;
      if (!g_ascii_isxdigit (*p) || n == 32)
        return NULL;
      hex[n++] = g_ascii_tolower (*p);
    }
  if (n != 32)
    return NULL;
  hex[32] = '\0';
  return g_strdup_printf ("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
                          hex + 12, hex + 16, hex + 20);
}

gboolean
vr_name_is_plain (const char *name)
{
  if (name == NULL || *name == '\0'
      || strnlen (name, VR_DOMAIN_NAME_MAX + 1) > VR_DOMAIN_NAME_MAX
      || !g_utf8_validate (name, -1, NULL))
    return FALSE;
  for (const char *p = name; *p; p++)
    if (*p == '/' || g_ascii_iscntrl (*p))
      return FALSE;
  return TRUE;
}

/* A name that reads as a UUID is refused: every command takes a name or
 * a UUID, and such a name stood for another user's system (eighth
 * review, F3). '.' and '..' name folders in the paths libvirt and realize
 * build from a name (eleventh review). */
gboolean
vr_domain_name_is_valid (const char *name)
{
  g_autofree char *as_uuid = NULL;

  if (!vr_name_is_plain (name) || g_str_equal (name, ".")
      || g_str_equal (name, ".."))
    return FALSE;
  as_uuid = vr_uuid_normalize (name);
  return as_uuid == NULL;
}

gboolean
vr_domain_xml_get_identity (xmlDoc *doc, const char *display_name,
                            char **name, char **uuid, GError **error)
{
  g_autofree char *n = vr_xml_xpath_string (doc, "string(/domain/name)");
  g_autofree char *u = vr_xml_xpath_string (doc, "string(/domain/uuid)");
  g_autofree char *canonical = vr_uuid_normalize (u);

  if (!vr_domain_name_is_valid (n))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: element /domain/name is missing or not a valid "
                   "domain name (" VR_DOMAIN_NAME_RULE ")", display_name);
      return FALSE;
    }
  if (canonical == NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: element /domain/uuid is %s", display_name,
                   u ? "not a valid UUID" : "missing (export the domain "
                       "with virsh dumpxml --inactive)");
      return FALSE;
    }
  *name = g_steal_pointer (&n);
  *uuid = g_steal_pointer (&canonical);
  return TRUE;
}

/* How much of a name an error quotes: all of it up to the limit, else up
 * to the last whole UTF-8 character before it (a D-Bus error's text must
 * stay valid UTF-8). */
static int
name_shown_length (const char *name)
{
  const char *end = name + VR_DOMAIN_NAME_MAX;

  if (strnlen (name, VR_DOMAIN_NAME_MAX + 1) <= VR_DOMAIN_NAME_MAX)
    return (int) strlen (name);
  while (end > name && ((guchar) *end & 0xC0) == 0x80)
    end--;
  return (int) (end - name);
}

gboolean
vr_domain_xml_set_name (xmlDoc *doc, const char *name, GError **error)
{
  xmlNode *node = vr_xml_xpath_node (doc, "/domain/name");

  if (!vr_domain_name_is_valid (name))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "'%.*s%s' is not a valid domain name ("
                   VR_DOMAIN_NAME_RULE ")", name_shown_length (name), name,
                   strlen (name) > VR_DOMAIN_NAME_MAX ? "..." : "");
      return FALSE;
    }
  if (node == NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "the domain XML has no /domain/name");
      return FALSE;
    }
  xmlNodeSetContent (node, NULL);
  xmlNodeAddContent (node, (const xmlChar *) name);
  return TRUE;
}

void
vr_domain_xml_set_uuid (xmlDoc *doc, const char *uuid)
{
  xmlNode *node = vr_xml_xpath_node (doc, "/domain/uuid");

  if (node == NULL)
    node = xmlNewChild (xmlDocGetRootElement (doc), NULL,
                        (const xmlChar *) "uuid", NULL);
  xmlNodeSetContent (node, NULL);
  xmlNodeAddContent (node, (const xmlChar *) uuid);
}

guint
vr_domain_xml_new_macs (xmlDoc *doc)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) macs = xmlXPathEvalExpression (
      (const xmlChar *) "/domain/devices/interface/mac", ctxt);
  guint n = 0;

  for (int i = 0; macs != NULL && macs->nodesetval != NULL
                  && i < macs->nodesetval->nodeNr; i++)
    {
      g_autofree char *mac = g_strdup_printf (
          "52:54:00:%02x:%02x:%02x", g_random_int_range (0, 256),
          g_random_int_range (0, 256), g_random_int_range (0, 256));

      xmlSetProp (macs->nodesetval->nodeTab[i], (const xmlChar *) "address",
                  (const xmlChar *) mac);
      n++;
    }
  return n;
}

/* libvirt's units (virScaleInteger): any case, powers of 1024 without
 * a "b" after the letter or with "ib", of 1000 with "b". */
static guint64
scale_to_kib (guint64 value, const char *unit)
{
  static const struct {
    const char *unit;
    guint64 bytes;
  } units[] = {
    { "b", 1 }, { "byte", 1 }, { "bytes", 1 },
    { "k", 1024 }, { "kib", 1024 }, { "kb", 1000 },
    { "m", 1024 * 1024 }, { "mib", 1024 * 1024 }, { "mb", 1000000 },
    { "g", 1024 * 1024 * 1024 }, { "gib", 1024 * 1024 * 1024 },
    { "gb", 1000000000 },
    { "t", G_GUINT64_CONSTANT (1) << 40 },
    { "tib", G_GUINT64_CONSTANT (1) << 40 },
    { "tb", G_GUINT64_CONSTANT (1000000000000) },
    { "p", G_GUINT64_CONSTANT (1) << 50 },
    { "pib", G_GUINT64_CONSTANT (1) << 50 },
    { "pb", G_GUINT64_CONSTANT (1000000000000000) },
    { "e", G_GUINT64_CONSTANT (1) << 60 },
    { "eib", G_GUINT64_CONSTANT (1) << 60 },
    { "eb", G_GUINT64_CONSTANT (1000000000000000000) },
  };

  guint64 bytes;

  if (unit == NULL)
    return value;
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (g_ascii_strcasecmp (unit, units[i].unit) == 0)
      {
        /* Past 2^64 bytes it is "more than any host has", not whatever
         * the product wraps to (a guest of 16 EiB that looked like 0). */
        if (!g_uint64_checked_mul (&bytes, value, units[i].bytes))
          return G_MAXUINT64;
        return bytes / 1024;
      }
  /* A unit libvirt would refuse: more than any host has, never 0 (which
   * counted nothing against a per-user limit: 'gib' was read as 0). */
  return G_MAXUINT64;
}

guint64
vr_domain_xml_get_memory_kib (xmlDoc *doc)
{
  g_autofree char *value = vr_xml_xpath_string (doc, "string(/domain/memory)");
  g_autofree char *unit = vr_xml_xpath_string (doc,
                                               "string(/domain/memory/@unit)");

  if (value == NULL)
    return 0;
  return scale_to_kib (g_ascii_strtoull (value, NULL, 10), unit);
}

/* The sizes of the nodes at expr (elements with a unit attribute, or
 * attributes whose element has one named unit_attr), summed in KiB, at
 * most G_MAXUINT64. */
static guint64
sum_sizes_kib (xmlDoc *doc, const char *expr, const char *unit_attr)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) obj
      = xmlXPathEvalExpression ((const xmlChar *) expr, ctxt);
  guint64 sum = 0;

  for (int i = 0; obj && obj->nodesetval && i < obj->nodesetval->nodeNr; i++)
    {
      xmlNode *node = obj->nodesetval->nodeTab[i];
      xmlNode *owner = node->type == XML_ATTRIBUTE_NODE ? node->parent : node;
      g_autofree char *value = (char *) xmlNodeGetContent (node);
      g_autofree char *unit
          = (char *) xmlGetProp (owner, (const xmlChar *) unit_attr);
      guint64 kib = scale_to_kib (g_ascii_strtoull (value ? value : "0",
                                                    NULL, 10),
                                  unit);

      if (!g_uint64_checked_add (&sum, sum, kib))
        return G_MAXUINT64;
    }
  return sum;
}

static guint64
add_saturating (guint64 a, guint64 b)
{
  guint64 sum;

  return g_uint64_checked_add (&sum, a, b) ? sum : G_MAXUINT64;
}

/* libvirt's size (KiB) of one video attribute when the XML leaves it out
 * (virDomainVideoDefaultRAM and the QXL defaults of qemu_domain.c). */
static guint64
video_default_kib (const char *type, const char *attr)
{
  if (g_strcmp0 (type, "qxl") == 0)
    return g_str_equal (attr, "vgamem") ? 16384
           : g_str_equal (attr, "vram64") ? 0 : 65536;
  if (g_str_equal (attr, "vram")
      && (g_strcmp0 (type, "vga") == 0 || g_strcmp0 (type, "cirrus") == 0
          || g_strcmp0 (type, "vmvga") == 0 || g_strcmp0 (type, "bochs") == 0))
    return 16384;
  return 0;
}

/* Guest-writable device memory QEMU maps beside the guest's RAM: each
 * video device's ram, vram, vram64 and vgamem (always KiB; QXL's four
 * of 1 GiB each made a 64 MiB guest a 23 GB process, seventh review F2). */
static guint64
video_memory_kib (xmlDoc *doc)
{
  static const char *const attrs[] = { "ram", "vram", "vram64", "vgamem" };
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) models = xmlXPathEvalExpression (
      (const xmlChar *) "/domain/devices/video/model", ctxt);
  guint64 sum = 0;

  for (int i = 0; models && models->nodesetval
                  && i < models->nodesetval->nodeNr; i++)
    {
      xmlNode *model = models->nodesetval->nodeTab[i];
      g_autofree char *type = (char *) xmlGetProp (model,
                                                   (const xmlChar *) "type");

      for (guint a = 0; a < G_N_ELEMENTS (attrs); a++)
        {
          g_autofree char *value = (char *) xmlGetProp (
              model, (const xmlChar *) attrs[a]);
          guint64 kib = value ? scale_to_kib (g_ascii_strtoull (value, NULL,
                                                                10), NULL)
                              : video_default_kib (type, attrs[a]);

          sum = add_saturating (sum, kib);
        }
    }
  return sum;
}

guint64
vr_domain_xml_get_memory_bound_kib (xmlDoc *doc)
{
  guint64 memory = vr_domain_xml_get_memory_kib (doc);
  guint64 cells = sum_sizes_kib (doc, "/domain/cpu/numa/cell/@memory",
                                 "unit");
  guint64 devices = sum_sizes_kib (
      doc, "/domain/devices/memory/target/size", "unit");
  guint64 max = sum_sizes_kib (doc, "/domain/maxMemory", "unit");
  /* TCG's translation cache is the emulator's, at the guest's asking. */
  guint64 tb_cache = sum_sizes_kib (doc, "/domain/features/tcg/tb-cache",
                                    "unit");
  guint64 ram = MAX (MAX (memory, add_saturating (cells, devices)), max);

  return add_saturating (add_saturating (ram, video_memory_kib (doc)),
                         tb_cache);
}

guint
vr_domain_xml_get_vcpus (xmlDoc *doc)
{
  g_autofree char *value = vr_xml_xpath_string (doc, "string(/domain/vcpu)");
  guint64 count = value ? g_ascii_strtoull (value, NULL, 10) : 0;

  /* 4294967297 vCPUs are not 1. */
  return (guint) MIN (count, G_MAXUINT);
}

/* What libvirt shows only with VIR_DOMAIN_XML_SECURE: graphics
 * passwords, network disks' HTTP cookies, launch-security blobs. */
char *
vr_domain_xml_to_string_public (xmlDoc *doc)
{
  g_autoptr (xmlDoc) copy = xmlCopyDoc (doc, 1);
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (copy);
  g_autoptr (xmlXPathObject) obj = xmlXPathEvalExpression (
      (const xmlChar *) "//@passwd | /domain/launchSecurity/session"
                        " | /domain/launchSecurity/dhCert"
                        " | /domain/devices/disk//source/cookies", ctxt);

  for (int i = 0; obj && obj->nodesetval && i < obj->nodesetval->nodeNr; i++)
    {
      xmlNode *node = obj->nodesetval->nodeTab[i];

      if (node->type == XML_ATTRIBUTE_NODE)
        xmlRemoveProp ((xmlAttr *) node);
      else
        {
          xmlUnlinkNode (node);
          xmlFreeNode (node);
        }
    }
  return vr_xml_to_string (copy);
}
