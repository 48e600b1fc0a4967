/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "errors.h"
#include "save-image.h"
#include "test-util.h"
#include "testbed.h"

#define UUID "5a1ad0c0-7e57-4b3d-9c1e-0000000000aa"

typedef struct {
  char *dir;
  char *path;
  char *xml;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->dir = test_mkdtemp ();
  f->path = g_build_filename (f->dir, "g.save", NULL);
  f->xml = test_domain_xml ("g", UUID);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  test_rmtree (f->dir);
  g_free (f->dir);
  g_free (f->path);
  g_free (f->xml);
}

static VrSaveImage *
read_bytes (Fixture *f, GBytes *bytes, gsize keep, GError **error)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  test_write_file (f->dir, "g.save", data, MIN (len, keep));
  return vr_save_image_read (f->path, error);
}

static void
test_good (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = test_save_image (VR_SAVE_IMAGE_MAGIC, 2, 0,
                                              f->xml, 4096);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrSaveImage) image = read_bytes (f, bytes, G_MAXSIZE, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (image->name, ==, "g");
  g_assert_cmpstr (image->uuid, ==, UUID);
  g_assert_cmpstr (image->xml, ==, f->xml);
  g_assert_cmpstr (image->cookie, ==, "<cookie><cpu mode='custom'/></cookie>");
  g_assert_true (image->was_running);
  g_assert_cmpuint (image->version, ==, 2);
  g_assert_cmpuint (image->file_size, ==, g_bytes_get_size (bytes));
}

static void
expect_invalid (Fixture *f, GBytes *bytes, gsize keep, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrSaveImage) image = read_bytes (f, bytes, keep, &error);

  g_assert_null (image);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, f->path, needle, NULL);
}

static void
test_partial_magic (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = test_save_image (VR_SAVE_IMAGE_PARTIAL_MAGIC, 2,
                                              0, f->xml, 4096);

  expect_invalid (f, bytes, G_MAXSIZE, "LibvirtQemudPart");
}

static void
test_bad_magic (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = test_save_image ("NotASaveImage!!!", 2, 0,
                                              f->xml, 4096);

  expect_invalid (f, bytes, G_MAXSIZE, "bad magic");
}

static void
test_unknown_version (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = test_save_image (VR_SAVE_IMAGE_MAGIC, 3, 0,
                                              f->xml, 4096);

  expect_invalid (f, bytes, G_MAXSIZE, "unknown version 3");
}

static void
test_truncated_header (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = test_save_image (VR_SAVE_IMAGE_MAGIC, 2, 0,
                                              f->xml, 4096);

  expect_invalid (f, bytes, 50, "truncated inside the 92-byte header");
}

static void
test_truncated_xml (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = test_save_image (VR_SAVE_IMAGE_MAGIC, 2, 0,
                                              f->xml, 4096);

  expect_invalid (f, bytes, VR_SAVE_IMAGE_HEADER_SIZE + 40, "truncated");
}

static void
test_no_stream (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = test_save_image (VR_SAVE_IMAGE_MAGIC, 2, 0,
                                              f->xml, 0);

  expect_invalid (f, bytes, G_MAXSIZE, "truncated");
}

static void
test_unknown_compression (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = test_save_image (VR_SAVE_IMAGE_MAGIC, 2, 9,
                                              f->xml, 4096);

  expect_invalid (f, bytes, G_MAXSIZE, "unknown compression format 9");
}

static void
test_gzip_compression (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = test_save_image (VR_SAVE_IMAGE_MAGIC, 2,
                                              VR_SAVE_COMPRESSION_GZIP,
                                              f->xml, 4096);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrSaveImage) image = read_bytes (f, bytes, G_MAXSIZE, &error);
  g_autofree char *gzip = g_find_program_in_path ("gzip");

  if (gzip == NULL)
    {
      test_assert_error (error, VR_ERROR_NOT_SUPPORTED, "gzip", NULL);
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (image->compressed, ==, VR_SAVE_COMPRESSION_GZIP);
}

static void
test_embedded_xml_without_uuid (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = test_save_image (VR_SAVE_IMAGE_MAGIC, 2, 0,
                                              "<domain><name>g</name></domain>",
                                              4096);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrSaveImage) image = read_bytes (f, bytes, G_MAXSIZE, &error);

  g_assert_null (image);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "embedded domain XML",
                     "/domain/uuid", NULL);
}

static void
test_huge_data_len (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = test_save_image (VR_SAVE_IMAGE_MAGIC, 2, 0,
                                              f->xml, 4096);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, NULL),
                                       g_bytes_get_size (bytes));
  g_autoptr (GBytes) mutated = NULL;
  guint32 huge = 0x7fffffff;

  memcpy (copy + 20, &huge, sizeof huge);
  mutated = g_bytes_new (copy, g_bytes_get_size (bytes));
  expect_invalid (f, mutated, G_MAXSIZE, "out of range");
}

/* The real thing: an image libvirt's QEMU driver wrote in the test bed. */
static void
test_real_image (void)
{
  g_autofree char *dir = vr_testbed_require ("basic");
  g_autofree char *path = g_build_filename (dir, "vr-guest.save", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrSaveImage) image = vr_save_image_read (path, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (image->name, ==, "vr-guest");
  g_assert_cmpstr (image->uuid, ==, "5a1ad0c0-7e57-4b3d-9c1e-000000000001");
  g_assert_cmpuint (image->version, ==, 2);
  g_assert_cmpuint (image->compressed, ==, VR_SAVE_COMPRESSION_RAW);
  g_assert_true (image->was_running);
  g_assert_nonnull (image->cookie);
  g_assert_true (g_str_has_prefix (image->cookie, "<cookie>"));
  g_assert_cmpuint (image->file_size, >, 100 * 1024);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/save-image/" path, Fixture, NULL, fixture_set_up, func, \
              fixture_tear_down)
  ADD ("good", test_good);
  ADD ("partial-magic", test_partial_magic);
  ADD ("bad-magic", test_bad_magic);
  ADD ("unknown-version", test_unknown_version);
  ADD ("truncated-header", test_truncated_header);
  ADD ("truncated-xml", test_truncated_xml);
  ADD ("no-stream", test_no_stream);
  ADD ("unknown-compression", test_unknown_compression);
  ADD ("gzip-compression", test_gzip_compression);
  ADD ("embedded-xml-without-uuid", test_embedded_xml_without_uuid);
  ADD ("huge-data-len", test_huge_data_len);
#undef ADD
  g_test_add_func ("/save-image/real", test_real_image);
  return g_test_run ();
}
