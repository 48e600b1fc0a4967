#!/bin/bash
# The main job on the embedded default, on a fresh Debian 12 machine as root:
# installs the dependency list, builds, makes a real saved VM with the test
# bed (libvirt's embedded QEMU driver, qemu:///embed?root=...), and imports
# it as a planned system, then shows it.
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
  build/agent/virt-realize --direct --state-dir "$demo/state" "$@"
  echo
}

echo "== A real saved VM, made under the embedded QEMU root $demo/testbed/root"
import_dir=$(build/tests/testbed/vr-testbed --variant basic "$demo/testbed")
ls -l "$import_dir"
echo

echo "== Stage it on this host as a planned system"
vr import "$import_dir"
vr list
vr show vr-guest
