// An error raised deep inside a model still names the op, its values and the learner's line:
// each module's forward opens a CallerScope, and the outermost (the learner's call) wins.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "glimpse.hpp"
#include "nn/batch.hpp"
#include "nn/seq2seq.hpp"
#include "nn/vocab.hpp"
#include "support/error_message.hpp"

using namespace glimpse;

TEST(ErrorsInsideModules, AnEmbeddingErrorInsideASeq2seqNamesTheCallersLine) {
  // The encoder's embedding op meets a token id outside its table: the op is four calls deep
  // (Seq2seq::loss → Encoder → Embedding → embedding), the line is this test's.
  Generator gen(3);
  const nn::Vocab vocab{std::vector<std::string>{"a", "b", "c"}};
  auto encoder = std::make_shared<nn::Encoder>(vocab.size(), 3, 4, false, gen);
  auto decoder = std::make_shared<nn::AttentionDecoder>(vocab.size(), 3, 4, 3, gen);
  nn::Seq2seq model(encoder, decoder);
  const std::vector<nn::Example> examples = {{{"a", "b"}, {"b", "a"}, {{1}, {0}}, -1}};
  nn::Batch batch = nn::make_batch(examples, vocab, vocab);
  batch.source = IndexTensor(std::vector<int64_t>{batch.source[0], 99}, Shape{1, 2});  // 99: no such token
  const int line = __LINE__ + 1;
  const std::string msg = test::error_message([&] { model.loss(batch); });
  EXPECT_EQ(msg.rfind("embedding: ", 0), 0u) << msg;  // the op that failed comes first
  EXPECT_NE(msg.find("99"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("errors_inside_modules_test.cpp:{}", line)), std::string::npos) << msg;
  EXPECT_EQ(msg.find(GLIMPSE_SOURCE_DIR "/nn/"), std::string::npos) << msg;
}

TEST(ErrorsInsideModules, AShapeErrorInsideAGRUCellNamesTheOpAndTheCallersLine) {
  // A state of the wrong width, caught by the cell's own check: the line is still the caller's.
  Generator gen(3);
  nn::GRUCell cell(3, 4, gen);
  const int line = __LINE__ + 1;
  const std::string msg = test::error_message([&] { cell.forward(ones({2, 3}), ones({2, 5})); });
  EXPECT_NE(msg.find(fmt::format("errors_inside_modules_test.cpp:{}", line)), std::string::npos) << msg;
  EXPECT_NE(msg.find("GRUCell"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(GLIMPSE_SOURCE_DIR "/nn/"), std::string::npos) << msg;
}

TEST(ErrorsInsideModules, AMultiheadAttentionErrorNamesTheCallersLine) {
  // A key of the wrong width: whichever check inside catches it, the line reported is this one.
  Generator gen(3);
  nn::MultiheadAttention mha(8, 2, 0.0f, gen);
  const Tensor q = ones({1, 3, 8}), bad_key = ones({1, 3, 5});
  const int line = __LINE__ + 1;
  const std::string msg = test::error_message([&] { mha.forward(q, bad_key, bad_key); });
  EXPECT_NE(msg.find(fmt::format("errors_inside_modules_test.cpp:{}", line)), std::string::npos) << msg;
  EXPECT_EQ(msg.find(GLIMPSE_SOURCE_DIR "/nn/"), std::string::npos) << msg;
}
