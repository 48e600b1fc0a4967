/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "safe-xml.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlsave.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"

/* Attributes and namespace declarations of one element. */
#define MAX_ATTRIBUTES 64
/* '=' signs in one document (an upper bound of its attributes). */
#define MAX_EQUALS 32768

typedef struct {
  gboolean saw_doctype;
  guint elements;     /* started so far */
  guint max_elements; /* past it the parse stops */
  int attributes;     /* of the element past MAX_ATTRIBUTES, else 0 */
  startElementNsSAX2Func start_element; /* libxml2's own */
  commentSAXFunc comment;                        /* libxml2's own */
  processingInstructionSAXFunc processing;       /* libxml2's own */
  int line;
  char *element; /* the element open when the first error struck */
  char *message;
} ParseGuard;

/* Refusing the DOCTYPE as soon as the parser meets it stops entity
 * expansion attacks (billion laughs) and external entities (XXE) before a
 * single entity is declared; libvirt's own XML never carries one. */
static void
refuse_doctype (void *ctx, const xmlChar *name, const xmlChar *external_id,
                const xmlChar *system_id)
{
  xmlParserCtxt *ctxt = ctx;
  ParseGuard *guard = ctxt->_private;

  guard->saw_doctype = TRUE;
  xmlStopParser (ctxt);
}

/* Comments and processing instructions are nodes of the tree too, and
 * count as elements: 4 MiB of '<?a?>' made 840,000 nodes, 100 MB of
 * root's agent for each snapshot file of an import (nineteenth review,
 * F2). */
static gboolean
count_node (xmlParserCtxt *ctxt)
{
  ParseGuard *guard = ctxt->_private;

  if (++guard->elements > guard->max_elements)
    {
      xmlStopParser (ctxt);
      return FALSE;
    }
  return TRUE;
}

static void
count_comment (void *ctx, const xmlChar *value)
{
  ParseGuard *guard = ((xmlParserCtxt *) ctx)->_private;

  if (count_node (ctx))
    guard->comment (ctx, value);
}

static void
count_processing (void *ctx, const xmlChar *target, const xmlChar *data)
{
  ParseGuard *guard = ((xmlParserCtxt *) ctx)->_private;

  if (count_node (ctx))
    guard->processing (ctx, target, data);
}

/* Every distinct element name goes into libxml2's dictionary, whose
 * lookups grow worse than linearly: 200,000 names in 2 MB of metadata
 * took a second to parse, for each planned system at each agent start
 * (seventh review F3). The parse stops at the bound instead. */
static void
count_element (void *ctx, const xmlChar *localname, const xmlChar *prefix,
               const xmlChar *uri, int nb_namespaces,
               const xmlChar **namespaces, int nb_attributes,
               int nb_defaulted, const xmlChar **attributes)
{
  xmlParserCtxt *ctxt = ctx;
  ParseGuard *guard = ctxt->_private;

  if (!count_node (ctxt))
    return;
  /* libxml2 appends each attribute by walking the element's list: an
   * element with 330,000 of them kept root's agent busy for minutes
   * (eleventh review, F6). No element of libvirt's has a tenth of the
   * bound. */
  if (nb_attributes + nb_namespaces > MAX_ATTRIBUTES)
    {
      guard->attributes = nb_attributes + nb_namespaces;
      xmlStopParser (ctxt);
      return;
    }
  guard->start_element (ctx, localname, prefix, uri, nb_namespaces,
                        namespaces, nb_attributes, nb_defaulted, attributes);
}

static void
record_error (void *user_data, xmlError *err)
{
  xmlParserCtxt *ctxt = user_data;
  ParseGuard *guard = ctxt->_private;

  if (guard->message != NULL || err->level < XML_ERR_ERROR)
    return;
  guard->line = err->line;
  /* libxml2 quotes the input around the error cut at a byte count, which
   * may split a UTF-8 character: the message goes out on D-Bus and JSON. */
  guard->message = g_strchomp (g_utf8_make_valid (
      err->message ? err->message : "not well-formed", -1));
  guard->element = ctxt->name != NULL
      ? g_utf8_make_valid ((const char *) ctxt->name, -1) : NULL;
}

static void
set_parse_error (GError **error, ParseGuard *guard, const char *display_name)
{
  if (guard->message == NULL)
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s: not well-formed XML", display_name);
  else if (guard->element != NULL)
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s:%d: not well-formed XML in element <%s>: %s",
                 display_name, guard->line, guard->element, guard->message);
  else
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s:%d: not well-formed XML: %s", display_name, guard->line,
                 guard->message);
}

static gboolean
check_root (xmlDoc *doc, const char *display_name, const char *root,
            GError **error)
{
  xmlNode *top = xmlDocGetRootElement (doc);

  if (root == NULL)
    return TRUE;
  if (top != NULL && top->ns == NULL
      && g_strcmp0 ((const char *) top->name, root) == 0)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s:%d: the top element is <%s>, expected <%s>", display_name,
               top ? (int) xmlGetLineNo (top) : 1,
               top ? (const char *) top->name : "(none)", root);
  return FALSE;
}

/* A namespace URI with '<' or '&': libxml2 writes namespace declarations
 * without escaping them, so what the store wrote back would not parse
 * again (a record or planned XML nobody could read: fuzz-safe-xml after
 * 6 million runs). No real namespace has them. */
static const xmlNs *
unwritable_ns (xmlNode *node)
{
  for (; node != NULL; node = node->next)
    {
      const xmlNs *bad = NULL;

      if (node->type != XML_ELEMENT_NODE)
        continue;
      for (const xmlNs *ns = node->nsDef; ns != NULL; ns = ns->next)
        if (ns->href != NULL
            && strpbrk ((const char *) ns->href, "<&") != NULL)
          return ns;
      if ((bad = unwritable_ns (node->children)) != NULL)
        return bad;
    }
  return NULL;
}

static gboolean
check_namespaces (xmlDoc *doc, const char *display_name, GError **error)
{
  const xmlNs *bad = unwritable_ns (xmlDocGetRootElement (doc));

  if (bad == NULL)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s: a namespace URI with '<' or '&' is not supported "
               "(xmlns%s%s)", display_name, bad->prefix ? ":" : "",
               bad->prefix ? (const char *) bad->prefix : "");
  return FALSE;
}

#define QEMU_NS_HREF "http://libvirt.org/schemas/domain/qemu/1.0"

static gboolean
is_element (const xmlNode *node, const char *name)
{
  return node != NULL && node->type == XML_ELEMENT_NODE && node->ns == NULL
         && g_strcmp0 ((const char *) node->name, name) == 0;
}

/* QEMU's own elements sit right under a <domain> (the host-access policy
 * judges each, VR1801); anywhere else they are as foreign as any. */
static gboolean
is_qemu_element (const xmlNode *node)
{
  return node->ns != NULL
         && g_strcmp0 ((const char *) node->ns->href, QEMU_NS_HREF) == 0
         && (is_element (node->parent, "domain")
             || is_element (node->parent, "inactiveDomain"));
}

/* The first element in a namespace, or with an attribute in one, outside
 * <metadata> and QEMU's own elements; *attr the attribute, if that was
 * it. libvirt reads attributes by their local name whatever their
 * namespace (xmlGetProp), the checks by XPath do not: a <backend
 * x:type='passthrough' type='emulator'> was an emulator to the checks
 * and the host's TPM to libvirt (ninth review, F1). */
static xmlNode *
foreign_node (xmlNode *node, xmlAttr **attr)
{
  for (; node != NULL; node = node->next)
    {
      xmlNode *bad;

      if (node->type != XML_ELEMENT_NODE || is_element (node, "metadata")
          || is_qemu_element (node))
        continue;
      if (node->ns != NULL)
        return node;
      for (xmlAttr *a = node->properties; a != NULL; a = a->next)
        if (a->ns != NULL)
          {
            *attr = a;
            return node;
          }
      if ((bad = foreign_node (node->children, attr)) != NULL)
        return bad;
    }
  return NULL;
}

static gboolean
check_foreign (xmlDoc *doc, const char *display_name, const char *root,
               GError **error)
{
  xmlAttr *attr = NULL;
  xmlNode *bad;

  if (g_strcmp0 (root, "domain") != 0
      && g_strcmp0 (root, "domainsnapshot") != 0)
    return TRUE;
  bad = foreign_node (xmlDocGetRootElement (doc), &attr);
  if (bad == NULL)
    return TRUE;
  if (attr != NULL)
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s:%ld: <%s> has the attribute %s%s%s in a namespace, "
                 "which libvirt would read as '%s' (only <metadata> and "
                 "QEMU's own elements may use namespaces)", display_name,
                 xmlGetLineNo (bad), bad->name,
                 attr->ns->prefix ? (const char *) attr->ns->prefix : "",
                 attr->ns->prefix ? ":" : "", attr->name, attr->name);
  else
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s:%ld: <%s%s%s> is in a namespace libvirt does not "
                 "define here (only <metadata> and QEMU's own elements may "
                 "use namespaces)", display_name, xmlGetLineNo (bad),
                 bad->ns->prefix ? (const char *) bad->ns->prefix : "",
                 bad->ns->prefix ? ":" : "", bad->name);
  return FALSE;
}

/* A domain definition (or a snapshot holding one) gets the bound the
 * checks of a domain have; anything else a ceiling far above any
 * capabilities, manifest or journal libvirt or virt-realize writes. */
static guint
max_elements (const char *root)
{
  if (g_strcmp0 (root, "domain") == 0
      || g_strcmp0 (root, "domainsnapshot") == 0)
    return VR_XML_MAX_DOMAIN_ELEMENTS;
  return VR_XML_MAX_ELEMENTS;
}

/* libxml2 2.9 checks each attribute of an element against all the others
 * before any callback runs: one element with 330,000 attributes cost a
 * minute of the agent's CPU in the parser alone (eleventh review, F6).
 * Every attribute and namespace declaration takes an '=', so counting
 * them bounds what the parser can be made to do (32768 of them in one
 * element: a fifth of a second) without reading the XML as XML. */
static gboolean
few_attributes (const char *buf, gsize len, const char *display_name,
                GError **error)
{
  guint count = 0;

  for (const char *p = memchr (buf, '=', len); p != NULL;
       p = memchr (p + 1, '=', len - (gsize) (p + 1 - buf)))
    if (++count > MAX_EQUALS)
      {
        g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                     "%s: more than %u attributes (or '=' signs), more than "
                     "virt-realize reads in one document (no real one has "
                     "so many)", display_name, MAX_EQUALS);
        return FALSE;
      }
  return TRUE;
}

xmlDoc *
vr_xml_parse_buffer (const char *buf, gsize len, const char *display_name,
                     const char *root, GError **error)
{
  xmlParserCtxt *ctxt;
  ParseGuard guard = { 0 };
  g_autoptr (xmlDoc) doc = NULL;
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR
                      | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;

  if (len > G_MAXINT)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: too large to be XML", display_name);
      return NULL;
    }
  if (!few_attributes (buf, len, display_name, error))
    return NULL;
  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NO_MEMORY,
                   "%s: cannot allocate an XML parser", display_name);
      return NULL;
    }
  ctxt->_private = &guard;
  ctxt->sax->internalSubset = refuse_doctype;
  ctxt->sax->externalSubset = refuse_doctype;
  ctxt->sax->serror = record_error;
  guard.max_elements = max_elements (root);
  guard.start_element = ctxt->sax->startElementNs;
  ctxt->sax->startElementNs = count_element;
  guard.comment = ctxt->sax->comment;
  ctxt->sax->comment = count_comment;
  guard.processing = ctxt->sax->processingInstruction;
  ctxt->sax->processingInstruction = count_processing;
  doc = xmlCtxtReadMemory (ctxt, buf, (int) len, display_name, NULL, options);

  if (guard.saw_doctype)
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s:%d: a DOCTYPE is not allowed (entities and DTDs are "
                 "refused in imported XML)", display_name,
                 xmlSAX2GetLineNumber (ctxt));
  else if (guard.elements > guard.max_elements)
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s:%d: more than %u XML elements (comments and "
                 "processing instructions count), the most virt-realize "
                 "reads in a <%s> (no real one has so many)", display_name,
                 xmlSAX2GetLineNumber (ctxt), guard.max_elements,
                 root ? root : "document");
  else if (guard.attributes > 0)
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s:%d: an element with %d attributes and namespace "
                 "declarations, more than the %d virt-realize reads (no real "
                 "one has so many)", display_name,
                 xmlSAX2GetLineNumber (ctxt), guard.attributes,
                 MAX_ATTRIBUTES);
  else if (doc == NULL || !ctxt->wellFormed)
    set_parse_error (error, &guard, display_name);
  xmlFreeParserCtxt (ctxt);
  g_free (guard.element);
  g_free (guard.message);
  if (guard.saw_doctype || guard.elements > guard.max_elements
      || guard.attributes > 0 || doc == NULL)
    return NULL;
  if (!check_root (doc, display_name, root, error)
      || !check_namespaces (doc, display_name, error)
      || !check_foreign (doc, display_name, root, error))
    return NULL;
  return g_steal_pointer (&doc);
}

char *
vr_read_fd_limited (int fd, const char *display_name, gsize max_size,
                    gsize *len_out, GError **error)
{
  struct stat st;
  g_autofree char *buf = NULL;
  gsize len = 0;
  gsize cap;

  if (fstat (fd, &st) < 0)
    {
      vr_error_set_errno (error, errno, "%s", display_name);
      return NULL;
    }
  if (st.st_size < 0 || (guint64) st.st_size > max_size)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: too large (%" G_GINT64_FORMAT " bytes, at most %"
                   G_GSIZE_FORMAT " allowed)", display_name,
                   (gint64) st.st_size, max_size);
      return NULL;
    }
  /* Room for the size fstat gave and one byte more, which tells a file
   * that grew while we read it; such a file gets more room, up to one
   * byte past what is allowed (not max_size for every small file). */
  cap = MIN ((guint64) st.st_size, max_size) + 1;
  buf = g_malloc (cap + 1);
  while (len <= max_size)
    {
      ssize_t n;

      if (len == cap)
        {
          cap = MIN (cap * 2, max_size + 1);
          buf = g_realloc (buf, cap + 1);
        }
      n = pread (fd, buf + len, cap - len, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          vr_error_set_errno (error, errno, "cannot read %s", display_name);
          return NULL;
        }
      if (n == 0)
        break;
      len += n;
    }
  if (len > max_size)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: too large (more than %" G_GSIZE_FORMAT " bytes)",
                   display_name, max_size);
      return NULL;
    }
  buf[len] = '\0';
  if (len_out)
    *len_out = len;
  return g_steal_pointer (&buf);
}

xmlDoc *
vr_xml_parse_fd (int fd, const char *display_name, gsize max_size,
                 const char *root, GError **error)
{
  gsize len = 0;
  g_autofree char *buf = vr_read_fd_limited (fd, display_name, max_size,
                                             &len, error);

  if (buf == NULL)
    return NULL;
  return vr_xml_parse_buffer (buf, len, display_name, root, error);
}

char *
vr_xml_xpath_string (xmlDoc *doc, const char *expr)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) obj = NULL;

  if (ctxt == NULL)
    return NULL;
  obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctxt);
  if (obj == NULL || obj->type != XPATH_STRING || obj->stringval == NULL
      || obj->stringval[0] == '\0')
    return NULL;
  return g_strdup ((const char *) obj->stringval);
}

xmlNode *
vr_xml_xpath_node (xmlDoc *doc, const char *expr)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) obj = NULL;

  if (ctxt == NULL)
    return NULL;
  obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctxt);
  if (obj == NULL || obj->type != XPATH_NODESET || obj->nodesetval == NULL
      || obj->nodesetval->nodeNr == 0)
    return NULL;
  return obj->nodesetval->nodeTab[0];
}

GPtrArray *
vr_xml_xpath_strings (xmlDoc *doc, const char *expr)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) obj = NULL;
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);

  if (ctxt == NULL)
    return values;
  obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctxt);
  if (obj == NULL || obj->type != XPATH_NODESET || obj->nodesetval == NULL)
    return values;
  for (int i = 0; i < obj->nodesetval->nodeNr; i++)
    {
      xmlChar *text = xmlNodeGetContent (obj->nodesetval->nodeTab[i]);

      g_ptr_array_add (values, g_strdup (text ? (const char *) text : ""));
      xmlFree (text);
    }
  return values;
}

char *
vr_xml_to_string (xmlDoc *doc)
{
  xmlBuffer *buf = xmlBufferCreate ();
  xmlSaveCtxt *save;
  char *out;

  /* No XML declaration: the text goes to libvirt and to people, as
   * virsh dumpxml prints it. */
  save = xmlSaveToBuffer (buf, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
  xmlSaveDoc (save, doc);
  xmlSaveClose (save);
  out = g_strdup ((const char *) xmlBufferContent (buf));
  xmlBufferFree (buf);
  return out;
}
