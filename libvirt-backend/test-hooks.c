/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "test-hooks.h"

#include "errors.h"

#ifdef VR_TEST_HOOKS

static gboolean
hook_is (const char *variable, const char *point)
{
  const char *at = g_getenv (variable);

  return at != NULL && g_strcmp0 (at, point) == 0;
}

/* With VR_TEST_PAUSE_AT=POINT, waits while the file $VR_TEST_PAUSE_FILE
 * exists: a test changes the world there (restarts libvirtd, fills a
 * filesystem), then removes the file and the job goes on. */
static void
pause_at (const char *point, GCancellable *cancellable)
{
  const char *file = g_getenv ("VR_TEST_PAUSE_FILE");

  if (!hook_is ("VR_TEST_PAUSE_AT", point) || file == NULL)
    return;
  g_message ("VR_TEST_PAUSE_AT: paused at %s", point);
  /* Tells a test that the work is held here now. */
  if (g_getenv ("VR_TEST_PAUSE_REACHED") != NULL)
    g_file_set_contents (g_getenv ("VR_TEST_PAUSE_REACHED"), point, -1, NULL);
  while (g_file_test (file, G_FILE_TEST_EXISTS)
         && !g_cancellable_is_cancelled (cancellable))
    g_usleep (G_USEC_PER_SEC / 50);
}

void
vr_test_hook_stall (const char *point, GCancellable *cancellable)
{
  pause_at (point, cancellable);
  if (!hook_is ("VR_TEST_STALL_AT", point))
    return;
  g_message ("VR_TEST_STALL_AT: stalled at %s", point);
  while (!g_cancellable_is_cancelled (cancellable))
    g_usleep (G_USEC_PER_SEC / 50);
}

gboolean
vr_test_hook_fail (const char *point, GError **error)
{
  if (!hook_is ("VR_TEST_FAIL_AT", point))
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_FAILED,
               "VR_TEST_FAIL_AT: failed at %s", point);
  return FALSE;
}

void
vr_test_hook_slow_copy (void)
{
  if (g_getenv ("VR_TEST_SLOW_COPY") != NULL)
    g_usleep (G_USEC_PER_SEC / 10);
}

gboolean
vr_test_hooks_enabled (void)
{
  return TRUE;
}

#else

void
vr_test_hook_stall (const char *point, GCancellable *cancellable)
{
}

gboolean
vr_test_hook_fail (const char *point, GError **error)
{
  return TRUE;
}

void
vr_test_hook_slow_copy (void)
{
}

gboolean
vr_test_hooks_enabled (void)
{
  return FALSE;
}

#endif
