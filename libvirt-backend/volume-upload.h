/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "copy.h"
#include "sha256.h"

G_BEGIN_DECLS

/* A new volume name in pool (a directory pool, possibly on another host)
 * of capacity bytes and nothing allocated: without <allocation>0 a
 * directory pool writes the whole capacity first. It is made a raw
 * file whatever will be uploaded into it (libvirt probes it later). */
virStorageVolPtr vr_volume_create (virStoragePoolPtr pool,
                                   const char *name,
                                   guint64 capacity,
                                   GError **error);

/* Sends the size bytes of fd into vol as a sparse stream
 * (VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM): holes travel as holes. What
 * was read, holes as zeros, goes into checksum when not NULL. progress
 * gets the bytes sent (data and holes); cancellable aborts the stream.
 * Returns once the far side has written it all (the stream finished). */
gboolean vr_volume_upload (virConnectPtr conn,
                           virStorageVolPtr vol,
                           int fd,
                           guint64 size,
                           VrSha256 *checksum,
                           GCancellable *cancellable,
                           VrCopyProgressFunc progress,
                           gpointer progress_data,
                           GError **error);

/* Reads back the first 64 KiB of vol and the 64 KiB before the end of
 * fd's last data (of size bytes) once the upload is finished, and
 * compares them with fd's: FALSE when the upload did not land as sent. */
gboolean vr_volume_check (virConnectPtr conn,
                          virStorageVolPtr vol,
                          int fd,
                          guint64 size,
                          GError **error);

/* The first length bytes of vol (all of it when shorter), read back
 * into a memfd (at offset 0 of it): a copy of ours to judge, whatever
 * the uploaded source became since. -1 on error. */
int vr_volume_read_head (virConnectPtr conn,
                         virStorageVolPtr vol,
                         gsize length,
                         GError **error);

G_END_DECLS
