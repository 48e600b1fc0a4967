/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include "sha256.h"

G_BEGIN_DECLS

/* A copy writes into a temp file in the destination's directory: an
 * O_TMPFILE file without a name where the filesystem has them (nothing is
 * left if the process dies), else one named VR_COPY_TEMP_PREFIX + the
 * destination's name (cut to fit NAME_MAX) + "." + six hex digits, which
 * VrCopyExtra.track learns or vr_copy_remove_temps removes. */
#define VR_COPY_TEMP_PREFIX ".vr-copy-"

/* The most one copy_file_range or read/write step moves between two looks
 * at the cancellable, and the size of the read/write buffer. */
#define VR_COPY_CHUNK_SIZE (8u << 20)

typedef enum {
  VR_COPY_NONE = 0,
  VR_COPY_REPLACE = 1 << 0,      /* an existing destination may be replaced */
  VR_COPY_NO_REFLINK = 1 << 1,   /* for tests and benchmarks */
  VR_COPY_NO_COPY_FILE_RANGE = 1 << 2,
  /* An existing destination is left as it is and the copy takes the first
   * free name of NAME-2.EXT … NAME-10.EXT (vr_copy_free_name), then of
   * random ones, NAME-<16 hex digits>.EXT, which nobody sharing the folder
   * can take first; the last name VrCopyExtra.track is told is the one it
   * got. */
  VR_COPY_FREE_NAME = 1 << 3,
  /* A named temp file even where O_TMPFILE works (tests of that path). */
  VR_COPY_NAMED_TEMP = 1 << 4,
} VrCopyFlags;

typedef enum {
  VR_COPY_METHOD_REFLINK,
  VR_COPY_METHOD_COPY_FILE_RANGE,
  VR_COPY_METHOD_READ_WRITE,
} VrCopyMethod;

typedef struct {
  VrCopyMethod method;
  guint64 size;
  guint64 data_bytes;   /* bytes in the source's data extents: copied, or shared by a reflink */
} VrCopyResult;

/* Called from the copying thread, at most 10 times a second, and once at
 * the end with done == total. total is the source's data bytes, so a
 * sparse file's holes do not count. */
typedef void (*VrCopyProgressFunc) (guint64 done, guint64 total,
                                    gpointer user_data);

/* Told of every name the copy's file may have in the destination
 * directory before it can appear there: the temp file once this copy made
 * it (O_CREAT|O_EXCL), then each name it is about to be renamed to. dev and
 * ino are the file's (a rename keeps them). FALSE stops the copy, which
 * removes its temp file. */
typedef gboolean (*VrCopyTrackFunc) (const char *name,
                                     guint64 dev,
                                     guint64 ino,
                                     gpointer user_data,
                                     GError **error);

typedef struct {
  VrCopyTrackFunc track;
  gpointer track_data;
  /* When set, fed every byte of the source in order (holes as zeros) as
   * the copy reads it; after a reflink or copy_file_range, which do not
   * pass the data through us, the source is read once for it. */
  VrSha256 *sha256;
  /* With check_size: the source must be expected_size bytes when the
   * copy starts (what a per-user limit counted it as), or the copy is
   * refused; it never copies past the size it started with. */
  gboolean check_size;
  guint64 expected_size;
} VrCopyExtra;

/* Copies the regular file src_fd into dst_dir_fd/dst_name: temp file beside
 * it, data, fdatasync, rename, fsync of the directory; nothing is left
 * behind on failure or cancel. dst_mode is the new file's mode (umask does
 * not apply). dst_dir_fd must be open for reading (not O_PATH). src_fd's
 * file offset is not used and may move. Without VR_COPY_REPLACE an existing
 * dst_name is refused with VR_ERROR_IN_USE. A cancel returns GIO's
 * G_IO_ERROR_CANCELLED; every other failure is in VR_ERROR and names the
 * file. */
gboolean vr_copy_fd_to (int src_fd,
                        int dst_dir_fd,
                        const char *dst_name,
                        mode_t dst_mode,
                        VrCopyFlags flags,
                        GCancellable *cancellable,
                        VrCopyProgressFunc progress,
                        gpointer progress_data,
                        VrCopyResult *result,
                        GError **error);

/* vr_copy_fd_to() with extra (may be NULL). */
gboolean vr_copy_fd_to_extra (int src_fd,
                              int dst_dir_fd,
                              const char *dst_name,
                              mode_t dst_mode,
                              VrCopyFlags flags,
                              const VrCopyExtra *extra,
                              GCancellable *cancellable,
                              VrCopyProgressFunc progress,
                              gpointer progress_data,
                              VrCopyResult *result,
                              GError **error);

/* The n-th name VR_COPY_FREE_NAME tries for name (n >= 2): "vm.save" gives
 * "vm-2.save", "disk" gives "disk-2". */
char *vr_copy_free_name (const char *name, guint n);

/* Convenience: by paths. src is opened O_RDONLY|O_NOFOLLOW|O_CLOEXEC and
 * must be a regular file (a symbolic link is refused). */
gboolean vr_copy_file (const char *src,
                       const char *dst,
                       mode_t dst_mode,
                       VrCopyFlags flags,
                       GCancellable *cancellable,
                       VrCopyProgressFunc progress,
                       gpointer progress_data,
                       VrCopyResult *result,
                       GError **error);

/* Removes the temp files a copy to dir/name left behind when it could not
 * clean up itself (the process died). Best effort: what cannot be removed
 * stays. It removes every temp file of that name, a running copy's too:
 * only for a directory no other copy can be writing to (a realize tracks
 * its temp files with VrCopyExtra.track instead). */
void vr_copy_remove_temps (const char *dir, const char *name);

/* "reflink", "copy_file_range" or "read/write". */
const char *vr_copy_method_to_string (VrCopyMethod method);

G_END_DECLS
