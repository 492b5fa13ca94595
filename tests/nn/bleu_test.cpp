// Issue 12: corpus BLEU against values published with NLTK's corpus_bleu and sentence_bleu (the
// examples of their documentation, from Papineni et al.'s paper), and its edge cases.
#include "nn/bleu.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "support/error_message.hpp"

using namespace glimpse;
using namespace glimpse::nn;

namespace {

const Tokens hyp1 = {"It",  "is",       "a",      "guide", "to",  "action",   "which", "ensures", "that",
                     "the", "military", "always", "obeys", "the", "commands", "of",    "the",     "party"};
const Tokens ref1a = {"It",   "is",  "a",        "guide", "to",      "action", "that",  "ensures",
                      "that", "the", "military", "will",  "forever", "heed",   "Party", "commands"};
const Tokens ref1b = {"It",         "is",  "the",      "guiding", "principle", "which",
                      "guarantees", "the", "military", "forces",  "always",    "being",
                      "under",      "the", "command",  "of",      "the",       "Party"};
const Tokens ref1c = {"It",     "is", "the",  "practical", "guide",      "for", "the", "army",
                      "always", "to", "heed", "the",       "directions", "of",  "the", "party"};
const Tokens hyp2 = {"he",  "read",       "the", "book",  "because", "he",
                     "was", "interested", "in",  "world", "history"};
const Tokens ref2a = {"he",      "was", "interested", "in",  "world", "history",
                      "because", "he",  "read",       "the", "book"};

}  // namespace

TEST(Bleu, MatchesNltksDocumentedValues) {
  // nltk.translate.bleu_score.sentence_bleu([ref1a, ref1b, ref1c], hyp1) = 0.5045666840058485
  EXPECT_NEAR(sentence_bleu({ref1a, ref1b, ref1c}, hyp1).bleu, 0.5045666840058485, 1e-12);
  // corpus_bleu([[ref1a, ref1b, ref1c], [ref2a]], [hyp1, hyp2]) = 0.5920778868801042
  const BleuScore s = corpus_bleu({{ref1a, ref1b, ref1c}, {ref2a}}, {hyp1, hyp2});
  EXPECT_NEAR(s.bleu, 0.5920778868801042, 1e-12);
  EXPECT_EQ(s.hypothesis_length, 29);
  EXPECT_EQ(s.reference_length, 29);  // 18 (ref1b, as long as hyp1) + 11
  EXPECT_EQ(s.brevity_penalty, 1.0);
}

TEST(Bleu, PrecisionsAreClippedByTheReferenceCounts) {
  // Papineni et al.'s example: "the the the the the the the" against "the cat is on the mat".
  const BleuScore s = sentence_bleu({{"the", "cat", "is", "on", "the", "mat"}},
                                    {"the", "the", "the", "the", "the", "the", "the"});
  EXPECT_NEAR(s.precisions[0], 2.0 / 7.0, 1e-12);
  EXPECT_EQ(s.bleu, 0.0);  // no bigram matches: no smoothing
}

TEST(Bleu, AShortHypothesisPaysTheBrevityPenalty) {
  const Tokens reference = {"a", "b", "c", "d", "e", "f", "g", "h"};
  EXPECT_DOUBLE_EQ(sentence_bleu({reference}, reference).bleu, 1.0);
  const BleuScore s = sentence_bleu({reference}, {"a", "b", "c", "d", "e", "f"});
  EXPECT_DOUBLE_EQ(s.brevity_penalty, std::exp(1.0 - 8.0 / 6.0));
  EXPECT_DOUBLE_EQ(s.bleu, std::exp(1.0 - 8.0 / 6.0));  // every n-gram it has is right
}

TEST(Bleu, EmptyAndMismatchedInputs) {
  const BleuScore empty = sentence_bleu({{"a", "b"}}, {});
  EXPECT_EQ(empty.bleu, 0.0);
  EXPECT_EQ(empty.brevity_penalty, 0.0);
  EXPECT_EQ(corpus_bleu({}, {}).bleu, 0.0);
  EXPECT_NE(test::error_message([] {
              (void)corpus_bleu({{{"a"}}}, {{"a"}, {"b"}});
            }).find("needs one list of references per hypothesis, got 1 lists for 2 hypotheses"),
            std::string::npos);
  EXPECT_NE(
      test::error_message([] { (void)corpus_bleu({{}}, {{"a"}}); }).find("hypothesis 0 has no reference"),
      std::string::npos);
}
