/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "test-util.h"

#include <gio/gio.h>

#include "test-hooks.h"

#include <libxml/tree.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/relaxng.h>

#include "errors.h"
#include "fs-util.h"
#include "libvirt-util.h"
#include "safe-xml.h"
#include "save-image.h"

char *
test_mkdtemp (void)
{
  g_autoptr (GError) error = NULL;
  char *path = g_dir_make_tmp ("vr-test-XXXXXX", &error);

  g_assert_no_error (error);
  return path;
}

void
test_rmtree (const char *path)
{
  g_autoptr (GError) error = NULL;

  if (path == NULL)
    return;
  /* A test may have left a directory unreadable on purpose. */
  chmod (path, 0700);
  vr_rmtree (path, &error);
  g_assert_no_error (error);
}

void
test_write_file (const char *dir, const char *name, const char *contents,
                 gssize len)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
}

char *
test_domain_xml (const char *name, const char *uuid)
{
  g_autoptr (xmlDoc) doc = xmlNewDoc ((const xmlChar *) "1.0");
  xmlNode *domain = xmlNewNode (NULL, (const xmlChar *) "domain");
  xmlNode *type;

  xmlDocSetRootElement (doc, domain);
  xmlNewProp (domain, (const xmlChar *) "type", (const xmlChar *) "qemu");
  xmlNewTextChild (domain, NULL, (const xmlChar *) "name",
                   (const xmlChar *) name);
  xmlNewTextChild (domain, NULL, (const xmlChar *) "uuid",
                   (const xmlChar *) uuid);
  xmlNewProp (xmlNewTextChild (domain, NULL, (const xmlChar *) "memory",
                               (const xmlChar *) "65536"),
              (const xmlChar *) "unit", (const xmlChar *) "KiB");
  xmlNewTextChild (domain, NULL, (const xmlChar *) "vcpu",
                   (const xmlChar *) "1");
  type = xmlNewTextChild (xmlNewChild (domain, NULL, (const xmlChar *) "os",
                                       NULL),
                          NULL, (const xmlChar *) "type",
                          (const xmlChar *) "hvm");
  xmlNewProp (type, (const xmlChar *) "arch", (const xmlChar *) "x86_64");
  xmlNewProp (type, (const xmlChar *) "machine", (const xmlChar *) "pc");
  return vr_xml_to_string (doc);
}

GBytes *
test_save_image (const char *magic, guint32 version, guint32 compressed,
                 const char *xml, gsize payload_len)
{
  const char *cookie = "<cookie><cpu mode='custom'/></cookie>";
  gsize xml_len = strlen (xml) + 1;
  guint32 header[19] = { 0 };
  GByteArray *out = g_byte_array_new ();
  guint32 data_len = xml_len + strlen (cookie) + 1 + 64;

  header[0] = version;
  header[1] = data_len;
  header[2] = 1;
  header[3] = compressed;
  header[4] = xml_len;
  g_byte_array_append (out, (const guint8 *) magic, 16);
  g_byte_array_append (out, (const guint8 *) header, sizeof header);
  g_byte_array_append (out, (const guint8 *) xml, xml_len);
  g_byte_array_append (out, (const guint8 *) cookie, strlen (cookie) + 1);
  g_byte_array_set_size (out, VR_SAVE_IMAGE_HEADER_SIZE + data_len
                                  + payload_len);
  memset (out->data + VR_SAVE_IMAGE_HEADER_SIZE + xml_len + strlen (cookie) + 1,
          0, 64 + payload_len);
  return g_byte_array_free_to_bytes (out);
}

static void
snapshot_entry (GString *out, const char *path, const char *rel)
{
  struct stat st;

  g_assert_cmpint (lstat (path, &st), ==, 0);
  g_string_append_printf (out, "%s %o %" G_GINT64_FORMAT, rel, st.st_mode,
                          (gint64) st.st_size);
  if (S_ISLNK (st.st_mode))
    {
      g_autofree char *target = g_file_read_link (path, NULL);

      g_string_append_printf (out, " -> %s", target);
    }
  else if (S_ISREG (st.st_mode) && st.st_size < 256 * 1024 * 1024)
    {
      g_autofree char *data = NULL;
      gsize len = 0;

      if (g_file_get_contents (path, &data, &len, NULL))
        {
          g_autofree char *sum = g_compute_checksum_for_data (
              G_CHECKSUM_SHA256, (const guchar *) data, len);

          g_string_append_printf (out, " %s", sum);
        }
    }
  g_string_append_c (out, '\n');
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
snapshot_dir (GString *out, const char *path, const char *rel)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child = g_build_filename (path, names->pdata[i], NULL);
      g_autofree char *child_rel = g_build_filename (rel, names->pdata[i],
                                                     NULL);

      snapshot_entry (out, child, child_rel);
      if (g_file_test (child, G_FILE_TEST_IS_DIR)
          && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        snapshot_dir (out, child, child_rel);
    }
}

char *
test_snapshot_tree (const char *path)
{
  GString *out = g_string_new (NULL);
  struct stat st;

  if (lstat (path, &st) == 0)
    g_string_append_printf (out, ". %o\n", st.st_mode);
  /* A directory we may not read is snapshot by its mode alone. */
  if (access (path, R_OK | X_OK) == 0)
    snapshot_dir (out, path, ".");
  return g_string_free (out, FALSE);
}

void
test_assert_error (const GError *error, int code, ...)
{
  va_list ap;
  const char *needle;

  g_assert_nonnull (error);
  /* The code the user sees: errno and GIO causes are mapped at the edge. */
  if (vr_error_get_code (error) != code)
    g_error ("expected VR_ERROR %d, got %s %d: %s", code,
             g_quark_to_string (error->domain), error->code, error->message);
  va_start (ap, code);
  while ((needle = va_arg (ap, const char *)) != NULL)
    if (strstr (error->message, needle) == NULL)
      g_error ("error message '%s' does not contain '%s'", error->message,
               needle);
  va_end (ap);
}

guint
test_count_entries (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

char *
test_sha256_file (const char *path)
{
  g_autoptr (GMappedFile) map = g_mapped_file_new (path, FALSE, NULL);

  g_assert_nonnull (map);
  return g_compute_checksum_for_data (
      G_CHECKSUM_SHA256, (const guchar *) g_mapped_file_get_contents (map),
      g_mapped_file_get_length (map));
}

void
test_assert_valid_rng (const char *schema, const char *xml)
{
  g_autofree char *path = g_build_filename (VR_SCHEMAS_DIR, schema, NULL);
  xmlRelaxNGParserCtxt *pctxt = xmlRelaxNGNewParserCtxt (path);
  xmlRelaxNG *rng = xmlRelaxNGParse (pctxt);
  xmlRelaxNGValidCtxt *vctxt = xmlRelaxNGNewValidCtxt (rng);
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = vr_xml_parse_buffer (xml, strlen (xml), schema,
                                                NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (rng);
  g_assert_cmpint (xmlRelaxNGValidateDoc (vctxt, doc), ==, 0);
  xmlRelaxNGFreeValidCtxt (vctxt);
  xmlRelaxNGFree (rng);
  xmlRelaxNGFreeParserCtxt (pctxt);
}

void
test_remove_domain (virConnectPtr conn, const char *uuid)
{
  g_autoptr (virDomain) dom = virDomainLookupByUUIDString (conn, uuid);

  if (dom == NULL)
    return;
  if (virDomainIsActive (dom) == 1)
    virDomainDestroy (dom);
  virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE);
}

char *
test_virsh (const char *uri, const char *commands)
{
  const char *argv[] = { "virsh", "-q", "-c", uri, commands, NULL };
  char *out = NULL;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH
                | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, NULL,
                NULL);
  return out ? g_strstrip (out) : g_strdup ("");
}

VrPlannedSystem *
test_plan_import (const char *path, VrImportFlags flags)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrImportDir) dir = vr_import_dir_open (path, &error);
  VrPlannedSystem *system;

  g_assert_no_error (error);
  system = vr_planned_system_new_from_import (dir, NULL, flags, &error);
  g_assert_no_error (error);
  return system;
}

char *
test_virsh_all (const char *uri, const char *commands)
{
  const char *argv[] = { "virsh", "-q", "-c", uri, commands, NULL };
  g_auto (TestRun) run = { 0 };

  test_run (&run, argv, NULL);
  return g_strconcat (run.out, run.err, NULL);
}

void
test_expect (char *out, int status, int wanted, const char *needle)
{
  g_autofree char *text = out;

  g_assert_cmpint (status, ==, wanted);
  if (needle != NULL && strstr (text, needle) == NULL)
    g_error ("'%s' does not contain '%s'", text, needle);
}

void
test_run_clear (TestRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

void
test_run (TestRun *run, const char *const *argv,
          GSpawnChildSetupFunc child_setup)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_strjoinv (" ", (char **) argv);
  int wait_status = 0;

  test_run_clear (run);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, child_setup,
                NULL, &run->out, &run->err, &wait_status, &error);
  g_assert_no_error (error);
  run->status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  g_test_message ("%s -> %d\nstdout: %s\nstderr: %s", line, run->status,
                  run->out, run->err);
}

GPtrArray *
test_cli_argv (const char *program, const char *state, const char *uri,
               const char *const *args)
{
  GPtrArray *argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (char *) (program ? program : g_getenv ("VR_CLI")));
  g_assert_nonnull (argv->pdata[0]);
  g_ptr_array_add (argv, (char *) "--direct");
  g_ptr_array_add (argv, (char *) "--state-dir");
  g_ptr_array_add (argv, (char *) state);
  if (uri != NULL)
    {
      g_ptr_array_add (argv, (char *) "-c");
      g_ptr_array_add (argv, (char *) uri);
    }
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  return argv;
}

char *
test_cli_direct (const char *state, const char *uri, int *status, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GPtrArray) argv = NULL;
  g_auto (TestRun) run = { 0 };
  const char *arg;
  va_list ap;

  va_start (ap, status);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  argv = test_cli_argv (NULL, state, uri, (const char *const *) args->pdata);
  test_run (&run, (const char *const *) argv->pdata, NULL);
  *status = run.status;
  return g_strconcat (run.out, run.err, NULL);
}

gboolean
test_needs_hooks (void)
{
  if (vr_test_hooks_enabled ())
    return TRUE;
  g_test_skip ("needs a build configured with -Dtest_hooks=true "
               "(VR_TEST_STALL_AT, VR_TEST_SLOW_COPY)");
  return FALSE;
}

gpointer
test_run_paused (const char *point, GThreadFunc func, gpointer data,
                 void (*at_pause) (gpointer), gpointer pause_data)
{
  g_autofree char *ctl = test_mkdtemp ();
  g_autofree char *pause = g_build_filename (ctl, "pause", NULL);
  g_autofree char *reached = g_build_filename (ctl, "reached", NULL);
  g_autoptr (GThread) thread = NULL;
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  gpointer result;

  test_write_file (ctl, "pause", "", -1);
  g_setenv ("VR_TEST_PAUSE_AT", point, TRUE);
  g_setenv ("VR_TEST_PAUSE_FILE", pause, TRUE);
  g_setenv ("VR_TEST_PAUSE_REACHED", reached, TRUE);
  thread = g_thread_new ("paused", func, data);
  while (!g_file_test (reached, G_FILE_TEST_EXISTS)
         && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_assert_true (g_file_test (reached, G_FILE_TEST_EXISTS));
  at_pause (pause_data);
  g_assert_cmpint (unlink (pause), ==, 0);
  result = g_thread_join (g_steal_pointer (&thread));
  g_unsetenv ("VR_TEST_PAUSE_AT");
  g_unsetenv ("VR_TEST_PAUSE_FILE");
  g_unsetenv ("VR_TEST_PAUSE_REACHED");
  test_rmtree (ctl);
  return result;
}

/* A libvirtd of its own, as uid 65534 in session mode with everything
 * under dir: it serves test:///default on DIR/run/libvirt-sock. */
GSubprocess *
test_libvirtd_start (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *conf = g_build_filename (dir, "libvirtd.conf", NULL);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *home = g_build_filename (dir, "home", NULL);
  g_autofree char *sock = g_build_filename (run, "libvirt-sock", NULL);
  g_autofree char *text = g_strdup_printf (
      "unix_sock_dir = \"%s\"\nunix_sock_rw_perms = \"0777\"\n"
      "auth_unix_rw = \"none\"\n", run);
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  GSubprocess *daemon;

  unlink (sock);
  g_assert_true (g_file_set_contents (conf, text, -1, NULL));
  g_assert_cmpint (g_mkdir_with_parents (run, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (home, 0755), ==, 0);
  g_assert_cmpint (chown (run, 65534, 65534), ==, 0);
  g_assert_cmpint (chown (home, 65534, 65534), ==, 0);
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", run, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", home, TRUE);
  daemon = g_subprocess_launcher_spawn (
      launcher, &error, "setpriv", "--reuid=65534", "--regid=65534",
      "--clear-groups", "/usr/sbin/libvirtd", "--config", conf, NULL);
  g_assert_no_error (error);
  while (!g_file_test (sock, G_FILE_TEST_EXISTS))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50 * 1000);
    }
  return daemon;
}

void
test_libvirtd_stop (GSubprocess *daemon)
{
  g_subprocess_send_signal (daemon, SIGTERM);
  g_assert_true (g_subprocess_wait (daemon, NULL, NULL));
  g_object_unref (daemon);
}

char *
test_record_state (const char *state, const char *uuid)
{
  g_autofree char *path = g_build_filename (state, uuid, "record.xml", NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr (xmlDoc) doc = NULL;

  if (!g_file_get_contents (path, &text, &len, NULL))
    return NULL;
  doc = vr_xml_parse_buffer (text, len, path, "planned-system", NULL);
  if (doc == NULL)
    return g_strdup ("(unreadable)");
  return vr_xml_xpath_string (doc, "string(/planned-system/state)");
}

guint
test_free_port (void)
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &addr, &len), ==, 0);
  close (fd);
  return ntohs (addr.sin_port);
}

static void
make_nobody_dir (const char *path)
{
  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
  g_assert_cmpint (chown (path, 65534, 65534), ==, 0);
}

GSubprocess *
test_remote_libvirtd_start (const char *dir, guint port)
{
  return test_remote_libvirtd_start_full (dir, port, FALSE);
}

/* With reaped, the daemon runs under tini as a subreaper, which reaps the
 * QEMU processes it orphans as soon as they exit, as systemd does on a
 * host. This machine's PID 1 reaps orphans about every 2 s, and libvirt
 * polls kill(pid, 0) every 200 ms after its SIGTERM until QEMU is gone, so
 * without it each managed save or destroy waits up to 2 s more than on a
 * host. tini passes SIGTERM on; killed itself, the daemon gets SIGKILL
 * (setpriv's --pdeathsig), as if it had been killed. */
GSubprocess *
test_remote_libvirtd_start_full (const char *dir, guint port, gboolean reaped)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *conf = g_build_filename (dir, "libvirtd.conf", NULL);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *home = g_build_filename (dir, "home", NULL);
  g_autofree char *sock = g_build_filename (run, "libvirt-sock", NULL);
  g_autofree char *uri = g_strdup_printf ("qemu+tcp://127.0.0.1:%u/session",
                                          port);
  g_autofree char *text = g_strdup_printf (
      "unix_sock_dir = \"%s\"\nunix_sock_rw_perms = \"0777\"\n"
      "auth_unix_rw = \"none\"\nlisten_tcp = 1\nlisten_tls = 0\n"
      "auth_tcp = \"none\"\nlisten_addr = \"127.0.0.1\"\n"
      "tcp_port = \"%u\"\n", run, port);
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  GSubprocess *daemon;
  virConnectPtr conn;

  unlink (sock);
  g_assert_true (g_file_set_contents (conf, text, -1, NULL));
  make_nobody_dir (run);
  make_nobody_dir (home);
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", run, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", home, TRUE);
  /* --pdeathsig: a test that aborts takes its daemon with it. */
  if (reaped)
    daemon = g_subprocess_launcher_spawn (
        launcher, &error, "tini", "-s", "-p", "SIGTERM", "--", "setpriv",
        "--reuid=65534", "--regid=65534", "--clear-groups",
        "--pdeathsig=KILL", "/usr/sbin/libvirtd", "--listen", "--config",
        conf, NULL);
  else
    daemon = g_subprocess_launcher_spawn (
        launcher, &error, "setpriv", "--reuid=65534", "--regid=65534",
        "--clear-groups", "--pdeathsig=TERM", "/usr/sbin/libvirtd",
        "--listen", "--config", conf, NULL);
  g_assert_no_error (error);
  while ((conn = virConnectOpen (uri)) == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
  virConnectClose (conn);
  return daemon;
}

char *
test_xml_text_element (const char *name, const char *text)
{
  xmlDoc *doc = xmlNewDoc (BAD_CAST "1.0");
  xmlNode *node = xmlNewDocNode (doc, NULL, BAD_CAST name, NULL);
  xmlBuffer *buffer = xmlBufferCreate ();
  char *fragment;

  xmlDocSetRootElement (doc, node);
  xmlNodeAddContent (node, BAD_CAST text);
  xmlNodeDump (buffer, doc, node, 0, 0);
  fragment = g_strdup ((const char *) xmlBufferContent (buffer));
  xmlBufferFree (buffer);
  xmlFreeDoc (doc);
  return fragment;
}

gboolean
test_sanitized (void)
{
#if defined(__SANITIZE_ADDRESS__)
  return TRUE;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return TRUE;
#else
  return FALSE;
#endif
#else
  return FALSE;
#endif
}
