/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "edit.h"

#include <libxml/xpathInternals.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "safe-xml.h"

static gboolean
invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error, const char *format, ...)
{
  va_list ap;
  g_autofree char *message = NULL;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s; the planned system is unchanged", message);
  return FALSE;
}

static void
note_unchanged (GError **error)
{
  char *message;

  if (error == NULL || *error == NULL)
    return;
  message = g_strdup_printf ("%s; the planned system is unchanged",
                             (*error)->message);
  g_free ((*error)->message);
  (*error)->message = message;
}

static void
record_xpath_error (void *data, xmlError *err)
{
  char **first = data;

  if (*first == NULL && err->message != NULL)
    *first = g_strchomp (g_utf8_make_valid (err->message, -1));
}

/* libxml2 would print a bad expression's error to stderr; we keep it. */
static xmlXPathObject *
eval (xmlDoc *doc, const char *xpath, GError **error)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autofree char *why = NULL;
  xmlXPathObject *obj;

  ctxt->error = record_xpath_error;
  ctxt->userData = &why;
  obj = xmlXPathEvalExpression ((const xmlChar *) xpath, ctxt);
  if (obj == NULL)
    invalid (error, "'%s' is not a valid XPath: %s", xpath,
             why ? why : "cannot evaluate it");
  return obj;
}

static int
selected_count (xmlXPathObject *obj)
{
  if (obj->type != XPATH_NODESET || obj->nodesetval == NULL)
    return 0;
  return obj->nodesetval->nodeNr;
}

/* The '=' that ends the XPath: the first one outside [..], (..) and
 * quotes, since predicates hold '=' of their own. */
static const char *
find_separator (const char *assignment)
{
  int depth = 0;
  char quote = 0;

  for (const char *p = assignment; *p; p++)
    {
      if (quote != 0)
        quote = *p == quote ? 0 : quote;
      else if (*p == '\'' || *p == '"')
        quote = *p;
      else if (*p == '[' || *p == '(')
        depth++;
      else if ((*p == ']' || *p == ')') && depth > 0)
        depth--;
      else if (*p == '=' && depth == 0)
        return p;
    }
  return NULL;
}

static gboolean
check_settable (xmlNode *node, const char *xpath, GError **error)
{
  if (node->type == XML_ATTRIBUTE_NODE)
    return TRUE;
  if (node->type != XML_ELEMENT_NODE)
    return invalid (error, "'%s' selects something that is neither an "
                    "element nor an attribute", xpath);
  for (xmlNode *c = node->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE)
      return invalid (error, "'%s' selects <%s>, which has child elements: "
                      "a set changes only text and attributes (replace "
                      "the whole XML to rewrite it)", xpath,
                      (const char *) node->name);
  return TRUE;
}

static void
set_node (xmlNode *node, const char *value)
{
  if (node->type == XML_ATTRIBUTE_NODE)
    {
      xmlSetNsProp (node->parent, node->ns, node->name,
                    (const xmlChar *) value);
      return;
    }
  xmlNodeSetContent (node, NULL);
  xmlNodeAddContent (node, (const xmlChar *) value);
}

static gboolean
is_name (const char *text)
{
  return xmlValidateNCName ((const xmlChar *) text, 0) == 0;
}

/* "ELEMENTS/@name" where the attribute is missing: add it. */
static gboolean
add_attribute (xmlDoc *doc, const char *xpath, const char *value,
               GError **error)
{
  const char *at = g_strrstr (xpath, "/@");
  g_autofree char *parent = at ? g_strndup (xpath, at - xpath) : NULL;
  g_autoptr (xmlXPathObject) obj = NULL;

  if (at == NULL || !is_name (at + 2) || *parent == '\0')
    return invalid (error, "'%s' selects nothing in the planned XML", xpath);
  obj = eval (doc, parent, error);
  if (obj == NULL)
    return FALSE;
  if (selected_count (obj) == 0)
    return invalid (error, "'%s' selects nothing in the planned XML", xpath);
  for (int i = 0; i < obj->nodesetval->nodeNr; i++)
    {
      xmlNode *node = obj->nodesetval->nodeTab[i];

      if (node->type != XML_ELEMENT_NODE)
        return invalid (error, "'%s' does not select elements", parent);
      xmlSetProp (node, (const xmlChar *) (at + 2), (const xmlChar *) value);
    }
  return TRUE;
}

gboolean
vr_xml_patch_set (xmlDoc *doc, const char *assignment, GError **error)
{
  const char *sep = find_separator (assignment);
  g_autofree char *xpath = sep ? g_strndup (assignment, sep - assignment)
                               : NULL;
  g_autoptr (xmlXPathObject) obj = NULL;

  if (xpath == NULL || *xpath == '\0')
    return invalid (error, "'%s' is not XPATH=VALUE", assignment);
  obj = eval (doc, xpath, error);
  if (obj == NULL)
    return FALSE;
  if (selected_count (obj) == 0)
    return add_attribute (doc, xpath, sep + 1, error);
  /* Every node checked before any is changed: setting an element's text
   * frees what it held, which the same XPath may also have selected
   * ("/domain/name | /domain/name/text()"); only elements without child
   * elements and attributes are left, none inside another. */
  for (int i = 0; i < obj->nodesetval->nodeNr; i++)
    if (!check_settable (obj->nodesetval->nodeTab[i], xpath, error))
      return FALSE;
  for (int i = 0; i < obj->nodesetval->nodeNr; i++)
    set_node (obj->nodesetval->nodeTab[i], sep + 1);
  return TRUE;
}

static gboolean
check_removable (xmlNode *node, const char *xpath, GError **error)
{
  if (node->type == XML_ATTRIBUTE_NODE || node->type == XML_TEXT_NODE
      || node->type == XML_COMMENT_NODE)
    return TRUE;
  if (node->type != XML_ELEMENT_NODE)
    return invalid (error, "'%s' selects something that cannot be removed",
                    xpath);
  if (node->parent == NULL || node->parent->type == XML_DOCUMENT_NODE)
    return invalid (error, "'%s' selects the top element", xpath);
  return TRUE;
}

gboolean
vr_xml_patch_remove (xmlDoc *doc, const char *xpath, GError **error)
{
  g_autoptr (xmlXPathObject) obj = eval (doc, xpath, error);
  xmlNodeSet *set;

  if (obj == NULL)
    return FALSE;
  if (selected_count (obj) == 0)
    return invalid (error, "'%s' selects nothing in the planned XML", xpath);
  set = obj->nodesetval;
  for (int i = 0; i < set->nodeNr; i++)
    if (!check_removable (set->nodeTab[i], xpath, error))
      return FALSE;
  /* All unlinked before any is freed: a node may be inside another. */
  for (int i = 0; i < set->nodeNr; i++)
    xmlUnlinkNode (set->nodeTab[i]);
  for (int i = 0; i < set->nodeNr; i++)
    xmlFreeNode (g_steal_pointer (&set->nodeTab[i]));
  set->nodeNr = 0;
  return TRUE;
}

typedef char *(*EditFunc) (VrPlannedSystem *system, gpointer data,
                           GError **error);

static gboolean
check_state (VrPlannedSystem *system, GError **error)
{
  VrPlannedState state = vr_planned_system_get_state (system);

  if (state == VR_PLANNED_STATE_PLANNED || state == VR_PLANNED_STATE_FAILED)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_STATE,
               "planned system '%s' is %s%s%s; only a planned (or failed) "
               "one can be edited", vr_planned_system_get_name (system),
               vr_planned_state_to_string (state),
               state == VR_PLANNED_STATE_REALIZED ? " as domain " : "",
               state == VR_PLANNED_STATE_REALIZED
                   ? vr_planned_system_get_domain (system) : "");
  return FALSE;
}

/* Under the planned system's lock, so that no realize reads it halfway;
 * the record is read again under it, as another process may have changed
 * it. */
static VrPlannedSystem *
edit_locked (VrStore *store, const char *key, EditFunc edit, gpointer data,
             GError **error)
{
  g_autoptr (VrPlannedSystem) found = vr_store_lookup (store, key, error);
  g_autoptr (VrStoreLock) lock = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *old = NULL;

  if (found == NULL)
    return NULL;
  lock = vr_store_lock (store, found, error);
  if (lock == NULL)
    return NULL;
  system = vr_store_lookup (store, vr_planned_system_get_uuid (found), error);
  if (system == NULL || !check_state (system, error))
    return NULL;
  xml = edit (system, data, error);
  old = vr_planned_system_dup_domain_xml (system);
  if (xml == NULL)
    return NULL;
  if (!vr_planned_system_set_domain_xml (system, xml, strlen (xml), error))
    {
      note_unchanged (error);
      return NULL;
    }
  vr_planned_system_note_author (system, getuid ());
  if (!vr_store_save (store, system, error))
    {
      vr_planned_system_set_domain_xml (system, old, strlen (old), NULL);
      return NULL;
    }
  return g_steal_pointer (&system);
}

typedef struct {
  const char *xml;
  gsize len;
} Replacement;

static char *
replace (VrPlannedSystem *system, gpointer data, GError **error)
{
  Replacement *r = data;
  g_autoptr (xmlDoc) doc = vr_xml_parse_buffer (r->xml, r->len,
                                                "new domain XML", "domain",
                                                error);

  if (doc == NULL)
    {
      note_unchanged (error);
      return NULL;
    }
  return vr_xml_to_string (doc);
}

VrPlannedSystem *
vr_edit_replace (VrStore *store, const char *key, const char *xml, gsize len,
                 GError **error)
{
  Replacement r = { xml, len };

  return edit_locked (store, key, replace, &r, error);
}

typedef struct {
  const char *const *sets;
  const char *const *removes;
} Patch;

static char *
patch (VrPlannedSystem *system, gpointer data, GError **error)
{
  Patch *p = data;
  g_autoptr (xmlDoc) doc = xmlCopyDoc (vr_planned_system_get_doc (system), 1);

  for (guint i = 0; p->sets && p->sets[i]; i++)
    if (!vr_xml_patch_set (doc, p->sets[i], error))
      return NULL;
  for (guint i = 0; p->removes && p->removes[i]; i++)
    if (!vr_xml_patch_remove (doc, p->removes[i], error))
      return NULL;
  return vr_xml_to_string (doc);
}

VrPlannedSystem *
vr_edit_patch (VrStore *store, const char *key, const char *const *sets,
               const char *const *removes, GError **error)
{
  Patch p = { sets, removes };

  return edit_locked (store, key, patch, &p, error);
}
