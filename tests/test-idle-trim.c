/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "idle-trim.h"

#define MAPPED_SIZE (1024 * 1024)

/* The Rss of the mapping that starts at addr, from /proc/self/smaps. */
static guint64
mapping_rss_kib (gconstpointer addr)
{
  g_autofree char *smaps = NULL;
  g_autofree char *start = g_strdup_printf ("%" G_GINTPTR_MODIFIER "x-",
                                            (guintptr) addr);
  const char *block;
  const char *rss;

  g_assert_true (g_file_get_contents ("/proc/self/smaps", &smaps, NULL,
                                      NULL));
  block = strstr (smaps, start);
  g_assert_nonnull (block);
  rss = strstr (block, "\nRss:");
  g_assert_nonnull (rss);
  return g_ascii_strtoull (rss + strlen ("\nRss:"), NULL, 10);
}

/* A read-only mapping of a file only this process maps (on disk, not
 * tmpfs, whose pages have nowhere to go without swap): the trim hands its
 * pages back, and reading them again gives the same bytes. */
static void
test_trim (void)
{
  const char *dir = g_getenv ("G_TEST_BUILDDIR");
  g_autofree char *path = g_build_filename (dir ? dir : ".",
                                            "idle-trim-XXXXXX", NULL);
  g_autofree char *data = g_malloc (MAPPED_SIZE);
  int fd = g_mkstemp (path);
  const char *map;
  guint64 before;
  guint64 after;
  gsize advised;
  guint sum = 0;

  g_assert_cmpint (fd, >=, 0);
  for (gsize i = 0; i < MAPPED_SIZE; i++)
    data[i] = (char) (i * 7 + i / 4096);
  g_assert_cmpint (write (fd, data, MAPPED_SIZE), ==, MAPPED_SIZE);
  g_assert_cmpint (fsync (fd), ==, 0);
  map = mmap (NULL, MAPPED_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
  g_assert_true (map != MAP_FAILED);
  for (gsize i = 0; i < MAPPED_SIZE; i += 4096)
    sum += (guchar) map[i];
  before = mapping_rss_kib (map);
  advised = vr_idle_trim ();
  after = mapping_rss_kib (map);
  g_test_message ("mapping Rss %" G_GUINT64_FORMAT " KiB -> %" G_GUINT64_FORMAT
                  " KiB (page sum %u); %" G_GSIZE_FORMAT " KiB advised",
                  before, after, sum, advised / 1024);
  g_assert_cmpuint (before, ==, MAPPED_SIZE / 1024);
  g_assert_cmpuint (advised, >=, MAPPED_SIZE);
  g_assert_cmpuint (after, <, before / 2);
  g_assert_cmpint (memcmp (map, data, MAPPED_SIZE), ==, 0);
  munmap ((void *) map, MAPPED_SIZE);
  close (fd);
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/idle-trim/trim", test_trim);
  return g_test_run ();
}
