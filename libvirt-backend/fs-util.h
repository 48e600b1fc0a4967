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

/* Reads up to len bytes at offset, again after EINTR and short reads;
 * *got < len only at the end of the file. The error names display_name. */
gboolean vr_read_at (int fd, void *buf, gsize len, goffset offset, gsize *got,
                     const char *display_name, GError **error);

/* fsync of a directory, after entries in it were added or renamed. */
gboolean vr_fsync_dir (const char *path, GError **error);

/* Removes a tree without following symlinks; TRUE when it is gone. */
gboolean vr_rmtree (const char *path, GError **error);

G_END_DECLS

G_BEGIN_DECLS

/* Opens the directory at path (O_RDONLY|O_DIRECTORY) and tells its
 * st_dev/st_ino; -1 with errno set on failure. */
int vr_open_dir (const char *path, guint64 *dev, guint64 *ino);

/* Opens path again and checks it is still the directory dev/ino (a
 * journal's, after a crash). -1 with errno set: ENOENT when there is none,
 * ESTALE when another directory is at path now. */
int vr_reopen_dir (const char *path, guint64 dev, guint64 ino);

/* Whether dev/ino is the directory fd or one of its ancestors, by walking
 * the ".." chain up from fd (not by comparing strings, so symlinks, bind
 * paths and "//" do not fool it). FALSE with errno set when a step cannot
 * be opened. */
gboolean vr_dir_is_within (int fd, guint64 dev, guint64 ino, gboolean *within);

/* Removes dir_fd/name only when it is still the regular file dev/ino (the
 * one a job made); TRUE when it removed it. */
gboolean vr_unlink_if_inode (int dir_fd, const char *name, guint64 dev,
                             guint64 ino);

/* Removes the tree dir_fd/name only when it is still the directory
 * dev/ino (one a job made, with all it put inside); TRUE when it removed
 * it. */
gboolean vr_rmtree_if_inode (int dir_fd, const char *name, guint64 dev,
                             guint64 ino);

G_END_DECLS
