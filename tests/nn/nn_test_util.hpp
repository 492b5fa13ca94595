// Helpers shared by the tests of Glimpse's own nn layers (Linear, cells, recurrent layers,
// optimisers): PyTorch fixtures into modules, gradients compared by parameter name, step records.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "glimpse.hpp"
#include "nn/module.hpp"
#include "nn/state.hpp"
#include "support/fixtures.hpp"
#include "support/gradcheck.hpp"

namespace glimpse::test {

using Fixture = std::map<std::string, Tensor>;

// Every parameter's .grad matches fixture["grad." + name] (names come from named_parameters()).
inline ::testing::AssertionResult grads_match(const nn::Module& module, const Fixture& fx,
                                              const std::string& prefix = "grad.", float rtol = 1e-5f,
                                              float atol = 1e-6f) {
  for (const auto& [name, p] : module.named_parameters()) {
    const auto it = fx.find(prefix + name);
    if (it == fx.end()) return ::testing::AssertionFailure() << "fixture has no " << prefix << name;
    const auto result = all_close(p.grad(), it->second, rtol, atol);
    if (!result) return ::testing::AssertionFailure() << "gradient of '" << name << "': " << result.message();
  }
  return ::testing::AssertionSuccess();
}

// Class ids saved as floats by the fixture script.
inline IndexTensor to_index(const Tensor& t) {
  std::vector<int64_t> ids;
  for (float v : t.to_vector()) ids.push_back(static_cast<int64_t>(v));
  return IndexTensor(ids, t.shape());
}

// Listens to modules' step hooks while alive.
struct StepRecorder : nn::StepObserver {
  StepRecorder() { nn::add_step_observer(this); }
  ~StepRecorder() override { nn::remove_step_observer(this); }
  void on_step(const nn::StepRecord& record) override { records.push_back(record); }
  std::vector<std::string> names(size_t i) const {
    std::vector<std::string> out;
    for (const auto& [name, value] : records.at(i).values) out.push_back(name);
    return out;
  }
  std::vector<nn::StepRecord> records;
};

// Parameter names in order, for expectations on named_parameters().
inline std::vector<std::string> parameter_names(const nn::Module& module) {
  std::vector<std::string> out;
  for (const auto& [name, p] : module.named_parameters()) out.push_back(name);
  return out;
}

// Trains `model` for `steps` Adam steps on the batcher's batches; returns the first and last losses.
struct LossEnds {
  float first = 0, last = 0;
};
inline LossEnds train_seq2seq(nn::Seq2seq& model, nn::Batcher& batcher, int steps, float lr) {
  nn::Adam adam(model.parameters(), nn::AdamOptions{.lr = lr});
  LossEnds ends;
  for (int step = 0; step < steps; ++step) {
    const nn::Batch batch = batcher.next();
    adam.zero_grad();
    Tensor loss = model.loss(batch);
    loss.backward();
    adam.step();
    (step == 0 ? ends.first : ends.last) = loss.item();
  }
  return ends;
}

}  // namespace glimpse::test
