/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-realized end to end: the agent runs as a subprocess on a private
 * system bus with a real polkitd, against this program's own embedded QEMU
 * root (which this program therefore never opens itself: libvirt lets one
 * process at a time hold a root; virsh checks it while no agent runs). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-harness.h"
#include "dbus-errors.h"
#include "dbus-names.h"
#include "errors.h"
#include "import.h"
#include "manifest.h"
#include "safe-xml.h"
#include "test-util.h"
#include "testbed.h"

#define BASIC_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000001"
#define WAIT_SECONDS 120

static VrBusHarness *harness;
static char *root;
static char *uri;

typedef struct {
  char *state;
  char *pool;
  GSubprocess *agent;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->state = test_mkdtemp ();
  f->pool = test_mkdtemp ();
}

static void
start_agent_with (Fixture *f, const char *stall_at, const char *const *args)
{
  g_autofree char *env = stall_at ? g_strconcat ("VR_TEST_STALL_AT=",
                                                 stall_at, NULL)
                                  : NULL;
  const char *const envv[] = { env, NULL };

  f->agent = vr_bus_harness_start_agent (harness, uri, f->state, envv, args);
}

static void
start_agent (Fixture *f, const char *stall_at)
{
  start_agent_with (f, stall_at, NULL);
}

static void
stop_agent (Fixture *f)
{
  if (f->agent != NULL)
    vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
}

static void
kill_agent (Fixture *f)
{
  vr_bus_harness_kill_agent (g_steal_pointer (&f->agent));
}

static char *
virsh (const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  char *out = NULL;
  va_list ap;

  g_ptr_array_add (argv, (char *) "virsh");
  g_ptr_array_add (argv, (char *) "-q");
  g_ptr_array_add (argv, (char *) "-c");
  g_ptr_array_add (argv, uri);
  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, "LIBVIRT_LOG_OUTPUTS",
                                "1:file:/dev/null", TRUE);
  process = g_subprocess_launcher_spawnv (
      launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out,
                                                NULL, &error));
  return g_strstrip (out);
}

/* No domain may be left behind in the shared root. */
static void
remove_domain (void)
{
  g_free (virsh ("destroy", "vr-guest", NULL));
  g_free (virsh ("undefine", "vr-guest", "--managed-save", NULL));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  if (f->agent != NULL)
    kill_agent (f);
  remove_domain ();
  test_rmtree (f->state);
  test_rmtree (f->pool);
  g_free (f->state);
  g_free (f->pool);
}

static GVariant *
call (const char *path, const char *iface, const char *method,
      GVariant *params, const char *reply_type, GError **error)
{
  GVariant *reply = g_dbus_connection_call_sync (
      harness->bus, VR_DBUS_NAME, path, iface, method, params,
      reply_type ? G_VARIANT_TYPE (reply_type) : NULL,
      G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, NULL, error);

  vr_dbus_error_to_local (error);
  return reply;
}

static GVariant *
call_ok (const char *path, const char *iface, const char *method,
         GVariant *params, const char *reply_type)
{
  g_autoptr (GError) error = NULL;
  GVariant *reply = call (path, iface, method, params, reply_type, &error);

  g_assert_no_error (error);
  return reply;
}

static GVariant *
get_property (const char *path, const char *iface, const char *name)
{
  g_autoptr (GVariant) reply = call_ok (
      path, "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", iface, name), "(v)");
  GVariant *value;

  g_variant_get (reply, "(v)", &value);
  return value;
}

static char *
get_string (const char *path, const char *iface, const char *name)
{
  g_autoptr (GVariant) value = get_property (path, iface, name);

  return g_variant_dup_string (value, NULL);
}

static guint64
get_number (const char *path, const char *iface, const char *name)
{
  g_autoptr (GVariant) value = get_property (path, iface, name);

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    return g_variant_get_uint64 (value);
  return g_variant_get_uint32 (value);
}

/* method (ImportSystemDefinition or ImportSystemDefinitionAsJob) with fd
 * as the directory: the path it answers. */
static char *
import_call_on (GDBusConnection *bus, const char *method, int fd,
                GError **error)
{
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GVariant) reply = NULL;
  char *path = NULL;

  g_assert_cmpint (g_unix_fd_list_append (fds, fd, NULL), ==, 0);
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
      method, g_variant_new ("(hsa{sv})", 0, "", NULL),
      G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, fds,
      NULL, NULL, error);
  vr_dbus_error_to_local (error);
  if (reply != NULL)
    g_variant_get (reply, "(o)", &path);
  return path;
}

static char *
import_fd (int fd, GError **error)
{
  return import_call_on (harness->bus, "ImportSystemDefinition", fd, error);
}

static char *
import_dir (const char *dir)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_autoptr (GError) error = NULL;
  char *path;

  g_assert_cmpint (fd, >=, 0);
  path = import_fd (fd, &error);
  close (fd);
  g_assert_no_error (error);
  return path;
}

static char *
realize (const char *system, Fixture *f, guint32 *code)
{
  GVariantBuilder options;
  g_autoptr (GVariant) reply = NULL;
  char *job = NULL;

  g_variant_builder_init (&options, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&options, "{sv}", "pool-dir",
                         g_variant_new_string (f->pool));
  reply = call_ok (system, VR_DBUS_PLANNED_IFACE, "Realize",
                   g_variant_new ("(a{sv})", &options), "(uos)");
  g_variant_get (reply, "(uos)", code, &job, NULL);
  return job;
}

static gboolean
contains_path (GVariant *reply, const char *path)
{
  g_autofree const char **paths = NULL;

  g_variant_get (reply, "(^a&o)", &paths);
  return g_strv_contains (paths, path);
}

static guint
count_files (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* What a job's signals told. */
typedef struct {
  guint changes;
  guint percent_changes;
  guint last_percent;
  gboolean percent_went_back;
  gboolean percent_midway; /* a PercentComplete above 0 and below 100 */
  gboolean completed;
  gboolean success;
} Watch;

static void
on_properties_changed (GDBusConnection *bus, const char *sender,
                       const char *path, const char *iface,
                       const char *signal, GVariant *params, gpointer data)
{
  Watch *watch = data;
  g_autoptr (GVariant) changed = NULL;
  guint percent;

  g_variant_get (params, "(&s@a{sv}@as)", NULL, &changed, NULL);
  watch->changes++;
  if (!g_variant_lookup (changed, "PercentComplete", "u", &percent))
    return;
  watch->percent_changes++;
  watch->percent_went_back |= percent < watch->last_percent;
  watch->percent_midway |= percent > 0 && percent < 100;
  watch->last_percent = percent;
}

static void
on_completed (GDBusConnection *bus, const char *sender, const char *path,
              const char *iface, const char *signal, GVariant *params,
              gpointer data)
{
  Watch *watch = data;

  g_variant_get (params, "(b&s)", &watch->success, NULL);
  watch->completed = TRUE;
}

static void
wait_completed (const char *job, Watch *watch)
{
  guint changed = g_dbus_connection_signal_subscribe (
      harness->bus, VR_DBUS_NAME, "org.freedesktop.DBus.Properties",
      "PropertiesChanged", job, VR_DBUS_JOB_IFACE, G_DBUS_SIGNAL_FLAGS_NONE,
      on_properties_changed, watch, NULL);
  guint completed = g_dbus_connection_signal_subscribe (
      harness->bus, VR_DBUS_NAME, VR_DBUS_JOB_IFACE, "Completed", job, NULL,
      G_DBUS_SIGNAL_FLAGS_NONE, on_completed, watch, NULL);
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  /* A job that ended before the subscription only shows it in JobState.
   * The agent sets the final JobState with Completed, and the signal
   * goes out before the property's reply: it is queued here by then. */
  while (!watch->completed && g_get_monotonic_time () < deadline)
    {
      if (get_number (job, VR_DBUS_JOB_IFACE, "JobState") >= 7)
        {
          while (g_main_context_iteration (NULL, FALSE))
            ;
          break;
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5 * 1000);
    }
  g_dbus_connection_signal_unsubscribe (harness->bus, changed);
  g_dbus_connection_signal_unsubscribe (harness->bus, completed);
}

/* The planned XML comes from GetDomainXML, never with the properties that
 * GetManagedObjects carries for every planned system. */
static void
assert_domain_xml (const char *import_dir, const char *system)
{
  g_autofree char *file = g_build_filename (import_dir, "domain.xml", NULL);
  g_autoptr (GVariant) reply = call_ok (system, VR_DBUS_PLANNED_IFACE,
                                        "GetDomainXML",
                                        g_variant_new ("(a{sv})", NULL), "(s)");
  g_autoptr (GVariant) objects = call_ok (
      VR_DBUS_ROOT, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
      NULL, "(a{oa{sa{sv}}})");
  g_autoptr (GVariant) all = g_variant_get_child_value (objects, 0);
  g_autoptr (GVariant) ifaces = NULL;
  g_autoptr (GVariant) props = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) planned = NULL;
  g_autoptr (xmlDoc) imported = NULL;
  g_autofree char *text = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *imported_uuid = NULL;
  const char *xml;

  g_variant_get (reply, "(&s)", &xml);
  planned = vr_xml_parse_buffer (xml, strlen (xml), "GetDomainXML",
                                 "domain", &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
  imported = vr_xml_parse_buffer (text, strlen (text), file, "domain",
                                  &error);
  g_assert_no_error (error);
  uuid = vr_xml_xpath_string (planned, "string(/domain/uuid)");
  imported_uuid = vr_xml_xpath_string (imported, "string(/domain/uuid)");
  g_assert_nonnull (uuid);
  g_assert_cmpstr (uuid, ==, imported_uuid);

  ifaces = g_variant_lookup_value (all, system, G_VARIANT_TYPE ("a{sa{sv}}"));
  g_assert_nonnull (ifaces);
  props = g_variant_lookup_value (ifaces, VR_DBUS_PLANNED_IFACE,
                                  G_VARIANT_TYPE ("a{sv}"));
  g_assert_nonnull (props);
  g_assert_true (g_variant_lookup (props, "Name", "&s", &xml));
  g_assert_false (g_variant_lookup (props, "DomainXML", "&s", &xml));
}

/* Import by fd, validate, realize with progress on the bus; the domain
 * then resumes the saved guest when started. */
static void
test_realize (Fixture *f, gconstpointer data)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autofree char *system = NULL;
  g_autofree char *job = NULL;
  g_autofree char *json = NULL;
  g_autofree char *state = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *domstate = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (JsonNode) findings = NULL;
  Watch watch = { 0 };
  guint32 code;
  guint32 errors;
  gint64 started;
  double seconds;

  start_agent (f, NULL);
  system = import_dir (basic);
  reply = call_ok (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
                   "ListPlannedSystems", NULL, "(ao)");
  g_assert_true (contains_path (reply, system));
  g_clear_pointer (&reply, g_variant_unref);
  reply = call_ok (system, VR_DBUS_PLANNED_IFACE, "Validate",
                   g_variant_new ("(a{sv})", NULL), "(us)");
  g_variant_get (reply, "(us)", &errors, &json);
  g_assert_cmpuint (errors, ==, 0);
  findings = json_from_string (json, NULL);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (findings));
  assert_domain_xml (basic, system);

  started = g_get_monotonic_time ();
  job = realize (system, f, &code);
  g_assert_cmpuint (code, ==, VR_ERROR_JOB_STARTED);
  wait_completed (job, &watch);
  seconds = (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;
  g_assert_cmpuint (get_number (job, VR_DBUS_JOB_IFACE, "JobState"), ==, 7);
  g_assert_true (watch.completed);
  g_assert_true (watch.success);
  /* This job may end before the test listens; /agent/progress watches a
   * long one. Ten a second at most, besides the first and the final state
   * (which goes out with Completed). */
  g_test_message ("%u PropertiesChanged in %.1f s", watch.changes, seconds);
  g_assert_cmpfloat (watch.changes, <=, 10 * seconds + 3);
  g_assert_false (watch.percent_went_back);
  g_assert_cmpuint (get_number (job, VR_DBUS_JOB_IFACE, "PercentComplete"), ==,
                    100);
  g_clear_pointer (&reply, g_variant_unref);
  reply = call_ok (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE, "GetJobs",
                   NULL, "(ao)");
  g_assert_true (contains_path (reply, job));
  state = get_string (system, VR_DBUS_PLANNED_IFACE, "State");
  g_assert_cmpstr (state, ==, "realized");
  domain = get_string (system, VR_DBUS_PLANNED_IFACE, "Domain");
  g_assert_cmpstr (domain, ==, "vr-guest");

  /* The root is the agent's while it runs. */
  stop_agent (f);
  g_free (virsh ("start", "vr-guest", NULL));
  domstate = virsh ("domstate", "vr-guest", "--reason", NULL);
  g_assert_cmpstr (domstate, ==, "running (restored)");
}

static void
wait_for_phase (const char *job, const char *phase)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *now = get_string (job, VR_DBUS_JOB_IFACE, "Phase");

      if (g_str_equal (now, phase))
        break;
      if (get_number (job, VR_DBUS_JOB_IFACE, "JobState") >= 7)
        {
          g_autofree char *why = get_string (job, VR_DBUS_JOB_IFACE,
                                             "ErrorDescription");

          g_error ("the job ended before %s: %s", phase, why);
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
  /* The agent stalls right after announcing the phase (in "copy", once
   * the first bytes are copied, if the backend's hook gets that far). */
  g_usleep (300 * 1000);
  g_test_message ("stalled in phase %s with %" G_GUINT64_FORMAT " bytes done",
                  phase, get_number (job, VR_DBUS_JOB_IFACE, "BytesDone"));
}

/* A realize long enough to watch: progress only goes up, and comes as at
 * most ten PropertiesChanged a second. Four come besides whatever the
 * rate: the job object's first properties, the first timed one (the
 * 100 ms timer starts with the first update), the work's end and the
 * job's end (its outcome, Cancellable false): with QEMU reaped at once
 * (tini, as on a host) this realize takes half a second. */
static void
test_progress (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = vr_testbed_large_import (512);
  g_autofree char *system = NULL;
  g_autofree char *job = NULL;
  Watch watch = { 0 };
  gint64 started;
  double seconds;
  guint32 code;

  start_agent (f, NULL);
  system = import_dir (dir);
  started = g_get_monotonic_time ();
  job = realize (system, f, &code);
  wait_completed (job, &watch);
  seconds = (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;
  g_test_message ("%u PropertiesChanged (%u with PercentComplete) in %.1f s",
                  watch.changes, watch.percent_changes, seconds);
  g_assert_true (watch.success);
  g_assert_cmpuint (watch.percent_changes, >=, 2);
  g_assert_false (watch.percent_went_back);
  g_assert_cmpfloat (watch.changes, <=, 10 * seconds + 4);
  stop_agent (f);
  test_rmtree (dir);
}

/* A realize that stops at phase (VR_TEST_STALL_AT), with a file of
 * somebody else's in the pool; returns the job's path. */
static char *
realize_stalled (Fixture *f, const char *dir, const char *phase,
                 char **system)
{
  char *job;
  guint32 code;

  test_write_file (f->pool, "other.img", "not ours", -1);
  start_agent (f, phase);
  *system = import_dir (dir);
  job = realize (*system, f, &code);
  g_assert_cmpuint (code, ==, VR_ERROR_JOB_STARTED);
  wait_for_phase (job, phase);
  return job;
}

/* Zero leftovers of a job that did not finish (with the agent stopped):
 * the pool has only what was there, no journal, no domain, no managed
 * save. */
static void
assert_nothing_left (Fixture *f)
{
  g_autofree char *managed = g_build_filename (root, "lib", "qemu", "save",
                                               "vr-guest.save", NULL);
  g_autofree char *journal = g_build_filename (f->state, BASIC_UUID,
                                               "journal.xml", NULL);
  g_autofree char *domains = virsh ("list", "--all", "--name", NULL);

  g_assert_cmpuint (count_files (f->pool), ==, 1);
  g_assert_false (g_file_test (managed, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  g_assert_cmpstr (domains, ==, "");
}

/* Cancel() of a running job, in the middle of its copy (or of a later
 * phase): the job rolls back, ends Terminated with Completed(false), the
 * planned system is planned again and nothing of the job stays. */
static void
test_cancel_running (Fixture *f, gconstpointer data)
{
  if (!test_needs_hooks ())
    return;
  const char *phase = data;
  g_autofree char *dir = vr_testbed_large_import (64);
  g_autofree char *system = NULL;
  g_autofree char *job = realize_stalled (f, dir, phase, &system);
  g_autofree char *state = NULL;
  g_autoptr (GVariant) cancellable = NULL;
  Watch watch = { 0 };

  g_assert_cmpuint (get_number (job, VR_DBUS_JOB_IFACE, "JobState"), ==, 4);
  cancellable = get_property (job, VR_DBUS_JOB_IFACE, "Cancellable");
  g_assert_true (g_variant_get_boolean (cancellable));
  call_ok (job, VR_DBUS_JOB_IFACE, "Cancel", NULL, NULL);
  wait_completed (job, &watch);
  g_assert_cmpuint (get_number (job, VR_DBUS_JOB_IFACE, "JobState"), ==, 8);
  g_assert_false (watch.completed && watch.success);
  state = get_string (system, VR_DBUS_PLANNED_IFACE, "State");
  g_assert_cmpstr (state, ==, "planned");
  stop_agent (f);
  assert_nothing_left (f);
  test_rmtree (dir);
}

static GVariant *
validate (const char *system, GError **error)
{
  return call (system, VR_DBUS_PLANNED_IFACE, "Validate",
               g_variant_new ("(a{sv})", NULL), "(us)", error);
}

/* A libvirtd of its own (test_libvirtd_start) and an agent on it, with env. */
static GSubprocess *
start_with_private_libvirtd (Fixture *f, const char *dir,
                             const char *const *env)
{
  const char *const args[] = { "--idle-trim=0", NULL };
  GSubprocess *daemon = test_libvirtd_start (dir);
  g_autofree char *agent_uri = g_strdup_printf (
      "test+unix:///default?socket=%s/run/libvirt-sock", dir);

  f->agent = vr_bus_harness_start_agent (harness, agent_uri, f->state, env,
                                         args);
  return daemon;
}

/* libvirtd goes away and comes back: the agent answers all along (a clear
 * NotAvailable while libvirt is gone) and uses the new libvirtd without a
 * restart of its own. */
static void
test_reconnect (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *import = g_build_filename (dir, "import", NULL);
  g_autofree char *xml = test_domain_xml (
      "vr-reconnect", "5a1ad0c0-7e57-4b3d-9c1e-00000000c0de");
  g_autofree char *system = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  GSubprocess *daemon;
  gint64 deadline;

  if (!g_file_test ("/usr/sbin/libvirtd", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("no /usr/sbin/libvirtd");
      return;
    }
  g_assert_cmpint (chmod (dir, 0755), ==, 0);
  g_assert_cmpint (mkdir (import, 0755), ==, 0);
  test_write_file (import, "domain.xml", xml, -1);
  daemon = start_with_private_libvirtd (f, dir, NULL);
  system = import_dir (import);
  reply = validate (system, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);

  test_libvirtd_stop (daemon);
  /* The close callback comes on libvirt's event thread; wait for it. */
  deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  while ((reply = validate (system, &error)) != NULL)
    {
      g_clear_pointer (&reply, g_variant_unref);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
  g_test_message ("without libvirtd: %s", error->message);
  test_assert_error (error, VR_ERROR_NOT_AVAILABLE, "not reachable", NULL);
  g_clear_error (&error);

  daemon = test_libvirtd_start (dir);
  deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  while ((reply = validate (system, &error)) == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_clear_error (&error);
      g_usleep (200 * 1000);
    }
  stop_agent (f);
  test_libvirtd_stop (daemon);
  test_rmtree (dir);
}

static void
assert_call_error (const char *path, const char *iface, const char *method,
                   GVariant *params, int code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = call (path, iface, method, params, NULL,
                                     &error);

  g_assert_null (reply);
  test_assert_error (error, code, needle, NULL);
}

static gboolean
recovery_reported (const char *system)
{
  g_autofree char *message = get_string (system, VR_DBUS_PLANNED_IFACE,
                                         "LastJobMessage");

  return strstr (message, "has finished since") != NULL;
}

/* libvirt goes away while a realize is being rolled back: the rollback
 * cannot tell whether the domain is there, so the journal stays, the
 * planned system is failed with "rollback pending" and destroy is refused
 * (32774, as it is while the realize runs); once libvirtd is back the
 * agent's reconnect finishes the rollback. (The test driver forgets its
 * domains with its daemon, so the domain itself is gone by then.) */
static void
test_rollback_pending (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *import = g_build_filename (dir, "import", NULL);
  const char *uuid = "5a1ad0c0-7e57-4b3d-9c1e-00000000beef";
  g_autofree char *xml = test_domain_xml ("vr-pending", uuid);
  g_autoptr (GString) test_xml = g_string_new (xml);
  g_autofree char *system = NULL;
  g_autofree char *job = NULL;
  g_autofree char *state = NULL;
  g_autofree char *message = NULL;
  g_autofree char *journal = g_build_filename (f->state, uuid, "journal.xml",
                                               NULL);
  const char *const env[] = { "VR_TEST_STALL_AT=handoff", NULL };
  GSubprocess *daemon;
  Watch watch = { 0 };
  guint32 code = 0;
  gint64 deadline;

  if (!test_needs_hooks ())
    return;
  if (!g_file_test ("/usr/sbin/libvirtd", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("no /usr/sbin/libvirtd");
      return;
    }
  g_assert_cmpint (chmod (dir, 0755), ==, 0);
  g_assert_cmpint (mkdir (import, 0755), ==, 0);
  /* What the test driver offers. */
  g_string_replace (test_xml, "type=\"qemu\"", "type=\"test\"", 1);
  g_string_replace (test_xml, "x86_64", "i686", 1);
  test_write_file (import, "domain.xml", test_xml->str, -1);
  daemon = start_with_private_libvirtd (f, dir, env);
  system = import_dir (import);
  /* Without saved state it is a job too, stalled after define. */
  job = realize (system, f, &code);
  g_assert_cmpuint (code, ==, VR_ERROR_JOB_STARTED);
  wait_for_phase (job, "handoff");
  assert_call_error (system, VR_DBUS_PLANNED_IFACE, "Destroy", NULL,
                     VR_ERROR_IN_USE, "busy");
  test_libvirtd_stop (daemon);
  call_ok (job, VR_DBUS_JOB_IFACE, "Cancel", NULL, NULL);
  wait_completed (job, &watch);
  state = get_string (system, VR_DBUS_PLANNED_IFACE, "State");
  g_assert_cmpstr (state, ==, "failed");
  g_assert_true (g_file_test (journal, G_FILE_TEST_EXISTS));
  {
    g_autofree char *record_path = g_build_filename (f->state, uuid,
                                                     "record.xml", NULL);

    g_assert_true (g_file_get_contents (record_path, &message, NULL, NULL));
    g_assert_nonnull (strstr (message, "rollback pending"));
    g_assert_nonnull (strstr (message, "<rollback-pending/>"));
  }
  assert_call_error (system, VR_DBUS_PLANNED_IFACE, "Destroy", NULL,
                     VR_ERROR_IN_USE, "unfinished realize");
  daemon = test_libvirtd_start (dir);
  /* The journal goes while recovery still holds the planned system's
   * lock (a Destroy then is busy, 32774); the object says it finished
   * once recovery let go. */
  deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  while (!recovery_reported (system))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (200 * 1000);
    }
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  call_ok (system, VR_DBUS_PLANNED_IFACE, "Destroy", NULL, NULL);
  stop_agent (f);
  test_libvirtd_stop (daemon);
  test_rmtree (dir);
}

/* SIGKILL at a phase of a realize; the next agent reports the job as
 * interrupted and leaves nothing of it behind. */
static void
test_crash (Fixture *f, gconstpointer data)
{
  if (!test_needs_hooks ())
    return;
  const char *phase = data;
  g_autofree char *dir = vr_testbed_large_import (64);
  g_autofree char *system = NULL;
  g_autofree char *state = NULL;
  g_autofree char *description = NULL;
  g_autoptr (GVariant) jobs = NULL;
  g_autofree const char **paths = NULL;

  g_free (realize_stalled (f, dir, phase, &system));
  kill_agent (f);

  start_agent (f, NULL);
  jobs = call_ok (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE, "GetJobs", NULL,
                  "(ao)");
  g_variant_get (jobs, "(^a&o)", &paths);
  g_assert_cmpuint (g_strv_length ((char **) paths), ==, 1);
  g_assert_cmpuint (get_number (paths[0], VR_DBUS_JOB_IFACE, "JobState"), ==,
                    10);
  g_assert_cmpuint (get_number (paths[0], VR_DBUS_JOB_IFACE, "ErrorCode"), ==,
                    VR_ERROR_FAILED);
  description = get_string (paths[0], VR_DBUS_JOB_IFACE, "ErrorDescription");
  g_assert_true (g_str_has_prefix (description, "interrupted"));
  state = get_string (system, VR_DBUS_PLANNED_IFACE, "State");
  g_assert_cmpstr (state, ==, "planned");
  stop_agent (f);
  assert_nothing_left (f);
  test_rmtree (dir);
}

/* gdbus as uid 65534: every method must be refused with AccessDenied. */
static void
assert_denied_to_nobody (const char *path, const char *method,
                         const char *arg1, const char *arg2)
{
  const char *const argv[] = { "gdbus",  "call",       "--system",
                               "--dest", VR_DBUS_NAME, "--object-path",
                               path,     "--method",   method,
                               arg1,     arg2,         NULL };
  g_autofree char *err = NULL;
  int status = vr_bus_harness_run_as_nobody (harness, argv, &err);

  g_test_message ("%s as nobody: %s", method, err);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (err, VR_DBUS_ERROR_PREFIX "AccessDenied"));
}

/* This program as a client of uid 65534 (see main): it cannot open the
 * directory for reading, so it hands over an O_PATH descriptor. */
static int
import_helper (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL,
                                                    &error);
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GVariant) reply = NULL;
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd >= 0)
    return 3;
  fprintf (stderr, "open: %s\n", g_strerror (errno));
  fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (bus == NULL || fd < 0 || g_unix_fd_list_append (fds, fd, NULL) != 0)
    return 4;
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
      "ImportSystemDefinition", g_variant_new ("(hsa{sv})", 0, "", NULL),
      G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, -1, fds, NULL, NULL,
      &error);
  if (reply != NULL)
    return 0;
  fprintf (stderr, "%s\n", error->message);
  return 1;
}

static void
assert_import_error (int fd, int code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = import_fd (fd, &error);

  g_assert_null (path);
  test_assert_error (error, code, needle, NULL);
}

/* polkit decides: root is allowed (50-virt-realize.rules), nobody is
 * refused with 32769 and nothing changes; nobody cannot make the agent
 * read a directory it cannot read itself. */
static void
test_access (Fixture *f, gconstpointer data)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autoptr (GError) error = NULL;
  g_autofree char *secret = vr_testbed_copy_import_dir (basic, &error);
  g_autofree char *system = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  int fd;

  g_assert_no_error (error);
  start_agent (f, NULL);
  system = import_dir (basic);
  reply = call_ok (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
                   "ListPlannedSystems", NULL, "(ao)");
  g_assert_true (contains_path (reply, system));
  before = test_snapshot_tree (f->state);

  assert_denied_to_nobody (VR_DBUS_MANAGER_PATH,
                           VR_DBUS_MANAGER_IFACE ".ListPlannedSystems", NULL,
                           NULL);
  assert_denied_to_nobody (VR_DBUS_MANAGER_PATH,
                           VR_DBUS_MANAGER_IFACE ".GetJobs", NULL, NULL);
  assert_denied_to_nobody (system, VR_DBUS_PLANNED_IFACE ".Validate",
                           "@a{sv} {}", NULL);
  assert_denied_to_nobody (system, VR_DBUS_PLANNED_IFACE ".Realize",
                           "@a{sv} {}", NULL);
  assert_denied_to_nobody (system, VR_DBUS_PLANNED_IFACE ".Update",
                           "<domain/>", "@a{sv} {}");
  assert_denied_to_nobody (system, VR_DBUS_PLANNED_IFACE ".Destroy", NULL,
                           NULL);
  assert_denied_to_nobody (system, VR_DBUS_PLANNED_IFACE ".GetDomainXML",
                           "@a{sv} {}", NULL);
  assert_denied_to_nobody (system, VR_DBUS_PLANNED_IFACE ".CheckDomain",
                           "@a{sv} {}", NULL);
  /* Every local user may read the objects (as udisks, fwupd): they carry
   * names and states, never the planned XML. */
  {
    const char *const argv[] = {
      "gdbus", "call", "--system", "--dest", VR_DBUS_NAME, "--object-path",
      VR_DBUS_ROOT, "--method",
      "org.freedesktop.DBus.ObjectManager.GetManagedObjects", NULL
    };

    g_assert_cmpint (vr_bus_harness_run_as_nobody (harness, argv, &err), ==,
                     0);
    g_clear_pointer (&err, g_free);
  }

  /* A directory only root may read, behind a path nobody may traverse. */
  g_assert_cmpint (chmod (secret, 0700), ==, 0);
  {
    const char *const argv[] = { exe, "--import-helper", secret, NULL };

    g_assert_cmpint (vr_bus_harness_run_as_nobody (harness, argv, &err), ==,
                     1);
  }
  g_test_message ("import as nobody: %s", err);
  g_assert_nonnull (strstr (err, "Permission denied"));
  g_assert_nonnull (strstr (err, "AccessDenied"));
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);

  /* Even an authorized caller must hand over a readable descriptor. */
  fd = open (secret, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_import_error (fd, VR_ERROR_INVALID_PARAMETER, "not open for reading");
  close (fd);
  test_rmtree (secret);
}

typedef struct {
  GMutex lock;
  gint64 worst_us;
  guint failures;
  guint systems;
} Load;

static gpointer
client_thread (gpointer data)
{
  Load *load = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_dbus_connection_new_for_address_sync (
      harness->address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  static const char *const methods[][3] = {
    { VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE, "ListPlannedSystems" },
    { VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE, "GetJobs" },
    { VR_DBUS_ROOT, "org.freedesktop.DBus.ObjectManager",
      "GetManagedObjects" },
  };

  g_assert_no_error (error);
  for (guint round = 0; round < 10; round++)
    for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
      {
        gint64 start = g_get_monotonic_time ();
        g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
            bus, VR_DBUS_NAME, methods[i][0], methods[i][1], methods[i][2],
            NULL, NULL, G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, NULL,
            NULL);
        gint64 took = g_get_monotonic_time () - start;

        g_mutex_lock (&load->lock);
        load->worst_us = MAX (load->worst_us, took);
        load->failures += reply == NULL;
        if (reply != NULL && i == 0)
          load->systems = g_variant_n_children (
              g_variant_get_child_value (reply, 0));
        g_mutex_unlock (&load->lock);
      }
  return NULL;
}

static void
add_planned_systems (Fixture *f, guint n, GPtrArray *dirs)
{
  g_autoptr (VrStore) store = vr_store_new (f->state);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("load-%03u", i);
      g_autofree char *uuid = g_strdup_printf (
          "5a1ad0c0-7e57-4b3d-9c1e-%012u", 1000 + i);
      g_autofree char *xml = test_domain_xml (name, uuid);
      char *dir = test_mkdtemp ();
      g_autoptr (GError) error = NULL;
      g_autoptr (VrPlannedSystem) system = NULL;

      test_write_file (dir, "domain.xml", xml, -1);
      system = vr_import_path (store, dir, NULL, &error);
      g_assert_no_error (error);
      g_ptr_array_add (dirs, dir);
    }
}


static GVariant *
one_option (const char *key, GVariant *value)
{
  GVariantBuilder options;

  g_variant_builder_init (&options, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&options, "{sv}", key, value);
  return g_variant_new ("(a{sv})", &options);
}

/* Bad arguments of every kind give clear errors. */
static void
send_bad_arguments (const char *system, const char *pool)
{
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *empty = test_mkdtemp ();
  int pipes[2];
  int fd;

  assert_call_error (system, VR_DBUS_PLANNED_IFACE, "Realize",
                     g_variant_new ("(s)", "x"), VR_ERROR_INVALID_PARAMETER,
                     "Type of message");
  assert_call_error (VR_DBUS_ROOT "/planned/nope", VR_DBUS_PLANNED_IFACE,
                     "Realize", g_variant_new ("(a{sv})", NULL),
                     VR_ERROR_INVALID_PARAMETER, "nope");
  assert_call_error (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE, "Frobnicate",
                     NULL, VR_ERROR_INVALID_PARAMETER, "Frobnicate");
  assert_call_error (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
                     "ImportSystemDefinition",
                     g_variant_new ("(hsa{sv})", 0, "", NULL),
                     VR_ERROR_INVALID_PARAMETER, "no file descriptor");
  assert_call_error (system, VR_DBUS_PLANNED_IFACE, "Realize",
                     one_option ("start", g_variant_new_string ("yes")),
                     VR_ERROR_INCORRECT_TYPE, "must be a boolean");
  assert_call_error (system, VR_DBUS_PLANNED_IFACE, "Realize",
                     one_option ("bogus", g_variant_new_int32 (1)),
                     VR_ERROR_INVALID_PARAMETER, "unknown option 'bogus'");
  assert_call_error (system, VR_DBUS_PLANNED_IFACE, "Realize",
                     one_option ("pool-dir", g_variant_new_string ("rel")),
                     VR_ERROR_INVALID_PARAMETER, "absolute path");
  assert_call_error (system, VR_DBUS_PLANNED_IFACE, "Realize",
                     one_option ("pool-dir", g_variant_new_string (pool)),
                     VR_ERROR_IN_USE, "busy");
  assert_call_error (system, VR_DBUS_PLANNED_IFACE, "Destroy", NULL,
                     VR_ERROR_IN_USE, NULL);
  assert_call_error (system, VR_DBUS_PLANNED_IFACE, "Update",
                     g_variant_new ("(sa{sv})", "<domain", NULL),
                     VR_ERROR_IN_USE, NULL);

  /* Descriptors that are not a readable directory. */
  assert_import_error (open ("/dev/null", O_RDONLY | O_CLOEXEC),
                       VR_ERROR_INVALID_PARAMETER, "not a directory");
  g_assert_cmpint (pipe (pipes), ==, 0);
  assert_import_error (pipes[0], VR_ERROR_INVALID_PARAMETER,
                       "not a directory");
  close (pipes[0]);
  close (pipes[1]);
  fd = open (empty, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_import_error (fd, VR_ERROR_INVALID_PARAMETER, "domain.xml");
  test_write_file (empty, "domain.xml", "<domain", -1);
  assert_import_error (fd, VR_ERROR_INVALID_PARAMETER, "domain.xml");
  close (fd);
  /* A descriptor that is not open never leaves the client (a number far
   * above any open one: a just-closed number can be reused at once by
   * another thread, GDBus's worker, and was, once). */
  fd = 1 << 29;
  g_assert_cmpint (g_unix_fd_list_append (fds, fd, &error), ==, -1);
  g_assert_nonnull (error);
  test_rmtree (empty);
}

/* 20 clients at once, 101 planned systems, a realize running: every
 * method answers; bad arguments never hurt the agent. */
static void
test_load (Fixture *f, gconstpointer data)
{
  if (!test_needs_hooks ())
    return;
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autoptr (GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) threads = g_ptr_array_new ();
  g_autofree char *system = NULL;
  g_autofree char *job = NULL;
  g_autoptr (GVariant) reply = NULL;
  Load load = { 0 };
  guint32 code;

  add_planned_systems (f, 100, dirs);
  start_agent (f, "copy");
  system = import_dir (basic);
  job = realize (system, f, &code);
  g_assert_cmpuint (code, ==, VR_ERROR_JOB_STARTED);
  wait_for_phase (job, "copy");

  g_mutex_init (&load.lock);
  for (guint i = 0; i < 20; i++)
    g_ptr_array_add (threads, g_thread_new ("client", client_thread, &load));
  send_bad_arguments (system, f->pool);
  for (guint i = 0; i < threads->len; i++)
    g_thread_join (threads->pdata[i]);
  g_test_message ("20 clients x 30 calls: worst %" G_GINT64_FORMAT " ms",
                  load.worst_us / 1000);
  g_assert_cmpuint (load.failures, ==, 0);
  g_assert_cmpuint (load.systems, ==, 101);
  g_mutex_clear (&load.lock);

  /* Still there, still answering, the job still running. */
  reply = call_ok (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
                   "ListPlannedSystems", NULL, "(ao)");
  g_assert_true (contains_path (reply, system));
  g_assert_cmpuint (get_number (job, VR_DBUS_JOB_IFACE, "JobState"), ==, 4);
  kill_agent (f);
  for (guint i = 0; i < dirs->len; i++)
    test_rmtree (dirs->pdata[i]);
}

/* GetPlannedSystemTable's memfd: sealed (nobody writes or shrinks it
 * under a reader's mapping), holding exactly ListPlannedSystemSummaries'
 * rows, and made again when a planned system comes or goes. */
static GVariant *
get_table (void)
{
  g_autoptr (GUnixFDList) fds = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_with_unix_fd_list_sync (
      harness->bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
      "GetPlannedSystemTable", g_variant_new ("(a{sv})", NULL),
      G_VARIANT_TYPE ("(h)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &fds, NULL,
      &error);
  struct stat st;
  GVariant *table;
  void *data;
  gint32 handle;
  int fd;

  g_assert_no_error (error);
  g_variant_get (reply, "(h)", &handle);
  fd = g_unix_fd_list_get (fds, handle, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fcntl (fd, F_GET_SEALS) & (F_SEAL_WRITE | F_SEAL_SHRINK),
                   ==, F_SEAL_WRITE | F_SEAL_SHRINK);
  g_assert_cmpint (write (fd, "x", 1), ==, -1);
  g_assert_cmpint (ftruncate (fd, 0), ==, -1);
  g_assert_cmpint (fstat (fd, &st), ==, 0);
  data = mmap (NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  g_assert_true (data != MAP_FAILED);
  {
    g_autoptr (GBytes) bytes = g_bytes_new (data, st.st_size);

    table = g_variant_new_from_bytes (G_VARIANT_TYPE ("a(osssbs)"), bytes,
                                      FALSE);
  }
  g_assert_true (g_variant_is_normal_form (table));
  munmap (data, st.st_size);
  close (fd);
  return g_variant_ref_sink (table);
}

static void
assert_table_current (void)
{
  g_autoptr (GVariant) table = get_table ();
  g_autoptr (GVariant) summaries = call_ok (
      VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
      "ListPlannedSystemSummaries", NULL, "(a(osssbs))");
  g_autoptr (GVariant) rows = g_variant_get_child_value (summaries, 0);

  g_assert_true (g_variant_equal (table, rows));
}

/* The table is served without polkit because it holds nothing that the
 * properties do not already show to everyone: each row is its object's
 * path and its Name, UUID, State, HasSavedState and Domain as
 * GetManagedObjects carries them (no XML, nothing else). */
static void
assert_table_is_properties (void)
{
  g_autoptr (GVariant) table = get_table ();
  g_autoptr (GVariant) objects = call_ok (
      VR_DBUS_ROOT, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
      NULL, "(a{oa{sa{sv}}})");
  g_autoptr (GVariant) all = g_variant_get_child_value (objects, 0);
  GVariantIter iter;
  const char *path, *name, *uuid, *state, *domain;
  gboolean saved;
  guint planned = 0;

  g_variant_iter_init (&iter, table);
  while (g_variant_iter_next (&iter, "(&o&s&s&sb&s)", &path, &name, &uuid,
                              &state, &saved, &domain))
    {
      g_autoptr (GVariant) ifaces = g_variant_lookup_value (
          all, path, G_VARIANT_TYPE ("a{sa{sv}}"));
      g_autoptr (GVariant) props = NULL;
      const char *value;
      gboolean flag;

      g_assert_nonnull (ifaces);
      props = g_variant_lookup_value (ifaces, VR_DBUS_PLANNED_IFACE,
                                      G_VARIANT_TYPE ("a{sv}"));
      g_assert_nonnull (props);
      g_assert_true (g_variant_lookup (props, "Name", "&s", &value));
      g_assert_cmpstr (name, ==, value);
      g_assert_true (g_variant_lookup (props, "UUID", "&s", &value));
      g_assert_cmpstr (uuid, ==, value);
      g_assert_true (g_variant_lookup (props, "State", "&s", &value));
      g_assert_cmpstr (state, ==, value);
      g_assert_true (g_variant_lookup (props, "Domain", "&s", &value));
      g_assert_cmpstr (domain, ==, value);
      g_assert_true (g_variant_lookup (props, "HasSavedState", "b", &flag));
      g_assert_cmpint (saved, ==, flag);
    }
  /* Every planned system has its row: the rows are all the table holds. */
  g_variant_iter_init (&iter, all);
  while (g_variant_iter_next (&iter, "{&o@a{sa{sv}}}", &path, NULL))
    planned += g_str_has_prefix (path, VR_DBUS_PLANNED_PREFIX);
  g_assert_cmpuint (planned, ==, g_variant_n_children (table));
}

static void
test_table (Fixture *f, gconstpointer data)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autoptr (GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *system = NULL;
  g_autoptr (GVariant) before = NULL;
  g_autoptr (GVariant) after = NULL;

  add_planned_systems (f, 3, dirs);
  start_agent (f, NULL);
  assert_table_current ();
  assert_table_is_properties ();
  before = get_table ();
  g_assert_cmpuint (g_variant_n_children (before), ==, 3);
  system = import_dir (basic);
  assert_table_current ();
  after = get_table ();
  g_assert_cmpuint (g_variant_n_children (after), ==, 4);
  g_variant_unref (call_ok (system, VR_DBUS_PLANNED_IFACE, "Destroy", NULL,
                            NULL));
  assert_table_current ();
  g_clear_pointer (&after, g_variant_unref);
  after = get_table ();
  g_assert_true (g_variant_equal (before, after));
  assert_call_error (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
                     "GetPlannedSystemTable",
                     one_option ("bogus", g_variant_new_int32 (1)),
                     VR_ERROR_INVALID_PARAMETER, "unknown option 'bogus'");
  stop_agent (f);
  for (guint i = 0; i < dirs->len; i++)
    test_rmtree (dirs->pdata[i]);
}

/* One worker: a second realize waits in state New; cancelling it ends it
 * Terminated at once; a finished job goes after --job-keep seconds. */
static void
test_queue (Fixture *f, gconstpointer data)
{
  if (!test_needs_hooks ())
    return;
  const char *const args[] = { "--max-jobs", "1", "--job-keep", "1", NULL };
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autofree char *second = vr_testbed_require ("second");
  g_autofree char *first_system = NULL;
  g_autofree char *second_system = NULL;
  g_autofree char *first_job = NULL;
  g_autofree char *second_job = NULL;
  g_autofree char *description = NULL;
  g_autoptr (GVariant) jobs = NULL;
  Watch watch = { 0 };
  guint32 code;
  gint64 deadline;

  start_agent_with (f, "copy", args);
  first_system = import_dir (basic);
  second_system = import_dir (second);
  first_job = realize (first_system, f, &code);
  wait_for_phase (first_job, "copy");
  second_job = realize (second_system, f, &code);
  g_assert_cmpuint (code, ==, VR_ERROR_JOB_STARTED);
  g_assert_cmpuint (get_number (second_job, VR_DBUS_JOB_IFACE, "JobState"), ==,
                    2);
  g_assert_cmpuint (get_number (second_job, VR_DBUS_JOB_IFACE, "StartTime"),
                    ==, 0);

  /* Queued, it holds no lock yet; the agent still keeps it whole. */
  assert_call_error (second_system, VR_DBUS_PLANNED_IFACE, "Destroy", NULL,
                     VR_ERROR_IN_USE, "queued");
  call_ok (second_job, VR_DBUS_JOB_IFACE, "Cancel", NULL, NULL);
  wait_completed (second_job, &watch);
  g_assert_cmpuint (get_number (second_job, VR_DBUS_JOB_IFACE, "JobState"), ==,
                    8);
  description = get_string (second_job, VR_DBUS_JOB_IFACE, "ErrorDescription");
  g_assert_nonnull (strstr (description, "cancelled"));
  assert_call_error (second_job, VR_DBUS_JOB_IFACE, "Cancel", NULL,
                     VR_ERROR_INVALID_STATE, "ended already");

  /* Gone after a second. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  for (;;)
    {
      jobs = call_ok (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE, "GetJobs",
                      NULL, "(ao)");
      if (!contains_path (jobs, second_job))
        break;
      g_clear_pointer (&jobs, g_variant_unref);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
  g_assert_true (contains_path (jobs, first_job));
  kill_agent (f);
}

/* virt-realize (the CLI) on the same bus: its commands go to the agent. */
static int
run_cli (char **out, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  va_list ap;

  g_ptr_array_add (argv, (char *) g_getenv ("VR_CLI"));
  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS",
                                harness->address, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "VIRT_REALIZE_STATE_DIR");
  process = g_subprocess_launcher_spawnv (
      launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, out,
                                                NULL, &error));
  g_test_message ("virt-realize %s: %s", first, *out);
  return g_subprocess_get_exit_status (process);
}

static void
test_cli_client (Fixture *f, gconstpointer data)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autofree char *out = NULL;
  g_autofree char *state = NULL;

  /* --system with no agent on the bus: the first call finds out (the
   * client asks the bus nothing first), NotAvailable with the hint, no
   * in-process work. */
  g_assert_cmpint (run_cli (&out, "--system", "list", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "System is not available (32777)"));
  g_assert_nonnull (strstr (out, "no agent (" VR_DBUS_NAME ") answers on "
                                 "the system bus"));
  g_assert_nonnull (strstr (out, "systemctl start virt-realized"));
  g_clear_pointer (&out, g_free);
  start_agent (f, NULL);
  g_assert_cmpint (run_cli (&out, "--system", "import", basic, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Planned system 'vr-guest'"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&out, "--system", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "vr-guest"));
  g_assert_nonnull (strstr (out, "planned"));
  g_clear_pointer (&out, g_free);
  /* Validate by the agent: the same report as in-process. */
  g_assert_cmpint (run_cli (&out, "--system", "validate", "vr-guest", NULL),
                   ==, 0);
  g_assert_nonnull (strstr (out, "vr-guest"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&out, "--system", "--json", "validate",
                            "vr-guest", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"findings\""));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&out, "--system", "validate", "nope", NULL), ==,
                   1);
  g_assert_nonnull (strstr (out, "Invalid parameter (32773)"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&out, "--system", "realize", "nope", NULL), ==,
                   1);
  g_assert_nonnull (strstr (out, "Invalid parameter (32773)"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&out, "--system", "realize", "vr-guest",
                            "--pool-dir", f->pool, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "realized as domain 'vr-guest'"));
  state = get_string (VR_DBUS_ROOT "/planned/"
                                   "5a1ad0c0_7e57_4b3d_9c1e_000000000001",
                      VR_DBUS_PLANNED_IFACE, "State");
  g_assert_cmpstr (state, ==, "realized");
  g_clear_pointer (&out, g_free);
  /* Realized: the agent's Validate says so (VR1005) as in-process, and
   * its Realize refuses with the same words (32775). */
  g_assert_cmpint (run_cli (&out, "--system", "validate", "vr-guest", NULL),
                   ==, 3);
  g_assert_nonnull (strstr (out, "error VR1005: planned system 'vr-guest' "
                                 "is realized already (as domain "
                                 "'vr-guest'"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&out, "--system", "realize", "vr-guest",
                            "--pool-dir", f->pool, NULL), ==, 1);
  g_assert_nonnull (strstr (out, "(32775): planned system 'vr-guest' is "
                                 "realized already (as domain 'vr-guest'"));
  g_clear_pointer (&out, g_free);
  /* The finished job is listed, shown and waited for. */
  g_assert_cmpint (run_cli (&out, "--system", "jobs", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "realize"));
  g_assert_nonnull (strstr (out, "completed"));
  g_clear_pointer (&out, g_free);
  /* The import was a job too (ImportSystemDefinitionAsJob), the first. */
  g_assert_cmpint (run_cli (&out, "--system", "job", "1", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Type:           import"));
  g_assert_nonnull (strstr (out, "Target:         vr-guest"));
  g_assert_nonnull (strstr (out, "State:          completed"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&out, "--system", "job", "2", NULL), ==, 0);
  /* Names and states in words, the target by its name. */
  g_assert_nonnull (strstr (out, "Type:           realize"));
  g_assert_nonnull (strstr (out, "Target:         vr-guest"));
  g_assert_nonnull (strstr (out, "State:          completed"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&out, "--system", "wait", "2", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&out, "--system", "wait", "999", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "no job 999"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&out, "--system", "destroy", "vr-guest", NULL),
                   ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (&out, "--system", "list", NULL), ==, 0);
  g_assert_null (strstr (out, "vr-guest"));
  stop_agent (f);
}

/* `wait` only watches: Ctrl-C stops the watching with 130 and says the
 * job goes on; the job (started with --no-wait, held in its copy) is
 * still running, and a Cancel then rolls it back as usual. */
static void
test_wait_detach (Fixture *f, gconstpointer data)
{
  if (!test_needs_hooks ())
    return;
  g_autofree char *dir = vr_testbed_large_import (64);
  g_autofree char *system = NULL;
  g_autofree char *job = realize_stalled (f, dir, "copy", &system);
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GSubprocess) waiter = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  Watch watch = { 0 };

  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS",
                                harness->address, TRUE);
  waiter = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("VR_CLI"),
                                        "--system", "wait", job, NULL);
  g_assert_no_error (error);
  /* Long enough for the client to be watching (it starts in ~10 ms). */
  g_usleep (3 * G_USEC_PER_SEC);
  g_subprocess_send_signal (waiter, SIGINT);
  g_assert_true (g_subprocess_communicate_utf8 (waiter, NULL, NULL, &out,
                                                NULL, &error));
  g_test_message ("wait, interrupted: %s", out);
  g_assert_true (g_subprocess_get_if_exited (waiter));
  g_assert_cmpint (g_subprocess_get_exit_status (waiter), ==, 130);
  g_assert_nonnull (strstr (out, "goes on"));
  g_assert_cmpuint (get_number (job, VR_DBUS_JOB_IFACE, "JobState"), ==, 4);
  call_ok (job, VR_DBUS_JOB_IFACE, "Cancel", NULL, NULL);
  wait_completed (job, &watch);
  g_assert_cmpuint (get_number (job, VR_DBUS_JOB_IFACE, "JobState"), ==, 8);
  stop_agent (f);
  assert_nothing_left (f);
  test_rmtree (dir);
}

/* systemd-analyze verify on the unit as installed, ExecStart pointing at
 * the built agent. */
static void
test_unit_verifies (void)
{
  g_autofree char *in = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..",
                                          "data", "virt-realized.service.in",
                                          NULL);
  g_autofree char *text = NULL;
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *unit = g_build_filename (dir, "virt-realized.service",
                                            NULL);
  g_autoptr (GString) edited = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) verify = NULL;
  g_autofree char *out = NULL;

  if (!g_file_test ("/usr/bin/systemd-analyze", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("systemd-analyze is not installed");
      return;
    }
  g_assert_true (g_file_get_contents (in, &text, NULL, &error));
  edited = g_string_new (text);
  g_string_replace (edited, "@libexecdir@/virt-realized",
                    g_getenv ("VR_AGENT"), 0);
  test_write_file (dir, "virt-realized.service", edited->str, -1);
  verify = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                 | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                             &error, "systemd-analyze", "verify", "--man=no",
                             unit, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (verify, NULL, NULL, &out,
                                                NULL, &error));
  g_test_message ("systemd-analyze verify: %s", out);
  g_assert_cmpint (g_subprocess_get_exit_status (verify), ==, 0);
  /* Warnings (unknown keys, bad values) exit 0 but say something. */
  g_assert_cmpstr (out, ==, "");
  test_rmtree (dir);
}

/* A method's reply, in the order replies came. */
typedef struct {
  guint *counter;
  guint order; /* 0 while none came */
  GVariant *reply;
  GError *error;
} Pending;

static void
on_pending_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pending *pending = user_data;

  pending->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source),
                                                  result, &pending->error);
  vr_dbus_error_to_local (&pending->error);
  pending->order = ++*pending->counter;
}

static void
call_pending (const char *path, const char *method, GVariant *params,
              Pending *pending)
{
  g_dbus_connection_call (harness->bus, VR_DBUS_NAME, path,
                          VR_DBUS_PLANNED_IFACE, method, params, NULL,
                          G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, NULL,
                          on_pending_reply, pending);
}

static void
wait_pending (Pending *pending)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (pending->order == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

/* The agent's main loop never waits on a handler's disk work: with a
 * Destroy or an Update held inside its work (VR_TEST_PAUSE_AT=destroy or
 * update, after the store's lock), GetJobs, ListPlannedSystems and the
 * object manager still answer, and a call on the same planned system
 * waits its turn (answered after the held one, and seeing its outcome). */
static void
test_mainloop_answers (Fixture *f, gconstpointer data)
{
  const char *point = data;
  gboolean destroy = g_str_equal (point, "destroy");
  g_autofree char *basic = NULL;
  g_autofree char *pause = g_build_filename (f->pool, "pause", NULL);
  g_autofree char *reached = g_build_filename (f->pool, "reached", NULL);
  g_autofree char *env_at = g_strconcat ("VR_TEST_PAUSE_AT=", point, NULL);
  g_autofree char *env_file = g_strconcat ("VR_TEST_PAUSE_FILE=", pause,
                                           NULL);
  g_autofree char *env_reached = g_strconcat ("VR_TEST_PAUSE_REACHED=",
                                              reached, NULL);
  const char *const env[] = { env_at, env_file, env_reached, NULL };
  g_autofree char *system = NULL;
  g_autofree char *xml = NULL;
  g_autoptr (GVariant) before = NULL;
  guint counter = 0;
  Pending held = { .counter = &counter };
  Pending after = { .counter = &counter };
  gint64 deadline;

  if (!test_needs_hooks ())
    return;
  basic = vr_testbed_require ("basic");
  f->agent = vr_bus_harness_start_agent (harness, uri, f->state, env, NULL);
  system = import_dir (basic);
  before = call_ok (system, VR_DBUS_PLANNED_IFACE, "GetDomainXML",
                    g_variant_new ("(a{sv})", NULL), "(s)");
  g_variant_get (before, "(s)", &xml);

  test_write_file (f->pool, "pause", "", -1);
  if (destroy)
    call_pending (system, "Destroy", NULL, &held);
  else
    call_pending (system, "Update", g_variant_new ("(sa{sv})", xml, NULL),
                  &held);
  deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  while (!g_file_test (reached, G_FILE_TEST_EXISTS))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      /* It must not have answered: it waits at the point. */
      g_assert_no_error (held.error);
      g_assert_cmpuint (held.order, ==, 0);
      g_usleep (20 * 1000);
    }
  call_pending (system, "GetDomainXML", g_variant_new ("(a{sv})", NULL),
                &after);

  /* Held: the agent answers everything else. */
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr (GVariant) systems = NULL;

      g_variant_unref (call_ok (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
                                "GetJobs", NULL, "(ao)"));
      systems = call_ok (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
                         "ListPlannedSystems", NULL, "(ao)");
      g_variant_unref (call_ok (VR_DBUS_ROOT,
                                "org.freedesktop.DBus.ObjectManager",
                                "GetManagedObjects", NULL,
                                "(a{oa{sa{sv}}})"));
      g_assert_true (contains_path (systems, system));
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (held.order, ==, 0);
  g_assert_cmpuint (after.order, ==, 0);

  /* Let go: the held call ends first, then the one queued behind it. */
  g_assert_cmpint (unlink (pause), ==, 0);
  wait_pending (&held);
  wait_pending (&after);
  g_assert_no_error (held.error);
  g_assert_cmpuint (held.order, ==, 1);
  g_assert_cmpuint (after.order, ==, 2);
  if (destroy)
    test_assert_error (after.error, VR_ERROR_INVALID_PARAMETER, NULL);
  else
    g_assert_no_error (after.error);
  g_clear_pointer (&held.reply, g_variant_unref);
  g_clear_pointer (&after.reply, g_variant_unref);
  g_clear_error (&after.error);
  stop_agent (f);
}

/* VR_TEST_PAUSE_AT=point for an agent (env), its files in the fixture's
 * pool folder: the work waits at point while "pause" is there and writes
 * "reached" on its way in. */
typedef struct {
  char *pause;
  char *reached;
  char *env[4];
} Pause;

static void
pause_init (Pause *p, Fixture *f, const char *point)
{
  p->pause = g_build_filename (f->pool, "pause", NULL);
  p->reached = g_build_filename (f->pool, "reached", NULL);
  p->env[0] = g_strconcat ("VR_TEST_PAUSE_AT=", point, NULL);
  p->env[1] = g_strconcat ("VR_TEST_PAUSE_FILE=", p->pause, NULL);
  p->env[2] = g_strconcat ("VR_TEST_PAUSE_REACHED=", p->reached, NULL);
  p->env[3] = NULL;
  test_write_file (f->pool, "pause", "", -1);
}

static void
pause_wait_reached (Pause *p)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (!g_file_test (p->reached, G_FILE_TEST_EXISTS))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
}

static void
pause_clear (Pause *p)
{
  g_free (p->pause);
  g_free (p->reached);
  for (guint i = 0; i < 3; i++)
    g_free (p->env[i]);
}

/* ValidateDefinition validates a domain XML file beside polkit's check
 * (agent/dbus-validate-definition.c): a caller polkit refuses gets
 * AccessDenied while the validation started for them is still held
 * inside its work (VR_TEST_PAUSE_AT=validate-definition), so the
 * refusal's time says nothing of the XML, and no finding reaches them;
 * the refusal stops that validation. An allowed caller's answer (root)
 * is the validation's, as before. */
static void
test_validate_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *basic = NULL;
  g_autofree char *file = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  Pause pause = { 0 };
  int status;

  if (!test_needs_hooks ())
    return;
  basic = vr_testbed_require ("basic");
  file = g_build_filename (basic, "domain.xml", NULL);
  pause_init (&pause, f, "validate-definition");
  f->agent = vr_bus_harness_start_agent (
      harness, uri, f->state, (const char *const *) pause.env, NULL);
  {
    const char *const argv[] = { g_getenv ("VR_CLI"), "--system", "--json",
                                 "validate", file, NULL };

    g_assert_cmpint (vr_bus_harness_run_as_nobody_out (harness, argv, &out,
                                                       &err), ==, 1);
  }
  g_test_message ("validate FILE as nobody: %s%s", out, err);
  /* Refused while the validation started for nobody is held. */
  pause_wait_reached (&pause);
  g_assert_true (g_file_test (pause.pause, G_FILE_TEST_EXISTS));
  g_assert_true (strstr (out, "AccessDenied") || strstr (err, "AccessDenied"));
  g_assert_null (strstr (out, "findings"));
  g_assert_null (strstr (out, "VR1"));
  g_assert_null (strstr (err, "VR1"));

  g_assert_cmpint (unlink (pause.pause), ==, 0);
  g_clear_pointer (&out, g_free);
  status = run_cli (&out, "--system", "--json", "validate", file, NULL);
  g_assert_true (status == 0 || status == 3);
  g_assert_nonnull (strstr (out, "\"findings\""));
  stop_agent (f);
  pause_clear (&pause);
}

/* A copy of the basic guest's import directory whose save image has a
 * hole of mib MiB before its last 256 KiB (QEMU's stream end, which
 * validate reads; libvirt stops at the stream's end before the hole), and
 * a manifest.xml: hashing reads the hole, the disk holds none of it. */
static char *
sparse_import_with_manifest (guint mib)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autoptr (GError) error = NULL;
  char *dir = vr_testbed_copy_import_dir (basic, &error);
  g_autofree char *save = NULL;
  g_autofree char *manifest = NULL;
  g_autofree char *tail = g_malloc (256 * 1024);
  off_t size;
  int fd;

  g_assert_no_error (error);
  save = g_build_filename (dir, "vr-guest.save", NULL);
  fd = open (save, O_RDWR | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  size = lseek (fd, 0, SEEK_END);
  g_assert_cmpint (size, >=, 256 * 1024);
  g_assert_cmpint (pread (fd, tail, 256 * 1024, size - 256 * 1024), ==,
                   256 * 1024);
  g_assert_cmpint (pwrite (fd, tail, 256 * 1024,
                           size + ((off_t) mib << 20) - 256 * 1024),
                   ==, 256 * 1024);
  close (fd);
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  manifest = vr_manifest_build (fd, dir, NULL, NULL, &error);
  close (fd);
  g_assert_no_error (error);
  test_write_file (dir, "manifest.xml", manifest, -1);
  return dir;
}

/* ImportSystemDefinitionAsJob on bus; the job's path. */
static char *
import_as_job (GDBusConnection *bus, const char *dir)
{
  g_autoptr (GError) error = NULL;
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  char *path;

  g_assert_cmpint (fd, >=, 0);
  path = import_call_on (bus, "ImportSystemDefinitionAsJob", fd, &error);
  close (fd);
  g_assert_no_error (error);
  return path;
}

/* An import of a big save image with a manifest, as a job: its
 * PercentComplete moves while the image is hashed (above 0 and below 100
 * before the end), and on Completed its Target is the planned system it
 * made. */
static void
test_import_job_progress (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = sparse_import_with_manifest (512);
  g_autofree char *job = NULL;
  g_autofree char *target = NULL;
  g_autofree char *name = NULL;
  g_autofree char *type = NULL;
  g_autofree char *state = NULL;
  Watch watch = { 0 };

  start_agent (f, NULL);
  job = import_as_job (harness->bus, dir);
  wait_completed (job, &watch);
  g_test_message ("%u PropertiesChanged (%u with PercentComplete)",
                  watch.changes, watch.percent_changes);
  g_assert_true (watch.success);
  g_assert_true (watch.percent_midway);
  g_assert_false (watch.percent_went_back);
  g_assert_cmpuint (get_number (job, VR_DBUS_JOB_IFACE, "JobState"), ==, 7);
  g_assert_cmpuint (get_number (job, VR_DBUS_JOB_IFACE, "PercentComplete"),
                    ==, 100);
  type = get_string (job, VR_DBUS_JOB_IFACE, "JobType");
  g_assert_cmpstr (type, ==, "import");
  target = get_string (job, VR_DBUS_JOB_IFACE, "Target");
  name = get_string (job, VR_DBUS_JOB_IFACE, "TargetName");
  g_assert_cmpstr (name, ==, "vr-guest");
  state = get_string (target, VR_DBUS_PLANNED_IFACE, "State");
  g_assert_cmpstr (state, ==, "planned");
  stop_agent (f);
  test_rmtree (dir);
}

/* A Cancel of an import job while it hashes (held there:
 * VR_TEST_PAUSE_AT=verify), or its caller leaving the bus then
 * ("caller-gone", as the method's import): it ends Terminated, no planned
 * system is kept, and the import directory is as it was. */
static void
test_import_job_cancel (Fixture *f, gconstpointer data)
{
  gboolean leave = g_strcmp0 (data, "caller-gone") == 0;
  g_autoptr (GDBusConnection) caller = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *job = NULL;
  g_autoptr (GVariant) systems = NULL;
  g_autoptr (GVariant) list = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GDir) state = NULL;
  const char *entry;
  Watch watch = { 0 };
  Pause pause = { 0 };
  gint64 deadline;

  if (!test_needs_hooks ())
    return;
  dir = sparse_import_with_manifest (64);
  before = test_snapshot_tree (dir);
  pause_init (&pause, f, "verify");
  f->agent = vr_bus_harness_start_agent (
      harness, uri, f->state, (const char *const *) pause.env, NULL);
  caller = leave ? g_dbus_connection_new_for_address_sync (
                       harness->address,
                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                           | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                       NULL, NULL, &error)
                 : g_object_ref (harness->bus);
  g_assert_no_error (error);
  job = import_as_job (caller, dir);
  pause_wait_reached (&pause);
  deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  /* Running (its state reaches the bus within a tenth of a second). */
  while (get_number (job, VR_DBUS_JOB_IFACE, "JobState") != 4)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
  if (leave)
    {
      g_dbus_connection_close_sync (caller, NULL, &error);
      g_assert_no_error (error);
    }
  else
    reply = call_ok (job, VR_DBUS_JOB_IFACE, "Cancel", NULL, "()");
  wait_completed (job, &watch);
  g_assert_false (watch.success);
  g_assert_cmpuint (get_number (job, VR_DBUS_JOB_IFACE, "JobState"), ==, 8);
  systems = call_ok (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
                     "ListPlannedSystems", NULL, "(ao)");
  list = g_variant_get_child_value (systems, 0);
  g_assert_cmpuint (g_variant_n_children (list), ==, 0);
  stop_agent (f);
  /* No planned system's folder (UUID-named) in the state directory. */
  state = g_dir_open (f->state, 0, NULL);
  while ((entry = g_dir_read_name (state)) != NULL)
    g_assert_false (g_uuid_string_is_valid (entry));
  after = test_snapshot_tree (dir);
  g_assert_cmpstr (before, ==, after);
  test_rmtree (dir);
  pause_clear (&pause);
}

/* Without a bus harness (not root, no polkitd…) every bus test is still
 * registered, and skipped with the reason: meson counts what did not run. */
static char *why_no_bus;

static void
skip_bus_test (Fixture *f, gconstpointer data)
{
  g_test_skip (why_no_bus);
}

/* Every error code crosses the bus under its own name; the seed's return
 * codes that are no errors (Completed, JobStarted) have none. */
static void
test_error_names (void)
{
  g_autoptr (GError) in_use = g_error_new (VR_ERROR, VR_ERROR_IN_USE, "x");
  g_autoptr (GError) completed = g_error_new (VR_ERROR, VR_ERROR_COMPLETED,
                                              "x");
  g_autoptr (GError) started = g_error_new (VR_ERROR, VR_ERROR_JOB_STARTED,
                                            "x");
  g_autofree char *a = g_dbus_error_encode_gerror (in_use);
  g_autofree char *b = g_dbus_error_encode_gerror (completed);
  g_autofree char *c = g_dbus_error_encode_gerror (started);

  g_assert_cmpstr (a, ==, VR_DBUS_ERROR_PREFIX "InUse");
  g_assert_false (g_str_has_prefix (b, VR_DBUS_ERROR_PREFIX));
  g_assert_false (g_str_has_prefix (c, VR_DBUS_ERROR_PREFIX));
}

int
main (int argc, char **argv)
{
  int status;

  if (argc == 3 && g_str_equal (argv[1], "--import-helper"))
    return import_helper (argv[2]);
  g_test_init (&argc, &argv, NULL);
  vr_dbus_errors_register ();
  g_test_add_func ("/agent/unit-verifies", test_unit_verifies);
  g_test_add_func ("/agent/error-names", test_error_names);
  harness = vr_bus_harness_new (TRUE, &why_no_bus);
  if (harness != NULL)
    {
      root = vr_testbed_new_root ("agent");
      uri = vr_testbed_root_uri (root);
    }
#define ADD(path, data, func) \
  if (harness != NULL) \
    g_test_add ("/agent/" path, Fixture, data, fixture_set_up, func, \
                fixture_tear_down); \
  else \
    g_test_add ("/agent/" path, Fixture, data, NULL, skip_bus_test, NULL)
  ADD ("realize", NULL, test_realize);
  ADD ("progress", NULL, test_progress);
  ADD ("crash/copy", "copy", test_crash);
  ADD ("crash/update", "update", test_crash);
  ADD ("crash/define", "define", test_crash);
  ADD ("crash/handoff", "handoff", test_crash);
  ADD ("cancel/copy", "copy", test_cancel_running);
  ADD ("reconnect", NULL, test_reconnect);
  ADD ("cancel/define", "define", test_cancel_running);
  ADD ("rollback-pending", NULL, test_rollback_pending);
  ADD ("access", NULL, test_access);
  ADD ("load", NULL, test_load);
  ADD ("table", NULL, test_table);
  ADD ("queue", NULL, test_queue);
  ADD ("cli-client", NULL, test_cli_client);
  ADD ("wait-detach", NULL, test_wait_detach);
  ADD ("mainloop/destroy", "destroy", test_mainloop_answers);
  ADD ("mainloop/update", "update", test_mainloop_answers);
  ADD ("validate-refused", NULL, test_validate_refused);
  ADD ("import-job/progress", NULL, test_import_job_progress);
  ADD ("import-job/cancel", NULL, test_import_job_cancel);
  ADD ("import-job/caller-gone", "caller-gone", test_import_job_cancel);
#undef ADD
  status = g_test_run ();
  g_clear_pointer (&harness, vr_bus_harness_free);
  if (root != NULL)
    test_rmtree (root);
  g_free (root);
  g_free (uri);
  g_free (why_no_bus);
  return status;
}
