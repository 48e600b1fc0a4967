/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/libvirt.h>

#include "planned-system.h"
#include "realize-journal.h"

G_BEGIN_DECLS

/* Whether the domain of an unfinished realize has been used outside the
 * job (started by a person with virsh, say) since the job defined it.
 * Such a domain is never destroyed or undefined, and its files are never
 * removed: what it ran since would be lost. */
typedef struct {
  gboolean used;
  /* The hand-off was made (confirmed, or shown by the domain having been
   * restored from its saved state): the realize counts as done. */
  gboolean handed_off;
  char *why; /* what shows the use, for the record's message */
} VrRealizeUse;

void vr_realize_use_clear (VrRealizeUse *use);

/* Records file's size and modification time now that the job has
 * finished writing it (its last name in dir_fd must still lead to its
 * inode); FALSE when it does not. */
gboolean vr_realize_seal_file (int dir_fd, VrJournalFile *file);

/* Whether name in dir_fd leads to file's inode, unchanged since it was
 * sealed (any content, when it was not): only then may undo remove it. */
gboolean vr_realize_file_intact (int dir_fd,
                                 const char *name,
                                 const VrJournalFile *file);

/* Looks at the journal's domain and files: used when the domain is
 * active (unless paused by the job's own restore), when its confirmed
 * hand-off is gone (a start consumed it), or when a file the job sealed
 * has changed. pool_fd and save_fd as for vr_realize_undo. FALSE with
 * error when libvirt cannot be asked. */
gboolean vr_realize_check_use (virConnectPtr conn,
                               const VrRealizeJournal *journal,
                               int pool_fd,
                               int save_fd,
                               VrRealizeUse *use,
                               GError **error);

/* Ends a job whose domain has been used, in system (the caller saves the
 * record and removes the journal): realized when the hand-off was made
 * (the pool's copy of the saved state goes if unchanged, as the job would
 * have removed it), else failed with the domain and every file of the job
 * kept, the message saying which and why. Removes nothing else. */
void vr_realize_end_used (const VrRealizeJournal *journal,
                          const VrRealizeUse *use,
                          int pool_fd,
                          VrPlannedSystem *system);

G_END_DECLS
