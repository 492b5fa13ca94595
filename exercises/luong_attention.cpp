// EXERCISE (lesson 08): write Luong's general score, score_j = sᵀ W h_j (dot and concat are done).
// This is your copy of nn/luong_attention.cpp with the exercise part removed. Build the lessons against
// it with  cmake -B build -DGLIMPSE_EXERCISES=luong_attention  and check it with  ctest --test-dir build -L exercise.
// The reference solution is nn/luong_attention.cpp: peek only when stuck.
//
// Lesson 08: Luong's dot, general and concat scores, composed of autograd ops.
#include "nn/luong_attention.hpp"

#include <fmt/format.h>

#include "nn/masked_softmax.hpp"

namespace glimpse::nn {

std::string to_string(LuongScore score) {
  switch (score) {
    case LuongScore::Dot: return "dot";
    case LuongScore::General: return "general";
    case LuongScore::Concat: return "concat";
  }
  return "?";
}

LuongAttention::LuongAttention(LuongScore score, int64_t dec_hidden, int64_t enc_hidden, int64_t attn_dim,
                               Generator& gen, Loc caller)
    : score_(score), dec_hidden_(dec_hidden), enc_hidden_(enc_hidden) {
  const CallerScope scope(caller);
  glimpse::detail::check(dec_hidden > 0 && enc_hidden > 0 && attn_dim >= 0, "LuongAttention", caller, [&] {
    return fmt::format("sizes must be positive, got dec_hidden {}, enc_hidden {}, attn_dim {}", dec_hidden,
                       enc_hidden, attn_dim);
  });
  glimpse::detail::check(score != LuongScore::Dot || dec_hidden == enc_hidden, "LuongAttention", caller, [&] {
    return fmt::format("the dot score sᵀh needs dec_hidden = enc_hidden, got {} and {}", dec_hidden, enc_hidden);
  });
  if (score == LuongScore::General) {
    W_ = register_module("W", std::make_shared<Linear>(enc_hidden, dec_hidden, false, gen));
  } else if (score == LuongScore::Concat) {
    const int64_t a = attn_dim > 0 ? attn_dim : dec_hidden;
    W_ = register_module("W", std::make_shared<Linear>(dec_hidden + enc_hidden, a, false, gen));
    v_ = register_module("v", std::make_shared<Linear>(a, 1, false, gen));
  }
}

Tensor LuongAttention::score(const Tensor& s, const Tensor& hs, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check(s.dim() == 2 && hs.dim() == 3 && s.size(0) == hs.size(0) &&
                             s.size(1) == dec_hidden_ && hs.size(2) == enc_hidden_,
                         "LuongAttention", caller, [&] {
                           return fmt::format("expected s [B, {}] and hs [B, S, {}], got s {} and hs {}", dec_hidden_,
                                              enc_hidden_, to_string(s.shape()), to_string(hs.shape()));
                         });
  const Tensor query = s.unsqueeze(2);  // [B, H_dec, 1]: one column per batch element
  switch (score_) {
    case LuongScore::Dot:  // sᵀ h_j for every j: [B, S, H] · [B, H, 1]
      return matmul(hs, query).squeeze(2);
    case LuongScore::General:  // sᵀ (W h_j): W h is [B, S, H_dec]
      // TODO(exercise): write this yourself. The equations are in the header and in
      // docs/lessons/08_scoring.md; `ctest --test-dir build -L exercise` checks your version.
      throw glimpse::Error("exercise", "the Luong general score sᵀ W h_j is not written yet (exercises/, see docs/exercises.md)");
    case LuongScore::Concat: {  // vᵀ tanh(W [s; h_j]): s is repeated next to every h_j
      const Tensor repeated = s.unsqueeze(1).expand({hs.size(0), hs.size(1), dec_hidden_});
      const Tensor both = cat({repeated, hs}, 2);  // [B, S, H_dec + H_enc]
      return v_->forward(tanh(W_->forward(both))).squeeze(2);
    }
  }
  return Tensor();
}

Tensor LuongAttention::project_keys(const Tensor& hs, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check(hs.defined() && hs.dim() == 3 && hs.size(2) == enc_hidden_, "LuongAttention", caller,
                         [&] {
                           return fmt::format("expected hs [B, S, {}], got {}", enc_hidden_,
                                              hs.defined() ? to_string(hs.shape()) : "undefined");
                         });
  switch (score_) {
    case LuongScore::Dot:
      return hs;
    case LuongScore::General:  // W h_j: [B, S, H_dec]
      // TODO(exercise): write this yourself (the same W h_j as in score()).
      throw glimpse::Error("exercise", "the Luong general keys W h_j are not written yet (exercises/, see docs/exercises.md)");
    case LuongScore::Concat:
      return Tensor();
  }
  return Tensor();
}

AttentionOutput LuongAttention::forward(const Tensor& s, const Tensor& hs, const Tensor& mask,
                                        Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&s, &hs}, "LuongAttention");
  return attend(score(s, hs), hs, mask);
}

AttentionOutput LuongAttention::forward(const Tensor& s, const Tensor& hs, const Tensor& keys,
                                        const Tensor& mask, Loc caller) const {
  const CallerScope scope(caller);
  glimpse::detail::check_defined({&s, &hs}, "LuongAttention");
  if (!keys.defined()) return attend(score(s, hs), hs, mask);  // concat: nothing to precompute
  glimpse::detail::check(
      s.dim() == 2 && keys.dim() == 3 && hs.dim() == 3 && s.size(0) == keys.size(0) &&
          s.size(1) == dec_hidden_ && keys.size(2) == dec_hidden_ && keys.size(1) == hs.size(1),
      "LuongAttention", caller, [&] {
        return fmt::format(
            "expected s [B, {0}] and keys [B, S, {0}] from project_keys(hs), got s {1} and keys {2}",
            dec_hidden_, to_string(s.shape()), to_string(keys.shape()));
      });
  return attend(matmul(keys, s.unsqueeze(2)).squeeze(2), hs, mask);  // sᵀ k_j, the products score() makes
}

AttentionOutput LuongAttention::attend(const Tensor& scores, const Tensor& hs, const Tensor& mask) const {
  glimpse::detail::check(!mask.defined() || mask.shape() == scores.shape(), "LuongAttention", [&] {
    return fmt::format("the padding mask must be [B, S] = {}, got {}", to_string(scores.shape()),
                       to_string(mask.shape()));
  });
  const Tensor weights = masked_softmax(scores, mask, 1);
  const Tensor context = matmul(weights.unsqueeze(1), hs).squeeze(1);  // [B, H_enc]
  emit_step({{"scores", scores}, {"weights", weights}, {"context", context}});
  return {context, weights};
}

}  // namespace glimpse::nn
