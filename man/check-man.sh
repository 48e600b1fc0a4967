#!/bin/bash
# check-man.sh warnings PAGE.N
#   Format the page as man(1) would, with every groff warning on
#   (man --warnings); any line on standard error is a failure.
# check-man.sh coverage PAGE.scd PROGRAM
#   Each long option PROGRAM --help prints, each command its "Commands:"
#   list names, and each option of PROGRAM COMMAND --help, must appear in
#   the page's source.
set -euo pipefail

warnings() {
  local page=$1 errors
  errors=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null) || {
    echo "man failed on $page: $errors" >&2; exit 1; }
  if [ -n "$errors" ]; then
    echo "$page: man --warnings:" >&2
    echo "$errors" >&2
    exit 1
  fi
  echo "$page: no warnings"
}

# GLib's own --help-all and --help-GROUP (a command's global options as a
# group) are not the program's.
long_options() {
  grep -oE -- '(^|[ ,])--[a-z][a-z-]*' | sed 's/^[ ,]*//' | grep -v '^--help-' | sort -u
}

missing=0
need() {
  local what=$1 pattern=$2 source=$3
  if ! grep -qE -- "$pattern" "$source"; then
    echo "$source: does not document $what" >&2
    missing=$((missing + 1))
  fi
}

coverage() {
  local source=$1 program=$2 help commands cmd opt
  help=$("$program" --help)
  for opt in $(long_options <<<"$help"); do
    need "$opt" "(^|[^a-z-])${opt}([^a-z-]|$)" "$source"
  done
  # The commands' list: "  NAME  ARGS" lines after "Commands:".
  commands=$(sed -n '/^Commands:/,/^$/p' <<<"$help" | sed -nE 's/^  ([a-z][a-z-]*)( .*)?$/\1/p' | sort -u)
  for cmd in $commands; do
    need "command $cmd" "^\*${cmd}\*" "$source"
    for opt in $("$program" "$cmd" --help | long_options); do
      need "$cmd $opt" "(^|[^a-z-])${opt}([^a-z-]|$)" "$source"
    done
  done
  if [ "$missing" -gt 0 ]; then
    echo "$missing options or commands of $program are not in $source" >&2
    exit 1
  fi
  echo "$source: documents every option of $(basename "$program") and its $(wc -w <<<"$commands") commands"
}

case ${1:-} in
  warnings) warnings "$2" ;;
  coverage) coverage "$2" "$3" ;;
  *) echo "usage: $0 warnings PAGE | coverage PAGE.scd PROGRAM" >&2; exit 2 ;;
esac
