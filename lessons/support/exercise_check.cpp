// The exercise checks (exercise_check.hpp): each exercise's piece on a small fixed input, seeded,
// chosen so that the bugs a learner makes show: the LSTM starts from a nonzero cell state (from
// c = 0 the forget gate never acts), the masked softmax gets padding and a query that may see
// nothing, and every check runs backward and keeps the gradients (the backward exercises are
// nothing but gradients). Random numbers are drawn one statement at a time: the order in which a
// call's arguments are evaluated is the compiler's choice, and the draws must not depend on it.
#include "support/exercise_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>

#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "nn/attention_mask.hpp"
#include "nn/causal_self_attention.hpp"
#include "nn/decoding.hpp"
#include "nn/luong_attention.hpp"
#include "nn/masked_softmax.hpp"
#include "nn/multi_head_attention.hpp"
#include "nn/seq2seq.hpp"
#include "nn/transformer_decoder_layer.hpp"

namespace glimpse::lessons::exercise_check {

namespace {

constexpr uint64_t kSeed = 2026;

Tensor leaf(const Shape& shape, Generator& gen) {
  Tensor t = randn(shape, gen);
  t.requires_grad_();
  return t;
}

// The loss the gradients are of: Σ y ⊙ u with u fixed and random, so every element of y counts.
Tensor weighted_sum(const Tensor& y, Generator& gen) {
  const Tensor u = randn(y.shape(), gen);
  return sum(y * u);
}

// A version that cut the tape (e.g. by detaching) reaches no input: its gradients stay undefined.
void backward(const Tensor& loss) {
  if (loss.requires_grad()) loss.backward();
}

Output output(std::string name, const Tensor& t) {
  if (!t.defined()) return {std::move(name), Shape(), {}, false};
  return {std::move(name), t.shape(), t.to_vector()};
}

Outputs run_fused_gru() {
  Generator gen(kSeed);
  const int64_t B = 2, H = 3;
  const Tensor a = leaf({B, 3 * H}, gen);  // x·W_ihᵀ
  const Tensor b = leaf({B, 3 * H}, gen);  // h·W_hhᵀ
  const Tensor bias_ih = leaf({3 * H}, gen);
  const Tensor bias_hh = leaf({3 * H}, gen);
  const Tensor h = leaf({B, H}, gen);
  const Tensor h_next = gru_cell_gates(a, b, bias_ih, bias_hh, h);
  backward(weighted_sum(h_next, gen));
  return {output("h_next", h_next),
          output("da", a.grad()),
          output("db", b.grad()),
          output("dbias_ih", bias_ih.grad()),
          output("dbias_hh", bias_hh.grad()),
          output("dh", h.grad())};
}

Outputs run_luong_attention() {
  Generator gen(kSeed);
  const nn::LuongAttention attention(nn::LuongScore::General, 3, 4, 0, gen);
  const Tensor s = leaf({2, 3}, gen);
  const Tensor hs = leaf({2, 5, 4}, gen);
  const Tensor mask = from_vector({0, 0, 0, 0, 0, 0, 0, 0, 1, 1}, {2, 5});  // 1 = padding
  const Tensor scores = attention.score(s, hs);
  const Tensor keys = attention.project_keys(hs);
  const nn::AttentionOutput out = attention.forward(s, hs, keys, mask);
  const Tensor score_loss = weighted_sum(scores, gen);
  const Tensor context_loss = weighted_sum(out.context, gen);
  backward(score_loss + context_loss);
  return {output("scores", scores),
          output("keys", keys),
          output("weights", out.weights),
          output("context", out.context),
          output("ds", s.grad()),
          output("dhs", hs.grad()),
          output("dW", attention.W()->weight().grad())};
}

Outputs run_multi_head_attention() {
  Generator gen(kSeed);
  nn::MultiheadAttention attention(6, 2, 0.0f, gen);
  attention.eval();
  const Tensor query = leaf({2, 3, 6}, gen);
  const Tensor key = leaf({2, 4, 6}, gen);
  const Tensor value = leaf({2, 4, 6}, gen);
  const Tensor padding = from_vector({0, 0, 0, 0, 0, 0, 0, 1}, {2, 4});  // 1 = padding
  // Each head's own weights (average_attn_weights = false): a head mixed up shows there.
  const nn::MultiheadAttentionOutput out =
      attention.forward(query, key, value, padding, true, Tensor(), false);
  backward(weighted_sum(out.context, gen));
  return {output("context", out.context), output("head_weights", out.weights),
          output("dquery", query.grad()), output("dkey", key.grad()),
          output("dvalue", value.grad()), output("din_proj_weight", attention.in_proj_weight().grad())};
}

// Beam search on an untrained model: its choices are arbitrary but fixed, which is all a
// comparison needs. Seed 5 was picked for beams that show every rule: one ends at once in <eos>,
// one after a token, one is cut at max_length and still ranks second by its per-token score.
// Hypothesis h's tokens are row h of `tokens`, padded with −1.
Outputs run_decoding() {
  Generator gen(5);
  const int64_t vocab = 8, max_length = 6;
  auto encoder = std::make_shared<nn::Encoder>(vocab, 4, 5, false, gen);
  auto decoder = std::make_shared<nn::AttentionDecoder>(vocab, 4, 5, 0, gen);
  const nn::Seq2seq model(encoder, decoder);
  const std::vector<nn::Hypothesis> beams =
      nn::beam_search(model, {3, 4, 5, 3}, {.width = 3, .max_length = max_length});
  const auto n = static_cast<int64_t>(beams.size());
  Output tokens{"tokens", {n, max_length}, std::vector<float>(static_cast<size_t>(n * max_length), -1.0f)};
  Output log_prob{"log_prob", {n}, {}}, score{"score", {n}, {}}, finished{"finished", {n}, {}};
  for (int64_t h = 0; h < n; ++h) {
    const std::vector<int64_t>& t = beams[h].tokens;
    for (size_t j = 0; j < t.size() && j < static_cast<size_t>(max_length); ++j)
      tokens.values[h * max_length + j] = static_cast<float>(t[j]);
    log_prob.values.push_back(beams[h].log_prob);
    score.values.push_back(beams[h].score);
    finished.values.push_back(beams[h].finished ? 1.0f : 0.0f);
  }
  return {tokens, log_prob, score, finished};
}

bool close(float yours, float reference) {
  return std::fabs(yours - reference) <= kAbs + kRel * std::fabs(reference);  // false for NaN
}

// "c[0, 2]"
std::string element_name(const Output& o, size_t flat) {
  std::vector<int64_t> index(static_cast<size_t>(o.shape.size()));
  for (int d = o.shape.size() - 1; d >= 0; --d) {
    index[d] = static_cast<int64_t>(flat) % o.shape[d];
    flat /= static_cast<size_t>(o.shape[d]);
  }
  return fmt::format("{}[{}]", o.name, fmt::join(index, ", "));
}

// What is wrong with `yours` as the output `reference`, or "" when nothing is.
std::string problem(const Output* yours, const Output& reference) {
  if (yours == nullptr) return fmt::format("there is no {}", reference.name);
  if (!yours->defined || !reference.defined) {
    if (yours->defined == reference.defined) return "";
    return yours->defined
               ? fmt::format("{} is defined, the reference's is not", reference.name)
               : fmt::format("{} is undefined (no gradient reached it), the reference's has shape {}",
                             reference.name, to_string(reference.shape));
  }
  if (!(yours->shape == reference.shape) || yours->values.size() != reference.values.size())
    return fmt::format("{} has shape {}, the reference {}", reference.name, to_string(yours->shape),
                       to_string(reference.shape));
  size_t first = 0, count = 0;
  for (size_t k = 0; k < reference.values.size(); ++k)
    if (!close(yours->values[k], reference.values[k]) && count++ == 0) first = k;
  if (count == 0) return "";
  std::string text = fmt::format("{} is {:.6g}, the reference {:.6g}", element_name(reference, first),
                                 yours->values[first], reference.values[first]);
  if (count > 1) text += fmt::format(" ({} of its {} elements differ)", count, reference.values.size());
  return text;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

const std::vector<std::string>& exercises() {
  static const std::vector<std::string> all = {"linear",
                                               "softmax",
                                               "fused_gru",
                                               "lstm_cell",
                                               "masked_softmax",
                                               "luong_attention",
                                               "multi_head_attention",
                                               "decoding",
                                               "transformer_decoder_layer",
                                               "causal_self_attention"};
  return all;
}

const std::vector<std::string>& uses(std::string_view exercise) {
  // The forward of softmax is given (the exercise is its backward), so a check that runs no
  // backward, such as decoding's, does not depend on it.
  static const std::map<std::string, std::vector<std::string>, std::less<>> table = {
      {"masked_softmax", {"softmax"}},
      {"luong_attention", {"linear", "masked_softmax", "softmax"}},
      {"multi_head_attention", {"linear", "masked_softmax", "softmax"}},
      {"decoding", {"linear", "masked_softmax"}},
      {"transformer_decoder_layer", {"linear", "masked_softmax", "softmax", "multi_head_attention"}},
      {"causal_self_attention", {"linear", "masked_softmax", "softmax"}}};
  static const std::vector<std::string> none;
  const auto it = table.find(exercise);
  return it == table.end() ? none : it->second;
}

const Outputs& reference(std::string_view exercise) {
  for (const Reference& r : references())
    if (r.exercise == exercise) return r.outputs;
  throw std::logic_error(fmt::format("no committed reference values for the exercise '{}'", exercise));
}

Outputs run_linear(const LinearForward& forward) {
  Generator gen(kSeed);
  const nn::Linear linear(4, 3, gen);
  const Tensor x = leaf({2, 3, 4}, gen);  // leading dims [2, 3]: Linear maps the last one
  const Tensor y = forward(linear, x);
  backward(weighted_sum(y, gen));
  return {output("y", y), output("dx", x.grad()), output("dweight", linear.weight().grad()),
          output("dbias", linear.bias().grad())};
}

Outputs run_lstm_cell(const LstmStep& step) {
  Generator gen(kSeed);
  const nn::LSTMCell cell(3, 4, gen);
  const Tensor x = leaf({2, 3}, gen);
  const Tensor h = leaf({2, 4}, gen);
  const Tensor c = leaf({2, 4}, gen);  // nonzero, so f ⊙ c counts
  const nn::LSTMState next = step(cell, x, {h, c});
  const Tensor c_loss = weighted_sum(next.c, gen);
  const Tensor h_loss = weighted_sum(next.h, gen);
  backward(c_loss + h_loss);
  return {output("c_next", next.c),
          output("h_next", next.h),
          output("dx", x.grad()),
          output("dh", h.grad()),
          output("dc", c.grad()),
          output("dweight_ih", cell.weight_ih().grad()),
          output("dweight_hh", cell.weight_hh().grad()),
          output("dbias_ih", cell.bias_ih().grad()),
          output("dbias_hh", cell.bias_hh().grad())};
}

Outputs run_masked_softmax(const MaskedSoftmax& masked_softmax) {
  Generator gen(kSeed);
  const Tensor scores = leaf({2, 3, 5}, gen);
  const Tensor scores_2 = leaf({2, 3, 5}, gen);
  // 0/1, 1 = masked out: padding at the end of every row, and batch 1's last query may see nothing.
  const Tensor mask = from_vector({0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1,  //
                                   0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1},
                                  {2, 3, 5});
  // Additive (0, −0.5, −inf = masked out), one row per batch element, broadcast over the queries.
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor additive = from_vector({0, -0.5f, 0, -inf, -inf, 0, 0, -1, 0, -inf}, {2, 1, 5});
  const Tensor weights = masked_softmax(scores, mask, -1);
  const Tensor weights_2 = masked_softmax(scores_2, additive, -1);
  const Tensor loss = weighted_sum(weights, gen);
  const Tensor loss_2 = weighted_sum(weights_2, gen);
  backward(loss + loss_2);
  return {output("weights", weights), output("weights_additive", weights_2), output("dscores", scores.grad()),
          output("dscores_additive", scores_2.grad())};
}

Outputs run_softmax(const Softmax& softmax) {
  Generator gen(kSeed);
  const Tensor x = leaf({2, 3, 4}, gen);
  const Tensor x_last = leaf({2, 3, 4}, gen);
  const Tensor y = softmax(x, 1);  // along a middle dim: lanes with a stride
  const Tensor y_last = softmax(x_last, -1);
  // Through a transpose, so the gradient arriving at softmax may be strided.
  const Tensor loss = weighted_sum(y.transpose(1, 2), gen);
  const Tensor loss_last = weighted_sum(y_last, gen);
  backward(loss + loss_last);
  return {output("y_dim1", y), output("y_dim2", y_last), output("dx_dim1", x.grad()),
          output("dx_dim2", x_last.grad())};
}

// Both orders of the decoder layer (post-norm, then pre-norm) on one target and one memory, of
// different lengths (T = 3, S = 4) so that keys taken from the target show, with the causal mask
// and one padded memory position. The norms' gradients tell norm1, norm2 and norm3 apart.
Outputs run_transformer_decoder_layer(const DecoderLayerForward& forward) {
  Generator gen(kSeed);
  Outputs outputs;
  for (const bool norm_first : {false, true}) {
    nn::TransformerDecoderLayer layer(6, 2, 8, 0.0f, "relu", 1e-5f, norm_first, gen);
    layer.eval();
    const Tensor tgt = leaf({2, 3, 6}, gen);
    const Tensor memory = leaf({2, 4, 6}, gen);
    const Tensor memory_padding = from_vector({0, 0, 0, 0, 0, 0, 0, 1}, {2, 4});  // 1 = padding
    const nn::TransformerDecoderLayerOutput out =
        forward(layer, tgt, memory, nn::causal_mask(3), memory_padding);
    backward(weighted_sum(out.output, gen));
    const std::string order = norm_first ? "_pre_norm" : "";
    outputs.push_back(output("output" + order, out.output));
    outputs.push_back(output("self_head_weights" + order, out.self_head_weights));
    outputs.push_back(output("cross_head_weights" + order, out.cross_head_weights));
    outputs.push_back(output("dtgt" + order, tgt.grad()));
    outputs.push_back(output("dmemory" + order, memory.grad()));
    outputs.push_back(output("dnorm1_weight" + order, layer.norm1().weight().grad()));
    outputs.push_back(output("dnorm2_weight" + order, layer.norm2().weight().grad()));
    outputs.push_back(output("dnorm3_weight" + order, layer.norm3().weight().grad()));
  }
  return outputs;
}

// Five positions without the cache, and the same five with it: two, then two at once (P = 2,
// T = 2: the mask's rows P … P+T−1, the cached keys first), then one.
Outputs run_causal_self_attention(const CausalAttentionForward& forward) {
  Generator gen(kSeed);
  const nn::CausalSelfAttention attention(6, 2, 0.0f, gen);
  const Tensor x = leaf({2, 5, 6}, gen);
  Tensor x_cached = x.detach().clone();  // the same values, a gradient of its own
  x_cached.requires_grad_();
  const nn::AttentionOutput full = forward(attention, x, nullptr);
  nn::KVCache cache;
  std::vector<Tensor> contexts;
  Tensor chunk_weights;
  for (const auto& [start, length] : {std::pair<int64_t, int64_t>{0, 2}, {2, 2}, {4, 1}}) {
    const nn::AttentionOutput step = forward(attention, x_cached.narrow(1, start, length), &cache);
    contexts.push_back(step.context);
    if (start == 2) chunk_weights = step.weights;
  }
  const Tensor cached = cat(contexts, 1);
  const Tensor full_loss = weighted_sum(full.context, gen);
  const Tensor cached_loss = weighted_sum(cached, gen);
  backward(full_loss + cached_loss);
  return {output("context", full.context),
          output("head_weights", full.weights),
          output("cached_context", cached),
          output("cached_head_weights_2_after_2", chunk_weights),
          output("cache_keys", cache.keys),
          output("cache_values", cache.values),
          output("dx", x.grad()),
          output("dx_cached", x_cached.grad()),
          output("dc_attn_weight", attention.c_attn().weight().grad())};
}

Outputs run(std::string_view exercise) {
  if (exercise == "linear")
    return run_linear([](const nn::Linear& l, const Tensor& x) { return l.forward(x); });
  if (exercise == "lstm_cell")
    return run_lstm_cell(
        [](const nn::LSTMCell& cell, const Tensor& x, const nn::LSTMState& s) { return cell.forward(x, s); });
  if (exercise == "masked_softmax")
    return run_masked_softmax([](const Tensor& scores, const Tensor& mask, int64_t dim) {
      return nn::masked_softmax(scores, mask, dim);
    });
  if (exercise == "softmax") return run_softmax([](const Tensor& x, int64_t dim) { return softmax(x, dim); });
  if (exercise == "fused_gru") return run_fused_gru();
  if (exercise == "luong_attention") return run_luong_attention();
  if (exercise == "multi_head_attention") return run_multi_head_attention();
  if (exercise == "decoding") return run_decoding();
  if (exercise == "transformer_decoder_layer")
    return run_transformer_decoder_layer([](const nn::TransformerDecoderLayer& layer, const Tensor& tgt,
                                            const Tensor& memory, const Tensor& tgt_mask,
                                            const Tensor& memory_key_padding_mask) {
      return layer.forward(tgt, memory, tgt_mask, Tensor(), Tensor(), memory_key_padding_mask);
    });
  if (exercise == "causal_self_attention")
    return run_causal_self_attention([](const nn::CausalSelfAttention& attention, const Tensor& x,
                                        nn::KVCache* cache) { return attention.forward(x, cache); });
  throw std::logic_error(fmt::format("no exercise check named '{}'", exercise));
}

std::optional<std::string> first_difference(const Outputs& yours, const Outputs& reference) {
  std::string first;
  std::vector<std::string> others;
  for (const Output& ref : reference) {
    const auto it =
        std::find_if(yours.begin(), yours.end(), [&](const Output& o) { return o.name == ref.name; });
    const std::string p = problem(it == yours.end() ? nullptr : &*it, ref);
    if (p.empty()) continue;
    if (first.empty())
      first = p;
    else
      others.push_back(ref.name);
  }
  if (first.empty()) return std::nullopt;
  if (!others.empty())
    first += fmt::format("; {} differ{} too", fmt::join(others, ", "), others.size() == 1 ? "s" : "");
  return first;
}

Result check(std::string_view exercise, const std::function<Outputs()>& yours) {
  Outputs outputs;
  try {
    outputs = yours();
  } catch (const std::exception& e) {
    const std::string what = e.what();
    if (what.find("not written yet") != std::string::npos)
      return {
          Verdict::not_written,
          fmt::format("Your {} is not written yet (exercises/{}.cpp): where this lesson uses it, it stops "
                      "with that error.",
                      exercise, exercise)};
    return {Verdict::fails, fmt::format("Your {} fails on a fixed input: {}", exercise, what)};
  }
  if (const std::optional<std::string> difference = first_difference(outputs, reference(exercise)))
    return {Verdict::differs,
            fmt::format("Your {} differs from the reference on a fixed input: {}.", exercise, *difference)};
  return {Verdict::matches, fmt::format("Your {} matches the reference on a fixed input.", exercise)};
}

std::string report(std::string_view names, const std::function<Outputs(std::string_view)>& run_exercise) {
  std::vector<std::string> wanted;
  for (size_t start = 0; start <= names.size();) {
    const size_t end = std::min(names.find(',', start), names.size());
    if (end > start) wanted.emplace_back(names.substr(start, end - start));
    start = end + 1;
  }
  for (const std::string& name : wanted)
    if (!contains(exercises(), name))
      throw std::logic_error(fmt::format("no exercise check named '{}'", name));

  std::string out;
  std::map<std::string, Verdict, std::less<>> verdicts;
  bool any_wrong = false;
  for (const std::string& exercise : exercises()) {
    if (!contains(wanted, exercise)) continue;
    Result r = check(exercise, [&] { return run_exercise(exercise); });
    verdicts[exercise] = r.verdict;
    // Pieces of yours this check runs besides the exercise itself, checked above, that are not right.
    std::vector<std::string> culprits, unwritten;
    for (const std::string& piece : uses(exercise)) {
      const auto it = verdicts.find(piece);
      if (it == verdicts.end() || it->second == Verdict::matches) continue;
      culprits.push_back(piece);
      if (it->second == Verdict::not_written) unwritten.push_back(piece);
    }
    if (r.verdict == Verdict::not_written && !unwritten.empty()) {
      // The "not written yet" may be theirs, not this exercise's.
      r.line =
          fmt::format("Your {} could not be checked: its check runs your {} too, which {} not written yet.",
                      exercise, fmt::join(unwritten, " and "), unwritten.size() == 1 ? "is" : "are");
    } else if (r.verdict == Verdict::differs || r.verdict == Verdict::fails) {
      any_wrong = true;
      if (!culprits.empty())
        r.line +=
            fmt::format(" Its check runs your {} too, which {} not match the reference: look there first.",
                        fmt::join(culprits, " and "), culprits.size() == 1 ? "does" : "do");
    }
    out += r.line + "\n";
  }
  if (any_wrong)
    out += "The lesson runs on your version anyway: where it uses it, its numbers are not the docs page's.\n";
  return out;
}

}  // namespace glimpse::lessons::exercise_check
