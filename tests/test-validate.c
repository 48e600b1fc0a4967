/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Validation on a real embedded QEMU: one crafted XML per check, each
 * giving exactly the expected finding at the expected XPath, and the test
 * bed's own guests giving no error at all. One root and one connection
 * serve every case (a process may open only one embedded root). */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "import.h"
#include "libvirt-util.h"
#include "save-image.h"
#include "test-util.h"
#include "testbed.h"
#include "validate-helpers.h"
#include "validate.h"

#define BASIC_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000001"

static struct {
  virConnectPtr conn;
  VrHostCaps *caps;
  char *state;
  VrStore *store;
  char *work;
  char *basic;
} t;

/* The test bed's basic guest's domain.xml, to be varied. */
static xmlDoc *
basic_doc (void)
{
  g_autofree char *path = g_build_filename (t.basic, "domain.xml", NULL);

  return vt_parse_file (path);
}

static GPtrArray *
validate_doc (xmlDoc *doc)
{
  return vt_validate_doc (t.caps, t.store, doc, t.work);
}

/* The basic guest with one change, validated: exactly the finding id at
 * source, and no other error. */
static VrFinding *
expect_after_set (const char *assignment, const char *id, const char *source,
                  GPtrArray **out)
{
  g_autoptr (xmlDoc) doc = basic_doc ();

  vt_set (doc, assignment);
  *out = validate_doc (doc);
  return vt_assert_only (*out, id, source);
}

static GPtrArray *
validate_dir (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrImportDir) dir = vr_import_dir_open (path, &error);
  GPtrArray *findings;

  g_assert_no_error (error);
  findings = vr_validate_import_dir (t.caps, t.store, dir, &error);
  g_assert_no_error (error);
  vt_log (findings);
  return findings;
}

static void
test_testbed_guests (void)
{
  const char *variants[] = { "basic", "disk", "second" };

  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autofree char *dir = vr_testbed_require (variants[i]);
      g_autoptr (GPtrArray) findings = validate_dir (dir);

      /* The disk guest's disk is in its import directory. */
      vt_assert_errors_only (findings, g_str_equal (variants[i], "disk")
                                           ? VR_FINDING_DISK_IN_IMPORT
                                           : NULL);
      g_assert_null (vr_findings_find (findings, VR_FINDING_SKIPPED));
      g_assert_null (vr_findings_find (findings, VR_FINDING_NO_SAVE));
    }
}

static void
test_machine_newer (void)
{
  g_autoptr (GPtrArray) findings = NULL;
  VrFinding *f = expect_after_set ("/domain/os/type/@machine=pc-q35-99.0",
                                   VR_FINDING_MACHINE,
                                   "/domain/os/type/@machine", &findings);

  g_assert_nonnull (strstr (f->message, "'pc-q35-99.0'"));
  g_assert_nonnull (strstr (f->hint, "pc-q35-7.2"));
  g_assert_cmpint (f->line, >, 0);
}

static void
test_machine_alias (void)
{
  g_autoptr (xmlDoc) doc = basic_doc ();
  g_autoptr (GPtrArray) findings = NULL;

  vt_set (doc, "/domain/os/type/@machine=pc");
  findings = validate_doc (doc);
  vt_assert_errors_only (findings, NULL);
}

static void
test_arch_without_emulator (void)
{
  g_autoptr (GPtrArray) findings = NULL;
  VrFinding *f = expect_after_set ("/domain/os/type/@arch=aarch64",
                                   VR_FINDING_ARCH, "/domain/os/type/@arch",
                                   &findings);

  g_assert_nonnull (strstr (f->message, "x86_64"));
}

static void
test_domain_type (void)
{
  g_autoptr (GPtrArray) findings = NULL;
  VrFinding *f;

  if (g_file_test ("/dev/kvm", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("this host has KVM");
      return;
    }
  f = expect_after_set ("/domain/@type=kvm", VR_FINDING_DOMAIN_TYPE,
                        "/domain/@type", &findings);
  g_assert_nonnull (strstr (f->hint, "/domain/@type"));
}

static void
test_emulator_missing (void)
{
  g_autoptr (GPtrArray) findings = NULL;
  VrFinding *f = expect_after_set (
      "/domain/devices/emulator=/usr/bin/qemu-system-none",
      VR_FINDING_EMULATOR, "/domain/devices/emulator", &findings);

  g_assert_nonnull (strstr (f->hint, "/usr/bin/qemu-system-x86_64"));
}

/* An emulator the host's capabilities do not list is never run by
 * validate (libvirt probes an emulator by starting it). */
static void
test_emulator_not_run (void)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *script = g_build_filename (dir, "emulator", NULL);
  g_autofree char *marker = g_build_filename (dir, "ran", NULL);
  g_autofree char *body = g_strdup_printf ("#!/bin/sh\ntouch %s\n", marker);
  g_autofree char *assignment = g_strdup_printf (
      "/domain/devices/emulator=%s", script);
  g_autoptr (xmlDoc) doc = basic_doc ();
  g_autoptr (GPtrArray) findings = NULL;

  g_assert_cmpint (chmod (dir, 0755), ==, 0);
  test_write_file (dir, "emulator", body, -1);
  g_assert_cmpint (chmod (script, 0755), ==, 0);
  vt_set (doc, assignment);
  findings = validate_doc (doc);
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  g_assert_nonnull (vr_findings_find (findings, VR_FINDING_HOST_EMULATOR));
  test_rmtree (dir);
}

static void
test_vcpus (void)
{
  g_autoptr (GPtrArray) too_many = NULL;
  g_autoptr (GPtrArray) over_host = NULL;
  g_autofree char *set = g_strdup_printf ("/domain/vcpu=%u",
                                          g_get_num_processors () + 1);

  expect_after_set ("/domain/vcpu=1000", VR_FINDING_VCPU_MAX, "/domain/vcpu",
                    &too_many);
  g_assert_null (vr_findings_find (too_many, VR_FINDING_VCPU_HOST));
  expect_after_set (set, VR_FINDING_VCPU_HOST, "/domain/vcpu", &over_host);
}

static void
test_memory (void)
{
  g_autoptr (xmlDoc) doc = basic_doc ();
  g_autoptr (GPtrArray) findings = NULL;

  vt_set (doc, "/domain/memory=1");
  vt_set (doc, "/domain/memory/@unit=TiB");
  vt_set (doc, "/domain/currentMemory=1");
  vt_set (doc, "/domain/currentMemory/@unit=TiB");
  findings = validate_doc (doc);
  vt_assert_only (findings, VR_FINDING_MEMORY_HOST, "/domain/memory");
}

/* A guest whose NUMA cells ask more than <memory> takes the cells
 * (libvirt sums them over <memory>): judged on them, as the per-user
 * limits count it, with a fix that is not "lower <memory>". */
static void
test_memory_numa (void)
{
  g_autoptr (xmlDoc) doc = basic_doc ();
  g_autoptr (GPtrArray) findings = NULL;
  xmlNode *cpu = vr_xml_xpath_node (doc, "/domain/cpu");
  xmlNode *numa;
  xmlNode *cell;
  VrFinding *f;

  vt_set (doc, "/domain/vcpu=1");
  if (cpu == NULL)
    cpu = xmlNewChild (xmlDocGetRootElement (doc), NULL,
                       (const xmlChar *) "cpu", NULL);
  numa = xmlNewChild (cpu, NULL, (const xmlChar *) "numa", NULL);
  cell = xmlNewChild (numa, NULL, (const xmlChar *) "cell", NULL);
  xmlNewProp (cell, (const xmlChar *) "id", (const xmlChar *) "0");
  xmlNewProp (cell, (const xmlChar *) "cpus", (const xmlChar *) "0");
  xmlNewProp (cell, (const xmlChar *) "memory", (const xmlChar *) "1");
  xmlNewProp (cell, (const xmlChar *) "unit", (const xmlChar *) "TiB");
  findings = validate_doc (doc);
  f = vr_findings_find (findings, VR_FINDING_MEMORY_HOST);
  g_assert_nonnull (f);
  g_test_message ("%s: %s", f->message, f->hint);
  g_assert_nonnull (strstr (f->message, "TiB"));
  g_assert_nonnull (strstr (f->hint, "numa/cell"));
}

static void
test_cpu_mode (void)
{
  g_autoptr (xmlDoc) doc = basic_doc ();
  g_autoptr (GPtrArray) findings = NULL;
  VrFinding *f;

  vt_set (doc, "/domain/cpu/@mode=host-passthrough");
  vt_remove (doc, "/domain/cpu/model | /domain/cpu/@match");
  findings = validate_doc (doc);
  f = vt_assert_only (findings, VR_FINDING_CPU_MODE, "/domain/cpu/@mode");
  g_assert_nonnull (strstr (f->message, "TCG"));
}

/* A model QEMU cannot give in full here: with check='none' (the test
 * bed's guest, libvirt's default CPU) QEMU starts it without what the host
 * lacks, a warning naming it; with check='partial' libvirt refuses. */
static void
test_cpu_model (void)
{
  g_autoptr (GPtrArray) dropped = NULL;
  g_autoptr (GPtrArray) refused = NULL;
  g_autoptr (GPtrArray) unknown = NULL;
  g_autoptr (xmlDoc) doc = basic_doc ();
  g_autoptr (xmlDoc) partial = basic_doc ();
  g_autoptr (GPtrArray) feature = NULL;
  g_autoptr (GPtrArray) feature_partial = NULL;
  VrFinding *f;

  vt_set (doc, "/domain/cpu/model=Skylake-Server");
  dropped = validate_doc (doc);
  vt_assert_errors_only (dropped, NULL);
  f = vt_assert_finding (dropped, VR_FINDING_CPU_DROPPED,
                         "/domain/cpu/model");
  g_assert_cmpint (f->severity, ==, VR_SEVERITY_WARNING);
  g_assert_nonnull (strstr (f->message, "Skylake-Server"));
  vt_set (doc, "/domain/cpu/@check=partial");
  refused = validate_doc (doc);
  f = vt_assert_only (refused, VR_FINDING_CPU_MODEL, "/domain/cpu/model");
  g_assert_nonnull (strstr (f->message, "check='partial'"));
  expect_after_set ("/domain/cpu/model=Frobnicator", VR_FINDING_CPU_MODEL,
                    "/domain/cpu/model", &unknown);
  /* A usable model with a feature this host lacks: libvirt's comparison
   * names it. */
  vt_add (partial, "/domain/cpu", "<feature policy='require' name='avx512f'/>");
  feature = validate_doc (partial);
  vt_set (partial, "/domain/cpu/@check=partial");
  feature_partial = validate_doc (partial);
  if (vr_findings_find (feature_partial, VR_FINDING_CPU_MODEL) == NULL)
    {
      g_test_skip ("this host's emulated CPU has avx512f");
      return;
    }
  vt_assert_errors_only (feature, NULL);
  f = vt_assert_finding (feature, VR_FINDING_CPU_DROPPED, "/domain/cpu/model");
  g_assert_nonnull (strstr (f->message, "avx512f"));
  vt_assert_only (feature_partial, VR_FINDING_CPU_MODEL, "/domain/cpu/model");
}

/* libvirt's default CPU under KVM (qemu64, check='none'), which libvirt
 * marks usable='no' on many hosts (this one: pni, svm) and runs anyway. */
static void
test_cpu_default_kvm (void)
{
  g_autoptr (xmlDoc) doc = basic_doc ();
  g_autoptr (GPtrArray) findings = NULL;

  vt_set (doc, "/domain/@type=kvm");
  findings = validate_doc (doc);
  if (vr_findings_find (findings, VR_FINDING_DOMAIN_TYPE) != NULL)
    {
      g_test_skip ("this host offers no KVM guests (no usable /dev/kvm)");
      return;
    }
  vt_assert_errors_only (findings, NULL);
  if (vr_findings_find (findings, VR_FINDING_CPU_DROPPED) == NULL)
    g_test_message ("qemu64 runs in full under KVM here: no warning");
}

static void
test_disk_source (void)
{
  g_autoptr (xmlDoc) doc = basic_doc ();
  g_autoptr (GPtrArray) findings = NULL;

  vt_add (doc, "/domain/devices",
          "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
          "<source file='/nonexistent/disk.img'/>"
          "<target dev='vda' bus='virtio'/></disk>");
  findings = validate_doc (doc);
  vt_assert_only (findings, VR_FINDING_DISK_SOURCE,
                  "/domain/devices/disk/source/@file");
}

static void
test_disk_relative (void)
{
  g_autofree char *src = vr_testbed_require ("disk");
  g_autoptr (GError) error = NULL;
  g_autofree char *copy = vr_testbed_copy_import_dir (src, &error);
  g_autofree char *disk = NULL;
  g_autoptr (GPtrArray) findings = NULL;

  g_assert_no_error (error);
  disk = g_build_filename (copy, "disks", "disk0.qcow2", NULL);
  g_assert_cmpint (g_unlink (disk), ==, 0);
  /* A link out of the directory is refused like a missing file. */
  g_assert_cmpint (symlink ("/etc/passwd", disk), ==, 0);
  findings = validate_dir (copy);
  vt_assert_only (findings, VR_FINDING_DISK_SOURCE,
                  "/domain/devices/disk/source/@file");
  vr_testbed_rmtree (copy);
}

static GPtrArray *
validate_with_device (const char *fragment)
{
  g_autoptr (xmlDoc) doc = basic_doc ();

  vt_add (doc, "/domain/devices", fragment);
  return validate_doc (doc);
}

static void
test_device_models (void)
{
  g_autoptr (GPtrArray) bus = validate_with_device (
      "<disk type='file' device='cdrom'><target dev='xvda' bus='xen'/>"
      "<readonly/></disk>");
  g_autoptr (GPtrArray) video = validate_with_device (
      "<video><model type='vbox'/></video>");
  g_autoptr (GPtrArray) graphics = validate_with_device (
      "<graphics type='rdp'/>");

  vt_assert_only (bus, VR_FINDING_DISK_BUS,
                  "/domain/devices/disk/target/@bus");
  vt_assert_only (video, VR_FINDING_VIDEO,
                  "/domain/devices/video/model/@type");
  vt_assert_only (graphics, VR_FINDING_GRAPHICS,
                  "/domain/devices/graphics/@type");
}

static void
test_hostdev (void)
{
  g_autoptr (GPtrArray) findings = validate_with_device (
      "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
      "<address domain='0x0000' bus='0x7f' slot='0x1f' function='0x7'/>"
      "</source></hostdev>");
  VrFinding *f = vt_assert_only (findings, VR_FINDING_HOSTDEV,
                                 "/domain/devices/hostdev");

  g_assert_nonnull (strstr (f->message, "0000:7f:1f.7"));
}

static void
test_firmware (void)
{
  g_autoptr (xmlDoc) doc = basic_doc ();
  g_autoptr (GPtrArray) findings = NULL;

  vt_add (doc, "/domain/os",
          "<loader readonly='yes' type='pflash'>/nonexistent/OVMF_CODE.fd"
          "</loader>");
  vt_add (doc, "/domain/os",
          "<nvram template='/nonexistent/OVMF_VARS.fd'>"
          "/nonexistent/vr-guest_VARS.fd</nvram>");
  findings = validate_doc (doc);
  vt_assert_finding (findings, VR_FINDING_LOADER, "/domain/os/loader");
  vt_assert_finding (findings, VR_FINDING_NVRAM_TEMPLATE,
                     "/domain/os/nvram/@template");
  g_assert_cmpint (vt_assert_finding (findings, VR_FINDING_NVRAM,
                                      "/domain/os/nvram")->severity,
                   ==, VR_SEVERITY_WARNING);
  g_assert_cmpuint (vr_findings_count (findings, VR_SEVERITY_ERROR), ==, 2);
}

static void
test_networks (void)
{
  g_autoptr (GPtrArray) network = validate_with_device (
      "<interface type='network'><source network='default'/></interface>");
  g_autoptr (GPtrArray) bridge = validate_with_device (
      "<interface type='bridge'><source bridge='vrnobr0'/></interface>");
  g_autoptr (GPtrArray) pool = validate_with_device (
      "<disk type='volume' device='disk'>"
      "<source pool='nopool' volume='v.qcow2'/>"
      "<target dev='vda' bus='virtio'/></disk>");
  VrFinding *f;

  /* The embedded driver has no network or storage driver: a warning. */
  f = vt_assert_only (network, VR_FINDING_NOT_CHECKABLE,
                      "/domain/devices/interface");
  g_assert_cmpint (f->severity, ==, VR_SEVERITY_WARNING);
  g_assert_nonnull (strstr (f->message, "not checkable"));
  vt_assert_only (bridge, VR_FINDING_HOST_INTERFACE,
                  "/domain/devices/interface");
  vt_assert_only (pool, VR_FINDING_NOT_CHECKABLE, "/domain/devices/disk");
}

static virDomainPtr
define (const char *name, const char *uuid)
{
  g_autofree char *xml = test_domain_xml (name, uuid);
  virDomainPtr dom = virDomainDefineXML (t.conn, xml);

  g_assert_nonnull (dom);
  return dom;
}

static void
undefine (virDomainPtr dom)
{
  g_assert_cmpint (virDomainUndefine (dom), ==, 0);
  virDomainFree (dom);
}

static void
test_defined_domain (void)
{
  virDomainPtr same_name = define ("vr-guest", "5a1ad0c0-7e57-4b3d-9c1e-0000000000f1");
  g_autoptr (GPtrArray) by_name = NULL;
  g_autoptr (xmlDoc) doc = basic_doc ();
  virDomainPtr same_uuid = NULL;
  g_autoptr (GPtrArray) by_uuid = NULL;

  by_name = validate_doc (doc);
  vt_assert_only (by_name, VR_FINDING_DOMAIN_NAME, "/domain/name");
  undefine (same_name);
  same_uuid = define ("vr-elsewhere", BASIC_UUID);
  by_uuid = validate_doc (doc);
  vt_assert_only (by_uuid, VR_FINDING_DOMAIN_UUID, "/domain/uuid");
  g_assert_null (vr_findings_find (by_uuid, VR_FINDING_DOMAIN_NAME));
  undefine (same_uuid);
}

/* A domain with one user-mode interface whose MAC is 52:54:00:ab:cd:ef. */
static virDomainPtr
define_with_mac (const char *name, const char *uuid)
{
  g_autofree char *plain = test_domain_xml (name, uuid);
  g_autoptr (xmlDoc) doc = vt_parse (plain);
  g_autofree char *xml = NULL;
  virDomainPtr dom;

  vt_add (doc, "/domain", "<devices><interface type='user'>"
          "<mac address='52:54:00:ab:cd:ef'/></interface></devices>");
  xml = vr_xml_to_string (doc);
  dom = virDomainDefineXML (t.conn, xml);
  g_assert_nonnull (dom);
  return dom;
}

/* The basic guest with a user-mode interface of that MAC, validated. */
static GPtrArray *
validate_with_mac (const char *mac_element)
{
  g_autoptr (xmlDoc) doc = basic_doc ();

  vt_add (doc, "/domain/devices", "<interface type='user'/>");
  vt_add (doc, "/domain/devices/interface[last()]", mac_element);
  return validate_doc (doc);
}

/* Another guest's MAC is refused whatever its case; another MAC, or this
 * guest's own domain (the same UUID), is none of it (eighth review, F2). */
static void
test_mac_taken (void)
{
  virDomainPtr other = define_with_mac ("vr-mac-owner",
                                        "5a1ad0c0-7e57-4b3d-9c1e-0000000000f2");
  g_autoptr (GPtrArray) same = validate_with_mac (
      "<mac address='52:54:00:AB:CD:EF'/>");
  g_autoptr (GPtrArray) different = validate_with_mac (
      "<mac address='52:54:00:ab:cd:e0'/>");
  g_autoptr (GPtrArray) itself = NULL;
  VrFinding *f;

  f = vt_assert_only (same, VR_FINDING_MAC_TAKEN,
                      "/domain/devices/interface/mac/@address");
  g_assert_cmpint (f->severity, ==, VR_SEVERITY_ERROR);
  g_assert_nonnull (strstr (f->message, "vr-mac-owner"));
  g_assert_nonnull (strstr (f->hint, "remove the <mac> element"));
  g_assert_null (vr_findings_find (different, VR_FINDING_MAC_TAKEN));
  g_assert_cmpuint (vr_findings_count (different, VR_SEVERITY_ERROR), ==, 0);
  undefine (other);

  other = define_with_mac ("vr-elsewhere", BASIC_UUID);
  itself = validate_with_mac ("<mac address='52:54:00:ab:cd:ef'/>");
  vt_assert_only (itself, VR_FINDING_DOMAIN_UUID, "/domain/uuid");
  g_assert_null (vr_findings_find (itself, VR_FINDING_MAC_TAKEN));
  undefine (other);
}

/* A planned system made from a private copy of the basic guest. */
static VrPlannedSystem *
plan_copy (char **copy)
{
  return vt_plan_copy (t.store, t.basic, copy);
}

static void
forget (VrPlannedSystem *system, char *copy)
{
  vt_forget (t.store, system, copy);
}

static GPtrArray *
validate_planned (VrPlannedSystem *system)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *findings = vr_validate_planned (t.caps, t.store, system,
                                             &error);

  g_assert_no_error (error);
  vt_log (findings);
  return findings;
}

static void
test_planned_conflicts (void)
{
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = plan_copy (&copy);
  g_autoptr (GPtrArray) mine = validate_planned (system);
  g_autoptr (GPtrArray) dir = validate_dir (t.basic);
  g_autoptr (xmlDoc) doc = basic_doc ();
  g_autoptr (GPtrArray) same_name = NULL;

  vt_assert_errors_only (mine, NULL);
  vt_assert_only (dir, VR_FINDING_PLANNED_UUID, "/domain/uuid");
  vt_set (doc, "/domain/uuid=5a1ad0c0-7e57-4b3d-9c1e-0000000000f2");
  same_name = validate_doc (doc);
  vt_assert_only (same_name, VR_FINDING_PLANNED_NAME, "/domain/name");
  forget (system, copy);
}

static void
replace_save_image (const char *copy, const char *from)
{
  g_autofree char *src = g_build_filename (from, NULL);
  g_autofree char *dst = g_build_filename (copy, "vr-guest.save", NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (src, &data, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (dst, data, len, &error);
  g_assert_no_error (error);
}

static void
test_save_other_guest (void)
{
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = plan_copy (&copy);
  g_autofree char *second = vr_testbed_require ("second");
  g_autofree char *image = g_build_filename (second, "vr-guest-2.save", NULL);
  g_autoptr (GPtrArray) findings = NULL;

  replace_save_image (copy, image);
  findings = validate_planned (system);
  vt_assert_only (findings, VR_FINDING_SAVE_UUID, "/domain/uuid");
  forget (system, copy);
}

static void
test_save_broken (void)
{
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = plan_copy (&copy);
  g_autofree char *image = g_build_filename (copy, "vr-guest.save", NULL);
  g_autoptr (GPtrArray) findings = NULL;

  g_assert_cmpint (truncate (image, 50), ==, 0);
  findings = validate_planned (system);
  vt_assert_only (findings, VR_FINDING_SAVE_IMAGE, image);
  forget (system, copy);
}

/* An import directory (no manifest) whose image was cut short before
 * anything read it, as `truncate -s 50%` or an interrupted copy leaves
 * it: the one finding says so, with the file, its size and the way
 * back; both as `validate DIR` and for the planned system. */
static void
test_save_cut_short (void)
{
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autofree char *image = NULL;
  g_autofree char *size = NULL;
  g_autoptr (GPtrArray) findings = NULL;
  g_autoptr (GPtrArray) planned = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *src = vr_testbed_require ("basic");
  g_autofree char *dir = vr_testbed_copy_import_dir (src, &error);
  struct stat st;
  VrFinding *cut;

  g_assert_no_error (error);
  image = g_build_filename (dir, "vr-guest.save", NULL);
  g_assert_cmpint (stat (image, &st), ==, 0);
  g_assert_cmpint (truncate (image, st.st_size / 2), ==, 0);
  size = g_strdup_printf ("(%" G_GINT64_FORMAT " bytes)",
                          (gint64) st.st_size / 2);
  findings = validate_dir (dir);
  cut = vt_assert_only (findings, VR_FINDING_SAVE_INCOMPLETE, image);
  g_assert_cmpint (cut->severity, ==, VR_SEVERITY_ERROR);
  g_assert_nonnull (strstr (cut->message, "vr-guest.save: the save image "
                                          "is incomplete"));
  g_assert_nonnull (strstr (cut->message, size));
  g_assert_nonnull (strstr (cut->message, "does not end"));
  g_assert_nonnull (strstr (cut->hint, "keep the source"));
  system = vt_plan_copy (t.store, dir, &copy);
  planned = validate_planned (system);
  vt_assert_only (planned, VR_FINDING_SAVE_INCOMPLETE, NULL);
  forget (system, copy);
  test_rmtree (dir);
}

/* The basic guest's image with another guest CPU in its cookie. */
static void
rewrite_cookie (const char *path, const char *cookie)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  guint32 data_len;
  guint32 offset;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  memcpy (&data_len, data + 20, 4);
  memcpy (&offset, data + 32, 4);
  g_assert_cmpuint (offset + strlen (cookie) + 1, <, data_len);
  memcpy (data + VR_SAVE_IMAGE_HEADER_SIZE + offset, cookie,
          strlen (cookie) + 1);
  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
}

static void
test_save_cpu (void)
{
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = plan_copy (&copy);
  g_autofree char *image = g_build_filename (copy, "vr-guest.save", NULL);
  g_autoptr (GPtrArray) findings = NULL;

  rewrite_cookie (image, "<cookie><cpu mode='custom' match='exact' "
                  "check='full'><model fallback='forbid'>qemu64</model>"
                  "<feature policy='require' name='avx512f'/>"
                  "<feature policy='require' name='avx512-fp16'/>"
                  "</cpu></cookie>");
  findings = validate_planned (system);
  vt_assert_only (findings, VR_FINDING_SAVE_CPU, image);
  forget (system, copy);
}

static VrPlannedSystem *
edit (VrPlannedSystem *system, const char *set, const char *remove)
{
  const char *sets[] = { set, NULL };
  const char *removes[] = { remove, NULL };
  g_autoptr (GError) error = NULL;
  VrPlannedSystem *edited = vr_edit_patch (
      t.store, vr_planned_system_get_uuid (system), set ? sets : NULL,
      remove ? removes : NULL, &error);

  g_assert_no_error (error);
  return edited;
}

static void
expect_abi (VrPlannedSystem *system, const char *set, const char *remove,
            const char *id, const char *source)
{
  g_autoptr (VrPlannedSystem) edited = edit (system, set, remove);
  g_autoptr (GPtrArray) findings = validate_planned (edited);
  g_autofree char *xml = vr_planned_system_dup_domain_xml (system);
  g_autoptr (GError) error = NULL;
  VrPlannedSystem *back = vr_edit_replace (
      t.store, vr_planned_system_get_uuid (system), xml, strlen (xml),
      &error);

  g_assert_no_error (error);
  g_object_unref (back);
  if (id == NULL)
    vt_assert_errors_only (findings, NULL);
  else
    vt_assert_only (findings, id, source);
}

/* A hypervisor feature the saved guest did not have (ACPI). */
static void
expect_features (VrPlannedSystem *system)
{
  g_autofree char *xml = vr_planned_system_dup_domain_xml (system);
  g_autoptr (xmlDoc) doc = vt_parse (xml);
  g_autofree char *changed = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) edited = NULL;
  g_autoptr (VrPlannedSystem) back = NULL;
  g_autoptr (GPtrArray) findings = NULL;

  vt_add (doc, "/domain", "<features><acpi/></features>");
  changed = vr_xml_to_string (doc);
  edited = vr_edit_replace (t.store, vr_planned_system_get_uuid (system),
                            changed, strlen (changed), &error);
  g_assert_no_error (error);
  findings = validate_planned (edited);
  back = vr_edit_replace (t.store, vr_planned_system_get_uuid (system), xml,
                          strlen (xml), &error);
  g_assert_no_error (error);
  vt_assert_only (findings, VR_FINDING_SAVE_FEATURES,
                  "/domain/features/acpi");
}

static void
test_save_abi (void)
{
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = plan_copy (&copy);

  expect_abi (system, "/domain/memory=131072", NULL,
              VR_FINDING_SAVE_MEMORY, "/domain/memory");
  expect_abi (system, "/domain/vcpu=2", NULL, VR_FINDING_SAVE_VCPUS,
              "/domain/vcpu");
  expect_abi (system, "/domain/os/type/@machine=pc-i440fx-7.1", NULL,
              VR_FINDING_SAVE_PLATFORM, "/domain/os/type/@machine");
  expect_abi (system, "/domain/devices/memballoon/@model=none", NULL,
              VR_FINDING_SAVE_DEVICES, "/domain/devices/memballoon");
  expect_abi (system, "/domain/name=vr-renamed", NULL, VR_FINDING_SAVE_NAME,
              "/domain/name");
  /* Where the guest finds a device, and which firmware it runs. */
  expect_abi (system, "/domain/devices/memballoon/address/@slot=0x05", NULL,
              VR_FINDING_SAVE_DEVICES, "/domain/devices/memballoon");
  expect_abi (system, "/domain/os/type/@machine=pc-i440fx-7.2", NULL, NULL,
              NULL);
  expect_abi (system, NULL, "/domain/cpu/model", VR_FINDING_SAVE_GUEST_CPU,
              "/domain/cpu");
  expect_abi (system, "/domain/os/@firmware=efi", NULL,
              VR_FINDING_SAVE_FIRMWARE, "/domain/os");
  expect_features (system);
  forget (system, copy);
}

static void
test_no_save (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *copy = vr_testbed_copy_import_dir (t.basic, &error);
  g_autofree char *image = NULL;
  g_autoptr (GPtrArray) findings = NULL;

  g_assert_no_error (error);
  image = g_build_filename (copy, "vr-guest.save", NULL);
  g_assert_cmpint (g_unlink (image), ==, 0);
  findings = validate_dir (copy);
  vt_assert_errors_only (findings, NULL);
  g_assert_cmpint (vt_assert_finding (findings, VR_FINDING_NO_SAVE,
                                      NULL)->severity, ==, VR_SEVERITY_INFO);
  vr_testbed_rmtree (copy);
}

static void
test_hint_names_edit (void)
{
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = plan_copy (&copy);
  g_autoptr (VrPlannedSystem) edited = edit (
      system, "/domain/os/type/@machine=pc-q35-99.0", NULL);
  g_autoptr (GPtrArray) findings = validate_planned (edited);
  VrFinding *f = vt_assert_finding (findings, VR_FINDING_MACHINE,
                                    "/domain/os/type/@machine");

  /* The saved state resumes only on its own machine type: that is the
   * fix, and every finding there says so. */
  g_assert_nonnull (f->fix);
  g_assert_cmpstr (f->fix->xpath, ==, "/domain/os/type/@machine");
  g_assert_cmpstr (f->fix->value, ==, "pc-i440fx-7.2");
  /* In words any front end can show: no command line of one of them. */
  g_assert_nonnull (strstr (f->hint, "set /domain/os/type/@machine to "
                                     "'pc-i440fx-7.2'"));
  g_assert_null (strstr (f->hint, "virt-realize"));
  g_assert_cmpstr (vt_assert_finding (findings, VR_FINDING_SAVE_PLATFORM,
                                      "/domain/os/type/@machine")->hint,
                   ==, f->hint);
  forget (system, copy);
}

typedef struct {
  VrPlannedSystem *system;
  guint runs;
} ThreadCase;

static gpointer
validate_thread (gpointer data)
{
  ThreadCase *c = data;

  for (guint i = 0; i < c->runs; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) findings = vr_validate_planned (
          t.caps, t.store, c->system, &error);

      g_assert_no_error (error);
      vt_assert_errors_only (findings, NULL);
    }
  return NULL;
}

/* The agent validates from worker threads with one cache per connection. */
static void
test_threads (void)
{
  char *copy = NULL;
  g_autoptr (VrPlannedSystem) system = plan_copy (&copy);
  g_autoptr (VrHostCaps) cold = vr_host_caps_new (t.conn);
  VrHostCaps *shared = t.caps;
  GThread *threads[4];
  ThreadCase c = { system, 10 };

  t.caps = cold;
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("validate", validate_thread, &c);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  t.caps = shared;
  forget (system, copy);
}

static void
set_up (void)
{
  g_autofree char *root = vr_testbed_new_root ("validate");
  g_autofree char *uri = vr_testbed_root_uri (root);
  g_autoptr (GError) error = NULL;

  t.basic = vr_testbed_import_dir ("basic", &error);
  g_assert_no_error (error);
  t.conn = vr_libvirt_open (uri, &error);
  g_assert_no_error (error);
  t.caps = vr_host_caps_new (t.conn);
  t.state = test_mkdtemp ();
  t.work = test_mkdtemp ();
  t.store = vr_store_new (t.state);
}

static void
tear_down (void)
{
  g_object_unref (t.store);
  g_object_unref (t.caps);
  virConnectClose (t.conn);
  test_rmtree (t.state);
  test_rmtree (t.work);
  g_free (t.state);
  g_free (t.work);
  g_free (t.basic);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  set_up ();
  g_test_add_func ("/validate/testbed-guests", test_testbed_guests);
  g_test_add_func ("/validate/machine/newer", test_machine_newer);
  g_test_add_func ("/validate/machine/alias", test_machine_alias);
  g_test_add_func ("/validate/arch", test_arch_without_emulator);
  g_test_add_func ("/validate/domain-type", test_domain_type);
  g_test_add_func ("/validate/emulator", test_emulator_missing);
  g_test_add_func ("/validate/emulator-not-run", test_emulator_not_run);
  g_test_add_func ("/validate/vcpus", test_vcpus);
  g_test_add_func ("/validate/memory", test_memory);
  g_test_add_func ("/validate/memory-numa", test_memory_numa);
  g_test_add_func ("/validate/cpu/mode", test_cpu_mode);
  g_test_add_func ("/validate/cpu/model", test_cpu_model);
  g_test_add_func ("/validate/cpu/default-kvm", test_cpu_default_kvm);
  g_test_add_func ("/validate/disk/missing", test_disk_source);
  g_test_add_func ("/validate/disk/relative", test_disk_relative);
  g_test_add_func ("/validate/devices", test_device_models);
  g_test_add_func ("/validate/hostdev", test_hostdev);
  g_test_add_func ("/validate/firmware", test_firmware);
  g_test_add_func ("/validate/networks", test_networks);
  g_test_add_func ("/validate/conflicts/domain", test_defined_domain);
  g_test_add_func ("/validate/conflicts/planned", test_planned_conflicts);
  g_test_add_func ("/validate/conflicts/mac", test_mac_taken);
  g_test_add_func ("/validate/save/other-guest", test_save_other_guest);
  g_test_add_func ("/validate/save/broken", test_save_broken);
  g_test_add_func ("/validate/save/cut-short", test_save_cut_short);
  g_test_add_func ("/validate/save/cpu", test_save_cpu);
  g_test_add_func ("/validate/save/abi", test_save_abi);
  g_test_add_func ("/validate/save/none", test_no_save);
  g_test_add_func ("/validate/hint", test_hint_names_edit);
  g_test_add_func ("/validate/threads", test_threads);
  status = g_test_run ();
  tear_down ();
  return status;
}
