/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hostile-xml.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "safe-xml.h"
#include "save-image.h"
#include "test-util.h"
#include "testbed.h"

static void
apply (xmlDoc *doc, const HostileEdit *edit)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) obj = xmlXPathEvalExpression (
      (const xmlChar *) edit->parent, ctxt);
  xmlNode *parent;
  xmlNode *added = NULL;

  g_assert_true (obj && obj->nodesetval && obj->nodesetval->nodeNr > 0);
  parent = obj->nodesetval->nodeTab[0];
  if (edit->fragment == NULL)
    {
      xmlNodeSetContent (parent, (const xmlChar *) edit->value);
      return;
    }
  g_assert_cmpint (xmlParseInNodeContext (parent, edit->fragment,
                                          strlen (edit->fragment), 0, &added),
                   ==, XML_ERR_OK);
  while (added != NULL)
    {
      xmlNode *next = added->next;

      xmlAddChild (parent, added);
      added = next;
    }
}

char *
hostile_xml_edit (const char *xml, const HostileEdit *edit)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = vr_xml_parse_buffer (xml, strlen (xml), "xml",
                                                "domain", &error);

  g_assert_no_error (error);
  apply (doc, edit);
  return vr_xml_to_string (doc);
}

void
hostile_save_image_set_xml (const char *path, const char *xml)
{
  g_autoptr (VrSaveImage) image = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  gsize xml_len = strlen (xml) + 1;
  gsize cookie_len;
  guint32 cookie_offset;
  int fd;

  image = vr_save_image_read (path, &error);
  g_assert_no_error (error);
  cookie_len = image->cookie ? strlen (image->cookie) + 1 : 0;
  g_assert_cmpuint (xml_len + cookie_len, <=, image->data_len);
  data = g_malloc0 (image->data_len);
  memcpy (data, xml, xml_len);
  if (image->cookie != NULL)
    memcpy (data + xml_len, image->cookie, cookie_len);
  cookie_offset = image->cookie ? (guint32) xml_len : 0;
  fd = open (path, O_WRONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  /* cookieOffset is the fifth uint32 after the 16-byte magic. */
  g_assert_cmpint (pwrite (fd, &cookie_offset, 4, 16 + 4 * 4), ==, 4);
  g_assert_cmpint (pwrite (fd, data, image->data_len,
                           VR_SAVE_IMAGE_HEADER_SIZE),
                   ==, (gssize) image->data_len);
  close (fd);
}

char *
hostile_save_file_of (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".save"))
      return g_build_filename (dir, name, NULL);
  g_assert_not_reached ();
}

char *
hostile_import_dir (const char *variant, const HostileEdit *edit,
                    gboolean in_image)
{
  g_autofree char *src = vr_testbed_require (variant);
  g_autoptr (GError) error = NULL;
  char *dir = vr_testbed_copy_import_dir (src, &error);
  g_autofree char *file = NULL;
  g_autofree char *text = NULL;
  g_autofree char *edited = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (chmod (dir, 0755), ==, 0);
  if (!in_image)
    {
      file = g_build_filename (dir, "domain.xml", NULL);
      g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
      edited = hostile_xml_edit (text, edit);
      test_write_file (dir, "domain.xml", edited, -1);
      return dir;
    }
  file = hostile_save_file_of (dir);
  {
    g_autoptr (VrSaveImage) image = vr_save_image_read (file, &error);

    g_assert_no_error (error);
    edited = hostile_xml_edit (image->xml, edit);
  }
  hostile_save_image_set_xml (file, edited);
  return dir;
}

/* An image whose external data file is target, made without touching
 * target (qemu-img create truncates the data file it names): made for a
 * decoy name of the same length, then renamed in the header. */
static void
make_data_file_image (const char *image, const char *target)
{
  g_autofree char *decoy = g_strdup (target);
  g_autofree char *data_opt = NULL;
  const char *create[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-o",
                           NULL, image, "1M", NULL };
  g_auto (TestRun) made = { 0 };
  g_autofree char *bytes = NULL;
  gsize length = 0;
  char *at;

  decoy[strlen (decoy) - 1] ^= 1;
  data_opt = g_strdup_printf ("data_file=%s,data_file_raw=on", decoy);
  create[6] = data_opt;
  test_run (&made, create, NULL);
  g_assert_cmpint (made.status, ==, 0);
  g_assert_cmpint (unlink (decoy), ==, 0);
  g_assert_true (g_file_get_contents (image, &bytes, &length, NULL));
  at = memmem (bytes, length, decoy, strlen (decoy));
  g_assert_nonnull (at);
  memcpy (at, target, strlen (target));
  g_assert_true (g_file_set_contents (image, bytes, length, NULL));
}

/* The evil image is made beside the disk and renamed over it. */
void
hostile_swap_disk (gpointer data)
{
  HostileSwap *swap = data;
  g_autofree char *evil = g_strconcat (swap->disk, ".evil", NULL);
  const char *copy[] = { "cp", swap->disk, evil, NULL };
  const char *rebase[] = { "qemu-img", "rebase", "-u", "-f", "qcow2", "-b",
                           swap->target, "-F", "raw", evil, NULL };
  g_auto (TestRun) copied = { 0 };
  g_auto (TestRun) rebased = { 0 };

  if (swap->data_file)
    make_data_file_image (evil, swap->target);
  else
    {
      test_run (&copied, copy, NULL);
      g_assert_cmpint (copied.status, ==, 0);
      test_run (&rebased, rebase, NULL);
      g_assert_cmpint (rebased.status, ==, 0);
    }
  g_assert_cmpint (rename (evil, swap->disk), ==, 0);
}
