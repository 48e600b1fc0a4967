/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a qcow2 header says about the files an image needs besides
 * itself (QEMU's docs/interop/qcow2.txt). */
typedef struct
{
  gboolean is_qcow2;
  char *backing;      /* the backing file's name as written, or NULL */
  gboolean data_file; /* an external data file (incompatible bit 2) */
  guint64 virtual_size; /* the disk's size as the guest sees it */
} VrQcow2Info;

void vr_qcow2_info_clear (VrQcow2Info *info);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VrQcow2Info, vr_qcow2_info_clear)

/* Reads the header of the image open on fd; a file that is not qcow2 is
 * no error (is_qcow2 FALSE). */
void vr_qcow2_read (int fd, VrQcow2Info *info);

/* "qcow2" or "raw", by the magic of the image open on fd. */
const char *vr_qcow2_format_of (int fd);

/* Points the qcow2 image at path (a copy of ours) at backing, a name
 * relative to its own folder (qemu-img rebase -u: the header only). */
gboolean vr_qcow2_set_backing (const char *path, const char *backing,
                               const char *backing_format, GError **error);

G_END_DECLS
