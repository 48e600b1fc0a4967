/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "dbus-validate-definition.h"

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caller-access.h"
#include "caller-watch.h"
#include "dbus-errors.h"
#include "errors.h"
#include "findings.h"
#include "import-dir.h"
#include "options.h"
#include "test-hooks.h"
#include "validate.h"

/* A validation starts as soon as the caller's uid is known, while polkit
 * still decides (a polkit check is about as long as the validation): it
 * has no effect (nothing is written; what it leaves in the host's caches
 * is bounded: fourteenth review, D1, the CPU verdicts), and its answer
 * goes out only once polkit allowed the call. A refusal is answered at
 * once, whether the validation ended or not (its time tells nothing), and
 * what it found is dropped. The caller's validation slots
 * (MaxValidationsPerUser) bound it as any other. */
typedef struct {
  gint ref;
  GDBusMethodInvocation *invocation;
  VrAgentContext *context;
  VrStore *store;
  VrHostCaps *caps;
  GVariant *handle;
  char *name;
  int fd;
  gboolean is_dir;  /* an import directory, validated without importing */
  guint uid;        /* the caller, whose rights the directory's files need */
  GCancellable *cancellable; /* the caller left, or polkit refused */
  guint watch; /* cancels the task when the caller leaves */
  gboolean held; /* one of uid's validations (MaxValidationsPerUser) */
  gboolean started;    /* the validation runs, or ran */
  gboolean authorized; /* polkit allowed the call */
  gboolean ended;      /* the validation ended: reply or error is set */
  GVariant *reply;
  GError *error;
} ValidateFileCall;

static ValidateFileCall *
validate_file_call_ref (ValidateFileCall *call)
{
  g_atomic_int_inc (&call->ref);
  return call;
}

static void
validate_file_call_unref (gpointer data)
{
  ValidateFileCall *call = data;

  if (!g_atomic_int_dec_and_test (&call->ref))
    return;
  if (call->held)
    vr_user_quotas_release_validation (
        vr_agent_context_get_user_quotas (call->context), call->uid);
  if (call->fd >= 0)
    close (call->fd);
  if (call->watch != 0)
    g_bus_unwatch_name (call->watch);
  g_clear_object (&call->invocation);
  g_clear_object (&call->context);
  g_clear_object (&call->store);
  g_clear_object (&call->caps);
  g_clear_object (&call->cancellable);
  g_clear_pointer (&call->handle, g_variant_unref);
  g_clear_pointer (&call->reply, g_variant_unref);
  g_clear_error (&call->error);
  g_free (call->name);
  g_free (call);
}

/* The caller's descriptor, ours to close: a regular file or a directory
 * opened for reading (not O_PATH, not a pipe or a device). */
static int
take_file_fd (GDBusMethodInvocation *invocation, GVariant *handle,
              gboolean *is_dir, GError **error)
{
  GDBusMessage *message = g_dbus_method_invocation_get_message (invocation);
  GUnixFDList *fds = g_dbus_message_get_unix_fd_list (message);
  int index = g_variant_get_handle (handle);
  struct stat st;
  int flags;
  int fd;

  if (fds == NULL || index < 0 || index >= g_unix_fd_list_get_length (fds))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "no file descriptor for the domain XML came with the "
                   "call (handle %d)", index);
      return -1;
    }
  fd = g_unix_fd_list_get (fds, index, error);
  if (fd < 0)
    return -1;
  flags = fcntl (fd, F_GETFL);
  if (flags < 0 || (flags & O_PATH) || (flags & O_ACCMODE) == O_WRONLY
      || fstat (fd, &st) != 0
      || (!S_ISREG (st.st_mode) && !S_ISDIR (st.st_mode)))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "the domain XML's descriptor is not a regular file or an "
                   "import directory open for reading");
      close (fd);
      return -1;
    }
  *is_dir = S_ISDIR (st.st_mode);
  return fd;
}

/* An import directory, read as import reads it but kept nowhere: no
 * planned system is made and nothing is written in it. As for an import,
 * the descriptor proves the caller may read the folder, not the files in
 * it: those are checked before anything is opened or parsed. */
static GPtrArray *
validate_dir (ValidateFileCall *call, const VrValidateOptions *options,
              GError **error)
{
  g_autoptr (VrCaller) caller = vr_caller_new (call->uid);
  g_autoptr (VrImportDir) dir = NULL;

  if (!vr_caller_check_dir_fd (call->fd, error)
      || !vr_caller_check_import_fd (call->fd, NULL, caller, error))
    return NULL;
  /* Each file as the caller could open it (fifth review, F5): root's
   * open would tell them what a folder closed to them holds. */
  dir = vr_import_dir_open_fd_as (call->fd, caller, error);
  if (dir == NULL)
    return NULL;
  return vr_validate_import_dir_with (call->caps, call->store, dir, options,
                                      error);
}

static void
validate_file_thread (GTask *task, gpointer source, gpointer task_data,
                      GCancellable *cancellable)
{
  /* The agent reads as root: what reaches into the host is an error here
   * (a caller's own in-process validate warns). */
  ValidateFileCall *call = task_data;
  VrValidateOptions options = {
    .host_access_allowed = FALSE,
    /* The caller's view decides what the findings say (F5 of the fifth
     * review): root's lookups of loader, template, NVRAM and emulator
     * paths would otherwise tell them what exists where they cannot
     * look. */
    .caller_known = TRUE,
    .caller_uid = call->uid,
    .bridges = vr_agent_context_get_bridges (call->context),
    .cancellable = cancellable,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) findings = NULL;
  g_autofree char *json = NULL;

  vr_agent_context_index_options (call->context, &options);
  vr_test_hook_stall ("validate-definition", cancellable);
  findings = call->is_dir ? validate_dir (call, &options, &error)
                          : vr_validate_file_fd_with (call->caps, call->store,
                                                      call->fd, call->name,
                                                      &options, &error);

  if (findings == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  json = vr_findings_to_json (findings);
  g_task_return_pointer (
      task,
      g_variant_ref_sink (g_variant_new (
          "(us)", vr_findings_count (findings, VR_SEVERITY_ERROR), json)),
      (GDestroyNotify) g_variant_unref);
}

static void
reply (ValidateFileCall *call)
{
  /* The reply is not floating (the task sank it): return_value takes a
   * reference of its own, and ours goes with the call. Stolen, it leaked
   * the whole findings text on every call. */
  if (call->reply != NULL)
    g_dbus_method_invocation_return_value (call->invocation, call->reply);
  else
    vr_dbus_return_error (call->invocation, call->error);
}

static void
validate_file_done (GObject *source, GAsyncResult *result,
                    gpointer user_data)
{
  ValidateFileCall *call = g_task_get_task_data (G_TASK (result));

  call->reply = g_task_propagate_pointer (G_TASK (result), &call->error);
  call->ended = TRUE;
  /* Before polkit allowed it, the answer waits; after a refusal nobody
   * hears of it. */
  if (call->authorized)
    reply (call);
}

/* Takes one of uid's validation slots and the caller's descriptor, and
 * starts the validation; FALSE with error when it cannot start. */
static gboolean
start_validation (ValidateFileCall *call, GError **error)
{
  g_autoptr (GTask) task = NULL;
  virConnectPtr conn = NULL;

  /* Each validation is root's CPU; a caller runs only so many at once
   * (seventh review F4: six of a 40,000-disk XML all ran). */
  if (!call->held)
    call->held = vr_user_quotas_hold_validation (
        vr_agent_context_get_user_quotas (call->context), call->uid, error);
  if (!call->held)
    return FALSE;
  if (call->fd < 0)
    call->fd = take_file_fd (call->invocation, call->handle, &call->is_dir,
                             error);
  if (call->fd < 0
      || !vr_agent_context_ref_libvirt (call->context, &conn, &call->caps,
                                        error))
    return FALSE;
  /* The caps keep their own reference on the connection. */
  virConnectClose (conn);
  call->watch = vr_caller_watch (call->invocation, call->cancellable);
  call->started = TRUE;
  task = g_task_new (NULL, call->cancellable, validate_file_done, NULL);
  g_task_set_task_data (task, validate_file_call_ref (call),
                        validate_file_call_unref);
  g_task_run_in_thread (task, validate_file_thread);
  return TRUE;
}

/* polkit is still deciding: a domain XML file is validated meanwhile.
 * What could not start now (a slot taken, a bad descriptor, libvirt
 * away) is tried again, and answered, once polkit allowed the call; an
 * import directory waits for polkit too (its files are opened as the
 * caller could, a longer way through the disk). */
static void
validate_file_early (VrAgentContext *context,
                     GDBusMethodInvocation *invocation, guint uid,
                     gpointer data)
{
  ValidateFileCall *call = data;
  struct stat st;
  int index = g_variant_get_handle (call->handle);
  GUnixFDList *fds = g_dbus_message_get_unix_fd_list (
      g_dbus_method_invocation_get_message (invocation));

  call->uid = uid;
  /* A directory is not started early; the descriptor is looked at again
   * (take_file_fd) when it starts. */
  if (fds == NULL || index < 0 || index >= g_unix_fd_list_get_length (fds)
      || fstat (g_unix_fd_list_peek_fds (fds, NULL)[index], &st) != 0
      || !S_ISREG (st.st_mode))
    return;
  /* A slot is not held by a validation that did not start. */
  if (!start_validation (call, NULL) && call->held)
    {
      vr_user_quotas_release_validation (
          vr_agent_context_get_user_quotas (call->context), call->uid);
      call->held = FALSE;
    }
}

static void
validate_file_authorized (VrAgentContext *context,
                          GDBusMethodInvocation *invocation, guint uid,
                          gpointer data)
{
  ValidateFileCall *call = data;
  g_autoptr (GError) error = NULL;

  call->authorized = TRUE;
  call->uid = uid;
  if (call->ended)
    reply (call);
  else if (!call->started && !start_validation (call, &error))
    vr_dbus_return_error (invocation, error);
  validate_file_call_unref (call);
}

/* polkit refused (AccessDenied is answered already): a validation that
 * started early stops, and its findings go nowhere. */
static void
validate_file_refused (gpointer data)
{
  ValidateFileCall *call = data;

  g_cancellable_cancel (call->cancellable);
  validate_file_call_unref (call);
}

gboolean
vr_manager_handle_validate_definition (VrDBusManager *iface,
                                       GDBusMethodInvocation *invocation,
                                       GUnixFDList *fd_list, GVariant *file_fd,
                                       GVariant *options, gpointer context)
{
  static const char *const known[] = { "display-name", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_auto (GStrv) details = NULL;
  ValidateFileCall *call;

  if (!vr_options_check_known (options, known, &error)
      || !vr_option_string (options, "display-name", &name, &error))
    {
      vr_dbus_return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  call = g_new0 (ValidateFileCall, 1);
  call->ref = 1; /* the authorization's */
  call->fd = -1;
  call->cancellable = g_cancellable_new ();
  call->invocation = g_object_ref (invocation);
  call->context = g_object_ref (context);
  call->store = g_object_ref (vr_agent_context_get_store (context));
  call->handle = g_variant_ref (file_fd);
  call->name = name && *name ? g_steal_pointer (&name)
                             : g_strdup ("domain.xml");
  /* The action's message names the host ($(host)): this one. */
  details = vr_agent_context_host_details (context, NULL);
  vr_agent_context_authorize_early (
      context, invocation, "validate", (const char *const *) details,
      validate_file_early, validate_file_authorized, call,
      validate_file_refused);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
