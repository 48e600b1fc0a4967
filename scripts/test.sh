#!/bin/bash
# The tests, on a fresh Debian 12 machine as root: installs the dependency
# list, builds with warnings as errors, runs every suite, then the same under
# AddressSanitizer and UndefinedBehaviorSanitizer, fuzzes every parser of
# untrusted input briefly (scripts/fuzz.sh), and ends with one line
# "N passed, N failed, N skipped" for the whole run.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/install-deps.sh || exit 1

# One test bed (real saved VMs) per run, shared by both builds.
export VR_TESTBED_DIR=$(mktemp -d /tmp/vr-testbed.XXXXXX)
chmod 755 "$VR_TESTBED_DIR"
trap 'rm -rf "$VR_TESTBED_DIR"' EXIT

setup() {
  local dir=$1; shift
  if [ -d "$dir" ]; then
    meson setup --reconfigure "$dir" --werror "$@" >"$dir.setup.log" 2>&1
  else
    meson setup "$dir" --werror "$@" >"$dir.setup.log" 2>&1
  fi || { cat "$dir.setup.log"; return 1; }
  ninja -C "$dir" || return 1
}

status=0
logs=()
for build in build-ci build-san; do
  extra=(-Dtest_hooks=true)
  [ "$build" = build-san ] && extra+=(-Db_sanitize=address,undefined -Db_lundef=false)
  if ! setup "$build" "${extra[@]}"; then
    echo "build $build failed"
    status=1
    continue
  fi
  # Under tini as a subreaper, the QEMU processes libvirt orphans are
  # reaped as soon as they exit, as systemd does on a host. Left to this
  # VM's PID 1 (which reaps orphans about every 2 s) each managed save,
  # destroy or shutdown waited up to 2 s more, libvirt polling
  # kill(pid, 0) on a zombie: the suites took four times as long, and ran
  # on timings no host has.
  tini -s -- meson test -C "$build" --print-errorlogs --num-processes 2 \
    || status=1
  logs+=("$build/meson-logs/testlog.json")
done

# Every fuzz target for 20 s (libFuzzer, clang-14), two at a time, from a
# fixed seed (a new bug is hunted by long runs, not by CI's draw); one
# result per target in the summary.
bash scripts/fuzz.sh --jobs 2 --seed 20261206 \
  --results build-fuzz/fuzz-results.tap 20 \
  || status=1
logs+=(build-fuzz/fuzz-results.tap)

python3 scripts/test-summary.py "${logs[@]}" || status=1
exit $status
