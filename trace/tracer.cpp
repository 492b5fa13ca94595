// Lessons 01, 04, 06: the tracer listens to the tape and to the modules' step hooks and keeps
// copies of what it sees, within the limits the learner set.
#include "trace/tracer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace glimpse::trace {

namespace {

// "decoder" covers "decoder" and "decoder.attention", not "decoder2".
bool under(const std::string& path, const std::string& prefix) {
  if (prefix.empty() || path == prefix) return true;
  return path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
         path[prefix.size()] == '.';
}

// Sets a flag for the duration of a scope (the tracer's own work is not traced).
class FlagScope {
 public:
  explicit FlagScope(bool& flag) : flag_(flag) { flag_ = true; }
  ~FlagScope() { flag_ = false; }

 private:
  bool& flag_;
};

}  // namespace

bool StepRange::contains(int64_t step) const {
  if (step < 0) return true;
  if (step < first || step > last) return false;
  return every <= 1 || (step - first) % every == 0;
}

Tracer::Tracer(const nn::Module& model, TraceOptions options) : Tracer(std::move(options)) {
  model_ = &model;
  for (const auto& [path, module] : model.named_modules()) module_paths_.emplace(module, path);
  for (const auto& [name, p] : model.named_parameters()) parameter_names_.emplace(p.node(), name);
}

Tracer::Tracer(TraceOptions options) : options_(std::move(options)) {
  graph_open_ = options_.record_graph;
  add_tape_observer(this);
  nn::add_step_observer(this);
}

Tracer::~Tracer() {
  nn::remove_step_observer(this);
  remove_tape_observer(this);
}

// ---- sequences and steps ---------------------------------------------------------------------

void Tracer::begin_sequence(std::vector<std::string> source, std::vector<std::string> target) {
  start_sequence(std::move(source), std::move(target));
}

void Tracer::begin_sequence_ids(const std::vector<int64_t>& source, const std::vector<int64_t>& target) {
  std::vector<std::string> s, t;
  for (int64_t id : source) s.push_back(token_name(id));
  for (int64_t id : target) t.push_back(token_name(id));
  start_sequence(std::move(s), std::move(t));
}

void Tracer::start_sequence(std::vector<std::string> source, std::vector<std::string> target) {
  const int64_t index = recording_.sequences_seen++;
  have_sequence_ = true;
  step_ranges_.clear();
  keep_sequence_ = options_.max_sequences > 0 &&
                   (options_.every_sequence <= 1 || index % options_.every_sequence == 0);
  if (!keep_sequence_) return;
  auto& sequences = recording_.sequences;
  if (static_cast<int64_t>(sequences.size()) >= options_.max_sequences)
    sequences.erase(sequences.begin());  // the window slides: forget the oldest
  Sequence& s = sequences.emplace_back();
  s.index = index;
  s.source = std::move(source);
  s.target = std::move(target);
}

bool Tracer::is_traced(const std::string& path) const {
  if (options_.modules.empty()) return true;
  return std::any_of(options_.modules.begin(), options_.modules.end(),
                     [&](const std::string& prefix) { return under(path, prefix); });
}

bool Tracer::reads_target(const std::string& path) const {
  return std::any_of(options_.target_modules.begin(), options_.target_modules.end(),
                     [&](const std::string& prefix) { return !prefix.empty() && under(path, prefix); });
}

std::string Tracer::token_name(int64_t id) const {
  if (id >= 0 && id < static_cast<int64_t>(options_.vocabulary.size())) return options_.vocabulary[id];
  return fmt::format("#{}", id);
}

std::vector<Prediction> Tracer::top_predictions(const Values& v, bool are_logits) const {
  if (v.shape.size() != 1 || v.truncated || v.empty() || options_.top_k <= 0) return {};
  const std::vector<float>& x = v.data;
  std::vector<float> p(x.size());
  if (are_logits) {  // softmax, with the max subtracted for stability
    const float m = *std::max_element(x.begin(), x.end());
    double total = 0.0;
    for (size_t i = 0; i < x.size(); ++i) total += p[i] = std::exp(x[i] - m);
    for (float& pi : p) pi = static_cast<float>(pi / total);
  } else {
    p = x;
  }
  std::vector<int64_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  const size_t k = std::min<size_t>(options_.top_k, order.size());
  // Ties go to the smaller id, so the order is deterministic.
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](int64_t a, int64_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
  std::vector<Prediction> out;
  for (size_t i = 0; i < k; ++i) out.push_back({order[i], token_name(order[i]), p[order[i]]});
  return out;
}

void Tracer::on_step(const nn::StepRecord& record) {
  if (in_hook_) return;
  FlagScope busy(in_hook_);
  std::string path = record.kind;
  if (model_) {
    const auto it = module_paths_.find(record.module);
    if (it == module_paths_.end()) return;  // a module that is not part of the traced model
    path = it->second;
  }
  // A module running a step it already ran means the model started on a new sequence.
  auto range = step_ranges_.find(path);
  if (!have_sequence_ || (range != step_ranges_.end() && range->second.first <= record.step &&
                          record.step <= range->second.second)) {
    start_sequence({}, {});
    range = step_ranges_.end();
  }
  if (range == step_ranges_.end())
    step_ranges_[path] = {record.step, record.step};
  else
    range->second = {std::min(range->second.first, record.step), std::max(range->second.second, record.step)};
  if (!keep_sequence_ || !is_traced(path) || !options_.steps.contains(record.step)) return;
  Sequence& sequence = recording_.sequences.back();
  if (static_cast<int64_t>(sequence.steps.size()) >= options_.max_steps_per_sequence) {
    ++sequence.dropped_steps;
    return;
  }
  StepEntry entry;
  entry.module = path;
  entry.kind = record.kind;
  entry.step = record.step;
  entry.target_side = reads_target(path);
  const std::vector<std::string>& tokens = entry.target_side ? sequence.target : sequence.source;
  if (record.step >= 0 && record.step < static_cast<int64_t>(tokens.size())) entry.token = tokens[record.step];
  for (const auto& [name, tensor] : record.values) {
    Values v = copy_batch_item(tensor, options_.batch_item, options_.max_values);
    if (entry.predictions.empty() && (name == "logits" || name == "probs"))
      entry.predictions = top_predictions(v, name == "logits");
    entry.values.emplace_back(name, std::move(v));
  }
  sequence.steps.push_back(std::move(entry));
}

Recording Tracer::take() {
  Recording out = std::move(recording_);
  recording_ = Recording{};
  recording_.sequences_seen = out.sequences_seen;
  have_sequence_ = false;
  graph_ids_.clear();
  backward_seen_.clear();
  graph_open_ = false;  // the graph went with the recording; restart_graph() records another
  return out;
}

// ---- the autograd graph ----------------------------------------------------------------------

void Tracer::restart_graph() {
  recording_.graph = Graph{};
  graph_ids_.clear();
  backward_seen_.clear();
  last_step_ = -1;
  next_cluster_ = 0;
  graph_open_ = options_.record_graph;
}

void Tracer::name(const Tensor& t, std::string name) {
  if (const auto it = graph_ids_.find(t.id()); it != graph_ids_.end()) recording_.graph.nodes[it->second].name = name;
  parameter_names_[t.node()] = std::move(name);
}

int64_t Tracer::add_graph_node(GraphNode node, uint64_t tape_id) {
  Graph& graph = recording_.graph;
  node.id = static_cast<int64_t>(graph.nodes.size());
  graph_ids_.emplace(tape_id, node.id);
  graph.nodes.push_back(std::move(node));
  backward_seen_.push_back(false);
  return graph.nodes.back().id;
}

int64_t Tracer::graph_node_for_input(const Tensor& input) {
  if (const auto it = graph_ids_.find(input.id()); it != graph_ids_.end()) return it->second;
  GraphNode node;
  // A leaf: made by the user, or by an op that was not recorded (no input needed grad). Else an
  // op's output computed before recording began.
  node.outside = !input.is_leaf();
  if (node.outside) node.op = input.op_name();
  if (const auto it = parameter_names_.find(input.node()); it != parameter_names_.end()) node.name = it->second;
  node.shape = input.shape();
  node.requires_grad = input.requires_grad();
  if (options_.graph_values) node.value = copy_values(input, options_.max_values);
  return add_graph_node(std::move(node), input.id());
}

void Tracer::on_op(const Tensor& output) {
  // Only ops that went on the tape: ops run without grad (including the backward pass's own
  // arithmetic) are not part of the graph.
  if (!graph_open_ || in_hook_ || !output.requires_grad()) return;
  FlagScope busy(in_hook_);
  Graph& graph = recording_.graph;
  const auto& inputs = output.inputs();
  if (static_cast<int64_t>(graph.nodes.size() + inputs.size() + 1) > options_.max_graph_nodes) {
    graph.truncated = true;
    graph_open_ = false;
    return;
  }
  GraphNode node;
  node.op = output.op_name();
  node.shape = output.shape();
  node.requires_grad = true;
  for (const Tensor& in : inputs) node.inputs.push_back(graph_node_for_input(in));
  node.step = nn::detail::t_current_step;
  if (node.step >= 0) {
    // Consecutive ops run at one time step form one cluster: the recurrence reads left to right.
    if (node.step != last_step_ || next_cluster_ == 0) ++next_cluster_;
    node.cluster = next_cluster_ - 1;
  }
  last_step_ = node.step;
  if (options_.graph_values) node.value = copy_values(output, options_.max_values);
  add_graph_node(std::move(node), output.id());
}

void Tracer::on_backward_step(const Tensor& output, const Tensor& grad_output,
                              std::span<const Tensor> grad_inputs) {
  if (in_hook_) return;
  FlagScope busy(in_hook_);
  graph_open_ = false;  // the forward pass is over
  Graph& graph = recording_.graph;
  if (!options_.record_backward || static_cast<int64_t>(graph.backward.size()) >= options_.max_backward_steps)
    return;
  const auto it = graph_ids_.find(output.id());
  if (it == graph_ids_.end() || backward_seen_[it->second]) return;  // not our pass
  const int64_t id = it->second;
  backward_seen_[id] = true;
  GraphNode& node = graph.nodes[id];
  BackwardStep step;
  step.node = id;
  step.op = node.op;
  step.grad_output = copy_values(grad_output, options_.max_values);
  node.grad = step.grad_output;
  for (size_t i = 0; i < grad_inputs.size() && i < node.inputs.size(); ++i) {
    const int64_t input_id = node.inputs[i];
    Values g = copy_values(grad_inputs[i], options_.max_values);
    // A leaf's gradient is the sum of what every use hands it (a non-leaf gets its total as
    // grad_output when its own backward step runs).
    GraphNode& input = graph.nodes[input_id];
    if (input.is_leaf() && !g.empty()) {
      if (input.grad.empty()) {
        input.grad = g;
      } else if (input.grad.data.size() == g.data.size()) {
        for (size_t k = 0; k < g.data.size(); ++k) input.grad.data[k] += g.data[k];
      }
    }
    step.grad_inputs.emplace_back(input_id, std::move(g));
  }
  graph.backward.push_back(std::move(step));
}

}  // namespace glimpse::trace
