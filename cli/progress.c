/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The progress bar, one for both transports: it reads a VrCliJob. */
#include "config.h"

#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

#define BAR_CELLS 16

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
 * at most 79 columns for sizes up to 1023.9 GB and an ETA under 100 h. */
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
  rate = g_format_size (job->rate);
  eta = format_eta (job->eta);
  return g_strdup_printf (" %s/%s %s/s ETA %s", done, total, rate, eta);
}

char *
vr_cli_progress_format (const VrCliJob *job, guint width)
{
  guint cells = MIN (job->percent, 100) * BAR_CELLS / 100;
  g_autofree char *bytes = format_bytes (job);
  g_autoptr (GString) line = g_string_new (NULL);

  g_string_append_printf (line, "%-8s [", job->phase ? job->phase
                                                    : "starting");
  for (guint i = 0; i < BAR_CELLS; i++)
    g_string_append_c (line, i < cells ? '#' : '.');
  g_string_append_printf (line, "] %3u%%%s", job->percent, bytes);
  if (width > 1 && line->len >= width)
    g_string_truncate (line, width - 1);
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static guint
terminal_width (FILE *stream)
{
  struct winsize ws;

  if (ioctl (fileno (stream), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
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
