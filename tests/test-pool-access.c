/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where a caller of the root agent may have a realize write (pool-dir,
 * agent/pool-access.c): the folders agent.conf lists exactly, and below
 * them only folders the caller could search their way to whose entries
 * they cannot change (root's, closed to their writes or sticky); one message for every refusal, so that the refusal is no
 * oracle for what exists (F2, F3 of the blind review). As uid 65534. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "pool-access.h"
#include "test-util.h"

#define NOBODY 65534

/* The refusal with the path taken out, or NULL when allowed. */
static char *
refusal (const char *path, uid_t uid, const char *const *allowed)
{
  g_autoptr (GError) error = NULL;
  guint64 dev = 0;
  guint64 ino = 0;
  g_auto (GStrv) parts = NULL;

  if (vr_pool_dir_check_caller (NULL, path, uid, allowed, "agent.conf",
                                &dev, &ino, &error))
    {
      struct stat st;

      g_assert_no_error (error);
      g_assert_cmpint (stat (path, &st), ==, 0);
      g_assert_cmpuint (dev, ==, st.st_dev);
      g_assert_cmpuint (ino, ==, st.st_ino);
      return NULL;
    }
  test_assert_error (error, VR_ERROR_ACCESS_DENIED, NULL);
  parts = g_strsplit (error->message, path, -1);
  return g_strjoinv ("PATH", parts);
}

static char *
mkdir_as (const char *parent, const char *name, uid_t uid, mode_t mode)
{
  char *path = g_build_filename (parent, name, NULL);

  g_assert_cmpint (mkdir (path, mode), ==, 0);
  g_assert_cmpint (chown (path, uid, uid), ==, 0);
  g_assert_cmpint (chmod (path, mode), ==, 0);
  return path;
}

static void
test_oracle (void)
{
  g_autofree char *pools = test_mkdtemp ();
  g_autofree char *outside = test_mkdtemp ();
  g_autofree char *file = g_build_filename (outside, "file", NULL);
  g_autofree char *none = g_build_filename (outside, "none", NULL);
  g_autofree char *victim = NULL;
  g_autofree char *victim_sub = NULL;
  g_autofree char *victim_none = NULL;
  g_autofree char *first = NULL;
  const char *allowed[] = { pools, NULL };
  const char *paths[6];

  if (getuid () != 0)
    {
      g_test_skip ("needs root (folders of another owner)");
      return;
    }
  g_assert_cmpint (chmod (pools, 0755), ==, 0);
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  victim = mkdir_as (pools, "victim", 1, 0700);
  victim_sub = mkdir_as (victim, "sub", 1, 0777);
  victim_none = g_build_filename (victim, "none", NULL);
  /* Outside: a folder, a file, nothing; inside another user's 0700
   * folder: a folder and nothing. */
  paths[0] = outside;
  paths[1] = file;
  paths[2] = none;
  paths[3] = victim;
  paths[4] = victim_sub;
  paths[5] = victim_none;
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *said = refusal (paths[i], NOBODY, allowed);

      g_test_message ("%s: %s", paths[i], said);
      g_assert_nonnull (said);
      if (first == NULL)
        first = g_strdup (said);
      g_assert_cmpstr (said, ==, first);
    }
  /* It says the rule holds_root_files checks (root's, closed to the
   * caller's writes or sticky), not "write yourself" (eighteenth review,
   * F7): a folder the caller can write is the one refused. */
  g_assert_nonnull (strstr (first, "owned by root and either closed to "
                                   "your writes or sticky"));
  g_assert_null (strstr (first, "write yourself"));
  /* Root may write there (it is root's own call). */
  g_assert_null (refusal (victim_sub, 0, allowed));
  test_rmtree (pools);
  test_rmtree (outside);
}

/* Root leaves files there that libvirt uses by path: only folders whose
 * entries the caller cannot change are allowed (F1 of the fourth blind
 * review: in their own folder they swapped a copy for a link to a host
 * file after the checks). */
static void
test_allowed (void)
{
  g_autofree char *pools = test_mkdtemp ();
  g_autofree char *own = NULL;
  g_autofree char *own_sub = NULL;
  g_autofree char *roots = NULL;
  g_autofree char *sticky = NULL;
  g_autofree char *open_dir = NULL;
  g_autofree char *link = g_strconcat (pools, "/link", NULL);
  g_autofree char *climb = NULL;
  const char *allowed[] = { pools, NULL };

  if (getuid () != 0)
    {
      g_test_skip ("needs root (folders of another owner)");
      return;
    }
  g_assert_cmpint (chmod (pools, 0755), ==, 0);
  own = mkdir_as (pools, "own", NOBODY, 0700);
  own_sub = mkdir_as (own, "sub", 0, 0755);
  roots = mkdir_as (pools, "roots", 0, 0755);
  sticky = mkdir_as (pools, "sticky", 0, 01777);
  open_dir = mkdir_as (pools, "open", 0, 0777);
  g_assert_cmpint (chmod (sticky, 01777), ==, 0);
  g_assert_cmpint (chmod (open_dir, 0777), ==, 0);
  g_assert_cmpint (symlink (roots, link), ==, 0);
  climb = g_build_filename (roots, "..", "..", NULL);
  /* The listed folder itself (the administrator named it), root's folders
   * below it the caller cannot write, and sticky ones of root's. */
  g_assert_null (refusal (pools, NOBODY, allowed));
  g_assert_null (refusal (roots, NOBODY, allowed));
  g_assert_null (refusal (sticky, NOBODY, allowed));
  /* The caller's own folder (and below it, even a folder of root's: they
   * may rename it), a folder they may write, a link, ".." out of the
   * list. */
  for (guint i = 0; i < 5; i++)
    {
      const char *bad[] = { own, own_sub, open_dir, link, climb };
      g_autofree char *said = refusal (bad[i], NOBODY, allowed);

      g_assert_nonnull (said);
    }
  test_rmtree (pools);
}

/* Twelfth review F6: with PoolDirs=/tmp;/tmp/rv12/pool the listed pool
 * was refused (the match kept the rest below /tmp); reversed, it was
 * allowed. Either order allows the listed folder, and a folder below
 * both is walked from the deeper one (the caller cannot search the
 * root's 0700 folder between them). */
static void
test_order (void)
{
  g_autofree char *parent = test_mkdtemp ();
  g_autofree char *hidden = NULL;
  g_autofree char *pool = NULL;
  g_autofree char *sub = NULL;

  if (getuid () != 0)
    {
      g_test_skip ("needs root (folders of another owner)");
      return;
    }
  g_assert_cmpint (chmod (parent, 0755), ==, 0);
  hidden = mkdir_as (parent, "hidden", 0, 0700);
  pool = mkdir_as (hidden, "pool", 0, 0755);
  sub = mkdir_as (pool, "sub", 0, 0755);
  for (guint i = 0; i < 2; i++)
    {
      const char *allowed[] = { i ? pool : parent, i ? parent : pool, NULL };

      g_test_message ("PoolDirs=%s;%s", allowed[0], allowed[1]);
      g_assert_null (refusal (pool, NOBODY, allowed));
      g_assert_null (refusal (sub, NOBODY, allowed));
    }
  test_rmtree (parent);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pool-access/oracle", test_oracle);
  g_test_add_func ("/pool-access/allowed", test_allowed);
  g_test_add_func ("/pool-access/order", test_order);
  return g_test_run ();
}
