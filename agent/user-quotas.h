/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What one caller of the root agent keeps and runs besides realizes
 * (agent.conf MaxPlannedPerUser, MaxPlannedBytesPerUser,
 * MaxValidationsPerUser; seventh review F3, F4): every planned system
 * keeps up to 4 MiB of XML in root's state directory and in the agent's
 * memory, parsed again at every agent start, and every validation is
 * root's CPU. Root (uid 0) has no limit. */
typedef struct {
  guint max_planned;        /* planned systems one uid owns; 0: 32 */
  guint64 max_planned_mib;  /* their stored XML in all, MiB; 0: 64 */
  guint max_validations;    /* Validate/ValidateDefinition at once; 0: 2 */
} VrUserQuotaLimits;

#define VR_USER_QUOTA_DEFAULT_PLANNED 32
#define VR_USER_QUOTA_DEFAULT_PLANNED_MIB 64
#define VR_USER_QUOTA_DEFAULT_VALIDATIONS 2

/* Thread-safe: imports check on a worker, the daemon records on its main
 * loop. */
typedef struct _VrUserQuotas VrUserQuotas;

VrUserQuotas *vr_user_quotas_new (const VrUserQuotaLimits *limits,
                                  const char *config_path);
void vr_user_quotas_free (VrUserQuotas *quotas);

/* A planned system as the agent exports it: its owner (has_owner FALSE:
 * a record from before owners, counted for nobody) and the size of its
 * stored XML. Again for the same uuid replaces. */
void vr_user_quotas_set_planned (VrUserQuotas *quotas,
                                 const char *uuid,
                                 gboolean has_owner,
                                 guint owner,
                                 guint64 bytes);
void vr_user_quotas_forget_planned (VrUserQuotas *quotas, const char *uuid);

/* Whether uid may keep one more planned system of bytes of XML on top of
 * what it owns and its imports under way; then those are held until
 * vr_user_quotas_release_import (the import's end, kept or not); else
 * VR_ERROR_IN_USE (32774) naming the key, the file and the figures. */
gboolean vr_user_quotas_hold_import (VrUserQuotas *quotas,
                                     guint uid,
                                     guint64 bytes,
                                     GError **error);
void vr_user_quotas_release_import (VrUserQuotas *quotas,
                                    guint uid,
                                    guint64 bytes);

/* Whether uid may grow one of its planned systems' XML from old_bytes to
 * new_bytes (an Update); else VR_ERROR_IN_USE naming the key. */
gboolean vr_user_quotas_check_growth (VrUserQuotas *quotas,
                                      guint uid,
                                      guint64 old_bytes,
                                      guint64 new_bytes,
                                      GError **error);

/* The bytes the quotas count for a planned system (0 when unknown). */
guint64 vr_user_quotas_planned_bytes (VrUserQuotas *quotas, const char *uuid);

/* One validation more for uid, until vr_user_quotas_release_validation;
 * else VR_ERROR_IN_USE naming MaxValidationsPerUser. */
gboolean vr_user_quotas_hold_validation (VrUserQuotas *quotas,
                                         guint uid,
                                         GError **error);
void vr_user_quotas_release_validation (VrUserQuotas *quotas, guint uid);

G_END_DECLS
