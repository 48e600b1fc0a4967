/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "host-caps.h"

#include "errors.h"
#include "safe-xml.h"

static gboolean
is_element (xmlNode *node, const char *name)
{
  return node->type == XML_ELEMENT_NODE
         && (name == NULL || g_str_equal ((const char *) node->name, name));
}

static char *
get_prop (xmlNode *node, const char *name)
{
  xmlChar *value = xmlGetProp (node, (const xmlChar *) name);
  char *copy = g_strdup ((const char *) value);

  xmlFree (value);
  return copy;
}

static char *
get_text (xmlNode *node)
{
  xmlChar *value = xmlNodeGetContent (node);
  char *copy = g_strstrip (g_strdup (value ? (const char *) value : ""));

  xmlFree (value);
  return copy;
}

static guint
get_uint_prop (xmlNode *node, const char *name)
{
  g_autofree char *value = get_prop (node, name);

  return value ? (guint) g_ascii_strtoull (value, NULL, 10) : 0;
}

static void
machine_free (VrMachine *machine)
{
  g_free (machine->name);
  g_free (machine->canonical);
  g_free (machine);
}

static GPtrArray *
machines_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) machine_free);
}

static VrMachine *
parse_machine (xmlNode *node)
{
  VrMachine *machine = g_new0 (VrMachine, 1);
  g_autofree char *deprecated = get_prop (node, "deprecated");

  machine->name = get_text (node);
  machine->canonical = get_prop (node, "canonical");
  machine->max_cpus = get_uint_prop (node, "maxCpus");
  machine->deprecated = g_strcmp0 (deprecated, "yes") == 0;
  return machine;
}

static void
guest_domain_free (VrGuestDomain *domain)
{
  g_free (domain->type);
  g_free (domain->emulator);
  g_ptr_array_unref (domain->machines);
  g_free (domain);
}

static VrGuestDomain *
parse_guest_domain (xmlNode *node)
{
  VrGuestDomain *domain = g_new0 (VrGuestDomain, 1);

  domain->type = get_prop (node, "type");
  domain->machines = machines_new ();
  for (xmlNode *c = node->children; c; c = c->next)
    if (is_element (c, "emulator"))
      domain->emulator = get_text (c);
    else if (is_element (c, "machine"))
      g_ptr_array_add (domain->machines, parse_machine (c));
  return domain;
}

static void
guest_free (VrGuestCaps *guest)
{
  g_free (guest->os_type);
  g_free (guest->arch);
  g_free (guest->emulator);
  g_ptr_array_unref (guest->machines);
  g_ptr_array_unref (guest->domains);
  g_free (guest);
}

static void
parse_guest_arch (VrGuestCaps *guest, xmlNode *arch)
{
  guest->arch = get_prop (arch, "name");
  for (xmlNode *c = arch->children; c; c = c->next)
    if (is_element (c, "emulator"))
      guest->emulator = get_text (c);
    else if (is_element (c, "machine"))
      g_ptr_array_add (guest->machines, parse_machine (c));
    else if (is_element (c, "domain"))
      g_ptr_array_add (guest->domains, parse_guest_domain (c));
}

static VrGuestCaps *
parse_guest (xmlNode *node)
{
  VrGuestCaps *guest = g_new0 (VrGuestCaps, 1);

  guest->machines = machines_new ();
  guest->domains = g_ptr_array_new_with_free_func (
      (GDestroyNotify) guest_domain_free);
  for (xmlNode *c = node->children; c; c = c->next)
    if (is_element (c, "os_type"))
      guest->os_type = get_text (c);
    else if (is_element (c, "arch"))
      parse_guest_arch (guest, c);
  return guest;
}

void
vr_caps_free (VrCaps *caps)
{
  if (caps == NULL)
    return;
  g_free (caps->host_arch);
  g_ptr_array_unref (caps->guests);
  g_free (caps);
}

VrCaps *
vr_caps_parse (const char *xml, gsize len, GError **error)
{
  g_autoptr (xmlDoc) doc = vr_xml_parse_buffer (xml, len, "capabilities",
                                                "capabilities", error);
  g_autoptr (VrCaps) caps = NULL;

  if (doc == NULL)
    return NULL;
  caps = g_new0 (VrCaps, 1);
  caps->host_arch = vr_xml_xpath_string (
      doc, "string(/capabilities/host/cpu/arch)");
  caps->guests = g_ptr_array_new_with_free_func ((GDestroyNotify) guest_free);
  for (xmlNode *c = xmlDocGetRootElement (doc)->children; c; c = c->next)
    if (is_element (c, "guest"))
      g_ptr_array_add (caps->guests, parse_guest (c));
  return g_steal_pointer (&caps);
}

const VrGuestCaps *
vr_caps_find_guest (const VrCaps *caps, const char *os_type, const char *arch)
{
  for (guint i = 0; i < caps->guests->len; i++)
    {
      const VrGuestCaps *guest = caps->guests->pdata[i];

      if (g_strcmp0 (guest->os_type, os_type) == 0
          && g_strcmp0 (guest->arch, arch) == 0)
        return guest;
    }
  return NULL;
}

const VrGuestDomain *
vr_guest_caps_find_domain (const VrGuestCaps *guest, const char *type)
{
  for (guint i = 0; i < guest->domains->len; i++)
    {
      const VrGuestDomain *domain = guest->domains->pdata[i];

      if (g_strcmp0 (domain->type, type) == 0)
        return domain;
    }
  return NULL;
}

const char *
vr_guest_caps_emulator (const VrGuestCaps *guest, const VrGuestDomain *domain)
{
  if (domain != NULL && domain->emulator != NULL)
    return domain->emulator;
  return guest->emulator;
}

GPtrArray *
vr_guest_caps_machines (const VrGuestCaps *guest, const VrGuestDomain *domain)
{
  if (domain != NULL && domain->machines->len > 0)
    return domain->machines;
  return guest->machines;
}

const VrMachine *
vr_machines_find (GPtrArray *machines, const char *name)
{
  for (guint i = 0; i < machines->len; i++)
    {
      const VrMachine *machine = machines->pdata[i];

      if (g_strcmp0 (machine->name, name) == 0)
        return machine;
    }
  return NULL;
}

void
vr_domain_caps_free (VrDomainCaps *dcaps)
{
  if (dcaps == NULL)
    return;
  g_free (dcaps->path);
  g_free (dcaps->machine);
  g_free (dcaps->arch);
  g_free (dcaps->virttype);
  g_hash_table_unref (dcaps->enums);
  g_hash_table_unref (dcaps->supported);
  g_hash_table_unref (dcaps->cpu_models);
  g_hash_table_unref (dcaps->cpu_blockers);
  g_free (dcaps);
}

/* An <enum> and a <mode> are known by their name; anything else by its
 * element name. */
static char *
child_key (const char *parent, xmlNode *node)
{
  g_autofree char *name = get_prop (node, "name");
  const char *segment = (const char *) node->name;

  if (is_element (node, "enum"))
    segment = name ? name : "";
  else if (is_element (node, "mode") && name != NULL)
    return g_strdup_printf ("%s/mode/%s", parent, name);
  if (*parent == '\0')
    return g_strdup (segment);
  return g_strdup_printf ("%s/%s", parent, segment);
}

static void
add_value (VrDomainCaps *dcaps, const char *key, xmlNode *node)
{
  GPtrArray *values = g_hash_table_lookup (dcaps->enums, key);

  if (values == NULL)
    {
      values = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (dcaps->enums, g_strdup (key), values);
    }
  g_ptr_array_add (values, get_text (node));
}

static void
add_cpu_model (VrDomainCaps *dcaps, const char *key, xmlNode *node)
{
  if (!g_str_equal (key, "cpu/mode/custom"))
    return;
  g_hash_table_insert (dcaps->cpu_models, get_text (node),
                       get_prop (node, "usable"));
}

/* <blockers model='X'><feature name='F'/>...</blockers> (libvirt after
 * 9.0): the features that make a model unusable here. */
static void
add_cpu_blockers (VrDomainCaps *dcaps, const char *key, xmlNode *node)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *model = get_prop (node, "model");

  if (!g_str_equal (key, "cpu/mode/custom") || model == NULL)
    return;
  for (xmlNode *c = node->children; c; c = c->next)
    if (is_element (c, "feature"))
      {
        char *name = get_prop (c, "name");

        if (name != NULL)
          g_ptr_array_add (names, name);
      }
  if (names->len == 0)
    return;
  g_ptr_array_add (names, NULL);
  g_hash_table_insert (dcaps->cpu_blockers, g_steal_pointer (&model),
                       g_strjoinv (", ", (char **) names->pdata));
}

static void
walk_domain_caps (VrDomainCaps *dcaps, const char *key, xmlNode *node)
{
  for (xmlNode *c = node->children; c; c = c->next)
    {
      g_autofree char *child = NULL;
      char *supported;

      if (!is_element (c, NULL))
        continue;
      if (is_element (c, "value"))
        {
          add_value (dcaps, key, c);
          continue;
        }
      if (is_element (c, "model"))
        {
          add_cpu_model (dcaps, key, c);
          continue;
        }
      if (is_element (c, "blockers"))
        {
          add_cpu_blockers (dcaps, key, c);
          continue;
        }
      child = child_key (key, c);
      /* An enum listed with no values is an answer too: nothing. */
      if (is_element (c, "enum") && !g_hash_table_contains (dcaps->enums,
                                                            child))
        g_hash_table_insert (dcaps->enums, g_strdup (child),
                             g_ptr_array_new_with_free_func (g_free));
      supported = get_prop (c, "supported");
      if (supported != NULL)
        g_hash_table_insert (dcaps->supported, g_strdup (child), supported);
      walk_domain_caps (dcaps, child, c);
    }
}

static VrDomainCaps *
domain_caps_new (void)
{
  VrDomainCaps *dcaps = g_new0 (VrDomainCaps, 1);

  dcaps->enums = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_ptr_array_unref);
  dcaps->supported = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            g_free);
  dcaps->cpu_models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             g_free);
  dcaps->cpu_blockers = g_hash_table_new_full (g_str_hash, g_str_equal,
                                               g_free, g_free);
  return dcaps;
}

VrDomainCaps *
vr_domain_caps_parse (const char *xml, gsize len, GError **error)
{
  g_autoptr (xmlDoc) doc = vr_xml_parse_buffer (xml, len,
                                                "domain capabilities",
                                                "domainCapabilities", error);
  g_autoptr (VrDomainCaps) dcaps = NULL;
  xmlNode *vcpu;

  if (doc == NULL)
    return NULL;
  dcaps = domain_caps_new ();
  dcaps->path = vr_xml_xpath_string (doc, "string(/domainCapabilities/path)");
  dcaps->machine = vr_xml_xpath_string (
      doc, "string(/domainCapabilities/machine)");
  dcaps->arch = vr_xml_xpath_string (doc, "string(/domainCapabilities/arch)");
  dcaps->virttype = vr_xml_xpath_string (
      doc, "string(/domainCapabilities/domain)");
  vcpu = vr_xml_xpath_node (doc, "/domainCapabilities/vcpu");
  dcaps->vcpu_max = vcpu ? get_uint_prop (vcpu, "max") : 0;
  walk_domain_caps (dcaps, "", xmlDocGetRootElement (doc));
  return g_steal_pointer (&dcaps);
}

GPtrArray *
vr_domain_caps_get_enum (const VrDomainCaps *dcaps, const char *key)
{
  return g_hash_table_lookup (dcaps->enums, key);
}

VrSupport
vr_domain_caps_enum_has (const VrDomainCaps *dcaps, const char *key,
                         const char *value)
{
  GPtrArray *values = vr_domain_caps_get_enum (dcaps, key);

  if (values == NULL)
    return VR_SUPPORT_UNKNOWN;
  for (guint i = 0; i < values->len; i++)
    if (g_strcmp0 (values->pdata[i], value) == 0)
      return VR_SUPPORT_YES;
  return VR_SUPPORT_NO;
}

char *
vr_domain_caps_enum_join (const VrDomainCaps *dcaps, const char *key)
{
  GPtrArray *values = vr_domain_caps_get_enum (dcaps, key);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) strv = NULL;

  if (values == NULL || values->len == 0)
    return NULL;
  for (guint i = 0; i < values->len; i++)
    g_strv_builder_add (builder, values->pdata[i]);
  strv = g_strv_builder_end (builder);
  return g_strjoinv (", ", strv);
}

static VrSupport
support_from_string (const char *value)
{
  if (g_strcmp0 (value, "yes") == 0)
    return VR_SUPPORT_YES;
  if (g_strcmp0 (value, "no") == 0)
    return VR_SUPPORT_NO;
  return VR_SUPPORT_UNKNOWN;
}

VrSupport
vr_domain_caps_supported (const VrDomainCaps *dcaps, const char *key)
{
  return support_from_string (g_hash_table_lookup (dcaps->supported, key));
}

VrSupport
vr_domain_caps_cpu_model_usable (const VrDomainCaps *dcaps, const char *model)
{
  const char *usable;

  if (!g_hash_table_lookup_extended (dcaps->cpu_models, model, NULL,
                                     (gpointer *) &usable))
    return VR_SUPPORT_UNKNOWN;
  /* libvirt says "unknown" when it could not tell. */
  return support_from_string (usable);
}

const char *
vr_domain_caps_cpu_blockers (const VrDomainCaps *dcaps, const char *model)
{
  return g_hash_table_lookup (dcaps->cpu_blockers, model);
}
