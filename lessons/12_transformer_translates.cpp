// Lesson 12 — The Transformer translates.
//
// Lessons 06 and 07 translated with a GRU that attends; lesson 10 built the Transformer's encoder
// block. Here the whole Transformer (Vaswani et al. 2017) takes the GRU's job: an encoder stack
// reads the source, a decoder stack reads the target so far under a causal mask and attends to
// the encoder's states (cross-attention), layer after layer and head by head. Both models get the
// same parameter budget and the same data: lesson 07's translation, whose words move, and lesson
// 06's reversal. We compare accuracy by length and training time, draw every layer's and head's
// cross-attention, and ask each head: does its argmax land on the source word the target word
// translates (it aligns), or does it do something else?
#include <glimpse.hpp>

#include "nn/clip_grad.hpp"
#include "nn/lr_scheduler.hpp"
#include "nn/optim.hpp"
#include "nn/transformer_seq2seq_decoder.hpp"
#include "nn/transformer_seq2seq_encoder.hpp"
#include "support/lesson.hpp"
#include "support/live_seq2seq.hpp"
#include "support/seq2seq_lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

namespace {

struct TransformerSizes {
  int64_t dim = 32, heads = 4, layers = 2, feedforward = 64;
  float lr = 2e-3f;
  bool learned_positions = false;
};

// An encoder-decoder Transformer on the same data as the GRU: encoder and decoder stacks of
// `layers` post-norm layers each, no dropout (the data is endless, and the same seed should give
// the same bits).
lessons::Seq2seqModel make_transformer(const lessons::Seq2seqFlags& f, const lessons::CommonFlags& common,
                                       const TransformerSizes& sizes) {
  // Learned positions need a row for every position decoding can reach: the longest tested
  // target, its <sos> and <eos>, and the 5 steps past it that accuracy_by_length lets a decoder run on.
  const nn::Positions positions =
      sizes.learned_positions ? nn::Positions::learned(f.test_max_length + 8) : nn::Positions::sinusoidal();
  return lessons::make_seq2seq_with(
      f, common, [&](int64_t source_size, int64_t target_size, Generator& init) {
        auto encoder = std::make_shared<nn::TransformerSeq2seqEncoder>(source_size, sizes.dim, sizes.heads,
                                                                       sizes.layers, sizes.feedforward, 0.0f,
                                                                       "relu", false, init, positions);
        auto decoder = std::make_shared<nn::TransformerSeq2seqDecoder>(target_size, sizes.dim, sizes.heads,
                                                                       sizes.layers, sizes.feedforward, 0.0f,
                                                                       "relu", false, init, positions);
        return std::make_shared<nn::Seq2seq>(encoder, decoder);
      });
}

// Adam with the rate halved every third of the run, as in lessons 06 and 07; returns the seconds
// and adds the losses to `losses` under `label`.
double train(lessons::Seq2seqModel& m, float lr, int64_t steps, bool quiet, const std::string& label,
             lessons::LossCurves& losses) {
  nn::Adam adam(m.model->parameters(), {.lr = lr});
  nn::StepLR schedule(adam, std::max<int64_t>(steps / 3, 1), 0.5f);
  if (!quiet) fmt::print(stderr, "Training {}:\n", label);
  lessons::Progress progress(steps, quiet);
  for (int64_t step = 0; step < steps; ++step) {
    const nn::Batch batch = m.batcher.next();
    adam.zero_grad();
    Tensor loss = m.model->loss(batch);  // mean cross-entropy of the target tokens, teacher-forced
    loss.backward();
    nn::clip_grad_norm(m.model->parameters(), 1.0f);
    adam.step();
    schedule.step();
    progress.update(step, loss.item());
  }
  m.model->eval();
  losses.emplace_back(label, progress.losses());
  return progress.seconds();
}

// Where an attention's argmax lands, for the target words some source word produces: on a source
// word it translates (it aligns), on one the previous target word translates (it looks back at
// what was just written), on the source word right after an aligned one (it looks ahead), or
// elsewhere.
struct Alignment {
  int64_t aligned = 0, previous = 0, next = 0, other = 0;
  int64_t total() const { return aligned + previous + next + other; }
  double share(int64_t n) const {
    return static_cast<double>(n) / static_cast<double>(std::max<int64_t>(total(), 1));
  }
  double share() const { return share(aligned); }
};

// weights [B, T, S] (teacher-forced: row k is the step that writes target word k) against the
// examples' alignments.
Alignment score(const Tensor& weights, const std::vector<nn::Example>& examples) {
  const IndexTensor pointed = argmax(weights, -1);  // [B, T]
  const int64_t T = pointed.shape[1];
  Alignment a;
  for (size_t b = 0; b < examples.size(); ++b) {
    const nn::Example& e = examples[b];
    for (size_t k = 0; k < e.alignment.size(); ++k) {
      if (e.alignment[k].empty()) continue;  // a target word no source word produces
      const int64_t j = pointed[static_cast<int64_t>(b) * T + static_cast<int64_t>(k)];
      if (nn::comes_from(e, k, j))
        ++a.aligned;
      else if (k > 0 && nn::comes_from(e, k - 1, j))
        ++a.previous;
      else if (nn::comes_from(e, k, j - 1))
        ++a.next;
      else
        ++a.other;
    }
  }
  return a;
}

// The Transformer decoder's layers, teacher-forced over `examples`: each one's cross-attention.
nn::TransformerDecoderOutput cross_attention(const lessons::Seq2seqModel& t,
                                             const std::vector<nn::Example>& examples) {
  NoGradGuard no_grad;
  const nn::Batch batch = nn::make_batch(examples, t.source_vocab, t.target_vocab);
  const auto& decoder = dynamic_cast<const nn::TransformerSeq2seqDecoder&>(t.model->decoder());
  return decoder.forward_layers(decoder.embed(batch.decoder_input),
                                t.model->encode(batch.source, batch.source_mask));
}

// One heatmap per layer and head for one example, labelled with its words.
std::vector<trace::AttentionMap> head_maps(const nn::TransformerDecoderOutput& y, const nn::Example& e,
                                           const nn::Vocab& target_vocab) {
  std::vector<trace::AttentionMap> maps;
  const std::vector<std::string> rows = lessons::with_eos(e.target, target_vocab);
  for (size_t l = 0; l < y.layers.size(); ++l) {
    const Tensor& w = y.layers[l].cross_head_weights;  // [1, H, T, S]
    for (int64_t h = 0; h < w.size(1); ++h) {
      trace::AttentionMap map;
      map.module = fmt::format("decoder layer {}", l);
      map.kind = "cross-attention";
      map.head = h;
      map.rows = rows, map.columns = e.source;
      for (int64_t k = 0; k < w.size(2); ++k) {
        std::vector<float> row;
        for (int64_t j = 0; j < w.size(3); ++j) row.push_back(w.at({0, h, k, j}));
        map.weights.push_back(row);
      }
      maps.push_back(std::move(map));
    }
  }
  return maps;
}

// Every layer's and head's alignment share on `examples`, [layer][head].
std::vector<std::vector<Alignment>> head_alignment(const nn::TransformerDecoderOutput& y,
                                                   const std::vector<nn::Example>& examples) {
  std::vector<std::vector<Alignment>> shares;
  for (const auto& layer : y.layers) {
    shares.emplace_back();
    for (int64_t h = 0; h < layer.cross_head_weights.size(1); ++h)
      shares.back().push_back(score(layer.cross_head_weights.select(1, h), examples));
  }
  return shares;
}

double mean_exact(const std::vector<lessons::LengthAccuracy>& rows) {
  double exact = 0;
  int64_t trained = 0;
  for (const auto& r : rows)
    if (r.trained) exact += r.exact, ++trained;
  return exact / static_cast<double>(std::max<int64_t>(trained, 1));
}

}  // namespace

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{
        "Lesson 12: the Transformer translates. An encoder-decoder Transformer and a GRU with Bahdanau "
        "attention, the same parameter budget, on lesson 07's reordering translation and lesson 06's "
        "reversal: accuracy by length, training time, and every cross-attention head scored against the "
        "true alignment."};
    lessons::CommonFlags flags;
    flags.out = "out/12_transformer_translates";
    flags.steps = 500;
    lessons::Seq2seqFlags s2s;  // the GRU's sizes: hidden 64, embedding 16 (lessons 05–07)
    TransformerSizes sizes;
    bool compare = true;
    lessons::add_common_flags(app, flags);
    lessons::add_number(app, "--hidden", s2s.hidden, "the GRU's hidden size", 1, 512);
    lessons::add_number(app, "--embedding", s2s.embedding, "the GRU's token embedding size", 1, 512);
    lessons::add_batch_flag(app, s2s.batch, "sentences", 256);
    lessons::add_number(app, "--gru-lr", s2s.lr, "the GRU's Adam learning rate", 1e-6f, 1.0f);
    lessons::add_block_flags(app, sizes.dim, sizes.heads, sizes.layers);
    app.get_option("--layers")->description("layers in the encoder, and as many in the decoder");
    lessons::add_number(app, "--feedforward", sizes.feedforward, "the Transformer's feed-forward width", 1,
                        2048);
    lessons::add_number(app, "--lr", sizes.lr, "the Transformer's Adam learning rate", 1e-6f, 1.0f);
    app.add_flag(
        "--learned-positions", sizes.learned_positions,
        "learned positions instead of the sinusoids (a vector per position, up to the longest tested)");
    lessons::add_compare_flag(app, compare, "also run the reversal (lesson 06's task)");
    int64_t test_per_length = 100;
    lessons::add_number(app, "--test-per-length", test_per_length, "held-out sentences per source length", 1,
                        10000);
    std::optional<int> serve;
    lessons::add_serve_flag(app, serve, 8012);
    CLI11_PARSE(app, argc, argv);
    lessons::check_block_flags(sizes.dim, sizes.heads);
    lessons::prepare_out_dir(flags.out);
    if (flags.smoke)
      flags.steps = 20, test_per_length = 5, s2s.hidden = 16, sizes.dim = 16, sizes.feedforward = 32;
    trace::OutputFolder out(flags.out);

    // The two tasks: lesson 07's translation (sources 5..12 words, tested on the same lengths) and
    // lesson 06's reversal (4..12 symbols, tested up to 16: the last four lengths never trained).
    lessons::Seq2seqFlags translation = s2s, reversal = s2s;
    translation.task = "translation", translation.min_length = 5, translation.max_length = 12;
    translation.test_max_length = 12;
    reversal.task = "reverse";  // min 4, max 12, tested to 16: Seq2seqFlags' defaults
    translation.test_per_length = reversal.test_per_length = test_per_length;

    // 1. The two models, with their budgets.
    lessons::Seq2seqModel gru = lessons::make_seq2seq(/*attention=*/true, translation, flags);
    lessons::Seq2seqModel transformer = make_transformer(translation, flags, sizes);
    fmt::print(
        "1. Two encoder-decoders for lesson 07's translation:\n"
        "  GRU + Bahdanau attention (hidden {}, embedding {}):            {:>7} parameters\n"
        "  Transformer ({} + {} post-norm layers, d_model {}, {} heads of {}, feed-forward {}, {} "
        "positions): {:>7} parameters\n",
        s2s.hidden, s2s.embedding, lessons::parameter_count(*gru.model), sizes.layers, sizes.layers,
        sizes.dim, sizes.heads, sizes.dim / sizes.heads, sizes.feedforward,
        sizes.learned_positions ? "learned" : "sinusoidal", lessons::parameter_count(*transformer.model));

    // 2. Training, the same batches for both: steps of teacher-forced cross-entropy.
    lessons::LossCurves losses;  // every model's, for the loss plot
    fmt::print("\n2. Training both on the same {} steps of {} sentences.\n", flags.steps, s2s.batch);
    const double gru_seconds = train(gru, s2s.lr, flags.steps, flags.quiet, "the GRU with attention", losses);
    const double transformer_seconds =
        train(transformer, sizes.lr, flags.steps, flags.quiet, "the Transformer", losses);
    if (!flags.quiet)  // wall-clock times differ from run to run; --quiet output must not
      fmt::print(
          "  wall time: GRU {:.1f} s, Transformer {:.1f} s (the GRU steps through each sentence word by "
          "word;\n"
          "  the Transformer reads all of it in one pass per layer)\n",
          gru_seconds, transformer_seconds);

    // 3. Accuracy by length: greedy decoding of held-out sentences.
    const auto gru_rows = lessons::accuracy_by_length(gru, translation, flags.seed);
    const auto transformer_rows = lessons::accuracy_by_length(transformer, translation, flags.seed);
    fmt::print("\n3. Held-out translations decoded exactly right, by source length ({} per length):\n\n{}\n",
               test_per_length,
               lessons::format_length_table(transformer_rows, "Transformer", &gru_rows, "GRU + attention"));

    // 4. Every cross-attention head against the true alignment, teacher-forced on held-out sentences.
    const auto task = nn::make_task(translation.task, translation.min_length, translation.max_length);
    Generator held_out_gen(flags.seed + 11);
    const std::vector<nn::Example> held_out = nn::generate(*task, flags.smoke ? 20 : 300, held_out_gen);
    const nn::TransformerDecoderOutput layers = cross_attention(transformer, held_out);
    const auto shares = head_alignment(layers, held_out);
    Alignment gru_alignment;
    {
      NoGradGuard no_grad;
      gru_alignment =
          score(gru.model->forward(nn::make_batch(held_out, gru.source_vocab, gru.target_vocab)).attention,
                held_out);
    }
    fmt::print(
        "4. Which heads align? Where each cross-attention head's argmax lands, over {} held-out target\n"
        "  words: on the source word the target word translates (aligned), on the one the previous\n"
        "  target word translated (looks back), on the source word after it (looks ahead), elsewhere:\n\n",
        gru_alignment.total());
    fmt::print("  {:<22} {:<19} {:>10} {:>11} {:>9}\n", "", "aligned", "looks back", "looks ahead",
               "elsewhere");
    std::string shares_tsv = "model\tlayer\thead\taligned\tlooks_back\tlooks_ahead\telsewhere\n";
    const auto row = [&](const std::string& who, const std::string& model, int64_t l, int64_t h,
                         const Alignment& a) {
      fmt::print("  {:<22} {} {:5.1f}% {:>9.1f}% {:>10.1f}% {:>8.1f}%\n", who, lessons::bar(a.share(), 12),
                 100 * a.share(), 100 * a.share(a.previous), 100 * a.share(a.next), 100 * a.share(a.other));
      shares_tsv += fmt::format("{}\t{}\t{}\t{:.4f}\t{:.4f}\t{:.4f}\t{:.4f}\n", model, l, h, a.share(),
                                a.share(a.previous), a.share(a.next), a.share(a.other));
    };
    int64_t best_layer = 0, best_head = 0, worst_layer = 0, worst_head = 0;
    for (size_t l = 0; l < shares.size(); ++l)
      for (size_t h = 0; h < shares[l].size(); ++h) {
        row(fmt::format("layer {} head {}", l, h), "transformer", l, h, shares[l][h]);
        if (shares[l][h].share() > shares[best_layer][best_head].share()) best_layer = l, best_head = h;
        if (shares[l][h].share() < shares[worst_layer][worst_head].share()) worst_layer = l, worst_head = h;
      }
    row("the GRU's attention", "gru_attention", 0, 0, gru_alignment);
    fmt::print("  Best aligned: layer {} head {} ({:.1f}%); least: layer {} head {} ({:.1f}%).\n", best_layer,
               best_head, 100 * shares[best_layer][best_head].share(), worst_layer, worst_head,
               100 * shares[worst_layer][worst_head].share());

    // 5. One held-out sentence whose words move, every layer and head drawn.
    const nn::Example* drawn = &held_out.front();
    for (const nn::Example& e : held_out) {
      bool moved = false;
      for (size_t k = 0; k < e.alignment.size(); ++k)
        moved |= !e.alignment[k].empty() && !nn::comes_from(e, k, static_cast<int64_t>(k));
      if (moved) {
        drawn = &e;
        break;
      }
    }
    const std::vector<trace::AttentionMap> maps =
        head_maps(cross_attention(transformer, {*drawn}), *drawn, transformer.target_vocab);
    for (size_t i = 0; i < maps.size(); ++i)
      trace::write_picture(out,
                           fmt::format("cross_attention_layer{}_head{}", i / sizes.heads, i % sizes.heads),
                           trace::heatmap_to_dot(maps[i]),
                           fmt::format("{}, {}: target words × source words", maps[i].module, maps[i].kind));
    fmt::print("\n5. Drawn, every layer and head: {}  →  {}\n", nn::join_tokens(drawn->source),
               nn::join_tokens(drawn->target));

    // 6. Lesson 06's reversal, where lengths beyond the training ones are tested too.
    std::vector<lessons::LengthAccuracy> reverse_gru_rows, reverse_transformer_rows;
    if (compare) {
      lessons::Seq2seqModel gru_r = lessons::make_seq2seq(/*attention=*/true, reversal, flags);
      lessons::Seq2seqModel transformer_r = make_transformer(reversal, flags, sizes);
      const double gru_r_seconds =
          train(gru_r, s2s.lr, flags.steps, flags.quiet, "the GRU on reversal", losses);
      const double transformer_r_seconds =
          train(transformer_r, sizes.lr, flags.steps, flags.quiet, "the Transformer on reversal", losses);
      reverse_gru_rows = lessons::accuracy_by_length(gru_r, reversal, flags.seed);
      reverse_transformer_rows = lessons::accuracy_by_length(transformer_r, reversal, flags.seed);
      fmt::print("\n6. Lesson 06's reversal, the same budgets and {} steps{}:\n\n{}\n", flags.steps,
                 flags.quiet ? ""
                             : fmt::format(" (wall time: GRU {:.1f} s, Transformer {:.1f} s)", gru_r_seconds,
                                           transformer_r_seconds),
                 lessons::format_length_table(reverse_transformer_rows, "Transformer", &reverse_gru_rows,
                                              "GRU + attention"));
    }

    std::vector<std::pair<std::string, const std::vector<lessons::LengthAccuracy>*>> lengths = {
        {"transformer_translation", &transformer_rows}, {"gru_translation", &gru_rows}};
    if (compare)
      lengths.insert(lengths.end(), {{"transformer_reverse", &reverse_transformer_rows},
                                     {"gru_reverse", &reverse_gru_rows}});
    out.write("accuracy_by_length.tsv", lessons::length_table_tsv(lengths),
              "exact and per-token accuracy by source length, every model and task");
    out.write("accuracy_by_length.svg",
              trace::render_line_plot(
                  lessons::length_plot("Lesson 12: translation, exact accuracy against source length",
                                       {{"Transformer", &transformer_rows}, {"GRU + attention", &gru_rows}})),
              "translation's accuracy table as a plot, both models");
    if (compare)
      out.write("reversal_by_length.svg",
                trace::render_line_plot(lessons::length_plot(
                    "Lesson 12: reversal, exact accuracy against source length",
                    {{"Transformer", &reverse_transformer_rows}, {"GRU + attention", &reverse_gru_rows}})),
                "reversal's accuracy table as a plot, both models, up to lengths never trained");
    out.write("loss.svg", trace::render_line_plot(lessons::loss_plot("Lesson 12: training loss", losses)),
              "training loss against the step, every model");
    out.write("head_alignment.tsv", shares_tsv,
              "each cross-attention head's share of target words it aligns");
    out.write_index("Lesson 12: the Transformer translates");

    fmt::print(
        "\nWhat to look at: mean exact accuracy over the trained lengths, Transformer {:.1f}% vs GRU "
        "{:.1f}%.\n"
        "Open the best-aligned head's map: its bright cells follow the words, crossing where adjectives\n"
        "move; the least-aligned head's map looks elsewhere (the sentence's start, its punctuation,\n"
        "the word before): the decoder needs those too, and other heads carry the alignment for it.\n",
        100 * mean_exact(transformer_rows), 100 * mean_exact(gru_rows));
    lessons::print_files_to_open(
        {{fmt::format("{}/cross_attention_layer{}_head{}.svg", flags.out, best_layer, best_head),
          "the best-aligned head"},
         {fmt::format("{}/cross_attention_layer{}_head{}.svg", flags.out, worst_layer, worst_head),
          "the least-aligned head"},
         {flags.out + "/head_alignment.tsv", "every head's alignment share"},
         {flags.out + "/accuracy_by_length.svg", "translation's accuracy by length, drawn"}});
    if (serve)
      lessons::serve_seq2seq(transformer, *serve, "Lesson 12, live: the Transformer translates",
                             nn::join_tokens(drawn->source));
    return 0;
  });
}
