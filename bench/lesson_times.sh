#!/usr/bin/env bash
# Runs every lesson with its default flags and prints its wall-clock time (issues 5 and 6: each
# lesson's default run should finish in under 60 s on a 2-core laptop).
#
#   bench/lesson_times.sh [BUILD_DIR]        (from the project's root; default BUILD_DIR=build)
set -euo pipefail
build=${1:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-24s %10s  %s\n' "lesson" "seconds" "status"
for lesson in "$build"/lessons/[0-9][0-9]_*; do
  [[ -x $lesson && -f $lesson ]] || continue
  name=$(basename "$lesson")
  start=$(date +%s.%N)
  if "$lesson" --quiet --out "$out/$name" >"$out/$name.log" 2>&1; then status=ok; else status="FAILED (see output)"; fi
  end=$(date +%s.%N)
  seconds=$(echo "$start $end" | awk '{printf "%.1f", $2 - $1}')
  flag=$(echo "$seconds" | awk '{print ($1 > 60) ? "  over 60 s" : ""}')
  printf '%-24s %10s  %s%s\n' "$name" "$seconds" "$status" "$flag"
  [[ $status == ok ]] || tail -5 "$out/$name.log"
done
