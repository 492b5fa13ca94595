// Tests for autograd/tape.cpp: the backward engine's semantics (accumulation, retain_grad,
// no-grad mode, freed graphs, deep graphs) and the observer hooks.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "autograd_test_util.hpp"

using namespace glimpse;
using glimpse::test::values_near;

namespace {
Tensor param(std::vector<float> v, const Shape& shape) {
  Tensor t = from_vector(v, shape);
  t.requires_grad_();
  return t;
}
Tensor param(std::vector<float> v) { return param(v, Shape{static_cast<int64_t>(v.size())}); }
}  // namespace

// ---- accumulation -------------------------------------------------------------------------

TEST(Tape, GradsAccumulateAcrossBackwardPasses) {
  Tensor x = param({1, 2});
  mul(x, x).sum().backward();  // 2x
  EXPECT_TRUE(values_near(x.grad(), {2}, {2, 4}));
  mul(x, 3.0f).sum().backward();  // + 3
  EXPECT_TRUE(values_near(x.grad(), {2}, {5, 7}));
}

TEST(Tape, ZeroGradClears) {
  Tensor x = param({1, 2});
  mul(x, x).sum().backward();
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
  mul(x, 3.0f).sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {2}, {3, 3}));
}

TEST(Tape, GradIsItsOwnTensor) {
  // The first gradient is copied into .grad, so accumulating later never writes into a tensor
  // that flowed through the graph (here: the seed the caller passed in).
  Tensor x = param({1, 2});
  const Tensor seed = from_vector({1, 1});
  x.backward(seed);
  x.backward(seed);
  EXPECT_TRUE(values_near(x.grad(), {2}, {2, 2}));
  EXPECT_TRUE(values_near(seed, {2}, {1, 1}));
  // The same for a non-leaf that retains its grad.
  Tensor y = param({3, 4});
  Tensor z = mul(y, 1.0f);
  z.retain_grad();
  const Tensor g = from_vector({5, 6});
  z.backward(g, true);
  z.backward(g);
  EXPECT_TRUE(values_near(g, {2}, {5, 6}));
  EXPECT_TRUE(values_near(z.grad(), {2}, {10, 12}));
  EXPECT_TRUE(values_near(y.grad(), {2}, {10, 12}));
}

TEST(Tape, NodeUsedTwiceGetsTheSum) {
  Tensor x = param({3});
  Tensor y = mul(x, 2.0f);
  Tensor z = add(mul(y, y), y);  // z = 4x² + 2x, dz/dx = 8x + 2
  z.sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {1}, {26}));
}

TEST(Tape, DiamondGraph) {
  Tensor x = param({0.5f, -1});
  Tensor a = tanh(x);
  Tensor b = exp(x);
  Tensor c = mul(a, b);  // d/dx tanh(x)·e^x = (1 - tanh²)e^x + tanh·e^x
  c.sum().backward();
  std::vector<float> expected;
  for (float v : {0.5f, -1.0f}) expected.push_back((1 - std::tanh(v) * std::tanh(v)) * std::exp(v) + std::tanh(v) * std::exp(v));
  EXPECT_TRUE(values_near(x.grad(), {2}, expected));
}

TEST(Tape, BackwardWithGradForNonScalars) {
  Tensor x = param({1, 2, 3});
  Tensor y = mul(x, x);
  y.backward(from_vector({1, 0, -1}));
  EXPECT_TRUE(values_near(x.grad(), {3}, {2, 0, -6}));
  // A scalar with one element of any shape may use backward() without a grad.
  Tensor w = param({2}, {1, 1});
  mul(w, w).backward();
  EXPECT_TRUE(values_near(w.grad(), {1, 1}, {4}));
}

TEST(Tape, BackwardOnALeafSeedsItsGrad) {
  Tensor x = param({1, 2});
  x.backward(from_vector({3, 4}));
  EXPECT_TRUE(values_near(x.grad(), {2}, {3, 4}));
}

// ---- detach, retain_grad, no_grad ----------------------------------------------------------

TEST(Tape, DetachCutsTheGraph) {
  Tensor x = param({2});
  Tensor y = mul(x, x);
  Tensor d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_TRUE(d.inputs().empty());
  EXPECT_EQ(d.item(), 4);
  Tensor z = mul(y, d);  // d is a constant here
  z.sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {1}, {16}));  // d(x²·4)/dx = 8x
}

TEST(Tape, RetainGradOnNonLeaf) {
  Tensor x = param({1, 2});
  Tensor h = mul(x, 3.0f);
  Tensor k = mul(x, 5.0f);
  h.retain_grad();
  mul(h, h).sum().backward();
  EXPECT_TRUE(values_near(h.grad(), {2}, {6, 12}));  // 2h
  EXPECT_TRUE(values_near(x.grad(), {2}, {18, 36}));
  EXPECT_FALSE(k.grad().defined());  // non-leaf without retain_grad: no .grad
}

TEST(Tape, IntermediatesDoNotKeepGrad) {
  Tensor x = param({1});
  Tensor h = mul(x, 3.0f);
  h.sum().backward();
  EXPECT_FALSE(h.grad().defined());
  EXPECT_TRUE(x.grad().defined());
}

TEST(Tape, NoGradGuard) {
  Tensor x = param({1, 2});
  EXPECT_TRUE(is_grad_enabled());
  {
    NoGradGuard no_grad;
    EXPECT_FALSE(is_grad_enabled());
    Tensor y = mul(x, x);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.inputs().empty());
    EXPECT_EQ(y.op_name(), "mul");  // still named, for the tracer
    EXPECT_EQ(y.grad_fn_name(), "");
    {
      NoGradGuard nested;
      EXPECT_FALSE(is_grad_enabled());
    }
    EXPECT_FALSE(is_grad_enabled());  // the inner guard restores "off", not "on"
  }
  EXPECT_TRUE(is_grad_enabled());
  EXPECT_TRUE(mul(x, x).requires_grad());
}

TEST(Tape, NoGradGuardRestoresOnException) {
  try {
    NoGradGuard no_grad;
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  EXPECT_TRUE(is_grad_enabled());
}

TEST(Tape, OpsWithoutGradInputsAreNotRecorded) {
  Tensor a = ones({2});
  Tensor b = ones({2});
  Tensor c = add(a, b);
  EXPECT_FALSE(c.requires_grad());
  EXPECT_TRUE(c.inputs().empty());
  EXPECT_TRUE(c.is_leaf());
  EXPECT_EQ(c.op_name(), "add");
}

// ---- freed graphs ------------------------------------------------------------------------

TEST(Tape, SecondBackwardOnAFreedGraphIsAnError) {
  Tensor x = param({1, 2});
  Tensor loss = mul(x, x).sum();
  loss.backward();
  try {
    loss.backward();
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "backward");
    EXPECT_NE(std::string(e.what()).find("already freed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("retain_graph"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(values_near(x.grad(), {2}, {2, 4}));  // unchanged by the failed call
}

TEST(Tape, FreedIntermediateIsAnErrorToo) {
  Tensor x = param({1, 2});
  Tensor y = mul(x, x);
  y.sum().backward();  // frees y's graph
  try {
    mul(y, 2.0f).sum().backward();
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'mul'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("already freed"), std::string::npos) << e.what();
  }
}

TEST(Tape, RetainGraphAllowsASecondBackward) {
  Tensor x = param({1, 2});
  Tensor y = mul(x, x);
  y.backward(from_vector({1, 1}), /*retain_graph=*/true);
  EXPECT_EQ(y.inputs().size(), 2u);  // the graph is still there
  y.backward(from_vector({1, 1}));
  EXPECT_TRUE(values_near(x.grad(), {2}, {4, 8}));
  EXPECT_TRUE(y.inputs().empty());  // and now it is freed
  EXPECT_FALSE(y.is_leaf());
  EXPECT_EQ(y.grad_fn_name(), "MulBackward");  // the name outlives the graph
}

TEST(Tape, FailedBackwardLeavesNoStaleGradients) {
  // A backward that fails half-way (it reaches a freed part of the graph) must not leave
  // gradients parked on nodes it did not finish: a later backward would add them in.
  Tensor x = param({1});
  Tensor u = mul(x, 2.0f);
  Tensor v = mul(u, 3.0f);
  v.sum().backward();  // frees v and u
  x.zero_grad();
  Tensor w = mul(x, 4.0f);  // created after v: visited before v in the next pass
  EXPECT_THROW(add(v, w).sum().backward(), Error);
  x.zero_grad();
  mul(x, 1.0f).sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {1}, {1}));
}

// ---- deep graphs -------------------------------------------------------------------------

TEST(Tape, TenThousandStepChainBackwardAndTeardown) {
  Generator gen(7);
  Tensor w = test::leaf(mul(randn({4}, gen), 0.5f));
  Tensor x = randn({4}, gen);
  Tensor h = zeros({4});
  for (int t = 0; t < 10000; ++t) h = tanh(add(mul(h, w), x));
  Tensor loss = h.sum();
  loss.backward();
  ASSERT_TRUE(w.grad().defined());
  for (float g : w.grad().to_vector()) EXPECT_TRUE(std::isfinite(g));
  h = Tensor();
  loss = Tensor();  // teardown of whatever is left
}

TEST(Tape, TenThousandStepChainTeardownWithoutBackward) {
  // Never run backward: the whole 30 000-node graph is released by the last handle.
  Tensor w = test::leaf(full({2}, 0.5f));
  Tensor h = zeros({2});
  for (int t = 0; t < 10000; ++t) h = tanh(add(mul(h, w), 1.0f));
  h = Tensor();
  SUCCEED();
}

TEST(Tape, DeepChainWithRetainedGraph) {
  Tensor w = test::leaf(full({2}, 0.5f));
  Tensor h = ones({2});
  for (int t = 0; t < 10000; ++t) h = mul(h, w).sigmoid();
  Tensor loss = h.sum();
  loss.backward(ones({}), /*retain_graph=*/true);
  const std::vector<float> first = w.grad().to_vector();
  w.zero_grad();
  loss.backward();
  EXPECT_EQ(w.grad().to_vector(), first);
}

// ---- walking the graph ---------------------------------------------------------------------

TEST(Tape, NamesInputsAndIds) {
  Tensor x = param({1, 2, 3, 4}, {2, 2});
  Tensor w = param({1, 0, 0, 1}, {2, 2});
  Tensor y = matmul(x, w);
  Tensor z = tanh(y);
  Tensor loss = z.sum();
  EXPECT_EQ(loss.op_name(), "sum");
  EXPECT_EQ(loss.grad_fn_name(), "SumBackward");
  EXPECT_EQ(z.grad_fn_name(), "TanhBackward");
  EXPECT_EQ(y.grad_fn_name(), "MatmulBackward");
  EXPECT_EQ(x.op_name(), "");
  EXPECT_EQ(x.grad_fn_name(), "");
  ASSERT_EQ(loss.inputs().size(), 1u);
  EXPECT_EQ(loss.inputs()[0].node(), z.node());
  ASSERT_EQ(z.inputs().size(), 1u);
  const Tensor& yy = z.inputs()[0];
  EXPECT_EQ(yy.op_name(), "matmul");
  ASSERT_EQ(yy.inputs().size(), 2u);
  EXPECT_EQ(yy.inputs()[0].node(), x.node());
  EXPECT_EQ(yy.inputs()[1].node(), w.node());
  EXPECT_TRUE(yy.inputs()[0].is_leaf());
  // Ids increase along the tape.
  EXPECT_LT(x.id(), w.id());
  EXPECT_LT(w.id(), y.id());
  EXPECT_LT(y.id(), z.id());
  EXPECT_LT(z.id(), loss.id());
  EXPECT_EQ(from_vector({1}).grad_fn_name(), "");
  Tensor ls = log_softmax(x, 1);
  EXPECT_EQ(ls.grad_fn_name(), "LogSoftmaxBackward");
}

TEST(Tape, WalkTheWholeGraph) {
  Tensor a = param({1, 2});
  Tensor b = param({3, 4});
  Tensor c = add(mul(a, b), a).sum();
  // Iterative walk: collect op names of every node reachable from c.
  std::vector<Tensor> stack{c};
  std::multiset<std::string> ops;
  std::set<const detail::Node*> seen;
  while (!stack.empty()) {
    Tensor t = stack.back();
    stack.pop_back();
    if (!seen.insert(t.node()).second) continue;
    ops.insert(t.op_name().empty() ? "leaf" : t.op_name());
    for (const Tensor& in : t.inputs()) stack.push_back(in);
  }
  EXPECT_EQ(ops, (std::multiset<std::string>{"sum", "add", "mul", "leaf", "leaf"}));
}

// ---- observers ---------------------------------------------------------------------------

namespace {
struct Recorder : TapeObserver {
  std::vector<std::string> ops;
  std::vector<uint64_t> op_ids;
  struct Step {
    std::string op;
    uint64_t id;
    std::vector<float> grad_output;
    std::vector<std::vector<float>> grad_inputs;  // empty vector where undefined
  };
  std::vector<Step> steps;

  // Ops that went on the tape. (Observers are also told about ops run without grad, e.g. the
  // backward pass's own arithmetic; those carry requires_grad() == false.)
  void on_op(const Tensor& output) override {
    if (!output.requires_grad()) return;
    ops.push_back(output.op_name());
    op_ids.push_back(output.id());
  }
  void on_backward_step(const Tensor& output, const Tensor& grad_output,
                        std::span<const Tensor> grad_inputs) override {
    Step s{output.op_name(), output.id(), grad_output.to_vector(), {}};
    for (const Tensor& g : grad_inputs) s.grad_inputs.push_back(g.defined() ? g.to_vector() : std::vector<float>{});
    steps.push_back(std::move(s));
  }
};

struct ObserverScope {
  explicit ObserverScope(TapeObserver* o) : observer(o) { add_tape_observer(o); }
  ~ObserverScope() { remove_tape_observer(observer); }
  TapeObserver* observer;
};
}  // namespace

TEST(TapeObservers, SeeOpsAndBackwardSteps) {
  Recorder rec;
  Tensor x = param({1, 2});
  Tensor c = from_vector({3, 4});  // needs no grad
  Tensor y, z, loss;
  {
    ObserverScope scope(&rec);
    y = mul(x, c);    // [3, 8]
    z = tanh(y);
    loss = z.sum();
    loss.backward();
  }
  ASSERT_EQ(rec.ops, (std::vector<std::string>{"mul", "tanh", "sum"}));
  EXPECT_EQ(rec.op_ids, (std::vector<uint64_t>{y.id(), z.id(), loss.id()}));
  // Backward visits the ops latest first.
  ASSERT_EQ(rec.steps.size(), 3u);
  EXPECT_EQ(rec.steps[0].op, "sum");
  EXPECT_EQ(rec.steps[1].op, "tanh");
  EXPECT_EQ(rec.steps[2].op, "mul");
  EXPECT_EQ(rec.steps[0].grad_output, (std::vector<float>{1}));
  EXPECT_EQ(rec.steps[0].grad_inputs[0], (std::vector<float>{1, 1}));
  // What tanh receives is what sum sent; what tanh sends is what mul receives.
  EXPECT_EQ(rec.steps[1].grad_output, rec.steps[0].grad_inputs[0]);
  EXPECT_EQ(rec.steps[2].grad_output, rec.steps[1].grad_inputs[0]);
  const float t3 = std::tanh(3.0f), t8 = std::tanh(8.0f);
  ASSERT_EQ(rec.steps[1].grad_inputs[0].size(), 2u);
  EXPECT_NEAR(rec.steps[1].grad_inputs[0][0], 1 - t3 * t3, 1e-6f);
  EXPECT_NEAR(rec.steps[1].grad_inputs[0][1], 1 - t8 * t8, 1e-6f);
  // mul sends x its gradient and nothing to c, which needs none.
  ASSERT_EQ(rec.steps[2].grad_inputs.size(), 2u);
  EXPECT_TRUE(rec.steps[2].grad_inputs[1].empty());
  EXPECT_EQ(rec.steps[2].grad_inputs[0], x.grad().to_vector());
}

TEST(TapeObservers, GradientsTheyWereShownAreNeverChangedLater) {
  // x feeds five ops, so its gradients are summed: the first is adopted, later ones are added
  // into a sum only the tape holds. The tensors observers were handed must keep their values.
  struct KeepHandles : TapeObserver {
    std::vector<std::pair<Tensor, std::vector<float>>> kept;  // tensor, values when handed over
    void on_backward_step(const Tensor&, const Tensor& grad_output, std::span<const Tensor> grad_inputs) override {
      kept.emplace_back(grad_output, grad_output.to_vector());
      for (const Tensor& g : grad_inputs)
        if (g.defined()) kept.emplace_back(g, g.to_vector());
    }
  } observer;
  Tensor x = param({1, 2});
  {
    ObserverScope scope(&observer);
    Tensor total = mul(x, 1.0f);
    for (float k = 2; k <= 5; ++k) total = add(total, mul(x, k));
    total.sum().backward();
  }
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{15, 15}));
  ASSERT_FALSE(observer.kept.empty());
  for (const auto& [tensor, values] : observer.kept) EXPECT_EQ(tensor.to_vector(), values);
}

TEST(TapeObservers, RemovedObserverSeesNothing) {
  Recorder rec;
  add_tape_observer(&rec);
  remove_tape_observer(&rec);
  Tensor x = param({1});
  mul(x, x).sum().backward();
  EXPECT_TRUE(rec.ops.empty());
  EXPECT_TRUE(rec.steps.empty());
}

TEST(TapeObservers, TwoObserversBothSeeEverything) {
  Recorder a, b;
  Tensor x = param({1});
  {
    ObserverScope sa(&a), sb(&b);
    exp(x).sum().backward();
  }
  EXPECT_EQ(a.ops, b.ops);
  EXPECT_EQ(a.ops.size(), 2u);
  EXPECT_EQ(a.steps.size(), 2u);
  EXPECT_EQ(b.steps.size(), 2u);
}
