// Golden files: a tiny fixed model and seed must produce exactly the committed text and DOT, byte
// for byte on any CPU and build, so any change to what a learner sees is a visible diff. After an
// intended change, regenerate:
//   GLIMPSE_UPDATE_GOLDEN=1 ctest --test-dir build -R Golden
// and review the diff of tests/trace/golden/ before committing it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <sstream>
#include <string>

#include "nn/transformer_seq2seq_decoder.hpp"
#include "nn/transformer_seq2seq_encoder.hpp"
#include "trace/render.hpp"
#include "trace/tracer.hpp"
#include "trace/write_trace.hpp"
#include "trace_fixture.hpp"

using namespace glimpse;
namespace fs = std::filesystem;
using glimpse::test::read_text;
using glimpse::test::TempFolder;
using glimpse::test::TinySeq2seq;

namespace {

const fs::path kGoldenDir = fs::path(GLIMPSE_SOURCE_DIR) / "tests" / "trace" / "golden";

bool updating() {
  const char* v = std::getenv("GLIMPSE_UPDATE_GOLDEN");
  return v && std::string(v) == "1";
}

// Where two texts first differ: the line number and both lines, for the failure message.
std::string first_difference(const std::string& got, const std::string& expected) {
  std::istringstream g(got), e(expected);
  std::string line_got, line_expected;
  for (int line = 1;; ++line) {
    const bool more_got = static_cast<bool>(std::getline(g, line_got));
    const bool more_expected = static_cast<bool>(std::getline(e, line_expected));
    if (!more_got && !more_expected) return got == expected ? "" : "the files differ in their last newline";
    if (!more_got || !more_expected || line_got != line_expected)
      return fmt::format("line {}:\n  got      {}\n  expected {}", line, more_got ? line_got : "(end of file)",
                         more_expected ? line_expected : "(end of file)");
  }
}

// Writes `rec` without SVG (pictures depend on the installed fonts) and compares every file
// with golden/<name>/, or replaces those when updating. index.html is left out: it is the
// viewer's script around the same data, and the lesson tests open it in a browser.
void check_golden(const trace::Recording& rec, const std::string& name, const trace::WriteOptions& options = {}) {
  TempFolder tmp("golden_" + name);
  trace::WriteOptions no_svg = options;
  no_svg.svg = false;
  trace::write_trace(rec, tmp.path(), no_svg);
  const fs::path golden = kGoldenDir / name;
  if (updating()) {
    fs::remove_all(golden);
    fs::create_directories(golden);
    for (const auto& entry : fs::directory_iterator(tmp.path()))
      if (entry.path().filename() != "index.html")
        fs::copy_file(entry.path(), golden / entry.path().filename());
    GTEST_SKIP() << "golden files updated in " << golden;
  }
  std::set<std::string> written, expected;
  for (const auto& entry : fs::directory_iterator(tmp.path()))
    if (entry.path().filename() != "index.html") written.insert(entry.path().filename().string());
  for (const auto& entry : fs::directory_iterator(golden)) expected.insert(entry.path().filename().string());
  EXPECT_EQ(written, expected) << "files written differ from " << golden;
  for (const std::string& file : written) {
    if (!expected.count(file)) continue;
    const std::string got = read_text(tmp.path() / file), want = read_text(golden / file);
    // Byte for byte: every sum has one order on every CPU and build (autograd/kernels/gemm.hpp).
    EXPECT_TRUE(got == want) << file << " differs from " << (golden / file) << " at " << first_difference(got, want)
                             << "\n(GLIMPSE_UPDATE_GOLDEN=1 regenerates it)";
    if (file.ends_with(".dot") && trace::graphviz_available()) {
      EXPECT_EQ(trace::dot_parse_error(got), "") << file;
    }
  }
}

trace::Recording trace_seq2seq() {
  TinySeq2seq m(7);
  trace::Tracer tracer(*m.model, {.vocabulary = m.vocab.tokens()});
  const nn::Example ex = TinySeq2seq::example();
  tracer.begin_sequence(ex.source, {"<sos>", "c", "b", "a"});
  m.model->zero_grad();
  m.model->loss(m.batch({ex})).backward();
  return tracer.take();
}

// Issue 11: a tiny encoder-decoder Transformer, teacher-forced: every layer's and head's self- and
// cross-attention and the decoder's steps. Forward only, without the graph: its values are the
// same bits under every compiler, where the graph's node ids are not (see the README).
trace::Recording trace_transformer() {
  Generator gen(7);
  const nn::Vocab vocab(std::vector<std::string>{"a", "b", "c"});
  auto encoder =
      std::make_shared<nn::TransformerSeq2seqEncoder>(vocab.size(), 4, 2, 1, 8, 0.0f, "relu", false, gen);
  auto decoder =
      std::make_shared<nn::TransformerSeq2seqDecoder>(vocab.size(), 4, 2, 1, 8, 0.0f, "relu", false, gen);
  nn::Seq2seq model(encoder, decoder);
  trace::Tracer tracer(model,
                       {.vocabulary = vocab.tokens(), .record_graph = false, .record_backward = false});
  const nn::Example ex = TinySeq2seq::example();
  tracer.begin_sequence(ex.source, {"<sos>", "c", "b", "a"});
  (void)model.forward(nn::make_batch(std::vector<nn::Example>{ex}, vocab, vocab));
  return tracer.take();
}

// Lesson 01's example: a neuron, y = tanh(w·x + b), and its loss.
trace::Recording trace_neuron() {
  Tensor x = from_vector({0.5f, -1.0f}, {2});
  Tensor w = from_vector({0.8f, 0.3f}, {2}).requires_grad_();
  Tensor b = from_vector({0.1f}, {1}).requires_grad_();
  trace::Tracer tracer({.graph_values = true});
  tracer.name(x, "x");
  tracer.name(w, "w");
  tracer.name(b, "b");
  Tensor y = tanh(add(sum(mul(w, x)), b));
  Tensor loss = mul(y, y).sum();
  loss.backward();
  return tracer.take();
}

}  // namespace

TEST(Golden, FirstDifferenceNamesTheLine) {
  EXPECT_EQ(first_difference("a\nb\n", "a\nb\n"), "");
  EXPECT_EQ(first_difference("a\n0.295534\n", "a\n0.295535\n"), "line 2:\n  got      0.295534\n  expected 0.295535");
  EXPECT_EQ(first_difference("a\n", "a\nb\n"), "line 2:\n  got      (end of file)\n  expected b");
  EXPECT_NE(first_difference("a", "a\n"), "");
}

TEST(Golden, Seq2seqTraceMatchesTheCommittedFiles) { check_golden(trace_seq2seq(), "seq2seq"); }

TEST(Golden, TransformerAttentionOfEveryLayerAndHeadMatchesTheCommittedFiles) {
  check_golden(trace_transformer(), "transformer");
}

TEST(Golden, NeuronGraphAndBackwardMatchTheCommittedFiles) { check_golden(trace_neuron(), "neuron"); }

TEST(Golden, TwoRunsWriteIdenticalFiles) {
  // Whatever ran before (tape ids differ), the same computation gives the same files.
  TempFolder a("twice_a"), b("twice_b");
  trace::write_trace(trace_seq2seq(), a.path(), {.svg = false});
  Tensor unrelated = (ones({3}).requires_grad_() * 2.0f).sum();  // moves the tape's ids on
  trace::write_trace(trace_seq2seq(), b.path(), {.svg = false});
  for (const auto& entry : fs::directory_iterator(a.path())) {
    const fs::path other = b.path() / entry.path().filename();
    EXPECT_EQ(read_text(entry.path()), read_text(other)) << entry.path().filename();
  }
}
