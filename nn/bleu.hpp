// BLEU (Papineni et al. 2002): how many of a translation's n-grams, n = 1..4, a reference
// translation also has, the standard score of machine translation. Issue 12 scores the models on
// real messages with it, by source length.
//
//   p_n  = Σ_sentences Σ_ngram min(count in hypothesis, max count in any reference)
//          / Σ_sentences (number of n-grams in the hypothesis)                   "clipped" precision
//   BP   = 1 if c > r, else exp(1 − r/c)      c: hypothesis tokens, r: the reference lengths closest
//                                             to each hypothesis's (the shorter on a tie), summed
//   BLEU = BP · exp(Σ_n log(p_n) / 4)         0 as soon as one p_n is 0 (no smoothing)
//
// Counts are summed over the whole corpus before dividing (corpus BLEU, as NLTK's corpus_bleu and
// sacreBLEU compute it), not averaged over sentences. Tokens are compared as they are.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/error.hpp"

namespace glimpse::nn {

struct BleuScore {
  double bleu = 0;                     // 0..1
  std::array<double, 4> precisions{};  // p_1 .. p_4
  double brevity_penalty = 0;
  int64_t hypothesis_length = 0, reference_length = 0;  // c and r
};

using Tokens = std::vector<std::string>;

// hypotheses[i] is scored against every translation in references[i] (at least one each).
BleuScore corpus_bleu(const std::vector<std::vector<Tokens>>& references,
                      const std::vector<Tokens>& hypotheses, Loc caller = Loc::current());

// One sentence: corpus_bleu of a corpus of one.
BleuScore sentence_bleu(const std::vector<Tokens>& references, const Tokens& hypothesis,
                        Loc caller = Loc::current());

}  // namespace glimpse::nn
