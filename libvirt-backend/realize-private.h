/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "import-dir.h"
#include "realize-journal.h"
#include "realize.h"

G_BEGIN_DECLS

/* One realize in progress (realize.c runs the steps, realize-disks.c the
 * disk copies, realize-verify.c the checks of what was copied). */
typedef struct {
  VrStore *store;
  virConnectPtr conn;
  VrPlannedSystem *system;
  const VrRealizeOptions *options;
  VrProgress *progress;
  GCancellable *cancellable;
  VrRealizeJournal journal;
  VrHandoff handoff;
  VrImportDir *import;
  int pool_fd;       /* the pool directory, opened once: every file the
                        job makes there is made relative to it */
  int save_fd;       /* libvirt's save directory (link hand-off), or -1 */
  char *pool_name;   /* the save image's copy in the pool */
  VrJournalFile *pool_file; /* its journal entry */
  char *pool_path;   /* pool dir + pool_name, for libvirt */
  xmlDoc *doc;       /* the XML to define: the planned one, disks moved */
  char *xml;         /* doc as text, once the copies are made */
  GPtrArray *disks;  /* of RealizeDisk (realize-disks.c) */
  guint64 bytes_before; /* bytes of the files copied already */
  guint64 bytes_total;  /* of every file to copy */
  virDomainPtr dom;
} Realize;

const char *vr_realize_name (Realize *r);

/* Copies src (relpath in the import directory) into the pool under name,
 * or the first free name after it when name is taken: an existing file is
 * never replaced. Each name the copy's file gets is journaled before it
 * can appear; *chosen is the name it got and *entry its journal entry.
 * What was read is checked against the manifest (or the size the import
 * saw) before the caller goes on. */
gboolean vr_realize_copy_to_pool (Realize *r,
                                  int src,
                                  const char *relpath,
                                  const char *name,
                                  char **chosen,
                                  VrJournalFile **entry,
                                  GError **error);

/* The disks inside the import directory that --copy-disks copies; their
 * sizes count in r->bytes_total. */
gboolean vr_realize_plan_disks (Realize *r, GError **error);

/* Copies them into the pool and points r->doc at the copies. */
gboolean vr_realize_copy_disks (Realize *r, GError **error);

/* A checksum for the copy of relpath when the import directory has a
 * manifest to check it against, else NULL. */
VrSha256 *vr_realize_checksum_for (Realize *r);

/* Checks that the copy of relpath (size bytes, hashed into checksum when
 * not NULL) is what was exported (the manifest) or imported (the size the
 * record kept, for the save image). */
gboolean vr_realize_verify_copy (Realize *r,
                                 const char *relpath,
                                 guint64 size,
                                 VrSha256 *checksum,
                                 GError **error);

G_END_DECLS
