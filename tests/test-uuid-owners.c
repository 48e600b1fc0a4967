/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who holds each planned system's UUID (agent/uuid-owners.c): kept
 * across Destroy and restarts, never for root, bounded per user, expired
 * after VR_UUID_OWNERS_KEEP_DAYS without a planned system. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include "errors.h"
#include "test-util.h"
#include "uuid-owners.h"

#define VICTIM 4242
#define ATTACKER 65534
#define UUID_A "5a1ad0c0-7e57-4b3d-9c1e-00000000a001"

static void
test_kept (void)
{
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *path = g_build_filename (state, "uuid-owners", NULL);
  VrUuidOwners *owners = vr_uuid_owners_new (state, 0);
  g_autoptr (GError) error = NULL;
  guint holder = 0;
  struct stat st;

  vr_uuid_owners_seen (owners, UUID_A, VICTIM);
  vr_uuid_owners_gone (owners, UUID_A);
  vr_uuid_owners_free (owners);
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  owners = vr_uuid_owners_new (state, 0);
  vr_uuid_owners_expire (owners);
  /* Any case of the UUID is the same one. */
  g_assert_true (vr_uuid_owners_held_by_other (
      owners, NULL, "5A1AD0C0-7E57-4B3D-9C1E-00000000A001", ATTACKER,
      &holder));
  g_assert_cmpuint (holder, ==, VICTIM);
  g_assert_false (vr_uuid_owners_check (owners, NULL, UUID_A, ATTACKER, FALSE,
                                        &error));
  g_assert_error (error, VR_ERROR, VR_ERROR_ACCESS_DENIED);
  g_assert_nonnull (strstr (error->message, UUID_A));
  g_assert_nonnull (strstr (error->message, "manage-others"));
  g_assert_true (vr_uuid_owners_check (owners, NULL, UUID_A, ATTACKER, TRUE,
                                       NULL));
  g_assert_false (vr_uuid_owners_held_by_other (owners, NULL, UUID_A, VICTIM,
                                                &holder));
  g_assert_false (vr_uuid_owners_held_by_other (owners, NULL, UUID_A, 0,
                                                &holder));
  /* The attacker's planned system of it (imported by an older agent, or
   * by an administrator) leaves the hold the victim's. */
  vr_uuid_owners_seen (owners, UUID_A, ATTACKER);
  g_assert_true (vr_uuid_owners_held_by_other (owners, NULL, UUID_A, ATTACKER,
                                               &holder));
  vr_uuid_owners_free (owners);
  test_rmtree (state);
}

static void
test_root_not_recorded (void)
{
  g_autofree char *state = test_mkdtemp ();
  VrUuidOwners *owners = vr_uuid_owners_new (state, 0);
  guint holder = 0;

  vr_uuid_owners_seen (owners, UUID_A, 0);
  vr_uuid_owners_gone (owners, UUID_A);
  g_assert_false (vr_uuid_owners_held_by_other (owners, NULL, UUID_A, VICTIM,
                                                &holder));
  vr_uuid_owners_free (owners);
  test_rmtree (state);
}

/* One user's destroyed systems keep at most per_user holds: the oldest
 * goes, a live one never. */
static void
test_bounded (void)
{
  g_autofree char *state = test_mkdtemp ();
  VrUuidOwners *owners = vr_uuid_owners_new (state, 3);
  guint holder = 0;

  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *uuid = g_strdup_printf (
          "5a1ad0c0-7e57-4b3d-9c1e-00000000b%03u", i);

      vr_uuid_owners_seen (owners, uuid, VICTIM);
      if (i > 0)
        vr_uuid_owners_gone (owners, uuid);
      g_usleep (1100 * 1000 * (i == 1)); /* b001 is older than the rest */
    }
  /* b000 is live, b001 the oldest gone: dropped first. */
  g_assert_true (vr_uuid_owners_held_by_other (
      owners, NULL, "5a1ad0c0-7e57-4b3d-9c1e-00000000b000", ATTACKER,
      &holder));
  g_assert_false (vr_uuid_owners_held_by_other (
      owners, NULL, "5a1ad0c0-7e57-4b3d-9c1e-00000000b001", ATTACKER,
      &holder));
  g_assert_true (vr_uuid_owners_held_by_other (
      owners, NULL, "5a1ad0c0-7e57-4b3d-9c1e-00000000b005", ATTACKER,
      &holder));
  /* Another user's holds are not theirs to push out. */
  vr_uuid_owners_seen (owners, "5a1ad0c0-7e57-4b3d-9c1e-00000000c000",
                       ATTACKER);
  g_assert_true (vr_uuid_owners_held_by_other (
      owners, NULL, "5a1ad0c0-7e57-4b3d-9c1e-00000000b005", ATTACKER,
      &holder));
  vr_uuid_owners_free (owners);
  test_rmtree (state);
}

/* A hold without a planned system for longer than the keep days goes at
 * the agent's start; one whose system is there stays. */
static void
test_expired (void)
{
  g_autofree char *state = test_mkdtemp ();
  g_autofree char *path = g_build_filename (state, "uuid-owners", NULL);
  g_autofree char *text = g_strdup_printf (
      "[%s]\nuid=%u\nseen=%" G_GINT64_FORMAT "\n"
      "[5a1ad0c0-7e57-4b3d-9c1e-00000000a002]\nuid=%u\nseen=%" G_GINT64_FORMAT
      "\n[not-a-uuid]\nuid=5\nseen=0\n",
      UUID_A, VICTIM, (gint64) 1000, VICTIM, (gint64) 1000);
  VrUuidOwners *owners;
  guint holder = 0;

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  owners = vr_uuid_owners_new (state, 0);
  vr_uuid_owners_seen (owners, "5a1ad0c0-7e57-4b3d-9c1e-00000000a002",
                       VICTIM);
  vr_uuid_owners_expire (owners);
  g_assert_false (vr_uuid_owners_held_by_other (owners, NULL, UUID_A,
                                                ATTACKER, &holder));
  g_assert_true (vr_uuid_owners_held_by_other (
      owners, NULL, "5a1ad0c0-7e57-4b3d-9c1e-00000000a002", ATTACKER,
      &holder));
  vr_uuid_owners_free (owners);
  test_rmtree (state);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/uuid-owners/kept", test_kept);
  g_test_add_func ("/uuid-owners/root-not-recorded", test_root_not_recorded);
  g_test_add_func ("/uuid-owners/bounded", test_bounded);
  g_test_add_func ("/uuid-owners/expired", test_expired);
  return g_test_run ();
}
