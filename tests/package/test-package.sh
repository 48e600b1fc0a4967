#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-package.sh SRCDIR: the Debian packages, built and used as an admin
# would.
#
# Builds virt-realize and cockpit-virt-realize with dpkg-buildpackage from a
# copy of the source tree (the files git knows, outside any build dir),
# checks them with lintian (no error), installs them with apt-get install
# ./…deb, then checks the installed files: virt-realize --version, the unit
# with systemd-analyze verify (its man page link too), polkitd sees every
# action (pkaction), and the installed agent answers the installed CLI on a
# private system bus through the installed bus policy, polkit policy and
# rules. Then apt-get purge, and nothing of the packages may be left: no
# path dpkg -L listed, no name of ours under /etc, /usr, /var/lib, /run,
# and the state directory gone (debian/virt-realize.postrm says why).
#
# The machine is put back whatever happens: the packages, and any package
# apt-get pulled in for them, are purged on every exit. Needs root, apt-get,
# dpkg-buildpackage and debhelper; exits 77 (skip) naming what is missing.
# It changes /usr and /etc, so meson runs it alone (is_parallel: false);
# never run it beside test-agent, which installs the polkit files too (a
# copy test-agent left is kept aside and put back).
set -uo pipefail

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { printf '%s  %s\n' "$(date -u +%T)" "$*"; }

[ "${1:-}" = --skip ] && skip "$2"
src=$(cd "${1:?usage: test-package.sh SRCDIR | --skip REASON}" && pwd)
[ "$(id -u)" -eq 0 ] || skip "installs packages: needs root"
for tool in dpkg-buildpackage dh apt-get dpkg-checkbuilddeps; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/deps.txt lists its package)"
done
if dpkg-query -W -f='${Status}' virt-realize 2>/dev/null | grep -q 'installed'; then
  skip "the package virt-realize is installed on this machine: the test would purge it"
fi

state=/var/lib/virt-realize
bus_conf=/usr/share/dbus-1/system.conf
polkitd=/usr/lib/polkit-1/polkitd
work=$(mktemp -d /var/tmp/vr-package-test.XXXXXX)
chmod 0711 "$work"   # polkitd (its own user) reaches the bus socket below
pids=()
installed=()
aside=()
state_aside=
state_ours=

# Everything this test made goes, in reverse order: its processes, the
# packages (and what apt-get pulled in for them), the state directory it
# may have moved aside, its scratch folder.
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  if [ ${#installed[@]} -gt 0 ] && dpkg-query -W "${installed[@]}" >/dev/null 2>&1; then
    step "cleanup: purging ${installed[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq -o DPkg::Lock::Timeout=300 \
      "${installed[@]}" >/dev/null 2>&1 || echo "cleanup: apt-get purge failed" >&2
  fi
  for path in "${aside[@]}"; do
    mv -f "$work/aside$path" "$path" && echo "cleanup: $path put back"
  done
  if [ -n "$state_ours" ]; then
    rm -rf "$state"
  fi
  if [ -n "$state_aside" ]; then
    mv "$state_aside" "$state" && echo "cleanup: $state put back"
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# What this test looks for after the purge: every name of ours under the
# trees a package touches (dpkg's own records aside).
our_paths() {
  find /etc /usr /var/lib /run -xdev \
    \( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache \
       -o -path /run/user \) -prune -o \
    \( -iname '*virt-realize*' -o -iname '*virtrealize*' -o -iname '*virt-realized*' \) \
    -print 2>/dev/null | sort
}

package_list() {
  dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' | sort
}

# --- build, in a copy of the tree ---------------------------------------
version=$(sed -n '1s/.*(\(.*\)).*/\1/p' "$src/debian/changelog")
tree="$work/virt-realize-$version"
mkdir -p "$tree"
step "copying the source tree ($src) to $tree"
if git -C "$src" rev-parse --show-toplevel >/dev/null 2>&1; then
  (cd "$src" && git ls-files -z --cached --others --exclude-standard |
     xargs -0 cp --parents -t "$tree") || fail "copying the tree"
else
  (cd "$src" && tar --exclude='./build*' --exclude='./obj-*' -cf - .) |
    tar -C "$tree" -xf - || fail "copying the tree"
fi
rm -rf "$tree"/build* "$tree"/obj-*
missing=$(cd "$tree" && dpkg-checkbuilddeps 2>&1) ||
  fail "build dependencies missing (add them to scripts/deps.txt): $missing"

step "dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=nocheck)"
(cd "$tree" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
   dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log" >&2
  fail "dpkg-buildpackage failed (log above)"
}
debs=("$work"/virt-realize_"$version"_*.deb "$work"/cockpit-virt-realize_"$version"_all.deb)
for deb in "${debs[@]}"; do
  [ -f "$deb" ] || fail "dpkg-buildpackage made no $deb"
done

if command -v lintian >/dev/null; then
  step "lintian"
  lintian --fail-on error \
    "$work"/virt-realize_"$version"_*.changes >"$work/lintian.txt" 2>&1
  lint_status=$?
  sed 's/^/  lintian: /' "$work/lintian.txt"
  [ "$lint_status" -eq 0 ] || fail "lintian reports errors"
else
  echo "lintian is not installed: packages not linted"
fi

# --- install ------------------------------------------------------------
# A file the packages carry that is already there (test-agent copies the
# polkit files in for its run) is no package's, or dpkg would refuse: it is
# kept aside and put back at the end, so the purge can be checked.
mkdir -p "$work/aside"
for deb in "${debs[@]}"; do
  while read -r path; do
    path=${path#.}
    [ -e "$path" ] && [ ! -d "$path" ] || continue
    dpkg -S "$path" >/dev/null 2>&1 && fail "$path belongs to another package"
    mkdir -p "$work/aside$(dirname "$path")"
    mv "$path" "$work/aside$path" || fail "cannot move $path aside"
    aside+=("$path")
    echo "$path was there (no package's): kept aside, put back at the end"
  done < <(dpkg-deb --fsys-tarfile "$deb" | tar -t)
done
# The state directory of an earlier run (scripts/demo.sh) is kept aside
# and put back, since the purge must remove the one the package made.
if [ -e "$state" ]; then
  state_aside="$state.vr-package-test.$$"
  mv "$state" "$state_aside" || fail "cannot move $state aside"
  echo "$state moved to $state_aside for the test; put back at the end"
fi
# From here on, a state directory is the one this test's agent made.
state_ours=1
before_paths=$(our_paths)
before_packages=$(package_list)

installed=(virt-realize cockpit-virt-realize)
step "apt-get install ./$(basename "${debs[0]}") ./$(basename "${debs[1]}")"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o DPkg::Lock::Timeout=300 "${debs[@]}" >"$work/install.log" 2>&1 || {
  cat "$work/install.log" >&2
  fail "apt-get install failed"
}
pulled=$(comm -13 <(echo "$before_packages") <(package_list) |
         grep -vxE 'virt-realize|cockpit-virt-realize')
if [ -n "$pulled" ]; then
  echo "apt-get also installed (purged at the end): $(echo $pulled)"
  installed+=($pulled)
fi
dpkg -L virt-realize cockpit-virt-realize | sort -u >"$work/files"

# --- what is installed works --------------------------------------------
step "virt-realize --version"
out=$(/usr/bin/virt-realize --version) || fail "virt-realize --version failed"
[ "$out" = "virt-realize $version" ] || fail "virt-realize --version said '$out', not 'virt-realize $version'"
echo "  $out"
agent=$(grep -E '/libexec/.*virt-realized$' "$work/files" | head -1)
[ -x "$agent" ] || fail "no agent in the package (dpkg -L has no .../libexec/.../virt-realized)"
out=$("$agent" --version) || fail "$agent --version failed"
echo "  $out"

step "man pages"
for page in virt-realize.1 virt-realized.8; do
  grep -q "/$page.gz$" "$work/files" || fail "$page is not installed"
  warn=$(MANWIDTH=80 man --warnings -l "$(grep "/$page.gz$" "$work/files")" 2>&1 >/dev/null)
  [ -z "$warn" ] || fail "man --warnings on the installed $page: $warn"
done

step "systemd-analyze verify (unit as installed)"
unit=$(grep -E '/systemd/system/virt-realized\.service$' "$work/files")
[ -n "$unit" ] || fail "the unit is not installed"
grep -qx "ExecStart=$agent" "$unit" || fail "$unit: ExecStart is not $agent"
# With man pages checked: the unit's Documentation=man:virt-realize(1)
# must now resolve to the installed page.
out=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify failed: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
echo "  $unit: no warnings"

step "a private system bus, polkitd, the installed agent and CLI"
[ -x "$polkitd" ] || fail "$polkitd missing (package polkitd)"
# polkitd drops to its own user: the socket's folder must let it in.
mkdir -m 0755 "$work/bus"
socket="$work/bus/system_bus_socket"
# Debian's system.conf (its default-deny policy and the packaged policies
# in /usr/share/dbus-1/system.d, ours among them), on a socket of our own:
# nothing host-wide (user, pid file, fork, syslog, helper) kept.
sed -e '/<user>/d' -e '/<fork\/>/d' -e '/<pidfile>/d' -e '/<syslog\/>/d' \
    -e '/<servicehelper>/d' -e '/<standard_system_servicedirs\/>/d' \
    -e '/<include /d' \
    -e "s|<listen>.*</listen>|<listen>unix:path=$socket</listen>|" \
    -e 's|<includedir>system.d</includedir>|<includedir>/usr/share/dbus-1/system.d</includedir>|' \
    "$bus_conf" >"$work/system.conf"
dbus-daemon --config-file="$work/system.conf" --nofork --nopidfile \
  >"$work/dbus.log" 2>&1 &
pids+=($!)
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$socket"

has_owner() {
  dbus-send --system --print-reply --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null |
    grep -q 'boolean true'
}
wait_for() {
  local name=$1 i
  for ((i = 0; i < 300; i++)); do
    has_owner "$name" && return 0
    sleep 0.1
  done
  fail "$name did not appear on the private bus in 30 s: $(tail -5 "$work"/dbus.log "$work"/polkitd.log "$work"/agent.log 2>/dev/null)"
}
for ((i = 0; i < 100; i++)); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || fail "dbus-daemon did not start: $(cat "$work/dbus.log")"
"$polkitd" --no-debug >"$work/polkitd.log" 2>&1 &
pids+=($!)
wait_for org.freedesktop.PolicyKit1

policy=$(grep -E '/polkit-1/actions/org\.virtrealize\.Realize1\.policy$' "$work/files")
want=$(grep -oE 'action id="[^"]+"' "$policy" | sed 's/action id="//; s/"//' | sort)
seen=$(pkaction | grep '^org\.virtrealize\.Realize1\.' | sort)
[ "$want" = "$seen" ] || fail "pkaction lists other actions than $policy has: $(echo $seen)"
out=$(pkaction --verbose --action-id org.virtrealize.Realize1.realize) ||
  fail "pkaction --action-id org.virtrealize.Realize1.realize failed"
grep -q 'implicit active: *auth_admin_keep' <<<"$out" ||
  fail "org.virtrealize.Realize1.realize: unexpected defaults: $out"
echo "  polkitd sees the $(wc -l <<<"$seen") actions; realize: auth_admin_keep"

# The agent as the unit would run it (here on the test driver: no libvirt
# daemon needed), the CLI as an admin would call it: through the bus
# policy, polkit (root passes the installed rules) and the agent.
"$agent" -c test:///default >"$work/agent.log" 2>&1 &
agent_pid=$!
pids+=($agent_pid)
wait_for org.virtrealize.Realize1
manager=(--system --print-reply --dest=org.virtrealize.Realize1
         /org/virtrealize/Realize1/Manager)
out=$(dbus-send "${manager[@]}" org.freedesktop.DBus.Properties.Get \
        string:org.virtrealize.Realize1.Manager string:Version 2>&1)
grep -q "\"$version\"" <<<"$out" || fail "the agent's Version is not $version: $out"
# A method: through the bus policy and polkit (root: the installed rules).
out=$(dbus-send "${manager[@]}" org.virtrealize.Realize1.Manager.ListPlannedSystems 2>&1)
grep -q 'array \[' <<<"$out" || fail "ListPlannedSystems through the installed agent: $out"
echo "  the agent answers: Version $version, ListPlannedSystems"
[ -d "$state" ] || fail "the agent made no state directory $state"
out=$(/usr/bin/virt-realize --system --json list 2>&1) ||
  fail "virt-realize --system list through the installed agent failed: $out"
echo "  virt-realize --system --json list: $(echo $out)"
kill -TERM "$agent_pid"
wait "$agent_pid"
agent_status=$?
[ "$agent_status" -eq 0 ] || fail "the agent exited $agent_status on SIGTERM: $(tail -5 "$work/agent.log")"
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
pids=()
unset DBUS_SYSTEM_BUS_ADDRESS

# --- purge ----------------------------------------------------------------
step "apt-get purge ${installed[*]}"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq -o DPkg::Lock::Timeout=300 \
  "${installed[@]}" >"$work/purge.log" 2>&1 || {
  cat "$work/purge.log" >&2
  fail "apt-get purge failed"
}
installed=()
left=$(while read -r path; do
         [ -e "$path" ] || [ -L "$path" ] || continue
         # Folders other packages share (/usr/share/man/man1 ...) stay.
         [ -d "$path" ] && [ ! -L "$path" ] && dpkg -S "$path" >/dev/null 2>&1 && continue
         [ -d "$path" ] && [ "$(ls -A "$path")" != "" ] && continue
         echo "$path"
       done <"$work/files")
[ -z "$left" ] || fail "files of the packages left after purge: $(echo $left)"
new=$(comm -13 <(echo "$before_paths") <(our_paths))
[ -z "$new" ] || fail "left after purge: $(echo $new)"
[ ! -e "$state" ] || fail "$state is still there after purge"
step "purged: none of the $(wc -l <"$work/files") paths of the packages left, no $state"
echo "PASS"
