/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table of finding IDs (one in the code, the same in README.md) and
 * how findings read as text and JSON. */
#include "config.h"

#include <string.h>

#include "errors.h"
#include "findings.h"

static void
test_table (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const VrFindingKind *kind;
  const char *previous = "";

  for (guint i = 0; (kind = vr_finding_kind_nth (i)) != NULL; i++)
    {
      g_assert_cmpuint (strlen (kind->id), ==, 6);
      g_assert_true (g_str_has_prefix (kind->id, "VR"));
      for (guint j = 2; j < 6; j++)
        g_assert_true (g_ascii_isdigit (kind->id[j]));
      /* In ID order, each once. */
      g_assert_cmpstr (previous, <, kind->id);
      g_assert_true (g_hash_table_add (seen, (gpointer) kind->id));
      g_assert_nonnull (kind->title);
      g_assert_true (vr_finding_kind_lookup (kind->id) == kind);
      previous = kind->id;
    }
  g_assert_cmpuint (g_hash_table_size (seen), >, 30);
  g_assert_null (vr_finding_kind_lookup ("VR0000"));
}

/* README.md's table lists every ID with its severity (a footnote mark
 * may follow it) and its title (details may follow it). */
static void
test_readme (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..",
                                                 "README.md", NULL);
  g_autofree char *readme = NULL;
  g_autoptr (GError) error = NULL;
  const VrFindingKind *kind;

  g_file_get_contents (path, &readme, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; (kind = vr_finding_kind_nth (i)) != NULL; i++)
    {
      g_autofree char *start = g_strdup_printf ("\n| %s | ", kind->id);
      const char *row = strstr (readme, start);
      g_autofree char *line = NULL;
      g_auto (GStrv) cells = NULL;
      const char *severity = vr_severity_to_string (kind->severity);

      if (row == NULL)
        g_error ("README.md lacks the row of %s", kind->id);
      line = g_strndup (row + 1, strcspn (row + 1, "\n"));
      cells = g_strsplit (line, " | ", 4);
      g_assert_cmpuint (g_strv_length (cells), ==, 3);
      if (!g_str_has_prefix (cells[1], severity)
          || (cells[1][strlen (severity)] != '\0'
              && !g_str_equal (cells[1] + strlen (severity), "¹"))
          || !g_str_has_prefix (cells[2], kind->title))
        g_error ("README.md's row '%s' is not '%s | %s | %s'", line,
                 kind->id, severity, kind->title);
    }
}

static void
test_add (void)
{
  g_autoptr (GPtrArray) findings = vr_findings_new ();
  VrFinding *f;

  g_assert_false (vr_findings_has_errors (findings));
  vr_findings_add (findings, VR_FINDING_NO_SAVE, NULL, NULL, "no %s", "save");
  g_assert_false (vr_findings_has_errors (findings));
  f = vr_findings_add (findings, VR_FINDING_MACHINE, "/domain/os/type/@machine",
                       "do this", "machine '%s'", "pc-q35-99.0");
  g_assert_cmpint (f->severity, ==, VR_SEVERITY_ERROR);
  g_assert_cmpstr (f->message, ==, "machine 'pc-q35-99.0'");
  g_assert_true (vr_findings_has_errors (findings));
  g_assert_cmpuint (vr_findings_count (findings, VR_SEVERITY_INFO), ==, 1);
  g_assert_true (vr_findings_find (findings, VR_FINDING_MACHINE) == f);
  g_assert_null (vr_findings_find (findings, VR_FINDING_ARCH));
}

static void
test_text (void)
{
  g_autoptr (GPtrArray) findings = vr_findings_new ();
  VrFinding *f = vr_findings_add (
      findings, VR_FINDING_MACHINE, "/domain/os/type/@machine",
      "virt-realize edit g --set /domain/os/type/@machine=pc-q35-7.2",
      "machine type 'pc-q35-99.0' is not offered");
  g_autofree char *text = NULL;
  g_autofree char *bare = NULL;

  f->line = 8;
  text = vr_finding_to_text (f);
  g_assert_cmpstr (text, ==,
                   "error VR1104 /domain/os/type/@machine (line 8): machine "
                   "type 'pc-q35-99.0' is not offered\n"
                   "  hint: virt-realize edit g --set "
                   "/domain/os/type/@machine=pc-q35-7.2\n");
  f = vr_findings_add (findings, VR_FINDING_NO_SAVE, NULL, NULL, "none");
  bare = vr_finding_to_text (f);
  g_assert_cmpstr (bare, ==, "info VR1709: none\n");
}

static void
test_json (void)
{
  g_autoptr (GPtrArray) findings = vr_findings_new ();
  VrFinding *f = vr_findings_add (findings, VR_FINDING_NVRAM, "/domain/os/nvram",
                                  NULL, "gone");
  g_autoptr (JsonNode) node = vr_finding_to_json (f);
  JsonObject *o = json_node_get_object (node);

  g_assert_cmpstr (json_object_get_string_member (o, "id"), ==, "VR1409");
  g_assert_cmpstr (json_object_get_string_member (o, "severity"), ==,
                   "warning");
  g_assert_cmpstr (json_object_get_string_member (o, "title"), ==,
                   "NVRAM file not present");
  g_assert_cmpstr (json_object_get_string_member (o, "message"), ==, "gone");
  g_assert_cmpstr (json_object_get_string_member (o, "source"), ==,
                   "/domain/os/nvram");
  g_assert_true (json_object_get_null_member (o, "line"));
  g_assert_true (json_object_get_null_member (o, "hint"));
  g_assert_true (json_object_get_null_member (o, "fix"));
}

static void
assert_fix (const VrFinding *finding, const char *xpath, const char *value)
{
  g_assert_nonnull (finding->fix);
  g_assert_cmpstr (finding->fix->xpath, ==, xpath);
  g_assert_cmpstr (finding->fix->value, ==, value);
}

/* The fix travels as data: {"xpath", "value"} or {"xpath", "remove"},
 * read back the same; JSON of before "fix" reads as findings without. */
static void
test_fix_json (void)
{
  g_autoptr (GPtrArray) findings = vr_findings_new ();
  VrFinding *set = vr_findings_add (findings, VR_FINDING_SAVE_VCPUS,
                                    "/domain/vcpu", "hint", "differs");
  VrFinding *removal = vr_findings_add (findings, VR_FINDING_VIDEO,
                                        "/domain/devices/video", NULL, "no");
  g_autoptr (JsonNode) node = NULL;
  JsonObject *fix;
  g_autofree char *json = NULL;
  g_autoptr (GPtrArray) back = NULL;
  g_autoptr (GError) error = NULL;

  vr_finding_set_fix (set, "/domain/vcpu", "1");
  vr_finding_set_fix (removal, "/domain/devices/video[2]", NULL);
  node = vr_finding_to_json (set);
  fix = json_object_get_object_member (json_node_get_object (node), "fix");
  g_assert_cmpstr (json_object_get_string_member (fix, "xpath"), ==,
                   "/domain/vcpu");
  g_assert_cmpstr (json_object_get_string_member (fix, "value"), ==, "1");
  g_assert_false (json_object_has_member (fix, "remove"));
  json = vr_findings_to_json (findings);
  back = vr_findings_from_json (json, &error);
  g_assert_no_error (error);
  assert_fix (back->pdata[0], "/domain/vcpu", "1");
  assert_fix (back->pdata[1], "/domain/devices/video[2]", NULL);
  g_clear_pointer (&back, g_ptr_array_unref);

  /* Before "fix" existed, and a shape this program does not know. */
  back = vr_findings_from_json (
      "[{\"id\": \"VR1705\", \"severity\": \"error\", \"message\": \"m\", "
      "\"hint\": \"h\"},"
      " {\"id\": \"VR1705\", \"severity\": \"error\", \"message\": \"m\", "
      "\"fix\": {\"xpath\": \"/domain/vcpu\", \"value\": \"1\", "
      "\"remove\": true}},"
      " {\"id\": \"VR1705\", \"severity\": \"error\", \"message\": \"m\", "
      "\"fix\": {\"xpath\": \"/domain/vcpu\", \"add\": \"<x/>\"}},"
      " {\"id\": \"VR1705\", \"severity\": \"error\", \"message\": \"m\", "
      "\"fix\": \"virt-realize edit\"}]",
      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, 4);
  for (guint i = 0; i < back->len; i++)
    g_assert_null (((VrFinding *) back->pdata[i])->fix);
  g_clear_pointer (&back, g_ptr_array_unref);

  /* A fix's text is text like the rest: not UTF-8 refuses the finding. */
  back = vr_findings_from_json (
      "[{\"id\": \"VR1705\", \"severity\": \"error\", \"message\": \"m\", "
      "\"fix\": {\"xpath\": \"/domain/vcpu\", \"value\": \"\\ud800\"}}]",
      &error);
  g_assert_null (back);
  g_assert_error (error, VR_ERROR, VR_ERROR_FAILED);
}

/* What an agent's Validate sends comes back as the same findings; a
 * malformed answer is an error, never a crash. */
static void
test_from_json (void)
{
  g_autoptr (GPtrArray) findings = vr_findings_new ();
  g_autofree char *json = NULL;
  g_autoptr (GPtrArray) back = NULL;
  g_autoptr (GError) error = NULL;
  VrFinding *f;

  vr_findings_add (findings, VR_FINDING_NVRAM, "/domain/os/nvram", NULL,
                   "gone");
  f = vr_findings_add (findings, VR_FINDING_MACHINE, "/domain/os/type",
                       "use pc-q35-7.2", "unknown machine");
  f->line = 12;
  json = vr_findings_to_json (findings);
  back = vr_findings_from_json (json, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, 2);
  for (guint i = 0; i < back->len; i++)
    {
      g_autofree char *a = vr_finding_to_text (findings->pdata[i]);
      g_autofree char *b = vr_finding_to_text (back->pdata[i]);

      g_assert_cmpstr (a, ==, b);
    }
  g_assert_true (vr_findings_has_errors (back));

  g_clear_pointer (&back, g_ptr_array_unref);
  back = vr_findings_from_json ("{\"id\": 1}", &error);
  g_assert_null (back);
  g_assert_error (error, VR_ERROR, VR_ERROR_FAILED);
  g_clear_error (&error);
  back = vr_findings_from_json ("[{\"id\": \"VR1409\", \"severity\": "
                                "\"fatal\", \"message\": \"x\"}]", &error);
  g_assert_null (back);
  g_assert_error (error, VR_ERROR, VR_ERROR_FAILED);
}

/* Found by fuzzing (tests/fuzz/fuzz-findings.c): an empty or blank
 * answer parses with no JSON root, which json-glib's accessors refused
 * with a critical. */
static void
test_from_json_blank (void)
{
  static const char *const blank[] = { "", "  ", "\n\t " };

  for (guint i = 0; i < G_N_ELEMENTS (blank); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) back = vr_findings_from_json (blank[i], &error);

      g_assert_null (back);
      g_assert_error (error, VR_ERROR, VR_ERROR_FAILED);
    }
}

/* Found by fuzzing: json-glib turns a lone surrogate escape into bytes
 * that are not UTF-8; such a finding was accepted and its text could not
 * be written as JSON (or sent on D-Bus) again. */
static void
test_from_json_not_utf8 (void)
{
  static const char *const members[] = { "id", "message", "source", "hint" };

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) back = NULL;
      g_autofree char *json = g_strdup_printf (
          "[{\"id\": \"VR1507\", \"severity\": \"error\", "
          "\"message\": \"m\", \"%s\": \"V\\ud800R\"}]", members[i]);

      back = vr_findings_from_json (json, &error);
      g_assert_null (back);
      g_assert_error (error, VR_ERROR, VR_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, "UTF-8"));
    }
}

/* Found by fuzzing in CI: a line that is not a line number (here
 * negative) was kept, written back as null and read again as 0. */
static void
test_from_json_line (void)
{
  static const struct { const char *line; int expect; } cases[] = {
    { "7", 7 }, { "-5", 0 }, { "0", 0 }, { "4294967303", 0 },
    { "2.5", 0 }, { "\"12\"", 0 }, { "null", 0 }, { "true", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) back = NULL;
      g_autoptr (GPtrArray) again = NULL;
      g_autofree char *written = NULL;
      g_autofree char *json = g_strdup_printf (
          "[{\"id\": \"VR1507\", \"severity\": \"error\", "
          "\"message\": \"m\", \"line\": %s}]", cases[i].line);
      VrFinding *f;

      back = vr_findings_from_json (json, &error);
      g_assert_no_error (error);
      f = back->pdata[0];
      g_assert_cmpint (f->line, ==, cases[i].expect);
      written = vr_findings_to_json (back);
      again = vr_findings_from_json (written, &error);
      g_assert_no_error (error);
      g_assert_cmpint (((VrFinding *) again->pdata[0])->line, ==, f->line);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/findings/table", test_table);
  g_test_add_func ("/findings/readme", test_readme);
  g_test_add_func ("/findings/add", test_add);
  g_test_add_func ("/findings/text", test_text);
  g_test_add_func ("/findings/json", test_json);
  g_test_add_func ("/findings/from-json", test_from_json);
  g_test_add_func ("/findings/fix-json", test_fix_json);
  g_test_add_func ("/findings/from-json-blank", test_from_json_blank);
  g_test_add_func ("/findings/from-json-not-utf8", test_from_json_not_utf8);
  g_test_add_func ("/findings/from-json-line", test_from_json_line);
  return g_test_run ();
}
