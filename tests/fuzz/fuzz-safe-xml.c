/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* safe-xml.c: untrusted XML parsed with no DOCTYPE, no entities, no
 * network; what it accepts is written back (vr_xml_to_string) the way the
 * store writes planned XML and must parse again to the same text. */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "safe-xml.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  vr_fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (xmlDoc) again = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_again = NULL;
  g_autofree char *name = NULL;
  g_autoptr (GPtrArray) names = NULL;

  doc = vr_xml_parse_buffer ((const char *) data, size, "fuzz.xml", NULL,
                             &error);
  vr_fuzz_check_outcome (doc != NULL, error, g_utf8_validate (
                             (const char *) data, size, NULL));
  if (doc == NULL)
    return 0;
  g_assert_nonnull (xmlDocGetRootElement (doc));
  name = vr_xml_xpath_string (doc, "string(/*/name)");
  names = vr_xml_xpath_strings (doc, "//@*");
  vr_xml_xpath_node (doc, "//*[last()]");

  text = vr_xml_to_string (doc);
  again = vr_xml_parse_buffer (text, strlen (text), "fuzz.xml written", NULL,
                               &error);
  g_assert_no_error (error);
  text_again = vr_xml_to_string (again);
  g_assert_cmpstr (text, ==, text_again);
  return 0;
}
