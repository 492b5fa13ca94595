// Shared by lessons 05, 06 and 07: build an encoder-decoder and its data for a task with known
// answers, then (after the lesson's training loop) measure exact-sequence accuracy by source
// length — the experiment of Bahdanau et al.'s Figure 2, in miniature. Only the decoder differs.
#pragma once

#include <fmt/ranges.h>
#include <glimpse.hpp>

#include <memory>
#include <string>
#include <vector>

#include "nn/decoding.hpp"
#include "nn/seq2seq.hpp"
#include "nn/tasks.hpp"
#include "support/lesson.hpp"

namespace glimpse::lessons {

struct Seq2seqFlags {
  std::string task = "reverse";
  int64_t min_length = 4;    // training sources are min..max long
  int64_t max_length = 12;
  int64_t test_max_length = 16;  // tested up to here: the last lengths were never seen in training
  int64_t hidden = 64;
  int64_t embedding = 16;
  int64_t batch = 32;
  float lr = 5e-3f;
  int64_t test_per_length = 100;
};

inline void add_seq2seq_flags(CLI::App& app, Seq2seqFlags& f) {
  app.add_option("--task", f.task, "task: copy, reverse, sort, dates, translation")
      ->capture_default_str()
      ->check(CLI::IsMember({"copy", "reverse", "sort", "dates", "translation"}));
  add_number(app, "--min-length", f.min_length, "shortest training source", 1, 50);
  add_number(app, "--max-length", f.max_length, "longest training source", 1, 50);
  add_number(app, "--test-max-length", f.test_max_length, "longest tested source (beyond training: unseen lengths)", 1, 60);
  add_number(app, "--hidden", f.hidden, "GRU hidden size (the size of the fixed context vector)", 1, 512);
  add_number(app, "--embedding", f.embedding, "token embedding size", 1, 512);
  add_batch_flag(app, f.batch, "sequences", 256);  // at most 256 × 512 floats per state and step
  add_lr_flag(app, f.lr);
  add_number(app, "--test-per-length", f.test_per_length, "held-out sequences per source length", 1, 10000);
}

// The checks between the flags: the lengths in order, and lengths the task can make.
inline void check_seq2seq_flags(const Seq2seqFlags& f) {
  require(f.min_length <= f.max_length,
          fmt::format("--min-length {} must not exceed --max-length {}", f.min_length, f.max_length));
  try {
    (void)nn::make_task(f.task, f.min_length, f.max_length);
    (void)nn::make_task(f.task, f.max_length, f.max_length);  // the lessons trace one of the longest
  } catch (const Error& e) {
    const std::string what = e.what();  // its first line; the next names this file, not the learner's
    throw std::invalid_argument(fmt::format("--task {} with --min-length {} --max-length {}: {}", f.task,
                                            f.min_length, f.max_length, what.substr(0, what.find('\n'))));
  }
}

// An encoder-decoder ready to train: the model, the vocabularies it reads and writes, and the
// batches it trains on. The lesson writes the training loop.
struct Seq2seqModel {
  std::shared_ptr<nn::Seq2seq> model;
  nn::Vocab source_vocab, target_vocab;
  nn::Batcher batcher;  // `next()` gives one training step's batch
};

// The training data of `f.task`, its vocabularies, and a model built on them by `make_model`
// from the initial-weight generator. The same seed gives the same data and the same generator to
// every model, so two models of one lesson differ only in what `make_model` builds.
template <class MakeModel>
Seq2seqModel make_seq2seq_with(const Seq2seqFlags& f, const CommonFlags& common, MakeModel&& make_model) {
  const auto task = nn::make_task(f.task, f.min_length, f.max_length);
  nn::Vocab source_vocab(task->source_tokens()), target_vocab(task->target_tokens());
  Generator data_gen(common.seed);
  nn::Batcher batcher(nn::generate(*task, std::max<int64_t>(common.steps * f.batch / 4, 1000), data_gen),
                      source_vocab, target_vocab, f.batch, common.seed);
  Generator init(common.seed + 1);
  std::shared_ptr<nn::Seq2seq> model = make_model(source_vocab.size(), target_vocab.size(), init);
  return {std::move(model), std::move(source_vocab), std::move(target_vocab), std::move(batcher)};
}

// A GRU encoder-decoder of lessons 05–07, with Bahdanau attention or without; with the same seed
// both start from the same encoder, so only the decoder differs.
inline Seq2seqModel make_seq2seq(bool attention, const Seq2seqFlags& f, const CommonFlags& common) {
  return make_seq2seq_with(f, common, [&](int64_t source_size, int64_t target_size, Generator& init) {
    auto encoder = std::make_shared<nn::Encoder>(source_size, f.embedding, f.hidden, false, init);
    std::shared_ptr<nn::Seq2seqDecoder> decoder;
    if (attention)
      decoder = std::make_shared<nn::AttentionDecoder>(target_size, f.embedding, f.hidden, 0, init);
    else
      decoder = std::make_shared<nn::Decoder>(target_size, f.embedding, f.hidden, init);
    return std::make_shared<nn::Seq2seq>(encoder, decoder);
  });
}

struct LengthAccuracy {
  int64_t length = 0;
  double exact = 0;   // fraction of sequences decoded exactly right
  double tokens = 0;  // fraction of target positions right (up to the shorter length)
  double too_long = 0;   // fraction decoded longer than the target: right tokens, then no <eos>
  bool trained = false;  // this length occurs in the training data
};

// Greedy decoding on `f.test_per_length` fresh sequences of every length from 1 to
// f.test_max_length that the task can produce.
inline std::vector<LengthAccuracy> accuracy_by_length(const Seq2seqModel& t, const Seq2seqFlags& f,
                                                      uint64_t seed) {
  std::vector<LengthAccuracy> rows;
  Generator gen(seed + 1000);  // not the training data's generator
  for (int64_t length = 1; length <= f.test_max_length; ++length) {
    std::unique_ptr<nn::Task> task;
    try {
      task = nn::make_task(f.task, length, length);
    } catch (const Error&) {
      continue;  // this task cannot make sources of this length
    }
    const std::vector<nn::Example> examples = nn::generate(*task, f.test_per_length, gen);
    const nn::Batch batch = nn::make_batch(examples, t.source_vocab, t.target_vocab);
    const nn::GreedyOutput out = nn::greedy_decode(*t.model, batch.source, batch.source_mask, batch.target_len() + 5);
    LengthAccuracy row{length, 0, 0, 0, length >= f.min_length && length <= f.max_length};
    int64_t positions = 0, right = 0;
    for (size_t i = 0; i < examples.size(); ++i) {
      const std::vector<std::string> decoded = t.target_vocab.decode(out.sequences[i]);
      row.exact += decoded == examples[i].target;
      row.too_long += decoded.size() > examples[i].target.size();
      for (size_t k = 0; k < examples[i].target.size(); ++k) right += k < decoded.size() && decoded[k] == examples[i].target[k];
      positions += static_cast<int64_t>(examples[i].target.size());
    }
    row.exact /= static_cast<double>(examples.size());
    row.too_long /= static_cast<double>(examples.size());
    row.tokens = static_cast<double>(right) / static_cast<double>(std::max<int64_t>(positions, 1));
    rows.push_back(row);
  }
  return rows;
}

// A target as the decoder writes it, ending in <eos>: given to the tracer, it labels the decoder's
// last step "<eos>" in heatmaps, alignment graphs and tables.
inline std::vector<std::string> with_eos(std::vector<std::string> tokens, const nn::Vocab& vocab) {
  tokens.push_back(vocab.token(nn::Vocab::kEos));
  return tokens;
}

// A text bar of `fraction` (0..1) in `width` cells.
inline std::string bar(double fraction, int width = 20) {
  const int full = static_cast<int>(fraction * width + 0.5);
  std::string s;
  for (int i = 0; i < width; ++i) s += i < full ? "█" : "·";
  return s;
}

// The accuracy-by-length table; with `compare`, two columns side by side.
inline std::string format_length_table(const std::vector<LengthAccuracy>& a, const std::string& a_name,
                                       const std::vector<LengthAccuracy>* b = nullptr, const std::string& b_name = "") {
  std::string s = fmt::format("{:>6}  {:<34}", "length", a_name + ": exact (tokens)");
  if (b) s += fmt::format("  {:<34}", b_name + ": exact (tokens)");
  s += "\n";
  for (size_t i = 0; i < a.size(); ++i) {
    s += fmt::format("{:>5}{} {} {:5.1f}% ({:5.1f}%)", a[i].length, a[i].trained ? " " : "*", bar(a[i].exact, 12),
                     100 * a[i].exact, 100 * a[i].tokens);
    if (b) s += fmt::format("   {} {:5.1f}% ({:5.1f}%)", bar((*b)[i].exact, 12), 100 * (*b)[i].exact, 100 * (*b)[i].tokens);
    s += "\n";
  }
  s += "  * a length never seen in training\n";
  // Per-token accuracy counts the target's positions only, so a decoder that writes every token
  // right and then does not stop scores 100 % per token and 0 % exact. Say where that happens.
  std::vector<int64_t> overrun;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].too_long > 0.5 || (b && (*b)[i].too_long > 0.5)) overrun.push_back(a[i].length);
  if (!overrun.empty())
    s += fmt::format("  at length{} {} most decoded sequences do not stop where the target ends (no <eos> there):\n"
                     "  not exact, although each of the target's tokens may be right (tokens)\n",
                     overrun.size() > 1 ? "s" : "", fmt::join(overrun, ", "));
  return s;
}

// One TSV table of several models' rows (model name, its rows), under one header line.
inline std::string length_table_tsv(
    const std::vector<std::pair<std::string, const std::vector<LengthAccuracy>*>>& models) {
  std::string s = "model\tlength\tseen_in_training\texact_accuracy\ttoken_accuracy\n";
  for (const auto& [model, rows] : models)
    for (const auto& r : *rows)
      s += fmt::format("{}\t{}\t{}\t{:.4f}\t{:.4f}\n", model, r.length, r.trained ? 1 : 0, r.exact, r.tokens);
  return s;
}

inline std::string length_table_tsv(const std::vector<LengthAccuracy>& rows, const std::string& model) {
  return length_table_tsv({{model, &rows}});
}

// Bahdanau et al.'s Figure 2 drawn: exact accuracy against source length, one curve per model
// (name, its rows), and a dashed line at the longest length trained when longer ones are tested.
inline trace::LinePlot length_plot(
    const std::string& title,
    const std::vector<std::pair<std::string, const std::vector<LengthAccuracy>*>>& models) {
  trace::LinePlot plot;
  plot.title = title;
  plot.x_label = "source length (tokens)";
  plot.y_label = "exact-sequence accuracy (%)";
  plot.y_min = 0, plot.y_max = 100;
  int64_t longest_trained = 0;
  bool untrained_tested = false;
  for (const auto& [model, rows] : models) {
    trace::Series curve{.name = model, .points = true};
    for (const LengthAccuracy& r : *rows) {
      curve.x.push_back(static_cast<double>(r.length));
      curve.y.push_back(100 * r.exact);
      if (r.trained) longest_trained = std::max(longest_trained, r.length);
      untrained_tested = untrained_tested || !r.trained;
    }
    plot.series.push_back(curve);
  }
  if (untrained_tested)
    plot.lines.push_back({"longest length trained", static_cast<double>(longest_trained)});
  return plot;
}

}  // namespace glimpse::lessons
