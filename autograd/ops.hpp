// Every differentiable op in Glimpse, as a free function (like torch:: functions).
// Each is defined once, forward and backward side by side, in the .cpp named in its section.
// Every op takes the caller's location last, so errors point at *your* line.
#pragma once

#include <string>
#include <vector>

#include "autograd/caller_scope.hpp"
#include "autograd/random.hpp"
#include "autograd/tensor.hpp"

namespace glimpse {

// ---- elementwise, with NumPy broadcasting (elementwise.cpp) — lessons 01, 02 -------------
Tensor add(const Tensor& a, const Tensor& b, Loc loc = Loc::current());
Tensor sub(const Tensor& a, const Tensor& b, Loc loc = Loc::current());
Tensor mul(const Tensor& a, const Tensor& b, Loc loc = Loc::current());
Tensor div(const Tensor& a, const Tensor& b, Loc loc = Loc::current());
Tensor pow(const Tensor& a, const Tensor& b, Loc loc = Loc::current());
Tensor add(const Tensor& a, float b, Loc loc = Loc::current());
Tensor sub(const Tensor& a, float b, Loc loc = Loc::current());
Tensor rsub(const Tensor& a, float b, Loc loc = Loc::current());  // b - a
Tensor mul(const Tensor& a, float b, Loc loc = Loc::current());
Tensor div(const Tensor& a, float b, Loc loc = Loc::current());
Tensor rdiv(const Tensor& a, float b, Loc loc = Loc::current());  // b / a
Tensor pow(const Tensor& a, float exponent, Loc loc = Loc::current());

Tensor neg(const Tensor& a, Loc loc = Loc::current());
Tensor exp(const Tensor& a, Loc loc = Loc::current());
Tensor log(const Tensor& a, Loc loc = Loc::current());
Tensor sqrt(const Tensor& a, Loc loc = Loc::current());
Tensor tanh(const Tensor& a, Loc loc = Loc::current());
Tensor sigmoid(const Tensor& a, Loc loc = Loc::current());
Tensor relu(const Tensor& a, Loc loc = Loc::current());
Tensor gelu(const Tensor& a, Loc loc = Loc::current());  // x·Φ(x), torch.nn.functional.gelu
Tensor abs(const Tensor& a, Loc loc = Loc::current());

// ---- reductions (reduce.cpp) — lesson 02 -------------------------------------------------
Tensor sum(const Tensor& a, Loc loc = Loc::current());
Tensor sum(const Tensor& a, const Shape& dims, bool keepdim = false, Loc loc = Loc::current());
Tensor mean(const Tensor& a, Loc loc = Loc::current());
Tensor mean(const Tensor& a, const Shape& dims, bool keepdim = false, Loc loc = Loc::current());
// Largest value; the gradient goes to the (first) position that holds it.
Tensor max(const Tensor& a, Loc loc = Loc::current());
Tensor max(const Tensor& a, int64_t dim, bool keepdim = false, Loc loc = Loc::current());
// Position of the largest value along `dim` (not differentiable).
IndexTensor argmax(const Tensor& a, int64_t dim, bool keepdim = false, Loc loc = Loc::current());
// Sums `grad` down to `shape`: undoes a broadcast. Shared by every broadcasting op's backward.
Tensor sum_to_shape(const Tensor& grad, const Shape& shape, Loc loc = Loc::current());

// ---- linear algebra (matmul.cpp) — lesson 03 --------------------------------------------
// torch.matmul: 1-D·1-D dot, 2-D matrix product, and batched products whose batch dims
// broadcast ([B, n, k] · [k, m], [B, 1, n, k] · [H, k, m], ...).
Tensor matmul(const Tensor& a, const Tensor& b, Loc loc = Loc::current());
// The kernel behind matmul: "glimpse" (the default: each element summed in one fixed order, so the
// same seed gives the same bits on every CPU), "reference" (the plain triple loop, slow, same
// bits) or "openblas" (opt-in: faster on some CPUs, its bits follow the CPU). The environment
// variable GLIMPSE_GEMM sets the starting choice.
std::string matmul_backend(Loc loc = Loc::current());
void set_matmul_backend(const std::string& name, Loc loc = Loc::current());

// ---- softmax (softmax.cpp) — lesson 06 ---------------------------------------------------
// Numerically stable: the max along `dim` is subtracted before exponentiating.
Tensor softmax(const Tensor& a, int64_t dim, Loc loc = Loc::current());
Tensor log_softmax(const Tensor& a, int64_t dim, Loc loc = Loc::current());

// ---- joining and splitting (join.cpp) — lesson 04 ----------------------------------------
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim, Loc loc = Loc::current());
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim, Loc loc = Loc::current());
// Views of `split_size` along `dim` (the last one may be shorter).
std::vector<Tensor> split(const Tensor& a, int64_t split_size, int64_t dim,
                          Loc loc = Loc::current());
// Views of the given sizes along `dim` (they must add up to its size).
std::vector<Tensor> split(const Tensor& a, const std::vector<int64_t>& sizes, int64_t dim,
                          Loc loc = Loc::current());
// `chunks` equal views along `dim` (torch.chunk; the size must divide evenly).
std::vector<Tensor> chunk(const Tensor& a, int64_t chunks, int64_t dim, Loc loc = Loc::current());

// ---- indexing and masking (indexing.cpp) — lessons 04, 06 --------------------------------
// Rows `index` of `a` along `dim`; the backward scatter-adds (an index may repeat).
Tensor index_select(const Tensor& a, int64_t dim, const IndexTensor& index,
                    Loc loc = Loc::current());
// Looks up rows of `weight` [num_embeddings, dim]: the result has shape ids.shape + [dim].
// Rows for `padding_idx` (if >= 0) receive no gradient, as in torch.nn.functional.embedding.
Tensor embedding(const Tensor& weight, const IndexTensor& ids, int64_t padding_idx = -1,
                 Loc loc = Loc::current());
// Where `mask` is non-zero, the result holds `value` (mask broadcasts to a's shape).
// Masks are float tensors of 0 and 1; they carry no gradient.
Tensor masked_fill(const Tensor& a, const Tensor& mask, float value, Loc loc = Loc::current());
// condition ? a : b, elementwise, everything broadcast together.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b, Loc loc = Loc::current());

// ---- losses (loss.cpp) — lesson 03 -------------------------------------------------------
inline constexpr int64_t kIgnoreIndex = -100;  // PyTorch's default ignore_index
// How a loss over many predictions is reduced (PyTorch's reduction='mean' | 'sum' | 'none').
enum class LossReduction { mean, sum, none };
// -log softmax(logits)[target] for each prediction, torch.nn.functional.cross_entropy: logits
// [N, C] or [N, C, d1, ...] (classes on dim 1), targets [N] or [N, d1, ...] with values in
// 0..C-1 or ignore_index. mean: over the targets not ignored; sum; none: one loss per target
// (shape of targets, 0 where ignored).
Tensor cross_entropy(const Tensor& logits, const IndexTensor& targets, int64_t ignore_index = kIgnoreIndex,
                     LossReduction reduction = LossReduction::mean, Loc loc = Loc::current());
// The same on log-probabilities (torch.nn.functional.nll_loss).
Tensor nll_loss(const Tensor& log_probs, const IndexTensor& targets, int64_t ignore_index = kIgnoreIndex,
                LossReduction reduction = LossReduction::mean, Loc loc = Loc::current());

// ---- fused kernels (fused_gru.cpp, fused_lstm.cpp) — issues 6 and 14 ----------------------
// The gate arithmetic of one GRU step in one op (nn::GRUCell uses it when nobody is tracing):
// given x·W_ihᵀ and h·W_hhᵀ [B, 3H], the biases [3H] and h [B, H], returns h' [B, H].
Tensor gru_cell_gates(const Tensor& input_part, const Tensor& hidden_part, const Tensor& bias_ih,
                      const Tensor& bias_hh, const Tensor& h, Loc loc = Loc::current());
// The same for one LSTM step (fused_lstm.cpp, issue 14; nn::LSTMCell uses it when nobody is
// tracing): given x·W_ihᵀ and h·W_hhᵀ [B, 4H], the biases [4H] and c [B, H], returns h' and c' side
// by side, [B, 2H], with the bits of the composed equations.
Tensor lstm_cell_gates(const Tensor& input_part, const Tensor& hidden_part, const Tensor& bias_ih,
                       const Tensor& bias_hh, const Tensor& c, Loc loc = Loc::current());
// A whole sequence of LSTM steps in one op (nn::LSTM uses it when nobody is tracing): given the
// input part of every step x·W_ihᵀ [B, T, 4H], W_hh [4H, H], the biases [4H] and the initial state
// h0, c0 [B, H], returns h(t) and c(t) side by side for every step, [B, T, 2H]; `reverse` runs
// from t = T−1 down to 0 (a bidirectional layer's second direction).
Tensor lstm_sequence(const Tensor& input_part, const Tensor& weight_hh, const Tensor& bias_ih,
                     const Tensor& bias_hh, const Tensor& h0, const Tensor& c0, bool reverse = false,
                     Loc loc = Loc::current());

// ---- regularisation (dropout.cpp) — lesson 10 --------------------------------------------
// Zeroes each element with probability p and scales the rest by 1/(1-p); identity when not
// training.
Tensor dropout(const Tensor& a, float p, bool training, Generator& gen, Loc loc = Loc::current());
Tensor dropout(const Tensor& a, float p, bool training = true, Loc loc = Loc::current());

// ---- operators ----------------------------------------------------------------------------
// The right operand is wrapped so that its conversion records the caller's line.
struct At {
  At(const Tensor& t, Loc where = Loc::current()) : tensor(t), loc(where) {}
  const Tensor& tensor;
  Loc loc;
};
struct AtScalar {
  AtScalar(float v, Loc where = Loc::current()) : value(v), loc(where) {}
  float value;
  Loc loc;
};
inline Tensor operator+(const Tensor& a, At b) { return add(a, b.tensor, b.loc); }
inline Tensor operator-(const Tensor& a, At b) { return sub(a, b.tensor, b.loc); }
inline Tensor operator*(const Tensor& a, At b) { return mul(a, b.tensor, b.loc); }
inline Tensor operator/(const Tensor& a, At b) { return div(a, b.tensor, b.loc); }
inline Tensor operator+(const Tensor& a, AtScalar b) { return add(a, b.value, b.loc); }
inline Tensor operator-(const Tensor& a, AtScalar b) { return sub(a, b.value, b.loc); }
inline Tensor operator*(const Tensor& a, AtScalar b) { return mul(a, b.value, b.loc); }
inline Tensor operator/(const Tensor& a, AtScalar b) { return div(a, b.value, b.loc); }
inline Tensor operator+(float a, At b) { return add(b.tensor, a, b.loc); }
inline Tensor operator-(float a, At b) { return rsub(b.tensor, a, b.loc); }
inline Tensor operator*(float a, At b) { return mul(b.tensor, a, b.loc); }
inline Tensor operator/(float a, At b) { return rdiv(b.tensor, a, b.loc); }
inline Tensor operator-(At a) { return neg(a.tensor, a.loc); }

}  // namespace glimpse
