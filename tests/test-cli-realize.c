/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-realize realize as a person runs it: into an embedded root, the
 * guest resumes; Ctrl-C in the middle of the copy rolls everything back. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "test-util.h"
#include "testbed.h"

static char *root;
static char *uri;

static void
test_realize_start_resumes (void)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *imported = NULL;
  g_autofree char *realized = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *domstate = NULL;
  g_autofree char *connection = NULL;
  int status = 0;

  g_autofree char *asan = g_strdup (g_getenv ("ASAN_OPTIONS"));

  imported = test_cli_direct (state, uri, &status, "import", basic, NULL);
  g_assert_cmpint (status, ==, 0);
  /* The started guest outlives the process by design; LeakSanitizer's
   * tracer, stopping the embedded driver's threads at exit while they
   * still watch that guest, sometimes crashes. Leaks of this code path are
   * checked by the in-process realize tests. */
  if (asan != NULL)
    g_setenv ("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1", TRUE);
  realized = test_cli_direct (state, uri, &status, "realize", "vr-guest",
                              "--start", NULL);
  if (asan != NULL)
    g_setenv ("ASAN_OPTIONS", asan, TRUE);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (realized, "realized as domain 'vr-guest'"));
  /* --start ends by saying the guest runs (not how to start it). */
  g_assert_nonnull (strstr (realized, "Domain 'vr-guest' is running: the "
                                      "guest resumed where it stopped"));
  g_assert_null (strstr (realized, "virsh start"));
  shown = test_cli_direct (state, uri, &status, "--json", "show", "vr-guest",
                           NULL);
  g_assert_nonnull (strstr (shown, "\"state\" : \"realized\""));
  /* Which libvirt it was realized on, as libvirt names the connection. */
  connection = g_strdup_printf ("\"connection\" : \"%s\"", uri);
  g_assert_nonnull (strstr (shown, connection));
  g_free (shown);
  shown = test_cli_direct (state, uri, &status, "show", "vr-guest", NULL);
  g_assert_nonnull (strstr (shown, "Connection:"));
  g_assert_nonnull (strstr (shown, uri));
  domstate
      = test_virsh (uri, "domstate --reason vr-guest; dommemstat vr-guest; "
                         "destroy vr-guest; undefine vr-guest");
  g_assert_true (g_str_has_prefix (domstate, "running (restored)"));
  test_rmtree (state);
}

static char *
read_state (const char *state)
{
  g_autoptr (GDir) dir = g_dir_open (state, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *record = g_build_filename (state, name, "record.xml",
                                                  NULL);
      char *text = NULL;

      if (g_file_get_contents (record, &text, NULL, NULL))
        return text;
    }
  return g_strdup ("");
}

/* Whether process pid has a file of dir open: the copy's temp file (an
 * O_TMPFILE file shows as "DIR/#INODE (deleted)"). */
static gboolean
writes_into (GPid pid, const char *dir)
{
  g_autofree char *fds = g_strdup_printf ("/proc/%d/fd", pid);
  g_autoptr (GDir) d = g_dir_open (fds, 0, NULL);
  g_autofree char *prefix = g_strconcat (dir, "/", NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *link = g_build_filename (fds, name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);

      if (target != NULL && g_str_has_prefix (target, prefix))
        return TRUE;
    }
  return FALSE;
}

/* Waits until the copy has started: the record says realizing and the
 * process has a temp file in the pool open. */
static void
wait_for_copy (const char *state, const char *pool, GPid pid)
{
  for (int i = 0; i < 300; i++)
    {
      g_autofree char *record = read_state (state);

      if (strstr (record, "<state>realizing</state>") != NULL
          && writes_into (pid, pool))
        return;
      g_usleep (G_USEC_PER_SEC / 10);
    }
  g_error ("the realize never started copying");
}

/* Ctrl-C (data: SIGINT), or SIGHUP (a closed terminal, a dropped ssh):
 * the realize is cancelled and rolled back, not left "realizing". */
static void
test_ctrl_c_rolls_back (gconstpointer data)
{
  int signo = GPOINTER_TO_INT (data);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = vr_testbed_large_import (128);
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *pool = test_mkdtemp ();
  g_autofree char *imported = NULL;
  g_autofree char *record = NULL;
  g_autofree char *domains = NULL;
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "VR_TEST_SLOW_COPY",
                                         "1", TRUE);
  const char *argv[] = { g_getenv ("VR_CLI"), "--direct", "--state-dir",
                         state, "-c", uri, "realize", "vr-guest",
                         "--pool-dir", pool, NULL };
  GPid pid;
  int status = 0;
  int wait_status = 0;

  if (!test_needs_hooks ())
    return;

  imported = test_cli_direct (state, uri, &status, "import", dir, NULL);
  g_assert_cmpint (status, ==, 0);
  g_spawn_async (NULL, (char **) argv, env, G_SPAWN_DO_NOT_REAP_CHILD
                 | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  wait_for_copy (state, pool, pid);
  kill (pid, signo);
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_assert_true (WIFEXITED (wait_status));
  /* Cancelled, not failed: 130 as a shell reports Ctrl-C. */
  g_assert_cmpint (WEXITSTATUS (wait_status), ==, 130);
  record = read_state (state);
  g_assert_nonnull (strstr (record, "<state>planned</state>"));
  g_assert_cmpuint (test_count_entries (pool), ==, 0);
  domains = test_virsh (uri, "list --all --name");
  g_assert_cmpstr (domains, ==, "");
  test_rmtree (state);
  test_rmtree (pool);
  test_rmtree (dir);
}

/* Starts "virt-realize --direct realize vr-guest --pool-dir pool" stalled
 * at point and waits until it says it is there. */
static GPid
realize_stalled_with (const char *state, const char *pool, const char *point,
                      const char *name, const char *extra)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "VR_TEST_STALL_AT",
                                         point, TRUE);
  const char *argv[] = { g_getenv ("VR_CLI"), "--direct", "--state-dir",
                         state, "-c", uri, "realize", name,
                         "--pool-dir", pool, extra, NULL };
  g_autofree char *want = g_strdup_printf ("stalled at %s", point);
  g_autoptr (GString) seen = g_string_new (NULL);
  GPid pid;
  int err_fd = -1;
  char buf[512];
  ssize_t n;

  g_spawn_async_with_pipes (NULL, (char **) argv, env,
                            G_SPAWN_DO_NOT_REAP_CHILD
                            | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid,
                            NULL, NULL, &err_fd, &error);
  g_assert_no_error (error);
  while (strstr (seen->str, want) == NULL
         && (n = read (err_fd, buf, sizeof buf)) > 0)
    g_string_append_len (seen, buf, n);
  g_test_message ("realize said: %s", seen->str);
  g_assert_nonnull (strstr (seen->str, want));
  close (err_fd);
  return pid;
}

static GPid
realize_stalled_at (const char *state, const char *pool, const char *point)
{
  return realize_stalled_with (state, pool, point, "vr-guest", NULL);
}

/* The basic guest imported into a new state directory, and its realize
 * into a new pool stalled at point. */
static GPid
import_and_stall (const char *point, char **state, char **pool)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autofree char *out = NULL;
  int status = 0;

  *state = test_mkdtemp ();
  *pool = test_mkdtemp ();
  out = test_cli_direct (*state, uri, &status, "import", basic, NULL);
  g_assert_cmpint (status, ==, 0);
  return realize_stalled_at (*state, *pool, point);
}

static void
kill_hard (GPid pid)
{
  int wait_status = 0;

  kill (pid, SIGKILL);
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (wait_status));
}

/* SIGKILL right after libvirt defined the domain (before the journal
 * confirmed it): the domain carries the job's tag, destroy is refused
 * while the journal is there, and the next realize rolls the dead one
 * back (no VR1602) and realizes. */
static void
test_crash_after_define (void)
{
  g_autofree char *state = NULL;
  g_autofree char *pool = NULL;
  g_autofree char *out = NULL;
  g_autofree char *record = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *domains = NULL;
  int status = 0;

  if (!test_needs_hooks ())
    return;
  kill_hard (import_and_stall ("defined", &state, &pool));
  record = read_state (state);
  g_assert_nonnull (strstr (record, "<state>realizing</state>"));
  xml = test_virsh (uri, "dumpxml vr-guest");
  g_assert_nonnull (strstr (xml, "http://virt-realize.org/schemas/realize/1"));
  out = test_cli_direct (state, uri, &status, "destroy", "vr-guest", NULL);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (out, "32774"));
  g_assert_nonnull (strstr (out, "unfinished realize"));
  g_free (out);
  out = test_cli_direct (state, uri, &status, "realize", "vr-guest",
                         "--pool-dir", pool, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "realized as domain 'vr-guest'"));
  g_assert_cmpuint (test_count_entries (pool), ==, 0);
  domains = test_virsh (uri, "list --all --name");
  g_assert_cmpstr (domains, ==, "vr-guest");
  g_free (out);
  out = test_virsh (uri, "undefine --managed-save vr-guest");
  g_free (out);
  out = test_cli_direct (state, uri, &status, "destroy", "vr-guest", NULL);
  g_assert_cmpint (status, ==, 0);
  /* libvirt was asked: the domain undefined since is not said to stay. */
  g_assert_nonnull (strstr (out, "Domain 'vr-guest', which its realize "
                                 "defined, was undefined since"));
  g_assert_null (strstr (out, "stays defined"));
  test_rmtree (state);
  test_rmtree (pool);
}

/* The pid of the QEMU that runs domain name, from libvirt's pid file. */
static GPid
qemu_pid (const char *name)
{
  g_autofree char *file = g_strdup_printf ("%s.pid", name);
  g_autofree char *path = g_build_filename (root, "run", "qemu", file, NULL);
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return (GPid) g_ascii_strtoll (text, NULL, 10);
}

/* The disk's copy in the pool (the one file that is not NAME.save). */
static char *
pool_disk (const char *pool)
{
  g_autoptr (GDir) dir = g_dir_open (pool, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (!g_str_has_suffix (name, ".save"))
      return g_build_filename (pool, name, NULL);
  g_error ("no disk copy in %s", pool);
}

/* A write into the running guest's disk, as the guest makes one: its
 * first block written again (same bytes, so the image stays valid, and a
 * new modification time, which is what undo looks at). */
static void
write_as_guest (const char *path, struct stat *after)
{
  char block[4096];
  int fd = open (path, O_RDWR | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  g_usleep (G_USEC_PER_SEC / 50);
  g_assert_cmpint (pread (fd, block, sizeof block, 0), ==, sizeof block);
  g_assert_cmpint (pwrite (fd, block, sizeof block, 0), ==, sizeof block);
  g_assert_cmpint (fsync (fd), ==, 0);
  g_assert_cmpint (fstat (fd, after), ==, 0);
  close (fd);
}

static void
assert_same_file (const char *path, const struct stat *before)
{
  struct stat now;

  g_assert_cmpint (stat (path, &now), ==, 0);
  g_assert_cmpuint (now.st_ino, ==, before->st_ino);
  g_assert_cmpint (now.st_mtim.tv_sec, ==, before->st_mtim.tv_sec);
  g_assert_cmpint (now.st_mtim.tv_nsec, ==, before->st_mtim.tv_nsec);
}

/* The reviewer's data-loss case: SIGKILL right after the link hand-off
 * was made (before the journal confirmed it); a person starts the domain
 * (libvirt restores it from the link and removes the link) and the guest
 * writes its disk. The next realize must not kill it, undefine it or take
 * its disk: it finds the job done (the guest was restored from the
 * hand-off) and records it realized. */
static void
test_crash_after_link_started (void)
{
  g_autofree char *disk = vr_testbed_require ("disk");
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *pool = test_mkdtemp ();
  g_autofree char *out = NULL;
  g_autofree char *path = NULL;
  g_autofree char *shown = NULL;
  int status = 0;
  struct stat written;
  GPid qemu;

  if (!test_needs_hooks ())
    return;
  /* QEMU runs as another user: it must reach the disk's copy. */
  g_assert_cmpint (chmod (pool, 0755), ==, 0);
  out = test_cli_direct (state, uri, &status, "import", disk, NULL);
  g_assert_cmpint (status, ==, 0);
  kill_hard (realize_stalled_with (state, pool, "handed", "vr-guest-disk",
                                   "--copy-disks"));
  g_free (out);
  out = test_virsh_all (uri, "start vr-guest-disk; domstate --reason "
                             "vr-guest-disk");
  g_test_message ("virsh said: %s", out);
  g_assert_nonnull (strstr (out, "running (restored)"));
  qemu = qemu_pid ("vr-guest-disk");
  path = pool_disk (pool);
  write_as_guest (path, &written);
  g_free (out);
  out = test_cli_direct (state, uri, &status, "realize", "vr-guest-disk",
                         "--pool-dir", pool, "--copy-disks", NULL);
  g_test_message ("rerun said: %s", out);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (out, "interrupted after its hand-off"));
  g_assert_nonnull (strstr (out, "restored from its saved state"));
  shown = test_cli_direct (state, uri, &status, "--json", "show",
                           "vr-guest-disk", NULL);
  g_assert_nonnull (strstr (shown, "\"state\" : \"realized\""));
  g_free (out);
  out = test_virsh (uri, "domstate vr-guest-disk");
  g_assert_cmpstr (out, ==, "running");
  g_assert_cmpint (qemu_pid ("vr-guest-disk"), ==, qemu);
  g_assert_cmpint (kill (qemu, 0), ==, 0);
  assert_same_file (path, &written);
  /* The pool's copy of the saved state went, as after a whole realize. */
  g_assert_cmpuint (test_count_entries (pool), ==, 1);
  g_free (out);
  out = test_virsh (uri, "destroy vr-guest-disk; undefine vr-guest-disk");
  test_rmtree (state);
  test_rmtree (pool);
}

/* SIGKILL before the hand-off (stalled at handoff: defined, no link);
 * a person boots the domain afresh. The next realize keeps it running,
 * with every file the job made, records the planned system failed with a
 * message naming the domain and what was kept, and goes no further. */
static void
test_crash_before_handoff_booted (void)
{
  g_autofree char *disk = vr_testbed_require ("disk");
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *pool = test_mkdtemp ();
  g_autofree char *out = NULL;
  g_autofree char *path = NULL;
  g_autofree char *record = NULL;
  int status = 0;
  struct stat written;
  GPid qemu;

  if (!test_needs_hooks ())
    return;
  /* QEMU runs as another user: it must reach the disk's copy. */
  g_assert_cmpint (chmod (pool, 0755), ==, 0);
  out = test_cli_direct (state, uri, &status, "import", disk, NULL);
  g_assert_cmpint (status, ==, 0);
  kill_hard (realize_stalled_with (state, pool, "handoff", "vr-guest-disk",
                                   "--copy-disks"));
  g_free (out);
  out = test_virsh (uri, "start vr-guest-disk; domstate --reason "
                         "vr-guest-disk");
  g_assert_nonnull (strstr (out, "running (booted)"));
  qemu = qemu_pid ("vr-guest-disk");
  path = pool_disk (pool);
  write_as_guest (path, &written);
  g_free (out);
  out = test_cli_direct (state, uri, &status, "realize", "vr-guest-disk",
                         "--pool-dir", pool, "--copy-disks", NULL);
  g_test_message ("rerun said: %s", out);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (out, "32774"));
  g_assert_nonnull (strstr (out, "domain 'vr-guest-disk'"));
  g_assert_nonnull (strstr (out, "it is running"));
  g_assert_nonnull (strstr (out, "nothing was removed"));
  record = read_state (state);
  g_assert_nonnull (strstr (record, "<state>failed</state>"));
  g_free (out);
  out = test_virsh (uri, "domstate vr-guest-disk");
  g_assert_cmpstr (out, ==, "running");
  g_assert_cmpint (qemu_pid ("vr-guest-disk"), ==, qemu);
  assert_same_file (path, &written);
  g_assert_cmpuint (test_count_entries (pool), ==, 2);
  g_free (out);
  out = test_virsh (uri, "destroy vr-guest-disk; undefine vr-guest-disk");
  test_rmtree (state);
  test_rmtree (pool);
}

/* validate says what realize would refuse about where it writes: an
 * import directory inside the default pool (VR1508; realize 32773), and a
 * NAME.save in libvirt's save directory that is no domain's (VR1605;
 * realize 32774). Neither is touched. */
static void
test_validate_tells_targets (void)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *exports = g_build_filename (root, "lib", "libvirt",
                                               "images", "exports", NULL);
  g_autofree char *vm = g_build_filename (exports, "vm", NULL);
  g_autofree char *save_dir = g_build_filename (root, "lib", "qemu", "save",
                                                NULL);
  g_autofree char *foreign = g_build_filename (save_dir, "vr-guest.save",
                                               NULL);
  g_autofree char *out = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  const char *cp[] = { "cp", "-a", basic, vm, NULL };
  int status = 0;

  g_assert_cmpint (g_mkdir_with_parents (exports, 0755), ==, 0);
  g_assert_true (g_spawn_sync (NULL, (char **) cp, NULL,
                               G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                               &status, &error));
  g_assert_no_error (error);
  out = test_cli_direct (state, uri, &status, "import", vm, NULL);
  g_assert_cmpint (status, ==, 0);
  g_free (out);
  out = test_cli_direct (state, uri, &status, "validate", "vr-guest", NULL);
  g_test_message ("validate said: %s", out);
  g_assert_nonnull (strstr (out, "VR1508"));
  g_assert_nonnull (strstr (out, "contains the import directory"));
  g_free (out);
  out = test_cli_direct (state, uri, &status, "realize", "vr-guest", NULL);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (out, "32773"));
  g_free (out);
  out = test_cli_direct (state, uri, &status, "destroy", "vr-guest", NULL);
  g_assert_cmpint (status, ==, 0);
  test_rmtree (exports);

  g_assert_cmpint (g_mkdir_with_parents (save_dir, 0755), ==, 0);
  test_write_file (save_dir, "vr-guest.save", "someone's", -1);
  g_free (out);
  out = test_cli_direct (state, uri, &status, "import", basic, NULL);
  g_assert_cmpint (status, ==, 0);
  g_free (out);
  out = test_cli_direct (state, uri, &status, "validate", "vr-guest", NULL);
  g_test_message ("validate said: %s", out);
  g_assert_nonnull (strstr (out, "VR1605"));
  g_assert_nonnull (strstr (out, foreign));
  g_free (out);
  out = test_cli_direct (state, uri, &status, "realize", "vr-guest", NULL);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (out, "32774"));
  /* libvirt's own managed save would write over it: the finding stops
   * that realize before anything is made. */
  g_free (out);
  out = test_cli_direct (state, uri, &status, "realize", "vr-guest",
                         "--handoff", "managedsave", NULL);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (out, "VR1605"));
  g_assert_true (g_file_get_contents (foreign, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "someone's");
  g_assert_cmpint (unlink (foreign), ==, 0);
  test_rmtree (state);
}

/* destroy while a realize runs (another process holds the planned
 * system): refused with 32774, the realize unharmed. */
static void
test_destroy_during_realize (void)
{
  g_autofree char *state = NULL;
  g_autofree char *pool = NULL;
  g_autofree char *out = NULL;
  g_autofree char *record = NULL;
  int status = 0;
  GPid pid;

  if (!test_needs_hooks ())
    return;
  pid = import_and_stall ("update", &state, &pool);
  out = test_cli_direct (state, NULL, &status, "destroy", "vr-guest", NULL);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (out, "32774"));
  kill (pid, SIGINT);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  record = read_state (state);
  g_assert_nonnull (strstr (record, "<state>planned</state>"));
  g_assert_cmpuint (test_count_entries (pool), ==, 0);
  test_rmtree (state);
  test_rmtree (pool);
}

/* The fix of the first finding with id in validate --json's output, as
 * "XPATH=VALUE" (or "-XPATH" for a removal); NULL without one. */
static char *
fix_of (const char *json, const char *id)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonArray *findings;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  findings = json_object_get_array_member (
      json_node_get_object (json_parser_get_root (parser)), "findings");
  for (guint i = 0; i < json_array_get_length (findings); i++)
    {
      JsonObject *finding = json_array_get_object_element (findings, i);
      JsonNode *fix = json_object_get_member (finding, "fix");
      JsonObject *object;

      if (!g_str_equal (json_object_get_string_member (finding, "id"), id))
        continue;
      g_assert_nonnull (fix);
      if (JSON_NODE_HOLDS_NULL (fix))
        return NULL;
      object = json_node_get_object (fix);
      if (json_object_has_member (object, "remove"))
        return g_strconcat ("-", json_object_get_string_member (object,
                                                                "xpath"),
                            NULL);
      return g_strdup_printf ("%s=%s",
                              json_object_get_string_member (object, "xpath"),
                              json_object_get_string_member (object, "value"));
    }
  g_error ("no %s in %s", id, json);
  return NULL;
}

/* A finding's fix is data (--json "fix"), not a command to read out of
 * the hint: applied as it is, the finding is gone. */
static void
test_validate_structured_fix (void)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *out = NULL;
  g_autofree char *fix = NULL;
  int status = 0;

  g_free (test_cli_direct (state, uri, &status, "import", basic, NULL));
  g_assert_cmpint (status, ==, 0);
  g_free (test_cli_direct (state, uri, &status, "edit", "vr-guest", "--set",
                           "/domain/vcpu=2", NULL));
  g_assert_cmpint (status, ==, 3);
  out = test_cli_direct (state, uri, &status, "--json", "validate",
                         "vr-guest", NULL);
  g_assert_cmpint (status, ==, 3);
  fix = fix_of (out, "VR1705");
  g_assert_cmpstr (fix, ==, "/domain/vcpu=1");
  g_free (out);
  out = test_cli_direct (state, uri, &status, "edit", "vr-guest", "--set",
                         fix, NULL);
  g_assert_cmpint (status, ==, 0);
  g_free (out);
  out = test_cli_direct (state, uri, &status, "--json", "validate",
                         "vr-guest", NULL);
  g_assert_cmpint (status, ==, 0);
  test_rmtree (state);
}

/* A planned system realized already does not "fit": validate says it is
 * realized, as which domain and what to do instead (VR1005, an error, in
 * text and --json), as realize then refuses it (32775), in one wording. */
static void
test_validate_realized (void)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *text = NULL;
  g_autofree char *json = NULL;
  g_autofree char *again = NULL;
  const char *why = "planned system 'vr-guest' is realized already (as "
                    "domain 'vr-guest'";
  int status = 0;

  g_free (test_cli_direct (state, uri, &status, "import", basic, NULL));
  g_assert_cmpint (status, ==, 0);
  g_free (test_cli_direct (state, uri, &status, "realize", "vr-guest", NULL));
  g_assert_cmpint (status, ==, 0);
  text = test_cli_direct (state, uri, &status, "validate", "vr-guest", NULL);
  g_test_message ("%s", text);
  g_assert_cmpint (status, ==, 3);
  g_assert_nonnull (strstr (text, "error VR1005"));
  g_assert_nonnull (strstr (text, why));
  g_assert_nonnull (strstr (text, "destroy this planned system"));
  g_assert_nonnull (strstr (text, "realized already: realize refuses it"));
  g_assert_null (strstr (text, "fits this host"));
  json = test_cli_direct (state, uri, &status, "--json", "validate",
                          "vr-guest", NULL);
  g_assert_cmpint (status, ==, 3);
  g_assert_nonnull (strstr (json, "\"fits\" : false"));
  g_assert_nonnull (strstr (json, "\"VR1005\""));
  again = test_cli_direct (state, uri, &status, "realize", "vr-guest", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (again, "(32775)"));
  g_assert_nonnull (strstr (again, why));
  g_free (test_virsh (uri, "undefine --managed-save vr-guest"));
  test_rmtree (state);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  root = vr_testbed_new_root ("cli-realize");
  uri = vr_testbed_root_uri (root);
  g_test_add_func ("/cli-realize/start-resumes", test_realize_start_resumes);
  g_test_add_func ("/cli-realize/validate-structured-fix",
                   test_validate_structured_fix);
  g_test_add_data_func ("/cli-realize/ctrl-c-rolls-back",
                        GINT_TO_POINTER (SIGINT), test_ctrl_c_rolls_back);
  g_test_add_data_func ("/cli-realize/sighup-rolls-back",
                        GINT_TO_POINTER (SIGHUP), test_ctrl_c_rolls_back);
  g_test_add_func ("/cli-realize/crash-after-define",
                   test_crash_after_define);
  g_test_add_func ("/cli-realize/crash-after-link-started",
                   test_crash_after_link_started);
  g_test_add_func ("/cli-realize/crash-before-handoff-booted",
                   test_crash_before_handoff_booted);
  g_test_add_func ("/cli-realize/validate-tells-targets",
                   test_validate_tells_targets);
  g_test_add_func ("/cli-realize/destroy-during-realize",
                   test_destroy_during_realize);
  g_test_add_func ("/cli-realize/validate-realized",
                   test_validate_realized);
  status = g_test_run ();
  test_rmtree (root);
  g_free (root);
  g_free (uri);
  return status;
}
