// Lesson 01: drawing the tape. Tensor n<k> is drawn as box "n<k>", the op that made it as
// ellipse "op<k>"; edges run input tensor → op → output tensor.
#include "trace/graph_dot.hpp"

#include <fmt/format.h>

#include <map>

#include "trace/draw.hpp"

namespace glimpse::trace {

namespace {

std::string tensor_node(const GraphNode& n, const GraphDotOptions& o) {
  std::string label;
  std::string style = "";
  if (!n.name.empty()) {
    label = n.name;
    // parameters (what training changes) filled; named constants dashed
    style = n.requires_grad ? ", style=filled, fillcolor=\"#fde9c9\"" : ", style=dashed";
  } else if (n.is_leaf()) {
    label = n.requires_grad ? "input" : "constant";
    style = n.requires_grad ? ", style=filled, fillcolor=\"#e3f1e0\"" : ", style=dashed";
  } else if (n.outside) {
    label = fmt::format("{} (earlier)", n.op);
    style = ", style=dashed";
  } else {
    label = fmt::format("n{}", n.id);
  }
  label += "\n" + to_string(n.shape);
  if (o.values && !n.value.empty())
    label += "\nvalue " + detail::first_values(n.value.data, o.max_values, n.value.numel());
  if (o.grads && !n.grad.empty())
    label += "\ngrad " + detail::first_values(n.grad.data, o.max_values, n.grad.numel());
  return fmt::format("n{} [shape=box{}, label={}];", n.id, style, detail::dot_quote(label));
}

}  // namespace

std::string graph_to_dot(const Graph& graph, const GraphDotOptions& o) {
  std::string out = "digraph computation {\n";
  out += "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11";
  out += fmt::format(", labelloc=t, label={}];\n",
                     detail::dot_quote(fmt::format("computation graph: {} tensors, {} backward steps{}",
                                                   graph.nodes.size(), graph.backward.size(),
                                                   graph.truncated ? " (truncated)" : "")));
  out += "  node [fontname=\"Helvetica\", fontsize=10];\n";
  out += "  edge [arrowsize=0.6];\n";
  // Nodes, each inside its time step's cluster when it has one.
  std::map<int64_t, std::vector<const GraphNode*>> clusters;
  for (const GraphNode& n : graph.nodes) {
    if (n.cluster >= 0) {
      clusters[n.cluster].push_back(&n);
      continue;
    }
    out += "  " + tensor_node(n, o) + "\n";
    if (!n.is_leaf() && !n.outside)
      out += fmt::format("  op{} [shape=ellipse, style=filled, fillcolor=\"#dbe8f6\", label={}];\n", n.id,
                         detail::dot_quote(n.op));
  }
  for (const auto& [cluster, nodes] : clusters) {
    out += fmt::format("  subgraph cluster_{} {{\n", cluster);
    out += fmt::format("    label={}; style=rounded; color=\"#9aa9b8\";\n",
                       detail::dot_quote(fmt::format("t = {}", nodes.front()->step)));
    for (const GraphNode* n : nodes) {
      out += "    " + tensor_node(*n, o) + "\n";
      out += fmt::format("    op{} [shape=ellipse, style=filled, fillcolor=\"#dbe8f6\", label={}];\n", n->id,
                         detail::dot_quote(n->op));
    }
    out += "  }\n";
  }
  // Edges, in node order.
  for (const GraphNode& n : graph.nodes) {
    if (n.is_leaf() || n.outside) continue;
    for (int64_t in : n.inputs) out += fmt::format("  n{} -> op{};\n", in, n.id);
    out += fmt::format("  op{} -> n{};\n", n.id, n.id);
  }
  out += "}\n";
  return out;
}

}  // namespace glimpse::trace
