/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "errors.h"
#include "job.h"

typedef struct {
  guint changed;
  gboolean completed;
  gboolean success;
  char *message;
  GMainLoop *loop;
} Watch;

static void
on_changed (VrJob *job, gpointer user_data)
{
  ((Watch *) user_data)->changed++;
}

static void
on_completed (VrJob *job, gboolean success, const char *message,
              gpointer user_data)
{
  Watch *w = user_data;

  w->completed = TRUE;
  w->success = success;
  w->message = g_strdup (message);
  g_main_loop_quit (w->loop);
}

static void
run_job (VrJob *job, VrJobFunc func, gpointer data, Watch *w)
{
  w->loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (job, "changed", G_CALLBACK (on_changed), w);
  g_signal_connect (job, "completed", G_CALLBACK (on_completed), w);
  g_assert_cmpint (vr_job_get_state (job), ==, VR_JOB_STATE_NEW);
  vr_job_start (job, func, data, NULL);
  g_main_loop_run (w->loop);
  g_main_loop_unref (w->loop);
}

/* 1 GiB "moved" in 2000 small steps over about a second. */
static gboolean
move_bytes (VrJob *job, VrProgress *progress, GCancellable *cancellable,
            gpointer data, GError **error)
{
  const guint64 total = 1 << 30;

  vr_progress_add_step (progress, "copy", 90);
  vr_progress_add_step (progress, "define", 10);
  vr_progress_next (progress);
  for (guint i = 1; i <= 2000; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      vr_progress_set_bytes (progress, total / 2000 * i, total);
      g_usleep (500);
    }
  vr_progress_next (progress);
  return TRUE;
}

static void
test_completes (void)
{
  g_autoptr (VrJob) job = vr_job_new (7, "realize", "vr-guest");
  Watch w = { 0 };
  guint64 done = 0;
  guint64 total = 0;

  run_job (job, move_bytes, NULL, &w);
  g_assert_true (w.completed);
  g_assert_true (w.success);
  g_assert_cmpint (vr_job_get_state (job), ==, VR_JOB_STATE_COMPLETED);
  g_assert_cmpuint (vr_job_get_percent (job), ==, 100);
  g_assert_cmpint (vr_job_get_error_code (job), ==, 0);
  g_assert_cmpuint (vr_job_get_id (job), ==, 7);
  g_assert_cmpstr (vr_job_get_job_type (job), ==, "realize");
  g_assert_cmpstr (vr_job_get_target (job), ==, "vr-guest");
  vr_job_get_bytes (job, &done, &total);
  /* The last step moved no bytes: the job reports what its copy moved. */
  g_assert_cmpuint (done, ==, (guint64) ((1 << 30) / 2000) * 2000);
  g_assert_cmpuint (total, ==, 1 << 30);
  g_assert_cmpint (vr_job_get_start_time (job), >, 0);
  g_assert_cmpint (vr_job_get_elapsed (job), >, 0);
  g_assert_false (vr_job_get_cancellable (job));
  /* 2000 updates in about a second reach the main loop ~10 times. */
  g_assert_cmpuint (w.changed, >=, 2);
  g_assert_cmpuint (w.changed, <=, 40);
  g_free (w.message);
}

static gboolean
fail_in_use (VrJob *job, VrProgress *progress, GCancellable *cancellable,
             gpointer data, GError **error)
{
  g_set_error (error, VR_ERROR, VR_ERROR_IN_USE, "busy elsewhere");
  return FALSE;
}

static void
test_exception (void)
{
  g_autoptr (VrJob) job = vr_job_new (1, "realize", "g");
  Watch w = { 0 };
  g_autofree char *description = NULL;

  run_job (job, fail_in_use, NULL, &w);
  g_assert_false (w.success);
  g_assert_cmpstr (w.message, ==, "busy elsewhere");
  g_assert_cmpint (vr_job_get_state (job), ==, VR_JOB_STATE_EXCEPTION);
  g_assert_cmpint (vr_job_get_error_code (job), ==, VR_ERROR_IN_USE);
  description = vr_job_dup_error_description (job);
  g_assert_cmpstr (description, ==, "busy elsewhere");
  g_free (w.message);
}

static gboolean
cancel_soon (gpointer data)
{
  vr_job_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (void)
{
  g_autoptr (VrJob) job = vr_job_new (2, "realize", "g");
  Watch w = { 0 };

  g_timeout_add (50, cancel_soon, job);
  run_job (job, move_bytes, NULL, &w);
  g_assert_false (w.success);
  g_assert_cmpint (vr_job_get_state (job), ==, VR_JOB_STATE_TERMINATED);
  g_assert_cmpuint (vr_job_get_percent (job), <, 100);
  g_free (w.message);
}

typedef struct {
  VrJob *job;
  guint64 rate;
} RateProbe;

static gboolean
steady_rate (VrJob *job, VrProgress *progress, GCancellable *cancellable,
             gpointer data, GError **error)
{
  RateProbe *probe = data;

  vr_progress_add_step (progress, "copy", 1);
  vr_progress_next (progress);
  /* 100 MB/s for 0.6 s. */
  for (guint i = 1; i <= 60; i++)
    {
      vr_progress_set_bytes (progress, i * 1000000ull, 100000000ull);
      g_usleep (10000);
    }
  probe->rate = vr_job_get_rate (job);
  return TRUE;
}

static void
test_rate (void)
{
  g_autoptr (VrJob) job = vr_job_new (3, "realize", "g");
  RateProbe probe = { job, 0 };
  Watch w = { 0 };

  run_job (job, steady_rate, &probe, &w);
  /* About 100 MB/s: the bounds catch a wrong unit or window (a factor of
   * 1000, or 0), not timing; a loaded machine stretches the sleeps and
   * the measured window may start a tick late (CI saw 101.0016 MB/s). */
  g_assert_cmpuint (probe.rate, >, 1000000);
  g_assert_cmpuint (probe.rate, <, 200000000);
  g_free (w.message);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/job/completes", test_completes);
  g_test_add_func ("/job/exception", test_exception);
  g_test_add_func ("/job/cancel", test_cancel);
  g_test_add_func ("/job/rate", test_rate);
  return g_test_run ();
}
