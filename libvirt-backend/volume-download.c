/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A volume brought here over the connection as a sparse stream. */
#include "config.h"

#include "volume-download.h"

#include <errno.h>
#include <unistd.h>

#include "errors.h"
#include "libvirt-util.h"

typedef struct {
  int fd;
  guint64 done;
  guint64 total;
  GCancellable *cancellable;
  VrCopyProgressFunc progress;
  gpointer progress_data;
  int saved_errno; /* why a write failed, 0 when none did */
} Download;

static void
report (Download *d)
{
  if (d->progress != NULL)
    d->progress (d->done, d->total, d->progress_data);
}

/* libvirt's stream callbacks: a negative answer aborts the stream. */
static int
receive_data (virStreamPtr st, const char *data, size_t nbytes,
              void *opaque)
{
  Download *d = opaque;
  size_t written = 0;

  if (g_cancellable_is_cancelled (d->cancellable))
    return -1;
  while (written < nbytes)
    {
      ssize_t n = write (d->fd, data + written, nbytes - written);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          d->saved_errno = errno;
          return -1;
        }
      written += n;
    }
  d->done += nbytes;
  report (d);
  return nbytes;
}

static int
receive_hole (virStreamPtr st, long long length, void *opaque)
{
  Download *d = opaque;

  if (g_cancellable_is_cancelled (d->cancellable))
    return -1;
  if (lseek (d->fd, length, SEEK_CUR) < 0)
    {
      d->saved_errno = errno;
      return -1;
    }
  d->done += length;
  report (d);
  return 0;
}

static gboolean
receive (virStreamPtr st, Download *d, const char *name, GError **error)
{
  if (virStreamSparseRecvAll (st, receive_data, receive_hole, d) == 0
      && virStreamFinish (st) == 0)
    return TRUE;
  virStreamAbort (st);
  if (g_cancellable_set_error_if_cancelled (d->cancellable, error))
    return FALSE;
  if (d->saved_errno != 0)
    vr_error_set_errno (error, d->saved_errno,
                        "cannot write what volume '%s' holds", name);
  else
    vr_libvirt_set_error (error, "download of volume '%s' failed", name);
  return FALSE;
}

gboolean
vr_volume_download (virConnectPtr conn, virStorageVolPtr vol, int fd,
                    GCancellable *cancellable, VrCopyProgressFunc progress,
                    gpointer progress_data, guint64 *size, GError **error)
{
  const char *name = virStorageVolGetName (vol);
  Download d = { .fd = fd, .cancellable = cancellable,
                 .progress = progress, .progress_data = progress_data };
  g_autoptr (virStream) st = virStreamNew (conn, 0);
  virStorageVolInfo info;
  off_t end;

  /* The file's size: a qcow2 volume's capacity is its guest's disk. */
  if (virStorageVolGetInfoFlags (vol, &info,
                                 VIR_STORAGE_VOL_GET_PHYSICAL) == 0)
    d.total = info.allocation;
  if (st == NULL
      || virStorageVolDownload (vol, st, 0, 0,
                                VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM) < 0)
    {
      vr_libvirt_set_error (error, "cannot download volume '%s'", name);
      return FALSE;
    }
  if (!receive (st, &d, name, error))
    return FALSE;
  /* A hole at the end moved the offset only: the size is set here. */
  end = lseek (fd, 0, SEEK_CUR);
  if (end < 0 || ftruncate (fd, end) < 0 || fdatasync (fd) < 0)
    {
      vr_error_set_errno (error, errno, "cannot finish the download of "
                          "volume '%s'", name);
      return FALSE;
    }
  if (size != NULL)
    *size = end;
  return TRUE;
}
