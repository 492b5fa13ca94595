// Lesson 01: backprop as a list of local steps, each one the chain rule applied once.
#include "trace/backward_log.hpp"

#include <fmt/format.h>

#include "trace/draw.hpp"

namespace glimpse::trace {

std::string node_label(const GraphNode& node) {
  if (!node.name.empty()) return fmt::format("n{} ({})", node.id, node.name);
  if (node.is_leaf()) return fmt::format("n{} ({})", node.id, node.requires_grad ? "input" : "constant");
  return fmt::format("n{} = {}", node.id, node.op);
}

std::string format_backward(const Graph& graph, int64_t max_values) {
  std::string out = fmt::format("backward pass: {} steps, from the loss back to the leaves\n", graph.backward.size());
  int64_t number = 1;
  for (const BackwardStep& step : graph.backward) {
    const GraphNode& node = graph.nodes[step.node];
    std::string args;
    for (int64_t in : node.inputs) args += fmt::format("{}n{}", args.empty() ? "" : ", ", in);
    out += fmt::format("\n{:>3}. n{} = {}({})  {}\n", number++, node.id, node.op.empty() ? "?" : node.op, args,
                       to_string(node.shape));
    out += fmt::format("     grad in     {}\n",
                       detail::first_values(step.grad_output.data, max_values, step.grad_output.numel()));
    for (const auto& [input, g] : step.grad_inputs) {
      const std::string target = node_label(graph.nodes[input]);
      if (g.empty())
        out += fmt::format("     → {}  (needs no gradient)\n", target);
      else
        out += fmt::format("     → {}  {}  {}\n", target, to_string(g.shape), detail::first_values(g.data, max_values, g.numel()));
    }
  }
  // What finally arrived at the parameters and inputs: what the optimiser sees as .grad.
  bool header = false;
  for (const GraphNode& node : graph.nodes) {
    if (!node.is_leaf() || node.grad.empty()) continue;
    if (!header) out += "\nleaf gradients (.grad)\n";
    header = true;
    out += fmt::format("     {}  {}  {}\n", node_label(node), to_string(node.shape),
                       detail::first_values(node.grad.data, max_values, node.grad.numel()));
  }
  return out;
}

}  // namespace glimpse::trace
