/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* edit: XPath patches on a domain XML, and edits of a stored planned system
 * that are all or nothing, under its lock. */
#include "config.h"

#include <string.h>

#include "edit.h"
#include "errors.h"
#include "import.h"
#include "safe-xml.h"
#include "test-util.h"

#define UUID "5a1ad0c0-7e57-4b3d-9c1e-0000000000e1"

static const char domain_xml[] =
  "<domain type='qemu'>\n"
  "  <name>g</name>\n"
  "  <uuid>" UUID "</uuid>\n"
  "  <memory unit='KiB'>65536</memory>\n"
  "  <vcpu>1</vcpu>\n"
  "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
  "  <devices>\n"
  "    <disk type='file' device='disk'><source file='a.img'/>"
  "<target dev='vda' bus='virtio'/></disk>\n"
  "    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>\n"
  "  </devices>\n"
  "</domain>\n";

static xmlDoc *
parse (void)
{
  g_autoptr (GError) error = NULL;
  xmlDoc *doc = vr_xml_parse_buffer (domain_xml, strlen (domain_xml), "test",
                                     "domain", &error);

  g_assert_no_error (error);
  return doc;
}

static char *
get (xmlDoc *doc, const char *expr)
{
  return vr_xml_xpath_string (doc, expr);
}

static void
assert_value (xmlDoc *doc, const char *expr, const char *expected)
{
  g_autofree char *value = get (doc, expr);

  g_assert_cmpstr (value, ==, expected);
}

static void
set_ok (xmlDoc *doc, const char *assignment)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (vr_xml_patch_set (doc, assignment, &error));
  g_assert_no_error (error);
}

static void
test_set (void)
{
  g_autoptr (xmlDoc) doc = parse ();

  set_ok (doc, "/domain/os/type/@machine=pc-q35-7.2");
  assert_value (doc, "string(/domain/os/type/@machine)", "pc-q35-7.2");
  set_ok (doc, "/domain/vcpu=2");
  assert_value (doc, "string(/domain/vcpu)", "2");
  /* The '=' of a predicate belongs to the XPath. */
  set_ok (doc, "/domain/devices/disk[@device='cdrom']/target/@bus=sata");
  assert_value (doc, "string(/domain/devices/disk[2]/target/@bus)", "sata");
  assert_value (doc, "string(/domain/devices/disk[1]/target/@bus)", "virtio");
  /* After the separator, '=' and markup are plain text. */
  set_ok (doc, "/domain/name=a=b<&>");
  assert_value (doc, "string(/domain/name)", "a=b<&>");
  /* A missing attribute of existing elements is added. */
  set_ok (doc, "/domain/vcpu/@placement=static");
  assert_value (doc, "string(/domain/vcpu/@placement)", "static");
  /* Every node selected. */
  set_ok (doc, "/domain/devices/disk/@type=block");
  g_assert_null (vr_xml_xpath_node (doc, "/domain/devices/disk[@type='file']"));
}

static void
set_fails (const char *assignment, const char *needle)
{
  g_autoptr (xmlDoc) doc = parse ();
  g_autoptr (GError) error = NULL;

  g_assert_false (vr_xml_patch_set (doc, assignment, &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, needle,
                     "unchanged", NULL);
}

static void
test_set_errors (void)
{
  set_fails ("/domain/nothing=1", "selects nothing");
  set_fails ("/domain/nothing/@a=1", "selects nothing");
  set_fails ("/domain/[=1", "not XPATH=VALUE");
  set_fails ("no-equals", "not XPATH=VALUE");
  set_fails ("/domain/devices//=1", "not a valid XPath");
  set_fails ("/domain/devices=1", "child elements");
  set_fails ("count(/domain)=1", "selects nothing");
}

/* Found by review, proven by fuzz-edit-set under AddressSanitizer: an
 * element and its own text, both selected; setting the element's text
 * freed the text node the loop then read. Every node is checked before
 * any is set, so the refusal leaves the document as it was. */
static void
test_set_overlap (void)
{
  static const char *const refused[] = {
    "/domain/name | /domain/name/text()=x",
    "/domain/vcpu | /domain/devices=x",
    "/domain/name | /domain/name/node()=x",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (xmlDoc) doc = parse ();
      g_autoptr (GError) error = NULL;

      g_assert_false (vr_xml_patch_set (doc, refused[i], &error));
      test_assert_error (error, VR_ERROR_INVALID_PARAMETER, NULL);
      assert_value (doc, "string(/domain/name)", "g");
      assert_value (doc, "string(/domain/vcpu)", "1");
    }
}

static void
remove_ok (xmlDoc *doc, const char *xpath)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (vr_xml_patch_remove (doc, xpath, &error));
  g_assert_no_error (error);
}

static void
test_remove (void)
{
  g_autoptr (xmlDoc) doc = parse ();
  g_autoptr (GError) error = NULL;

  remove_ok (doc, "/domain/os/type/@machine");
  g_assert_null (vr_xml_xpath_node (doc, "/domain/os/type/@machine"));
  /* A node and its own child, both selected. */
  remove_ok (doc, "/domain/devices/disk[1] | /domain/devices/disk[1]/target");
  g_assert_null (vr_xml_xpath_node (doc, "/domain/devices/disk[@device='disk']"));
  g_assert_nonnull (vr_xml_xpath_node (doc, "/domain/devices/disk"));
  g_assert_false (vr_xml_patch_remove (doc, "/domain", &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "top element", NULL);
  g_clear_error (&error);
  g_assert_false (vr_xml_patch_remove (doc, "/domain/nothing", &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "selects nothing",
                     NULL);
}

typedef struct {
  char *state;
  char *import;
  VrStore *store;
  VrPlannedSystem *system;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->state = test_mkdtemp ();
  f->import = test_mkdtemp ();
  test_write_file (f->import, "domain.xml", domain_xml, -1);
  f->store = vr_store_new (f->state);
  f->system = vr_import_path (f->store, f->import, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_object_unref (f->system);
  g_object_unref (f->store);
  test_rmtree (f->state);
  test_rmtree (f->import);
  g_free (f->state);
  g_free (f->import);
}

/* The planned XML as the store has it now. */
static char *
stored_xml (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = vr_store_lookup (f->store, UUID,
                                                       &error);

  g_assert_no_error (error);
  return vr_planned_system_dup_domain_xml (system);
}

static void
test_store_patch (Fixture *f, gconstpointer data)
{
  const char *sets[] = { "/domain/vcpu=4", "/domain/name=g2", NULL };
  const char *removes[] = { "/domain/devices/disk[@device='cdrom']", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) edited = vr_edit_patch (f->store, "g", sets,
                                                      removes, &error);
  g_autoptr (VrPlannedSystem) again = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (vr_planned_system_get_name (edited), ==, "g2");
  g_assert_cmpuint (vr_planned_system_get_vcpus (edited), ==, 4);
  again = vr_store_lookup (f->store, "g2", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vr_planned_system_get_vcpus (again), ==, 4);
  g_assert_null (vr_xml_xpath_node (vr_planned_system_get_doc (again),
                                    "/domain/devices/disk[@device='cdrom']"));
}

static void
assert_patch_refused (Fixture *f, const char *set, int code,
                      const char *needle)
{
  const char *sets[] = { "/domain/vcpu=8", set, NULL };
  g_autofree char *before = stored_xml (f);
  g_autofree char *after = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_null (vr_edit_patch (f->store, UUID, sets, NULL, &error));
  test_assert_error (error, code, needle, NULL);
  after = stored_xml (f);
  g_assert_cmpstr (before, ==, after);
}

static void
assert_replace_refused (Fixture *f, const char *xml, const char *needle)
{
  g_autofree char *before = stored_xml (f);
  g_autofree char *after = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_null (vr_edit_replace (f->store, "g", xml, strlen (xml), &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, needle, "unchanged",
                     NULL);
  after = stored_xml (f);
  g_assert_cmpstr (before, ==, after);
}

static void
test_store_unchanged (Fixture *f, gconstpointer data)
{
  g_autofree char *other = test_domain_xml (
      "g", "5a1ad0c0-7e57-4b3d-9c1e-0000000000e2");

  assert_patch_refused (f, "/domain/nothing=1", VR_ERROR_INVALID_PARAMETER,
                        "selects nothing");
  assert_patch_refused (f, "/domain/uuid=5a1ad0c0-7e57-4b3d-9c1e-0000000000e2",
                        VR_ERROR_INVALID_PARAMETER, "cannot be changed");
  assert_patch_refused (f, "/domain/name=a/b", VR_ERROR_INVALID_PARAMETER,
                        "/domain/name");
  assert_replace_refused (f, "<domain><name>g</nam></domain>",
                          "not well-formed");
  assert_replace_refused (f, other, "cannot be changed");
  assert_replace_refused (f, "<!DOCTYPE d [<!ENTITY x SYSTEM "
                          "'file:///etc/passwd'>]><domain>&x;</domain>",
                          "DOCTYPE");
}

static void
test_store_replace (Fixture *f, gconstpointer data)
{
  g_autofree char *xml = test_domain_xml ("renamed", UUID);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) edited = vr_edit_replace (f->store, UUID, xml,
                                                        strlen (xml), &error);
  g_autofree char *stored = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (vr_planned_system_get_name (edited), ==, "renamed");
  stored = stored_xml (f);
  g_assert_nonnull (strstr (stored, "<name>renamed</name>"));
}

static void
test_store_locked (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  G_GNUC_UNUSED g_autoptr (VrStoreLock) lock =
      vr_store_lock (f->store, f->system, &error);

  g_assert_no_error (error);
  assert_patch_refused (f, "/domain/vcpu=2", VR_ERROR_IN_USE, "busy");
}

static void
test_store_state (Fixture *f, gconstpointer data)
{
  const char *sets[] = { "/domain/vcpu=2", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) edited = NULL;

  vr_planned_system_set_state (f->system, VR_PLANNED_STATE_REALIZING);
  vr_store_save (f->store, f->system, &error);
  g_assert_no_error (error);
  assert_patch_refused (f, "/domain/vcpu=2", VR_ERROR_INVALID_STATE,
                        "realizing");
  vr_planned_system_set_state (f->system, VR_PLANNED_STATE_FAILED);
  vr_store_save (f->store, f->system, &error);
  g_assert_no_error (error);
  edited = vr_edit_patch (f->store, UUID, sets, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vr_planned_system_get_vcpus (edited), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/edit/patch/set", test_set);
  g_test_add_func ("/edit/patch/set-errors", test_set_errors);
  g_test_add_func ("/edit/patch/set-overlap", test_set_overlap);
  g_test_add_func ("/edit/patch/remove", test_remove);
  g_test_add ("/edit/store/patch", Fixture, NULL, fixture_set_up,
              test_store_patch, fixture_tear_down);
  g_test_add ("/edit/store/unchanged", Fixture, NULL, fixture_set_up,
              test_store_unchanged, fixture_tear_down);
  g_test_add ("/edit/store/replace", Fixture, NULL, fixture_set_up,
              test_store_replace, fixture_tear_down);
  g_test_add ("/edit/store/locked", Fixture, NULL, fixture_set_up,
              test_store_locked, fixture_tear_down);
  g_test_add ("/edit/store/state", Fixture, NULL, fixture_set_up,
              test_store_state, fixture_tear_down);
  return g_test_run ();
}
