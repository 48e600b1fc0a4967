/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What one user may have realized through the root agent at once
 * (agent/realize-limits.c; F5 of the blind review): their realized and
 * realizing planned systems count, with their memory; other users' and
 * root's do not; root has no limit. */
#include "config.h"

#include "errors.h"
#include "import.h"
#include "realize-limits.h"
#include "test-util.h"

#define NOBODY 65534

static struct {
  char *state;
  VrStore *store;
} t;

/* A planned system of uid with n MiB of memory, in state. */
static VrPlannedSystem *
add_system (guint n, guint uid, guint mib, VrPlannedState state)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *xml = g_strdup_printf (
      "<domain type='kvm'><name>vr-limit-%u</name>"
      "<uuid>5a1ad0c0-7e57-4b3d-9c1e-0000000001%02u</uuid>"
      "<memory unit='MiB'>%u</memory><vcpu>1</vcpu>"
      "<os><type arch='x86_64'>hvm</type></os></domain>", n, n, mib);
  g_autoptr (GError) error = NULL;
  VrPlannedSystem *system;

  test_write_file (dir, "domain.xml", xml, -1);
  system = vr_import_path (t.store, dir, NULL, &error);
  g_assert_no_error (error);
  vr_planned_system_set_owner (system, uid);
  vr_planned_system_set_state (system, state);
  g_assert_true (vr_store_save (t.store, system, &error));
  g_assert_no_error (error);
  test_rmtree (dir);
  return system;
}

static gboolean
check (guint domains, guint64 mib, VrPlannedSystem *system, guint uid,
       char **message)
{
  VrRealizeLimits limits = { domains, mib };
  g_autoptr (GError) error = NULL;
  gboolean ok = vr_realize_limits_check (&limits, t.store, NULL, system, uid,
                                         "agent.conf", &error);

  if (ok)
    g_assert_no_error (error);
  else
    g_assert_error (error, VR_ERROR, VR_ERROR_IN_USE);
  if (message != NULL)
    *message = error ? g_strdup (error->message) : NULL;
  return ok;
}

static void
test_limits (void)
{
  g_autoptr (VrPlannedSystem) running = add_system (1, NOBODY, 512,
                                                    VR_PLANNED_STATE_REALIZED);
  g_autoptr (VrPlannedSystem) busy = add_system (2, NOBODY, 256,
                                                 VR_PLANNED_STATE_REALIZING);
  g_autoptr (VrPlannedSystem) planned = add_system (3, NOBODY, 4096,
                                                    VR_PLANNED_STATE_PLANNED);
  g_autoptr (VrPlannedSystem) others = add_system (4, 1001, 8192,
                                                   VR_PLANNED_STATE_REALIZED);
  g_autoptr (VrPlannedSystem) next = add_system (5, NOBODY, 512,
                                                 VR_PLANNED_STATE_PLANNED);
  g_autofree char *by_count = NULL;
  g_autofree char *by_memory = NULL;

  /* nobody has two (the realized and the realizing one; the planned one
   * and uid 1001's do not count), 768 MiB. */
  g_assert_true (check (3, 1280, next, NOBODY, NULL));
  g_assert_false (check (2, 0, next, NOBODY, &by_count));
  g_assert_nonnull (strstr (by_count, "MaxDomainsPerUser=2"));
  g_assert_false (check (3, 1279, next, NOBODY, &by_memory));
  g_assert_nonnull (strstr (by_memory, "1280 MiB"));
  /* Root has no limit; uid 1001 has one realized system. */
  g_assert_true (check (1, 1, next, 0, NULL));
  g_assert_true (check (2, 8192 + 512, next, 1001, NULL));
  g_assert_false (check (1, 0, next, 1001, NULL));
  /* Realized again (or retried), a system does not count against
   * itself. */
  g_assert_true (check (2, 768, running, NOBODY, NULL));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  t.state = test_mkdtemp ();
  t.store = vr_store_new (t.state);
  g_test_add_func ("/realize-limits/limits", test_limits);
  status = g_test_run ();
  g_object_unref (t.store);
  test_rmtree (t.state);
  g_free (t.state);
  return status;
}
