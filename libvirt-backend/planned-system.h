/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <libxml/tree.h>

#include "import-dir.h"

G_BEGIN_DECLS

typedef enum {
  VR_PLANNED_STATE_PLANNED,
  VR_PLANNED_STATE_REALIZING,
  VR_PLANNED_STATE_REALIZED,
  VR_PLANNED_STATE_FAILED,
} VrPlannedState;

const char *vr_planned_state_to_string (VrPlannedState state);
gboolean vr_planned_state_from_string (const char *text, VrPlannedState *state);

/* A VM staged on this host but not yet defined: its planned domain XML and
 * what it references in its import directory. Its record is kept by VrStore. */
#define VR_TYPE_PLANNED_SYSTEM (vr_planned_system_get_type ())
G_DECLARE_FINAL_TYPE (VrPlannedSystem, vr_planned_system, VR, PLANNED_SYSTEM,
                      GObject)

typedef enum {
  VR_IMPORT_NONE = 0,
  /* A new UUID, new MAC addresses and a new TPM (the exported TPM state
   * is left behind): a copy beside the original. */
  VR_IMPORT_NEW_ID = 1 << 0,
  /* Leave the saved state behind: the guest will boot from its disks. */
  VR_IMPORT_DISCARD_SAVED_STATE = 1 << 1,
} VrImportFlags;

/* A new planned system from a checked import directory; a non-NULL name
 * replaces the domain's name in the planned XML. A saved state is bound to
 * its domain's name and UUID, so a new name or NEW_ID with a saved state
 * is refused unless it is discarded. */
VrPlannedSystem *vr_planned_system_new_from_import (VrImportDir *dir,
                                                    const char *name,
                                                    VrImportFlags flags,
                                                    GError **error);

/* The UUID in the import directory's domain.xml: the planned system's own
 * unless it was imported with a new identity. */
const char *vr_planned_system_get_source_uuid (VrPlannedSystem *self);

/* TRUE when the import directory's saved state was left behind. */
gboolean vr_planned_system_get_saved_state_discarded (VrPlannedSystem *self);

/* The UEFI variable store in the import directory (relative path), NULL
 * when it carries none; realize copies it to this host's default. */
const char *vr_planned_system_get_nvram_file (VrPlannedSystem *self);
guint64 vr_planned_system_get_nvram_size (VrPlannedSystem *self);

/* The TPM state's folder in the import directory ("tpm/tpm2"), NULL when
 * none is carried. */
const char *vr_planned_system_get_tpm_folder (VrPlannedSystem *self);

/* TRUE when the import directory's TPM state was left behind because the
 * planned system has a new identity: it gets a new TPM. */
gboolean vr_planned_system_get_tpm_discarded (VrPlannedSystem *self);

/* The snapshots' names, parents first, or NULL; and the current one. */
GPtrArray *vr_planned_system_get_snapshots (VrPlannedSystem *self);
const char *vr_planned_system_get_current_snapshot (VrPlannedSystem *self);

/* Rebuilds a planned system from its record (schemas/planned-system.rng)
 * and planned domain XML, as the store keeps them. */
VrPlannedSystem *vr_planned_system_new_from_record (const char *record,
                                                    gsize record_len,
                                                    const char *domain_xml,
                                                    gsize domain_xml_len,
                                                    const char *display_name,
                                                    GError **error);

/* The record as XML text. */
char *vr_planned_system_to_record (VrPlannedSystem *self);

const char *vr_planned_system_get_uuid (VrPlannedSystem *self);
const char *vr_planned_system_get_name (VrPlannedSystem *self);
const char *vr_planned_system_get_import_dir (VrPlannedSystem *self);

/* Whether dir is the directory the import read (same st_dev and st_ino),
 * not another one put at its path since; TRUE for a record written before
 * the identity was kept. */
gboolean vr_planned_system_is_import_dir (VrPlannedSystem *self,
                                          const VrImportDir *dir);
/* The save image's file name in the import directory, or NULL. */
const char *vr_planned_system_get_save_file (VrPlannedSystem *self);
guint64 vr_planned_system_get_save_size (VrPlannedSystem *self);
/* The save image's st_mtim (ns) when imported; 0 when not recorded. */
gint64 vr_planned_system_get_save_mtime_ns (VrPlannedSystem *self);
gboolean vr_planned_system_get_save_was_running (VrPlannedSystem *self);
GDateTime *vr_planned_system_get_created (VrPlannedSystem *self);
xmlDoc *vr_planned_system_get_doc (VrPlannedSystem *self);
char *vr_planned_system_dup_domain_xml (VrPlannedSystem *self);
guint64 vr_planned_system_get_memory_kib (VrPlannedSystem *self);
guint vr_planned_system_get_vcpus (VrPlannedSystem *self);

VrPlannedState vr_planned_system_get_state (VrPlannedSystem *self);
void vr_planned_system_set_state (VrPlannedSystem *self, VrPlannedState state);

/* NULL when a realize may start from the state: planned, or failed (and
 * rolled back). Else why not ("planned system 'X' is realized already
 * (as domain 'D')"), and *what_to_do what the user can do instead. The
 * one check behind realize's refusal (32775,
 * vr_planned_system_check_realizable) and validate's VR1005. */
char *vr_planned_system_not_realizable (VrPlannedSystem *self,
                                        char **what_to_do);
/* The same as a VR_ERROR_INVALID_STATE error: "WHY; WHAT TO DO". */
gboolean vr_planned_system_check_realizable (VrPlannedSystem *self,
                                             GError **error);

/* The last job's outcome: code 0 for success, else a VR_ERROR code. */
int vr_planned_system_get_last_job_code (VrPlannedSystem *self);
const char *vr_planned_system_get_last_job_message (VrPlannedSystem *self);
void vr_planned_system_set_last_job (VrPlannedSystem *self,
                                     int code,
                                     const char *message);

/* A failed realize could not undo everything (libvirt was unreachable):
 * its journal stays, and the next realize, the agent's start or its
 * reconnect to libvirt finishes the rollback. */
gboolean vr_planned_system_get_rollback_pending (VrPlannedSystem *self);
void vr_planned_system_set_rollback_pending (VrPlannedSystem *self,
                                             gboolean pending);

/* The libvirt domain a realize made, or NULL. */
const char *vr_planned_system_get_domain (VrPlannedSystem *self);
void vr_planned_system_set_domain (VrPlannedSystem *self, const char *domain);

/* The libvirt connection (URI) the realize defined the domain on, or NULL
 * (before realize, or realized by a version that did not record it). */
const char *vr_planned_system_get_connection (VrPlannedSystem *self);
void vr_planned_system_set_connection (VrPlannedSystem *self,
                                       const char *uri);

/* Who wrote the planned XML: the uid that imported it or last updated
 * it (the importing process's uid until set; the agent sets its
 * caller's). note_author is for an update: root's edit of a user's XML
 * leaves it the user's, since root may have kept what they wrote. */
void vr_planned_system_set_author (VrPlannedSystem *self, guint uid);
void vr_planned_system_note_author (VrPlannedSystem *self, guint uid);
/* FALSE for a record written before authors were kept. */
gboolean vr_planned_system_get_author (VrPlannedSystem *self, guint *uid);

/* Who imported it: a caller who is neither the owner nor root needs an
 * administrator's right to change, realize or forget it (the agent's
 * manage-others). FALSE for a record written before owners were kept. */
void vr_planned_system_set_owner (VrPlannedSystem *self, guint uid);
gboolean vr_planned_system_get_owner (VrPlannedSystem *self, guint *uid);

/* Host access is judged with the rights of the least privileged of the
 * caller and the author: a caller's right (or root's) never extends to
 * an XML another user wrote, nor to one whose author is unknown. */
gboolean vr_planned_system_author_may_reach_host (VrPlannedSystem *self,
                                                  guint caller);

/* Replaces the planned domain XML; its UUID may not change (the saved
 * state and the store are keyed by it). */
gboolean vr_planned_system_set_domain_xml (VrPlannedSystem *self,
                                           const char *xml,
                                           gsize len,
                                           GError **error);

/* TRUE when key is this system's name or UUID (any UUID form). */
gboolean vr_planned_system_matches (VrPlannedSystem *self, const char *key);

G_END_DECLS
