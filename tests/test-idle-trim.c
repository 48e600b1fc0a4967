/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "idle-trim.h"
#include "safe-xml.h"

static guint64
rss_file_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL,
                                      NULL));
  line = strstr (status, "RssFile:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("RssFile:"), NULL, 10);
}

/* This program's own pages are mapped by no other process, so the kernel
 * reclaims some of them; the contents stay what they were. */
static void
test_trim (void)
{
  static const char xml[] = "<domain><name>after</name></domain>";
  guint64 before = rss_file_kib ();
  gsize advised = vr_idle_trim ();
  guint64 after = rss_file_kib ();
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char *name = NULL;

  g_test_message ("RssFile %" G_GUINT64_FORMAT " KiB -> %" G_GUINT64_FORMAT
                  " KiB, %" G_GSIZE_FORMAT " KiB advised",
                  before, after, advised / 1024);
  g_assert_cmpuint (advised, >, 0);
  g_assert_cmpuint (after, <, before);
  /* Code and read-only data fault back in as they were. */
  doc = vr_xml_parse_buffer (xml, strlen (xml), "trimmed", "domain", &error);
  g_assert_no_error (error);
  name = vr_xml_xpath_string (doc, "string(/domain/name)");
  g_assert_cmpstr (name, ==, "after");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/idle-trim/trim", test_trim);
  return g_test_run ();
}
