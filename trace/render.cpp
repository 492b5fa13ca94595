// Lesson 01: from DOT text to a picture, inside the program (no `dot` command needed).
#include "trace/render.hpp"

#ifdef GLIMPSE_HAVE_GRAPHVIZ
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#endif

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

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

// Graphviz names each named object by an id, and by default that id is the address of the
// name's string: subgraphs (a trace's clusters) are then laid out in the order of heap addresses,
// which change from run to run, and the same DOT gave other SVG bytes. This id discipline numbers
// names in the order Graphviz first meets them (even ids; anonymous objects get odd ones), so the
// same DOT always gives the same picture.
struct NameIds {
  std::deque<std::string> names;  // names[k] has id 2k + 2; a deque keeps c_str() stable
  std::map<std::string, IDTYPE, std::less<>> ids;
  IDTYPE next_anonymous = 1;
};
void* open_ids(Agraph_t*, Agdisc_t*) { return new NameIds; }
long map_id(void* state, int, char* name, IDTYPE* id, int create) {
  auto& table = *static_cast<NameIds*>(state);
  if (name == nullptr) {
    *id = table.next_anonymous;
    table.next_anonymous += 2;
    return 1;
  }
  if (const auto found = table.ids.find(std::string_view(name)); found != table.ids.end()) {
    *id = found->second;
  } else if (create) {
    table.names.emplace_back(name);
    *id = static_cast<IDTYPE>(2 * table.names.size());
    table.ids.emplace(table.names.back(), *id);
  } else {
    *id = 0;  // unknown: no object has id 0 (as Graphviz's own discipline answers)
  }
  return 1;
}
long alloc_id(void*, int, IDTYPE) { return 0; }  // a caller's own choice of id is refused, as by default
void free_id(void*, int, IDTYPE) {}
char* print_id(void* state, int, IDTYPE id) {
  auto& table = *static_cast<NameIds*>(state);
  if (id % 2 != 0 || id < 2 || id / 2 > static_cast<IDTYPE>(table.names.size())) return nullptr;
  return table.names[id / 2 - 1].data();
}
void close_ids(void* state) { delete static_cast<NameIds*>(state); }
void register_id(void*, int, void*) {}
Agiddisc_t g_name_ids = {open_ids, map_id, alloc_id, free_id, print_id, close_ids, register_id};

// Hands Graphviz's parser the DOT text a line at a time, as its own agmemread does.
struct DotReader {
  const std::string* text;
  size_t at = 0;
};
int read_line(void* chan, char* buffer, int size) {
  auto& r = *static_cast<DotReader*>(chan);
  int n = 0;
  while (n < size && r.at < r.text->size()) {
    const char c = (*r.text)[r.at++];
    buffer[n++] = c;
    if (c == '\n') break;
  }
  return n;
}

// Parses `dot`; on failure returns nullptr with the reason in graphviz_messages().
GraphPtr parse(const std::string& dot) {
  graphviz_messages().clear();
  agseterrf(collect_message);
  agseterr(AGWARN);
  static Agiodisc_t io = {read_line, AgIoDisc.putstr, AgIoDisc.flush};
  static Agdisc_t disc = {&AgMemDisc, &g_name_ids, &io};
  DotReader reader{&dot};
  GraphPtr g(agread(&reader, &disc));
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
