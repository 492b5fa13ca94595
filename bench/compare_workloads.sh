#!/usr/bin/env bash
# Glimpse's training steps beside the same steps in libtorch, PyTorch's C++ frontend, one thread on
# both sides, alternating runs, best of three (issues 11 and 14):
#   seq2seq      bench-transformer-seq2seq  lesson 12's encoder-decoder Transformer
#   GPT          bench-gpt                  lesson 13's decoder-only model (nanoGPT's)
#   encoder      bench-transformer-encoder  a Transformer encoder tagging every token
#   LSTM LM      bench-lstm-lm              an LSTM language model
# each beside its bench-...-libtorch twin. Prints a Markdown table of wall-clock and CPU ms per step
# and the ratio libtorch / Glimpse (above 1: Glimpse is faster), and, with bench-matmul built, how
# far each side is from the step's matmul FLOP bound. The machine's load average is printed before
# and after: on a shared machine, compare the CPU columns.
#
#   bench/compare_workloads.sh [BUILD_DIR]    (from the project's root; default BUILD_DIR=build)
#   THREADS=2 bench/compare_workloads.sh      (2 threads on both sides instead of 1)
#
# The libtorch programs are built only where CMake found libtorch (apt-get install libtorch-dev);
# without one, the script times Glimpse's side alone and says so.
set -euo pipefail
build=${1:-build}

# The sizes, one configuration per entry. The first of each is the lesson's (lesson 12's and lesson
# 13's defaults: 114 is the fortunes' vocabulary); the second is larger, to show how the gap moves
# with the size. STEPS make each run about a second.
#                 B  S  T  D   HEADS LAYERS FF  V   STEPS
seq2seq_configs=("32 12 13 32  4     2      64  64  40"
                 "32 24 25 128 4     2      512 64  4")
#                 B  T   LAYERS HEADS EMBD V   STEPS
gpt_configs=("32 32  2      4     64   114 40"
             "16 128 4      4     128  96  2")
# Issue 14's sizes: the encoder at d 128 and at d 256, the LSTM language model.
#                 B  T  D   HEADS LAYERS FF   V   STEPS
encoder_configs=("32 32 128 4     2      512  64  20"
                 "32 64 256 4     2      1024 64  4")
#              B  T  E  H   V  STEPS
lstm_configs=("32 64 64 256 96 10")

glimpse_seq2seq=$build/bench/bench-transformer-seq2seq
libtorch_seq2seq=$build/bench/bench-transformer-seq2seq-libtorch
glimpse_gpt=$build/bench/bench-gpt
libtorch_gpt=$build/bench/bench-gpt-libtorch
glimpse_encoder=$build/bench/bench-transformer-encoder
libtorch_encoder=$build/bench/bench-transformer-encoder-libtorch
glimpse_lstm=$build/bench/bench-lstm-lm
libtorch_lstm=$build/bench/bench-lstm-lm-libtorch
matmul=$build/bench/bench-matmul
for program in "$glimpse_seq2seq" "$glimpse_gpt" "$glimpse_encoder" "$glimpse_lstm"; do
  [[ -x $program ]] || {
    echo "no $program: build it first (cmake --build $build --target $(basename "$program"))" >&2
    exit 2
  }
done
for program in "$libtorch_seq2seq" "$libtorch_gpt" "$libtorch_encoder" "$libtorch_lstm"; do
  [[ -x $program ]] || echo "no $program: CMake did not find libtorch (apt-get install libtorch-dev," \
                            "then re-run cmake); timing Glimpse alone there" >&2
done

# One thread on every side (or THREADS), BLAS included: OpenBLAS otherwise starts a thread per
# core. Each program also sets its own thread count from its last argument.
threads=${THREADS:-1}
[[ $threads =~ ^[1-9][0-9]*$ ]] || { echo "THREADS='$threads' is not a number of threads (1, 2, ...)" >&2; exit 2; }
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads MKL_NUM_THREADS=$threads GLIMPSE_THREADS=$threads

ms() { grep -oE '[0-9.]+ ms/step' | grep -oE '^[0-9.]+'; }
cpu_ms() { grep -oE 'cpu=[0-9.]+' | grep -oE '[0-9.]+$'; }
rss() { grep -oE 'peak_rss=[0-9.]+' | grep -oE '[0-9.]+$' || echo "?"; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? a : b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }
load() { uptime | grep -oE 'load average.*'; }

# Matmul FLOPs of one step, forward products times 3 (forward, input gradients, weight
# gradients); elementwise work, softmax and LayerNorm are left out, so this is a lower bound.
# Encoder layer over B·S tokens: in_proj 2·D·3D, out_proj 2·D·D, feed-forward 2·2·D·FF per token,
# scores and weighted sum 2·2·S·D per token. Decoder layer over B·T tokens: the same
# self-attention over T, cross-attention (queries and out_proj 2·2·D·D per target token, keys and
# values 2·D·2D per source token, scores and sum 2·2·S·D per target token), feed-forward; then the
# output layer 2·D·V per target token.
seq2seq_gflop() {
  awk -v B="$1" -v S="$2" -v T="$3" -v D="$4" -v L="$6" -v F="$7" -v V="$8" 'BEGIN {
    enc = B*S * (8*D*D + 4*D*F + 4*S*D)
    dec = B*T * (8*D*D + 4*D*F + 4*T*D) + B*T * (4*D*D + 4*S*D) + B*S * 4*D*D
    printf "%.4f", 3 * (L * (enc + dec) + 2*B*T*D*V) / 1e9 }'
}
# GPT block over B·T tokens: c_attn 2·E·3E, c_proj 2·E·E, c_fc and mlp.c_proj 2·2·E·4E per token,
# scores and weighted sum 2·2·T·E per token (the causal half is computed and masked); lm_head 2·E·V.
gpt_gflop() {
  awk -v B="$1" -v T="$2" -v L="$3" -v E="$5" -v V="$6" 'BEGIN {
    printf "%.4f", 3 * B*T * (L * (24*E*E + 4*T*E) + 2*E*V) / 1e9 }'
}
# Encoder layer over B·T tokens: in_proj 2·D·3D, out_proj 2·D·D, feed-forward 2·2·D·FF, scores and
# weighted sum 2·2·T·D per token; the classifier 2·D·V.
encoder_gflop() {
  awk -v B="$1" -v T="$2" -v D="$3" -v L="$5" -v F="$6" -v V="$7" 'BEGIN {
    printf "%.4f", 3 * B*T * (L * (8*D*D + 4*D*F + 4*T*D) + 2*D*V) / 1e9 }'
}
# LSTM over B·T steps: input and recurrent projections to the four gates, 2·E·4H + 2·H·4H per
# step; the output layer 2·H·V.
lstm_gflop() {
  awk -v B="$1" -v T="$2" -v E="$3" -v H="$4" -v V="$5" 'BEGIN {
    printf "%.4f", 3 * B*T * (8*E*H + 8*H*H + 2*H*V) / 1e9 }'
}
# The single-thread matmul rate the bound assumes: the best GFLOP/s column of `bench-matmul 256`
# (its last column, a percentage, left out), best of three runs. bench-matmul times wall-clock
# rounds, so on a loaded machine this rate is low and the bound too generous to both sides.
peak=""
if [[ -x $matmul ]]; then
  peak=0
  for _ in 1 2 3; do
    rate=$("$matmul" 256 | awk '$1 ~ /^256/ {
      best = 0; for (i = 2; i <= NF; ++i) if ($i !~ /%/ && $i + 0 > best) best = $i + 0; print best; exit }')
    peak=$(awk -v a="$rate" -v b="$peak" 'BEGIN { print (a > b) ? a : b }')
  done
fi

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), before: $(load)"
# Which matmul each side runs: libtorch multiplies through OpenBLAS, whose kernel follows the CPU
# it recognises (OPENBLAS_CORETYPE overrides it); Glimpse's gemm backend is bench-matmul's first line.
if [[ -x $libtorch_gpt ]]; then
  core=$(OPENBLAS_VERBOSE=2 "$libtorch_gpt" 1 2 1 1 2 2 1 1 2>&1 | grep -oE 'Core: .*' || echo "Core: unknown")
  echo "libtorch's OpenBLAS kernel: ${core#Core: }${OPENBLAS_CORETYPE:+ (OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE)}"
fi
if [[ -x $matmul ]]; then
  echo "Glimpse's gemm backend: $("$matmul" 32 | grep -oE 'glimpse gemm backend: .*' | sed 's/.*: //')"
fi
echo
rows=() bound_rows=() mems=()
# measure MODEL GLIMPSE LIBTORCH GFLOP_FUNCTION CONFIG: three alternating rounds, each side's best.
measure() {
  local model=$1 glimpse=$2 libtorch=$3 gflop=$4 cfg=$5
  local sizes steps sides=(glimpse)
  sizes=$(awk '{ NF = NF - 1; print }' <<<"$cfg")
  steps=$(awk '{ print $NF }' <<<"$cfg")
  if [[ -x $libtorch ]]; then sides=(libtorch glimpse); fi
  declare -A wall=() cpu=() peak_rss=()
  for side in "${sides[@]}"; do wall[$side]=1e9 cpu[$side]=1e9; done
  for _ in 1 2 3; do  # alternate, keep each side's best: the machine is shared and noisy
    for side in "${sides[@]}"; do
      local program=$glimpse out
      if [[ $side == libtorch ]]; then program=$libtorch; fi
      # shellcheck disable=SC2086  # the sizes are separate arguments
      out=$("$program" $sizes "$steps" "$threads")
      wall[$side]=$(min "$(ms <<<"$out")" "${wall[$side]}")
      cpu[$side]=$(min "$(cpu_ms <<<"$out")" "${cpu[$side]}")
      peak_rss[$side]=$(rss <<<"$out")
    done
  done
  local row="| $model | $sizes |" lt_wall="—" lt_cpu="—" wall_ratio="—" cpu_ratio="—"
  if [[ -x $libtorch ]]; then
    lt_wall=${wall[libtorch]} lt_cpu=${cpu[libtorch]}
    wall_ratio=$(ratio "${wall[libtorch]}" "${wall[glimpse]}")
    cpu_ratio=$(ratio "${cpu[libtorch]}" "${cpu[glimpse]}")
  fi
  row+=" $lt_wall | ${wall[glimpse]} | $wall_ratio | $lt_cpu | ${cpu[glimpse]} | $cpu_ratio |"
  rows+=("$row")
  local gf bound
  # shellcheck disable=SC2086
  gf=$($gflop $sizes)
  if [[ -n $peak ]]; then
    bound=$(awk -v f="$gf" -v p="$peak" 'BEGIN { printf "%.3f", f / p * 1e3 }')
    local lt_bound="—"
    if [[ -x $libtorch ]]; then lt_bound=$(ratio "${cpu[libtorch]}" "$bound"); fi
    bound_rows+=("| $model | $sizes | $gf | $bound | $lt_bound | $(ratio "${cpu[glimpse]}" "$bound") |")
  fi
  local mem="$model $sizes: Glimpse ${peak_rss[glimpse]} MB"
  if [[ -x $libtorch ]]; then mem+=", libtorch ${peak_rss[libtorch]} MB"; fi
  mems+=("$mem")
}

for cfg in "${seq2seq_configs[@]}"; do
  measure "seq2seq" "$glimpse_seq2seq" "$libtorch_seq2seq" seq2seq_gflop "$cfg"
done
for cfg in "${gpt_configs[@]}"; do
  measure "GPT" "$glimpse_gpt" "$libtorch_gpt" gpt_gflop "$cfg"
done
for cfg in "${encoder_configs[@]}"; do
  measure "encoder" "$glimpse_encoder" "$libtorch_encoder" encoder_gflop "$cfg"
done
for cfg in "${lstm_configs[@]}"; do
  measure "LSTM LM" "$glimpse_lstm" "$libtorch_lstm" lstm_gflop "$cfg"
done

echo "ms per training step, $threads thread(s) on each side, best of 3 alternating runs (ratio above 1: Glimpse is faster)."
echo "Sizes: seq2seq B S T D HEADS LAYERS FF V (bench-transformer-seq2seq), GPT B T LAYERS HEADS EMBD V (bench-gpt),"
echo "encoder B T D HEADS LAYERS FF V (bench-transformer-encoder), LSTM LM B T E H V (bench-lstm-lm)."
echo
echo "| model | sizes | libtorch wall | Glimpse wall | libtorch / Glimpse | libtorch CPU | Glimpse CPU | libtorch / Glimpse |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Peak resident memory (the last round):"
printf -- '- %s\n' "${mems[@]}"
if [[ -n $peak ]]; then
  echo
  echo "Matmul FLOP bound: the step's matmul FLOPs at bench-matmul's best 256×256 rate ($peak GFLOP/s);"
  echo "each side's CPU time per step as a multiple of it:"
  echo
  echo "| model | sizes | GFLOP/step | bound ms | libtorch | Glimpse |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${bound_rows[@]}"
fi
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), after: $(load)"
