#!/bin/bash
# The main job on the embedded default, on a fresh Debian 12 machine as root:
# installs the dependency list, builds, makes a real saved VM with the test
# bed under one embedded QEMU root ("host A", qemu:///embed?root=...),
# imports it as a planned system, validates it against another embedded
# root ("host B"), realizes it there and starts it: the guest resumes from
# its saved state (QEMU started with -incoming, state "running (restored)").
# Then the same for a UEFI guest with a TPM 2.0: its UEFI variable store
# and TPM state travel with it and are, byte for byte, the ones on host B.
#
# Everything goes under $VR_DEMO_DIR (default /tmp/virt-realize-demo); run
# it again and it starts over.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/install-deps.sh

demo=${VR_DEMO_DIR:-/tmp/virt-realize-demo}
rm -rf "$demo"
mkdir -p "$demo"
chmod 755 "$demo"

[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

vr() {
  echo "\$ virt-realize $*" | sed "s#$demo#\$DEMO#g"
  build/cli/virt-realize --direct --state-dir "$demo/state" "$@"
  echo
}

echo "== A real saved VM, made under the embedded QEMU root $demo/testbed/root"
import_dir=$(build/tests/testbed/vr-testbed --variant basic "$demo/testbed")
ls -l "$import_dir"
echo

host_b="qemu:///embed?root=$demo/host-b"

echo "== Stage it on host B as a planned system"
vr import "$import_dir"
vr list
vr show vr-guest

echo "== Does it fit host B?"
vr -c "$host_b" validate vr-guest

echo "== Realize it on host B and start it"
vr -c "$host_b" realize vr-guest --start
vr show vr-guest

echo "== On host B the guest resumed from its saved state"
# One virsh process: a second process may not open a root while another
# has it, and a destroy must wait for libvirt's reconnect to the guest
# (docs/libvirt-handoff.md).
virsh -c "$host_b" "dominfo vr-guest; domstate --reason vr-guest; dommemstat vr-guest; destroy vr-guest" 2>&1 |
  grep -vE '^$|^[a-z_]+ [0-9]+$|^[0-9-]+ [0-9:.+]+: [0-9]+: '  # dommemstat's figures, libvirt's log
grep -o -- '-incoming [a-z]*' "$demo/host-b/log/qemu/vr-guest.log" | head -1 | sed 's/^/QEMU log: /'

echo
echo "== A UEFI guest with a TPM 2.0 (OVMF, swtpm), saved under root A, moves too"
uefi_dir=$(build/tests/testbed/vr-testbed --variant uefi "$demo/testbed")
ls -lR "$uefi_dir" | sed "s#$demo#\$DEMO#g"
echo
vr import "$uefi_dir"
vr show vr-uefi
vr -c "$host_b" validate vr-uefi
vr -c "$host_b" realize vr-uefi
echo "Its UEFI variables and TPM state on host B are the exported ones:"
uuid=5a1ad0c0-7e57-4b3d-9c1e-000000000004
for pair in "nvram/vr-uefi_VARS.fd lib/qemu/nvram/vr-uefi_VARS.fd" \
            "tpm/tpm2/tpm2-00.permall lib/swtpm/$uuid/tpm2/tpm2-00.permall"; do
  set -- $pair
  a=$(sha256sum < "$uefi_dir/$1" | cut -c1-16)
  b=$(sha256sum < "$demo/host-b/$2" | cut -c1-16)
  echo "  $1: exported $a, host B $b"
done
echo
echo "== Started on host B, it resumes"
virsh -c "$host_b" "start vr-uefi; domstate --reason vr-uefi; destroy vr-uefi" 2>&1 |
  grep -vE '^$|^[0-9-]+ [0-9:.+]+: [0-9]+: '
grep -o -- '-incoming [a-z]*' "$demo/host-b/log/qemu/vr-uefi.log" | head -1 | sed 's/^/QEMU log: /'
