// What a Tracer records: plain copies of values, never live tensors, so a recording keeps no
// autograd graph alive and can outlive the model. Writers (text, TSV, DOT, SVG) read only this.
// Introduced in lesson 01 (the graph and the backward pass, step by step) and lesson 04 (hidden
// states over time); the attention parts in lessons 06 and 07.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "autograd/shape.hpp"
#include "autograd/tensor.hpp"

namespace glimpse::trace {

// A detached copy of (the start of) a tensor's values, in row-major order.
struct Values {
  Shape shape;               // the shape of the tensor that was copied
  std::vector<float> data;   // its first values (all of them unless `truncated`)
  bool truncated = false;    // true when the tensor had more values than the recording keeps

  bool empty() const { return data.empty(); }
  int64_t numel() const { return glimpse::numel(shape); }
};

// Copies at most `max_values` values of `t` (an undefined tensor gives empty Values).
Values copy_values(const Tensor& t, int64_t max_values);
// The same for t[item] (example `item` of a batch-first tensor); the whole of `t` when it has
// fewer than 2 dims or `item` is negative.
Values copy_batch_item(const Tensor& t, int64_t item, int64_t max_values);

// One of the decoder's most likely next tokens.
struct Prediction {
  int64_t id = 0;
  std::string token;  // from the vocabulary, or "#id" without one
  float probability = 0.0f;
};

// One time step of one module, e.g. decoder.cell at step 3: {"h", "r", "z", "n"}.
struct StepEntry {
  std::string module;  // dotted path inside the traced model ("" is the model itself)
  std::string kind;    // "GRUCell", "BahdanauAttention", ...
  int64_t step = -1;   // time step (-1 when the module was called outside a StepScope)
  std::string token;   // the input token read at this step ("" when the caller gave none)
  bool target_side = false;  // reads the target sequence (a decoder module), not the source
  std::vector<std::pair<std::string, Values>> values;
  std::vector<Prediction> predictions;  // top-k of a "logits" (or "probs") value, best first

  // The value called `name`, or nullptr.
  const Values* find(std::string_view name) const;
};

// One pass of the model over one input sequence: every traced step, in the order they ran.
struct Sequence {
  int64_t index = 0;                // 0, 1, 2, ... counting every sequence the tracer saw
  std::vector<std::string> source;  // tokens read by the source-side modules (encoder)
  std::vector<std::string> target;  // tokens read by the target-side modules (decoder)
  std::vector<StepEntry> steps;
  int64_t dropped_steps = 0;        // steps not kept because of TraceOptions limits
};

// A tensor in the recorded autograd graph, with the op that made it (if any).
struct GraphNode {
  int64_t id = 0;           // stable within the recording: 0, 1, 2, ... in tape order
  std::string op;           // "matmul"; "" for a leaf
  std::string name;         // a parameter's dotted name ("decoder.attention.W.weight"), or ""
  Shape shape;
  bool requires_grad = false;
  bool outside = false;     // made by an op before recording began (shown without its inputs)
  std::vector<int64_t> inputs;  // ids of the input nodes
  int64_t step = -1;        // the time step (StepScope) active when the op ran
  int64_t cluster = -1;     // consecutive ops of one time step share a cluster (-1: none)
  Values value;             // first values, when TraceOptions::graph_values is on
  Values grad;              // gradient reaching this tensor in the recorded backward pass

  bool is_leaf() const { return op.empty(); }
};

// One step of the backward pass: node `node`'s backward ran with `grad_output` and handed
// `grad_inputs[i]` to its i-th input (an empty Values when that input needs no gradient).
struct BackwardStep {
  int64_t node = -1;
  std::string op;
  Values grad_output;
  std::vector<std::pair<int64_t, Values>> grad_inputs;  // (input node id, its gradient)
};

struct Graph {
  std::vector<GraphNode> nodes;         // ids are positions in this vector
  std::vector<BackwardStep> backward;   // in the order backward ran them
  bool truncated = false;               // TraceOptions::max_graph_nodes was reached
};

struct Recording {
  std::vector<Sequence> sequences;  // the latest ones kept (see TraceOptions::max_sequences)
  int64_t sequences_seen = 0;       // every sequence the tracer saw, kept or not
  Graph graph;
};

}  // namespace glimpse::trace
