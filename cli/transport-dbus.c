/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's transport (virt-realize): planned systems found in the
 * Manager's table and read through the generated proxies, jobs through Job
 * proxies. Links GIO and json-glib only. */
#include "config.h"

#include "transport-dbus.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "dbus-errors.h"
#include "dbus-names.h"
#include "errors.h"
#include "findings.h"
#include "job-states.h"
#include "vr-dbus-generated.h"

/* Long enough for polkit to ask for a password. */
#define CALL_TIMEOUT_MS (10 * 60 * 1000)

typedef struct {
  VrCliTransport parent;
  GDBusConnection *bus;
  GBusType bus_type;
  /* The agent's unique name: asked of the bus when no --system or
   * --session said which agent to use, else read from its first reply.
   * NULL until then: calls go to the well-known name. */
  char *owner;
  /* The last planned system found in the table: a command that looks one
   * up twice (validate NAME: is it a name, then validate it) or names a
   * job's target at each progress step asks for the table once. */
  char *found_name;
  char *found_uuid;
  char *found_path;
} Agent;

/* No agent on the bus the user asked for: NotAvailable (32777), never
 * in-process work on another state directory. */
static void
set_no_agent (GBusType bus_type, GError **error)
{
  gboolean session = bus_type == G_BUS_TYPE_SESSION;

  g_set_error (error, VR_ERROR, VR_ERROR_NOT_AVAILABLE,
               "no agent (%s) answers on the %s bus (start it: %s; or work "
               "in-process with --direct)", VR_DBUS_NAME,
               session ? "session" : "system",
               session ? "virt-realized --session"
                       : "systemctl start virt-realized");
}

/* A call's error in VR_ERROR; the bus's "nobody owns that name" becomes
 * "no agent" (a call on the well-known name is how the client finds
 * out). */
static void
agent_error (Agent *self, GError **error)
{
  if (error != NULL
      && (g_error_matches (*error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN)
          || g_error_matches (*error, G_DBUS_ERROR,
                              G_DBUS_ERROR_NAME_HAS_NO_OWNER)))
    {
      g_clear_error (error);
      set_no_agent (self->bus_type, error);
    }
  vr_dbus_error_to_local (error);
}

/* D-Bus strings have no NULL: the agent sends "" for none. */
static char *
dup_or_null (const char *text)
{
  return text != NULL && *text != '\0' ? g_strdup (text) : NULL;
}

static VrCliSystem *
system_from_proxy (VrDBusPlannedSystem *proxy)
{
  VrCliSystem *system = g_new0 (VrCliSystem, 1);
  const char *const *snapshots = vr_dbus_planned_system_get_snapshots (proxy);

  system->name = g_strdup (vr_dbus_planned_system_get_name (proxy));
  system->uuid = g_strdup (vr_dbus_planned_system_get_uuid (proxy));
  system->state = g_strdup (vr_dbus_planned_system_get_state (proxy));
  system->import_dir
      = g_strdup (vr_dbus_planned_system_get_import_directory (proxy));
  system->domain = dup_or_null (vr_dbus_planned_system_get_domain (proxy));
  system->connection
      = dup_or_null (vr_dbus_planned_system_get_connection (proxy));
  system->has_saved_state
      = vr_dbus_planned_system_get_has_saved_state (proxy);
  system->save_file
      = dup_or_null (vr_dbus_planned_system_get_save_file (proxy));
  system->save_size = vr_dbus_planned_system_get_save_size (proxy);
  system->save_was_running
      = vr_dbus_planned_system_get_save_was_running (proxy);
  system->saved_state_discarded
      = vr_dbus_planned_system_get_saved_state_discarded (proxy);
  system->nvram_file
      = dup_or_null (vr_dbus_planned_system_get_nvram_file (proxy));
  system->nvram_size = vr_dbus_planned_system_get_nvram_size (proxy);
  system->tpm_folder
      = dup_or_null (vr_dbus_planned_system_get_tpm_folder (proxy));
  system->tpm_discarded = vr_dbus_planned_system_get_tpm_discarded (proxy);
  if (snapshots != NULL && snapshots[0] != NULL)
    system->snapshots = g_strdupv ((char **) snapshots);
  system->current_snapshot
      = dup_or_null (vr_dbus_planned_system_get_current_snapshot (proxy));
  system->memory_kib = vr_dbus_planned_system_get_memory (proxy);
  system->vcpus = vr_dbus_planned_system_get_vcpus (proxy);
  system->created = vr_dbus_planned_system_get_created (proxy);
  system->last_job_code = vr_dbus_planned_system_get_last_job_code (proxy);
  system->last_job_message
      = dup_or_null (vr_dbus_planned_system_get_last_job_message (proxy));
  return system;
}

/* The type a reply to method of the generated interface info has. */
static GVariantType *
reply_type (GDBusInterfaceInfo *info, const char *method)
{
  GDBusMethodInfo *found = g_dbus_interface_info_lookup_method (info, method);
  g_autoptr (GString) signature = g_string_new ("(");

  g_assert (found != NULL);
  for (guint i = 0; found->out_args && found->out_args[i]; i++)
    g_string_append (signature, found->out_args[i]->signature);
  g_string_append_c (signature, ')');
  return g_variant_type_new (signature->str);
}

/* A Manager method, on the agent's unique name once known, else on the
 * well-known name: the bus routes it (or starts the agent), and a
 * missing agent is the bus's error. A proxy would first ask the bus
 * (GetNameOwner, a match rule): a round trip more for one-call commands
 * such as list or validate FILE. The reply is checked against the
 * generated interface; its sender, the agent's unique name, takes the
 * calls that follow. */
static GVariant *
call_manager (Agent *self, const char *method, GVariant *params,
              GUnixFDList *fds, GDBusMessageFlags flags,
              GUnixFDList **out_fds, GError **error)
{
  g_autoptr (GDBusMessage) call = g_dbus_message_new_method_call (
      self->owner ? self->owner : VR_DBUS_NAME, VR_DBUS_MANAGER_PATH,
      VR_DBUS_MANAGER_IFACE, method);
  g_autoptr (GVariantType) type = reply_type (
      vr_dbus_manager_interface_info (), method);
  g_autoptr (GDBusMessage) reply = NULL;
  GVariant *body;

  g_dbus_message_set_body (call, params);
  g_dbus_message_set_unix_fd_list (call, fds);
  g_dbus_message_set_flags (call, flags);
  reply = g_dbus_connection_send_message_with_reply_sync (
      self->bus, call, G_DBUS_SEND_MESSAGE_FLAGS_NONE, CALL_TIMEOUT_MS, NULL,
      NULL, error);
  if (reply == NULL || g_dbus_message_to_gerror (reply, error))
    {
      agent_error (self, error);
      return NULL;
    }
  body = g_dbus_message_get_body (reply);
  if (body == NULL || !g_variant_is_of_type (body, type))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_FAILED,
                   "the agent's reply to %s is not of type %.*s", method,
                   (int) g_variant_type_get_string_length (type),
                   g_variant_type_peek_string (type));
      return NULL;
    }
  if (self->owner == NULL)
    self->owner = g_strdup (g_dbus_message_get_sender (reply));
  if (out_fds != NULL && g_dbus_message_get_unix_fd_list (reply) != NULL)
    *out_fds = g_object_ref (g_dbus_message_get_unix_fd_list (reply));
  return g_variant_ref (body);
}

/* A table the agent sent (GetPlannedSystemTable): a sealed memfd, so
 * that nobody changes or truncates it under the mapping, of at most
 * 256 MiB. */
#define TABLE_MAX ((gsize) 256 << 20)
#define TABLE_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK)

static void
unmap (gpointer data)
{
  GBytes *mapping = data;

  munmap ((void *) g_bytes_get_data (mapping, NULL), g_bytes_get_size (mapping));
  g_bytes_unref (mapping);
}

static GVariant *
map_table (int fd, GError **error)
{
  struct stat st;
  void *data;
  int seals = fcntl (fd, F_GET_SEALS);

  if (seals < 0 || (seals & TABLE_SEALS) != TABLE_SEALS || fstat (fd, &st) < 0
      || !S_ISREG (st.st_mode) || (guint64) st.st_size > TABLE_MAX)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_FAILED,
                   "the agent's table of planned systems is not a sealed "
                   "file of at most %" G_GSIZE_FORMAT " bytes", TABLE_MAX);
      return NULL;
    }
  if (st.st_size == 0)
    return g_variant_new_from_data (G_VARIANT_TYPE ("a(osssbs)"), NULL, 0,
                                    FALSE, NULL, NULL);
  data = mmap (NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (data == MAP_FAILED)
    {
      vr_error_set_errno (error, errno, "cannot map the agent's table of "
                          "planned systems");
      return NULL;
    }
  /* Untrusted: GVariant checks what it reads of it. */
  return g_variant_new_from_data (
      G_VARIANT_TYPE ("a(osssbs)"), data, st.st_size, FALSE, unmap,
      g_bytes_new_static (data, st.st_size));
}

/* One call for the listing's columns, and no value marshalled: the rows
 * come serialized in a memfd (with a thousand planned systems, taking
 * 6000 values apart cost more than the rest of the command). */
static GVariant *
call_table (Agent *self, GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GUnixFDList) fds = NULL;
  gint32 handle;
  int fd;
  GVariant *table;

  reply = call_manager (self, "GetPlannedSystemTable",
                        g_variant_new ("(a{sv})", NULL), NULL,
                        G_DBUS_MESSAGE_FLAGS_NONE, &fds, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(h)", &handle);
  if (fds == NULL || handle < 0 || handle >= g_unix_fd_list_get_length (fds))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_FAILED,
                   "the agent sent no table of planned systems");
      return NULL;
    }
  fd = g_unix_fd_list_get (fds, handle, error);
  if (fd < 0)
    return NULL;
  table = map_table (fd, error);
  close (fd);
  return table;
}

static GPtrArray *
agent_list (VrCliTransport *transport, GError **error)
{
  g_autoptr (GVariant) summaries = call_table ((Agent *) transport, error);
  GPtrArray *systems;
  GVariantIter iter;
  const char *name, *uuid, *state, *domain;
  gboolean saved;

  if (summaries == NULL)
    return NULL;
  systems = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vr_cli_system_free);
  g_variant_iter_init (&iter, summaries);
  while (g_variant_iter_next (&iter, "(&o&s&s&sb&s)", NULL, &name, &uuid,
                              &state, &saved, &domain))
    {
      VrCliSystem *system = g_new0 (VrCliSystem, 1);

      system->name = g_strdup (name);
      system->uuid = g_strdup (uuid);
      system->state = g_strdup (state);
      system->has_saved_state = saved;
      system->domain = dup_or_null (domain);
      g_ptr_array_add (systems, system);
    }
  return systems;
}

/* The object path of the planned system whose name or UUID (in any case)
 * is key, from the table: one call that asks polkit nothing, not every
 * object's properties (GetManagedObjects of a thousand objects, and a
 * match rule). NULL without an error: there is none. */
static gboolean
is_key (const char *key, const char *name, const char *uuid)
{
  return key != NULL && name != NULL
         && (g_str_equal (name, key) || g_ascii_strcasecmp (uuid, key) == 0);
}

/* The row whose UUID (by_uuid; or object path) or name is key: a UUID
 * wins over a name, as the store looks them up (a name that is another
 * system's UUID, made before names could not be UUIDs, never hides it). */
static gboolean
scan_table (GVariant *table, const char *key, const char *path,
            gboolean by_uuid, const char **at, const char **name,
            const char **uuid)
{
  GVariantIter iter;

  g_variant_iter_init (&iter, table);
  while (g_variant_iter_next (&iter, "(&o&s&s&sb&s)", at, name, uuid, NULL,
                              NULL, NULL))
    if (by_uuid ? (g_strcmp0 (path, *at) == 0
                   || (key != NULL && g_ascii_strcasecmp (*uuid, key) == 0))
                : (key != NULL && g_str_equal (*name, key)))
      return TRUE;
  return FALSE;
}

/* Finds the row of the planned system whose name or UUID is key, or whose
 * object path is path, and keeps it as the last found; FALSE without an
 * error: there is none. */
static gboolean
find_row (Agent *self, const char *key, const char *path, GError **error)
{
  g_autoptr (GVariant) table = NULL;
  const char *at, *name, *uuid;

  if (is_key (key, self->found_name, self->found_uuid)
      || (path != NULL && g_strcmp0 (path, self->found_path) == 0))
    return TRUE;
  table = call_table (self, error);
  if (table == NULL)
    return FALSE;
  if (!scan_table (table, key, path, TRUE, &at, &name, &uuid)
      && !scan_table (table, key, path, FALSE, &at, &name, &uuid))
    return FALSE;
  g_free (self->found_name);
  g_free (self->found_uuid);
  g_free (self->found_path);
  self->found_name = g_strdup (name);
  self->found_uuid = g_strdup (uuid);
  self->found_path = g_strdup (at);
  return TRUE;
}

static char *
planned_path (Agent *self, const char *key, GError **error)
{
  return find_row (self, key, NULL, error) ? g_strdup (self->found_path)
                                           : NULL;
}

static VrDBusPlannedSystem *
planned_proxy (Agent *self, const char *path, GError **error)
{
  /* On the unique name the proxy asks the bus nothing but the object's
   * properties (one GetAll). */
  VrDBusPlannedSystem *proxy = vr_dbus_planned_system_proxy_new_sync (
      self->bus, G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
      self->owner ? self->owner : VR_DBUS_NAME, path, NULL, error);

  agent_error (self, error);
  return proxy;
}

/* The planned system whose name or UUID is key, its properties read
 * afresh (after a job the agent's PropertiesChanged may still be on its
 * way to a cache). */
static VrDBusPlannedSystem *
proxy_at (Agent *self, const char *key, const char *path, GError **error)
{
  VrDBusPlannedSystem *found;

  if (path == NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "no planned system has the name or UUID '%s' (in the "
                   "agent's state directory)", key);
      return NULL;
    }
  found = planned_proxy (self, path, error);
  if (found != NULL)
    g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (found), CALL_TIMEOUT_MS);
  return found;
}

static VrDBusPlannedSystem *
find_planned (Agent *self, const char *key, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *path = planned_path (self, key, &local);

  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return proxy_at (self, key, path, error);
}

static VrCliSystem *
agent_lookup (VrCliTransport *transport, const char *key, GError **error)
{
  g_autoptr (VrDBusPlannedSystem) proxy = find_planned ((Agent *) transport,
                                                        key, error);

  return proxy ? system_from_proxy (proxy) : NULL;
}

static GVariant *
no_options (void)
{
  return g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0);
}

static char *
agent_get_xml (VrCliTransport *transport, const char *key, GError **error)
{
  g_autoptr (VrDBusPlannedSystem) proxy = find_planned ((Agent *) transport,
                                                        key, error);
  char *xml = NULL;

  /* Without secrets unless the caller holds read-secrets (not asked). */
  if (proxy != NULL
      && !vr_dbus_planned_system_call_get_domain_xml_sync (
          proxy, no_options (), &xml, NULL, error))
    vr_dbus_error_to_local (error);
  return xml;
}

static gboolean
agent_check_domain (VrCliTransport *transport, VrCliSystem *system,
                    GError **error)
{
  g_autoptr (VrDBusPlannedSystem) proxy = find_planned ((Agent *) transport,
                                                        system->uuid, error);
  g_autofree char *presence = NULL;

  if (proxy == NULL
      || !vr_dbus_planned_system_call_check_domain_sync (
          proxy, no_options (), &presence, NULL, error))
    {
      vr_dbus_error_to_local (error);
      return FALSE;
    }
  system->domain_presence
      = g_str_equal (presence, "defined")     ? VR_CLI_DOMAIN_DEFINED
        : g_str_equal (presence, "undefined") ? VR_CLI_DOMAIN_UNDEFINED
                                              : VR_CLI_DOMAIN_UNKNOWN;
  return TRUE;
}

/* The calls polkit may ask a password for: the generated _call_ functions
 * take no call flags, so these go through the same proxy (its interface
 * info checks the reply) with ALLOW_INTERACTIVE_AUTHORIZATION. */
static GVariant *
call_interactive (gpointer proxy, const char *method, GVariant *params,
                  GUnixFDList *fds, GError **error)
{
  GVariant *reply = g_dbus_proxy_call_with_unix_fd_list_sync (
      G_DBUS_PROXY (proxy), method, params,
      G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, CALL_TIMEOUT_MS, fds,
      NULL, NULL, error);

  vr_dbus_error_to_local (error);
  return reply;
}

/* The agent reads an import directory only from a descriptor this caller
 * opened (or below folders its administrator trusts). */
static int
append_dir (GUnixFDList *fds, const char *dir, GError **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int index;

  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "%s", dir);
      return -1;
    }
  index = g_unix_fd_list_append (fds, fd, error);
  close (fd);
  return index;
}

/* options with import-dir set to the planned system's directory when
 * this caller can open it. */
static GVariant *
with_import_dir (VrDBusPlannedSystem *proxy, GVariantDict *options,
                 GUnixFDList *fds)
{
  const char *dir = vr_dbus_planned_system_get_import_directory (proxy);
  int index = dir && *dir ? append_dir (fds, dir, NULL) : -1;

  if (index >= 0)
    g_variant_dict_insert_value (options, "import-dir",
                                 g_variant_new_handle (index));
  return g_variant_dict_end (options);
}

static VrCliSystem *
system_at (Agent *self, const char *path, GError **error)
{
  g_autoptr (VrDBusPlannedSystem) proxy = planned_proxy (self, path, error);

  return proxy ? system_from_proxy (proxy) : NULL;
}

static VrDBusJob *job_proxy (Agent *self, const char *id, GError **error);
static char *job_id (const char *path);

/* The import's job, followed to its end as a realize's (a progress bar
 * while the manifest's files are hashed, Ctrl-C cancels it): on success
 * its Target is the planned system it made. */
static VrCliSystem *
import_job_result (Agent *self, const char *path, gboolean show_progress,
                   GError **error)
{
  g_autofree char *id = job_id (path);
  gboolean interrupted = FALSE;
  g_autoptr (VrCliJob) job = vr_cli_run_job (&self->parent, id,
                                             show_progress, &interrupted);
  g_autoptr (VrDBusJob) proxy = NULL;

  if (!vr_cli_job_succeeded (job, interrupted, error))
    return NULL;
  proxy = job_proxy (self, id, error);
  return proxy ? system_at (self, vr_dbus_job_get_target (proxy), error)
               : NULL;
}

static VrCliSystem *
agent_import (VrCliTransport *transport, const VrCliImportRequest *request,
              GError **error)
{
  Agent *self = (Agent *) transport;
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GVariant) reply = NULL;
  GVariantDict options;
  const char *path;
  int index = append_dir (fds, request->dir, error);

  if (index < 0)
    return NULL;
  g_variant_dict_init (&options, NULL);
  if (request->new_id)
    g_variant_dict_insert (&options, "new-id", "b", TRUE);
  if (request->discard_saved_state)
    g_variant_dict_insert (&options, "discard-saved-state", "b", TRUE);
  reply = call_manager (
      self, "ImportSystemDefinitionAsJob",
      g_variant_new ("(hs@a{sv})", index, request->name ? request->name : "",
                     g_variant_dict_end (&options)),
      fds, G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, NULL, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(&o)", &path);
  return import_job_result (self, path, request->show_progress, error);
}

static VrCliSystem *
agent_destroy (VrCliTransport *transport, const char *key, GError **error)
{
  g_autoptr (VrDBusPlannedSystem) proxy = find_planned ((Agent *) transport,
                                                        key, error);
  g_autoptr (VrCliSystem) system = NULL;
  g_autoptr (GVariant) reply = NULL;

  if (proxy == NULL)
    return NULL;
  system = system_from_proxy (proxy);
  reply = call_interactive (proxy, "Destroy", NULL, NULL, error);
  return reply ? g_steal_pointer (&system) : NULL;
}

/* validate FILE.xml or DIR: the file or the import directory goes to the
 * agent as a descriptor this caller opened (the agent never opens the
 * caller's paths); a directory is validated there, not imported. */
static VrCliValidation *
validate_definition (Agent *self, const char *path, gboolean is_dir,
                     GError **error)
{
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (VrCliValidation) validation = g_new0 (VrCliValidation, 1);
  GVariantDict options;
  const char *json;
  guint32 errors;
  int index;
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY
                          | (is_dir ? O_DIRECTORY : 0));

  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open %s", path);
      return NULL;
    }
  index = g_unix_fd_list_append (fds, fd, error);
  close (fd);
  if (index < 0)
    return NULL;
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "display-name", "s", path);
  reply = call_manager (
      self, "ValidateDefinition",
      g_variant_new ("(h@a{sv})", index, g_variant_dict_end (&options)), fds,
      G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, NULL, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(u&s)", &errors, &json);
  validation->kind = g_strdup (is_dir ? "directory" : "file");
  validation->target = g_strdup (path);
  validation->findings = vr_findings_from_json (json, error);
  return validation->findings ? g_steal_pointer (&validation) : NULL;
}

static VrCliValidation *
agent_validate (VrCliTransport *transport, const char *arg, GError **error)
{
  Agent *self = (Agent *) transport;
  gboolean is_path = strchr (arg, '/') != NULL;
  gboolean exists = g_file_test (arg, G_FILE_TEST_IS_REGULAR
                                          | G_FILE_TEST_IS_DIR);
  g_autoptr (GError) local = NULL;
  g_autofree char *path = NULL;
  g_autoptr (VrDBusPlannedSystem) proxy = NULL;

  /* A bare word is a planned system's name first, as in-process. */
  if (!is_path)
    path = planned_path (self, arg, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (path == NULL && exists)
    return validate_definition (self, arg,
                                g_file_test (arg, G_FILE_TEST_IS_DIR), error);
  if (is_path)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "'%s' is no planned system, directory or regular file",
                   arg);
      return NULL;
    }
  proxy = proxy_at (self, arg, path, error);
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (VrCliValidation) validation = g_new0 (VrCliValidation, 1);
  GVariantDict options;
  const char *json;
  guint32 errors;

  if (proxy == NULL)
    return NULL;
  g_variant_dict_init (&options, NULL);
  reply = call_interactive (
      proxy, "Validate",
      g_variant_new ("(@a{sv})", with_import_dir (proxy, &options, fds)), fds,
      error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(u&s)", &errors, &json);
  validation->kind = g_strdup ("planned");
  validation->target = g_strdup (vr_dbus_planned_system_get_name (proxy));
  validation->findings = vr_findings_from_json (json, error);
  return validation->findings ? g_steal_pointer (&validation) : NULL;
}

static GVariant *
realize_options (VrDBusPlannedSystem *proxy,
                 const VrCliRealizeRequest *request, GUnixFDList *fds)
{
  GVariantDict options;

  g_variant_dict_init (&options, NULL);
  if (request->pool != NULL)
    g_variant_dict_insert (&options, "pool", "s", request->pool);
  if (request->pool_dir != NULL)
    {
      /* The agent has its own working directory. */
      g_autofree char *pool_dir = g_canonicalize_filename (request->pool_dir,
                                                           NULL);

      g_variant_dict_insert (&options, "pool-dir", "s", pool_dir);
    }
  if (request->handoff != NULL)
    g_variant_dict_insert (&options, "handoff", "s", request->handoff);
  if (request->start)
    g_variant_dict_insert (&options, "start", "b", TRUE);
  if (request->copy_disks)
    g_variant_dict_insert (&options, "copy-disks", "b", TRUE);
  /* A host the agent's configuration lists, by name or URI: the agent
   * opens no other. */
  if (request->uri != NULL)
    g_variant_dict_insert (&options, "host", "s", request->uri);
  return with_import_dir (proxy, &options, fds);
}

static VrCliPlacement *
placement_from_reply (GVariant *host, gboolean chosen, const char *given)
{
  VrCliPlacement *placement = g_new0 (VrCliPlacement, 1);
  const char *name;
  const char *uri;
  const char *blocking;

  g_variant_get (host, "(&s&sbb&stu)", &name, &uri, &placement->reachable,
                 &placement->fits, &blocking, &placement->free_memory,
                 &placement->cpus);
  /* Named as the user named it, so realize passes it back as given. */
  placement->uri = g_strdup (given ? given : name);
  placement->chosen = chosen;
  placement->blocking = *blocking ? g_strdup (blocking) : NULL;
  placement->line = vr_cli_placement_describe (placement);
  return placement;
}

/* --host through the agent: hosts its configuration lists (Hosts). */
static GPtrArray *
agent_place (VrCliTransport *transport, const char *key,
             const char *const *hosts, gboolean copy_disks, GError **error)
{
  g_autoptr (VrDBusPlannedSystem) proxy = find_planned ((Agent *) transport,
                                                        key, error);
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) found = NULL;
  GPtrArray *placements;
  GVariantDict options;
  gint32 chosen;
  guint given = hosts ? g_strv_length ((char **) hosts) : 0;

  if (proxy == NULL)
    return NULL;
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "hosts", "^as", hosts);
  if (copy_disks)
    g_variant_dict_insert (&options, "copy-disks", "b", TRUE);
  reply = call_interactive (
      proxy, "Place",
      g_variant_new ("(@a{sv})", with_import_dir (proxy, &options, fds)), fds,
      error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(@a(ssbbstu)i)", &found, &chosen);
  placements = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vr_cli_placement_free);
  for (gsize i = 0; i < g_variant_n_children (found); i++)
    {
      g_autoptr (GVariant) host = g_variant_get_child_value (found, i);

      g_ptr_array_add (placements,
                       placement_from_reply (host, (gint32) i == chosen,
                                             i < given ? hosts[i] : NULL));
    }
  return placements;
}

/* "3" for /org/virtrealize/Realize1/jobs/3, and back. */
static char *
job_id (const char *path)
{
  return g_strdup (g_str_has_prefix (path, VR_DBUS_JOBS_PREFIX)
                       ? path + strlen (VR_DBUS_JOBS_PREFIX)
                       : path);
}

static char *
job_path (const char *id)
{
  if (g_str_has_prefix (id, VR_DBUS_JOBS_PREFIX))
    return g_strdup (id);
  return g_strconcat (VR_DBUS_JOBS_PREFIX, id, NULL);
}

static char *
agent_realize (VrCliTransport *transport, const char *key,
               const VrCliRealizeRequest *request, GError **error)
{
  g_autoptr (VrDBusPlannedSystem) proxy = find_planned ((Agent *) transport,
                                                        key, error);
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GVariant) reply = NULL;
  const char *path;
  const char *domain;
  guint32 code;

  if (proxy == NULL)
    return NULL;
  reply = call_interactive (
      proxy, "Realize",
      g_variant_new ("(@a{sv})", realize_options (proxy, request, fds)), fds,
      error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(u&o&s)", &code, &path, &domain);
  return code == VR_ERROR_COMPLETED ? g_strdup ("") : job_id (path);
}

static VrDBusJob *
job_proxy (Agent *self, const char *id, GError **error)
{
  g_autofree char *path = job_path (id);
  g_autoptr (VrDBusJob) proxy = NULL;

  if (!g_variant_is_object_path (path))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "no job %s (jobs lists them)", id);
      return NULL;
    }
  proxy = vr_dbus_job_proxy_new_sync (self->bus, G_DBUS_PROXY_FLAGS_NONE,
                                      VR_DBUS_NAME, path, NULL, error);
  vr_dbus_error_to_local (error);
  if (proxy == NULL)
    return NULL;
  /* A proxy for an object that is not there has no properties. */
  if (vr_dbus_job_get_job_type (proxy) == NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "no job %s (jobs lists them)", id);
      return NULL;
    }
  return g_steal_pointer (&proxy);
}

/* A job's target is a planned system's path: its name reads better. One
 * destroyed since is named as it was when the job started (TargetName),
 * else "(removed)"; never the path. When the table could not be read
 * (the agent out of descriptors, say) nothing is known of it: the name
 * it had, without a claim (eighteenth review, F7: "(removed)" was shown
 * for a system that was there). */
static char *
target_name (Agent *self, VrDBusJob *proxy)
{
  const char *path = vr_dbus_job_get_target (proxy);
  const char *was = vr_dbus_job_get_target_name (proxy);
  g_autoptr (GError) error = NULL;
  gboolean named = was != NULL && *was != '\0';

  /* An import that has not made its planned system yet. */
  if (g_strcmp0 (path, "/") == 0)
    return g_strdup (was ? was : "");

  if (path != NULL && find_row (self, NULL, path, &error))
    return g_strdup (self->found_name);
  if (error != NULL)
    return g_strdup (named ? was : "(unknown)");
  if (named)
    return g_strdup_printf ("%s (removed)", was);
  return g_strdup ("(removed)");
}

static VrCliJob *
job_from_proxy (Agent *self, VrDBusJob *proxy)
{
  VrCliJob *job = g_new0 (VrCliJob, 1);

  job->id = job_id (g_dbus_proxy_get_object_path (G_DBUS_PROXY (proxy)));
  job->type = g_strdup (vr_dbus_job_get_job_type (proxy));
  job->target = target_name (self, proxy);
  job->state = vr_dbus_job_get_job_state (proxy);
  job->phase = dup_or_null (vr_dbus_job_get_phase (proxy));
  job->percent = vr_dbus_job_get_percent_complete (proxy);
  job->bytes_done = vr_dbus_job_get_bytes_done (proxy);
  job->bytes_total = vr_dbus_job_get_bytes_total (proxy);
  job->rate = vr_dbus_job_get_rate (proxy);
  job->eta = job->rate > 0 && job->bytes_total >= job->bytes_done
                 ? (gint64) ((job->bytes_total - job->bytes_done) / job->rate)
                 : -1;
  job->error_code = vr_dbus_job_get_error_code (proxy);
  job->error_description
      = dup_or_null (vr_dbus_job_get_error_description (proxy));
  job->start_time = vr_dbus_job_get_start_time (proxy);
  job->elapsed = vr_dbus_job_get_elapsed_time (proxy);
  return job;
}

static VrCliJob *
agent_job (VrCliTransport *transport, const char *id, GError **error)
{
  Agent *self = (Agent *) transport;
  g_autoptr (VrDBusJob) proxy = job_proxy (self, id, error);

  return proxy ? job_from_proxy (self, proxy) : NULL;
}

static GPtrArray *
agent_jobs (VrCliTransport *transport, GError **error)
{
  Agent *self = (Agent *) transport;
  g_autoptr (GVariant) reply = call_manager (
      self, "GetJobs", NULL, NULL, G_DBUS_MESSAGE_FLAGS_NONE, NULL, error);
  g_autofree const char **paths = NULL;
  GPtrArray *jobs;

  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(^a&o)", &paths);
  jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) vr_cli_job_free);
  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autoptr (VrDBusJob) proxy = job_proxy (self, paths[i], NULL);

      /* It may have gone since GetJobs answered. */
      if (proxy != NULL)
        g_ptr_array_add (jobs, job_from_proxy (self, proxy));
    }
  return jobs;
}

static gboolean
agent_cancel (VrCliTransport *transport, const char *id, GError **error)
{
  g_autoptr (VrDBusJob) proxy = job_proxy ((Agent *) transport, id, error);
  g_autoptr (GVariant) reply = NULL;

  if (proxy == NULL)
    return FALSE;
  reply = call_interactive (proxy, "Cancel", NULL, NULL, error);
  return reply != NULL;
}

typedef struct {
  Agent *self;
  VrDBusJob *proxy;
  GMainLoop *loop;
  VrCliJobChanged changed;
  gpointer user_data;
} Wait;

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed,
                       const char *const *invalidated, gpointer user_data)
{
  Wait *wait = user_data;
  g_autoptr (VrCliJob) job = job_from_proxy (wait->self, wait->proxy);

  if (vr_dbus_job_state_is_final (job->state))
    g_main_loop_quit (wait->loop);
  else
    wait->changed (job, wait->user_data);
}

static void
on_completed (VrDBusJob *proxy, gboolean success, const char *message,
              gpointer user_data)
{
  Wait *wait = user_data;

  g_main_loop_quit (wait->loop);
}

/* The agent stopped or died: no Completed will come. */
static void
on_owner (GObject *proxy, GParamSpec *pspec, gpointer user_data)
{
  Wait *wait = user_data;
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (proxy));

  if (owner == NULL)
    g_main_loop_quit (wait->loop);
}

/* Ctrl-C: the agent's job rolls back and ends Terminated. */
static void
on_interrupted (GCancellable *interrupted, gpointer user_data)
{
  Wait *wait = user_data;

  vr_dbus_job_call_cancel (wait->proxy, NULL, NULL, NULL);
}

static void
agent_wait (VrCliTransport *transport, const char *id,
            GCancellable *interrupted, VrCliJobChanged changed,
            gpointer user_data)
{
  Agent *self = (Agent *) transport;
  g_autoptr (VrDBusJob) proxy = job_proxy (self, id, NULL);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Wait wait = { self, proxy, loop, changed, user_data };
  gulong handlers[3];
  gulong cancelled;

  if (proxy == NULL)
    return;
  handlers[0] = g_signal_connect (proxy, "g-properties-changed",
                                  G_CALLBACK (on_properties_changed), &wait);
  handlers[1] = g_signal_connect (proxy, "completed",
                                  G_CALLBACK (on_completed), &wait);
  handlers[2] = g_signal_connect (proxy, "notify::g-name-owner",
                                  G_CALLBACK (on_owner), &wait);
  cancelled = g_cancellable_connect (interrupted, G_CALLBACK (on_interrupted),
                                     &wait, NULL);
  /* It may have ended before we listened. */
  if (!vr_dbus_job_state_is_final (vr_dbus_job_get_job_state (proxy)))
    g_main_loop_run (loop);
  g_cancellable_disconnect (interrupted, cancelled);
  for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
    g_signal_handler_disconnect (proxy, handlers[i]);
}

static void
agent_free (VrCliTransport *transport)
{
  Agent *self = (Agent *) transport;

  g_clear_object (&self->bus);
  g_free (self->owner);
  g_free (self->found_name);
  g_free (self->found_uuid);
  g_free (self->found_path);
  g_free (self);
}

static const VrCliTransportClass agent_class = {
  .name = "agent",
  .free = agent_free,
  .list = agent_list,
  .lookup = agent_lookup,
  .get_xml = agent_get_xml,
  .check_domain = agent_check_domain,
  .import = agent_import,
  .destroy = agent_destroy,
  .validate = agent_validate,
  .place = agent_place,
  .realize = agent_realize,
  .jobs = agent_jobs,
  .job = agent_job,
  .cancel = agent_cancel,
  .wait = agent_wait,
  /* edit and export run in virt-realize-direct (the agent has no
   * XPath edit and no export). */
};

/* Whether the agent runs (GetNameOwner: one small answer, its unique
 * name in *owner) or the bus would start it (ListActivatableNames). */
static gboolean
agent_answers (GDBusConnection *bus, char **owner)
{
  g_autoptr (GVariant) owned = g_dbus_connection_call_sync (
      bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
      "org.freedesktop.DBus", "GetNameOwner",
      g_variant_new ("(s)", VR_DBUS_NAME), G_VARIANT_TYPE ("(s)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  g_autoptr (GVariant) activatable = NULL;
  g_autofree const char **names = NULL;

  if (owned != NULL)
    {
      g_variant_get (owned, "(s)", owner);
      return TRUE;
    }
  activatable = g_dbus_connection_call_sync (
      bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
      "org.freedesktop.DBus", "ListActivatableNames", NULL,
      G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (activatable == NULL)
    return FALSE;
  g_variant_get (activatable, "(^a&s)", &names);
  return g_strv_contains (names, VR_DBUS_NAME);
}

VrCliTransport *
vr_cli_dbus_transport_new (GBusType bus_type, gboolean probe,
                           GError **error)
{
  const char *bus_name = bus_type == G_BUS_TYPE_SESSION ? "session"
                                                        : "system";
  g_autoptr (GError) local = NULL;
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (bus_type, NULL, &local);
  g_autofree char *owner = NULL;
  Agent *self;

  if (bus == NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_AVAILABLE,
                   "no %s bus: %s", bus_name, local->message);
      return NULL;
    }
  /* Without probe the first call tells (ServiceUnknown): the round trip
   * is only worth it when the answer chooses in-process work instead. */
  if (probe && !agent_answers (bus, &owner))
    {
      set_no_agent (bus_type, error);
      return NULL;
    }
  vr_dbus_errors_register ();
  self = g_new0 (Agent, 1);
  self->parent.klass = &agent_class;
  self->bus = g_steal_pointer (&bus);
  self->bus_type = bus_type;
  self->owner = g_steal_pointer (&owner);
  return &self->parent;
}
