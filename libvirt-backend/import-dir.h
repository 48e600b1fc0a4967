/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "save-image.h"

G_BEGIN_DECLS

/* caller-access.h */
typedef struct _VrCaller VrCaller;

#define VR_IMPORT_DOMAIN_XML "domain.xml"
#define VR_IMPORT_MANIFEST "manifest.xml"
#define VR_IMPORT_DISKS_DIR "disks"
#define VR_IMPORT_NVRAM_DIR "nvram"
#define VR_IMPORT_TPM_DIR "tpm"
#define VR_IMPORT_SNAPSHOTS_DIR "snapshots"

/* One file the import directory carries besides the domain's own. */
typedef struct {
  char *relpath;    /* inside the directory, e.g. "tpm/tpm2/tpm2-00.permall" */
  guint64 size;
  guint mode;       /* its permission bits as exported */
} VrImportFile;

void vr_import_file_free (VrImportFile *file);

/* One snapshot's metadata in DIR/snapshots/, parents before children. */
typedef struct {
  char *name;
  char *relpath;    /* "snapshots/N-NAME.xml" */
  char *parent;     /* NULL for a root snapshot */
  gboolean current;
  /* The file as read when the directory was opened: what is validated
   * is what a realize redefines, though the caller may change the file
   * in between. */
  xmlDoc *doc;
} VrImportSnapshot;

void vr_import_snapshot_free (VrImportSnapshot *snapshot);

/* An import directory, read but never written: domain.xml, at most one
 * *.save, optionally disks/, nvram/, tpm/, snapshots/ and manifest.xml. Every file is opened below
 * the directory's fd, without following symlinks, and must be regular. */
typedef struct {
  char *path;       /* absolute path of the directory */
  int fd;           /* the directory, O_RDONLY | O_DIRECTORY */
  xmlDoc *doc;      /* domain.xml */
  char *name;       /* /domain/name of domain.xml */
  char *uuid;       /* /domain/uuid of domain.xml, normalized */
  char *save_file;  /* the *.save file's name, NULL when there is none */
  VrSaveImage *save;
  gboolean has_manifest;
  VrImportFile *nvram;  /* nvram/NAME_VARS.fd, NULL when none */
  GPtrArray *tpm_files; /* of VrImportFile below tpm/, NULL when none */
  char *tpm_folder;     /* "tpm2" or "tpm1.2", with tpm_files */
  GPtrArray *snapshots; /* of VrImportSnapshot, NULL when none */
  guint64 dev;      /* the directory's st_dev and st_ino: which directory */
  guint64 ino;      /* the path named when it was opened */
  /* Who the agent reads it for (owned), NULL in-process: each file is
   * then opened only when that caller could open it themself. */
  VrCaller *caller;
} VrImportDir;

/* Drops a reference; the last one closes the directory. */
void vr_import_dir_free (VrImportDir *dir);
VrImportDir *vr_import_dir_ref (VrImportDir *dir);

/* Only the directory's fd (taken) and path, nothing read. */
VrImportDir *vr_import_dir_new_unread (int fd, const char *path);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrImportDir, vr_import_dir_free)

/* Opens and checks the import directory at path. */
VrImportDir *vr_import_dir_open (const char *path, GError **error);

/* The same for a directory fd handed over by a caller (duplicated, the
 * caller keeps its own). */
VrImportDir *vr_import_dir_open_fd (int dirfd, GError **error);

/* The same read for caller (the agent's bus caller): every file is opened
 * as vr_import_dir_open_file does with dir->caller set, from the first
 * (domain.xml) on. */
VrImportDir *vr_import_dir_open_fd_as (int dirfd,
                                       const VrCaller *caller,
                                       GError **error);

/* From now on, each file of dir is opened for caller (a copy is kept);
 * NULL or root: no check. */
void vr_import_dir_set_caller (VrImportDir *dir, const VrCaller *caller);

/* Opens a regular file named by a relative path inside the directory, with
 * no "..", no absolute path and no symlink at any step. With dir->caller,
 * on the descriptors actually opened: each folder walked must be
 * searchable and the file readable by the caller (owner, group, mode and
 * access ACL, as the kernel would judge), else VR_ERROR_ACCESS_DENIED;
 * nothing below a folder they may not search is even looked up, and the
 * file is not opened for reading before it is known to be theirs to
 * read. */
int vr_import_dir_open_file (VrImportDir *dir,
                             const char *relpath,
                             GError **error);

/* A folder below at (the directory's fd, or a folder's), not followed if
 * it is a link; -1 with no error and *missing set when it is not there. */
int vr_import_dir_open_subdir (int at,
                               const char *name,
                               const char *display_name,
                               gboolean *missing,
                               GError **error);

/* The names in the folder fd (taken and closed), sorted. */
GPtrArray *vr_import_dir_list_names (int fd,
                                     const char *display_name,
                                     GError **error);

/* "DIR/relpath", for messages. */
char *vr_import_dir_describe (VrImportDir *dir, const char *relpath);

G_END_DECLS
