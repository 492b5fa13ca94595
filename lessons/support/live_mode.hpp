// Live mode's common part (lessons 06, 07, 12, 13, 15): the --serve flag, switching attention
// heads off for one request, and serving the page until Ctrl-C. The server is
// trace/live_server.hpp; live_seq2seq.hpp and live_gpt.hpp turn one request into one answer.
//
// The page (trace/viewer/viewer.js) draws one input per control the lesson lists, sends them as
// one JSON object to POST /api/run, and shows the reply: {"output": text, "notes": [text],
// "map": an attention map (rows, columns, weights)}.
#pragma once

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <glimpse.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/flags.hpp"
#include "trace/live_server.hpp"
#include "trace/viewer.hpp"

namespace glimpse::lessons {

// --serve [PORT]: 0 picks any free port; without a value, `default_port`.
inline void add_serve_flag(CLI::App& app, std::optional<int>& port, int default_port) {
  app.add_option(
         "--serve", port,
         fmt::format("after the lesson, keep the model and serve live mode on 127.0.0.1:PORT (default "
                     "{}; 0 = any free port): try inputs, see the answer and its attention. Ctrl-C stops.",
                     default_port))
      ->expected(0, 1)
      ->default_str(std::to_string(default_port))
      ->transform(in_range<int>(0, 65535));
}

// The attention modules a learner may switch heads of, for the page's hint:
// "h.0.attn (heads 0-3), h.1.attn (heads 0-3)".
inline std::string heads_hint(const nn::Module& model) {
  std::vector<std::string> parts;
  for (const nn::AttentionHeads& a : nn::attention_heads(model))
    parts.push_back(fmt::format("{} (heads 0-{})", a.path, a.num_heads - 1));
  return fmt::format("{}", fmt::join(parts, ", "));
}

// The attention module at `path` ("h.1.attn"), or an error listing the ones there are.
inline nn::AttentionHeads attention_at(const nn::Module& model, const std::string& path,
                                       const std::string& field) {
  for (const nn::AttentionHeads& a : nn::attention_heads(model))
    if (a.path == path) return a;
  const std::string there = heads_hint(model);
  throw Error("live", fmt::format("{}: no attention module '{}'; {}", field, path,
                                  there.empty() ? "this model has no attention heads to switch off"
                                                : "the model has " + there));
}

// "h.1.attn:2" → module h.1.attn, head 2 (no ":head": -1, every head).
inline std::pair<nn::AttentionHeads, int64_t> head_at(const nn::Module& model, const std::string& spec,
                                                      const std::string& field) {
  const size_t colon = spec.rfind(':');
  const nn::AttentionHeads a = attention_at(model, spec.substr(0, colon), field);
  if (colon == std::string::npos) return {a, -1};
  const std::string head = spec.substr(colon + 1);
  if (head.empty() || head.size() > 3 || head.find_first_not_of("0123456789") != std::string::npos ||
      std::stoll(head) >= a.num_heads)
    throw Error("live", fmt::format("{}: '{}' names no head of {}, which has heads 0-{}", field, spec, a.path,
                                    a.num_heads - 1));
  return {a, std::stoll(head)};
}

// The request's "heads_off": ["h.0.attn:1", ...], switched off until this goes. The heads of one
// module are switched off by one nn::HeadsOff: two on the same weights would each save and put
// back the other's zeros, and whichever went last would leave a head off for good.
class SwitchedOff {
 public:
  SwitchedOff(const nn::Module& model, const nlohmann::json& body) {
    const nlohmann::json list = body.value("heads_off", nlohmann::json::array());
    if (!list.is_array()) throw Error("live", "heads_off must be a list such as [\"h.0.attn:1\"]");
    std::vector<std::pair<nn::AttentionHeads, std::vector<int64_t>>> per_module;
    for (const nlohmann::json& item : list) {
      if (!item.is_string())
        throw Error("live",
                    fmt::format("heads_off: {} is not 'module:head' (e.g. \"h.0.attn:1\")", item.dump()));
      const std::string& spec = item.get_ref<const std::string&>();
      const auto [attention, head] = head_at(model, spec, "heads_off");
      if (head < 0)
        throw Error("live", fmt::format("heads_off: '{}' needs a head, e.g. '{}:0'", spec, attention.path));
      const nn::Module* module =
          attention.module;  // a lambda may not capture a structured binding (clang 14)
      auto same = std::find_if(per_module.begin(), per_module.end(),
                               [module](const auto& m) { return m.first.module == module; });
      if (same == per_module.end()) same = per_module.insert(per_module.end(), {attention, {}});
      same->second.push_back(head);
      names_.push_back(spec);
    }
    for (const auto& [attention, heads] : per_module)
      off_.push_back(std::make_unique<nn::HeadsOff>(attention, heads));
  }

  // The note saying which heads the answer was computed without.
  std::string note() const {
    if (names_.empty()) return "every head on";
    return fmt::format("switched off: {} (their columns of the output projection zeroed for this answer)",
                       fmt::join(names_, ", "));
  }

 private:
  std::vector<std::unique_ptr<nn::HeadsOff>> off_;  // one per module
  std::vector<std::string> names_;                  // as the request named them
};

// Serves `live` (the page's controls, trace/viewer/viewer.js) until Ctrl-C. `answer` takes the
// request and returns the reply; it throws glimpse::Error (a 400 with its message) for a request
// it refuses, and a JSON type error (a number where a string belongs) is a 400 too.
inline void serve_live(int port, const std::string& title, const nlohmann::json& live,
                       const std::function<nlohmann::json(const nlohmann::json&)>& answer) {
  trace::LiveServer server(trace::viewer_html(title, {}, nullptr, "", {}, live.dump()),
                           [&answer](const std::string& request) {
                             try {
                               return answer(nlohmann::json::parse(request)).dump();
                             } catch (const nlohmann::json::exception& e) {  // e.g. "beam": "two"
                               throw Error("live", fmt::format("malformed request: {}", e.what()));
                             }
                           });
  const int bound = server.bind(port);
  fmt::print("\nLive mode: open http://127.0.0.1:{}/ in a browser on this machine. Ctrl-C stops.\n", bound);
  std::fflush(stdout);
  server.serve(/*stop_on_signal=*/true);
  fmt::print("Live mode stopped.\n");
}

}  // namespace glimpse::lessons
