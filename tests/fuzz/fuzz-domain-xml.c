/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An import directory's domain.xml as import reads it (vr_xml_parse_fd,
 * then its identity), and what import and validate then do with it. */
#include "config.h"

#include <string.h>

#include "domain-xml.h"
#include "fuzz-common.h"
#include "safe-xml.h"

static int xml_fd = -1;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  vr_fuzz_init ();
  xml_fd = vr_fuzz_memfd ("domain.xml");
  return 0;
}

/* The same UUID in whatever form it came, normalized once or twice. */
static void
check_uuid_form (const char *text)
{
  g_autofree char *once = vr_uuid_normalize (text);
  g_autofree char *twice = vr_uuid_normalize (once);

  g_assert_cmpstr (once, ==, twice);
  if (once != NULL)
    g_assert_cmpuint (strlen (once), ==, 36);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char *name = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *text = vr_fuzz_string (data, size);
  g_autofree char *written = NULL;
  gboolean ok;

  check_uuid_form (text);
  vr_domain_name_is_valid (text);
  vr_fuzz_fd_set (xml_fd, data, size);
  doc = vr_xml_parse_fd (xml_fd, "domain.xml", VR_XML_MAX_SIZE, "domain",
                         &error);
  vr_fuzz_check_outcome (doc != NULL, error, g_utf8_validate (
                             (const char *) data, size, NULL));
  if (doc == NULL)
    return 0;
  ok = vr_domain_xml_get_identity (doc, "domain.xml", &name, &uuid, &error);
  vr_fuzz_check_outcome (ok, error, TRUE);
  if (!ok)
    return 0;
  g_assert_true (vr_domain_name_is_valid (name));
  check_uuid_form (uuid);
  vr_domain_xml_get_memory_kib (doc);
  vr_domain_xml_get_vcpus (doc);
  /* import --name, --new-id */
  g_assert_true (vr_domain_xml_set_name (doc, "fuzz-renamed", NULL));
  vr_domain_xml_set_uuid (doc, "5a1ad0c0-7e57-4b3d-9c1e-00000000f022");
  vr_domain_xml_new_macs (doc);
  written = vr_xml_to_string (doc);
  g_assert_nonnull (written);
  return 0;
}
