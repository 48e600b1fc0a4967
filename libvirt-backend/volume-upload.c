/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "volume-upload.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "errors.h"
#include "libvirt-util.h"
#include "safe-xml.h"

static xmlNode *
add_text (xmlNode *parent, const char *name, const char *text)
{
  return xmlNewTextChild (parent, NULL, (const xmlChar *) name,
                          (const xmlChar *) text);
}

/* Built with the tree API: the name comes from the import directory. */
static char *
volume_xml (const char *name, guint64 capacity)
{
  g_autoptr (xmlDoc) doc = xmlNewDoc ((const xmlChar *) "1.0");
  xmlNode *top = xmlNewNode (NULL, (const xmlChar *) "volume");
  xmlNode *node;
  xmlNode *target;
  char text[32];

  xmlDocSetRootElement (doc, top);
  add_text (top, "name", name);
  g_snprintf (text, sizeof text, "%" G_GUINT64_FORMAT, capacity);
  node = add_text (top, "capacity", text);
  xmlSetProp (node, (const xmlChar *) "unit", (const xmlChar *) "bytes");
  add_text (top, "allocation", "0");
  target = xmlNewChild (top, NULL, (const xmlChar *) "target", NULL);
  /* Always a plain file: a qcow2 volume would be made by qemu-img with a
   * header of its own, which the upload must not meet. */
  node = xmlNewChild (target, NULL, (const xmlChar *) "format", NULL);
  xmlSetProp (node, (const xmlChar *) "type", (const xmlChar *) "raw");
  node = xmlNewChild (target, NULL, (const xmlChar *) "permissions", NULL);
  add_text (node, "mode", "0600");
  return vr_xml_to_string (doc);
}

virStorageVolPtr
vr_volume_create (virStoragePoolPtr pool, const char *name,
                  guint64 capacity, GError **error)
{
  g_autofree char *xml = volume_xml (name, capacity);
  virStorageVolPtr vol = virStorageVolCreateXML (pool, xml, 0);

  if (vol == NULL)
    vr_libvirt_set_error (error, "cannot create volume '%s' in pool '%s'",
                          name, virStoragePoolGetName (pool));
  return vol;
}

/* libvirt's legacy payload limit, what virStreamSparseSendAll and virsh
 * send a packet: the far daemon's writes then go as theirs do. */
#define PACKET_SIZE 262120

typedef struct {
  int fd;
  guint64 offset;
  guint64 size;
  VrSha256 *checksum;
  GCancellable *cancellable;
  VrCopyProgressFunc progress;
  gpointer progress_data;
  int read_errno;
  gboolean cancelled;
} Upload;

static void
report (Upload *u)
{
  if (u->progress != NULL)
    u->progress (u->offset, u->size, u->progress_data);
}

/* Where the file's next data or hole starts, as virFileInData does:
 * *length bytes of data (*in_data) or of hole from u->offset. */
static void
next_extent (Upload *u, gboolean *in_data, guint64 *length)
{
  off_t data = lseek (u->fd, u->offset, SEEK_DATA);
  off_t hole;

  if (data < 0 && errno == ENXIO)
    data = u->size;
  else if (data < 0)
    {
      /* No hole support: all of it is data. */
      *in_data = TRUE;
      *length = u->size - u->offset;
      return;
    }
  if ((guint64) data > u->offset)
    {
      *in_data = FALSE;
      *length = MIN ((guint64) data, u->size) - u->offset;
      return;
    }
  hole = lseek (u->fd, u->offset, SEEK_HOLE);
  *in_data = TRUE;
  *length = (hole < 0 ? u->size : MIN ((guint64) hole, u->size)) - u->offset;
}

static gboolean
cancelled (Upload *u)
{
  if (g_cancellable_is_cancelled (u->cancellable))
    u->cancelled = TRUE;
  return u->cancelled;
}

/* Holes are counted as zeros in the checksum. */
static gboolean
send_hole (virStreamPtr st, Upload *u, guint64 length)
{
  static const guint8 zeros[64 * 1024];

  if (virStreamSendHole (st, length, 0) < 0)
    return FALSE;
  for (guint64 left = length; u->checksum != NULL && left > 0;)
    {
      gsize n = MIN (left, sizeof zeros);

      vr_sha256_update (u->checksum, zeros, n);
      left -= n;
    }
  u->offset += length;
  report (u);
  return TRUE;
}

static gboolean
send_data (virStreamPtr st, Upload *u, char *buf, gsize buf_size,
           guint64 length)
{
  while (length > 0)
    {
      gsize want = MIN (length, buf_size);
      ssize_t got;

      if (cancelled (u))
        return FALSE;
      do
        got = pread (u->fd, buf, want, u->offset);
      while (got < 0 && errno == EINTR);
      if (got <= 0)
        {
          /* A file that shrank under us is an error too. */
          u->read_errno = got < 0 ? errno : EIO;
          return FALSE;
        }
      if (u->checksum != NULL)
        vr_sha256_update (u->checksum, buf, got);
      for (ssize_t sent = 0; sent < got;)
        {
          int n = virStreamSend (st, buf + sent, got - sent);

          if (n < 0)
            return FALSE;
          sent += n;
        }
      u->offset += got;
      length -= got;
      report (u);
    }
  return TRUE;
}

/* virStreamSparseSendAll's loop, ours so that a cancel, the progress and
 * the checksum are seen at each packet. Page-aligned 256 KiB packets
 * (session 8) made the far daemon's copy into its page cache several
 * times dearer at 2 GiB (README, Remote hosts: perf of its writer
 * thread); smaller and larger packets were slower too. */
static gboolean
send_all (virStreamPtr st, Upload *u)
{
  const gsize buf_size = PACKET_SIZE;
  g_autofree char *buf = g_malloc (buf_size);

  while (u->offset < u->size)
    {
      gboolean in_data;
      guint64 length;

      if (cancelled (u))
        return FALSE;
      next_extent (u, &in_data, &length);
      if (!(in_data ? send_data (st, u, buf, buf_size, length)
                    : send_hole (st, u, length)))
        return FALSE;
    }
  return TRUE;
}

gboolean
vr_volume_upload (virConnectPtr conn, virStorageVolPtr vol, int fd,
                  guint64 size, VrSha256 *checksum,
                  GCancellable *cancellable, VrCopyProgressFunc progress,
                  gpointer progress_data, GError **error)
{
  Upload u = { fd, 0, size, checksum, cancellable, progress, progress_data,
               0, FALSE };
  virStreamPtr st = virStreamNew (conn, 0);
  gboolean ok = FALSE;

  if (st == NULL)
    {
      vr_libvirt_set_error (error, "cannot open a stream");
      return FALSE;
    }
  if (virStorageVolUpload (vol, st, 0, 0,
                           VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM) < 0)
    vr_libvirt_set_error (error, "cannot upload into volume '%s'",
                          virStorageVolGetName (vol));
  else if (send_all (st, &u))
    {
      /* Only the finish tells whether the far side wrote it all: its
       * writer's errors (a full pool) come back here, and until then the
       * stream stays open in the remote daemon. */
      ok = virStreamFinish (st) == 0;
      if (!ok)
        vr_libvirt_set_error (error, "upload into volume '%s' failed",
                              virStorageVolGetName (vol));
    }
  else if (u.cancelled)
    {
      virStreamAbort (st);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                   "upload into volume '%s' cancelled",
                   virStorageVolGetName (vol));
    }
  else if (u.read_errno != 0)
    {
      virStreamAbort (st);
      vr_error_set_errno (error, u.read_errno, "cannot read what is "
                          "uploaded into volume '%s'",
                          virStorageVolGetName (vol));
    }
  else
    {
      vr_libvirt_set_error (error, "upload into volume '%s' failed",
                            virStorageVolGetName (vol));
      virStreamAbort (st);
    }
  virStreamFree (st);
  return ok;
}

static int
collect (virStreamPtr st, const char *data, size_t nbytes, void *opaque)
{
  g_byte_array_append (opaque, (const guint8 *) data, nbytes);
  return nbytes;
}

/* length bytes of vol from offset (fewer at its end) into out. */
static gboolean
download (virConnectPtr conn, virStorageVolPtr vol, guint64 offset,
          gsize length, GByteArray *out, GError **error)
{
  virStreamPtr st = virStreamNew (conn, 0);

  if (st == NULL || virStorageVolDownload (vol, st, offset, length, 0) < 0
      || virStreamRecvAll (st, collect, out) < 0
      || virStreamFinish (st) < 0)
    {
      vr_libvirt_set_error (error, "cannot read back volume '%s'",
                            virStorageVolGetName (vol));
      if (st != NULL)
        virStreamFree (st);
      return FALSE;
    }
  virStreamFree (st);
  return TRUE;
}

/* Whether vol holds at offset the length bytes fd has there. */
static gboolean
range_matches (virConnectPtr conn, virStorageVolPtr vol, int fd,
               guint64 offset, gsize length, GError **error)
{
  g_autoptr (GByteArray) remote = g_byte_array_new ();
  g_autofree guint8 *local = g_malloc (length);
  int ok;

  if (!download (conn, vol, offset, length, remote, error))
    return FALSE;
  ok = pread (fd, local, length, offset) == (ssize_t) length
       && remote->len == length && memcmp (remote->data, local, length) == 0;
  if (!ok)
    g_set_error (error, VR_ERROR, VR_ERROR_FAILED,
                 "volume '%s' does not hold what was uploaded (%u of %"
                 G_GSIZE_FORMAT " bytes read back at %" G_GUINT64_FORMAT ")",
                 virStorageVolGetName (vol), remote->len, length, offset);
  return ok;
}

int
vr_volume_read_head (virConnectPtr conn, virStorageVolPtr vol, gsize length,
                     GError **error)
{
  g_autoptr (GByteArray) head = g_byte_array_new ();
  int fd;

  if (!download (conn, vol, 0, length, head, error))
    return -1;
  fd = memfd_create ("vr-volume-head", MFD_CLOEXEC);
  if (fd >= 0)
    {
      ssize_t n = write (fd, head->data, head->len);

      if (n == (ssize_t) head->len)
        return fd;
      if (n >= 0)
        errno = EIO; /* a short write sets none */
    }
  vr_error_set_errno (error, errno, "cannot keep the head of volume '%s'",
                      virStorageVolGetName (vol));
  if (fd >= 0)
    close (fd);
  return -1;
}

/* Where fd's last data ends (a hole at the end is no proof: it reads as
 * zeros whether written or not). */
static guint64
data_end (int fd, guint64 size)
{
  off_t pos = 0;
  guint64 end = 0;

  for (;;)
    {
      off_t data = lseek (fd, pos, SEEK_DATA);
      off_t hole;

      if (data < 0)
        return errno == ENXIO ? end : size;
      hole = lseek (fd, data, SEEK_HOLE);
      if (hole < 0 || (guint64) hole >= size)
        return size;
      end = hole;
      pos = hole;
    }
}

gboolean
vr_volume_check (virConnectPtr conn, virStorageVolPtr vol, int fd,
                 guint64 size, GError **error)
{
  guint64 end = data_end (fd, size);
  gsize length = MIN (end, 64 * 1024);

  /* The upload was finished, so the far writer is done: what differs
   * now is a fault, not a race. */
  return length == 0
         || (range_matches (conn, vol, fd, 0, length, error)
             && range_matches (conn, vol, fd, end - length, length, error));
}
