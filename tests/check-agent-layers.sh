#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The agent's layers (issue 14): daemon.c makes the D-Bus objects and
# listens to them; the objects (agent/dbus-*.[ch], agent/place.[ch]) see
# the agent only through agent-context.h. This fails when one of them
# includes daemon.h, directly or through another header of agent/, or
# names the VrDaemon type: the cycle daemon <-> dbus-* would be back.
#
# Usage: check-agent-layers.sh SRCDIR   (TAP: the tree, then a copy of it
# with daemon.h included into dbus-job.c, which must fail).
set -u

srcdir=${1:?usage: $0 SRCDIR}

# The headers of agent/ that file includes (quoted includes only), and
# theirs, once each; prints the path of each one reached.
reach () {
  local dir=$1 file=$2
  local -A seen=()
  local queue=("$file") f inc
  while ((${#queue[@]})); do
    f=${queue[0]}
    queue=("${queue[@]:1}")
    while read -r inc; do
      [[ -f $dir/$inc && -z ${seen[$inc]:-} ]] || continue
      seen[$inc]=1
      echo "$inc"
      queue+=("$dir/$inc")
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
  done
}

# Prints one line per breach of the rule in the agent folder dir.
breaches () {
  local dir=$1 f
  for f in "$dir"/dbus-*.c "$dir"/dbus-*.h "$dir"/place.c "$dir"/place.h; do
    [[ -f $f ]] || continue
    if reach "$dir" "$f" | grep -qx 'daemon.h'; then
      echo "${f##*/} reaches daemon.h through its includes"
    fi
    if grep -nE '\b(VrDaemon|VR_DAEMON|VR_TYPE_DAEMON)\b' "$f" >/dev/null; then
      echo "${f##*/} names the VrDaemon type"
    fi
  done
}

echo "1..2"

found=$(breaches "$srcdir/agent")
if [[ -z $found ]]; then
  echo "ok 1 - no D-Bus object file of agent/ depends on daemon.h"
else
  echo "not ok 1 - the D-Bus object files depend on the daemon:"
  sed 's/^/# /' <<<"$found"
  failed=1
fi

# The check itself must catch a breach: the same tree with one include.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$srcdir/agent" "$tmp/agent"
printf '#include "daemon.h"\n' >>"$tmp/agent/dbus-job.c"
if breaches "$tmp/agent" | grep -q '^dbus-job.c reaches daemon.h'; then
  echo "ok 2 - an include of daemon.h in dbus-job.c is caught"
else
  echo "not ok 2 - an include of daemon.h in dbus-job.c went unnoticed"
  failed=1
fi
exit ${failed:-0}
