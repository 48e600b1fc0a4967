/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VR_DBUS_ERROR_PREFIX "org.virtrealize.Realize1.Error."

/* Registers org.virtrealize.Realize1.Error.<Nick> for every VR_ERROR code
 * that is an error (from Failed, 32768; not Completed nor JobStarted),
 * so that a GError crosses the bus as its code in both directions. The one
 * place that does it; agent and client call it before using the bus. */
void vr_dbus_errors_register (void);

/* Answers invocation with error as VR_ERROR: errors of other domains are
 * mapped to the seed's code that fits (vr_error_get_code()). */
void vr_dbus_return_error (GDBusMethodInvocation *invocation,
                           const GError *error);

/* The same with a VR_ERROR code and a message. */
void vr_dbus_return_error_printf (GDBusMethodInvocation *invocation,
                                  int code,
                                  const char *format,
                                  ...) G_GNUC_PRINTF (3, 4);

/* Turns an error a client got from the agent into VR_ERROR with the remote
 * prefix stripped; errors of the bus itself become NotAvailable. */
void vr_dbus_error_to_local (GError **error);

G_END_DECLS
