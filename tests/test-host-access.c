/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <unistd.h>

#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "host-access.h"
#include "safe-xml.h"
#include "test-util.h"

#define POOL "/var/lib/libvirt/images"
/* No file is ever there: libvirt would make the NVRAM from its template. */
#define NVRAM_DIR "/nonexistent/libvirt/qemu/nvram"
#define IMPORT "/srv/import/guest"
#define EMULATOR "/usr/bin/qemu-system-x86_64"

/* What virt-install makes for an ordinary UEFI guest, exported with its
 * disks carried in the import directory: nothing in it reaches further
 * into the host than a guest needs. */
static const char ordinary[] =
  "<domain type='kvm'>"
  "<name>guest</name><uuid>5a1ad0c0-7e57-4b3d-9c1e-0000000000aa</uuid>"
  "<memory>1048576</memory><vcpu>2</vcpu>"
  "<os><type arch='x86_64' machine='q35'>hvm</type>"
  "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
  "<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>" NVRAM_DIR "/guest_VARS.fd</nvram>"
  "</os>"
  "<seclabel type='dynamic' model='dac' relabel='yes'/>"
  "<devices><emulator>" EMULATOR "</emulator>"
  "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
  "<source file='disks/guest.qcow2'/><target dev='vda' bus='virtio'/></disk>"
  "<disk type='file' device='disk'><source file='" IMPORT "/disks/data.qcow2'/>"
  "<target dev='vdb' bus='virtio'/></disk>"
  "<interface type='network'><source network='default'/><model type='virtio'/></interface>"
  "<interface type='bridge'><source bridge='br0'/></interface>"
  "<serial type='pty'><source path='/dev/pts/3'/><target port='0'/></serial>"
  "<console type='pty' tty='/dev/pts/3'><source path='/dev/pts/3'/>"
  "<target type='serial'/></console>"
  "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
  "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"
  "<graphics type='vnc' port='-1' listen='127.0.0.1'/>"
  "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>"
  "<sound model='ich9'><audio id='1'/></sound><audio id='1' type='spice'/>"
  "</devices>"
  "<clock offset='timezone' timezone='Europe/Berlin'/>"
  "<resource><partition>/machine</partition></resource>"
  "<sysinfo type='smbios'><system><entry name='serial'>/x-not-a-path</entry>"
  "</system></sysinfo>"
  "<metadata><app xmlns='urn:x'><path>/home/user/whatever</path></app></metadata>"
  "</domain>";

static const char *const allowed[] = { IMPORT, NULL };
static const char *const storage[] = { POOL, NVRAM_DIR, NULL };
static const char *const emulators[] = { EMULATOR, NULL };
static const char *const bridges[] = { "br0", NULL };
/* The host's libvirt networks, as validate-host-access reads them from
 * each network's XML. */
static const VrHostNetwork networks[] = {
  { "default", "nat", "virbr0" },
  { "routed", "route", "virbr1" },
  { "isolated", NULL, "virbr2" },
  { "on-br0", "bridge", "br0" },      /* a bridge Bridges= allows */
  { "hostbr", "bridge", "mgmt0" },    /* the host's management bridge */
  { "macvtap", "bridge", NULL },      /* <forward mode='bridge'><interface> */
  { "vepa", "vepa", NULL },
  { "private", "private", NULL },
  { "passthrough", "passthrough", NULL },
  { "hostdev", "hostdev", NULL },
  { "open", "open", "virbr9" },
  { NULL, NULL, NULL }
};

typedef struct {
  const char *name;
  const char *parent;  /* XPath of where the snippet goes */
  const char *snippet;
  const char *id;      /* the finding it must give */
} Hostile;

#define QEMU_NS "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"

static const Hostile hostile[] = {
  { "qemu-commandline", "/domain",
    "<qemu:commandline " QEMU_NS "><qemu:arg value='-run-with'/></qemu:commandline>",
    VR_FINDING_HOST_QEMU },
  { "qemu-capabilities", "/domain",
    "<qemu:capabilities " QEMU_NS "><qemu:add capability='x'/></qemu:capabilities>",
    VR_FINDING_HOST_QEMU },
  { "qemu-override", "/domain",
    "<qemu:override " QEMU_NS "><qemu:device alias='x'/></qemu:override>",
    VR_FINDING_HOST_QEMU },
  { "seclabel-none", "/domain", "<seclabel type='none'/>",
    VR_FINDING_HOST_SECLABEL },
  { "seclabel-root", "/domain",
    "<seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>",
    VR_FINDING_HOST_SECLABEL },
  { "seclabel-model-none", "/domain", "<seclabel model='none'/>",
    VR_FINDING_HOST_SECLABEL },
  { "seclabel-baselabel", "/domain",
    "<seclabel type='dynamic' model='selinux'>"
    "<baselabel>system_u:system_r:unconfined_t:s0</baselabel></seclabel>",
    VR_FINDING_HOST_SECLABEL },
  { "disk-seclabel-norelabel", "/domain/devices/disk[1]/source",
    "<seclabel model='dac' relabel='no'/>", VR_FINDING_HOST_SECLABEL },
  { "hostdev-pci", "/domain/devices",
    "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
    "<address domain='0' bus='0' slot='2' function='0'/></source></hostdev>",
    VR_FINDING_HOST_DEVICE },
  { "hostdev-usb", "/domain/devices",
    "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1'/>"
    "<product id='0x2'/></source></hostdev>", VR_FINDING_HOST_DEVICE },
  { "hostdev-mdev", "/domain/devices",
    "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source>"
    "<address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev>",
    VR_FINDING_HOST_DEVICE },
  { "hostdev-block", "/domain/devices",
    "<hostdev mode='capabilities' type='storage'><source><block>/dev/sda</block>"
    "</source></hostdev>", VR_FINDING_HOST_DEVICE },
  { "interface-hostdev", "/domain/devices",
    "<interface type='hostdev'><source><address type='pci' domain='0' bus='3'"
    " slot='0' function='0'/></source></interface>", VR_FINDING_HOST_DEVICE },
  { "smartcard-host", "/domain/devices", "<smartcard mode='host'/>",
    VR_FINDING_HOST_DEVICE },
  { "tpm-passthrough", "/domain/devices",
    "<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/>"
    "</backend></tpm>", VR_FINDING_HOST_DEVICE },
  { "input-evdev", "/domain/devices",
    "<input type='evdev'><source dev='/dev/input/event0'/></input>",
    VR_FINDING_HOST_DEVICE },
  { "gl-rendernode", "/domain/devices",
    "<graphics type='egl-headless'><gl rendernode='/dev/dri/renderD128'/></graphics>",
    VR_FINDING_HOST_DEVICE },
  { "disk-block", "/domain/devices",
    "<disk type='block' device='disk'><source dev='/dev/sda'/>"
    "<target dev='vdz' bus='virtio'/></disk>", VR_FINDING_HOST_PATH },
  { "disk-shadow", "/domain/devices",
    "<disk type='file' device='disk'><source file='/etc/shadow'/>"
    "<target dev='vdy' bus='virtio'/></disk>", VR_FINDING_HOST_PATH },
  { "disk-dotdot", "/domain/devices",
    "<disk type='file' device='disk'><source file='" POOL "/../../../../etc/shadow'/>"
    "<target dev='vdx' bus='virtio'/></disk>", VR_FINDING_HOST_PATH },
  { "disk-dir", "/domain/devices",
    "<disk type='dir' device='disk'><source dir='/'/>"
    "<target dev='vdw' bus='virtio'/></disk>", VR_FINDING_HOST_PATH },
  { "disk-backing", "/domain/devices/disk[1]",
    "<backingStore type='file'><format type='raw'/><source file='/etc/passwd'/>"
    "</backingStore>", VR_FINDING_HOST_PATH },
  /* The eleventh review. F1/F5: a backing store that is a network
   * export or a host NVMe device (no '/' in it); F2/F3: an image format
   * whose header names other host files. */
  { "backing-network", "/domain/devices/disk[1]",
    "<backingStore type='network'><format type='raw'/>"
    "<source protocol='nbd' name='export'><host name='127.0.0.1'"
    " port='10809'/></source></backingStore>", VR_FINDING_HOST_CHARDEV },
  { "backing-nvme", "/domain/devices/disk[1]",
    "<backingStore type='nvme'><format type='raw'/>"
    "<source type='pci' managed='yes' namespace='1'><address domain='0x0000'"
    " bus='0x01' slot='0x00' function='0x0'/></source></backingStore>",
    VR_FINDING_HOST_DEVICE },
  { "disk-vmdk", "/domain/devices",
    "<disk type='file' device='disk'><driver name='qemu' type='vmdk'/>"
    "<source file='disks/guest.vmdk'/><target dev='vdv' bus='virtio'/>"
    "</disk>", VR_FINDING_HOST_PATH },
  { "disk-qed", "/domain/devices",
    "<disk type='file' device='disk'><driver name='qemu' type='qed'/>"
    "<source file='disks/guest.qed'/><target dev='vdu' bus='virtio'/>"
    "</disk>", VR_FINDING_HOST_PATH },
  { "launch-security-sev", "/domain",
    "<launchSecurity type='sev'><cbitpos>47</cbitpos>"
    "<reducedPhysBits>1</reducedPhysBits><policy>0x0003</policy>"
    "</launchSecurity>", VR_FINDING_HOST_DEVICE },
  { "sgx-epc", "/domain/devices",
    "<memory model='sgx-epc'><target><size unit='KiB'>16384</size></target>"
    "</memory>", VR_FINDING_HOST_DEVICE },
  { "dbus-display-address", "/domain/devices",
    "<graphics type='dbus' address='tcp:host=127.0.0.1,port=15555'/>",
    VR_FINDING_HOST_CHARDEV },
  /* F6 of the sixth review: a relative path is carried only as a file
   * disk's <source file> (realize copies and rewrites it); any other
   * one libvirt resolves against '/' and chowns for QEMU. */
  { "relative-block-dev", "/domain/devices",
    "<disk type='block' device='disk'><source dev='etc/rv6-demo-rootfile'/>"
    "<target dev='vdz' bus='virtio'/></disk>", VR_FINDING_HOST_PATH },
  { "relative-file-of-block", "/domain/devices",
    "<disk type='block' device='disk'><source file='disks/guest.qcow2'/>"
    "<target dev='vdz' bus='virtio'/></disk>", VR_FINDING_HOST_PATH },
  { "relative-dev-of-file", "/domain/devices",
    "<disk type='file' device='disk'><source dev='dev/vda'/>"
    "<target dev='vdz' bus='virtio'/></disk>", VR_FINDING_HOST_PATH },
  { "relative-dir", "/domain/devices",
    "<disk type='dir' device='disk'><source dir='etc'/>"
    "<target dev='vdw' bus='virtio'/></disk>", VR_FINDING_HOST_PATH },
  { "relative-backing-file", "/domain/devices/disk[1]",
    "<backingStore type='file'><format type='raw'/>"
    "<source file='disks/base.raw'/></backingStore>", VR_FINDING_HOST_PATH },
  { "relative-backing-dev", "/domain/devices/disk[1]",
    "<backingStore type='block'><format type='raw'/>"
    "<source dev='dev/vda'/></backingStore>", VR_FINDING_HOST_PATH },
  { "relative-data-store", "/domain/devices/disk[1]/source",
    "<dataStore type='file'><format type='raw'/>"
    "<source file='disks/data.raw'/></dataStore>", VR_FINDING_HOST_PATH },
  { "relative-filesystem", "/domain/devices",
    "<filesystem type='mount'><source dir='etc'/><target dir='host'/>"
    "</filesystem>", VR_FINDING_HOST_PATH },
  { "relative-memory", "/domain/devices",
    "<memory model='nvdimm'><source><path>dev/shm/x</path></source>"
    "<target><size unit='KiB'>1024</size></target></memory>",
    VR_FINDING_HOST_PATH },
  { "relative-tpm-state", "/domain/devices/tpm/backend",
    "<source type='dir' path='var/lib/swtpm'/>", VR_FINDING_HOST_PATH },
  { "relative-chardev", "/domain/devices",
    "<serial type='file'><source path='etc/x'/><target port='1'/></serial>",
    VR_FINDING_HOST_CHARDEV },
  { "filesystem-root", "/domain/devices",
    "<filesystem type='mount'><source dir='/'/><target dir='host'/></filesystem>",
    VR_FINDING_HOST_PATH },
  { "nvdimm", "/domain/devices",
    "<memory model='nvdimm'><source><path>/dev/mem</path></source>"
    "<target><size unit='MiB'>1</size><node>0</node></target></memory>",
    VR_FINDING_HOST_PATH },
  { "serial-dev", "/domain/devices",
    "<serial type='dev'><source path='/dev/ttyS0'/><target port='1'/></serial>",
    VR_FINDING_HOST_CHARDEV },
  { "serial-file", "/domain/devices",
    "<serial type='file'><source path='/etc/cron.d/x'/><target port='2'/></serial>",
    VR_FINDING_HOST_CHARDEV },
  { "console-log", "/domain/devices",
    "<console type='pty'><log file='/root/.bashrc' append='on'/>"
    "<target type='virtio'/></console>", VR_FINDING_HOST_CHARDEV },
  { "channel-unix", "/domain/devices",
    "<channel type='unix'><source mode='bind' path='/run/dbus/system_bus_socket'/>"
    "<target type='virtio' name='x'/></channel>", VR_FINDING_HOST_CHARDEV },
  { "parallel-pipe", "/domain/devices",
    "<parallel type='pipe'><source path='/tmp/p'/></parallel>",
    VR_FINDING_HOST_CHARDEV },
  { "smartcard-passthrough", "/domain/devices",
    "<smartcard mode='passthrough' type='unix'><source mode='connect'"
    " path='/run/pcscd/pcscd.comm'/></smartcard>", VR_FINDING_HOST_CHARDEV },
  /* F4 of the fifth review: any <shmem> is shared by a host-wide name
   * (its server socket is inside that finding). */
  { "shmem-server", "/domain/devices",
    "<shmem name='s'><model type='ivshmem-doorbell'/>"
    "<server path='/run/other.sock'/></shmem>", VR_FINDING_HOST_SHMEM },
  { "vhostuser", "/domain/devices",
    "<interface type='vhostuser'><source type='unix' path='/run/x.sock'"
    " mode='client'/><model type='virtio'/></interface>",
    VR_FINDING_HOST_CHARDEV },
  { "disk-secret", "/domain/devices",
    "<disk type='file' device='disk'><source file='disk.qcow2'>"
    "<encryption format='luks'><secret type='passphrase'"
    " uuid='0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f'/></encryption></source>"
    "<target dev='vdb'/></disk>", VR_FINDING_HOST_DATA },
  { "tpm-secret", "/domain/devices",
    "<tpm model='tpm-crb'><backend type='emulator' version='2.0'>"
    "<encryption secret='0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f'/></backend>"
    "</tpm>", VR_FINDING_HOST_DATA },
  { "graphics-sdl", "/domain/devices",
    "<graphics type='sdl' display=':0'/>", VR_FINDING_HOST_DEVICE },
  { "blkiotune-device", "/domain",
    "<blkiotune><device><path>/root/.bashrc</path><read_bytes_sec>1000"
    "</read_bytes_sec></device></blkiotune>", VR_FINDING_HOST_DEVICE },
  { "nvram-source-file", "/domain/os",
    "<nvram type='file'><source file='/etc/shadow'/></nvram>",
    VR_FINDING_HOST_BOOT },
  { "nvram-source-block", "/domain/os",
    "<nvram type='block'><source dev='/dev/sda'/></nvram>",
    VR_FINDING_HOST_BOOT },
  { "nvram-source-network", "/domain/os",
    "<nvram type='network'><source protocol='nbd' name='vars'>"
    "<host name='127.0.0.1' port='10809'/></source></nvram>",
    VR_FINDING_HOST_BOOT },
  { "nvram-source-untyped", "/domain/os",
    "<nvram><source file='/etc/shadow'/></nvram>", VR_FINDING_HOST_BOOT },
  { "kernel", "/domain/os", "<kernel>/root/vmlinuz</kernel>",
    VR_FINDING_HOST_BOOT },
  { "initrd", "/domain/os", "<initrd>/home/user/initrd</initrd>",
    VR_FINDING_HOST_BOOT },
  { "dtb", "/domain/os", "<dtb>/etc/x.dtb</dtb>", VR_FINDING_HOST_BOOT },
  { "acpi-table", "/domain/os",
    "<acpi><table type='slic'>/etc/shadow</table></acpi>", VR_FINDING_HOST_BOOT },
  { "rom", "/domain/devices/interface[1]", "<rom file='/etc/shadow'/>",
    VR_FINDING_HOST_BOOT },
  /* Twelfth review, F1: a blank path is no default; libvirt opens it
   * relative to '/' (root made "/ " for a serial log). */
  { "serial-blank-path", "/domain/devices",
    "<serial type='file'><source path=' '/><target port='1'/></serial>",
    VR_FINDING_HOST_CHARDEV },
  { "kernel-blank", "/domain/os", "<kernel> </kernel>",
    VR_FINDING_HOST_BOOT },
  /* F2: text split by a comment or a processing instruction is one
   * value to libvirt's XPath string(). */
  { "split-comment", "/domain/os", "<root>/dev/s<!---->da</root>",
    VR_FINDING_HOST_UNKNOWN },
  { "split-pi", "/domain/os", "<root>/dev/s<?x?>da</root>",
    VR_FINDING_HOST_UNKNOWN },
  { "split-cdata", "/domain/os", "<root>/dev/s<![CDATA[da]]></root>",
    VR_FINDING_HOST_UNKNOWN },
  /* Packaged files libvirt would chown to QEMU's user while it runs. */
  { "kernel-firmware-dir", "/domain/os",
    "<kernel>/usr/share/qemu/bios-256k.bin</kernel>", VR_FINDING_HOST_BOOT },
  { "initrd-firmware-dir", "/domain/os",
    "<initrd>/usr/share/qemu/bios-256k.bin</initrd>", VR_FINDING_HOST_BOOT },
  { "dtb-firmware-dir", "/domain/os",
    "<dtb>/usr/share/qemu/bios-256k.bin</dtb>", VR_FINDING_HOST_BOOT },
  { "acpi-table-firmware-dir", "/domain/os",
    "<acpi><table type='slic'>/usr/share/qemu/bios-256k.bin</table></acpi>",
    VR_FINDING_HOST_BOOT },
  { "emulator-2", "/domain/devices",
    "<emulator>/tmp/evil</emulator>", VR_FINDING_HOST_EMULATOR },
  { "virtiofsd-binary", "/domain/devices",
    "<filesystem type='mount'><driver type='virtiofs'/><binary path='/tmp/evil'/>"
    "<source dir='" IMPORT "/share'/><target dir='t'/></filesystem>",
    VR_FINDING_HOST_EMULATOR },
  { "ethernet-script", "/domain/devices",
    "<interface type='ethernet'><script path='/tmp/evil.sh'/></interface>",
    VR_FINDING_HOST_NETWORK },
  { "downscript", "/domain/devices",
    "<interface type='ethernet'><downscript path='/tmp/evil.sh'/></interface>",
    VR_FINDING_HOST_NETWORK },
  { "ethernet-unmanaged-tap", "/domain/devices",
    "<interface type='ethernet'><target dev='tap0' managed='no'/></interface>",
    VR_FINDING_HOST_NETWORK },
  { "macvtap", "/domain/devices",
    "<interface type='direct'><source dev='eth0' mode='bridge'/></interface>",
    VR_FINDING_HOST_NETWORK },
  /* The devices QEMU opens for the tap and vhost: only the kernel's own
   * (libvirt's defaults, in own_interfaces) are a guest's. */
  { "backend-tap", "/domain/devices/interface[1]",
    "<backend tap='/dev/sda'/>", VR_FINDING_HOST_NETWORK },
  { "backend-vhost", "/domain/devices/interface[1]",
    "<backend vhost='/dev/vhost-vsock'/>", VR_FINDING_HOST_NETWORK },
  /* Sixth review: another guest's virNetworkPort; a host interface name
   * the host's firewall rules may trust. */
  { "interface-portid", "/domain/devices",
    "<interface type='network'><source network='default'"
    " portid='0a8fb9c4-7cbb-4d4b-9c2b-d0b1c2a3e4f5'/></interface>",
    VR_FINDING_HOST_SEGMENT },
  { "interface-target-dev", "/domain/devices",
    "<interface type='network'><source network='default'/>"
    "<target dev='tap-admin0'/></interface>", VR_FINDING_HOST_SEGMENT },
  { "bridge-target-dev", "/domain/devices",
    "<interface type='bridge'><source bridge='br0'/>"
    "<target dev='eth0'/></interface>", VR_FINDING_HOST_SEGMENT },
  { "rng-file", "/domain/devices",
    "<rng model='virtio'><backend model='random'>/etc/shadow</backend></rng>",
    VR_FINDING_HOST_RNG },
  /* F2: QEMU writes the sound to any file as the QEMU user, which owns
   * every guest's NVRAM. */
  { "audio-file", "/domain/devices",
    "<audio id='2' type='file' path='" NVRAM_DIR "-x/victim_VARS.fd'/>",
    VR_FINDING_HOST_CHARDEV },
  { "audio-file-in-storage", "/domain/devices",
    "<audio id='2' type='file' path='" NVRAM_DIR "/victim_VARS.fd'/>",
    VR_FINDING_HOST_FOREIGN },
  { "audio-file-no-path", "/domain/devices", "<audio id='2' type='file'/>",
    VR_FINDING_HOST_CHARDEV },
  { "audio-pulseaudio", "/domain/devices",
    "<audio id='2' type='pulseaudio' serverName='tcp:127.0.0.1'/>",
    VR_FINDING_HOST_CHARDEV },
  /* F4: other guests' data in libvirt's storage. */
  { "disk-in-images", "/domain/devices",
    "<disk type='file' device='disk'><source file='" POOL "/victim.img'/>"
    "<target dev='vdv' bus='virtio'/></disk>", VR_FINDING_HOST_FOREIGN },
  { "disk-volume", "/domain/devices",
    "<disk type='volume' device='disk'><source pool='default' volume='v'/>"
    "<target dev='vdu' bus='virtio'/></disk>", VR_FINDING_HOST_FOREIGN },
  { "serial-file-in-storage", "/domain/devices",
    "<serial type='file'><source path='" POOL "/victim.img'/>"
    "<target port='3'/></serial>", VR_FINDING_HOST_FOREIGN },
  { "loader-in-storage", "/domain/os/loader", NULL, VR_FINDING_HOST_FOREIGN },
  /* F3: more ways QEMU reaches the host. */
  { "sysinfo-fwcfg-file", "/domain",
    "<sysinfo type='fwcfg'><entry name='opt/com.x/y'"
    " file='/var/lib/libvirt/secrets/x.base64'/></sysinfo>",
    VR_FINDING_HOST_DATA },
  { "smbios-host", "/domain/os", "<smbios mode='host'/>",
    VR_FINDING_HOST_DATA },
  { "nbd-unix", "/domain/devices",
    "<disk type='network' device='disk'><source protocol='nbd'>"
    "<host transport='unix' socket='/run/libvirt/libvirt-sock'/></source>"
    "<target dev='vdt' bus='virtio'/></disk>", VR_FINDING_HOST_CHARDEV },
  /* Network disks to other machines: QEMU connects from the host's
   * network position where the XML says. */
  { "nbd-remote", "/domain/devices",
    "<disk type='network' device='disk'><source protocol='nbd' name='e'>"
    "<host name='192.0.2.7' port='10809'/></source>"
    "<target dev='vdt' bus='virtio'/></disk>", VR_FINDING_HOST_CHARDEV },
  { "iscsi-remote", "/domain/devices",
    "<disk type='network' device='disk'><source protocol='iscsi'"
    " name='iqn.2013-07.com.example:iscsi-nopool/1'>"
    "<host name='192.0.2.8' port='3260'/></source>"
    "<target dev='vdt' bus='virtio'/></disk>", VR_FINDING_HOST_CHARDEV },
  { "rbd-remote", "/domain/devices",
    "<disk type='network' device='disk'><source protocol='rbd'"
    " name='pool/image'><host name='192.0.2.9' port='6789'/></source>"
    "<target dev='vdt' bus='virtio'/></disk>", VR_FINDING_HOST_CHARDEV },
  { "http-remote", "/domain/devices",
    "<disk type='network' device='cdrom'><source protocol='https'"
    " name='/images/x.iso'><host name='192.0.2.10' port='443'/></source>"
    "<target dev='sdz' bus='sata'/></disk>", VR_FINDING_HOST_CHARDEV },
  { "tpm-external", "/domain/devices",
    "<tpm model='tpm-crb'><backend type='external'><source type='unix'"
    " mode='connect' path='/run/other/swtpm.sock'/></backend></tpm>",
    VR_FINDING_HOST_CHARDEV },
  /* F14 of the blind review: a bridge the policy does not list (br0 is
   * listed) is a host segment, with any MAC (here the host's own). */
  { "bridge-unlisted", "/domain/devices",
    "<interface type='bridge'><mac address='52:54:00:12:34:56'/>"
    "<source bridge='mgmt0'/></interface>",
    VR_FINDING_HOST_BRIDGE },
  /* L2 of the fourth attack review: a libvirt network is the guest's own
   * only when nat, route or isolated (or on a bridge Bridges= allows). */
#define NETWORK(name) "<interface type='network'><source network='" name \
                      "'/><model type='virtio'/></interface>"
  { "network-host-bridge", "/domain/devices", NETWORK ("hostbr"),
    VR_FINDING_HOST_SEGMENT },
  { "network-macvtap", "/domain/devices", NETWORK ("macvtap"),
    VR_FINDING_HOST_SEGMENT },
  { "network-vepa", "/domain/devices", NETWORK ("vepa"),
    VR_FINDING_HOST_SEGMENT },
  { "network-private", "/domain/devices", NETWORK ("private"),
    VR_FINDING_HOST_SEGMENT },
  { "network-passthrough", "/domain/devices", NETWORK ("passthrough"),
    VR_FINDING_HOST_SEGMENT },
  { "network-hostdev", "/domain/devices", NETWORK ("hostdev"),
    VR_FINDING_HOST_SEGMENT },
  { "network-open", "/domain/devices", NETWORK ("open"),
    VR_FINDING_HOST_SEGMENT },
  { "network-missing", "/domain/devices", NETWORK ("not-here"),
    VR_FINDING_HOST_SEGMENT },
  /* The open network's bridge is no network of libvirt's own either. */
  { "bridge-of-open-network", "/domain/devices",
    "<interface type='bridge'><source bridge='virbr9'/></interface>",
    VR_FINDING_HOST_BRIDGE },
  { "vlan-tag", "/domain/devices",
    "<interface type='bridge'><source bridge='br0'/>"
    "<vlan><tag id='42'/></vlan></interface>", VR_FINDING_HOST_SEGMENT },
  { "vlan-trunk", "/domain/devices",
    "<interface type='network'><source network='default'/>"
    "<vlan trunk='yes'><tag id='1'/><tag id='2'/></vlan></interface>",
    VR_FINDING_HOST_SEGMENT },
  { "virtualport-interfaceid", "/domain/devices",
    "<interface type='bridge'><source bridge='br0'/>"
    "<virtualport type='openvswitch'><parameters"
    " interfaceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'/></virtualport>"
    "</interface>", VR_FINDING_HOST_SEGMENT },
  { "virtualport-8021qbh", "/domain/devices",
    "<interface type='bridge'><source bridge='br0'/>"
    "<virtualport type='802.1Qbh'/></interface>", VR_FINDING_HOST_SEGMENT },
  /* A carried snapshot's external memory state (validate-host-access
   * adds it to the domain it judges as a second <memory>). */
  { "snapshot-memory-file", "/domain",
    "<memory snapshot='external' file='/etc/shadow'/>",
    VR_FINDING_HOST_PATH },
  { "snapshot-memory-foreign", "/domain",
    "<memory snapshot='external' file='" POOL "/victim.save'/>",
    VR_FINDING_HOST_FOREIGN },
  { "interface-udp", "/domain/devices",
    "<interface type='udp'><source address='127.0.0.1' port='5555'>"
    "<local address='127.0.0.1' port='5556'/></source></interface>",
    VR_FINDING_HOST_NETWORK },
  { "interface-vdpa", "/domain/devices",
    "<interface type='vdpa'><source dev='/dev/vhost-vdpa-0'/></interface>",
    VR_FINDING_HOST_DEVICE },
  { "serial-tcp-connect", "/domain/devices",
    "<serial type='tcp'><source mode='connect' host='127.0.0.1'"
    " service='22'/><target port='3'/></serial>", VR_FINDING_HOST_CHARDEV },
  /* Tenth review, F3: a second <source mode='bind'> beside the
   * connecting one (libvirt 9.0 refuses two; a later one might read
   * either). */
  { "serial-tcp-two-sources", "/domain/devices",
    "<serial type='tcp'><source mode='connect' host='127.0.0.1'"
    " service='22'/><source mode='bind' host='127.0.0.1' service='4555'/>"
    "<target port='3'/></serial>", VR_FINDING_HOST_CHARDEV },
  { "rng-egd-two-sources", "/domain/devices",
    "<rng model='virtio'><backend model='egd' type='tcp'>"
    "<source mode='connect' host='127.0.0.1' service='22'/>"
    "<source mode='bind' host='127.0.0.1' service='4556'/></backend>"
    "</rng>", VR_FINDING_HOST_CHARDEV },
  /* The seventh review. F1: a managed ethernet tap is in the host's own
   * stack (the host took the guest's router advertisement), and libvirt
   * puts a <source>'s addresses and routes on the host. */
  { "ethernet-managed", "/domain/devices",
    "<interface type='ethernet'><model type='virtio'/></interface>",
    VR_FINDING_HOST_NETWORK },
  { "ethernet-host-routes", "/domain/devices",
    "<interface type='ethernet'><source>"
    "<ip address='203.0.113.1' prefix='24'/>"
    "<route family='ipv4' address='198.51.100.0' prefix='24'"
    " gateway='203.0.113.2'/>"
    "<ip family='ipv6' address='2001:db8:77::1' prefix='64'/>"
    "<route family='ipv6' address='2001:db8:99::' prefix='48'"
    " gateway='2001:db8:77::2'/></source><model type='virtio'/>"
    "</interface>", VR_FINDING_HOST_NETWORK },
  { "bridge-host-ip", "/domain/devices",
    "<interface type='bridge'><source bridge='br0'>"
    "<ip address='203.0.113.1' prefix='24'/></source></interface>",
    VR_FINDING_HOST_NETWORK },
  { "network-host-route", "/domain/devices",
    "<interface type='network'><source network='default'>"
    "<route family='ipv4' address='198.51.100.0' prefix='24'"
    " gateway='203.0.113.2'/></source></interface>",
    VR_FINDING_HOST_NETWORK },
  { "ip-peer", "/domain/devices",
    "<interface type='user'><ip address='10.0.2.15' prefix='24'"
    " peer='203.0.113.9'/></interface>", VR_FINDING_HOST_NETWORK },
  /* F6: a port's MTU becomes the shared bridge's. */
  { "bridge-mtu", "/domain/devices",
    "<interface type='bridge'><source bridge='br0'/><mtu size='1000'/>"
    "</interface>", VR_FINDING_HOST_SEGMENT },
  { "network-mtu", "/domain/devices",
    "<interface type='network'><source network='default'/>"
    "<mtu size='9000'/></interface>", VR_FINDING_HOST_SEGMENT },
  /* F5: libvirt picks the host's render node itself. */
  { "egl-headless-auto", "/domain/devices", "<graphics type='egl-headless'/>",
    VR_FINDING_HOST_DEVICE },
  { "spice-gl-auto", "/domain/devices",
    "<graphics type='spice' autoport='yes'><listen type='none'/>"
    "<gl enable='yes'/></graphics>", VR_FINDING_HOST_DEVICE },
  { "dbus-gl-auto", "/domain/devices",
    "<graphics type='dbus'><gl enable='yes'/></graphics>",
    VR_FINDING_HOST_DEVICE },
  { "video-vhostuser", "/domain/devices",
    "<video><driver name='vhostuser'/><model type='virtio' heads='1'>"
    "<acceleration accel3d='yes'/></model></video>",
    VR_FINDING_HOST_DEVICE },
  { "video-rendernode", "/domain/devices",
    "<video><driver name='vhostuser'/><model type='virtio' heads='1'>"
    "<acceleration accel3d='yes' rendernode='/dev/dri/renderD128'/>"
    "</model></video>", VR_FINDING_HOST_DEVICE },
  /* The allow-list: a host path where no rule knows what libvirt does. */
  { "unknown-path", "/domain/devices",
    "<interface type='user'><backend type='passt'"
    " logFile='/etc/cron.d/x'/></interface>", VR_FINDING_HOST_UNKNOWN },
  { "unknown-partition", "/domain/resource/partition", NULL,
    VR_FINDING_HOST_UNKNOWN },
  /* Relative paths are host paths too (QEMU's working directory is
   * '/'): climbing, or plain "dir/file", in an attribute or text. */
  { "unknown-relative-climb", "/domain/devices",
    "<interface type='user'><backend type='passt'"
    " logFile='../../etc/shadow'/></interface>", VR_FINDING_HOST_UNKNOWN },
  { "unknown-relative-attr", "/domain/devices",
    "<interface type='user'><backend type='passt'"
    " logFile='etc/cron.d/x'/></interface>", VR_FINDING_HOST_UNKNOWN },
  { "unknown-relative-text", "/domain/devices",
    "<newdevice><file>var/lib/libvirt/images/victim.qcow2</file></newdevice>",
    VR_FINDING_HOST_UNKNOWN },
  { "timezone-path", "/domain",
    "<clock offset='timezone' timezone='../../../etc/shadow'/>",
    VR_FINDING_HOST_UNKNOWN },
  /* F3 of the fifth review: dumps libvirt writes as root, without bound. */
  { "watchdog-dump", "/domain/devices",
    "<watchdog model='ib700' action='dump'/>", VR_FINDING_HOST_DUMP },
  { "watchdog-dump-spaced", "/domain/devices",
    "<watchdog model='i6300esb' action=' dump '/>", VR_FINDING_HOST_DUMP },
  { "on-crash-coredump-restart", "/domain",
    "<on_crash>coredump-restart</on_crash>", VR_FINDING_HOST_DUMP },
  { "on-crash-coredump-destroy", "/domain",
    "<on_crash> coredump-destroy </on_crash>", VR_FINDING_HOST_DUMP },
  /* F4: memory another guest maps by the same name. */
  { "shmem-plain", "/domain/devices",
    "<shmem name='vframes'><model type='ivshmem-plain'/>"
    "<size unit='M'>4</size></shmem>", VR_FINDING_HOST_SHMEM },
  { "shmem-doorbell-default-socket", "/domain/devices",
    "<shmem name='s'><model type='ivshmem-doorbell'/><server/></shmem>",
    VR_FINDING_HOST_SHMEM },
  /* Even under the guest's own UUID: any local user can make the file
   * in /dev/shm first. */
  { "shmem-own-uuid", "/domain/devices",
    "<shmem name='5a1ad0c0-7e57-4b3d-9c1e-0000000000aa-fb'>"
    "<model type='ivshmem-plain'/></shmem>", VR_FINDING_HOST_SHMEM },
  /* F6: real-time classes, resctrl, a CPU weight above the default,
   * locked memory. */
  { "vcpusched-fifo", "/domain",
    "<cputune><vcpusched vcpus='0-1' scheduler='fifo' priority='99'/>"
    "</cputune>", VR_FINDING_HOST_PRIORITY },
  { "iothreadsched-rr", "/domain",
    "<cputune><iothreadsched iothreads='1' scheduler='rr' priority='1'/>"
    "</cputune>", VR_FINDING_HOST_PRIORITY },
  { "emulatorsched-fifo", "/domain",
    "<cputune><emulatorsched scheduler='fifo' priority='1'/></cputune>",
    VR_FINDING_HOST_PRIORITY },
  { "vcpusched-unknown-class", "/domain",
    "<cputune><vcpusched vcpus='0' scheduler='deadline'/></cputune>",
    VR_FINDING_HOST_PRIORITY },
  { "cachetune", "/domain",
    "<cputune><cachetune vcpus='0-1'><cache id='0' level='3' type='both'"
    " size='3' unit='MiB'/></cachetune></cputune>",
    VR_FINDING_HOST_PRIORITY },
  { "memorytune", "/domain",
    "<cputune><memorytune vcpus='0-1'><node id='0' bandwidth='60'/>"
    "</memorytune></cputune>", VR_FINDING_HOST_PRIORITY },
  { "shares-high", "/domain", "<cputune><shares>262144</shares></cputune>",
    VR_FINDING_HOST_PRIORITY },
  /* strtoull reads "+2000", XPath's number() does not: refused. */
  { "shares-signed", "/domain", "<cputune><shares>+2000</shares></cputune>",
    VR_FINDING_HOST_PRIORITY },
  { "memory-locked", "/domain", "<memoryBacking><locked/></memoryBacking>",
    VR_FINDING_HOST_PRIORITY },
  /* F5: host threads (pids) and I/O weight; F2: a fixed vsock CID. */
  { "iothreads-many", "/domain", "<iothreads>30000</iothreads>",
    VR_FINDING_HOST_PRIORITY },
  { "iothreadids-many", "/domain",
    "<iothreadids><iothread id='1'/><iothread id='2'/><iothread id='3'/>"
    "<iothread id='4'/><iothread id='5'/><iothread id='6'/>"
    "<iothread id='7'/><iothread id='8'/><iothread id='9'/>"
    "<iothread id='10'/><iothread id='11'/><iothread id='12'/>"
    "<iothread id='13'/><iothread id='14'/><iothread id='15'/>"
    "<iothread id='16'/><iothread id='17'/></iothreadids>",
    VR_FINDING_HOST_PRIORITY },
  { "iothread-pool", "/domain",
    "<defaultiothread thread_pool_min='0' thread_pool_max='30000'/>",
    VR_FINDING_HOST_PRIORITY },
  { "bandwidth-floor", "/domain/devices",
    "<interface type='network'><source network='default'/><bandwidth>"
    "<inbound average='1000' floor='500'/></bandwidth></interface>",
    VR_FINDING_HOST_PRIORITY },
  { "blkio-weight", "/domain", "<blkiotune><weight>1000</weight></blkiotune>",
    VR_FINDING_HOST_PRIORITY },
  /* A tuned device is a host block device first (eighth review). */
  { "blkio-device-weight", "/domain",
    "<blkiotune><device><path>/dev/sda</path><weight>1000</weight></device>"
    "</blkiotune>", VR_FINDING_HOST_DEVICE },
  { "vsock-fixed-cid", "/domain/devices",
    "<vsock model='virtio'><cid auto='no' address='3'/></vsock>",
    VR_FINDING_HOST_PRIORITY },
  { "vsock-cid-no-auto", "/domain/devices",
    "<vsock model='virtio'><cid address='42'/></vsock>",
    VR_FINDING_HOST_PRIORITY },
  /* Each queue: a tap, a vhost descriptor and a host kernel thread. */
  { "interface-queues", "/domain/devices",
    "<interface type='network'><source network='default'/>"
    "<model type='virtio'/><driver name='vhost' queues='4096'/></interface>",
    VR_FINDING_HOST_PRIORITY },
  { "interface-queues-signed", "/domain/devices",
    "<interface type='network'><source network='default'/>"
    "<model type='virtio'/><driver queues='+4096'/></interface>",
    VR_FINDING_HOST_PRIORITY },
};

/* A fixed console port: a warning through the agent too (any local user
 * may bind the port themself), with its finding and source. */
typedef struct {
  const char *name;
  const char *snippet;
  const char *source;
  const char *fix; /* in the hint */
} FixedPort;

#define PASST_FORWARD(inner) \
  "<interface type='user'><backend type='passt'/><portForward proto='tcp'>" \
  inner "</portForward></interface>"

static const FixedPort fixed_ports[] = {
  { "vnc-port", "<graphics type='vnc' port='5905' autoport='no'/>",
    "/domain/devices/graphics[2]/@port", "autoport='yes'" },
  { "vnc-port-no-autoport", "<graphics type='vnc' port='5905'/>",
    "/domain/devices/graphics[2]/@port", "autoport='yes'" },
  { "spice-tls-port", "<graphics type='spice' port='-1' tlsPort='5906'/>",
    "/domain/devices/graphics[2]/@tlsPort", "autoport='yes'" },
  { "vnc-websocket", "<graphics type='vnc' port='-1' websocket='5700'/>",
    "/domain/devices/graphics[2]/@websocket", "autoport='yes'" },
  /* passt binds as the QEMU user (libvirt 9.0), like the consoles. */
  { "passt-forward", PASST_FORWARD ("<range start='2022' to='22'/>"),
    "/domain/devices/interface[3]/portForward", "remove the <portForward>" },
  { "passt-forward-all", PASST_FORWARD (""),
    "/domain/devices/interface[3]/portForward", "remove the <portForward>" },
};

/* What an ordinary guest may set on its interfaces: libvirt's default
 * tap and vhost devices, a name libvirt replaces ("vnet"), queues up to
 * 16. */
static const char *const own_interfaces[] = {
  "<interface type='network'><source network='default'/>"
  "<backend tap='/dev/net/tun' vhost='/dev/vhost-net'/></interface>",
  "<interface type='network'><source network='default'/>"
  "<target dev='vnet7'/><driver name='vhost' queues='16'/></interface>",
  "<interface type='bridge'><source bridge='br0'/>"
  "<driver queues='2'/></interface>",
  /* A running guest's names: a macvtap network's, a vhost-user label. */
  "<interface type='network'><source network='default'/>"
  "<target dev='macvtap3'/></interface>",
  "<interface type='vhostuser'><source type='unix' path='" IMPORT "/vu.sock'"
  " mode='client'/><target dev='vhost-user1'/><model type='virtio'/>"
  "</interface>",
  /* What a running guest's XML says with autoport (libvirt's pick). */
  "<graphics type='vnc' port='5900' autoport='yes' websocket='5700'"
  " websocketGenerated='yes'/>",
  "<graphics type='spice' port='-1' tlsPort='-1'/>",
};

/* What an ordinary guest may set of the same elements: watchdogs and crash
 * actions without a dump, a panic device, scheduler classes a user can
 * take, a lower CPU weight, pinning and quotas. */
static const char *const own_resources[] = {
  "<watchdog model='i6300esb' action='reset'/>",
  "<watchdog model='ib700' action='poweroff'/>",
  "<panic model='isa'/>",
  "<vsock model='virtio'><cid auto='yes' address='3'/></vsock>",
};

/* The same under /domain: a few I/O threads, a lower I/O weight (a
 * host device's throttles are an administrator's: blkiotune-device). */
static const char *const own_domain_resources[] = {
  "<iothreads>4</iothreads>",
  "<iothreadids><iothread id='1' thread_pool_max='16'/></iothreadids>",
  "<defaultiothread thread_pool_min='0' thread_pool_max='64'/>",
  "<blkiotune><weight>100</weight></blkiotune>",
};

/* What a guest may set of the elements the seventh review judged: the
 * guest side's address and MTU of a user (passt, slirp) interface,
 * SPICE and D-Bus displays without GL, a video model without a render
 * node. */
static const char *const own_network_graphics[] = {
  "<interface type='user'><ip family='ipv4' address='10.0.2.15'"
  " prefix='24'/><mtu size='1400'/><model type='virtio'/></interface>",
  "<graphics type='spice' autoport='yes'><listen type='none'/>"
  "<gl enable='no'/></graphics>",
  "<graphics type='dbus'/>",
  "<video><model type='virtio' heads='1'><acceleration accel3d='no'/>"
  "</model></video>",
  "<interface type='network'><source network='default'/><bandwidth>"
  "<inbound average='1000' peak='2000' burst='64'/><outbound average='500'/>"
  "</bandwidth></interface>",
};

static const char own_cputune[] =
  "<cputune><shares>100</shares><period>100000</period><quota>-1</quota>"
  "<vcpupin vcpu='0' cpuset='0'/>"
  "<vcpusched vcpus='0' scheduler='batch'/>"
  "<vcpusched vcpus='1' scheduler='idle'/>"
  "<emulatorsched scheduler='other'/></cputune>";

static xmlDoc *
parse (const char *text)
{
  xmlDoc *doc = xmlReadMemory (text, (int) strlen (text), "test.xml", NULL,
                               XML_PARSE_NONET | XML_PARSE_NOBLANKS);

  g_assert_nonnull (doc);
  return doc;
}

static GPtrArray *
check (xmlDoc *doc, VrSeverity severity)
{
  VrHostAccessPolicy policy = { .allowed_dirs = allowed,
                                .bridges = bridges,
                                .storage_dirs = storage,
                                .nvram_dir = NVRAM_DIR,
                                .nvram_own = NVRAM_DIR "/guest_VARS.fd",
                                .emulators = emulators,
                                .networks = networks,
                                .severity = severity };
  GPtrArray *findings = vr_findings_new ();

  vr_host_access_check (doc, &policy, findings);
  return findings;
}

/* Seventh review, F4: 40,000 disks made the rules' XPath unions cost
 * 30-48 s of root's CPU. Past 1024 devices the XML (a save image's, a
 * snapshot's, as well as the planned one) is not looked at: one VR1812
 * error naming the count, and at once. */
static void
test_bounded (void)
{
  g_autoptr (xmlDoc) doc = parse ("<domain type='qemu'><devices/></domain>");
  xmlNode *devices = xmlDocGetRootElement (doc)->children;
  g_autoptr (GPtrArray) findings = NULL;
  gint64 start;

  for (guint i = 0; i < 40000; i++)
    {
      g_autofree char *file = g_strdup_printf ("/x%u", i);
      xmlNode *disk = xmlNewChild (devices, NULL, (const xmlChar *) "disk",
                                   NULL);
      xmlNode *source = xmlNewChild (disk, NULL, (const xmlChar *) "source",
                                     NULL);

      xmlSetProp (disk, (const xmlChar *) "type", (const xmlChar *) "file");
      xmlSetProp (source, (const xmlChar *) "file", (const xmlChar *) file);
    }
  start = g_get_monotonic_time ();
  findings = check (doc, VR_SEVERITY_ERROR);
  g_test_message ("40000 disks: %u finding(s) in %" G_GINT64_FORMAT " ms",
                  findings->len, (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpuint (findings->len, ==, 1);
  g_assert_cmpstr (((VrFinding *) findings->pdata[0])->id, ==,
                   VR_FINDING_HOST_UNKNOWN);
  g_assert_nonnull (strstr (((VrFinding *) findings->pdata[0])->message,
                            "40000 devices"));
}

static void
test_ordinary (void)
{
  g_autoptr (xmlDoc) doc = parse (ordinary);
  g_autoptr (GPtrArray) findings = check (doc, VR_SEVERITY_ERROR);

  for (guint i = 0; i < findings->len; i++)
    {
      g_autofree char *text = vr_finding_to_text (findings->pdata[i]);

      g_test_message ("%s", text);
    }
  g_assert_cmpuint (findings->len, ==, 0);
}

static void
insert (xmlDoc *doc, const char *parent, const char *snippet)
{
  g_autoptr (xmlDoc) part = parse (snippet);
  xmlNode *where = vr_xml_xpath_node (doc, parent);

  g_assert_nonnull (where);
  xmlAddChild (where, xmlDocCopyNode (xmlDocGetRootElement (part), doc, 1));
}

/* A snippet-less construct changes the text of an existing element. */
static void
set_text (xmlDoc *doc, const char *xpath, const char *text)
{
  xmlNode *node = vr_xml_xpath_node (doc, xpath);

  g_assert_nonnull (node);
  xmlNodeSetContent (node, (const xmlChar *) text);
}

static void
test_hostile (gconstpointer data)
{
  const Hostile *h = data;
  g_autoptr (xmlDoc) doc = parse (ordinary);
  g_autoptr (GPtrArray) findings = NULL;
  g_autoptr (GPtrArray) warnings = NULL;
  VrFinding *finding;

  if (h->snippet != NULL)
    insert (doc, h->parent, h->snippet);
  else
    set_text (doc, h->parent, g_str_has_suffix (h->parent, "partition")
                                  ? "/system.slice"
                                  : POOL "/victim_CODE.fd");
  findings = check (doc, VR_SEVERITY_ERROR);
  for (guint i = 0; i < findings->len; i++)
    {
      g_autofree char *text = vr_finding_to_text (findings->pdata[i]);

      g_test_message ("%s", text);
    }
  g_assert_cmpuint (findings->len, ==, 1);
  finding = findings->pdata[0];
  g_test_message ("%s", finding->message);
  g_assert_cmpstr (finding->id, ==, h->id);
  g_assert_cmpint (finding->severity, ==, VR_SEVERITY_ERROR);
  g_assert_true (g_str_has_prefix (finding->source, "/domain"));
  g_assert_nonnull (strstr (finding->hint, "realize-host-access"));
  /* In-process as root the same construct is a warning, not a block. */
  warnings = check (doc, VR_SEVERITY_WARNING);
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_cmpint (((VrFinding *) warnings->pdata[0])->severity, ==,
                   VR_SEVERITY_WARNING);
}

static void
test_own_network_graphics (void)
{
  g_autoptr (xmlDoc) doc = parse (ordinary);
  g_autoptr (GPtrArray) findings = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (own_network_graphics); i++)
    insert (doc, "/domain/devices", own_network_graphics[i]);
  findings = check (doc, VR_SEVERITY_ERROR);
  for (guint i = 0; i < findings->len; i++)
    {
      g_autofree char *text = vr_finding_to_text (findings->pdata[i]);

      g_test_message ("%s", text);
    }
  g_assert_cmpuint (findings->len, ==, 0);
}

/* The networks a guest may join without the host-access right: libvirt's
 * own (nat, route, isolated, and their bridges), one on a bridge the
 * administrator allows, a bare openvswitch port, an administrator's
 * portgroup; on a connection without a network driver (networks NULL)
 * none is judged. */
static void
test_networks_own (void)
{
  g_autoptr (xmlDoc) doc = parse (ordinary);
  g_autoptr (GPtrArray) findings = NULL;
  g_autoptr (xmlDoc) other = parse ("<domain><devices>" NETWORK ("hostbr")
                                    "</devices></domain>");
  g_autoptr (GPtrArray) unjudged = vr_findings_new ();
  g_autoptr (GPtrArray) judged = NULL;
  VrHostAccessPolicy policy = { .allowed_dirs = allowed,
                                .bridges = bridges,
                                .severity = VR_SEVERITY_ERROR };

  insert (doc, "/domain/devices", NETWORK ("routed"));
  insert (doc, "/domain/devices", NETWORK ("isolated"));
  insert (doc, "/domain/devices", NETWORK ("on-br0"));
  insert (doc, "/domain/devices",
          "<interface type='network'><source network='default'"
          " portgroup='engineering'/></interface>");
  insert (doc, "/domain/devices",
          "<interface type='bridge'><source bridge='virbr0'/></interface>");
  insert (doc, "/domain/devices",
          "<interface type='bridge'><source bridge='br0'/>"
          "<virtualport type='openvswitch'/></interface>");
  findings = check (doc, VR_SEVERITY_ERROR);
  for (guint i = 0; i < findings->len; i++)
    g_test_message ("%s", ((VrFinding *) findings->pdata[i])->message);
  g_assert_cmpuint (findings->len, ==, 0);
  vr_host_access_check (other, &policy, unjudged);
  g_assert_cmpuint (unjudged->len, ==, 0);
  judged = check (other, VR_SEVERITY_ERROR);
  g_assert_cmpuint (judged->len, ==, 1);
}

/* The message says what the network is; the hint names the fixes. */
static void
test_network_message (void)
{
  g_autoptr (xmlDoc) doc = parse (ordinary);
  g_autoptr (GPtrArray) findings = NULL;
  VrFinding *finding;

  insert (doc, "/domain/devices", NETWORK ("hostbr"));
  findings = check (doc, VR_SEVERITY_ERROR);
  g_assert_cmpuint (findings->len, ==, 1);
  finding = findings->pdata[0];
  g_assert_nonnull (strstr (finding->message, "host bridge 'mgmt0'"));
  g_assert_nonnull (strstr (finding->hint, "Bridges="));
  g_assert_cmpstr (finding->source, ==,
                   "/domain/devices/interface[3]/source/@network");
}

static void
test_own_resources (void)
{
  g_autoptr (xmlDoc) doc = parse (ordinary);
  g_autoptr (GPtrArray) findings = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (own_resources); i++)
    insert (doc, "/domain/devices", own_resources[i]);
  insert (doc, "/domain", own_cputune);
  for (guint i = 0; i < G_N_ELEMENTS (own_domain_resources); i++)
    insert (doc, "/domain", own_domain_resources[i]);
  insert (doc, "/domain", "<on_crash>restart</on_crash>");
  insert (doc, "/domain", "<on_poweroff>destroy</on_poweroff>");
  findings = check (doc, VR_SEVERITY_ERROR);
  for (guint i = 0; i < findings->len; i++)
    {
      g_autofree char *text = vr_finding_to_text (findings->pdata[i]);

      g_test_message ("%s", text);
    }
  g_assert_cmpuint (findings->len, ==, 0);
}

static void
test_own_interfaces (void)
{
  g_autoptr (xmlDoc) doc = parse (ordinary);
  g_autoptr (GPtrArray) findings = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (own_interfaces); i++)
    insert (doc, "/domain/devices", own_interfaces[i]);
  findings = check (doc, VR_SEVERITY_ERROR);
  for (guint i = 0; i < findings->len; i++)
    {
      g_autofree char *text = vr_finding_to_text (findings->pdata[i]);

      g_test_message ("%s", text);
    }
  g_assert_cmpuint (findings->len, ==, 0);
}

/* More queues than 16 are fine for a guest with that many vCPUs, as
 * I/O threads. */
static void
test_queues_per_vcpu (void)
{
  g_autoptr (xmlDoc) doc = parse (ordinary);
  g_autoptr (GPtrArray) findings = NULL;

  set_text (doc, "/domain/vcpu", "64");
  insert (doc, "/domain/devices",
          "<interface type='network'><source network='default'/>"
          "<driver queues='64'/></interface>");
  findings = check (doc, VR_SEVERITY_ERROR);
  g_assert_cmpuint (findings->len, ==, 0);
}

/* The port a running guest had (the save image's XML) is libvirt's
 * record of that run, not the caller's ask. */
static void
test_running_portid (void)
{
  g_autoptr (xmlDoc) doc = parse (ordinary);
  g_autoptr (GPtrArray) findings = vr_findings_new ();
  VrHostAccessPolicy policy = { .allowed_dirs = allowed,
                                .bridges = bridges,
                                .storage_dirs = storage,
                                .nvram_dir = NVRAM_DIR,
                                .nvram_own = NVRAM_DIR "/guest_VARS.fd",
                                .emulators = emulators,
                                .networks = networks,
                                .running = TRUE,
                                .severity = VR_SEVERITY_ERROR };

  insert (doc, "/domain/devices",
          "<interface type='network'><source network='default'"
          " portid='0a8fb9c4-7cbb-4d4b-9c2b-d0b1c2a3e4f5' bridge='virbr0'/>"
          "<target dev='vnet0'/></interface>");
  vr_host_access_check (doc, &policy, findings);
  g_assert_cmpuint (findings->len, ==, 0);
}

static void
test_fixed_port (gconstpointer data)
{
  const FixedPort *c = data;
  g_autoptr (xmlDoc) doc = parse (ordinary);
  g_autoptr (GPtrArray) findings = NULL;
  VrFinding *finding;

  insert (doc, "/domain/devices", c->snippet);
  findings = check (doc, VR_SEVERITY_ERROR);
  g_assert_cmpuint (findings->len, ==, 1);
  finding = findings->pdata[0];
  g_test_message ("%s: %s", finding->message, finding->hint);
  g_assert_cmpstr (finding->id, ==, VR_FINDING_HOST_PORT);
  g_assert_cmpint (finding->severity, ==, VR_SEVERITY_WARNING);
  g_assert_cmpstr (finding->source, ==, c->source);
  g_assert_nonnull (strstr (finding->hint, c->fix));
}

/* The resource findings give their own fix, not "carry the file". */
static void
test_resource_hints (void)
{
  static const struct {
    const char *parent;
    const char *snippet;
    const char *fix;
  } cases[] = {
    { "/domain/devices", "<watchdog model='ib700' action='dump'/>",
      "action='reset'" },
    { "/domain", "<cputune><vcpusched vcpus='0' scheduler='rr'/></cputune>",
      "'batch'" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (xmlDoc) doc = parse (ordinary);
      g_autoptr (GPtrArray) findings = NULL;
      VrFinding *finding;

      insert (doc, cases[i].parent, cases[i].snippet);
      findings = check (doc, VR_SEVERITY_ERROR);
      g_assert_cmpuint (findings->len, ==, 1);
      finding = findings->pdata[0];
      g_test_message ("%s: %s", finding->message, finding->hint);
      g_assert_nonnull (strstr (finding->hint, cases[i].fix));
      g_assert_nonnull (strstr (finding->hint, "realize-host-access"));
    }
}

/* A running guest's XML (what a save image holds) carries the labels
 * libvirt generated for a dynamic seclabel: not an override. */
static void
test_generated_labels (void)
{
  g_autoptr (xmlDoc) doc = parse (ordinary);
  g_autoptr (GPtrArray) findings = NULL;
  xmlNode *seclabel = vr_xml_xpath_node (doc, "/domain/seclabel");

  xmlUnlinkNode (seclabel);
  xmlFreeNode (seclabel);
  insert (doc, "/domain",
          "<seclabel type='dynamic' model='dac' relabel='yes'>"
          "<label>+64055:+108</label><imagelabel>+64055:+108</imagelabel>"
          "</seclabel>");
  findings = check (doc, VR_SEVERITY_ERROR);
  g_assert_cmpuint (findings->len, ==, 0);
}

/* The what prefix tells which XML a finding is about (the save image's
 * own XML is checked too). */
static void
test_what_prefix (void)
{
  g_autoptr (xmlDoc) doc = parse (ordinary);
  VrHostAccessPolicy policy = { .allowed_dirs = allowed,
                                .bridges = bridges,
                                .nvram_dir = NVRAM_DIR,
                                .nvram_own = NVRAM_DIR "/guest_VARS.fd",
                                .severity = VR_SEVERITY_ERROR,
                                .what = "the save image's XML: " };
  g_autoptr (GPtrArray) findings = vr_findings_new ();

  insert (doc, "/domain", "<seclabel type='none'/>");
  vr_host_access_check (doc, &policy, findings);
  g_assert_cmpuint (findings->len, ==, 1);
  g_assert_true (g_str_has_prefix (((VrFinding *) findings->pdata[0])->message,
                                   "the save image's XML: <seclabel>"));
}

static gboolean
volume_is_known (const char *path, gpointer data)
{
  return g_str_equal (path, data);
}

/* A path libvirt's storage knows is some guest's disk, wherever it is. */
static void
test_volume (void)
{
  g_autoptr (xmlDoc) doc = parse (ordinary);
  VrHostAccessPolicy policy = { .allowed_dirs = allowed,
                                .bridges = bridges,
                                .nvram_dir = NVRAM_DIR,
                                .nvram_own = NVRAM_DIR "/guest_VARS.fd",
                                .is_volume = volume_is_known,
                                .data = (gpointer) "/srv/pool/v.qcow2",
                                .severity = VR_SEVERITY_ERROR };
  g_autoptr (GPtrArray) findings = vr_findings_new ();

  insert (doc, "/domain/devices",
          "<disk type='file' device='disk'><source file='/srv/pool/v.qcow2'/>"
          "<target dev='vdq' bus='virtio'/></disk>");
  vr_host_access_check (doc, &policy, findings);
  g_assert_cmpuint (findings->len, ==, 1);
  g_assert_cmpstr (((VrFinding *) findings->pdata[0])->id, ==,
                   VR_FINDING_HOST_FOREIGN);
}

/* An <nvram> in libvirt's NVRAM directory: fine at the default of this
 * domain's own name (libvirt makes it from the template; whether a file
 * is there already is validate-firmware's VR1901) or when the planned
 * system carries its own (realize names the copy instead). Any other
 * name there is another guest's, now or at its first start, even while
 * nothing is there (fifth review, F2: NVRAM squatting). */
static void
test_nvram (void)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *vars = g_build_filename (dir, "guest_VARS.fd", NULL);
  g_autofree char *victim = g_build_filename (dir, "victim_VARS.fd", NULL);
  const char *const no_dirs[] = { NULL };
  const char *const storage_dirs[] = { dir, NULL };
  const char *const paths[] = { vars, victim, vars, victim };
  const guint found[] = { 0, 1, 0, 0 };
  VrHostAccessPolicy policy = { .allowed_dirs = no_dirs,
                                .bridges = bridges,
                                .storage_dirs = storage_dirs,
                                .nvram_dir = dir,
                                .nvram_own = vars,
                                .severity = VR_SEVERITY_ERROR };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (xmlDoc) doc = xmlNewDoc (BAD_CAST "1.0");
      g_autoptr (GPtrArray) findings = vr_findings_new ();
      xmlNode *os;

      xmlDocSetRootElement (doc, xmlNewDocNode (doc, NULL,
                                                BAD_CAST "domain", NULL));
      os = xmlNewChild (xmlDocGetRootElement (doc), NULL, BAD_CAST "os",
                        NULL);
      xmlNewTextChild (os, NULL, BAD_CAST "nvram", BAD_CAST paths[i]);
      if (i == 2)
        test_write_file (dir, "guest_VARS.fd", "ours, left over", -1);
      /* Carried: realize puts the copy at the own name instead. */
      policy.nvram_carried = i == 3;
      vr_host_access_check (doc, &policy, findings);
      g_test_message ("<nvram>%s</nvram>: %u findings", paths[i],
                      findings->len);
      g_assert_cmpuint (findings->len, ==, found[i]);
      if (found[i] > 0)
        g_assert_cmpstr (((VrFinding *) findings->pdata[0])->id, ==,
                         VR_FINDING_HOST_FOREIGN);
    }
  test_rmtree (dir);
}

/* Inside means inside once ".." and links are resolved, and never a
 * device node. */
/* The guard before define: the carried disk, once rewritten to its copy,
 * is absolute; a relative path anywhere a rule knows is found (sixth
 * review, F6). */
static void
test_find_relative (void)
{
  static const struct {
    const char *parent;
    const char *snippet;
    const char *found;
  } cases[] = {
    { "/domain/devices", "<disk type='block' device='disk'>"
      "<source dev='etc/rv6-demo-rootfile'/><target dev='vdz'/></disk>",
      "etc/rv6-demo-rootfile" },
    { "/domain/devices/disk[1]", "<backingStore type='file'>"
      "<source file='disks/base.raw'/></backingStore>", "disks/base.raw" },
    { "/domain/devices", "<serial type='file'><source path='etc/x'/>"
      "</serial>", "etc/x" },
  };
  g_autoptr (xmlDoc) doc = parse (ordinary);
  xmlNode *carried = vr_xml_xpath_node (doc, "/domain/devices/disk[1]/source");
  g_autofree char *value = NULL;

  /* Before realize rewrote it, the carried disk itself is relative. */
  g_assert_nonnull (vr_host_access_find_relative (doc, &value));
  g_assert_cmpstr (value, ==, "disks/guest.qcow2");
  g_clear_pointer (&value, g_free);
  xmlSetProp (carried, (const xmlChar *) "file",
              (const xmlChar *) POOL "/guest.qcow2");
  g_assert_null (vr_host_access_find_relative (doc, &value));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (xmlDoc) copy = xmlCopyDoc (doc, 1);
      xmlNode *node;

      insert (copy, cases[i].parent, cases[i].snippet);
      node = vr_host_access_find_relative (copy, &value);
      g_assert_nonnull (node);
      g_assert_cmpstr (value, ==, cases[i].found);
      g_clear_pointer (&value, g_free);
    }
}

static void
test_path_inside (void)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *file = g_build_filename (dir, "disk.img", NULL);
  g_autofree char *link = g_build_filename (dir, "link", NULL);
  g_autofree char *dotdot = g_build_filename (dir, "..", "etc", "passwd",
                                              NULL);
  g_autofree char *later = g_build_filename (dir, "not-yet", NULL);
  const char *dirs[] = { dir, NULL };
  const char *dev[] = { "/dev", NULL };

  test_write_file (dir, "disk.img", "x", -1);
  g_assert_cmpint (symlink ("/etc/passwd", link), ==, 0);
  g_assert_true (vr_host_access_path_inside (file, dirs));
  g_assert_true (vr_host_access_path_inside (later, dirs));
  g_assert_false (vr_host_access_path_inside (link, dirs));
  g_assert_false (vr_host_access_path_inside (dotdot, dirs));
  g_assert_false (vr_host_access_path_inside ("/etc/passwd", dirs));
  g_assert_false (vr_host_access_path_inside ("/dev/null", dev));
  /* A sibling whose name only starts like the directory is outside. */
  {
    g_autofree char *sibling = g_strconcat (dir, "-other/x", NULL);

    g_assert_false (vr_host_access_path_inside (sibling, dirs));
  }
  test_rmtree (dir);
}

/* Without the right nothing in the caller's folder is used in place: a
 * disk, a kernel, a serial file there (a dangling link too, which QEMU
 * would create as root wherever it points) is refused with the fix of
 * carrying it; a relative (carried, copied) disk stays fine. */
static void
test_in_place (void)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *xml = NULL;
  g_autofree char *dangling = g_build_filename (dir, "console.log", NULL);
  const char *const no_dirs[] = { NULL };
  const char *const own[] = { dir, NULL };
  VrHostAccessPolicy policy = { .allowed_dirs = no_dirs,
                                .bridges = bridges,
                                .inplace_dirs = own,
                                .severity = VR_SEVERITY_ERROR };
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (GPtrArray) findings = vr_findings_new ();
  const char *ids[] = { VR_FINDING_HOST_PATH, VR_FINDING_HOST_CHARDEV,
                        VR_FINDING_HOST_BOOT };

  test_write_file (dir, "disk.img", "x", -1);
  test_write_file (dir, "vmlinuz", "x", -1);
  g_assert_cmpint (symlink ("/nonexistent-root-only/made", dangling), ==, 0);
  xml = g_strdup_printf (
      "<domain><os><kernel>%s/vmlinuz</kernel></os><devices>"
      "<disk type='file'><source file='%s/disk.img'/></disk>"
      "<disk type='file'><source file='disks/carried.img'/></disk>"
      "<serial type='file'><source path='%s'/></serial>"
      "</devices></domain>", dir, dir, dangling);
  doc = parse (xml);
  vr_host_access_check (doc, &policy, findings);
  g_assert_cmpuint (findings->len, ==, G_N_ELEMENTS (ids));
  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *finding = findings->pdata[i];

      g_assert_cmpstr (finding->id, ==, ids[i]);
      g_assert_cmpint (finding->severity, ==, VR_SEVERITY_ERROR);
      g_assert_nonnull (strstr (finding->message, "used in place from your "
                                                  "folder"));
      g_assert_nonnull (strstr (finding->message, "--copy-disks"));
    }
  test_rmtree (dir);
}

/* For the agent's caller the finding a refused path gets is chosen by
 * what they could see: a link in a folder closed to them that leads into
 * another guest's storage and a name there that is nothing give the same
 * finding (VR1804), where root's view tells them apart (VR1810); an
 * <nvram> in a NVRAM folder closed to them is judged by its name alone
 * (the domain's own default is allowed, another name's refused), never by
 * whether a file is there. */
static void
test_no_oracle (void)
{
  g_autofree char *top = test_mkdtemp ();
  g_autofree char *store = test_mkdtemp ();
  g_autofree char *closed = g_build_filename (top, "closed", NULL);
  g_autofree char *link = g_build_filename (closed, "link", NULL);
  g_autofree char *victim = g_build_filename (store, "victim.qcow2", NULL);
  g_autofree char *own = g_build_filename (closed, "guest_VARS.fd", NULL);
  g_autofree char *xml = NULL;
  g_autoptr (VrCaller) nobody = vr_caller_new (65534);
  const char *const no_dirs[] = { NULL };
  const char *const storage_dirs[] = { store, NULL };
  VrHostAccessPolicy policy = { .allowed_dirs = no_dirs,
                                .storage_dirs = storage_dirs,
                                .nvram_dir = closed,
                                .nvram_own = own,
                                .severity = VR_SEVERITY_ERROR };
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (GPtrArray) as_root = vr_findings_new ();
  g_autoptr (GPtrArray) as_nobody = vr_findings_new ();

  g_assert_cmpint (chmod (top, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (closed, 0700), ==, 0);
  test_write_file (store, "victim.qcow2", "x", -1);
  g_assert_cmpint (symlink (victim, link), ==, 0);
  xml = g_strdup_printf (
      "<domain><os><nvram>%s/other_VARS.fd</nvram></os><devices>"
      "<disk type='file'><source file='%s'/></disk>"
      "<disk type='file'><source file='%s/nothing'/></disk>"
      "</devices></domain>", closed, link, closed);
  doc = parse (xml);
  vr_host_access_check (doc, &policy, as_root);
  g_assert_cmpuint (as_root->len, ==, 3);
  g_assert_cmpstr (((VrFinding *) as_root->pdata[0])->id, ==,
                   VR_FINDING_HOST_FOREIGN);
  g_assert_cmpstr (((VrFinding *) as_root->pdata[1])->id, ==,
                   VR_FINDING_HOST_PATH);
  g_assert_cmpstr (((VrFinding *) as_root->pdata[2])->id, ==,
                   VR_FINDING_HOST_BOOT);
  policy.caller = nobody;
  vr_host_access_check (doc, &policy, as_nobody);
  g_assert_cmpuint (as_nobody->len, ==, 3);
  for (guint i = 0; i < as_nobody->len; i++)
    {
      VrFinding *finding = as_nobody->pdata[i];

      g_test_message ("%s %s", finding->id, finding->message);
      g_assert_cmpstr (finding->id, !=, VR_FINDING_HOST_FOREIGN);
    }
  /* The two disks (the link, the nothing) alike; then the NVRAM. */
  g_assert_cmpstr (((VrFinding *) as_nobody->pdata[0])->id, ==,
                   ((VrFinding *) as_nobody->pdata[1])->id);
  g_assert_cmpstr (((VrFinding *) as_nobody->pdata[2])->id, ==,
                   VR_FINDING_HOST_BOOT);
  test_rmtree (top);
  test_rmtree (store);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/host-access/ordinary", test_ordinary);
  g_test_add_func ("/host-access/bounded", test_bounded);
  g_test_add_func ("/host-access/own-resources", test_own_resources);
  g_test_add_func ("/host-access/own-interfaces", test_own_interfaces);
  g_test_add_func ("/host-access/queues-per-vcpu", test_queues_per_vcpu);
  g_test_add_func ("/host-access/running-portid", test_running_portid);
  for (guint i = 0; i < G_N_ELEMENTS (fixed_ports); i++)
    {
      g_autofree char *path = g_strdup_printf ("/host-access/fixed-port/%s",
                                               fixed_ports[i].name);

      g_test_add_data_func (path, &fixed_ports[i], test_fixed_port);
    }
  g_test_add_func ("/host-access/resource-hints", test_resource_hints);
  g_test_add_func ("/host-access/own-network-graphics",
                   test_own_network_graphics);
  g_test_add_func ("/host-access/generated-labels", test_generated_labels);
  g_test_add_func ("/host-access/networks-own", test_networks_own);
  g_test_add_func ("/host-access/network-message", test_network_message);
  g_test_add_func ("/host-access/what-prefix", test_what_prefix);
  g_test_add_func ("/host-access/volume", test_volume);
  g_test_add_func ("/host-access/nvram", test_nvram);
  g_test_add_func ("/host-access/path-inside", test_path_inside);
  g_test_add_func ("/host-access/find-relative", test_find_relative);
  g_test_add_func ("/host-access/in-place", test_in_place);
  if (getuid () == 0)
    g_test_add_func ("/host-access/no-oracle", test_no_oracle);
  else
    g_test_add_data_func ("/host-access/no-oracle",
                          "needs root to make a folder closed to nobody",
                          (GTestDataFunc) g_test_skip);
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char *path = g_strdup_printf ("/host-access/hostile/%s",
                                               hostile[i].name);

      g_test_add_data_func (path, &hostile[i], test_hostile);
    }
  return g_test_run ();
}
