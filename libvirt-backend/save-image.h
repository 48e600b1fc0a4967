/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* libvirt's QEMU save image header (src/qemu/qemu_saveimage.h): host byte
 * order, 92 bytes, then data_len bytes holding the domain XML and, from
 * version 2, the <cookie> XML; QEMU's migration stream follows. */
#define VR_SAVE_IMAGE_MAGIC "LibvirtQemudSave"
#define VR_SAVE_IMAGE_PARTIAL_MAGIC "LibvirtQemudPart"
#define VR_SAVE_IMAGE_HEADER_SIZE 92
/* Far beyond any real domain XML; protects us from a hostile data_len. */
#define VR_SAVE_IMAGE_MAX_DATA_LEN (16 * 1024 * 1024)

typedef enum {
  VR_SAVE_COMPRESSION_RAW = 0,
  VR_SAVE_COMPRESSION_GZIP = 1,
  VR_SAVE_COMPRESSION_BZIP2 = 2,
  VR_SAVE_COMPRESSION_XZ = 3,
  VR_SAVE_COMPRESSION_LZOP = 4,
} VrSaveCompression;

typedef struct {
  guint32 version;
  guint32 data_len;
  gboolean was_running;
  guint32 compressed;
  guint32 cookie_offset;
  guint64 file_size;
  /* st_mtim in ns: moves on any write (a realize without a manifest
   * compares it with the import's). Not st_ctim: a chmod that lets the
   * caller read the file must not make it "changed". */
  gint64 file_mtime_ns;
  char *xml;    /* the domain XML libvirt will restore */
  char *cookie; /* the guest CPU cookie, NULL when the image has none */
  char *name;   /* /domain/name of xml */
  char *uuid;   /* /domain/uuid of xml, normalized */
} VrSaveImage;

void vr_save_image_free (VrSaveImage *image);

/* Whether two reads hold the same header and embedded XML and cookie:
 * what libvirt parses of an image (thirteenth review, C1). */
gboolean vr_save_image_same_head (const VrSaveImage *a,
                                  const VrSaveImage *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrSaveImage, vr_save_image_free)

/* Reads and checks the header and embedded XML of the image open on fd;
 * display_name names it in errors. Refuses an incomplete save (magic
 * LibvirtQemudPart), an unknown version, a data_len beyond the file, a
 * compression this host cannot undo, and embedded XML without a name and
 * UUID. */
VrSaveImage *vr_save_image_read_fd (int fd,
                                    const char *display_name,
                                    GError **error);

/* The same for a path (O_NOFOLLOW: a symlink is refused). */
VrSaveImage *vr_save_image_read (const char *path, GError **error);

typedef enum {
  VR_SAVE_STREAM_WHOLE,
  VR_SAVE_STREAM_UNCHECKED,  /* no cheap check of its end (gzip, lzop) */
  VR_SAVE_STREAM_INCOMPLETE, /* cut short */
  VR_SAVE_STREAM_INVALID,    /* not a stream of its format, or unreadable */
} VrSaveStream;

/* Checks that QEMU's migration stream after the header is whole, as a
 * copy cut short (an interrupted cp, `truncate`) is not: its start (QEMU's
 * or the compressor's magic) and its end (QEMU's end-of-stream marker and
 * device description, or the compressor's end marker). Reads the stream's
 * first bytes and at most its last VR_SAVE_IMAGE_MAX_TAIL bytes, never the
 * whole file. Sets error, naming display_name, for anything but WHOLE:
 * an incomplete stream's names its size and what is missing. */
VrSaveStream vr_save_image_check_stream (int fd, const VrSaveImage *image,
                                         const char *display_name,
                                         GError **error);

/* How far from the end of the file the stream's end is looked for:
 * QEMU's JSON description of the devices is tens of KiB. */
#define VR_SAVE_IMAGE_MAX_TAIL (16 * 1024 * 1024)

/* "raw", "gzip", ... or NULL for an unknown format. */
const char *vr_save_compression_name (guint32 compressed);

G_END_DECLS
