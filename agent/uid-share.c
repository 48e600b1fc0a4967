/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "uid-share.h"

struct _VrUidShare {
  GHashTable *running; /* uid -> how many it runs */
  guint per_uid;
};

VrUidShare *
vr_uid_share_new (guint max)
{
  VrUidShare *share = g_new0 (VrUidShare, 1);

  share->running = g_hash_table_new (NULL, NULL);
  share->per_uid = max > 1 ? max - 1 : 1;
  return share;
}

static guint
running_of (const VrUidShare *share, guint uid)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (share->running,
                                                GUINT_TO_POINTER (uid)));
}

gboolean
vr_uid_share_allows (const VrUidShare *share, guint uid)
{
  return running_of (share, uid) < share->per_uid;
}

void
vr_uid_share_count (VrUidShare *share, guint uid, int delta)
{
  guint n = running_of (share, uid) + delta;

  if (n == 0)
    g_hash_table_remove (share->running, GUINT_TO_POINTER (uid));
  else
    g_hash_table_insert (share->running, GUINT_TO_POINTER (uid),
                         GUINT_TO_POINTER (n));
}

void
vr_uid_share_free (VrUidShare *share)
{
  if (share == NULL)
    return;
  g_hash_table_unref (share->running);
  g_free (share);
}
