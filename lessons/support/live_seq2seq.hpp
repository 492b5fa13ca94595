// Live mode for the encoder-decoder lessons (06, 07, 12): --serve [PORT] keeps the trained model
// and serves a page on 127.0.0.1 where the learner types a source sentence and sees the decoding
// and its attention, with a beam width and source tokens hidden from the attention to play with.
// The server is trace/live_server.hpp; this file turns one request into one decoding.
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
#include "support/seq2seq_lesson.hpp"
#include "trace/live_server.hpp"
#include "trace/viewer.hpp"

namespace glimpse::lessons {

// --serve [PORT]: 0 picks any free port; without a value, `default_port`.
inline void add_serve_flag(CLI::App& app, std::optional<int>& port, int default_port) {
  app.add_option(
         "--serve", port,
         fmt::format("after the lesson, keep the model and serve live mode on 127.0.0.1:PORT (default {}; 0 "
                     "= any free port): type a sentence, see its decoding and attention. Ctrl-C stops.",
                     default_port))
      ->expected(0, 1)
      ->default_str(std::to_string(default_port))
      ->transform(in_range<int>(0, 65535));
}

// One request: {"source": "a b c", "beam": 1..8, "hide": [1-based source positions]} → the
// decoded tokens and the attention map (rows: output tokens, columns: source tokens).
inline std::string live_decode_json(const Seq2seqModel& m, const nlohmann::json& body) {
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
      throw Error("live", fmt::format("unknown token '{}'; the model knows: {}", t,
                                      fmt::join(m.source_vocab.tokens().begin() + 4,
                                                m.source_vocab.tokens().end(), " ")));
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

  NoGradGuard no_grad;
  const IndexTensor source(m.source_vocab.encode(tokens), {1, S});
  const Tensor source_mask = from_vector(mask, {1, S});
  const int64_t max_length = 2 * S + 5;
  std::vector<int64_t> output;
  std::vector<std::vector<float>> weights;
  bool finished = false;
  std::vector<std::string> notes;
  if (beam == 1) {
    const nn::GreedyOutput g = nn::greedy_decode(*m.model, source, source_mask, max_length);
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
        nn::beam_search(*m.model, source, source_mask, {.width = beam, .max_length = max_length})[0];
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
  rows.resize(weights.size(), "");
  return nlohmann::json{{"tokens", decoded},
                        {"notes", notes},
                        {"map",
                         {{"module", "decoder.attention"},
                          {"kind", "attention"},
                          {"head", -1},
                          {"rows", rows},
                          {"columns", columns},
                          {"weights", weights}}}}
      .dump();
}

inline std::string live_decode(const Seq2seqModel& m, const std::string& request) {
  try {
    return live_decode_json(m, nlohmann::json::parse(request));
  } catch (const nlohmann::json::exception& e) {  // e.g. "beam": "two"
    throw Error("live", fmt::format("malformed request: {}", e.what()));
  }
}

// Serves live mode until Ctrl-C. `example` fills the form at first.
inline void serve_seq2seq(const Seq2seqModel& m, int port, const std::string& title,
                          const std::string& example) {
  const nlohmann::json live = {
      {"title", title},
      {"hint",
       "Type a source sentence (tokens separated by spaces) and press Enter. Widen the beam, or hide "
       "source positions (1 is the first token) from the attention, and see what changes."},
      {"example", example},
      {"max_beam", 8}};
  trace::LiveServer server(trace::viewer_html(title, {}, nullptr, "", {}, live.dump()),
                           [&m](const std::string& request) { return live_decode(m, request); });
  const int bound = server.bind(port);
  fmt::print("\nLive mode: open http://127.0.0.1:{}/ in a browser on this machine. Ctrl-C stops.\n", bound);
  std::fflush(stdout);
  server.serve(/*stop_on_signal=*/true);
  fmt::print("Live mode stopped.\n");
}

}  // namespace glimpse::lessons
