/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "copy.h"
#include "progress.h"

G_BEGIN_DECLS

typedef struct {
  /* A running domain is managed-saved first (it stays saved: starting it
   * again here resumes it). Without it a running domain is refused. */
  gboolean save;
  /* File-backed disks are copied into DIR/disks and domain.xml names
   * them there by relative path. */
  gboolean with_disks;
  VrCopyFlags copy_flags;
} VrExportOptions;

typedef struct {
  char *name;        /* the domain's */
  char *uuid;
  char *save_file;   /* the saved state's name in DIR, NULL when none */
  gboolean saved;    /* this export managed-saved the running domain */
  guint disks;       /* disk images copied into DIR/disks */
  gboolean nvram;    /* the UEFI variable store is in DIR/nvram */
  gboolean tpm;      /* the TPM state is in DIR/tpm */
  guint snapshots;   /* snapshots' metadata in DIR/snapshots */
  GPtrArray *notes;  /* what is left where it is, and why */
  guint64 bytes;     /* of every file written */
} VrExportResult;

void vr_export_result_free (VrExportResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrExportResult, vr_export_result_free)

/* ExportSystemDefinition: writes the import directory path (new, or an
 * empty directory) for the persistent domain named domain (a name or a
 * UUID): domain.xml (inactive, with security info), the managed-save
 * image when it has one, with options->with_disks its disks, and
 * manifest.xml. Checks everything it can before it writes anything; a
 * failure or a cancel (G_IO_ERROR_CANCELLED) removes what it wrote (path
 * too, when it made it) and starts a domain it saved again. */
VrExportResult *vr_export (virConnectPtr conn,
                           const char *domain,
                           const char *path,
                           const VrExportOptions *options,
                           VrProgress *progress,
                           GCancellable *cancellable,
                           GError **error);

/* The same into the empty directory open on dir_fd (duplicated; the
 * caller keeps its own), for callers that hand over a descriptor rather
 * than a path: on failure the directory is left empty, not removed. */
VrExportResult *vr_export_to_fd (virConnectPtr conn,
                                 const char *domain,
                                 int dir_fd,
                                 const VrExportOptions *options,
                                 VrProgress *progress,
                                 GCancellable *cancellable,
                                 GError **error);

G_END_DECLS
