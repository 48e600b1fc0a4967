/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "import-dir.h"
#include "realize-journal.h"
#include "realize.h"

G_BEGIN_DECLS

/* One realize in progress (realize.c runs the steps, realize-disks.c the
 * disk copies). */
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
  char *pool_path;   /* the save image's copy */
  xmlDoc *doc;       /* the XML to define: the planned one, disks moved */
  char *xml;         /* doc as text, once the copies are made */
  GPtrArray *disks;  /* of RealizeDisk (realize-disks.c) */
  guint64 bytes_before; /* bytes of the files copied already */
  guint64 bytes_total;  /* of every file to copy */
  virDomainPtr dom;
} Realize;

const char *vr_realize_name (Realize *r);
void vr_realize_copy_progress (guint64 done, guint64 total, gpointer user_data);

/* The disks inside the import directory that --copy-disks copies; their
 * sizes count in r->bytes_total. */
gboolean vr_realize_plan_disks (Realize *r, GError **error);

/* Copies them into the pool (each recorded in the journal first) and
 * points r->doc at the copies. */
gboolean vr_realize_copy_disks (Realize *r, GError **error);

/* Removes the disk copies an unfinished realize made. */
void vr_realize_undo_disks (const VrRealizeJournal *journal);

G_END_DECLS
