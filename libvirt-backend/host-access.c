/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "host-access.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/xpath.h>

#include "domain-bounds.h"
#include "safe-xml.h"

typedef enum {
  RULE_ALWAYS,    /* the construct itself reaches the host */
  RULE_PATH,      /* a host path: fine inside the allowed dirs */
  RULE_CARRIED,   /* as RULE_PATH, and a relative path is a carried file */
  RULE_BOOT,      /* a boot file: fine inside the firmware or allowed dirs */
  RULE_LABELLED,  /* a boot file libvirt chowns to QEMU: allowed dirs only */
  RULE_NVRAM,     /* written by QEMU: carried, allowed, or made new */
  RULE_EMULATOR,  /* an executable: fine when the capabilities list it */
  RULE_RNG,       /* a random source: fine when it is the kernel's */
  RULE_BRIDGE,    /* a host bridge: fine when the policy lists it */
  RULE_NETWORK,   /* a libvirt network: fine when it keeps the guest off
                     the host's segments (network_allowed) */
  RULE_KNOWN,     /* the guest's own data, never a host path */
  RULE_ASKED,     /* as RULE_ALWAYS in the planned XML; in a running
                     guest's, libvirt's own record of that run */
} RuleKind;

typedef struct {
  const char *id;
  RuleKind kind;
  const char *xpath;
  const char *gives;  /* what it would give the caller, for the message */
  const char *hint;   /* the fix when not the finding's usual one */
} Rule;

#define CHARDEVS "/domain/devices/*[self::serial or self::console" \
                 " or self::channel or self::parallel or self::redirdev" \
                 " or self::smartcard]"

/* libvirt's domain XML (formatdomain, domaincommon.rng) read for every
 * attribute or element that names a host file, socket, device, program or
 * host data. QEMU runs as one user for all guests, so any file it opens
 * may be another guest's: only the caller's own import directory is
 * theirs. */
static const Rule rules[] = {
  { VR_FINDING_HOST_QEMU, RULE_ALWAYS,
    "/domain/*[namespace-uri()='http://libvirt.org/schemas/domain/qemu/1.0']",
    "passes options straight to QEMU, which runs them on the host", NULL },
  { VR_FINDING_HOST_SECLABEL, RULE_ALWAYS,
    /* A dynamic label's <label> is what libvirt generated when it ran
     * (a save image's XML has it) and dropped when parsed again; a
     * <baselabel> picks the confinement itself. */
    "/domain/seclabel[@type='none' or @type='static' or @model='none'"
    " or @relabel='no' or baselabel"
    " or ((label or imagelabel) and not(@type='dynamic'))]"
    " | /domain/devices//seclabel[@relabel='no' or @model='none' or label]",
    "overrides the security label that confines QEMU", NULL },
  { VR_FINDING_HOST_DEVICE, RULE_ALWAYS,
    "/domain/devices/hostdev | /domain/devices/interface[@type='hostdev']"
    " | /domain/devices/interface[@type='vdpa']"
    " | /domain/devices/disk[@type='nvme' or @type='vhostvdpa']"
    /* Eleventh review, F1/F5: a backing store is a disk source of its
     * own; libvirt opens the host's NVMe or vDPA device for it. */
    " | /domain/devices/disk//backingStore[@type='nvme'"
    " or @type='vhostvdpa' or @type='vhostuser']"
    /* The host's memory encryption (/dev/sev) and SGX enclave pages. */
    " | /domain/launchSecurity[@type]"
    " | /domain/devices/memory[@model='sgx-epc']"
    " | /domain/devices/smartcard[@mode='host' or @mode='host-certificates']"
    " | /domain/devices/tpm/backend[@type='passthrough']"
    " | /domain/devices/input[@type='passthrough' or @type='evdev']"
    " | /domain/devices/graphics/gl[@rendernode]"
    " | /domain/devices/video/driver[@rendernode]"
    " | /domain/devices/audio[@type='oss' or @type='alsa']",
    "gives the guest a device of the host", NULL },
  { VR_FINDING_HOST_FOREIGN, RULE_ALWAYS,
    "/domain/devices/disk[@type='volume']/source"
    " | /domain/devices/disk//backingStore[@type='volume']/source",
    "names a libvirt storage volume: another guest's disk", NULL },
  /* Only raw and qcow2 images are read here (their headers judged at
   * realize, on the copy): a VMDK descriptor names extents, a QED or
   * VHDX image a backing file, which QEMU opens wherever they are
   * (eleventh review, F2/F3; realize refuses a declared type that is not
   * the file's, this tells validate's caller first). */
  { VR_FINDING_HOST_PATH, RULE_ALWAYS,
    "/domain/devices/disk/driver[@type and not(@type='raw'"
    " or @type='qcow2' or @type='iso')]"
    " | /domain/devices/disk//backingStore/format[@type and"
    " not(@type='raw' or @type='qcow2' or @type='iso')]",
    "opens a disk image in a format whose header names other host files "
    "(VMDK extents, a QED or VHDX backing file), which nothing here reads",
    "convert the disk to qcow2 or raw (qemu-img convert -O qcow2) and "
    "declare that <driver type>, or have an administrator realize it (the "
    "host-access right, polkit action "
    "org.virtrealize.Realize1.realize-host-access)" },
  /* Only a file disk's <source file> is carried: realize copies it into
   * the pool and rewrites it (realize-disks). libvirt reads no @file of
   * another disk type, and no relative value elsewhere is rewritten:
   * libvirt resolves one against its working directory '/' and labels
   * (chowns) that host path for QEMU (sixth review, F6). */
  { VR_FINDING_HOST_PATH, RULE_CARRIED,
    "/domain/devices/disk[not(@type) or @type='file']/source/@file",
    "opens a host path outside the carried files", NULL },
  { VR_FINDING_HOST_PATH, RULE_PATH,
    "/domain/devices/disk[@type and not(@type='file')]/source/@file"
    " | /domain/devices/disk/source/@dev"
    " | /domain/devices/disk/source/@dir"
    " | /domain/devices/disk//backingStore/source/@file"
    " | /domain/devices/disk//backingStore/source/@dev"
    " | /domain/devices/disk//backingStore/source/@dir"
    " | /domain/devices/disk/source/dataStore/source/@file"
    " | /domain/devices/disk/source/dataStore/source/@dev"
    " | /domain/devices/filesystem/source/@dir"
    " | /domain/devices/filesystem/source/@file"
    " | /domain/devices/filesystem/source/@dev"
    " | /domain/devices/memory/source/path"
    " | /domain/devices/tpm/backend[@type='emulator']/source/@path",
    "opens a host path outside the carried files (a relative one is"
    " resolved against libvirt's working directory '/': only a file"
    " disk's <source file> is carried)",
    "remove it from the planned XML, carry the disk as a file disk "
    "(<disk type='file'> with a relative <source file>, realized with "
    "--copy-disks), or have an administrator realize it (the host-access "
    "right, polkit action org.virtrealize.Realize1.realize-host-access)" },
  { VR_FINDING_HOST_CHARDEV, RULE_PATH,
    CHARDEVS "[not(@type='pty')]/source/@path | " CHARDEVS "/log/@file"
    " | /domain/devices/rng/backend/source/@path"
    " | /domain/devices/shmem/server/@path"
    " | /domain/devices/filesystem/source/@socket"
    " | /domain/devices/interface/source/@path"
    " | /domain/devices/disk/source/@path"
    " | /domain/devices/disk/source/host/@socket"
    " | /domain/devices/tpm/backend[@type='external']/source/@path"
    " | /domain/devices/graphics/listen/@socket"
    " | /domain/devices/graphics/@socket"
    " | /domain/devices/audio/@path | /domain/devices/audio/*/@path",
    "connects the guest to a host file, device or socket", NULL },
  { VR_FINDING_HOST_CHARDEV, RULE_ALWAYS,
    /* Without a path QEMU writes the sound to a file of its own choice;
     * a sound server is the host user's. */
    "/domain/devices/audio[@type='file' and not(@path)]"
    " | /domain/devices/audio[not(@type='none' or @type='spice'"
    " or @type='dbus' or @type='file' or @type='oss' or @type='alsa')]"
    " | /domain/devices/disk[@type='network']"
    " | /domain/devices/disk//backingStore[@type='network']"
    " | /domain/devices/graphics[@type='dbus' and @address]"
    /* A listener is the guest's own; anything but one <source
     * mode='bind'> is (or may be read as) a connection (tenth review:
     * a second <source mode='bind'> hid a connecting one). */
    " | " CHARDEVS "[@type='udp' or (@type='tcp' and"
    " not(count(source)=1 and source/@mode='bind'))]"
    " | /domain/devices/rng/backend[@model='egd' and"
    " (@type='udp' or (@type='tcp' and"
    " not(count(source)=1 and source/@mode='bind')))]",
    "connects the guest to a host service (a file QEMU picks, a sound"
    " server, a network block or socket service seen from the host)", NULL },
  /* One firmware file for every guest (the packaged one): written by
   * one guest, it is what the next boots (fifth review, F1). */
  { VR_FINDING_HOST_BOOT, RULE_ALWAYS,
    "/domain/os/loader[@readonly='no']",
    "gives QEMU a firmware file to write (readonly='no'): a shared file"
    " another guest boots, or any file the path names", NULL },
  /* libvirt's DAC driver chowns a direct-boot kernel, initrd, DTB and
   * ACPI table to QEMU's user while the guest runs (not the loader): one
   * from the firmware folders would be a packaged file every guest's QEMU
   * could rewrite meanwhile (eleventh review, left open then). */
  { VR_FINDING_HOST_BOOT, RULE_LABELLED,
    "/domain/os/kernel | /domain/os/initrd | /domain/os/dtb"
    " | /domain/os/acpi/table",
    "boots a host file that libvirt gives to QEMU's user while the guest"
    " runs (outside the carried files, even a packaged one)",
    "carry the file in the import directory, or have an administrator "
    "realize it (the host-access right, polkit action "
    "org.virtrealize.Realize1.realize-host-access)" },
  { VR_FINDING_HOST_BOOT, RULE_BOOT,
    "/domain/os/loader | /domain/os/nvram/@template"
    " | /domain/devices/*/rom/@file",
    "boots or loads a host file outside the firmware directories", NULL },
  /* libvirt (8.5 on) takes a disk-style <source> in <nvram> once it has
   * a type: any file, block device or network server as the guest's
   * writable flash, never judged as a path (eighth review, F1). libvirt
   * itself and virt-realize write only the plain form. */
  { VR_FINDING_HOST_BOOT, RULE_ALWAYS,
    "/domain/os/nvram[@type or *]",
    "keeps the guest's UEFI variables in the host file, device or network"
    " service its <source> names (writable by the guest)", NULL },
  { VR_FINDING_HOST_BOOT, RULE_NVRAM,
    "/domain/os/nvram",
    "keeps the guest's UEFI variables in an existing host file", NULL },
  { VR_FINDING_HOST_EMULATOR, RULE_EMULATOR,
    "/domain/devices/emulator | /domain/devices/filesystem/binary/@path",
    "runs a program the host's capabilities do not list", NULL },
  /* The seventh review's findings, ahead of the rules below so that one
   * construct gives one finding. A tap libvirt makes for an ethernet
   * interface, managed or not, is left in the host's own network stack,
   * on no bridge: the host takes the guest's Router Advertisements there
   * (a default route through the guest), and root's libvirt puts the
   * <source>'s <ip> and <route> on the host (qemuInterfaceStartDevice,
   * virNetDevIPInfoAddToDev): the host's routing hijacked (F1). */
  { VR_FINDING_HOST_NETWORK, RULE_ALWAYS,
    "/domain/devices/interface[@type='ethernet']",
    "makes a host network interface (a tap on no bridge) in the host's own"
    " network stack: the host takes the guest's router advertisements"
    " there, and the addresses and routes its <source> names",
    "use a libvirt network (<interface type='network'>) or a bridge an "
    "administrator allows (Bridges= in /etc/virt-realize/agent.conf), or "
    "have an administrator realize it (the host-access right, polkit "
    "action org.virtrealize.Realize1.realize-host-access)" },
  /* Host-side addresses, routes and point-to-point peers: libvirt only
   * ever puts them on the host (an ethernet tap's, above; an LXC veth's),
   * never in the guest, whatever the interface type says. */
  { VR_FINDING_HOST_NETWORK, RULE_ALWAYS,
    "/domain/devices/interface/source/ip"
    " | /domain/devices/interface/source/route"
    " | /domain/devices/interface//ip/@peer",
    "puts an address or route on the host's side of the interface: the"
    " host's routing for any destination, through the guest",
    "remove it from the planned XML (the guest's own addresses are "
    "configured in the guest), or have an administrator realize it (the "
    "host-access right, polkit action "
    "org.virtrealize.Realize1.realize-host-access)" },
  /* Linux gives a bridge the smallest MTU of its ports: a tap's <mtu>
   * lowers the shared bridge (an allowed one, a network's virbr) for the
   * host and every guest there, and below 1280 the host drops the
   * bridge's IPv6 (F6). Without it libvirt gives the tap the bridge's
   * own. A user (slirp, passt) interface's MTU is that process's. */
  { VR_FINDING_HOST_SEGMENT, RULE_ALWAYS,
    "/domain/devices/interface[not(@type='user')]/mtu",
    "sets the MTU of the guest's host-side port: a shared bridge takes the"
    " smallest of its ports', so the host and every guest on it get this"
    " one (and lose IPv6 below 1280)",
    "remove <mtu> (libvirt then gives the port the bridge's or network's "
    "own MTU), or have an administrator realize it (the host-access "
    "right, polkit action org.virtrealize.Realize1.realize-host-access)" },
  /* Without a rendernode libvirt picks the host's first DRM render node
   * itself and gives it to QEMU or the vhost-user GPU helper (cgroup,
   * label): the same host GPU as an explicit one (F5;
   * qemuProcessGraphicsSetupRenderNode, qemuVhostUserFillDomainGPU). An
   * explicit one on a video model is judged here too. */
  { VR_FINDING_HOST_DEVICE, RULE_ALWAYS,
    "/domain/devices/graphics[@type='egl-headless'][not(gl/@rendernode)]"
    " | /domain/devices/graphics[@type='spice' or @type='dbus']"
    "/gl[@enable='yes' and not(@rendernode)]"
    " | /domain/devices/video[driver/@name='vhostuser'"
    " and not(driver/@rendernode)]"
    " | /domain/devices/video/model/acceleration[@rendernode]",
    "gives the guest a render node of the host's GPU (libvirt picks the"
    " host's first one when none is named)", NULL },
  /* Eighth review: an SDL display is a window on the host's own X or
   * Wayland display (input grabs, spoofed windows); a device tuned in
   * <blkiotune> is a host block device libvirt stat()s as root, whose
   * existence and type came back to the caller in the start error. */
  { VR_FINDING_HOST_DEVICE, RULE_ALWAYS,
    "/domain/devices/graphics[@type='sdl']",
    "opens a window on the host's own display", NULL },
  { VR_FINDING_HOST_DEVICE, RULE_ALWAYS,
    "/domain/blkiotune/device",
    "tunes a host block device's I/O (libvirt looks the path up as root:"
    " whether it exists, and what it is, reach the caller)", NULL },
  { VR_FINDING_HOST_NETWORK, RULE_ALWAYS,
    "/domain/devices/interface/script | /domain/devices/interface/downscript"
    " | /domain/devices/interface[@type='ethernet']/target[@managed='no']"
    " | /domain/devices/interface[not(@type='network' or @type='bridge'"
    " or @type='user' or @type='ethernet' or @type='vhostuser'"
    " or @type='hostdev' or @type='vdpa')]"
    /* The tap and vhost devices QEMU opens: only the kernel's own
     * (libvirt's defaults, RULE_KNOWN below) are a guest's. */
    " | /domain/devices/interface/backend[(@tap and not(@tap='/dev/net/tun'))"
    " or (@vhost and not(@vhost='/dev/vhost-net'))]",
    "runs a host script or uses a host network device or port", NULL },
  /* An existing virNetworkPort (libvirt's record of a guest's place on a
   * network: another guest's, with its bandwidth, VLAN and filter). A
   * running guest's XML names the one it had: libvirt's, not asked. */
  { VR_FINDING_HOST_SEGMENT, RULE_ASKED,
    "/domain/devices/interface/source/@portid",
    "attaches the guest to an existing port of a libvirt network (another"
    " guest's, with its address, bandwidth and filters)",
    "remove portid (libvirt makes a port of the guest's own), or have an "
    "administrator realize it (the host-access right, polkit action "
    "org.virtrealize.Realize1.realize-host-access)" },
  /* A host interface name of the guest's choosing. libvirt >= 9.0 refuses
   * an existing tap (but for <target managed='no'>, VR1808), so nothing is
   * taken over; but the host's firewall, routing and traffic rules are
   * written against interface names ("tap-admin*"), and a fixed name is
   * another guest's, whose start then fails. libvirt drops a name with its
   * own prefix ("vnet", and "macvtap"/"macvlan" for a macvtap network's
   * guest) and picks one: the only names a guest may give. Only the types
   * that make a host interface: a vhost-user one's name is a label. */
  { VR_FINDING_HOST_SEGMENT, RULE_ALWAYS,
    "/domain/devices/interface[@type='network' or @type='bridge'"
    " or @type='ethernet']/target/@dev[not(starts-with(., 'vnet')"
    " or starts-with(., 'macvtap') or starts-with(., 'macvlan'))]",
    "names the guest's host network interface: a name the host's firewall"
    " or routing rules trust, or another guest's",
    "remove <target dev> or use one starting with 'vnet' (libvirt then "
    "picks the name), or have an administrator realize it (the "
    "host-access right, polkit action "
    "org.virtrealize.Realize1.realize-host-access)" },
  /* A bridge is a host network segment: the management network, other
   * tenants' (F14 of the blind review), with any MAC the XML says.
   * libvirt networks (type='network') are the guests' own. */
  { VR_FINDING_HOST_BRIDGE, RULE_BRIDGE,
    "/domain/devices/interface[@type='bridge']/source/@bridge",
    "attaches the guest to a host bridge no administrator allowed for"
    " guests: raw Ethernet on that segment with any MAC address", NULL },
  /* A libvirt network whose guests reach a host segment: a bridge-mode
   * one on an existing host bridge, macvtap (private, vepa,
   * passthrough), hostdev, or open (routed without libvirt's firewall).
   * nat, route and isolated ones are the guests' own (fourth attack
   * review, L2). */
  { VR_FINDING_HOST_SEGMENT, RULE_NETWORK,
    "/domain/devices/interface[@type='network']/source/@network",
    "joins a libvirt network that puts the guest on a host network segment"
    " (or one this host does not have)",
    "use a NAT, routed or isolated libvirt network (virt-install's "
    "'default'), have an administrator allow its host bridge for guests "
    "(Bridges= in /etc/virt-realize/agent.conf) or realize it (the "
    "host-access right, polkit action "
    "org.virtrealize.Realize1.realize-host-access)" },
  /* A VLAN tag or trunk picks segments of the host's switch beyond the
   * one an allowed bridge or network gives; a port's parameters
   * (openvswitch interfaceid, 802.1Qbg/Qbh profiles) bind the guest to
   * a port of the host's or another tenant's network (OVN binds a port
   * by its iface-id). A bare openvswitch <virtualport> is libvirt's
   * default on an OVS bridge. A <portgroup> is the administrator's,
   * defined on the network: not judged. */
  { VR_FINDING_HOST_SEGMENT, RULE_ALWAYS,
    "/domain/devices/interface/vlan"
    " | /domain/devices/interface/virtualport[parameters/@*"
    " or (@type and not(@type='openvswitch'))]",
    "picks a VLAN or a port of the host's network (segments beyond the"
    " network or bridge allowed for guests)",
    "remove it from the planned XML (an administrator's network can set "
    "VLANs in a <portgroup>), or have an administrator realize it (the "
    "host-access right, polkit action "
    "org.virtrealize.Realize1.realize-host-access)" },
  { VR_FINDING_HOST_RNG, RULE_RNG,
    "/domain/devices/rng/backend[@model='random']",
    "reads a host file as the guest's random source", NULL },
  /* A libvirt secret is the host's (the administrator's or another
   * user's key), named by a UUID or usage: QEMU or swtpm would unlock
   * the caller's image or state with it (ninth review, F4). */
  { VR_FINDING_HOST_DATA, RULE_ALWAYS,
    "/domain//encryption[@secret] | /domain//secret",
    "unlocks the guest's disk or TPM state with a libvirt secret of the"
    " host (an administrator's or another user's key)", NULL },
  { VR_FINDING_HOST_DATA, RULE_ALWAYS,
    "/domain/os/smbios[@mode='host']",
    "copies the host's identity (serial numbers, firmware data) into the"
    " guest", NULL },
  /* A carried snapshot's external memory state (snapshot_as_domain puts
   * it in the domain it judges): a revert loads it into the guest, a
   * delete may remove it, and realize carries no such file. */
  { VR_FINDING_HOST_PATH, RULE_PATH,
    "/domain/memory/@file",
    "names a host file as the snapshot's memory state, which a revert"
    " would load into the guest",
    "redefine the snapshot without its external memory state "
    "(<memory snapshot='no'/>), or have an administrator realize it (the "
    "host-access right, polkit action "
    "org.virtrealize.Realize1.realize-host-access)" },
  { VR_FINDING_HOST_DATA, RULE_PATH,
    "/domain/sysinfo[@type='fwcfg']/entry/@file"
    " | /domain/sysinfo[@type='smbios']/*/entry/@file",
    "loads a host file into the guest", NULL },
  /* The guest's own values, never opened on the host. */
  { NULL, RULE_KNOWN,
    "/domain/metadata | /domain/title | /domain/description"
    " | /domain/os/cmdline | /domain/os/init | /domain/os/initarg"
    " | /domain/os/initdir | /domain/launchSecurity | /domain/keywrap"
    " | //@passwd | /domain/devices/filesystem/target/@dir"
    " | /domain/sysinfo[@type='smbios']//entry[not(@file)]"
    " | /domain/sysinfo[@type='fwcfg']/entry[not(@file)]"
    /* fw_cfg names ("opt/org.example/x") are the guest's, with '/'. */
    " | /domain/sysinfo[@type='fwcfg']/entry/@name"
    " | /domain/devices/disk/serial | /domain/devices/disk/wwn"
    /* The pty libvirt picked when the guest ran: output only, ignored
     * when defined. */
    " | " CHARDEVS "[@type='pty']/@tty"
    " | " CHARDEVS "[@type='pty']/source/@path",
    NULL, NULL },
  /* A zone name ("Europe/Berlin") libvirt hands QEMU as TZ; a path, an
   * absolute one or one that climbs, is left to the unknown-path scan. */
  { NULL, RULE_KNOWN,
    "/domain/clock/@timezone[not(starts-with(normalize-space(.), '/'))"
    " and not(contains(., '..'))]",
    NULL, NULL },
  /* libvirt's defaults for an interface's tap and vhost devices. */
  { NULL, RULE_KNOWN,
    "/domain/devices/interface/backend/@tap[.='/dev/net/tun']"
    " | /domain/devices/interface/backend/@vhost[.='/dev/vhost-net']",
    NULL, NULL },
  /* libvirt's own cgroup partition for guests. */
  { NULL, RULE_KNOWN, "/domain/resource/partition[normalize-space()='/machine']",
    NULL, NULL },
};

/* Shares of the host a user cannot take for themselves (the fifth attack
 * review): not a host object the guest reaches but work or room root
 * gives it. Each has a fix of its own (a reset watchdog, no real-time
 * class), so a hint of its own. */
typedef struct {
  const char *id;
  const char *xpath;
  const char *gives;
  const char *hint;
  /* A warning wherever it is found: the caller could take the same
   * share themself, so there is nothing to authorize. */
  gboolean warning;
} ResourceRule;

#define ADMIN_HINT "or have an administrator realize it (the host-access" \
                   " right, polkit action" \
                   " org.virtrealize.Realize1.realize-host-access)"

static const ResourceRule resource_rules[] = {
  /* libvirt (root) writes each dump into its auto-dump directory and
   * never removes one: a guest that re-arms a 0-second watchdog, or
   * panics at every boot under coredump-restart, fills the host's disk
   * (F3). on_poweroff/on_reboot/on_lockfailure have no dump action. */
  { VR_FINDING_HOST_DUMP,
    "/domain/devices/watchdog/@action[normalize-space()='dump']"
    " | /domain/on_crash[starts-with(normalize-space(), 'coredump')]",
    "makes libvirt write the guest's whole memory into its dump directory"
    " as a root-owned file at every expiry or crash the guest causes,"
    " without bound: the guest can fill the host's disk",
    "use <watchdog action='reset'> or 'poweroff' (<on_crash>destroy or"
    " restart), " ADMIN_HINT, FALSE },
  /* ivshmem maps /dev/shm/NAME, or joins the doorbell server of NAME:
   * one namespace for the whole host, and the names are public in the
   * planned XML; any local user can also make /dev/shm/NAME first
   * (QEMU opens an existing one before it creates). So no name is a
   * guest's own, its UUID's neither (F4). */
  { VR_FINDING_HOST_SHMEM, "/domain/devices/shmem",
    "maps shared memory by a host-wide name: every guest naming it (any"
    " user's) and every local user who makes /dev/shm/NAME first read and"
    " write it",
    "remove it from the planned XML, " ADMIN_HINT, FALSE },
  /* SCHED_FIFO/SCHED_RR run ahead of every ordinary host thread: a
   * spinning vCPU starves the host. The user cannot get it (RLIMIT_RTPRIO
   * is 0); other, batch and idle they can (F6). An allow-list: libvirt's
   * next class is refused until known. */
  { VR_FINDING_HOST_PRIORITY,
    "/domain/cputune/*[self::vcpusched or self::iothreadsched"
    " or self::emulatorsched]/@scheduler[not(.='other' or .='batch'"
    " or .='idle')]",
    "runs the guest's threads in a real-time class, ahead of every host"
    " process: a busy guest starves the host",
    "remove the scheduler or use 'batch' or 'idle', " ADMIN_HINT, FALSE },
  /* resctrl: cache ways and memory bandwidth the host and every other
   * guest then lack. */
  { VR_FINDING_HOST_PRIORITY,
    "/domain/cputune/cachetune | /domain/cputune/memorytune",
    "reserves host cache or memory bandwidth (resctrl) for the guest,"
    " taken from the host and every other guest",
    "remove it from the planned XML, " ADMIN_HINT, FALSE },
  /* A CPU weight above libvirt's default for cgroup v2 (100; cgroup v1's
   * is 1024, so one bound for both errs on the side of the host). A
   * value XPath cannot read as a number ("+2000", "1e4") is refused too:
   * libvirt may read it. A lower weight is the guest's own business. */
  { VR_FINDING_HOST_PRIORITY,
    "/domain/cputune/shares[not(number(normalize-space()) <= 100)]",
    "weighs the guest's CPU time above the host's default for guests:"
    " more of the host under load than other guests get",
    "remove <shares> (libvirt's default) or give at most 100, "
    ADMIN_HINT, FALSE },
  /* A floor on a network with QoS reserves part of its guaranteed
   * inbound bandwidth: the guests that come later and ask one fail to
   * start (eighth review). Limits (average, peak, burst) only lower the
   * guest's own share. */
  { VR_FINDING_HOST_PRIORITY,
    "/domain/devices/interface/bandwidth/inbound/@floor",
    "reserves part of the network's guaranteed bandwidth for the guest:"
    " other guests that ask a floor then fail to start",
    "remove the floor attribute, " ADMIN_HINT, FALSE },
  /* Guest memory locked in RAM, beyond the user's RLIMIT_MEMLOCK. */
  { VR_FINDING_HOST_PRIORITY, "/domain/memoryBacking/locked",
    "locks all guest memory in host RAM (never swapped), beyond any"
    " ordinary user's memory-lock limit",
    "remove <locked/> from <memoryBacking>, " ADMIN_HINT, FALSE },
  /* Each I/O thread is a host thread of QEMU's (and a worker pool of up
   * to thread_pool_max more): 30000 of them take the host's pids
   * (pid_max 32768) from everyone (sixth review, F5). A guest gains
   * nothing from more I/O threads than vCPUs; 16 covers any small
   * guest. */
  { VR_FINDING_HOST_PRIORITY,
    "/domain/iothreads[not(number(normalize-space()) <= 16"
    " or number(normalize-space()) <= number(/domain/vcpu))]"
    " | /domain/iothreadids[not(count(iothread) <= 16"
    " or count(iothread) <= number(/domain/vcpu))]",
    "makes QEMU start more I/O threads (host threads) than 16 or the"
    " guest's vCPUs: enough of them take the host's process IDs from"
    " every user",
    "give at most 16 I/O threads, or no more than the guest's vCPUs, "
    ADMIN_HINT, FALSE },
  { VR_FINDING_HOST_PRIORITY,
    "(/domain/iothreadids/iothread | /domain/defaultiothread)"
    "/@*[(local-name()='thread_pool_min' or local-name()='thread_pool_max')"
    " and not(number(normalize-space()) <= 64)]",
    "lets an I/O thread start a worker pool above QEMU's default of 64"
    " host threads",
    "remove thread_pool_min/thread_pool_max or give at most 64, "
    ADMIN_HINT, FALSE },
  /* An I/O weight above the default for cgroup v2 (100), as <shares>:
   * more of the host's disks under load than other guests get.
   * Throttles (read/write limits) only lower the guest's share. */
  { VR_FINDING_HOST_PRIORITY,
    "/domain/blkiotune/weight[not(number(normalize-space()) <= 100)]"
    " | /domain/blkiotune/device/weight[not(number(normalize-space())"
    " <= 100)]",
    "weighs the guest's disk I/O above the host's default for guests:"
    " more of the host's disks under load than other guests get",
    "remove the <weight> (libvirt's default) or give at most 100, "
    ADMIN_HINT, FALSE },
  /* A vsock CID is one host-wide address: a fixed one is another guest's
   * while that guest runs (its start then fails), and the host's
   * services that trust a CID would trust this guest (sixth review,
   * F2). libvirt picks a free one with auto='yes'. */
  { VR_FINDING_HOST_PRIORITY,
    "/domain/devices/vsock/cid[@address and not(normalize-space(@auto)"
    "='yes')]",
    "takes a fixed vsock address (CID), a host-wide name: another guest's,"
    " or one a host service trusts",
    "use <cid auto='yes'/> (libvirt picks a free address), " ADMIN_HINT, FALSE },
  /* Each queue of a tap interface is a tap and a vhost-net descriptor
   * and a vhost kernel thread of QEMU's, made by root: as many as
   * <iothreads>, for the same reason. A disk's queues are virtqueues
   * served by its I/O thread (no host thread each) and QEMU caps them at
   * 1024: not judged. */
  { VR_FINDING_HOST_PRIORITY,
    "/domain/devices/interface/driver/@queues[not(number(normalize-space())"
    " <= 16 or number(normalize-space()) <= number(/domain/vcpu))]",
    "makes QEMU open more network queues (each a tap, a vhost descriptor"
    " and a host kernel thread) than 16 or the guest's vCPUs",
    "give at most 16 queues, or no more than the guest's vCPUs, "
    ADMIN_HINT, FALSE },
  /* A fixed console port (autoport='no', a port, tlsPort or websocket
   * above 0): another guest's or a host service's, or the one an
   * administrator expects for another guest. A warning, through the agent
   * too: QEMU runs unprivileged and binds only ports any local user may
   * bind themself (a listener of their own there is the same squat); the
   * bind fails for a port in use. */
  { VR_FINDING_HOST_PORT,
    "/domain/devices/graphics[not(normalize-space(@autoport)='yes')]"
    "/@*[(local-name()='port' or local-name()='tlsPort')"
    " and not(number(normalize-space()) <= 0)]"
    " | /domain/devices/graphics/@websocket[not(number(normalize-space())"
    " <= 0) and not(../@websocketGenerated='yes')]",
    "listens on a fixed host TCP port: another guest's or a host"
    " service's, or the one an administrator expects for another guest"
    " (the guest's start fails while the port is in use)",
    "use autoport='yes' (libvirt picks a free port) and websocket='-1', "
    "or keep the port if it is yours to use", TRUE },
  /* A passt interface's <portForward> makes passt listen on host ports
   * (its ranges; without one, every port it can bind). libvirt 9.0 runs
   * passt with the domain's DAC label (the unprivileged QEMU user) and no
   * capabilities (qemu_passt.c, qemuSecurityCommandRun), so it binds only
   * what any local user may bind themself: a warning, as above. */
  { VR_FINDING_HOST_PORT,
    "/domain/devices/interface/portForward",
    "makes passt listen on fixed host ports (without a <range>, on every"
    " port it can bind): another guest's or a host service's (the guest's"
    " start fails while a port is in use)",
    "remove the <portForward> (the guest still reaches out through "
    "passt), or keep it if the ports are yours to use", TRUE },
};

static const char *const firmware_dirs[] = {
  "/usr/share/OVMF", "/usr/share/ovmf", "/usr/share/AAVMF",
  "/usr/share/qemu", "/usr/share/seabios", "/usr/share/edk2",
  "/usr/lib/ipxe", "/usr/share/ipxe", NULL
};

static const char *const rng_sources[] = {
  "/dev/urandom", "/dev/random", "/dev/hwrng", NULL
};

const char *const *
vr_host_access_firmware_dirs (void)
{
  return firmware_dirs;
}

static gboolean
below (const char *path, const char *dir)
{
  gsize len = strlen (dir);

  while (len > 1 && dir[len - 1] == '/')
    len--;
  return strncmp (path, dir, len) == 0
         && (path[len] == '/' || path[len] == '\0');
}

static gboolean
below_any (const char *path, const char *const *dirs)
{
  for (guint i = 0; dirs != NULL && dirs[i] != NULL; i++)
    if (below (path, dirs[i]))
      return TRUE;
  return FALSE;
}

/* Both the path as written (".." folded) and where its symbolic links
 * lead must be inside: libvirt and QEMU open it as written, with root's
 * right to follow links. A path that does not exist yet is judged as
 * written (the file would be made there). */
gboolean
vr_host_access_path_inside (const char *path, const char *const *dirs)
{
  g_autofree char *folded = g_canonicalize_filename (path, "/");
  g_autofree char *resolved = realpath (folded, NULL);
  struct stat st;

  if (!below_any (folded, dirs))
    return FALSE;
  if (resolved == NULL)
    return TRUE;
  if (!below_any (resolved, dirs))
    return FALSE;
  return stat (resolved, &st) != 0
         || !(S_ISBLK (st.st_mode) || S_ISCHR (st.st_mode));
}

static gboolean
listed (const char *value, const char *const *list)
{
  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    if (g_str_equal (value, list[i]))
      return TRUE;
  return FALSE;
}

static const VrHostNetwork *
find_network (const char *name, const VrHostAccessPolicy *policy)
{
  for (const VrHostNetwork *n = policy->networks; n && n->name; n++)
    if (g_str_equal (n->name, name))
      return n;
  return NULL;
}

/* libvirt makes the bridge of a nat, route or isolated network for its
 * guests alone, behind its own firewall rules. */
static gboolean
network_own (const VrHostNetwork *network)
{
  return network->forward == NULL
         || g_str_equal (network->forward, "nat")
         || g_str_equal (network->forward, "route");
}

/* Besides its own, a bridge-mode network on a host bridge the
 * administrator allows for guests: the same segment as <interface
 * type='bridge'> there. */
static gboolean
network_allowed (const char *name, const VrHostAccessPolicy *policy)
{
  const VrHostNetwork *network;

  if (policy->networks == NULL)
    return TRUE;
  network = find_network (name, policy);
  if (network == NULL)
    return FALSE;
  if (network_own (network))
    return TRUE;
  return g_str_equal (network->forward, "bridge") && network->bridge != NULL
         && listed (network->bridge, policy->bridges);
}

/* What joining network would give, for the message. */
static char *
network_gives (const char *name, const VrHostAccessPolicy *policy)
{
  const VrHostNetwork *network = find_network (name, policy);

  if (network == NULL)
    return g_strdup ("names a network this host does not have: whatever "
                     "is defined later under that name, a host bridge "
                     "too, would be the guest's");
  if (g_str_equal (network->forward, "bridge") && network->bridge != NULL)
    return g_strdup_printf ("joins a network on the host bridge '%s', which "
                            "no administrator allowed for guests: raw "
                            "Ethernet on that segment with any MAC address",
                            network->bridge);
  return g_strdup_printf ("joins a network in forward mode '%s', which puts "
                          "the guest on a host network segment (macvtap, "
                          "a host device, or routing without libvirt's "
                          "firewall)", network->forward);
}

/* A bridge the administrator lists, or one libvirt made for a network
 * of its own (joining it is joining the network). */
static gboolean
bridge_allowed (const char *bridge, const VrHostAccessPolicy *policy)
{
  if (listed (bridge, policy->bridges))
    return TRUE;
  for (const VrHostNetwork *n = policy->networks; n && n->name; n++)
    if (network_own (n) && g_strcmp0 (n->bridge, bridge) == 0)
      return TRUE;
  return FALSE;
}

static gboolean path_foreign (const char *path,
                              const VrHostAccessPolicy *policy);

/* Inside one of dirs and in none of libvirt's storage ones (the state
 * directory an image's XML may use holds the NVRAM one). */
static gboolean
path_allowed_in (const char *path, const char *const *dirs,
                 const VrHostAccessPolicy *policy)
{
  return vr_host_access_path_inside (path, dirs)
         && !path_foreign (path, policy);
}

static gboolean
path_allowed (const char *path, const VrHostAccessPolicy *policy)
{
  return path_allowed_in (path, policy->allowed_dirs, policy)
         || path_allowed_in (path, policy->state_dirs, policy);
}

/* A path in libvirt's storage is another guest's (VR1810), whatever the
 * rule that found it: that is the finding that says why. */
static gboolean
path_foreign (const char *path, const VrHostAccessPolicy *policy)
{
  g_autofree char *folded = g_canonicalize_filename (path, "/");
  g_autofree char *resolved = realpath (folded, NULL);

  if (below_any (folded, policy->storage_dirs)
      || (resolved != NULL && below_any (resolved, policy->storage_dirs)))
    return TRUE;
  return policy->is_volume != NULL && policy->is_volume (path, policy->data);
}

/* Where path leads for the messages: as the caller could find it. */
static char *
resolve_seen (const char *path, const VrHostAccessPolicy *policy)
{
  if (policy->caller != NULL)
    return vr_caller_resolve (policy->caller, path, NULL);
  return realpath (path, NULL);
}

/* path_foreign for the finding's ID: as written, or where it leads as
 * the caller could follow it. */
static gboolean
path_foreign_seen (const char *path, const VrHostAccessPolicy *policy)
{
  g_autofree char *folded = g_canonicalize_filename (path, "/");
  g_autofree char *resolved = resolve_seen (folded, policy);

  if (below_any (folded, policy->storage_dirs)
      || (resolved != NULL && below_any (resolved, policy->storage_dirs)))
    return TRUE;
  return policy->is_volume != NULL && policy->is_volume (path, policy->data);
}

static gboolean
boot_allowed (const char *path, const VrHostAccessPolicy *policy)
{
  const char *const *dirs = policy->firmware_dirs ? policy->firmware_dirs
                                                  : firmware_dirs;

  /* Never libvirt's state folders (state_dirs): a file QEMU loads. */
  return vr_host_access_path_inside (path, dirs)
         || path_allowed_in (path, policy->allowed_dirs, policy);
}

/* libvirt makes a missing NVRAM from its template (and removes it with
 * the domain). In its directory only this domain's own default name is
 * ours: any other is another guest's, or will be at that guest's first
 * start (fifth review, F2: names are public). Whether the own one is
 * there already is validate-firmware's finding (VR1901). */
static gboolean
nvram_allowed (const char *path, const VrHostAccessPolicy *policy)
{
  const char *dirs[] = { policy->nvram_dir, NULL };
  g_autofree char *folded = g_canonicalize_filename (path, "/");

  if (policy->nvram_carried
      || path_allowed_in (path, policy->allowed_dirs, policy))
    return TRUE;
  return policy->nvram_dir != NULL && policy->nvram_own != NULL
         && g_str_equal (folded, policy->nvram_own)
         && vr_host_access_path_inside (folded, dirs);
}

/* Whether the value a rule selected is within the policy. */
static gboolean
value_allowed (const Rule *rule, const char *value,
               const VrHostAccessPolicy *policy)
{
  switch (rule->kind)
    {
    case RULE_ALWAYS:
      return FALSE;
    case RULE_CARRIED:
      if (!g_path_is_absolute (value))
        return TRUE;
      return path_allowed (value, policy);
    case RULE_PATH:
      return g_path_is_absolute (value) && path_allowed (value, policy);
    case RULE_BOOT:
      return g_path_is_absolute (value) && boot_allowed (value, policy);
    case RULE_LABELLED:
      return g_path_is_absolute (value)
             && path_allowed_in (value, policy->allowed_dirs, policy);
    case RULE_NVRAM:
      return g_path_is_absolute (value) && nvram_allowed (value, policy);
    case RULE_EMULATOR:
      return policy->emulators == NULL || listed (value, policy->emulators);
    case RULE_RNG:
      return listed (value, rng_sources);
    case RULE_BRIDGE:
      return bridge_allowed (value, policy);
    case RULE_NETWORK:
      return network_allowed (value, policy);
    case RULE_KNOWN:
      return TRUE;
    case RULE_ASKED:
      return policy->running;
    }
  return FALSE;
}

/* A path in the caller's own folder, as written or where its links
 * lead: libvirt would use it in place. */
static gboolean
in_place (const char *value, const VrHostAccessPolicy *policy)
{
  g_autofree char *folded = NULL;
  g_autofree char *resolved = NULL;

  if (policy->inplace_dirs == NULL || !g_path_is_absolute (value))
    return FALSE;
  folded = g_canonicalize_filename (value, "/");
  resolved = resolve_seen (folded, policy);
  return below_any (folded, policy->inplace_dirs)
         || (resolved != NULL && below_any (resolved, policy->inplace_dirs));
}

/* The finding a value outside the policy gives. */
static const char *
finding_id (const Rule *rule, const char *value,
            const VrHostAccessPolicy *policy)
{
  if (rule->kind != RULE_ALWAYS && rule->kind != RULE_EMULATOR
      && rule->kind != RULE_BRIDGE && rule->kind != RULE_NETWORK
      && g_path_is_absolute (value)
      && path_foreign_seen (value, policy))
    return VR_FINDING_HOST_FOREIGN;
  return rule->id;
}

/* The value as libvirt reads it: not stripped. libvirt takes " " as a
 * path relative to '/' (root made "/ " for a serial log); stripped, it
 * read as empty, libvirt's default, and was never judged (twelfth
 * review, F1). */
static char *
node_value (xmlNode *node)
{
  xmlChar *text = xmlNodeGetContent (node);
  char *value = g_strdup (text ? (const char *) text : "");

  xmlFree (text);
  return value;
}

/* An element's own text as libvirt's XPath string() reads it: every
 * text and CDATA child, whatever comments or processing instructions
 * split them ("/sys<!---->tem.slice" is "/system.slice": twelfth review,
 * F2). Child elements are scanned on their own. */
static char *
own_text (xmlNode *element)
{
  GString *text = g_string_new (NULL);

  for (xmlNode *child = element->children; child; child = child->next)
    if ((child->type == XML_TEXT_NODE
         || child->type == XML_CDATA_SECTION_NODE)
        && child->content != NULL)
      g_string_append (text, (const char *) child->content);
  return g_string_free (text, FALSE);
}

static char *
describe (xmlNode *node, const char *value)
{
  xmlNode *element = node->type == XML_ATTRIBUTE_NODE ? node->parent : node;
  const char *name = (const char *) element->name;

  if (node->type == XML_ATTRIBUTE_NODE)
    return g_strdup_printf ("<%s %s='%s'>", name, node->name, value);
  if (element->ns != NULL && element->ns->prefix != NULL)
    return g_strdup_printf ("<%s:%s>", element->ns->prefix, name);
  if (*value != '\0' && element->children != NULL
      && element->children->type == XML_TEXT_NODE
      && element->children->next == NULL)
    return g_strdup_printf ("<%s>%s</%s>", name, value, name);
  return g_strdup_printf ("<%s>", name);
}

/* Storage and boot files have a fix of the caller's own: carry them. */
static gboolean
carried_fix (const char *id)
{
  return g_str_equal (id, VR_FINDING_HOST_FOREIGN)
         || g_str_equal (id, VR_FINDING_HOST_PATH)
         || g_str_equal (id, VR_FINDING_HOST_BOOT);
}

static const char *
default_hint (const char *id)
{
  if (g_str_equal (id, VR_FINDING_HOST_BRIDGE))
    return "use a libvirt network (<interface type='network'>), or have "
           "an administrator allow the bridge for guests (Bridges= in "
           "/etc/virt-realize/agent.conf) or realize it (the host-access "
           "right, polkit action "
           "org.virtrealize.Realize1.realize-host-access)";
  if (carried_fix (id))
    return "remove it from the planned XML or carry the file in the "
           "import directory (a relative path), or have an administrator "
           "realize it (the host-access right, polkit action "
           "org.virtrealize.Realize1.realize-host-access)";
  return "remove it from the planned XML, or have an administrator "
         "realize it (the host-access right, polkit action "
         "org.virtrealize.Realize1.realize-host-access)";
}

/* hint: the fix, or NULL for the finding's usual one. */
static void
add_finding (const char *id, const char *gives, const char *hint,
             xmlNode *node, const char *value,
             const VrHostAccessPolicy *policy, GPtrArray *findings)
{
  xmlNode *element = node->type == XML_ATTRIBUTE_NODE ? node->parent : node;
  g_autofree char *source = (char *) xmlGetNodePath (node);
  g_autofree char *what = describe (node, value);
  VrFinding *finding;

  if (g_str_equal (id, VR_FINDING_HOST_FOREIGN))
    gives = "is another guest's data (a pool, libvirt's image, NVRAM, "
            "swtpm or save directory, or a storage volume)";
  finding = vr_findings_add (
      findings, id, source, hint ? hint : default_hint (id),
      "%s%s %s", policy->what ? policy->what : "", what, gives);
  finding->severity = policy->severity;
  finding->line = (int) xmlGetLineNo (element);
}

/* Every node a rule looked at, so that the scan for unknown host paths
 * (check_unknown) passes over what a rule judged and what lies inside. */
static gboolean covered (xmlNode *node, GHashTable *seen);

static const char inplace_gives[] =
    "is used in place from your folder (the import directory), where it "
    "can change after the check: carry it as a relative path and realize "
    "with --copy-disks";

/* One finding per construct: a value inside what a finding names already
 * (a network disk's socket) is that finding's. */
static void
check_rule (xmlXPathContext *ctxt, const Rule *rule,
            const VrHostAccessPolicy *policy, GHashTable *seen,
            GHashTable *flagged, GPtrArray *findings)
{
  g_autoptr (xmlXPathObject) obj = xmlXPathEvalExpression (
      (const xmlChar *) rule->xpath, ctxt);

  /* The rules are constant: only lack of memory fails them, and then
   * the XML is not known to be harmless (fail closed). */
  if (obj == NULL)
    {
      add_finding (VR_FINDING_HOST_UNKNOWN,
                   "could not be checked by the host-access policy", NULL,
                   xmlDocGetRootElement (ctxt->doc), "", policy, findings);
      return;
    }
  if (obj->nodesetval == NULL)
    return;
  for (int i = 0; i < obj->nodesetval->nodeNr; i++)
    {
      xmlNode *node = obj->nodesetval->nodeTab[i];
      g_autofree char *value = node_value (node);
      g_autofree char *gives = NULL;
      const char *id;

      /* An empty path is libvirt's default, not a host path; what it
       * holds is still judged as unknown (eighth review, F1: an empty
       * <nvram> hid its <source file>). */
      if (rule->kind != RULE_ALWAYS && *value == '\0')
        continue;
      g_hash_table_add (seen, node);
      if (covered (node, flagged)
          || value_allowed (rule, value, policy))
        continue;
      g_hash_table_add (flagged, node);
      id = finding_id (rule, value, policy);
      gives = rule->kind == RULE_NETWORK ? network_gives (value, policy)
              : g_strdup (in_place (value, policy) ? inplace_gives
                                                   : rule->gives);
      add_finding (id, gives, g_str_equal (id, rule->id) ? rule->hint : NULL,
                   node, value, policy, findings);
    }
}

/* What QEMU or libvirt could take for a host path or socket: any value
 * with a '/' (QEMU's working directory is '/', so "etc/shadow" and
 * "../../etc/shadow" are host paths as much as "/etc/shadow"; an address
 * with a path is something that connects), a home ("~"), a unix: or
 * file: address. A bare name without '/' is a name: libvirt's XML is full
 * of them (models, aliases, targets), and each element the rules know
 * refuses relative paths anyway. Ordinary values with '/' in places no
 * rule covers are the guest's own and listed as RULE_KNOWN (a time zone
 * name, the cgroup partition). */
static gboolean
looks_like_path (const char *value)
{
  return strchr (value, '/') != NULL || g_str_has_prefix (value, "~")
         || g_ascii_strncasecmp (value, "unix:", 5) == 0
         || g_ascii_strncasecmp (value, "file:", 5) == 0;
}

static gboolean
covered (xmlNode *node, GHashTable *seen)
{
  for (; node != NULL; node = node->parent)
    if (g_hash_table_contains (seen, node))
      return TRUE;
  return FALSE;
}

static const Rule unknown = {
  VR_FINDING_HOST_UNKNOWN, RULE_ALWAYS, NULL,
  "names a host path where the host-access policy does not know what"
  " libvirt does with it", NULL };

static void
check_value (xmlNode *node, const char *text, const VrHostAccessPolicy *policy,
             GPtrArray *findings)
{
  g_autofree char *value = g_strstrip (g_strdup (text));

  if (looks_like_path (value))
    add_finding (unknown.id, unknown.gives, NULL, node, value, policy,
                 findings);
}

/* The allow-list: a path-like value no rule judged is refused. */
static void
check_unknown (xmlNode *element, const VrHostAccessPolicy *policy,
               GHashTable *seen, GPtrArray *findings)
{
  for (; element != NULL; element = element->next)
    {
      if (element->type != XML_ELEMENT_NODE || covered (element, seen))
        continue;
      for (xmlAttr *attr = element->properties; attr; attr = attr->next)
        {
          g_autofree char *value = NULL;

          if (g_hash_table_contains (seen, attr))
            continue;
          value = node_value ((xmlNode *) attr);
          check_value ((xmlNode *) attr, value, policy, findings);
        }
      {
        g_autofree char *text = own_text (element);

        check_value (element, text, policy, findings);
      }
      check_unknown (element->children, policy, seen, findings);
    }
}

/* A resource rule is judged like a RULE_ALWAYS one, with its own fix. */
static void
check_resource_rule (xmlXPathContext *ctxt, const ResourceRule *resource,
                     const VrHostAccessPolicy *policy, GHashTable *seen,
                     GHashTable *flagged, GPtrArray *findings)
{
  const Rule rule = { .id = resource->id, .kind = RULE_ALWAYS,
                      .xpath = resource->xpath, .gives = resource->gives };
  guint before = findings->len;

  check_rule (ctxt, &rule, policy, seen, flagged, findings);
  for (guint i = before; i < findings->len; i++)
    {
      VrFinding *finding = findings->pdata[i];

      if (!g_str_equal (finding->id, resource->id))
        continue;
      g_free (finding->hint);
      finding->hint = g_strdup (resource->hint);
      if (resource->warning)
        finding->severity = VR_SEVERITY_WARNING;
    }
}

void
vr_host_access_check (xmlDoc *doc, const VrHostAccessPolicy *policy,
                      GPtrArray *findings)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_autoptr (GHashTable) flagged = g_hash_table_new (NULL, NULL);
  g_autoptr (GError) bound = NULL;

  /* XPath unions over tens of thousands of nodes are quadratic: an XML
   * past the bounds is not looked at, and not known to be harmless. */
  if (!vr_domain_bounds_check (doc, "the XML", &bound))
    {
      add_finding (VR_FINDING_HOST_UNKNOWN, bound->message, NULL,
                   xmlDocGetRootElement (doc), "", policy, findings);
      return;
    }
  /* Whole constructs first, then the values inside the rest. */
  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    if (rules[i].kind == RULE_ALWAYS)
      check_rule (ctxt, &rules[i], policy, seen, flagged, findings);
  for (guint i = 0; i < G_N_ELEMENTS (resource_rules); i++)
    check_resource_rule (ctxt, &resource_rules[i], policy, seen, flagged,
                         findings);
  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    if (rules[i].kind != RULE_ALWAYS)
      check_rule (ctxt, &rules[i], policy, seen, flagged, findings);
  check_unknown (xmlDocGetRootElement (doc), policy, seen, findings);
}

static gboolean
names_path (RuleKind kind)
{
  return kind == RULE_PATH || kind == RULE_CARRIED || kind == RULE_BOOT
         || kind == RULE_LABELLED
         || kind == RULE_NVRAM || kind == RULE_EMULATOR;
}

xmlNode *
vr_host_access_find_relative (xmlDoc *doc, char **value)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);

  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      g_autoptr (xmlXPathObject) obj = NULL;

      if (!names_path (rules[i].kind))
        continue;
      obj = xmlXPathEvalExpression ((const xmlChar *) rules[i].xpath, ctxt);
      /* Only lack of memory fails a constant rule: fail closed. */
      if (obj == NULL)
        {
          *value = g_strdup ("");
          return xmlDocGetRootElement (doc);
        }
      for (int n = 0; obj->nodesetval != NULL && n < obj->nodesetval->nodeNr;
           n++)
        {
          xmlNode *node = obj->nodesetval->nodeTab[n];
          g_autofree char *text = node_value (node);

          /* An empty path is libvirt's default, not a host path. */
          if (*text != '\0' && !g_path_is_absolute (text))
            {
              *value = g_steal_pointer (&text);
              return node;
            }
        }
    }
  return NULL;
}
