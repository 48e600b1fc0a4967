/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "cli-client.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "dbus-errors.h"
#include "dbus-names.h"
#include "domain-xml.h"
#include "errors.h"
#include "findings.h"
#include "import-dir.h"
#include "safe-xml.h"

#include <string.h>

#define PROPERTIES "org.freedesktop.DBus.Properties"
/* Long enough for polkit to ask for a password. */
#define CALL_TIMEOUT_MS (10 * 60 * 1000)

static gboolean
name_answers (GDBusConnection *bus, const char *method)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
      "org.freedesktop.DBus", method, NULL, G_VARIANT_TYPE ("(as)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  g_autofree const char **names = NULL;

  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(^a&s)", &names);
  return g_strv_contains (names, VR_DBUS_NAME);
}

GDBusConnection *
vr_cli_client_connect (VrCli *cli)
{
  gboolean asked = cli->system || cli->session;
  g_autoptr (GDBusConnection) bus = NULL;

  if (cli->direct)
    return NULL;
  if (!asked && (cli->uri != NULL || cli->state_dir != NULL
                 || g_getenv ("VIRT_REALIZE_STATE_DIR") != NULL))
    return NULL;
  bus = g_bus_get_sync (cli->session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM,
                        NULL, NULL);
  if (bus == NULL)
    return NULL;
  if (!name_answers (bus, "ListNames")
      && !name_answers (bus, "ListActivatableNames"))
    return NULL;
  vr_dbus_errors_register ();
  return g_steal_pointer (&bus);
}

static GVariant *
call (GDBusConnection *bus, const char *path, const char *iface,
      const char *method, GVariant *params, const char *reply_type,
      GError **error)
{
  GVariant *reply = g_dbus_connection_call_sync (
      bus, VR_DBUS_NAME, path, iface, method, params,
      reply_type ? G_VARIANT_TYPE (reply_type) : NULL,
      G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, CALL_TIMEOUT_MS,
      NULL, error);

  vr_dbus_error_to_local (error);
  return reply;
}

/* One object's PlannedSystem properties, from GetManagedObjects. */
typedef struct {
  char *path;
  GVariant *props; /* a{sv} */
} Planned;

static void
planned_free (gpointer data)
{
  Planned *planned = data;

  g_free (planned->path);
  g_variant_unref (planned->props);
  g_free (planned);
}

static const char *
prop_string (Planned *planned, const char *name)
{
  const char *value = NULL;

  if (!g_variant_lookup (planned->props, name, "&s", &value))
    return "";
  return value;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  Planned *x = *(Planned *const *) a;
  Planned *y = *(Planned *const *) b;

  return g_strcmp0 (prop_string (x, "Name"), prop_string (y, "Name"));
}

static GPtrArray *
list_planned (GDBusConnection *bus, GError **error)
{
  g_autoptr (GVariant) reply = call (
      bus, VR_DBUS_ROOT, "org.freedesktop.DBus.ObjectManager",
      "GetManagedObjects", NULL, "(a{oa{sa{sv}}})", error);
  g_autoptr (GVariant) objects = NULL;
  GPtrArray *planned;
  GVariantIter iter;
  const char *path;
  GVariant *ifaces;

  if (reply == NULL)
    return NULL;
  planned = g_ptr_array_new_with_free_func (planned_free);
  objects = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_next (&iter, "{&o@a{sa{sv}}}", &path, &ifaces))
    {
      GVariant *props
          = g_variant_lookup_value (ifaces, VR_DBUS_PLANNED_IFACE, NULL);

      if (props != NULL)
        {
          Planned *p = g_new0 (Planned, 1);

          p->path = g_strdup (path);
          p->props = props;
          g_ptr_array_add (planned, p);
        }
      g_variant_unref (ifaces);
    }
  g_ptr_array_sort (planned, compare_names);
  return planned;
}

/* The planned system whose name or UUID is key. */
/* The planned system named or numbered key, with its properties. */
static Planned *
find_planned_props (GDBusConnection *bus, const char *key, GError **error)
{
  g_autoptr (GPtrArray) planned = list_planned (bus, error);

  if (planned == NULL)
    return NULL;
  for (guint i = 0; i < planned->len; i++)
    {
      Planned *p = planned->pdata[i];

      if (g_str_equal (prop_string (p, "Name"), key)
          || g_ascii_strcasecmp (prop_string (p, "UUID"), key) == 0)
        return g_ptr_array_steal_index (planned, i);
    }
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "no planned system named '%s'", key);
  return NULL;
}

static char *
find_planned (GDBusConnection *bus, const char *key, GError **error)
{
  Planned *p = find_planned_props (bus, key, error);
  char *path;

  if (p == NULL)
    return NULL;
  path = g_steal_pointer (&p->path);
  planned_free (p);
  return path;
}

static char *
get_string (GDBusConnection *bus, const char *path, const char *iface,
            const char *name)
{
  g_autoptr (GVariant) reply = call (bus, path, PROPERTIES, "Get",
                                     g_variant_new ("(ss)", iface, name),
                                     "(v)", NULL);
  g_autoptr (GVariant) value = NULL;

  if (reply == NULL)
    return g_strdup ("");
  g_variant_get (reply, "(v)", &value);
  return g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
             ? g_variant_dup_string (value, NULL)
             : g_variant_print (value, FALSE);
}

/* The agent reads the import directory again only from a descriptor this
 * caller opened (or below folders its administrator trusts): it is
 * passed as option import-dir when the caller can open it. */
static GVariant *
call_with_import_dir (GDBusConnection *bus, const char *system,
                      const char *method, GVariant *options,
                      const char *reply_type, GError **error)
{
  g_autofree char *dir = get_string (bus, system, VR_DBUS_PLANNED_IFACE,
                                     "ImportDirectory");
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GVariant) opts = g_variant_ref_sink (options);
  GVariantDict dict;
  GVariant *reply;
  int fd = *dir ? open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

  g_variant_dict_init (&dict, opts);
  if (fd >= 0 && g_unix_fd_list_append (fds, fd, NULL) == 0)
    g_variant_dict_insert_value (&dict, "import-dir", g_variant_new_handle (0));
  if (fd >= 0)
    close (fd);
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      bus, VR_DBUS_NAME, system, VR_DBUS_PLANNED_IFACE, method,
      g_variant_new ("(@a{sv})", g_variant_dict_end (&dict)),
      G_VARIANT_TYPE (reply_type),
      G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, CALL_TIMEOUT_MS, fds,
      NULL, NULL, error);
  vr_dbus_error_to_local (error);
  return reply;
}

GPtrArray *
vr_cli_client_validate (GDBusConnection *bus, const char *key, char **name,
                        GError **error)
{
  g_autofree char *path = find_planned (bus, key, error);
  g_autoptr (GVariant) reply = NULL;
  const char *json;
  guint32 errors;

  if (path == NULL)
    return NULL;
  reply = call_with_import_dir (
      bus, path, "Validate",
      g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0), "(us)", error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(u&s)", &errors, &json);
  *name = get_string (bus, path, VR_DBUS_PLANNED_IFACE, "Name");
  return vr_findings_from_json (json, error);
}

static GVariant *
import_options (gboolean new_id, gboolean discard)
{
  GVariantBuilder options;

  g_variant_builder_init (&options, G_VARIANT_TYPE ("a{sv}"));
  if (new_id)
    g_variant_builder_add (&options, "{sv}", "new-id",
                           g_variant_new_boolean (TRUE));
  if (discard)
    g_variant_builder_add (&options, "{sv}", "discard-saved-state",
                           g_variant_new_boolean (TRUE));
  return g_variant_builder_end (&options);
}

/* What the agent's import leaves behind with new-id, said as the in-process
 * import says it: the TPM folder the directory carries, or NULL. */
static const char *
carried_tpm_folder (int dir_fd)
{
  const char *folders[] = { "tpm2", "tpm1.2" };

  for (guint i = 0; i < G_N_ELEMENTS (folders); i++)
    {
      g_autofree char *path = g_build_filename (VR_IMPORT_TPM_DIR, folders[i],
                                                NULL);

      if (faccessat (dir_fd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return folders[i];
    }
  return NULL;
}

int
vr_cli_client_import (VrCli *cli, GDBusConnection *bus, const char *dir,
                      const char *name, gboolean new_id, gboolean discard)
{
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *system_name = NULL;
  g_autofree char *uuid = NULL;
  const char *tpm_folder = NULL;
  const char *path;
  /* The agent reads only what this process could open itself. */
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    {
      vr_error_set_errno (&error, errno, "%s", dir);
      return vr_cli_fail (error);
    }
  g_unix_fd_list_append (fds, fd, NULL);
  tpm_folder = carried_tpm_folder (fd);
  close (fd);
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
      "ImportSystemDefinition",
      g_variant_new ("(hs@a{sv})", 0, name ? name : "",
                     import_options (new_id, discard)),
      G_VARIANT_TYPE ("(o)"),
      G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, CALL_TIMEOUT_MS, fds,
      NULL, NULL, &error);
  vr_dbus_error_to_local (&error);
  if (reply == NULL)
    return vr_cli_fail (error);
  g_variant_get (reply, "(&o)", &path);
  system_name = get_string (bus, path, VR_DBUS_PLANNED_IFACE, "Name");
  uuid = get_string (bus, path, VR_DBUS_PLANNED_IFACE, "UUID");
  if (cli->json)
    printf ("{\"name\": \"%s\", \"uuid\": \"%s\", \"object\": \"%s\"}\n",
            system_name, uuid, path);
  else if (!cli->quiet)
    printf ("Planned system '%s' (%s) imported from %s\n", system_name, uuid,
            dir);
  if (!cli->json && !cli->quiet && new_id && tpm_folder != NULL)
    printf ("Its TPM state (%s/%s) is left behind: a new identity gets a "
            "new TPM, so that the copy does not hold the original's keys\n",
            VR_IMPORT_TPM_DIR, tpm_folder);
  return VR_EXIT_OK;
}

static void
print_list_json (GPtrArray *planned)
{
  g_autoptr (JsonArray) array = json_array_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < planned->len; i++)
    {
      Planned *p = planned->pdata[i];
      JsonObject *object = json_object_new ();
      gboolean saved = FALSE;

      g_variant_lookup (p->props, "HasSavedState", "b", &saved);
      json_object_set_string_member (object, "name", prop_string (p, "Name"));
      json_object_set_string_member (object, "uuid", prop_string (p, "UUID"));
      json_object_set_string_member (object, "state",
                                     prop_string (p, "State"));
      json_object_set_boolean_member (object, "saved_state", saved);
      json_object_set_string_member (object, "object", p->path);
      json_array_add_object_element (array, object);
    }
  json_node_set_array (node, array);
  vr_cli_print_json (node);
}

int
vr_cli_client_list (VrCli *cli, GDBusConnection *bus)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) planned = list_planned (bus, &error);

  if (planned == NULL)
    return vr_cli_fail (error);
  if (cli->json)
    {
      print_list_json (planned);
      return VR_EXIT_OK;
    }
  printf (" %-24s %-38s %-10s %s\n", "Name", "UUID", "State", "Saved state");
  printf ("%s\n", "------------------------------------------------------"
                  "------------------------------------");
  for (guint i = 0; i < planned->len; i++)
    {
      Planned *p = planned->pdata[i];
      gboolean saved = FALSE;

      g_variant_lookup (p->props, "HasSavedState", "b", &saved);
      printf (" %-24s %-38s %-10s %s\n", prop_string (p, "Name"),
              prop_string (p, "UUID"), prop_string (p, "State"),
              saved ? "yes" : "no");
    }
  return VR_EXIT_OK;
}

static void
print_shown_json (Planned *p, xmlDoc *doc)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();
  gboolean saved = FALSE;
  guint code = 0;

  g_variant_lookup (p->props, "HasSavedState", "b", &saved);
  g_variant_lookup (p->props, "LastJobCode", "u", &code);
  json_object_set_string_member (object, "name", prop_string (p, "Name"));
  json_object_set_string_member (object, "uuid", prop_string (p, "UUID"));
  json_object_set_string_member (object, "state", prop_string (p, "State"));
  json_object_set_string_member (object, "import_dir",
                                 prop_string (p, "ImportDirectory"));
  json_object_set_boolean_member (object, "saved_state", saved);
  json_object_set_int_member (object, "memory_kib",
                              (gint64) vr_domain_xml_get_memory_kib (doc));
  json_object_set_int_member (object, "vcpus", vr_domain_xml_get_vcpus (doc));
  json_object_set_string_member (object, "domain", prop_string (p, "Domain"));
  json_object_set_int_member (object, "last_job_code", code);
  json_object_set_string_member (object, "last_job_message",
                                 prop_string (p, "LastJobMessage"));
  json_object_set_string_member (object, "object", p->path);
  json_node_take_object (node, object);
  vr_cli_print_json (node);
}

static void
print_shown (Planned *p, xmlDoc *doc)
{
  gboolean saved = FALSE;
  guint code = 0;

  g_variant_lookup (p->props, "HasSavedState", "b", &saved);
  g_variant_lookup (p->props, "LastJobCode", "u", &code);
  printf ("%-16s%s\n", "Name:", prop_string (p, "Name"));
  printf ("%-16s%s\n", "UUID:", prop_string (p, "UUID"));
  printf ("%-16s%s\n", "State:", prop_string (p, "State"));
  printf ("%-16s%s\n", "Import dir:", prop_string (p, "ImportDirectory"));
  printf ("%-16s%s\n", "Saved state:",
          saved ? "yes" : "none (the guest will boot)");
  printf ("%-16s%" G_GUINT64_FORMAT " KiB\n", "Memory:",
          vr_domain_xml_get_memory_kib (doc));
  printf ("%-16s%u\n", "CPU(s):", vr_domain_xml_get_vcpus (doc));
  if (*prop_string (p, "LastJobMessage") != '\0')
    printf ("%-16s%s (%u)\n", "Last job:", prop_string (p, "LastJobMessage"),
            code);
  if (*prop_string (p, "Domain") != '\0')
    printf ("%-16s%s\n", "Domain:", prop_string (p, "Domain"));
}

int
vr_cli_client_show (VrCli *cli, GDBusConnection *bus, const char *key,
                    gboolean xml)
{
  g_autoptr (GError) error = NULL;
  Planned *p = find_planned_props (bus, key, &error);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  const char *text;

  if (p == NULL)
    return vr_cli_fail (error);
  /* The planned XML as the agent gives it to this caller: without
   * secrets unless they hold read-secrets (not asked for here). */
  reply = call (bus, p->path, VR_DBUS_PLANNED_IFACE, "GetDomainXML",
                g_variant_new_parsed ("(@a{sv} {},)"), "(s)", &error);
  if (reply != NULL)
    {
      g_variant_get (reply, "(&s)", &text);
      doc = vr_xml_parse_buffer (text, strlen (text), "GetDomainXML",
                                 "domain", &error);
    }
  if (doc == NULL)
    {
      planned_free (p);
      return vr_cli_fail (error);
    }
  if (xml)
    fputs (text, stdout);
  else if (cli->json)
    print_shown_json (p, doc);
  else
    print_shown (p, doc);
  planned_free (p);
  return VR_EXIT_OK;
}

int
vr_cli_client_destroy (VrCli *cli, GDBusConnection *bus, const char *key)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = find_planned (bus, key, &error);
  g_autoptr (GVariant) reply = NULL;

  if (path == NULL)
    return vr_cli_fail (error);
  reply
      = call (bus, path, VR_DBUS_PLANNED_IFACE, "Destroy", NULL, NULL, &error);
  if (reply == NULL)
    return vr_cli_fail (error);
  if (!cli->quiet && !cli->json)
    printf ("Planned system '%s' destroyed\n", key);
  return VR_EXIT_OK;
}

static GVariant *
realize_options (const VrRealizeOptions *options)
{
  GVariantBuilder builder;
  g_autofree char *pool_dir = NULL;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sv}"));
  if (options->pool != NULL)
    g_variant_builder_add (&builder, "{sv}", "pool",
                           g_variant_new_string (options->pool));
  if (options->pool_dir != NULL)
    {
      /* The agent has its own working directory. */
      pool_dir = g_canonicalize_filename (options->pool_dir, NULL);
      g_variant_builder_add (&builder, "{sv}", "pool-dir",
                             g_variant_new_string (pool_dir));
    }
  if (options->handoff != VR_HANDOFF_AUTO)
    g_variant_builder_add (&builder, "{sv}", "handoff",
                           g_variant_new_string (
                               vr_handoff_to_string (options->handoff)));
  if (options->start)
    g_variant_builder_add (&builder, "{sv}", "start",
                           g_variant_new_boolean (TRUE));
  if (options->copy_disks)
    g_variant_builder_add (&builder, "{sv}", "copy-disks",
                           g_variant_new_boolean (TRUE));
  return g_variant_builder_end (&builder);
}

typedef struct {
  GDBusConnection *bus;
  const char *job;
  GMainLoop *loop;
  gboolean draw;
} Waiter;

static GVariant *
job_properties (Waiter *waiter)
{
  g_autoptr (GVariant) reply
      = call (waiter->bus, waiter->job, PROPERTIES, "GetAll",
              g_variant_new ("(s)", VR_DBUS_JOB_IFACE), "(a{sv})", NULL);

  return reply ? g_variant_get_child_value (reply, 0) : NULL;
}

static guint64
lookup_number (GVariant *props, const char *name)
{
  g_autoptr (GVariant) value = g_variant_lookup_value (props, name, NULL);

  if (value == NULL)
    return 0;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    return g_variant_get_uint64 (value);
  return g_variant_get_uint32 (value);
}

/* "copy      42%  1.2 GB of 2.1 GB  350.0 MB/s" */
static void
draw (Waiter *waiter, GVariant *props)
{
  const char *phase = "";
  guint64 total = lookup_number (props, "BytesTotal");
  g_autofree char *done = g_format_size (lookup_number (props, "BytesDone"));
  g_autofree char *all = g_format_size (total);
  g_autofree char *rate = g_format_size (lookup_number (props, "Rate"));

  g_variant_lookup (props, "Phase", "&s", &phase);
  fprintf (stderr, "\r\033[K%-9s %3u%%", phase,
           (guint) lookup_number (props, "PercentComplete"));
  if (total > 0)
    fprintf (stderr, "  %s of %s  %s/s", done, all, rate);
  fflush (stderr);
}

static void
on_changed (GDBusConnection *bus, const char *sender, const char *path,
            const char *iface, const char *signal, GVariant *params,
            gpointer user_data)
{
  Waiter *waiter = user_data;
  g_autoptr (GVariant) props = NULL;

  if (!waiter->draw)
    return;
  props = job_properties (waiter);
  if (props != NULL)
    draw (waiter, props);
}

static void
on_completed (GDBusConnection *bus, const char *sender, const char *path,
              const char *iface, const char *signal, GVariant *params,
              gpointer user_data)
{
  Waiter *waiter = user_data;

  g_main_loop_quit (waiter->loop);
}

/* The agent stopped or died: no Completed will come. */
static void
on_vanished (GDBusConnection *bus, const char *name, gpointer user_data)
{
  Waiter *waiter = user_data;

  g_main_loop_quit (waiter->loop);
}

/* Ctrl-C: the agent's job rolls back and ends Terminated. */
static gboolean
on_interrupt (gpointer user_data)
{
  Waiter *waiter = user_data;

  g_dbus_connection_call (waiter->bus, VR_DBUS_NAME, waiter->job,
                          VR_DBUS_JOB_IFACE, "Cancel", NULL, NULL,
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static gboolean
job_ended (Waiter *waiter)
{
  g_autoptr (GVariant) props = job_properties (waiter);

  return props == NULL || lookup_number (props, "JobState") >= 7;
}

static void
wait_for_job (Waiter *waiter)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  guint changed;
  guint completed;
  guint sigint;
  guint watch;

  waiter->loop = loop;
  changed = g_dbus_connection_signal_subscribe (
      waiter->bus, VR_DBUS_NAME, PROPERTIES, "PropertiesChanged", waiter->job,
      VR_DBUS_JOB_IFACE, G_DBUS_SIGNAL_FLAGS_NONE, on_changed, waiter, NULL);
  completed = g_dbus_connection_signal_subscribe (
      waiter->bus, VR_DBUS_NAME, VR_DBUS_JOB_IFACE, "Completed", waiter->job,
      NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_completed, waiter, NULL);
  sigint = g_unix_signal_add (SIGINT, on_interrupt, waiter);
  watch = g_bus_watch_name_on_connection (waiter->bus, VR_DBUS_NAME,
                                          G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                          on_vanished, waiter, NULL);
  /* It may have ended before we listened. */
  if (!job_ended (waiter))
    g_main_loop_run (loop);
  g_bus_unwatch_name (watch);
  g_source_remove (sigint);
  g_dbus_connection_signal_unsubscribe (waiter->bus, changed);
  g_dbus_connection_signal_unsubscribe (waiter->bus, completed);
  if (waiter->draw)
    fprintf (stderr, "\r\033[K");
}

static int
report_job (VrCli *cli, Waiter *waiter, const char *system)
{
  g_autoptr (GVariant) props = job_properties (waiter);
  g_autoptr (GError) error = NULL;
  g_autofree char *name
      = get_string (waiter->bus, system, VR_DBUS_PLANNED_IFACE, "Name");
  g_autofree char *domain
      = get_string (waiter->bus, system, VR_DBUS_PLANNED_IFACE, "Domain");
  /* No job object: the agent went away while the job ran. */
  const char *description = "the agent went away before the job ended; "
                            "its next start rolls the job back";

  if (props != NULL && lookup_number (props, "JobState") == 7)
    {
      if (!cli->quiet && !cli->json)
        printf ("Planned system '%s' realized as domain '%s'\n", name,
                domain);
      return VR_EXIT_OK;
    }
  if (props != NULL)
    g_variant_lookup (props, "ErrorDescription", "&s", &description);
  error = g_error_new_literal (
      VR_ERROR, props ? (int) lookup_number (props, "ErrorCode")
                      : VR_ERROR_UNKNOWN,
      description);
  return vr_cli_fail (error);
}

int
vr_cli_client_realize (VrCli *cli, GDBusConnection *bus, const char *key,
                       const VrRealizeOptions *options, gboolean no_wait)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *system = find_planned (bus, key, &error);
  g_autoptr (GVariant) reply = NULL;
  Waiter waiter = { .bus = bus };
  const char *domain;
  guint32 code;

  if (system == NULL)
    return vr_cli_fail (error);
  reply = call_with_import_dir (bus, system, "Realize",
                                realize_options (options), "(uos)", &error);
  if (reply == NULL)
    return vr_cli_fail (error);
  g_variant_get (reply, "(u&o&s)", &code, &waiter.job, &domain);
  if (code == VR_ERROR_COMPLETED)
    {
      if (!cli->quiet && !cli->json)
        printf ("Planned system '%s' realized as domain '%s'\n", key, domain);
      return VR_EXIT_OK;
    }
  if (no_wait)
    {
      printf ("%s\n", waiter.job);
      return VR_EXIT_OK;
    }
  waiter.draw = !cli->json && !cli->quiet && isatty (STDERR_FILENO);
  wait_for_job (&waiter);
  return report_job (cli, &waiter, system);
}

/* A job named by its number (as `jobs` lists it) or its object path. */
static char *
job_path (const char *id)
{
  if (g_str_has_prefix (id, VR_DBUS_JOBS_PREFIX))
    return g_strdup (id);
  return g_strconcat (VR_DBUS_JOBS_PREFIX, id, NULL);
}

static const char *
lookup_text (GVariant *props, const char *name)
{
  const char *text = "";

  g_variant_lookup (props, name, "&s", &text);
  return text;
}

static const char *
job_state_name (guint64 state)
{
  static const char *const names[] = { "", "", "new", "starting", "running",
                                       "", "", "completed", "terminated",
                                       "killed", "exception" };

  return state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

static void
print_job_line (const char *path, GVariant *props)
{
  guint64 state = lookup_number (props, "JobState");

  printf (" %-5s %-8s %-24s %-11s %3u%%  %s\n",
          path + strlen (VR_DBUS_JOBS_PREFIX), lookup_text (props, "JobType"),
          lookup_text (props, "Target"), job_state_name (state),
          (guint) lookup_number (props, "PercentComplete"),
          state >= 8 ? lookup_text (props, "ErrorDescription") : "");
}

int
vr_cli_client_jobs (VrCli *cli, GDBusConnection *bus)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = call (bus, VR_DBUS_MANAGER_PATH,
                                     VR_DBUS_MANAGER_IFACE, "GetJobs", NULL,
                                     "(ao)", &error);
  g_autoptr (GVariantIter) iter = NULL;
  const char *path;

  if (reply == NULL)
    return vr_cli_fail (error);
  printf (" %-5s %-8s %-24s %-11s %4s  %s\n", "Id", "Type", "Target",
          "State", "Done", "Error");
  printf ("------------------------------------------------------------"
          "------------\n");
  g_variant_get (reply, "(ao)", &iter);
  while (g_variant_iter_next (iter, "&o", &path))
    {
      Waiter waiter = { .bus = bus, .job = path };
      g_autoptr (GVariant) props = job_properties (&waiter);

      if (props != NULL)
        print_job_line (path, props);
    }
  return VR_EXIT_OK;
}

int
vr_cli_client_job (VrCli *cli, GDBusConnection *bus, const char *id)
{
  g_autofree char *path = job_path (id);
  Waiter waiter = { .bus = bus, .job = path };
  g_autoptr (GVariant) props = job_properties (&waiter);
  g_autoptr (GVariantIter) iter = NULL;
  g_autoptr (GError) error = NULL;
  const char *key;
  GVariant *value;

  if (props == NULL)
    {
      error = g_error_new (VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                           "no job %s (jobs lists them)", id);
      return vr_cli_fail (error);
    }
  g_variant_get (props, "a{sv}", &iter);
  while (g_variant_iter_next (iter, "{&sv}", &key, &value))
    {
      g_autofree char *text = g_variant_is_of_type (value,
                                                    G_VARIANT_TYPE_STRING)
                                  ? g_variant_dup_string (value, NULL)
                                  : g_variant_print (value, FALSE);

      printf ("%-18s%s\n", key, text);
      g_variant_unref (value);
    }
  return VR_EXIT_OK;
}

int
vr_cli_client_cancel (VrCli *cli, GDBusConnection *bus, const char *id)
{
  g_autofree char *path = job_path (id);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = call (bus, path, VR_DBUS_JOB_IFACE, "Cancel",
                                     NULL, NULL, &error);

  if (reply == NULL)
    return vr_cli_fail (error);
  if (!cli->quiet && !cli->json)
    printf ("Job %s cancelled: it rolls back and ends terminated\n", id);
  return VR_EXIT_OK;
}

int
vr_cli_client_wait (VrCli *cli, GDBusConnection *bus, const char *id)
{
  g_autofree char *path = job_path (id);
  Waiter waiter = { .bus = bus, .job = path };
  g_autoptr (GVariant) props = job_properties (&waiter);
  g_autoptr (GError) error = NULL;
  const char *description = "";

  if (props == NULL)
    {
      error = g_error_new (VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                           "no job %s (jobs lists them)", id);
      return vr_cli_fail (error);
    }
  waiter.draw = !cli->json && !cli->quiet && isatty (STDERR_FILENO);
  wait_for_job (&waiter);
  g_clear_pointer (&props, g_variant_unref);
  props = job_properties (&waiter);
  if (props != NULL && lookup_number (props, "JobState") == 7)
    return VR_EXIT_OK;
  if (props != NULL)
    g_variant_lookup (props, "ErrorDescription", "&s", &description);
  error = g_error_new_literal (
      VR_ERROR, props ? (int) lookup_number (props, "ErrorCode")
                      : VR_ERROR_UNKNOWN, description);
  return vr_cli_fail (error);
}
