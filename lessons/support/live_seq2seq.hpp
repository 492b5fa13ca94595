// Live mode for the encoder-decoder lessons (06, 07, 12, 15): --serve [PORT] keeps the trained
// model and serves a page on 127.0.0.1 where the learner types a source sentence and sees the
// decoding and its attention, with a beam width, source tokens hidden from the attention and (in
// a Transformer) heads switched off to play with. live_mode.hpp serves; this file turns one
// request into one decoding.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <glimpse.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nn/decoding.hpp"
#include "support/live_mode.hpp"
#include "support/seq2seq_lesson.hpp"

namespace glimpse::lessons {

// What live mode decodes with: a trained encoder-decoder and its two vocabularies.
struct LiveSeq2seq {
  const nn::Seq2seq& model;
  const nn::Vocab& source_vocab;
  const nn::Vocab& target_vocab;
};

// "the model knows: a b c" for a small vocabulary, a sample of it for a real one.
inline std::string known_tokens(const nn::Vocab& vocab) {
  constexpr size_t kShown = 40;
  const auto& tokens = vocab.tokens();  // ids 0-3: <pad> <sos> <eos> <unk>
  const size_t known = tokens.size() - 4;
  if (known <= kShown)
    return fmt::format("the model knows: {}", fmt::join(tokens.begin() + 4, tokens.end(), " "));
  return fmt::format("the model knows {} tokens, among them: {} ...", known,
                     fmt::join(tokens.begin() + 4, tokens.begin() + 4 + kShown, " "));
}

// One request: {"source": "a b c", "beam": 1..8, "hide": [1-based source positions],
// "heads_off": ["module:head", ...]} → the decoded tokens and the attention map (rows: output
// tokens, columns: source tokens).
inline nlohmann::json live_decode(const LiveSeq2seq& m, const nlohmann::json& body) {
  constexpr int64_t kMaxTokens = 64, kMaxBeam = 8;
  if (!body.contains("source") || !body["source"].is_string())
    throw Error("live",
                "the request needs \"source\": the sentence as a string, its tokens separated by spaces");
  std::vector<std::string> tokens;
  const std::string text = body["source"];
  for (size_t start = 0; start < text.size();) {
    const size_t end = std::min(text.find(' ', start), text.size());
    if (end > start) tokens.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (tokens.empty()) throw Error("live", "the source is empty: type its tokens separated by spaces");
  if (static_cast<int64_t>(tokens.size()) > kMaxTokens)
    throw Error("live", fmt::format("the source has {} tokens; live mode takes at most {}", tokens.size(),
                                    kMaxTokens));
  for (const std::string& t : tokens)
    if (!m.source_vocab.contains(t) || m.source_vocab.id(t) < 4)  // ids 0-3: <pad> <sos> <eos> <unk>
      throw Error("live", fmt::format("unknown token '{}'; {}", t, known_tokens(m.source_vocab)));
  const int64_t beam = body.value("beam", 1);
  if (beam < 1 || beam > kMaxBeam)
    throw Error("live", fmt::format("beam width {} is not in 1..{}", beam, kMaxBeam));
  const auto S = static_cast<int64_t>(tokens.size());
  std::vector<float> mask(static_cast<size_t>(S), 1.0f);
  std::vector<std::string> columns = tokens;
  for (const auto& position : body.value("hide", nlohmann::json::array())) {
    if (!position.is_number_integer() || position.get<int64_t>() < 1 || position.get<int64_t>() > S)
      throw Error("live", fmt::format("hide: {} is not a source position (1..{})", position.dump(), S));
    mask[position.get<int64_t>() - 1] = 0.0f;
    columns[position.get<int64_t>() - 1] = "[" + tokens[position.get<int64_t>() - 1] + "]";
  }
  if (std::count(mask.begin(), mask.end(), 0.0f) == S)
    throw Error("live", "hide leaves no source token to attend to");
  if (beam > 1 && std::count(mask.begin(), mask.end(), 0.0f) > 0)
    throw Error("live", "hiding source tokens works with beam width 1 (greedy decoding)");

  const SwitchedOff off(m.model, body);
  NoGradGuard no_grad;
  const IndexTensor source(m.source_vocab.encode(tokens), {1, S});
  const Tensor source_mask = from_vector(mask, {1, S});
  const int64_t max_length = 2 * S + 5;
  std::vector<int64_t> output;
  std::vector<std::vector<float>> weights;
  bool finished = false;
  std::vector<std::string> notes;
  if (beam == 1) {
    const nn::GreedyOutput g = nn::greedy_decode(m.model, source, source_mask, max_length);
    output = g.sequences[0];
    if (!g.attention.defined()) throw Error("live", "this model's decoder returns no attention to draw");
    const int64_t T = g.attention.size(1);
    finished = static_cast<int64_t>(output.size()) < T;
    const std::vector<float> a = g.attention.to_vector();
    for (int64_t t = 0; t < std::min<int64_t>(T, static_cast<int64_t>(output.size()) + 1); ++t)
      weights.emplace_back(a.begin() + t * S, a.begin() + (t + 1) * S);
    notes.push_back("greedy decoding: the most likely token at every step");
  } else {
    const std::vector<nn::Hypothesis> best =
        nn::beam_search(m.model, source, source_mask, {.width = beam, .max_length = max_length})[0];
    output = best[0].tokens;
    finished = best[0].finished;
    weights = best[0].attention;
    notes.push_back(fmt::format("beam search, width {}: the best of {} hypotheses, log p = {:.3f}", beam,
                                best.size(), best[0].log_prob));
  }
  const std::vector<std::string> decoded = m.target_vocab.decode(output);
  std::vector<std::string> rows = decoded;
  if (finished) rows.push_back("<eos>");
  if (!finished) notes.push_back(fmt::format("stopped after {} tokens without <eos>", max_length));
  if (!nn::attention_heads(m.model).empty()) notes.push_back(off.note());
  rows.resize(weights.size(), "");
  return nlohmann::json{{"output", nn::join_tokens(decoded)},
                        {"tokens", decoded},
                        {"notes", notes},
                        {"map",
                         {{"module", "decoder.attention"},
                          {"kind", "attention"},
                          {"head", -1},
                          {"rows", rows},
                          {"columns", columns},
                          {"weights", weights}}}};
}

// Serves live mode until Ctrl-C, for one model or several the learner picks from by name (lesson
// 15's "GRU + attention" and "Transformer"). `example` fills the form at first.
inline void serve_seq2seq(const std::vector<std::pair<std::string, LiveSeq2seq>>& models, int port,
                          const std::string& title, const std::string& example) {
  nlohmann::json controls = nlohmann::json::array();
  std::vector<std::string> names;
  for (const auto& [name, m] : models) names.push_back(name);
  if (models.size() > 1)
    controls.push_back(
        {{"name", "model"}, {"label", "model"}, {"kind", "choice"}, {"options", names}, {"value", names[0]}});
  controls.push_back(
      {{"name", "source"}, {"label", "source"}, {"kind", "text"}, {"size", 60}, {"value", example}});
  controls.push_back(
      {{"name", "beam"}, {"label", "beam width"}, {"kind", "number"}, {"min", 1}, {"max", 8}, {"value", 1}});
  controls.push_back(
      {{"name", "hide"}, {"label", "hide source positions"}, {"kind", "list"}, {"placeholder", "e.g. 2 5"}});
  std::string hint =
      "Type a source sentence (tokens separated by spaces) and press Enter. Widen the beam, or hide source "
      "positions (1 is the first token) from the attention, and see what changes.";
  for (const auto& [name, m] : models) {
    const std::vector<nn::AttentionHeads> heads = nn::attention_heads(m.model);
    if (heads.empty()) continue;
    if (controls.back()["name"] != "heads_off")
      controls.push_back({{"name", "heads_off"},
                          {"label", "switch heads off"},
                          {"kind", "list"},
                          {"size", 30},
                          {"placeholder", fmt::format("e.g. {}:0", heads.front().path)}});
    hint += fmt::format(" Switch heads off as module:head{}: {}.",
                        models.size() > 1 ? fmt::format(" (the {})", name) : "", heads_hint(m.model));
  }
  const nlohmann::json live = {{"title", title},
                               {"hint", hint},
                               {"controls", controls},
                               {"button", "Decode"},
                               {"output_label", "decoded"}};
  serve_live(port, title, live, [&models, names](const nlohmann::json& body) {
    const std::string name = body.value("model", names[0]);
    for (const auto& [model_name, m] : models)
      if (model_name == name) return live_decode(m, body);
    throw Error("live", fmt::format("no model '{}'; there are: {}", name, fmt::join(names, ", ")));
  });
}

inline void serve_seq2seq(const Seq2seqModel& m, int port, const std::string& title,
                          const std::string& example) {
  serve_seq2seq({{"model", LiveSeq2seq{*m.model, m.source_vocab, m.target_vocab}}}, port, title, example);
}

}  // namespace glimpse::lessons
