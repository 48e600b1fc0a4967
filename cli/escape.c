/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text for a terminal (vr_cli_escape): what a name or message holds is
 * shown, never acted on (fourth attack review, L1). Alone in its file so
 * that the progress bar, built without the transports, has it too. */
#include "config.h"

#include <string.h>

#include "cli.h"

/* A character a terminal would act on or that hides what follows. */
static gboolean
needs_escape (gunichar c)
{
  GUnicodeType type;

  if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
    return TRUE;
  type = g_unichar_type (c);
  return type == G_UNICODE_FORMAT || type == G_UNICODE_LINE_SEPARATOR
         || type == G_UNICODE_PARAGRAPH_SEPARATOR;
}

/* \a (7) to \r (13) by their letters, ESC as \e, else each byte. */
static void
append_escape (GString *out, const char *from, const char *to)
{
  static const char letters[] = "abtnvfr";

  if (to - from == 1 && *from >= '\a' && *from <= '\r')
    g_string_append_printf (out, "\\%c", letters[*from - '\a']);
  else if (to - from == 1 && *from == '\033')
    g_string_append (out, "\\e");
  else
    for (const char *p = from; p < to; p++)
      g_string_append_printf (out, "\\x%02x", (guchar) *p);
}

/* The length of the run of printable ASCII (and newlines when kept) at
 * text: shown as it is, in one append. Most text is only that (a list of
 * a thousand planned systems spent a third of its time on characters
 * one at a time). */
static gsize
plain_run (const char *text, gboolean keep_newlines)
{
  const char *p = text;

  while ((*p >= 0x20 && *p < 0x7f) || (keep_newlines && *p == '\n'))
    p++;
  return p - text;
}

char *
vr_cli_escape (const char *text, gboolean keep_newlines)
{
  GString *out = g_string_sized_new (text ? strlen (text) : 0);
  const char *p = text;

  while (p != NULL && *p != '\0')
    {
      const char *end = NULL;
      gsize plain = plain_run (p, keep_newlines);
      gunichar c;

      if (plain > 0)
        {
          g_string_append_len (out, p, plain);
          p += plain;
          continue;
        }
      c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          /* Not UTF-8: this byte alone. */
          append_escape (out, p, p + 1);
          p++;
          continue;
        }
      end = g_utf8_next_char (p);
      if (needs_escape (c) && !(keep_newlines && c == '\n'))
        append_escape (out, p, end);
      else
        g_string_append_len (out, p, end - p);
      p = end;
    }
  return g_string_free (out, FALSE);
}
