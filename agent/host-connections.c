/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's connections to the remote hosts agent.conf lists. */
#include "config.h"

#include "host-connections.h"

#include "errors.h"
#include "libvirt-util.h"

#define FIRST_RETRY_SECONDS 2
#define LAST_RETRY_SECONDS 60

typedef struct {
  VrHostConnections *table;
  char *name;
  char *uri;
  virConnectPtr conn; /* NULL while not connected */
  VrHostCaps *caps;
  gboolean connecting;
  guint retry_id;
  guint retry_seconds;
} Host;

struct _VrHostConnections {
  gatomicrefcount ref; /* the table, its workers and close callbacks */
  gboolean closed;     /* freed by its owner: workers only clean up */
  GMainContext *context;
  GPtrArray *hosts;    /* of Host */
  char **uris;
  VrHostConnected connected;
  gpointer data;
};

static void connect_host (Host *host);
static void on_closed (virConnectPtr conn, int reason, void *opaque);

static VrHostConnections *
table_ref (VrHostConnections *table)
{
  g_atomic_ref_count_inc (&table->ref);
  return table;
}

static void
host_free (Host *host)
{
  g_free (host->name);
  g_free (host->uri);
  g_clear_object (&host->caps);
  g_clear_pointer (&host->conn, virConnectClose);
  g_free (host);
}

static void
table_unref (VrHostConnections *table)
{
  if (!g_atomic_ref_count_dec (&table->ref))
    return;
  g_ptr_array_unref (table->hosts);
  g_strfreev (table->uris);
  g_main_context_unref (table->context);
  g_free (table);
}

static void
remove_source_id (VrHostConnections *table, guint id)
{
  GSource *source = g_main_context_find_source_by_id (table->context, id);

  if (source != NULL)
    g_source_destroy (source);
}

static gboolean
retry (gpointer user_data)
{
  Host *host = user_data;

  host->retry_id = 0;
  connect_host (host);
  return G_SOURCE_REMOVE;
}

/* Timeouts go to the agent's context: g_timeout_add() would put them in
 * GLib's default one, which libvirt's event thread iterates. */
static void
schedule_retry (Host *host)
{
  g_autoptr (GSource) source = NULL;

  if (host->retry_id != 0 || host->table->closed)
    return;
  source = g_timeout_source_new_seconds (host->retry_seconds);
  g_source_set_callback (source, retry, host, NULL);
  host->retry_id = g_source_attach (source, host->table->context);
  host->retry_seconds = MIN (host->retry_seconds * 2, LAST_RETRY_SECONDS);
}

typedef struct {
  Host *host;
  VrHostConnections *table; /* a reference: host lives as long */
  char *uri;
  virConnectPtr conn;
  VrHostCaps *caps;
  GError *error;
} Connect;

static void
connect_free (Connect *connect)
{
  g_free (connect->uri);
  g_clear_object (&connect->caps);
  g_clear_pointer (&connect->conn, virConnectClose);
  g_clear_error (&connect->error);
  table_unref (connect->table);
  g_free (connect);
}

static void
connect_thread (GTask *task, gpointer source, gpointer task_data,
                GCancellable *cancellable)
{
  Connect *connect = task_data;

  connect->conn = vr_libvirt_open (connect->uri, &connect->error);
  if (connect->conn != NULL)
    connect->caps = vr_host_caps_new (connect->conn);
  g_task_return_boolean (task, TRUE);
}

static void
connect_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Connect *connect = g_task_get_task_data (G_TASK (result));
  Host *host = connect->host;

  host->connecting = FALSE;
  if (connect->table->closed)
    return;
  if (connect->conn == NULL)
    {
      g_message ("host '%s': %s; retrying in %u s", host->name,
                 connect->error->message, host->retry_seconds);
      schedule_retry (host);
      return;
    }
  host->conn = g_steal_pointer (&connect->conn);
  host->caps = g_steal_pointer (&connect->caps);
  host->retry_seconds = FIRST_RETRY_SECONDS;
  virConnectRegisterCloseCallback (host->conn, on_closed, host, NULL);
  g_message ("host '%s' (%s) connected", host->name, host->uri);
  if (host->table->connected != NULL)
    host->table->connected (host->name, host->uri, host->table->data);
}

/* Opening blocks (ssh may take seconds): on a worker. */
static void
connect_host (Host *host)
{
  g_autoptr (GTask) task = NULL;
  Connect *connect;

  if (host->connecting || host->conn != NULL || host->table->closed)
    return;
  host->connecting = TRUE;
  connect = g_new0 (Connect, 1);
  connect->host = host;
  connect->table = table_ref (host->table);
  connect->uri = g_strdup (host->uri);
  task = g_task_new (NULL, NULL, connect_done, NULL);
  g_task_set_task_data (task, connect, (GDestroyNotify) connect_free);
  g_task_run_in_thread (task, connect_thread);
}

static void
close_thread (GTask *task, gpointer source, gpointer task_data,
              GCancellable *cancellable)
{
  virConnectClose (task_data);
  g_task_return_boolean (task, TRUE);
}

/* Closing talks to libvirt (the last reference may be ours): on a
 * worker. Jobs that hold their own reference keep it. */
static void
drop_connection (Host *host)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, NULL, NULL);

  virConnectUnregisterCloseCallback (host->conn, on_closed);
  g_clear_object (&host->caps);
  g_task_set_task_data (task, g_steal_pointer (&host->conn), NULL);
  g_task_run_in_thread (task, close_thread);
}

typedef struct {
  VrHostConnections *table;
  Host *host;
  virConnectPtr conn;
} Closed;

static void
closed_free (Closed *closed)
{
  table_unref (closed->table);
  g_free (closed);
}

static gboolean
on_closed_in_main (gpointer user_data)
{
  Closed *closed = user_data;
  Host *host = closed->host;

  /* A close reported for a connection already replaced is old news. */
  if (closed->table->closed || host->conn != closed->conn)
    return G_SOURCE_REMOVE;
  g_message ("host '%s' closed the connection; reconnecting", host->name);
  drop_connection (host);
  schedule_retry (host);
  return G_SOURCE_REMOVE;
}

/* On libvirt's event thread, under its close-callback lock: the work is
 * done later in the main context. The table outlives the idle through
 * its reference; host lives as long as the table. */
static void
on_closed (virConnectPtr conn, int reason, void *opaque)
{
  Host *host = opaque;
  g_autoptr (GSource) idle = g_idle_source_new ();
  Closed *closed = g_new0 (Closed, 1);

  closed->table = table_ref (host->table);
  closed->host = host;
  closed->conn = conn;
  g_source_set_callback (idle, on_closed_in_main, closed,
                         (GDestroyNotify) closed_free);
  g_source_attach (idle, closed->table->context);
}

VrHostConnections *
vr_host_connections_new (const char *const *names, const char *const *uris,
                         VrHostConnected connected, gpointer data)
{
  VrHostConnections *table = g_new0 (VrHostConnections, 1);

  g_atomic_ref_count_init (&table->ref);
  table->context = g_main_context_ref_thread_default ();
  table->hosts = g_ptr_array_new_with_free_func ((GDestroyNotify) host_free);
  table->uris = g_strdupv ((char **) uris);
  if (table->uris == NULL)
    table->uris = g_new0 (char *, 1);
  table->connected = connected;
  table->data = data;
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      Host *host = g_new0 (Host, 1);

      host->table = table;
      host->name = g_strdup (names[i]);
      host->uri = g_strdup (uris[i]);
      host->retry_seconds = FIRST_RETRY_SECONDS;
      g_ptr_array_add (table->hosts, host);
      connect_host (host);
    }
  return table;
}

void
vr_host_connections_free (VrHostConnections *table)
{
  if (table == NULL)
    return;
  table->closed = TRUE;
  for (guint i = 0; i < table->hosts->len; i++)
    {
      Host *host = table->hosts->pdata[i];

      if (host->retry_id != 0)
        remove_source_id (table, host->retry_id);
      host->retry_id = 0;
      if (host->conn != NULL)
        virConnectUnregisterCloseCallback (host->conn, on_closed);
    }
  table_unref (table);
}

static Host *
find (VrHostConnections *table, const char *name, const char *option,
      GError **error)
{
  for (guint i = 0; i < table->hosts->len; i++)
    {
      Host *host = table->hosts->pdata[i];

      if (g_str_equal (host->name, name) || g_str_equal (host->uri, name))
        return host;
    }
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "option '%s': '%s' is not a host the agent's configuration "
               "lists ([Hosts] in agent.conf); the agent opens no other "
               "libvirt URI", option, name);
  return NULL;
}

const char *
vr_host_connections_resolve (VrHostConnections *table, const char *name,
                             const char *option, GError **error)
{
  Host *host = find (table, name, option, error);

  return host ? host->uri : NULL;
}

const char *
vr_host_connections_name (VrHostConnections *table, const char *name)
{
  Host *host = find (table, name, "host", NULL);

  return host ? host->name : NULL;
}

gboolean
vr_host_connections_ref (VrHostConnections *table, const char *name,
                         const char *option, virConnectPtr *conn,
                         VrHostCaps **caps, GError **error)
{
  Host *host = find (table, name, option, error);

  if (host == NULL)
    return FALSE;
  /* A close not yet reported (or never: no event loop saw it). */
  if (host->conn != NULL && virConnectIsAlive (host->conn) != 1)
    {
      drop_connection (host);
      schedule_retry (host);
    }
  if (host->conn == NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_AVAILABLE,
                   "host '%s' (%s) is not reachable; the agent keeps trying",
                   host->name, host->uri);
      return FALSE;
    }
  virConnectRef (host->conn);
  *conn = host->conn;
  *caps = g_object_ref (host->caps);
  return TRUE;
}

GVariant *
vr_host_connections_list (VrHostConnections *table)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ss)"));
  for (guint i = 0; i < table->hosts->len; i++)
    {
      Host *host = table->hosts->pdata[i];

      g_variant_builder_add (&builder, "(ss)", host->name, host->uri);
    }
  return g_variant_builder_end (&builder);
}

const char *const *
vr_host_connections_uris (VrHostConnections *table)
{
  return (const char *const *) table->uris;
}
