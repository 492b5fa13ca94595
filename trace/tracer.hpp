// Tracer: watches a model think. While a Tracer is alive it listens to the tape (every op and
// every backward step) and to the step hooks of the model's recurrent and attention modules, and
// keeps copies of what it saw in a Recording that the writers turn into tables and pictures.
// Introduced in lesson 01 (the graph and the backward pass, step by step); lesson 04 traces
// hidden states, lessons 06 and 07 attention.
//
//   trace::Tracer tracer(model, {.modules = {"decoder"}, .max_sequences = 4});
//   tracer.begin_sequence(source_tokens, target_tokens);   // optional: labels for the steps
//   Tensor loss = model.forward(...);  loss.backward();
//   trace::write_trace(tracer.recording(), "traces/lesson06");
//
// Tracing only ever copies values: it never changes what the model computes, and it keeps no
// tensor (so no graph) alive. With no tracer attached, each op and each step pays one branch.
// A tracer sees the thread that created it (the tape's observers are per thread).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "autograd/tape.hpp"
#include "nn/module.hpp"
#include "trace/recording.hpp"

namespace glimpse::trace {

// Which time steps to keep: first, first + every, ... up to last (inclusive). Steps recorded
// outside a StepScope (step -1) are always kept.
struct StepRange {
  int64_t first = 0;
  int64_t last = std::numeric_limits<int64_t>::max();
  int64_t every = 1;

  bool contains(int64_t step) const;
};

struct TraceOptions {
  // ---- which steps ------------------------------------------------------------------------
  // Dotted module paths to trace, with everything below them ("decoder" covers
  // "decoder.attention"). Empty: every module of the model.
  std::vector<std::string> modules;
  StepRange steps;
  // Step values of 2 or more dims are batch-first: keep only this example of the batch.
  // -1 keeps the whole batch (for modules called on unbatched 2-D inputs).
  int64_t batch_item = 0;

  // ---- how much (memory stays bounded however long the run) -------------------------------
  int64_t every_sequence = 1;           // sampling: keep sequence 0, k, 2k, ...
  int64_t max_sequences = 8;            // window: keep only the latest this many sequences
  int64_t max_steps_per_sequence = 512;
  int64_t max_values = 1024;            // values copied per recorded tensor

  // ---- tokens and predictions --------------------------------------------------------------
  // Modules under these paths read the target sequence (the decoder); all others the source.
  std::vector<std::string> target_modules = {"decoder"};
  // id → token, to name the top-k predictions; without it they are shown as "#id".
  std::vector<std::string> vocabulary;
  int64_t top_k = 3;  // predictions kept from each step's "logits" (or "probs")

  // ---- the autograd graph ------------------------------------------------------------------
  bool record_graph = true;       // the ops of the first forward pass (until backward starts)
  bool graph_values = false;      // also copy each graph tensor's first values
  int64_t max_graph_nodes = 2000;
  bool record_backward = true;    // the backward pass over the recorded graph, step by step
  int64_t max_backward_steps = 2000;
};

class Tracer final : public TapeObserver, public nn::StepObserver {
 public:
  // Traces `model` (which must outlive the tracer): its step hooks and the tape.
  explicit Tracer(const nn::Module& model, TraceOptions options = {});
  // Traces the tape only, and steps of any module (named by their kind): for lesson 01's
  // scalars, where there is no model yet.
  explicit Tracer(TraceOptions options = {});
  ~Tracer() override;
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // Starts a new sequence whose steps read these tokens (step t of a source-side module reads
  // source[t], of a target-side module target[t]). Without this call a new sequence starts
  // whenever a module runs a time step it already ran (forwards or backwards), and steps have
  // no tokens.
  void begin_sequence(std::vector<std::string> source, std::vector<std::string> target = {});
  // The same, with token ids looked up in TraceOptions::vocabulary.
  void begin_sequence_ids(const std::vector<int64_t>& source, const std::vector<int64_t>& target = {});

  // Labels `t` in the graph and the backward log (as parameters are labelled with their dotted
  // names): for lesson 01's x, w and b, which belong to no module.
  void name(const Tensor& t, std::string name);

  // Forgets the recorded graph and backward pass, and records the next forward pass instead.
  void restart_graph();

  const Recording& recording() const { return recording_; }
  // Moves the recording out (the tracer keeps recording into a fresh one).
  Recording take();

  // TapeObserver
  void on_op(const Tensor& output) override;
  void on_backward_step(const Tensor& output, const Tensor& grad_output,
                        std::span<const Tensor> grad_inputs) override;
  // StepObserver
  void on_step(const nn::StepRecord& record) override;

 private:
  void start_sequence(std::vector<std::string> source, std::vector<std::string> target);
  bool is_traced(const std::string& path) const;
  bool reads_target(const std::string& path) const;
  std::string token_name(int64_t id) const;
  int64_t graph_node_for_input(const Tensor& input);
  int64_t add_graph_node(GraphNode node, uint64_t tape_id);
  std::vector<Prediction> top_predictions(const Values& values, bool are_logits) const;

  const nn::Module* model_ = nullptr;
  TraceOptions options_;
  Recording recording_;
  bool in_hook_ = false;  // ops the tracer itself might run are not part of the model's graph

  // Lookups built once when attaching (pointers are keys here, never shown in any output).
  std::unordered_map<const nn::Module*, std::string> module_paths_;
  std::unordered_map<const detail::Node*, std::string> parameter_names_;

  // The current sequence.
  bool have_sequence_ = false;
  bool keep_sequence_ = false;
  // Per module, the range of steps it ran in this sequence: a step inside it again means a
  // new pass. (Ranges, not sets of steps: memory stays bounded over an endless sequence.)
  std::map<std::string, std::pair<int64_t, int64_t>> step_ranges_;

  // The graph being recorded: tape id → node id in recording_.graph.
  bool graph_open_ = true;
  std::unordered_map<uint64_t, int64_t> graph_ids_;
  std::vector<bool> backward_seen_;
  int64_t last_step_ = -1;
  int64_t next_cluster_ = 0;
};

}  // namespace glimpse::trace
