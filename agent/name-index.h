/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The exported planned systems' names, by name, for the workers: a
 * validate asks whether another planned system has its name without
 * reading every record of the store (with a thousand, that was 300 ms a
 * call). Written in the daemon's context as objects are exported,
 * renamed and removed; read from any thread; reference counted, so a
 * worker's validate may outlive the daemon. */
typedef struct _VrNameIndex VrNameIndex;

VrNameIndex *vr_name_index_new (void);
VrNameIndex *vr_name_index_ref (VrNameIndex *index);
void vr_name_index_unref (VrNameIndex *index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrNameIndex, vr_name_index_unref)

/* The planned system uuid is named name now (a rename drops its old
 * name). */
void vr_name_index_set (VrNameIndex *index, const char *uuid,
                        const char *name);
void vr_name_index_remove (VrNameIndex *index, const char *uuid);

/* The UUID of the planned system named name, newly allocated, or NULL.
 * A VrPlannedNameFunc (validate.h) with the index as its data. */
char *vr_name_index_lookup (const char *name, gpointer index);

G_END_DECLS
