/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's own schema, the check virt-xml-validate makes. */
#include "config.h"

#include <libxml/relaxng.h>
#include <string.h>

#include "safe-xml.h"
#include "validate-private.h"
#include "validate.h"

#define SCHEMA_PATH VR_LIBVIRT_SCHEMAS_DIR "/domain.rng"
/* A broken document can make libxml2 report an error per element; the
 * first few say where to look. */
#define MAX_SCHEMA_FINDINGS 20

typedef struct {
  xmlRelaxNG *schema; /* NULL when it could not be loaded */
  char *error;        /* why, then */
} Schema;

static void
record_parse_error (void *data, xmlError *err)
{
  char **first = data;

  if (*first == NULL && err->level >= XML_ERR_ERROR && err->message)
    *first = g_strchomp (g_strdup_printf ("%s:%d: %s", err->file
                                          ? err->file : SCHEMA_PATH,
                                          err->line, err->message));
}

/* Parsed once per process and kept: it costs far more than a validation,
 * and a parsed schema serves any number of validation contexts. */
static gpointer
load_schema (gpointer data)
{
  Schema *s = g_new0 (Schema, 1);
  xmlRelaxNGParserCtxt *ctxt = xmlRelaxNGNewParserCtxt (SCHEMA_PATH);

  if (ctxt == NULL)
    {
      s->error = g_strdup ("cannot allocate a schema parser");
      return s;
    }
  xmlRelaxNGSetParserStructuredErrors (ctxt, record_parse_error, &s->error);
  s->schema = xmlRelaxNGParse (ctxt);
  xmlRelaxNGFreeParserCtxt (ctxt);
  if (s->schema == NULL && s->error == NULL)
    s->error = g_strdup_printf ("%s: cannot be parsed", SCHEMA_PATH);
  return s;
}

static GOnce schema_once = G_ONCE_INIT;

static const Schema *
get_schema (void)
{
  return g_once (&schema_once, load_schema, NULL);
}

static gpointer
preload_thread (gpointer data)
{
  get_schema ();
  return NULL;
}

void
vr_validate_preload (void)
{
  /* libxml2 2.9 must be initialized before threads use it. */
  xmlInitParser ();
  g_thread_unref (g_thread_new ("vr-schema", preload_thread, NULL));
}

/* libxml2 rewires a node list while it validates an interleave, so the
 * schema sees a private copy: never the document other threads read.
 * The import directory format names disks by relative path, which the
 * schema (absFilePath) refuses; realize makes them absolute, so in the
 * copy they are as they will be. The copy keeps line numbers. */
static xmlDoc *
copy_for_schema (VrValidation *v)
{
  xmlDoc *copy = xmlCopyDoc (v->doc, 1);
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (copy);
  g_autoptr (xmlXPathObject) attrs = xmlXPathEvalExpression (
      (const xmlChar *) "/domain/devices/disk/source/@file"
                        "[not(starts-with(., '/'))]", ctxt);

  for (int i = 0; attrs && attrs->nodesetval
                  && i < attrs->nodesetval->nodeNr; i++)
    {
      xmlAttr *attr = (xmlAttr *) attrs->nodesetval->nodeTab[i];
      xmlChar *rel = xmlNodeGetContent ((xmlNode *) attr);
      g_autofree char *abs = g_build_filename (
          v->dir ? v->dir->path : "/import-dir", (const char *) rel, NULL);

      xmlSetProp (attr->parent, attr->name, (const xmlChar *) abs);
      xmlFree (rel);
    }
  return copy;
}

/* What libxml2 said, one entry per node it named; messages it gave
 * without a node go with the next one. */
typedef struct {
  GPtrArray *nodes;    /* of xmlNode, in the validated copy */
  GPtrArray *messages; /* of char *, one per node */
  GString *pending;
} Collector;

static void
collect_error (void *data, xmlError *err)
{
  Collector *c = data;
  /* As safe-xml: libxml2's text may quote input cut inside a UTF-8
   * character, and findings go out on D-Bus and as JSON. */
  g_autofree char *message = g_strchomp (g_utf8_make_valid (
      err->message ? err->message : "invalid", -1));

  if (c->pending->len > 0)
    g_string_append (c->pending, "; ");
  g_string_append (c->pending, message);
  if (err->node == NULL)
    return;
  g_ptr_array_add (c->nodes, err->node);
  g_ptr_array_add (c->messages, g_strdup (c->pending->str));
  g_string_truncate (c->pending, 0);
}

static void
collector_clear (Collector *c)
{
  g_ptr_array_unref (c->nodes);
  g_ptr_array_unref (c->messages);
  g_string_free (c->pending, TRUE);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Collector, collector_clear)

static void
ignore_error (void *data, xmlError *err)
{
}

/* Schema runs in this process (vr_validate_schema_runs). */
static gint schema_runs;

guint
vr_validate_schema_runs (void)
{
  return (guint) g_atomic_int_get (&schema_runs);
}

static gboolean
is_valid (xmlRelaxNG *schema, xmlDoc *doc)
{
  xmlRelaxNGValidCtxt *ctxt = xmlRelaxNGNewValidCtxt (schema);
  int result;

  g_atomic_int_inc (&schema_runs);
  xmlRelaxNGSetValidStructuredErrors (ctxt, ignore_error, NULL);
  result = xmlRelaxNGValidateDoc (ctxt, doc);
  xmlRelaxNGFreeValidCtxt (ctxt);
  return result == 0;
}

/* The search for the element to blame revalidates the whole document per
 * try: a caller's XML with thousands of devices made that quadratic, tens
 * of seconds of root's CPU per call (F6 of the blind review). So it has a
 * budget of runs, halves long child lists instead of trying each, is left
 * out for large documents (libxml2's own words are reported then) and
 * stops when the caller is gone. */
#define CULPRIT_RUNS 32
#define CULPRIT_MAX_ELEMENTS 1024
/* Up to this many children are tried one by one (the domain's own
 * children: removing half of them removes required ones too). */
#define CULPRIT_LINEAR 16

typedef struct {
  xmlRelaxNG *schema;
  xmlDoc *doc;
  guint left;              /* runs left */
  GCancellable *cancellable;
} Search;

/* Whether the document is valid without the siblings first..last (with
 * whatever lies between), which are put back where they were. FALSE too
 * when the budget is spent. */
static gboolean
valid_without (Search *s, xmlNode *first, xmlNode *last)
{
  xmlNode *parent = first->parent;
  xmlNode *after = first->type == XML_ELEMENT_NODE ? last->next : NULL;
  g_autoptr (GPtrArray) taken = g_ptr_array_new ();
  gboolean valid;

  if (s->left == 0 || g_cancellable_is_cancelled (s->cancellable))
    return FALSE;
  s->left--;
  for (xmlNode *n = first, *next; n != NULL; n = next)
    {
      next = n == last ? NULL : n->next;
      xmlUnlinkNode (n);
      g_ptr_array_add (taken, n);
    }
  valid = is_valid (s->schema, s->doc);
  for (guint i = 0; i < taken->len; i++)
    if (after != NULL)
      xmlAddPrevSibling (after, taken->pdata[i]);
    else
      xmlAddChild (parent, taken->pdata[i]);
  return valid;
}

/* Of many children, one whose removal makes the document valid, by
 * halving: O(log n) runs; NULL when no single half is to blame. */
static xmlNode *
bisect (Search *s, GPtrArray *children)
{
  guint lo = 0;
  guint hi = children->len;

  while (hi - lo > 1)
    {
      guint mid = lo + (hi - lo) / 2;

      if (valid_without (s, children->pdata[lo], children->pdata[mid - 1]))
        hi = mid;
      else if (valid_without (s, children->pdata[mid],
                              children->pdata[hi - 1]))
        lo = mid;
      else
        return NULL;
    }
  return children->pdata[lo];
}

/* libxml2 blames an interleave's parent (often the whole domain) for an
 * error deep inside it. The smallest element or attribute whose removal
 * makes the document valid is where the error is; NULL when no single one
 * is to blame (or the budget ran out first). Runs only on invalid
 * documents. */
static xmlNode *
find_culprit (Search *s, xmlNode *node)
{
  g_autoptr (GPtrArray) attrs = g_ptr_array_new ();
  g_autoptr (GPtrArray) children = g_ptr_array_new ();
  xmlNode *culprit = NULL;
  xmlNode *deeper;

  /* Put back, an attribute goes last: walk a list made beforehand. */
  for (xmlAttr *a = node->properties; a; a = a->next)
    g_ptr_array_add (attrs, a);
  for (guint i = 0; i < attrs->len; i++)
    if (valid_without (s, attrs->pdata[i], attrs->pdata[i]))
      return attrs->pdata[i];
  for (xmlNode *c = node->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE)
      g_ptr_array_add (children, c);
  if (children->len > CULPRIT_LINEAR)
    culprit = bisect (s, children);
  for (guint i = 0; children->len <= CULPRIT_LINEAR && i < children->len;
       i++)
    if (valid_without (s, children->pdata[i], children->pdata[i]))
      {
        culprit = children->pdata[i];
        break;
      }
  if (culprit == NULL)
    return NULL;
  deeper = find_culprit (s, culprit);
  return deeper ? deeper : culprit;
}

static gboolean
larger_than (xmlNode *node, guint *left)
{
  for (xmlNode *c = node->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE
        && (*left == 0 || (--*left, larger_than (c, left))))
      return TRUE;
  return FALSE;
}

static char *
schema_hint (VrValidation *v)
{
  g_autofree char *edit = vr_validation_hint_edit (v);

  return g_strdup_printf ("see libvirt's format (https://libvirt.org/"
                          "formatdomain.html), then %s", edit);
}

static void
report_culprit (VrValidation *v, xmlNode *culprit, Collector *c)
{
  g_autofree char *hint = schema_hint (v);
  g_autofree char *said = NULL;

  if (c->pending->len > 0)
    g_ptr_array_add (c->messages, g_strdup (c->pending->str));
  g_ptr_array_add (c->messages, NULL);
  said = g_strjoinv ("; ", (char **) c->messages->pdata);
  if (culprit->type == XML_ATTRIBUTE_NODE)
    vr_validation_add (v, VR_FINDING_SCHEMA, culprit, hint,
                       "libvirt's schema refuses the attribute %s of <%s> "
                       "(libxml2: %s)", (const char *) culprit->name,
                       (const char *) culprit->parent->name, said);
  else
    vr_validation_add (v, VR_FINDING_SCHEMA, culprit, hint,
                       "libvirt's schema refuses the element <%s> or "
                       "something in it (libxml2: %s)",
                       (const char *) culprit->name, said);
}

/* An error at an ancestor of another error's node only echoes it. */
static gboolean
is_echo (Collector *c, xmlNode *node)
{
  for (guint i = 0; i < c->nodes->len; i++)
    for (xmlNode *up = ((xmlNode *) c->nodes->pdata[i])->parent; up;
         up = up->parent)
      if (up == node)
        return TRUE;
  return FALSE;
}

/* What libxml2 said, as it said it. */
static void
report_collected (VrValidation *v, Collector *c)
{
  g_autofree char *hint = schema_hint (v);
  guint shown = 0;

  for (guint i = 0; i < c->nodes->len; i++)
    {
      if (is_echo (c, c->nodes->pdata[i]))
        continue;
      if (shown++ == MAX_SCHEMA_FINDINGS)
        {
          vr_validation_add (v, VR_FINDING_SCHEMA, NULL, NULL,
                             "more schema errors are not shown "
                             "(virt-xml-validate lists them all)");
          return;
        }
      vr_validation_add (v, VR_FINDING_SCHEMA, c->nodes->pdata[i], hint,
                         "libvirt's schema refuses this: %s",
                         (const char *) c->messages->pdata[i]);
    }
  if (shown == 0)
    vr_validation_add (v, VR_FINDING_SCHEMA, NULL, hint,
                       "libvirt's schema refuses this: %s",
                       c->pending->len ? c->pending->str : "invalid");
}

/* libxml2 gives nodes of the copy; the same paths and lines hold in the
 * original, which is what findings name. */
static void
validate_doc (VrValidation *v, xmlRelaxNG *schema, xmlDoc *doc)
{
  xmlRelaxNGValidCtxt *ctxt = xmlRelaxNGNewValidCtxt (schema);
  g_auto (Collector) c = {
    g_ptr_array_new (), g_ptr_array_new_with_free_func (g_free),
    g_string_new (NULL)
  };
  Search search = { schema, doc, CULPRIT_RUNS, v->options.cancellable };
  guint elements = CULPRIT_MAX_ELEMENTS;
  xmlNode *culprit = NULL;
  int result;

  xmlRelaxNGSetValidStructuredErrors (ctxt, collect_error, &c);
  g_atomic_int_inc (&schema_runs);
  result = xmlRelaxNGValidateDoc (ctxt, doc);
  xmlRelaxNGFreeValidCtxt (ctxt);
  if (result == 0)
    return;
  if (!larger_than (xmlDocGetRootElement (doc), &elements))
    culprit = find_culprit (&search, xmlDocGetRootElement (doc));
  if (culprit != NULL)
    report_culprit (v, culprit, &c);
  else
    report_collected (v, &c);
}

void
vr_validate_schema (VrValidation *v)
{
  const Schema *s = get_schema ();
  g_autoptr (xmlDoc) copy = NULL;

  if (s->schema == NULL)
    {
      vr_findings_add (v->findings, VR_FINDING_NO_SCHEMA, SCHEMA_PATH,
                       "install libvirt's schemas (Debian: "
                       "libvirt-daemon-system, libvirt-clients)",
                       "libvirt's domain schema was not checked: %s",
                       s->error);
      return;
    }
  copy = copy_for_schema (v);
  validate_doc (v, s->schema, copy);
}
