// write_trace: the files, their stable names, the index, and that Graphviz reads every DOT file
// back (agmemread) and renders it.
#include "trace/write_trace.hpp"

#include <gtest/gtest.h>

#include "trace/output_folder.hpp"
#include "trace/render.hpp"
#include "trace/tracer.hpp"
#include "trace_fixture.hpp"

using namespace glimpse;
namespace fs = std::filesystem;
using glimpse::test::read_text;
using glimpse::test::TempFolder;
using glimpse::test::TinySeq2seq;

namespace {

trace::Recording traced_training_step(const TinySeq2seq& m, int sequences = 1) {
  trace::Tracer tracer(*m.model, {.vocabulary = m.vocab.tokens(), .graph_values = true});
  const nn::Example ex = TinySeq2seq::example();
  for (int i = 0; i < sequences; ++i) {
    tracer.begin_sequence(ex.source, {"<sos>", "c", "b", "a"});
    Tensor loss = m.model->loss(m.batch({ex}));
    if (i == 0) loss.backward();
  }
  return tracer.take();
}

}  // namespace

TEST(WriteTrace, WritesEveryViewWithStableNamesAndAnIndex) {
  TinySeq2seq m;
  const trace::Recording rec = traced_training_step(m, 2);
  TempFolder tmp("write_all");
  const auto files = trace::write_trace(rec, tmp.path());
  std::vector<std::string> names;
  for (const auto& [name, what] : files) names.push_back(name);
  for (const char* expected :
       {"sequences.txt", "steps.tsv", "graph.dot", "backward.txt", "attention_000.dot", "alignment_000.dot",
        "attention_001.dot", "alignment_001.dot", "hidden_000.dot"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  const std::string index = read_text(tmp.path() / "index.txt");
  for (const auto& [name, what] : files) {
    EXPECT_TRUE(fs::is_regular_file(tmp.path() / name)) << name;
    EXPECT_NE(index.find(name + "  "), std::string::npos) << name << " missing from index.txt";
  }
  for (const auto& entry : fs::directory_iterator(tmp.path()))
    EXPECT_NE(entry.path().filename().string().front(), '.') << "temporary file left: " << entry.path();
}

TEST(WriteTrace, GraphvizParsesAndRendersEveryDotFile) {
  if (!trace::graphviz_available()) GTEST_SKIP() << "built without Graphviz";
  TinySeq2seq m;
  const trace::Recording rec = traced_training_step(m);
  TempFolder tmp("parse");
  int dot_files = 0;
  for (const auto& [name, what] : trace::write_trace(rec, tmp.path())) {
    if (name.ends_with(".dot")) {
      ++dot_files;
      EXPECT_EQ(trace::dot_parse_error(read_text(tmp.path() / name)), "") << name;
      const fs::path svg = tmp.path() / (name.substr(0, name.size() - 4) + ".svg");
      ASSERT_TRUE(fs::is_regular_file(svg)) << svg;
      EXPECT_NE(read_text(svg).find("<svg"), std::string::npos) << svg;
    }
  }
  EXPECT_GE(dot_files, 4);
}

TEST(WriteTrace, WithoutSvgOnlyDotIsWritten) {
  TinySeq2seq m;
  const trace::Recording rec = traced_training_step(m);
  TempFolder tmp("no_svg");
  for (const auto& [name, what] : trace::write_trace(rec, tmp.path(), {.svg = false}))
    EXPECT_FALSE(name.ends_with(".svg")) << name;
}

TEST(WriteTrace, ABadFolderIsAnErrorNamingIt) {
  TempFolder tmp("bad_folder");
  { std::ofstream(tmp.path() / "file") << "x"; }
  const fs::path bad = tmp.path() / "file" / "out";
  try {
    trace::write_trace(trace::Recording{}, bad);
    FAIL() << "expected glimpse::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(bad.string()), std::string::npos) << e.what();
  }
}

TEST(WriteTrace, StepsWithoutTokensStillRender) {
  if (!trace::graphviz_available()) GTEST_SKIP() << "built without Graphviz";
  TinySeq2seq m;
  trace::Tracer tracer(*m.model, {.record_graph = false});
  m.model->loss(m.batch({TinySeq2seq::example()}));  // no begin_sequence: no tokens
  TempFolder tmp("no_tokens");
  const auto files = trace::write_trace(tracer.recording(), tmp.path());
  EXPECT_TRUE(fs::is_regular_file(tmp.path() / "hidden_000.svg"));
  EXPECT_TRUE(fs::is_regular_file(tmp.path() / "attention_000.svg"));
}

TEST(WriteTrace, WritePictureForALessonsOwnDrawing) {
  TempFolder tmp("picture");
  trace::OutputFolder out(tmp.path());
  trace::write_picture(out, "mine", "digraph { a -> b }", "a lesson's own picture");
  ASSERT_GE(out.files().size(), 1u);
  EXPECT_EQ(out.files()[0].first, "mine.dot");
  EXPECT_EQ(out.files()[0].second, "a lesson's own picture (Graphviz DOT)");
  EXPECT_EQ(fs::is_regular_file(tmp.path() / "mine.svg"), trace::graphviz_available());
}
