/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "planned-system.h"
#include "store.h"

G_BEGIN_DECLS

#define VR_REALIZE_JOURNAL "journal.xml"

/* The XML namespace of the element a realize puts into the <metadata> of
 * the domain it defines: <vr:realize planned="UUID" job="ID" time="…"/>. */
#define VR_REALIZE_METADATA_NS "http://virt-realize.org/schemas/realize/1"
#define VR_REALIZE_METADATA_PREFIX "vr"
#define VR_REALIZE_METADATA_ELEMENT "realize"

typedef enum {
  VR_JOURNAL_DIR_POOL,  /* the pool directory */
  VR_JOURNAL_DIR_SAVE,  /* libvirt's managed-save directory */
  VR_JOURNAL_DIR_NVRAM, /* libvirt's UEFI variable stores */
  VR_JOURNAL_DIR_SWTPM, /* swtpm's states: its entries are folders, each
                           removed with what is inside */
} VrJournalDir;

/* A directory the job works in, as it was when the job opened it: undo
 * after a crash reopens it by path and touches it only when it is still
 * that directory (st_dev/st_ino). */
typedef struct {
  char *path;
  guint64 dev;
  guint64 ino;
} VrJournalDirId;

/* A file this job made itself (O_CREAT|O_EXCL, or a link/rename that does
 * not replace), by its st_dev/st_ino: it is this job's under each of its
 * names only while the name still leads to that inode. */
typedef struct {
  VrJournalDir dir;
  guint64 dev;
  guint64 ino;
  GPtrArray *names;  /* every name it had or is about to get, in order */
  /* Once the job has finished writing it: its size and modification time
   * then. A sealed file that differs has been written since (by the
   * guest, or a person): undo never removes it. */
  gboolean sealed;
  guint64 size;
  gint64 mtime_ns;
  gboolean saved_state; /* the save image's copy in the pool */
} VrJournalFile;

/* A volume a realize onto a remote host made in the remote pool: the
 * name is journaled before it is created, the key once it was (undo
 * deletes a volume only while that name still has that key). */
typedef struct {
  char *name;
  char *key;       /* NULL until created */
} VrJournalVolume;

/* What a realize has made so far, written (and synced) before each step
 * that could leave something behind, so that whoever finds it after a
 * crash knows exactly what to undo: only what the job made, never a file
 * or domain that was there before or belongs to another job. */
typedef struct {
  char *job;               /* this realize's id, fresh and random */
  VrJournalDirId pool;     /* path NULL until chosen */
  VrJournalDirId save;     /* path NULL unless a link hand-off */
  VrJournalDirId nvram;    /* path NULL unless an NVRAM is carried */
  VrJournalDirId swtpm;    /* path NULL unless a TPM state is carried */
  GPtrArray *files;        /* of VrJournalFile */
  char *remote_uri;        /* the remote libvirt the job works on, or NULL */
  char *remote_pool;       /* its pool the volumes are in */
  GPtrArray *volumes;      /* of VrJournalVolume, made in remote_pool */
  char *domain_uuid;       /* set before define: the domain may exist */
  gboolean defined;        /* set once define returned */
  gboolean restoring;      /* the managed-save hand-off has begun: the
                              domain may be active, paused by the job's
                              own restore */
  gboolean handed_off;     /* confirmed right after the hand-off (for a
                              realize without saved state: after define):
                              a hand-off that is gone now was consumed */
  gboolean finished;       /* every step done; only the record is left */
} VrRealizeJournal;

VrRealizeJournal *vr_realize_journal_new (void);
void vr_realize_journal_clear (VrRealizeJournal *journal);
void vr_realize_journal_free (VrRealizeJournal *journal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrRealizeJournal, vr_realize_journal_free)

/* A new file entry (no name yet) in journal->files. */
VrJournalFile *vr_realize_journal_add_file (VrRealizeJournal *journal,
                                            VrJournalDir dir,
                                            guint64 dev,
                                            guint64 ino);

/* A new volume entry named name (no key yet) in journal->volumes. */
VrJournalVolume *vr_realize_journal_add_volume (VrRealizeJournal *journal,
                                                const char *name);

gboolean vr_realize_journal_write (VrStore *store,
                                   VrPlannedSystem *system,
                                   const VrRealizeJournal *journal,
                                   GError **error);

/* NULL without error when there is none. */
VrRealizeJournal *vr_realize_journal_read (VrStore *store,
                                           VrPlannedSystem *system,
                                           GError **error);

gboolean vr_realize_journal_exists (VrStore *store, VrPlannedSystem *system);

void vr_realize_journal_remove (VrStore *store, VrPlannedSystem *system);

G_END_DECLS
