// Batching: padding to the longest, masks, decoder input/target, seeded shuffling.
#include <gtest/gtest.h>

#include <set>

#include "nn/batch.hpp"

using namespace glimpse;
using namespace glimpse::nn;

namespace {
Example ex(std::vector<std::string> source, std::vector<std::string> target) {
  Example e;
  e.source = std::move(source);
  e.target = std::move(target);
  return e;
}
}  // namespace

TEST(Batch, PadsToTheLongestAndMasksThePadding) {
  Vocab v({"a", "b", "c"});  // a=4 b=5 c=6
  std::vector<Example> examples = {ex({"a", "b", "c"}, {"c"}), ex({"b"}, {"a", "b", "z"})};
  Batch batch = make_batch(examples, v, v);
  ASSERT_EQ(batch.size(), 2);
  EXPECT_EQ(batch.source.shape, (Shape{2, 3}));
  EXPECT_EQ(batch.source.values, (std::vector<int64_t>{4, 5, 6, 5, 0, 0}));
  EXPECT_EQ(batch.source_mask.shape(), (Shape{2, 3}));
  EXPECT_EQ(batch.source_mask.to_vector(), (std::vector<float>{1, 1, 1, 1, 0, 0}));
  EXPECT_EQ(batch.source_lengths, (std::vector<int64_t>{3, 1}));

  // Longest target has 3 tokens → T = 4 (<sos> in front, <eos> behind).
  EXPECT_EQ(batch.decoder_input.shape, (Shape{2, 4}));
  EXPECT_EQ(batch.decoder_input.values, (std::vector<int64_t>{1, 6, 0, 0, /**/ 1, 4, 5, 3}));
  EXPECT_EQ(batch.decoder_target.values,
            (std::vector<int64_t>{6, 2, kIgnoreIndex, kIgnoreIndex, /**/ 4, 5, 3, 2}));
  EXPECT_EQ(batch.target_mask.to_vector(), (std::vector<float>{1, 1, 0, 0, 1, 1, 1, 1}));
  EXPECT_EQ(batch.target_lengths, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(batch.source_len(), 3);
  EXPECT_EQ(batch.target_len(), 4);
  EXPECT_EQ(batch.example_indices, (std::vector<int64_t>{0, 1}));
}

TEST(Batch, SeparateVocabulariesAndACustomIgnoreIndex) {
  Vocab en({"cat"});
  Vocab fr({"le", "chat"});
  std::vector<Example> examples = {ex({"cat"}, {"chat"})};
  Batch batch = make_batch(examples, en, fr, /*ignore_index=*/0);
  EXPECT_EQ(batch.source.values, (std::vector<int64_t>{4}));
  EXPECT_EQ(batch.decoder_input.values, (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(batch.decoder_target.values, (std::vector<int64_t>{5, 2}));
}

TEST(Batch, EmptyBatchOrEmptySourceIsAnError) {
  Vocab v({"a"});
  EXPECT_THROW(make_batch(std::vector<Example>{}, v, v), Error);
  std::vector<Example> bad = {ex({"a"}, {"a"}), ex({}, {"a"})};
  try {
    make_batch(bad, v, v);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("example 1"), std::string::npos) << e.what();
  }
}

TEST(Batcher, EachEpochVisitsEveryExampleOnceInASeededOrder) {
  Vocab v({"a", "b"});
  std::vector<Example> data;
  for (int i = 0; i < 10; ++i) data.push_back(ex(std::vector<std::string>(i + 1, "a"), {"b"}));
  Batcher batcher(data, v, v, /*batch_size=*/4, /*seed=*/42);
  EXPECT_EQ(batcher.batches_per_epoch(), 3);
  std::vector<int64_t> first_epoch;
  for (int i = 0; i < 3; ++i) {
    Batch b = batcher.next();
    EXPECT_EQ(b.size(), i < 2 ? 4 : 2);
    for (int64_t r = 0; r < b.size(); ++r)  // rows really are the examples named by the indices
      EXPECT_EQ(b.source_lengths[r], b.example_indices[r] + 1);
    first_epoch.insert(first_epoch.end(), b.example_indices.begin(), b.example_indices.end());
  }
  EXPECT_EQ(std::set<int64_t>(first_epoch.begin(), first_epoch.end()).size(), 10u);
  EXPECT_NE(first_epoch, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));  // shuffled
  EXPECT_EQ(batcher.epoch(), 0);

  std::vector<int64_t> second_epoch;
  for (int i = 0; i < 3; ++i) {
    Batch b = batcher.next();
    second_epoch.insert(second_epoch.end(), b.example_indices.begin(), b.example_indices.end());
  }
  EXPECT_EQ(batcher.epoch(), 1);
  EXPECT_NE(second_epoch, first_epoch);  // reshuffled

  Batcher again(data, v, v, 4, 42);
  std::vector<int64_t> replay;
  for (int i = 0; i < 3; ++i) {
    Batch b = again.next();
    replay.insert(replay.end(), b.example_indices.begin(), b.example_indices.end());
  }
  EXPECT_EQ(replay, first_epoch);  // same seed, same order

  Batcher in_order(data, v, v, 4, 42, /*shuffle=*/false);
  EXPECT_EQ(in_order.next().example_indices, (std::vector<int64_t>{0, 1, 2, 3}));
}
