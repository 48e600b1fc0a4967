/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "import-dir.h"
#include "progress.h"

G_BEGIN_DECLS

/* manifest.xml (schemas/manifest.rng): every other file of an import
 * directory, by relative path, with its size and SHA-256. export writes
 * one; import checks it when it is there. */

/* The manifest of every file below dir_fd (manifest.xml itself left out),
 * as XML text. Hashing reports bytes to progress's current step and
 * looks at the cancellable between buffers. Anything below dir_fd that is
 * neither a regular file nor a directory is an error; display_dir names
 * the directory in errors. */
char *vr_manifest_build (int dir_fd,
                         const char *display_dir,
                         VrProgress *progress,
                         GCancellable *cancellable,
                         GError **error);

/* Checks dir's manifest.xml: every file it lists is there (opened with
 * vr_import_dir_open_file, so nothing outside dir is reached) with its
 * size and SHA-256, and dir holds no file it does not list. Errors are
 * VR_ERROR_INVALID_PARAMETER and name the file; a cancel is GIO's
 * G_IO_ERROR_CANCELLED. Progress as for vr_manifest_build(). A dir
 * without manifest.xml is an error: look at dir->has_manifest first. */
gboolean vr_manifest_verify (VrImportDir *dir,
                             VrProgress *progress,
                             GCancellable *cancellable,
                             GError **error);

/* The size and SHA-256 (lower-case hex) dir's manifest.xml lists for
 * relpath; NULL with an error naming the file when it lists none. */
char *vr_manifest_sha256_of (VrImportDir *dir,
                             const char *relpath,
                             guint64 *size,
                             GError **error);

G_END_DECLS
