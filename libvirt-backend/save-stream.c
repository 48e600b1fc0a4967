/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Is the saved state whole? libvirt's header and XML say nothing about
 * the length of what follows (QEMU's migration stream, maybe compressed),
 * so an image cut short passes every other check and fails only when the
 * guest is started: by then the user may have deleted the source. Both
 * ends of the stream are checked, never what lies between: a multi-GiB
 * image costs two small reads. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "fs-util.h"
#include "save-image.h"

/* QEMU's migration/savevm.h. */
#define QEMU_VM_FILE_MAGIC "QEVM\0\0\0\3" /* magic, then version 3 */
#define QEMU_VM_EOF 0x00
#define QEMU_VM_VMDESCRIPTION 0x06
#define QEMU_VM_SECTION_FOOTER 0x7e

#define BZIP2_END_MAGIC G_GUINT64_CONSTANT (0x177245385090)

/* The first tail read: the device description of the test bed's guests
 * is 30 to 60 KiB. */
#define FIRST_TAIL (128 * 1024)

typedef struct {
  const char *magic;
  gsize magic_len;
  gsize read_len; /* what end_found needs of the start */
  const char *what; /* names the stream in messages */
} StreamStart;

/* By VrSaveCompression. */
static const StreamStart stream_starts[] = {
  { QEMU_VM_FILE_MAGIC, 8, 8, "QEMU's migration stream (QEVM, version 3)" },
  { "\x1f\x8b", 2, 2, "the gzip stream" },
  { "BZh", 3, 3, "the bzip2 stream" },
  /* Then its stream flags, which its footer repeats. */
  { "\xfd" "7zXZ\0", 6, 8, "the xz stream" },
  { "\x89LZO\0\r\n\x1a\n", 9, 9, "the lzop stream" },
};

static gboolean
read_at (int fd, guint8 *buf, gsize len, guint64 offset,
         const char *display_name, GError **error)
{
  gsize got = 0;

  if (!vr_read_at (fd, buf, len, offset, &got, display_name, error))
    return FALSE;
  if (got < len)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: the file shrank while it was read", display_name);
      return FALSE;
    }
  return TRUE;
}

static VrSaveStream
incomplete (GError **error, const char *display_name,
            const VrSaveImage *image, const char *what)
{
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s: the save image is incomplete (%" G_GUINT64_FORMAT
               " bytes): %s; the file was cut short (an interrupted copy, "
               "a full disk) and libvirt cannot resume the guest from it",
               display_name, image->file_size, what);
  return VR_SAVE_STREAM_INCOMPLETE;
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16)
         | ((guint32) p[2] << 8) | p[3];
}

/* QEMU ends a stream with QEMU_VM_EOF, then QEMU_VM_VMDESCRIPTION, a
 * big-endian length and that many bytes of JSON describing the devices
 * (savevm.c, qemu_savevm_state_complete_precopy_non_iterable). JSON has
 * no control bytes, so the length field lies at most 4 bytes after the
 * last control byte of the tail. */
static gboolean
ends_with_description (const guint8 *tail, gsize len)
{
  gsize q = len;

  while (q > 0 && tail[q - 1] >= 0x20)
    q--;
  if (q == 0)
    return FALSE;
  q--; /* the last control byte */
  for (gsize k = 0; k <= 4 && k < q; k++)
    {
      gsize p = q - k;

      if (p + 5 <= len && tail[p] == QEMU_VM_VMDESCRIPTION
          && tail[p - 1] == QEMU_VM_EOF
          && be32 (tail + p + 1) == len - (p + 5)
          && (p + 5 == len || tail[p + 5] == '{'))
        return TRUE;
    }
  return FALSE;
}

/* A machine with suppress-vmdesc=on sends no description: the stream then
 * ends with the last section's footer (0x7e, a small big-endian section
 * id) and QEMU_VM_EOF. */
static gboolean
ends_with_footer_eof (const guint8 *tail, gsize len)
{
  return len >= 6 && tail[len - 1] == QEMU_VM_EOF
         && tail[len - 6] == QEMU_VM_SECTION_FOOTER && tail[len - 5] == 0
         && tail[len - 4] == 0;
}

/* A writer that aligns its writes (O_DIRECT) may leave zeros after the
 * stream. */
static gsize
without_zero_padding (const guint8 *tail, gsize len)
{
  while (len > 0 && tail[len - 1] == 0)
    len--;
  return len;
}

static gboolean
raw_end_found (const guint8 *tail, gsize len)
{
  return ends_with_description (tail, len) || ends_with_footer_eof (tail, len)
         || ends_with_description (tail, without_zero_padding (tail, len));
}

/* The last control byte is within reach when the JSON fits the tail. */
static gboolean
has_control_byte (const guint8 *tail, gsize len)
{
  for (gsize i = len; i > 0; i--)
    if (tail[i - 1] < 0x20)
      return TRUE;
  return FALSE;
}

static guint32
crc32_ieee (const guint8 *p, gsize len)
{
  guint32 crc = 0xffffffff;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= p[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
    }
  return ~crc;
}

/* An xz stream ends with a 12-byte footer: CRC32 of the next 6 bytes,
 * backward size, the stream flags of its header, "YZ"; stream padding
 * (zeros, in fours) may follow. */
static gboolean
xz_end_found (const guint8 *tail, gsize len, const guint8 *start)
{
  gsize end = len;

  while (end >= 4 && memcmp (tail + end - 4, "\0\0\0\0", 4) == 0)
    end -= 4;
  if (end < 12)
    return FALSE;
  tail += end - 12;
  return tail[10] == 'Y' && tail[11] == 'Z'
         && crc32_ieee (tail + 4, 6)
                == ((guint32) tail[0] | (guint32) tail[1] << 8
                    | (guint32) tail[2] << 16 | (guint32) tail[3] << 24)
         && memcmp (tail + 8, start + 6, 2) == 0;
}

static guint64
bits_at (const guint8 *p, gsize bit, guint n)
{
  guint64 v = 0;

  for (guint i = 0; i < n; i++, bit++)
    v = (v << 1) | ((p[bit / 8] >> (7 - bit % 8)) & 1);
  return v;
}

/* A bzip2 stream ends with the 48-bit end-of-stream magic 0x177245385090
 * and a 32-bit CRC, padded to a whole byte: not byte-aligned. */
static gboolean
bzip2_end_found (const guint8 *tail, gsize len)
{
  if (len < 11)
    return FALSE;
  tail += len - 11;
  for (guint pad = 0; pad < 8; pad++)
    if (bits_at (tail, 88 - pad - 32 - 48, 48) == BZIP2_END_MAGIC)
      return TRUE;
  return FALSE;
}

static gboolean
end_found (const VrSaveImage *image, const guint8 *tail, gsize len,
           const guint8 *start)
{
  switch (image->compressed)
    {
    case VR_SAVE_COMPRESSION_RAW:
      return raw_end_found (tail, len);
    case VR_SAVE_COMPRESSION_XZ:
      return xz_end_found (tail, len, start);
    case VR_SAVE_COMPRESSION_BZIP2:
      return bzip2_end_found (tail, len);
    default:
      return FALSE;
    }
}

static const char *
missing_end (guint32 compressed)
{
  switch (compressed)
    {
    case VR_SAVE_COMPRESSION_RAW:
      return "QEMU's migration stream does not end (no end-of-stream marker "
             "and device description at the end of the file)";
    case VR_SAVE_COMPRESSION_XZ:
      return "the xz stream has no footer at the end of the file";
    default:
      return "the bzip2 stream has no end-of-stream marker at the end of "
             "the file";
    }
}

/* The tail, read once more from further back when the raw stream's
 * device description may be longer than the first read. */
static VrSaveStream
check_end (int fd, const VrSaveImage *image, guint64 stream_offset,
           const guint8 *start, const char *display_name, GError **error)
{
  guint64 stream_len = image->file_size - stream_offset;
  gsize len = MIN (stream_len, FIRST_TAIL);
  g_autofree guint8 *tail = g_malloc (len);

  if (!read_at (fd, tail, len, image->file_size - len, display_name, error))
    return VR_SAVE_STREAM_INVALID;
  if (image->compressed == VR_SAVE_COMPRESSION_RAW && len < stream_len
      && !has_control_byte (tail, len))
    {
      len = MIN (stream_len, VR_SAVE_IMAGE_MAX_TAIL);
      g_free (tail);
      tail = g_malloc (len);
      if (!read_at (fd, tail, len, image->file_size - len, display_name,
                    error))
        return VR_SAVE_STREAM_INVALID;
    }
  if (!end_found (image, tail, len, start))
    return incomplete (error, display_name, image,
                       missing_end (image->compressed));
  return VR_SAVE_STREAM_WHOLE;
}

VrSaveStream
vr_save_image_check_stream (int fd, const VrSaveImage *image,
                            const char *display_name, GError **error)
{
  guint64 stream_offset = VR_SAVE_IMAGE_HEADER_SIZE
                          + (guint64) image->data_len;
  const StreamStart *s;
  guint8 start[16] = { 0 };

  if (image->compressed >= G_N_ELEMENTS (stream_starts))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                   "%s: whether the save image is whole cannot be checked: "
                   "its compression format %u is unknown", display_name,
                   image->compressed);
      return VR_SAVE_STREAM_UNCHECKED;
    }
  s = &stream_starts[image->compressed];
  if (image->file_size < stream_offset + s->read_len)
    return incomplete (error, display_name, image, "the file ends before "
                       "the first bytes of the stream after the header");
  if (!read_at (fd, start, s->read_len, stream_offset, display_name, error))
    return VR_SAVE_STREAM_INVALID;
  if (memcmp (start, s->magic, s->magic_len) != 0)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: not a usable save image: %s does not start at byte "
                   "%" G_GUINT64_FORMAT " after the header",
                   display_name, s->what, stream_offset);
      return VR_SAVE_STREAM_INVALID;
    }
  /* Deflate's end is a bit-level block flag and gzip's trailer a CRC of
   * the uncompressed data: only decompressing all of it tells. lzop ends
   * with a zero block length, which a cut inside the zeros of LZO's own
   * end marker mimics: only walking every block header tells. */
  if (image->compressed == VR_SAVE_COMPRESSION_GZIP
      || image->compressed == VR_SAVE_COMPRESSION_LZOP)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                   "%s: whether the save image is whole was not checked: "
                   "the end of %s cannot be checked without decompressing "
                   "it or walking all of it", display_name, s->what);
      return VR_SAVE_STREAM_UNCHECKED;
    }
  return check_end (fd, image, stream_offset, start, display_name, error);
}
