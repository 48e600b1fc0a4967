/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The progress bar, one for both transports: it reads a VrCliJob. */
#include "config.h"

#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

#define BAR_CELLS 16
#define BAR_MIN_CELLS 6
/* A name gets at least these (its space included) before the bar narrows
 * no further. */
#define NAME_MIN_COLUMNS 13

static char *
format_eta (gint64 seconds)
{
  if (seconds < 0)
    return g_strdup ("--:--");
  if (seconds >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", seconds / 3600,
                            (int) (seconds / 60 % 60), (int) (seconds % 60));
  return g_strdup_printf ("%02d:%02d", (int) (seconds / 60),
                          (int) (seconds % 60));
}

/* " 1.2 GB/2.1 GB 350.0 MB/s ETA 00:03": with the phase and the bar,
 * at most 77 columns for sizes up to 1023.9 GB and an ETA under 100 h;
 * the target's name gets what the width leaves. */
static char *
format_bytes (const VrCliJob *job)
{
  g_autofree char *done = NULL;
  g_autofree char *total = NULL;
  g_autofree char *rate = NULL;
  g_autofree char *eta = NULL;

  if (job->bytes_total == 0)
    return g_strdup ("");
  done = g_format_size (job->bytes_done);
  total = g_format_size (job->bytes_total);
  /* All moved and nothing moving (a completed job reports what its
   * steps moved): no rate, no ETA. */
  if (job->bytes_done == job->bytes_total && job->rate == 0)
    return g_strdup_printf (" %s/%s", done, total);
  rate = g_format_size (job->rate);
  eta = format_eta (job->eta);
  return g_strdup_printf (" %s/%s %s/s ETA %s", done, total, rate, eta);
}

/* The name, cut to columns (its end replaced by "…"); "" when fewer
 * than a few columns are left, as a bare "…" says nothing. */
static char *
fit_name (const char *name, glong columns)
{
  glong length = name ? g_utf8_strlen (name, -1) : 0;
  g_autoptr (GString) fitted = NULL;

  if (length == 0 || columns < 4)
    return g_strdup ("");
  if (length <= columns - 1)
    return g_strdup_printf ("%s ", name);
  fitted = g_string_new_len (name, g_utf8_offset_to_pointer (name, columns - 2)
                                       - name);
  g_string_append (fitted, "… ");
  return g_string_free (g_steal_pointer (&fitted), FALSE);
}

/* Columns the name takes with its space: "" takes none. */
static glong
name_columns (const char *name)
{
  return name && *name ? g_utf8_strlen (name, -1) + 1 : 0;
}

char *
vr_cli_progress_format (const VrCliJob *job, guint width)
{
  g_autofree char *bytes = format_bytes (job);
  g_autofree char *name = NULL;
  /* The name and phase as shown (vr_cli_escape), measured as shown. */
  g_autofree char *target = vr_cli_escape (job->target, FALSE);
  g_autofree char *phase = vr_cli_escape (job->phase ? job->phase
                                                     : "starting", FALSE);
  g_autofree char *tail = g_strdup_printf ("] %3u%%%s", job->percent, bytes);
  g_autofree char *head = g_strdup_printf ("%-8s [", phase);
  g_autoptr (GString) line = g_string_new (NULL);
  /* The last column stays free: a terminal wraps a line that fills it. */
  glong limit = width > 1 ? (glong) width - 1 : 79;
  /* Columns, not bytes: g_format_size puts a no-break space in sizes. */
  glong room = limit - g_utf8_strlen (head, -1) - g_utf8_strlen (tail, -1);
  glong cells;

  /* The ETA is never cut: the bar narrows for the name down to
   * BAR_MIN_CELLS, then the name is cut. */
  cells = CLAMP (room - MIN (name_columns (target), NAME_MIN_COLUMNS),
                 BAR_MIN_CELLS, BAR_CELLS);
  name = fit_name (target, room - cells);
  g_string_append (line, name);
  g_string_append (line, head);
  for (glong i = 0; i < cells; i++)
    g_string_append_c (line, i < MIN (job->percent, 100) * cells / 100 ? '#'
                                                                     : '.');
  g_string_append (line, tail);
  if (width > 1 && (guint) g_utf8_strlen (line->str, -1) >= width)
    g_string_truncate (line, g_utf8_offset_to_pointer (line->str, width - 1)
                                 - line->str);
  return g_string_free (g_steal_pointer (&line), FALSE);
}

/* The terminal's width, else $COLUMNS (as a shell sets it), else 80. */
static guint
terminal_width (FILE *stream)
{
  struct winsize ws;
  const char *columns = g_getenv ("COLUMNS");
  guint64 value = 0;

  if (ioctl (fileno (stream), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  if (columns != NULL
      && g_ascii_string_to_unsigned (columns, 10, 2, 1000, &value, NULL))
    return value;
  return 80;
}

void
vr_cli_progress_draw (const VrCliJob *job, gpointer user_data)
{
  FILE *stream = user_data;
  g_autofree char *text = vr_cli_progress_format (job,
                                                  terminal_width (stream));

  /* \r and erase-to-end keep it one line however the text shrinks. */
  fprintf (stream, "\r%s\033[K", text);
  fflush (stream);
}
