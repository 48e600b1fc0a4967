/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one progress bar (cli/progress.c), for both transports: it fits the
 * terminal with its ETA, whatever the planned system's name. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

#define LONG_NAME \
  "a-planned-system-whose-name-is-much-longer-than-any-terminal-line-" \
  "would-ever-hold-in-eighty-columns"

/* The worst the byte part can be: sizes near 1 TB, an ETA of 99 hours. */
static VrCliJob
worst_job (const char *target)
{
  return (VrCliJob) { .id = (char *) "7", .type = (char *) "realize",
                      .target = (char *) target, .phase = (char *) "manifest",
                      .percent = 99, .bytes_done = 999900000000ull,
                      .bytes_total = 1000000000000ull, .rate = 999900000,
                      .eta = 99 * 3600 + 59 * 60 + 59 };
}

static void
assert_fits (const char *line, guint width)
{
  g_assert_nonnull (strstr (line, "ETA 99:59:59"));
  g_assert_true (g_str_has_suffix (line, "ETA 99:59:59"));
  g_assert_cmpuint (g_utf8_strlen (line, -1), <, width);
}

static void
test_long_name (void)
{
  VrCliJob job = worst_job (LONG_NAME);
  g_autofree char *line = vr_cli_progress_format (&job, 80);

  assert_fits (line, 80);
  /* The name is cut, not the ETA, and says it was cut. */
  g_assert_true (g_str_has_prefix (line, "a-planned-"));
  g_assert_nonnull (strstr (line, "… manifest ["));
}

static void
test_utf8_name (void)
{
  g_autofree char *name = g_strnfill (40, 'x');
  g_autofree char *wide = g_strconcat ("système-é-", name, name, NULL);
  VrCliJob job = worst_job (wide);
  g_autofree char *line = vr_cli_progress_format (&job, 80);

  assert_fits (line, 80);
  g_assert_true (g_utf8_validate (line, -1, NULL));
}

static void
test_short_name (void)
{
  VrCliJob job = worst_job ("vr-guest");
  g_autofree char *line = vr_cli_progress_format (&job, 80);

  assert_fits (line, 80);
  g_assert_true (g_str_has_prefix (line, "vr-guest manifest ["));
}

/* Not a terminal: $COLUMNS, as a shell exports it, gives the width. */
static void
test_columns (void)
{
  /* Cut at 80 columns, whole at 100. */
  VrCliJob job = worst_job ("guest-named-in-20-ch");
  const guint widths[] = { 80, 100 };

  for (guint i = 0; i < G_N_ELEMENTS (widths); i++)
    {
      g_autofree char *value = g_strdup_printf ("%u", widths[i]);
      FILE *stream = tmpfile ();
      char text[512] = { 0 };
      char *end;

      g_setenv ("COLUMNS", value, TRUE);
      vr_cli_progress_draw (&job, stream);
      rewind (stream);
      g_assert_nonnull (fgets (text, sizeof text, stream));
      fclose (stream);
      g_assert_cmpint (text[0], ==, '\r');
      end = strstr (text, "\033[K");
      g_assert_nonnull (end);
      *end = '\0';
      assert_fits (text + 1, widths[i]);
      g_assert_true ((strstr (text, "guest-named-in-20-ch ") != NULL)
                     == (widths[i] == 100));
    }
  g_unsetenv ("COLUMNS");
}

/* A completed job reports the bytes it moved: said, with no rate and no
 * ETA, since nothing moves any more. */
static void
test_all_moved (void)
{
  VrCliJob job = worst_job ("vr-guest");
  g_autofree char *line = NULL;

  job.percent = 100;
  job.bytes_done = job.bytes_total;
  job.rate = 0;
  job.eta = -1;
  line = vr_cli_progress_format (&job, 80);
  g_assert_true (g_str_has_suffix (line, "100% 1.0\u00a0TB/1.0\u00a0TB"));
  g_assert_null (strstr (line, "ETA"));
}

/* Fourth attack review, L1: what a terminal would act on is shown as an
 * escape (ESC, BEL, CR, C1, bidirectional overrides, bytes that are not
 * UTF-8); ordinary UTF-8 is kept, and escaping twice changes nothing. */
static void
test_escape (void)
{
  static const struct {
    const char *in, *out, *out_lines;
  } cases[] = {
    { "vr\033[2J", "vr\\e[2J", NULL },
    { "\033]0;pwn\007", "\\e]0;pwn\\a", NULL },
    { "a\rb\tc\bd\x7f", "a\\rb\\tc\\bd\\x7f", NULL },
    { "one\ntwo", "one\\ntwo", "one\ntwo" },
    { "bad \xff byte", "bad \\xff byte", NULL },
    /* C1 CSI and U+202E RIGHT-TO-LEFT OVERRIDE, as UTF-8. */
    { "c1 \xc2\x9b" "2J", "c1 \\xc2\\x9b" "2J", NULL },
    { "gpj.\xe2\x80\xae" "exe", "gpj.\\xe2\\x80\\xae" "exe", NULL },
    { "système – Grüße €", "système – Grüße €", NULL },
    { "C:\\path", "C:\\path", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *once = vr_cli_escape (cases[i].in, FALSE);
      g_autofree char *twice = vr_cli_escape (once, FALSE);
      g_autofree char *lines = vr_cli_escape (cases[i].in, TRUE);

      g_assert_cmpstr (once, ==, cases[i].out);
      g_assert_cmpstr (twice, ==, once);
      g_assert_cmpstr (lines, ==, cases[i].out_lines ? cases[i].out_lines
                                                     : cases[i].out);
    }
}

/* A name with ESC draws as text in the bar, measured as shown. */
static void
test_escape_name (void)
{
  VrCliJob job = worst_job ("vr\033[2J\033]0;pwn\007");
  g_autofree char *line = vr_cli_progress_format (&job, 80);

  assert_fits (line, 80);
  g_assert_null (strchr (line, '\033'));
  g_assert_null (strchr (line, '\007'));
  g_test_message ("%s", line);
  g_assert_true (g_str_has_prefix (line, "vr\\e[2J\\e]0"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli-progress/long-name", test_long_name);
  g_test_add_func ("/cli-progress/utf8-name", test_utf8_name);
  g_test_add_func ("/cli-progress/short-name", test_short_name);
  g_test_add_func ("/cli-progress/columns", test_columns);
  g_test_add_func ("/cli-progress/all-moved", test_all_moved);
  g_test_add_func ("/cli-progress/escape", test_escape);
  g_test_add_func ("/cli-progress/escape-name", test_escape_name);
  return g_test_run ();
}
