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

typedef struct {
  GMainLoop *loop;
  VrJob *job;
} Wait;

/* libvirt's event thread iterates the default main context too, so the
 * job's "completed" may be dispatched there, between the look at
 * vr_job_is_finished() and g_main_loop_run(): that quit is lost and the
 * CLI would wait for ever (seen by the kill-anywhere trials). A look every
 * tenth of a second ends the wait all the same. */
static gboolean
on_tick (gpointer user_data)
{
  Wait *wait = user_data;

  if (vr_job_is_finished (wait->job))
    g_main_loop_quit (wait->loop);
  return G_SOURCE_CONTINUE;
}

/* The tick may run on the other thread until its source is gone: it
 * holds its own references. */
static void
wait_free (gpointer data)
{
  Wait *wait = data;

  g_main_loop_unref (wait->loop);
  g_object_unref (wait->job);
  g_free (wait);
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
  /* Its own reference, for the same reason as the tick's. */
  gulong handler = g_signal_connect_data (
      job, "completed", G_CALLBACK (on_completed), g_main_loop_ref (loop),
      (GClosureNotify) (void (*) (void)) g_main_loop_unref, 0);
  Wait *wait = g_new0 (Wait, 1);
  guint tick;

  wait->loop = g_main_loop_ref (loop);
  wait->job = g_object_ref (job);
  tick = g_timeout_add_full (G_PRIORITY_DEFAULT, 100, on_tick, wait,
                             wait_free);

  if (show_progress)
    bar = vr_cli_progress_bar_new (job, stderr);
  if (!vr_job_is_finished (job))
    g_main_loop_run (loop);
  g_source_remove (tick);
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
