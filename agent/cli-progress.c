/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli-progress.h"

#define BAR_CELLS 24

struct _VrCliProgressBar {
  VrJob *job;
  FILE *stream;
  gulong handler;
  gboolean drawn;
};

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

static char *
format_bytes (VrJob *job)
{
  guint64 done = 0;
  guint64 total = 0;
  guint64 rate = vr_job_get_rate (job);
  g_autofree char *done_text = NULL;
  g_autofree char *total_text = NULL;
  g_autofree char *rate_text = NULL;
  g_autofree char *eta = NULL;

  vr_job_get_bytes (job, &done, &total);
  if (total == 0)
    return g_strdup ("");
  done_text = g_format_size (done);
  total_text = g_format_size (total);
  rate_text = g_format_size (rate);
  eta = format_eta (vr_job_get_eta (job));
  return g_strdup_printf ("  %s/%s  %s/s  ETA %s", done_text, total_text,
                          rate_text, eta);
}

char *
vr_cli_progress_bar_format (VrJob *job, guint width)
{
  guint percent = vr_job_get_percent (job);
  guint cells = percent * BAR_CELLS / 100;
  g_autofree char *phase = vr_job_dup_phase (job);
  g_autofree char *bytes = format_bytes (job);
  g_autoptr (GString) line = g_string_new (NULL);

  g_string_append_printf (line, "%-9s [", phase ? phase : "starting");
  for (guint i = 0; i < BAR_CELLS; i++)
    g_string_append_c (line, i < cells ? '#' : '.');
  g_string_append_printf (line, "] %3u%%%s", percent, bytes);
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

static void
draw (VrJob *job, gpointer user_data)
{
  VrCliProgressBar *bar = user_data;
  g_autofree char *text = vr_cli_progress_bar_format (
      job, terminal_width (bar->stream));

  /* \r and erase-to-end keep it one line however the text shrinks. */
  fprintf (bar->stream, "\r%s\033[K", text);
  fflush (bar->stream);
  bar->drawn = TRUE;
}

VrCliProgressBar *
vr_cli_progress_bar_new (VrJob *job, FILE *stream)
{
  VrCliProgressBar *bar = g_new0 (VrCliProgressBar, 1);

  bar->job = g_object_ref (job);
  bar->stream = stream;
  if (isatty (fileno (stream)))
    bar->handler = g_signal_connect (job, "changed", G_CALLBACK (draw), bar);
  return bar;
}

void
vr_cli_progress_bar_free (VrCliProgressBar *bar)
{
  if (bar == NULL)
    return;
  if (bar->handler != 0)
    g_signal_handler_disconnect (bar->job, bar->handler);
  if (bar->drawn)
    fputs ("\n", bar->stream);
  g_object_unref (bar->job);
  g_free (bar);
}
