/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "save-image.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-xml.h"
#include "errors.h"
#include "fs-util.h"
#include "safe-xml.h"

typedef struct {
  char magic[16];
  guint32 version;
  guint32 data_len;
  guint32 was_running;
  guint32 compressed;
  guint32 cookie_offset;
  guint32 unused[14];
} RawHeader;

G_STATIC_ASSERT (sizeof (RawHeader) == VR_SAVE_IMAGE_HEADER_SIZE);

static const char *const compression_programs[] = {
  NULL, "gzip", "bzip2", "xz", "lzop",
};

void
vr_save_image_free (VrSaveImage *image)
{
  if (image == NULL)
    return;
  g_free (image->xml);
  g_free (image->cookie);
  g_free (image->name);
  g_free (image->uuid);
  g_free (image);
}

const char *
vr_save_compression_name (guint32 compressed)
{
  if (compressed == VR_SAVE_COMPRESSION_RAW)
    return "raw";
  if (compressed < G_N_ELEMENTS (compression_programs))
    return compression_programs[compressed];
  return NULL;
}

static gboolean
invalid (GError **error, const char *display_name, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

static gboolean
invalid (GError **error, const char *display_name, const char *format, ...)
{
  va_list ap;
  g_autofree char *what = NULL;

  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s: not a usable save image: %s", display_name, what);
  return FALSE;
}

static gboolean
check_header (const RawHeader *h, guint64 file_size, const char *display_name,
              GError **error)
{
  const char *program;

  if (memcmp (h->magic, VR_SAVE_IMAGE_PARTIAL_MAGIC, 16) == 0)
    return invalid (error, display_name,
                    "the save did not complete (magic %s)",
                    VR_SAVE_IMAGE_PARTIAL_MAGIC);
  if (memcmp (h->magic, VR_SAVE_IMAGE_MAGIC, 16) != 0)
    return invalid (error, display_name, "bad magic (expected %s)",
                    VR_SAVE_IMAGE_MAGIC);
  if (h->version != 1 && h->version != 2)
    return invalid (error, display_name, "unknown version %u (1 and 2 are "
                    "known)", h->version);
  if (h->data_len == 0 || h->data_len > VR_SAVE_IMAGE_MAX_DATA_LEN)
    return invalid (error, display_name, "header data length %u is out of "
                    "range", h->data_len);
  if ((guint64) VR_SAVE_IMAGE_HEADER_SIZE + h->data_len >= file_size)
    return invalid (error, display_name, "truncated: the header announces %u "
                    "bytes of XML but the file has %" G_GUINT64_FORMAT
                    " bytes in all", h->data_len, file_size);
  if (h->version == 2 && h->cookie_offset >= h->data_len)
    return invalid (error, display_name, "cookie offset %u lies outside the "
                    "%u bytes of XML data", h->cookie_offset, h->data_len);
  program = vr_save_compression_name (h->compressed);
  if (program == NULL)
    return invalid (error, display_name, "unknown compression format %u",
                    h->compressed);
  if (h->compressed != VR_SAVE_COMPRESSION_RAW)
    {
      g_autofree char *found = g_find_program_in_path (program);

      if (found == NULL)
        {
          g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                       "%s: the image is %s-compressed and '%s' is not "
                       "installed on this host", display_name, program,
                       program);
          return FALSE;
        }
    }
  return TRUE;
}

/* The strings must be NUL-terminated inside data_len, or libvirt would read
 * past them. */
static char *
string_at (const char *data, guint32 data_len, guint32 offset)
{
  const char *end = memchr (data + offset, '\0', data_len - offset);

  if (end == NULL || end == data + offset)
    return NULL;
  return g_strndup (data + offset, end - (data + offset));
}

static gboolean
parse_data (VrSaveImage *image, const char *data, const char *display_name,
            GError **error)
{
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char *where = g_strdup_printf ("%s (embedded domain XML)",
                                            display_name);

  image->xml = string_at (data, image->data_len, 0);
  if (image->xml == NULL)
    return invalid (error, display_name, "the embedded domain XML is empty "
                    "or not terminated");
  /* libvirt writes offset 0 when it had no cookie to store. */
  if (image->version == 2 && image->cookie_offset > 0)
    image->cookie = string_at (data, image->data_len, image->cookie_offset);
  doc = vr_xml_parse_buffer (image->xml, strlen (image->xml), where, "domain",
                             error);
  if (doc == NULL)
    return FALSE;
  return vr_domain_xml_get_identity (doc, where, &image->name, &image->uuid,
                                     error);
}

VrSaveImage *
vr_save_image_read_fd (int fd, const char *display_name, GError **error)
{
  RawHeader h;
  struct stat st;
  gsize got = 0;
  g_autofree char *data = NULL;
  g_autoptr (VrSaveImage) image = g_new0 (VrSaveImage, 1);

  if (fstat (fd, &st) < 0)
    {
      vr_error_set_errno (error, errno, "%s", display_name);
      return NULL;
    }
  if (!vr_read_at (fd, &h, sizeof h, 0, &got, display_name, error))
    return NULL;
  if (got < sizeof h)
    {
      invalid (error, display_name, "truncated inside the %d-byte header "
               "(%" G_GSIZE_FORMAT " bytes)", VR_SAVE_IMAGE_HEADER_SIZE, got);
      return NULL;
    }
  if (!check_header (&h, st.st_size, display_name, error))
    return NULL;
  image->version = h.version;
  image->data_len = h.data_len;
  image->was_running = h.was_running != 0;
  image->compressed = h.compressed;
  image->cookie_offset = h.cookie_offset;
  image->file_size = st.st_size;
  image->file_mtime_ns = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
                         + st.st_mtim.tv_nsec;
  data = g_malloc (h.data_len);
  if (!vr_read_at (fd, data, h.data_len, sizeof h, &got, display_name, error))
    return NULL;
  if (got < h.data_len)
    {
      invalid (error, display_name, "truncated inside the domain XML");
      return NULL;
    }
  if (!parse_data (image, data, display_name, error))
    return NULL;
  return g_steal_pointer (&image);
}

VrSaveImage *
vr_save_image_read (const char *path, GError **error)
{
  int fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  VrSaveImage *image;
  struct stat st;

  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open %s", path);
      return NULL;
    }
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: not a regular file", path);
      close (fd);
      return NULL;
    }
  image = vr_save_image_read_fd (fd, path, error);
  close (fd);
  return image;
}

gboolean
vr_save_image_same_head (const VrSaveImage *a, const VrSaveImage *b)
{
  return a->version == b->version && a->data_len == b->data_len
         && a->compressed == b->compressed && a->was_running == b->was_running
         && a->cookie_offset == b->cookie_offset
         && g_strcmp0 (a->xml, b->xml) == 0
         && g_strcmp0 (a->cookie, b->cookie) == 0;
}
