/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "auth.h"

#include <unistd.h>

#include "errors.h"

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
  char *sender;
  guint uid;
  guint waiting; /* answers still to come: the caller's uid, polkit's */
  GError *error; /* the first refusal or failure */
  VrAuthUidFunc uid_known; /* told the uid while polkit still thinks */
  gpointer uid_known_data;
} Check;

/* Checks waiting for polkit, per caller (bus name): a caller may not
 * queue password dialogs without end. Touched in the main context only. */
static GHashTable *pending;
static guint max_pending = VR_AUTH_DEFAULT_MAX_PENDING;

void
vr_auth_set_max_pending (guint max)
{
  max_pending = max > 0 ? max : VR_AUTH_DEFAULT_MAX_PENDING;
}

static gboolean
pending_add (const char *sender)
{
  guint count;

  if (pending == NULL)
    pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (pending, sender));
  if (count >= max_pending)
    return FALSE;
  g_hash_table_insert (pending, g_strdup (sender), GUINT_TO_POINTER (count + 1));
  return TRUE;
}

static void
pending_remove (const char *sender)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (pending, sender));

  if (count <= 1)
    g_hash_table_remove (pending, sender);
  else
    g_hash_table_insert (pending, g_strdup (sender),
                         GUINT_TO_POINTER (count - 1));
}

static void
check_free (gpointer data)
{
  Check *check = data;

  if (check->sender != NULL)
    pending_remove (check->sender);
  g_free (check->sender);
  g_object_unref (check->invocation);
  g_free (check->action_id);
  g_variant_unref (check->details);
  g_clear_error (&check->error);
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

/* The caller's uid and polkit's answer are asked for at once (each is a
 * round trip, one through polkitd); the check ends with the second. */
static void
answer_in (GTask *task, GError *error)
{
  Check *check = g_task_get_task_data (task);

  if (error != NULL && check->error == NULL)
    check->error = error;
  else if (error != NULL)
    g_error_free (error);
  if (--check->waiting > 0)
    return;
  if (check->error != NULL)
    g_task_return_error (task, g_steal_pointer (&check->error));
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
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

  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      answer_in (task, denial (check, error->message));
      return;
    }
  g_variant_get (reply, "((bb@a{ss}))", &authorized, &challenge, NULL);
  answer_in (task, authorized ? NULL
                              : denial (check,
                                        challenge ? "authentication is "
                                                    "required"
                                                  : "polkit denied it"));
}

static void
on_polkit_uid (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Check *check = g_task_get_task_data (task);
  GError *error = NULL;

  /* polkit has not answered yet (it usually takes longer than the bus):
   * whoever asked may prepare work that has no effect meanwhile. */
  if (vr_auth_get_uid_finish (result, &check->uid, &error)
      && check->waiting == 2 && check->uid_known != NULL)
    check->uid_known (check->uid, check->uid_known_data);
  answer_in (task, error);
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
  const char *sender = g_dbus_method_invocation_get_sender (invocation);

  check->invocation = g_object_ref (invocation);
  check->session = session;
  check->interactive = interactive && !no_user_interaction (invocation);
  check->action_id = g_strconcat (VR_ACTION_PREFIX, action, NULL);
  check->details = details_variant (details);
  check->uid_known = uid_known;
  check->uid_known_data = uid_known_data;
  g_task_set_task_data (task, check, check_free);
  if (session)
    {
      vr_auth_get_uid_async (invocation, on_caller_uid, task);
      return;
    }
  if (!pending_add (sender))
    {
      deny (task, "too many authorizations of this caller are pending");
      g_object_unref (task);
      return;
    }
  check->sender = g_strdup (sender);
  check->waiting = 2;
  vr_auth_get_uid_async (invocation, on_polkit_uid, task);
  ask_polkit (task);
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
