// Vocab: special ids, encode/decode round trips, errors.
#include <gtest/gtest.h>

#include "nn/vocab.hpp"

using namespace glimpse;
using namespace glimpse::nn;

TEST(Vocab, SpecialTokensComeFirst) {
  Vocab v;
  EXPECT_EQ(v.size(), 4);
  EXPECT_EQ(v.token(Vocab::kPad), "<pad>");
  EXPECT_EQ(v.token(Vocab::kSos), "<sos>");
  EXPECT_EQ(v.token(Vocab::kEos), "<eos>");
  EXPECT_EQ(v.token(Vocab::kUnk), "<unk>");
  EXPECT_EQ(v.id("<eos>"), 2);
}

TEST(Vocab, IdsFollowInsertionOrderAndDuplicatesAreAddedOnce) {
  Vocab v({"b", "a", "b", "c"});
  EXPECT_EQ(v.size(), 7);
  EXPECT_EQ(v.id("b"), 4);
  EXPECT_EQ(v.id("a"), 5);
  EXPECT_EQ(v.id("c"), 6);
  EXPECT_EQ(v.add("a"), 5);
  EXPECT_EQ(v.add("d"), 7);
  EXPECT_TRUE(v.contains("d"));
  EXPECT_FALSE(v.contains("e"));
}

TEST(Vocab, EncodeMapsUnknownTokensToUnk) {
  Vocab v({"x", "y"});
  EXPECT_EQ(v.encode({"y", "zzz", "x"}), (std::vector<int64_t>{5, Vocab::kUnk, 4}));
}

TEST(Vocab, DecodeStopsAtEosAndDropsPaddingAndSos) {
  Vocab v({"x", "y"});
  EXPECT_EQ(v.decode({Vocab::kSos, 4, 5, Vocab::kUnk, Vocab::kEos, 4, Vocab::kPad}),
            (std::vector<std::string>{"x", "y", "<unk>"}));
  EXPECT_EQ(v.decode({4, Vocab::kEos, Vocab::kPad}, /*strip_special=*/false),
            (std::vector<std::string>{"x", "<eos>", "<pad>"}));
  EXPECT_EQ(v.decode(v.encode({"x", "y", "x"})), (std::vector<std::string>{"x", "y", "x"}));
}

TEST(Vocab, OutOfRangeIdNamesTheIdAndTheSize) {
  Vocab v({"x"});
  try {
    v.token(9);
    FAIL() << "expected glimpse::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("id 9"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("0..4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(v.decode({-1}), Error);
}

TEST(Vocab, JoinTokens) { EXPECT_EQ(join_tokens({"a", "b", "c"}), "a b c"); }
