/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kill-anywhere trials: realize, export and import, each killed, then
 * recovered and checked (the invariants are listed in kill-anywhere.c). */
#include "config.h"

#include "kill-anywhere.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safe-xml.h"

static gboolean
has_domain (const char *uuid)
{
  g_autofree char *uuids = test_virsh (T.uri, "list --all --uuid");

  return strstr (uuids, uuid) != NULL;
}

static gboolean
is_running (const char *name)
{
  g_autofree char *cmd = g_strdup_printf ("domstate %s", name);
  g_autofree char *state = test_virsh (T.uri, cmd);

  return g_str_equal (state, "running");
}

/* The invariants of a realize after recovery; returns the state. */
static char *
check_realize_recovered (const Guest *g, const char *state, const char *pool,
                         const char *tree)
{
  char *st = test_record_state (state, g->uuid);
  /* "failed" is rolled back too (the realize failed before the kill). */
  gboolean undone = g_strcmp0 (st, "planned") == 0
                    || g_strcmp0 (st, "failed") == 0;
  g_autofree char *extra = NULL;
  g_autofree char *managed = managed_save_of (T.root, g->name);
  g_autofree char *now = test_snapshot_tree (g->dir);
  g_autofree char *folder = g_build_filename (state, g->uuid, NULL);
  g_autofree char *sentinel = g_build_filename (pool, SENTINEL, NULL);
  g_autofree char *sentinel_text = NULL;
  gboolean domain = has_domain (g->uuid);

  if (!undone && g_strcmp0 (st, "realized") != 0)
    violation ("planned system is '%s' after recovery", st ? st : "gone");
  if (exists_at (folder, "journal.xml"))
    violation ("a journal is left after recovery");
  if (g_strcmp0 (now, tree) != 0)
    violation ("the import directory %s changed", g->dir);
  if (!g_file_get_contents (sentinel, &sentinel_text, NULL, NULL)
      || g_strcmp0 (sentinel_text, "not ours") != 0)
    violation ("the pool's %s (not the job's) changed or went", SENTINEL);
  extra = extra_entries (pool, NULL);
  if (g_strcmp0 (st, "realized") == 0)
    {
      if (!domain)
        violation ("realized, but no domain %s", g->uuid);
      /* (--start resumed it already: the managed save is used up.) */
      if (!g_file_test (managed, G_FILE_TEST_EXISTS)
          && !is_running (g->name))
        violation ("realized, but no managed save %s", managed);
      /* With --copy-disks the disk copies are the realized domain's. */
      if (!g->copy_disks && *extra != '\0')
        violation ("realized, and the pool holds %s", extra);
    }
  else
    {
      if (domain)
        violation ("domain %s defined, but the record says '%s'", g->uuid,
                   st);
      if (g_file_test (managed, G_FILE_TEST_EXISTS))
        violation ("%s left, but the record says '%s'", managed, st);
      if (*extra != '\0')
        violation ("the pool holds %s, but the record says '%s'", extra, st);
    }
  return st;
}

/* virsh start resumes the guest from its saved state. */
static void
check_resumes (const Guest *g)
{
  g_autofree char *cmd = g_strdup_printf ("start %s; domstate %s --reason",
                                          g->name, g->name);
  g_autofree char *out = test_virsh (T.uri, cmd);

  T.resumes++;
  if (strstr (out, "running (restored)") == NULL)
    violation ("%s did not resume: %s", g->name, out);
}

static void
remove_guest (const Guest *g)
{
  g_autofree char *cmd = g_strdup_printf (
      "destroy %s; undefine %s --managed-save --nvram", g->uuid, g->uuid);

  g_free (test_virsh (T.uri, cmd));
}

static const char *const *
realize_args (const Guest *g, const char *pool, gboolean start)
{
  static const char *args[8];
  guint n = 0;

  args[n++] = "realize";
  args[n++] = g->name;
  args[n++] = "--pool-dir";
  args[n++] = pool;
  if (g->copy_disks)
    args[n++] = "--copy-disks";
  if (start)
    args[n++] = "--start";
  args[n] = NULL;
  return args;
}

/* The next realize recovers first; it realizes, or (when the killed job
 * had done its last step, which recovery then records) says the planned
 * system is realized already. Returns the
 * state it left, checked. */
static char *
next_realize (const Guest *g, const char *state, const char *pool,
              const char *tree)
{
  g_autofree char *out = NULL;
  int status = cli (state, T.uri, &out, realize_args (g, pool, FALSE));
  char *after = test_record_state (state, g->uuid);

  if (status != 0
      && !(g_strcmp0 (after, "realized") == 0
           && strstr (out, "realized already") != NULL))
    violation ("realize after the kill failed: %s", out);
  g_free (after);
  return check_realize_recovered (g, state, pool, tree);
}

/* Someone starts the domain a killed realize left (virsh start: restored
 * from the hand-off when it was made, else booted); its domain id, or
 * NULL when there is no domain or it did not start. */
static char *
start_left_domain (const Guest *g)
{
  g_autofree char *cmd = g_strdup_printf ("start %s; domid %s", g->name,
                                          g->name);
  char *id;

  if (!has_domain (g->uuid))
    return NULL;
  id = test_virsh (T.uri, cmd);
  if (is_running (g->name))
    return id;
  g_free (id);
  return NULL;
}

/* Recovery of a job whose domain was started since: it still runs (the
 * same QEMU: the same domain id), and the job is ended, never undone. */
static void
check_started_kept (const Guest *g, const char *state, const char *id,
                    const char *tree)
{
  g_autofree char *st = test_record_state (state, g->uuid);
  g_autofree char *cmd = g_strdup_printf ("domid %s", g->name);
  g_autofree char *now = test_virsh (T.uri, cmd);
  g_autofree char *folder = g_build_filename (state, g->uuid, NULL);
  g_autofree char *after = test_snapshot_tree (g->dir);

  if (!is_running (g->name) || g_strcmp0 (now, id) != 0)
    violation ("the domain started after the kill (id %s) was stopped by "
               "recovery (now '%s')", id, now);
  if (g_strcmp0 (st, "realized") != 0 && g_strcmp0 (st, "failed") != 0)
    violation ("planned system is '%s' after recovering a started domain",
               st ? st : "gone");
  if (exists_at (folder, "journal.xml"))
    violation ("a journal is left after recovery");
  if (g_strcmp0 (after, tree) != 0)
    violation ("the import directory %s changed", g->dir);
}

void
trial_realize (const Case *c)
{
  const Guest *g = &T.guests[g_rand_int_range (T.rand, 0, 3)];
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *pool = test_mkdtemp ();
  g_autofree char *tree = test_snapshot_tree (g->dir);
  g_autofree char *where = NULL;
  g_autofree char *st = NULL;
  g_autofree char *out = NULL;
  g_autofree char *log = log_path ("realize");
  const char *import[] = { "import", g->dir, NULL };
  gboolean start = g_str_equal (c->point, "start");
  gboolean agent_recovers = c->agent || g_rand_boolean (T.rand);
  gboolean killed;
  g_autofree char *id = NULL;

  g_assert_cmpint (chmod (pool, 0755), ==, 0);
  test_write_file (pool, SENTINEL, "not ours", -1);
  if (cli (state, T.uri, &out, import) != 0)
    g_error ("trial %u: import failed: %s", T.trial, out);
  if (c->agent)
    {
      GSubprocess *agent = start_agent (state, hook_env (c->point));
      g_autofree char *agent_log = log_path ("agent");
      g_autoptr (GPtrArray) argv = cli_argv (NULL, NULL,
                                             realize_args (g, pool, start));
      g_autoptr (GSubprocess) client = spawn (
          (const char *const *) argv->pdata, log, NULL);

      killed = run_and_kill (agent, agent_log, client, c->point, pool, NULL,
                             &where);
      g_object_unref (agent);
      wait_client (client);
    }
  else
    {
      g_autoptr (GPtrArray) argv = cli_argv (state, T.uri,
                                             realize_args (g, pool, start));
      g_autoptr (GSubprocess) worker = spawn (
          (const char *const *) argv->pdata, log, hook_env (c->point));

      killed = run_and_kill (worker, log, NULL, c->point, pool, NULL,
                             &where);
    }
  g_string_append_printf (T.summary, "trial %u: realize %s%s%s, %s %s%s\n",
                          T.trial, g->name, g->copy_disks ? " --copy-disks"
                                                          : "",
                          c->agent ? " (agent)" : " (--direct)",
                          killed ? "killed" : "ended before the kill",
                          where, agent_recovers ? ", agent recovers"
                                                : ", next realize recovers");
  /* A third of the kills: a person starts what was left first. */
  if (killed && !start && g_rand_int_range (T.rand, 0, 3) == 0
      && (id = start_left_domain (g)) != NULL)
    {
      const char *const *args = realize_args (g, pool, FALSE);

      g_string_append_printf (T.summary, "trial %u: domain started (id %s) "
                              "before recovery\n", T.trial, id);
      if (agent_recovers)
        stop_agent (start_agent (state, NULL));
      else
        cli (state, T.uri, &out, args);
      check_started_kept (g, state, id, tree);
      remove_guest (g);
      test_rmtree (state);
      test_rmtree (pool);
      return;
    }
  if (agent_recovers)
    {
      stop_agent (start_agent (state, NULL));
      st = check_realize_recovered (g, state, pool, tree);
    }
  else
    st = next_realize (g, state, pool, tree);
  if (g_strcmp0 (st, "realized") != 0)
    {
      g_free (st);
      st = next_realize (g, state, pool, tree);
      if (g_strcmp0 (st, "realized") != 0)
        violation ("the planned system is '%s' after a realize", st);
    }
  if (T.trial % RESUME_EVERY == 0 && !start)
    check_resumes (g);
  remove_guest (g);
  test_rmtree (state);
  test_rmtree (pool);
}

char *
source_xml (void)
{
  return test_virsh (T.src_uri, "dumpxml --inactive --security-info "
                                DISK_NAME);
}

static gboolean
same_file (const char *a, const char *b)
{
  g_autofree char *x = test_sha256_file (a);
  g_autofree char *y = test_sha256_file (b);

  return g_strcmp0 (x, y) == 0;
}

/* A copy's named temp file is in dir or dir/disks (where O_TMPFILE is
 * not supported). */
static gboolean
has_temp (const char *dir)
{
  g_autofree char *disks = g_build_filename (dir, "disks", NULL);
  const char *dirs[] = { dir, disks };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autoptr (GDir) d = g_dir_open (dirs[i], 0, NULL);
      const char *entry;

      while (d != NULL && (entry = g_dir_read_name (d)) != NULL)
        if (g_str_has_prefix (entry, ".vr-copy-"))
          return TRUE;
    }
  return FALSE;
}

/* A file under a final name in an export that did not finish must be
 * whole; no copy's temp file may be left. */
static void
check_export_files (const char *out, const char *managed)
{
  g_autofree char *save = g_build_filename (out, DISK_NAME ".save", NULL);
  g_autofree char *disk = g_build_filename (out, "disks", "disk0.qcow2",
                                            NULL);
  g_autofree char *xml_path = g_build_filename (out, "domain.xml", NULL);
  g_autofree char *xml = NULL;
  gsize len;

  if (has_temp (out))
    violation ("export left a half copy (%s*) in %s", ".vr-copy-", out);
  if (g_file_get_contents (xml_path, &xml, &len, NULL))
    {
      g_autoptr (xmlDoc) doc = vr_xml_parse_buffer (xml, len, xml_path,
                                                    "domain", NULL);

      if (doc == NULL)
        violation ("%s is not a whole domain XML", xml_path);
    }
  if (g_file_test (save, G_FILE_TEST_EXISTS) && !same_file (save, managed))
    violation ("%s differs from the managed save it copies", save);
  if (g_file_test (disk, G_FILE_TEST_EXISTS)
      && !same_file (disk, T.src_disk))
    violation ("%s differs from the disk it copies", disk);
}

/* A finished export must import (which verifies its manifest). */
static void
check_export_complete (const char *out)
{
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *text = NULL;
  const char *import[] = { "import", out, NULL };

  if (cli (state, "test:///default", &text, import) != 0)
    violation ("the finished export does not import: %s", text);
  test_rmtree (state);
}

/* The source's state once libvirt recovered it. A process that dies in
 * the middle of a managed save leaves the guest paused (saving) in an
 * embedded root, which that process was the driver of; the next process
 * that opens the root cancels the save job and resumes the guest, in a
 * thread of its reconnect: a short-lived virsh may leave before it ends,
 * so a paused guest is looked at again from a virsh that stays a while. */
static char *
source_state (void)
{
  char *state = test_virsh (T.src_uri, "domstate " DISK_NAME);

  for (guint i = 0; i < 5 && g_str_has_prefix (state, "paused"); i++)
    {
      g_free (state);
      state = test_virsh (T.src_uri, "event --all --timeout 2; domstate "
                                     DISK_NAME);
      /* event prints its own line first; the state is the last one. */
      if (strrchr (state, '\n') != NULL)
        memmove (state, strrchr (state, '\n') + 1,
                 strlen (strrchr (state, '\n') + 1) + 1);
    }
  return state;
}

/* The source must be as it was: same definition, running or resumable
 * from its managed save; it is left running for the next trial. */
static void
check_source (const char *before, const char *managed)
{
  g_autofree char *after = source_xml ();
  g_autofree char *state = source_state ();

  if (g_strcmp0 (before, after) != 0)
    violation ("the source domain's definition changed");
  if (g_str_equal (state, "running"))
    return;
  if (!g_file_test (managed, G_FILE_TEST_EXISTS))
    {
      violation ("the source domain is '%s' without a managed save", state);
      g_free (test_virsh (T.src_uri, "destroy " DISK_NAME "; start "
                                     DISK_NAME));
      return;
    }
  g_free (state);
  state = test_virsh (T.src_uri, "start " DISK_NAME "; domstate "
                                 DISK_NAME " --reason");
  if (strstr (state, "running (restored)") == NULL)
    violation ("the source domain did not resume: %s", state);
}

void
trial_export (const Case *c)
{
  g_autofree char *out = g_strdup_printf ("%s/export-%u", T.work, T.trial);
  g_autofree char *log = log_path ("export");
  g_autofree char *before = source_xml ();
  g_autofree char *managed = managed_save_of (T.src_root, DISK_NAME);
  g_autofree char *manifest = g_build_filename (out, "manifest.xml", NULL);
  g_autofree char *where = NULL;
  const char *args[] = { "export", DISK_NAME, out, "--save", "--with-disks",
                         NULL };
  g_autoptr (GPtrArray) argv = cli_argv (T.work, T.src_uri, args);
  g_autoptr (GSubprocess) worker = spawn (
      (const char *const *) argv->pdata, log, hook_env (c->point));
  gboolean killed = run_and_kill (worker, log, NULL, c->point, NULL, out,
                                  &where);

  g_string_append_printf (T.summary, "trial %u: export --save "
                          "--with-disks, %s %s\n", T.trial,
                          killed ? "killed" : "ended before the kill", where);
  if (g_file_test (manifest, G_FILE_TEST_EXISTS))
    check_export_complete (out);
  else
    check_export_files (out, managed);
  check_source (before, managed);
  test_rmtree (out);
}

/* Every folder of the state directory is a whole planned system; with
 * after_retry, no dead import's folder is left either. */
static void
check_state_dir (const char *state, gboolean after_retry)
{
  g_autoptr (GDir) dir = g_dir_open (state, 0, NULL);
  const char *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *st = NULL;

      if (g_str_equal (entry, ".lock"))
        continue;
      if (g_str_has_prefix (entry, ".new-"))
        {
          if (after_retry)
            violation ("a dead import's %s/%s is left", state, entry);
          continue;
        }
      st = test_record_state (state, entry);
      if (g_strcmp0 (st, "planned") != 0)
        violation ("%s/%s is no whole planned system (state %s)", state,
                   entry, st ? st : "none");
    }
}

void
trial_import (const Case *c)
{
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *tree = test_snapshot_tree (T.manifest_dir);
  g_autofree char *log = log_path ("import");
  g_autofree char *where = NULL;
  g_autofree char *out = NULL;
  g_autofree char *now = NULL;
  g_autofree char *st = NULL;
  const char *args[] = { "import", T.manifest_dir, NULL };
  gboolean killed;
  int status;

  if (c->agent)
    {
      GSubprocess *agent = start_agent (state, hook_env (c->point));
      g_autofree char *agent_log = log_path ("agent");
      g_autoptr (GPtrArray) argv = cli_argv (NULL, NULL, args);
      g_autoptr (GSubprocess) client = spawn (
          (const char *const *) argv->pdata, log, NULL);

      killed = run_and_kill (agent, agent_log, client, c->point, NULL, NULL,
                             &where);
      g_object_unref (agent);
      wait_client (client);
      stop_agent (start_agent (state, NULL));
    }
  else
    {
      g_autoptr (GPtrArray) argv = cli_argv (state, T.uri, args);
      g_autoptr (GSubprocess) worker = spawn (
          (const char *const *) argv->pdata, log, hook_env (c->point));

      killed = run_and_kill (worker, log, NULL, c->point, NULL, NULL,
                             &where);
    }
  g_string_append_printf (T.summary, "trial %u: import%s, %s %s\n", T.trial,
                          c->agent ? " (agent)" : " (--direct)",
                          killed ? "killed" : "ended before the kill", where);
  check_state_dir (state, FALSE);
  status = cli (state, T.uri, &out, args);
  if (status != 0 && strstr (out, "already imported") == NULL)
    violation ("import after the kill failed: %s", out);
  check_state_dir (state, TRUE);
  st = test_record_state (state, BASIC_UUID);
  if (st == NULL)
    violation ("no planned system after importing again");
  now = test_snapshot_tree (T.manifest_dir);
  if (g_strcmp0 (now, tree) != 0)
    violation ("the import directory changed");
  test_rmtree (state);
}
