/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Writes a file as a whole or not at all: temp file, fsync, rename, then
 * fsync of the directory so the rename itself survives a crash. */
gboolean vr_write_file_atomic (const char *path,
                               const char *contents,
                               gssize len,
                               GError **error);

/* Writes all of data to fd, again after EINTR and short writes; FALSE with
 * errno set on failure. */
gboolean vr_write_all (int fd, const char *data, gsize len);

/* fsync of a directory, after entries in it were added or renamed. */
gboolean vr_fsync_dir (const char *path, GError **error);

/* Removes a tree without following symlinks; TRUE when it is gone. */
gboolean vr_rmtree (const char *path, GError **error);

G_END_DECLS
