#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# One timed stage of `make test`: tools/stage.sh NAME COMMAND [ARG...]
# Prints "=== stage NAME: 3m07s, ok" (or "FAILED (exit N)") and appends "NAME SECONDS EXIT" to build/stage-times.txt;
# `tools/stage.sh --report` prints that table (wall time of each stage; stages run side by side overlap).
set -u
times="$(cd "$(dirname "$0")/.." && pwd)/build/stage-times.txt"
fmt() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
if [ "${1:-}" = "--report" ]; then
  [ -f "$times" ] || exit 0
  echo "=== make test stages (wall time):"
  while read -r name secs rc; do
    printf '    %-22s %8s  %s\n' "$name" "$(fmt "$secs")" "$([ "$rc" = 0 ] && echo ok || echo "FAILED (exit $rc)")"
  done < "$times"
  exit 0
fi
name=${1:?usage: stage.sh NAME COMMAND [ARG...] | --report}
shift
start=$(date +%s)
echo "=== stage $name: started $(date +%H:%M:%S)"
"$@"
rc=$?
secs=$(($(date +%s) - start))
echo "=== stage $name: $(fmt "$secs"), $([ "$rc" = 0 ] && echo ok || echo "FAILED (exit $rc)")"
mkdir -p "$(dirname "$times")" && echo "$name $secs $rc" >> "$times"
exit "$rc"
