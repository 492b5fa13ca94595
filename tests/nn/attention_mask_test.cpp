// Lessons 06 and 10: padding and causal masks (1 = masked out).
#include "nn/attention_mask.hpp"

#include <gtest/gtest.h>

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
