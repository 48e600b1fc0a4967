/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's trust boundary, attacked: a caller whom polkit allows to
 * import, list, validate and realize (here uid 65534, by a test rule)
 * but who does not hold realize-host-access, read-secrets or manage-others
 * may not get more of the host than they have. Each hostile planned system carries
 * one construct (in domain.xml, or only in the save image's own XML);
 * its realize must be refused with the construct's finding ID and change
 * nothing on disk or in libvirt. Root (allowed by 50-virt-realize.rules)
 * may realize it. Runs on the private system bus with the real polkitd of
 * tests/bus-harness.c. */
#include "config.h"

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-harness.h"
#include "dbus-errors.h"
#include "dbus-names.h"
#include "errors.h"
#include "hostile-xml.h"
#include "manifest.h"
#include "realize-journal.h"
#include "safe-xml.h"
#include "test-util.h"
#include "test-hooks.h"
#include "testbed.h"

#define WAIT_SECONDS 120
#define SECRET "s3cret-vr-pw"
#define QEMU_NS HOSTILE_QEMU_NS
/* Gives uid 65534 every action but the two admin ones, so that what the
 * agent itself refuses is tested (not polkit's default "no"). */
#define TEST_RULES "/usr/share/polkit-1/rules.d/49-vr-test-trust.rules"

static VrBusHarness *harness;
static char *root;
static char *uri;
static guint hostile_calls;

/* One construct and the finding it must give. */
typedef struct {
  const char *name;
  const char *id;
  HostileEdit edit;
  /* FALSE where realize replaces the image's part with the planned
   * XML's (disk and interface sources): no request for this host. */
  gboolean in_image;
} Construct;

static const Construct constructs[] = {
  { "qemu-commandline", "VR1801", { "/domain",
    "<qemu:commandline " QEMU_NS "><qemu:arg value='-device'/>"
    "<qemu:arg value='pci-testdev'/></qemu:commandline>", NULL }, TRUE },
  { "qemu-capabilities", "VR1801", { "/domain",
    "<qemu:capabilities " QEMU_NS "><qemu:del capability='sandbox'/>"
    "</qemu:capabilities>", NULL }, TRUE },
  { "qemu-override", "VR1801", { "/domain",
    "<qemu:override " QEMU_NS "><qemu:device alias='balloon0'>"
    "<qemu:frontend><qemu:property name='x' type='string' value='y'/>"
    "</qemu:frontend></qemu:device></qemu:override>", NULL }, TRUE },
  { "seclabel-none", "VR1802", { "/domain",
    "<seclabel type='none' model='dac'/>", NULL }, TRUE },
  { "seclabel-root", "VR1802", { "/domain",
    "<seclabel type='static' model='dac' relabel='no'>"
    "<label>+0:+0</label></seclabel>", NULL }, TRUE },
  { "hostdev-pci", "VR1803", { "/domain/devices",
    "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
    "<address domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>"
    "</source></hostdev>", NULL }, TRUE },
  { "hostdev-usb", "VR1803", { "/domain/devices",
    "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1d6b'/>"
    "<product id='0x0002'/></source></hostdev>", NULL }, TRUE },
  { "hostdev-mdev", "VR1803", { "/domain/devices",
    "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source>"
    "<address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source>"
    "</hostdev>", NULL }, TRUE },
  { "smartcard-host", "VR1803", { "/domain/devices",
    "<smartcard mode='host'/>", NULL }, TRUE },
  { "tpm-passthrough", "VR1803", { "/domain/devices",
    "<tpm model='tpm-tis'><backend type='passthrough'>"
    "<device path='/dev/tpm0'/></backend></tpm>", NULL }, TRUE },
  { "input-evdev", "VR1803", { "/domain/devices",
    "<input type='evdev'><source dev='/dev/input/event0'/></input>", NULL },
    TRUE },
  { "disk-block", "VR1804", { "/domain/devices",
    "<disk type='block' device='disk'><source dev='/dev/sda'/>"
    "<target dev='vdz' bus='virtio'/></disk>", NULL }, FALSE },
  { "disk-shadow", "VR1804", { "/domain/devices",
    "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
    "<source file='/etc/shadow'/><target dev='vdy' bus='virtio'/></disk>",
    NULL }, FALSE },
  { "filesystem-root", "VR1804", { "/domain/devices",
    "<filesystem type='mount'><source dir='/'/><target dir='host'/>"
    "</filesystem>", NULL }, TRUE },
  { "serial-file", "VR1805", { "/domain/devices",
    "<serial type='file'><source path='/etc/cron.d/vr'/>"
    "<target port='0'/></serial>", NULL }, TRUE },
  { "channel-socket", "VR1805", { "/domain/devices",
    "<channel type='unix'><source mode='connect' "
    "path='/run/dbus/system_bus_socket'/><target type='virtio' name='x.y'/>"
    "</channel>", NULL }, TRUE },
  { "console-dev", "VR1805", { "/domain/devices",
    "<console type='dev'><source path='/dev/tty1'/>"
    "<target type='serial'/></console>", NULL }, TRUE },
  { "shmem-server", "VR1816", { "/domain/devices",
    "<shmem name='vr'><model type='ivshmem-doorbell'/>"
    "<server path='/run/libvirt/libvirt-sock'/></shmem>", NULL }, TRUE },
  { "rng-file", "VR1809", { "/domain/devices",
    "<rng model='virtio'><backend model='random'>/etc/shadow</backend>"
    "</rng>", NULL }, TRUE },
  { "kernel", "VR1806", { "/domain/os", "<kernel>/etc/shadow</kernel>", NULL },
    TRUE },
  { "loader", "VR1806", { "/domain/os",
    "<loader readonly='yes' type='pflash'>/root/evil.fd</loader>", NULL },
    TRUE },
  /* Only in the planned XML: realize puts this host's NVRAM path into the
   * image's <os> (vr_realize_image_xml), so the image's own is never used. */
  { "nvram", "VR1806", { "/domain/os", "<nvram>/etc/evil_VARS.fd</nvram>",
    NULL }, FALSE },
  /* Eighth review, F1: the typed form's <source> was never judged. */
  { "nvram-source", "VR1806", { "/domain/os",
    "<nvram type='file'><source file='/etc/evil_VARS.fd'/></nvram>", NULL },
    FALSE },
  { "emulator", "VR1807", { "/domain/devices/emulator", NULL, "/bin/sh" },
    TRUE },
  { "ethernet-script", "VR1808", { "/domain/devices",
    "<interface type='ethernet'><script path='/tmp/vr-evil.sh'/>"
    "<model type='virtio'/></interface>", NULL }, TRUE },
  { "direct", "VR1808", { "/domain/devices",
    "<interface type='direct'><source dev='lo' mode='bridge'/>"
    "<model type='virtio'/></interface>", NULL }, TRUE },
  { "audio-file", "VR1805", { "/domain/devices",
    "<audio id='2' type='file' path='/var/tmp/vr-trust.wav'/>", NULL },
    TRUE },
  { "bridge", "VR1813", { "/domain/devices",
    "<interface type='bridge'><source bridge='vrtrustno0'/>"
    "<model type='virtio'/></interface>", NULL }, FALSE },
  /* L2 of the fourth attack review: a VLAN trunk picks segments of the
   * host's switch (libvirt networks themselves: /agent-trust/networks). */
  { "vlan-trunk", "VR1814", { "/domain/devices",
    "<interface type='bridge'><source bridge='" VR_BUS_HARNESS_BRIDGE "'/>"
    "<vlan trunk='yes'><tag id='1'/><tag id='2'/></vlan>"
    "<model type='virtio'/></interface>", NULL }, TRUE },
  { "interface-udp", "VR1808", { "/domain/devices",
    "<interface type='udp'><source address='127.0.0.1' port='5555'>"
    "<local address='127.0.0.1' port='5556'/></source>"
    "<model type='virtio'/></interface>", NULL }, TRUE },
  /* The seventh review: a managed ethernet tap in the host's own stack
   * with the host-side addresses and routes libvirt puts there (F1), a
   * port MTU that becomes an allowed bridge's (F6), a render node
   * libvirt picks itself (F5). */
  { "ethernet-managed", "VR1808", { "/domain/devices",
    "<interface type='ethernet'><model type='virtio'/></interface>", NULL },
    TRUE },
  { "ethernet-host-routes", "VR1808", { "/domain/devices",
    "<interface type='ethernet'><source>"
    "<ip address='203.0.113.1' prefix='24'/>"
    "<route family='ipv4' address='198.51.100.0' prefix='24'"
    " gateway='203.0.113.2'/></source><model type='virtio'/></interface>",
    NULL }, FALSE },
  { "bridge-mtu", "VR1814", { "/domain/devices",
    "<interface type='bridge'><source bridge='" VR_BUS_HARNESS_BRIDGE "'/>"
    "<mtu size='1000'/><model type='virtio'/></interface>", NULL }, TRUE },
  { "egl-headless", "VR1803", { "/domain/devices",
    "<graphics type='egl-headless'/>", NULL }, TRUE },
  { "nbd-unix", "VR1805", { "/domain/devices",
    "<disk type='network' device='disk'><driver name='qemu' type='raw'/>"
    "<source protocol='nbd'><host transport='unix'"
    " socket='/run/libvirt/libvirt-sock'/></source>"
    "<target dev='vdx' bus='virtio'/></disk>", NULL }, FALSE },
  { "tpm-external", "VR1805", { "/domain/devices",
    "<tpm model='tpm-crb'><backend type='external'><source type='unix'"
    " mode='connect' path='/run/vr-trust/swtpm.sock'/></backend></tpm>",
    NULL }, TRUE },
  /* A network disk on another machine: the root agent's QEMU connects
   * where the caller says (SSRF from the host's network position). */
  { "nbd-remote", "VR1805", { "/domain/devices",
    "<disk type='network' device='disk'><driver name='qemu' type='raw'/>"
    "<source protocol='nbd' name='export'><host name='192.0.2.7'"
    " port='10809'/></source><target dev='vdy' bus='virtio'/></disk>",
    NULL }, FALSE },
  { "unknown-relative", "VR1812", { "/domain/devices",
    "<interface type='user'><backend type='passt'"
    " logFile='../../etc/cron.d/vr'/><model type='virtio'/></interface>",
    NULL }, TRUE },
  { "sysinfo-fwcfg", "VR1811", { "/domain",
    "<sysinfo type='fwcfg'><entry name='opt/com.x/y'"
    " file='/etc/shadow'/></sysinfo>", NULL }, TRUE },
  { "smbios-host", "VR1811", { "/domain/os", "<smbios mode='host'/>", NULL },
    TRUE },
  { "unknown-path", "VR1812", { "/domain/devices",
    "<interface type='user'><backend type='passt'"
    " logFile='/etc/cron.d/vr'/><model type='virtio'/></interface>", NULL },
    TRUE },
  /* The fifth attack review: a root-owned dump at every watchdog expiry
   * or crash (F3), memory another user's guest maps by its name (F4), a
   * real-time vCPU (F6). */
  { "watchdog-dump", "VR1815", { "/domain/devices",
    "<watchdog model='ib700' action='dump'/>", NULL }, TRUE },
  { "on-crash-coredump", "VR1815", { "/domain/on_crash", NULL,
    "coredump-restart" }, TRUE },
  { "shmem-plain", "VR1816", { "/domain/devices",
    "<shmem name='vr-trust'><model type='ivshmem-plain'/>"
    "<size unit='M'>4</size></shmem>", NULL }, TRUE },
  { "vcpusched-fifo", "VR1817", { "/domain",
    "<cputune><vcpusched vcpus='0' scheduler='fifo' priority='99'/>"
    "</cputune>", NULL }, TRUE },
  /* The sixth review, F5: a host thread each, pid_max for everyone. */
  { "iothreads-many", "VR1817", { "/domain", "<iothreads>30000</iothreads>",
    NULL }, TRUE },
  /* Issue 13 after the sixth review: another guest's network port, a
   * host interface name the host's rules may trust, a tap and vhost
   * thread per queue. Interfaces are the planned XML's at realize. */
  { "interface-portid", "VR1814", { "/domain/devices",
    "<interface type='network'><source network='default'"
    " portid='0a8fb9c4-7cbb-4d4b-9c2b-d0b1c2a3e4f5'/>"
    "<model type='virtio'/></interface>", NULL }, FALSE },
  { "interface-target-dev", "VR1814", { "/domain/devices",
    "<interface type='network'><source network='default'/>"
    "<target dev='tap-admin0'/><model type='virtio'/></interface>", NULL },
    FALSE },
  { "interface-queues", "VR1817", { "/domain/devices",
    "<interface type='network'><source network='default'/>"
    "<model type='virtio'/><driver name='vhost' queues='4096'/>"
    "</interface>", NULL }, FALSE },
};

/* The harmless construct root realizes: an environment variable. */
static const Construct qemu_env = {
  "qemu-env", "VR1801", { "/domain",
  "<qemu:commandline " QEMU_NS "><qemu:env name='VR_TRUST' value='1'/>"
  "</qemu:commandline>", NULL }, TRUE
};

typedef struct {
  char *state;
  char *pool;
  GSubprocess *agent;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->state = test_mkdtemp ();
  f->pool = test_mkdtemp ();
  /* Below PoolDirs (the temporary folder) a caller may name only a
   * folder they can reach whose entries they cannot change: root's,
   * 0755. */
  g_assert_cmpint (chmod (f->pool, 0755), ==, 0);
  f->agent = vr_bus_harness_start_agent (harness, uri, f->state, NULL, NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  if (f->agent != NULL)
    vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  a = test_virsh (uri, "destroy vr-guest");
  b = test_virsh (uri, "undefine vr-guest --managed-save");
  test_rmtree (f->state);
  test_rmtree (f->pool);
  g_free (f->state);
  g_free (f->pool);
}

static char *
hostile_dir (const Construct *c, gboolean in_image)
{
  return hostile_import_dir ("basic", &c->edit, in_image);
}

/* D-Bus as root. */

static GVariant *
call (const char *path, const char *iface, const char *method,
      GVariant *params, const char *reply_type, GError **error)
{
  GVariant *reply = g_dbus_connection_call_sync (
      harness->bus, VR_DBUS_NAME, path, iface, method, params,
      reply_type ? G_VARIANT_TYPE (reply_type) : NULL,
      G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, NULL, error);

  vr_dbus_error_to_local (error);
  return reply;
}

/* Imported by root: root owns it (others need manage-others) and wrote
 * its XML (host access follows root's right). */
static char *
import_dir_root (const char *dir)
{
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  char *path = NULL;

  g_assert_cmpint (g_unix_fd_list_append (fds, fd, NULL), ==, 0);
  close (fd);
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      harness->bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
      "ImportSystemDefinition", g_variant_new ("(hsa{sv})", 0, "", NULL),
      G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, fds,
      NULL, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(o)", &path);
  return path;
}

static void
destroy (const char *system)
{
  g_autoptr (GError) error = NULL;
  GVariant *reply = call (system, VR_DBUS_PLANNED_IFACE, "Destroy", NULL, NULL,
                          &error);

  g_assert_no_error (error);
  g_variant_unref (reply);
}

static GVariant *
pool_options (Fixture *f)
{
  GVariantBuilder options;

  g_variant_builder_init (&options, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&options, "{sv}", "pool-dir",
                         g_variant_new_string (f->pool));
  return g_variant_builder_end (&options);
}

static guint
job_state_now (const char *job)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = call (
      job, "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", VR_DBUS_JOB_IFACE, "JobState"), "(v)", &error);
  g_autoptr (GVariant) value = NULL;

  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return g_variant_is_of_type (value, G_VARIANT_TYPE_UINT16)
             ? g_variant_get_uint16 (value)
             : g_variant_get_uint32 (value);
}

/* JobState once the job ended (7 or more), or as it is after
 * WAIT_SECONDS. */
static char *
job_state (const char *job)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  guint state = 0;

  while (g_get_monotonic_time () < deadline)
    {
      state = job_state_now (job);
      if (state >= 7)
        break;
      g_usleep (20 * 1000);
    }
  return g_strdup_printf ("%u", state);
}

/* As uid 65534. */

/* Imported by nobody, who then owns it and wrote its XML. */
static char *
import_dir (const char *dir)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *const argv[] = { exe, "--import-helper", dir, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  if (vr_bus_harness_run_as_nobody_out (harness, argv, &out, &err) != 0)
    g_error ("import of %s as nobody: %s", dir, err);
  return g_strdup (g_strstrip (out));
}

static int
gdbus_as_nobody (const char *path, const char *method, const char *arg,
                 char **out, char **err)
{
  /* A method without arguments gets none (arg NULL). */
  const char *const argv[] = { "gdbus",    "call",       "--system",
                               "--timeout", "300",       "--dest",
                               VR_DBUS_NAME, "--object-path", path,
                               "--method", method,       arg,
                               NULL };
  int status = vr_bus_harness_run_as_nobody_out (harness, argv, out, err);

  if (status != 0)
    g_test_message ("%s as nobody: %s", method, *err);
  return status;
}

static char *
realize_arg (Fixture *f)
{
  return g_strdup_printf ("{'pool-dir': <'%s'>}", f->pool);
}

/* One hostile call: refused with AccessDenied whose message names the
 * action and each needle, and nothing changed. */
static void
assert_refused (Fixture *f, const char *path, const char *method,
                const char *arg, const char *action, const char *needle)
{
  g_autofree char *before = test_snapshot_tree (f->state);
  g_autofree char *pool_before = test_snapshot_tree (f->pool);
  g_autofree char *after = NULL;
  g_autofree char *pool_after = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = gdbus_as_nobody (path, method, arg, &out, &err);

  g_test_message ("%s as nobody: %s", method, err);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (err, VR_DBUS_ERROR_PREFIX "AccessDenied"));
  if (action != NULL)
    g_assert_nonnull (strstr (err, action));
  if (needle != NULL)
    g_assert_nonnull (strstr (err, needle));
  after = test_snapshot_tree (f->state);
  pool_after = test_snapshot_tree (f->pool);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpstr (pool_before, ==, pool_after);
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  hostile_calls++;
}

static void
assert_nothing_defined (Fixture *f)
{
  g_autofree char *list = NULL;

  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  list = test_virsh (uri, "list --all --name");
  g_assert_null (strstr (list, "vr-guest"));
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
}

/* Each construct in domain.xml, then each only in the image's XML: the
 * realize of a caller without realize-host-access is refused with the
 * construct's finding ID; nothing is defined, nothing copied. */
static void
test_hostile_realize (Fixture *f, gconstpointer data)
{
  gboolean in_image = GPOINTER_TO_INT (data);
  g_autofree char *arg = realize_arg (f);

  for (guint i = 0; i < G_N_ELEMENTS (constructs); i++)
    {
      const Construct *c = &constructs[i];
      g_autofree char *dir = NULL;
      g_autofree char *system = NULL;
      g_autofree char *needle = NULL;

      if (in_image && !c->in_image)
        continue;
      g_test_message ("construct %s (%s)", c->name, c->id);
      dir = hostile_dir (c, in_image);
      system = import_dir (dir);
      needle = g_strdup_printf ("%s %s", c->id,
                                in_image ? "the save image's XML" : "<");
      assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Realize", arg,
                      "org.virtrealize.Realize1.realize-host-access", needle);
      destroy (system);
      test_rmtree (dir);
    }
  assert_nothing_defined (f);
}

/* A victim's files in libvirt's storage of the test root: root's, 0600,
 * owned as libvirt would own them. */
static char *
victim_file (const char *dir, const char *name, const char *content)
{
  g_autofree char *folder = g_build_filename (root, dir, NULL);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0711), ==, 0);
  test_write_file (folder, name, content, -1);
  return g_build_filename (folder, name, NULL);
}

static void
assert_victim (const char *path, const char *content)
{
  g_autofree char *now = NULL;
  struct stat st;

  g_assert_true (g_file_get_contents (path, &now, NULL, NULL));
  g_assert_cmpstr (now, ==, content);
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_uid, ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0600);
}

/* Nothing from the caller's folder is used in place (F1, F3): a carried
 * qcow2 whose header names another guest's NVRAM as its external data
 * file, with --copy-disks, and a serial log at a dangling link in the
 * import directory (QEMU would create its target as root) are refused
 * with their finding IDs; the victim keeps its content, owner and mode. */
static void
test_in_place (Fixture *f, gconstpointer data)
{
  static const HostileEdit rename_disk = { "/domain/name", NULL,
                                           "vr-guest-disk" };
  static const HostileEdit rename_basic = { "/domain/name", NULL,
                                            "vr-guest" };
  static const char content[] = "another guest's UEFI variables";
  g_autofree char *victim = victim_file ("lib/libvirt/qemu/nvram",
                                         "other_VARS.fd", content);
  g_autofree char *disk_dir = hostile_import_dir ("disk", &rename_disk,
                                                  FALSE);
  g_autofree char *image = g_build_filename (disk_dir, "disks",
                                             "disk0.qcow2", NULL);
  g_autofree char *data_opt = g_strdup_printf (
      "data_file=%s,data_file_raw=on", victim);
  const char *const make[] = { "qemu-img", "create", "-q", "-f", "qcow2",
                               "-o", data_opt, image, "1M", NULL };
  g_autofree char *copy_arg = g_strdup_printf (
      "{'pool-dir': <'%s'>, 'copy-disks': <true>}", f->pool);
  g_autofree char *serial_dir = hostile_import_dir ("basic", &rename_basic,
                                                    FALSE);
  g_autofree char *dangling = g_build_filename (serial_dir, "console.log",
                                                NULL);
  g_autofree char *made = g_build_filename (root, "vr-in-place-made", NULL);
  g_autofree char *fragment = g_strdup_printf (
      "<serial type='file'><source path='%s'/><target port='2'/></serial>",
      dangling);
  HostileEdit serial = { "/domain/devices", fragment, NULL };
  g_autofree char *xml_path = g_build_filename (serial_dir, "domain.xml",
                                                NULL);
  g_autofree char *text = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *arg = realize_arg (f);
  g_autofree char *system = NULL;
  g_auto (TestRun) run = { 0 };

  g_assert_cmpint (unlink (image), ==, 0);
  test_run (&run, make, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpint (chmod (image, 0644), ==, 0);
  g_clear_pointer (&victim, g_free);
  /* qemu-img wrote the data file; it is the victim's again. */
  victim = victim_file ("lib/libvirt/qemu/nvram", "other_VARS.fd", content);
  g_assert_cmpint (chmod (victim, 0600), ==, 0);
  system = import_dir (disk_dir);
  assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Realize", copy_arg,
                  "org.virtrealize.Realize1.realize-host-access",
                  "external data file");
  assert_victim (victim, content);
  destroy (system);
  g_clear_pointer (&system, g_free);

  g_assert_cmpint (symlink (made, dangling), ==, 0);
  g_assert_true (g_file_get_contents (xml_path, &text, NULL, NULL));
  edited = hostile_xml_edit (text, &serial);
  test_write_file (serial_dir, "domain.xml", edited, -1);
  system = import_dir (serial_dir);
  assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Realize", arg,
                  "org.virtrealize.Realize1.realize-host-access",
                  "used in place from your folder");
  g_assert_false (g_file_test (made, G_FILE_TEST_EXISTS));
  destroy (system);
  test_rmtree (disk_dir);
  test_rmtree (serial_dir);
  assert_nothing_defined (f);
}

/* The sixth review, F6: a block disk's relative <source dev> with a
 * decoy of that name in the import directory, realized with
 * --copy-disks: libvirt would resolve it against '/' and chown that host
 * file to libvirt-qemu. Refused with VR1804 naming realize-host-access;
 * the host file keeps its owner, mode and content; nothing defined. */
static void
test_relative_dev (Fixture *f, gconstpointer data)
{
  g_autofree char *target = g_strdup_printf ("/tmp/vr-f6-agent-%d",
                                             (int) getpid ());
  const char *relative = target + 1;
  g_autofree char *fragment = g_strdup_printf (
      "<disk type='block' device='disk'><driver name='qemu' type='raw'/>"
      "<source dev='%s'/><target dev='vdz' bus='virtio'/></disk>",
      relative);
  HostileEdit edit = { "/domain/devices", fragment, NULL };
  g_autofree char *dir = hostile_import_dir ("basic", &edit, FALSE);
  g_autofree char *decoy_dir = g_build_filename (dir, "tmp", NULL);
  g_autofree char *copy_arg = g_strdup_printf (
      "{'pool-dir': <'%s'>, 'copy-disks': <true>}", f->pool);
  g_autofree char *system = NULL;
  g_autofree char *content = NULL;
  struct stat before, after;

  g_assert_true (g_file_set_contents (target, "the host's", -1, NULL));
  g_assert_cmpint (chmod (target, 0600), ==, 0);
  g_assert_cmpint (stat (target, &before), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (decoy_dir, 0755), ==, 0);
  test_write_file (dir, relative, "decoy", -1);
  system = import_dir (dir);
  assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Realize", copy_arg,
                  "org.virtrealize.Realize1.realize-host-access",
                  "VR1804 <source dev='tmp/vr-f6-agent-");
  g_assert_cmpint (stat (target, &after), ==, 0);
  g_assert_cmpuint (after.st_uid, ==, before.st_uid);
  g_assert_cmpuint (after.st_gid, ==, before.st_gid);
  g_assert_cmpuint (after.st_mode, ==, before.st_mode);
  g_assert_true (g_file_get_contents (target, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "the host's");
  g_assert_cmpint (unlink (target), ==, 0);
  destroy (system);
  test_rmtree (dir);
  assert_nothing_defined (f);
}

/* Other guests' data (F2, F4): QEMU runs as one user for every guest, so
 * a caller who may realize must not name another guest's disk in the
 * default images directory, nor point a sound file, serial log or
 * NVRAM at another guest's variable store. Refused with VR1810 naming
 * realize-host-access; the victims keep their content, owner and mode. */
static void
test_other_guests (Fixture *f, gconstpointer data)
{
  g_autofree char *disk = victim_file ("lib/libvirt/images", "victim.img",
                                       "victim disk");
  g_autofree char *vars = victim_file ("lib/qemu/nvram", "victim_VARS.fd",
                                       "victim vars");
  g_autofree char *arg = realize_arg (f);
  g_autofree char *disk_xml = g_strdup_printf (
      "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
      "<source file='%s'/><target dev='vdx' bus='virtio'/></disk>", disk);
  g_autofree char *audio_xml = g_strdup_printf (
      "<audio id='2' type='file' path='%s'/>", vars);
  g_autofree char *serial_xml = g_strdup_printf (
      "<serial type='file'><source path='%s'/><target port='1'/></serial>",
      disk);
  g_autofree char *nvram_xml = test_xml_text_element ("nvram", vars);
  const HostileEdit edits[] = {
    { "/domain/devices", disk_xml, NULL },
    { "/domain/devices", audio_xml, NULL },
    { "/domain/devices", serial_xml, NULL },
    { "/domain/os", nvram_xml, NULL },
  };

  g_assert_cmpint (chmod (disk, 0600), ==, 0);
  g_assert_cmpint (chmod (vars, 0600), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      g_autofree char *dir = hostile_import_dir ("basic", &edits[i], FALSE);
      g_autofree char *system = import_dir (dir);

      g_test_message ("other guest's data: %s", edits[i].fragment);
      assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Realize", arg,
                      "org.virtrealize.Realize1.realize-host-access",
                      "VR1810");
      destroy (system);
      test_rmtree (dir);
    }
  assert_nothing_defined (f);
  assert_victim (disk, "victim disk");
  assert_victim (vars, "victim vars");
  unlink (disk);
  unlink (vars);
}

/* nobody's Update of system with xml (the agent's answer in *err). */
static int
update_as_nobody (const char *system, const char *xml, char **err)
{
  g_autoptr (GVariant) value = g_variant_ref_sink (g_variant_new_string (xml));
  g_autofree char *text = g_variant_print (value, FALSE);
  g_autofree char *out = NULL;
  const char *const argv[] = { "gdbus", "call", "--system", "--timeout",
                               "300", "--dest", VR_DBUS_NAME,
                               "--object-path", system, "--method",
                               VR_DBUS_PLANNED_IFACE ".Update", text,
                               "@a{sv} {}", NULL };

  return vr_bus_harness_run_as_nobody_out (harness, argv, &out, err);
}

static char *
hostile_xml_of (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "domain.xml", NULL);
  g_autofree char *xml = NULL;

  g_assert_true (g_file_get_contents (path, &xml, NULL, NULL));
  return hostile_xml_edit (xml, &qemu_env.edit);
}

/* The author (F5): an XML a user wrote never reaches the host because
 * root realizes it. nobody imports a clean system and updates it with a
 * qemu:commandline; root (who holds realize-host-access) validates it
 * with VR1801 as an error naming uid 65534 as its author, and root's
 * realize defines nothing. */
static void
test_author (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *const argv[] = { exe, "--import-helper", dir, NULL };
  g_autofree char *hostile = hostile_xml_of (dir);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *json = NULL;
  g_autofree char *job = NULL;
  g_autofree char *state = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) realize = NULL;
  g_autoptr (GError) error = NULL;
  guint32 errors = 0;
  guint32 code = 0;

  g_assert_cmpint (vr_bus_harness_run_as_nobody_out (harness, argv, &out,
                                                     &err),
                   ==, 0);
  g_strstrip (out);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (update_as_nobody (out, hostile, &err), ==, 0);
  reply = call (out, VR_DBUS_PLANNED_IFACE, "Validate",
                g_variant_new ("(a{sv})", NULL), "(us)", &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(us)", &errors, &json);
  g_test_message ("Validate as root: %s", json);
  g_assert_cmpuint (errors, >=, 1);
  g_assert_nonnull (strstr (json, "\"id\":\"VR1801\",\"severity\":\"error\""));
  g_assert_nonnull (strstr (json, "written by uid 65534"));
  realize = call (out, VR_DBUS_PLANNED_IFACE, "Realize",
                  g_variant_new_tuple ((GVariant *[]){ pool_options (f) }, 1),
                  "(uos)", &error);
  if (error == NULL)
    {
      g_variant_get (realize, "(uos)", &code, &job, NULL);
      state = job_state (job);
      g_test_message ("root's realize: job state %s", state);
      g_assert_cmpstr (state, !=, "7");
    }
  else
    g_test_message ("root's realize: %s", error->message);
  hostile_calls++;
  assert_nothing_defined (f);
  test_rmtree (dir);
}

/* Another user's planned system (F5): nobody may not Update, Realize or
 * Destroy what root imported without manage-others (which the test rule
 * does not give): AccessDenied naming it, nothing changed. */
static void
test_manage_others (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *system = import_dir_root (dir);
  g_autofree char *hostile = hostile_xml_of (dir);
  g_autofree char *arg = realize_arg (f);
  g_autofree char *before = test_snapshot_tree (f->state);
  g_autofree char *after = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (update_as_nobody (system, hostile, &err), !=, 0);
  g_test_message ("Update as nobody: %s", err);
  g_assert_nonnull (strstr (err, "org.virtrealize.Realize1.manage-others"));
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);
  hostile_calls++;
  assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Realize", arg,
                  "org.virtrealize.Realize1.manage-others", NULL);
  assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Destroy", NULL,
                  "org.virtrealize.Realize1.manage-others", NULL);
  destroy (system);
  assert_nothing_defined (f);
  test_rmtree (dir);
}

/* The owner check runs on the main loop from what the object keeps
 * (no record read there): root's system whose record on disk was made to
 * say nobody imported it is still root's to the check, so nobody's
 * Destroy needs manage-others. (Read from the disk, it would pass.) */
static void
test_owner_in_memory (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *system = import_dir_root (dir);
  g_autofree char *record = NULL;
  g_autofree char *text = NULL;
  g_autofree char *edited = NULL;
  g_autoptr (GRegex) owner = g_regex_new ("<owner uid=\"0\"", 0, 0, NULL);
  g_autoptr (GDir) systems = g_dir_open (f->state, 0, NULL);
  const char *entry;

  g_assert_nonnull (systems);
  while ((entry = g_dir_read_name (systems)) != NULL && record == NULL)
    {
      g_autofree char *path = g_build_filename (f->state, entry, "record.xml",
                                                NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        record = g_steal_pointer (&path);
    }
  g_assert_nonnull (record);
  g_assert_true (g_file_get_contents (record, &text, NULL, NULL));
  edited = g_regex_replace_literal (owner, text, -1, 0,
                                    "<owner uid=\"65534\"", 0, NULL);
  g_assert_cmpstr (edited, !=, text);
  g_assert_true (g_file_set_contents (record, edited, -1, NULL));
  assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Destroy", NULL,
                  "org.virtrealize.Realize1.manage-others", NULL);
  destroy (system);
  test_rmtree (dir);
}

/* Validate as that caller reports the construct as an error (what its
 * realize would meet); as root (who holds the right) as a warning. Each
 * validates a system of their own (another's needs manage-others,
 * /agent-trust/validate-others). */
static void
test_validate_severity (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = hostile_dir (&qemu_env, FALSE);
  g_autofree char *system = import_dir (dir);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *json = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  guint32 errors = 0;

  g_assert_cmpint (gdbus_as_nobody (system, VR_DBUS_PLANNED_IFACE ".Validate",
                                    "@a{sv} {}", &out, &err),
                   ==, 0);
  g_test_message ("Validate as nobody: %s", out);
  g_assert_true (g_str_has_prefix (out, "(uint32 "));
  g_assert_false (g_str_has_prefix (out, "(uint32 0,"));
  g_assert_nonnull (strstr (out, "\"id\":\"VR1801\",\"severity\":\"error\""));
  destroy (system);
  g_free (system);
  system = import_dir_root (dir);
  reply = call (system, VR_DBUS_PLANNED_IFACE, "Validate",
                g_variant_new ("(a{sv})", NULL), "(us)", &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(us)", &errors, &json);
  g_assert_cmpuint (errors, ==, 0);
  g_assert_nonnull (strstr (json, "VR1801"));
  destroy (system);
  test_rmtree (dir);
}

/* F14 of the blind review: a bridge agent.conf lists (Bridges=) is no
 * finding for nobody's Validate, any other is VR1813 (an error); the
 * refused realize is /agent-trust/hostile/planned's "bridge". */
static void
test_bridges (Fixture *f, gconstpointer data)
{
  static const HostileEdit listed = { "/domain/devices",
    "<interface type='bridge'><source bridge='" VR_BUS_HARNESS_BRIDGE "'/>"
    "<model type='virtio'/></interface>", NULL };
  static const HostileEdit unlisted = { "/domain/devices",
    "<interface type='bridge'><source bridge='vrtrustno0'/>"
    "<model type='virtio'/></interface>", NULL };
  const HostileEdit *edits[] = { &listed, &unlisted };

  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      g_autofree char *dir = hostile_import_dir ("basic", edits[i], FALSE);
      g_autofree char *system = import_dir (dir);
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autoptr (GVariant) reply = NULL;
      g_autoptr (GError) error = NULL;
      const char *json = NULL;

      g_assert_cmpint (gdbus_as_nobody (system,
                                        VR_DBUS_PLANNED_IFACE ".Validate",
                                        "@a{sv} {}", &out, &err),
                       ==, 0);
      g_test_message ("Validate as nobody: %s", out);
      reply = g_variant_parse (G_VARIANT_TYPE ("(us)"), out, NULL, NULL,
                               &error);
      g_assert_no_error (error);
      g_variant_get (reply, "(u&s)", NULL, &json);
      if (edits[i] == &listed)
        g_assert_null (strstr (json, "VR1813"));
      else
        g_assert_nonnull (strstr (json, "\"id\":\"VR1813\",\"severity\":"
                                        "\"error\""));
      destroy (system);
      test_rmtree (dir);
    }
}

/* L2 of the fourth attack review: which libvirt networks nobody's guest
 * may join, on a connection that has networks (the test driver, from a
 * node file: the agent reads each network's XML). virt-install's NAT
 * 'default' is no finding for nobody's Validate; a bridge-mode network on
 * a host bridge agent.conf does not list, a macvtap one and a name the
 * host does not have are VR1814 (errors). */
static void
test_networks (Fixture *f, gconstpointer data)
{
  static const char node[] =
    "<node>"
    "<network><name>default</name><bridge name='virbr0'/><forward/>"
    "<ip address='192.168.122.1' netmask='255.255.255.0'/></network>"
    "<network><name>vrhostbr</name><forward mode='bridge'/>"
    "<bridge name='vrtrustno0'/></network>"
    "<network><name>vrmacvtap</name><forward mode='private'>"
    "<interface dev='eth0'/></forward></network>"
    "</node>";
  static const char *const names[] = { "default", "vrhostbr", "vrmacvtap",
                                       "vrmissing" };
  g_autofree char *node_dir = test_mkdtemp ();
  g_autofree char *node_path = g_build_filename (node_dir, "node.xml", NULL);
  g_autofree char *test_uri = g_strdup_printf ("test://%s", node_path);

  test_write_file (node_dir, "node.xml", node, -1);
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  f->agent = vr_bus_harness_start_agent (harness, test_uri, f->state, NULL,
                                         NULL);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *iface = g_strdup_printf (
          "<interface type='network'><source network='%s'/>"
          "<model type='virtio'/></interface>", names[i]);
      HostileEdit edit = { "/domain/devices", iface, NULL };
      g_autofree char *dir = hostile_import_dir ("basic", &edit, FALSE);
      g_autofree char *system = import_dir (dir);
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autoptr (GVariant) reply = NULL;
      g_autoptr (GError) error = NULL;
      const char *json = NULL;

      g_assert_cmpint (gdbus_as_nobody (system,
                                        VR_DBUS_PLANNED_IFACE ".Validate",
                                        "@a{sv} {}", &out, &err),
                       ==, 0);
      g_test_message ("Validate as nobody, network %s: %s", names[i], out);
      reply = g_variant_parse (G_VARIANT_TYPE ("(us)"), out, NULL, NULL,
                               &error);
      g_assert_no_error (error);
      g_variant_get (reply, "(u&s)", NULL, &json);
      if (i == 0)
        g_assert_null (strstr (json, "VR1814"));
      else
        g_assert_nonnull (strstr (json, "\"id\":\"VR1814\",\"severity\":"
                                        "\"error\""));
      destroy (system);
      test_rmtree (dir);
    }
  test_rmtree (node_dir);
}

/* Root holds realize-host-access (50-virt-realize.rules): the same kind
 * of planned system is realized, from domain.xml and from the image. */
static void
test_admin_realizes (Fixture *f, gconstpointer data)
{
  gboolean in_image = GPOINTER_TO_INT (data);
  g_autofree char *dir = hostile_dir (&qemu_env, in_image);
  g_autofree char *system = import_dir_root (dir);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *job = NULL;
  g_autofree char *state = NULL;
  g_autofree char *list = NULL;
  guint32 code;

  reply = call (system, VR_DBUS_PLANNED_IFACE, "Realize",
                g_variant_new_tuple ((GVariant *[]){ pool_options (f) }, 1),
                "(uos)", &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(uos)", &code, &job, NULL);
  g_assert_cmpuint (code, ==, VR_ERROR_JOB_STARTED);
  state = job_state (job);
  g_assert_cmpstr (state, ==, "7");
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  list = test_virsh (uri, "list --all --name");
  g_assert_nonnull (strstr (list, "vr-guest"));
  test_rmtree (dir);
}

/* Secrets: GetDomainXML under "list" blanks the graphics password, with
 * secrets=true it needs read-secrets; gdbus monitor as nobody during
 * import, validate and realize sees no password; GetManagedObjects as
 * nobody carries no XML. An Update over 4 MiB is refused. */
static void
test_secrets (Fixture *f, gconstpointer data)
{
  static const Construct vnc = {
    "vnc-password", NULL, { "/domain/devices",
    "<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1' "
    "passwd='" SECRET "'><listen type='address' address='127.0.0.1'/>"
    "</graphics>", NULL }, FALSE
  };
  const char *const monitor_argv[] = { "gdbus", "monitor", "--system",
                                       "--dest", VR_DBUS_NAME, NULL };
  g_autoptr (GSubprocess) monitor = vr_bus_harness_spawn_as_nobody (
      harness, monitor_argv);
  g_autofree char *dir = NULL;
  g_autofree char *system = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *seen = NULL;
  g_autofree char *arg = realize_arg (f);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) big = NULL;
  const char *xml;

  g_usleep (300 * 1000); /* the monitor subscribes */
  dir = hostile_dir (&vnc, FALSE);
  system = import_dir_root (dir);
  g_assert_cmpint (gdbus_as_nobody (system,
                                    VR_DBUS_PLANNED_IFACE ".GetDomainXML",
                                    "@a{sv} {}", &out, &err),
                   ==, 0);
  g_assert_nonnull (strstr (out, "vr-guest"));
  g_assert_nonnull (strstr (out, "graphics"));
  g_assert_null (strstr (out, SECRET));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *const argv[] = { g_getenv ("VR_CLI"), "--system", "show",
                                 "vr-guest", "--xml", NULL };

    g_assert_cmpint (vr_bus_harness_run_as_nobody_out (harness, argv, &out,
                                                       &err),
                     ==, 0);
    g_assert_nonnull (strstr (out, "<graphics"));
    g_assert_null (strstr (out, SECRET));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".GetDomainXML",
                  "{'secrets': <true>}",
                  "org.virtrealize.Realize1.read-secrets", NULL);
  reply = call (system, VR_DBUS_PLANNED_IFACE, "GetDomainXML",
                g_variant_new_parsed ("({'secrets': <true>},)"), "(s)",
                &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &xml);
  g_assert_nonnull (strstr (xml, SECRET));
  g_clear_pointer (&reply, g_variant_unref);

  {
    const char *const argv[] = {
      "gdbus", "call", "--system", "--dest", VR_DBUS_NAME, "--object-path",
      VR_DBUS_ROOT, "--method",
      "org.freedesktop.DBus.ObjectManager.GetManagedObjects", NULL
    };

    g_assert_cmpint (vr_bus_harness_run_as_nobody_out (harness, argv, &out,
                                                       &err),
                     ==, 0);
    g_assert_nonnull (strstr (out, "vr-guest"));
    g_assert_null (strstr (out, SECRET));
    g_assert_null (strstr (out, "<domain"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  /* The realize may or may not fit; what the bus shows is the point. */
  reply = call (system, VR_DBUS_PLANNED_IFACE, "Validate",
                g_variant_new ("(a{sv})", NULL), "(us)", &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (system, VR_DBUS_PLANNED_IFACE, "Realize",
                g_variant_new_tuple ((GVariant *[]){ pool_options (f) }, 1),
                "(uos)", &error);
  g_clear_error (&error);
  if (reply != NULL)
    {
      g_autofree char *job = NULL;
      g_autofree char *state = NULL;

      g_variant_get (reply, "(uos)", NULL, &job, NULL);
      if (g_str_has_prefix (job, "/org"))
        state = job_state (job);
    }

  big = g_string_new ("<domain>");
  while (big->len <= 4 * 1024 * 1024)
    g_string_append (big, "<!-- padding padding padding padding -->");
  g_string_append (big, "</domain>");
  reply = call (system, VR_DBUS_PLANNED_IFACE, "Update",
                g_variant_new ("(s@a{sv})", big->str,
                               g_variant_new_array (G_VARIANT_TYPE ("{sv}"),
                                                    NULL, 0)),
                NULL, &error);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "larger than", NULL);
  hostile_calls++;
  g_clear_error (&error);

  g_subprocess_send_signal (monitor, SIGTERM);
  g_assert_true (g_subprocess_communicate_utf8 (monitor, NULL, NULL, &seen,
                                                NULL, &error));
  g_test_message ("monitor as nobody saw %zu bytes", strlen (seen));
  g_assert_nonnull (strstr (seen, "InterfacesAdded"));
  g_assert_null (strstr (seen, SECRET));
  test_rmtree (dir);
  (void) arg;
}

/* The CLI as nobody: list works (polkit allows it and the objects are
 * readable); realize of a hostile system fails with 32769 naming the
 * action and the finding. */
static void
test_cli_as_nobody (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = hostile_dir (&constructs[0], FALSE);
  g_autofree char *system = import_dir (dir);
  const char *cli = g_getenv ("VR_CLI");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *before = test_snapshot_tree (f->state);
  g_autofree char *after = NULL;

  {
    const char *const argv[] = { cli, "--system", "list", NULL };

    g_assert_cmpint (vr_bus_harness_run_as_nobody_out (harness, argv, &out,
                                                       &err),
                     ==, 0);
    g_test_message ("list as nobody: %s%s", out, err);
    g_assert_nonnull (strstr (out, "vr-guest"));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *const argv[] = { cli, "--system", "show", "vr-guest", NULL };

    g_assert_cmpint (vr_bus_harness_run_as_nobody_out (harness, argv, &out,
                                                       &err),
                     ==, 0);
    g_test_message ("show as nobody: %s%s", out, err);
    g_assert_nonnull (strstr (out, "vr-guest"));
    g_assert_nonnull (strstr (out, "Memory:"));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *const argv[] = { cli, "--system", "realize", "vr-guest",
                                 "--pool-dir", f->pool, NULL };

    g_assert_cmpint (vr_bus_harness_run_as_nobody_out (harness, argv, &out,
                                                       &err),
                     ==, 1);
    g_test_message ("realize as nobody: %s%s", out, err);
    g_assert_nonnull (strstr (err, "32769"));
    g_assert_nonnull (strstr (err, "realize-host-access"));
    g_assert_nonnull (strstr (err, "VR1801"));
    hostile_calls++;
  }
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  destroy (system);
  test_rmtree (dir);
}

/* auth.no_user_interaction: polkit may not ask, so what needs a password
 * is denied at once (here: realize-host-access for nobody). */
static void
test_no_user_interaction (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = hostile_dir (&constructs[3], FALSE);
  g_autofree char *system = import_dir (dir);
  g_autofree char *arg = g_strdup_printf (
      "{'pool-dir': <'%s'>, 'auth.no_user_interaction': <true>}", f->pool);

  assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Realize", arg,
                  "realize-host-access", "VR1802");
  destroy (system);
  test_rmtree (dir);
  g_test_message ("hostile calls so far: %u", hostile_calls);
}

/* This program as a client of uid 65534 (see main): imports the folder
 * it may read, handing over a descriptor opened for reading. */
static int
import_helper (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL,
                                                    &error);
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GVariant) reply = NULL;
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (bus == NULL || fd < 0 || g_unix_fd_list_append (fds, fd, NULL) != 0)
    return 4;
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
      "ImportSystemDefinition", g_variant_new ("(hsa{sv})", 0, "", NULL),
      G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, -1, fds, NULL, NULL,
      &error);
  if (reply != NULL)
    {
      const char *path = NULL;

      g_variant_get (reply, "(&o)", &path);
      printf ("%s\n", path);
      return 0;
    }
  fprintf (stderr, "%s\n", error->message);
  return 1;
}

/* A Job's property as whoever runs this; NULL when it has gone. */
static GVariant *
job_property (GDBusConnection *bus, const char *path, const char *name)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      bus, VR_DBUS_NAME, path, "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", VR_DBUS_JOB_IFACE, name), G_VARIANT_TYPE ("(v)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  GVariant *value = NULL;

  if (reply != NULL)
    g_variant_get (reply, "(v)", &value);
  return value;
}

/* This program as a client of uid 65534: count ImportSystemDefinitionAsJob
 * calls of dir named name, each waited for to end when wait is "1" (its
 * JobState 7 or more); the first refusal on stderr, exit 1. */
static int
job_helper (const char *dir, const char *name, const char *count,
            const char *wait)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL,
                                                    &error);
  guint n = (guint) g_ascii_strtoull (count, NULL, 10);

  if (bus == NULL)
    return 4;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
      g_autoptr (GVariant) reply = NULL;
      const char *path = NULL;
      int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      gint64 deadline = g_get_monotonic_time ()
                        + WAIT_SECONDS * G_USEC_PER_SEC;

      if (fd < 0 || g_unix_fd_list_append (fds, fd, NULL) != 0)
        return 4;
      close (fd);
      reply = g_dbus_connection_call_with_unix_fd_list_sync (
          bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
          "ImportSystemDefinitionAsJob",
          g_variant_new ("(hsa{sv})", 0, name, NULL), G_VARIANT_TYPE ("(o)"),
          G_DBUS_CALL_FLAGS_NONE, -1, fds, NULL, NULL, &error);
      if (reply == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      g_variant_get (reply, "(&o)", &path);
      while (g_str_equal (wait, "1")
             && g_get_monotonic_time () < deadline)
        {
          g_autoptr (GVariant) state = job_property (bus, path, "JobState");

          if (state == NULL || g_variant_get_uint32 (state) >= 7)
            break;
          g_usleep (20 * 1000);
        }
    }
  return 0;
}

/* The jobs of type (NULL: any) uid 65534 has on the bus (GetJobs as
 * root); their paths in *paths when not NULL. */
static guint
nobody_jobs (const char *job_type, GPtrArray *paths)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = call (VR_DBUS_MANAGER_PATH,
                                     VR_DBUS_MANAGER_IFACE, "GetJobs", NULL,
                                     "(ao)", &error);
  g_autoptr (GVariantIter) iter = NULL;
  const char *path;
  guint count = 0;

  g_assert_no_error (error);
  g_variant_get (reply, "(ao)", &iter);
  while (g_variant_iter_next (iter, "&o", &path))
    {
      g_autoptr (GVariant) type = job_property (harness->bus, path,
                                                "JobType");
      g_autoptr (GVariant) uid = job_property (harness->bus, path,
                                               "StartedByUID");

      if (type != NULL && uid != NULL
          && (job_type == NULL
              || g_str_equal (g_variant_get_string (type, NULL), job_type))
          && g_variant_get_uint32 (uid) == 65534)
        {
          count++;
          if (paths != NULL)
            g_ptr_array_add (paths, g_strdup (path));
        }
    }
  return count;
}

static guint
nobody_import_jobs (void)
{
  return nobody_jobs ("import", NULL);
}

/* This program as a client of uid 65534: Realize of system into the
 * folder pool, the import directory dir handed over as a descriptor
 * (option import-dir); the job's path on stdout. */
static int
realize_helper (const char *system, const char *dir, const char *pool)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL,
                                                    &error);
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GVariant) reply = NULL;
  GVariantBuilder options;
  const char *job = NULL;
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (bus == NULL || fd < 0 || g_unix_fd_list_append (fds, fd, NULL) != 0)
    return 4;
  close (fd);
  g_variant_builder_init (&options, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&options, "{sv}", "pool-dir",
                         g_variant_new_string (pool));
  g_variant_builder_add (&options, "{sv}", "import-dir",
                         g_variant_new_handle (0));
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      bus, VR_DBUS_NAME, system, VR_DBUS_PLANNED_IFACE, "Realize",
      g_variant_new ("(a{sv})", &options), G_VARIANT_TYPE ("(uos)"),
      G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, fds, NULL, NULL, &error);
  if (reply == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  g_variant_get (reply, "(u&o&s)", NULL, &job, NULL);
  printf ("%s\n", job);
  return 0;
}

static void
on_queued_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  guint *replies = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_with_unix_fd_list_finish (
      G_DBUS_CONNECTION (source), NULL, result, &error);

  (*replies)++;
  printf ("%s\n", reply != NULL ? "imported" : error->message);
  fflush (stdout);
}

/* This program as a client of uid 65534: count ImportSystemDefinition
 * calls of dir at once on one connection, never timing out; each answer
 * (the error's message, or "imported") a line on stdout, then "ready"
 * once expected answers came (or after 20 s); then it waits to be
 * killed, its connection (and its waiting calls) open. */
static int
queue_helper (const char *dir, const char *count, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL,
                                                    &error);
  guint n = (guint) g_ascii_strtoull (count, NULL, 10);
  guint m = (guint) g_ascii_strtoull (expected, NULL, 10);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  guint replies = 0;

  if (bus == NULL)
    return 4;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
      int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

      if (fd < 0 || g_unix_fd_list_append (fds, fd, NULL) != 0)
        return 4;
      close (fd);
      g_dbus_connection_call_with_unix_fd_list (
          bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
          "ImportSystemDefinition", g_variant_new ("(hsa{sv})", 0, "", NULL),
          G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, G_MAXINT, fds,
          NULL, on_queued_reply, &replies);
    }
  while (replies < m && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (10 * 1000);
  printf ("ready\n");
  fflush (stdout);
  for (;;)
    g_main_context_iteration (NULL, TRUE);
  return 0;
}

static char *start_limited_agent (Fixture *f, const char *limits,
                                  const char *const *env);

/* Twelfth review F5: the name of an import as a job went on a public Job
 * as it came, and a newline in it forged a row in every user's
 * `virt-realize jobs`: refused (32773 naming the option), no job made.
 * F4: every ImportSystemDefinitionAsJob made a Job kept five minutes,
 * without limit: with MaxImportJobsPerUser=2, five of nobody's (each
 * failing, waited for) leave two, the oldest dropped; two at once leave
 * at most two, a refusal naming the key. */
static void
test_import_jobs (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *const forged[] = {
    exe, "--job-helper", dir,
    "x\n 9999  realize  payroll-db  completed  100%", "1", "1", NULL };
  const char *const flood[] = { exe, "--job-helper", dir, "flood", "5", "1",
                                NULL };
  const char *const burst[] = { exe, "--job-helper", dir, "burst", "3", "0",
                                NULL };
  g_autofree char *conf_dir = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (chmod (dir, 0755), ==, 0);
  conf_dir = start_limited_agent (f, "MaxImportJobsPerUser=2\n", NULL);
  before = test_snapshot_tree (f->state);
  g_assert_cmpint (vr_bus_harness_run_as_nobody (harness, forged, &err), ==,
                   1);
  g_test_message ("import as a job with a newline in its name: %s", err);
  g_assert_nonnull (strstr (err, "InvalidParameter"));
  g_assert_nonnull (strstr (err, "name: not a valid domain name"));
  g_assert_cmpuint (nobody_import_jobs (), ==, 0);
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);
  hostile_calls++;

  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vr_bus_harness_run_as_nobody (harness, flood, &err), ==,
                   0);
  g_assert_cmpuint (nobody_import_jobs (), ==, 2);
  hostile_calls++;
  g_clear_pointer (&err, g_free);
  if (vr_bus_harness_run_as_nobody (harness, burst, &err) != 0)
    {
      g_test_message ("three imports as jobs at once: %s", err);
      g_assert_nonnull (strstr (err, "MaxImportJobsPerUser=2"));
      g_assert_nonnull (strstr (err, "InUse"));
    }
  /* Refused or not, depending on whether the two before it ended: not
   * counted as a refused call. */
  g_assert_cmpuint (nobody_import_jobs (), <=, 2);
  g_clear_pointer (&after, g_free);
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);
  test_rmtree (dir);
  test_rmtree (conf_dir);
}

/* A world-readable folder whose save image (or disk) is root's, 0600:
 * the descriptor proves only the folder; import as nobody is refused
 * with 32769 naming the file, and nothing is registered. The same
 * folder readable throughout imports. */
static void
test_import_unreadable (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *save = g_build_filename (dir, "vr-guest.save", NULL);
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *const argv[] = { exe, "--import-helper", dir, NULL };
  g_autofree char *before = test_snapshot_tree (f->state);
  g_autofree char *after = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (chmod (save, 0600), ==, 0);
  g_assert_cmpint (vr_bus_harness_run_as_nobody (harness, argv, &err), ==,
                   1);
  g_test_message ("import as nobody: %s", err);
  g_assert_nonnull (strstr (err, "AccessDenied"));
  g_assert_nonnull (strstr (err, "vr-guest.save"));
  g_assert_nonnull (strstr (err, "uid 65534"));
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);
  hostile_calls++;
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (chmod (save, 0644), ==, 0);
  g_assert_cmpint (vr_bus_harness_run_as_nobody (harness, argv, &err), ==,
                   0);
  test_rmtree (dir);
}

/* Nothing is parsed before the caller's rights are known (F6): a
 * world-readable folder of root's whose domain.xml (naming a secret) and
 * save image are 0600. Import as nobody is AccessDenied and its answer
 * carries nothing read from the files. */
static void
test_import_before_parse (Fixture *f, gconstpointer data)
{
  static const HostileEdit secret = { "/domain/name", NULL,
                                      "TOPSECRET-NAME" };
  g_autofree char *dir = hostile_import_dir ("basic", &secret, FALSE);
  g_autofree char *save = g_build_filename (dir, "vr-guest.save", NULL);
  g_autofree char *xml = g_build_filename (dir, "domain.xml", NULL);
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *const argv[] = { exe, "--import-helper", dir, NULL };
  g_autofree char *before = test_snapshot_tree (f->state);
  g_autofree char *after = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (chmod (save, 0600), ==, 0);
  g_assert_cmpint (chmod (xml, 0600), ==, 0);
  g_assert_cmpint (vr_bus_harness_run_as_nobody (harness, argv, &err), ==,
                   1);
  g_test_message ("import as nobody: %s", err);
  g_assert_nonnull (strstr (err, "AccessDenied"));
  g_assert_null (strstr (err, "TOPSECRET"));
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);
  hostile_calls++;
  test_rmtree (dir);
}

/* pool-dir through the agent: only a libvirt directory pool or what
 * agent.conf allows (the harness allows the temporary folder), reached
 * without symbolic links. Refused as nobody: /etc, a symlink to an
 * allowed folder, a path that climbs out with "..". Then the CLI as
 * nobody realizes the same (clean) system into an allowed folder. */
static void
test_pool_dir (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *system = import_dir (dir);
  g_autofree char *link = g_strconcat (f->pool, ".link", NULL);
  g_autofree char *climb = g_build_filename (f->pool, "..", "..", "etc",
                                             NULL);
  const char *const bad[] = { "/etc", link, climb };
  const char *cli = g_getenv ("VR_CLI");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *list = NULL;

  g_assert_cmpint (symlink (f->pool, link), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *arg = g_strdup_printf ("{'pool-dir': <'%s'>}",
                                              bad[i]);

      assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Realize", arg,
                      "pool-dir", NULL);
    }
  unlink (link);
  {
    const char *const argv[] = { cli, "--system", "realize", "vr-guest",
                                 "--pool-dir", f->pool, NULL };

    g_assert_cmpint (vr_bus_harness_run_as_nobody_out (harness, argv, &out,
                                                       &err),
                     ==, 0);
    g_test_message ("realize as nobody: %s%s", out, err);
  }
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  list = test_virsh (uri, "list --all --name");
  g_assert_nonnull (strstr (list, "vr-guest"));
  test_rmtree (dir);
}

/* An import directory outside the folders agent.conf trusts (the harness
 * trusts the temporary folder): a realize or validate without the
 * caller's descriptor is refused; the CLI passes one, and its files are
 * checked again against the caller (a save image made root's 0600 after
 * the import is refused to validate and realize); readable again, the
 * CLI as nobody realizes it. */
static void
test_import_fd (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *tmp = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *outside = g_strdup ("/var/tmp/vr-trust-XXXXXX");
  g_autofree char *dir = NULL;
  g_autofree char *save = NULL;
  g_autofree char *system = NULL;
  g_autofree char *arg = realize_arg (f);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  const char *cli = g_getenv ("VR_CLI");
  const char *const argv[] = { cli, "--system", "realize", "vr-guest",
                               "--pool-dir", f->pool, NULL };
  int status = -1;

  g_assert_nonnull (g_mkdtemp (outside));
  g_assert_cmpint (chmod (outside, 0755), ==, 0);
  dir = g_build_filename (outside, "import", NULL);
  {
    const char *const cp[] = { "cp", "-a", tmp, dir, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) cp, NULL,
                                 G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                                 &status, NULL));
    g_assert_cmpint (status, ==, 0);
  }
  save = g_build_filename (dir, "vr-guest.save", NULL);
  system = import_dir (dir);
  assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Realize", arg,
                  "TrustedImportDirs", "import-dir");
  assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Validate", "@a{sv} {}",
                  "TrustedImportDirs", "import-dir");
  {
    const char *const validate[] = { cli, "--system", "validate", "vr-guest",
                                     NULL };

    g_assert_cmpint (vr_bus_harness_run_as_nobody_out (harness, validate,
                                                       &out, &err),
                     ==, 0);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (chmod (save, 0600), ==, 0);
    g_assert_cmpint (vr_bus_harness_run_as_nobody_out (harness, validate,
                                                       &out, &err),
                     ==, 1);
    g_test_message ("validate as nobody of a 0600 image: %s", err);
    g_assert_nonnull (strstr (err, "32769"));
    g_assert_nonnull (strstr (err, "vr-guest.save"));
    hostile_calls++;
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  before = test_snapshot_tree (f->state);
  g_assert_cmpint (vr_bus_harness_run_as_nobody_out (harness, argv, &out,
                                                     &err),
                   ==, 1);
  g_test_message ("realize as nobody of a 0600 image: %s", err);
  g_assert_nonnull (strstr (err, "32769"));
  g_assert_nonnull (strstr (err, "vr-guest.save"));
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  hostile_calls++;
  g_assert_cmpint (chmod (save, 0644), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (vr_bus_harness_run_as_nobody_out (harness, argv, &out,
                                                     &err),
                   ==, 0);
  test_rmtree (outside);
  test_rmtree (tmp);
}

/* Realize as root with the import directory handed over as the
 * descriptor of dir; the job's state ("7" completed). */
static char *
realize_with_dir_fd (Fixture *f, const char *system, const char *dir)
{
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *job = NULL;
  GVariantBuilder options;
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  guint32 code;

  g_assert_cmpint (g_unix_fd_list_append (fds, fd, NULL), ==, 0);
  close (fd);
  g_variant_builder_init (&options, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&options, "{sv}", "pool-dir",
                         g_variant_new_string (f->pool));
  g_variant_builder_add (&options, "{sv}", "import-dir",
                         g_variant_new_handle (0));
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      harness->bus, VR_DBUS_NAME, system, VR_DBUS_PLANNED_IFACE, "Realize",
      g_variant_new ("(a{sv})", &options), G_VARIANT_TYPE ("(uos)"),
      G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, fds, NULL, NULL, &error);
  vr_dbus_error_to_local (&error);
  g_assert_no_error (error);
  g_variant_get (reply, "(uos)", &code, &job, NULL);
  g_assert_cmpuint (code, ==, VR_ERROR_JOB_STARTED);
  return job_state (job);
}

/* The realize job reads the import directory from the descriptor the
 * caller handed over, never again by its recorded path: nobody's folder
 * (outside TrustedImportDirs) moved after the import, with nothing left
 * at the old path, realizes from the descriptor of where it is now. (By
 * path the job would find no folder there, or whatever was put there.) */
static void
test_import_fd_moved (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *tmp = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *outside = g_strdup ("/var/tmp/vr-trust-XXXXXX");
  g_autofree char *dir = NULL;
  g_autofree char *moved = NULL;
  g_autofree char *system = NULL;
  g_autofree char *state = NULL;
  g_autofree char *list = NULL;
  int status = -1;

  g_assert_nonnull (g_mkdtemp (outside));
  g_assert_cmpint (chmod (outside, 0755), ==, 0);
  dir = g_build_filename (outside, "import", NULL);
  moved = g_build_filename (outside, "moved", NULL);
  {
    const char *const cp[] = { "cp", "-a", tmp, dir, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) cp, NULL,
                                 G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                                 &status, NULL));
    g_assert_cmpint (status, ==, 0);
  }
  system = import_dir (dir);
  g_assert_cmpint (rename (dir, moved), ==, 0);
  state = realize_with_dir_fd (f, system, moved);
  g_assert_cmpstr (state, ==, "7");
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  list = test_virsh (uri, "list --all --name");
  g_assert_nonnull (strstr (list, "vr-guest"));
  test_rmtree (outside);
  test_rmtree (tmp);
}

typedef struct {
  const char *reached; /* written by the agent once held at "validate" */
  const char *pause;   /* the agent holds while this exists */
  const char *save;
} Flip;

static gpointer
flip_when_paused (gpointer data)
{
  Flip *flip = data;
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (!g_file_test (flip->reached, G_FILE_TEST_EXISTS)
         && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_assert_cmpint (chmod (flip->save, 0600), ==, 0);
  unlink (flip->pause);
  return NULL;
}

/* The job checks the caller's rights again on the descriptor it reads:
 * nobody's realize (the CLI hands the folder over) is held after the
 * agent's check, the save image made root's 0600 meanwhile; the job is
 * refused (32769 naming the image), nothing made. Without that check
 * the root job would read the image for them. */
static void
test_import_fd_changed (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *tmp = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *outside = g_strdup ("/var/tmp/vr-trust-XXXXXX");
  g_autofree char *ctl = test_mkdtemp ();
  g_autofree char *pause = g_build_filename (ctl, "pause", NULL);
  g_autofree char *reached = g_build_filename (ctl, "reached", NULL);
  g_autofree char *env_pause = g_strconcat ("VR_TEST_PAUSE_FILE=", pause,
                                            NULL);
  g_autofree char *env_reached = g_strconcat ("VR_TEST_PAUSE_REACHED=",
                                              reached, NULL);
  const char *const envv[] = { "VR_TEST_PAUSE_AT=validate", env_pause,
                               env_reached, NULL };
  g_autofree char *dir = NULL;
  g_autofree char *save = NULL;
  g_autofree char *system = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *list = NULL;
  const char *cli = g_getenv ("VR_CLI");
  const char *const argv[] = { cli, "--system", "realize", "vr-guest",
                               "--pool-dir", f->pool, NULL };
  Flip flip = { reached, pause, NULL };
  GThread *thread;
  int status = -1;

  g_assert_nonnull (g_mkdtemp (outside));
  g_assert_cmpint (chmod (outside, 0755), ==, 0);
  dir = g_build_filename (outside, "import", NULL);
  {
    const char *const cp[] = { "cp", "-a", tmp, dir, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) cp, NULL,
                                 G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                                 &status, NULL));
    g_assert_cmpint (status, ==, 0);
  }
  save = g_build_filename (dir, "vr-guest.save", NULL);
  flip.save = save;
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  f->agent = vr_bus_harness_start_agent (harness, uri, f->state, envv, NULL);
  system = import_dir (dir);
  test_write_file (ctl, "pause", "", -1);
  thread = g_thread_new ("flip", flip_when_paused, &flip);
  status = vr_bus_harness_run_as_nobody_out (harness, argv, &out, &err);
  g_thread_join (thread);
  g_test_message ("realize as nobody, image made 0600 under it: %s%s", out,
                  err);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "32769"));
  g_assert_nonnull (strstr (err, "vr-guest.save"));
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  hostile_calls++;
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  list = test_virsh (uri, "list --all --name");
  g_assert_null (strstr (list, "vr-guest"));
  test_rmtree (outside);
  test_rmtree (ctl);
  test_rmtree (tmp);
}

typedef struct {
  gint64 done_us;
  GError *error;
} Pending;

static void
on_imported (GObject *source, GAsyncResult *result, gpointer data)
{
  Pending *pending = data;
  GVariant *reply = g_dbus_connection_call_with_unix_fd_list_finish (
      G_DBUS_CONNECTION (source), NULL, result, &pending->error);

  pending->done_us = g_get_monotonic_time ();
  g_clear_pointer (&reply, g_variant_unref);
}

/* MaxImports=1: an import whose manifest takes a while to hash holds the
 * one worker; a small import asked for after it waits for it. (With the
 * default 2 it would not wait.) */
static void
test_import_limit (Fixture *f, gconstpointer data)
{
  g_autofree char *big = vr_testbed_large_import (256);
  g_autofree char *second = vr_testbed_require ("second");
  g_autofree char *conf_dir = test_mkdtemp ();
  g_autofree char *conf = g_build_filename (conf_dir, "agent.conf", NULL);
  g_autofree char *text = g_strdup_printf (
      "[Agent]\nMaxImports=1\nTrustedImportDirs=%s;%s;\n",
      g_get_tmp_dir (), vr_testbed_dir ());
  const char *const args[] = { "--config", conf, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autofree char *manifest = NULL;
  g_autofree char *small = NULL;
  Pending pending = { 0 };
  gint64 started;
  gint64 small_us;
  int fd = open (big, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  manifest = vr_manifest_build (fd, big, NULL, NULL, &error);
  g_assert_no_error (error);
  test_write_file (big, "manifest.xml", manifest, -1);
  test_write_file (conf_dir, "agent.conf", text, -1);
  g_assert_cmpint (chmod (conf_dir, 0755), ==, 0);
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  f->agent = vr_bus_harness_start_agent (harness, uri, f->state, NULL, args);
  g_assert_cmpint (g_unix_fd_list_append (fds, fd, NULL), ==, 0);
  close (fd);
  started = g_get_monotonic_time ();
  g_dbus_connection_call_with_unix_fd_list (
      harness->bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
      "ImportSystemDefinition", g_variant_new ("(hsa{sv})", 0, "", NULL),
      G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000,
      fds, NULL, on_imported, &pending);
  g_usleep (100 * 1000); /* the first takes the worker */
  small = import_dir_root (second);
  small_us = g_get_monotonic_time ();
  while (pending.done_us == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (pending.error);
  g_test_message ("big import %.0f ms, small one answered at %.0f ms",
                  (pending.done_us - started) / 1e3,
                  (small_us - started) / 1e3);
  /* Replies are read in order, so the big one's callback runs after the
   * small call returns: compare how long each took. Alone the small one
   * takes milliseconds. */
  g_assert_cmpint (small_us - started, >=,
                   (pending.done_us - started) * 9 / 10);
  g_assert_cmpint (pending.done_us - started, >, 200 * 1000);
  test_rmtree (big);
  test_rmtree (conf_dir);
}

/* An import whose caller leaves the bus, or that runs when the agent
 * stops, stops hashing its manifest (between buffers) and keeps
 * nothing: with MaxImports=1 and the hashing
 * held (VR_TEST_STALL_AT=verify, which waits until cancelled), a caller
 * that starts an import and closes its connection frees the one worker;
 * another import (no manifest) is then answered, and the store holds that
 * one system only. Without the cancel the held import would keep the
 * worker and the second call would time out. */
static void
test_import_caller_gone (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *held = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *other = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *other_manifest = g_build_filename (other, "manifest.xml",
                                                      NULL);
  g_autofree char *conf_dir = test_mkdtemp ();
  g_autofree char *conf = g_build_filename (conf_dir, "agent.conf", NULL);
  g_autofree char *text = g_strdup_printf (
      "[Agent]\nMaxImports=1\nTrustedImportDirs=%s;\n", g_get_tmp_dir ());
  const char *const args[] = { "--config", conf, NULL };
  g_autofree char *ctl = test_mkdtemp ();
  g_autofree char *reached = g_build_filename (ctl, "reached", NULL);
  g_autofree char *env_pause = g_strconcat ("VR_TEST_PAUSE_FILE=", ctl,
                                            "/pause", NULL);
  g_autofree char *env_reached = g_strconcat ("VR_TEST_PAUSE_REACHED=",
                                              reached, NULL);
  const char *const envv[] = { "VR_TEST_PAUSE_AT=verify", env_pause,
                               env_reached, NULL };
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  g_autoptr (GError) error = NULL;
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GDBusConnection) leaver = NULL;
  g_autofree char *manifest = NULL;
  g_autofree char *system = NULL;
  int fd = open (held, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  manifest = vr_manifest_build (fd, held, NULL, NULL, &error);
  g_assert_no_error (error);
  test_write_file (held, "manifest.xml", manifest, -1);
  unlink (other_manifest);
  test_write_file (conf_dir, "agent.conf", text, -1);
  test_write_file (ctl, "pause", "", -1);
  g_assert_cmpint (chmod (conf_dir, 0755), ==, 0);
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  f->agent = vr_bus_harness_start_agent (harness, uri, f->state, envv, args);
  leaver = g_dbus_connection_new_for_address_sync (
      harness->address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_unix_fd_list_append (fds, fd, NULL), ==, 0);
  close (fd);
  g_dbus_connection_call_with_unix_fd_list (
      leaver, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
      "ImportSystemDefinition", g_variant_new ("(hsa{sv})", 0, "", NULL),
      G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, -1, fds, NULL, NULL,
      NULL);
  g_dbus_connection_flush_sync (leaver, NULL, &error);
  g_assert_no_error (error);
  /* The import is held in its hashing before the caller goes. */
  while (!g_file_test (reached, G_FILE_TEST_EXISTS)
         && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_assert_true (g_file_test (reached, G_FILE_TEST_EXISTS));
  g_dbus_connection_close_sync (leaver, NULL, &error);
  g_assert_no_error (error);
  system = import_dir_root (other);
  g_assert_nonnull (system);
  /* An import held in its hashing when the agent stops is cancelled:
   * the agent exits (it waited for imports to end) and keeps nothing. */
  {
    g_autoptr (GUnixFDList) more = g_unix_fd_list_new ();
    g_autofree char *second = vr_testbed_require ("second");
    g_autofree char *copy = vr_testbed_copy_import_dir (second, &error);
    g_autofree char *text2 = NULL;
    int fd2;

    g_assert_no_error (error);
    fd2 = open (copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    text2 = vr_manifest_build (fd2, copy, NULL, NULL, &error);
    g_assert_no_error (error);
    test_write_file (copy, "manifest.xml", text2, -1);
    unlink (reached);
    g_assert_cmpint (g_unix_fd_list_append (more, fd2, NULL), ==, 0);
    close (fd2);
    g_dbus_connection_call_with_unix_fd_list (
        harness->bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH,
        VR_DBUS_MANAGER_IFACE, "ImportSystemDefinition",
        g_variant_new ("(hsa{sv})", 0, "", NULL), G_VARIANT_TYPE ("(o)"),
        G_DBUS_CALL_FLAGS_NONE, -1, more, NULL, NULL, NULL);
    deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
    while (!g_file_test (reached, G_FILE_TEST_EXISTS)
           && g_get_monotonic_time () < deadline)
      g_usleep (20 * 1000);
    g_assert_true (g_file_test (reached, G_FILE_TEST_EXISTS));
    vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
    test_rmtree (copy);
  }
  {
    g_autoptr (GDir) systems = g_dir_open (f->state, 0, NULL);
    const char *entry;
    guint records = 0;

    while ((entry = g_dir_read_name (systems)) != NULL)
      {
        g_autofree char *record = g_build_filename (f->state, entry,
                                                    "record.xml", NULL);

        records += g_file_test (record, G_FILE_TEST_IS_REGULAR);
      }
    g_assert_cmpuint (records, ==, 1);
  }
  test_rmtree (held);
  test_rmtree (other);
  test_rmtree (conf_dir);
  test_rmtree (ctl);
}

/* F5 of the blind review: what one user may have realized is limited
 * (agent.conf; the counting is /realize-limits/limits). With
 * MaxMemoryPerUser=1 (MiB) nobody's realize of the test bed's guest is
 * refused with 32774 naming the key, and nothing changes. */
static void
test_realize_limit (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *conf_dir = test_mkdtemp ();
  g_autofree char *conf = g_build_filename (conf_dir, "agent.conf", NULL);
  g_autofree char *text = g_strdup_printf (
      "[Agent]\nPoolDirs=%s;\nTrustedImportDirs=%s;%s;\n"
      "MaxMemoryPerUser=1\n", g_get_tmp_dir (), g_get_tmp_dir (),
      vr_testbed_dir ());
  const char *const args[] = { "--config", conf, NULL };
  g_autofree char *arg = realize_arg (f);
  g_autofree char *system = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  test_write_file (conf_dir, "agent.conf", text, -1);
  g_assert_cmpint (chmod (conf_dir, 0755), ==, 0);
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  f->agent = vr_bus_harness_start_agent (harness, uri, f->state, NULL, args);
  system = import_dir (dir);
  before = test_snapshot_tree (f->state);
  g_assert_cmpint (gdbus_as_nobody (system, VR_DBUS_PLANNED_IFACE ".Realize",
                                    arg, &out, &err),
                   !=, 0);
  g_assert_nonnull (strstr (err, VR_DBUS_ERROR_PREFIX "InUse"));
  g_assert_nonnull (strstr (err, "MaxMemoryPerUser=1 MiB"));
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
  hostile_calls++;
  assert_nothing_defined (f);
  test_rmtree (dir);
  test_rmtree (conf_dir);
}

/* The agent again, with agent.conf holding limits (and the folders
 * nobody's realizes read by path) and env (may be NULL); the config's
 * folder, to remove. */
static char *
start_limited_agent (Fixture *f, const char *limits, const char *const *env)
{
  char *conf_dir = test_mkdtemp ();
  g_autofree char *conf = g_build_filename (conf_dir, "agent.conf", NULL);
  g_autofree char *text = g_strdup_printf (
      "[Agent]\nPoolDirs=%s;\nTrustedImportDirs=%s;%s;\n%s",
      g_get_tmp_dir (), g_get_tmp_dir (), vr_testbed_dir (), limits);
  const char *const args[] = { "--config", conf, NULL };

  test_write_file (conf_dir, "agent.conf", text, -1);
  g_assert_cmpint (chmod (conf_dir, 0755), ==, 0);
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  f->agent = vr_bus_harness_start_agent (harness, uri, f->state, env, args);
  return conf_dir;
}

/* The test bed's guest as another one: its own name and UUID, without
 * the saved state (bound to the first's) or a manifest that lists it. */
static char *
other_guest_dir (void)
{
  static const HostileEdit name = { "/domain/name", NULL, "vr-guest-2" };
  static const HostileEdit uuid = { "/domain/uuid", NULL,
                                    "5a1ad0c0-7e57-4b3d-9c1e-00000000fa11" };
  char *dir = hostile_import_dir ("basic", &name, FALSE);
  g_autofree char *file = g_build_filename (dir, "domain.xml", NULL);
  g_autofree char *text = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *manifest = g_build_filename (dir, "manifest.xml", NULL);
  g_autoptr (GDir) entries = g_dir_open (dir, 0, NULL);
  const char *entry;

  g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
  edited = hostile_xml_edit (text, &uuid);
  test_write_file (dir, "domain.xml", edited, -1);
  unlink (manifest);
  while ((entry = g_dir_read_name (entries)) != NULL)
    if (g_str_has_suffix (entry, ".save"))
      {
        g_autofree char *save = g_build_filename (dir, entry, NULL);

        g_assert_cmpint (unlink (save), ==, 0);
      }
  return dir;
}

/* Whether text has a line that is name. */
static gboolean
has_line (const char *text, const char *name)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  return g_strv_contains ((const char *const *) lines, name);
}

static char *realize_as_nobody_with (const char *system, const char *arg);

/* nobody's Realize of system, started: its job's path. */
static char *
realize_as_nobody (Fixture *f, const char *system)
{
  g_autofree char *arg = realize_arg (f);

  return realize_as_nobody_with (system, arg);
}

/* The same with the options arg. */
static char *
realize_as_nobody_with (const char *system, const char *arg)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *start;
  const char *end;

  g_assert_cmpint (gdbus_as_nobody (system, VR_DBUS_PLANNED_IFACE ".Realize",
                                    arg, &out, &err),
                   ==, 0);
  start = strstr (out, "objectpath '");
  g_assert_nonnull (start);
  start += strlen ("objectpath '");
  end = strchr (start, '\'');
  g_assert_nonnull (end);
  return g_strndup (start, end - start);
}

/* A fixed console port is a warning through the agent too (any local
 * user may bind the port themself): nobody's Validate reports VR1818 as
 * a warning, and nobody's Realize starts its job without asking for
 * realize-host-access (which nobody does not hold). Whether the job
 * then fits the saved state is not the point. */
static void
test_fixed_port (Fixture *f, gconstpointer data)
{
  static const Construct vnc = {
    "vnc-fixed-port", "VR1818", { "/domain/devices",
    "<graphics type='vnc' port='5977' autoport='no' listen='127.0.0.1'/>",
    NULL }, FALSE
  };
  g_autofree char *dir = hostile_dir (&vnc, FALSE);
  g_autofree char *system = import_dir (dir);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *job = NULL;
  g_autofree char *state = NULL;

  g_assert_cmpint (gdbus_as_nobody (system, VR_DBUS_PLANNED_IFACE ".Validate",
                                    "@a{sv} {}", &out, &err),
                   ==, 0);
  g_test_message ("Validate as nobody: %s", out);
  /* gdbus prints the JSON string with its quotes escaped. */
  g_assert_nonnull (strstr (out, "VR1818\\\",\\\"severity\\\":"
                                 "\\\"warning"));
  job = realize_as_nobody (f, system);
  state = job_state (job);
  g_test_message ("realize job %s ended in state %s", job, state);
  test_rmtree (dir);
}

/* One refused Realize of nobody's: InUse naming the key and the file,
 * nothing changed in the state directory or the pool. */
static void
assert_limit_refuses (Fixture *f, const char *system, const char *conf_dir,
                      const char *key)
{
  g_autofree char *arg = realize_arg (f);
  g_autofree char *before = test_snapshot_tree (f->state);
  g_autofree char *pool_before = test_snapshot_tree (f->pool);
  g_autofree char *after = NULL;
  g_autofree char *pool_after = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (gdbus_as_nobody (system, VR_DBUS_PLANNED_IFACE ".Realize",
                                    arg, &out, &err),
                   !=, 0);
  g_assert_nonnull (strstr (err, VR_DBUS_ERROR_PREFIX "InUse"));
  g_assert_nonnull (strstr (err, key));
  g_assert_nonnull (strstr (err, conf_dir));
  after = test_snapshot_tree (f->state);
  pool_after = test_snapshot_tree (f->pool);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpstr (pool_before, ==, pool_after);
  hostile_calls++;
}

/* F2b of the fourth review: Destroy forgets a planned system but leaves
 * its domain defined (and running, if started), so the limits count the
 * domains the agent's realizes made for the user, not the records. With
 * MaxDomainsPerUser=1, nobody realizes the test bed's guest, forgets its
 * planned system, and a realize of another guest is refused: the first
 * domain is still theirs. (Counted from the records, it passed.) */
static void
test_realize_limit_destroyed (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *other = other_guest_dir ();
  g_autofree char *conf_dir = start_limited_agent (
      f, "MaxDomainsPerUser=1\n", NULL);
  g_autofree char *system = import_dir (dir);
  g_autofree char *job = realize_as_nobody (f, system);
  g_autofree char *state = job_state (job);
  g_autofree char *second = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *list = NULL;
  g_autofree char *xml = NULL;

  g_assert_cmpstr (state, ==, "7");
  g_assert_cmpint (gdbus_as_nobody (system, VR_DBUS_PLANNED_IFACE ".Destroy",
                                    NULL, &out, &err),
                   ==, 0);
  second = import_dir (other);
  assert_limit_refuses (f, second, conf_dir, "MaxDomainsPerUser=1");
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  list = test_virsh (uri, "list --all --name");
  g_assert_true (has_line (list, "vr-guest"));
  g_assert_false (has_line (list, "vr-guest-2"));
  /* The tag says whose it is and what its files were counted as. */
  xml = test_virsh (uri, "dumpxml vr-guest");
  g_assert_nonnull (strstr (xml, "owner=\"65534\""));
  g_assert_nonnull (strstr (xml, "bytes=\""));
  g_assert_null (strstr (xml, "bytes=\"0\""));
  test_rmtree (dir);
  test_rmtree (other);
  test_rmtree (conf_dir);
}

/* A hold ends with its job, whatever the outcome: with
 * MaxDomainsPerUser=1 and every realize failing after its domain was
 * defined (VR_TEST_FAIL_AT=defined, then rolled back), nobody's second
 * realize, of another guest, is not refused by the limit: the first's
 * hold went with its job, and its domain with the rollback. (A hold
 * kept past its job would refuse it.) */
static void
test_realize_limit_released (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *other = other_guest_dir ();
  const char *const envv[] = { "VR_TEST_FAIL_AT=defined", NULL };
  g_autofree char *conf_dir = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *job = NULL;
  g_autofree char *again = NULL;
  g_autofree char *state = NULL;
  g_autofree char *state2 = NULL;
  g_autofree char *list = NULL;

  if (!vr_test_hooks_enabled ())
    {
      g_test_skip ("needs a build with -Dtest_hooks=true (the failure)");
      test_rmtree (dir);
      test_rmtree (other);
      return;
    }
  conf_dir = start_limited_agent (f, "MaxDomainsPerUser=1\n", envv);
  first = import_dir (dir);
  second = import_dir (other);
  job = realize_as_nobody (f, first);
  state = job_state (job);
  g_assert_cmpstr (state, !=, "7");
  again = realize_as_nobody (f, second);
  state2 = job_state (again);
  g_assert_cmpstr (state2, !=, "7");
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  list = test_virsh (uri, "list --all --name");
  g_assert_false (has_line (list, "vr-guest"));
  g_assert_false (has_line (list, "vr-guest-2"));
  test_rmtree (dir);
  test_rmtree (other);
  test_rmtree (conf_dir);
}

/* F4 of the blind review: what a user's realizes write into the pools
 * is limited (MaxDiskPerUser, MiB). nobody's realize with copy-disks of
 * a guest that carries a 2 MiB disk (sparse: its apparent size counts)
 * besides its saved state is refused with MaxDiskPerUser=2 before
 * anything is written, naming the key and the figures. */
static void
test_realize_limit_disk (Fixture *f, gconstpointer data)
{
  static const HostileEdit disk = { "/domain/devices",
    "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
    "<source file='disks/big.raw'/><target dev='vdz' bus='virtio'/></disk>",
    NULL };
  g_autofree char *dir = hostile_import_dir ("basic", &disk, FALSE);
  g_autofree char *disks = g_build_filename (dir, "disks", NULL);
  g_autofree char *big = g_build_filename (disks, "big.raw", NULL);
  g_autofree char *conf_dir = start_limited_agent (f, "MaxDiskPerUser=2\n",
                                                   NULL);
  g_autofree char *system = NULL;
  g_autofree char *arg = g_strdup_printf (
      "{'pool-dir': <'%s'>, 'copy-disks': <true>}", f->pool);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int fd;

  g_assert_cmpint (mkdir (disks, 0755), ==, 0);
  fd = open (big, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, 2 * 1024 * 1024), ==, 0);
  close (fd);
  system = import_dir (dir);
  before = test_snapshot_tree (f->state);
  g_assert_cmpint (gdbus_as_nobody (system, VR_DBUS_PLANNED_IFACE ".Realize",
                                    arg, &out, &err),
                   !=, 0);
  g_assert_nonnull (strstr (err, VR_DBUS_ERROR_PREFIX "InUse"));
  g_assert_nonnull (strstr (err, "would have 3 MiB of files"));
  g_assert_nonnull (strstr (err, "MaxDiskPerUser=2 MiB"));
  g_assert_nonnull (strstr (err, conf_dir));
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);
  hostile_calls++;
  assert_nothing_defined (f);
  test_rmtree (dir);
  test_rmtree (conf_dir);
}

static char *
job_error (const char *job)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) value = NULL;

  reply = call (job, "org.freedesktop.DBus.Properties", "Get",
                g_variant_new ("(ss)", VR_DBUS_JOB_IFACE,
                               "ErrorDescription"),
                "(v)", &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return g_variant_dup_string (value, NULL);
}

/* Sixth review, F4: the disk is counted when Realize is called and
 * copied later; nobody grows it in between (here while the job is held
 * before it writes anything, VR_TEST_PAUSE_AT=validate). The copy
 * refuses the file that is not the size counted: the job fails, nothing
 * is defined and nothing is left in the pool. */
static void
test_realize_limit_grown (Fixture *f, gconstpointer data)
{
  /* The test bed's guest with a carried qcow2 disk in its saved state. */
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest-disk" };
  g_autofree char *dir = hostile_import_dir ("disk", &none, FALSE);
  g_autofree char *disks = g_build_filename (dir, "disks", NULL);
  g_autofree char *grows = g_build_filename (disks, "disk0.qcow2", NULL);
  g_autofree char *ctl = test_mkdtemp ();
  g_autofree char *pause = g_build_filename (ctl, "pause", NULL);
  g_autofree char *reached = g_build_filename (ctl, "reached", NULL);
  g_autofree char *env_pause = g_strconcat ("VR_TEST_PAUSE_FILE=", pause,
                                            NULL);
  g_autofree char *env_reached = g_strconcat ("VR_TEST_PAUSE_REACHED=",
                                              reached, NULL);
  const char *const envv[] = { "VR_TEST_PAUSE_AT=validate", env_pause,
                               env_reached, NULL };
  g_autofree char *arg = g_strdup_printf (
      "{'pool-dir': <'%s'>, 'copy-disks': <true>}", f->pool);
  g_autofree char *conf_dir = NULL;
  g_autofree char *system = NULL;
  g_autofree char *job = NULL;
  g_autofree char *state = NULL;
  g_autofree char *message = NULL;
  gint64 deadline;
  struct stat st;
  int fd;

  if (!vr_test_hooks_enabled ())
    {
      g_test_skip ("needs a build with -Dtest_hooks=true (the pause)");
      test_rmtree (dir);
      test_rmtree (ctl);
      return;
    }
  fd = open (grows, O_WRONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (fstat (fd, &st), ==, 0);
  conf_dir = start_limited_agent (f, "MaxDiskPerUser=1048576\n", envv);
  system = import_dir (dir);
  deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  test_write_file (ctl, "pause", "", -1);
  job = realize_as_nobody_with (system, arg);
  while (!g_file_test (reached, G_FILE_TEST_EXISTS)
         && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_assert_true (g_file_test (reached, G_FILE_TEST_EXISTS));
  g_assert_cmpint (ftruncate (fd, st.st_size + 64 * 1024 * 1024), ==, 0);
  close (fd);
  g_assert_cmpint (unlink (pause), ==, 0);
  state = job_state (job);
  g_assert_cmpstr (state, !=, "7");
  message = job_error (job);
  g_test_message ("grown disk: %s", message);
  g_assert_nonnull (strstr (message, "counted as"));
  assert_nothing_defined (f);
  test_rmtree (dir);
  test_rmtree (ctl);
  test_rmtree (conf_dir);
}

/* Sixth review, F1: a TPM state left at SWTPM_DIR/UUID (a gone
 * domain's; UUIDs are public) and nobody's guest of that UUID with a
 * TPM and no tpm/ carried: the realize fails with VR1905, nothing is
 * defined, and the state is as it was (it was given to the guest). */
static void
test_tpm_leftover (Fixture *f, gconstpointer data)
{
  static const HostileEdit tpm = { "/domain/devices",
    "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>",
    NULL };
  g_autofree char *plain = other_guest_dir ();
  g_autofree char *file = g_build_filename (plain, "domain.xml", NULL);
  g_autofree char *text = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *state = victim_file (
      "lib/swtpm/5a1ad0c0-7e57-4b3d-9c1e-00000000fa11/tpm2",
      "tpm2-00.permall", "victim's seeds");
  g_autofree char *leftover = g_build_filename (
      root, "lib/swtpm/5a1ad0c0-7e57-4b3d-9c1e-00000000fa11", NULL);
  g_autofree char *system = NULL;
  g_autofree char *job = NULL;
  g_autofree char *job_done = NULL;
  g_autofree char *message = NULL;
  g_autofree char *now = NULL;

  g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
  edited = hostile_xml_edit (text, &tpm);
  test_write_file (plain, "domain.xml", edited, -1);
  system = import_dir (plain);
  job = realize_as_nobody (f, system);
  job_done = job_state (job);
  g_assert_cmpstr (job_done, !=, "7");
  message = job_error (job);
  g_test_message ("TPM leftover: %s", message);
  g_assert_nonnull (strstr (message, "VR1905"));
  assert_nothing_defined (f);
  g_assert_true (g_file_get_contents (state, &now, NULL, NULL));
  g_assert_cmpstr (now, ==, "victim's seeds");
  test_rmtree (leftover);
  test_rmtree (plain);
}

/* F5 of the fourth review: the check and the job's first record write
 * are apart, so the check holds the realize's room until its job ends.
 * With MaxDomainsPerUser=1, nobody's first realize is held before it
 * writes anything (VR_TEST_PAUSE_AT=validate); a second one, of another
 * guest, asked meanwhile is refused; let go, the first completes, and
 * only its domain exists. (Without the hold both were started.) */
static void
test_realize_limit_together (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *other = other_guest_dir ();
  g_autofree char *ctl = test_mkdtemp ();
  g_autofree char *pause = g_build_filename (ctl, "pause", NULL);
  g_autofree char *reached = g_build_filename (ctl, "reached", NULL);
  g_autofree char *env_pause = g_strconcat ("VR_TEST_PAUSE_FILE=", pause,
                                            NULL);
  g_autofree char *env_reached = g_strconcat ("VR_TEST_PAUSE_REACHED=",
                                              reached, NULL);
  const char *const envv[] = { "VR_TEST_PAUSE_AT=validate", env_pause,
                               env_reached, NULL };
  g_autofree char *conf_dir = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *job = NULL;
  g_autofree char *state = NULL;
  g_autofree char *list = NULL;
  gint64 deadline;

  if (!vr_test_hooks_enabled ())
    {
      g_test_skip ("needs a build with -Dtest_hooks=true (the pause)");
      test_rmtree (dir);
      test_rmtree (other);
      test_rmtree (ctl);
      return;
    }
  conf_dir = start_limited_agent (f, "MaxDomainsPerUser=1\n", envv);
  first = import_dir (dir);
  second = import_dir (other);
  deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  test_write_file (ctl, "pause", "", -1);
  job = realize_as_nobody (f, first);
  while (!g_file_test (reached, G_FILE_TEST_EXISTS)
         && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_assert_true (g_file_test (reached, G_FILE_TEST_EXISTS));
  assert_limit_refuses (f, second, conf_dir, "MaxDomainsPerUser=1");
  g_assert_cmpint (unlink (pause), ==, 0);
  state = job_state (job);
  g_assert_cmpstr (state, ==, "7");
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  list = test_virsh (uri, "list --all --name");
  g_assert_true (has_line (list, "vr-guest"));
  g_assert_false (has_line (list, "vr-guest-2"));
  test_rmtree (dir);
  test_rmtree (other);
  test_rmtree (ctl);
  test_rmtree (conf_dir);
}

/* Descriptors the agent holds on the file at path (its hashing). */
static guint
agent_opens (Fixture *f, const char *path)
{
  g_autofree char *fds = g_strdup_printf (
      "/proc/%s/fd", g_subprocess_get_identifier (f->agent));
  g_autoptr (GDir) list = g_dir_open (fds, 0, NULL);
  const char *name;
  guint n = 0;

  while (list != NULL && (name = g_dir_read_name (list)) != NULL)
    {
      g_autofree char *link = g_build_filename (fds, name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);

      if (g_strcmp0 (target, path) == 0)
        n++;
    }
  return n;
}

/* Waits until cond (of the agent's descriptors on path) holds, at most
 * seconds; whether it did. */
static gboolean
wait_files (Fixture *f, const char *path, gboolean (*cond) (guint),
            guint seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!cond (agent_opens (f, path)))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (50 * 1000);
    }
  return TRUE;
}

static gboolean
some (guint n)
{
  return n > 0;
}

static gboolean
two (guint n)
{
  return n >= 2;
}

static gboolean
none_open (guint n)
{
  return n == 0;
}

static gboolean
still_running (GSubprocess *process)
{
  g_autofree char *stat = g_strdup_printf (
      "/proc/%s/stat", g_subprocess_get_identifier (process));
  g_autofree char *text = NULL;
  const char *state;

  if (!g_file_get_contents (stat, &text, NULL, NULL))
    return FALSE;
  state = strrchr (text, ')');
  return state != NULL && state[1] == ' ' && state[2] != 'Z';
}

/* F11 of the blind review: nobody's two imports whose manifest lists a
 * 64 GiB sparse file (hashed to the end: the hash is wrong) do not take
 * both import slots (MaxImports=2): root's import gets the second one and
 * is answered while nobody's first still hashes. When nobody's clients
 * leave the bus, their imports stop: the agent closes every file of the
 * folder (without the cancel it would hash 64 GiB twice). */
static void
test_import_fair (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *big = g_build_filename (dir, "big.img", NULL);
  g_autofree char *second = vr_testbed_require ("second");
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *const argv[] = { exe, "--import-helper", dir, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) first = NULL;
  g_autoptr (GSubprocess) again = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (xmlXPathContext) ctxt = NULL;
  g_autoptr (xmlXPathObject) file = NULL;
  g_autofree char *manifest = NULL;
  g_autofree char *small = NULL;
  xmlChar *text = NULL;
  int size = 0;
  int fd;

  /* The manifest made with an empty big.img, then the file grown: the
   * size holds, the hash is found wrong only at its end. */
  test_write_file (dir, "big.img", "", 0);
  g_assert_cmpint (chmod (big, 0644), ==, 0);
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  manifest = vr_manifest_build (fd, dir, NULL, NULL, &error);
  close (fd);
  g_assert_no_error (error);
  g_assert_cmpint (truncate (big, (off_t) 64 << 30), ==, 0);
  doc = vr_xml_parse_buffer (manifest, strlen (manifest), "manifest.xml",
                             "manifest", &error);
  g_assert_no_error (error);
  ctxt = xmlXPathNewContext (doc);
  file = xmlXPathEvalExpression (
      (const xmlChar *) "/manifest/file[@path='big.img']", ctxt);
  g_assert_cmpint (file->nodesetval->nodeNr, ==, 1);
  xmlSetProp (file->nodesetval->nodeTab[0], (const xmlChar *) "size",
              (const xmlChar *) "68719476736");
  xmlDocDumpMemory (doc, &text, &size);
  test_write_file (dir, "manifest.xml", (const char *) text, size);
  xmlFree (text);

  first = vr_bus_harness_spawn_as_nobody (harness, argv);
  g_assert_true (wait_files (f, big, some, WAIT_SECONDS));
  again = vr_bus_harness_spawn_as_nobody (harness, argv);
  /* Without the fair share the second hashes at once; give it the time
   * to, so that the check below would see it. */
  g_assert_false (wait_files (f, big, two, 5));
  small = import_dir_root (second);
  g_assert_true (still_running (first));
  g_assert_true (still_running (again));
  destroy (small);
  g_subprocess_force_exit (first);
  g_subprocess_force_exit (again);
  g_assert_true (wait_files (f, big, none_open, WAIT_SECONDS));
  g_subprocess_wait (first, NULL, NULL);
  g_subprocess_wait (again, NULL, NULL);
  test_rmtree (dir);
}

static gboolean
wait_job_running (const char *job, int seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  guint state;

  while ((state = job_state_now (job)) != 4)
    {
      if (state >= 7 || g_get_monotonic_time () >= deadline)
        {
          g_test_message ("%s: JobState %u", job, state);
          return FALSE;
        }
      g_usleep (50 * 1000);
    }
  return TRUE;
}

/* Thirteenth review D2: the realizes' slots are shared per caller, as
 * the imports' are. With two slots (--max-jobs 2, the default) and every
 * realize with a saved state held in its copy (VR_TEST_STALL_AT=copy),
 * nobody's first realize runs and its second (a guest without saved
 * state, which would end at once) waits; root's realize, asked after
 * both, takes the free slot and runs while nobody's second still waits.
 * Before the share, nobody's second took it (and ended) and root's
 * waited for it. */
static void
test_realize_fair (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *other = other_guest_dir ();
  g_autofree char *disk = vr_testbed_require ("disk");
  const char *const envv[] = { "VR_TEST_STALL_AT=copy", NULL };
  g_autofree char *conf_dir = NULL;
  g_autofree char *first_system = NULL;
  g_autofree char *other_system = NULL;
  g_autofree char *root_system = NULL;
  g_autofree char *job = NULL;
  g_autofree char *again = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  const char *root_job = NULL;
  guint32 code = 0;
  GVariantBuilder options;

  if (!vr_test_hooks_enabled ())
    {
      g_test_skip ("needs a build with -Dtest_hooks=true (the stall)");
      test_rmtree (dir);
      test_rmtree (other);
      return;
    }
  conf_dir = start_limited_agent (f, "", envv);
  first_system = import_dir (dir);
  other_system = import_dir (other);
  root_system = import_dir_root (disk);
  job = realize_as_nobody (f, first_system);
  g_assert_true (wait_job_running (job, WAIT_SECONDS));
  again = realize_as_nobody (f, other_system);
  g_variant_builder_init (&options, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&options, "{sv}", "pool-dir",
                         g_variant_new_string (f->pool));
  g_variant_builder_add (&options, "{sv}", "copy-disks",
                         g_variant_new_boolean (TRUE));
  reply = call (root_system, VR_DBUS_PLANNED_IFACE, "Realize",
                g_variant_new ("(a{sv})", &options), "(uos)", &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u&o&s)", &code, &root_job, NULL);
  if (!wait_job_running (root_job, WAIT_SECONDS))
    g_error ("root's realize did not run (nobody's second: JobState %u)",
             job_state_now (again));
  g_assert_cmpuint (job_state_now (again), <, 4);
  g_assert_cmpuint (job_state_now (job), ==, 4);
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  test_rmtree (dir);
  test_rmtree (other);
  test_rmtree (conf_dir);
}

/* nobody's Realize of system with the import directory dir handed over
 * (realize_helper): its job's path. */
static char *
realize_with_dir_as_nobody (Fixture *f, const char *system, const char *dir)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *const argv[] = { exe, "--realize-helper", system, dir,
                               f->pool, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  if (vr_bus_harness_run_as_nobody_out (harness, argv, &out, &err) != 0)
    g_error ("realize of %s as nobody: %s", system, err);
  return g_strdup (g_strstrip (out));
}

/* Job.Cancel as root, and the job's end: its JobState. */
static guint
cancel_job_root (const char *job)
{
  g_autoptr (GError) error = NULL;
  GVariant *reply = call (job, VR_DBUS_JOB_IFACE, "Cancel", NULL, NULL,
                          &error);
  g_autofree char *state = NULL;

  g_assert_no_error (error);
  g_variant_unref (reply);
  state = job_state (job);
  return (guint) g_ascii_strtoull (state, NULL, 10);
}

/* Eighteenth review F5: an ended realize job kept the caller's import
 * folder (its descriptor, options.import_dir) for as long as the job
 * stayed on the bus (--job-keep, 5 minutes): nobody's realizes with
 * import-dir, cancelled at once in a loop, took the agent's every
 * descriptor. Here nobody's realize (held in its copy,
 * VR_TEST_STALL_AT=copy) holds the folder while it runs; once cancelled
 * (as root) and ended, the agent holds no descriptor of the folder while
 * the job is still on the bus. */
static void
test_realize_dir_released (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  const char *const envv[] = { "VR_TEST_STALL_AT=copy", NULL };
  g_autofree char *conf_dir = NULL;
  g_autofree char *system = NULL;
  g_autofree char *job = NULL;

  if (!vr_test_hooks_enabled ())
    {
      g_test_skip ("needs a build with -Dtest_hooks=true (the stall)");
      test_rmtree (dir);
      return;
    }
  conf_dir = start_limited_agent (f, "", envv);
  system = import_dir (dir);
  g_assert_cmpuint (agent_opens (f, dir), ==, 0);
  job = realize_with_dir_as_nobody (f, system, dir);
  g_assert_true (wait_job_running (job, WAIT_SECONDS));
  g_assert_cmpuint (agent_opens (f, dir), >, 0);
  g_assert_cmpuint (cancel_job_root (job), ==, 8);
  if (!wait_files (f, dir, none_open, 10))
    g_error ("the agent holds %u descriptors of %s after its job ended",
             agent_opens (f, dir), dir);
  /* Still on the bus: its outcome is there to read. */
  g_assert_cmpuint (job_state_now (job), ==, 8);
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  test_rmtree (dir);
  test_rmtree (conf_dir);
}

/* Eighteenth review F5: nothing bounded the ended jobs a user keeps on
 * the bus (2580 of nobody's cancelled realizes, 92 MB of the agent). With
 * MaxKeptJobsPerUser=2, nobody's five realizes (each cancelled) leave the
 * last two on the bus; a running realize is not counted (three on the
 * bus), and an import as a job ended after it drops the oldest ended
 * realize, not the running one. */
static void
test_kept_jobs (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *empty = test_mkdtemp ();
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *const envv[] = { "VR_TEST_STALL_AT=copy", NULL };
  const char *const failing[] = { exe, "--job-helper", empty, "failing", "1",
                                  "1", NULL };
  g_autoptr (GPtrArray) started = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *conf_dir = NULL;
  g_autofree char *system = NULL;
  g_autofree char *running = NULL;
  g_autofree char *err = NULL;

  if (!vr_test_hooks_enabled ())
    {
      g_test_skip ("needs a build with -Dtest_hooks=true (the stall)");
      test_rmtree (dir);
      test_rmtree (empty);
      return;
    }
  g_assert_cmpint (chmod (empty, 0755), ==, 0);
  conf_dir = start_limited_agent (f, "MaxKeptJobsPerUser=2\n", envv);
  system = import_dir (dir);
  for (guint i = 0; i < 5; i++)
    {
      char *job = realize_as_nobody (f, system);

      g_ptr_array_add (started, job);
      g_assert_cmpuint (cancel_job_root (job), ==, 8);
    }
  g_assert_cmpuint (nobody_jobs (NULL, kept), ==, 2);
  g_assert_cmpstr (kept->pdata[0], ==, started->pdata[3]);
  g_assert_cmpstr (kept->pdata[1], ==, started->pdata[4]);
  hostile_calls++;
  running = realize_as_nobody (f, system);
  g_assert_true (wait_job_running (running, WAIT_SECONDS));
  g_assert_cmpuint (nobody_jobs (NULL, NULL), ==, 3);
  g_assert_cmpint (vr_bus_harness_run_as_nobody (harness, failing, &err), ==,
                   0);
  g_ptr_array_set_size (kept, 0);
  g_assert_cmpuint (nobody_jobs (NULL, kept), ==, 3);
  g_assert_cmpuint (nobody_jobs ("import", NULL), ==, 1);
  g_assert_cmpstr (kept->pdata[0], ==, started->pdata[4]);
  g_assert_cmpstr (kept->pdata[1], ==, running);
  g_assert_cmpuint (job_state_now (running), ==, 4);
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  test_rmtree (dir);
  test_rmtree (empty);
  test_rmtree (conf_dir);
}

/* Eighteenth review F6: plain imports waiting for a slot were unlimited
 * per user, each holding its caller's folder, and one of a caller who
 * left stayed until its turn came. With MaxImports=1 held by root's
 * import (paused in its hashing, VR_TEST_PAUSE_AT=verify) and
 * MaxWaitingImportsPerUser=2, nobody's four imports at once: two wait,
 * two are refused at once (InUse naming the key); when nobody's client is
 * killed, its waiting imports go and the agent holds no descriptor of
 * the folder, while root's import still holds the slot. */
static void
test_import_waiting (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *held = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *const argv[] = { exe, "--queue-helper", dir, "4", "2", NULL };
  g_autofree char *ctl = test_mkdtemp ();
  g_autofree char *reached = g_build_filename (ctl, "reached", NULL);
  g_autofree char *env_pause = g_strconcat ("VR_TEST_PAUSE_FILE=", ctl,
                                            "/pause", NULL);
  g_autofree char *env_reached = g_strconcat ("VR_TEST_PAUSE_REACHED=",
                                              reached, NULL);
  const char *const envv[] = { "VR_TEST_PAUSE_AT=verify", env_pause,
                               env_reached, NULL };
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  g_autoptr (GError) error = NULL;
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GSubprocess) client = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *manifest = NULL;
  g_autofree char *conf_dir = NULL;
  guint refused = 0;
  guint answers = 0;
  int fd;

  if (!vr_test_hooks_enabled ())
    {
      g_test_skip ("needs a build with -Dtest_hooks=true (the pause)");
      test_rmtree (held);
      test_rmtree (dir);
      test_rmtree (ctl);
      return;
    }
  fd = open (held, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  manifest = vr_manifest_build (fd, held, NULL, NULL, &error);
  g_assert_no_error (error);
  test_write_file (held, "manifest.xml", manifest, -1);
  test_write_file (ctl, "pause", "", -1);
  conf_dir = start_limited_agent (
      f, "MaxImports=1\nMaxWaitingImportsPerUser=2\n"
         "MaxPendingAuthorizations=8\n", envv);
  g_assert_cmpint (g_unix_fd_list_append (fds, fd, NULL), ==, 0);
  close (fd);
  g_dbus_connection_call_with_unix_fd_list (
      harness->bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
      "ImportSystemDefinition", g_variant_new ("(hsa{sv})", 0, "", NULL),
      G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, -1, fds, NULL, NULL,
      NULL);
  while (!g_file_test (reached, G_FILE_TEST_EXISTS)
         && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_assert_true (g_file_test (reached, G_FILE_TEST_EXISTS));

  client = vr_bus_harness_spawn_as_nobody (harness, argv);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (client));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (out, NULL, NULL,
                                                            &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (g_str_equal (line, "ready"))
        break;
      g_test_message ("nobody's import: %s", line);
      answers++;
      refused += strstr (line, "InUse") != NULL
                 && strstr (line, "MaxWaitingImportsPerUser=2") != NULL;
    }
  g_assert_cmpuint (answers, ==, 2);
  g_assert_cmpuint (refused, ==, 2);
  hostile_calls++;
  /* The two waiting hold the folder; killed, their caller leaves the
   * bus and they go, root's import still holding the slot. */
  g_assert_cmpuint (agent_opens (f, dir), >, 0);
  g_subprocess_force_exit (client);
  g_subprocess_wait (client, NULL, NULL);
  if (!wait_files (f, dir, none_open, 10))
    g_error ("the agent holds %u descriptors of %s after its caller left",
             agent_opens (f, dir), dir);
  g_assert_true (g_file_test (reached, G_FILE_TEST_EXISTS));
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  test_rmtree (held);
  test_rmtree (dir);
  test_rmtree (ctl);
  test_rmtree (conf_dir);
}

/* The unit's capability bounding set (data/virt-realized.service.in:
 * CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH, no new privileges) applied with
 * setpriv, since systemd is not PID 1 here: the agent on a libvirt
 * connection outside its process (the test driver; an embedded root runs
 * QEMU inside the agent, which needs more) imports another user's
 * private folder, validates and answers GetDomainXML. The unit's system
 * call filter is not applied here. */
static void
test_unit_capabilities (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *wrap_dir = test_mkdtemp ();
  g_autofree char *wrapper = g_build_filename (wrap_dir, "agent", NULL);
  g_autofree char *script = g_strdup_printf (
      "#!/bin/sh\nexec setpriv --bounding-set=-all,+dac_override,"
      "+dac_read_search --inh-caps=-all --no-new-privs %s \"$@\"\n",
      g_getenv ("VR_AGENT"));
  g_autofree char *real = g_strdup (g_getenv ("VR_AGENT"));
  g_autofree char *system = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  int status = -1;

  test_write_file (wrap_dir, "agent", script, -1);
  g_assert_cmpint (chmod (wrapper, 0755), ==, 0);
  /* Another user's private folder: reading it takes the bounded
   * CAP_DAC_READ_SEARCH or CAP_DAC_OVERRIDE (the caller here is root,
   * who may read it). */
  {
    const char *const chown_argv[] = { "chown", "-R", "65534:65534", dir,
                                       NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) chown_argv, NULL,
                                 G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                                 &status, NULL));
    g_assert_cmpint (status, ==, 0);
  }
  g_assert_cmpint (chmod (dir, 0700), ==, 0);
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  g_setenv ("VR_AGENT", wrapper, TRUE);
  f->agent = vr_bus_harness_start_agent (harness, "test:///default",
                                         f->state, NULL, NULL);
  g_setenv ("VR_AGENT", real, TRUE);
  {
    const char *pid = g_subprocess_get_identifier (f->agent);
    g_autofree char *path = g_build_filename ("/proc", pid, "status", NULL);
    g_autofree char *text = NULL;

    g_assert_nonnull (pid);
    g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
    /* CAP_DAC_OVERRIDE (1) and CAP_DAC_READ_SEARCH (2) only. */
    g_assert_nonnull (strstr (text, "CapBnd:\t0000000000000006"));
    g_assert_nonnull (strstr (text, "CapEff:\t0000000000000006"));
    g_assert_nonnull (strstr (text, "NoNewPrivs:\t1"));
  }
  system = import_dir_root (dir);
  g_assert_cmpint (gdbus_as_nobody (system, VR_DBUS_PLANNED_IFACE
                                    ".GetDomainXML", "@a{sv} {}", &out, &err),
                   ==, 0);
  g_assert_nonnull (strstr (out, "vr-guest"));
  reply = call (system, VR_DBUS_PLANNED_IFACE, "Validate",
                g_variant_new ("(a{sv})", NULL), "(us)", &error);
  g_assert_no_error (error);
  destroy (system);
  test_rmtree (dir);
  test_rmtree (wrap_dir);
}

/* polkit's allow_active defaults (list: yes) are for a user whose
 * process is in an active local session, which polkitd asks logind about
 * (sd_pid_get_session, sd_session_is_active: the process's cgroup and
 * /run/systemd/sessions). Such a session is made by pam_systemd through
 * systemd-logind, which makes each one a systemd scope: it needs systemd
 * as PID 1. Where PID 1 is not systemd no session can be real, and a
 * polkit rule cannot set subject.active (writing logind's files would
 * fake it), so the test says why it did not run. Where systemd runs, a
 * session for nobody (machinectl shell, or a seat) is not something a
 * test may open on a developer's host either: it skips naming that. */
static void
test_active_session (Fixture *f, gconstpointer data)
{
  g_autofree char *comm = NULL;

  g_file_get_contents ("/proc/1/comm", &comm, NULL, NULL);
  if (comm == NULL || !g_str_has_prefix (comm, "systemd"))
    {
      g_autofree char *why = g_strdup_printf (
          "an active local session needs systemd-logind, which needs "
          "systemd as PID 1 (PID 1 here is '%s'); polkit cannot be told "
          "subject.active by a rule, and logind's files are not faked",
          comm ? g_strstrip (comm) : "unknown");

      g_test_skip (why);
      return;
    }
  g_test_skip ("an active local session for nobody needs a real login on "
               "a seat (pam_systemd through systemd-logind), which a test "
               "does not open on the host it runs on");
}

/* A folder of root's, 0700, holding a 0600 file of root's: what another
 * user keeps private in a shared /tmp-like folder. */
static char *
private_folder (const char *parent, const char *name, const char *file,
                const char *content)
{
  g_autofree char *folder = g_build_filename (parent, name, NULL);

  g_assert_cmpint (mkdir (folder, 0700), ==, 0);
  test_write_file (folder, file, content, -1);
  g_assert_cmpint (chmod (folder, 0700), ==, 0);
  return g_build_filename (folder, file, NULL);
}

/* As nobody, the CLI (which hands the import directory over as a
 * descriptor); its exit status, and what it wrote in *err. */
static int
cli_as_nobody (const char *const *args, char **err)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *stderr_text = NULL;
  int status;

  g_ptr_array_add (argv, (char *) g_getenv ("VR_CLI"));
  g_ptr_array_add (argv, (char *) "--system");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  status = vr_bus_harness_run_as_nobody_out (
      harness, (const char *const *) argv->pdata, &out, &stderr_text);
  *err = g_strconcat (out, stderr_text, NULL);
  return status;
}

/* Another user's file through a shared sticky folder (F8): nobody uses a
 * world-writable sticky folder as the import directory and names, as
 * the carried disk, a file of root's they may not read: below a 0700
 * folder, or at the top beside domain.xml (the names the import checks
 * do not cover). Validate and realize --copy-disks as nobody are refused
 * naming it; nothing is copied, defined or recorded. */
static void
test_others_file (Fixture *f, gconstpointer data)
{
  static const char *const sources[] = { "vdir/secret.img", "secret.img" };

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      HostileEdit edit = { "/domain/devices/disk/source/@file", NULL,
                           sources[i] };
      g_autofree char *dir = hostile_import_dir ("disk", &edit, FALSE);
      g_autofree char *disk = g_build_filename (dir, "disks", "disk0.qcow2",
                                                NULL);
      g_autofree char *image = NULL;
      g_autofree char *secret = NULL;
      g_autofree char *system = NULL;
      g_autofree char *before = NULL;
      g_autofree char *after = NULL;
      g_autofree char *err = NULL;
      gsize len = 0;
      const char *const validate[] = { "validate", "vr-guest-disk", NULL };
      const char *const realize[] = { "realize", "vr-guest-disk",
                                      "--copy-disks", "--pool-dir", f->pool,
                                      NULL };

      g_test_message ("carried disk %s", sources[i]);
      g_assert_true (g_file_get_contents (disk, &image, &len, NULL));
      if (strchr (sources[i], '/') != NULL)
        {
          secret = private_folder (dir, "vdir", "secret.img", "");
        }
      else
        {
          secret = g_build_filename (dir, "secret.img", NULL);
        }
      g_assert_true (g_file_set_contents (secret, image, len, NULL));
      g_assert_cmpint (chmod (secret, 0600), ==, 0);
      g_assert_cmpint (chmod (dir, 01777), ==, 0);
      system = import_dir (dir);
      before = test_snapshot_tree (f->state);
      g_assert_cmpint (cli_as_nobody (validate, &err), !=, 0);
      g_test_message ("validate as nobody: %s", err);
      g_assert_nonnull (strstr (err, "uid 65534"));
      g_assert_nonnull (strstr (err, strchr (sources[i], '/') ? "vdir"
                                                               : "secret.img"));
      hostile_calls++;
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (cli_as_nobody (realize, &err), !=, 0);
      g_test_message ("realize as nobody: %s", err);
      g_assert_nonnull (strstr (err, "uid 65534"));
      after = test_snapshot_tree (f->state);
      g_assert_cmpstr (before, ==, after);
      g_assert_cmpuint (test_count_entries (f->pool), ==, 0);
      hostile_calls++;
      destroy (system);
      test_rmtree (dir);
    }
  assert_nothing_defined (f);
}

/* nobody's import of dir (the descriptor handed over): exit status and
 * stderr. */
static int
import_as_nobody (const char *dir, char **err)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *const argv[] = { exe, "--import-helper", dir, NULL };

  return vr_bus_harness_run_as_nobody (harness, argv, err);
}

/* A manifest as an oracle (F7): nobody's manifest in a shared sticky
 * folder names a file of root's below a 0700 folder with a wrong size,
 * then lists nothing but domain.xml: the import is refused without the
 * file's real size, its SHA-256 or the names in that folder. */
static void
test_manifest_oracle (Fixture *f, gconstpointer data)
{
  static const char xml[] =
      "<domain type='qemu'><name>vr-probe</name>"
      "<uuid>77777777-0000-0000-0000-000000000001</uuid>"
      "<memory unit='KiB'>65536</memory><vcpu>1</vcpu>"
      "<os><type arch='x86_64'>hvm</type></os></domain>";
  static const char content[] = "hunter2\n";
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *secret = private_folder (dir, "vdir", "secret.txt",
                                            content);
  g_autofree char *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
                                                        xml, -1);
  g_autofree char *real = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
                                                         content, -1);
  g_autofree char *size = g_strdup_printf ("%zu", strlen (xml));
  const char *const manifests[] = { "probe", "extra" };

  g_assert_cmpint (chmod (secret, 0600), ==, 0);
  g_assert_cmpint (chmod (dir, 01777), ==, 0);
  test_write_file (dir, "domain.xml", xml, -1);
  for (guint i = 0; i < G_N_ELEMENTS (manifests); i++)
    {
      g_autoptr (xmlDoc) doc = xmlNewDoc ((const xmlChar *) "1.0");
      xmlNode *top = xmlNewNode (NULL, (const xmlChar *) "manifest");
      xmlNode *file;
      g_autofree char *text = NULL;
      g_autofree char *before = test_snapshot_tree (f->state);
      g_autofree char *after = NULL;
      g_autofree char *err = NULL;

      xmlDocSetRootElement (doc, top);
      xmlNewProp (top, (const xmlChar *) "version", (const xmlChar *) "1");
      file = xmlNewChild (top, NULL, (const xmlChar *) "file", NULL);
      xmlNewProp (file, (const xmlChar *) "path",
                  (const xmlChar *) "domain.xml");
      xmlNewProp (file, (const xmlChar *) "size", (const xmlChar *) size);
      xmlNewProp (file, (const xmlChar *) "sha256", (const xmlChar *) sha);
      if (i == 0)
        {
          file = xmlNewChild (top, NULL, (const xmlChar *) "file", NULL);
          xmlNewProp (file, (const xmlChar *) "path",
                      (const xmlChar *) "vdir/secret.txt");
          xmlNewProp (file, (const xmlChar *) "size", (const xmlChar *) "1");
          xmlNewProp (file, (const xmlChar *) "sha256",
                      (const xmlChar *) sha);
        }
      text = vr_xml_to_string (doc);
      test_write_file (dir, "manifest.xml", text, -1);
      g_assert_cmpint (import_as_nobody (dir, &err), !=, 0);
      g_test_message ("import as nobody (%s): %s", manifests[i], err);
      g_assert_nonnull (strstr (err, "uid 65534"));
      g_assert_null (strstr (err, "8 bytes"));
      g_assert_null (strstr (err, real));
      g_assert_null (strstr (err, "secret.txt: extra"));
      after = test_snapshot_tree (f->state);
      g_assert_cmpstr (before, ==, after);
      hostile_calls++;
    }
  test_rmtree (dir);
}

/* A carried snapshot's <domain> (F12): what an administrator's ordinary
 * revert would define and start. nobody's snapshot with a seclabel of
 * none and a qemu:commandline that loads /etc/shadow: realize
 * --copy-disks is refused naming realize-host-access and the snapshot;
 * an external snapshot file outside the pool the same, and an external
 * memory state file (fourth attack review). Nothing defined. */
/* The domain XML text as an <inactiveDomain> element (tree API). */
static char *
inactive_domain (const char *xml)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = vr_xml_parse_buffer (xml, strlen (xml),
                                                "domain.xml", "domain",
                                                &error);
  xmlBuffer *buffer = xmlBufferCreate ();
  char *text;

  g_assert_no_error (error);
  xmlNodeSetName (xmlDocGetRootElement (doc),
                  (const xmlChar *) "inactiveDomain");
  xmlNodeDump (buffer, doc, xmlDocGetRootElement (doc), 0, 0);
  text = g_strdup ((const char *) xmlBufferContent (buffer));
  xmlBufferFree (buffer);
  return text;
}

static void
test_snapshot_domain (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  static const char *const bodies[] = {
    "<seclabel type='none' model='dac'/>"
    "<qemu:commandline " QEMU_NS "><qemu:arg value='-fw_cfg'/>"
    "<qemu:arg value='name=opt/vr,file=/etc/shadow'/></qemu:commandline>",
    NULL,
    /* Only in the <inactiveDomain>, beside a clean <domain>. */
    "<seclabel type='none' model='dac'/>",
    /* An external memory state file (what a revert loads, libvirt 9.9
     * and later): fourth attack review. */
    NULL,
  };
  static const char *const needles[] = { "VR1802", "VR1804", "VR1802",
                                         "VR1804" };
  g_autofree char *arg = g_strdup_printf (
      "{'pool-dir': <'%s'>, 'copy-disks': <true>}", f->pool);

  for (guint i = 0; i < G_N_ELEMENTS (needles); i++)
    {
      g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
      g_autofree char *snapshots = g_build_filename (dir, "snapshots", NULL);
      g_autofree char *xml_path = g_build_filename (dir, "domain.xml", NULL);
      g_autofree char *domain = NULL;
      g_autofree char *edited = NULL;
      g_autofree char *snapshot = NULL;
      g_autofree char *system = NULL;
      HostileEdit body = { "/domain", bodies[i], NULL };

      g_assert_true (g_file_get_contents (xml_path, &domain, NULL, NULL));
      edited = bodies[i] ? hostile_xml_edit (domain, &body)
                         : g_strdup (domain);
      if (i == 2)
        {
          g_autofree char *inactive = inactive_domain (edited);

          g_free (edited);
          edited = g_strconcat (g_str_has_prefix (domain, "<?xml")
                                    ? strstr (domain, "?>") + 2
                                    : domain,
                                inactive, NULL);
        }
      /* The XML declaration goes: the snapshot's <domain> is inside. */
      snapshot = g_strdup_printf (
          "<domainsnapshot><name>s1</name><state>shutoff</state>"
          "<creationTime>1700000000</creationTime>"
          "%s<disks>%s</disks>%s</domainsnapshot>",
          i == 3 ? "<memory snapshot='external' file='/etc/shadow'/>"
                 : "<memory snapshot='no'/>",
          i != 1 ? ""
                 : "<disk name='vda' snapshot='external' type='file'>"
                   "<source file='/etc/shadow'/></disk>",
          g_str_has_prefix (edited, "<?xml") ? strstr (edited, "?>") + 2
                                             : edited);
      g_assert_cmpint (mkdir (snapshots, 0755), ==, 0);
      test_write_file (snapshots, "index.xml",
                       "<snapshots><snapshot file='001.xml' name='s1' "
                       "current='yes'/></snapshots>", -1);
      test_write_file (snapshots, "001.xml", snapshot, -1);
      system = import_dir (dir);
      assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Realize", arg,
                      "org.virtrealize.Realize1.realize-host-access",
                      needles[i]);
      {
        g_autofree char *out = NULL;
        g_autofree char *err = NULL;

        g_assert_cmpint (gdbus_as_nobody (system,
                                          VR_DBUS_PLANNED_IFACE ".Validate",
                                          "@a{sv} {}", &out, &err), ==, 0);
        g_assert_nonnull (strstr (out, "(snapshots/001.xml)"));
        g_assert_nonnull (strstr (out, needles[i]));
      }
      destroy (system);
      test_rmtree (dir);
    }
  assert_nothing_defined (f);
}

/* Name squatting (F10): nobody renames their own planned system by
 * Update to the name of root's: refused (32774), nothing changed, and
 * root's keeps its name. */
static void
test_update_name (Fixture *f, gconstpointer data)
{
  static const HostileEdit theirs = { "/domain/name", NULL, "vr-guest" };
  static const HostileEdit mine = { "/domain/name", NULL, "vr-guest-2" };
  g_autofree char *root_dir = hostile_import_dir ("basic", &theirs, FALSE);
  g_autofree char *own_dir = hostile_import_dir ("second", &mine, FALSE);
  g_autofree char *root_system = import_dir_root (root_dir);
  g_autofree char *own_system = import_dir (own_dir);
  g_autofree char *path = g_build_filename (own_dir, "domain.xml", NULL);
  g_autofree char *xml = NULL;
  g_autofree char *squat = NULL;
  g_autofree char *before = test_snapshot_tree (f->state);
  g_autofree char *after = NULL;
  g_autofree char *err = NULL;

  g_assert_true (g_file_get_contents (path, &xml, NULL, NULL));
  squat = hostile_xml_edit (xml, &theirs);
  g_assert_cmpint (update_as_nobody (own_system, squat, &err), !=, 0);
  g_test_message ("Update as nobody: %s", err);
  g_assert_nonnull (strstr (err, "InUse"));
  g_assert_nonnull (strstr (err, "'vr-guest' is taken"));
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);
  hostile_calls++;
  destroy (own_system);
  destroy (root_system);
  test_rmtree (root_dir);
  test_rmtree (own_dir);
}

/* Validate of another user's system (F9): its findings tell what is in
 * that user's folder, read as root. nobody's Validate of root's system
 * is refused naming manage-others; their own validates. */
static void
test_validate_others (Fixture *f, gconstpointer data)
{
  static const HostileEdit none = { "/domain/name", NULL, "vr-guest" };
  g_autofree char *dir = hostile_import_dir ("basic", &none, FALSE);
  g_autofree char *system = import_dir_root (dir);

  assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Validate", "@a{sv} {}",
                  "org.virtrealize.Realize1.manage-others", NULL);
  destroy (system);
  test_rmtree (dir);
}

/* A fragment made with libxml2's tree API: <outer><name attr=value>text
 * </name></outer> (outer, attr and text each optional). */
static char *
os_fragment (const char *outer, const char *name, const char *attr,
             const char *value, const char *text)
{
  xmlDoc *doc = xmlNewDoc (BAD_CAST "1.0");
  xmlNode *top = xmlNewDocNode (doc, NULL, BAD_CAST (outer ? outer : name),
                                NULL);
  xmlNode *node = outer ? xmlNewChild (top, NULL, BAD_CAST name, NULL) : top;
  xmlBuffer *buffer = xmlBufferCreate ();
  char *fragment;

  xmlDocSetRootElement (doc, top);
  if (attr != NULL)
    xmlSetProp (node, BAD_CAST attr, BAD_CAST value);
  if (text != NULL)
    xmlNodeAddContent (node, BAD_CAST text);
  xmlNodeDump (buffer, doc, top, 0, 0);
  fragment = g_strdup ((const char *) xmlBufferContent (buffer));
  xmlBufferFree (buffer);
  xmlFreeDoc (doc);
  return fragment;
}

/* The save image's <os> may not load libvirt's state files (fifth
 * review, F1): an ACPI table, kernel or NVRAM template in the image's XML
 * naming another running guest's status XML (root's, 0600, with its VNC
 * password) below ROOT/run/qemu or ROOT/lib/qemu is refused with VR1806
 * as the image's; a writable loader (readonly='no', a shared firmware
 * file) in domain.xml too. The victim keeps its content, owner, mode. */
static void
test_image_os (Fixture *f, gconstpointer data)
{
  static const char content[] = "<domstatus>passwd='s3cret'</domstatus>";
  g_autofree char *status = victim_file ("run/qemu", "victim.xml", content);
  g_autofree char *lib = victim_file ("lib/qemu", "victim.xml", content);
  g_autofree char *acpi = os_fragment ("acpi", "table", "type", "slic",
                                       status);
  g_autofree char *kernel = os_fragment (NULL, "kernel", NULL, NULL, lib);
  g_autofree char *nvram = os_fragment (NULL, "nvram", "template", status,
                                        NULL);
  const HostileEdit edits[] = {
    { "/domain/os", acpi, NULL },
    { "/domain/os", kernel, NULL },
    { "/domain/os", nvram, NULL },
    { "/domain/os", "<loader readonly='no' type='pflash'>"
      "/usr/share/OVMF/OVMF_CODE_4M.fd</loader>", NULL },
  };
  g_autofree char *arg = realize_arg (f);

  g_assert_cmpint (chmod (status, 0600), ==, 0);
  g_assert_cmpint (chmod (lib, 0600), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      gboolean in_image = i < 3;
      g_autofree char *dir = hostile_import_dir ("basic", &edits[i],
                                                 in_image);
      g_autofree char *system = import_dir (dir);

      g_test_message ("%s: %s", in_image ? "image" : "planned",
                      edits[i].fragment);
      assert_refused (f, system, VR_DBUS_PLANNED_IFACE ".Realize", arg,
                      "org.virtrealize.Realize1.realize-host-access",
                      in_image ? "VR1806 the save image's XML"
                               : "readonly='no'");
      destroy (system);
      test_rmtree (dir);
    }
  assert_nothing_defined (f);
  assert_victim (status, content);
  assert_victim (lib, content);
  unlink (status);
  unlink (lib);
}

/* ValidateDefinition as an oracle (fifth review, F5): nobody's import
 * directory (a shared sticky folder) or domain XML names files they
 * cannot see: a carried disk below root's 0700 folder, a loader, NVRAM
 * template, NVRAM and emulator in a root-only folder. What validate
 * DIR and validate FILE.xml say must be the same whether those files
 * exist or not (root's opens told "no such file" apart from the rest). */
static char *
validate_as_nobody (const char *target, const char *from, const char *to)
{
  const char *const args[] = { "validate", target, "--copy-disks", NULL };
  g_autofree char *err = NULL;
  g_autoptr (GString) text = NULL;

  cli_as_nobody (args, &err);
  g_test_message ("validate %s as nobody: %s", target, err);
  text = g_string_new (err);
  g_string_replace (text, target, "TARGET", 0);
  g_string_replace (text, from, to, 0);
  hostile_calls++;
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
test_validate_definition_oracle (Fixture *f, gconstpointer data)
{
  static const char *const names[] = { "secret", "absent" };
  char *said[2] = { NULL, NULL };
  g_autofree char *top = test_mkdtemp ();
  g_autofree char *closed = g_build_filename (top, "closed", NULL);
  g_autofree char *before = test_snapshot_tree (f->state);
  g_autofree char *after = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *source = g_strdup_printf ("vdir/%s.img", names[i]);
      HostileEdit edit = { "/domain/devices/disk/source/@file", NULL,
                           source };
      g_autofree char *dir = hostile_import_dir ("disk", &edit, FALSE);
      g_autofree char *secret = private_folder (dir, "vdir", "secret.img",
                                                "QFI\xfb");

      g_assert_cmpint (chmod (secret, 0600), ==, 0);
      g_assert_cmpint (chmod (dir, 01777), ==, 0);
      said[i] = validate_as_nobody (dir, names[i], "X");
      g_assert_null (strstr (said[i], "no such file"));
      g_assert_nonnull (strstr (said[i], "uid 65534"));
      test_rmtree (dir);
    }
  g_assert_cmpstr (said[0], ==, said[1]);
  g_clear_pointer (&said[0], g_free);
  g_clear_pointer (&said[1], g_free);
  g_assert_cmpint (chmod (top, 0755), ==, 0);
  g_assert_cmpint (mkdir (closed, 0700), ==, 0);
  test_write_file (closed, "secret.fd", "code", -1);
  test_write_file (closed, "secret-nv.fd", "vars", -1);
  test_write_file (closed, "secret-emu", "#!/bin/true\n", -1);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *xml = g_strdup_printf (
          "<domain type='qemu'><name>vr-probe</name>"
          "<uuid>77777777-0000-0000-0000-00000000000%u</uuid>"
          "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
          "<os><type arch='x86_64' machine='q35'>hvm</type>"
          "<loader readonly='yes' type='pflash'>%s/%s.fd</loader>"
          "<nvram template='%s/%s.fd'>%s/%s-nv.fd</nvram></os>"
          "<devices><emulator>%s/%s-emu</emulator></devices></domain>",
          i, closed, names[i], closed, names[i], closed, names[i], closed,
          names[i]);
      g_autofree char *file = g_strdup_printf ("probe-%s.xml", names[i]);
      g_autofree char *path = g_build_filename (top, file, NULL);
      g_autoptr (GString) text = NULL;

      test_write_file (top, file, xml, -1);
      g_assert_cmpint (chmod (path, 0644), ==, 0);
      said[i] = validate_as_nobody (path, names[i], "X");
      /* The UUID's digit and the file's name differ by design. */
      text = g_string_new (said[i]);
      g_string_replace (text, "00000000000" "1", "00000000000" "0", 0);
      g_free (said[i]);
      said[i] = g_string_free (g_steal_pointer (&text), FALSE);
      g_assert_null (strstr (said[i], "not present on this host"));
    }
  g_assert_cmpstr (said[0], ==, said[1]);
  g_free (said[0]);
  g_free (said[1]);
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);
  test_rmtree (top);
}

/* The rule holds only while this process lives (polkit.spawn of test -d
 * /proc/PID): a test that aborts before removing the file leaves no
 * grant behind. */
static gboolean
write_test_rules (void)
{
  g_autofree char *rules = g_strdup_printf (
      "// virt-realize test-agent-trust: inert once process %d is gone,\n"
      "// removed when the test ends.\n"
      "polkit.addRule(function(action, subject) {\n"
      "    if (subject.user == \"nobody\" &&\n"
      "        action.id.indexOf(\"org.virtrealize.Realize1.\") == 0 &&\n"
      "        action.id != \"org.virtrealize.Realize1.realize-host-access\" &&\n"
      "        action.id != \"org.virtrealize.Realize1.manage-others\" &&\n"
      "        action.id != \"org.virtrealize.Realize1.read-secrets\") {\n"
      "        try {\n"
      "            polkit.spawn([\"/usr/bin/test\", \"-d\", \"/proc/%d\"]);\n"
      "            return polkit.Result.YES;\n"
      "        } catch (error) {\n"
      "        }\n"
      "    }\n"
      "});\n", (int) getpid (), (int) getpid ());

  return g_file_set_contents (TEST_RULES, rules, -1, NULL);
}

/* Eighteenth attack review, F1-F3: while polkit has not answered, a call
 * holds its message, its descriptors and one of the agent's 128 replies
 * dbus-daemon lets it have pending. */

/* This program as a client of uid 65534: once go exists, conns
 * connections of its own each ask ListPlannedSystems calls times at once;
 * when no answer came for a second, prints how many were answered and
 * the first answer's error, then keeps the rest waiting until killed (or
 * go is gone, or its parent). */
typedef struct {
  guint answered;
  guint in_use;
  char *first;
  gint64 last_us;
} PendingHelper;

static void
on_helper_reply (GObject *source, GAsyncResult *result, gpointer data)
{
  PendingHelper *helper = data;
  g_autoptr (GError) error = NULL;
  GVariant *reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source),
                                                   result, &error);

  g_clear_pointer (&reply, g_variant_unref);

  vr_dbus_error_to_local (&error);
  helper->answered++;
  helper->last_us = g_get_monotonic_time ();
  if (error != NULL && vr_error_is (error, VR_ERROR_IN_USE))
    helper->in_use++;
  if (helper->first == NULL)
    helper->first = g_strdup (error != NULL ? error->message : "allowed");
}

static int
pending_helper (const char *conns, const char *calls, const char *go)
{
  guint n_conns = (guint) g_ascii_strtoull (conns, NULL, 10);
  guint n_calls = (guint) g_ascii_strtoull (calls, NULL, 10);
  g_autoptr (GPtrArray) buses = g_ptr_array_new_with_free_func (
      g_object_unref);
  g_autofree char *address = g_dbus_address_get_for_bus_sync (
      G_BUS_TYPE_SYSTEM, NULL, NULL);
  PendingHelper helper = { 0 };
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  pid_t parent = getppid ();

  vr_dbus_errors_register ();
  while (!g_file_test (go, G_FILE_TEST_EXISTS)
         && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  for (guint i = 0; i < n_conns; i++)
    {
      g_autoptr (GError) error = NULL;
      GDBusConnection *bus = g_dbus_connection_new_for_address_sync (
          address,
          G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
              | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
          NULL, NULL, &error);

      if (bus == NULL)
        {
          fprintf (stderr, "connection %u: %s\n", i, error->message);
          return 4;
        }
      g_ptr_array_add (buses, bus);
      for (guint j = 0; j < n_calls; j++)
        g_dbus_connection_call (bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH,
                                VR_DBUS_MANAGER_IFACE, "ListPlannedSystems",
                                NULL, G_VARIANT_TYPE ("(ao)"),
                                G_DBUS_CALL_FLAGS_NONE, G_MAXINT, NULL,
                                on_helper_reply, &helper);
    }
  helper.last_us = g_get_monotonic_time ();
  while (g_get_monotonic_time () - helper.last_us < G_USEC_PER_SEC)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (10 * 1000);
  printf ("answered %u in-use %u of %u: %s\n", helper.answered,
          helper.in_use, n_conns * n_calls,
          helper.first != NULL ? helper.first : "(none)");
  fflush (stdout);
  /* Until killed; at the latest when the test is gone. */
  while (g_file_test (go, G_FILE_TEST_EXISTS) && getppid () == parent
         && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (20 * 1000);
  return 0;
}

/* A polkit authentication agent that never answers (the review's
 * pkttyagent left at its prompt), on the test's own bus as root, for
 * one process: BeginAuthentication calls are kept until it goes. */
#define SILENT_AGENT_PATH "/org/virtrealize/test/SilentAgent"

typedef struct {
  guint object;
  GPtrArray *held; /* GDBusMethodInvocation, unanswered */
  GVariant *subject;
} SilentAgent;

static void
silent_agent_method (GDBusConnection *connection, const char *sender,
                     const char *path, const char *iface, const char *method,
                     GVariant *params, GDBusMethodInvocation *invocation,
                     gpointer data)
{
  SilentAgent *agent = data;

  if (g_str_equal (method, "BeginAuthentication"))
    g_ptr_array_add (agent->held, invocation);
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable silent_agent_vtable = {
  silent_agent_method, NULL, NULL, { 0 }
};

/* The process's start time as polkit names it (/proc/PID/stat field 22). */
static guint64
process_start_time (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *text = NULL;
  g_auto (GStrv) fields = NULL;
  const char *after;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  after = strrchr (text, ')');
  g_assert_nonnull (after);
  fields = g_strsplit (after + 2, " ", -1);
  /* Field 3 (state) is fields[0]: field 22 is fields[19]. */
  g_assert_cmpuint (g_strv_length (fields), >, 19);
  return g_ascii_strtoull (fields[19], NULL, 10);
}

static SilentAgent *
silent_agent_new (const char *pid)
{
  static const char xml[] =
      "<node><interface name='org.freedesktop.PolicyKit1."
      "AuthenticationAgent'><method name='BeginAuthentication'>"
      "<arg type='s' direction='in'/><arg type='s' direction='in'/>"
      "<arg type='s' direction='in'/><arg type='a{ss}' direction='in'/>"
      "<arg type='s' direction='in'/><arg type='a(sa{sv})' direction='in'/>"
      "</method><method name='CancelAuthentication'>"
      "<arg type='s' direction='in'/></method></interface></node>";
  g_autoptr (GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (xml, NULL);
  SilentAgent *agent = g_new0 (SilentAgent, 1);
  GVariantBuilder details;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;

  agent->held = g_ptr_array_new ();
  agent->object = g_dbus_connection_register_object (
      harness->bus, SILENT_AGENT_PATH, info->interfaces[0],
      &silent_agent_vtable, agent, NULL, &error);
  g_assert_no_error (error);
  g_variant_builder_init (&details, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&details, "{sv}", "pid",
                         g_variant_new_uint32 (atoi (pid)));
  g_variant_builder_add (&details, "{sv}", "start-time",
                         g_variant_new_uint64 (process_start_time (pid)));
  agent->subject = g_variant_ref_sink (
      g_variant_new ("(sa{sv})", "unix-process", &details));
  reply = g_dbus_connection_call_sync (
      harness->bus, "org.freedesktop.PolicyKit1",
      "/org/freedesktop/PolicyKit1/Authority",
      "org.freedesktop.PolicyKit1.Authority", "RegisterAuthenticationAgent",
      g_variant_new ("(@(sa{sv})ss)", agent->subject, "C",
                     SILENT_AGENT_PATH),
      NULL, G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, NULL, &error);
  g_assert_no_error (error);
  return agent;
}

static void
silent_agent_free (SilentAgent *agent)
{
  GVariant *reply = g_dbus_connection_call_sync (
      harness->bus, "org.freedesktop.PolicyKit1",
      "/org/freedesktop/PolicyKit1/Authority",
      "org.freedesktop.PolicyKit1.Authority", "UnregisterAuthenticationAgent",
      g_variant_new ("(@(sa{sv})s)", agent->subject, SILENT_AGENT_PATH),
      NULL, G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, NULL, NULL);

  g_clear_pointer (&reply, g_variant_unref);
  for (guint i = 0; i < agent->held->len; i++)
    g_dbus_method_invocation_return_dbus_error (
        agent->held->pdata[i], "org.freedesktop.PolicyKit1.Error.Cancelled",
        "the test ended");
  g_dbus_connection_unregister_object (harness->bus, agent->object);
  g_ptr_array_unref (agent->held);
  g_variant_unref (agent->subject);
  g_free (agent);
}

/* F1: nobody's 40 connections x 4 ListPlannedSystems, each held by a
 * polkit check that waits for a password nobody types (a rule asks
 * AUTH_ADMIN, an agent that never answers). The agent counted
 * MaxPendingAuthorizations (4) per connection: 160 checks, past the 128
 * replies dbus-daemon lets the agent's connection have pending, and every
 * caller's call failed, root's too. Counted per uid: 4 wait, the other
 * 156 are refused at once (32774 naming the key), and root's
 * ListPlannedSystems is answered meanwhile. */
static void
test_pending_per_uid (Fixture *f, gconstpointer data)
{
  g_autofree char *flag_dir = test_mkdtemp ();
  g_autofree char *flag = g_build_filename (flag_dir, "ask", NULL);
  g_autofree char *go = g_build_filename (flag_dir, "go", NULL);
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  /* Inert once the flag or this process is gone (an aborted test). */
  g_autofree char *rule = g_strdup_printf (
      "polkit.addRule(function(action, subject) {\n"
      "    if (subject.user == \"nobody\" &&\n"
      "        action.id == \"org.virtrealize.Realize1.list\") {\n"
      "        try {\n"
      "            polkit.spawn([\"/usr/bin/test\", \"-e\", \"%s\"]);\n"
      "            polkit.spawn([\"/usr/bin/test\", \"-d\", \"/proc/%d\"]);\n"
      "            return polkit.Result.AUTH_ADMIN;\n"
      "        } catch (error) {\n"
      "        }\n"
      "    }\n"
      "});\n", flag, (int) getpid ());
  const char *const argv[] = { exe, "--pending-helper", "40", "4", go,
                               NULL };
  g_autoptr (GSubprocess) helper = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  SilentAgent *agent;
  gint64 started;

  g_assert_cmpint (chmod (flag_dir, 0755), ==, 0);
  test_write_file (flag_dir, "ask", "", 0);
  vr_bus_harness_add_rules (harness, "46-vr-test-pending.rules", rule);
  helper = vr_bus_harness_spawn_as_nobody (harness, argv);
  agent = silent_agent_new (g_subprocess_get_identifier (helper));
  test_write_file (flag_dir, "go", "", 0);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (helper));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_test_message ("nobody's calls: %s", line);
  g_assert_true (g_str_has_prefix (line, "answered 156 in-use 156 of 160"));
  g_assert_nonnull (strstr (line, "MaxPendingAuthorizations=4"));
  /* Root's own calls, while nobody's 4 wait. */
  started = g_get_monotonic_time ();
  for (guint i = 0; i < 8; i++)
    {
      g_clear_pointer (&reply, g_variant_unref);
      reply = call (VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
                    "ListPlannedSystems", NULL, "(ao)", &error);
      g_assert_no_error (error);
    }
  g_test_message ("root's 8 calls took %.0f ms",
                  (g_get_monotonic_time () - started) / 1e3);
  g_assert_cmpint (g_get_monotonic_time () - started, <,
                   10 * G_USEC_PER_SEC);
  g_subprocess_force_exit (helper);
  g_assert_true (g_subprocess_wait (helper, NULL, NULL));
  silent_agent_free (agent);
  g_assert_cmpint (unlink (flag), ==, 0);
  test_rmtree (flag_dir);
}

/* The agent's open descriptors. */
static guint
agent_fds (Fixture *f)
{
  g_autofree char *path = g_strdup_printf (
      "/proc/%s/fd", g_subprocess_get_identifier (f->agent));
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint count = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

/* ValidateDefinition of file with options, handing over n_fds
 * descriptors of it; the error (VR_ERROR) or NULL. */
static GError *
validate_with_fds (const char *file, GVariant *options, guint n_fds)
{
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr (GVariant) reply = NULL;
  GError *error = NULL;

  for (guint i = 0; i < n_fds; i++)
    {
      int fd = open (file, O_RDONLY | O_CLOEXEC);

      g_assert_cmpint (fd, >=, 0);
      g_assert_cmpint (g_unix_fd_list_append (fds, fd, NULL), ==, (int) i);
      close (fd);
    }
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      harness->bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH, VR_DBUS_MANAGER_IFACE,
      "ValidateDefinition",
      g_variant_new ("(h@a{sv})", 0,
                     options != NULL ? options
                                     : g_variant_new_array (
                                         G_VARIANT_TYPE ("{sv}"), NULL, 0)),
      NULL, G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, fds, NULL, NULL,
      &error);
  vr_dbus_error_to_local (&error);
  return error;
}

/* F3, F2: before polkit is asked, a call carrying more descriptors than
 * its arguments' handles (16 a call, 4 calls a connection held the
 * agent's 1024) is refused (32773 naming the count), and the agent keeps
 * none of them; parameters past the bound (1 MiB; a 30 MB name was kept
 * per call) are refused the same way. The agent started with a soft
 * limit of 1024 descriptors raises it to its hard one. */
static void
test_call_bounds (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *file = g_build_filename (dir, "domain.xml", NULL);
  g_autofree char *big = g_strnfill (2 * 1024 * 1024, 'x');
  g_autofree char *limits_path = g_strdup_printf (
      "/proc/%s/limits", g_subprocess_get_identifier (f->agent));
  g_autofree char *limits = NULL;
  g_auto (GStrv) words = NULL;
  GVariantBuilder options;
  GError *error = NULL;
  const char *at;
  guint before;
  guint after;
  struct rlimit limit;
  struct rlimit low;

  /* The agent inherits the soft limit of systemd's default. */
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  low = limit;
  low.rlim_cur = MIN (limit.rlim_max, 1024);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  f->agent = vr_bus_harness_start_agent (harness, uri, f->state, NULL, NULL);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  g_free (limits_path);
  limits_path = g_strdup_printf ("/proc/%s/limits",
                                 g_subprocess_get_identifier (f->agent));
  test_write_file (dir, "domain.xml", "<domain type='qemu'/>", -1);
  /* One descriptor, the one its handle names: let through. */
  error = validate_with_fds (file, NULL, 1);
  g_assert_false (error != NULL
                  && vr_error_is (error, VR_ERROR_INVALID_PARAMETER)
                  && strstr (error->message, "file descriptors") != NULL);
  g_clear_error (&error);
  before = agent_fds (f);
  for (guint i = 0; i < 8; i++)
    {
      error = validate_with_fds (file, NULL, 16);
      g_assert_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER);
      g_assert_nonnull (strstr (error->message, "16 file descriptors"));
      g_test_message ("16 descriptors: %s", error->message);
      g_clear_error (&error);
    }
  error = validate_with_fds (file, NULL, 2);
  g_assert_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER);
  g_assert_nonnull (strstr (error->message, "2 file descriptors"));
  g_clear_error (&error);
  after = agent_fds (f);
  g_test_message ("agent descriptors %u before, %u after", before, after);
  g_assert_cmpuint (after, <=, before);
  /* A 2 MiB option: refused, naming the bound. */
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "display-name",
                         g_variant_new_string (big));
  error = validate_with_fds (file, g_variant_builder_end (&options), 1);
  g_assert_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER);
  g_test_message ("2 MiB: %s", error->message);
  g_assert_nonnull (strstr (error->message, "1048576 bytes"));
  g_clear_error (&error);
  /* The soft limit of descriptors is the hard one. */
  g_assert_true (g_file_get_contents (limits_path, &limits, NULL, NULL));
  at = strstr (limits, "Max open files");
  g_assert_nonnull (at);
  words = g_strsplit_set (at + strlen ("Max open files"), " \n", -1);
  {
    const char *soft = NULL;
    const char *hard = NULL;

    for (guint i = 0; words[i] != NULL && hard == NULL; i++)
      if (*words[i] != '\0')
        {
          if (soft == NULL)
            soft = words[i];
          else
            hard = words[i];
        }
    g_test_message ("agent's Max open files: %s %s", soft, hard);
    g_assert_cmpstr (soft, ==, hard);
  }
  test_rmtree (dir);
}

/* Without root or a bus harness every test is still registered, and
 * skipped with the reason: meson counts what did not run. */
static char *why_no_bus;

static void
skip_bus_test (Fixture *f, gconstpointer data)
{
  g_test_skip (why_no_bus);
}

/* An import directory nobody may read holding only a domain.xml of name
 * and uuid whose <metadata> carries pad bytes of text. */
static char *
padded_dir (const char *name, const char *uuid, gsize pad)
{
  char *dir = test_mkdtemp ();
  g_autoptr (xmlDoc) doc = xmlNewDoc ((const xmlChar *) "1.0");
  xmlNode *domain = xmlNewNode (NULL, (const xmlChar *) "domain");
  xmlNode *os;
  xmlNode *type;
  xmlNode *metadata;
  xmlNode *padding;
  xmlNs *ns;
  g_autofree char *text = g_strnfill (pad, 'x');
  g_autofree char *file = g_build_filename (dir, "domain.xml", NULL);
  xmlChar *xml = NULL;
  int size = 0;

  xmlDocSetRootElement (doc, domain);
  xmlSetProp (domain, (const xmlChar *) "type", (const xmlChar *) "qemu");
  xmlNewTextChild (domain, NULL, (const xmlChar *) "name",
                   (const xmlChar *) name);
  xmlNewTextChild (domain, NULL, (const xmlChar *) "uuid",
                   (const xmlChar *) uuid);
  xmlNewTextChild (domain, NULL, (const xmlChar *) "memory",
                   (const xmlChar *) "65536");
  xmlNewTextChild (domain, NULL, (const xmlChar *) "vcpu",
                   (const xmlChar *) "1");
  os = xmlNewChild (domain, NULL, (const xmlChar *) "os", NULL);
  type = xmlNewTextChild (os, NULL, (const xmlChar *) "type",
                          (const xmlChar *) "hvm");
  xmlSetProp (type, (const xmlChar *) "arch", (const xmlChar *) "x86_64");
  metadata = xmlNewChild (domain, NULL, (const xmlChar *) "metadata", NULL);
  padding = xmlNewChild (metadata, NULL, (const xmlChar *) "pad", NULL);
  ns = xmlNewNs (padding, (const xmlChar *) "urn:vr-test-pad",
                 (const xmlChar *) "pad");
  xmlSetNs (padding, ns);
  xmlNodeAddContent (padding, (const xmlChar *) text);
  xmlNewChild (domain, NULL, (const xmlChar *) "devices", NULL);
  xmlDocDumpMemory (doc, &xml, &size);
  test_write_file (dir, "domain.xml", (const char *) xml, size);
  xmlFree (xml);
  g_assert_cmpint (chmod (file, 0644), ==, 0);
  g_assert_cmpint (chmod (dir, 0755), ==, 0);
  return dir;
}

/* nobody's import of dir is refused naming key, with nothing changed. */
static void
assert_import_refused (Fixture *f, const char *dir, const char *key)
{
  g_autofree char *before = test_snapshot_tree (f->state);
  g_autofree char *after = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (import_as_nobody (dir, &err), !=, 0);
  g_test_message ("import as nobody: %s", err);
  g_assert_nonnull (strstr (err, key));
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);
  hostile_calls++;
}

/* Seventh review, F3: eight imports of 4 MiB grew root's state to 37 MB
 * and the agent to 739 MB. One uid keeps at most MaxPlannedPerUser
 * planned systems of MaxPlannedBytesPerUser MiB of XML in all; an import
 * past either is refused (32774 naming the key) with nothing kept. The
 * agent counts again from the store when it starts. */
static void
test_planned_limit (Fixture *f, gconstpointer data)
{
  g_autofree char *a = padded_dir ("vr-pad-1",
                                   "5a1ad0c0-7e57-4b3d-9c1e-0000000fad01",
                                   600 * 1024);
  g_autofree char *b = padded_dir ("vr-pad-2",
                                   "5a1ad0c0-7e57-4b3d-9c1e-0000000fad02",
                                   16);
  g_autofree char *c = padded_dir ("vr-pad-3",
                                   "5a1ad0c0-7e57-4b3d-9c1e-0000000fad03",
                                   600 * 1024);
  g_autofree char *conf_dir = start_limited_agent (
      f, "MaxPlannedPerUser=1\nMaxPlannedBytesPerUser=1\n", NULL);
  g_autofree char *first = import_dir (a);
  g_autofree char *second = NULL;

  assert_import_refused (f, b, "MaxPlannedPerUser=1");
  test_rmtree (conf_dir);
  g_free (g_steal_pointer (&conf_dir));
  conf_dir = start_limited_agent (
      f, "MaxPlannedPerUser=3\nMaxPlannedBytesPerUser=1\n", NULL);
  assert_import_refused (f, c, "MaxPlannedBytesPerUser=1 MiB");
  second = import_dir (b);
  destroy (first);
  destroy (second);
  test_rmtree (a);
  test_rmtree (b);
  test_rmtree (c);
  test_rmtree (conf_dir);
}

/* Seventh review, F7: user A imported user B's world-readable export
 * first, so B's import was refused ("already imported") and A could
 * realize B's VM. A folder of another user (not the caller's, not
 * root's) is imported only by its owner or with manage-others: nobody's
 * import of uid 4242's folder is refused (32769, naming the action)
 * with nothing kept; root imports it; nobody imports its own folder and
 * one of root's. */
static void
test_import_others_folder (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = padded_dir ("vr-squat",
                                     "5a1ad0c0-7e57-4b3d-9c1e-0000000fad05",
                                     16);
  g_autofree char *file = g_build_filename (dir, "domain.xml", NULL);
  g_autofree char *system = NULL;

  g_assert_cmpint (chown (dir, 4242, 4242), ==, 0);
  g_assert_cmpint (chown (file, 4242, 4242), ==, 0);
  assert_import_refused (f, dir, "org.virtrealize.Realize1.manage-others");
  {
    g_autofree char *err = NULL;

    g_assert_cmpint (import_as_nobody (dir, &err), !=, 0);
    g_assert_nonnull (strstr (err, "AccessDenied"));
    g_assert_nonnull (strstr (err, "uid 4242"));
    hostile_calls++;
  }
  /* Root imports anyone's. */
  system = import_dir_root (dir);
  destroy (system);
  g_free (system);
  g_assert_cmpint (chown (dir, 65534, 65534), ==, 0);
  system = import_dir (dir);
  destroy (system);
  g_free (system);
  g_assert_cmpint (chown (dir, 0, 0), ==, 0);
  system = import_dir (dir);
  destroy (system);
  test_rmtree (dir);
}

/* The agent again on the same state (it reads its records anew). */
static void
restart_agent (Fixture *f)
{
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  f->agent = vr_bus_harness_start_agent (harness, uri, f->state, NULL, NULL);
}

/* The agent's record of who holds uuid (STATE/uuid-owners), as uid 4242
 * (another user) left it with their Destroy: written while the agent is
 * stopped, then the agent started on it. */
static void
hold_as_other (Fixture *f, const char *uuid)
{
  g_autofree char *path = g_build_filename (f->state, "uuid-owners", NULL);
  g_autoptr (GKeyFile) file = g_key_file_new ();

  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, NULL);
  g_key_file_set_uint64 (file, uuid, "uid", 4242);
  g_key_file_set_int64 (file, uuid, "seen", g_get_real_time () / G_USEC_PER_SEC);
  g_assert_true (g_key_file_save_to_file (file, path, NULL));
  f->agent = vr_bus_harness_start_agent (harness, uri, f->state, NULL, NULL);
}

/* Ninth review, F3: after user V destroyed their planned system, user A
 * imported V's export (its UUID is public) and realized it first; V's
 * saved state could then never be realized here. The agent keeps who
 * held each UUID across Destroy and restarts (nobody's own import,
 * destroyed, is still nobody's in STATE/uuid-owners); a UUID uid 4242
 * holds is refused to nobody's import (32769 naming the UUID, another
 * user and manage-others, nothing kept), imported by root, and by
 * nobody with a new UUID; nobody's planned system imported before the
 * hold was known (an older agent) is not realized or updated by them. */
static void
test_uuid_held (Fixture *f, gconstpointer data)
{
  static const char held[] = "5a1ad0c0-7e57-4b3d-9c1e-0000000fad06";
  static const char older[] = "5a1ad0c0-7e57-4b3d-9c1e-0000000fad07";
  g_autofree char *dir = padded_dir ("vr-held", held, 16);
  g_autofree char *dir2 = padded_dir ("vr-held-2", older, 16);
  g_autofree char *record = g_build_filename (f->state, "uuid-owners", NULL);
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autofree char *system = import_dir (dir);
  g_autofree char *mine = NULL;
  g_autofree char *arg = realize_arg (f);
  g_autofree char *hostile = NULL;
  g_autofree char *err = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  struct stat st;

  destroy (system);
  g_clear_pointer (&system, g_free);
  restart_agent (f);
  g_assert_true (g_key_file_load_from_file (file, record, G_KEY_FILE_NONE,
                                            NULL));
  g_assert_cmpuint (g_key_file_get_uint64 (file, held, "uid", NULL), ==,
                    65534);
  g_assert_cmpint (stat (record, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  /* Its own UUID again: free to nobody. */
  system = import_dir (dir);
  destroy (system);
  g_clear_pointer (&system, g_free);

  hold_as_other (f, held);
  assert_import_refused (f, dir, held);
  g_assert_cmpint (import_as_nobody (dir, &err), !=, 0);
  g_assert_nonnull (strstr (err, "AccessDenied"));
  g_assert_nonnull (strstr (err, "another user (uid 4242)"));
  g_assert_nonnull (strstr (err, "org.virtrealize.Realize1.manage-others"));
  hostile_calls++;
  system = import_dir_root (dir);
  destroy (system);
  g_clear_pointer (&system, g_free);
  /* With manage-others (a rule that holds while flag exists), nobody's
   * import is let through: polkit is asked from the import's worker. */
  {
    g_autofree char *flag_dir = test_mkdtemp ();
    g_autofree char *flag = g_build_filename (flag_dir, "grant", NULL);
    g_autofree char *rule = g_strdup_printf (
        "polkit.addRule(function(action, subject) {\n"
        "    if (subject.user == \"nobody\" &&\n"
        "        action.id == \"org.virtrealize.Realize1.manage-others\") {\n"
        "        try {\n"
        "            polkit.spawn([\"/usr/bin/test\", \"-e\", \"%s\"]);\n"
        "            return polkit.Result.YES;\n"
        "        } catch (error) {\n"
        "        }\n"
        "    }\n"
        "});\n", flag);

    g_assert_cmpint (chmod (flag_dir, 0755), ==, 0);
    test_write_file (flag_dir, "grant", "", 0);
    vr_bus_harness_add_rules (harness, "47-vr-test-trust-held.rules", rule);
    system = import_dir (dir);
    g_assert_cmpint (unlink (flag), ==, 0);
    destroy (system);
    g_clear_pointer (&system, g_free);
    test_rmtree (flag_dir);
  }

  /* Imported by nobody before the hold was known to the agent. */
  mine = import_dir (dir2);
  hold_as_other (f, older);
  assert_refused (f, mine, VR_DBUS_PLANNED_IFACE ".Realize", arg,
                  "org.virtrealize.Realize1.manage-others", older);
  hostile = hostile_xml_of (dir2);
  before = test_snapshot_tree (f->state);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (update_as_nobody (mine, hostile, &err), !=, 0);
  g_test_message ("Update as nobody: %s", err);
  g_assert_nonnull (strstr (err, older));
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);
  hostile_calls++;
  destroy (mine);
  assert_nothing_defined (f);
  test_rmtree (dir);
  test_rmtree (dir2);
}

/* The same hold from a realized domain's tag (vr:realize owner=, what a
 * realize through the agent writes): a domain of that UUID uid 4242
 * realized refuses nobody's import of it. */
static void
test_uuid_held_domain (Fixture *f, gconstpointer data)
{
  static const char held[] = "5a1ad0c0-7e57-4b3d-9c1e-0000000fad08";
  g_autofree char *dir = padded_dir ("vr-held-dom", held, 16);
  g_autofree char *xml_dir = test_mkdtemp ();
  g_autofree char *xml = g_strdup_printf (
      "<domain type='qemu'><name>vr-held-dom</name><uuid>%s</uuid>"
      "<memory>65536</memory><vcpu>1</vcpu>"
      "<os><type arch='x86_64'>hvm</type></os>"
      "<metadata><vr:realize xmlns:vr='" VR_REALIZE_METADATA_NS "' "
      "planned='%s' job='1' owner='4242' bytes='1'/></metadata>"
      "<devices/></domain>", held, held);
  g_autofree char *path = g_build_filename (xml_dir, "dom.xml", NULL);
  g_autofree char *define = g_strdup_printf ("define %s", path);
  g_autofree char *defined = NULL;
  g_autofree char *undefined = NULL;

  test_write_file (xml_dir, "dom.xml", xml, -1);
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  defined = test_virsh (uri, define);
  g_test_message ("%s", defined);
  f->agent = vr_bus_harness_start_agent (harness, uri, f->state, NULL, NULL);
  assert_import_refused (f, dir, "another user (uid 4242)");
  vr_bus_harness_stop_agent (g_steal_pointer (&f->agent));
  undefined = test_virsh (uri, "undefine vr-held-dom");
  f->agent = vr_bus_harness_start_agent (harness, uri, f->state, NULL, NULL);
  test_rmtree (xml_dir);
  test_rmtree (dir);
}

/* domain.xml of the test bed's kind with n file disks, in a folder
 * nobody may read; its path. */
static char *
many_disks_file (guint n)
{
  g_autofree char *dir = padded_dir (
      "vr-many", "5a1ad0c0-7e57-4b3d-9c1e-0000000fad04", 0);
  char *file = g_build_filename (dir, "domain.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr (xmlDoc) doc = NULL;
  xmlNode *devices;
  xmlChar *xml = NULL;
  int size = 0;

  g_assert_true (g_file_get_contents (file, &text, &len, NULL));
  doc = vr_xml_parse_buffer (text, len, file, "domain", &error);
  g_assert_no_error (error);
  devices = xmlDocGetRootElement (doc)->last;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = g_strdup_printf ("/x%u", i);
      xmlNode *disk = xmlNewChild (devices, NULL, (const xmlChar *) "disk",
                                   NULL);
      xmlNode *source = xmlNewChild (disk, NULL, (const xmlChar *) "source",
                                     NULL);

      xmlSetProp (disk, (const xmlChar *) "type", (const xmlChar *) "file");
      xmlSetProp (source, (const xmlChar *) "file", (const xmlChar *) path);
    }
  xmlDocDumpMemory (doc, &xml, &size);
  test_write_file (dir, "domain.xml", (const char *) xml, size);
  xmlFree (xml);
  return file;
}


static long
agent_rss_kib (Fixture *f)
{
  g_autofree char *path = g_strdup_printf (
      "/proc/%s/status", g_subprocess_get_identifier (f->agent));
  g_autofree char *text = NULL;
  const char *at;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  at = strstr (text, "VmRSS:");
  g_assert_nonnull (at);
  return atol (at + strlen ("VmRSS:"));
}

/* A file whose machine type is 1 MiB long, unique per round: the
 * findings name it, so each reply carries it. */
static void
write_long_machine (const char *dir, char *pad, gsize size, guint round)
{
  g_autoptr (xmlDoc) doc = xmlNewDoc (BAD_CAST "1.0");
  xmlNode *domain = xmlNewNode (NULL, BAD_CAST "domain");
  xmlNode *os;
  xmlNode *type;
  xmlChar *xml = NULL;
  int len = 0;
  char tag[16];

  g_snprintf (tag, sizeof tag, "%08u", round);
  memcpy (pad, tag, 8);
  memset (pad + 8, 'm', size - 9);
  pad[size - 1] = '\0';
  xmlDocSetRootElement (doc, domain);
  xmlSetProp (domain, BAD_CAST "type", BAD_CAST "qemu");
  xmlNewTextChild (domain, NULL, BAD_CAST "name", BAD_CAST "long-machine");
  xmlNewTextChild (domain, NULL, BAD_CAST "memory", BAD_CAST "65536");
  os = xmlNewChild (domain, NULL, BAD_CAST "os", NULL);
  type = xmlNewTextChild (os, NULL, BAD_CAST "type", BAD_CAST "hvm");
  xmlSetProp (type, BAD_CAST "arch", BAD_CAST "x86_64");
  xmlSetProp (type, BAD_CAST "machine", BAD_CAST pad);
  xmlDocDumpMemory (doc, &xml, &len);
  test_write_file (dir, "domain.xml", (const char *) xml, len);
  xmlFree (xml);
}

/* Fourteenth review's note: validating files with unique 1 MiB machine
 * names grew root's agent by about 1 MB a call, for any local user. The
 * ValidateDefinition reply (the findings, which quote the name) was sunk
 * and then stolen into return_value, which took a reference of its own:
 * every reply leaked. 40 calls as nobody; from the 10th to the 40th the
 * agent may grow by at most 8 MiB (the leak: 30 MiB and more). RSS under
 * ASan holds freed memory in quarantine; there LeakSanitizer (with
 * G_SLICE=always-malloc) sees the leak itself. */
static void
test_validate_memory (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *file = g_build_filename (dir, "domain.xml", NULL);
  g_autofree char *pad = g_malloc (1 << 20);
  const char *const args[] = { "validate", file, NULL };
  long at_10 = 0;
  long at_40;

  if (test_sanitized ())
    {
      g_test_skip ("RSS under ASan holds freed memory (quarantine); "
                   "LeakSanitizer checks this run");
      test_rmtree (dir);
      return;
    }
  g_assert_cmpint (chmod (dir, 0755), ==, 0);
  for (guint i = 1; i <= 40; i++)
    {
      g_autofree char *err = NULL;

      write_long_machine (dir, pad, 1 << 20, i);
      g_assert_cmpint (chmod (file, 0644), ==, 0);
      /* Not offered here: the run ends in findings (exit 3). */
      g_assert_cmpint (cli_as_nobody (args, &err), ==, 3);
      g_assert_nonnull (strstr (err, "VR1104"));
      if (i == 10)
        at_10 = agent_rss_kib (f);
    }
  at_40 = agent_rss_kib (f);
  g_test_message ("agent RSS after 10 validations %ld KiB, after 40 %ld KiB",
                  at_10, at_40);
  g_assert_cmpint (at_40 - at_10, <, 8 * 1024);
  test_rmtree (dir);
}

/* The number of objects the agent serves, read as any user reads them;
 * GetManagedObjects failing (the agent gone) fails the test. */
static guint
managed_object_count (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      harness->bus, VR_DBUS_NAME, "/org/virtrealize/Realize1",
      "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL,
      G_VARIANT_TYPE ("(a{oa{sa{sv}}})"), G_DBUS_CALL_FLAGS_NONE,
      WAIT_SECONDS * 1000, NULL, &error);
  g_autoptr (GVariant) objects = NULL;

  g_assert_no_error (error);
  objects = g_variant_get_child_value (reply, 0);
  return g_variant_n_children (objects);
}

/* Eighteenth review, F4: two imports named 17 MB each (or three jobs'
 * TargetName of 20 MB) made GetManagedObjects' reply pass the bus's 32 MB,
 * and dbus-daemon dropped the agent, again after every restart. A name
 * past 200 bytes is refused (32773, the limit named, the name not echoed
 * whole) before a job or a planned system is made. */
static void
test_long_name (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = other_guest_dir ();
  g_autofree char *name = g_strnfill (1 << 20, 'n');
  const char *methods[] = { "ImportSystemDefinition",
                            "ImportSystemDefinitionAsJob" };
  guint before = managed_object_count ();

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
      g_autoptr (GVariant) reply = NULL;
      g_autoptr (GError) error = NULL;
      int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

      g_assert_cmpint (g_unix_fd_list_append (fds, fd, NULL), ==, 0);
      close (fd);
      reply = g_dbus_connection_call_with_unix_fd_list_sync (
          harness->bus, VR_DBUS_NAME, VR_DBUS_MANAGER_PATH,
          VR_DBUS_MANAGER_IFACE, methods[i],
          g_variant_new ("(hsa{sv})", 0, name, NULL), NULL,
          G_DBUS_CALL_FLAGS_NONE, WAIT_SECONDS * 1000, fds, NULL, NULL,
          &error);
      vr_dbus_error_to_local (&error);
      g_assert_null (reply);
      g_assert_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER);
      g_assert_nonnull (strstr (error->message, "at most 200 bytes"));
      g_assert_cmpuint (strlen (error->message), <, 1024);
    }
  g_assert_cmpuint (managed_object_count (), ==, before);
  test_rmtree (dir);
}

/* Seventh review, F4: ValidateDefinition of 40,000 disks cost the agent
 * 30-48 s of CPU and returned 22 MB. It is refused before any check
 * (32773): 40,000 disks are past the 32768 attributes safe-xml lets the
 * parser see (and its 8192 elements, /safe-xml/element-bound), 1100 past
 * the 1024 devices validate looks at, named by count. */
static void
test_validate_bounded (Fixture *f, gconstpointer data)
{
  static const struct {
    guint disks;
    const char *says;
  } cases[] = {
    { 40000, "more than 32768 attributes" },
    { 1100, "1100 devices in /domain/devices" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *file = many_disks_file (cases[i].disks);
      g_autofree char *dir = g_path_get_dirname (file);
      const char *const args[] = { "validate", file, NULL };
      g_autofree char *err = NULL;
      gint64 start = g_get_monotonic_time ();

      g_assert_cmpint (cli_as_nobody (args, &err), ==, 1);
      g_test_message ("validate of %u disks as nobody (%" G_GINT64_FORMAT
                      " ms): %s", cases[i].disks,
                      (g_get_monotonic_time () - start) / 1000, err);
      g_assert_nonnull (strstr (err, "(32773)"));
      g_assert_nonnull (strstr (err, cases[i].says));
      hostile_calls++;
      test_rmtree (dir);
    }
}

/* Seventh review, F4: six validations at once of one user all ran. With
 * MaxValidationsPerUser=1, nobody's second while the first is held is
 * refused naming the key; after the first ends, one runs again. */
static void
test_validate_slots (Fixture *f, gconstpointer data)
{
  g_autofree char *file = many_disks_file (1);
  g_autofree char *dir = g_path_get_dirname (file);
  g_autofree char *ctl = test_mkdtemp ();
  g_autofree char *pause = g_build_filename (ctl, "pause", NULL);
  g_autofree char *reached = g_build_filename (ctl, "reached", NULL);
  g_autofree char *env_pause = g_strconcat ("VR_TEST_PAUSE_FILE=", pause,
                                            NULL);
  g_autofree char *env_reached = g_strconcat ("VR_TEST_PAUSE_REACHED=",
                                              reached, NULL);
  const char *const envv[] = { "VR_TEST_PAUSE_AT=validate-definition",
                               env_pause, env_reached, NULL };
  const char *const argv[] = { g_getenv ("VR_CLI"), "--system", "validate",
                               file, NULL };
  const char *const args[] = { "validate", file, NULL };
  g_autofree char *own = other_guest_dir ();
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *const helper[] = { exe, "--import-helper", own, NULL };
  g_autofree char *own_xml = g_build_filename (own, "domain.xml", NULL);
  g_autofree char *xml = NULL;
  g_autofree char *mine = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *conf_dir = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GSubprocess) first = NULL;
  gint64 deadline;

  if (!vr_test_hooks_enabled ())
    {
      g_test_skip ("needs a build with -Dtest_hooks=true (the pause)");
      test_rmtree (own);
      test_rmtree (dir);
      test_rmtree (ctl);
      return;
    }
  g_assert_true (g_file_get_contents (own_xml, &xml, NULL, NULL));
  conf_dir = start_limited_agent (f, "MaxValidationsPerUser=1\n", envv);
  if (vr_bus_harness_run_as_nobody_out (harness, helper, &mine, &err) != 0)
    g_error ("import as nobody: %s", err);
  g_strstrip (mine);
  g_clear_pointer (&err, g_free);
  test_write_file (ctl, "pause", "", -1);
  first = vr_bus_harness_spawn_as_nobody (harness, argv);
  deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  while (!g_file_test (reached, G_FILE_TEST_EXISTS)
         && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_assert_true (g_file_test (reached, G_FILE_TEST_EXISTS));
  g_assert_cmpint (cli_as_nobody (args, &err), ==, 1);
  g_test_message ("second validate as nobody: %s", err);
  g_assert_nonnull (strstr (err, "MaxValidationsPerUser=1"));
  hostile_calls++;
  /* An Update parses and judges up to 4 MiB as root: it takes a slot
   * too (eleventh review, left open then). */
  before = test_snapshot_tree (f->state);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (update_as_nobody (mine, xml, &err), !=, 0);
  g_test_message ("update as nobody meanwhile: %s", err);
  g_assert_nonnull (strstr (err, "MaxValidationsPerUser=1"));
  after = test_snapshot_tree (f->state);
  g_assert_cmpstr (before, ==, after);
  hostile_calls++;
  g_assert_cmpint (unlink (pause), ==, 0);
  g_assert_true (g_subprocess_wait (first, NULL, NULL));
  g_clear_pointer (&err, g_free);
  cli_as_nobody (args, &err);
  g_assert_null (strstr (err, "MaxValidationsPerUser"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (update_as_nobody (mine, xml, &err), ==, 0);
  destroy (mine);
  test_rmtree (own);
  test_rmtree (dir);
  test_rmtree (ctl);
  test_rmtree (conf_dir);
}

int
main (int argc, char **argv)
{
  int status;

  if (argc == 3 && g_str_equal (argv[1], "--import-helper"))
    return import_helper (argv[2]);
  if (argc == 6 && g_str_equal (argv[1], "--job-helper"))
    return job_helper (argv[2], argv[3], argv[4], argv[5]);
  if (argc == 5 && g_str_equal (argv[1], "--realize-helper"))
    return realize_helper (argv[2], argv[3], argv[4]);
  if (argc == 5 && g_str_equal (argv[1], "--queue-helper"))
    return queue_helper (argv[2], argv[3], argv[4]);
  if (argc == 5 && g_str_equal (argv[1], "--pending-helper"))
    return pending_helper (argv[2], argv[3], argv[4]);
  g_test_init (&argc, &argv, NULL);
  vr_dbus_errors_register ();
  if (getuid () != 0 || !write_test_rules ())
    why_no_bus = g_strdup ("needs root (a polkit rule and a private bus)");
  else
    harness = vr_bus_harness_new (TRUE, &why_no_bus);
  if (harness != NULL)
    {
      root = vr_testbed_new_root ("agent-trust");
      uri = vr_testbed_root_uri (root);
    }
#define ADD(path, data, func) \
  if (harness != NULL) \
    g_test_add ("/agent-trust/" path, Fixture, data, fixture_set_up, func, \
                fixture_tear_down); \
  else \
    g_test_add ("/agent-trust/" path, Fixture, data, NULL, skip_bus_test, NULL)
  ADD ("hostile/planned", GINT_TO_POINTER (FALSE), test_hostile_realize);
  ADD ("hostile/image", GINT_TO_POINTER (TRUE), test_hostile_realize);
  ADD ("other-guests", NULL, test_other_guests);
  ADD ("in-place", NULL, test_in_place);
  ADD ("relative-dev", NULL, test_relative_dev);
  ADD ("validate-severity", NULL, test_validate_severity);
  ADD ("bridges", NULL, test_bridges);
  ADD ("networks", NULL, test_networks);
  ADD ("fixed-port", NULL, test_fixed_port);
  ADD ("author", NULL, test_author);
  ADD ("manage-others", NULL, test_manage_others);
  ADD ("owner-in-memory", NULL, test_owner_in_memory);
  ADD ("admin/planned", GINT_TO_POINTER (FALSE), test_admin_realizes);
  ADD ("admin/image", GINT_TO_POINTER (TRUE), test_admin_realizes);
  ADD ("secrets", NULL, test_secrets);
  ADD ("cli-as-nobody", NULL, test_cli_as_nobody);
  ADD ("no-user-interaction", NULL, test_no_user_interaction);
  ADD ("import-unreadable", NULL, test_import_unreadable);
  ADD ("import-before-parse", NULL, test_import_before_parse);
  ADD ("pool-dir", NULL, test_pool_dir);
  ADD ("import-fd", NULL, test_import_fd);
  ADD ("import-fd-moved", NULL, test_import_fd_moved);
  ADD ("import-fd-changed", NULL, test_import_fd_changed);
  ADD ("import-limit", NULL, test_import_limit);
  ADD ("import-caller-gone", NULL, test_import_caller_gone);
  ADD ("import-fair", NULL, test_import_fair);
  ADD ("realize-fair", NULL, test_realize_fair);
  ADD ("realize-dir-released", NULL, test_realize_dir_released);
  ADD ("kept-jobs", NULL, test_kept_jobs);
  ADD ("import-waiting", NULL, test_import_waiting);
  ADD ("realize-limit", NULL, test_realize_limit);
  ADD ("realize-limit-destroyed", NULL, test_realize_limit_destroyed);
  ADD ("realize-limit-together", NULL, test_realize_limit_together);
  ADD ("realize-limit-disk", NULL, test_realize_limit_disk);
  ADD ("realize-limit-grown", NULL, test_realize_limit_grown);
  ADD ("tpm-leftover", NULL, test_tpm_leftover);
  ADD ("realize-limit-released", NULL, test_realize_limit_released);
  ADD ("unit-capabilities", NULL, test_unit_capabilities);
  /* Decides by itself whether it can run (no agent started for it). */
  g_test_add ("/agent-trust/active-session", Fixture, NULL, NULL,
              test_active_session, NULL);
  ADD ("others-file", NULL, test_others_file);
  ADD ("manifest-oracle", NULL, test_manifest_oracle);
  ADD ("snapshot-domain", NULL, test_snapshot_domain);
  ADD ("update-name", NULL, test_update_name);
  ADD ("validate-others", NULL, test_validate_others);
  ADD ("validate-definition-oracle", NULL, test_validate_definition_oracle);
  ADD ("image-os", NULL, test_image_os);
  ADD ("planned-limit", NULL, test_planned_limit);
  ADD ("validate-bounded", NULL, test_validate_bounded);
  ADD ("validate-memory", NULL, test_validate_memory);
  ADD ("long-name", NULL, test_long_name);
  ADD ("validate-slots", NULL, test_validate_slots);
  ADD ("import-others-folder", NULL, test_import_others_folder);
  ADD ("uuid-held", NULL, test_uuid_held);
  ADD ("uuid-held-domain", NULL, test_uuid_held_domain);
  ADD ("import-jobs", NULL, test_import_jobs);
  ADD ("pending-per-uid", NULL, test_pending_per_uid);
  ADD ("call-bounds", NULL, test_call_bounds);
#undef ADD
  status = g_test_run ();
  if (harness != NULL)
    g_printerr ("hostile calls: %u\n", hostile_calls);
  g_clear_pointer (&harness, vr_bus_harness_free);
  unlink (TEST_RULES);
  if (root != NULL)
    test_rmtree (root);
  g_free (root);
  g_free (uri);
  g_free (why_no_bus);
  return status;
}
