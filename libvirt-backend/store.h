/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>

#include "planned-system.h"

G_BEGIN_DECLS

/* The state directory: one folder per planned system, named by its UUID,
 * holding record.xml and domain.xml. Every write is temp, fsync, rename. */
#define VR_TYPE_STORE (vr_store_get_type ())
G_DECLARE_FINAL_TYPE (VrStore, vr_store, VR, STORE, GObject)

#define VR_STORE_RECORD "record.xml"
#define VR_STORE_DOMAIN_XML "domain.xml"

/* $VIRT_REALIZE_STATE_DIR, else /var/lib/virt-realize for root, else
 * $XDG_DATA_HOME/virt-realize. */
char *vr_store_default_dir (void);

VrStore *vr_store_new (const char *path);
const char *vr_store_get_path (VrStore *self);

/* Adds a new planned system; nothing of it is visible until it is whole.
 * A planned system of the same UUID or name is VR_ERROR_IN_USE. */
gboolean vr_store_add (VrStore *self, VrPlannedSystem *system, GError **error);

/* STATE_DIR/UUID/file: where a planned system's own files live. */
char *vr_store_system_file (VrStore *self, VrPlannedSystem *system,
                            const char *file);

/* Rewrites only the record (state, outcome): what a job changes. */
gboolean vr_store_save_record (VrStore *self, VrPlannedSystem *system,
                               GError **error);

/* Rewrites a planned system's record and planned XML. */
gboolean vr_store_save (VrStore *self, VrPlannedSystem *system, GError **error);

/* vr_store_save of a changed planned XML (an update), under the store's
 * lock as an import: its name must be no other planned system's, else
 * VR_ERROR_IN_USE and nothing is written (one user may not take the name
 * another's realize needs). */
gboolean vr_store_save_checked (VrStore *self,
                                VrPlannedSystem *system,
                                GError **error);

/* All planned systems, sorted by name; unreadable folders are skipped. */
GPtrArray *vr_store_list (VrStore *self, GError **error);

/* The UUIDs of the planned systems' folders, unsorted, none read: for
 * going through many systems without holding them all at once. */
GPtrArray *vr_store_list_uuids (VrStore *self, GError **error);

/* The planned system in the folder of uuid (one of vr_store_list_uuids). */
VrPlannedSystem *vr_store_load (VrStore *self, const char *uuid,
                                GError **error);

/* The planned system whose name or UUID is key. */
VrPlannedSystem *vr_store_lookup (VrStore *self, const char *key,
                                  GError **error);

/* Forgets a planned system: its folder goes at once, as a whole. Fails with
 * VR_ERROR_IN_USE while a job holds its lock. */
gboolean vr_store_remove (VrStore *self, VrPlannedSystem *system,
                          GError **error);

/* The exclusive lock a job holds on a planned system; a second taker gets
 * VR_ERROR_IN_USE at once. Released by vr_store_lock_free(). */
typedef struct _VrStoreLock VrStoreLock;
VrStoreLock *vr_store_lock (VrStore *self, VrPlannedSystem *system,
                            GError **error);
void vr_store_lock_free (VrStoreLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrStoreLock, vr_store_lock_free)

G_END_DECLS
