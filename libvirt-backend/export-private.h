/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libxml/tree.h>

#include "export.h"

G_BEGIN_DECLS

/* A disk export --with-disks copies into DIR/disks. */
typedef struct {
  xmlNode *source;  /* its <source> in domain.xml: @file becomes disks/NAME;
                       NULL for a backing file (the header names it) */
  char *path;       /* the image on this host */
  char *name;       /* its name in DIR/disks, unique */
  char *format;     /* "qcow2" or "raw" */
  char *backing_name;   /* the next file of its chain in DIR/disks, or NULL */
  char *backing_format;
  guint64 size;
} VrExportDisk;

void vr_export_disk_free (VrExportDisk *disk);

/* Sorts every <disk> of doc: file-backed disks are copied (returned),
 * each with its chain of backing files (external snapshots: every file
 * after the one it backs); removable media, read-only and shareable disks
 * stay where they are (a note each in notes); a writable disk that is not
 * plain files (a block device, a volume, a network disk or backing, a
 * qcow2 image with an external data file) cannot be exported with its
 * disks and is an error naming it. remote, when not NULL, is the
 * domain's connection to another host: each disk must be a volume of a
 * pool there (vr_export_remote_disk_new). */
GPtrArray *vr_export_plan_disks (xmlDoc *doc, virConnectPtr remote,
                                 GPtrArray *notes, GError **error);

/* Where an export writes, for the helpers that add files to it: each
 * file or folder made is added to written (relative to path) at once, so
 * that a failure removes it. */
typedef struct {
  const char *path;
  int dir_fd;
  GPtrArray *written;
  guint64 *bytes;
  VrCopyFlags copy_flags;
  GCancellable *cancellable;
} VrExportTarget;

/* The guest's own state on this host that export carries
 * (export-firmware.c): its UEFI variable store and its swtpm state. */
typedef struct {
  char *nvram_path;  /* NULL when there is none to carry */
  char *tpm_dir;     /* swtpm's folder, .../UUID/tpm2; NULL when none */
  char *tpm_folder;  /* "tpm2" or "tpm1.2" */
  /* The libvirt on another host whose volume nvram_path is (a remote
   * realize makes the store one), or NULL: the store is downloaded. */
  virConnectPtr nvram_conn;
} VrExportFirmware;

void vr_export_firmware_clear (VrExportFirmware *fw);

/* Finds the files; what cannot be carried (a remote host's, a guest that
 * never ran) is a note. */
void vr_export_plan_firmware (virConnectPtr conn, xmlDoc *doc,
                              const char *name, const char *uuid,
                              VrExportFirmware *fw, GPtrArray *notes);

/* Copies them into nvram/ and tpm/ of the target, modes kept. */
gboolean vr_export_copy_firmware (VrExportTarget *target,
                                  const VrExportFirmware *fw,
                                  GError **error);

/* With --with-disks: every snapshot's metadata into snapshots/, parents
 * first, disk sources made the copies' relative paths (disks, of
 * VrExportDisk); *count gets how many (export-snapshots.c). */
gboolean vr_export_snapshots (VrExportTarget *target,
                              virDomainPtr dom,
                              GPtrArray *disks,
                              guint *count,
                              GError **error);

/* A remote domain's managed save into dir_fd/name (a new file): through
 * a volume of the remote "default" pool (export-remote.c), the domain
 * left managed-saved as it was. On failure name may exist (the caller
 * removes it). *size is the file's size. */
gboolean vr_export_remote_save (virConnectPtr conn,
                                virDomainPtr dom,
                                int dir_fd,
                                const char *name,
                                GCancellable *cancellable,
                                VrCopyProgressFunc progress,
                                gpointer progress_data,
                                guint64 *size,
                                GError **error);

/* The disk of a domain on another host at path there, which must be a
 * volume of one of that host's active pools (else an error naming what
 * and path) with no backing chain; source and name are the caller's to
 * set. */
VrExportDisk *vr_export_remote_disk_new (virConnectPtr conn,
                                         const char *what,
                                         const char *path,
                                         GError **error);

/* Downloads disk (vr_export_remote_disk_new) into disks_fd/disk->name, a
 * new file the caller removes on failure; *size is its size. */
gboolean vr_export_remote_disk (virConnectPtr conn,
                                VrExportDisk *disk,
                                int disks_fd,
                                GCancellable *cancellable,
                                VrCopyProgressFunc progress,
                                gpointer progress_data,
                                guint64 *size,
                                GError **error);

/* A domain on another host with TPM state, or a UEFI variable store
 * that is no volume of that host's active pools: refused (Not
 * supported), the message naming what is not carried and how to carry
 * it; TRUE when it has neither. A store that is a volume goes into fw
 * (nvram_path, nvram_conn), to be downloaded. */
gboolean vr_export_remote_check_firmware (virConnectPtr conn,
                                          xmlDoc *doc,
                                          const char *name,
                                          const char *uuid,
                                          VrExportFirmware *fw,
                                          GError **error);

/* The remote volume at path into dir_fd/name (a new file), as a sparse
 * stream; *size gets its size. */
gboolean vr_export_remote_nvram (virConnectPtr conn,
                                 const char *path,
                                 int dir_fd,
                                 const char *name,
                                 GCancellable *cancellable,
                                 guint64 *size,
                                 GError **error);

G_END_DECLS
