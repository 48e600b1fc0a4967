/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "caller-watch.h"

static void
on_vanished (GDBusConnection *bus, const char *name, gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

guint
vr_caller_watch (GDBusMethodInvocation *invocation,
                 GCancellable *cancellable)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);

  if (sender == NULL)
    return 0;
  /* A unique name never comes back: once vanished, gone for good. */
  return g_bus_watch_name_on_connection (
      g_dbus_method_invocation_get_connection (invocation), sender,
      G_BUS_NAME_WATCHER_FLAGS_NONE, NULL, on_vanished,
      g_object_ref (cancellable), g_object_unref);
}
