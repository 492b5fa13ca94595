// Lessons 06 and 10: padding and causal masks (1 = masked out).
#include "nn/attention_mask.hpp"

#include <gtest/gtest.h>

#include <limits>

using namespace glimpse;

TEST(AttentionMask, CausalMaskHidesTheFuture) {
  const Tensor m = nn::causal_mask(3);
  EXPECT_EQ(m.shape(), Shape({3, 3}));
  EXPECT_EQ(m.to_vector(), (std::vector<float>{0, 1, 1, 0, 0, 1, 0, 0, 0}));
}

TEST(AttentionMask, PaddingMaskMarksPositionsAfterEachLength) {
  const Tensor m = nn::padding_mask({2, 4, 0}, 4);
  EXPECT_EQ(m.shape(), Shape({3, 4}));
  EXPECT_EQ(m.to_vector(), (std::vector<float>{0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1}));
}

TEST(AttentionMask, PaddingMaskRejectsALengthLongerThanTheBatch) {
  EXPECT_THROW(nn::padding_mask({2, 5}, 4), Error);
  EXPECT_THROW(nn::padding_mask({-1}, 4), Error);
}

TEST(AttentionMask, KindIsReadFromTheValues) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(nn::mask_kind(from_vector({0, 1, 1}), "test"), nn::MaskKind::zero_one);
  EXPECT_EQ(nn::mask_kind(zeros({2, 2}), "test"), nn::MaskKind::zero_one);  // all zero: nothing masked either way
  EXPECT_EQ(nn::mask_kind(from_vector({0, -0.5f, -inf}), "test"), nn::MaskKind::additive);
  EXPECT_THROW(nn::mask_kind(from_vector({0, 0.5f}), "test"), Error);
  EXPECT_THROW(nn::mask_kind(from_vector({0, inf}), "test"), Error);
  EXPECT_THROW(nn::mask_kind(from_vector({1, -inf}), "test"), Error);
  EXPECT_THROW(nn::mask_kind(Tensor(), "test"), Error);
  try {  // the sum of two 0/1 masks
    nn::mask_kind(from_vector({0, 1, 2}));
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "mask_kind");
    EXPECT_NE(std::string(e.what()).find("mask value 2 at flat index 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nn::combine_masks"), std::string::npos) << e.what();
  }
}

TEST(AttentionMask, AdditiveFormAndCombination) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(nn::additive_mask(from_vector({0, 1}), "test").to_vector(), (std::vector<float>{0, -inf}));
  const Tensor additive = from_vector({0, -0.5f});
  EXPECT_EQ(nn::additive_mask(additive, "test").to_vector(), additive.to_vector());
  // Two 0/1 masks: 1 where either is 1 (a 2 would be ambiguous).
  EXPECT_EQ(nn::combine_masks(from_vector({0, 1, 1, 0}), from_vector({0, 0, 1, 1}), "test").to_vector(),
            (std::vector<float>{0, 1, 1, 1}));
  // A 0/1 mask beside an additive one: both additive, added, broadcast as PyTorch does.
  const Tensor padding = from_vector({0, 1}, {1, 2}), bias = from_vector({-0.5f, 0, 0, -1}, {2, 2});
  EXPECT_EQ(nn::combine_masks(padding, bias, "test").to_vector(), (std::vector<float>{-0.5f, -inf, 0, -inf}));
}
