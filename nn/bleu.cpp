// Issue 12: corpus BLEU, written as the formula in the header.
#include "nn/bleu.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <map>

namespace glimpse::nn {

namespace {

using NgramCounts = std::map<std::vector<std::string>, int64_t>;

NgramCounts ngrams(const Tokens& tokens, size_t n) {
  NgramCounts counts;
  for (size_t i = 0; i + n <= tokens.size(); ++i)
    ++counts[Tokens(tokens.begin() + i, tokens.begin() + i + n)];
  return counts;
}

}  // namespace

BleuScore corpus_bleu(const std::vector<std::vector<Tokens>>& references,
                      const std::vector<Tokens>& hypotheses, Loc caller) {
  glimpse::detail::check(references.size() == hypotheses.size(), "corpus_bleu", caller, [&] {
    return fmt::format("needs one list of references per hypothesis, got {} lists for {} hypotheses",
                       references.size(), hypotheses.size());
  });
  std::array<int64_t, 4> matched{}, total{};
  BleuScore s;
  for (size_t i = 0; i < hypotheses.size(); ++i) {
    const Tokens& hypothesis = hypotheses[i];
    glimpse::detail::check(!references[i].empty(), "corpus_bleu", caller,
                           [&] { return fmt::format("hypothesis {} has no reference translation", i); });
    const auto c = static_cast<int64_t>(hypothesis.size());
    s.hypothesis_length += c;
    // The reference length closest to the hypothesis's; the shorter one on a tie.
    int64_t closest = static_cast<int64_t>(references[i].front().size());
    for (const Tokens& reference : references[i]) {
      const auto r = static_cast<int64_t>(reference.size());
      if (std::abs(r - c) < std::abs(closest - c) ||
          (std::abs(r - c) == std::abs(closest - c) && r < closest))
        closest = r;
    }
    s.reference_length += closest;
    for (size_t n = 1; n <= 4; ++n) {
      NgramCounts most;  // each n-gram's largest count in any one reference
      for (const Tokens& reference : references[i])
        for (const auto& [gram, count] : ngrams(reference, n)) most[gram] = std::max(most[gram], count);
      for (const auto& [gram, count] : ngrams(hypothesis, n)) {
        const auto it = most.find(gram);
        matched[n - 1] += it == most.end() ? 0 : std::min(count, it->second);
      }
      total[n - 1] += std::max<int64_t>(c - static_cast<int64_t>(n) + 1, 0);
    }
  }
  double log_sum = 0;
  bool zero = false;
  for (size_t n = 0; n < 4; ++n) {
    s.precisions[n] = total[n] > 0 ? static_cast<double>(matched[n]) / static_cast<double>(total[n]) : 0.0;
    zero |= matched[n] == 0;
    if (!zero) log_sum += std::log(s.precisions[n]);
  }
  const double c = static_cast<double>(s.hypothesis_length), r = static_cast<double>(s.reference_length);
  s.brevity_penalty = c > r ? 1.0 : c > 0 ? std::exp(1.0 - r / c) : 0.0;
  s.bleu = zero ? 0.0 : s.brevity_penalty * std::exp(log_sum / 4.0);
  return s;
}

BleuScore sentence_bleu(const std::vector<Tokens>& references, const Tokens& hypothesis, Loc caller) {
  return corpus_bleu({references}, {hypothesis}, caller);
}

}  // namespace glimpse::nn
