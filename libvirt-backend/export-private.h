/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libxml/tree.h>

#include "export.h"

G_BEGIN_DECLS

/* A disk export --with-disks copies into DIR/disks. */
typedef struct {
  xmlNode *source;  /* its <source> in domain.xml: @file becomes disks/NAME */
  char *path;       /* the image on this host */
  char *name;       /* its name in DIR/disks, unique */
  guint64 size;
} VrExportDisk;

void vr_export_disk_free (VrExportDisk *disk);

/* Sorts every <disk> of doc: file-backed disks are copied (returned);
 * removable media, read-only and shareable disks stay where they are
 * (a note each in notes); a writable disk that is not a plain file (a
 * block device, a volume, a network disk, a qcow2 image with a backing
 * file or an external data file) cannot be exported with its disks and
 * is an error naming it. */
GPtrArray *vr_export_plan_disks (xmlDoc *doc, GPtrArray *notes,
                                 GError **error);

G_END_DECLS
