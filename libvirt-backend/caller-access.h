/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include "import-dir.h"

G_BEGIN_DECLS

/* Who asked the root agent for work: a root process may open anything,
 * so it checks each file it reads on a caller's behalf against what the
 * caller could read themself: owner, group and mode bits, and a POSIX
 * access ACL where the file has one, evaluated as the kernel does (a
 * named-user entry that denies the caller denies, though the mode bits
 * would let "others" read; one that grants is honoured). */
struct _VrCaller {
  uid_t uid;
  GArray *gids; /* of gid_t: the primary and supplementary groups */
};

/* The caller uid with the groups the user database gives it. */
VrCaller *vr_caller_new (uid_t uid);
void vr_caller_free (VrCaller *caller);
VrCaller *vr_caller_copy (const VrCaller *caller);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrCaller, vr_caller_free)

/* TRUE when the caller's mode bits allow every access in mask (R_OK,
 * W_OK, X_OK) on the file st describes, ACLs aside. Root may do
 * anything. */
gboolean vr_caller_may (const VrCaller *caller,
                        const struct stat *st,
                        int mask);

/* The same with the file's POSIX access ACL honoured, on a descriptor
 * (O_PATH is enough) of the file st describes: what the kernel would
 * let the caller do with that very inode. */
gboolean vr_caller_may_fd (const VrCaller *caller,
                           int fd,
                           const struct stat *st,
                           int mask);

/* VR_ERROR_ACCESS_DENIED (32769) for path (st): the caller may not do
 * what (e.g. "read", "search") there. Always FALSE. */
gboolean vr_caller_denied (const char *path,
                           const VrCaller *caller,
                           const struct stat *st,
                           const char *what,
                           GError **error);

/* Every file of the import directory that virt-realize reads (domain.xml,
 * manifest.xml, the save image, and disks/, nvram/, tpm/, snapshots/
 * throughout) readable, and every folder on the way readable and
 * searchable, by the caller; else VR_ERROR_ACCESS_DENIED (32769) naming
 * the first that is not. */
gboolean vr_import_dir_check_caller (VrImportDir *dir,
                                     const VrCaller *caller,
                                     GError **error);

/* The same on a directory descriptor before anything in it was opened
 * or parsed (path names it in messages; NULL: where the descriptor
 * leads): what the agent must check
 * first, so that a refused caller learns nothing of the files. */
gboolean vr_caller_check_import_fd (int dirfd,
                                    const char *path,
                                    const VrCaller *caller,
                                    GError **error);

/* A descriptor a caller passed as a directory: open for reading (not
 * O_PATH, which proves no right to read it) and a directory; else
 * VR_ERROR_INVALID_PARAMETER. */
gboolean vr_caller_check_dir_fd (int fd, GError **error);

/* Where path (absolute) leads once ".." and symbolic links are resolved,
 * found as the caller could find it: each name looked up only in a
 * directory they may search (mode bits and access ACL). NULL when they
 * could not get there; then *missing (may be NULL) is TRUE when what is
 * not there is a name in a directory they may search (they could see it
 * is missing), FALSE when the path is hidden from them. The root agent
 * chooses what to tell a caller about their paths by this, never by
 * its own realpath() or access(): no existence oracle. */
char *vr_caller_resolve (const VrCaller *caller,
                         const char *path,
                         gboolean *missing);

/* TRUE when nothing is at path (absolute; not even a dangling link) and
 * the caller could see that: its folder is one they reach and may
 * search. FALSE when something is there or it is hidden from them. */
gboolean vr_caller_sees_missing (const VrCaller *caller, const char *path);

G_END_DECLS
