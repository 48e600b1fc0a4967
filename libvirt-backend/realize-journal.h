/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "planned-system.h"
#include "store.h"

G_BEGIN_DECLS

#define VR_REALIZE_JOURNAL "journal.xml"

/* What a realize has made so far, written before each step that leaves
 * something behind, so that whoever finds it after a crash knows exactly
 * what to undo (schemas/realize-journal.rng). */
typedef struct {
  char *pool_dir;      /* where the copy goes */
  char *pool_file;     /* its name there; temp files start with the copy
                          engine's prefix and this name */
  char *domain_uuid;   /* set once the domain is defined */
  char *managed_save;  /* set before a link hand-off makes this file */
  GPtrArray *disk_files; /* disk copies' names in pool_dir, each added
                            before its copy starts; NULL when none */
  gboolean handed_off; /* the state is libvirt's */
  gboolean finished;   /* every step done; only the record is left */
} VrRealizeJournal;

void vr_realize_journal_free (VrRealizeJournal *journal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrRealizeJournal, vr_realize_journal_free)

gboolean vr_realize_journal_write (VrStore *store,
                                   VrPlannedSystem *system,
                                   const VrRealizeJournal *journal,
                                   GError **error);

/* NULL without error when there is none. */
VrRealizeJournal *vr_realize_journal_read (VrStore *store,
                                           VrPlannedSystem *system,
                                           GError **error);

void vr_realize_journal_remove (VrStore *store, VrPlannedSystem *system);

G_END_DECLS
