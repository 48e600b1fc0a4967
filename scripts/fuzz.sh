#!/bin/bash
# scripts/fuzz.sh [--jobs N] [--seed N] [--results FILE] SECONDS [TARGET...]
#
# Builds the libFuzzer targets (tests/fuzz/fuzz-*.c) in build-fuzz with
# clang-14 (-Dfuzzing=true: ASan, UBSan, LeakSanitizer) and runs each for
# SECONDS from a copy of its seed corpus (tests/fuzz/corpus/NAME; the
# repository's corpus stays as committed), with its dictionary when
# tests/fuzz/NAME.dict exists. Prints one line per target (executions,
# coverage) and exits non-zero on any crash, leak or timeout; the input
# that caused it is kept in build-fuzz/fuzz-artifacts/. --jobs N runs N
# targets at once; --results FILE writes one TAP line per target (for
# scripts/test-summary.py). --seed N fixes libFuzzer's random seed: CI
# passes one, so that its verdict depends on the commit and not on the
# draw (a run that passes here with the same seed for as long or longer
# passes there); long runs that hunt for new bugs leave it random.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

jobs=1
results=
seed=
while [ $# -gt 0 ]; do
  case $1 in
    --jobs) jobs=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) break ;;
  esac
done
seconds=${1:-}
if ! [[ $seconds =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [--jobs N] [--results FILE] SECONDS [TARGET...]" >&2
  exit 2
fi
shift
# No stale results: a run that stops early leaves none (a failure to
# scripts/test-summary.py).
[ -n "$results" ] && rm -f "$results"
bash scripts/install-deps.sh || exit 1

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in tests/fuzz/fuzz-*.c; do
    name=${src#tests/fuzz/fuzz-}
    [ "$name" = common.c ] || targets+=("${name%.c}")
  done
fi

build=build-fuzz
setup=(--werror -Dfuzzing=true -Db_lundef=false)
if [ -d "$build" ]; then
  meson setup --reconfigure "$build" "${setup[@]}" >"$build.setup.log" 2>&1
else
  CC=clang-14 meson setup "$build" "${setup[@]}" >"$build.setup.log" 2>&1
fi || { cat "$build.setup.log"; exit 1; }
ninja -C "$build" "${targets[@]/#/tests/fuzz/fuzz-}" >"$build.ninja.log" 2>&1 \
  || { cat "$build.ninja.log"; exit 1; }

work=$(mktemp -d /tmp/vr-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Runs one target; its summary line goes to $work/NAME.line.
run_target() {
  local name=$1 dir=$work/$1
  local exe=$build/tests/fuzz/fuzz-$name
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
              -print_final_stats=1 -artifact_prefix="$dir/")
  mkdir -p "$dir/corpus"
  cp -r "tests/fuzz/corpus/$name/." "$dir/corpus/" 2>/dev/null
  [ -f "tests/fuzz/$name.dict" ] && args+=(-dict="tests/fuzz/$name.dict")
  [ -n "$seed" ] && args+=(-seed="$seed")
  nice -n 10 "$exe" "${args[@]}" "$dir/corpus" >"$dir/log" 2>&1
  local rc=$?
  local execs cov
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$dir/log" | tail -1)
  if [ $rc -eq 0 ]; then
    echo "ok fuzz-$name: ${execs:-0} execs in ${seconds}s, ${cov:-no coverage}" \
      >"$dir/line"
    return
  fi
  local what
  what=$(grep -m1 -oE 'ERROR: (libFuzzer: [a-z-]+|[A-Za-z]+Sanitizer: [a-z-]+)|runtime error|ERROR:.*assertion' \
         "$dir/log")
  for f in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* "$dir"/slow-unit-*; do
    [ -e "$f" ] && cp "$f" "$artifacts/$name-${f##*/}"
  done
  cp "$dir/log" "$artifacts/$name.log"
  echo "not ok fuzz-$name: FAILED (${what:-exit $rc}) after ${execs:-?} execs; input and log in $artifacts/" \
    >"$dir/line"
}

running=0
for name in "${targets[@]}"; do
  if [ ! -x "$build/tests/fuzz/fuzz-$name" ]; then
    echo "not ok fuzz-$name: no such target" >"$work/$name.missing"
    continue
  fi
  run_target "$name" &
  running=$((running + 1))
  if [ $running -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

status=0
lines=()
for name in "${targets[@]}"; do
  line=$(cat "$work/$name/line" "$work/$name.missing" 2>/dev/null)
  lines+=("$line")
  echo "${line#ok }" | sed 's/^not ok //'
  [[ $line == ok* ]] || status=1
done
if [ -n "$results" ]; then
  printf '%s\n' "${lines[@]}" >"$results"
fi
exit $status
