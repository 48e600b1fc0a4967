/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Hooks the crash, cancel and fault tests use to stop or slow a job at a
 * chosen point. They exist only in builds configured with
 * -Dtest_hooks=true; elsewhere each is a no-op and no environment
 * variable is read. */

/* With VR_TEST_STALL_AT=POINT, waits at POINT until cancelled (then the
 * job rolls back from there) or killed. With VR_TEST_PAUSE_AT=POINT and
 * VR_TEST_PAUSE_FILE=FILE, waits at POINT while FILE exists, then goes
 * on; with VR_TEST_PAUSE_REACHED=MARK too, it writes the file MARK once
 * it waits there. */
void vr_test_hook_stall (const char *point, GCancellable *cancellable);

/* With VR_TEST_FAIL_AT=POINT, fails at POINT with an I/O error naming it. */
gboolean vr_test_hook_fail (const char *point, GError **error);

/* With VR_TEST_SLOW_COPY set, sleeps a tenth of a second: tests that
 * interrupt a copy from outside need one that lasts. */
void vr_test_hook_slow_copy (void);

/* TRUE in builds that have the hooks (tests that need them skip otherwise). */
gboolean vr_test_hooks_enabled (void);

G_END_DECLS
