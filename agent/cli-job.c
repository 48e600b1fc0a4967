/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "cli-job.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

#include "cli-progress.h"
#include "cli.h"
#include "errors.h"

static void
on_completed (VrJob *job, gboolean success, const char *message,
              gpointer user_data)
{
  g_main_loop_quit (user_data);
}

/* Ctrl-C asks the job to stop; it rolls back before it ends. */
static gboolean
on_interrupt (gpointer user_data)
{
  vr_job_cancel (user_data);
  return G_SOURCE_CONTINUE;
}

void
vr_cli_job_wait (VrJob *job, gboolean show_progress)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (VrCliProgressBar) bar = NULL;
  guint sigint = g_unix_signal_add (SIGINT, on_interrupt, job);
  guint sigterm = g_unix_signal_add (SIGTERM, on_interrupt, job);
  gulong handler = g_signal_connect (job, "completed",
                                     G_CALLBACK (on_completed), loop);

  if (show_progress)
    bar = vr_cli_progress_bar_new (job, stderr);
  if (!vr_job_is_finished (job))
    g_main_loop_run (loop);
  g_signal_handler_disconnect (job, handler);
  g_source_remove (sigint);
  g_source_remove (sigterm);
}

int
vr_cli_job_fail (VrJob *job)
{
  g_autofree char *description = vr_job_dup_error_description (job);
  g_autoptr (GError) error = g_error_new_literal (
      VR_ERROR, vr_job_get_error_code (job),
      description ? description : "failed");

  return vr_cli_fail (error);
}
