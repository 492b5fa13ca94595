// Tests for lessons/support/exercise_check.cpp, the check an exercise build's lesson runs on the
// learner's pieces. In the default build, where the library is the reference: the committed
// values are what the references compute now, every check passes, and every way of being wrong
// (any element off, the two bugs, a wrong backward, an unwritten piece) is named.
#include "support/exercise_check.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "glimpse.hpp"

using namespace glimpse;
using namespace glimpse::lessons::exercise_check;

namespace {

// "c_next[0, 2]", computed independently of the code under test.
std::string element(const Output& o, size_t flat) {
  std::string index;
  size_t stride = o.values.size();
  for (int64_t size : o.shape) {
    stride /= static_cast<size_t>(size);
    index += (index.empty() ? "" : ", ") + std::to_string(flat / stride);
    flat %= stride;
  }
  return o.name + "[" + index + "]";
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The LSTM step of nn/lstm_cell.hpp, composed here, with the forget gate's sign flipped or not.
nn::LSTMState lstm_step(const nn::LSTMCell& cell, const Tensor& x, const nn::LSTMState& s,
                        bool forget_sign_error) {
  const Tensor gates = matmul(x, cell.weight_ih().t()) + matmul(s.h, cell.weight_hh().t()) +
                       (cell.bias_ih() + cell.bias_hh());  // summed in another order than the reference
  const std::vector<Tensor> p = chunk(gates, 4, 1);
  const Tensor i = sigmoid(p[0]);
  const Tensor f = forget_sign_error ? sigmoid(-p[1]) : sigmoid(p[1]);
  const Tensor g = tanh(p[2]);
  const Tensor o = sigmoid(p[3]);
  const Tensor c = i * g + f * s.c;
  return {o * tanh(c), c};
}

// The decoder layer of nn/transformer_decoder_layer.hpp composed here from its public parts
// (dropout is 0 in the check), with the cross-attention's keys and values from the memory or, the
// mistake, from the target.
nn::TransformerDecoderLayerOutput decoder_layer(const nn::TransformerDecoderLayer& layer, const Tensor& tgt,
                                                const Tensor& memory, const Tensor& tgt_mask,
                                                const Tensor& memory_padding, bool keys_from_target) {
  const auto feed_forward = [&](const Tensor& x) {
    return layer.linear2().forward(relu(layer.linear1().forward(x)));
  };
  const auto cross_attention = [&](const Tensor& x) {
    return keys_from_target
               ? layer.multihead_attn().forward(x, x, x, Tensor(), true, Tensor(), false)
               : layer.multihead_attn().forward(x, memory, memory, memory_padding, true, Tensor(), false);
  };
  Tensor x = tgt;
  nn::MultiheadAttentionOutput self, cross;
  if (layer.norm_first()) {
    const Tensor q = layer.norm1().forward(x);
    self = layer.self_attn().forward(q, q, q, Tensor(), true, tgt_mask, false);
    x = x + self.context;
    cross = cross_attention(layer.norm2().forward(x));
    x = x + cross.context;
    x = x + feed_forward(layer.norm3().forward(x));
  } else {
    self = layer.self_attn().forward(x, x, x, Tensor(), true, tgt_mask, false);
    x = layer.norm1().forward(x + self.context);
    cross = cross_attention(x);
    x = layer.norm2().forward(x + cross.context);
    x = layer.norm3().forward(x + feed_forward(x));
  }
  return {x, mean(self.weights, Shape{1}, false), self.weights, mean(cross.weights, Shape{1}, false),
          cross.weights};
}

// Causal self-attention of nn/causal_self_attention.hpp composed here from its public parts, right
// or with one of two mistakes in the pieces of the exercise.
enum class CausalMistake { none, mask_ignores_the_cache, new_keys_first };
nn::AttentionOutput causal_attention(const nn::CausalSelfAttention& attention, const Tensor& x,
                                     nn::KVCache* cache, CausalMistake mistake) {
  const int64_t B = x.size(0), T = x.size(1), E = attention.embed_dim(), H = attention.num_heads();
  const int64_t D = attention.head_dim(), P = cache ? cache->length() : 0;
  const auto heads = [&](const Tensor& t) { return t.reshape({B, T, H, D}).permute({0, 2, 1, 3}); };
  const std::vector<Tensor> qkv = split(attention.c_attn().forward(x), E, 2);
  Tensor k = heads(qkv[1]), v = heads(qkv[2]);
  if (cache) {
    if (P > 0) {
      const bool swap = mistake == CausalMistake::new_keys_first;
      k = swap ? cat({k, cache->keys}, 2) : cat({cache->keys, k}, 2);
      v = swap ? cat({v, cache->values}, 2) : cat({cache->values, v}, 2);
    }
    cache->keys = k;
    cache->values = v;
  }
  const Tensor mask = mistake == CausalMistake::mask_ignores_the_cache
                          ? nn::causal_mask(T)
                          : nn::causal_mask(P + T).narrow(0, P, T);
  const nn::AttentionOutput out = nn::scaled_dot_product_attention(heads(qkv[0]), k, v, mask);
  const Tensor merged = out.context.permute({0, 2, 1, 3}).contiguous().reshape({B, T, E});
  return {attention.c_proj().forward(merged), out.weights};
}

}  // namespace

TEST(ExerciseCheck, CommittedValuesAreTheReferences) {
  ASSERT_EQ(references().size(), exercises().size()) << "regenerate lessons/support/exercise_reference.cpp";
  for (const std::string& exercise : exercises()) {
    const Outputs now = run(exercise);
    const Outputs& committed = reference(exercise);
    ASSERT_EQ(now.size(), committed.size()) << exercise;
    for (size_t k = 0; k < now.size(); ++k) {
      ASSERT_EQ(now[k].name, committed[k].name) << exercise;
      ASSERT_TRUE(now[k].shape == committed[k].shape) << exercise << " " << now[k].name;
      ASSERT_EQ(now[k].values.size(), committed[k].values.size()) << exercise << " " << now[k].name;
      // Bit for bit: the values are generated from these very references, not typed in.
      for (size_t j = 0; j < now[k].values.size(); ++j)
        ASSERT_EQ(std::bit_cast<uint32_t>(now[k].values[j]), std::bit_cast<uint32_t>(committed[k].values[j]))
            << exercise << ": " << element(now[k], j) << " is now " << now[k].values[j] << ", committed "
            << committed[k].values[j]
            << ". Regenerate lessons/support/exercise_reference.cpp (tools/exercise_reference.cpp says how)";
    }
  }
}

TEST(ExerciseCheck, EveryCheckPassesAgainstTheReference) {
  for (const std::string& exercise : exercises()) {
    const Result r = check(exercise, [&] { return run(exercise); });
    EXPECT_EQ(r.verdict, Verdict::matches) << r.line;
    EXPECT_EQ(r.line, "Your " + exercise + " matches the reference on a fixed input.");
  }
  EXPECT_EQ(report("lstm_cell,fused_gru,linear"),
            "Your linear matches the reference on a fixed input.\n"
            "Your fused_gru matches the reference on a fixed input.\n"
            "Your lstm_cell matches the reference on a fixed input.\n");
  EXPECT_EQ(report(""), "");
  EXPECT_THROW(report("lstm"), std::logic_error);
}

TEST(ExerciseCheck, AnyElementOffIsNamedWithYoursAndTheReference) {
  for (const std::string& exercise : exercises()) {
    const Outputs& ref = reference(exercise);
    for (size_t k = 0; k < ref.size(); ++k)
      for (size_t j = 0; j < ref[k].values.size(); ++j) {
        Outputs yours = ref;
        const float was = ref[k].values[j];
        yours[k].values[j] = was + 1e-3f * (1.0f + std::fabs(was));  // a hundred times the tolerance
        const Result r = check(exercise, [&] { return yours; });
        ASSERT_EQ(r.verdict, Verdict::differs) << exercise << " " << element(ref[k], j);
        ASSERT_EQ(r.line,
                  fmt::format("Your {} differs from the reference on a fixed input: {} is {:.6g}, the "
                              "reference {:.6g}.",
                              exercise, element(ref[k], j), yours[k].values[j], was));
      }
  }
}

TEST(ExerciseCheck, RoundingIsNotADifference) {
  // A correct version written another way differs in the last bits only.
  for (const std::string& exercise : exercises()) {
    Outputs yours = reference(exercise);
    for (Output& o : yours)
      for (float& v : o.values) v = v * (1.0f + 2e-7f) + 1e-7f;
    EXPECT_EQ(check(exercise, [&] { return yours; }).verdict, Verdict::matches) << exercise;
  }
  // The LSTM step composed here, its sums in another order.
  const Outputs composed = run_lstm_cell([](const nn::LSTMCell& cell, const Tensor& x,
                                            const nn::LSTMState& s) { return lstm_step(cell, x, s, false); });
  EXPECT_EQ(first_difference(composed, reference("lstm_cell")), std::nullopt);
}

TEST(ExerciseCheck, ForgetGateWithTheWrongSignIsCaught) {
  // Issue 10: this bug trained lesson 04 --lstm to 100/100/100 %.
  const Outputs yours = run_lstm_cell([](const nn::LSTMCell& cell, const Tensor& x, const nn::LSTMState& s) {
    return lstm_step(cell, x, s, true);
  });
  const Result r = check("lstm_cell", [&] { return yours; });
  EXPECT_EQ(r.verdict, Verdict::differs);
  EXPECT_TRUE(
      starts_with(r.line, "Your lstm_cell differs from the reference on a fixed input: c_next[0, 0] is "))
      << r.line;
  EXPECT_NE(r.line.find("(8 of its 8 elements differ); h_next, dx, dh, dc, dweight_ih, dweight_hh, dbias_ih, "
                        "dbias_hh differ too."),
            std::string::npos)
      << r.line;
}

TEST(ExerciseCheck, MaskForgottenIsCaught) {
  // Issue 10: this bug still got lesson 06 to 100 %.
  const Outputs yours = run_masked_softmax(
      [](const Tensor& scores, const Tensor&, int64_t dim) { return softmax(scores, dim); });
  const Result r = check("masked_softmax", [&] { return yours; });
  EXPECT_EQ(r.verdict, Verdict::differs);
  // Weight on padding leaves less for the real keys: every weight is off, the first one first.
  EXPECT_TRUE(starts_with(
      r.line, "Your masked_softmax differs from the reference on a fixed input: weights[0, 0, 0] is "))
      << r.line;
  EXPECT_NE(
      r.line.find(" (30 of its 30 elements differ); weights_additive, dscores, dscores_additive differ too."),
      std::string::npos)
      << r.line;
}

TEST(ExerciseCheck, WrongBackwardWithTheRightForwardIsCaught) {
  // Softmax's values with the identity for a derivative (dx = dy): y matches, dx does not.
  const Outputs yours = run_softmax([](const Tensor& x, int64_t dim) {
    const Tensor y = softmax(x, dim).detach();
    return y + (x - x.detach());
  });
  const Result r = check("softmax", [&] { return yours; });
  EXPECT_EQ(r.verdict, Verdict::differs);
  EXPECT_TRUE(
      starts_with(r.line, "Your softmax differs from the reference on a fixed input: dx_dim1[0, 0, 0] is "))
      << r.line;
  EXPECT_NE(r.line.find("; dx_dim2 differs too."), std::string::npos) << r.line;
}

TEST(ExerciseCheck, ShapesAndMissingGradientsAreNamed) {
  // Linear without its bias: y is off, and no gradient reaches the bias.
  const Outputs no_bias =
      run_linear([](const nn::Linear& l, const Tensor& x) { return matmul(x, l.weight().t()); });
  const std::optional<std::string> d = first_difference(no_bias, reference("linear"));
  ASSERT_TRUE(d);
  EXPECT_TRUE(starts_with(*d, "y[0, 0, 0] is ")) << *d;
  EXPECT_NE(d->find("; dbias differs too"), std::string::npos) << *d;

  Outputs yours = reference("linear");
  yours[3] = {"dbias", {}, {}, false};
  EXPECT_EQ(first_difference(yours, reference("linear")),
            "dbias is undefined (no gradient reached it), the reference's has shape [3]");
  yours = reference("linear");
  yours[0].shape = {3, 2, 3};
  EXPECT_EQ(first_difference(yours, reference("linear")), "y has shape [3, 2, 3], the reference [2, 3, 3]");
  yours.erase(yours.begin());
  EXPECT_EQ(first_difference(yours, reference("linear")), "there is no y");
}

TEST(ExerciseCheck, NotWrittenYetIsSaidSoAndOtherErrorsAreShown) {
  const Result unwritten = check("lstm_cell", []() -> Outputs {
    throw Error("exercise", "LSTMCell::forward is not written yet (exercises/, see docs/exercises.md)");
  });
  EXPECT_EQ(unwritten.verdict, Verdict::not_written);
  EXPECT_EQ(
      unwritten.line,
      "Your lstm_cell is not written yet (exercises/lstm_cell.cpp): where this lesson uses it, it stops with "
      "that error.");
  const Result failing =
      check("linear", []() -> Outputs { throw Error("matmul", "shapes [2, 4] and [3, 4]"); });
  EXPECT_EQ(failing.verdict, Verdict::fails);
  EXPECT_TRUE(
      starts_with(failing.line, "Your linear fails on a fixed input: matmul: shapes [2, 4] and [3, 4]"))
      << failing.line;
}

TEST(ExerciseCheck, ReportPointsAtThePieceAnotherCheckRuns) {
  // Your linear is wrong: the luong_attention check, which runs it, differs too and says where to look.
  const auto wrong_linear = [](std::string_view exercise) {
    if (exercise == "linear")
      return run_linear([](const nn::Linear& l, const Tensor& x) { return matmul(x, l.weight().t()); });
    Outputs outputs = run(exercise);
    if (exercise == "luong_attention") outputs[0].values[0] += 1.0f;
    return outputs;
  };
  const std::string text = report("luong_attention,linear", wrong_linear);
  EXPECT_TRUE(starts_with(text, "Your linear differs from the reference on a fixed input: y[0, 0, 0] is "))
      << text;
  EXPECT_NE(text.find("\nYour luong_attention differs from the reference on a fixed input: scores[0, 0] is "),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          " Its check runs your linear too, which does not match the reference: look there first.\n"
          "The lesson runs on your version anyway: where it uses it, its numbers are not the docs page's.\n"),
      std::string::npos)
      << text;

  // Your masked_softmax is not written: the multi-head check cannot tell whose "not written yet" it got.
  const auto unwritten = [](std::string_view exercise) -> Outputs {
    if (exercise == "masked_softmax" || exercise == "multi_head_attention")
      throw Error("exercise", "masked_softmax is not written yet");
    return run(exercise);
  };
  EXPECT_EQ(
      report("multi_head_attention,masked_softmax", unwritten),
      "Your masked_softmax is not written yet (exercises/masked_softmax.cpp): where this lesson uses it, it "
      "stops with that error.\n"
      "Your multi_head_attention could not be checked: its check runs your masked_softmax too, which is not "
      "written yet.\n");
}

TEST(ExerciseCheck, CrossAttentionOverTheTargetIsCaught) {
  const auto with = [](bool keys_from_target) {
    return run_transformer_decoder_layer([=](const nn::TransformerDecoderLayer& layer, const Tensor& tgt,
                                             const Tensor& memory, const Tensor& tgt_mask,
                                             const Tensor& memory_padding) {
      return decoder_layer(layer, tgt, memory, tgt_mask, memory_padding, keys_from_target);
    });
  };
  // Composed here, the sums in the reference's order: it matches.
  EXPECT_EQ(first_difference(with(false), reference("transformer_decoder_layer")), std::nullopt);
  // Keys and values from the target: other numbers, T keys instead of S, no gradient to the memory.
  const Result r = check("transformer_decoder_layer", [&] { return with(true); });
  EXPECT_EQ(r.verdict, Verdict::differs);
  EXPECT_TRUE(starts_with(
      r.line,
      "Your transformer_decoder_layer differs from the reference on a fixed input: output[0, 0, 0] is "))
      << r.line;
  EXPECT_NE(r.line.find("; cross_head_weights, dtgt, dmemory, "), std::string::npos) << r.line;
}

TEST(ExerciseCheck, CausalMaskThatForgetsTheCacheAndKeysCachedOutOfOrderAreCaught) {
  const auto with = [](CausalMistake mistake) {
    return run_causal_self_attention(
        [=](const nn::CausalSelfAttention& attention, const Tensor& x, nn::KVCache* cache) {
          return causal_attention(attention, x, cache, mistake);
        });
  };
  EXPECT_EQ(first_difference(with(CausalMistake::none), reference("causal_self_attention")), std::nullopt);
  // causal_mask(T) is right while P = 0 or T = 1; the check's second call has P = 2, T = 2.
  const Result forgets =
      check("causal_self_attention", [&] { return with(CausalMistake::mask_ignores_the_cache); });
  EXPECT_EQ(forgets.verdict, Verdict::fails);
  EXPECT_TRUE(
      starts_with(forgets.line, "Your causal_self_attention fails on a fixed input: masked_softmax: "))
      << forgets.line;
  // The uncached call is right; from the second cached call on, the keys sit at the wrong positions.
  const Result swapped = check("causal_self_attention", [&] { return with(CausalMistake::new_keys_first); });
  EXPECT_EQ(swapped.verdict, Verdict::differs);
  EXPECT_TRUE(
      starts_with(swapped.line,
                  "Your causal_self_attention differs from the reference on a fixed input: cached_context["))
      << swapped.line;
  EXPECT_NE(swapped.line.find("; cached_head_weights_2_after_2, cache_keys, cache_values, dx_cached, "),
            std::string::npos)
      << swapped.line;
}
