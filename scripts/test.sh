#!/bin/bash
# The tests, on a fresh Debian 12 machine as root: installs the dependency
# list, builds with warnings as errors, runs every suite, then the same under
# AddressSanitizer and UndefinedBehaviorSanitizer, builds everything once
# more with clang-14 (warnings as errors, no tests), fuzzes every parser of
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

# Every target once more with clang-14, warnings as errors, and no tests:
# clang warns where gcc does not (an unused g_autoptr variable, which gcc
# leaves alone for its cleanup attribute; a format string passed on as a
# va_list), and the fuzz targets below are built with it. One result in
# the summary, "ok clang-build" or "not ok clang-build: N errors", the
# errors printed above it and the whole log in build-clang.ninja.log.
clang_build() {
  local dir=build-clang
  local setup=(--werror -Dtest_hooks=true)
  if [ -d "$dir" ]; then
    meson setup --reconfigure "$dir" "${setup[@]}" >"$dir.setup.log" 2>&1
  else
    CC=clang-14 meson setup "$dir" "${setup[@]}" >"$dir.setup.log" 2>&1
  fi || {
    cat "$dir.setup.log"
    clang_result="not ok clang-build: meson setup failed ($dir.setup.log)"
    return 1
  }
  if ninja -k 0 -C "$dir" >"$dir.ninja.log" 2>&1; then
    clang_result="ok clang-build: every target built by clang-14 with -Werror"
    return 0
  fi
  local errors
  # One line per place, its path from the top (a file built into two
  # targets is reported twice, once by an absolute path).
  errors=$(grep -E ': (fatal )?error: ' "$dir.ninja.log" \
           | sed -e "s|^$top/||" -e 's|^\(\.\./\)*||' | sort -u)
  if [ -n "$errors" ]; then
    echo "$errors"
    clang_result="not ok clang-build: $(echo "$errors" | wc -l) errors from"
    clang_result+=" clang-14 -Werror ($dir.ninja.log)"
  else
    tail -n 20 "$dir.ninja.log"
    clang_result="not ok clang-build: ninja failed ($dir.ninja.log)"
  fi
  return 1
}
clang_result=
clang_build || status=1
echo "$clang_result"
echo "$clang_result" >build-clang.tap
logs+=(build-clang.tap)

# Every fuzz target for 20 s (libFuzzer, clang-14), two at a time, from a
# fixed seed (a new bug is hunted by long runs, not by CI's draw); one
# result per target in the summary.
bash scripts/fuzz.sh --jobs 2 --seed 20261206 \
  --results build-fuzz/fuzz-results.tap 20 \
  || status=1
logs+=(build-fuzz/fuzz-results.tap)

python3 scripts/test-summary.py "${logs[@]}" || status=1
exit $status
