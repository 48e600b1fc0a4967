/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What one caller keeps and runs besides realizes (agent/user-quotas.c):
 * planned systems and their XML by owner, imports under way, Update's
 * growth, validations at once; root is never limited. */
#include "config.h"

#include <string.h>

#include "errors.h"
#include "user-quotas.h"

#define MIB (G_GUINT64_CONSTANT (1024) * 1024)
#define NOBODY 65534

static VrUserQuotas *
quotas_new (guint planned, guint64 mib, guint validations)
{
  VrUserQuotaLimits limits = { planned, mib, validations };

  return vr_user_quotas_new (&limits, "/etc/virt-realize/agent.conf");
}

static void
test_planned (void)
{
  VrUserQuotas *q = quotas_new (2, 1, 0);
  g_autoptr (GError) error = NULL;

  /* Another uid's and an ownerless record count for nobody. */
  vr_user_quotas_set_planned (q, "a", TRUE, NOBODY, 100);
  vr_user_quotas_set_planned (q, "b", TRUE, 1000, MIB);
  vr_user_quotas_set_planned (q, "c", FALSE, 0, MIB);
  g_assert_true (vr_user_quotas_hold_import (q, NOBODY, 200, NULL));
  /* Two: one kept, one under way. */
  g_assert_false (vr_user_quotas_hold_import (q, NOBODY, 1, &error));
  g_assert_error (error, VR_ERROR, VR_ERROR_IN_USE);
  g_assert_nonnull (strstr (error->message, "MaxPlannedPerUser=2"));
  g_assert_nonnull (strstr (error->message, "agent.conf"));
  g_clear_error (&error);
  vr_user_quotas_release_import (q, NOBODY, 200);
  /* The bytes: 100 kept, a whole MiB more is past 1 MiB. */
  g_assert_false (vr_user_quotas_hold_import (q, NOBODY, MIB, &error));
  g_assert_nonnull (strstr (error->message, "MaxPlannedBytesPerUser=1 MiB"));
  g_clear_error (&error);
  g_assert_true (vr_user_quotas_hold_import (q, NOBODY, MIB - 100, NULL));
  vr_user_quotas_release_import (q, NOBODY, MIB - 100);
  /* Update: growth counts, shrinking never fails. */
  g_assert_cmpuint (vr_user_quotas_planned_bytes (q, "a"), ==, 100);
  g_assert_false (vr_user_quotas_check_growth (q, NOBODY, 100, MIB + 1,
                                               &error));
  g_assert_nonnull (strstr (error->message, "MaxPlannedBytesPerUser"));
  g_assert_true (vr_user_quotas_check_growth (q, NOBODY, 100, MIB, NULL));
  g_assert_true (vr_user_quotas_check_growth (q, NOBODY, 100, 1, NULL));
  /* Forgotten (destroyed), it counts no more. */
  vr_user_quotas_forget_planned (q, "a");
  g_assert_true (vr_user_quotas_hold_import (q, NOBODY, MIB, NULL));
  g_assert_true (vr_user_quotas_hold_import (q, 0, 100 * MIB, NULL));
  vr_user_quotas_free (q);
}

static void
test_validations (void)
{
  VrUserQuotas *q = quotas_new (0, 0, 2);
  g_autoptr (GError) error = NULL;

  g_assert_true (vr_user_quotas_hold_validation (q, NOBODY, NULL));
  g_assert_true (vr_user_quotas_hold_validation (q, NOBODY, NULL));
  g_assert_false (vr_user_quotas_hold_validation (q, NOBODY, &error));
  g_assert_error (error, VR_ERROR, VR_ERROR_IN_USE);
  g_assert_nonnull (strstr (error->message, "MaxValidationsPerUser=2"));
  /* Another uid and root have their own. */
  g_assert_true (vr_user_quotas_hold_validation (q, 1000, NULL));
  for (guint i = 0; i < 10; i++)
    g_assert_true (vr_user_quotas_hold_validation (q, 0, NULL));
  vr_user_quotas_release_validation (q, NOBODY);
  g_assert_true (vr_user_quotas_hold_validation (q, NOBODY, NULL));
  vr_user_quotas_free (q);
}

/* Unset keys are the documented defaults: 32 systems, 64 MiB. */
static void
test_defaults (void)
{
  VrUserQuotas *q = quotas_new (0, 0, 0);

  for (guint i = 0; i < VR_USER_QUOTA_DEFAULT_PLANNED; i++)
    g_assert_true (vr_user_quotas_hold_import (q, NOBODY, 1, NULL));
  g_assert_false (vr_user_quotas_hold_import (q, NOBODY, 1, NULL));
  vr_user_quotas_free (q);
  q = quotas_new (0, 0, 0);
  g_assert_true (vr_user_quotas_hold_import (
      q, NOBODY, VR_USER_QUOTA_DEFAULT_PLANNED_MIB * MIB, NULL));
  g_assert_false (vr_user_quotas_hold_import (q, NOBODY, 1, NULL));
  vr_user_quotas_free (q);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/user-quotas/planned", test_planned);
  g_test_add_func ("/user-quotas/validations", test_validations);
  g_test_add_func ("/user-quotas/defaults", test_defaults);
  return g_test_run ();
}
