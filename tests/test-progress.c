/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "progress.h"

typedef struct {
  GPtrArray *phases;
  GArray *fractions;
  guint64 last_done;
} Seen;

static void
record (const VrProgressState *state, gpointer user_data)
{
  Seen *seen = user_data;

  g_ptr_array_add (seen->phases, g_strdup (state->phase));
  g_array_append_val (seen->fractions, state->fraction);
  seen->last_done = state->bytes_done;
}

static double
last_fraction (Seen *seen)
{
  return g_array_index (seen->fractions, double, seen->fractions->len - 1);
}

static void
test_weighted (void)
{
  Seen seen = { g_ptr_array_new_with_free_func (g_free),
                g_array_new (FALSE, FALSE, sizeof (double)), 0 };
  g_autoptr (VrProgress) progress = vr_progress_new (record, &seen);

  vr_progress_add_step (progress, "validate", 10);
  vr_progress_add_step (progress, "copy", 80);
  vr_progress_add_step (progress, "define", 10);
  g_assert_null (vr_progress_get_phase (progress));
  g_assert_true (vr_progress_next (progress));
  g_assert_cmpstr (vr_progress_get_phase (progress), ==, "validate");
  g_assert_cmpfloat (last_fraction (&seen), ==, 0.0);
  g_assert_true (vr_progress_next (progress));
  g_assert_cmpfloat_with_epsilon (last_fraction (&seen), 0.1, 1e-9);
  vr_progress_set_bytes (progress, 512, 1024);
  g_assert_cmpfloat_with_epsilon (last_fraction (&seen), 0.5, 1e-9);
  g_assert_cmpuint (seen.last_done, ==, 512);
  g_assert_true (vr_progress_next (progress));
  g_assert_cmpfloat_with_epsilon (last_fraction (&seen), 0.9, 1e-9);
  vr_progress_set_fraction (progress, 2.0);
  g_assert_cmpfloat_with_epsilon (last_fraction (&seen), 1.0, 1e-9);
  g_assert_false (vr_progress_next (progress));
  g_assert_false (vr_progress_next (progress));
  vr_progress_finish (progress);
  g_assert_cmpfloat (last_fraction (&seen), ==, 1.0);
  g_assert_cmpstr (seen.phases->pdata[1], ==, "copy");
  g_ptr_array_unref (seen.phases);
  g_array_unref (seen.fractions);
}

static void
test_null (void)
{
  /* The backend reports progress whether or not anybody listens. */
  vr_progress_add_step (NULL, "x", 1);
  g_assert_true (vr_progress_next (NULL));
  vr_progress_set_bytes (NULL, 1, 2);
  vr_progress_finish (NULL);
  g_assert_null (vr_progress_get_phase (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/progress/weighted", test_weighted);
  g_test_add_func ("/progress/null", test_null);
  return g_test_run ();
}
