// Tracer: what it records per step, the limits a learner sets, and that it attaches and
// detaches cleanly without keeping any graph alive.
#include "trace/tracer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "nn/lstm_cell.hpp"
#include "nn/rnn.hpp"
#include "support/gradcheck.hpp"
#include "trace_fixture.hpp"

using namespace glimpse;
using glimpse::test::TinySeq2seq;

namespace {

// Runs one teacher-forced pass and returns the loss.
Tensor run(const TinySeq2seq& m, const nn::Batch& batch) { return m.model->loss(batch); }

std::vector<float> row(const Tensor& t, int64_t b) {
  std::vector<float> all = t.contiguous().to_vector();
  const int64_t n = t.numel() / t.shape()[0];
  return {all.begin() + b * n, all.begin() + (b + 1) * n};
}

// A module that emits whatever a test wants, as recurrent and attention modules do.
class Emitter : public nn::Module {
 public:
  std::string kind() const override { return "Emitter"; }
  void emit(int64_t step, std::initializer_list<std::pair<const char*, const Tensor&>> values) const {
    nn::StepScope scope(step);
    emit_step(values);
  }
};

}  // namespace

TEST(Tracer, RecordsEveryStepOfEveryModuleWithTokens) {
  TinySeq2seq m;
  const nn::Example ex = TinySeq2seq::example();
  const nn::Batch batch = m.batch({ex});
  trace::Tracer tracer(*m.model, {.vocabulary = m.vocab.tokens()});
  tracer.begin_sequence(ex.source, {"<sos>", "c", "b", "a"});
  run(m, batch);

  const trace::Recording& rec = tracer.recording();
  ASSERT_EQ(rec.sequences.size(), 1u);
  const trace::Sequence& s = rec.sequences[0];
  std::vector<std::string> encoder_tokens, decoder_tokens;
  int64_t attention_steps = 0;
  for (const trace::StepEntry& e : s.steps) {
    if (e.module == "encoder.gru.cell_l0") {
      encoder_tokens.push_back(e.token);
      EXPECT_FALSE(e.target_side);
      for (const char* gate : {"h", "r", "z", "n"}) ASSERT_NE(e.find(gate), nullptr) << gate;
      EXPECT_EQ(e.find("h")->shape, Shape({4}));  // batch item 0 of [1, 4]
    }
    if (e.module == "decoder") {
      decoder_tokens.push_back(e.token);
      EXPECT_TRUE(e.target_side);
      ASSERT_EQ(e.predictions.size(), 3u);
      EXPECT_GE(e.predictions[0].probability, e.predictions[1].probability);
    }
    if (e.module == "decoder.attention") ++attention_steps;
  }
  EXPECT_EQ(encoder_tokens, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(decoder_tokens, (std::vector<std::string>{"<sos>", "c", "b", "a"}));
  EXPECT_EQ(attention_steps, 4);
}

TEST(Tracer, HiddenStatesEqualTheLayersOutput) {
  Generator gen(3);
  nn::GRU gru(2, 5, 1, false, gen);
  const Tensor x = randn({2, 4, 2}, gen);  // batch 2, 4 steps
  trace::Tracer tracer(gru, {.batch_item = 1});
  const nn::RecurrentOutput out = gru(x);
  const auto& steps = tracer.recording().sequences.at(0).steps;
  ASSERT_EQ(steps.size(), 4u);
  for (int64_t t = 0; t < 4; ++t) {
    EXPECT_EQ(steps[t].step, t);
    EXPECT_EQ(steps[t].module, "cell_l0");
    EXPECT_EQ(steps[t].find("h")->data, row(out.output.select(1, t), 1)) << "step " << t;
  }
}

TEST(Tracer, RecordsTheLstmCellState) {
  Generator gen(4);
  nn::LSTM lstm(2, 3, 1, false, gen);
  trace::Tracer tracer(lstm);
  const nn::RecurrentOutput out = lstm(randn({1, 3, 2}, gen));
  const auto& last = tracer.recording().sequences.at(0).steps.back();
  ASSERT_NE(last.find("c"), nullptr);
  EXPECT_EQ(last.find("c")->data, out.c_n.contiguous().to_vector());
  for (const char* gate : {"i", "f", "g", "o"}) EXPECT_NE(last.find(gate), nullptr) << gate;
}

TEST(Tracer, ModuleAndStepFilters) {
  TinySeq2seq m;
  const nn::Batch batch = m.batch({TinySeq2seq::example()});
  trace::Tracer tracer(*m.model, {.modules = {"decoder.cell", "encoder"}, .steps = {.first = 1, .last = 3, .every = 2}});
  run(m, batch);
  std::vector<std::pair<std::string, int64_t>> seen;
  for (const auto& e : tracer.recording().sequences.at(0).steps) seen.emplace_back(e.module, e.step);
  const std::vector<std::pair<std::string, int64_t>> expected = {
      {"encoder.gru.cell_l0", 1}, {"decoder.cell", 1}, {"decoder.cell", 3}};
  EXPECT_EQ(seen, expected);
}

TEST(Tracer, PrefixFilterMatchesWholePathSegmentsOnly) {
  Emitter root;
  trace::Tracer tracer({.modules = {"Emit"}});  // no model: modules are named by their kind
  root.emit(0, {{"h", ones({2})}});
  EXPECT_TRUE(tracer.recording().sequences.empty() || tracer.recording().sequences[0].steps.empty());
}

TEST(Tracer, WindowAndSamplingBoundMemory) {
  TinySeq2seq m;
  const nn::Batch batch = m.batch({TinySeq2seq::example()});
  trace::Tracer tracer(*m.model, {.every_sequence = 2, .max_sequences = 3, .record_graph = false});
  for (int i = 0; i < 10; ++i) {
    tracer.begin_sequence({}, {});
    run(m, batch);
  }
  const trace::Recording& rec = tracer.recording();
  EXPECT_EQ(rec.sequences_seen, 10);
  ASSERT_EQ(rec.sequences.size(), 3u);
  EXPECT_EQ(rec.sequences[0].index, 4);
  EXPECT_EQ(rec.sequences[1].index, 6);
  EXPECT_EQ(rec.sequences[2].index, 8);
}

TEST(Tracer, StartsANewSequenceWhenAStepRepeats) {
  TinySeq2seq m;
  const nn::Batch batch = m.batch({TinySeq2seq::example()});
  trace::Tracer tracer(*m.model);
  run(m, batch);
  run(m, batch);
  ASSERT_EQ(tracer.recording().sequences.size(), 2u);
  EXPECT_EQ(tracer.recording().sequences[0].steps.size(), tracer.recording().sequences[1].steps.size());
}

TEST(Tracer, ABidirectionalLayerIsOneSequencePerPass) {
  Generator gen(6);
  nn::GRU gru(2, 3, 1, true, gen);  // the reverse cell runs steps 3, 2, 1, 0
  const Tensor x = randn({1, 4, 2}, gen);
  trace::Tracer tracer(gru);
  gru(x);
  ASSERT_EQ(tracer.recording().sequences.size(), 1u);
  EXPECT_EQ(tracer.recording().sequences[0].steps.size(), 8u);
  gru(x);
  EXPECT_EQ(tracer.recording().sequences.size(), 2u);
}

TEST(Tracer, StepsPerSequenceAndValuesPerTensorAreCapped) {
  TinySeq2seq m;
  const nn::Batch batch = m.batch({TinySeq2seq::example()});
  trace::Tracer tracer(*m.model, {.max_steps_per_sequence = 5, .max_values = 2});
  run(m, batch);
  const trace::Sequence& s = tracer.recording().sequences.at(0);
  EXPECT_EQ(s.steps.size(), 5u);
  EXPECT_GT(s.dropped_steps, 0);
  const trace::Values* h = s.steps[0].find("h");
  EXPECT_EQ(h->data.size(), 2u);
  EXPECT_TRUE(h->truncated);
  EXPECT_EQ(h->numel(), 4);
}

TEST(Tracer, TopKPredictionsComeFromTheLogits) {
  Emitter e;
  trace::Tracer tracer({.vocabulary = {"x", "y", "z", "w"}, .top_k = 2});
  const Tensor logits = from_vector({0.0f, 2.0f, 1.0f, -1.0f}, {1, 4});
  e.emit(0, {{"logits", logits}});
  const auto& p = tracer.recording().sequences.at(0).steps.at(0).predictions;
  const std::vector<float> probs = softmax(logits, 1).to_vector();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].token, "y");
  EXPECT_EQ(p[1].token, "z");
  EXPECT_NEAR(p[0].probability, probs[1], 1e-6);
  EXPECT_NEAR(p[1].probability, probs[2], 1e-6);
}

TEST(Tracer, DetachesWhenItGoesOutOfScope) {
  Emitter e;
  {
    trace::Tracer tracer;
    EXPECT_TRUE(detail::t_has_observers);
    EXPECT_TRUE(nn::detail::t_has_step_observers);
  }
  EXPECT_FALSE(detail::t_has_observers);
  EXPECT_FALSE(nn::detail::t_has_step_observers);
}

TEST(Tracer, KeepsNoGraphAlive) {
  TinySeq2seq m;
  const nn::Batch batch = m.batch({TinySeq2seq::example()});
  trace::Tracer tracer(*m.model, {.graph_values = true});
  std::weak_ptr<detail::Node> loss_node;
  {
    Tensor loss = run(m, batch);
    loss_node = loss.node_ptr();
    loss.backward();
  }
  EXPECT_TRUE(loss_node.expired()) << "the recording must hold copies, not tensors";
  EXPECT_FALSE(tracer.recording().graph.nodes.empty());
}

TEST(Tracer, TakeMovesTheRecordingOut) {
  TinySeq2seq m;
  const nn::Batch batch = m.batch({TinySeq2seq::example()});
  trace::Tracer tracer(*m.model);
  run(m, batch);
  const trace::Recording rec = tracer.take();
  EXPECT_EQ(rec.sequences.size(), 1u);
  EXPECT_TRUE(tracer.recording().sequences.empty());
  run(m, batch);
  EXPECT_EQ(tracer.recording().sequences.at(0).index, 1);
}

// ---- the autograd graph ------------------------------------------------------------------------

TEST(TracerGraph, RecordsOpsShapesAndParameterNames) {
  TinySeq2seq m;
  const nn::Batch batch = m.batch({TinySeq2seq::example()});
  trace::Tracer tracer(*m.model);
  run(m, batch);
  const trace::Graph& g = tracer.recording().graph;
  ASSERT_FALSE(g.nodes.empty());
  std::set<std::string> names;
  for (const trace::GraphNode& n : g.nodes) {
    EXPECT_EQ(n.id, &n - g.nodes.data());
    for (int64_t in : n.inputs) EXPECT_LT(in, n.id) << "inputs come before the op";
    if (!n.name.empty()) names.insert(n.name);
  }
  for (const auto& [name, p] : m.model->named_parameters()) EXPECT_TRUE(names.count(name)) << name;
  EXPECT_EQ(g.nodes.back().shape, Shape{}) << "the last op made the scalar loss";
}

TEST(TracerGraph, OneClusterPerTimeStep) {
  TinySeq2seq m;
  const nn::Batch batch = m.batch({TinySeq2seq::example()});
  trace::Tracer tracer(*m.model);
  run(m, batch);
  std::map<int64_t, std::set<int64_t>> steps_of_cluster;
  for (const trace::GraphNode& n : tracer.recording().graph.nodes)
    if (n.cluster >= 0) steps_of_cluster[n.cluster].insert(n.step);
  // 3 encoder steps and 4 decoder steps, each its own cluster with a single step
  ASSERT_GE(steps_of_cluster.size(), 7u);
  for (const auto& [cluster, steps] : steps_of_cluster) EXPECT_EQ(steps.size(), 1u);
}

TEST(TracerGraph, BackwardTraceGradsEqualTheTensorsGrads) {
  TinySeq2seq m;
  const nn::Batch batch = m.batch({TinySeq2seq::example()});
  trace::Tracer tracer(*m.model);
  m.model->zero_grad();
  Tensor loss = run(m, batch);
  loss.backward();
  const trace::Graph& g = tracer.recording().graph;
  ASSERT_FALSE(g.backward.empty());
  int checked = 0;
  for (const trace::GraphNode& n : g.nodes) {
    if (n.name.empty()) continue;
    for (const auto& [name, p] : m.model->named_parameters()) {
      if (name != n.name) continue;
      ASSERT_TRUE(p.grad().defined()) << name;
      const std::vector<float> expected = p.grad().to_vector();
      ASSERT_EQ(n.grad.data.size(), expected.size()) << name;
      for (size_t i = 0; i < expected.size(); ++i)
        EXPECT_NEAR(n.grad.data[i], expected[i], 1e-6f * (1.0f + std::abs(expected[i]))) << name << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(m.model->named_parameters().size()));
  // Backward runs from the loss: its first step is the last op, with upstream gradient 1.
  EXPECT_EQ(g.backward.front().node, static_cast<int64_t>(g.nodes.size()) - 1);
  EXPECT_EQ(g.backward.front().grad_output.data, std::vector<float>{1.0f});
}

TEST(TracerGraph, BackwardStepsMatchRetainedGrads) {
  Tensor a = test::leaf(from_vector({1.0f, -2.0f, 0.5f}));
  Tensor b = test::leaf(from_vector({0.3f, 0.2f, -0.1f}));
  trace::Tracer tracer;
  Tensor y = tanh(a * b);
  y.retain_grad();
  Tensor loss = (y * y).sum();
  loss.backward();
  const trace::Graph& g = tracer.recording().graph;
  // n0 a, n1 b, n2 a*b, n3 tanh, n4 y*y, n5 sum
  ASSERT_EQ(g.nodes.size(), 6u);
  EXPECT_EQ(g.nodes[3].op, "tanh");
  EXPECT_EQ(g.nodes[3].grad.data, y.grad().to_vector());
  EXPECT_EQ(g.nodes[0].grad.data, a.grad().to_vector());
  EXPECT_EQ(g.nodes[1].grad.data, b.grad().to_vector());
  ASSERT_EQ(g.backward.size(), 4u);
  EXPECT_EQ(g.backward[0].op, "sum");
  // y*y uses y twice: both grads go to node 3, and their sum is y.grad.
  const trace::BackwardStep& square = g.backward[1];
  ASSERT_EQ(square.grad_inputs.size(), 2u);
  EXPECT_EQ(square.grad_inputs[0].first, 3);
  EXPECT_EQ(square.grad_inputs[1].first, 3);
}

TEST(TracerGraph, StopsAtTheNodeLimitAndOnlyRecordsOnePass) {
  Tensor a = test::leaf(from_vector({1.0f, 2.0f}));
  trace::Tracer tracer({.max_graph_nodes = 5});
  Tensor x = a;
  for (int i = 0; i < 10; ++i) x = tanh(x);
  EXPECT_TRUE(tracer.recording().graph.truncated);
  EXPECT_LE(tracer.recording().graph.nodes.size(), 5u);

  trace::Tracer second;
  Tensor y = (a * 2.0f).sum();
  y.backward();
  const size_t nodes = second.recording().graph.nodes.size();
  Tensor z = (a * 3.0f).sum();  // after backward: a new pass, not recorded
  z.backward();
  EXPECT_EQ(second.recording().graph.nodes.size(), nodes);
  EXPECT_EQ(second.recording().graph.backward.size(), 2u);
  second.restart_graph();
  Tensor w = (a * 4.0f).sum();
  EXPECT_EQ(second.recording().graph.nodes.size(), 3u);  // a, a*4, sum
}
