/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vr_save_image_check_stream: an image cut short is told from a whole
 * one by both ends of its stream, on the test bed's real images and on
 * streams of every compressor libvirt may use. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "errors.h"
#include "save-image.h"
#include "test-util.h"
#include "testbed.h"

#define UUID "5a1ad0c0-7e57-4b3d-9c1e-0000000000aa"

/* Checks the image in bytes (its first keep bytes) and returns the
 * verdict; *message takes the error's message. */
static VrSaveStream
check_bytes (const guint8 *data, gsize keep, char **message)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "g.save", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrSaveImage) image = NULL;
  VrSaveStream verdict;
  int fd;

  test_write_file (dir, "g.save", (const char *) data, keep);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  image = vr_save_image_read_fd (fd, "g.save", &error);
  g_assert_no_error (error);
  verdict = vr_save_image_check_stream (fd, image, "g.save", &error);
  close (fd);
  test_rmtree (dir);
  g_assert_true ((verdict == VR_SAVE_STREAM_WHOLE) == (error == NULL));
  if (message != NULL)
    *message = error ? g_strdup (error->message) : NULL;
  return verdict;
}

static GBytes *
testbed_image (void)
{
  g_autofree char *dir = vr_testbed_require ("basic");
  g_autofree char *path = g_build_filename (dir, "vr-guest.save", NULL);
  char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

static void
test_real_whole (void)
{
  g_autoptr (GBytes) image = testbed_image ();

  g_assert_cmpint (check_bytes (g_bytes_get_data (image, NULL),
                                g_bytes_get_size (image), NULL),
                   ==, VR_SAVE_STREAM_WHOLE);
}

/* `truncate -s 50%`, a copy one byte short, one that stops inside QEMU's
 * device description, and one that ends right after the header. */
static void
test_real_truncated (void)
{
  g_autoptr (GBytes) image = testbed_image ();
  gsize size = g_bytes_get_size (image);
  const guint8 *data = g_bytes_get_data (image, NULL);
  gsize keeps[] = { size / 2, size - 1, size - 1000, size - 29870,
                    size * 9 / 10, 92 + 70000 };

  for (guint i = 0; i < G_N_ELEMENTS (keeps); i++)
    {
      g_autofree char *message = NULL;
      g_autofree char *bytes = g_strdup_printf ("(%" G_GSIZE_FORMAT
                                                " bytes)", keeps[i]);

      g_test_message ("kept %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT,
                      keeps[i], size);
      g_assert_cmpint (check_bytes (data, keeps[i], &message), ==,
                       VR_SAVE_STREAM_INCOMPLETE);
      g_assert_nonnull (strstr (message, "g.save: the save image is "
                                         "incomplete"));
      g_assert_nonnull (strstr (message, bytes));
      g_assert_nonnull (strstr (message, "does not end"));
    }
}

/* A writer that aligned its last write with zeros (O_DIRECT). */
static void
test_real_zero_padded (void)
{
  g_autoptr (GBytes) image = testbed_image ();
  gsize size = g_bytes_get_size (image);
  g_autofree guint8 *padded = g_malloc0 (size + 4000);

  memcpy (padded, g_bytes_get_data (image, NULL), size);
  g_assert_cmpint (check_bytes (padded, size + 4000, NULL), ==,
                   VR_SAVE_STREAM_WHOLE);
}

/* The test bed's large images: dense data, then the tail again. */
static void
test_testbed_large (void)
{
  g_autofree char *dir = vr_testbed_large_import (2);
  g_autofree char *path = g_build_filename (dir, "vr-guest.save", NULL);
  char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_cmpint (check_bytes ((guint8 *) data, len, NULL), ==,
                   VR_SAVE_STREAM_WHOLE);
  g_free (data);
  vr_testbed_rmtree (dir);
}

/* A 64 GiB image (sparse: the real image's start, a hole, its last
 * 256 KiB): the check reads its ends only, so it takes no longer than a
 * small one's; reading it all would take minutes. Then the same image
 * cut inside the hole. */
static void
test_huge_sparse (void)
{
  g_autoptr (GBytes) image = testbed_image ();
  gsize size = g_bytes_get_size (image);
  const guint8 *data = g_bytes_get_data (image, NULL);
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "g.save", NULL);
  guint64 huge = G_GUINT64_CONSTANT (64) << 30;
  gsize tail = 256 * 1024;
  g_autoptr (GError) error = NULL;
  g_autoptr (VrSaveImage) read = NULL;
  int fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, data, size - tail, 0), ==, size - tail);
  g_assert_cmpint (pwrite (fd, data + size - tail, tail, huge - tail), ==,
                   tail);
  read = vr_save_image_read_fd (fd, "g.save", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read->file_size, ==, huge);
  g_assert_cmpint (vr_save_image_check_stream (fd, read, "g.save", &error),
                   ==, VR_SAVE_STREAM_WHOLE);
  g_assert_no_error (error);
  g_clear_pointer (&read, vr_save_image_free);
  g_assert_cmpint (ftruncate (fd, huge / 2), ==, 0);
  read = vr_save_image_read_fd (fd, "g.save", &error);
  g_assert_no_error (error);
  g_assert_cmpint (vr_save_image_check_stream (fd, read, "g.save", &error),
                   ==, VR_SAVE_STREAM_INCOMPLETE);
  g_assert_nonnull (strstr (error->message, "(34359738368 bytes)"));
  close (fd);
  test_rmtree (dir);
}

/* libvirt's header and XML, then stream. */
static GByteArray *
image_with (guint32 compressed, GBytes *stream)
{
  g_autofree char *xml = test_domain_xml ("g", UUID);
  g_autoptr (GBytes) head = test_save_image (VR_SAVE_IMAGE_MAGIC, 2,
                                             compressed, xml, 0);
  GByteArray *out = g_byte_array_new ();

  g_byte_array_append (out, g_bytes_get_data (head, NULL),
                       g_bytes_get_size (head));
  g_byte_array_append (out, g_bytes_get_data (stream, NULL),
                       g_bytes_get_size (stream));
  return out;
}

/* A raw stream without a device description (suppress-vmdesc=on): the
 * last section's footer, then QEMU_VM_EOF. */
static void
test_footer_eof (void)
{
  static const guint8 stream[] = { 'Q', 'E', 'V', 'M', 0, 0, 0, 3, 4, 1, 2,
                                   3, 0x7e, 0, 0, 0, 0x20, 0 };
  g_autoptr (GBytes) bytes = g_bytes_new_static (stream, sizeof stream);
  g_autoptr (GByteArray) image = image_with (VR_SAVE_COMPRESSION_RAW, bytes);

  g_assert_cmpint (check_bytes (image->data, image->len, NULL), ==,
                   VR_SAVE_STREAM_WHOLE);
  g_assert_cmpint (check_bytes (image->data, image->len - 1, NULL), ==,
                   VR_SAVE_STREAM_INCOMPLETE);
}

/* A device description longer than the first tail read (128 KiB): the
 * tail is read again from further back. */
static void
test_long_description (void)
{
  gsize json_len = 300 * 1024;
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GByteArray) image = NULL;
  guint8 be[4] = { json_len >> 24, json_len >> 16, json_len >> 8, json_len };
  g_autofree char *json = g_malloc (json_len);

  memset (json, ' ', json_len);
  json[0] = '{';
  json[json_len - 1] = '}';
  g_byte_array_append (stream, (const guint8 *) "QEVM\0\0\0\3\x7e\0\0\0\1"
                                                "\0\x06", 15);
  g_byte_array_append (stream, be, 4);
  g_byte_array_append (stream, (const guint8 *) json, json_len);
  bytes = g_bytes_new (stream->data, stream->len);
  image = image_with (VR_SAVE_COMPRESSION_RAW, bytes);
  g_assert_cmpint (check_bytes (image->data, image->len, NULL), ==,
                   VR_SAVE_STREAM_WHOLE);
  g_assert_cmpint (check_bytes (image->data, image->len - 1, NULL), ==,
                   VR_SAVE_STREAM_INCOMPLETE);
}

static void
test_bad_start (void)
{
  static const guint8 stream[] = { 'Q', 'E', 'V', 'M', 0, 0, 0, 2, 0, 6, 0,
                                   0, 0, 2, '{', '}' };
  g_autoptr (GBytes) bytes = g_bytes_new_static (stream, sizeof stream);
  g_autoptr (GByteArray) image = image_with (VR_SAVE_COMPRESSION_RAW, bytes);
  g_autofree char *message = NULL;

  g_assert_cmpint (check_bytes (image->data, image->len, &message), ==,
                   VR_SAVE_STREAM_INVALID);
  g_assert_nonnull (strstr (message, "QEVM, version 3"));
  /* The same, version 3: whole. */
  image->data[image->len - sizeof stream + 7] = 3;
  g_assert_cmpint (check_bytes (image->data, image->len, NULL), ==,
                   VR_SAVE_STREAM_WHOLE);
}

/* stream compressed by program (argv[0]), or NULL when it is not
 * installed. */
static GBytes *
compress (const char *program, GBytes *stream)
{
  g_autofree char *found = g_find_program_in_path (program);
  g_autoptr (GSubprocess) child = NULL;
  g_autoptr (GError) error = NULL;
  GBytes *out = NULL;

  if (found == NULL)
    return NULL;
  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                            &error, program, "-c", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate (child, stream, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (child));
  return out;
}

/* A real QEMU stream (the test bed's), compressed. */
static GBytes *
real_stream (void)
{
  g_autoptr (GBytes) image = testbed_image ();
  guint32 data_len;

  memcpy (&data_len, (const guint8 *) g_bytes_get_data (image, NULL) + 20,
          sizeof data_len);
  return g_bytes_new_from_bytes (image, VR_SAVE_IMAGE_HEADER_SIZE + data_len,
                                 g_bytes_get_size (image)
                                     - VR_SAVE_IMAGE_HEADER_SIZE - data_len);
}

static void
test_compressed (gconstpointer data)
{
  guint32 compressed = GPOINTER_TO_UINT (data);
  const char *program = vr_save_compression_name (compressed);
  g_autoptr (GBytes) stream = real_stream ();
  g_autoptr (GBytes) packed = compress (program, stream);
  g_autoptr (GByteArray) image = NULL;
  g_autofree char *message = NULL;
  gsize size;

  if (packed == NULL)
    {
      g_autofree char *why = g_strdup_printf ("%s is not installed",
                                              program);

      g_test_skip (why);
      return;
    }
  image = image_with (compressed, packed);
  size = image->len;
  if (compressed == VR_SAVE_COMPRESSION_GZIP
      || compressed == VR_SAVE_COMPRESSION_LZOP)
    {
      g_assert_cmpint (check_bytes (image->data, size, &message), ==,
                       VR_SAVE_STREAM_UNCHECKED);
      g_assert_nonnull (strstr (message, program));
      return;
    }
  g_assert_cmpint (check_bytes (image->data, size, NULL), ==,
                   VR_SAVE_STREAM_WHOLE);
  for (gsize cut = 1; cut <= 16; cut++)
    g_assert_cmpint (check_bytes (image->data, size - cut, NULL), ==,
                     VR_SAVE_STREAM_INCOMPLETE);
  g_assert_cmpint (check_bytes (image->data, size / 2, &message), ==,
                   VR_SAVE_STREAM_INCOMPLETE);
  g_assert_nonnull (strstr (message, program));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/save-image-stream/real-whole", test_real_whole);
  g_test_add_func ("/save-image-stream/real-truncated", test_real_truncated);
  g_test_add_func ("/save-image-stream/real-zero-padded",
                   test_real_zero_padded);
  g_test_add_func ("/save-image-stream/testbed-large", test_testbed_large);
  g_test_add_func ("/save-image-stream/huge-sparse", test_huge_sparse);
  g_test_add_func ("/save-image-stream/footer-eof", test_footer_eof);
  g_test_add_func ("/save-image-stream/long-description",
                   test_long_description);
  g_test_add_func ("/save-image-stream/bad-start", test_bad_start);
  g_test_add_data_func ("/save-image-stream/gzip",
                        GUINT_TO_POINTER (VR_SAVE_COMPRESSION_GZIP),
                        test_compressed);
  g_test_add_data_func ("/save-image-stream/bzip2",
                        GUINT_TO_POINTER (VR_SAVE_COMPRESSION_BZIP2),
                        test_compressed);
  g_test_add_data_func ("/save-image-stream/xz",
                        GUINT_TO_POINTER (VR_SAVE_COMPRESSION_XZ),
                        test_compressed);
  g_test_add_data_func ("/save-image-stream/lzop",
                        GUINT_TO_POINTER (VR_SAVE_COMPRESSION_LZOP),
                        test_compressed);
  return g_test_run ();
}
