// Live mode for lesson 13's GPT: --serve [PORT] keeps the trained model and serves a page on
// 127.0.0.1 where the learner types a prompt and reads what the model writes after it, with the
// temperature, top-k, the seed and heads switched off to play with, and the causal attention of
// any block and head over the text. live_mode.hpp serves; this file turns one request into one
// generation.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <glimpse.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nn/char_corpus.hpp"
#include "nn/generation.hpp"
#include "nn/gpt.hpp"
#include "support/live_mode.hpp"
#include "trace/trace.hpp"

namespace glimpse::lessons {

// A character as the pictures and tables show it: space and newline made visible.
inline std::string visible(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (c == ' ') return "␣";
  if (c == '\n') return "⏎";
  if (c == '\t') return "⇥";
  if (byte < 0x20 || byte >= 0x7f) return fmt::format("\\x{:02x}", byte);
  return std::string(1, c);
}

struct LiveGPT {
  const nn::GPT& model;
  const nn::CharVocab& vocab;
};

// A number field of the request, checked against its range.
template <class T>
T number_in(const nlohmann::json& body, const char* name, T fallback, T low, T high) {
  const nlohmann::json value = body.value(name, nlohmann::json(fallback));
  if (!value.is_number() || (std::is_integral_v<T> && !value.is_number_integer()))
    throw Error("live", fmt::format("{} must be {}, got {}", name,
                                    std::is_integral_v<T> ? "a whole number" : "a number", value.dump()));
  const T v = value.get<T>();
  if (v < low || v > high) throw Error("live", fmt::format("{} {} is not in {} … {}", name, v, low, high));
  return v;
}

// One request: {"prompt": text, "length": new characters, "temperature", "top_k", "seed",
// "heads_off": ["h.0.attn:1", ...], "show": "h.1.attn" or "h.1.attn:2"} → the text written and the
// shown attention over its last block_size characters (rows: queries, columns: keys).
inline nlohmann::json live_generate(const LiveGPT& g, const nlohmann::json& body) {
  constexpr int64_t kMaxNew = 400;
  const int64_t block = g.model.config().block_size;
  if (!body.contains("prompt") || !body["prompt"].is_string())
    throw Error("live", "the request needs \"prompt\": the text the model goes on from");
  const std::string prompt = body["prompt"];
  if (prompt.empty()) throw Error("live", "the prompt is empty: give at least one character");
  if (static_cast<int64_t>(prompt.size()) > block)
    throw Error("live", fmt::format("the prompt has {} characters; the model's context holds {}",
                                    prompt.size(), block));
  for (char c : prompt)
    if (!g.vocab.contains(c))
      throw Error("live", fmt::format("the character {} is not in the corpus the model learned", visible(c)));
  const int64_t length = number_in<int64_t>(body, "length", 2 * block, 1, kMaxNew);
  nn::SamplingOptions sampling;
  sampling.temperature = number_in<float>(body, "temperature", 0.8f, 0.01f, 10.0f);
  sampling.top_k = number_in<int64_t>(body, "top_k", 10, 0, g.vocab.size());
  const auto seed = number_in<int64_t>(body, "seed", 1, 0, int64_t{1} << 53);
  const nlohmann::json show_field = body.value("show", nlohmann::json(""));
  if (!show_field.is_string()) throw Error("live", "show must be a string such as \"h.0.attn:1\"");
  const std::string show = show_field.get<std::string>().empty() ? nn::attention_heads(g.model).back().path
                                                                 : show_field.get<std::string>();
  const auto [shown, shown_head] = head_at(g.model, show, "show");

  const SwitchedOff off(g.model, body);
  NoGradGuard no_grad;
  Generator gen(static_cast<uint64_t>(seed));
  const nn::GenerateOutput out = nn::generate(g.model, g.vocab.encode(prompt), length, sampling, gen);
  // The attention over the last block_size characters (the most the model sees at once), traced.
  const auto L = std::min<int64_t>(block, static_cast<int64_t>(out.tokens.size()));
  const std::vector<int64_t> window(out.tokens.end() - L, out.tokens.end());
  std::vector<std::string> characters;
  for (int64_t id : window) characters.push_back(visible(g.vocab.character(id)));
  trace::Tracer tracer(
      g.model, trace::TraceOptions{.max_values = std::max<int64_t>(1024, g.model.config().n_head * L * L),
                                   .record_graph = false,
                                   .record_backward = false});
  tracer.begin_sequence(characters);
  g.model(IndexTensor(window, {1, L}));
  const trace::Recording recording = tracer.take();
  nlohmann::json map;
  for (const trace::AttentionMap& m : trace::attention_maps(recording.sequences.at(0)))
    if (m.module == shown.path && m.head == shown_head)
      map = {{"module", m.module}, {"kind", m.kind},       {"head", m.head},
             {"rows", m.rows},     {"columns", m.columns}, {"weights", m.weights}};
  if (map.is_null()) throw Error("live", fmt::format("show: no attention of {} was recorded", show));

  std::vector<std::string> notes = {
      fmt::format("{} characters after a prompt of {}: temperature {}, top-k {} ({}), seed {}", length,
                  prompt.size(), sampling.temperature, sampling.top_k,
                  sampling.top_k == 0 ? "every character" : "the likeliest only", seed),
      off.note(),
      fmt::format("attention of {}{} over the last {} characters: row i is where character i looks, and "
                  "nothing right of the diagonal (the causal mask)",
                  shown.path, shown_head < 0 ? ", the heads' average," : fmt::format(" head {}", shown_head),
                  L)};
  return {{"output", g.vocab.decode(out.tokens)}, {"notes", notes}, {"map", map}};
}

// Serves live mode until Ctrl-C. The form starts on the lesson's own prompt and sampling.
inline void serve_gpt(const LiveGPT& g, int port, const std::string& prompt,
                      const nn::SamplingOptions& sampling, uint64_t seed) {
  const std::vector<nn::AttentionHeads> heads = nn::attention_heads(g.model);
  const nlohmann::json controls = {
      {{"name", "prompt"}, {"label", "prompt"}, {"kind", "text"}, {"size", 40}, {"value", prompt}},
      {{"name", "length"},
       {"label", "characters"},
       {"kind", "number"},
       {"min", 1},
       {"max", 400},
       {"value", 2 * g.model.config().block_size}},
      {{"name", "temperature"},
       {"label", "temperature"},
       {"kind", "number"},
       {"min", 0.01},
       {"max", 10},
       {"step", 0.1},
       {"value", sampling.temperature}},
      {{"name", "top_k"},
       {"label", "top-k"},
       {"kind", "number"},
       {"min", 0},
       {"max", g.vocab.size()},
       {"value", sampling.top_k}},
      {{"name", "seed"}, {"label", "seed"}, {"kind", "number"}, {"min", 0}, {"value", seed}},
      {{"name", "heads_off"},
       {"label", "switch heads off"},
       {"kind", "list"},
       {"size", 24},
       {"placeholder", fmt::format("e.g. {}:0", heads.front().path)}},
      {{"name", "show"},
       {"label", "attention of"},
       {"kind", "text"},
       {"size", 12},
       {"value", heads.back().path},
       {"placeholder", fmt::format("{}:0", heads.back().path)}}};
  const nlohmann::json live = {
      {"title", "Lesson 13, live: the GPT writes"},
      {"hint",
       fmt::format("Type a prompt and press Enter: the model writes on from it. Raise the temperature "
                   "(flatter choices) or lower it (sharper), set top-k to 1 (always the likeliest "
                   "character) or 0 (any), change the seed. Switch heads off as module:head, and "
                   "choose whose attention is drawn (module, or module:head): {}.",
                   heads_hint(g.model))},
      {"controls", controls},
      {"button", "Write"},
      {"output_label", "written"}};
  serve_live(port, "Lesson 13, live: the GPT writes", live,
             [&g](const nlohmann::json& body) { return live_generate(g, body); });
}

}  // namespace glimpse::lessons
