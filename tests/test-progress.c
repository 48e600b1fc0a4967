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

static Seen
seen_new (void)
{
  return (Seen) { g_ptr_array_new_with_free_func (g_free),
                  g_array_new (FALSE, FALSE, sizeof (double)), 0 };
}

static void
seen_clear (Seen *seen)
{
  g_ptr_array_unref (seen->phases);
  g_array_unref (seen->fractions);
}

static const char *
last_phase (Seen *seen)
{
  return seen->phases->pdata[seen->phases->len - 1];
}

/* A copy step with one child step per file, weighed by its bytes: the
 * root sees the copy's fraction and its bytes across the files, under
 * its own phase. */
static void
test_child_files (void)
{
  Seen seen = seen_new ();
  g_autoptr (VrProgress) progress = vr_progress_new (record, &seen);
  VrProgress *files;

  vr_progress_add_step (progress, "validate", 10);
  vr_progress_add_step (progress, "copy", 80);
  vr_progress_add_step (progress, "define", 10);
  vr_progress_next (progress);
  vr_progress_next (progress);
  files = vr_progress_get_child (progress);
  vr_progress_add_step_bytes (files, "guest.save", 300);
  vr_progress_add_step_bytes (files, "disks/disk0.qcow2", 100);
  g_assert_true (vr_progress_next (files));
  vr_progress_set_bytes (files, 150, 300);
  g_assert_cmpfloat_with_epsilon (last_fraction (&seen), 0.4, 1e-9);
  g_assert_cmpuint (seen.last_done, ==, 150);
  g_assert_cmpstr (last_phase (&seen), ==, "copy");
  g_assert_true (vr_progress_next (files));
  g_assert_cmpfloat_with_epsilon (last_fraction (&seen), 0.7, 1e-9);
  g_assert_cmpuint (seen.last_done, ==, 300);
  /* A copy counting its data extents only: its share of the file's size. */
  vr_progress_set_bytes (files, 10, 20);
  g_assert_cmpfloat_with_epsilon (last_fraction (&seen), 0.8, 1e-9);
  g_assert_cmpuint (seen.last_done, ==, 350);
  vr_progress_step_done (files);
  g_assert_cmpfloat_with_epsilon (last_fraction (&seen), 0.9, 1e-9);
  g_assert_cmpuint (seen.last_done, ==, 400);
  /* The next step's child starts empty. */
  g_assert_true (vr_progress_next (progress));
  g_assert_cmpstr (last_phase (&seen), ==, "define");
  g_assert_true (vr_progress_get_child (progress) == files);
  vr_progress_set_fraction (files, 0.5);
  g_assert_cmpfloat_with_epsilon (last_fraction (&seen), 0.95, 1e-9);
  seen_clear (&seen);
}

/* fwupd's way: steps start at the first, step_done moves on; children
 * nest, each level scaled into its parent's step. */
static void
test_step_done_nested (void)
{
  Seen seen = seen_new ();
  g_autoptr (VrProgress) progress = vr_progress_new (record, &seen);
  VrProgress *child;
  VrProgress *grandchild;

  vr_progress_add_step (progress, "a", 1);
  vr_progress_add_step (progress, "b", 1);
  child = vr_progress_get_child (progress);
  g_assert_cmpstr (vr_progress_get_phase (progress), ==, "a");
  vr_progress_add_step (child, "a1", 1);
  vr_progress_add_step (child, "a2", 3);
  vr_progress_step_done (child);
  g_assert_cmpfloat_with_epsilon (last_fraction (&seen), 0.125, 1e-9);
  grandchild = vr_progress_get_child (child);
  vr_progress_set_fraction (grandchild, 0.5);
  g_assert_cmpfloat_with_epsilon (last_fraction (&seen), 0.3125, 1e-9);
  vr_progress_step_done (child);
  g_assert_cmpfloat_with_epsilon (last_fraction (&seen), 0.5, 1e-9);
  vr_progress_step_done (progress);
  g_assert_cmpstr (last_phase (&seen), ==, "b");
  g_assert_cmpfloat_with_epsilon (last_fraction (&seen), 0.5, 1e-9);
  vr_progress_step_done (progress);
  g_assert_cmpfloat (last_fraction (&seen), ==, 1.0);
  seen_clear (&seen);
}

/* Empty files weigh nothing, and still move the bar. */
static void
test_zero_weights (void)
{
  Seen seen = seen_new ();
  g_autoptr (VrProgress) progress = vr_progress_new (record, &seen);

  vr_progress_add_step_bytes (progress, "empty1", 0);
  vr_progress_add_step_bytes (progress, "empty2", 0);
  vr_progress_next (progress);
  vr_progress_next (progress);
  g_assert_cmpfloat_with_epsilon (last_fraction (&seen), 0.5, 1e-9);
  vr_progress_step_done (progress);
  g_assert_cmpfloat (last_fraction (&seen), ==, 1.0);
  seen_clear (&seen);
}

static void
test_null (void)
{
  /* The backend reports progress whether or not anybody listens. */
  vr_progress_add_step (NULL, "x", 1);
  g_assert_true (vr_progress_next (NULL));
  vr_progress_set_bytes (NULL, 1, 2);
  vr_progress_finish (NULL);
  vr_progress_step_done (NULL);
  vr_progress_add_step_bytes (NULL, "x", 1);
  g_assert_null (vr_progress_get_child (NULL));
  g_assert_null (vr_progress_get_phase (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/progress/weighted", test_weighted);
  g_test_add_func ("/progress/child-files", test_child_files);
  g_test_add_func ("/progress/step-done-nested", test_step_done_nested);
  g_test_add_func ("/progress/zero-weights", test_zero_weights);
  g_test_add_func ("/progress/null", test_null);
  return g_test_run ();
}
