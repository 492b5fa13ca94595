// Text tables and TSV on a hand-made recording: exact expected text.
#include "trace/text_table.hpp"

#include <gtest/gtest.h>

#include "trace/tsv.hpp"

using namespace glimpse;
using namespace glimpse::trace;

namespace {

Values values(std::vector<float> data) {
  Values v;
  v.shape = Shape{static_cast<int64_t>(data.size())};
  v.data = std::move(data);
  return v;
}

Sequence tiny_sequence() {
  Sequence s;
  s.index = 2;
  s.source = {"le", "chat"};
  s.target = {"<sos>", "the"};
  StepEntry enc{.module = "encoder.cell", .kind = "GRUCell", .step = 0, .token = "le"};
  enc.values = {{"h", values({0.6f, -0.8f})}};
  StepEntry attn{.module = "decoder.attention", .kind = "BahdanauAttention", .step = 0, .token = "<sos>",
                 .target_side = true};
  attn.values = {{"weights", values({0.25f, 0.75f})}};
  StepEntry dec{.module = "decoder", .kind = "AttentionDecoder", .step = 0, .token = "<sos>", .target_side = true};
  dec.values = {{"h", values({0.1f, 0.2f})}, {"weights", values({0.25f, 0.75f})}};
  dec.predictions = {{4, "the", 0.9f}, {5, "cat", 0.1f}};
  s.steps = {enc, attn, dec};
  return s;
}

}  // namespace

TEST(TextTable, OneTableWithBarsPredictionsAndReferences) {
  const std::string expected =
      "sequence 2\n"
      "source: le chat\n"
      "target: <sos> the\n"
      "step  token  module             value\n"
      "   0  le     encoder.cell       h         ‖h‖ 1.000  +0.600 -0.800\n"
      "   0  <sos>  decoder.attention  attention le   0.250 ██▌\n"
      "                                          chat 0.750 ███████▌\n"
      "             decoder            h         ‖h‖ 0.224  +0.100 +0.200\n"
      "                                attention same as decoder.attention\n"
      "                                predicted the 0.900  cat 0.100\n";
  EXPECT_EQ(format_sequence(tiny_sequence(), {.max_values = 4, .bar_width = 10}), expected);
}

TEST(TextTable, SaysWhenStepsOrSequencesWereLeftOut) {
  Recording rec;
  rec.sequences = {tiny_sequence()};
  rec.sequences[0].dropped_steps = 7;
  rec.sequences_seen = 5;
  const std::string text = format_sequences(rec);
  EXPECT_NE(text.find("(7 more steps not kept"), std::string::npos) << text;
  EXPECT_NE(text.find("(showing 1 of 5 sequences seen)"), std::string::npos) << text;
}

TEST(Tsv, OneRowPerValue) {
  Recording rec;
  rec.sequences = {tiny_sequence()};
  rec.sequences[0].steps.resize(1);
  EXPECT_EQ(format_tsv(rec),
            "sequence\tmodule\tkind\tstep\ttoken\tname\tindex\tvalue\n"
            "2\tencoder.cell\tGRUCell\t0\tle\th\t0\t0.6\n"
            "2\tencoder.cell\tGRUCell\t0\tle\th\t1\t-0.8\n");
}
