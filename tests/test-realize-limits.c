/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What one user may have realized through the root agent at once
 * (agent/realize-limits.c; F5 of the blind review): their realized and
 * realizing planned systems count, with their memory; other users' and
 * root's do not; root has no limit. */
#include "config.h"

#include "errors.h"
#include "import.h"
#include "libvirt-util.h"
#include "realize-journal.h"
#include "realize-limits.h"
#include "test-util.h"

#define NOBODY 65534
#define MIB (1024 * 1024)

static struct {
  char *state;
  VrStore *store;
  VrRealizeHolds *holds;
} t;

/* A planned system of uid with n MiB of memory (and extra, in
 * <domain>), in state. */
static VrPlannedSystem *
add_system_with (guint n, guint uid, guint mib, const char *extra,
                 VrPlannedState state)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *xml = g_strdup_printf (
      "<domain type='kvm'><name>vr-limit-%u</name>"
      "<uuid>5a1ad0c0-7e57-4b3d-9c1e-0000000001%02u</uuid>"
      "<memory unit='MiB'>%u</memory><vcpu>1</vcpu>%s"
      "<os><type arch='x86_64'>hvm</type></os></domain>", n, n, mib, extra);
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

static VrPlannedSystem *
add_system (guint n, guint uid, guint mib, VrPlannedState state)
{
  return add_system_with (n, uid, mib, "", state);
}

/* Checks and, when it passes, holds until released (or at once). */
/* Gives planned system n to a uid no test asks about (one test's
 * systems do not count in the next). */
static void
remove_system (guint n)
{
  g_autofree char *uuid = g_strdup_printf (
      "5a1ad0c0-7e57-4b3d-9c1e-0000000001%02u", n);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = vr_store_load (t.store, uuid, &error);

  g_assert_no_error (error);
  vr_planned_system_set_owner (system, 4242);
  g_assert_true (vr_store_save (t.store, system, &error));
  g_assert_no_error (error);
}

static gboolean
check_held (const VrRealizeLimits *limits, virConnectPtr conn,
            VrPlannedSystem *system, guint uid, char **message,
            VrRealizeHold **kept)
{
  g_autoptr (GError) error = NULL;
  VrRealizeHold *hold = vr_realize_limits_hold (limits, t.holds, t.store,
                                                conn, system, NULL, FALSE,
                                                uid, "agent.conf", &error);

  if (hold != NULL)
    g_assert_no_error (error);
  else
    test_assert_error (error, VR_ERROR_IN_USE, NULL);
  if (message != NULL)
    *message = error ? g_strdup (error->message) : NULL;
  if (kept != NULL)
    *kept = hold;
  else
    vr_realize_hold_release (hold);
  return hold != NULL;
}

static gboolean
check (guint domains, guint64 mib, VrPlannedSystem *system, guint uid,
       char **message)
{
  VrRealizeLimits limits = { domains, mib, 0, 0 };

  return check_held (&limits, NULL, system, uid, message, NULL);
}

static void
test_limits (void)
{
  g_autoptr (VrPlannedSystem) running = NULL;
  g_autoptr (VrPlannedSystem) next = NULL;
  g_autofree char *by_count = NULL;
  g_autofree char *by_memory = NULL;

  running = add_system (1, NOBODY, 512, VR_PLANNED_STATE_REALIZED);
  g_object_unref (add_system (2, NOBODY, 256, VR_PLANNED_STATE_REALIZING));
  g_object_unref (add_system (3, NOBODY, 4096, VR_PLANNED_STATE_PLANNED));
  g_object_unref (add_system (4, 1001, 8192, VR_PLANNED_STATE_REALIZED));
  next = add_system (5, NOBODY, 512, VR_PLANNED_STATE_PLANNED);
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
  for (guint i = 1; i <= 5; i++)
    remove_system (i);
}

/* Sixth review, F3: a 64 MiB <memory> with an 8 GiB NUMA cell is an
 * 8 GiB guest (libvirt takes the cells' sum), as is one that may
 * hot-plug up to <maxMemory>; a realized one counts so too. */
static void
test_numa (void)
{
  g_autoptr (VrPlannedSystem) numa = add_system_with (
      6, NOBODY, 64, "<cpu><numa><cell id='0' cpus='0' memory='8' "
      "unit='GiB'/></numa></cpu>", VR_PLANNED_STATE_PLANNED);
  g_autoptr (VrPlannedSystem) small = NULL;
  g_autofree char *why = NULL;

  g_object_unref (add_system_with (
      7, NOBODY, 64, "<maxMemory slots='4' unit='MiB'>2048</maxMemory>",
      VR_PLANNED_STATE_REALIZED));
  small = add_system (8, NOBODY, 64, VR_PLANNED_STATE_PLANNED);
  /* The realized hot-plug guest holds 2048 MiB. */
  g_assert_false (check (8, 2048 + 8192 - 1, numa, NOBODY, &why));
  g_assert_nonnull (strstr (why, "10240 MiB"));
  g_assert_true (check (8, 2048 + 8192, numa, NOBODY, NULL));
  g_assert_false (check (8, 2048 + 63, small, NOBODY, NULL));
  g_assert_true (check (8, 2048 + 64, small, NOBODY, NULL));
  for (guint i = 6; i <= 8; i++)
    remove_system (i);
}

/* Seventh review, F2: a 64 MiB guest with four QXL cards of 1 GiB ram
 * and vram and 4 GiB vram64 and a 4 GiB TCG translation cache started
 * as a 23 GB process under MaxMemoryPerUser=1024; the devices count. */
static void
test_device_memory (void)
{
  g_autoptr (GString) extra = g_string_new (
      "<features><tcg><tb-cache unit='GiB'>4</tb-cache></tcg></features>"
      "<devices>");
  g_autoptr (VrPlannedSystem) video = NULL;
  g_autofree char *why = NULL;

  for (guint i = 0; i < 4; i++)
    g_string_append (extra, "<video><model type='qxl' ram='1048576' "
                            "vram='1048576' vram64='4194304' "
                            "vgamem='262144'/></video>");
  g_string_append (extra, "</devices>");
  video = add_system_with (9, NOBODY, 64, extra->str,
                           VR_PLANNED_STATE_PLANNED);
  /* 64 + 4 x (1024 + 1024 + 4096 + 256) + 4096 MiB. */
  g_assert_false (check (8, 1024, video, NOBODY, &why));
  g_assert_nonnull (strstr (why, "29760 MiB"));
  g_assert_true (check (8, 29760, video, NOBODY, NULL));
  remove_system (9);
}

/* F5 of the fourth review: a realize checked holds its room until its
 * job ends, so that a second realize checked meanwhile counts it (the
 * store says nothing of it yet); released, the room is free again. */
static void
test_holds (void)
{
  g_autoptr (VrPlannedSystem) first = add_system (11, NOBODY, 512,
                                                  VR_PLANNED_STATE_PLANNED);
  g_autoptr (VrPlannedSystem) second = add_system (12, NOBODY, 512,
                                                   VR_PLANNED_STATE_PLANNED);
  VrRealizeLimits one = { 1, 0, 0, 0 };
  VrRealizeHold *held = NULL;
  g_autofree char *why = NULL;

  g_assert_true (check_held (&one, NULL, first, NOBODY, NULL, &held));
  g_assert_false (check_held (&one, NULL, second, NOBODY, &why, NULL));
  g_assert_nonnull (strstr (why, "MaxDomainsPerUser=1"));
  /* Another user's realize is theirs; the same system's own second
   * realize counts the first (it could not run twice anyway). */
  g_assert_true (check_held (&one, NULL, second, 1001, NULL, NULL));
  g_assert_false (check_held (&one, NULL, first, NOBODY, NULL, NULL));
  vr_realize_hold_release (held);
  g_assert_true (check_held (&one, NULL, second, NOBODY, NULL, NULL));
  remove_system (11);
  remove_system (12);
}

/* The first 32 bytes of a qcow2 header (version 3, no backing file)
 * of a disk of virtual_size bytes: all the limits read. */
static void
write_qcow2 (const char *dir, const char *name, guint64 virtual_size)
{
  guint8 header[512] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
  guint64 be = GUINT64_TO_BE (virtual_size);

  memcpy (header + 24, &be, sizeof be);
  test_write_file (dir, name, (const char *) header, sizeof header);
}

/* Sixth review, F4: a qcow2 image is charged its virtual size (the
 * guest fills the pool's copy up to it), a raw one its size; each
 * file's size as counted goes with the realize, for the copy to hold it
 * to. */
static void
test_disk_sizes (void)
{
  static const char xml[] =
      "<domain type='kvm'><name>vr-limit-disks</name>"
      "<uuid>5a1ad0c0-7e57-4b3d-9c1e-000000000131</uuid>"
      "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
      "<os><type arch='x86_64'>hvm</type></os><devices>"
      "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
      "<source file='big.qcow2'/><target dev='vda' bus='virtio'/></disk>"
      "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
      "<source file='small.raw'/><target dev='vdb' bus='virtio'/></disk>"
      "</devices></domain>";
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *raw = g_malloc0 (MIB);
  g_autoptr (VrImportDir) opened = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GHashTable) sizes = NULL;
  g_autoptr (GError) error = NULL;
  VrRealizeLimits limits = { .max_domains = 8 };
  VrRealizeHold *hold;
  guint64 *size;

  test_write_file (dir, "domain.xml", xml, -1);
  write_qcow2 (dir, "big.qcow2", G_GUINT64_CONSTANT (1) << 40);
  test_write_file (dir, "small.raw", raw, MIB);
  system = vr_import_path (t.store, dir, NULL, &error);
  g_assert_no_error (error);
  opened = vr_import_dir_open (dir, &error);
  g_assert_no_error (error);
  hold = vr_realize_limits_hold (&limits, t.holds, t.store, NULL, system,
                                 opened, TRUE, NOBODY, "agent.conf", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vr_realize_hold_get_bytes (hold), ==,
                    (G_GUINT64_CONSTANT (1) << 40) + MIB);
  sizes = vr_realize_hold_get_sizes (hold);
  g_assert_nonnull (sizes);
  size = g_hash_table_lookup (sizes, "big.qcow2");
  g_assert_nonnull (size);
  g_assert_cmpuint (*size, ==, 512);
  size = g_hash_table_lookup (sizes, "small.raw");
  g_assert_nonnull (size);
  g_assert_cmpuint (*size, ==, MIB);
  vr_realize_hold_release (hold);
  /* 1 TiB and 1 MiB are more than 1 TiB. */
  limits.max_disk_mib = 1024 * 1024;
  g_assert_null (vr_realize_limits_hold (&limits, t.holds, t.store, NULL,
                                         system, opened, TRUE, NOBODY,
                                         "agent.conf", &error));
  test_assert_error (error, VR_ERROR_IN_USE, NULL);
  g_assert_nonnull (strstr (error->message, "MaxDiskPerUser"));
  test_rmtree (dir);
}

/* A domain on libvirt's test driver whose realize tag names owner (or
 * none), planned system planned. */
static virDomainPtr
tagged_domain (virConnectPtr conn, guint n, const char *planned,
               const char *owner, guint mib, guint vcpus)
{
  g_autofree char *tag = g_strdup_printf (
      "<vr:realize xmlns:vr='" VR_REALIZE_METADATA_NS "' planned='%s' "
      "job='j%u' time='2026-12-06T00:00:00Z'%s%s%s bytes='%u'/>", planned, n,
      owner ? " owner='" : "", owner ? owner : "", owner ? "'" : "",
      3 * 1024 * 1024);
  g_autofree char *xml = g_strdup_printf (
      "<domain type='test'><name>vr-held-%u</name>"
      "<memory unit='MiB'>%u</memory><vcpu>%u</vcpu>"
      "<os><type arch='x86_64'>hvm</type></os>"
      "<metadata>%s</metadata></domain>", n, mib, vcpus, tag);
  virDomainPtr dom = virDomainDefineXML (conn, xml);

  g_assert_nonnull (dom);
  return dom;
}

/* F2b of the fourth review: what counts is what uid holds in libvirt,
 * the domains its realizes made (their tag's owner), with their XML's
 * memory and vCPUs and the tag's bytes, whether or not a planned system
 * still says so; vCPUs (default 4 per host CPU) and disk limits. */
static void
test_domains (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (virConnect) conn = vr_libvirt_open ("test:///default", &error);
  g_autoptr (VrPlannedSystem) next = add_system (21, NOBODY, 512,
                                                 VR_PLANNED_STATE_PLANNED);
  virDomainPtr forgotten;
  virDomainPtr old;
  virDomainPtr foreign;
  VrRealizeLimits two = { 2, 0, 0, 0 };
  VrRealizeLimits three = { 3, 0, 0, 0 };
  VrRealizeLimits memory = { 32, 1024 + 256 + 511, 0, 0 };
  VrRealizeLimits vcpus = { 32, 0, 2 + 3, 0 };
  VrRealizeLimits disk = { 32, 0, 0, 5 };
  virNodeInfo info;
  g_autofree char *why = NULL;
  g_autofree char *by_vcpus = NULL;
  g_autofree char *by_disk = NULL;

  /* Planned system 22: the one whose owner "old" below follows. */
  g_object_unref (add_system (22, NOBODY, 256, VR_PLANNED_STATE_PLANNED));
  g_assert_no_error (error);
  /* The planned system of this one was destroyed: only the domain says
   * whose it is. */
  forgotten = tagged_domain (conn, 1, "5a1ad0c0-7e57-4b3d-9c1e-000000000199",
                             "65534", 1024, 2);
  /* A tag without owner (an older realize) follows its planned system's
   * owner. */
  old = tagged_domain (conn, 2, "5a1ad0c0-7e57-4b3d-9c1e-000000000122",
                       NULL, 256, 3);
  /* uid 1001's does not count. */
  foreign = tagged_domain (conn, 3, "5a1ad0c0-7e57-4b3d-9c1e-000000000198",
                           "1001", 8192, 8);
  g_assert_true (check_held (&three, conn, next, NOBODY, NULL, NULL));
  g_assert_false (check_held (&two, conn, next, NOBODY, &why, NULL));
  g_assert_nonnull (strstr (why, "holds 2 domains"));
  g_assert_nonnull (strstr (why, "MaxDomainsPerUser=2"));
  g_assert_false (check_held (&memory, conn, next, NOBODY, NULL, NULL));
  memory.max_memory_mib++;
  g_assert_true (check_held (&memory, conn, next, NOBODY, NULL, NULL));
  /* next has one vCPU. */
  g_assert_false (check_held (&vcpus, conn, next, NOBODY, &by_vcpus, NULL));
  g_assert_nonnull (strstr (by_vcpus, "MaxVcpusPerUser=5"));
  vcpus.max_vcpus++;
  g_assert_true (check_held (&vcpus, conn, next, NOBODY, NULL, NULL));
  /* 3 MiB each in the tags; next writes nothing (no saved state). */
  g_assert_false (check_held (&disk, conn, next, NOBODY, &by_disk, NULL));
  g_assert_nonnull (strstr (by_disk, "6 MiB"));
  g_assert_nonnull (strstr (by_disk, "MaxDiskPerUser=5 MiB"));
  disk.max_disk_mib = 6;
  g_assert_true (check_held (&disk, conn, next, NOBODY, NULL, NULL));
  /* The default vCPU limit follows the host: 4 per CPU. */
  g_assert_cmpint (virNodeGetInfo (conn, &info), ==, 0);
  vcpus.max_vcpus = 0;
  g_assert_true (check_held (&vcpus, conn, next, NOBODY, NULL, NULL));
  g_assert_cmpuint (info.cpus * VR_REALIZE_LIMITS_VCPU_RATIO, >=, 6);
  virDomainUndefine (forgotten);
  virDomainUndefine (old);
  virDomainUndefine (foreign);
  virDomainFree (forgotten);
  virDomainFree (old);
  virDomainFree (foreign);
  remove_system (21);
  remove_system (22);
}

/* Issue 13, sixth review: the limits are per host. A system realized
 * onto another host (its record names that connection) does not count
 * on this one; one realized here, or whose record names no host, does;
 * a realize held for another host neither. */
static void
test_per_host (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (virConnect) conn = vr_libvirt_open ("test:///default", &error);
  g_autoptr (VrPlannedSystem) remote = add_system (
      41, NOBODY, 512, VR_PLANNED_STATE_REALIZED);
  g_autoptr (VrPlannedSystem) next = add_system (42, NOBODY, 512,
                                                 VR_PLANNED_STATE_PLANNED);
  g_autoptr (VrPlannedSystem) other = add_system (43, NOBODY, 512,
                                                  VR_PLANNED_STATE_PLANNED);
  g_autoptr (virConnect) second = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *uri = NULL;
  VrRealizeLimits one = { 1, 0, 0, 0 };
  VrRealizeHold *elsewhere = NULL;

  g_assert_no_error (error);
  vr_planned_system_set_connection (remote, "qemu+ssh://other/system");
  g_assert_true (vr_store_save (t.store, remote, &error));
  g_assert_no_error (error);
  g_assert_true (check_held (&one, conn, next, NOBODY, NULL, NULL));
  /* The same record on this host counts. */
  vr_planned_system_set_connection (remote, "test:///default");
  g_assert_true (vr_store_save (t.store, remote, &error));
  g_assert_false (check_held (&one, conn, next, NOBODY, NULL, NULL));
  /* One whose host is unknown counts on every host. */
  vr_planned_system_set_connection (remote, NULL);
  g_assert_true (vr_store_save (t.store, remote, &error));
  g_assert_false (check_held (&one, conn, next, NOBODY, NULL, NULL));
  remove_system (41);
  /* A realize held on this host counts here, not on another (a test
   * driver from a file of its own: another URI). */
  dir = test_mkdtemp ();
  test_write_file (dir, "node.xml", "<node/>", -1);
  uri = g_strdup_printf ("test://%s/node.xml", dir);
  second = vr_libvirt_open (uri, &error);
  g_assert_no_error (error);
  g_assert_true (check_held (&one, conn, other, NOBODY, NULL, &elsewhere));
  g_assert_false (check_held (&one, conn, next, NOBODY, NULL, NULL));
  g_assert_true (check_held (&one, second, next, NOBODY, NULL, NULL));
  vr_realize_hold_release (elsewhere);
  /* A hold without a host (no connection) counts on every host. */
  g_assert_true (check_held (&one, NULL, other, NOBODY, NULL, &elsewhere));
  g_assert_false (check_held (&one, second, next, NOBODY, NULL, NULL));
  vr_realize_hold_release (elsewhere);
  test_rmtree (dir);
  remove_system (42);
  remove_system (43);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  t.state = test_mkdtemp ();
  t.store = vr_store_new (t.state);
  t.holds = vr_realize_holds_new ();
  g_test_add_func ("/realize-limits/limits", test_limits);
  g_test_add_func ("/realize-limits/holds", test_holds);
  g_test_add_func ("/realize-limits/numa", test_numa);
  g_test_add_func ("/realize-limits/device-memory", test_device_memory);
  g_test_add_func ("/realize-limits/disk-sizes", test_disk_sizes);
  g_test_add_func ("/realize-limits/domains", test_domains);
  g_test_add_func ("/realize-limits/per-host", test_per_host);
  status = g_test_run ();
  vr_realize_holds_free (t.holds);
  g_object_unref (t.store);
  test_rmtree (t.state);
  g_free (t.state);
  return status;
}
