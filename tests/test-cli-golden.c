/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The golden test of the command layer: every command with --json, once
 * in-process (virt-realize --direct, i.e. virt-realize-direct) and once
 * through a real agent on a private system bus (virt-realize --system),
 * on the same planned systems, must print the same thing and exit the
 * same way. Only what differs by nature is masked: each side's own
 * directories and embedded root, import times and job ids. */
#include "config.h"

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "bus-harness.h"
#include "dbus-errors.h"
#include "dbus-names.h"
#include "errors.h"
#include "test-util.h"
#include "testbed.h"

static VrBusHarness *harness;
static char *why_not;

typedef struct {
  const char *name;
  gboolean agent;
  char *root;
  char *uri;
  char *state;
  char *pool;
  GSubprocess *daemon;
} Side;

static void
side_init (Side *side, const char *name, gboolean agent)
{
  side->name = name;
  side->agent = agent;
  side->root = vr_testbed_new_root (name);
  side->uri = vr_testbed_root_uri (side->root);
  side->state = test_mkdtemp ();
  side->pool = test_mkdtemp ();
  if (agent)
    side->daemon = vr_bus_harness_start_agent (harness, side->uri,
                                               side->state, NULL, NULL);
}

static void
side_clear (Side *side)
{
  if (side->daemon != NULL)
    vr_bus_harness_stop_agent (g_steal_pointer (&side->daemon));
  test_rmtree (side->pool);
  test_rmtree (side->state);
  test_rmtree (side->root);
  g_free (side->pool);
  g_free (side->state);
  g_free (side->uri);
  g_free (side->root);
}

/* Each side's own paths become one word, so that the rest can match. */
static char *
normalize (const Side *side, const char *text)
{
  g_autoptr (GString) out = g_string_new (text);
  g_autoptr (GRegex) created = g_regex_new (
      "\"(created|started)\" : \"[^\"]*\"", 0, 0, NULL);
  g_autoptr (GRegex) job = g_regex_new ("\"job\" : \"[0-9]+\"", 0, 0, NULL);
  g_autofree char *masked = NULL;
  g_autofree char *masked_job = NULL;

  g_string_replace (out, side->pool, "POOL", 0);
  g_string_replace (out, side->state, "STATE", 0);
  g_string_replace (out, side->root, "ROOT", 0);
  masked = g_regex_replace (created, out->str, -1, 0,
                            "\"\\1\" : \"TIME\"", 0, NULL);
  masked_job = g_regex_replace_literal (job, masked, -1, 0,
                                        "\"job\" : \"ID\"", 0, NULL);
  return g_steal_pointer (&masked_job);
}

/* virt-realize [--json] ARGS on one side: its stdout, normalized. */
static char *
run_as (const Side *side, int *status, const char *const *args,
        gboolean json)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_ptr_array_add (argv, (char *) g_getenv ("VR_CLI"));
  if (side->agent)
    g_ptr_array_add (argv, "--system");
  else
    {
      g_ptr_array_add (argv, "--direct");
      g_ptr_array_add (argv, "-c");
      g_ptr_array_add (argv, side->uri);
      g_ptr_array_add (argv, "--state-dir");
      g_ptr_array_add (argv, side->state);
    }
  if (json)
    g_ptr_array_add (argv, "--json");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_str_equal (args[i], "POOL") ? side->pool
                                                         : (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS",
                                harness->address, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "VIRT_REALIZE_STATE_DIR");
  process = g_subprocess_launcher_spawnv (
      launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out,
                                                &err, &error));
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (process);
  g_test_message ("%s: %s -> %d\n%s%s", side->name, args[0], *status, out,
                  err);
  return normalize (side, out);
}

static char *
run (const Side *side, int *status, const char *const *args)
{
  return run_as (side, status, args, TRUE);
}

/* An error's code and name: its message may name what only one side has
 * (the in-process state directory). */
static const char *
error_of (const char *json)
{
  static char buffers[2][128];
  static guint next;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *object;
  char *buffer = buffers[next++ % 2];

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  object = json_object_get_object_member (
      json_node_get_object (json_parser_get_root (parser)), "error");
  g_assert_nonnull (object);
  g_snprintf (buffer, 128, "%" G_GINT64_FORMAT " %s",
              json_object_get_int_member (object, "code"),
              json_object_get_string_member (object, "name"));
  return buffer;
}

/* What both() printed last, direct and agent, for a closer look. */
static char *last_out[2];

/* The command on both sides: the same output and exit status. */
static void
both (Side *direct, Side *agent, int want_status, const char *const *args)
{
  int direct_status = -1;
  int agent_status = -1;
  char *direct_out = run (direct, &direct_status, args);
  char *agent_out = run (agent, &agent_status, args);

  g_free (last_out[0]);
  g_free (last_out[1]);
  last_out[0] = direct_out;
  last_out[1] = agent_out;
  g_assert_cmpint (direct_status, ==, want_status);
  g_assert_cmpint (agent_status, ==, want_status);
  /* Every command prints a result with --json, errors included. */
  g_assert_cmpstr (direct_out, !=, "");
  /* 1 and 2 are errors; 0 and 3 (findings with errors) are results. */
  if (want_status == 1 || want_status == 2)
    g_assert_cmpstr (error_of (direct_out), ==, error_of (agent_out));
  else
    g_assert_cmpstr (direct_out, ==, agent_out);
}

static void
assert_none_planned (const Side *side)
{
  int status = -1;
  g_autofree char *out = run (side, &status,
                              (const char *const[]){ "list", NULL });

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (g_strstrip (out), ==, "[]");
}

/* show of a realized system, both ways, as JSON and as text: whether its
 * domain is defined was asked of libvirt, not read from the record. */
static void
assert_shown_defined (Side *direct, Side *agent, gboolean defined)
{
  const char *const args[] = { "show", "vr-guest", NULL };
  const char *want = defined ? "\"domain_defined\" : true"
                             : "\"domain_defined\" : false";
  Side *sides[] = { direct, agent };

  both (direct, agent, 0, args);
  for (guint i = 0; i < G_N_ELEMENTS (sides); i++)
    {
      int status = -1;
      g_autofree char *json = run (sides[i], &status, args);
      g_autofree char *text = run_as (sides[i], &status, args, FALSE);

      g_assert_nonnull (strstr (json, want));
      g_assert_cmpint (status, ==, 0);
      g_assert_nonnull (strstr (text, "State:          realized"));
      g_assert_true ((strstr (text, "realized (domain undefined)") != NULL)
                     == !defined);
    }
}

/* A person undefines the realized domain behind virt-realize's back: by
 * virsh in its own process (an embedded root serves one process at a
 * time, so the agent steps aside meanwhile, as at a reboot). */
static void
undefine_behind_back (Side *side)
{
  g_autofree char *out = NULL;
  g_autofree char *left = NULL;

  if (side->daemon != NULL)
    vr_bus_harness_stop_agent (g_steal_pointer (&side->daemon));
  out = test_virsh_all (side->uri, "undefine --managed-save vr-guest");
  g_test_message ("%s: virsh undefine: %s", side->name, out);
  left = test_virsh (side->uri, "list --all --name");
  g_assert_null (strstr (left, "vr-guest"));
  if (side->agent)
    side->daemon = vr_bus_harness_start_agent (harness, side->uri,
                                               side->state, NULL, NULL);
}

#define BOTH(status, ...) \
  both (&direct, &agent, status, (const char *const[]){ __VA_ARGS__, NULL })

static void
assert_both_say (const char *needle)
{
  for (guint i = 0; i < G_N_ELEMENTS (last_out); i++)
    if (strstr (last_out[i], needle) == NULL)
      g_error ("'%s' does not say '%s'", last_out[i], needle);
}

static JsonObject *
realize_job (JsonArray *jobs)
{
  for (guint i = 0; i < json_array_get_length (jobs); i++)
    {
      JsonObject *job = json_array_get_object_element (jobs, i);

      if (g_strcmp0 (json_object_get_string_member (job, "type"), "realize")
          == 0)
        return job;
    }
  g_assert_not_reached ();
}

/* The agent's jobs once the planned system is gone: the realize job says
 * "(removed)" for its target (never a D-Bus path) and, completed, the
 * bytes its copy moved (not the last step's 0). */
static void
assert_finished_job (Side *agent)
{
  int status = -1;
  g_autofree char *jobs = run (agent, &status,
                               (const char *const[]){ "jobs", NULL });
  g_autofree char *text = NULL;
  g_autofree char *one = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *job;
  const char *id;

  g_assert_cmpint (status, ==, 0);
  json_parser_load_from_data (parser, jobs, -1, &error);
  g_assert_no_error (error);
  /* The import before it was a job too (ImportSystemDefinitionAsJob). */
  job = realize_job (json_node_get_array (json_parser_get_root (parser)));
  id = json_object_get_string_member (job, "id");
  g_assert_cmpstr (json_object_get_string_member (job, "target"), ==,
                   "vr-guest (removed)");
  one = run (agent, &status, (const char *const[]){ "job", id, NULL });
  g_assert_cmpint (status, ==, 0);
  g_test_message ("job %s: %s", id, one);
  g_assert_nonnull (strstr (one, "\"state\" : \"completed\""));
  g_assert_null (strstr (one, "\"bytes_done\" : 0,"));
  g_assert_null (strstr (one, "\"bytes_total\" : 0,"));
  text = run_as (agent, &status, (const char *const[]){ "jobs", NULL },
                 FALSE);
  g_assert_nonnull (strstr (text, "(removed)"));
  g_assert_null (strstr (text, "/org/virtrealize"));
}

static void
test_golden (void)
{
  g_autofree char *basic = NULL;
  g_autofree char *file = NULL;
  Side direct = { 0 };
  Side agent = { 0 };

  if (harness == NULL)
    {
      g_test_skip (why_not);
      return;
    }
  basic = vr_testbed_require ("basic");
  file = g_build_filename (basic, "domain.xml", NULL);
  side_init (&direct, "golden-direct", FALSE);
  side_init (&agent, "golden-agent", TRUE);
  BOTH (0, "list");
  /* An import directory goes to the agent as a descriptor: validated
   * there, not imported (the listing stays empty). */
  BOTH (0, "validate", basic);
  assert_none_planned (&agent);
  BOTH (0, "import", basic);
  BOTH (1, "import", basic);
  BOTH (0, "list");
  BOTH (0, "show", "vr-guest");
  BOTH (0, "show", "5a1ad0c0-7e57-4b3d-9c1e-000000000001");
  BOTH (0, "show", "vr-guest", "--xml");
  BOTH (0, "validate", "vr-guest");
  BOTH (0, "validate", "vr-guest", "--copy-disks");
  /* A bare word is a planned system's name first, even beside a file of
   * that name (the client asks the agent's table): not the file's
   * findings. */
  {
    g_autofree char *cwd = g_get_current_dir ();
    g_autofree char *here = test_mkdtemp ();

    test_write_file (here, "vr-guest", "<domain/>", -1);
    g_assert_cmpint (chdir (here), ==, 0);
    BOTH (0, "validate", "vr-guest");
    g_assert_cmpint (chdir (cwd), ==, 0);
    test_rmtree (here);
  }
  /* A file goes to the agent as a descriptor: its VM is the planned
   * system's already (VR1603, VR1604), both ways. */
  BOTH (3, "validate", file);
  BOTH (3, "validate", file, "-q");
  /* The directory too: the agent's own planned systems are the ones it
   * collides with (no in-process fallback onto another state). */
  BOTH (3, "validate", basic);
  BOTH (1, "show", "nothing-here");
  /* A typo is no planned system, with the nearest name, both ways
   * (in-process, before libvirt is opened). */
  BOTH (1, "validate", "vr-gust");
  assert_both_say ("did you mean 'vr-guest'?");
  BOTH (1, "realize", "nothing-here");
  BOTH (2, "show");
  BOTH (2, "frobnicate");
  BOTH (0, "realize", "vr-guest", "--pool-dir", "POOL");
  BOTH (0, "show", "vr-guest");
  assert_shown_defined (&direct, &agent, TRUE);
  BOTH (0, "list");
  undefine_behind_back (&direct);
  undefine_behind_back (&agent);
  assert_shown_defined (&direct, &agent, FALSE);
  /* destroy asks libvirt too: the domain is not said to stay. */
  BOTH (0, "destroy", "vr-guest");
  assert_both_say ("\"domain_defined\" : false");
  BOTH (0, "list");
  /* Once more, with the agent running on: a realized domain that is
   * still defined is said to stay, and the agent's finished job outlives
   * its planned system. */
  BOTH (0, "import", basic);
  BOTH (0, "realize", "vr-guest", "--pool-dir", "POOL");
  BOTH (0, "destroy", "vr-guest");
  assert_both_say ("\"domain_defined\" : true");
  assert_finished_job (&agent);
  side_clear (&agent);
  side_clear (&direct);
}

/* ValidateDefinition with a descriptor that is not a regular file open
 * for reading, or none: InvalidParameter, and the agent answers on. */
static void
call_validate_definition (int fd, int handle, int want_code)
{
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  if (fd >= 0)
    g_assert_cmpint (g_unix_fd_list_append (fds, fd, NULL), ==, 0);
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      harness->bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
      "ValidateDefinition", g_variant_new ("(ha{sv})", handle, NULL),
      G_VARIANT_TYPE ("(us)"), G_DBUS_CALL_FLAGS_NONE, -1, fds, NULL, NULL,
      &error);
  vr_dbus_error_to_local (&error);
  if (want_code == 0)
    {
      g_assert_no_error (error);
      return;
    }
  g_test_message ("ValidateDefinition: %s", error ? error->message : "ok");
  g_assert_error (error, VR_ERROR, want_code);
}

static void
test_validate_definition_refusals (void)
{
  g_autofree char *basic = NULL;
  g_autofree char *file = NULL;
  Side agent = { 0 };
  int pipe_fds[2];
  int fd;

  if (harness == NULL)
    {
      g_test_skip (why_not);
      return;
    }
  basic = vr_testbed_require ("basic");
  file = g_build_filename (basic, "domain.xml", NULL);
  side_init (&agent, "golden-refusals", TRUE);
  g_assert_cmpint (pipe (pipe_fds), ==, 0);
  call_validate_definition (pipe_fds[0], 0, VR_ERROR_INVALID_PARAMETER);
  close (pipe_fds[0]);
  close (pipe_fds[1]);
  /* A directory only opened for reading: O_PATH proves no right to it. */
  fd = open (basic, O_PATH | O_DIRECTORY | O_CLOEXEC);
  call_validate_definition (fd, 0, VR_ERROR_INVALID_PARAMETER);
  close (fd);
  fd = open (basic, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  call_validate_definition (fd, 0, 0);
  close (fd);
  fd = open (file, O_PATH | O_CLOEXEC);
  call_validate_definition (fd, 0, VR_ERROR_INVALID_PARAMETER);
  close (fd);
  /* No descriptor, or a handle past the list. */
  call_validate_definition (-1, 0, VR_ERROR_INVALID_PARAMETER);
  fd = open (file, O_RDONLY | O_CLOEXEC);
  call_validate_definition (fd, 3, VR_ERROR_INVALID_PARAMETER);
  /* The same file as a good descriptor: the agent answered all along. */
  call_validate_definition (fd, 0, 0);
  close (fd);
  side_clear (&agent);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli-golden/json", test_golden);
  g_test_add_func ("/cli-golden/validate-definition-refusals",
                   test_validate_definition_refusals);
  vr_dbus_errors_register ();
  harness = vr_bus_harness_new (TRUE, &why_not);
  status = g_test_run ();
  if (harness != NULL)
    vr_bus_harness_free (harness);
  g_free (why_not);
  g_free (last_out[0]);
  g_free (last_out[1]);
  return status;
}
