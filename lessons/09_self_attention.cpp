// Lesson 09 — Self-attention: what does "it" refer to?
//
// "The animal didn't cross the street because it was too tired." Is "it" the animal or the
// street? Say "wide" instead of "tired" and the answer flips: the word that decides comes *after*
// "it". A small model reads such sentences in two moves. First every word looks at the other
// words of its own sentence (self-attention: softmax(QKᵀ/√d)·V), so "it" can pick up what is
// said about it. Then "it" looks once more, for the word it stands for: a pointer, whose attention
// weights are the model's answer. We train it on the coreference task, measure on held-out
// sentences how much of "it"'s attention lands on the right noun, and draw where "it" looks.
#include <algorithm>
#include <glimpse.hpp>
#include <memory>

#include "nn/attention_mask.hpp"
#include "nn/batch.hpp"
#include "nn/embedding.hpp"
#include "nn/linear.hpp"
#include "nn/optim.hpp"
#include "nn/scaled_dot_product_attention.hpp"
#include "nn/tasks.hpp"
#include "nn/vocab.hpp"
#include "support/lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

namespace {

// Self-attention: every word of the sentence makes a query, a key and a value; each word's new
// vector is the average of all values, weighted by how well its query matches their keys.
class SelfAttention : public nn::Module {
 public:
  explicit SelfAttention(int64_t dim)
      : query_(register_module("query", std::make_shared<nn::Linear>(dim, dim))),
        key_(register_module("key", std::make_shared<nn::Linear>(dim, dim))),
        value_(register_module("value", std::make_shared<nn::Linear>(dim, dim))) {}

  // x [B, T, d]; padding [B, 1, T] (1 = a padding key nobody may look at).
  nn::AttentionOutput forward(const Tensor& x, const Tensor& padding) const {
    nn::AttentionOutput out =
        nn::scaled_dot_product_attention((*query_)(x), (*key_)(x), (*value_)(x), padding);
    emit_step({{"weights", out.weights}, {"context", out.context}});  // for the tracer
    return out;
  }
  std::string kind() const override { return "SelfAttention"; }

 private:
  std::shared_ptr<nn::Linear> query_, key_, value_;
};

// One query from "it" against the keys of every word: the weights say which word "it" is.
class Pointer : public nn::Module {
 public:
  explicit Pointer(int64_t dim)
      : query_(register_module("query", std::make_shared<nn::Linear>(dim, dim))),
        key_(register_module("key", std::make_shared<nn::Linear>(dim, dim))) {}

  // it [B, 1, d], words [B, T, d], padding [B, 1, T] → weights [B, T].
  Tensor forward(const Tensor& it, const Tensor& words, const Tensor& padding) const {
    nn::AttentionOutput out = nn::scaled_dot_product_attention((*query_)(it), (*key_)(words), words, padding);
    emit_step({{"weights", out.weights}});
    return out.weights.squeeze(1);
  }
  std::string kind() const override { return "Pointer"; }

 private:
  std::shared_ptr<nn::Linear> query_, key_;
};

struct Reading {
  Tensor context_weights;  // [B, T, T] who looked at whom in the self-attention layer
  Tensor pointer_weights;  // [B, T] where "it" points: the answer
};

// word embedding + position embedding → self-attention (+ residual) → pointer from "it".
class CoreferenceModel : public nn::Module {
 public:
  CoreferenceModel(int64_t vocab_size, int64_t max_len, int64_t dim, bool with_self_attention)
      : dim_(dim),
        words_(register_module("words", std::make_shared<nn::Embedding>(vocab_size, dim))),
        positions_(register_module("positions", std::make_shared<nn::Embedding>(max_len, dim))),
        attention_(with_self_attention ? register_module("attention", std::make_shared<SelfAttention>(dim))
                                       : nullptr),
        pointer_(register_module("pointer", std::make_shared<Pointer>(dim))) {}

  // ids [B, T] (padded), the real lengths, and where "it" stands in each sentence.
  Reading forward(const IndexTensor& ids, const std::vector<int64_t>& lengths,
                  const std::vector<int64_t>& it_positions) const {
    const int64_t B = ids.shape[0], T = ids.shape[1];
    std::vector<int64_t> position_ids(T);
    for (int64_t t = 0; t < T; ++t) position_ids[t] = t;
    Tensor x = (*words_)(ids) + (*positions_)(IndexTensor(position_ids));  // [B, T, d] + [T, d]
    const Tensor padding = nn::padding_mask(lengths, T).unsqueeze(1);      // [B, 1, T]

    Reading reading;
    if (attention_) {
      nn::AttentionOutput context = attention_->forward(x, padding);
      x = x + context.context;  // residual: each word keeps itself and adds what it read
      reading.context_weights = context.weights;
    }
    std::vector<int64_t> rows;  // row of "it" in the flattened [B·T, d]
    for (int64_t b = 0; b < B; ++b) rows.push_back(b * T + it_positions[b]);
    const Tensor it = index_select(x.reshape({B * T, dim_}), 0, IndexTensor(rows)).unsqueeze(1);  // [B, 1, d]
    reading.pointer_weights = pointer_->forward(it, x, padding);
    return reading;
  }
  std::string kind() const override { return "CoreferenceModel"; }

 private:
  int64_t dim_;
  std::shared_ptr<nn::Embedding> words_, positions_;
  std::shared_ptr<SelfAttention> attention_;
  std::shared_ptr<Pointer> pointer_;
};

// The question each example asks: where "it" stands, and the position of the right answer.
struct Questions {
  std::vector<int64_t> it_positions;
  IndexTensor referents;
};

Questions questions_of(const std::vector<nn::Example>& examples, const nn::Batch& batch) {
  Questions q;
  std::vector<int64_t> referents;
  for (int64_t i : batch.example_indices) {
    q.it_positions.push_back(examples[i].query_position);
    referents.push_back(examples[i].alignment[0].front());
  }
  q.referents = IndexTensor(referents);
  return q;
}

bool is_noun(const nn::Task& task, const std::string& word) {
  const auto nouns = task.target_tokens();
  return std::find(nouns.begin(), nouns.end(), word) != nouns.end();
}

// What the model does on sentences it never saw.
struct Score {
  int64_t sentences = 0, correct = 0;
  double on_referent = 0, on_other_noun = 0;  // shares of the pointer's attention
  // In the self-attention layer: how much attention a word gives the adjective at the end, for
  // the readers "it", the right noun, the other noun × a tired-like or a wide-like adjective.
  double reads_adjective[3][2] = {};
  int64_t of_kind[2] = {};
};

Score evaluate(const CoreferenceModel& model, const nn::Task& task, const std::vector<nn::Example>& examples,
               const nn::Vocab& source_vocab, const nn::Vocab& target_vocab) {
  NoGradGuard no_grad;
  Score s;
  const auto& tired_words = nn::CoreferenceTask::animate_adjectives();
  for (size_t start = 0; start < examples.size(); start += 100) {
    const std::vector<nn::Example> chunk(examples.begin() + start,
                                         examples.begin() + std::min(examples.size(), start + 100));
    const nn::Batch batch = nn::make_batch(chunk, source_vocab, target_vocab);
    const Questions q = questions_of(chunk, batch);
    const Reading r = model.forward(batch.source, batch.source_lengths, q.it_positions);
    for (int64_t b = 0; b < batch.size(); ++b) {
      const nn::Example& ex = chunk[b];
      const int64_t it = ex.query_position, referent = ex.alignment[0].front(),
                    last = batch.source_lengths[b] - 1;
      int64_t other = -1, guess = 0;  // the noun "it" is not; the word "it" points at most
      for (int64_t t = 0; t <= last; ++t) {
        if (t != referent && is_noun(task, ex.source[t])) other = t;
        if (r.pointer_weights.at({b, t}) > r.pointer_weights.at({b, guess})) guess = t;
      }
      s.correct += guess == referent;
      s.on_referent += r.pointer_weights.at({b, referent});
      s.on_other_noun += r.pointer_weights.at({b, other});
      const int kind = std::count(tired_words.begin(), tired_words.end(), ex.source[last]) > 0 ? 0 : 1;
      ++s.of_kind[kind];
      if (r.context_weights.defined()) {
        const int64_t readers[3] = {it, referent, other};
        for (int i = 0; i < 3; ++i) s.reads_adjective[i][kind] += r.context_weights.at({b, readers[i], last});
      }
      ++s.sentences;
    }
  }
  s.on_referent /= s.sentences;
  s.on_other_noun /= s.sentences;
  for (auto& reader : s.reads_adjective)
    for (int kind = 0; kind < 2; ++kind) reader[kind] /= std::max<int64_t>(s.of_kind[kind], 1);
  return s;
}

// The famous pair, as examples of the task (kept out of the training data).
nn::Example sentence_about(const std::string& adjective, int64_t referent) {
  nn::Example ex;
  ex.source = {"the", "animal", "didn't", "cross", "the", "street", "because", "it", "was", "too", adjective};
  ex.target = {ex.source[referent]};
  ex.alignment = {{referent}};
  ex.query_position = 7;
  return ex;
}

// "it"'s pointer attention as a one-row map: the alignment picture of "it" → every word.
trace::AttentionMap pointer_map(const nn::Example& ex, const std::vector<float>& weights) {
  trace::AttentionMap map;
  map.module = "pointer";
  map.kind = "where \"it\" looks";
  map.rows = {"it"};
  map.columns = ex.source;
  map.weights = {weights};
  return map;
}

// The whole story of the two title sentences in one heatmap: in the self-attention layer, the rows
// of "it", "animal" and "street"; then where the pointer of "it" goes.
trace::AttentionMap story(const nn::Example& tired, const Reading& in_tired, const Reading& in_wide) {
  trace::AttentionMap map;
  map.module = "the tired and the wide sentence";
  map.kind = "self-attention rows, then the pointer";
  map.columns = tired.source;
  map.columns.back() = "tired / wide";
  const auto row_of = [](const Tensor& weights, int64_t row) {  // weights [1, T, T]
    std::vector<float> out;
    for (int64_t t = 0; t < weights.size(2); ++t) out.push_back(weights.at({0, row, t}));
    return out;
  };
  for (int64_t word : {tired.query_position, int64_t{1}, int64_t{5}})  // "it", "animal", "street"
    for (const auto& [adjective, r] : {std::pair{"tired", &in_tired}, std::pair{"wide", &in_wide}}) {
      map.rows.push_back(fmt::format("self-attention: {} (too {})", tired.source[word], adjective));
      map.weights.push_back(row_of(r->context_weights, word));
    }
  for (const auto& [adjective, r] : {std::pair{"tired", &in_tired}, std::pair{"wide", &in_wide}}) {
    map.rows.push_back(fmt::format("pointer: it (too {})", adjective));
    map.weights.push_back(r->pointer_weights.to_vector());
  }
  return map;
}

void print_bars(const nn::Example& ex, const std::vector<float>& weights) {
  fmt::print("  {}\n", nn::join_tokens(ex.source));
  for (size_t t = 0; t < ex.source.size(); ++t)
    fmt::print("    {:>8} {:5.3f} {}\n", ex.source[t], weights[t],
               std::string(std::lround(weights[t] * 40), '#'));
}

}  // namespace

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{
        "Lesson 09: self-attention. A small model learns what \"it\" refers to in \"the animal didn't "
        "cross the street because it was too tired / wide\", and shows where \"it\" looks."};
    lessons::CommonFlags flags;
    flags.out = "out/09_self_attention";
    flags.steps = 400;
    int64_t dim = 32, batch_size = 32;
    lessons::SentenceFlags sentences;
    float lr = 0.003f;
    bool compare = true;
    lessons::add_common_flags(app, flags);
    lessons::add_number(app, "--dim", dim, "size of every word vector (d)", 4, 256);
    lessons::add_batch_flag(app, batch_size, "sentences");
    lessons::add_sentence_flags(app, sentences);
    lessons::add_lr_flag(app, lr);
    lessons::add_compare_flag(app, compare, "also train the model without its self-attention layer");
    CLI11_PARSE(app, argc, argv);
    lessons::prepare_out_dir(flags.out);
    if (flags.smoke) flags.steps = 10, sentences.train = 100, sentences.test = 20;

    // 1. The task: sentences with a known answer.
    const nn::CoreferenceTask task;
    const nn::Vocab source_vocab(task.source_tokens()), target_vocab(task.target_tokens());
    const nn::Example tired = sentence_about("tired", 1), wide = sentence_about("wide", 5);
    Generator data(flags.seed);
    const std::vector<nn::Example> test = nn::generate_excluding(task, sentences.test, data, {tired, wide});
    std::vector<nn::Example> unseen = test;
    unseen.push_back(tired), unseen.push_back(wide);
    const std::vector<nn::Example> train_set = nn::generate_excluding(task, sentences.train, data, unseen);
    fmt::print(
        "1. The coreference task: {} training and {} held-out sentences, {} words, e.g.\n  {}  →  \"it\" is the "
        "{}\n\n",
        train_set.size(), test.size(), source_vocab.size(), nn::join_tokens(train_set[0].source),
        train_set[0].target[0]);

    // The training loop, the same for both models below; returns the last loss.
    lessons::LossCurves losses;  // each model's, for the loss plot
    const auto train = [&](CoreferenceModel& model, const std::string& name) {
      nn::Batcher batcher(train_set, source_vocab, target_vocab, batch_size, flags.seed);
      nn::Adam optimizer(model.parameters(), {.lr = lr});
      lessons::Progress progress(flags.steps, flags.quiet);
      float last = 0;
      for (int64_t step = 0; step < flags.steps; ++step) {
        const nn::Batch batch = batcher.next();
        const Questions q = questions_of(batcher.examples(), batch);
        const Reading r = model.forward(batch.source, batch.source_lengths, q.it_positions);
        // The answer is a position: -log of the weight "it" puts on the right word.
        const Tensor loss = nll_loss(log(r.pointer_weights + 1e-9f), q.referents);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        last = loss.item();
        progress.update(step, last);
      }
      losses.emplace_back(name, progress.losses());
      return last;
    };

    // 2. The model: embeddings → self-attention → a pointer from "it". Train it.
    manual_seed(flags.seed);
    CoreferenceModel model(source_vocab.size(), task.max_length(), dim, /*with_self_attention=*/true);
    fmt::print("2. Training: {} steps of {} sentences, d = {}\n", flags.steps, batch_size, dim);
    const float loss = train(model, "with self-attention");
    model.eval();
    fmt::print("final training loss {:.4f}\n\n", loss);

    // 3. What it does on sentences it never saw.
    const Score score = evaluate(model, task, test, source_vocab, target_vocab);
    fmt::print("3. On {} held-out sentences:\n", score.sentences);
    fmt::print("  \"it\" points at the right noun (argmax):        {:5.1f}%\n",
               100.0 * score.correct / score.sentences);
    fmt::print("  share of \"it\"'s attention on the right noun:   {:5.1f}%\n", 100 * score.on_referent);
    fmt::print("  share on the other noun:                       {:5.1f}%\n\n", 100 * score.on_other_noun);
    fmt::print(
        "Who reads the adjective at the end? In the self-attention layer, the attention each word gives "
        "it:\n");
    fmt::print("  {:<16} {:>11} {:>11}\n", "", "tired-like", "wide-like");
    const char* readers[3] = {"\"it\"", "the right noun", "the other noun"};
    for (int i = 0; i < 3; ++i)
      fmt::print("  {:<16} {:>10.1f}% {:>10.1f}%\n", readers[i], 100 * score.reads_adjective[i][0],
                 100 * score.reads_adjective[i][1]);
    fmt::print("\n");

    // 4. Without the self-attention layer, "it" cannot know what comes after it.
    Score baseline;
    fmt::print("4. The same model without its self-attention layer (the pointer reads the bare embeddings):\n");
    if (!compare) fmt::print("  not trained (--no-compare)\n\n");
    if (compare) {
      manual_seed(flags.seed);
      CoreferenceModel pointer_only(source_vocab.size(), task.max_length(), dim,
                                    /*with_self_attention=*/false);
      train(pointer_only, "without self-attention");
      baseline = evaluate(pointer_only, task, test, source_vocab, target_vocab);
      fmt::print(
          "  right noun {:5.1f}% of the time, {:5.1f}% of the attention on it: a coin toss between the two "
          "nouns,\n"
          "  because the query of \"it\" is the same whether the sentence ends in \"tired\" or \"wide\".\n\n",
          100.0 * baseline.correct / baseline.sentences, 100 * baseline.on_referent);
    }

    // 5. The two sentences of the title, traced.
    fmt::print("5. The two sentences of the title, traced:\n");
    trace::OutputFolder out(flags.out);
    trace::Tracer tracer(model, {.record_graph = false, .record_backward = false});
    std::vector<Reading> readings;
    for (const nn::Example* ex : {&tired, &wide}) {
      const nn::Batch batch = nn::make_batch(std::span(ex, 1), source_vocab, target_vocab);
      tracer.begin_sequence(ex->source);
      nn::StepScope asked_by_it(ex->query_position);  // tells the tracer which word is asking
      NoGradGuard no_grad;
      readings.push_back(model.forward(batch.source, batch.source_lengths, {ex->query_position}));
      const std::vector<float> weights = readings.back().pointer_weights.to_vector();
      fmt::print("Where \"it\" points when it was too {}:\n", ex->source.back());
      print_bars(*ex, weights);
      fmt::print("\n");
      trace::write_picture(
          out, ex == &tired ? "it_tired" : "it_wide", trace::alignment_to_dot(pointer_map(*ex, weights)),
          fmt::format("where \"it\" points in \"... too {}\": one edge per word, width = weight",
                      ex->source.back()));
    }
    trace::write_picture(
        out, "story", trace::heatmap_to_dot(story(tired, readings[0], readings[1])),
        "both sentences in one heatmap: who reads what in the self-attention layer, then the pointer");
    trace::write_trace_into(tracer.recording(), out);
    std::string results = fmt::format(
        "held-out sentences: {}\naccuracy: {:.1f}%\nshare on the right noun: {:.1f}%\nshare on the other "
        "noun: {:.1f}%\n",
        score.sentences, 100.0 * score.correct / score.sentences, 100 * score.on_referent,
        100 * score.on_other_noun);
    for (int i = 0; i < 3; ++i)
      results +=
          fmt::format("self-attention of {} on the adjective: tired-like {:.1f}%, wide-like {:.1f}%\n",
                      readers[i], 100 * score.reads_adjective[i][0], 100 * score.reads_adjective[i][1]);
    if (compare)
      results += fmt::format("without self-attention: accuracy {:.1f}%, share on the right noun {:.1f}%\n",
                             100.0 * baseline.correct / baseline.sentences, 100 * baseline.on_referent);
    out.write("results.txt", results, "the numbers this run printed");
    out.write("loss.svg",
              trace::render_line_plot(lessons::loss_plot("Lesson 09: training loss", losses,
                                                         "-log weight on the referent (nats)")),
              "training loss against the step, each model");
    out.write_index("Lesson 09: self-attention — where does \"it\" look?");

    fmt::print(
        "What to look at: \"it\" points at the animal when the sentence ends in \"tired\" and at the street\n"
        "when it ends in \"wide\". The adjective comes after \"it\", so it had to be carried to where the "
        "pointer\n"
        "looks: in the self-attention layer \"it\" or the nouns read it (story.svg shows who did).\n");
    lessons::print_files_to_open(
        {{flags.out + "/it_tired.svg", "where \"it\" points in \"... too tired\""},
         {flags.out + "/it_wide.svg", "where \"it\" points in \"... too wide\""},
         {flags.out + "/story.svg", "who reads what, in both sentences, as one heatmap"},
         {flags.out + "/attention_000.svg", "the self-attention layer, every word × every word"},
         {flags.out + "/index.txt", "every file written, with what it shows"}});
    return 0;
  });
}
