// Lesson 14 — Who is "it"? Does attention find the referent by itself?
//
// "The animal didn't cross the street because it was too tired" is French "l'animal n'a pas
// traversé la rue parce qu'il était trop fatigué"; with "wide" it is "... parce qu'elle était trop
// large": l'animal is masculine, la rue feminine, and "it" takes the gender of the noun it stands
// for. A translator must find the referent to write il or elle. Lessons 09 and 10 *told* a model
// which noun "it" is (a loss on the answer). Here nobody does: an encoder-decoder Transformer is
// trained on the translation alone, with no loss on any attention, and we look afterwards at where
// "it" looks in the encoder's self-attention. If the decoder, when it writes il/elle, reads the
// encoder's vector at "it", the referent's gender has to be there already, and only the encoder's
// self-attention can bring it from the noun. Does one head learn to do exactly that? The lesson
// measures it on sentences never seen, and also where the decoder does read: a model that
// translates perfectly may find the gender another way (in the natural French order it has written
// both nouns, le/la and all, before the pronoun; --because-first takes that away).
#include <algorithm>
#include <array>
#include <glimpse.hpp>
#include <memory>
#include <span>
#include <tuple>

#include "nn/attention_mask.hpp"
#include "nn/batch.hpp"
#include "nn/decoding.hpp"
#include "nn/optim.hpp"
#include "nn/positional_encoding.hpp"
#include "nn/seq2seq.hpp"
#include "nn/tasks.hpp"
#include "nn/transformer_seq2seq_decoder.hpp"
#include "nn/transformer_seq2seq_encoder.hpp"
#include "nn/vocab.hpp"
#include "support/lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

namespace {

struct Sizes {
  int64_t dim = 64, heads = 4, feedforward = 128, layers = 2, decoder_layers = 1, decoder_heads = 1,
          decoder_feedforward = 128;
  bool norm_first = false;
};

// Kinds of sentence: "it" is the animate noun (tired-like) or the place (wide-like).
enum Kind { kTired = 0, kWide = 1 };
constexpr const char* kKindNames[2] = {"tired-like", "wide-like"};
Kind kind_of(const nn::Example& ex) { return nn::PronounTask::about_animate(ex) ? kTired : kWide; }

// Counts per kind: how many sentences, how many of them right.
struct Rate {
  int64_t right[2] = {}, total[2] = {};
  void add(Kind k, bool ok) { right[k] += ok, ++total[k]; }
  double percent(int k) const { return total[k] ? 100.0 * right[k] / total[k] : 0.0; }
  double percent_all() const {
    const int64_t n = total[0] + total[1];
    return n ? 100.0 * (right[0] + right[1]) / n : 0.0;
  }
};

// What the trained model does on a set of sentences.
struct Score {
  Rate pronoun;   // (a) the greedy translation's il/elle is the referent's
  Rate sentence;  // the whole greedy translation is right
  // (b) per encoder layer and head: "it"'s largest weight is on the referent noun.
  std::vector<std::vector<Rate>> on_referent;  // [layer][head]
  // The same for the adjective at the end (the word that decides which noun "it" is, and whose
  // French form agrees with the referent): is its largest weight on the referent?
  std::vector<std::vector<Rate>> adjective_on_referent;  // [layer][head]
  // Where the largest weight goes when it is not the referent, per layer and head.
  std::vector<std::vector<std::array<int64_t, 5>>>
      elsewhere;  // other noun, an article, the adjective, itself, other
  // When the decoder writes il/elle (teacher-forced): where each decoder head's cross-attention
  // puts its largest weight, [decoder layer][head] × ("it", the referent, the other noun, the
  // adjective, other).
  std::vector<std::vector<std::array<int64_t, 5>>> cross_at_pronoun;
};
constexpr const char* kCrossPlaces[5] = {"\"it\"", "referent", "other noun", "adjective", "other"};
constexpr const char* kElsewhere[5] = {"other noun", "\"the\"", "adjective", "\"it\"", "other word"};

bool is_noun(const std::string& english) {
  for (const auto* nouns : {&nn::PronounTask::animates(), &nn::PronounTask::places()})
    for (const nn::PronounTask::Noun& noun : *nouns)
      if (noun.english == english) return true;
  return false;
}

// The translation's first il or elle, or "" when it has none.
std::string pronoun_in(const std::vector<std::string>& words) {
  for (const std::string& w : words)
    if (w == "il" || w == "elle") return w;
  return "";
}

Score evaluate(const nn::Seq2seq& model, const nn::TransformerSeq2seqEncoder& encoder,
               const nn::TransformerSeq2seqDecoder& decoder, const std::vector<nn::Example>& examples,
               const nn::Vocab& source_vocab, const nn::Vocab& target_vocab, const Sizes& sizes) {
  NoGradGuard no_grad;
  Score s;
  s.on_referent.assign(sizes.layers, std::vector<Rate>(sizes.heads));
  s.adjective_on_referent.assign(sizes.layers, std::vector<Rate>(sizes.heads));
  s.elsewhere.assign(sizes.layers, std::vector<std::array<int64_t, 5>>(sizes.heads));
  s.cross_at_pronoun.assign(sizes.decoder_layers, std::vector<std::array<int64_t, 5>>(sizes.decoder_heads));
  for (size_t start = 0; start < examples.size(); start += 100) {
    const std::span chunk(examples.data() + start, std::min<size_t>(100, examples.size() - start));
    const nn::Batch batch = nn::make_batch(chunk, source_vocab, target_vocab);
    std::vector<int64_t> max_lengths;
    for (int64_t n : batch.target_lengths) max_lengths.push_back(n + 4);
    const nn::GreedyOutput decoded = nn::greedy_decode(model, batch.source, batch.source_mask, max_lengths);
    const nn::TransformerEncoderOutput read = encoder.forward_layers(batch.source, batch.source_mask);
    const nn::DecoderMemory memory = model.encode(batch.source, batch.source_mask);
    const int64_t T = batch.target_len();
    const nn::TransformerDecoderOutput forced =
        decoder.decoder().forward(decoder.embed(batch.decoder_input) + nn::sinusoidal_encoding(T, sizes.dim),
                                  memory.states, nn::causal_mask(T), Tensor(), Tensor(), memory.padding_mask);
    for (int64_t b = 0; b < batch.size(); ++b) {
      const nn::Example& ex = chunk[b];
      const Kind kind = kind_of(ex);
      std::vector<std::string> words;
      for (int64_t id : decoded.sequences[b]) words.push_back(target_vocab.token(id));
      s.pronoun.add(kind, pronoun_in(words) == pronoun_in(ex.target));
      s.sentence.add(kind, words == ex.target);
      const int64_t it = ex.query_position, n = batch.source_lengths[b];
      const int64_t k =
          std::find(ex.target.begin(), ex.target.end(), pronoun_in(ex.target)) - ex.target.begin();
      for (int64_t l = 0; l < sizes.decoder_layers; ++l)
        for (int64_t h = 0; h < sizes.decoder_heads; ++h) {
          const Tensor& w = forced.layers[l].cross_head_weights;  // [B, H, T, S]
          int64_t top = 0;
          for (int64_t t = 1; t < n; ++t)
            if (w.at({b, h, k, t}) > w.at({b, h, k, top})) top = t;
          const int where = top == it                 ? 0
                            : top == ex.referent      ? 1
                            : is_noun(ex.source[top]) ? 2
                            : top == n - 1            ? 3
                                                      : 4;
          s.cross_at_pronoun[l][h][where]++;
        }
      for (int64_t l = 0; l < sizes.layers; ++l)
        for (int64_t h = 0; h < sizes.heads; ++h) {
          const Tensor& w = read.layers[l].head_weights;  // [B, H, S, S]
          int64_t top = 0;
          for (int64_t t = 1; t < n; ++t)
            if (w.at({b, h, it, t}) > w.at({b, h, it, top})) top = t;
          s.on_referent[l][h].add(kind, top == ex.referent);
          int64_t adjective_top = 0;
          for (int64_t t = 1; t < n; ++t)
            if (w.at({b, h, n - 1, t}) > w.at({b, h, n - 1, adjective_top})) adjective_top = t;
          s.adjective_on_referent[l][h].add(kind, adjective_top == ex.referent);
          if (top == ex.referent) continue;
          const std::string& word = ex.source[top];
          const int where = is_noun(word) ? 0 : word == "the" ? 1 : top == n - 1 ? 2 : top == it ? 3 : 4;
          s.elsewhere[l][h][where]++;
        }
    }
  }
  return s;
}

// "it"'s weights over the words of one sentence in one head: the row drawn and printed.
std::vector<float> it_row(const nn::TransformerEncoderOutput& read, const nn::Example& ex, int64_t layer,
                          int64_t head) {
  std::vector<float> row;
  for (size_t t = 0; t < ex.source.size(); ++t)
    row.push_back(read.layers[layer].head_weights.at({0, head, ex.query_position, static_cast<int64_t>(t)}));
  return row;
}

// One line from "it" to every word of the sentence, its width the weight: the famous picture.
trace::AttentionMap it_map(const nn::Example& ex, const std::vector<float>& weights, int64_t layer,
                           int64_t head) {
  trace::AttentionMap map;
  map.module = fmt::format("encoder.layers.{}.self_attn", layer);
  map.kind = fmt::format("MultiheadAttention, \"... too {}\"", ex.source.back());
  map.head = head;
  map.rows = {"it"};
  map.columns = ex.source;
  map.weights = {weights};
  return map;
}

void print_bars(const nn::Example& ex, const std::vector<float>& weights) {
  for (size_t t = 0; t < ex.source.size(); ++t)
    fmt::print("    {:>8} {:5.3f} {}{}\n", ex.source[t], weights[t],
               std::string(std::lround(weights[t] * 40), '#'),
               static_cast<int64_t>(t) == ex.referent ? "   <- the referent" : "");
}

}  // namespace

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{
        "Lesson 14: who is \"it\"? An encoder-decoder Transformer learns to translate \"... because it was "
        "too tired / wide\" into French (il or elle) from the translation alone; then we measure whether "
        "any encoder head looks from \"it\" at the noun it stands for, and where the decoder reads."};
    lessons::CommonFlags flags;
    flags.out = "out/14_who_is_it";
    flags.steps = 300;
    Sizes sizes;
    int64_t batch_size = 64, train_size = 4000, validation_size = 500, test_size = 1000;
    float lr = 0.002f;
    bool because_first = false;
    lessons::add_common_flags(app, flags);
    lessons::add_block_flags(app, sizes.dim, sizes.heads, sizes.layers);
    lessons::add_number(app, "--decoder-layers", sizes.decoder_layers, "decoder blocks", 1, 8);
    lessons::add_number(app, "--decoder-heads", sizes.decoder_heads,
                        "attention heads per decoder block (must divide --dim)", 1, 16);
    lessons::add_number(app, "--ff", sizes.feedforward, "width of the feed-forward networks", 1, 1024);
    lessons::add_number(app, "--decoder-ff", sizes.decoder_feedforward,
                        "width of the decoder's feed-forward network", 1, 1024);
    app.add_flag("--norm-first,!--norm-last", sizes.norm_first,
                 "pre-norm blocks (default: post-norm, the paper's)")
        ->capture_default_str();
    lessons::add_batch_flag(app, batch_size, "sentences");
    lessons::add_number(app, "--train", train_size, "training sentences", 10, 100000);
    lessons::add_number(app, "--validation", validation_size,
                        "validation sentences (never trained on): where the head is chosen", 10, 10000);
    lessons::add_number(app, "--test", test_size, "test sentences (never trained on, never used to choose)",
                        10, 10000);
    lessons::add_lr_flag(app, lr);
    app.add_flag("--because-first", because_first,
                 "French with the because-clause first (\"parce qu'il était trop fatigué, l'animal ...\"), "
                 "so the decoder "
                 "has written no noun before il/elle");
    CLI11_PARSE(app, argc, argv);
    lessons::check_block_flags(sizes.dim, sizes.heads);
    lessons::check_block_flags(sizes.dim, sizes.decoder_heads);
    lessons::prepare_out_dir(flags.out);
    if (flags.smoke) flags.steps = 5, train_size = 100, validation_size = 20, test_size = 20;

    // 1. The task: English to French, where "it" becomes il or elle after its referent.
    const nn::PronounTask::Order order =
        because_first ? nn::PronounTask::Order::BecauseFirst : nn::PronounTask::Order::Natural;
    const nn::PronounTask task(11, 15, order);
    const nn::Vocab source_vocab(task.source_tokens()), target_vocab(task.target_tokens());
    const nn::Example tired = nn::PronounTask::make("animal", "street", 0, "tired", order);
    const nn::Example wide = nn::PronounTask::make("animal", "street", 0, "wide", order);
    Generator data(flags.seed);
    std::vector<nn::Example> unseen = {tired, wide};
    const std::vector<nn::Example> test = nn::generate_excluding(task, test_size, data, unseen);
    unseen.insert(unseen.end(), test.begin(), test.end());
    const std::vector<nn::Example> validation = nn::generate_excluding(task, validation_size, data, unseen);
    unseen.insert(unseen.end(), validation.begin(), validation.end());
    const std::vector<nn::Example> train_set = nn::generate_excluding(task, train_size, data, unseen);
    fmt::print("1. The task: {} training, {} validation and {} test sentences, all different; e.g.\n",
               train_set.size(), validation.size(), test.size());
    for (const nn::Example* ex : {&tired, &wide})
      fmt::print("  {}\n    → {}\n", nn::join_tokens(ex->source), nn::join_tokens(ex->target));
    fmt::print("  (the two title sentences are in none of the sets)\n\n");

    // 2. An encoder-decoder Transformer, trained on the translation alone: the loss is the
    //    cross-entropy of each French word; nothing is said about attention.
    manual_seed(flags.seed);
    const auto encoder = std::make_shared<nn::TransformerSeq2seqEncoder>(
        source_vocab.size(), sizes.dim, sizes.heads, sizes.layers, sizes.feedforward, /*dropout=*/0.0f,
        "relu", sizes.norm_first);
    const auto decoder = std::make_shared<nn::TransformerSeq2seqDecoder>(
        target_vocab.size(), sizes.dim, sizes.decoder_heads, sizes.decoder_layers, sizes.decoder_feedforward,
        /*dropout=*/0.0f, "relu", sizes.norm_first);
    nn::Seq2seq model(encoder, decoder);
    fmt::print(
        "2. Training: {} encoder blocks of {} heads, {} decoder block(s) of {} head(s), d_model {}, "
        "feed-forward {} "
        "(decoder {}), {}; {} steps of {} sentences, Adam lr {}\n",
        sizes.layers, sizes.heads, sizes.decoder_layers, sizes.decoder_heads, sizes.dim, sizes.feedforward,
        sizes.decoder_feedforward, sizes.norm_first ? "pre-norm" : "post-norm", flags.steps, batch_size, lr);
    nn::Batcher batcher(train_set, source_vocab, target_vocab, batch_size, flags.seed);
    nn::Adam optimizer(model.parameters(), {.lr = lr});
    lessons::Progress progress(flags.steps, flags.quiet);
    float loss_value = 0;
    for (int64_t step = 0; step < flags.steps; ++step) {
      const nn::Batch batch = batcher.next();
      // Teacher-forced, the whole target at once: the decoder reads <sos> y1 .. yn, predicts y1 .. <eos>.
      const Tensor loss = model.loss(batch);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_value = loss.item();
      progress.update(step, loss_value);
    }
    const double seconds = progress.seconds();
    model.eval();
    fmt::print("final training loss {:.4f}", loss_value);
    if (!flags.quiet) fmt::print(" after {:.1f} s of training", seconds);
    fmt::print("\n\n");

    // 3. (a) Does it write il or elle right, on sentences it never saw?
    const Score on_validation =
        evaluate(model, *encoder, *decoder, validation, source_vocab, target_vocab, sizes);
    const Score on_test = evaluate(model, *encoder, *decoder, test, source_vocab, target_vocab, sizes);
    fmt::print("3. Greedy translations of the {} test sentences:\n", test.size());
    fmt::print("  {:<34} {:>11} {:>11} {:>8}\n", "", kKindNames[0], kKindNames[1], "all");
    for (const auto& [what, rate] : {std::pair{"il / elle right (a)", &on_test.pronoun},
                                     std::pair{"whole sentence right", &on_test.sentence}})
      fmt::print("  {:<34} {:>10.1f}% {:>10.1f}% {:>7.1f}%\n", what, rate->percent(kTired),
                 rate->percent(kWide), rate->percent_all());
    fmt::print(
        "When the decoder writes il/elle, where its cross-attention puts its largest weight (test):\n ");
    for (const char* e : kCrossPlaces) fmt::print(" {:>10}", e);
    fmt::print("\n");
    for (int64_t l = 0; l < sizes.decoder_layers; ++l)
      for (int64_t h = 0; h < sizes.decoder_heads; ++h) {
        fmt::print("  decoder layer {} head {}", l, h);
        for (int64_t count : on_test.cross_at_pronoun[l][h])
          fmt::print(" {:>9.1f}%", 100.0 * count / test.size());
        fmt::print("\n");
      }
    fmt::print("\n");

    // 4. (b) Where does "it" look? For every encoder head, how often "it"'s largest weight is on
    //    the referent. The head is chosen on the validation sentences, then measured on the test.
    int64_t best_layer = 0, best_head = 0, worst_layer = 0, worst_head = 0;
    for (int64_t l = 0; l < sizes.layers; ++l)
      for (int64_t h = 0; h < sizes.heads; ++h) {
        const double rate = on_validation.on_referent[l][h].percent_all();
        if (rate > on_validation.on_referent[best_layer][best_head].percent_all())
          best_layer = l, best_head = h;
        if (rate < on_validation.on_referent[worst_layer][worst_head].percent_all())
          worst_layer = l, worst_head = h;
      }
    fmt::print("4. How often \"it\"'s largest weight is on its referent, per encoder head (b):\n");
    fmt::print("  {:<14} {:>10} {:>10}   {:>10} {:>10}   where else it looks on the test sentences\n", "",
               "validation", "", "test", "");
    fmt::print("  {:<14} {:>10} {:>10}   {:>10} {:>10}  ", "", kKindNames[0], kKindNames[1], kKindNames[0],
               kKindNames[1]);
    for (const char* e : kElsewhere) fmt::print(" {:>10}", e);
    fmt::print("   the adjective (test)\n");
    for (int64_t l = 0; l < sizes.layers; ++l)
      for (int64_t h = 0; h < sizes.heads; ++h) {
        const Rate& v = on_validation.on_referent[l][h];
        const Rate& t = on_test.on_referent[l][h];
        fmt::print("  layer {} head {} {:>9.1f}% {:>9.1f}%   {:>9.1f}% {:>9.1f}%  ", l, h, v.percent(kTired),
                   v.percent(kWide), t.percent(kTired), t.percent(kWide));
        const int64_t n = t.total[0] + t.total[1];
        for (int64_t count : on_test.elsewhere[l][h]) fmt::print(" {:>9.1f}%", 100.0 * count / n);
        const Rate& a = on_test.adjective_on_referent[l][h];
        fmt::print("   {:>6.1f}% {:>6.1f}%", a.percent(kTired), a.percent(kWide));
        fmt::print("{}\n", l == best_layer && h == best_head ? "  <- chosen" : "");
      }
    const Rate& chosen = on_test.on_referent[best_layer][best_head];
    fmt::print(
        "Chosen on validation: layer {} head {}. On the test sentences its largest weight is on the "
        "referent\n"
        "in {:.1f}% of the tired-like and {:.1f}% of the wide-like sentences (no loss asked for any of "
        "this).\n"
        "A head that looks at the animate noun whatever the adjective scores ~100% on one kind and ~0% on "
        "the\n"
        "other: only a head high on both follows the referent. The last two columns ask the same of the\n"
        "adjective's row: does the word that decides, and must agree, look at the referent?\n\n",
        best_layer, best_head, chosen.percent(kTired), chosen.percent(kWide));

    // 5. The picture: a line from "it" to every word, its width the weight, for the chosen head
    //    and for the head that does this least, in the two title sentences.
    fmt::print("5. The two sentences of the title:\n");
    trace::OutputFolder out(flags.out);
    std::vector<std::pair<std::string, std::string>> files;
    for (const nn::Example* ex : {&tired, &wide}) {
      NoGradGuard no_grad;
      const nn::Batch batch = nn::make_batch(std::span(ex, 1), source_vocab, target_vocab);
      const nn::GreedyOutput decoded = nn::greedy_decode(model, batch.source, batch.source_mask, 20);
      std::vector<std::string> words;
      for (int64_t id : decoded.sequences[0]) words.push_back(target_vocab.token(id));
      fmt::print("  {}\n    → {}  ({})\n", nn::join_tokens(ex->source), nn::join_tokens(words),
                 words == ex->target ? "right" : fmt::format("expected: {}", nn::join_tokens(ex->target)));
      const nn::TransformerEncoderOutput read = encoder->forward_layers(batch.source, batch.source_mask);
      for (const auto& [layer, head, which] :
           {std::tuple{best_layer, best_head, "chosen"}, std::tuple{worst_layer, worst_head, "other"}}) {
        const std::vector<float> weights = it_row(read, *ex, layer, head);
        fmt::print("  where \"it\" looks in layer {} head {} ({}):\n", layer, head,
                   std::string(which) == "chosen" ? "the chosen head" : "a head that does not do this");
        print_bars(*ex, weights);
        const std::string stem = fmt::format("it_{}_{}_head", ex->source.back(), which);
        trace::write_picture(
            out, stem, trace::self_attention_to_dot(it_map(*ex, weights, layer, head), ex->query_position),
            fmt::format("\"it\" in \"... too {}\", layer {} head {} ({} head): one line per word, "
                        "width = weight",
                        ex->source.back(), layer, head, which));
        files.emplace_back(flags.out + "/" + stem + ".svg",
                           fmt::format("\"... too {}\", the {} head", ex->source.back(), which));
      }
      fmt::print("\n");
    }
    std::string results = fmt::format("test sentences: {}\nchosen head: layer {} head {}\n", test.size(),
                                      best_layer, best_head);
    for (int k = 0; k < 2; ++k)
      results += fmt::format(
          "{}: il/elle right {:.1f}%, whole sentence right {:.1f}%, chosen head on the referent "
          "{:.1f}% (validation {:.1f}%)\n",
          kKindNames[k], on_test.pronoun.percent(k), on_test.sentence.percent(k), chosen.percent(k),
          on_validation.on_referent[best_layer][best_head].percent(k));
    out.write("results.txt", results, "the numbers this run printed");
    out.write("loss.svg",
              trace::render_line_plot(
                  lessons::loss_plot("Lesson 14: training loss", {{"Transformer", progress.losses()}})),
              "training loss against the step");
    out.write_index("Lesson 14: who is \"it\"?");

    fmt::print(
        "What to look at: does the thickest line from \"it\" in the chosen head go to \"animal\" when the\n"
        "sentence ends in \"tired\" and to \"street\" when it ends in \"wide\"? Table 4 says how often it "
        "does on\n"
        "sentences never seen, and table 3 where the decoder reads when it writes il/elle: if not at "
        "\"it\",\n"
        "the gender need not be gathered there (in the natural order the decoder has already written both\n"
        "nouns, le/la and all, before the pronoun; try --because-first).\n");
    files.emplace_back(flags.out + "/index.txt", "every file written, with what it shows");
    lessons::print_files_to_open(files);
    return 0;
  });
}
