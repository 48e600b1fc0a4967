/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "auth.h"

#include <unistd.h>

#include <gio/gunixfdlist.h>

#include "errors.h"
#include "safe-xml.h"

#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_IFACE "org.freedesktop.PolicyKit1.Authority"
#define POLKIT_ALLOW_USER_INTERACTION 1
/* Long enough for a person to type a password into an auth agent. */
#define POLKIT_TIMEOUT_MS (5 * 60 * 1000)

typedef struct {
  GDBusMethodInvocation *invocation;
  gboolean session;
  gboolean interactive;
  char *action_id;
  GVariant *details; /* a{ss} for polkit (its rules and messages) */
  gboolean counted;  /* holds one of uid's pending authorizations */
  guint uid;
  VrAuthUidFunc uid_known; /* told the uid before polkit is asked */
  gpointer uid_known_data;
} Check;

/* Checks waiting for polkit, per uid (eighteenth attack review, F1-F3:
 * counted per bus name, 40 connections of one user held 160 checks, the
 * agent's connection reached dbus-daemon's 128 pending replies and every
 * caller's check, root's too, failed). One uid has at most max_pending
 * checks waiting, whatever its connections; all uids but root together at
 * most VR_AUTH_MAX_PENDING_USERS; root its own VR_AUTH_MAX_PENDING_ROOT.
 * Touched in the main context only. */
static GHashTable *pending; /* uid -> count */
static guint pending_users; /* all uids but root */
static guint max_pending = VR_AUTH_DEFAULT_MAX_PENDING;

void
vr_auth_set_max_pending (guint max)
{
  max_pending = max > 0 ? max : VR_AUTH_DEFAULT_MAX_PENDING;
}

static gboolean
pending_add (guint uid, GError **error)
{
  guint count;

  if (pending == NULL)
    pending = g_hash_table_new (g_direct_hash, g_direct_equal);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (pending,
                                                 GUINT_TO_POINTER (uid)));
  if (uid == 0 ? count >= VR_AUTH_MAX_PENDING_ROOT : count >= max_pending)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "uid %u has %u authorizations waiting for polkit, the "
                   "most one user may have (MaxPendingAuthorizations=%u%s): "
                   "answer or cancel the authentication dialogs first", uid,
                   count, uid == 0 ? VR_AUTH_MAX_PENDING_ROOT : max_pending,
                   uid == 0 ? ", root's own share" : "");
      return FALSE;
    }
  if (uid != 0 && pending_users >= VR_AUTH_MAX_PENDING_USERS)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "%u authorizations of users are waiting for polkit, the "
                   "most the agent keeps (MaxPendingAuthorizations=%u per "
                   "user, %u of all users): try again later",
                   pending_users, max_pending, VR_AUTH_MAX_PENDING_USERS);
      return FALSE;
    }
  g_hash_table_insert (pending, GUINT_TO_POINTER (uid),
                       GUINT_TO_POINTER (count + 1));
  if (uid != 0)
    pending_users++;
  return TRUE;
}

static void
pending_remove (guint uid)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (
      pending, GUINT_TO_POINTER (uid)));

  if (count <= 1)
    g_hash_table_remove (pending, GUINT_TO_POINTER (uid));
  else
    g_hash_table_insert (pending, GUINT_TO_POINTER (uid),
                         GUINT_TO_POINTER (count - 1));
  if (uid != 0)
    pending_users--;
}

static void
check_free (gpointer data)
{
  Check *check = data;

  if (check->counted)
    pending_remove (check->uid);
  g_object_unref (check->invocation);
  g_free (check->action_id);
  g_variant_unref (check->details);
  g_free (check);
}

static void
on_uid (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (
      G_DBUS_CONNECTION (source), result, &error);
  guint uid;

  if (reply == NULL)
    {
      g_task_return_new_error (task, VR_ERROR, VR_ERROR_ACCESS_DENIED,
                               "cannot identify the caller: %s",
                               error->message);
      return;
    }
  g_variant_get (reply, "(u)", &uid);
  g_task_return_int (task, uid);
}

void
vr_auth_get_uid_async (GDBusMethodInvocation *invocation,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);

  g_dbus_connection_call (
      g_dbus_method_invocation_get_connection (invocation),
      "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "GetConnectionUnixUser",
      g_variant_new ("(s)", g_dbus_method_invocation_get_sender (invocation)),
      G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_uid, task);
}

gboolean
vr_auth_get_uid_finish (GAsyncResult *result, guint *uid, GError **error)
{
  gssize value = g_task_propagate_int (G_TASK (result), error);

  if (value < 0)
    return FALSE;
  *uid = (guint) value;
  return TRUE;
}

static GError *
denial (Check *check, const char *why)
{
  return g_error_new (VR_ERROR, VR_ERROR_ACCESS_DENIED,
                      "not authorized for %s: %s", check->action_id, why);
}

static void
deny (GTask *task, const char *why)
{
  g_task_return_error (task, denial (g_task_get_task_data (task), why));
}

static void
on_polkit (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Check *check = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (
      G_DBUS_CONNECTION (source), result, &error);
  gboolean authorized = FALSE;
  gboolean challenge = FALSE;

  /* Answered: no longer waiting, before the answer's callback asks
   * polkit again (realize-host-access after realize). */
  check->counted = FALSE;
  pending_remove (check->uid);
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      deny (task, error->message);
    }
  else
    {
      g_variant_get (reply, "((bb@a{ss}))", &authorized, &challenge, NULL);
      if (authorized)
        g_task_return_boolean (task, TRUE);
      else
        deny (task, challenge ? "authentication is required"
                              : "polkit denied it");
    }
  g_object_unref (task);
}

/* CheckAuthorization's arguments: the caller by its bus name. */
static GVariant *
polkit_args (GDBusMethodInvocation *invocation, const char *action_id,
             GVariant *details, gboolean interactive)
{
  GVariantBuilder subject;

  g_variant_builder_init (&subject, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (
      &subject, "{sv}", "name",
      g_variant_new_string (g_dbus_method_invocation_get_sender (invocation)));
  return g_variant_new ("((sa{sv})s@a{ss}us)", "system-bus-name", &subject,
                        action_id, details,
                        interactive ? POLKIT_ALLOW_USER_INTERACTION : 0, "");
}

static void
ask_polkit (GTask *task)
{
  Check *check = g_task_get_task_data (task);
  GDBusConnection *bus = g_dbus_method_invocation_get_connection (
      check->invocation);

  g_dbus_connection_call (
      bus, POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE, "CheckAuthorization",
      polkit_args (check->invocation, check->action_id, check->details,
                   check->interactive),
      G_VARIANT_TYPE ("((bba{ss}))"), G_DBUS_CALL_FLAGS_NONE,
      POLKIT_TIMEOUT_MS, g_task_get_cancellable (task), on_polkit, task);
}

/* The caller's uid comes first (one round trip to the bus), so that its
 * pending authorizations are counted before polkit, which may wait for a
 * password for minutes, is asked. */
static void
on_check_uid (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Check *check = g_task_get_task_data (task);
  GError *error = NULL;

  if (!vr_auth_get_uid_finish (result, &check->uid, &error)
      || !pending_add (check->uid, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  check->counted = TRUE;
  /* polkit usually takes longer than the bus: whoever asked may prepare
   * work that has no effect meanwhile. */
  if (check->uid_known != NULL)
    check->uid_known (check->uid, check->uid_known_data);
  ask_polkit (task);
}

static void
on_caller_uid (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Check *check = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  if (!vr_auth_get_uid_finish (result, &check->uid, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  /* A session bus has no polkit subject for the caller; only the agent's
   * own user may use it. */
  if (check->uid == getuid ())
    g_task_return_boolean (task, TRUE);
  else
    deny (task, "on a session bus only the agent's own user is allowed");
  g_object_unref (task);
}

/* udisks' convention: any a{sv} argument may carry
 * auth.no_user_interaction=true, and then polkit must not ask anyone. */
static gboolean
no_user_interaction (GDBusMethodInvocation *invocation)
{
  GVariant *params = g_dbus_method_invocation_get_parameters (invocation);
  gsize n = params ? g_variant_n_children (params) : 0;

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GVariant) arg = g_variant_get_child_value (params, i);
      gboolean value = FALSE;

      if (g_variant_is_of_type (arg, G_VARIANT_TYPE_VARDICT)
          && g_variant_lookup (arg, VR_AUTH_NO_USER_INTERACTION, "b", &value)
          && value)
        return TRUE;
    }
  return FALSE;
}

/* Handle values of a call: its 'h' arguments and the handles among its
 * a{sv} arguments' values (Realize's option import-dir). */
static guint
count_handles (GVariant *params)
{
  gsize n = g_variant_n_children (params);
  guint handles = 0;

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GVariant) arg = g_variant_get_child_value (params, i);
      GVariantIter iter;
      GVariant *value;

      if (g_variant_is_of_type (arg, G_VARIANT_TYPE_HANDLE))
        handles++;
      if (!g_variant_is_of_type (arg, G_VARIANT_TYPE_VARDICT))
        continue;
      g_variant_iter_init (&iter, arg);
      while (g_variant_iter_next (&iter, "{&sv}", NULL, &value))
        {
          if (g_variant_is_of_type (value, G_VARIANT_TYPE_HANDLE))
            handles++;
          g_variant_unref (value);
        }
    }
  return handles;
}

/* The bound of the call's parameters: VR_AUTH_MAX_PARAMETERS, and a domain
 * XML's VR_XML_MAX_SIZE more for each argument that is one (Update's
 * domain_xml, as the interface XML names it). */
static gsize
parameters_bound (GDBusMethodInvocation *invocation)
{
  const GDBusMethodInfo *method
      = g_dbus_method_invocation_get_method_info (invocation);
  gsize bound = VR_AUTH_MAX_PARAMETERS;

  for (guint i = 0; method != NULL && method->in_args != NULL
                    && method->in_args[i] != NULL; i++)
    if (g_strcmp0 (method->in_args[i]->name, "domain_xml") == 0)
      bound += VR_XML_MAX_SIZE;
  return bound;
}

gboolean
vr_auth_call_within_bounds (GDBusMethodInvocation *invocation,
                            GError **error)
{
  GVariant *params = g_dbus_method_invocation_get_parameters (invocation);
  GUnixFDList *fds = g_dbus_message_get_unix_fd_list (
      g_dbus_method_invocation_get_message (invocation));
  guint n_fds = fds != NULL ? (guint) g_unix_fd_list_get_length (fds) : 0;
  gsize size = params != NULL ? g_variant_get_size (params) : 0;
  gsize bound = parameters_bound (invocation);
  guint handles;

  if (size > bound)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "the call's parameters are %" G_GSIZE_FORMAT " bytes, "
                   "more than the %" G_GSIZE_FORMAT " bytes %s takes",
                   size, bound,
                   g_dbus_method_invocation_get_method_name (invocation));
      return FALSE;
    }
  if (n_fds == 0)
    return TRUE;
  handles = params != NULL ? count_handles (params) : 0;
  if (n_fds > handles)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "the call carries %u file descriptors, more than the %u "
                   "its arguments name (%s takes one for each handle, 'h')",
                   n_fds, handles,
                   g_dbus_method_invocation_get_method_name (invocation));
      return FALSE;
    }
  return TRUE;
}

void
vr_auth_check_async (GDBusMethodInvocation *invocation, gboolean session,
                     const char *action, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  vr_auth_check_full_async (invocation, session, action, TRUE, cancellable,
                            callback, user_data);
}

void
vr_auth_check_full_async (GDBusMethodInvocation *invocation, gboolean session,
                          const char *action, gboolean interactive,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  vr_auth_check_details_async (invocation, session, action, interactive,
                               NULL, cancellable, callback, user_data);
}

/* key, value, ... as polkit's a{ss}. */
static GVariant *
details_variant (const char *const *details)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  for (gsize i = 0; details != NULL && details[i] != NULL
                    && details[i + 1] != NULL; i += 2)
    g_variant_builder_add (&builder, "{ss}", details[i], details[i + 1]);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

void
vr_auth_check_details_async (GDBusMethodInvocation *invocation,
                             gboolean session, const char *action,
                             gboolean interactive,
                             const char *const *details,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  vr_auth_check_early_async (invocation, session, action, interactive,
                             details, NULL, NULL, cancellable, callback,
                             user_data);
}

void
vr_auth_check_early_async (GDBusMethodInvocation *invocation,
                           gboolean session, const char *action,
                           gboolean interactive, const char *const *details,
                           VrAuthUidFunc uid_known, gpointer uid_known_data,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Check *check = g_new0 (Check, 1);
  GError *error = NULL;

  check->invocation = g_object_ref (invocation);
  check->session = session;
  check->interactive = interactive && !no_user_interaction (invocation);
  check->action_id = g_strconcat (VR_ACTION_PREFIX, action, NULL);
  check->details = details_variant (details);
  check->uid_known = uid_known;
  check->uid_known_data = uid_known_data;
  g_task_set_task_data (task, check, check_free);
  /* What the call holds (its message, its descriptors) waits with it:
   * bounded before anyone is asked. */
  if (!vr_auth_call_within_bounds (invocation, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (session)
    {
      vr_auth_get_uid_async (invocation, on_caller_uid, task);
      return;
    }
  vr_auth_get_uid_async (invocation, on_check_uid, task);
}

gboolean
vr_auth_check_finish (GAsyncResult *result, guint *uid, GError **error)
{
  Check *check = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  *uid = check->uid;
  return TRUE;
}

gboolean
vr_auth_check_sync (GDBusMethodInvocation *invocation, const char *action,
                    GCancellable *cancellable, GError **error)
{
  g_autofree char *action_id = g_strconcat (VR_ACTION_PREFIX, action, NULL);
  g_autoptr (GVariant) details = details_variant (NULL);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) local = NULL;
  gboolean authorized = FALSE;
  gboolean challenge = FALSE;

  reply = g_dbus_connection_call_sync (
      g_dbus_method_invocation_get_connection (invocation), POLKIT_NAME,
      POLKIT_PATH, POLKIT_IFACE, "CheckAuthorization",
      polkit_args (invocation, action_id, details,
                   !no_user_interaction (invocation)),
      G_VARIANT_TYPE ("((bba{ss}))"), G_DBUS_CALL_FLAGS_NONE,
      POLKIT_TIMEOUT_MS, cancellable, &local);
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (local);
      g_set_error (error, VR_ERROR, VR_ERROR_ACCESS_DENIED,
                   "not authorized for %s: %s", action_id, local->message);
      return FALSE;
    }
  g_variant_get (reply, "((bb@a{ss}))", &authorized, &challenge, NULL);
  if (!authorized)
    g_set_error (error, VR_ERROR, VR_ERROR_ACCESS_DENIED,
                 "not authorized for %s: %s", action_id,
                 challenge ? "authentication is required"
                           : "polkit denied it");
  return authorized;
}
