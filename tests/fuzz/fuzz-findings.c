/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Findings as JSON (vr_findings_from_json), as the CLI reads an agent's
 * Validate answer; findings accepted are written as JSON again and must
 * read back the same. */
#include "config.h"

#include "findings.h"
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  vr_fuzz_init ();
  return 0;
}

static void
assert_same (const VrFinding *a, const VrFinding *b)
{
  g_assert_cmpstr (a->id, ==, b->id);
  g_assert_cmpint (a->severity, ==, b->severity);
  g_assert_cmpstr (a->message, ==, b->message);
  g_assert_cmpstr (a->source, ==, b->source);
  g_assert_cmpint (a->line, ==, b->line);
  g_assert_cmpstr (a->hint, ==, b->hint);
  g_assert_true ((a->fix == NULL) == (b->fix == NULL));
  if (a->fix != NULL)
    {
      g_assert_cmpstr (a->fix->xpath, ==, b->fix->xpath);
      g_assert_cmpstr (a->fix->value, ==, b->fix->value);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *json = vr_fuzz_string (data, size);
  g_autoptr (GPtrArray) findings = NULL;
  g_autoptr (GPtrArray) again = NULL;
  g_autofree char *written = NULL;

  findings = vr_findings_from_json (json, &error);
  vr_fuzz_check_outcome (findings != NULL, error, TRUE);
  if (findings == NULL)
    return 0;
  vr_findings_has_errors (findings);
  for (guint i = 0; i < findings->len; i++)
    g_free (vr_finding_to_text (findings->pdata[i]));

  written = vr_findings_to_json (findings);
  again = vr_findings_from_json (written, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, findings->len);
  for (guint i = 0; i < findings->len; i++)
    assert_same (findings->pdata[i], again->pdata[i]);
  return 0;
}
