/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* validate-firmware.c on a real embedded QEMU: the test bed's UEFI+TPM
 * guest fits; firmware auto-selection that no descriptor here answers, a
 * taken place for the carried NVRAM or TPM state, a TPM left behind, an
 * encrypted TPM without its secret and snapshots on a disk that stays
 * behind each give their finding. */
#include "config.h"

#include <sys/stat.h>
#include <unistd.h>

#include "import.h"
#include "libvirt-util.h"
#include "test-util.h"
#include "testbed.h"
#include "validate-helpers.h"
#include "validate.h"

#define UEFI_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000004"

static struct
{
  char *root;
  virConnectPtr conn;
  VrHostCaps *caps;
  char *state;
  VrStore *store;
  char *uefi;
} t;

static GPtrArray *
validate_planned (VrPlannedSystem *system)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *findings = vr_validate_planned (t.caps, t.store, system, &error);

  g_assert_no_error (error);
  vt_log (findings);
  return findings;
}

static void
assert_no_warnings (GPtrArray *findings)
{
  vt_assert_errors_only (findings, NULL);
  g_assert_cmpuint (vr_findings_count (findings, VR_SEVERITY_WARNING), ==, 0);
}

static void
test_uefi_fits (void)
{
  g_autoptr (VrPlannedSystem) system
      = test_plan_import (t.uefi, VR_IMPORT_NONE);
  g_autoptr (GPtrArray) findings = validate_planned (system);

  assert_no_warnings (findings);
}

/* Something at the carried state's places: never replaced. */
static void
test_places_taken (void)
{
  g_autoptr (VrPlannedSystem) system
      = test_plan_import (t.uefi, VR_IMPORT_NONE);
  g_autofree char *nvram_dir
      = g_build_filename (t.root, "lib", "qemu", "nvram", NULL);
  g_autofree char *tpm_dir
      = g_build_filename (t.root, "lib", "swtpm", UEFI_UUID, NULL);
  g_autoptr (GPtrArray) findings = NULL;

  g_assert_cmpint (g_mkdir_with_parents (nvram_dir, 0755), ==, 0);
  test_write_file (nvram_dir, "vr-uefi_VARS.fd", "another guest's", -1);
  g_assert_cmpint (g_mkdir_with_parents (tpm_dir, 0711), ==, 0);
  findings = validate_planned (system);
  vt_assert_finding (findings, VR_FINDING_NVRAM_TAKEN, "/domain/os");
  vt_assert_finding (findings, VR_FINDING_TPM_TAKEN, "/domain/devices/tpm");
  g_assert_cmpuint (vr_findings_count (findings, VR_SEVERITY_ERROR), ==, 2);
  test_rmtree (tpm_dir);
  test_rmtree (nvram_dir);
}

static void
test_new_id (void)
{
  g_autoptr (VrPlannedSystem) system = test_plan_import (
      t.uefi, VR_IMPORT_NEW_ID | VR_IMPORT_DISCARD_SAVED_STATE);
  g_autoptr (GPtrArray) findings = validate_planned (system);
  VrFinding *f = vt_assert_finding (findings, VR_FINDING_TPM_NOT_CARRIED,
                                    "/domain/devices/tpm");

  g_assert_cmpint (f->severity, ==, VR_SEVERITY_WARNING);
  g_assert_nonnull (strstr (f->message, "new identity"));
  vt_assert_errors_only (findings, NULL);
}

/* An export without nvram/ and tpm/: both said, neither blocks. */
static void
test_not_carried (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *copy = vr_testbed_copy_import_dir (t.uefi, &error);
  g_autofree char *nvram = NULL;
  g_autofree char *tpm = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GPtrArray) findings = NULL;

  g_assert_no_error (error);
  nvram = g_build_filename (copy, "nvram", NULL);
  tpm = g_build_filename (copy, "tpm", NULL);
  test_rmtree (nvram);
  test_rmtree (tpm);
  system = test_plan_import (copy, VR_IMPORT_NONE);
  findings = validate_planned (system);
  g_assert_cmpint (
      vt_assert_finding (findings, VR_FINDING_NVRAM, "/domain/os")->severity,
      ==, VR_SEVERITY_WARNING);
  vt_assert_finding (findings, VR_FINDING_TPM_NOT_CARRIED,
                     "/domain/devices/tpm");
  vt_assert_errors_only (findings, NULL);
  test_rmtree (copy);
}

/* No tpm/ carried, and a state at SWTPM_DIR/UUID (a gone domain's of
 * the same UUID, kept by libvirt): the guest would start with it, so it
 * is VR1905, an error, and no "it gets a new TPM" (sixth review, F1). */
static void
test_tpm_leftover (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *copy = vr_testbed_copy_import_dir (t.uefi, &error);
  g_autofree char *tpm = NULL;
  g_autofree char *own
      = g_build_filename (t.root, "lib", "swtpm", UEFI_UUID, NULL);
  g_autofree char *leftover = g_build_filename (own, "tpm2", NULL);
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GPtrArray) findings = NULL;
  VrFinding *f;

  g_assert_no_error (error);
  tpm = g_build_filename (copy, "tpm", NULL);
  test_rmtree (tpm);
  g_assert_cmpint (g_mkdir_with_parents (leftover, 0700), ==, 0);
  system = test_plan_import (copy, VR_IMPORT_NONE);
  findings = validate_planned (system);
  f = vt_assert_finding (findings, VR_FINDING_TPM_TAKEN,
                         "/domain/devices/tpm");
  g_assert_cmpint (f->severity, ==, VR_SEVERITY_ERROR);
  g_assert_nonnull (strstr (f->message, "no TPM state is carried"));
  g_assert_nonnull (strstr (f->hint, "new-id option"));
  g_assert_null (vr_findings_find (findings, VR_FINDING_TPM_NOT_CARRIED));
  g_clear_pointer (&findings, g_ptr_array_unref);
  g_clear_object (&system);
  /* A new identity is another UUID: that state is not its. */
  system = test_plan_import (copy, VR_IMPORT_NEW_ID
                                       | VR_IMPORT_DISCARD_SAVED_STATE);
  findings = validate_planned (system);
  g_assert_null (vr_findings_find (findings, VR_FINDING_TPM_TAKEN));
  test_rmtree (own);
  test_rmtree (copy);
}

static xmlDoc *
uefi_doc (void)
{
  g_autofree char *path = g_build_filename (t.uefi, "domain.xml", NULL);

  return vt_parse_file (path);
}

static GPtrArray *
validate_file (xmlDoc *doc)
{
  g_autofree char *work = test_mkdtemp ();
  GPtrArray *findings = vt_validate_doc (t.caps, t.store, doc, work);

  test_rmtree (work);
  return findings;
}

/* Secure Boot firmware is built for q35 only: on i440fx nothing here
 * matches, and libvirt would fail at start. */
static void
test_auto_selection (void)
{
  g_autoptr (xmlDoc) doc = uefi_doc ();
  g_autoptr (GPtrArray) findings = NULL;
  VrFinding *f;

  vt_set (doc, "/domain/os/type/@machine=pc");
  vt_set (doc, "/domain/os/firmware/feature[@name='secure-boot']/@enabled=yes");
  vt_remove (doc, "/domain/devices/tpm");
  vt_remove (doc, "/domain/devices/controller");
  findings = validate_file (doc);
  f = vt_assert_finding (findings, VR_FINDING_LOADER, "/domain/os/@firmware");
  g_assert_nonnull (strstr (f->message, "secure-boot"));
  g_assert_nonnull (strstr (f->hint, "q35"));
}

static void
test_tpm_secret (void)
{
  g_autoptr (xmlDoc) doc = uefi_doc ();
  g_autoptr (GPtrArray) findings = NULL;
  VrFinding *f;

  vt_add (doc, "/domain/devices/tpm/backend",
          "<encryption secret='5a1ad0c0-7e57-4b3d-9c1e-0000000000e5'/>");
  findings = validate_file (doc);
  f = vt_assert_only (findings, VR_FINDING_TPM_SECRET,
                      "/domain/devices/tpm/backend/encryption/@secret");
  g_assert_nonnull (
      strstr (f->message, "5a1ad0c0-7e57-4b3d-9c1e-0000000000e5"));
}

static gboolean
has_finding (GPtrArray *findings, const char *id)
{
  for (guint i = 0; i < findings->len; i++)
    if (g_str_equal (((VrFinding *) findings->pdata[i])->id, id))
      return TRUE;
  return FALSE;
}

/* Through the agent, a caller without the host-access right learns
 * nothing of the host's secrets from a TPM's <encryption secret=UUID>:
 * VR1811 (naming a secret) and no VR1903, whatever secrets exist (this
 * embedded connection has no secret driver, so before the fix every
 * UUID read as missing to them); the same XML in-process (root's own run)
 * or with the right still gets VR1903. */
static void
test_tpm_secret_no_oracle (void)
{
  g_autoptr (xmlDoc) doc = uefi_doc ();
  g_autofree char *out = test_mkdtemp ();
  g_autofree char *path = NULL;
  VrValidateOptions nobody = { .caller_known = TRUE, .caller_uid = 65534 };
  VrValidateOptions admin = { .caller_known = TRUE, .caller_uid = 65534,
                              .host_access_allowed = TRUE };
  g_autoptr (GPtrArray) as_nobody = NULL;
  g_autoptr (GPtrArray) as_admin = NULL;
  g_autoptr (GError) error = NULL;

  vt_add (doc, "/domain/devices/tpm/backend",
          "<encryption secret='5a1ad0c0-7e57-4b3d-9c1e-0000000000e5'/>");
  path = vt_write (doc, out, "domain.xml");
  as_nobody = vr_validate_file_with (t.caps, t.store, path, &nobody, &error);
  g_assert_no_error (error);
  vt_log (as_nobody);
  vt_assert_finding (as_nobody, VR_FINDING_HOST_DATA, NULL);
  g_assert_false (has_finding (as_nobody, VR_FINDING_TPM_SECRET));
  as_admin = vr_validate_file_with (t.caps, t.store, path, &admin, &error);
  g_assert_no_error (error);
  g_assert_true (has_finding (as_admin, VR_FINDING_TPM_SECRET));
  test_rmtree (out);
}

/* The disk guest's export with its snapshots, the disk left behind. */
static void
test_snapshot_disks (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *bed = vr_testbed_import_dir ("disk", &error);
  g_autofree char *copy = NULL;
  g_autofree char *snapshots = NULL;
  g_autofree char *xml_path = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GPtrArray) findings = NULL;

  g_assert_no_error (error);
  copy = vr_testbed_copy_import_dir (bed, &error);
  g_assert_no_error (error);
  snapshots = g_build_filename (copy, "snapshots", NULL);
  g_assert_cmpint (mkdir (snapshots, 0755), ==, 0);
  test_write_file (snapshots, "001.xml",
                   "<domainsnapshot><name>s1</name></domainsnapshot>", -1);
  test_write_file (snapshots, "index.xml",
                   "<snapshots><snapshot file='001.xml' name='s1'/>"
                   "</snapshots>",
                   -1);
  xml_path = g_build_filename (copy, "domain.xml", NULL);
  doc = vt_parse_file (xml_path);
  vt_set (doc, "/domain/devices/disk/source/@file=/srv/elsewhere/d.qcow2");
  g_free (vt_write (doc, copy, "domain.xml"));
  system = test_plan_import (copy, VR_IMPORT_NONE);
  findings = validate_planned (system);
  g_assert_cmpint (vt_assert_finding (findings, VR_FINDING_SNAPSHOT_DISKS,
                                      "/domain/devices/disk/source/@file")
                       ->severity,
                   ==, VR_SEVERITY_WARNING);
  test_rmtree (copy);
}

/* The UEFI guest with its loader, NVRAM template, NVRAM and emulator in
 * folder dir under the names given, validated as uid 65534 (the agent's
 * caller) or in-process: "ID@source" of each finding. */
static char *
firmware_findings (const char *dir, const char *code, const char *vars,
                   const char *nvram, const char *emulator, gboolean nobody)
{
  g_autofree char *domain_xml = g_build_filename (t.uefi, "domain.xml", NULL);
  g_autoptr (xmlDoc) doc = vt_parse_file (domain_xml);
  g_autofree char *out = test_mkdtemp ();
  g_autofree char *path = NULL;
  g_autofree char *code_path = g_build_filename (dir, code, NULL);
  g_autofree char *vars_path = g_build_filename (dir, vars, NULL);
  g_autofree char *nvram_path = g_build_filename (dir, nvram, NULL);
  g_autofree char *emulator_path = g_build_filename (dir, emulator, NULL);
  VrValidateOptions options = { .caller_known = nobody,
                                .caller_uid = 65534 };
  g_autoptr (GPtrArray) findings = NULL;
  g_autoptr (GError) error = NULL;
  GString *ids = g_string_new (NULL);
  xmlNode *os;
  xmlNode *node;

  vt_remove (doc, "/domain/os/@firmware");
  vt_remove (doc, "/domain/os/firmware");
  os = vr_xml_xpath_node (doc, "/domain/os");
  node = xmlNewTextChild (os, NULL, BAD_CAST "loader", BAD_CAST code_path);
  xmlSetProp (node, BAD_CAST "readonly", BAD_CAST "yes");
  xmlSetProp (node, BAD_CAST "type", BAD_CAST "pflash");
  node = xmlNewTextChild (os, NULL, BAD_CAST "nvram", BAD_CAST nvram_path);
  xmlSetProp (node, BAD_CAST "template", BAD_CAST vars_path);
  xmlNodeSetContent (vr_xml_xpath_node (doc, "/domain/devices/emulator"),
                     BAD_CAST emulator_path);
  path = vt_write (doc, out, "domain.xml");
  findings = vr_validate_file_with (t.caps, t.store, path, &options, &error);
  g_assert_no_error (error);
  vt_log (findings);
  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *finding = findings->pdata[i];

      g_string_append_printf (ids, "%s@%s ", finding->id,
                              finding->source ? finding->source : "");
    }
  test_rmtree (out);
  return g_string_free (ids, FALSE);
}

/* Through the agent (root) a caller learns nothing of a folder closed to
 * them from validation: a loader, NVRAM template, NVRAM and emulator
 * there give the same findings whether the files exist or not (root's
 * own in-process validation tells them apart: "not present on this
 * host"). */
static void
test_no_oracle (void)
{
  g_autofree char *top = test_mkdtemp ();
  g_autofree char *closed = g_build_filename (top, "closed", NULL);
  g_autofree char *emulator = g_build_filename (closed, "qemu", NULL);
  g_autofree char *there = NULL;
  g_autofree char *absent = NULL;
  g_autofree char *root_there = NULL;
  g_autofree char *root_absent = NULL;

  g_assert_cmpint (chmod (top, 0755), ==, 0);
  g_assert_cmpint (mkdir (closed, 0700), ==, 0);
  test_write_file (closed, "CODE.fd", "code", -1);
  test_write_file (closed, "VARS.fd", "vars", -1);
  test_write_file (closed, "guest_VARS.fd", "nvram", -1);
  test_write_file (closed, "qemu", "#!/bin/true\n", -1);
  g_assert_cmpint (chmod (emulator, 0755), ==, 0);
  there = firmware_findings (closed, "CODE.fd", "VARS.fd", "guest_VARS.fd",
                             "qemu", TRUE);
  absent = firmware_findings (closed, "NO_CODE.fd", "NO_VARS.fd",
                              "no_VARS.fd", "no-qemu", TRUE);
  g_test_message ("as nobody, there: %s; absent: %s", there, absent);
  g_assert_cmpstr (there, ==, absent);
  root_there = firmware_findings (closed, "CODE.fd", "VARS.fd",
                                  "guest_VARS.fd", "qemu", FALSE);
  root_absent = firmware_findings (closed, "NO_CODE.fd", "NO_VARS.fd",
                                   "no_VARS.fd", "no-qemu", FALSE);
  g_test_message ("in-process, there: %s; absent: %s", root_there,
                  root_absent);
  g_assert_cmpstr (root_there, !=, root_absent);
  test_rmtree (top);
}

int
main (int argc, char **argv)
{
  g_autofree char *uri = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  t.root = vr_testbed_new_root ("validate-firmware");
  uri = vr_testbed_root_uri (t.root);
  t.uefi = vr_testbed_import_dir ("uefi", &error);
  g_assert_no_error (error);
  t.conn = vr_libvirt_open (uri, &error);
  g_assert_no_error (error);
  t.caps = vr_host_caps_new (t.conn);
  t.state = test_mkdtemp ();
  t.store = vr_store_new (t.state);
  g_test_add_func ("/validate-firmware/uefi-fits", test_uefi_fits);
  g_test_add_func ("/validate-firmware/places-taken", test_places_taken);
  g_test_add_func ("/validate-firmware/new-id", test_new_id);
  g_test_add_func ("/validate-firmware/not-carried", test_not_carried);
  g_test_add_func ("/validate-firmware/tpm-leftover", test_tpm_leftover);
  g_test_add_func ("/validate-firmware/auto-selection", test_auto_selection);
  g_test_add_func ("/validate-firmware/tpm-secret", test_tpm_secret);
  g_test_add_func ("/validate-firmware/tpm-secret-no-oracle",
                   test_tpm_secret_no_oracle);
  g_test_add_func ("/validate-firmware/snapshot-disks", test_snapshot_disks);
  if (getuid () == 0)
    g_test_add_func ("/validate-firmware/no-oracle", test_no_oracle);
  else
    g_test_add_data_func ("/validate-firmware/no-oracle",
                          "needs root to make a folder closed to nobody",
                          (GTestDataFunc) g_test_skip);
  status = g_test_run ();
  g_object_unref (t.store);
  g_object_unref (t.caps);
  virConnectClose (t.conn);
  test_rmtree (t.state);
  test_rmtree (t.root);
  g_free (t.state);
  g_free (t.root);
  g_free (t.uefi);
  return status;
}
