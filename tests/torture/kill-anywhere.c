/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kill-anywhere trials: realize, export and import real saved guests from
 * the test bed, SIGKILL the process doing it (the CLI with --direct, or the
 * agent on a private session bus) at a step boundary (VR_TEST_STALL_AT) or
 * at a random moment (VR_TEST_SLOW_COPY and a random delay, often inside a
 * copy), let the next command or agent start recover, and check that
 * nothing is half:
 *
 *   realize: the planned system is planned (or failed: rolled back) or
 *     realized, never realizing; planned means the
 *     pool holds only what was there before, the save directory no managed
 *     save, libvirt no domain of its UUID, the state folder no journal;
 *     realized means a domain and its managed save; the import directory's
 *     tree is unchanged; a following realize succeeds and (every few
 *     trials) `virsh start` resumes the guest ("running (restored)").
 *     A third of the killed realizes: a person starts the domain left
 *     (`virsh start`) before recovery; recovery then never stops it (the
 *     same domain id runs on) and ends the job as realized or failed,
 *     never rolled back.
 *   export: with manifest.xml the export is complete (import verifies it);
 *     without, every file under a final name is whole (the same bytes as
 *     its source) and no copy's temp file is left; the source domain's
 *     definition is unchanged and it runs, or resumes from its managed
 *     save.
 *   import: the state directory holds no folder that is not a whole
 *     planned system, and importing again works.
 *
 * Usage: kill-anywhere [--trials N] [--seed S] (or VR_TORTURE_TRIALS,
 * VR_TORTURE_SEED); every violation is printed with its trial and the seed,
 * and the test fails if there was any. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kill-anywhere.h"
#include "manifest.h"
#include "progress.h"
#include "safe-xml.h"
#include "test-hooks.h"
#include "test-util.h"
#include "testbed.h"

static const Case cases[] = {
  { OP_REALIZE, FALSE, "validate" }, { OP_REALIZE, FALSE, "copy" },
  { OP_REALIZE, FALSE, "update" },   { OP_REALIZE, FALSE, "define" },
  { OP_REALIZE, FALSE, "handoff" },  { OP_REALIZE, FALSE, "start" },
  { OP_REALIZE, FALSE, "defined" },  { OP_REALIZE, FALSE, "rollback" },
  { OP_REALIZE, FALSE, "handed" },   { OP_REALIZE, FALSE, "random" },
  { OP_REALIZE, TRUE, "validate" },  { OP_REALIZE, TRUE, "copy" },
  { OP_REALIZE, TRUE, "update" },    { OP_REALIZE, TRUE, "define" },
  { OP_REALIZE, TRUE, "handoff" },   { OP_REALIZE, TRUE, "defined" },
  { OP_REALIZE, TRUE, "rollback" },  { OP_REALIZE, TRUE, "random" },
  { OP_REALIZE, TRUE, "handed" },
  { OP_EXPORT, FALSE, "save" },      { OP_EXPORT, FALSE, "xml" },
  { OP_EXPORT, FALSE, "copy" },      { OP_EXPORT, FALSE, "disks" },
  { OP_EXPORT, FALSE, "manifest" },  { OP_EXPORT, FALSE, "random" },
  { OP_IMPORT, FALSE, "verify" },    { OP_IMPORT, FALSE, "store" },
  { OP_IMPORT, FALSE, "random" },    { OP_IMPORT, TRUE, "verify" },
  { OP_IMPORT, TRUE, "store" },      { OP_IMPORT, TRUE, "random" },
};

Torture T;

/* The disk guest realized (with its disk copied) and started in the
 * source root: what the export trials save and export. */
static void
make_source (void)
{
  g_autofree char *state = g_build_filename (T.work, "src-state", NULL);
  g_autofree char *pool = g_build_filename (T.src_root, "pool", NULL);
  g_autofree char *out = NULL;
  g_autofree char *xml = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  const char *import[] = { "import", T.guests[1].dir, NULL };
  const char *realize[] = { "realize", DISK_NAME, "--pool-dir", pool,
                            "--copy-disks", "--start", NULL };

  g_assert_cmpint (g_mkdir_with_parents (pool, 0755), ==, 0);
  if (cli (state, T.src_uri, &out, import) != 0
      || cli (state, T.src_uri, &out, realize) != 0)
    g_error ("cannot make the export source: %s", out);
  xml = source_xml ();
  doc = vr_xml_parse_buffer (xml, strlen (xml), "source", "domain", NULL);
  g_assert_nonnull (doc);
  T.src_disk = vr_xml_xpath_string (doc,
                                    "string(/domain/devices/disk/source/@file)");
  g_assert_nonnull (T.src_disk);
}

/* A copy of the large import with a manifest, so that import hashes
 * 128 MiB before it records anything. */
static char *
make_manifest_dir (void)
{
  char *dir = vr_testbed_large_import (128);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrProgress) progress = vr_progress_new (NULL, NULL);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_autofree char *xml = NULL;

  g_assert_cmpint (fd, >=, 0);
  xml = vr_manifest_build (fd, dir, progress, NULL, &error);
  g_assert_no_error (error);
  close (fd);
  test_write_file (dir, "manifest.xml", xml, -1);
  return dir;
}

static void
set_up (void)
{
  T.work = test_mkdtemp ();
  g_assert_cmpint (chmod (T.work, 0755), ==, 0);
  T.root = vr_testbed_new_root ("kill-anywhere");
  T.uri = vr_testbed_root_uri (T.root);
  T.src_root = vr_testbed_new_root ("kill-anywhere-src");
  T.src_uri = vr_testbed_root_uri (T.src_root);
  T.guests[0] = (Guest) { vr_testbed_require ("basic"), BASIC_NAME,
                          BASIC_UUID, FALSE };
  T.guests[1] = (Guest) { vr_testbed_require ("disk"), DISK_NAME, DISK_UUID,
                          TRUE };
  T.guests[2] = (Guest) { vr_testbed_large_import (64), BASIC_NAME,
                          BASIC_UUID, FALSE };
  T.manifest_dir = make_manifest_dir ();
  start_bus ();
  make_source ();
}

static void
tear_down (void)
{
  g_free (test_virsh (T.src_uri, "destroy " DISK_NAME "; undefine "
                                 DISK_NAME " --managed-save --nvram"));
  g_subprocess_send_signal (T.bus, SIGTERM);
  g_subprocess_wait (T.bus, NULL, NULL);
  g_clear_object (&T.bus);
  test_rmtree ((char *) T.guests[2].dir);
  test_rmtree (T.manifest_dir);
  if (T.violations == 0)
    test_rmtree (T.work);
  else
    g_printerr ("logs kept in %s\n", T.work);
}

static void
test_kill_anywhere (void)
{
  g_autofree guint *order = g_new (guint, G_N_ELEMENTS (cases));
  gint64 started;

  if (!test_needs_hooks ())
    return;
  if (getuid () != 0)
    {
      g_test_skip ("needs root (embedded QEMU roots, libvirt-qemu)");
      return;
    }
  set_up ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    order[i] = i;
  started = g_get_monotonic_time ();
  for (T.trial = 0; T.trial < T.trials; T.trial++)
    {
      guint k = T.trial % G_N_ELEMENTS (cases);
      const Case *c;

      /* Each round through the cases in another order. */
      if (k == 0)
        for (guint i = G_N_ELEMENTS (cases) - 1; i > 0; i--)
          {
            guint j = g_rand_int_range (T.rand, 0, i + 1);
            guint swap = order[i];

            order[i] = order[j];
            order[j] = swap;
          }
      c = &cases[order[k]];
      if (c->op == OP_REALIZE)
        trial_realize (c);
      else if (c->op == OP_EXPORT)
        trial_export (c);
      else
        trial_import (c);
      g_test_message ("%s", T.summary->str);
      g_string_truncate (T.summary, 0);
    }
  tear_down ();
  g_test_message ("%u trials (%u killed mid-way, %u resume checks) in "
                  "%.0f s, seed %" G_GUINT64_FORMAT ": %u violations",
                  T.trials, T.kills, T.resumes,
                  (g_get_monotonic_time () - started) / 1e6, T.seed,
                  T.violations);
  g_printerr ("kill-anywhere: %u trials (%u killed mid-way, %u resume "
              "checks), seed %" G_GUINT64_FORMAT ": %u violations\n",
              T.trials, T.kills, T.resumes, T.seed, T.violations);
  g_assert_cmpuint (T.violations, ==, 0);
}

/* --trials N and --seed S, before GLib's own options. */
static void
parse_args (int *argc, char **argv)
{
  const char *trials = g_getenv ("VR_TORTURE_TRIALS");
  const char *seed = g_getenv ("VR_TORTURE_SEED");
  int out = 1;

  for (int i = 1; i < *argc; i++)
    {
      if (g_str_equal (argv[i], "--trials") && i + 1 < *argc)
        trials = argv[++i];
      else if (g_str_equal (argv[i], "--seed") && i + 1 < *argc)
        seed = argv[++i];
      else
        argv[out++] = argv[i];
    }
  *argc = out;
  argv[out] = NULL;
  T.trials = trials ? (guint) g_ascii_strtoull (trials, NULL, 10) : 20;
  T.seed = seed ? g_ascii_strtoull (seed, NULL, 10)
                : (guint64) g_get_real_time ();
  T.rand = g_rand_new_with_seed ((guint32) T.seed);
}

int
main (int argc, char **argv)
{
  parse_args (&argc, argv);
  g_test_init (&argc, &argv, NULL);
  T.summary = g_string_new (NULL);
  g_printerr ("kill-anywhere: %u trials, seed %" G_GUINT64_FORMAT
              " (rerun with --seed %" G_GUINT64_FORMAT ")\n", T.trials,
              T.seed, T.seed);
  g_test_add_func ("/torture/kill-anywhere", test_kill_anywhere);
  return g_test_run ();
}
