/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A planned system's record.xml as the store reads it
 * (vr_planned_system_new_from_record), with a planned domain XML of the
 * record's UUID; a record accepted is written back and must read again
 * to the same text, as every job rewrites it. */
#include "config.h"

#include <string.h>

#include "domain-xml.h"
#include "fuzz-common.h"
#include "planned-system.h"
#include "safe-xml.h"

#define FALLBACK_UUID "5a1ad0c0-7e57-4b3d-9c1e-00000000f022"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  vr_fuzz_init ();
  return 0;
}

/* The planned domain XML that goes with the record: its UUID, so that
 * the record's own fields decide the outcome. */
static char *
domain_xml_for (const uint8_t *data, size_t size)
{
  g_autoptr (xmlDoc) record = vr_xml_parse_buffer ((const char *) data,
                                                   size, "record", NULL,
                                                   NULL);
  g_autofree char *text = record ? vr_xml_xpath_string (
                                       record, "string(/*/uuid)")
                                 : NULL;
  g_autofree char *uuid = vr_uuid_normalize (text);

  g_autoptr (xmlDoc) doc = xmlNewDoc ((const xmlChar *) "1.0");
  xmlNode *domain = xmlNewNode (NULL, (const xmlChar *) "domain");

  xmlDocSetRootElement (doc, domain);
  xmlSetProp (domain, (const xmlChar *) "type", (const xmlChar *) "kvm");
  xmlNewTextChild (domain, NULL, (const xmlChar *) "name",
                   (const xmlChar *) "vr-fuzz");
  xmlNewTextChild (domain, NULL, (const xmlChar *) "uuid",
                   (const xmlChar *) (uuid ? uuid : FALLBACK_UUID));
  return vr_xml_to_string (doc);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = domain_xml_for (data, size);
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (VrPlannedSystem) again = NULL;
  g_autofree char *written = NULL;
  g_autofree char *written_again = NULL;

  system = vr_planned_system_new_from_record ((const char *) data, size, xml,
                                              strlen (xml), "record.xml",
                                              &error);
  vr_fuzz_check_outcome (system != NULL, error, g_utf8_validate (
                             (const char *) data, size, NULL));
  if (system == NULL)
    return 0;
  g_assert_true (vr_domain_name_is_valid (
                     vr_planned_system_get_name (system)));
  g_assert_nonnull (vr_planned_system_get_import_dir (system));
  if (vr_planned_system_get_save_file (system) != NULL)
    g_assert_null (strchr (vr_planned_system_get_save_file (system), '/'));

  written = vr_planned_system_to_record (system);
  again = vr_planned_system_new_from_record (written, strlen (written), xml,
                                             strlen (xml), "record.xml",
                                             &error);
  g_assert_no_error (error);
  written_again = vr_planned_system_to_record (again);
  g_assert_cmpstr (written, ==, written_again);
  return 0;
}
