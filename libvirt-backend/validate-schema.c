/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's own schema, the check virt-xml-validate makes. */
#include "config.h"

#include <libxml/relaxng.h>

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
  g_thread_unref (g_thread_new ("vr-schema", preload_thread, NULL));
}

/* The import directory format names disks by relative path, which the
 * schema (absFilePath) refuses; realize makes them absolute, so the schema
 * sees them as they will be. The copy keeps line numbers. */
static xmlDoc *
with_absolute_disks (VrValidation *v)
{
  g_autoptr (xmlXPathObject) obj = vr_validation_select (
      v, "/domain/devices/disk/source/@file[not(starts-with(., '/'))]");
  xmlDoc *copy;
  g_autoptr (xmlXPathContext) ctxt = NULL;
  g_autoptr (xmlXPathObject) attrs = NULL;

  if (obj == NULL)
    return NULL;
  copy = xmlCopyDoc (v->doc, 1);
  ctxt = xmlXPathNewContext (copy);
  attrs = xmlXPathEvalExpression (
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

typedef struct {
  VrValidation *v;
  GString *pending; /* messages libxml2 gave without a node */
  guint count;
} Collector;

static void
record_validity_error (void *data, xmlError *err)
{
  Collector *c = data;
  g_autofree char *message = g_strchomp (g_strdup (err->message
                                                   ? err->message
                                                   : "invalid"));
  g_autofree char *hint = NULL;

  if (c->pending->len > 0)
    g_string_append (c->pending, "; ");
  g_string_append (c->pending, message);
  if (err->node == NULL || c->count++ >= MAX_SCHEMA_FINDINGS)
    return;
  hint = vr_validation_hint_edit (c->v);
  vr_validation_add (c->v, VR_FINDING_SCHEMA, err->node, hint,
                     "libvirt's schema refuses this: %s", c->pending->str);
  g_string_truncate (c->pending, 0);
}

/* libxml2 gives the node of the copy; the same path and line hold in the
 * original, which is what findings name. */
static void
validate_doc (VrValidation *v, xmlRelaxNG *schema, xmlDoc *doc)
{
  xmlRelaxNGValidCtxt *ctxt = xmlRelaxNGNewValidCtxt (schema);
  Collector c = { v, g_string_new (NULL), 0 };
  g_autofree char *hint = NULL;

  xmlRelaxNGSetValidStructuredErrors (ctxt, record_validity_error, &c);
  if (xmlRelaxNGValidateDoc (ctxt, doc) != 0 && c.count == 0)
    {
      hint = vr_validation_hint_edit (v);
      vr_validation_add (v, VR_FINDING_SCHEMA, NULL, hint,
                         "libvirt's schema refuses this XML: %s",
                         c.pending->len ? c.pending->str : "invalid");
    }
  if (c.count > MAX_SCHEMA_FINDINGS)
    vr_validation_add (v, VR_FINDING_SCHEMA, NULL, NULL,
                       "%u more schema errors not shown (run "
                       "virt-xml-validate for all of them)",
                       c.count - MAX_SCHEMA_FINDINGS);
  xmlRelaxNGFreeValidCtxt (ctxt);
  g_string_free (c.pending, TRUE);
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
  copy = with_absolute_disks (v);
  validate_doc (v, s->schema, copy ? copy : v->doc);
}
