/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VR_ACTION_PREFIX "org.virtrealize.Realize1."
/* Needed on top of "realize" for XML that reaches into the host
 * (VR1801-VR1809): auth_admin, root-equivalent. */
#define VR_ACTION_HOST_ACCESS "realize-host-access"
/* Update, Realize or Destroy of a planned system another user imported
 * (not for root): auth_admin. */
#define VR_ACTION_MANAGE_OTHERS "manage-others"
/* GetDomainXML with its secrets (graphics passwords...). */
#define VR_ACTION_READ_SECRETS "read-secrets"
/* The option every method's a{sv} may carry (as udisks): TRUE means
 * polkit may not ask anyone for a password. */
#define VR_AUTH_NO_USER_INTERACTION "auth.no_user_interaction"
/* Authorizations one uid (all its connections) may have waiting for
 * polkit at once (MaxPendingAuthorizations=); root has a share of its
 * own, and all other uids together at most VR_AUTH_MAX_PENDING_USERS, so
 * that the agent's connection stays well below dbus-daemon's 128 pending
 * replies (max_replies_per_connection) and no user starves root. */
#define VR_AUTH_DEFAULT_MAX_PENDING 4
#define VR_AUTH_MAX_PENDING_ROOT 32
#define VR_AUTH_MAX_PENDING_USERS 64
/* The largest parameters (g_variant_get_size) a call may bring to polkit:
 * options and names are far smaller; a method taking a domain XML may
 * bring VR_XML_MAX_SIZE (4 MiB) more for it. */
#define VR_AUTH_MAX_PARAMETERS (1024 * 1024)

/* Every method's authorization, in one place: the caller of invocation is
 * asked about with polkit (org.freedesktop.PolicyKit1.Authority
 * CheckAuthorization, subject its bus name, user interaction allowed),
 * action being the suffix after VR_ACTION_PREFIX ("realize").
 *
 * session: the agent is on a session bus, where polkit cannot name the
 * caller; there only callers with the agent's own uid are let in.
 *
 * Before polkit is asked: the call's size and descriptors are checked
 * (vr_auth_call_within_bounds), then the caller's uid is asked of the bus
 * and counted against MaxPendingAuthorizations (vr_auth_set_max_pending).
 *
 * The answer comes asynchronously, so that a user typing a password never
 * stalls other callers. */
void vr_auth_check_async (GDBusMethodInvocation *invocation,
                          gboolean session,
                          const char *action,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data);

/* The same; interactive FALSE never lets polkit ask for a password
 * (an authorization that needs one is denied). */
void vr_auth_check_full_async (GDBusMethodInvocation *invocation,
                               gboolean session,
                               const char *action,
                               gboolean interactive,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);

/* The same, passing details to polkit: key, value, ..., NULL (may be
 * NULL). Its rules read them (action.lookup ("host")) and the action's
 * message shows them ($(host)); the caller checks what they say first. */
void vr_auth_check_details_async (GDBusMethodInvocation *invocation,
                                  gboolean session,
                                  const char *action,
                                  gboolean interactive,
                                  const char *const *details,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);

/* The same, and uid_known is called with the caller's uid once the bus
 * told it, just before polkit is asked (never on a session bus, nor for
 * a call refused before polkit): the time to start work that changes
 * nothing and tells nobody anything until the answer is known, so that
 * it runs beside polkit's check instead of after it. The check's answer
 * (callback) still decides; it comes after uid_known. */
typedef void (*VrAuthUidFunc) (guint uid, gpointer user_data);
void vr_auth_check_early_async (GDBusMethodInvocation *invocation,
                                gboolean session,
                                const char *action,
                                gboolean interactive,
                                const char *const *details,
                                VrAuthUidFunc uid_known,
                                gpointer uid_known_data,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);

/* At most max (0: the default) authorizations of one uid wait for
 * polkit at once; more are refused at once, VR_ERROR_IN_USE (32774)
 * naming MaxPendingAuthorizations. */
void vr_auth_set_max_pending (guint max);

/* What every check looks at before it asks anyone (the call's message
 * and its descriptors wait as long as polkit does): FALSE with
 * VR_ERROR_INVALID_PARAMETER (32773) naming the limit when the call
 * carries more descriptors than it has handle values ('h' arguments and
 * handles among its a{sv} options), or parameters larger than
 * VR_AUTH_MAX_PARAMETERS (plus VR_XML_MAX_SIZE for a domain_xml
 * argument). */
gboolean vr_auth_call_within_bounds (GDBusMethodInvocation *invocation,
                                     GError **error);

/* TRUE when allowed, with the caller's uid; else FALSE with
 * VR_ERROR_ACCESS_DENIED (32769). */
gboolean vr_auth_check_finish (GAsyncResult *result,
                               guint *uid,
                               GError **error);

/* From a worker thread, on the system bus: the same polkit check,
 * waiting for its answer (user interaction as the call's options say). */
gboolean vr_auth_check_sync (GDBusMethodInvocation *invocation,
                             const char *action,
                             GCancellable *cancellable,
                             GError **error);

/* The caller's uid only (no polkit), for the job's owner check. */
void vr_auth_get_uid_async (GDBusMethodInvocation *invocation,
                            GAsyncReadyCallback callback,
                            gpointer user_data);
gboolean vr_auth_get_uid_finish (GAsyncResult *result,
                                 guint *uid,
                                 GError **error);

G_END_DECLS
