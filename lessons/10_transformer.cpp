// Lesson 10 — The Transformer encoder block.
//
// Lesson 09 built self-attention by hand. The Transformer (Vaswani et al. 2017) packs it into a
// block that can be stacked: multi-head attention (several attentions side by side, each with its
// own queries, keys and values), a small feed-forward network applied to every word, and around
// each of the two a residual connection and a layer norm. Word order comes from sinusoidal
// positional encodings added to the embeddings. We stack two such blocks, train them on the same
// coreference sentences ("... because it was too tired / wide": which noun is "it"?), read the
// answer off the vector at "it", and draw every head's attention for one sentence.
#include <algorithm>
#include <glimpse.hpp>
#include <map>
#include <memory>
#include <optional>

#include "nn/attention_mask.hpp"
#include "nn/batch.hpp"
#include "nn/embedding.hpp"
#include "nn/linear.hpp"
#include "nn/optim.hpp"
#include "nn/positional_encoding.hpp"
#include "nn/tasks.hpp"
#include "nn/transformer_encoder_layer.hpp"
#include "nn/vocab.hpp"
#include "support/lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

namespace {

struct Sizes {
  int64_t dim = 32, heads = 4, feedforward = 64, layers = 2;
};

struct Reading {
  Tensor logits;                                          // [B, nouns]: which noun "it" is
  std::vector<nn::TransformerEncoderLayerOutput> layers;  // each block's output and attention
};

// embedding + positional encoding → encoder blocks → a classifier on the vector at "it".
class Encoder : public nn::Module {
 public:
  Encoder(int64_t vocab_size, int64_t answers, const Sizes& sizes, bool norm_first)
      : dim_(sizes.dim),
        words_(register_module("words", std::make_shared<nn::Embedding>(vocab_size, sizes.dim))),
        positions_(register_module("positions", std::make_shared<nn::PositionalEncoding>(sizes.dim))) {
    for (int64_t l = 0; l < sizes.layers; ++l)
      layers_.push_back(
          register_module(fmt::format("layers.{}", l),
                          std::make_shared<nn::TransformerEncoderLayer>(
                              sizes.dim, sizes.heads, sizes.feedforward, /*dropout=*/0.0f, "relu",
                              /*layer_norm_eps=*/1e-5f, norm_first)));
    if (norm_first) final_norm_ = register_module("norm", std::make_shared<nn::LayerNorm>(sizes.dim));
    classifier_ = register_module("classifier", std::make_shared<nn::Linear>(sizes.dim, answers));
  }

  Reading forward(const IndexTensor& ids, const std::vector<int64_t>& lengths,
                  const std::vector<int64_t>& it_positions) const {
    const int64_t B = ids.shape[0], T = ids.shape[1];
    Tensor x = positions_->forward((*words_)(ids));       // [B, T, d]: word + where it stands
    const Tensor padding = nn::padding_mask(lengths, T);  // [B, T]: 1 = padding
    Reading reading;
    for (const auto& layer : layers_) {
      reading.layers.push_back(layer->forward(x, Tensor(), padding));
      x = reading.layers.back().output;
    }
    if (final_norm_) x = (*final_norm_)(x);  // pre-norm stacks end with one more norm
    std::vector<int64_t> rows;               // the vector at "it" in each sentence
    for (int64_t b = 0; b < B; ++b) rows.push_back(b * T + it_positions[b]);
    reading.logits = (*classifier_)(index_select(x.reshape({B * T, dim_}), 0, IndexTensor(rows)));
    return reading;
  }
  std::string kind() const override { return "Encoder"; }

 private:
  int64_t dim_;
  std::shared_ptr<nn::Embedding> words_;
  std::shared_ptr<nn::PositionalEncoding> positions_;
  std::vector<std::shared_ptr<nn::TransformerEncoderLayer>> layers_;
  std::shared_ptr<nn::LayerNorm> final_norm_;
  std::shared_ptr<nn::Linear> classifier_;
};

std::vector<int64_t> it_positions_of(const std::vector<nn::Example>& examples, const nn::Batch& batch) {
  std::vector<int64_t> out;
  for (int64_t i : batch.example_indices) out.push_back(examples[i].query_position);
  return out;
}

IndexTensor answers_of(const std::vector<nn::Example>& examples, const nn::Batch& batch,
                       const nn::Vocab& nouns) {
  std::vector<int64_t> out;
  for (int64_t i : batch.example_indices) out.push_back(nouns.id(examples[i].target[0]));
  return IndexTensor(out);
}

// The mean loss over each quarter of training: how fast it fell.
std::vector<float> quarters(const std::vector<float>& losses) {
  std::vector<float> out(4, 0.0f);
  const size_t n = losses.size();
  for (size_t q = 0; q < 4; ++q) {
    const size_t begin = q * n / 4, end = std::max((q + 1) * n / 4, begin + 1);
    for (size_t i = begin; i < end && i < n; ++i) out[q] += losses[i] / (end - begin);
  }
  return out;
}

// Where each head of each block sends the attention of "it", averaged over held-out sentences.
struct HeadShares {
  double animate = 0, place = 0, adjective = 0, itself = 0;
  double referent = 0, other = 0;  // the same nouns again, split by which one "it" means
};

struct Score {
  int64_t sentences = 0, correct = 0;
  std::vector<std::vector<HeadShares>> heads;  // [layer][head]
  // The share on the animate noun again, split by which noun it is ("animal", "dog", ...):
  // [noun][layer][head]. Which head fetches it can depend on the word.
  std::map<std::string, std::vector<std::vector<double>>> animate_by_noun;
  std::map<std::string, int64_t> sentences_by_noun;
};

Score evaluate(const Encoder& model, const nn::Task& task, const std::vector<nn::Example>& examples,
               const nn::Vocab& words, const nn::Vocab& nouns, const Sizes& sizes) {
  NoGradGuard no_grad;
  Score s;
  s.heads.assign(sizes.layers, std::vector<HeadShares>(sizes.heads));
  const std::vector<std::string> noun_list = task.target_tokens();
  for (size_t start = 0; start < examples.size(); start += 100) {
    const std::vector<nn::Example> chunk(examples.begin() + start,
                                         examples.begin() + std::min(examples.size(), start + 100));
    const nn::Batch batch = nn::make_batch(chunk, words, nouns);
    const Reading r = model.forward(batch.source, batch.source_lengths, it_positions_of(chunk, batch));
    const IndexTensor guesses = argmax(r.logits, 1);
    const IndexTensor answers = answers_of(chunk, batch, nouns);
    for (int64_t b = 0; b < batch.size(); ++b) {
      const nn::Example& ex = chunk[b];
      s.correct += guesses[b] == answers[b];
      const int64_t it = ex.query_position, referent = ex.alignment[0].front(),
                    last = batch.source_lengths[b] - 1;
      int64_t other = -1;  // the noun "it" is not
      for (int64_t t = 0; t <= last; ++t)
        if (t != referent && std::count(noun_list.begin(), noun_list.end(), ex.source[t])) other = t;
      const auto& tired_words = nn::CoreferenceTask::animate_adjectives();
      const bool tired = std::count(tired_words.begin(), tired_words.end(), ex.source[last]) > 0;
      const int64_t animate = tired ? referent : other, place = tired ? other : referent;
      const std::string& noun = ex.source[animate];
      auto& by_noun = s.animate_by_noun.try_emplace(noun, sizes.layers, std::vector<double>(sizes.heads)).first->second;
      ++s.sentences_by_noun[noun];
      for (int64_t l = 0; l < sizes.layers; ++l)
        for (int64_t h = 0; h < sizes.heads; ++h) {
          const Tensor& heads = r.layers[l].head_weights;
          HeadShares& share = s.heads[l][h];
          share.animate += heads.at({b, h, it, animate});
          share.place += heads.at({b, h, it, place});
          share.adjective += heads.at({b, h, it, last});
          share.itself += heads.at({b, h, it, it});
          share.referent += heads.at({b, h, it, referent});
          share.other += heads.at({b, h, it, other});
          by_noun[l][h] += heads.at({b, h, it, animate});
        }
      ++s.sentences;
    }
  }
  for (auto& layer : s.heads)
    for (HeadShares& h : layer)
      for (double* v : {&h.animate, &h.place, &h.adjective, &h.itself, &h.referent, &h.other})
        *v /= s.sentences;
  for (auto& [noun, layers] : s.animate_by_noun)
    for (auto& heads : layers)
      for (double& share : heads) share /= s.sentences_by_noun[noun];
  return s;
}

// "animal: block 0 head 3 (96.0%)" for each animate noun: the head with the largest share on it.
std::string head_by_noun(const Score& s) {
  std::string out;
  int64_t column = 0;
  for (const auto& [noun, layers] : s.animate_by_noun) {
    int64_t best_layer = 0, best_head = 0;
    for (size_t l = 0; l < layers.size(); ++l)
      for (size_t h = 0; h < layers[l].size(); ++h)
        if (layers[l][h] > layers[best_layer][best_head]) best_layer = l, best_head = h;
    out += fmt::format("{}{:>8}: block {} head {} ({:.1f}%)", column++ % 3 == 0 ? "\n  " : "   ", noun, best_layer,
                       best_head, 100 * layers[best_layer][best_head]);
  }
  return out;
}

double percent(const Score& s) { return 100.0 * s.correct / s.sentences; }

// One row per (block, head): the attention of "it" over the words of one sentence.
trace::AttentionMap it_rows(const nn::Example& ex, const Reading& r) {
  trace::AttentionMap map;
  map.module = "\"it\" in every head";
  map.kind = fmt::format("... too {}", ex.source.back());
  map.columns = ex.source;
  for (size_t l = 0; l < r.layers.size(); ++l) {
    const Tensor& w = r.layers[l].head_weights;  // [1, H, T, T]
    for (int64_t h = 0; h < w.size(1); ++h) {
      map.rows.push_back(fmt::format("block {} head {}", l, h));
      std::vector<float> row;
      for (int64_t t = 0; t < w.size(3); ++t) row.push_back(w.at({0, h, ex.query_position, t}));
      map.weights.push_back(row);
    }
  }
  return map;
}

nn::Example sentence_about(const std::string& adjective, int64_t referent) {
  nn::Example ex;
  ex.source = {"the", "animal", "didn't", "cross", "the", "street", "because", "it", "was", "too", adjective};
  ex.target = {ex.source[referent]};
  ex.alignment = {{referent}};
  ex.query_position = 7;
  return ex;
}

}  // namespace

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{
        "Lesson 10: the Transformer encoder block. Multi-head attention, positional encoding, residuals "
        "and layer norm, trained on the coreference sentences; every head's attention drawn."};
    lessons::CommonFlags flags;
    flags.out = "out/10_transformer";
    flags.steps = 300;
    Sizes sizes;
    int64_t batch_size = 32;
    lessons::SentenceFlags sentences;
    float lr = 0.005f;
    bool compare = true;
    lessons::add_common_flags(app, flags);
    lessons::add_block_flags(app, sizes.dim, sizes.heads, sizes.layers);
    lessons::add_number(app, "--ff", sizes.feedforward, "width of the feed-forward network", 1, 1024);
    lessons::add_batch_flag(app, batch_size, "sentences");
    lessons::add_sentence_flags(app, sentences);
    lessons::add_lr_flag(app, lr);
    lessons::add_compare_flag(app, compare, "also train a pre-norm stack and compare");
    CLI11_PARSE(app, argc, argv);
    lessons::check_block_flags(sizes.dim, sizes.heads);
    lessons::prepare_out_dir(flags.out);
    if (flags.smoke) flags.steps = 10, sentences.train = 100, sentences.test = 20;

    // 1. Lesson 09's sentences, and a stack of post-norm encoder blocks (the paper's layout:
    //    x = norm(x + sublayer(x))), trained to name the noun "it" stands for.
    const nn::CoreferenceTask task;
    const nn::Vocab words(task.source_tokens()), nouns(task.target_tokens());
    const nn::Example tired = sentence_about("tired", 1), wide = sentence_about("wide", 5);
    Generator data(flags.seed);
    const std::vector<nn::Example> test = nn::generate_excluding(task, sentences.test, data, {tired, wide});
    std::vector<nn::Example> unseen = test;
    unseen.push_back(tired), unseen.push_back(wide);
    const std::vector<nn::Example> train_set = nn::generate_excluding(task, sentences.train, data, unseen);

    // The training loop, the same for both stacks; returns the loss of every step.
    const auto train = [&](Encoder& model) {
      nn::Batcher batcher(train_set, words, nouns, batch_size, flags.seed);
      nn::Adam optimizer(model.parameters(), {.lr = lr});
      lessons::Progress progress(flags.steps, flags.quiet);
      std::vector<float> losses;
      for (int64_t step = 0; step < flags.steps; ++step) {
        const nn::Batch batch = batcher.next();
        const Reading r =
            model.forward(batch.source, batch.source_lengths, it_positions_of(batcher.examples(), batch));
        const Tensor loss = cross_entropy(r.logits, answers_of(batcher.examples(), batch, nouns));
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        losses.push_back(loss.item());
        progress.update(step, losses.back());
      }
      return losses;
    };

    manual_seed(flags.seed);
    Encoder model(words.size(), nouns.size(), sizes, /*norm_first=*/false);
    fmt::print(
        "1. Training {} post-norm blocks (d_model {}, {} heads of {}, feed-forward {}): {} steps of {} "
        "sentences\n",
        sizes.layers, sizes.dim, sizes.heads, sizes.dim / sizes.heads, sizes.feedforward, flags.steps,
        batch_size);
    const std::vector<float> losses = train(model);
    model.eval();
    const Score score = evaluate(model, task, test, words, nouns, sizes);
    fmt::print(
        "final training loss {:.4f}; the noun \"it\" stands for, on {} held-out sentences: {:.1f}% right\n\n",
        losses.back(), score.sentences, percent(score));

    // 2. Where each head sends the attention of "it": over the held-out sentences, and the same
    //    measure on the two sentences of the title, which it_heads_tired/wide.svg draw.
    const Score title = evaluate(model, task, {tired, wide}, words, nouns, sizes);
    fmt::print("2. Where each head sends the attention of \"it\": mean over the held-out sentences, and (last two\n"
               "columns) over the two title sentences, the rows it_heads_tired.svg and it_heads_wide.svg draw:\n");
    fmt::print("  {:<14} {:>12} {:>11} {:>10} {:>8}  | {:>9} {:>11}  | {:>13} {:>7}\n", "", "animate noun",
               "place noun", "adjective", "itself", "referent", "other noun", "title: animal", "street");
    int64_t best_layer = 0, best_head = 0;  // the head that tells the referent from the other noun best
    for (int64_t l = 0; l < sizes.layers; ++l)
      for (int64_t h = 0; h < sizes.heads; ++h) {
        const HeadShares& s = score.heads[l][h];
        fmt::print("  block {} head {} {:>11.1f}% {:>10.1f}% {:>9.1f}% {:>7.1f}%  | {:>8.1f}% {:>10.1f}%  | {:>12.1f}% {:>6.1f}%\n",
                   l, h, 100 * s.animate, 100 * s.place, 100 * s.adjective, 100 * s.itself, 100 * s.referent,
                   100 * s.other, 100 * title.heads[l][h].animate, 100 * title.heads[l][h].place);
        const HeadShares& best = score.heads[best_layer][best_head];
        if (s.referent - s.other > best.referent - best.other) best_layer = l, best_head = h;
      }
    const HeadShares& best = score.heads[best_layer][best_head];
    fmt::print(
        "A head that always looks at the animate noun splits it evenly between \"referent\" and \"other "
        "noun\";\n"
        "block {} head {} follows the referent: {:.1f}% on it against {:.1f}% on the other noun.\n",
        best_layer, best_head, 100 * best.referent, 100 * best.other);
    fmt::print("Which head fetches the animate noun depends on the noun (held-out sentences, the head with the\n"
               "largest share on it):{}\n\n", head_by_noun(score));

    // 3. Pre-norm: x = x + sublayer(norm(x)). Same data, same seed, same budget.
    Score pre;
    std::vector<float> pre_losses;
    fmt::print("3. The same stack with pre-norm blocks:\n");
    if (!compare) fmt::print("  not trained (--no-compare)\n\n");
    if (compare) {
      manual_seed(flags.seed);
      Encoder pre_norm(words.size(), nouns.size(), sizes, /*norm_first=*/true);
      pre_losses = train(pre_norm);
      pre_norm.eval();
      pre = evaluate(pre_norm, task, test, words, nouns, sizes);
      const int64_t q = flags.steps / 4;
      fmt::print("  mean training loss  {:>12} {:>12} {:>12} {:>12}   held-out accuracy\n",
                 fmt::format("steps 1-{}", q), fmt::format("-{}", 2 * q), fmt::format("-{}", 3 * q),
                 fmt::format("-{}", flags.steps));
      const auto row = [](const char* name, const std::vector<float>& l, const Score& sc) {
        const std::vector<float> m = quarters(l);
        fmt::print("  {:<19} {:>12.4f} {:>12.4f} {:>12.4f} {:>12.4f}   {:5.1f}%\n", name, m[0], m[1], m[2],
                   m[3], percent(sc));
      };
      row("post-norm", losses, score);
      row("pre-norm", pre_losses, pre);
      fmt::print("\n");
    }

    // 4. Every head of every block on one sentence, traced; "it"'s row of every head for both.
    fmt::print("4. The two sentences of the title, every head traced:\n");
    trace::OutputFolder out(flags.out);
    trace::Recording recording;
    for (const nn::Example* ex : {&tired, &wide}) {
      const nn::Batch batch = nn::make_batch(std::span(ex, 1), words, nouns);
      std::optional<trace::Tracer> tracer;
      if (ex == &tired)
        tracer.emplace(model, trace::TraceOptions{.record_graph = false, .record_backward = false});
      if (tracer) tracer->begin_sequence(ex->source);
      NoGradGuard no_grad;
      const Reading r = model.forward(batch.source, batch.source_lengths, {ex->query_position});
      if (tracer) recording = tracer->take();
      const int64_t guess = argmax(r.logits, 1)[0];
      fmt::print("\"{}\"  →  \"it\" is the {}\n", nn::join_tokens(ex->source), nouns.token(guess));
      const std::string name = ex == &tired ? "it_heads_tired" : "it_heads_wide";
      const std::string dot = trace::heatmap_to_dot(it_rows(*ex, r));
      out.write(name + ".dot", dot, "the attention of \"it\" in every head, one row per head (DOT)");
      if (trace::graphviz_available())
        out.write(name + ".svg", trace::render_svg(dot),
                  fmt::format("the attention of \"it\" in every head, \"... too {}\" (picture)",
                              ex->source.back()));
    }
    trace::write_trace_into(recording, out);
    std::string results =
        fmt::format("held-out sentences: {}\npost-norm accuracy: {:.1f}%\n", score.sentences, percent(score));
    if (compare) results += fmt::format("pre-norm accuracy: {:.1f}%\n", percent(pre));
    out.write("results.txt", results, "the numbers this run printed");
    lessons::LossCurves curves = {{"post-norm", losses}};
    if (compare) curves.emplace_back("pre-norm", pre_losses);
    out.write("loss.svg", trace::render_line_plot(lessons::loss_plot("Lesson 10: training loss", curves)),
              "training loss against the step, post-norm and pre-norm");
    out.write_index("Lesson 10: the Transformer encoder block — every head's attention");

    fmt::print(
        "\nWhat to look at: each head learned its own job — compare a head's row in it_heads_tired.svg and\n"
        "it_heads_wide.svg: the heads that follow the referent switch from \"animal\" to \"street\".\n");
    lessons::print_files_to_open(
        {{flags.out + "/it_heads_tired.svg", "\"it\" in every head, \"... too tired\""},
         {flags.out + "/it_heads_wide.svg", "\"it\" in every head, \"... too wide\""},
         {flags.out + "/attention_001.svg", "block 0, head 0: every word × every word"},
         {flags.out + "/index.txt", "every file written, with what it shows"}});
    return 0;
  });
}
