/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

/* Which non-root uid holds each planned system's UUID on this host, kept
 * across Destroy (ninth review, F3: after user V destroyed their planned
 * system, user A imported V's export, whose UUID is public, and realized
 * it first; V's saved state could then never be realized here). A UUID
 * is held by the first non-root owner of a planned system of it:
 *
 * - while a planned system of it exists (its time is renewed each time
 *   the agent exports it: import, Update, agent start);
 * - for VR_UUID_OWNERS_KEEP_DAYS after it was last seen (the Destroy);
 * - while a domain realized through the agent with it carries its owner
 *   in its <metadata> (vr:realize owner=), read at import.
 *
 * Another non-root caller needs manage-others to import, Update or
 * realize it; root is never held back, and root's own UUIDs are not
 * recorded. The record is STATE_DIR/uuid-owners (keyfile, 0600, replaced
 * whole by rename). Bounds: one uid keeps at most per_user records; past
 * that their oldest record without a planned system goes first.
 *
 * Thread-safe: imports check on a worker, the daemon records on its main
 * loop (each change is written at once). */
typedef struct _VrUuidOwners VrUuidOwners;

#define VR_UUID_OWNERS_FILE "uuid-owners"
#define VR_UUID_OWNERS_KEEP_DAYS 90

/* Loads STATE_DIR/uuid-owners (a missing or unreadable record starts
 * empty, with a warning for the latter). per_user: 0 means 128. */
VrUuidOwners *vr_uuid_owners_new (const char *state_dir, guint per_user);
void vr_uuid_owners_free (VrUuidOwners *owners);

/* A planned system of uuid owned by uid is there (exported): its uid
 * holds it from now unless another holds it already; its time is
 * renewed. */
void vr_uuid_owners_seen (VrUuidOwners *owners, const char *uuid, guint uid);
/* The planned system of uuid is gone (Destroy): the hold is kept, for
 * VR_UUID_OWNERS_KEEP_DAYS from now. */
void vr_uuid_owners_gone (VrUuidOwners *owners, const char *uuid);
/* Drops holds that have had no planned system for longer than
 * VR_UUID_OWNERS_KEEP_DAYS (the agent's start). */
void vr_uuid_owners_expire (VrUuidOwners *owners);

/* The non-root uid other than uid that holds uuid (by the record, or by
 * the owner tag of a domain of that UUID on conn, which may be NULL):
 * TRUE with *holder; FALSE when uuid is free to uid. uid 0 is never held
 * back. */
gboolean vr_uuid_owners_held_by_other (VrUuidOwners *owners,
                                       virConnectPtr conn,
                                       const char *uuid,
                                       guint uid,
                                       guint *holder);

/* The same as an answer: FALSE with VR_ERROR_ACCESS_DENIED (32769) naming
 * the UUID, that it is another user's, and the manage-others action,
 * when uuid is held by another and may_manage_others is FALSE. */
gboolean vr_uuid_owners_check (VrUuidOwners *owners,
                               virConnectPtr conn,
                               const char *uuid,
                               guint uid,
                               gboolean may_manage_others,
                               GError **error);

G_END_DECLS
