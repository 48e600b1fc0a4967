/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "name-index.h"

struct _VrNameIndex {
  GMutex lock;
  GHashTable *uuids; /* name -> uuid */
  GHashTable *names; /* uuid -> name, to drop the old name of a rename */
};

static void
index_clear (gpointer data)
{
  VrNameIndex *self = data;

  g_hash_table_unref (self->uuids);
  g_hash_table_unref (self->names);
  g_mutex_clear (&self->lock);
}

VrNameIndex *
vr_name_index_new (void)
{
  VrNameIndex *self = g_atomic_rc_box_new0 (VrNameIndex);

  g_mutex_init (&self->lock);
  self->uuids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       g_free);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       g_free);
  return self;
}

VrNameIndex *
vr_name_index_ref (VrNameIndex *self)
{
  return g_atomic_rc_box_acquire (self);
}

void
vr_name_index_unref (VrNameIndex *self)
{
  g_atomic_rc_box_release_full (self, index_clear);
}

/* Drops uuid's name, unless another planned system holds it meanwhile
 * (the store refuses two of one name, but an index entry may be stale). */
static void
remove_locked (VrNameIndex *self, const char *uuid)
{
  const char *name = g_hash_table_lookup (self->names, uuid);

  if (name == NULL)
    return;
  if (g_strcmp0 (g_hash_table_lookup (self->uuids, name), uuid) == 0)
    g_hash_table_remove (self->uuids, name);
  g_hash_table_remove (self->names, uuid);
}

void
vr_name_index_set (VrNameIndex *self, const char *uuid, const char *name)
{
  g_mutex_lock (&self->lock);
  remove_locked (self, uuid);
  g_hash_table_insert (self->uuids, g_strdup (name), g_strdup (uuid));
  g_hash_table_insert (self->names, g_strdup (uuid), g_strdup (name));
  g_mutex_unlock (&self->lock);
}

void
vr_name_index_remove (VrNameIndex *self, const char *uuid)
{
  g_mutex_lock (&self->lock);
  remove_locked (self, uuid);
  g_mutex_unlock (&self->lock);
}

char *
vr_name_index_lookup (const char *name, gpointer index)
{
  VrNameIndex *self = index;
  char *uuid;

  g_mutex_lock (&self->lock);
  uuid = g_strdup (g_hash_table_lookup (self->uuids, name));
  g_mutex_unlock (&self->lock);
  return uuid;
}
