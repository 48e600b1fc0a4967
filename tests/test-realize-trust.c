/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host-access policy wired into validate and realize, on real QEMU
 * (this program's own embedded root): the test bed's real guests give no
 * host-access finding (no false refusal), a construct is an error unless
 * allowed (then a warning), a realize with the default options refuses it
 * and makes nothing, and what libvirt resumes is the planned XML (an
 * edited VNC listener is the one QEMU listens on). */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "findings.h"
#include "hostile-xml.h"
#include "import.h"
#include "libvirt-util.h"
#include "realize.h"
#include "safe-xml.h"
#include "state-paths.h"
#include "test-hooks.h"
#include "test-util.h"
#include "testbed.h"
#include "validate.h"

#define BASIC_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000001"

static char *root;
static virConnectPtr conn;
static VrHostCaps *caps;

static const HostileEdit qemu_arg = {
  "/domain",
  "<qemu:commandline " HOSTILE_QEMU_NS "><qemu:env name='VR_TRUST' "
  "value='1'/></qemu:commandline>", NULL
};

typedef struct {
  char *state;
  VrStore *store;
  char *pool;
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->state = test_mkdtemp ();
  f->store = vr_store_new (f->state);
  f->pool = test_mkdtemp ();
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  test_remove_domain (conn, BASIC_UUID);
  g_object_unref (f->store);
  test_rmtree (f->state);
  test_rmtree (f->pool);
  if (f->dir != NULL)
    test_rmtree (f->dir);
  g_free (f->state);
  g_free (f->pool);
  g_free (f->dir);
}

static VrPlannedSystem *
import (Fixture *f, const char *dir)
{
  g_autoptr (GError) error = NULL;
  VrPlannedSystem *system = vr_import_path (f->store, dir, NULL, &error);

  g_assert_no_error (error);
  return system;
}

static guint
count_host_access (GPtrArray *findings, VrSeverity severity)
{
  guint n = 0;

  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *finding = findings->pdata[i];

      if (g_str_has_prefix (finding->id, "VR18")
          && finding->severity == severity)
        n++;
    }
  return n;
}

/* Real save images carry libvirt's own running-guest details (dynamic
 * labels, its state paths): none of it is a finding, strict or not. */
static void
test_testbed_clean (Fixture *f, gconstpointer data)
{
  const char *variants[] = { "basic", "disk", "second" };
  VrValidateOptions strict = { .pool_dir = f->pool };

  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autofree char *dir = vr_testbed_require (variants[i]);
      g_autoptr (VrPlannedSystem) system = import (f, dir);
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) findings = vr_validate_planned_with (
          caps, f->store, system, &strict, &error);
      g_autoptr (GPtrArray) only = vr_validate_host_access (caps, system,
                                                            &strict, &error);

      g_assert_no_error (error);
      for (guint j = 0; j < findings->len; j++)
        g_assert_false (g_str_has_prefix (
            ((VrFinding *) findings->pdata[j])->id, "VR18"));
      g_assert_cmpuint (only->len, ==, 0);
      g_assert_true (vr_store_remove (f->store, system, &error));
    }
}

/* One construct: an error with its XPath and hint when strict, a warning
 * when allowed; only in the image's XML it is named as the image's. */
static void
test_severity (Fixture *f, gconstpointer data)
{
  gboolean in_image = GPOINTER_TO_INT (data);
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GPtrArray) strict = NULL;
  g_autoptr (GPtrArray) allowed = NULL;
  g_autoptr (GError) error = NULL;
  VrValidateOptions options = { .pool_dir = f->pool };
  VrFinding *finding;

  f->dir = hostile_import_dir ("basic", &qemu_arg, in_image);
  system = import (f, f->dir);
  strict = vr_validate_planned_with (caps, f->store, system, &options,
                                     &error);
  g_assert_no_error (error);
  options.host_access_allowed = TRUE;
  allowed = vr_validate_planned_with (caps, f->store, system, &options,
                                      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_host_access (strict, VR_SEVERITY_ERROR), ==, 1);
  g_assert_cmpuint (count_host_access (allowed, VR_SEVERITY_ERROR), ==, 0);
  g_assert_cmpuint (count_host_access (allowed, VR_SEVERITY_WARNING), ==, 1);
  finding = vr_findings_find (strict, VR_FINDING_HOST_QEMU);
  g_assert_nonnull (finding);
  g_assert_cmpstr (finding->source, ==, "/domain/qemu:commandline");
  g_assert_nonnull (strstr (finding->hint, "realize-host-access"));
  g_assert_cmpint (g_str_has_prefix (finding->message,
                                     "the save image's XML: "),
                   ==, in_image);
}

/* The realize checks again (whatever the agent asked before): with the
 * default options it is refused with the finding, and nothing is made;
 * allowed, it realizes. */
static void
test_realize_refused (Fixture *f, gconstpointer data)
{
  gboolean in_image = GPOINTER_TO_INT (data);
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (virDomain) dom = NULL;
  VrRealizeOptions options = { .pool_dir = f->pool };

  f->dir = hostile_import_dir ("basic", &qemu_arg, in_image);
  system = import (f, f->dir);
  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_NOT_SUPPORTED, "VR1801", NULL);
  dom = virDomainLookupByUUIDString (conn, BASIC_UUID);
  g_assert_null (dom);
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  g_clear_error (&error);
  options.host_access_allowed = TRUE;
  g_assert_true (vr_realize (f->store, caps, conn, system, &options, NULL,
                             NULL, &error));
  g_assert_no_error (error);
}

/* Sixth review, F6: a block disk's relative <source dev> with a decoy of
 * that name in the import directory is no carried disk: libvirt would
 * take it relative to '/' and chown that host file for QEMU. Even for an
 * administrator (host-access allowed, --copy-disks) the realize is
 * refused (VR1501), nothing is defined or copied, and the host file
 * keeps its owner, mode and content. */
static void
test_relative_dev (Fixture *f, gconstpointer data)
{
  g_autofree char *target = g_strdup_printf ("/tmp/vr-f6-target-%d",
                                             (int) getpid ());
  const char *relative = target + 1;
  g_autofree char *fragment = g_strdup_printf (
      "<disk type='block' device='disk'><driver name='qemu' type='raw'/>"
      "<source dev='%s'/><target dev='vdz' bus='virtio'/></disk>",
      relative);
  HostileEdit edit = { "/domain/devices", fragment, NULL };
  g_autofree char *decoy_dir = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (virDomain) dom = NULL;
  VrRealizeOptions options = { .pool_dir = f->pool,
                               .host_access_allowed = TRUE,
                               .copy_disks = TRUE };
  struct stat before, after;
  g_autofree char *content = NULL;

  g_assert_true (g_file_set_contents (target, "the host's", -1, NULL));
  g_assert_cmpint (chmod (target, 0600), ==, 0);
  g_assert_cmpint (stat (target, &before), ==, 0);
  f->dir = hostile_import_dir ("basic", &edit, FALSE);
  decoy_dir = g_build_filename (f->dir, "tmp", NULL);
  g_assert_cmpint (g_mkdir_with_parents (decoy_dir, 0755), ==, 0);
  test_write_file (f->dir, relative, "decoy", -1);
  system = import (f, f->dir);
  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_NOT_SUPPORTED, "VR1501",
                     "only a file disk's <source file> is carried", NULL);
  dom = virDomainLookupByUUIDString (conn, BASIC_UUID);
  g_assert_null (dom);
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  g_assert_cmpint (stat (target, &after), ==, 0);
  g_assert_cmpuint (after.st_uid, ==, before.st_uid);
  g_assert_cmpuint (after.st_gid, ==, before.st_gid);
  g_assert_cmpuint (after.st_mode, ==, before.st_mode);
  g_assert_true (g_file_get_contents (target, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "the host's");
  g_assert_cmpint (unlink (target), ==, 0);
}

/* The guard before define: a relative host path validation lets through
 * as a warning (host access allowed: a sound file) is still refused,
 * since realize did not carry it; nothing is defined. */
static void
test_final_relative (Fixture *f, gconstpointer data)
{
  static const HostileEdit serial = {
    "/domain/devices",
    "<audio id='2' type='file' path='tmp/vr-f6-serial.log'/>", NULL };
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (virDomain) dom = NULL;
  VrRealizeOptions options = { .pool_dir = f->pool,
                               .host_access_allowed = TRUE };

  f->dir = hostile_import_dir ("basic", &serial, FALSE);
  system = import (f, f->dir);
  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER,
                     "relative host path 'tmp/vr-f6-serial.log'",
                     "nothing was defined", NULL);
  dom = virDomainLookupByUUIDString (conn, BASIC_UUID);
  g_assert_null (dom);
  g_assert_false (g_file_test ("/tmp/vr-f6-serial.log", G_FILE_TEST_EXISTS));
  /* What realize copied before the guard was undone with the job. */
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
}

#define SQUAT_UUID "5a1ad0c0-7e57-4b3d-9c1e-0000000000f2"

/* A UEFI planned system that carries no variable store: libvirt makes
 * NVRAM_DIR/NAME_VARS.fd from the template at the first start. */
static char *
uefi_dir_without_nvram (const char *nvram)
{
  g_autofree char *xml = g_strdup_printf (
      "<domain type='qemu'><name>vr-nvsquat</name>"
      "<uuid>" SQUAT_UUID "</uuid><memory unit='MiB'>64</memory>"
      "<vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type>"
      "<loader readonly='yes' type='pflash'>"
      "/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
      "<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>%s</nvram></os>"
      "<features><acpi/></features><devices>"
      "<emulator>/usr/bin/qemu-system-x86_64</emulator></devices>"
      "</domain>", nvram);
  char *dir = test_mkdtemp ();

  test_write_file (dir, "domain.xml", xml, -1);
  return dir;
}

static GPtrArray *
validate_dir (Fixture *f, VrPlannedSystem *system)
{
  g_autoptr (GError) error = NULL;
  VrValidateOptions options = { .pool_dir = f->pool };
  GPtrArray *findings = vr_validate_planned_with (caps, f->store, system,
                                                  &options, &error);

  g_assert_no_error (error);
  return findings;
}

/* NVRAM squatting (fifth review, F2): a store at the planned name's
 * default already there (another domain's, made by an <nvram> naming
 * it, or a leftover) is VR1901 at validate and refuses the realize, and
 * the file stays as it was; an <nvram> naming another name's default is
 * refused (the squat itself), while the own name's is fine. */
static void
test_nvram_squat (Fixture *f, gconstpointer data)
{
  g_autofree char *nvram_dir = g_build_filename (root, "lib", "qemu",
                                                 "nvram", NULL);
  g_autofree char *own = g_build_filename (nvram_dir, "vr-nvsquat_VARS.fd",
                                           NULL);
  g_autofree char *other = g_build_filename (nvram_dir, "vr-victim_VARS.fd",
                                             NULL);
  g_autofree char *content = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GPtrArray) findings = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (virDomain) dom = NULL;
  VrRealizeOptions options = { .pool_dir = f->pool };
  VrFinding *finding;

  g_assert_cmpint (g_mkdir_with_parents (nvram_dir, 0755), ==, 0);
  /* The squat: another name's default, free now. */
  f->dir = uefi_dir_without_nvram (other);
  system = import (f, f->dir);
  findings = validate_dir (f, system);
  finding = vr_findings_find (findings, VR_FINDING_HOST_FOREIGN);
  g_assert_nonnull (finding);
  g_assert_cmpint (finding->severity, ==, VR_SEVERITY_ERROR);
  g_assert_cmpstr (finding->source, ==, "/domain/os/nvram");
  g_assert_true (vr_store_remove (f->store, system, &error));
  g_clear_object (&system);
  g_clear_pointer (&findings, g_ptr_array_unref);
  test_rmtree (f->dir);
  g_free (f->dir);
  /* The own name's default: fine while nothing is there. */
  f->dir = uefi_dir_without_nvram (own);
  system = import (f, f->dir);
  findings = validate_dir (f, system);
  g_assert_null (vr_findings_find (findings, VR_FINDING_HOST_FOREIGN));
  g_assert_null (vr_findings_find (findings, VR_FINDING_HOST_BOOT));
  g_assert_null (vr_findings_find (findings, VR_FINDING_NVRAM_TAKEN));
  g_clear_pointer (&findings, g_ptr_array_unref);
  /* Squatted (or left over): VR1901 with the virsh commands, and the
   * realize is refused without touching it. */
  test_write_file (nvram_dir, "vr-nvsquat_VARS.fd", "squatter's keys", -1);
  findings = validate_dir (f, system);
  finding = vr_findings_find (findings, VR_FINDING_NVRAM_TAKEN);
  g_assert_nonnull (finding);
  g_test_message ("%s %s (%s)", finding->id, finding->message, finding->hint);
  g_assert_cmpint (finding->severity, ==, VR_SEVERITY_ERROR);
  g_assert_nonnull (strstr (finding->message, own));
  g_assert_nonnull (strstr (finding->hint, "virsh undefine --nvram"));
  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  g_test_message ("realize: %s", error->message);
  g_assert_nonnull (strstr (error->message, VR_FINDING_NVRAM_TAKEN));
  dom = virDomainLookupByUUIDString (conn, SQUAT_UUID);
  g_assert_null (dom);
  virResetLastError ();
  g_assert_true (g_file_get_contents (own, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "squatter's keys");
  g_assert_cmpint (unlink (own), ==, 0);
}

/* Twelfth review, F0 (critical): a UEFI system imported without a store
 * whose <nvram> names a host file, with a store dropped into the folder
 * after the import. Validate judged the folder as it is now (a store is
 * carried: any <nvram> passes, realize will replace it) while realize
 * goes by the record (none carried: <nvram> kept), so the guest got the
 * host file as its writable flash. Now both go by the record: VR1806 at
 * validate, the realize refused, nothing defined, the file as it was. */
static void
test_nvram_late (Fixture *f, gconstpointer data)
{
  g_autofree char *host_dir = test_mkdtemp ();
  g_autofree char *target = g_build_filename (host_dir, "rootfile.img",
                                              NULL);
  g_autofree char *nvram_dir = NULL;
  g_autofree char *content = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GPtrArray) findings = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (virDomain) dom = NULL;
  VrRealizeOptions options = { .pool_dir = f->pool };
  VrFinding *finding;

  test_write_file (host_dir, "rootfile.img", "root's bytes", -1);
  f->dir = uefi_dir_without_nvram (target);
  system = import (f, f->dir);
  g_assert_null (vr_planned_system_get_nvram_file (system));
  nvram_dir = g_build_filename (f->dir, "nvram", NULL);
  g_assert_cmpint (mkdir (nvram_dir, 0755), ==, 0);
  test_write_file (nvram_dir, "vr-nvsquat_VARS.fd", "a late store", -1);
  findings = validate_dir (f, system);
  finding = vr_findings_find (findings, VR_FINDING_HOST_BOOT);
  g_assert_nonnull (finding);
  g_test_message ("%s %s", finding->id, finding->message);
  g_assert_cmpint (finding->severity, ==, VR_SEVERITY_ERROR);
  g_assert_cmpstr (finding->source, ==, "/domain/os/nvram");
  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  g_test_message ("realize: %s", error->message);
  g_assert_nonnull (strstr (error->message, VR_FINDING_HOST_BOOT));
  dom = virDomainLookupByUUIDString (conn, SQUAT_UUID);
  g_assert_null (dom);
  virResetLastError ();
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  g_assert_true (g_file_get_contents (target, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "root's bytes");
  test_rmtree (host_dir);
}

#define TPM_UUID "5a1ad0c0-7e57-4b3d-9c1e-0000000000f3"

/* TPM leftovers (sixth review, F1): a guest with an emulated TPM and no
 * tpm/ carried, whose UUID has a state at SWTPM_DIR/UUID (a gone
 * domain's, kept by libvirt): the realize is refused with VR1905,
 * nothing is defined, and the state stays as it was. */
static void
test_tpm_leftover (Fixture *f, gconstpointer data)
{
  static const char xml[] =
      "<domain type='qemu'><name>vr-tpmgrab</name>"
      "<uuid>" TPM_UUID "</uuid><memory unit='MiB'>64</memory>"
      "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>"
      "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
      "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"
      "</devices></domain>";
  g_autofree char *own = g_build_filename (root, "lib", "swtpm", TPM_UUID,
                                           NULL);
  g_autofree char *tpm2 = g_build_filename (own, "tpm2", NULL);
  g_autofree char *state = g_build_filename (tpm2, "tpm2-00.permall", NULL);
  g_autofree char *content = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (virDomain) dom = NULL;
  VrRealizeOptions options = { .pool_dir = f->pool };

  g_assert_cmpint (g_mkdir_with_parents (tpm2, 0700), ==, 0);
  test_write_file (tpm2, "tpm2-00.permall", "victim's seeds", -1);
  f->dir = test_mkdtemp ();
  test_write_file (f->dir, "domain.xml", xml, -1);
  system = import (f, f->dir);
  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  g_test_message ("realize: %s", error->message);
  g_assert_nonnull (strstr (error->message, VR_FINDING_TPM_TAKEN));
  dom = virDomainLookupByUUIDString (conn, TPM_UUID);
  g_assert_null (dom);
  virResetLastError ();
  g_assert_true (g_file_get_contents (state, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "victim's seeds");
  test_rmtree (own);
}

typedef struct {
  Fixture *f;
  VrPlannedSystem *system;
  GError *error;
  gboolean ok;
} RealizeRun;

static gpointer
realize_thread (gpointer data)
{
  RealizeRun *run = data;
  VrRealizeOptions options = { .pool_dir = run->f->pool, .copy_disks = TRUE };

  run->ok = vr_realize (run->f->store, caps, conn, run->system, &options,
                        NULL, NULL, &run->error);
  return NULL;
}

/* Runs run's realize (copy_disks, host access not allowed, as the agent
 * does) held at point while at_pause (data) changes the world. */
static void
realize_paused (RealizeRun *run, const char *point,
                void (*at_pause) (gpointer), gpointer data)
{
  test_run_paused (point, realize_thread, run, at_pause, data);
}

static void
make_folder (gpointer data)
{
  g_assert_cmpint (g_mkdir_with_parents (data, 0700), ==, 0);
}

/* The same, with the state put there after validate (held in the copy
 * of a carried disk, VR_TEST_PAUSE_AT=copy): the realize checks again
 * before the define, and refuses. */
static void
test_tpm_leftover_late (Fixture *f, gconstpointer data)
{
  static const char xml[] =
      "<domain type='qemu'><name>vr-tpmlate</name>"
      "<uuid>" TPM_UUID "</uuid><memory unit='MiB'>64</memory>"
      "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>"
      "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
      "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
      "<source file='disk.raw'/><target dev='vda' bus='virtio'/></disk>"
      "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"
      "</devices></domain>";
  g_autofree char *own = g_build_filename (root, "lib", "swtpm", TPM_UUID,
                                           NULL);
  g_autofree char *data_bytes = g_strnfill (64 * 1024, 'd');
  g_autoptr (virDomain) dom = NULL;
  RealizeRun run = { f, NULL, NULL, FALSE };

  if (!vr_test_hooks_enabled ())
    {
      g_test_skip ("needs a build with -Dtest_hooks=true (the pause)");
      return;
    }
  f->dir = test_mkdtemp ();
  test_write_file (f->dir, "domain.xml", xml, -1);
  test_write_file (f->dir, "disk.raw", data_bytes, 64 * 1024);
  run.system = import (f, f->dir);
  realize_paused (&run, "copy", make_folder, own);
  g_assert_false (run.ok);
  g_test_message ("realize: %s", run.error->message);
  test_assert_error (run.error, VR_ERROR_IN_USE, NULL);
  g_assert_nonnull (strstr (run.error->message, "no TPM state is carried"));
  g_clear_error (&run.error);
  dom = virDomainLookupByUUIDString (conn, TPM_UUID);
  g_assert_null (dom);
  virResetLastError ();
  g_assert_true (g_file_test (own, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  g_object_unref (run.system);
  test_rmtree (own);
}

#define DISK_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000002"

/* The realize judges the copy, not the source: refused naming the file,
 * nothing defined, nothing left in the pool, the target untouched (its
 * owner, mode and bytes). */
static void
test_disk_swapped (Fixture *f, gconstpointer data)
{
  g_autofree char *src = vr_testbed_require ("disk");
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = test_mkdtemp ();
  HostileSwap swap = { NULL, g_build_filename (tmp, "secret", NULL),
                       GPOINTER_TO_INT (data) };
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  g_autoptr (virDomain) dom = NULL;
  RealizeRun run = { f, NULL, NULL, FALSE };
  struct stat before;
  struct stat after;

  if (!vr_test_hooks_enabled ())
    {
      g_test_skip ("needs a build with -Dtest_hooks=true (the pause)");
      return;
    }
  f->dir = vr_testbed_copy_import_dir (src, &error);
  g_assert_no_error (error);
  swap.disk = g_build_filename (f->dir, "disks", "disk0.qcow2", NULL);
  test_write_file (tmp, "secret", "root's only", -1);
  g_assert_cmpint (chmod (swap.target, 0600), ==, 0);
  g_assert_cmpint (stat (swap.target, &before), ==, 0);
  want = test_sha256_file (swap.target);
  run.system = import (f, f->dir);
  realize_paused (&run, "planned-disks", hostile_swap_disk, &swap);
  g_assert_false (run.ok);
  g_test_message ("realize: %s", run.error->message);
  test_assert_error (run.error, VR_ERROR_INVALID_PARAMETER,
                     "disks/disk0.qcow2", "changed since it was validated",
                     swap.data_file ? "external data file" : swap.target,
                     NULL);
  g_clear_error (&run.error);
  dom = virDomainLookupByUUIDString (conn, DISK_UUID);
  g_assert_null (dom);
  virResetLastError ();
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  g_assert_cmpint (stat (swap.target, &after), ==, 0);
  g_assert_cmpuint (after.st_uid, ==, before.st_uid);
  g_assert_cmpuint (after.st_gid, ==, before.st_gid);
  g_assert_cmpuint (after.st_mode, ==, before.st_mode);
  got = test_sha256_file (swap.target);
  g_assert_cmpstr (got, ==, want);
  g_object_unref (run.system);
  test_rmtree (tmp);
  g_free (swap.disk);
  g_free (swap.target);
}

#define VMDK_UUID "5a1ad0c0-7e57-4b3d-9c1e-0000000000f4"

/* A carried disk is opened as the format it is: a VMDK descriptor (raw
 * bytes to the plan) declared <driver type='vmdk'> would have QEMU open
 * the extent it names, any host file. Refused, nothing made. */
static void
test_driver_type (Fixture *f, gconstpointer data)
{
  static const char xml[] =
      "<domain type='qemu'><name>vr-vmdk</name>"
      "<uuid>" VMDK_UUID "</uuid><memory unit='MiB'>64</memory>"
      "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>"
      "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
      "<disk type='file' device='disk'><driver name='qemu' type='vmdk'/>"
      "<source file='disk.vmdk'/><target dev='vda' bus='virtio'/></disk>"
      "</devices></domain>";
  g_autofree char *tmp = test_mkdtemp ();
  g_autofree char *descriptor = g_strdup_printf (
      "# Disk DescriptorFile\nversion=1\nCID=fffffffe\n"
      "parentCID=ffffffff\ncreateType=\"monolithicFlat\"\n"
      "RW 2048 FLAT \"%s/secret\" 0\n", tmp);
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (virDomain) dom = NULL;
  VrRealizeOptions options = { .pool_dir = f->pool, .copy_disks = TRUE };

  test_write_file (tmp, "secret", "root's only", -1);
  f->dir = test_mkdtemp ();
  test_write_file (f->dir, "domain.xml", xml, -1);
  test_write_file (f->dir, "disk.vmdk", descriptor, -1);
  system = import (f, f->dir);
  /* Validation says so first (eleventh review): a format other than raw
   * and qcow2 is host access. */
  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  g_test_message ("realize: %s", error->message);
  test_assert_error (error, VR_ERROR_NOT_SUPPORTED, "VR1804", NULL);
  g_clear_error (&error);
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  /* Even an administrator's realize carries the file as what it is. */
  options.host_access_allowed = TRUE;
  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  g_test_message ("realize: %s", error->message);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "disk.vmdk",
                     "<driver type='vmdk'>", NULL);
  dom = virDomainLookupByUUIDString (conn, VMDK_UUID);
  g_assert_null (dom);
  virResetLastError ();
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  test_rmtree (tmp);
}

typedef struct {
  const char *save;
  const char *xml;
} HeaderPutBack;

/* As the review did: the same size, and the modification time put back
 * (the file's owner may), so only what was read can tell. */
static void
put_header_back (gpointer data)
{
  HeaderPutBack *back = data;
  struct stat st;
  struct timespec times[2];

  g_assert_cmpint (stat (back->save, &st), ==, 0);
  hostile_save_image_set_xml (back->save, back->xml);
  times[0] = st.st_atim;
  times[1] = st.st_mtim;
  g_assert_cmpint (utimensat (AT_FDCWD, back->save, times, 0), ==, 0);
}

/* The XML in the test bed's basic save image. */
static char *
bed_image_xml (void)
{
  g_autofree char *bed = vr_testbed_require ("basic");
  g_autoptr (GError) error = NULL;
  g_autofree char *bed_save = hostile_save_file_of (bed);
  g_autoptr (VrSaveImage) image = vr_save_image_read (bed_save, &error);

  g_assert_no_error (error);
  return g_strdup (image->xml);
}

/* Tenth review, F2: the caller owns the save image and may rewrite its
 * header between the agent's reads. The XML the realize takes the <os>
 * from is the one it opened; validation judges that same one, not a
 * fresh read (here the hostile header is put back to the test bed's
 * while the realize is held right after it opened the directory). */
static void
test_image_reread (Fixture *f, gconstpointer data)
{
  g_autofree char *save = NULL;
  g_autofree char *benign = NULL;
  g_autoptr (virDomain) dom = NULL;
  RealizeRun run = { f, NULL, NULL, FALSE };
  HeaderPutBack back;

  if (!vr_test_hooks_enabled ())
    {
      g_test_skip ("needs a build with -Dtest_hooks=true (the pause)");
      return;
    }
  benign = bed_image_xml ();
  f->dir = hostile_import_dir ("basic", &qemu_arg, TRUE);
  save = hostile_save_file_of (f->dir);
  run.system = import (f, f->dir);
  back = (HeaderPutBack) { save, benign };
  realize_paused (&run, "opened", put_header_back, &back);
  g_assert_false (run.ok);
  test_assert_error (run.error, VR_ERROR_NOT_SUPPORTED, "VR1801",
                     "the save image's XML", NULL);
  g_clear_error (&run.error);
  dom = virDomainLookupByUUIDString (conn, BASIC_UUID);
  g_assert_null (dom);
  virResetLastError ();
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  g_object_unref (run.system);
}

/* Thirteenth review, C1 (critical): libvirt probes, so runs, the
 * <emulator> of every domain XML it parses. Validate's ABI check handed
 * it the planned XML and the image's header: an emulator that is the
 * caller's script ran as QEMU's user although validate said "not run".
 * Now no XML with an unlisted emulator reaches libvirt: the script never
 * runs (in the planned XML or only in the image's), VR1807 says why. */
static void
test_emulator_not_run (Fixture *f, gconstpointer data)
{
  gboolean in_image = GPOINTER_TO_INT (data);
  g_autofree char *tools = test_mkdtemp ();
  g_autofree char *marker = g_build_filename (tools, "ran", NULL);
  g_autofree char *script_text = g_strdup_printf (
      "#!/bin/sh\necho \"$@\" > %s\nexit 1\n", marker);
  g_autofree char *script = g_build_filename (tools, "qemu-probe", NULL);
  HostileEdit emulator = { "/domain/devices/emulator", NULL, script };
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GPtrArray) findings = NULL;
  g_autoptr (GError) error = NULL;
  VrRealizeOptions options = { .pool_dir = f->pool };

  test_write_file (tools, "qemu-probe", script_text, -1);
  g_assert_cmpint (chmod (script, 0755), ==, 0);
  f->dir = hostile_import_dir ("basic", &emulator, in_image);
  system = import (f, f->dir);
  findings = validate_dir (f, system);
  g_assert_nonnull (vr_findings_find (findings, VR_FINDING_HOST_EMULATOR));
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_NOT_SUPPORTED, "VR1807", NULL);
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  test_rmtree (tools);
}

/* C1 at realize: the realize judged the image's header as it opened the
 * folder; the caller rewrites it (same size, modification time put back)
 * before the copy. The copy's header is compared with the judged read
 * before libvirt parses it: refused, nothing defined or left. */
static void
test_image_swapped (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *save = NULL;
  g_autofree char *swapped = NULL;
  g_autoptr (virDomain) dom = NULL;
  RealizeRun run = { f, NULL, NULL, FALSE };
  HeaderPutBack back;

  if (!vr_test_hooks_enabled ())
    {
      g_test_skip ("needs a build with -Dtest_hooks=true (the pause)");
      return;
    }
  {
    g_autofree char *bed_xml = bed_image_xml ();
    g_autoptr (GString) text = g_string_new (bed_xml);

    /* The same length: an emulator this host does not list. */
    g_assert_cmpuint (g_string_replace (text, "qemu-system-x86_64",
                                        "qemu-system-x86_6X", 0),
                      >, 0);
    swapped = g_string_free (g_steal_pointer (&text), FALSE);
  }
  f->dir = hostile_import_dir ("basic", &none, FALSE);
  save = hostile_save_file_of (f->dir);
  run.system = import (f, f->dir);
  back = (HeaderPutBack) { save, swapped };
  realize_paused (&run, "opened", put_header_back, &back);
  g_assert_false (run.ok);
  g_test_message ("realize: %s", run.error->message);
  test_assert_error (run.error, VR_ERROR_INVALID_PARAMETER,
                     "changed since it was validated", NULL);
  g_clear_error (&run.error);
  dom = virDomainLookupByUUIDString (conn, BASIC_UUID);
  g_assert_null (dom);
  virResetLastError ();
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  g_object_unref (run.system);
}

/* The image's XML gives the restore its firmware choice only (fifth
 * review, F1): its machine, loader and NVRAM template, and the SMM that
 * firmware needs; its kernel, ACPI table, boot order and anything else
 * in its <os> are not used: the planned XML's are. */
static void
test_image_os (Fixture *f, gconstpointer data)
{
  static const char planned_xml[] =
      "<domain type='qemu'><name>vr-os</name><os firmware='efi'>"
      "<type arch='x86_64' machine='q35'>hvm</type><firmware>"
      "<feature enabled='no' name='secure-boot'/></firmware>"
      "<boot dev='hd'/><cmdline>planned</cmdline></os></domain>";
  static const char image_xml[] =
      "<domain type='qemu'><name>vr-os</name><os>"
      "<type arch='x86_64' machine='pc-q35-7.2'>hvm</type>"
      "<loader readonly='yes' type='pflash'>"
      "/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
      "<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>"
      "/elsewhere/vr-os_VARS.fd</nvram><boot dev='cdrom'/>"
      "<acpi><table type='slic'>/run/libvirt/qemu/victim.xml</table>"
      "</acpi><kernel>/etc/shadow</kernel><dtb>/etc/shadow</dtb></os>"
      "<features><smm state='on'/></features></domain>";
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) planned = vr_xml_parse_buffer (
      planned_xml, strlen (planned_xml), "domain.xml", "domain", &error);
  g_autoptr (xmlDoc) image = vr_xml_parse_buffer (
      image_xml, strlen (image_xml), "image", "domain", &error);
  g_autofree char *nvram = vr_state_nvram_path (conn, "vr-os");
  g_autofree char *xml = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char *got = NULL;

  g_assert_no_error (error);
  xml = vr_image_xml_for (planned, image, conn, "vr-os");
  g_test_message ("%s", xml);
  doc = vr_xml_parse_buffer (xml, strlen (xml), "out", "domain", &error);
  g_assert_no_error (error);
  g_assert_null (vr_xml_xpath_node (doc, "/domain/os/acpi"));
  g_assert_null (vr_xml_xpath_node (doc, "/domain/os/kernel"));
  g_assert_null (vr_xml_xpath_node (doc, "/domain/os/dtb"));
  g_assert_null (strstr (xml, "/etc/shadow"));
  g_assert_null (strstr (xml, "cdrom"));
  g_assert_nonnull (vr_xml_xpath_node (doc,
                                       "/domain/os/boot[@dev='hd']"));
  got = vr_xml_xpath_string (doc, "string(/domain/os/cmdline)");
  g_assert_cmpstr (got, ==, "planned");
  g_free (got);
  got = vr_xml_xpath_string (doc, "string(/domain/os/type/@machine)");
  g_assert_cmpstr (got, ==, "pc-q35-7.2");
  g_free (got);
  got = vr_xml_xpath_string (doc, "string(/domain/os/loader)");
  g_assert_cmpstr (got, ==, "/usr/share/OVMF/OVMF_CODE_4M.fd");
  g_free (got);
  got = vr_xml_xpath_string (doc, "string(/domain/os/nvram)");
  g_assert_cmpstr (got, ==, nvram);
  g_assert_nonnull (vr_xml_xpath_node (doc, "/domain/features/smm"));
  /* One firmware choice: the planned XML's auto-selection is not kept
   * beside the image's loader. */
  g_assert_null (vr_xml_xpath_node (doc, "/domain/os/@firmware"));
}

static char *
qemu_log (void)
{
  g_autofree char *path = g_build_filename (root, "log", "qemu",
                                            "vr-guest.log", NULL);
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text ? text : g_strdup ("");
}

/* The guest was saved with VNC on 0.0.0.0 (in domain.xml and in the
 * image); an edit moves it to 127.0.0.1; after realize (link hand-off)
 * and start, QEMU listens where the edit says: the image's header holds
 * the planned XML. */
static void
test_edited_listener (Fixture *f, gconstpointer data)
{
  static const HostileEdit vnc = {
    "/domain/devices",
    "<graphics type='vnc' port='-1' autoport='yes' listen='0.0.0.0'>"
    "<listen type='address' address='0.0.0.0'/></graphics>", NULL
  };
  /* The edit: both places libvirt reads the listen address from. */
  static const HostileEdit local_attr = {
    "/domain/devices/graphics/@listen", NULL, "127.0.0.1"
  };
  static const HostileEdit local_listen = {
    "/domain/devices/graphics/listen/@address", NULL, "127.0.0.1"
  };
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *planned = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *with_vnc = NULL;
  g_autofree char *log = NULL;
  g_autofree char *domain_xml = NULL;
  VrRealizeOptions options = { .pool_dir = f->pool,
                               .handoff = VR_HANDOFF_LINK };

  f->dir = hostile_import_dir ("basic", &vnc, TRUE);
  domain_xml = g_build_filename (f->dir, "domain.xml", NULL);
  g_assert_true (g_file_get_contents (domain_xml, &planned, NULL, NULL));
  with_vnc = hostile_xml_edit (planned, &vnc);
  test_write_file (f->dir, "domain.xml", with_vnc, -1);
  system = import (f, f->dir);
  /* What `virt-realize edit --set` does. */
  {
    g_autofree char *half = hostile_xml_edit (with_vnc, &local_attr);

    edited = hostile_xml_edit (half, &local_listen);
  }
  g_assert_true (vr_planned_system_set_domain_xml (system, edited,
                                                   strlen (edited), &error));
  g_assert_no_error (error);
  g_assert_true (vr_store_save (f->store, system, &error));
  g_assert_true (vr_realize (f->store, caps, conn, system, &options, NULL,
                             NULL, &error));
  g_assert_no_error (error);
  dom = virDomainLookupByUUIDString (conn, BASIC_UUID);
  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  log = qemu_log ();
  g_assert_nonnull (g_strrstr (log, "-incoming"));
  g_assert_nonnull (strstr (log, "-vnc 127.0.0.1:"));
  g_assert_null (strstr (log, "-vnc 0.0.0.0:"));
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  root = vr_testbed_new_root ("realize-trust");
  uri = vr_testbed_root_uri (root);
  conn = vr_libvirt_open (uri, &error);
  g_assert_no_error (error);
  caps = vr_host_caps_new (conn);
#define ADD(path, data, func) \
  g_test_add ("/realize-trust/" path, Fixture, data, fixture_set_up, func, \
              fixture_tear_down)
  ADD ("testbed-clean", NULL, test_testbed_clean);
  ADD ("severity/planned", GINT_TO_POINTER (FALSE), test_severity);
  ADD ("severity/image", GINT_TO_POINTER (TRUE), test_severity);
  ADD ("refused/planned", GINT_TO_POINTER (FALSE), test_realize_refused);
  ADD ("refused/image", GINT_TO_POINTER (TRUE), test_realize_refused);
  ADD ("edited-listener", NULL, test_edited_listener);
  ADD ("nvram-squat", NULL, test_nvram_squat);
  ADD ("nvram-late", NULL, test_nvram_late);
  ADD ("tpm-leftover", NULL, test_tpm_leftover);
  ADD ("tpm-leftover-late", NULL, test_tpm_leftover_late);
  ADD ("disk-swapped/backing", GINT_TO_POINTER (FALSE), test_disk_swapped);
  ADD ("disk-swapped/data-file", GINT_TO_POINTER (TRUE), test_disk_swapped);
  ADD ("driver-type", NULL, test_driver_type);
  ADD ("image-os", NULL, test_image_os);
  ADD ("image-reread", NULL, test_image_reread);
  ADD ("image-swapped", NULL, test_image_swapped);
  ADD ("emulator-not-run/planned", GINT_TO_POINTER (FALSE),
       test_emulator_not_run);
  ADD ("emulator-not-run/image", GINT_TO_POINTER (TRUE),
       test_emulator_not_run);
  ADD ("relative-dev", NULL, test_relative_dev);
  ADD ("final-relative", NULL, test_final_relative);
#undef ADD
  status = g_test_run ();
  g_object_unref (caps);
  virConnectClose (conn);
  test_rmtree (root);
  g_free (root);
  return status;
}
