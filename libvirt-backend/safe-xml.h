/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlXPathObject, xmlXPathFreeObject)

/* Domain XML is a few KiB; anything past this is not a domain definition. */
#define VR_XML_MAX_SIZE (4 * 1024 * 1024)

/* Elements the parser reads before it stops: in a <domain> or a
 * <domainsnapshot>, and in any other document. */
#define VR_XML_MAX_DOMAIN_ELEMENTS 8192
#define VR_XML_MAX_ELEMENTS 262144

/* Parses untrusted XML: no DOCTYPE at all (so no entities, no DTD, no
 * external loads), no network, at most max_size bytes. A non-NULL root
 * names the element the document must have at its top. Errors name
 * display_name, the line and the element, with VR_ERROR_INVALID_PARAMETER. */
xmlDoc *vr_xml_parse_buffer (const char *buf,
                             gsize len,
                             const char *display_name,
                             const char *root,
                             GError **error);

/* Reads a regular file from fd (refusing more than max_size bytes without
 * reading them) and parses it as vr_xml_parse_buffer() does. */
xmlDoc *vr_xml_parse_fd (int fd,
                         const char *display_name,
                         gsize max_size,
                         const char *root,
                         GError **error);

/* Reads the whole of fd, at most max_size bytes; larger is an error. */
char *vr_read_fd_limited (int fd,
                          const char *display_name,
                          gsize max_size,
                          gsize *len_out,
                          GError **error);

/* The string value of an XPath expression (e.g. "string(/domain/name)"),
 * NULL when it is empty. */
char *vr_xml_xpath_string (xmlDoc *doc, const char *expr);

/* The first node an XPath expression selects, or NULL. */
xmlNode *vr_xml_xpath_node (xmlDoc *doc, const char *expr);

/* The string value of every node an XPath expression selects, in
 * document order (an empty array when it selects none). */
GPtrArray *vr_xml_xpath_strings (xmlDoc *doc, const char *expr);

/* The document as UTF-8 text with an indented layout. */
char *vr_xml_to_string (xmlDoc *doc);

G_END_DECLS
