#!/usr/bin/env bash
# The seq2seq training step (issue 6) in Glimpse beside the same step in libtorch, PyTorch's C++
# frontend: bench-seq2seq and bench-seq2seq-libtorch, at the three sizes of the README's table,
# one thread on every side, alternating runs, best of three. Prints a Markdown table in ms per
# step; a ratio above 1 means Glimpse is faster. With PyTorch for python3 (Debian: python3-torch)
# it adds PyTorch eager (bench/seq2seq_torch.py), and with bench-matmul built it adds how far
# each side is from the step's matmul FLOP bound.
#
#   bench/compare_libtorch.sh [BUILD_DIR]        (from the project's root; default BUILD_DIR=build)
#
# bench-seq2seq-libtorch is built only where CMake found libtorch (apt-get install libtorch-dev);
# without it the script times Glimpse alone and says so.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
glimpse=$build/bench/bench-seq2seq
libtorch=$build/bench/bench-seq2seq-libtorch
matmul=$build/bench/bench-matmul
[[ -x $glimpse ]] || { echo "no $glimpse: build it first (cmake --build $build --target bench-seq2seq)" >&2; exit 2; }
have_libtorch=1
if [[ ! -x $libtorch ]]; then
  have_libtorch=0
  echo "no $libtorch: CMake did not find libtorch (apt-get install libtorch-dev, then re-run cmake);" \
       "timing Glimpse alone" >&2
fi
# PyTorch eager: the first of $PYTHON, python3 and Debian's own /usr/bin/python3 (where
# python3-torch installs; a pyenv or venv python3 found first on PATH usually lacks torch).
have_torch=0 python=""
for candidate in "${PYTHON:-}" python3 /usr/bin/python3; do
  if [[ -n $candidate ]] && "$candidate" -c 'import torch' >/dev/null 2>&1; then
    have_torch=1 python=$candidate
    break
  fi
done

# One thread on every side, BLAS included: OpenBLAS otherwise starts a thread per core. Each
# program also sets its own thread count from its last argument.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 GLIMPSE_THREADS=1

ms() { grep -oE '[0-9.]+ ms/step' | grep -oE '^[0-9.]+'; }
rss() { grep -oE 'peak_rss=[0-9.]+' | grep -oE '[0-9.]+$'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? a : b }'; }

# Matmul FLOPs of one step: the forward's products (GRU gates 2·B·in·3H and 2·B·H·3H per cell
# step; attention W s, U h, vᵀ tanh, the weighted sum; the output layer), times 3 for forward,
# input gradients and weight gradients. Elementwise work is left out, so this is a lower bound.
step_gflop() {
  awk -v B="$1" -v T="$2" -v H="$3" -v E="$4" -v V="$5" 'BEGIN {
    enc = T * (2*B*E*3*H + 2*B*H*3*H)
    keys = 2*B*T*H*H
    dec = T * (2*B*H*H + 2*B*T*H + 2*B*T*H + 2*B*(E+H)*3*H + 2*B*H*3*H + 2*B*2*H*V)
    printf "%.4f", 3 * (enc + keys + dec) / 1e9 }'
}
# The single-thread matmul rate the bound assumes: the best column of `bench-matmul 256`.
peak=""
if [[ -x $matmul ]]; then
  peak=$("$matmul" 256 | awk '$1 ~ /^256/ { best = 0; for (i = 2; i <= NF; ++i) if ($i + 0 > best) best = $i + 0; print best; exit }')
fi

# B T H E V STEPS: more steps where a step is short, so each run takes about a second.
configs=("1 10 32 16 16 200" "32 20 128 64 32 20" "64 40 256 128 64 4")
rows=() bounds=() mem=""
for cfg in "${configs[@]}"; do
  read -r B T H E V S <<<"$cfg"
  best_g=1e9 best_l=1e9 best_p=1e9
  for round in 1 2 3; do  # alternate, keep each side's best: the machine is shared and noisy
    if ((have_libtorch)); then
      out=$("$libtorch" "$B" "$T" "$H" "$E" "$V" "$S" 1)
      best_l=$(min "$(ms <<<"$out")" "$best_l")
      rss_l=$(rss <<<"$out")
    fi
    if ((have_torch)); then
      best_p=$(min "$("$python" "$here/seq2seq_torch.py" "$B" "$T" "$H" "$E" "$V" "$S" 1 | ms)" "$best_p")
    fi
    out=$("$glimpse" "$B" "$T" "$H" "$E" "$V" "$S" 1)
    best_g=$(min "$(ms <<<"$out")" "$best_g")
    rss_g=$(rss <<<"$out")
  done
  row="| $B $T $H $E $V |"
  if ((have_libtorch)); then row+=" $best_l |"; fi
  if ((have_torch)); then row+=" $best_p |"; fi
  row+=" $best_g |"
  if ((have_libtorch)); then row+=" $(awk -v l="$best_l" -v g="$best_g" 'BEGIN { printf "%.1f×", l / g }') |"; fi
  rows+=("$row")
  if [[ -n $peak ]]; then
    gf=$(step_gflop "$B" "$T" "$H" "$E" "$V")
    bound=$(awk -v f="$gf" -v p="$peak" 'BEGIN { printf "%.3f", f / p * 1e3 }')
    row="| $B $T $H $E $V | $gf | $bound |"
    if ((have_libtorch)); then row+=" $(awk -v t="$best_l" -v b="$bound" 'BEGIN { printf "%.1f×", t / b }') |"; fi
    row+=" $(awk -v t="$best_g" -v b="$bound" 'BEGIN { printf "%.1f×", t / b }') |"
    bounds+=("$row")
  fi
  mem="Peak resident memory at $B $T $H $E $V: Glimpse ${rss_g} MB"
  if ((have_libtorch)); then mem+=", libtorch ${rss_l} MB"; fi
done

header="| B T H E V |" rule="|---|"
if ((have_libtorch)); then header+=" libtorch |"; rule+="---|"; fi
if ((have_torch)); then header+=" PyTorch eager |"; rule+="---|"; fi
header+=" Glimpse |"; rule+="---|"
if ((have_libtorch)); then header+=" libtorch / Glimpse |"; rule+="---|"; fi
echo "ms per training step, one thread, best of 3 alternating runs"
echo
echo "$header"
echo "$rule"
printf '%s\n' "${rows[@]}"
echo
echo "$mem."
if [[ -n $peak ]]; then
  echo
  echo "Matmul FLOP bound: the step's matmul FLOPs at bench-matmul's best 256×256 rate ($peak GFLOP/s);"
  echo "each side's time as a multiple of it"
  echo
  if ((have_libtorch)); then
    echo "| B T H E V | GFLOP/step | bound ms | libtorch | Glimpse |"
    echo "|---|---|---|---|---|"
  else
    echo "| B T H E V | GFLOP/step | bound ms | Glimpse |"
    echo "|---|---|---|---|"
  fi
  printf '%s\n' "${bounds[@]}"
fi
