/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-realize realize as a person runs it: into an embedded root, the
 * guest resumes; Ctrl-C in the middle of the copy rolls everything back. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-util.h"
#include "testbed.h"

static char *root;
static char *uri;

static void
test_realize_start_resumes (void)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *imported = NULL;
  g_autofree char *realized = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *domstate = NULL;
  int status = 0;

  g_autofree char *asan = g_strdup (g_getenv ("ASAN_OPTIONS"));

  imported = test_cli_direct (state, uri, &status, "import", basic, NULL);
  g_assert_cmpint (status, ==, 0);
  /* The started guest outlives the process by design; LeakSanitizer's
   * tracer, stopping the embedded driver's threads at exit while they
   * still watch that guest, sometimes crashes. Leaks of this code path are
   * checked by the in-process realize tests. */
  if (asan != NULL)
    g_setenv ("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1", TRUE);
  realized = test_cli_direct (state, uri, &status, "realize", "vr-guest",
                              "--start", NULL);
  if (asan != NULL)
    g_setenv ("ASAN_OPTIONS", asan, TRUE);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (realized, "realized as domain 'vr-guest'"));
  shown = test_cli_direct (state, uri, &status, "--json", "show", "vr-guest",
                           NULL);
  g_assert_nonnull (strstr (shown, "\"state\" : \"realized\""));
  domstate
      = test_virsh (uri, "domstate --reason vr-guest; dommemstat vr-guest; "
                         "destroy vr-guest; undefine vr-guest");
  g_assert_true (g_str_has_prefix (domstate, "running (restored)"));
  test_rmtree (state);
}

static char *
read_state (const char *state)
{
  g_autoptr (GDir) dir = g_dir_open (state, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *record = g_build_filename (state, name, "record.xml",
                                                  NULL);
      char *text = NULL;

      if (g_file_get_contents (record, &text, NULL, NULL))
        return text;
    }
  return g_strdup ("");
}

/* Waits until the copy has started: the record says realizing and a temp
 * file is in the pool. */
static void
wait_for_copy (const char *state, const char *pool)
{
  for (int i = 0; i < 300; i++)
    {
      g_autofree char *record = read_state (state);

      if (strstr (record, "<state>realizing</state>") != NULL
          && test_count_entries (pool) > 0)
        return;
      g_usleep (G_USEC_PER_SEC / 10);
    }
  g_error ("the realize never started copying");
}

static void
test_ctrl_c_rolls_back (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = vr_testbed_large_import (128);
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *pool = test_mkdtemp ();
  g_autofree char *imported = NULL;
  g_autofree char *record = NULL;
  g_autofree char *domains = NULL;
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "VR_TEST_SLOW_COPY",
                                         "1", TRUE);
  const char *argv[] = { g_getenv ("VR_CLI"), "--direct", "--state-dir",
                         state, "-c", uri, "realize", "vr-guest",
                         "--pool-dir", pool, NULL };
  GPid pid;
  int status = 0;
  int wait_status = 0;

  if (!test_needs_hooks ())
    return;

  imported = test_cli_direct (state, uri, &status, "import", dir, NULL);
  g_assert_cmpint (status, ==, 0);
  g_spawn_async (NULL, (char **) argv, env, G_SPAWN_DO_NOT_REAP_CHILD
                 | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  wait_for_copy (state, pool);
  kill (pid, SIGINT);
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_assert_true (WIFEXITED (wait_status));
  g_assert_cmpint (WEXITSTATUS (wait_status), ==, 1);
  record = read_state (state);
  g_assert_nonnull (strstr (record, "<state>planned</state>"));
  g_assert_cmpuint (test_count_entries (pool), ==, 0);
  domains = test_virsh (uri, "list --all --name");
  g_assert_cmpstr (domains, ==, "");
  test_rmtree (state);
  test_rmtree (pool);
  test_rmtree (dir);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  root = vr_testbed_new_root ("cli-realize");
  uri = vr_testbed_root_uri (root);
  g_test_add_func ("/cli-realize/start-resumes", test_realize_start_resumes);
  g_test_add_func ("/cli-realize/ctrl-c-rolls-back", test_ctrl_c_rolls_back);
  status = g_test_run ();
  test_rmtree (root);
  g_free (root);
  g_free (uri);
  return status;
}
