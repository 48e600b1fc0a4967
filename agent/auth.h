/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VR_ACTION_PREFIX "org.virtrealize.Realize1."

/* Every method's authorization, in one place: the caller of invocation is
 * asked about with polkit (org.freedesktop.PolicyKit1.Authority
 * CheckAuthorization, subject its bus name, user interaction allowed),
 * action being the suffix after VR_ACTION_PREFIX ("realize").
 *
 * session: the agent is on a session bus, where polkit cannot name the
 * caller; there only callers with the agent's own uid are let in.
 *
 * The answer comes asynchronously, so that a user typing a password never
 * stalls other callers. */
void vr_auth_check_async (GDBusMethodInvocation *invocation,
                          gboolean session,
                          const char *action,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data);

/* TRUE when allowed, with the caller's uid; else FALSE with
 * VR_ERROR_ACCESS_DENIED (32769). */
gboolean vr_auth_check_finish (GAsyncResult *result,
                               guint *uid,
                               GError **error);

/* The caller's uid only (no polkit), for the job's owner check. */
void vr_auth_get_uid_async (GDBusMethodInvocation *invocation,
                            GAsyncReadyCallback callback,
                            gpointer user_data);
gboolean vr_auth_get_uid_finish (GAsyncResult *result,
                                 guint *uid,
                                 GError **error);

G_END_DECLS
