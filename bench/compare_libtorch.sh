#!/usr/bin/env bash
# The seq2seq training step (issue 6) in Glimpse beside the same step in libtorch, PyTorch's C++
# frontend: bench-seq2seq and bench-seq2seq-libtorch, at the three sizes of the README's table,
# one thread on every side, alternating runs, best of three. Prints Markdown tables of wall-clock
# and CPU ms per step; a ratio above 1 means Glimpse is faster. With PyTorch for python3 (Debian:
# python3-torch) it adds PyTorch eager (bench/seq2seq_torch.py), and with bench-matmul built it
# adds how far each side is from the step's matmul FLOP bound.
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
cpu_ms() { grep -oE 'cpu=[0-9.]+' | grep -oE '[0-9.]+$'; }
rss() { grep -oE 'peak_rss=[0-9.]+' | grep -oE '[0-9.]+$' || echo "?"; }
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
# The single-thread matmul rate the bound assumes: the best GFLOP/s column of `bench-matmul 256`
# (its last column, a percentage, left out).
peak=""
if [[ -x $matmul ]]; then
  peak=$("$matmul" 256 | awk '$1 ~ /^256/ {
    best = 0; for (i = 2; i <= NF; ++i) if ($i !~ /%/ && $i + 0 > best) best = $i + 0; print best; exit }')
fi

# B T H E V STEPS: more steps where a step is short, so each run takes about a second.
configs=("1 10 32 16 16 200" "32 20 128 64 32 20" "64 40 256 128 64 4")
sides=()
if ((have_libtorch)); then sides+=(libtorch); fi
if ((have_torch)); then sides+=(torch); fi
sides+=(glimpse)
declare -A title=([libtorch]=libtorch [torch]="PyTorch eager" [glimpse]=Glimpse)
# One run of a side at config B T H E V S, its output line on stdout.
run() {
  local side=$1
  shift
  case $side in
    libtorch) "$libtorch" "$@" 1 ;;
    torch) "$python" "$here/seq2seq_torch.py" "$@" 1 ;;
    glimpse) "$glimpse" "$@" 1 ;;
  esac
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; }

wall_rows=() cpu_rows=() bound_rows=() mem=""
for cfg in "${configs[@]}"; do
  read -r B T H E V S <<<"$cfg"
  declare -A wall=() cpu=() peak_rss=()
  for side in "${sides[@]}"; do wall[$side]=1e9 cpu[$side]=1e9; done
  for round in 1 2 3; do  # alternate, keep each side's best: the machine is shared and noisy
    for side in "${sides[@]}"; do
      out=$(run "$side" "$B" "$T" "$H" "$E" "$V" "$S")
      wall[$side]=$(min "$(ms <<<"$out")" "${wall[$side]}")
      cpu[$side]=$(min "$(cpu_ms <<<"$out")" "${cpu[$side]}")
      peak_rss[$side]=$(rss <<<"$out")
    done
  done
  wall_row="| $B $T $H $E $V |" cpu_row="| $B $T $H $E $V |"
  for side in "${sides[@]}"; do wall_row+=" ${wall[$side]} |" cpu_row+=" ${cpu[$side]} |"; done
  if ((have_libtorch)); then
    wall_row+=" $(ratio "${wall[libtorch]}" "${wall[glimpse]}") |"
    cpu_row+=" $(ratio "${cpu[libtorch]}" "${cpu[glimpse]}") |"
  fi
  wall_rows+=("$wall_row") cpu_rows+=("$cpu_row")
  if [[ -n $peak ]]; then
    gflop=$(step_gflop "$B" "$T" "$H" "$E" "$V")
    bound=$(awk -v f="$gflop" -v p="$peak" 'BEGIN { printf "%.3f", f / p * 1e3 }')
    row="| $B $T $H $E $V | $gflop | $bound |"
    for side in "${sides[@]}"; do row+=" $(ratio "${cpu[$side]}" "$bound") |"; done
    bound_rows+=("$row")
  fi
  mem="Peak resident memory at $B $T $H $E $V: Glimpse ${peak_rss[glimpse]} MB"
  if ((have_libtorch)); then mem+=", libtorch ${peak_rss[libtorch]} MB"; fi
done

header="| B T H E V |" rule="|---|"
for side in "${sides[@]}"; do header+=" ${title[$side]} |" rule+="---|"; done
if ((have_libtorch)); then header+=" libtorch / Glimpse |" rule+="---|"; fi
echo "Wall-clock ms per training step, one thread, best of 3 alternating runs:"
echo
echo "$header"
echo "$rule"
printf '%s\n' "${wall_rows[@]}"
echo
echo "CPU ms per training step (the process's CPU time; moves less with the machine's load), best of 3:"
echo
echo "$header"
echo "$rule"
printf '%s\n' "${cpu_rows[@]}"
echo
echo "$mem."
if [[ -n $peak ]]; then
  echo
  echo "Matmul FLOP bound: the step's matmul FLOPs at bench-matmul's best 256×256 rate ($peak GFLOP/s);"
  echo "each side's CPU time per step as a multiple of it:"
  echo
  header="| B T H E V | GFLOP/step | bound ms |" rule="|---|---|---|"
  for side in "${sides[@]}"; do header+=" ${title[$side]} |" rule+="---|"; done
  echo "$header"
  echo "$rule"
  printf '%s\n' "${bound_rows[@]}"
fi
