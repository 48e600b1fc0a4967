/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "import.h"
#include "safe-xml.h"
#include "store.h"
#include "test-util.h"

#define UUID_A "5a1ad0c0-7e57-4b3d-9c1e-0000000000aa"
#define UUID_B "5a1ad0c0-7e57-4b3d-9c1e-0000000000bb"

typedef struct {
  char *state;
  char *imports;
  VrStore *store;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->state = test_mkdtemp ();
  f->imports = test_mkdtemp ();
  f->store = vr_store_new (f->state);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_object_unref (f->store);
  test_rmtree (f->state);
  test_rmtree (f->imports);
  g_free (f->state);
  g_free (f->imports);
}

static char *
make_import (Fixture *f, const char *dirname, const char *name,
             const char *uuid)
{
  g_autofree char *xml = test_domain_xml (name, uuid);
  g_autoptr (GBytes) save = test_save_image ("LibvirtQemudSave", 2, 0, xml,
                                             1000);
  char *dir = g_build_filename (f->imports, dirname, NULL);

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  test_write_file (dir, "domain.xml", xml, -1);
  test_write_file (dir, "vm.save", g_bytes_get_data (save, NULL),
                   g_bytes_get_size (save));
  return dir;
}

static VrPlannedSystem *
import (Fixture *f, const char *dirname, const char *name, const char *uuid,
        const char *new_name, GError **error)
{
  g_autofree char *dir = make_import (f, dirname, name, uuid);

  return vr_import_path (f->store, dir, new_name, error);
}

/* Imports one the test needs only in the store. */
static void
import_ok (Fixture *f, const char *dirname, const char *name,
           const char *uuid)
{
  g_autoptr (GError) error = NULL;
  VrPlannedSystem *system = import (f, dirname, name, uuid, NULL, &error);

  g_assert_no_error (error);
  g_object_unref (system);
}

static void
test_add_list_lookup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (VrPlannedSystem) found = NULL;

  import_ok (f, "a", "zeta", UUID_A);
  import_ok (f, "b", "alpha", UUID_B);
  all = vr_store_list (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpstr (vr_planned_system_get_name (all->pdata[0]), ==, "alpha");
  g_assert_cmpstr (vr_planned_system_get_name (all->pdata[1]), ==, "zeta");
  found = vr_store_lookup (f->store, "zeta", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vr_planned_system_get_uuid (found), ==, UUID_A);
  g_clear_object (&found);
  found = vr_store_lookup (f->store, "5A1AD0C07E574B3D9C1E0000000000BB", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vr_planned_system_get_name (found), ==, "alpha");
  g_assert_cmpstr (vr_planned_system_get_save_file (found), ==, "vm.save");
  g_assert_cmpuint (vr_planned_system_get_memory_kib (found), ==, 65536);
  g_clear_object (&found);
  found = vr_store_lookup (f->store, "nobody", &error);
  g_assert_null (found);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "'nobody'", NULL);
}

/* The agent goes through the folders one at a time, and a lookup by UUID
 * reads that one folder: a broken sibling hides nothing but itself. */
static void
test_uuids_load (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *broken = g_build_filename (
      vr_store_get_path (f->store), UUID_A, VR_STORE_RECORD, NULL);
  g_autoptr (GPtrArray) uuids = NULL;
  g_autoptr (VrPlannedSystem) found = NULL;

  import_ok (f, "a", "zeta", UUID_A);
  import_ok (f, "b", "alpha", UUID_B);
  uuids = vr_store_list_uuids (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uuids->len, ==, 2);
  g_assert_true (g_ptr_array_find_with_equal_func (uuids, UUID_A, g_str_equal,
                                                   NULL));
  g_assert_true (g_file_set_contents (broken, "<record", -1, NULL));
  found = vr_store_load (f->store, UUID_B, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vr_planned_system_get_name (found), ==, "alpha");
  g_clear_object (&found);
  found = vr_store_lookup (f->store, UUID_B, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vr_planned_system_get_name (found), ==, "alpha");
  g_clear_object (&found);
  found = vr_store_load (f->store, UUID_A, &error);
  g_assert_null (found);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, UUID_A, NULL);
  g_clear_error (&error);
  /* A record that cannot be read keeps its cause (the file error and its
   * text) and maps to the seed's code only at the edge. */
  g_assert_cmpint (g_unlink (broken), ==, 0);
  found = vr_store_load (f->store, UUID_A, &error);
  g_assert_null (found);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_true (g_str_has_prefix (error->message,
                                   "cannot read planned system "));
  g_assert_true (g_str_has_suffix (error->message, g_strerror (ENOENT)));
  g_assert_cmpint (vr_error_get_code (error), ==,
                   VR_ERROR_INVALID_PARAMETER);
  g_clear_error (&error);
  found = vr_store_lookup (f->store, "zeta", &error);
  g_assert_null (found);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "'zeta'", NULL);
}

static void
test_same_uuid (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) again = NULL;

  import_ok (f, "a", "g", UUID_A);
  again = import (f, "b", "other-name", UUID_A, NULL, &error);
  g_assert_null (again);
  test_assert_error (error, VR_ERROR_IN_USE, UUID_A, "already imported", NULL);
  /* The state dir holds the first one, its lock file, nothing half-made. */
  g_assert_cmpuint (test_count_entries (f->state), ==, 2);
}

static void
test_same_name (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) b = NULL;
  g_autoptr (VrPlannedSystem) c = NULL;
  g_autofree char *b_dir = g_build_filename (f->imports, "b", NULL);

  import_ok (f, "a", "g", UUID_A);
  b = import (f, "b", "g", UUID_B, NULL, &error);
  g_assert_null (b);
  test_assert_error (error, VR_ERROR_IN_USE, "'g'", "under another name",
                     NULL);
  g_clear_error (&error);
  g_autofree char *b_save = g_build_filename (b_dir, "vm.save", NULL);
  g_assert_cmpint (unlink (b_save), ==, 0);
  c = vr_import_path (f->store, b_dir, "g2", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vr_planned_system_get_name (c), ==, "g2");
}

static void
test_rename_on_import (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = make_import (f, "a", "g", UUID_A);
  g_autofree char *save = g_build_filename (dir, "vm.save", NULL);
  g_autoptr (VrPlannedSystem) refused = NULL;
  g_autoptr (VrPlannedSystem) a = NULL;
  g_autoptr (VrPlannedSystem) found = NULL;
  g_autofree char *xml = NULL;

  /* libvirt binds a saved state to its domain's name. */
  refused = vr_import_path (f->store, dir, "renamed", &error);
  g_assert_null (refused);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "vm.save", "'g'",
                     "under its own name", NULL);
  g_clear_error (&error);
  g_assert_cmpint (unlink (save), ==, 0);
  a = vr_import_path (f->store, dir, "renamed", &error);
  g_assert_no_error (error);
  found = vr_store_lookup (f->store, "renamed", &error);
  g_assert_no_error (error);
  xml = vr_planned_system_dup_domain_xml (found);
  g_assert_nonnull (strstr (xml, "<name>renamed</name>"));
}

static void
test_new_id (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrImportDir) dir = NULL;
  g_autoptr (VrPlannedSystem) original = NULL;
  g_autoptr (VrPlannedSystem) refused = NULL;
  g_autoptr (VrPlannedSystem) copy = NULL;
  g_autoptr (VrPlannedSystem) back = NULL;
  g_autofree char *copy_xml = NULL;
  g_autofree char *b = g_build_filename (f->imports, "b", NULL);

  g_free (make_import (f, "b", "g", UUID_A));
  dir = vr_import_dir_open (b, &error);
  g_assert_no_error (error);
  original = vr_import (f->store, dir, NULL, &error);
  g_assert_no_error (error);
  /* The saved state is bound to the UUID. */
  refused = vr_import_with_flags (f->store, dir, NULL, VR_IMPORT_NEW_ID,
                                  &error);
  g_assert_null (refused);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "VR1710",
                     "discard-saved-state option", NULL);
  g_clear_error (&error);
  copy = vr_import_with_flags (f->store, dir, NULL,
                               VR_IMPORT_NEW_ID
                               | VR_IMPORT_DISCARD_SAVED_STATE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vr_planned_system_get_name (copy), ==, "g-2");
  g_assert_cmpstr (vr_planned_system_get_uuid (copy), !=, UUID_A);
  g_assert_cmpstr (vr_planned_system_get_source_uuid (copy), ==, UUID_A);
  g_assert_null (vr_planned_system_get_save_file (copy));
  back = vr_store_lookup (f->store, "g-2", &error);
  g_assert_no_error (error);
  g_assert_true (vr_planned_system_get_saved_state_discarded (back));
  g_assert_cmpstr (vr_planned_system_get_source_uuid (back), ==, UUID_A);
  copy_xml = vr_planned_system_dup_domain_xml (back);
  g_assert_nonnull (strstr (copy_xml, vr_planned_system_get_uuid (copy)));
  g_assert_null (strstr (copy_xml, UUID_A));
}

static void
test_new_macs (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir_path = g_build_filename (f->imports, "n", NULL);
  g_autofree char *xml = g_strdup_printf (
      "<domain type='qemu'><name>n</name><uuid>%s</uuid>"
      "<memory>65536</memory><devices><interface type='user'>"
      "<mac address='52:54:00:11:22:33'/></interface></devices></domain>",
      UUID_B);
  g_autoptr (VrImportDir) dir = NULL;
  g_autoptr (VrPlannedSystem) copy = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpint (g_mkdir (dir_path, 0700), ==, 0);
  test_write_file (dir_path, "domain.xml", xml, -1);
  dir = vr_import_dir_open (dir_path, &error);
  g_assert_no_error (error);
  copy = vr_import_with_flags (f->store, dir, NULL, VR_IMPORT_NEW_ID, &error);
  g_assert_no_error (error);
  /* No original planned here: the name is free and kept. */
  g_assert_cmpstr (vr_planned_system_get_name (copy), ==, "n");
  text = vr_planned_system_dup_domain_xml (copy);
  g_assert_null (strstr (text, "52:54:00:11:22:33"));
  g_assert_nonnull (strstr (text, "<mac address=\"52:54:00:"));
}

static void
test_save_roundtrip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) a = import (f, "a", "g", UUID_A, NULL, &error);
  g_autoptr (VrPlannedSystem) back = NULL;

  vr_planned_system_set_state (a, VR_PLANNED_STATE_FAILED);
  vr_planned_system_set_last_job (a, VR_ERROR_FAILED, "copy <failed> & why");
  vr_planned_system_set_domain (a, "g");
  g_assert_true (vr_store_save (f->store, a, &error));
  back = vr_store_lookup (f->store, UUID_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vr_planned_system_get_state (back), ==,
                   VR_PLANNED_STATE_FAILED);
  g_assert_cmpint (vr_planned_system_get_last_job_code (back), ==,
                   VR_ERROR_FAILED);
  g_assert_cmpstr (vr_planned_system_get_last_job_message (back), ==,
                   "copy <failed> & why");
  g_assert_cmpstr (vr_planned_system_get_domain (back), ==, "g");
  g_assert_true (vr_planned_system_get_save_was_running (back));
  g_assert_cmpuint (vr_planned_system_get_save_size (back), ==,
                    vr_planned_system_get_save_size (a));
}

static void
test_record_schema (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) a = import (f, "a", "g", UUID_A, NULL, &error);
  g_autofree char *fresh = vr_planned_system_to_record (a);
  g_autofree char *later = NULL;

  test_assert_valid_rng ("planned-system.rng", fresh);
  vr_planned_system_set_state (a, VR_PLANNED_STATE_REALIZED);
  vr_planned_system_set_last_job (a, 0, "done");
  vr_planned_system_set_domain (a, "g");
  later = vr_planned_system_to_record (a);
  test_assert_valid_rng ("planned-system.rng", later);
}

/* The author of the planned XML (F5): the importer's uid, kept in the
 * record; a user's update makes it theirs, root's edit of a user's XML
 * leaves it theirs; host access follows the least privileged of caller
 * and author; a record without one never reaches the host. */
static void
test_author (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) a = import (f, "a", "g", UUID_A, NULL, &error);
  g_autoptr (VrPlannedSystem) back = NULL;
  g_autoptr (VrPlannedSystem) old = NULL;
  g_autofree char *record = NULL;
  g_autofree char *stripped = NULL;
  g_autofree char *xml = vr_planned_system_dup_domain_xml (a);
  g_autoptr (GRegex) author = g_regex_new ("<author[^>]*/>", 0, 0, NULL);
  guint uid = 12345;

  g_assert_true (vr_planned_system_get_author (a, &uid));
  g_assert_cmpuint (uid, ==, getuid ());
  vr_planned_system_note_author (a, 65534);
  vr_planned_system_note_author (a, 0);
  record = vr_planned_system_to_record (a);
  test_assert_valid_rng ("planned-system.rng", record);
  back = vr_planned_system_new_from_record (record, strlen (record), xml,
                                            strlen (xml), "r", &error);
  g_assert_no_error (error);
  g_assert_true (vr_planned_system_get_author (back, &uid));
  g_assert_cmpuint (uid, ==, 65534);
  g_assert_false (vr_planned_system_author_may_reach_host (back, 0));
  g_assert_false (vr_planned_system_author_may_reach_host (back, 1000));
  g_assert_true (vr_planned_system_author_may_reach_host (back, 65534));
  vr_planned_system_set_author (back, 0);
  g_assert_true (vr_planned_system_author_may_reach_host (back, 1000));
  stripped = g_regex_replace_literal (author, record, -1, 0, "", 0, NULL);
  g_assert_null (strstr (stripped, "<author"));
  old = vr_planned_system_new_from_record (stripped, strlen (stripped), xml,
                                           strlen (xml), "r", &error);
  g_assert_no_error (error);
  g_assert_false (vr_planned_system_get_author (old, &uid));
  g_assert_false (vr_planned_system_author_may_reach_host (old, 0));
}

static void
test_uuid_is_fixed (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) a = import (f, "a", "g", UUID_A, NULL, &error);
  g_autofree char *other = test_domain_xml ("g", UUID_B);
  g_autofree char *renamed = test_domain_xml ("h", UUID_A);

  g_assert_false (vr_planned_system_set_domain_xml (a, other, strlen (other),
                                                    &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "cannot be changed",
                     NULL);
  g_clear_error (&error);
  g_assert_true (vr_planned_system_set_domain_xml (a, renamed, strlen (renamed),
                                                   &error));
  g_assert_cmpstr (vr_planned_system_get_name (a), ==, "h");
}

static void
test_lock (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) a = import (f, "a", "g", UUID_A, NULL, &error);
  g_autoptr (VrStoreLock) lock = vr_store_lock (f->store, a, &error);
  g_autoptr (VrStoreLock) second = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (lock);
  second = vr_store_lock (f->store, a, &error);
  g_assert_null (second);
  test_assert_error (error, VR_ERROR_IN_USE, "'g'", NULL);
  g_clear_error (&error);
  g_assert_false (vr_store_remove (f->store, a, &error));
  test_assert_error (error, VR_ERROR_IN_USE, NULL);
  g_clear_error (&error);
  g_clear_pointer (&lock, vr_store_lock_free);
  second = vr_store_lock (f->store, a, &error);
  g_assert_no_error (error);
}

static void
test_remove (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) a = import (f, "a", "g", UUID_A, NULL, &error);
  g_autofree char *import_dir = g_build_filename (f->imports, "a", NULL);
  g_autofree char *before = test_snapshot_tree (import_dir);
  g_autofree char *after = NULL;
  g_autoptr (GPtrArray) all = NULL;

  g_assert_true (vr_store_remove (f->store, a, &error));
  g_assert_no_error (error);
  all = vr_store_list (f->store, &error);
  g_assert_cmpuint (all->len, ==, 0);
  /* Only the store's lock file is left. */
  g_assert_cmpuint (test_count_entries (f->state), ==, 1);
  after = test_snapshot_tree (import_dir);
  g_assert_cmpstr (before, ==, after);
}

/* An import killed before its folder's rename left .new-XXXXXX behind:
 * the next import removes it; a planned system's folder stays. */
static void
test_dead_import (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) b = NULL;
  g_autofree char *dead = g_build_filename (f->state, ".new-DEAD00", NULL);
  g_autoptr (GPtrArray) all = NULL;

  import_ok (f, "a", "g", UUID_A);
  g_assert_cmpint (g_mkdir (dead, 0700), ==, 0);
  test_write_file (dead, "domain.xml", "<domain/>", -1);
  b = import (f, "b", "h", UUID_B, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (dead, G_FILE_TEST_EXISTS));
  all = vr_store_list (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 2);
}

static void
test_not_writable (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) a = NULL;

  if (geteuid () == 0)
    {
      g_test_skip ("root writes anywhere; test-cli covers this as an "
                   "unprivileged user");
      return;
    }
  g_assert_cmpint (chmod (f->state, 0500), ==, 0);
  a = import (f, "a", "g", UUID_A, NULL, &error);
  g_assert_null (a);
  test_assert_error (error, VR_ERROR_ACCESS_DENIED, f->state, NULL);
}

static void
test_missing_state_dir (Fixture *f, gconstpointer data)
{
  g_autofree char *nested = g_build_filename (f->state, "x", "y", NULL);
  g_autoptr (VrStore) store = vr_store_new (nested);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = vr_store_list (store, &error);

  /* Listing creates nothing; an import creates the directory. */
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 0);
  g_assert_false (g_file_test (nested, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/store/" path, Fixture, NULL, fixture_set_up, func, \
              fixture_tear_down)
  ADD ("add-list-lookup", test_add_list_lookup);
  ADD ("uuids-load", test_uuids_load);
  ADD ("same-uuid", test_same_uuid);
  ADD ("same-name", test_same_name);
  ADD ("rename-on-import", test_rename_on_import);
  ADD ("save-roundtrip", test_save_roundtrip);
  ADD ("new-id", test_new_id);
  ADD ("new-macs", test_new_macs);
  ADD ("record-schema", test_record_schema);
  ADD ("author", test_author);
  ADD ("uuid-is-fixed", test_uuid_is_fixed);
  ADD ("lock", test_lock);
  ADD ("remove", test_remove);
  ADD ("dead-import", test_dead_import);
  ADD ("not-writable", test_not_writable);
  ADD ("missing-state-dir", test_missing_state_dir);
#undef ADD
  return g_test_run ();
}
