/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI's tables (cli/output.c), built with the model alone: a field
 * never starts a line of its own (twelfth review F5: an import's name
 * with a newline forged a "completed" realize row in another user's
 * `virt-realize jobs`). */
#include "config.h"

#include <string.h>

#include "cli.h"
#include "job-states.h"
#include "model.h"

#define FORGED "x\n 9999  realize  payroll-db  completed  100%\n"

static void
print_jobs (void)
{
  VrCliJob job = { .id = (char *) "7", .type = (char *) "import",
                   .target = (char *) FORGED, .state = 10,
                   .error_code = 32773,
                   .error_description = (char *) "bad\r\nrow" };
  g_autoptr (GPtrArray) jobs = g_ptr_array_new ();

  g_ptr_array_add (jobs, &job);
  vr_cli_print_jobs (jobs);
}

static void
print_systems (void)
{
  VrCliSystem system = { .name = (char *) FORGED,
                         .uuid = (char *) "5a1ad0c0-7e57-4b3d-9c1e-000000000002",
                         .state = (char *) "planned\n9999" };
  g_autoptr (GPtrArray) systems = g_ptr_array_new ();

  g_ptr_array_add (systems, &system);
  vr_cli_print_system_table (systems);
}

static void
test_cells (gconstpointer data)
{
  if (g_test_subprocess ())
    {
      ((void (*) (void)) data) ();
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* The row's field shows its newline as \n; no line starts with the
   * forged row. */
  g_test_trap_assert_stdout ("*x\\n 9999  realize*");
  g_test_trap_assert_stdout_unmatched ("*\n 9999*");
}

static void
test_line_count (void)
{
  if (g_test_subprocess ())
    {
      print_jobs ();
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*bad\\r\\nrow\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/cli-output/jobs", print_jobs, test_cells);
  g_test_add_data_func ("/cli-output/systems", print_systems, test_cells);
  g_test_add_func ("/cli-output/error-cell", test_line_count);
  return g_test_run ();
}
