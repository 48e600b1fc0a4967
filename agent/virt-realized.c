/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-realized: the agent. Owns org.virtrealize.Realize1 on the system bus
 * (or the session bus) and serves planned systems and jobs (daemon.c). */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <sys/resource.h>

#include "agent-config.h"
#include "auth.h"
#include "daemon.h"
#include "dbus-errors.h"
#include "idle-trim.h"
#include "store.h"

#define DEFAULT_MAX_JOBS 2
#define DEFAULT_JOB_KEEP_SECONDS (5 * 60)
#define DEFAULT_IDLE_TRIM_SECONDS 10

typedef struct {
  char *uri;
  char *state_dir;
  gboolean session;
  int max_jobs;
  int job_keep_seconds;
  int idle_trim_seconds;
  gboolean replace;
  char *config_path;
  VrAgentConfig *config;
  GMainLoop *loop;
  VrDaemon *daemon;
  int status;
} Agent;

static gboolean
parse_options (Agent *agent, int *argc, char ***argv)
{
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
    { "connect", 'c', 0, G_OPTION_ARG_STRING, &agent->uri,
      "libvirt connection URI (default: $LIBVIRT_DEFAULT_URI, else "
      "libvirt's default)", "URI" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &agent->state_dir,
      "State directory (default: $VIRT_REALIZE_STATE_DIR, else "
      "/var/lib/virt-realize as root)", "DIR" },
    { "session", 0, 0, G_OPTION_ARG_NONE, &agent->session,
      "Serve on the session bus (no polkit: only this user may call)", NULL },
    { "max-jobs", 0, 0, G_OPTION_ARG_INT, &agent->max_jobs,
      "Jobs running at once; more wait in state New (default 2)", "N" },
    { "job-keep", 0, 0, G_OPTION_ARG_INT, &agent->job_keep_seconds,
      "Seconds a finished job stays on the bus (default 300)", "SECONDS" },
    { "idle-trim", 0, 0, G_OPTION_ARG_INT, &agent->idle_trim_seconds,
      "Hand unused memory back to the kernel after start-up and after "
      "SECONDS without calls or running jobs; 0: never (default 10)",
      "SECONDS" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &agent->config_path,
      "What callers may use (default " VR_AGENT_CONFIG_DEFAULT ")",
      "FILE" },
    { "replace", 'r', 0, G_OPTION_ARG_NONE, &agent->replace,
      "Replace a running agent", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version",
      NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;

  g_option_context_set_summary (context, "The virt-realize agent: planned "
                                "systems and realize jobs over D-Bus.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      fprintf (stderr, "virt-realized: %s\n", error->message);
      return FALSE;
    }
  if (version)
    {
      printf ("virt-realized %s\n", PACKAGE_VERSION);
      exit (0);
    }
  if (agent->max_jobs < 1 || agent->job_keep_seconds < 0
      || agent->idle_trim_seconds < 0 || *argc > 1)
    {
      fprintf (stderr, "virt-realized: bad arguments (see --help)\n");
      return FALSE;
    }
  agent->config = vr_agent_config_load (
      agent->config_path ? agent->config_path : VR_AGENT_CONFIG_DEFAULT,
      &error);
  if (agent->config == NULL)
    {
      fprintf (stderr, "virt-realized: %s\n", error->message);
      return FALSE;
    }
  vr_auth_set_max_pending (agent->config->max_pending);
  return TRUE;
}

static gboolean
quit (gpointer user_data)
{
  Agent *agent = user_data;

  g_main_loop_quit (agent->loop);
  return G_SOURCE_REMOVE;
}

/* SIGTERM: running jobs roll back before the agent goes. */
static gboolean
on_signal (gpointer user_data)
{
  Agent *agent = user_data;

  g_message ("stopping: cancelling running jobs");
  if (agent->daemon == NULL)
    quit (agent);
  else
    vr_daemon_shutdown (agent->daemon, quit, agent);
  return G_SOURCE_CONTINUE;
}

/* g_unix_signal_add() would attach to the default context. */
static void
add_signal (GMainContext *context, int signum, Agent *agent)
{
  g_autoptr (GSource) source = g_unix_signal_source_new (signum);

  g_source_set_callback (source, on_signal, agent, NULL);
  g_source_attach (source, context);
}

static void
on_name_acquired (GDBusConnection *bus, const char *name, gpointer user_data)
{
  g_message ("serving %s", name);
}

static void
on_name_lost (GDBusConnection *bus, const char *name, gpointer user_data)
{
  Agent *agent = user_data;

  g_warning ("lost or could not own the name %s", name);
  agent->status = 1;
  g_main_loop_quit (agent->loop);
}

static int
serve (Agent *agent)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (
      agent->session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, NULL, &error);
  VrDaemonOptions options = {
    agent->uri, agent->state_dir, agent->session, agent->max_jobs,
    agent->job_keep_seconds, agent->idle_trim_seconds,
    (const char *const *) agent->config->pool_dirs,
    (const char *const *) agent->config->trusted_import_dirs,
    agent->config->path, agent->config->max_imports,
    (const char *const *) agent->config->host_names,
    (const char *const *) agent->config->host_uris,
    (const char *const *) agent->config->bridges,
    { agent->config->max_domains_per_user,
      agent->config->max_memory_per_user,
      agent->config->max_vcpus_per_user,
      agent->config->max_disk_per_user },
    { agent->config->max_planned_per_user,
      agent->config->max_planned_bytes_per_user,
      agent->config->max_validations_per_user },
    agent->config->max_import_jobs_per_user,
    agent->config->max_kept_jobs_per_user,
    agent->config->max_waiting_imports_per_user
  };
  guint owner;

  if (bus == NULL)
    {
      g_printerr ("virt-realized: cannot connect to the bus: %s\n",
                  error->message);
      return 1;
    }
  /* The objects are all there before the name is, so that an activated
   * client finds them at once. */
  agent->daemon = vr_daemon_new (bus, &options, &error);
  if (agent->daemon == NULL)
    {
      g_printerr ("virt-realized: %s\n", error->message);
      return 1;
    }
  /* Loading every record and probing QEMU leaves freed heap behind, and
   * loading libvirt's libraries pages that start-up alone reads; an agent
   * mostly sits idle, so give them back. */
  if (agent->idle_trim_seconds > 0)
    vr_idle_trim ();
  else
    malloc_trim (0);
  owner = g_bus_own_name_on_connection (
      bus, VR_DBUS_NAME,
      G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT
          | (agent->replace ? G_BUS_NAME_OWNER_FLAGS_REPLACE : 0),
      on_name_acquired, on_name_lost, agent, NULL);
  g_main_loop_run (agent->loop);
  g_bus_unown_name (owner);
  g_clear_object (&agent->daemon);
  g_dbus_connection_flush_sync (bus, NULL, NULL);
  return agent->status;
}

/* The soft limit of descriptors up to the hard one (systemd's advice for
 * a service that needs many, systemd.exec(5) LimitNOFILE=): GLib and
 * libvirt's client poll(2), nothing in the agent uses select(2), and the
 * default soft 1024 was filled by callers' descriptors (eighteenth attack
 * review, F3). Under the unit, whose system call filter denies setrlimit
 * (@resources), LimitNOFILE= has set both already. */
static void
raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0
      || limit.rlim_cur >= limit.rlim_max)
    return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    g_debug ("cannot raise the soft limit of descriptors: %s",
             g_strerror (errno));
}

int
main (int argc, char **argv)
{
  Agent agent = { .max_jobs = DEFAULT_MAX_JOBS,
                  .job_keep_seconds = DEFAULT_JOB_KEEP_SECONDS,
                  .idle_trim_seconds = DEFAULT_IDLE_TRIM_SECONDS };
  GMainContext *context;
  int status;

  setlocale (LC_ALL, "");
  raise_fd_limit ();
  if (!parse_options (&agent, &argc, &argv))
    return 2;
  vr_dbus_errors_register ();
  /* The agent's own context, not GLib's default one: libvirt's event
   * implementation iterates the default context on its own thread
   * (vr_libvirt_init), and two threads taking turns at one context could
   * lose our quit (an agent that did not stop on SIGTERM). Everything the
   * daemon attaches goes to the thread-default context pushed here. */
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  agent.loop = g_main_loop_new (context, FALSE);
  add_signal (context, SIGTERM, &agent);
  add_signal (context, SIGINT, &agent);
  status = serve (&agent);
  g_main_loop_unref (agent.loop);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  g_free (agent.uri);
  g_free (agent.state_dir);
  g_free (agent.config_path);
  vr_agent_config_free (agent.config);
  return status;
}
