/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Cancels cancellable when the caller of invocation leaves the bus (at
 * once when it already has): work done for a caller who is gone is root's
 * CPU and disk for no one. Returns the watch (g_bus_unwatch_name ends
 * it), 0 when the call has no sender (a peer connection). Main context
 * only. */
guint vr_caller_watch (GDBusMethodInvocation *invocation,
                       GCancellable *cancellable);

G_END_DECLS
