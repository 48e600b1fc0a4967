/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Who runs how many of a pool of slots (the imports', the realizes'):
 * one caller (uid, root too) gets at most max - 1 of max slots (one when
 * max is 1), so that another caller always finds one free. Not locked:
 * its owner's lock or thread guards it. */
typedef struct _VrUidShare VrUidShare;

VrUidShare *vr_uid_share_new (guint max);

/* Whether uid may start one more. */
gboolean vr_uid_share_allows (const VrUidShare *share, guint uid);

/* uid started (+1) or ended (-1) one. */
void vr_uid_share_count (VrUidShare *share, guint uid, int delta);

void vr_uid_share_free (VrUidShare *share);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrUidShare, vr_uid_share_free)

G_END_DECLS
