/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One problem, one fix: for each problem the test bed can provoke in a
 * saved guest (machine, vCPUs, memory, CPU mode and model, a missing disk,
 * a moved import directory), the hints of its findings agree, and doing
 * what the hint says (the edit it names, run through the edit module)
 * makes the finding go away without any new error. And what an edit of a
 * saved guest cannot do (another CPU) is an error before realize. */
#include "config.h"

#include <unistd.h>

#include <glib/gstdio.h>
#include <string.h>

#include "import.h"
#include "libvirt-util.h"
#include "test-util.h"
#include "testbed.h"
#include "validate-helpers.h"
#include "validate.h"

static struct {
  virConnectPtr conn;
  VrHostCaps *caps;
  char *state;
  VrStore *store;
  char *basic;
  char *disk;
} t;

static VrPlannedSystem *
plan_copy (const char *import_dir, char **copy)
{
  return vt_plan_copy (t.store, import_dir, copy);
}

static void
forget (VrPlannedSystem *system, char *copy)
{
  vt_forget (t.store, system, copy);
}

static GPtrArray *
validate (VrPlannedSystem *system)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) now = vr_store_lookup (
      t.store, vr_planned_system_get_uuid (system), &error);
  GPtrArray *findings;

  g_assert_no_error (error);
  findings = vr_validate_planned (t.caps, t.store, now, &error);
  g_assert_no_error (error);
  vt_log (findings);
  return findings;
}

static void
patch (VrPlannedSystem *system, const char *const *sets,
       const char *const *removes)
{
  g_autoptr (GError) error = NULL;
  VrPlannedSystem *edited = vr_edit_patch (
      t.store, vr_planned_system_get_uuid (system), sets, removes, &error);

  g_assert_no_error (error);
  g_object_unref (edited);
}

/* Applies the edit a finding's fix gives as data, as every front end
 * would (the CLI's `edit --set XPATH=VALUE` or `--remove XPATH`, Cockpit's
 * Apply); its hint says the same in words, no front end's command line. */
static void
apply_fix (VrPlannedSystem *system, const VrFinding *f)
{
  const VrFindingFix *fix = f->fix;
  g_autofree char *set = NULL;
  const char *sets[] = { NULL, NULL };
  const char *removes[] = { NULL, NULL };

  if (fix == NULL || f->hint == NULL)
    g_error ("%s at %s has no fix or no hint", f->id, f->source);
  g_assert_nonnull (strstr (f->hint, fix->xpath));
  g_assert_null (strstr (f->hint, "virt-realize"));
  if (fix->value != NULL)
    {
      set = g_strdup_printf ("%s=%s", fix->xpath, fix->value);
      sets[0] = set;
    }
  else
    removes[0] = fix->xpath;
  patch (system, sets, removes);
}

static gboolean
has_error (GPtrArray *findings, const char *id, const char *source)
{
  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *f = findings->pdata[i];

      if (f->severity == VR_SEVERITY_ERROR && g_str_equal (f->id, id)
          && g_strcmp0 (f->source, source) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Every error in after was in before (same ID and source), and the fixed
 * one is not in after. */
static void
assert_fixed (GPtrArray *before, GPtrArray *after, const VrFinding *fixed)
{
  g_assert_false (has_error (after, fixed->id, fixed->source));
  for (guint i = 0; i < after->len; i++)
    {
      VrFinding *f = after->pdata[i];

      if (f->severity == VR_SEVERITY_ERROR
          && !has_error (before, f->id, f->source))
        g_error ("following the hint for %s brought a new error %s at %s: "
                 "%s", fixed->id, f->id, f->source, f->message);
    }
}

/* The errors at source all give one hint, an edit; applying it removes
 * them all and brings no new error. */
static void
expect_one_fix (VrPlannedSystem *system, const char *source,
                const char *const *ids)
{
  g_autoptr (GPtrArray) before = validate (system);
  g_autoptr (GPtrArray) after = NULL;
  const VrFinding *first = NULL;

  for (guint i = 0; ids[i] != NULL; i++)
    {
      VrFinding *f = vt_assert_finding (before, ids[i], source);

      g_assert_cmpint (f->severity, ==, VR_SEVERITY_ERROR);
      g_assert_nonnull (f->hint);
      g_assert_nonnull (f->fix);
      if (first == NULL)
        first = f;
      /* One problem, one fix. */
      g_assert_cmpstr (f->hint, ==, first->hint);
      g_assert_cmpstr (f->fix->xpath, ==, first->fix->xpath);
      g_assert_cmpstr (f->fix->value, ==, first->fix->value);
    }
  if (first == NULL)
    g_error ("no finding at %s", source);
  apply_fix (system, first);
  after = validate (system);
  for (guint i = 0; ids[i] != NULL; i++)
    assert_fixed (before, after, vt_assert_finding (before, ids[i], source));
  vt_assert_errors_only (after, NULL);
}

static void
provoke (VrPlannedSystem *system, const char *set, const char *remove)
{
  const char *sets[] = { set, NULL };
  const char *removes[] = { remove, NULL };

  patch (system, set ? sets : NULL, remove ? removes : NULL);
}

/* One edit of a saved guest, and the errors it brings at one XPath. */
typedef struct {
  const char *name;
  const char *set;
  const char *source;
  const char *ids[3];
} Provocation;

static const Provocation provocations[] = {
  /* A machine type this QEMU lacks, and not the saved one: the host check
   * and the saved-state check both point at the saved machine. */
  { "machine", "/domain/os/type/@machine=pc-q35-99.0",
    "/domain/os/type/@machine",
    { VR_FINDING_MACHINE, VR_FINDING_SAVE_PLATFORM } },
  /* More vCPUs than QEMU allows (and than the host has: that warning
   * gives the same fix). */
  { "vcpus", "/domain/vcpu=1000", "/domain/vcpu",
    { VR_FINDING_VCPU_MAX, VR_FINDING_SAVE_VCPUS } },
  /* 64 TiB: more than this host has. */
  { "memory", "/domain/memory=68719476736", "/domain/memory",
    { VR_FINDING_MEMORY_HOST, VR_FINDING_SAVE_MEMORY } },
};

static void
test_provoked (gconstpointer data)
{
  const Provocation *p = data;
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = plan_copy (t.basic, &copy);
  g_autoptr (GPtrArray) findings = NULL;
  const char *hint = NULL;

  provoke (system, p->set, NULL);
  findings = validate (system);
  /* Warnings there too give the one fix. */
  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *f = findings->pdata[i];

      if (g_strcmp0 (f->source, p->source) != 0)
        continue;
      if (hint == NULL)
        hint = f->hint;
      g_assert_cmpstr (f->hint, ==, hint);
    }
  expect_one_fix (system, p->source, p->ids);
  forget (system, copy);
}

/* host-passthrough under TCG is refused by the host, and is another CPU
 * than the saved one: one fix, the saved mode. */
static void
test_cpu_mode (void)
{
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = plan_copy (t.basic, &copy);
  const char *ids[] = { VR_FINDING_SAVE_GUEST_CPU, NULL };
  g_autoptr (GPtrArray) findings = NULL;

  provoke (system, "/domain/cpu/@mode=host-passthrough", NULL);
  findings = validate (system);
  if (vr_findings_find (findings, VR_FINDING_CPU_MODE) != NULL)
    {
      const char *both[] = { VR_FINDING_CPU_MODE, VR_FINDING_SAVE_GUEST_CPU,
                             NULL };

      expect_one_fix (system, "/domain/cpu/@mode", both);
    }
  else
    expect_one_fix (system, "/domain/cpu/@mode", ids);
  forget (system, copy);
}

/* The edit the issue names: another model "fitted" but the guest resumed
 * with its saved CPU. Now it is an error naming both, fixed by the saved
 * model; removing <cpu> is one too. */
static void
test_cpu_model (void)
{
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = plan_copy (t.basic, &copy);
  const char *ids[] = { VR_FINDING_SAVE_GUEST_CPU, NULL };
  g_autoptr (GPtrArray) removed = NULL;
  VrFinding *f;

  provoke (system, "/domain/cpu/model=pentium3", NULL);
  {
    g_autoptr (GPtrArray) findings = validate (system);

    f = vt_assert_only (findings, VR_FINDING_SAVE_GUEST_CPU,
                        "/domain/cpu/model");
    g_assert_nonnull (strstr (f->message, "pentium3"));
    g_assert_nonnull (strstr (f->message, "qemu64"));
  }
  expect_one_fix (system, "/domain/cpu/model", ids);
  provoke (system, NULL, "/domain/cpu");
  removed = validate (system);
  f = vt_assert_only (removed, VR_FINDING_SAVE_GUEST_CPU, "/domain");
  g_assert_nonnull (strstr (f->message, "qemu64"));
  forget (system, copy);
}

/* A missing disk of the import directory: the hint says where to put it;
 * put there, the finding is gone. */
static void
test_missing_disk (void)
{
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = plan_copy (t.disk, &copy);
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  g_autofree char *disks = g_build_filename (copy, "disks", NULL);
  g_autofree char *aside = g_build_filename (copy, "aside", NULL);
  VrFinding *f;

  g_assert_cmpint (g_rename (disks, aside), ==, 0);
  before = validate (system);
  f = vt_assert_finding (before, VR_FINDING_DISK_SOURCE, NULL);
  g_assert_nonnull (strstr (f->hint, disks));
  g_assert_nonnull (strstr (f->hint, "copy-disks option"));
  g_assert_cmpint (g_rename (aside, disks), ==, 0);
  after = validate (system);
  /* What validate --copy-disks (and realize --copy-disks) drops, as the
   * hint says. */
  vr_findings_remove_id (after, VR_FINDING_DISK_IN_IMPORT);
  assert_fixed (before, after, f);
  forget (system, copy);
}

/* A moved import directory: the hint says to put it back (the saved state
 * is the guest's memory) before anything that would discard it. */
static void
test_moved_dir (void)
{
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = plan_copy (t.basic, &copy);
  g_autofree char *moved = g_strconcat (copy, "-moved", NULL);
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  g_autofree char *expected = NULL;
  VrFinding *f;

  g_assert_cmpint (g_rename (copy, moved), ==, 0);
  before = validate (system);
  f = vt_assert_only (before, VR_FINDING_SAVE_IMAGE, NULL);
  expected = g_strdup_printf ("put the import directory back at %s", copy);
  g_assert_true (g_str_has_prefix (f->hint, expected));
  g_assert_null (strstr (f->hint, "discard"));
  g_assert_cmpint (g_rename (moved, copy), ==, 0);
  after = validate (system);
  assert_fixed (before, after, f);
  vt_assert_errors_only (after, NULL);
  forget (system, copy);
}

/* A save image moved out of its directory: put it back first. */
static void
test_moved_image (void)
{
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = plan_copy (t.basic, &copy);
  g_autofree char *image = g_build_filename (copy, "vr-guest.save", NULL);
  g_autofree char *aside = g_strconcat (copy, ".save-aside", NULL);
  g_autofree char *expected = NULL;
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  VrFinding *f;

  g_assert_cmpint (g_rename (image, aside), ==, 0);
  before = validate (system);
  f = vt_assert_only (before, VR_FINDING_SAVE_IMAGE, image);
  expected = g_strdup_printf ("put the save image back at %s;", image);
  g_assert_true (g_str_has_prefix (f->hint, expected));
  g_assert_cmpint (g_rename (aside, image), ==, 0);
  after = validate (system);
  assert_fixed (before, after, f);
  vt_assert_errors_only (after, NULL);
  forget (system, copy);
}

/* Edits libvirt's own ABI check refuses for the saved guest, which our
 * comparisons did not see (validate said "fits", realize then failed in
 * virDomainSaveImageDefineXML): validate now asks libvirt (VR1714), in
 * its words. */
static const struct {
  const char *set;
  const char *says;
} abi_edits[] = {
  { "/domain/currentMemory=32768", "current memory 32768 does not match" },
  { "/domain/devices/memballoon/@autodeflate=on", "autodeflate" },
  { "/domain/devices/memballoon/@freePageReporting=on",
    "freePageReporting" },
};

static guint
abi_temps (void)
{
  g_autoptr (GDir) dir = g_dir_open (t.state, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    n += g_str_has_prefix (name, ".vr-abi-");
  return n;
}

/* A head copy left by a validate that was killed (its pid gone) goes at
 * the next validate; one of a live process stays. */
static void
test_libvirt_abi_sweeps (void)
{
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = plan_copy (t.basic, &copy);
  g_autoptr (GPtrArray) findings = NULL;
  g_autofree char *live = g_strdup_printf (".vr-abi-%d-live00", (int) getpid ());
  g_autofree char *live_path = g_build_filename (t.state, live, NULL);
  /* Beyond any pid_max: no process has it. */
  const char *dead = ".vr-abi-99999999-dead00";
  g_autofree char *dead_path = g_build_filename (t.state, dead, NULL);

  test_write_file (t.state, dead, "head", -1);
  test_write_file (t.state, live, "head", -1);
  findings = validate (system);
  vt_assert_errors_only (findings, NULL);
  g_assert_false (g_file_test (dead_path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (live_path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (unlink (live_path), ==, 0);
  forget (system, copy);
}

static void
test_libvirt_abi (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (abi_edits); i++)
    {
      char *copy = NULL;
      g_autoptr (VrPlannedSystem) system = plan_copy (t.basic, &copy);
      const char *sets[] = { abi_edits[i].set, NULL };
      g_autoptr (GPtrArray) findings = NULL;
      VrFinding *finding;

      g_test_message ("edit --set %s", abi_edits[i].set);
      patch (system, sets, NULL);
      findings = validate (system);
      finding = vt_assert_finding (findings, "VR1714", NULL);
      g_assert_nonnull (strstr (finding->message, abi_edits[i].says));
      g_assert_nonnull (finding->hint);
      vt_assert_errors_only (findings, "VR1714");
      g_assert_cmpuint (abi_temps (), ==, 0);
      forget (system, copy);
    }
}

/* What libvirt accepts for a saved guest still fits (and resumes: see
 * realize's /realize/link-resumes for the unedited guest). */
static void
test_libvirt_abi_accepts (void)
{
  static const char *const edits[] = { "/domain/clock/@offset=localtime",
                                       "/domain/on_reboot=destroy" };

  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      char *copy = NULL;
      g_autoptr (VrPlannedSystem) system = plan_copy (t.basic, &copy);
      const char *sets[] = { edits[i], NULL };
      g_autoptr (GPtrArray) findings = NULL;

      patch (system, sets, NULL);
      findings = validate (system);
      vt_assert_errors_only (findings, NULL);
      g_assert_cmpuint (abi_temps (), ==, 0);
      forget (system, copy);
    }
}

static void
set_up (void)
{
  g_autofree char *root = vr_testbed_new_root ("validate-hints");
  g_autofree char *uri = vr_testbed_root_uri (root);
  g_autoptr (GError) error = NULL;

  t.basic = vr_testbed_import_dir ("basic", &error);
  g_assert_no_error (error);
  t.disk = vr_testbed_import_dir ("disk", &error);
  g_assert_no_error (error);
  t.conn = vr_libvirt_open (uri, &error);
  g_assert_no_error (error);
  t.caps = vr_host_caps_new (t.conn);
  t.state = test_mkdtemp ();
  t.store = vr_store_new (t.state);
}

static void
tear_down (void)
{
  g_object_unref (t.store);
  g_object_unref (t.caps);
  virConnectClose (t.conn);
  test_rmtree (t.state);
  g_free (t.state);
  g_free (t.basic);
  g_free (t.disk);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  set_up ();
  for (guint i = 0; i < G_N_ELEMENTS (provocations); i++)
    {
      g_autofree char *path = g_strdup_printf ("/validate-hints/%s",
                                               provocations[i].name);

      g_test_add_data_func (path, &provocations[i], test_provoked);
    }
  g_test_add_func ("/validate-hints/cpu-mode", test_cpu_mode);
  g_test_add_func ("/validate-hints/cpu-model", test_cpu_model);
  g_test_add_func ("/validate-hints/missing-disk", test_missing_disk);
  g_test_add_func ("/validate-hints/moved-dir", test_moved_dir);
  g_test_add_func ("/validate-hints/moved-image", test_moved_image);
  g_test_add_func ("/validate-hints/libvirt-abi", test_libvirt_abi);
  g_test_add_func ("/validate-hints/libvirt-abi-sweeps",
                   test_libvirt_abi_sweeps);
  g_test_add_func ("/validate-hints/libvirt-abi-accepts",
                   test_libvirt_abi_accepts);
  status = g_test_run ();
  tear_down ();
  return status;
}
