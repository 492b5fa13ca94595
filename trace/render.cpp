// Lesson 01: from DOT text to a picture, inside the program (no `dot` command needed).
#include "trace/render.hpp"

#ifdef GLIMPSE_HAVE_GRAPHVIZ
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#endif

#include <memory>
#include <mutex>

namespace glimpse::trace {

#ifdef GLIMPSE_HAVE_GRAPHVIZ

namespace {

// Graphviz reports problems through a callback; we collect them instead of letting it print.
std::string& graphviz_messages() {
  static std::string messages;
  return messages;
}
int collect_message(char* message) {
  graphviz_messages() += message;
  return 0;
}

// Graphviz keeps global state: one context for the program, one caller at a time.
std::mutex& graphviz_mutex() {
  static std::mutex m;
  return m;
}
GVC_t* context() {
  static const std::unique_ptr<GVC_t, int (*)(GVC_t*)> gvc(gvContext(), gvFreeContext);
  return gvc.get();
}

struct GraphCloser {
  void operator()(Agraph_t* g) const { agclose(g); }
};
using GraphPtr = std::unique_ptr<Agraph_t, GraphCloser>;

// Parses `dot`; on failure returns nullptr with the reason in graphviz_messages().
GraphPtr parse(const std::string& dot) {
  graphviz_messages().clear();
  agseterrf(collect_message);
  agseterr(AGWARN);
  GraphPtr g(agmemread(dot.c_str()));
  if (!g && graphviz_messages().empty()) graphviz_messages() = "Graphviz could not parse the DOT text";
  return g;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

bool graphviz_available() { return true; }

std::string render_svg(const std::string& dot, Loc loc) {
  const std::lock_guard lock(graphviz_mutex());
  GVC_t* gvc = context();
  GraphPtr g = parse(dot);
  if (!g) throw Error("render_svg", trimmed(graphviz_messages()), loc);
  if (gvLayout(gvc, g.get(), "dot") != 0)
    throw Error("render_svg", "Graphviz could not lay out the graph: " + trimmed(graphviz_messages()), loc);
  char* data = nullptr;
  unsigned int length = 0;
  const int status = gvRenderData(gvc, g.get(), "svg", &data, &length);
  std::string svg = data ? std::string(data, length) : std::string();
  if (data) gvFreeRenderData(data);
  gvFreeLayout(gvc, g.get());
  if (status != 0 || svg.empty())
    throw Error("render_svg", "Graphviz could not render SVG: " + trimmed(graphviz_messages()), loc);
  // Some problems (a malformed HTML-like label) are reported as errors while Graphviz carries on.
  if (graphviz_messages().find("Error") != std::string::npos)
    throw Error("render_svg", trimmed(graphviz_messages()), loc);
  return svg;
}

std::string dot_parse_error(const std::string& dot) {
  const std::lock_guard lock(graphviz_mutex());
  context();  // registers the HTML-label parser and the rest of Graphviz's state
  GraphPtr g = parse(dot);
  return g ? std::string() : trimmed(graphviz_messages());
}

#else  // built without Graphviz

bool graphviz_available() { return false; }

std::string render_svg(const std::string&, Loc loc) {
  throw Error("render_svg", "Glimpse was built without Graphviz (apt-get install libgraphviz-dev, then rebuild)", loc);
}

std::string dot_parse_error(const std::string&) {
  return "Glimpse was built without Graphviz, so DOT cannot be checked here";
}

#endif

}  // namespace glimpse::trace
