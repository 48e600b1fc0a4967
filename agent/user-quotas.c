/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "user-quotas.h"

#include "errors.h"

#define MIB (G_GUINT64_CONSTANT (1024) * 1024)

typedef struct {
  gboolean has_owner;
  guint owner;
  guint64 bytes;
} Planned;

/* What a uid holds besides its exported planned systems. */
typedef struct {
  guint imports;        /* under way */
  guint64 import_bytes; /* their XML */
  guint validations;    /* running */
} Pending;

struct _VrUserQuotas {
  GMutex lock;
  VrUserQuotaLimits limits;
  char *config_path;
  GHashTable *planned; /* uuid -> Planned */
  GHashTable *pending; /* GUINT_TO_POINTER (uid) -> Pending */
};

VrUserQuotas *
vr_user_quotas_new (const VrUserQuotaLimits *limits, const char *config_path)
{
  VrUserQuotas *quotas = g_new0 (VrUserQuotas, 1);

  g_mutex_init (&quotas->lock);
  quotas->limits = *limits;
  if (quotas->limits.max_planned == 0)
    quotas->limits.max_planned = VR_USER_QUOTA_DEFAULT_PLANNED;
  if (quotas->limits.max_planned_mib == 0)
    quotas->limits.max_planned_mib = VR_USER_QUOTA_DEFAULT_PLANNED_MIB;
  if (quotas->limits.max_validations == 0)
    quotas->limits.max_validations = VR_USER_QUOTA_DEFAULT_VALIDATIONS;
  quotas->config_path = g_strdup (config_path ? config_path : "agent.conf");
  quotas->planned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           g_free);
  quotas->pending = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  return quotas;
}

void
vr_user_quotas_free (VrUserQuotas *quotas)
{
  if (quotas == NULL)
    return;
  g_hash_table_unref (quotas->planned);
  g_hash_table_unref (quotas->pending);
  g_free (quotas->config_path);
  g_mutex_clear (&quotas->lock);
  g_free (quotas);
}

void
vr_user_quotas_set_planned (VrUserQuotas *quotas, const char *uuid,
                            gboolean has_owner, guint owner, guint64 bytes)
{
  Planned *planned = g_new0 (Planned, 1);

  planned->has_owner = has_owner;
  planned->owner = owner;
  planned->bytes = bytes;
  g_mutex_lock (&quotas->lock);
  g_hash_table_replace (quotas->planned, g_strdup (uuid), planned);
  g_mutex_unlock (&quotas->lock);
}

void
vr_user_quotas_forget_planned (VrUserQuotas *quotas, const char *uuid)
{
  g_mutex_lock (&quotas->lock);
  g_hash_table_remove (quotas->planned, uuid);
  g_mutex_unlock (&quotas->lock);
}

guint64
vr_user_quotas_planned_bytes (VrUserQuotas *quotas, const char *uuid)
{
  Planned *planned;
  guint64 bytes;

  g_mutex_lock (&quotas->lock);
  planned = g_hash_table_lookup (quotas->planned, uuid);
  bytes = planned ? planned->bytes : 0;
  g_mutex_unlock (&quotas->lock);
  return bytes;
}

/* Under the lock. */
static Pending *
pending_of (VrUserQuotas *quotas, guint uid)
{
  Pending *pending = g_hash_table_lookup (quotas->pending,
                                          GUINT_TO_POINTER (uid));

  if (pending == NULL)
    {
      pending = g_new0 (Pending, 1);
      g_hash_table_insert (quotas->pending, GUINT_TO_POINTER (uid), pending);
    }
  return pending;
}

/* Under the lock: a uid with nothing pending leaves no entry. */
static void
pending_trim (VrUserQuotas *quotas, guint uid, Pending *pending)
{
  if (pending->imports == 0 && pending->validations == 0)
    g_hash_table_remove (quotas->pending, GUINT_TO_POINTER (uid));
}

/* Under the lock: uid's planned systems and their bytes, with its
 * imports under way. */
static void
owned (VrUserQuotas *quotas, guint uid, guint *count, guint64 *bytes)
{
  GHashTableIter iter;
  gpointer value;
  Pending *pending = g_hash_table_lookup (quotas->pending,
                                          GUINT_TO_POINTER (uid));

  *count = pending ? pending->imports : 0;
  *bytes = pending ? pending->import_bytes : 0;
  g_hash_table_iter_init (&iter, quotas->planned);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Planned *planned = value;

      if (planned->has_owner && planned->owner == uid)
        {
          (*count)++;
          *bytes += planned->bytes;
        }
    }
}

static gboolean
bytes_within (VrUserQuotas *quotas, guint uid, guint64 held, guint64 asked,
              GError **error)
{
  guint64 max = quotas->limits.max_planned_mib * MIB;

  if (held + asked <= max)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
               "uid %u would keep %" G_GUINT64_FORMAT " KiB of planned XML "
               "in the agent, more than %s allows one user "
               "(MaxPlannedBytesPerUser=%" G_GUINT64_FORMAT " MiB): destroy "
               "planned systems you no longer need", uid,
               (held + asked + 1023) / 1024, quotas->config_path,
               quotas->limits.max_planned_mib);
  return FALSE;
}

gboolean
vr_user_quotas_hold_import (VrUserQuotas *quotas, guint uid, guint64 bytes,
                            GError **error)
{
  guint count;
  guint64 held;
  gboolean ok = TRUE;

  if (uid == 0)
    return TRUE;
  g_mutex_lock (&quotas->lock);
  owned (quotas, uid, &count, &held);
  if (count + 1 > quotas->limits.max_planned)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "uid %u has %u planned system%s (with imports under "
                   "way), the most %s allows one user "
                   "(MaxPlannedPerUser=%u): destroy planned systems you no "
                   "longer need", uid, count, count == 1 ? "" : "s",
                   quotas->config_path, quotas->limits.max_planned);
      ok = FALSE;
    }
  else if (!bytes_within (quotas, uid, held, bytes, error))
    ok = FALSE;
  else
    {
      Pending *pending = pending_of (quotas, uid);

      pending->imports++;
      pending->import_bytes += bytes;
    }
  g_mutex_unlock (&quotas->lock);
  return ok;
}

void
vr_user_quotas_release_import (VrUserQuotas *quotas, guint uid,
                               guint64 bytes)
{
  Pending *pending;

  if (uid == 0)
    return;
  g_mutex_lock (&quotas->lock);
  pending = g_hash_table_lookup (quotas->pending, GUINT_TO_POINTER (uid));
  if (pending != NULL && pending->imports > 0)
    {
      pending->imports--;
      pending->import_bytes -= MIN (bytes, pending->import_bytes);
      pending_trim (quotas, uid, pending);
    }
  g_mutex_unlock (&quotas->lock);
}

gboolean
vr_user_quotas_check_growth (VrUserQuotas *quotas, guint uid,
                             guint64 old_bytes, guint64 new_bytes,
                             GError **error)
{
  guint count;
  guint64 held;
  gboolean ok;

  if (uid == 0 || new_bytes <= old_bytes)
    return TRUE;
  g_mutex_lock (&quotas->lock);
  owned (quotas, uid, &count, &held);
  ok = bytes_within (quotas, uid, held, new_bytes - old_bytes, error);
  g_mutex_unlock (&quotas->lock);
  return ok;
}

gboolean
vr_user_quotas_hold_validation (VrUserQuotas *quotas, guint uid,
                                GError **error)
{
  Pending *pending;
  gboolean ok = TRUE;

  if (uid == 0)
    return TRUE;
  g_mutex_lock (&quotas->lock);
  pending = pending_of (quotas, uid);
  if (pending->validations + 1 > quotas->limits.max_validations)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "uid %u has %u validation%s running, the most %s "
                   "allows one user at once (MaxValidationsPerUser=%u): "
                   "wait for them", uid, pending->validations,
                   pending->validations == 1 ? "" : "s",
                   quotas->config_path, quotas->limits.max_validations);
      pending_trim (quotas, uid, pending);
      ok = FALSE;
    }
  else
    pending->validations++;
  g_mutex_unlock (&quotas->lock);
  return ok;
}

void
vr_user_quotas_release_validation (VrUserQuotas *quotas, guint uid)
{
  Pending *pending;

  if (uid == 0)
    return;
  g_mutex_lock (&quotas->lock);
  pending = g_hash_table_lookup (quotas->pending, GUINT_TO_POINTER (uid));
  if (pending != NULL && pending->validations > 0)
    {
      pending->validations--;
      pending_trim (quotas, uid, pending);
    }
  g_mutex_unlock (&quotas->lock);
}
