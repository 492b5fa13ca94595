// Lesson 07 — Reading attention.
//
// A toy English → French-like translation where adjectives move after their nouns ("the big cat"
// → "le chat grand") and adverbs after their verbs. We know the true alignment of every target
// word, so we can score the attention: how often does its argmax point at the right source word?
// The heatmaps show the paper's Figure 3 in miniature: a diagonal that crosses where words reorder.
#include <glimpse.hpp>

#include "nn/clip_grad.hpp"
#include "nn/lr_scheduler.hpp"
#include "nn/optim.hpp"
#include "support/lesson.hpp"
#include "support/live_seq2seq.hpp"
#include "support/seq2seq_lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

namespace {

struct AlignmentScore {
  int64_t right = 0, total = 0;            // all aligned target words
  int64_t moved_right = 0, moved_total = 0;  // words whose position changed in translation
};

// Teacher-forced attention on held-out sentences, its argmax against the known alignment.
AlignmentScore score_alignment(const lessons::Seq2seqModel& t, const std::vector<nn::Example>& examples) {
  NoGradGuard no_grad;
  const nn::Batch batch = nn::make_batch(examples, t.source_vocab, t.target_vocab);
  const nn::DecoderOutput out = t.model->forward(batch);
  const IndexTensor pointed = argmax(out.attention, -1);  // [B, T]
  AlignmentScore s;
  const int64_t T = pointed.shape[1];
  for (size_t b = 0; b < examples.size(); ++b) {
    const auto& align = examples[b].alignment;
    for (size_t k = 0; k < align.size(); ++k) {
      if (align[k].empty()) continue;  // a target word no source word produces
      const bool right =
          nn::comes_from(examples[b], k, pointed[static_cast<int64_t>(b) * T + static_cast<int64_t>(k)]);
      s.right += right, ++s.total;
      if (!nn::comes_from(examples[b], k, static_cast<int64_t>(k))) s.moved_right += right, ++s.moved_total;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{"Lesson 07: reading attention. Trains an attention encoder-decoder on a toy translation with word "
                 "reordering and scores its attention against the known word alignment."};
    lessons::CommonFlags flags;
    flags.out = "out/07_reading_attention";
    flags.steps = 1200;
    lessons::Seq2seqFlags s2s;
    s2s.task = "translation";
    s2s.min_length = 5, s2s.max_length = 12, s2s.test_max_length = 12;
    int64_t examples_to_draw = 3, snapshots = 12;
    lessons::add_common_flags(app, flags);
    lessons::add_seq2seq_flags(app, s2s);
    lessons::add_number(app, "--draw", examples_to_draw, "held-out sentences to draw", 1, 20);
    lessons::add_number(
        app, "--snapshots", snapshots,
        "times during training the alignment is scored and the first drawn sentence's attention "
        "saved (evenly spaced, plus before the first step)",
        1, 100);
    std::optional<int> serve;
    lessons::add_serve_flag(app, serve, 8007);
    CLI11_PARSE(app, argc, argv);
    lessons::check_seq2seq_flags(s2s);
    lessons::prepare_out_dir(flags.out);
    if (flags.smoke) flags.steps = 20, s2s.test_per_length = 5, s2s.hidden = 16;

    // The held-out sentences, and the first with a reordering: scored and drawn during training too.
    const auto task = nn::make_task(s2s.task, s2s.min_length, s2s.max_length);
    Generator gen(flags.seed + 11);
    const std::vector<nn::Example> held_out = nn::generate(*task, flags.smoke ? 20 : 300, gen);
    const auto reordered = [](const nn::Example& e) {
      for (size_t k = 0; k < e.alignment.size(); ++k)
        if (!e.alignment[k].empty() && !nn::comes_from(e, k, static_cast<int64_t>(k))) return true;
      return false;
    };
    const auto first_reordered = std::find_if(held_out.begin(), held_out.end(), reordered);
    trace::OutputFolder out(flags.out);

    // 1. Training: an attention encoder-decoder learns the toy translation.
    fmt::print("1. Training an attention encoder-decoder on the toy translation: {} steps of {} sentences\n",
               flags.steps, s2s.batch);
    lessons::Seq2seqModel trained = lessons::make_seq2seq(/*attention=*/true, s2s, flags);
    nn::Adam adam(trained.model->parameters(), {.lr = s2s.lr});
    nn::StepLR schedule(adam, std::max<int64_t>(flags.steps / 3, 1), 0.5f);  // halve the rate every third
    // Watching the alignment appear: every `every` steps, the score on the held-out sentences and
    // the first reordered one's heatmap (a numbered series of files). Scoring reads the model
    // without a gradient and draws no random numbers, so training goes exactly as without it.
    const int64_t every = std::max<int64_t>(1, flags.steps / snapshots);
    std::vector<std::pair<int64_t, AlignmentScore>> during;
    const auto snapshot = [&](int64_t step) {
      during.emplace_back(step, score_alignment(trained, held_out));
      if (first_reordered == held_out.end()) return;
      NoGradGuard no_grad;
      const nn::Example& e = *first_reordered;
      const nn::Batch one =
          nn::make_batch(std::vector<nn::Example>{e}, trained.source_vocab, trained.target_vocab);
      trace::AttentionMap map = trace::attention_map(trained.model->forward(one).attention,
                                                     lessons::with_eos(e.target, trained.target_vocab),
                                                     e.source, "decoder.attention");
      map.kind = fmt::format("after {} training steps", step);
      trace::write_picture(out, fmt::format("training_attention_step_{:05}", step),
                           trace::heatmap_to_dot(map),
                           fmt::format("the first drawn sentence's attention after {} training steps", step));
    };
    lessons::Progress progress(flags.steps, flags.quiet);
    for (int64_t step = 0; step < flags.steps; ++step) {
      if (step % every == 0) snapshot(step);
      const nn::Batch batch = trained.batcher.next();
      adam.zero_grad();
      Tensor loss = trained.model->loss(batch);  // mean cross-entropy of the target words, teacher-forced
      loss.backward();
      nn::clip_grad_norm(trained.model->parameters(), 1.0f);  // a long unroll can blow a gradient up
      adam.step();
      schedule.step();
      progress.update(step, loss.item());
    }
    trained.model->eval();
    snapshot(flags.steps);

    // 2. How many held-out sentences it translates exactly right.
    const auto rows = lessons::accuracy_by_length(trained, s2s, flags.seed);
    double exact = 0;
    for (const auto& r : rows) exact += r.exact / static_cast<double>(rows.size());
    fmt::print("\n2. Held-out translations decoded exactly right: {:.1f}% (mean over lengths {}..{}).\n", 100 * exact,
               s2s.min_length, s2s.max_length);

    // 3. Where its attention points, against the known alignment.
    const AlignmentScore score = during.back().second;
    fmt::print("3. Attention argmax on the true source word: {:.1f}% of {} target words;\n"
               "  of the {} words that moved (adjectives, adverbs, the nouns they jumped): {:.1f}%.\n",
               100.0 * score.right / std::max<int64_t>(score.total, 1), score.total, score.moved_total,
               100.0 * score.moved_right / std::max<int64_t>(score.moved_total, 1));
    const auto share = [](int64_t right, int64_t total) {
      return 100.0 * right / std::max<int64_t>(total, 1);
    };
    std::string steps_row, all_row, moved_row;
    trace::Series all_words{.name = "every aligned target word", .points = true},
        moved_words{.name = "the words that moved", .points = true};
    for (const auto& [step, s] : during) {
      steps_row += fmt::format("{:>7}", step);
      all_row += fmt::format("{:>6.1f}%", share(s.right, s.total));
      moved_row += fmt::format("{:>6.1f}%", share(s.moved_right, s.moved_total));
      for (trace::Series* curve : {&all_words, &moved_words}) curve->x.push_back(static_cast<double>(step));
      all_words.y.push_back(share(s.right, s.total));
      moved_words.y.push_back(share(s.moved_right, s.moved_total));
    }
    fmt::print(
        "  The same score while it trained, every {} steps (teacher-forced on the same held-out sentences):\n"
        "    after step {}\n    all words  {}\n    moved      {}\n",
        every, steps_row, all_row, moved_row);

    // 4. Draw a few held-out sentences that contain a reordering.
    fmt::print("4. Held-out sentences with a reordering, drawn:\n");
    trace::Tracer tracer(*trained.model, {.modules = {"decoder.attention"},
                                          .max_sequences = examples_to_draw,
                                          .vocabulary = trained.target_vocab.tokens(),
                                          .record_graph = false, .record_backward = false});
    int64_t drawn = 0;
    for (const nn::Example& e : held_out) {
      if (!reordered(e) || drawn >= examples_to_draw) continue;
      tracer.begin_sequence(e.source, lessons::with_eos(e.target, trained.target_vocab));
      NoGradGuard no_grad;
      (void)trained.model->forward(nn::make_batch(std::vector<nn::Example>{e}, trained.source_vocab, trained.target_vocab));
      fmt::print("  drawn: {}  →  {}\n", nn::join_tokens(e.source), nn::join_tokens(e.target));
      ++drawn;
    }

    out.write("accuracy_by_length.tsv", lessons::length_table_tsv(rows, "attention"), "exact and per-token accuracy by length");
    out.write("alignment_during_training.svg",
              trace::render_line_plot(
                  {.title = "Lesson 07: attention's argmax on the true source word, while training",
                   .x_label = "training step",
                   .y_label = "target words whose attention argmax is right (%)",
                   .y_min = 0,
                   .y_max = 100,
                   .series = {all_words, moved_words}}),
              "the alignment score after every snapshot step: watching the alignment appear");
    out.write("loss.svg",
              trace::render_line_plot(
                  lessons::loss_plot("Lesson 07: training loss", {{"attention", progress.losses()}})),
              "training loss against the step");
    out.write("alignment_score.txt",
              fmt::format("target words\t{}\nargmax on the true source word\t{}\nmoved words\t{}\nmoved words right\t{}\n",
                          score.total, score.right, score.moved_total, score.moved_right),
              "how often attention's argmax points at the true source word");
    trace::write_trace_into(tracer.recording(), out);
    out.write_index("Lesson 07: reading attention");

    fmt::print("\nWhat to look at: in each heatmap the bright cells run down the diagonal, then cross where the\n"
               "French-like order differs — 'chat grand' looks at 'cat' then at 'big'.\n");
    lessons::print_files_to_open(
        {{flags.out + "/attention_000.svg", "heatmap of the first drawn sentence"},
         {flags.out + "/alignment_000.svg", "the same as an alignment graph"},
         {flags.out + "/alignment_score.txt", "the argmax-vs-alignment counts"},
         {flags.out + "/alignment_during_training.svg", "the score while it trained"},
         {flags.out + "/training_attention_step_00000.svg",
          "the first drawn sentence before training; the numbered files follow it"}});
    if (serve)
      lessons::serve_seq2seq(trained, *serve, "Lesson 07, live: reading attention",
                             nn::join_tokens(held_out.front().source));
    return 0;
  });
}
