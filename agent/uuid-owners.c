/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "uuid-owners.h"

#include <string.h>

#include "auth.h"
#include "domain-xml.h"
#include "errors.h"
#include "realize-journal.h"
#include "safe-xml.h"

#define DEFAULT_PER_USER 128
#define KEEP_SECONDS ((gint64) VR_UUID_OWNERS_KEEP_DAYS * 24 * 3600)

typedef struct {
  guint uid;
  gint64 seen;   /* unix seconds: last exported, or its Destroy */
  gboolean live; /* a planned system of it is exported (not stored) */
} Hold;

struct _VrUuidOwners
{
  GMutex lock;
  char *path;
  guint per_user;
  GHashTable *holds; /* UUID -> Hold */
};

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
load (VrUuidOwners *self)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) groups = NULL;

  if (!g_key_file_load_from_file (file, self->path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("cannot read %s, starting without UUID holds: %s",
                   self->path, error->message);
      return;
    }
  groups = g_key_file_get_groups (file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *uuid = vr_uuid_normalize (groups[i]);
      guint64 uid = g_key_file_get_uint64 (file, groups[i], "uid", NULL);
      gint64 seen = g_key_file_get_int64 (file, groups[i], "seen", NULL);
      Hold *hold;

      if (uuid == NULL || uid == 0 || uid > G_MAXUINT)
        continue;
      hold = g_new0 (Hold, 1);
      hold->uid = (guint) uid;
      hold->seen = seen;
      g_hash_table_replace (self->holds, g_steal_pointer (&uuid), hold);
    }
}

/* The whole record, replaced by rename (g_file_set_contents): a crash
 * leaves the old or the new one, never half. Called with the lock. */
static void
save (VrUuidOwners *self)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  g_hash_table_iter_init (&iter, self->holds);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Hold *hold = value;

      g_key_file_set_uint64 (file, key, "uid", hold->uid);
      g_key_file_set_int64 (file, key, "seen", hold->seen);
    }
  text = g_key_file_to_data (file, &length, NULL);
  if (!g_file_set_contents_full (self->path, text, (gssize) length,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 &error))
    g_warning ("cannot write %s: %s", self->path, error->message);
}

VrUuidOwners *
vr_uuid_owners_new (const char *state_dir, guint per_user)
{
  VrUuidOwners *self = g_new0 (VrUuidOwners, 1);

  g_mutex_init (&self->lock);
  self->path = g_build_filename (state_dir, VR_UUID_OWNERS_FILE, NULL);
  self->per_user = per_user > 0 ? per_user : DEFAULT_PER_USER;
  self->holds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       g_free);
  load (self);
  return self;
}

void
vr_uuid_owners_free (VrUuidOwners *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->holds);
  g_free (self->path);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* Keeps uid's records at per_user: the oldest without a planned system
 * goes (a live one is never dropped; there are at most MaxPlannedPerUser
 * of those). */
static void
bound_user (VrUuidOwners *self, guint uid)
{
  for (;;)
    {
      GHashTableIter iter;
      gpointer key;
      gpointer value;
      const char *oldest = NULL;
      gint64 oldest_seen = G_MAXINT64;
      guint count = 0;

      g_hash_table_iter_init (&iter, self->holds);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          Hold *hold = value;

          if (hold->uid != uid)
            continue;
          count++;
          if (!hold->live && hold->seen < oldest_seen)
            {
              oldest = key;
              oldest_seen = hold->seen;
            }
        }
      if (count <= self->per_user || oldest == NULL)
        return;
      g_hash_table_remove (self->holds, oldest);
    }
}

void
vr_uuid_owners_seen (VrUuidOwners *self, const char *uuid, guint uid)
{
  Hold *hold;
  gint64 now = now_seconds ();
  gboolean changed = FALSE;

  g_mutex_lock (&self->lock);
  hold = g_hash_table_lookup (self->holds, uuid);
  if (hold == NULL && uid != 0)
    {
      hold = g_new0 (Hold, 1);
      hold->uid = uid;
      g_hash_table_insert (self->holds, g_strdup (uuid), hold);
      changed = TRUE;
    }
  if (hold != NULL)
    {
      /* Renewed on disk at most hourly: an agent start exports every
       * planned system, and the hold lasts days. */
      changed = changed || now - hold->seen >= 3600;
      hold->seen = now;
      hold->live = TRUE;
      bound_user (self, hold->uid);
    }
  if (changed)
    save (self);
  g_mutex_unlock (&self->lock);
}

void
vr_uuid_owners_gone (VrUuidOwners *self, const char *uuid)
{
  Hold *hold;

  g_mutex_lock (&self->lock);
  hold = g_hash_table_lookup (self->holds, uuid);
  if (hold != NULL)
    {
      hold->seen = now_seconds ();
      hold->live = FALSE;
      save (self);
    }
  g_mutex_unlock (&self->lock);
}

void
vr_uuid_owners_expire (VrUuidOwners *self)
{
  gint64 limit = now_seconds () - KEEP_SECONDS;
  GHashTableIter iter;
  gpointer value;
  guint removed = 0;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->holds);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Hold *hold = value;

      if (!hold->live && hold->seen < limit)
        {
          g_hash_table_iter_remove (&iter);
          removed++;
        }
    }
  if (removed > 0)
    save (self);
  g_mutex_unlock (&self->lock);
}

/* The owner= of the vr:realize tag of the domain of uuid on conn (a
 * realize through the agent writes it and replaces any other). */
static gboolean
domain_holder (virConnectPtr conn, const char *uuid, guint *uid)
{
  virDomainPtr dom = conn ? virDomainLookupByUUIDString (conn, uuid) : NULL;
  g_autofree char *xml = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char *owner = NULL;
  guint64 value = 0;

  if (dom == NULL)
    return FALSE;
  xml = virDomainGetMetadata (dom, VIR_DOMAIN_METADATA_ELEMENT,
                              VR_REALIZE_METADATA_NS,
                              VIR_DOMAIN_AFFECT_CONFIG);
  virDomainFree (dom);
  if (xml != NULL)
    doc = vr_xml_parse_buffer (xml, strlen (xml), "domain metadata", NULL,
                               NULL);
  if (doc != NULL)
    owner = vr_xml_xpath_string (doc, "string(/*/@owner)");
  if (owner == NULL
      || !g_ascii_string_to_unsigned (owner, 10, 1, G_MAXUINT, &value, NULL))
    return FALSE;
  *uid = (guint) value;
  return TRUE;
}

gboolean
vr_uuid_owners_held_by_other (VrUuidOwners *self, virConnectPtr conn,
                              const char *uuid, guint uid, guint *holder)
{
  g_autofree char *normal = vr_uuid_normalize (uuid);
  Hold *hold;
  guint found = 0;

  if (uid == 0 || normal == NULL)
    return FALSE;
  g_mutex_lock (&self->lock);
  hold = g_hash_table_lookup (self->holds, normal);
  if (hold != NULL)
    found = hold->uid;
  g_mutex_unlock (&self->lock);
  if ((found == 0 || found == uid) && !domain_holder (conn, normal, &found))
    return FALSE;
  if (found == 0 || found == uid)
    return FALSE;
  *holder = found;
  return TRUE;
}

gboolean
vr_uuid_owners_check (VrUuidOwners *self, virConnectPtr conn,
                      const char *uuid, guint uid, gboolean may_manage_others,
                      GError **error)
{
  guint holder = 0;

  if (may_manage_others
      || !vr_uuid_owners_held_by_other (self, conn, uuid, uid, &holder))
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_ACCESS_DENIED,
               "UUID %s belongs to another user (uid %u) on this host: "
               "their planned system or domain has it, or had it within %u "
               "days; import with the new-id option (a new UUID), or an "
               "administrator with " VR_ACTION_PREFIX VR_ACTION_MANAGE_OTHERS
               " does it",
               uuid, holder, (guint) VR_UUID_OWNERS_KEEP_DAYS);
  return FALSE;
}
