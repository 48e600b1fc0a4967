/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "bus-harness.h"

#include <libxml/tree.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"
#include "testbed.h"

#define SYSTEM_CONF "/usr/share/dbus-1/system.conf"
#define POLKITD "/usr/lib/polkit-1/polkitd"
#define POLKIT_ACTIONS "/usr/share/polkit-1/actions"
#define POLKIT_RULES "/usr/share/polkit-1/rules.d"
#define WAIT_SECONDS 60

static gboolean
drop_node (xmlNode *node)
{
  static const char *const dropped[] = { "user", "fork", "pidfile",
                                         "servicehelper", "syslog", "listen",
                                         "standard_system_servicedirs",
                                         NULL };
  g_autofree char *text = NULL;

  if (g_strv_contains (dropped, (const char *) node->name))
    return TRUE;
  if (!xmlStrEqual (node->name, BAD_CAST "include")
      && !xmlStrEqual (node->name, BAD_CAST "includedir"))
    return FALSE;
  /* Only the packaged policies (polkit's among them) and ours. */
  text = (char *) xmlNodeGetContent (node);
  return !g_str_equal (text, "system.d");
}

/* Debian's system.conf made private: own socket, nothing host-wide. */
static char *
write_config (const char *dir)
{
  xmlDoc *doc = xmlReadFile (SYSTEM_CONF, NULL, XML_PARSE_NONET);
  xmlNode *root = xmlDocGetRootElement (doc);
  xmlNode *next;
  g_autofree char *socket = g_build_filename (dir, "system_bus_socket", NULL);
  g_autofree char *listen = g_strconcat ("unix:path=", socket, NULL);
  g_autofree char *ours = g_build_filename (
      g_getenv ("G_TEST_SRCDIR"), "..", "data", "org.virtrealize.Realize1.conf",
      NULL);
  char *path = g_build_filename (dir, "system.conf", NULL);

  g_assert_nonnull (root);
  for (xmlNode *node = root->children; node != NULL; node = next)
    {
      next = node->next;
      if (node->type == XML_ELEMENT_NODE && drop_node (node))
        {
          xmlUnlinkNode (node);
          xmlFreeNode (node);
        }
      else if (node->type == XML_ELEMENT_NODE
               && xmlStrEqual (node->name, BAD_CAST "includedir"))
        xmlNodeSetContent (node, BAD_CAST "/usr/share/dbus-1/system.d");
    }
  xmlNewTextChild (root, NULL, BAD_CAST "listen", BAD_CAST listen);
  xmlNewTextChild (root, NULL, BAD_CAST "include", BAD_CAST ours);
  g_assert_cmpint (xmlSaveFile (path, doc), >, 0);
  xmlFreeDoc (doc);
  return path;
}

static gboolean
name_has_owner (GDBusConnection *bus, const char *name)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
      "org.freedesktop.DBus", "NameHasOwner", g_variant_new ("(s)", name),
      G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  gboolean owned = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static void
wait_for_name (VrBusHarness *harness, const char *name, GSubprocess *owner)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (!name_has_owner (harness->bus, name))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      /* An owner that died will never come. */
      g_assert_cmpint (kill (atoi (g_subprocess_get_identifier (owner)), 0),
                       ==, 0);
      g_usleep (20 * 1000);
    }
}

/* A test that fails aborts; what it started must not outlive it (meson
 * would wait for their end of the output pipe). */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocessLauncher *
launcher_for (VrBusHarness *harness)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_NONE);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
                                         NULL);

  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS",
                                harness->address, TRUE);
  g_subprocess_launcher_setenv (launcher, "LIBVIRT_LOG_OUTPUTS",
                                "1:file:/dev/null", TRUE);
  return launcher;
}

/* The repository's file goes where polkitd reads it; whatever was there
 * (an installed copy, maybe older) is put back afterwards. */
static void
install (VrBusHarness *harness, const char *file, const char *dest_dir)
{
  g_autofree char *src = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..",
                                           "data", file, NULL);
  g_autofree char *dest = g_build_filename (dest_dir, file, NULL);
  g_autofree char *contents = NULL;
  g_autofree char *previous = NULL;
  gsize len;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_get_contents (src, &contents, &len, &error));
  if (!g_file_get_contents (dest, &previous, NULL, NULL))
    previous = NULL;
  g_assert_true (g_file_set_contents_full (dest, contents, len,
                                           G_FILE_SET_CONTENTS_CONSISTENT,
                                           0644, &error));
  g_ptr_array_add (harness->installed, g_steal_pointer (&dest));
  g_ptr_array_add (harness->installed, g_steal_pointer (&previous));
}

/* Pairs of (path, previous contents or NULL), undone last first: a file
 * installed twice gets back what was there before the first (in order,
 * the second pair put the first test's rules back, and they stayed). */
static void
uninstall (VrBusHarness *harness)
{
  for (guint i = harness->installed->len & ~1u; i >= 2; i -= 2)
    {
      const char *path = harness->installed->pdata[i - 2];
      const char *previous = harness->installed->pdata[i - 1];

      if (previous == NULL)
        unlink (path);
      else
        g_file_set_contents_full (path, previous, -1,
                                  G_FILE_SET_CONTENTS_CONSISTENT, 0644, NULL);
    }
}

static void
spawn_polkitd (VrBusHarness *harness)
{
  g_autoptr (GSubprocessLauncher) launcher = launcher_for (harness);
  g_autoptr (GError) error = NULL;

  g_subprocess_launcher_set_flags (launcher,
                                   G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                       | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  harness->polkitd = g_subprocess_launcher_spawn (launcher, &error, POLKITD,
                                                  "--no-debug", NULL);
  g_assert_no_error (error);
  wait_for_name (harness, "org.freedesktop.PolicyKit1", harness->polkitd);
}

static void
start_polkitd (VrBusHarness *harness)
{
  install (harness, "org.virtrealize.Realize1.policy", POLKIT_ACTIONS);
  install (harness, "50-virt-realize.rules", POLKIT_RULES);
  spawn_polkitd (harness);
}

static void stop (GSubprocess *process);

void
vr_bus_harness_add_rules (VrBusHarness *harness, const char *name,
                          const char *text)
{
  g_autofree char *dest = g_build_filename (POLKIT_RULES, name, NULL);
  g_autofree char *previous = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (harness->polkitd);
  if (!g_file_get_contents (dest, &previous, NULL, NULL))
    previous = NULL;
  g_assert_true (g_file_set_contents_full (dest, text, -1,
                                           G_FILE_SET_CONTENTS_CONSISTENT,
                                           0644, &error));
  g_ptr_array_add (harness->installed, g_steal_pointer (&dest));
  g_ptr_array_add (harness->installed, g_steal_pointer (&previous));
  /* polkitd reads its rules again on a file monitor, some time later: a
   * new polkitd holds them when it owns its name. */
  stop (harness->polkitd);
  g_clear_object (&harness->polkitd);
  spawn_polkitd (harness);
}

static void
start_dbus (VrBusHarness *harness)
{
  g_autofree char *config = write_config (harness->dir);
  g_autofree char *arg = g_strconcat ("--config-file=", config, NULL);
  g_autofree char *socket = g_build_filename (harness->dir,
                                              "system_bus_socket", NULL);
  g_autoptr (GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_NONE);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
                                         NULL);
  harness->dbus = g_subprocess_launcher_spawn (launcher, &error,
                                               "dbus-daemon", arg,
                                               "--nofork", NULL);
  g_assert_no_error (error);
  harness->address = g_strconcat ("unix:path=", socket, NULL);
  while (harness->bus == NULL)
    {
      g_clear_error (&error);
      harness->bus = g_dbus_connection_new_for_address_sync (
          harness->address,
          G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
              | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
          NULL, NULL, &error);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (harness->bus == NULL)
        g_usleep (20 * 1000);
    }
}

VrBusHarness *
vr_bus_harness_new (gboolean polkit, char **why_not)
{
  VrBusHarness *harness;

  if (geteuid () != 0)
    {
      *why_not = g_strdup ("a private system bus with polkitd needs root");
      return NULL;
    }
  if (!g_file_test (POLKITD, G_FILE_TEST_IS_EXECUTABLE))
    {
      *why_not = g_strdup (POLKITD " is not installed");
      return NULL;
    }
  harness = g_new0 (VrBusHarness, 1);
  harness->installed = g_ptr_array_new_with_free_func (g_free);
  harness->dir = test_mkdtemp ();
  /* nobody must reach the socket for the access tests. */
  g_assert_cmpint (chmod (harness->dir, 0755), ==, 0);
  start_dbus (harness);
  if (polkit)
    start_polkitd (harness);
  return harness;
}

static void
stop (GSubprocess *process)
{
  if (process == NULL)
    return;
  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, NULL);
}

void
vr_bus_harness_free (VrBusHarness *harness)
{
  g_clear_object (&harness->bus);
  stop (harness->polkitd);
  stop (harness->dbus);
  g_clear_object (&harness->polkitd);
  g_clear_object (&harness->dbus);
  uninstall (harness);
  g_ptr_array_unref (harness->installed);
  test_rmtree (harness->dir);
  g_free (harness->dir);
  g_free (harness->address);
  g_free (harness);
}

GSubprocess *
vr_bus_harness_start_agent (VrBusHarness *harness, const char *uri,
                            const char *state_dir, const char *const *env,
                            const char *const *args)
{
  g_autoptr (GSubprocessLauncher) launcher = launcher_for (harness);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *agent_conf = g_build_filename (harness->dir,
                                                  "agent.conf", NULL);
  g_autofree char *conf_text = g_strdup_printf (
      "[Agent]\nPoolDirs=%s;\nTrustedImportDirs=%s;%s;\n"
      "Bridges=" VR_BUS_HARNESS_BRIDGE ";\n",
      g_get_tmp_dir (), g_get_tmp_dir (), vr_testbed_dir ());
  GSubprocess *agent;

  g_assert_true (g_file_set_contents (agent_conf, conf_text, -1, NULL));
  g_assert_cmpint (chmod (agent_conf, 0644), ==, 0);

  /* GLib 2.74 keeps GSlice magazines, which hold every freed and leaked
   * slice reachable: LeakSanitizer saw no leaked GVariant in the agent
   * (the ValidateDefinition reply, 1 MB a call) until its slices were
   * plain mallocs. The long-lived root process is where a leak counts;
   * the test programs' own small leaks stay out of the report. */
  g_subprocess_launcher_setenv (launcher, "G_SLICE", "always-malloc", TRUE);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto (GStrv) pair = g_strsplit (env[i], "=", 2);

      g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }
  g_ptr_array_add (argv, (char *) g_getenv ("VR_AGENT"));
  g_ptr_array_add (argv, (char *) "-c");
  g_ptr_array_add (argv, (char *) uri);
  g_ptr_array_add (argv, (char *) "--state-dir");
  g_ptr_array_add (argv, (char *) state_dir);
  /* The tests' pools are temporary folders: agent.conf allows them. */
  g_ptr_array_add (argv, (char *) "--config");
  g_ptr_array_add (argv, agent_conf);
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_nonnull (argv->pdata[0]);
  agent = g_subprocess_launcher_spawnv (
      launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  wait_for_name (harness, "org.virtrealize.Realize1", agent);
  return agent;
}

void
vr_bus_harness_stop_agent (GSubprocess *agent)
{
  g_autoptr (GError) error = NULL;

  g_subprocess_send_signal (agent, SIGTERM);
  g_assert_true (g_subprocess_wait_check (agent, NULL, &error));
  g_assert_no_error (error);
  g_object_unref (agent);
}

void
vr_bus_harness_kill_agent (GSubprocess *agent)
{
  g_subprocess_force_exit (agent);
  g_subprocess_wait (agent, NULL, NULL);
  g_object_unref (agent);
}

int
vr_bus_harness_run_as_nobody (VrBusHarness *harness, const char *const *argv,
                              char **err)
{
  return vr_bus_harness_run_as_nobody_out (harness, argv, NULL, err);
}

/* argv behind setpriv as uid/gid 65534 without groups. */
static GPtrArray *
nobody_argv (const char *const *argv)
{
  const char *const setpriv[] = { "setpriv", "--reuid=65534", "--regid=65534",
                                  "--clear-groups", NULL };
  GPtrArray *full = g_ptr_array_new ();

  for (guint i = 0; setpriv[i] != NULL; i++)
    g_ptr_array_add (full, (char *) setpriv[i]);
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (full, (char *) argv[i]);
  g_ptr_array_add (full, NULL);
  return full;
}

int
vr_bus_harness_run_as_nobody_out (VrBusHarness *harness,
                                  const char *const *argv, char **out,
                                  char **err)
{
  g_autoptr (GSubprocessLauncher) launcher = launcher_for (harness);
  g_autoptr (GPtrArray) full = nobody_argv (argv);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  g_subprocess_launcher_set_flags (
      launcher, (out ? G_SUBPROCESS_FLAGS_STDOUT_PIPE
                     : G_SUBPROCESS_FLAGS_STDOUT_SILENCE)
                    | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  process = g_subprocess_launcher_spawnv (
      launcher, (const char *const *) full->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, out,
                                                err, &error));
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (process);
}

GSubprocess *
vr_bus_harness_spawn_as_nobody (VrBusHarness *harness,
                                const char *const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher = launcher_for (harness);
  g_autoptr (GPtrArray) full = nobody_argv (argv);
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_flags (launcher,
                                   G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                       | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  process = g_subprocess_launcher_spawnv (
      launcher, (const char *const *) full->pdata, &error);
  g_assert_no_error (error);
  return process;
}
