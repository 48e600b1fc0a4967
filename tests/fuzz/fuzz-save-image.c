/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The save image's header and embedded domain XML and cookie
 * (vr_save_image_read_fd), as an import directory's *.save gives them,
 * then whether the stream after them is whole
 * (vr_save_image_check_stream: both ends, any compression). */
#include "config.h"

#include <string.h>

#include "domain-xml.h"
#include "fuzz-common.h"
#include "save-image.h"

static int image_fd = -1;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  vr_fuzz_init ();
  image_fd = vr_fuzz_memfd ("fuzz.save");
  return 0;
}

/* A verdict comes with an error exactly when it is not "whole", and a
 * whole raw stream starts as QEMU's does. */
static void
check_stream (const VrSaveImage *image, const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  VrSaveStream verdict = vr_save_image_check_stream (image_fd, image,
                                                     "fuzz.save", &error);
  gsize start = VR_SAVE_IMAGE_HEADER_SIZE + image->data_len;

  g_assert_cmpint (verdict, <=, VR_SAVE_STREAM_INVALID);
  if (verdict != VR_SAVE_STREAM_WHOLE)
    {
      vr_fuzz_check_outcome (FALSE, error, FALSE);
      g_assert_nonnull (strstr (error->message, "fuzz.save"));
      return;
    }
  g_assert_null (error);
  if (image->compressed == VR_SAVE_COMPRESSION_RAW)
    {
      g_assert_cmpuint (size, >=, start + 8);
      g_assert_cmpmem (data + start, 8, "QEVM\0\0\0\3", 8);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrSaveImage) image = NULL;

  vr_fuzz_fd_set (image_fd, data, size);
  image = vr_save_image_read_fd (image_fd, "fuzz.save", &error);
  vr_fuzz_check_outcome (image != NULL, error, TRUE);
  if (image == NULL)
    return 0;
  /* What realize and validate rely on once the image was accepted. */
  g_assert_cmpuint (image->file_size, ==, size);
  g_assert_cmpuint (VR_SAVE_IMAGE_HEADER_SIZE + (guint64) image->data_len,
                    <, size);
  g_assert_cmpuint (strlen (image->xml), <, image->data_len);
  g_assert_true (vr_domain_name_is_valid (image->name));
  g_assert_nonnull (image->uuid);
  g_assert_nonnull (vr_save_compression_name (image->compressed));
  if (image->cookie != NULL)
    g_assert_cmpuint (image->cookie_offset + strlen (image->cookie), <,
                      image->data_len);
  check_stream (image, data, size);
  return 0;
}
