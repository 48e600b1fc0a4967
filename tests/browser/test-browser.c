/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Cockpit page in a real browser: the agent on a private system bus
 * with polkitd (tests/bus-harness.c) and this program's own embedded QEMU
 * root, cockpit-ws with a local cockpit-bridge on that bus serving the
 * build directory's cockpit/ as the package, and headless Chromium driven
 * by tests/browser/browser-test.py (python3-selenium). The script clicks
 * through the page; this program then checks what the clicks left on the
 * host: the realized guest resumes, the cancelled one left nothing. */
#include "config.h"

#include <gio/gio.h>
#include <signal.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-harness.h"
#include "test-hooks.h"
#include "test-util.h"
#include "testbed.h"

#define COCKPIT_WS "/usr/lib/cockpit/cockpit-ws"
#define CHROMIUM "/usr/bin/chromium"
#define CHROMEDRIVER "/usr/bin/chromedriver"
/* Debian's, which python3-selenium is installed for. */
#define PYTHON "/usr/bin/python3"
#define BUS_POLICY_NAME "org.virtrealize.Realize1.conf"
/* MiB appended to the saved states (after QEMU's stream, which libvirt
 * never reads that far), so that with VR_TEST_SLOW_COPY (8 MiB a tenth of
 * a second) the page sees the first realize's bar move for about 3 s and
 * cancels the second one while it copies. */
#define REALIZE_MIB 240
#define CANCEL_MIB 400

static VrBusHarness *harness;
static char *root;
static char *uri;

/* Why this machine cannot run the test, or NULL. */
static char *
missing_parts (void)
{
  const char *const files[] = { COCKPIT_WS, "/usr/bin/cockpit-bridge",
                                CHROMIUM, CHROMEDRIVER, NULL };
  int status = 0;

  for (guint i = 0; files[i] != NULL; i++)
    if (!g_file_test (files[i], G_FILE_TEST_IS_EXECUTABLE))
      return g_strdup_printf ("%s is not installed (scripts/deps.txt: "
                              "cockpit-ws, cockpit-bridge, chromium, "
                              "chromium-driver)", files[i]);
  if (!g_spawn_command_line_sync (PYTHON " -c 'import selenium'", NULL, NULL,
                                  &status, NULL)
      || status != 0)
    return g_strdup ("python3-selenium is not installed");
  return NULL;
}

/* The test bed's basic guest with a device this host cannot give it: an
 * interface on a network that does not exist (VR1502, and VR1707 against
 * the saved state). Removing it on the page fixes both. */
/* ... and a larger saved state, for a realize that takes a while. */
static char *
broken_import_dir (void)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autoptr (GError) error = NULL;
  char *copy = vr_testbed_copy_import_dir (basic, &error);
  g_autofree char *xml = NULL;
  g_autofree char *save = NULL;
  xmlDoc *doc;
  xmlNode *devices = NULL;
  xmlNode *nic;

  g_assert_no_error (error);
  xml = g_build_filename (copy, "domain.xml", NULL);
  doc = xmlReadFile (xml, NULL, XML_PARSE_NONET);
  g_assert_nonnull (doc);
  for (xmlNode *n = xmlDocGetRootElement (doc)->children; n; n = n->next)
    if (n->type == XML_ELEMENT_NODE && xmlStrEqual (n->name, BAD_CAST "devices"))
      devices = n;
  g_assert_nonnull (devices);
  nic = xmlNewChild (devices, NULL, BAD_CAST "interface", NULL);
  xmlNewProp (nic, BAD_CAST "type", BAD_CAST "network");
  xmlNewProp (xmlNewChild (nic, NULL, BAD_CAST "source", NULL),
              BAD_CAST "network", BAD_CAST "vr-no-such-network");
  g_assert_cmpint (xmlSaveFile (xml, doc), >, 0);
  xmlFreeDoc (doc);
  save = g_build_filename (copy, "vr-guest.save", NULL);
  vr_testbed_append_mib (save, REALIZE_MIB);
  return copy;
}

/* The second guest with a larger saved state, to cancel mid-copy. */
static char *
slow_import_dir (void)
{
  g_autofree char *second = vr_testbed_require ("second");
  g_autoptr (GError) error = NULL;
  char *copy = vr_testbed_copy_import_dir (second, &error);
  g_autofree char *save = NULL;

  g_assert_no_error (error);
  save = g_build_filename (copy, "vr-guest-2.save", NULL);
  vr_testbed_append_mib (save, CANCEL_MIB);
  return copy;
}

static guint
free_port (void)
{
  struct sockaddr_in addr = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &addr, &len), ==, 0);
  close (fd);
  return ntohs (addr.sin_port);
}

/* XDG_DATA_DIRS/cockpit/virt-realize: the build's cockpit/ (the manifest
 * as configured, the page as in the source); bin/virt-realize: the CLI the
 * page spawns for import. */
static void
stage (const char *dir)
{
  g_autofree char *pkgs = g_build_filename (dir, "xdg", "cockpit", NULL);
  g_autofree char *pkg = g_build_filename (pkgs, "virt-realize", NULL);
  g_autofree char *built = g_build_filename (g_getenv ("G_TEST_BUILDDIR"),
                                             "..", "cockpit", NULL);
  g_autofree char *bin = g_build_filename (dir, "bin", NULL);
  g_autofree char *cli = g_build_filename (bin, "virt-realize", NULL);

  g_assert_cmpint (g_mkdir_with_parents (pkgs, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (bin, 0755), ==, 0);
  g_assert_cmpint (symlink (built, pkg), ==, 0);
  g_assert_cmpint (symlink (g_getenv ("VR_CLI"), cli), ==, 0);
}

/* The manifest shows the page only where the bus policy is installed: put
 * it where the build's prefix installs it while the test runs (the bus
 * harness does the same with polkit's files), unless it is there. */
static char *
install_bus_policy (void)
{
  g_autofree char *src = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..",
                                           "data", BUS_POLICY_NAME,
                                           NULL);
  g_autofree char *contents = NULL;
  char *dest = g_build_filename (VR_BUS_POLICY_DIR, BUS_POLICY_NAME, NULL);

  if (g_file_test (dest, G_FILE_TEST_EXISTS))
    {
      g_free (dest);
      return NULL;
    }
  g_assert_true (g_file_get_contents (src, &contents, NULL, NULL));
  g_assert_cmpint (g_mkdir_with_parents (VR_BUS_POLICY_DIR, 0755), ==, 0);
  g_assert_true (g_file_set_contents (dest, contents, -1, NULL));
  return dest;
}

/* A test that fails aborts; cockpit-ws must not outlive it. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocess *
start_cockpit (const char *dir, guint port, const char *artifacts)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *log = g_build_filename (artifacts, "cockpit-ws.log", NULL);
  g_autofree char *agent_sock = g_build_filename (dir, "no-ssh-agent", NULL);
  g_autofree char *xdg = g_strconcat (dir, "/xdg:/usr/local/share:/usr/share",
                                      NULL);
  g_autofree char *path = g_strconcat (dir, "/bin:", g_getenv ("PATH"), NULL);
  g_autofree char *port_arg = g_strdup_printf ("--port=%u", port);
  g_autoptr (GError) error = NULL;
  GSubprocess *ws;

  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS",
                                harness->address, TRUE);
  /* The bridge would start a session bus and an ssh-agent of its own
   * that outlive it (and hold meson's output pipe): give it ours. */
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                harness->address, TRUE);
  g_subprocess_launcher_setenv (launcher, "SSH_AUTH_SOCK", agent_sock, TRUE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
                                         NULL);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_DIRS", xdg, TRUE);
  g_subprocess_launcher_setenv (launcher, "PATH", path, TRUE);
  /* The CLI the page spawns must go to the agent, not in-process. */
  g_subprocess_launcher_unsetenv (launcher, "VIRT_REALIZE_STATE_DIR");
  g_subprocess_launcher_unsetenv (launcher, "LIBVIRT_DEFAULT_URI");
  ws = g_subprocess_launcher_spawn (launcher, &error, COCKPIT_WS,
                                    "--local-session=cockpit-bridge",
                                    "--address=127.0.0.1", port_arg, NULL);
  g_assert_no_error (error);
  return ws;
}

static char *
artifacts_dir (void)
{
  char *dir = g_build_filename (g_getenv ("G_TEST_BUILDDIR"),
                                "browser-artifacts", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  return dir;
}

/* Whether the script did every step (it says which failed). */
static gboolean
run_browser (guint port, const char *artifacts, const char *broken,
             const char *slow, const char *pool)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *script = g_build_filename (g_getenv ("G_TEST_SRCDIR"),
                                              "browser", "browser-test.py",
                                              NULL);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_autoptr (GSubprocess) browser = NULL;
  g_autoptr (GError) error = NULL;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
                                         NULL);
  browser = g_subprocess_launcher_spawn (
      launcher, &error, PYTHON, script, "--url", url, "--artifacts",
      artifacts, "--import", broken, "--cancel-import", slow, "--pool-dir",
      pool, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait (browser, NULL, &error));
  return g_subprocess_get_if_exited (browser)
         && g_subprocess_get_exit_status (browser) == 0;
}

static char *
virsh (const char *command)
{
  return test_virsh (uri, command);
}

/* The page realized vr-guest (its saved state copied and handed to
 * libvirt's save directory; it resumes) and cancelled vr-guest-2's realize (no domain, no
 * file in the pool or libvirt's save directory). */
static void
check_host (const char *pool)
{
  g_autofree char *save_dir = g_build_filename (root, "lib", "qemu", "save",
                                                NULL);
  g_autofree char *domains = virsh ("list --all --name");
  g_autofree char *pool_files = test_snapshot_tree (pool);
  g_autofree char *saves = test_snapshot_tree (save_dir);
  g_autofree char *started = NULL;
  g_autofree char *domstate = NULL;
  g_autofree char *undefine = NULL;

  g_test_message ("domains: %s", domains);
  g_test_message ("pool: %s", pool_files);
  g_test_message ("save directory: %s", saves);
  g_assert_cmpstr (domains, ==, "vr-guest");
  g_assert_nonnull (strstr (saves, "vr-guest.save"));
  g_assert_null (strstr (pool_files, "vr-guest-2"));
  g_assert_null (strstr (saves, "vr-guest-2"));
  started = virsh ("start vr-guest");
  domstate = virsh ("domstate vr-guest --reason");
  g_assert_cmpstr (domstate, ==, "running (restored)");
  undefine = virsh ("destroy vr-guest; undefine vr-guest --managed-save");
}

static void
test_page (void)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *pool = test_mkdtemp ();
  g_autofree char *broken = broken_import_dir ();
  g_autofree char *slow = slow_import_dir ();
  g_autofree char *policy = install_bus_policy ();
  g_autofree char *artifacts = artifacts_dir ();
  const char *const env[] = { "VR_TEST_SLOW_COPY=1", NULL };
  guint port = free_port ();
  GSubprocess *agent;
  g_autoptr (GSubprocess) ws = NULL;
  gboolean clicked;

  stage (dir);
  agent = vr_bus_harness_start_agent (harness, uri, state, env, NULL);
  ws = start_cockpit (dir, port, artifacts);
  clicked = run_browser (port, artifacts, broken, slow, pool);
  g_subprocess_send_signal (ws, SIGTERM);
  g_subprocess_wait (ws, NULL, NULL);
  /* The root is the agent's while it runs. */
  vr_bus_harness_stop_agent (agent);
  if (policy != NULL)
    unlink (policy);
  g_assert_true (clicked);
  check_host (pool);
  test_rmtree (broken);
  test_rmtree (slow);
  test_rmtree (pool);
  test_rmtree (state);
  test_rmtree (dir);
}

int
main (int argc, char **argv)
{
  g_autofree char *why_not = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  why_not = missing_parts ();
  if (why_not == NULL && !vr_test_hooks_enabled ())
    why_not = g_strdup ("needs a build configured with -Dtest_hooks=true "
                        "(VR_TEST_SLOW_COPY)");
  if (why_not == NULL)
    harness = vr_bus_harness_new (TRUE, &why_not);
  if (harness == NULL)
    {
      g_test_add_data_func ("/browser/page", why_not,
                            (GTestDataFunc) g_test_skip);
      return g_test_run ();
    }
  root = vr_testbed_new_root ("browser");
  uri = vr_testbed_root_uri (root);
  g_test_add_func ("/browser/page", test_page);
  status = g_test_run ();
  vr_bus_harness_free (harness);
  test_rmtree (root);
  g_free (root);
  g_free (uri);
  return status;
}
