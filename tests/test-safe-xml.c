/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "safe-xml.h"
#include "test-util.h"

static xmlDoc *
parse (const char *text, const char *root, GError **error)
{
  return vr_xml_parse_buffer (text, strlen (text), "t.xml", root, error);
}

static void
test_well_formed (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = parse ("<domain><name>a &amp; b</name></domain>",
                                  "domain", &error);
  g_autofree char *name = NULL;

  g_assert_no_error (error);
  name = vr_xml_xpath_string (doc, "string(/domain/name)");
  g_assert_cmpstr (name, ==, "a & b");
  g_assert_null (vr_xml_xpath_string (doc, "string(/domain/uuid)"));
}

static void
test_not_well_formed (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = parse ("<domain>\n  <name>x</nam>\n</domain>",
                                  "domain", &error);

  g_assert_null (doc);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "t.xml:2:",
                     "not well-formed", "<name>", NULL);
}

/* Found by fuzz-domain-xml after 19 million runs: libxml2 quoted the
 * unterminated comment cut inside the 'é', and the error was not UTF-8. */
static void
test_error_utf8 (void)
{
  static const char text[]
      = "<domain><name>u</name><!--d>2a1ad0c07e574b3d9c1e000000000001"
        "</uuid><memoyur\xc3\xa9 nit='8'>6</domain>";
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = parse (text, "domain", &error);

  g_assert_null (doc);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "t.xml:1:",
                     "not well-formed", NULL);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

/* Found by fuzz-safe-xml after 6 million runs: libxml2 writes a
 * namespace URI's '<' and '&' as they are, so what was read could not be
 * written and read again. */
static void
test_namespace_unwritable (void)
{
  static const char *const texts[] = {
    "<domain xmlns:q='a&lt;b'><name>x</name></domain>",
    "<domain><name xmlns='a&amp;b'>x</name></domain>",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (xmlDoc) doc = parse (texts[i], "domain", &error);

      g_assert_null (doc);
      test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "t.xml",
                         "namespace URI", NULL);
    }
}

#define X_NS "xmlns:x='urn:x'"
#define Q_NS "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"

/* Namespaces in libvirt's XML: libvirt reads an attribute by its local
 * name whatever its namespace, the checks by XPath do not (ninth review,
 * F1), so only <metadata> and QEMU's own elements may have any. */
static void
test_namespace_foreign (void)
{
  static const struct {
    const char *text;
    const char *root;
    const char *culprit; /* NULL: accepted */
  } cases[] = {
    { "<domain " X_NS "><devices><tpm><backend x:type='passthrough'"
      " type='emulator'/></tpm></devices></domain>", "domain",
      "<backend> has the attribute x:type" },
    { "<domain " X_NS "><seclabel x:type='static' type='dynamic'/>"
      "</domain>", "domain", "x:type" },
    { "<domain " X_NS "><devices><x:disk/></devices></domain>", "domain",
      "<x:disk>" },
    { "<domain><devices><disk xml:lang='en'/></devices></domain>", "domain",
      "xml:lang" },
    { "<domainsnapshot " X_NS "><inactiveDomain><devices><interface"
      " x:type='hostdev' type='network'/></devices></inactiveDomain>"
      "</domainsnapshot>", "domainsnapshot", "x:type" },
    { "<domain " Q_NS "><devices><qemu:commandline/></devices></domain>",
      "domain", "<qemu:commandline>" },
    { "<domain xmlns='urn:x'/>", "domain", "the top element" },
    /* Accepted: metadata of any namespace, QEMU's own under <domain>,
     * and what is not libvirt's XML. */
    { "<domain " X_NS "><metadata><x:app x:a='1'/></metadata></domain>",
      "domain", NULL },
    { "<domain " Q_NS "><qemu:commandline><qemu:arg value='-S'/>"
      "</qemu:commandline></domain>", "domain", NULL },
    { "<domainsnapshot " Q_NS "><domain><qemu:commandline/></domain>"
      "</domainsnapshot>", "domainsnapshot", NULL },
    { "<manifest " X_NS "><file x:a='1'/></manifest>", "manifest", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (xmlDoc) doc = parse (cases[i].text, cases[i].root, &error);

      g_test_message ("%s", cases[i].text);
      if (cases[i].culprit == NULL)
        {
          g_assert_no_error (error);
          g_assert_nonnull (doc);
          continue;
        }
      g_assert_null (doc);
      test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "t.xml:1:",
                         cases[i].culprit, NULL);
    }
}

static void
test_wrong_root (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = parse ("<network/>", "domain", &error);

  g_assert_null (doc);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "t.xml",
                     "<network>", "expected <domain>", NULL);
}

static void
test_xxe (void)
{
  const char *text =
      "<?xml version='1.0'?>\n"
      "<!DOCTYPE domain [ <!ENTITY xxe SYSTEM 'file:///etc/passwd'> ]>\n"
      "<domain><name>&xxe;</name></domain>";
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = parse (text, "domain", &error);

  g_assert_null (doc);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "t.xml:2",
                     "DOCTYPE is not allowed", NULL);
  g_assert_null (strstr (error->message, "root:"));
}

static void
test_billion_laughs (void)
{
  GString *text = g_string_new ("<?xml version='1.0'?>\n<!DOCTYPE lolz [\n"
                                " <!ENTITY lol 'lol'>\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  gint64 start = g_get_monotonic_time ();

  for (int i = 1; i < 10; i++)
    {
      g_string_append_printf (text, " <!ENTITY lol%d '", i);
      for (int j = 0; j < 10; j++)
        if (i == 1)
          g_string_append (text, "&lol;");
        else
          g_string_append_printf (text, "&lol%d;", i - 1);
      g_string_append (text, "'>\n");
    }
  g_string_append (text, "]>\n<domain><name>&lol9;</name></domain>");
  doc = parse (text->str, "domain", &error);
  g_string_free (text, TRUE);
  g_assert_null (doc);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "DOCTYPE", NULL);
  /* Refused at the DOCTYPE: no expansion happened at all. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
}

static void
test_too_large (void)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "big.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  /* Sparse: 100 MB that cost nothing, and must never be read. */
  g_assert_cmpint (ftruncate (fd, 100 * 1000 * 1000), ==, 0);
  doc = vr_xml_parse_fd (fd, path, VR_XML_MAX_SIZE, "domain", &error);
  close (fd);
  g_assert_null (doc);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, path, "too large",
                     NULL);
  test_rmtree (dir);
}

/* A file that holds more than fstat said (it grew; /proc reports 0
 * bytes) is read whole up to the limit, and refused past it: the buffer
 * starts at the size fstat gave, not at the limit. */
/* root with n empty children of distinct names, as text (a test of the
 * parser needs the text). */
static char *
distinct_children (const char *root, guint n)
{
  g_autoptr (xmlDoc) doc = xmlNewDoc ((const xmlChar *) "1.0");
  xmlNode *top = xmlNewNode (NULL, (const xmlChar *) root);

  xmlDocSetRootElement (doc, top);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("x%u", i);

      xmlNewChild (top, NULL, (const xmlChar *) name, NULL);
    }
  return vr_xml_to_string (doc);
}

/* Seventh review, F3: 200,000 distinct element names in a planned
 * system's metadata cost a second of libxml2's dictionary per parse, at
 * each agent start for each such system. A <domain> (or
 * <domainsnapshot>) stops at 8192 elements, anything else far later. */
static void
test_element_bound (void)
{
  g_autofree char *at = distinct_children ("domain",
                                           VR_XML_MAX_DOMAIN_ELEMENTS - 1);
  g_autofree char *past = distinct_children ("domain",
                                             VR_XML_MAX_DOMAIN_ELEMENTS);
  g_autofree char *snapshot = distinct_children (
      "domainsnapshot", VR_XML_MAX_DOMAIN_ELEMENTS);
  g_autofree char *other = distinct_children ("capabilities", 20000);
  g_autoptr (xmlDoc) at_doc = NULL;
  g_autoptr (xmlDoc) past_doc = NULL;
  g_autoptr (xmlDoc) snapshot_doc = NULL;
  g_autoptr (xmlDoc) other_doc = NULL;
  g_autoptr (GError) error = NULL;

  at_doc = vr_xml_parse_buffer (at, strlen (at), "at.xml", "domain", &error);
  g_assert_no_error (error);
  g_assert_nonnull (at_doc);
  past_doc = vr_xml_parse_buffer (past, strlen (past), "past.xml", "domain",
                                  &error);
  g_assert_null (past_doc);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, NULL);
  g_assert_nonnull (strstr (error->message, "past.xml"));
  g_assert_nonnull (strstr (error->message, "more than 8192 XML elements"));
  g_clear_error (&error);
  snapshot_doc = vr_xml_parse_buffer (snapshot, strlen (snapshot), "s.xml",
                                      "domainsnapshot", &error);
  g_assert_null (snapshot_doc);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, NULL);
  g_clear_error (&error);
  other_doc = vr_xml_parse_buffer (other, strlen (other), "caps.xml", NULL,
                                   &error);
  g_assert_no_error (error);
  g_assert_nonnull (other_doc);
}

static void
test_read_past_stat_size (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *text = NULL;
  gsize expected_len = 0;
  gsize len = 0;
  /* Fixed for the life of the process, and longer than 64 bytes. */
  int fd = open ("/proc/self/environ", O_RDONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  text = vr_read_fd_limited (fd, "environ", 1 << 20, &len, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents ("/proc/self/environ", &expected,
                                      &expected_len, NULL));
  g_assert_cmpuint (len, >, 64);
  g_assert_cmpmem (text, len, expected, expected_len);
  g_clear_pointer (&text, g_free);
  text = vr_read_fd_limited (fd, "environ", 64, &len, &error);
  close (fd);
  g_assert_null (text);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "environ",
                     "too large", NULL);
}

static void
test_to_string (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = parse ("<domain><name>&lt;x&gt;</name></domain>",
                                  "domain", &error);
  g_autofree char *text = vr_xml_to_string (doc);

  g_assert_no_error (error);
  g_assert_false (g_str_has_prefix (text, "<?xml"));
  g_assert_nonnull (strstr (text, "<name>&lt;x&gt;</name>"));
}

/* An element with n attributes a0='' a1='' ... */
static char *
many_attributes (guint n)
{
  g_autoptr (GString) xml = g_string_new ("<domain type='kvm'");

  for (guint i = 1; i < n; i++)
    g_string_append_printf (xml, " a%u=''", i);
  g_string_append (xml, "><name>x</name></domain>");
  return g_string_free (g_steal_pointer (&xml), FALSE);
}

/* Eleventh review, F6: libxml2 2.9 compares each attribute of an element
 * with all the others, and appends each by walking the list: 330,000
 * attributes kept root's agent busy for minutes. One element may have
 * 64, a document 32768 '=' signs. */
static void
test_attribute_bound (void)
{
  g_autofree char *at = many_attributes (64);
  g_autofree char *past = many_attributes (65);
  g_autofree char *huge = many_attributes (330000);
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (GError) error = NULL;

  doc = vr_xml_parse_buffer (at, strlen (at), "at.xml", "domain", &error);
  g_assert_no_error (error);
  g_assert_nonnull (doc);
  g_clear_pointer (&doc, xmlFreeDoc);
  doc = vr_xml_parse_buffer (past, strlen (past), "past.xml", "domain",
                             &error);
  g_assert_null (doc);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "past.xml:1",
                     "65 attributes", NULL);
  g_clear_error (&error);
  doc = vr_xml_parse_buffer (huge, strlen (huge), "huge.xml", "domain",
                             &error);
  g_assert_null (doc);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "huge.xml",
                     "more than 32768 attributes", NULL);
}

/* A <domainsnapshot> holding n comments (or processing instructions). */
static char *
nodes_doc (guint n, gboolean comments)
{
  g_autoptr (xmlDoc) doc = xmlNewDoc (BAD_CAST "1.0");
  xmlNode *root = xmlNewNode (NULL, BAD_CAST "domainsnapshot");
  xmlChar *xml = NULL;
  int len = 0;
  char *text;

  xmlDocSetRootElement (doc, root);
  for (guint i = 0; i < n; i++)
    xmlAddChild (root, comments ? xmlNewDocComment (doc, BAD_CAST "c")
                                : xmlNewDocPI (doc, BAD_CAST "a", NULL));
  xmlDocDumpMemory (doc, &xml, &len);
  text = g_strndup ((const char *) xml, len);
  xmlFree (xml);
  return text;
}

/* Comments and processing instructions are nodes too (nineteenth
 * review, F2: 4 MiB of '<?a?>' in a snapshot file held 100 MB of root's
 * agent): past the bound, the parse is refused like too many elements;
 * at it, the document parses. */
static void
test_node_bound (void)
{
  for (guint k = 0; k < 2; k++)
    for (guint n = VR_XML_MAX_DOMAIN_ELEMENTS - 1;
         n <= VR_XML_MAX_DOMAIN_ELEMENTS; n++)
      {
        g_autofree char *xml = nodes_doc (n, k == 1);
        g_autoptr (xmlDoc) doc = NULL;
        g_autoptr (GError) error = NULL;

        doc = vr_xml_parse_buffer (xml, strlen (xml), "s.xml",
                                   "domainsnapshot", &error);
        if (n < VR_XML_MAX_DOMAIN_ELEMENTS)
          {
            g_assert_no_error (error);
            g_assert_nonnull (doc);
            continue;
          }
        g_assert_null (doc);
        test_assert_error (error, VR_ERROR_INVALID_PARAMETER, NULL);
        g_assert_nonnull (strstr (error->message, "more than 8192 XML "
                                                  "elements (comments"));
      }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/safe-xml/well-formed", test_well_formed);
  g_test_add_func ("/safe-xml/not-well-formed", test_not_well_formed);
  g_test_add_func ("/safe-xml/error-utf8", test_error_utf8);
  g_test_add_func ("/safe-xml/namespace-unwritable",
                   test_namespace_unwritable);
  g_test_add_func ("/safe-xml/namespace-foreign", test_namespace_foreign);
  g_test_add_func ("/safe-xml/wrong-root", test_wrong_root);
  g_test_add_func ("/safe-xml/xxe", test_xxe);
  g_test_add_func ("/safe-xml/billion-laughs", test_billion_laughs);
  g_test_add_func ("/safe-xml/too-large", test_too_large);
  g_test_add_func ("/safe-xml/element-bound", test_element_bound);
  g_test_add_func ("/safe-xml/node-bound", test_node_bound);
  g_test_add_func ("/safe-xml/attribute-bound", test_attribute_bound);
  g_test_add_func ("/safe-xml/read-past-stat-size", test_read_past_stat_size);
  g_test_add_func ("/safe-xml/to-string", test_to_string);
  return g_test_run ();
}
