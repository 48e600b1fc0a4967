/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "validate.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "caller-access.h"
#include "domain-bounds.h"
#include "domain-xml.h"
#include "errors.h"
#include "safe-xml.h"
#include "validate-private.h"

xmlXPathObject *
vr_validation_select (VrValidation *v, const char *expr)
{
  xmlXPathObject *obj = xmlXPathEvalExpression ((const xmlChar *) expr,
                                                v->xpath);

  if (obj != NULL && obj->type == XPATH_NODESET && obj->nodesetval != NULL
      && obj->nodesetval->nodeNr > 0)
    return obj;
  xmlXPathFreeObject (obj);
  return NULL;
}

xmlNode *
vr_validation_node (VrValidation *v, const char *expr)
{
  g_autoptr (xmlXPathObject) obj = vr_validation_select (v, expr);

  return obj ? obj->nodesetval->nodeTab[0] : NULL;
}

xmlNode *
vr_validation_attr_node (VrValidation *v, const char *element,
                         const char *attr)
{
  g_autofree char *expr = g_strdup_printf ("%s/@%s", element, attr);
  xmlNode *node = vr_validation_node (v, expr);

  return node ? node : vr_validation_node (v, element);
}

static char *
string_value (xmlXPathContext *ctxt, const char *expr)
{
  g_autoptr (xmlXPathObject) obj = xmlXPathEvalExpression (
      (const xmlChar *) expr, ctxt);

  if (obj == NULL || obj->type != XPATH_STRING || obj->stringval == NULL
      || obj->stringval[0] == '\0')
    return NULL;
  return g_strdup ((const char *) obj->stringval);
}

char *
vr_validation_string (VrValidation *v, const char *expr)
{
  v->xpath->node = NULL;
  return string_value (v->xpath, expr);
}

char *
vr_node_string (xmlNode *node, const char *expr)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (node->doc);

  ctxt->node = node;
  return string_value (ctxt, expr);
}

xmlNode *
vr_node_find (xmlNode *node, const char *expr)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (node->doc);
  g_autoptr (xmlXPathObject) obj = NULL;

  ctxt->node = node;
  obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctxt);
  if (obj == NULL || obj->type != XPATH_NODESET || obj->nodesetval == NULL
      || obj->nodesetval->nodeNr == 0)
    return NULL;
  return obj->nodesetval->nodeTab[0];
}

xmlNode *
vr_node_child (xmlNode *node, const char *name)
{
  for (xmlNode *c = node ? node->children : NULL; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE
        && g_str_equal ((const char *) c->name, name))
      return c;
  return NULL;
}

xmlNode *
vr_doc_element (xmlDoc *doc, ...)
{
  xmlNode *node = xmlDocGetRootElement (doc);
  const char *name;
  va_list ap;

  va_start (ap, doc);
  while (node != NULL && (name = va_arg (ap, const char *)) != NULL)
    node = vr_node_child (node, name);
  va_end (ap);
  return node;
}

char *
vr_node_attr (xmlNode *node, const char *name)
{
  xmlChar *value = node ? xmlGetProp (node, (const xmlChar *) name) : NULL;
  char *copy = value && *value ? g_strdup ((const char *) value) : NULL;

  xmlFree (value);
  return copy;
}

char *
vr_node_text (xmlNode *node)
{
  xmlChar *value = node ? xmlNodeGetContent (node) : NULL;
  char *copy = g_strstrip (g_strdup (value ? (const char *) value : ""));

  xmlFree (value);
  if (*copy == '\0')
    g_clear_pointer (&copy, g_free);
  return copy;
}

char *
vr_node_xpath (xmlNode *node)
{
  xmlChar *path = xmlGetNodePath (node);
  char *copy = g_strdup ((const char *) path);

  xmlFree (path);
  return copy;
}

char *
vr_node_to_xml (xmlNode *node)
{
  xmlBuffer *buf = xmlBufferCreate ();
  char *xml;

  xmlNodeDump (buf, node->doc, node, 0, 0);
  xml = g_strdup ((const char *) xmlBufferContent (buf));
  xmlBufferFree (buf);
  return xml;
}

VrFinding *
vr_validation_add (VrValidation *v, const char *id, xmlNode *node,
                   const char *hint, const char *format, ...)
{
  g_autofree char *message = NULL;
  g_autofree char *source = node ? vr_node_xpath (node) : g_strdup ("/domain");
  xmlNode *element = node && node->type == XML_ATTRIBUTE_NODE ? node->parent
                                                              : node;
  VrFinding *finding;
  VrFindingFix *fix;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  finding = vr_findings_add (v->findings, id, source, hint, "%s", message);
  if (element != NULL)
    finding->line = (int) xmlGetLineNo (element);
  fix = hint && v->fixes ? g_hash_table_lookup (v->fixes, hint) : NULL;
  if (fix != NULL)
    vr_finding_set_fix (finding, fix->xpath, fix->value);
  return finding;
}

void
vr_validation_agree (VrValidation *v, VrFinding *finding)
{
  for (guint i = 0; i < v->findings->len; i++)
    {
      VrFinding *other = v->findings->pdata[i];

      if (other == finding || finding->source == NULL
          || g_strcmp0 (other->source, finding->source) != 0
          || g_strcmp0 (other->hint, finding->hint) == 0)
        continue;
      g_free (other->hint);
      other->hint = g_strdup (finding->hint);
      vr_finding_set_fix (other, finding->fix ? finding->fix->xpath : NULL,
                          finding->fix ? finding->fix->value : NULL);
    }
}

void
vr_validation_skip (VrValidation *v, const char *what)
{
  for (guint i = 0; i < v->skipped->len; i++)
    if (g_str_equal (v->skipped->pdata[i], what))
      return;
  g_ptr_array_add (v->skipped, g_strdup (what));
}

/* Hints say what to change in words any front end can show (a D-Bus
 * client shows them verbatim): no command line. The one edit that fixes
 * a finding travels beside it as data (VrFindingFix), which each front
 * end renders its own way (the CLI as an `edit` command, cli/hint.c). */

/* The hint, remembered as the text of that fix (value NULL: a removal). */
static char *
remember_fix (VrValidation *v, char *hint, const char *xpath,
              const char *value)
{
  if (v->fixes == NULL)
    v->fixes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) vr_finding_fix_free);
  g_hash_table_replace (v->fixes, g_strdup (hint),
                        vr_finding_fix_new (xpath, value));
  return hint;
}

char *
vr_validation_hint_set_example (VrValidation *v, const char *xpath,
                                const char *example)
{
  if (v->system == NULL)
    return g_strdup_printf ("set %s to '%s' in %s", xpath, example, v->file);
  return g_strdup_printf ("set %s to '%s' in the planned XML", xpath,
                          example);
}

char *
vr_validation_hint_set (VrValidation *v, const char *xpath, const char *value)
{
  return remember_fix (v, vr_validation_hint_set_example (v, xpath, value),
                       xpath, value);
}

char *
vr_validation_hint_saved (VrValidation *v, const char *xpath,
                          const char *value)
{
  g_autofree char *set = vr_validation_hint_set (v, xpath, value);

  return remember_fix (v, g_strdup_printf ("the saved state's value, the "
                                           "only one it resumes with: %s",
                                           set),
                       xpath, value);
}

char *
vr_validation_hint_remove (VrValidation *v, const char *xpath)
{
  return remember_fix (v, g_strdup_printf ("remove %s from %s", xpath,
                                           v->system ? "the planned XML"
                                                     : v->file),
                       xpath, NULL);
}

char *
vr_validation_hint_edit (VrValidation *v)
{
  if (v->system == NULL)
    return g_strdup_printf ("edit %s", v->file);
  return g_strdup ("change the planned XML as a whole (its text, replaced "
                   "in one edit)");
}

char *
vr_validation_hint_afresh (VrValidation *v, const char *keep,
                           const char *set)
{
  if (v->save_file == NULL || !v->check_save)
    return g_strdup (set);
  if (v->system == NULL)
    return g_strdup_printf ("%s; only if its saved state may be lost (the "
                            "guest then boots afresh): import it without "
                            "its saved state, then %s", keep, set);
  return g_strdup_printf ("%s; only if its saved state may be lost (the "
                          "guest then boots afresh): destroy this planned "
                          "system, import %s again without its saved "
                          "state, then %s", keep,
                          vr_planned_system_get_import_dir (v->system), set);
}

char *
vr_validation_moved_dir_hint (VrValidation *v)
{
  const char *path;

  if (v->dir != NULL || v->system == NULL)
    return NULL;
  path = vr_planned_system_get_import_dir (v->system);
  return g_strdup_printf ("put the import directory back at %s (or "
                          "re-import it from where it is now: destroy this "
                          "planned system, then import the directory from "
                          "its new place); its saved state is the guest's "
                          "memory", path);
}

static void
validation_clear (VrValidation *v)
{
  g_clear_pointer (&v->xpath, xmlXPathFreeContext);
  g_free (v->name);
  g_free (v->uuid);
  g_free (v->virttype);
  g_free (v->arch);
  g_free (v->emulator);
  g_free (v->machine);
  g_clear_pointer (&v->findings, g_ptr_array_unref);
  g_clear_pointer (&v->skipped, g_ptr_array_unref);
  g_clear_pointer (&v->kept, g_ptr_array_unref);
  g_clear_pointer (&v->fixes, g_hash_table_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VrValidation, validation_clear)

/* A connection to another machine (-c qemu+tcp://HOST/…, --host) already
 * is the one to the host that will run the guest: what it cannot answer
 * is that host's files and its local libvirt, not seen from here. */
static void
report_skipped_remote (VrValidation *v, const char *list)
{
  virConnectPtr conn = vr_host_caps_get_connection (v->caps);
  g_autofree char *uri = conn ? virConnectGetURI (conn) : NULL;
  const char *name = uri ? uri : "this connection";

  vr_findings_add (v->findings, VR_FINDING_SKIPPED, NULL,
                   "nothing to change for this connection: these checks "
                   "run only in a validate on that host itself, on its "
                   "local connection (e.g. qemu:///system), for a "
                   "complete report",
                   "validated against %s, another machine: these checks "
                   "need its files or its local libvirt and were skipped: "
                   "%s",
                   name, list);
}

static void
report_skipped (VrValidation *v)
{
  g_autofree char *list = NULL;

  if (v->skipped->len == 0)
    return;
  g_ptr_array_add (v->skipped, NULL);
  list = g_strjoinv (", ", (char **) v->skipped->pdata);
  if (!vr_host_caps_is_local (v->caps))
    {
      report_skipped_remote (v, list);
      return;
    }
  vr_findings_add (v->findings, VR_FINDING_SKIPPED, NULL,
                   "validate on a connection to the host that will run the "
                   "guest (e.g. qemu:///system) for a complete report",
                   "the %s driver of this connection cannot answer these "
                   "checks, which were skipped: %s",
                   vr_host_caps_get_driver (v->caps), list);
}

/* A planned system or an import directory has a name and a UUID (import
 * checked them); a bare FILE.xml is checked like any other XML without
 * them, the schema naming what is malformed, and realize's need noted. */
static gboolean
identify (VrValidation *v, const char *display_name, GError **error)
{
  g_autofree char *uuid = NULL;

  if (v->check_save)
    return vr_domain_xml_get_identity (v->doc, display_name, &v->name,
                                       &v->uuid, error);
  v->name = vr_validation_string (v, "string(/domain/name)");
  uuid = vr_validation_string (v, "string(/domain/uuid)");
  v->uuid = uuid ? vr_uuid_normalize (uuid) : NULL;
  if (uuid == NULL)
    vr_findings_add (v->findings, VR_FINDING_NO_UUID, "/domain", NULL,
                     "%s has no /domain/uuid: its checks ran, but realize "
                     "needs the VM's own UUID (export the domain with virsh "
                     "dumpxml --inactive, or import its directory)",
                     display_name);
  return TRUE;
}

/* A planned system realized already fits no better than realize lets
 * it: the same check as realize's refusal (32775), said first. A record
 * saying "realizing" is left out: it is a running realize (which holds
 * the system) or one that died, which the next realize ends first. */
static void
check_realizable (VrValidation *v)
{
  g_autofree char *what_to_do = NULL;
  g_autofree char *why = NULL;

  if (v->system == NULL
      || vr_planned_system_get_state (v->system)
             == VR_PLANNED_STATE_REALIZING)
    return;
  why = vr_planned_system_not_realizable (v->system, &what_to_do);
  if (why != NULL)
    vr_findings_add (v->findings, VR_FINDING_REALIZED, NULL, what_to_do,
                     "%s: realize refuses it", why);
}

static GPtrArray *
run (VrValidation *v, const char *display_name, GError **error)
{
  v->xpath = xmlXPathNewContext (v->doc);
  v->findings = vr_findings_new ();
  v->skipped = g_ptr_array_new_with_free_func (g_free);
  v->kept = g_ptr_array_new_with_free_func (g_free);
  /* Before any check: their work grows with the XML (seventh review F4). */
  if (!vr_domain_bounds_check (v->doc, display_name, error)
      || !identify (v, display_name, error))
    return NULL;
  check_realizable (v);
  vr_validate_schema (v);
  vr_validate_platform (v);
  vr_validate_resources (v);
  vr_validate_cpu (v);
  vr_validate_devices (v);
  vr_validate_firmware (v);
  vr_validate_references (v);
  vr_validate_conflicts (v);
  vr_validate_targets (v);
  vr_validate_saved_state (v);
  vr_validate_host_access_run (v);
  report_skipped (v);
  return g_steal_pointer (&v->findings);
}

/* Only the directory's fd and path: a planned system's import directory
 * is read for its disks and save image, and what is wrong with them
 * becomes a finding, not a failure to open. */
static VrImportDir *
open_dir_lenient (const char *path)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return NULL;
  return vr_import_dir_new_unread (fd, path);
}

/* The functions without options: the caller's own run in-process. */
static const VrValidateOptions in_process = { .host_access_allowed = TRUE };

VrImportDir *
vr_validation_open_dir (const char *path)
{
  return open_dir_lenient (path);
}

GPtrArray *
vr_validate_planned (VrHostCaps *caps, VrStore *store,
                     VrPlannedSystem *system, GError **error)
{
  return vr_validate_planned_with (caps, store, system, &in_process, error);
}

GPtrArray *
vr_validate_planned_with (VrHostCaps *caps, VrStore *store,
                          VrPlannedSystem *system,
                          const VrValidateOptions *options, GError **error)
{
  g_auto (VrValidation) v = { 0 };
  g_autoptr (VrImportDir) dir = NULL;
  g_autofree char *display_name = g_strdup_printf (
      "planned system '%s'", vr_planned_system_get_name (system));

  if (options == NULL || options->import_dir == NULL)
    dir = open_dir_lenient (vr_planned_system_get_import_dir (system));
  /* Read by path (below the agent's trusted folders): each file still
   * only as its caller could read it. */
  if (dir != NULL && options != NULL && options->caller_known)
    {
      g_autoptr (VrCaller) caller = vr_caller_new (options->caller_uid);

      vr_import_dir_set_caller (dir, caller);
    }

  v.caps = caps;
  v.store = store;
  v.system = system;
  v.doc = vr_planned_system_get_doc (system);
  v.dir = options != NULL && options->import_dir != NULL
              ? options->import_dir
              : dir;
  v.save_file = vr_planned_system_get_save_file (system);
  v.check_save = TRUE;
  if (options != NULL)
    v.options = *options;
  return run (&v, display_name, error);
}

GPtrArray *
vr_validate_import_dir (VrHostCaps *caps, VrStore *store, VrImportDir *dir,
                        GError **error)
{
  return vr_validate_import_dir_with (caps, store, dir, &in_process, error);
}

GPtrArray *
vr_validate_import_dir_with (VrHostCaps *caps, VrStore *store,
                             VrImportDir *dir,
                             const VrValidateOptions *options,
                             GError **error)
{
  g_auto (VrValidation) v = { 0 };
  g_autofree char *file = vr_import_dir_describe (dir, VR_IMPORT_DOMAIN_XML);

  v.caps = caps;
  v.store = store;
  v.doc = dir->doc;
  v.file = file;
  v.dir = dir;
  v.save_file = dir->save_file;
  v.check_save = TRUE;
  if (options != NULL)
    v.options = *options;
  return run (&v, file, error);
}

static xmlDoc *
read_file (const char *path, GError **error)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  xmlDoc *doc;

  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open %s", path);
      return NULL;
    }
  doc = vr_xml_parse_fd (fd, path, VR_XML_MAX_SIZE, "domain", error);
  close (fd);
  return doc;
}

GPtrArray *
vr_validate_file (VrHostCaps *caps, VrStore *store, const char *path,
                  GError **error)
{
  return vr_validate_file_with (caps, store, path, &in_process, error);
}

GPtrArray *
vr_validate_file_with (VrHostCaps *caps, VrStore *store, const char *path,
                       const VrValidateOptions *options, GError **error)
{
  g_auto (VrValidation) v = { 0 };
  g_autoptr (xmlDoc) doc = read_file (path, error);
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  g_autofree char *parent = g_path_get_dirname (absolute);
  g_autoptr (VrImportDir) dir = NULL;

  if (doc == NULL)
    return NULL;
  dir = open_dir_lenient (parent);
  v.caps = caps;
  v.store = store;
  v.doc = doc;
  v.file = path;
  v.dir = dir;
  if (options != NULL)
    v.options = *options;
  return run (&v, path, error);
}

GPtrArray *
vr_validate_file_fd_with (VrHostCaps *caps, VrStore *store, int fd,
                          const char *display_name,
                          const VrValidateOptions *options, GError **error)
{
  g_auto (VrValidation) v = { 0 };
  g_autoptr (xmlDoc) doc = vr_xml_parse_fd (fd, display_name,
                                            VR_XML_MAX_SIZE, "domain", error);

  if (doc == NULL)
    return NULL;
  v.caps = caps;
  v.store = store;
  v.doc = doc;
  v.file = display_name;
  if (options != NULL)
    v.options = *options;
  return run (&v, display_name, error);
}
