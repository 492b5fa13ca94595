#!/usr/bin/env bash
# Same seed, same bits: runs every lesson's smoke test (--smoke --quiet) in each build folder
# given, under each in-house matmul backend (GLIMPSE_GEMM=glimpse and =reference), and checks that
# what every run prints and every file it writes are byte-identical to the first run's.
#
#   tests/reproducibility/compare_lesson_outputs.sh BUILD [BUILD ...]
#
# CI passes the native Release build and the portable (GLIMPSE_NATIVE=OFF: AVX2, 8-float vectors
# against AVX-512's 16) sanitizer build, so vector width, -O level and instrumentation all vary.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BUILD [BUILD ...]" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Lessons that train on a corpus (lesson 13: Debian's fortunes) read this text instead, so the
# check needs no package.
corpus="$work/corpus.txt"
for i in 1 2 3 4 5 6; do
  printf '%s\n' "The cat sat on the mat, and the dog sat on the log." \
    "A fortune is a short text: a joke, a quote, a proverb, a poem." "%" \
    "Time flies like an arrow, fruit flies like a banana." \
    "What is the answer? Forty-two, said the computer, after a long think." "%"
done > "$corpus"

# Lesson 15 reads French message catalogs and a dictionary: the small ones the tests write.
catalogs="$work/catalogs"
"$1/tests/lessons/write_message_catalogs" "$catalogs"
# Lesson 11 reads Fashion-MNIST: the few pictures the tests write.
pictures="$work/fashion_mnist"
"$1/tests/lessons/write_fashion_mnist" "$pictures"

reference_run=""
failures=0
runs=0
for build in "$@"; do
  lessons_dir=$(cd "$build/lessons" && pwd)
  for backend in glimpse reference; do
    for lesson in "$lessons_dir"/[0-9][0-9]_*; do
      [ -x "$lesson" ] && [ -f "$lesson" ] || continue
      name=$(basename "$lesson")
      run="$work/$(basename "$build")-$backend/$name"
      mkdir -p "$run"
      extra=()
      if "$lesson" --help | grep -- '--corpus' > /dev/null; then extra=(--corpus "$corpus"); fi
      if "$lesson" --help | grep -- '--data-dir' > /dev/null; then extra=(--data-dir "$pictures"); fi
      if "$lesson" --help | grep -- '--catalogs' > /dev/null; then
        extra=(--catalogs "$catalogs" --dictionary-index "$catalogs/eng-fra.index"
               --dictionary-data "$catalogs/eng-fra.dict")
      fi
      # Each run in its own folder with the same relative --out, so printed paths agree.
      if ! (cd "$run" && ASAN_OPTIONS=detect_leaks=0 GLIMPSE_GEMM=$backend "$lesson" --smoke "${extra[@]}" --quiet --out out \
              > stdout.txt 2> stderr.txt); then
        echo "FAILED: $name in $build (GLIMPSE_GEMM=$backend)"; cat "$run/stderr.txt"; failures=$((failures + 1))
        continue
      fi
      runs=$((runs + 1))
      first="$work/first/$name"
      if [ ! -d "$first" ]; then
        mkdir -p "$work/first" && cp -r "$run" "$first"
        echo "$name: $(find "$run/out" -type f | wc -l) files, reference run: $build, GLIMPSE_GEMM=$backend"
        continue
      fi
      # stdout differs only in its first line, which names the backend.
      if ! diff <(tail -n +2 "$first/stdout.txt") <(tail -n +2 "$run/stdout.txt") > "$run/diff.txt" ||
         ! diff -r "$first/out" "$run/out" >> "$run/diff.txt"; then
        echo "DIFFERS: $name in $build (GLIMPSE_GEMM=$backend) from the first run:"; head -n 20 "$run/diff.txt"
        failures=$((failures + 1))
      fi
    done
  done
done
echo "$runs lesson runs compared, $failures failed"
[ "$failures" -eq 0 ]
