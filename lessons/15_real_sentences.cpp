// Lesson 15 — Real sentences.
//
// Every sentence so far came from a grammar we wrote. This lesson translates real ones: the
// messages of the programs on this very machine (coreutils, dpkg, tar, bash, ...) and the French
// translations their gettext catalogs ship ("invalid line number increment" → "incrément de
// nombre de ligne incorrect"). The three encoder-decoders of the course train on the same pairs —
// a GRU with one fixed vector (lesson 05), a GRU with Bahdanau attention (lesson 06), a
// Transformer (lesson 12) — and are scored by source length with exact match, per-word accuracy
// and BLEU, Bahdanau et al.'s Figure 2 on real text. Real text has no answer key for alignment, so
// a bilingual dictionary (Debian's freedict) stands in: does attention look at a source word the
// dictionary pairs with the French word being written?
#include <algorithm>
#include <cmath>
#include <glimpse.hpp>
#include <map>
#include <optional>

#include "nn/bilingual_dictionary.hpp"
#include "nn/bleu.hpp"
#include "nn/clip_grad.hpp"
#include "nn/lr_scheduler.hpp"
#include "nn/message_pairs.hpp"
#include "nn/optim.hpp"
#include "nn/transformer_seq2seq_decoder.hpp"
#include "nn/transformer_seq2seq_encoder.hpp"
#include "support/lesson.hpp"
#include "support/live_seq2seq.hpp"
#include "support/seq2seq_lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

namespace {

struct Corpus {
  std::vector<nn::Example> train, held_out;
  nn::Vocab english, french;  // from the training sentences only: a held-out word never seen is <unk>
};

nn::Example as_example(const nn::MessagePair& pair) { return {pair.english, pair.french, {}, -1}; }

// Messages shuffled by the seed, the last `held_out_share` kept out of training.
Corpus split(const std::vector<nn::MessagePair>& pairs, double held_out_share, int64_t min_count,
             uint64_t seed) {
  std::vector<size_t> order(pairs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  Generator gen(seed);
  for (size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[gen.integer(static_cast<int64_t>(i))]);
  const auto held = static_cast<size_t>(held_out_share * static_cast<double>(pairs.size()));
  Corpus c;
  for (size_t k = 0; k < order.size(); ++k)
    (k < order.size() - held ? c.train : c.held_out).push_back(as_example(pairs[order[k]]));
  // Words seen once in training become <unk>: a model cannot learn a word from one sentence, and
  // the output layer shrinks by half.
  std::map<std::string, int64_t> english_count, french_count;
  for (const nn::Example& e : c.train) {
    for (const std::string& w : e.source) ++english_count[w];
    for (const std::string& w : e.target) ++french_count[w];
  }
  for (const nn::Example& e : c.train) {
    for (const std::string& w : e.source)
      if (english_count[w] >= min_count) c.english.add(w);
    for (const std::string& w : e.target)
      if (french_count[w] >= min_count) c.french.add(w);
  }
  return c;
}

enum class Kind { FixedVector, Attention, Transformer };

struct Sizes {
  int64_t hidden = 64, embedding = 32;                        // the GRUs
  int64_t dim = 32, heads = 4, layers = 2, feedforward = 64;  // the Transformer
};

std::shared_ptr<nn::Seq2seq> make_model(Kind kind, const Corpus& c, const Sizes& s, uint64_t seed) {
  Generator init(seed + 1);
  const int64_t V_in = c.english.size(), V_out = c.french.size();
  if (kind == Kind::Transformer)
    return std::make_shared<nn::Seq2seq>(
        std::make_shared<nn::TransformerSeq2seqEncoder>(V_in, s.dim, s.heads, s.layers, s.feedforward, 0.0f,
                                                        "relu", false, init),
        std::make_shared<nn::TransformerSeq2seqDecoder>(V_out, s.dim, s.heads, s.layers, s.feedforward, 0.0f,
                                                        "relu", false, init));
  auto encoder = std::make_shared<nn::Encoder>(V_in, s.embedding, s.hidden, false, init);
  if (kind == Kind::Attention)
    return std::make_shared<nn::Seq2seq>(
        encoder, std::make_shared<nn::AttentionDecoder>(V_out, s.embedding, s.hidden, 0, init));
  return std::make_shared<nn::Seq2seq>(encoder,
                                       std::make_shared<nn::Decoder>(V_out, s.embedding, s.hidden, init));
}

// Source lengths in bins, as Bahdanau et al. plot by length.
struct Bin {
  int64_t low, high;
};
const std::vector<Bin> kBins = {{2, 3}, {4, 5}, {6, 7}, {8, 12}};

struct Scores {
  std::vector<int64_t> sentences, exact, right_words, words;  // per bin
  std::vector<double> bleu;                                   // per bin
  double all_bleu = 0;                                        // over every held-out sentence
};

double corpus_bleu_of(const std::vector<nn::Tokens>& hypotheses, const std::vector<nn::Tokens>& references) {
  std::vector<std::vector<nn::Tokens>> refs;
  for (const auto& r : references) refs.push_back({r});
  return nn::corpus_bleu(refs, hypotheses).bleu;
}

// Greedy translations of the held-out sentences, scored per length bin.
Scores evaluate(const nn::Seq2seq& model, const Corpus& c) {
  Scores s;
  const size_t bins = kBins.size();
  s.sentences.assign(bins, 0), s.exact.assign(bins, 0), s.right_words.assign(bins, 0),
      s.words.assign(bins, 0);
  std::vector<std::vector<nn::Tokens>> hypotheses(bins), references(bins);  // per bin
  std::vector<nn::Tokens> all_hypotheses, all_references;
  NoGradGuard no_grad;
  for (size_t start = 0; start < c.held_out.size(); start += 64) {
    const std::vector<nn::Example> chunk(
        c.held_out.begin() + static_cast<std::ptrdiff_t>(start),
        c.held_out.begin() + static_cast<std::ptrdiff_t>(std::min(start + 64, c.held_out.size())));
    const nn::Batch batch = nn::make_batch(chunk, c.english, c.french);
    const nn::GreedyOutput out =
        nn::greedy_decode(model, batch.source, batch.source_mask, batch.target_len() + 3);
    for (size_t i = 0; i < chunk.size(); ++i) {
      const auto length = static_cast<int64_t>(chunk[i].source.size());
      size_t b = 0;
      while (b + 1 < bins && length > kBins[b].high) ++b;
      const std::vector<std::string> decoded = c.french.decode(out.sequences[i]);
      const std::vector<std::string>& truth = chunk[i].target;
      ++s.sentences[b];
      s.exact[b] += decoded == truth;
      for (size_t k = 0; k < truth.size(); ++k)
        s.right_words[b] += k < decoded.size() && decoded[k] == truth[k];
      s.words[b] += static_cast<int64_t>(truth.size());
      hypotheses[b].push_back(decoded);
      references[b].push_back(truth);
      all_hypotheses.push_back(decoded);
      all_references.push_back(truth);
    }
  }
  for (size_t b = 0; b < bins; ++b) s.bleu.push_back(corpus_bleu_of(hypotheses[b], references[b]));
  s.all_bleu = corpus_bleu_of(all_hypotheses, all_references);
  return s;
}

// Teacher-forced attention on the held-out sentences against the dictionary: over the French
// words some source word of their sentence is paired with, the share whose argmax is such a word.
struct DictionaryScore {
  int64_t right = 0, total = 0;
  double share() const {
    return static_cast<double>(right) / static_cast<double>(std::max<int64_t>(total, 1));
  }
};

// `pointed_at(b, k)` is the source position target word k of example b looks at.
template <class PointedAt>
DictionaryScore dictionary_alignment(const std::vector<nn::Example>& examples,
                                     const nn::BilingualDictionary& dictionary, PointedAt&& pointed_at) {
  DictionaryScore d;
  for (size_t b = 0; b < examples.size(); ++b) {
    const nn::Example& e = examples[b];
    for (size_t k = 0; k < e.target.size(); ++k) {
      bool paired = false;
      for (const std::string& w : e.source) paired |= dictionary.pairs(w, e.target[k]);
      if (!paired) continue;  // the dictionary says nothing about this word here
      const int64_t j = pointed_at(b, k);
      d.right += j < static_cast<int64_t>(e.source.size()) && dictionary.pairs(e.source[j], e.target[k]);
      ++d.total;
    }
  }
  return d;
}

// Where the argmax of attention [B, T, S] lands.
DictionaryScore dictionary_alignment(const Tensor& attention, const std::vector<nn::Example>& examples,
                                     const nn::BilingualDictionary& dictionary) {
  const IndexTensor pointed = argmax(attention, -1);  // [B, T]
  const int64_t T = pointed.shape[1];
  return dictionary_alignment(examples, dictionary, [&](size_t b, size_t k) {
    return pointed[static_cast<int64_t>(b) * T + static_cast<int64_t>(k)];
  });
}

// No model: target word k looks at the source word at the same relative place, the diagonal a
// word-for-word translation would follow. What attention must beat to show it found the words.
DictionaryScore diagonal_alignment(const std::vector<nn::Example>& examples,
                                   const nn::BilingualDictionary& dictionary) {
  return dictionary_alignment(examples, dictionary, [&](size_t b, size_t k) {
    const auto S = static_cast<double>(examples[b].source.size()),
               T = static_cast<double>(examples[b].target.size());
    return static_cast<int64_t>(std::lround(T > 1 ? static_cast<double>(k) * (S - 1) / (T - 1) : 0.0));
  });
}

// A held-out sentence whose words move: two French words the dictionary pairs with English words
// in the opposite order ("invalid line" → "ligne incorrecte"). The first one, else the first pair.
const nn::Example& a_sentence_whose_words_move(const std::vector<nn::Example>& examples,
                                               const nn::BilingualDictionary* dictionary) {
  const auto source_of = [&](const nn::Example& e, size_t k) -> int64_t {
    for (size_t j = 0; j < e.source.size(); ++j)
      if (dictionary->pairs(e.source[j], e.target[k])) return static_cast<int64_t>(j);
    return -1;
  };
  if (dictionary != nullptr)
    for (const nn::Example& e : examples) {
      if (e.source.size() < 3) continue;
      int64_t latest = -1;
      for (size_t k = 0; k < e.target.size(); ++k) {
        const int64_t j = source_of(e, k);
        if (j < 0) continue;
        if (j < latest) return e;
        latest = j;
      }
    }
  return examples.front();
}

}  // namespace

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{
        "Lesson 15: real sentences. The three encoder-decoders of the course trained on the English "
        "messages of this machine's programs and their French gettext translations; exact, per-word and "
        "BLEU scores by source length, and attention scored against a bilingual dictionary."};
    lessons::CommonFlags flags;
    flags.out = "out/15_real_sentences";
    flags.steps = 600;
    Sizes sizes;
    int64_t batch_size = 32;
    float lr = 5e-3f, gru_lr = 5e-3f;
    std::string catalogs = "/usr/share/locale/fr/LC_MESSAGES";
    std::string dictionary_index = nn::kFreedictEngFraIndex, dictionary_data = nn::kFreedictEngFraData;
    std::optional<int> serve;
    lessons::add_common_flags(app, flags);
    lessons::add_serve_flag(app, serve, 8015);
    lessons::add_batch_flag(app, batch_size, "sentence pairs", 256);
    lessons::add_number(app, "--lr", lr, "the Transformer's Adam learning rate", 1e-6f, 1.0f);
    lessons::add_number(app, "--gru-lr", gru_lr, "the GRUs' Adam learning rate", 1e-6f, 1.0f);
    app.add_option("--catalogs", catalogs,
                   "folder of the French gettext catalogs (coreutils.mo, dpkg.mo, ...)")
        ->capture_default_str();
    app.add_option("--dictionary-index", dictionary_index,
                   "English-French dictionary, dictd index (apt-get install dict-freedict-eng-fra)")
        ->capture_default_str();
    app.add_option("--dictionary-data", dictionary_data,
                   "English-French dictionary, dictd data (.dict or .dict.dz)")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    lessons::prepare_out_dir(flags.out);
    if (flags.smoke)
      flags.steps = 10, sizes.hidden = 16, sizes.embedding = 8, sizes.dim = 16, sizes.feedforward = 32;

    // 1. The corpus: this machine's messages.
    const std::vector<nn::MessagePair> pairs = nn::read_message_pairs(catalogs, nn::base_catalog_names());
    std::map<std::string, int64_t> per_catalog;
    for (const auto& p : pairs) ++per_catalog[p.catalog];
    fmt::print("1. {} English → French message pairs of 2 to 12 tokens from the catalogs in {}:\n  ",
               pairs.size(), catalogs);
    for (const std::string& name : nn::base_catalog_names()) fmt::print("{} {}  ", name, per_catalog[name]);
    fmt::print("\n");
    Corpus corpus = split(pairs, 0.1, 2, flags.seed);
    int64_t unknown = 0, held_words = 0;
    for (const nn::Example& e : corpus.held_out)
      for (const std::string& w : e.source) unknown += !corpus.english.contains(w), ++held_words;
    fmt::print(
        "  split by message: {} to train on, {} held out; vocabularies from the training side: {} English "
        "and\n"
        "  {} French tokens (words seen once in training are <unk>); {:.1f}% of the held-out English tokens\n"
        "  are <unk> to the models.\n",
        corpus.train.size(), corpus.held_out.size(), corpus.english.size(), corpus.french.size(),
        100.0 * static_cast<double>(unknown) / static_cast<double>(std::max<int64_t>(held_words, 1)));

    // 2. Training the three models on the same batches.
    fmt::print("\n2. Training three encoder-decoders, {} steps of {} pairs each.\n", flags.steps, batch_size);
    const std::vector<std::pair<Kind, std::string>> kinds = {{Kind::FixedVector, "GRU, fixed vector"},
                                                             {Kind::Attention, "GRU + attention"},
                                                             {Kind::Transformer, "Transformer"}};
    std::vector<std::shared_ptr<nn::Seq2seq>> models;
    lessons::LossCurves losses;  // each model's, for the loss plot
    for (const auto& [kind, label] : kinds) {
      std::shared_ptr<nn::Seq2seq> model = make_model(kind, corpus, sizes, flags.seed);
      nn::Batcher batcher(corpus.train, corpus.english, corpus.french, batch_size, flags.seed);
      nn::Adam adam(model->parameters(), {.lr = kind == Kind::Transformer ? lr : gru_lr});
      nn::StepLR schedule(adam, std::max<int64_t>(flags.steps / 3, 1), 0.5f);
      if (!flags.quiet) fmt::print(stderr, "Training the {}:\n", label);
      lessons::Progress progress(flags.steps, flags.quiet);
      for (int64_t step = 0; step < flags.steps; ++step) {
        const nn::Batch batch = batcher.next();
        adam.zero_grad();
        Tensor loss = model->loss(batch);
        loss.backward();
        nn::clip_grad_norm(model->parameters(), 1.0f);
        adam.step();
        schedule.step();
        progress.update(step, loss.item());
      }
      model->eval();
      losses.emplace_back(label, progress.losses());
      fmt::print("  {:<18} {:>8} parameters{}\n", label, lessons::parameter_count(*model),
                 flags.quiet ? "" : fmt::format(", {:.1f} s", progress.seconds()));
      models.push_back(model);
    }

    // 3. Scores by source length.
    fmt::print(
        "\n3. Held-out translations, greedy, by source length: exact match, words right (position by\n"
        "  position), corpus BLEU.\n\n  {:<8}{:>6}",
        "length", "pairs");
    for (const auto& [kind, label] : kinds) fmt::print("  {:^26}", label);
    fmt::print("\n");
    std::vector<Scores> scores;
    for (const auto& model : models) scores.push_back(evaluate(*model, corpus));
    for (size_t b = 0; b < kBins.size(); ++b) {
      fmt::print("  {:<8}{:>6}", fmt::format("{}-{}", kBins[b].low, kBins[b].high), scores[0].sentences[b]);
      for (const Scores& s : scores) {
        const double n = static_cast<double>(std::max<int64_t>(s.sentences[b], 1));
        fmt::print("  {:5.1f}% {:5.1f}% BLEU {:5.1f}", 100.0 * s.exact[b] / n,
                   100.0 * s.right_words[b] / static_cast<double>(std::max<int64_t>(s.words[b], 1)),
                   100.0 * s.bleu[b]);
      }
      fmt::print("\n");
    }
    fmt::print("  {:<8}{:>6}", "all", corpus.held_out.size());
    for (const Scores& s : scores) fmt::print("  {:>21} {:5.1f}", "BLEU", 100.0 * s.all_bleu);
    fmt::print("\n");

    // 4. Attention against the dictionary.
    trace::OutputFolder out(flags.out);
    std::error_code ec;
    std::optional<nn::BilingualDictionary> dictionary;
    if (std::filesystem::exists(dictionary_index, ec))
      dictionary = nn::BilingualDictionary::read_dictd(dictionary_index, dictionary_data);
    if (dictionary) {
      NoGradGuard no_grad;
      const nn::Batch batch = nn::make_batch(corpus.held_out, corpus.english, corpus.french);
      fmt::print(
          "\n4. Where attention looks, against Debian's English-French dictionary ({} headwords): over the\n"
          "  French words of the held-out sentences that the dictionary pairs with a word of their source,\n"
          "  the share whose attention argmax is on such a word (teacher-forced; the Transformer's is its\n"
          "  last decoder layer's cross-attention, averaged over heads):\n",
          dictionary->size());
      for (size_t m = 1; m < models.size(); ++m) {
        const DictionaryScore d =
            dictionary_alignment(models[m]->forward(batch).attention, corpus.held_out, *dictionary);
        fmt::print("  {:<18} {:5.1f}% of {} words\n", kinds[m].second, 100.0 * d.share(), d.total);
      }
      const DictionaryScore diagonal = diagonal_alignment(corpus.held_out, *dictionary);
      fmt::print("  {:<18} {:5.1f}% (no model: the source word at the same relative place)\n", "the diagonal",
                 100.0 * diagonal.share());
    } else {
      fmt::print("\n4. (skipped: {} is missing; apt-get install dict-freedict-eng-fra)\n", dictionary_index);
    }

    // 5. One held-out sentence whose words move, drawn for both attentive models.
    const nn::Example& drawn =
        a_sentence_whose_words_move(corpus.held_out, dictionary ? &*dictionary : nullptr);
    {
      NoGradGuard no_grad;
      const nn::Batch batch = nn::make_batch(std::vector<nn::Example>{drawn}, corpus.english, corpus.french);
      for (size_t m = 1; m < models.size(); ++m) {
        const std::string stem = m == 1 ? "attention_gru" : "attention_transformer";
        trace::write_picture(
            out, stem,
            trace::heatmap_to_dot(trace::attention_map(models[m]->forward(batch).attention,
                                                       lessons::with_eos(drawn.target, corpus.french),
                                                       drawn.source, kinds[m].second)),
            fmt::format("{}: French words × English words of a held-out message", kinds[m].second));
      }
    }
    fmt::print("\n5. Drawn: \"{}\"  →  \"{}\" (held out: no model saw it)\n", nn::join_tokens(drawn.source),
               nn::join_tokens(drawn.target));

    std::string tsv = "model\tsource_length\tpairs\texact\twords_right\tbleu\n";
    for (size_t m = 0; m < models.size(); ++m)
      for (size_t b = 0; b < kBins.size(); ++b) {
        const Scores& s = scores[m];
        tsv += fmt::format(
            "{}\t{}-{}\t{}\t{:.4f}\t{:.4f}\t{:.4f}\n", kinds[m].second, kBins[b].low, kBins[b].high,
            s.sentences[b], static_cast<double>(s.exact[b]) / std::max<double>(s.sentences[b], 1),
            static_cast<double>(s.right_words[b]) / std::max<double>(s.words[b], 1), s.bleu[b]);
      }
    out.write("scores_by_length.tsv", tsv, "exact match, words right and BLEU by source length, every model");
    // The table's BLEU and words-right columns as curves, each bin drawn at its middle length.
    const auto by_length = [&](const std::string& title, const std::string& y_label, const auto& score_of) {
      trace::LinePlot plot{.title = title,
                           .x_label = "source length (words; bins 2-3, 4-5, 6-7 and 8-12 at their middle)",
                           .y_label = y_label,
                           .y_min = 0};
      for (size_t m = 0; m < models.size(); ++m) {
        trace::Series curve{.name = kinds[m].second, .points = true};
        for (size_t b = 0; b < kBins.size(); ++b) {
          curve.x.push_back(static_cast<double>(kBins[b].low + kBins[b].high) / 2);
          curve.y.push_back(100 * score_of(scores[m], b));
        }
        plot.series.push_back(curve);
      }
      return trace::render_line_plot(plot);
    };
    out.write("bleu_by_length.svg",
              by_length("Lesson 15: BLEU of held-out messages against source length", "corpus BLEU (0-100)",
                        [](const Scores& s, size_t b) { return s.bleu[b]; }),
              "the table's BLEU column as a plot, every model");
    out.write(
        "words_right_by_length.svg",
        by_length("Lesson 15: words right against source length", "words right, position by position (%)",
                  [](const Scores& s, size_t b) {
                    return static_cast<double>(s.right_words[b]) / std::max<double>(s.words[b], 1);
                  }),
        "the table's words-right column as a plot, every model");
    out.write("loss.svg", trace::render_line_plot(lessons::loss_plot("Lesson 15: training loss", losses)),
              "training loss against the step, every model");
    out.write_index("Lesson 15: real sentences");
    fmt::print(
        "\nWhat to look at: BLEU over all held-out messages, GRU {:.1f}, GRU + attention {:.1f}, "
        "Transformer\n"
        "{:.1f}. A corpus of {} messages is small: the models learn the frequent words and phrases, not\n"
        "French. In the heatmaps, the bright cells of the words the dictionary pairs should cross where\n"
        "French puts the adjective after the noun.\n",
        100.0 * scores[0].all_bleu, 100.0 * scores[1].all_bleu, 100.0 * scores[2].all_bleu, pairs.size());
    lessons::print_files_to_open(
        {{flags.out + "/attention_gru.svg", "the GRU's attention on the drawn message"},
         {flags.out + "/attention_transformer.svg", "the Transformer's"},
         {flags.out + "/bleu_by_length.svg", "BLEU against source length, every model"},
         {flags.out + "/scores_by_length.tsv", "the table above"}});
    if (serve) {
      // The form starts on the drawn message if the models know all its words, else on a training one.
      const auto known = [&](const nn::Example& e) {
        return std::all_of(e.source.begin(), e.source.end(),
                           [&](const std::string& w) { return corpus.english.contains(w); });
      };
      const nn::Example& example = known(drawn) ? drawn : corpus.train.front();
      lessons::serve_seq2seq({{kinds[1].second, {*models[1], corpus.english, corpus.french}},
                              {kinds[2].second, {*models[2], corpus.english, corpus.french}}},
                             *serve, "Lesson 15, live: real sentences", nn::join_tokens(example.source));
    }
    return 0;
  });
}
