/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "copy.h"

G_BEGIN_DECLS

/* Receives all of vol (a volume of a libvirt, possibly on another host)
 * into fd, an empty file open for writing, as a sparse stream
 * (VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM): holes stay holes, and the
 * file gets the volume's size. progress gets the bytes received (data
 * and holes) of the volume's file size; cancellable aborts the stream.
 * *size (may be NULL) is the file's size after. */
gboolean vr_volume_download (virConnectPtr conn,
                             virStorageVolPtr vol,
                             int fd,
                             GCancellable *cancellable,
                             VrCopyProgressFunc progress,
                             gpointer progress_data,
                             guint64 *size,
                             GError **error);

G_END_DECLS
