// Lesson 05 — Encoder-decoder with a fixed context vector (Cho et al. 2014).
//
// The encoder reads the whole source into one vector c (its final GRU state); the decoder writes
// the target from c alone. However long the source, everything must fit in `--hidden` numbers.
// We train it on a task with known answers and measure accuracy by source length, including
// lengths longer than any seen in training: accuracy falls as sources grow — the bottleneck.
#include <glimpse.hpp>

#include "nn/clip_grad.hpp"
#include "nn/lr_scheduler.hpp"
#include "nn/optim.hpp"
#include "support/lesson.hpp"
#include "support/seq2seq_lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{"Lesson 05: the encoder-decoder's bottleneck. Trains a GRU encoder-decoder whose decoder sees only "
                 "the encoder's final state, then measures exact-sequence accuracy by source length."};
    lessons::CommonFlags flags;
    flags.out = "out/05_bottleneck";
    flags.steps = 1200;
    lessons::Seq2seqFlags s2s;
    lessons::add_common_flags(app, flags);
    lessons::add_seq2seq_flags(app, s2s);
    CLI11_PARSE(app, argc, argv);
    lessons::check_seq2seq_flags(s2s);
    lessons::prepare_out_dir(flags.out);
    if (flags.smoke) flags.steps = 20, s2s.test_per_length = 5, s2s.hidden = 16;

    // 1. Training: the encoder reads the source into its last GRU state, the decoder writes the
    //    target from that state alone.
    fmt::print("1. Training an encoder-decoder without attention on '{}': {} steps of {} sequences\n", s2s.task,
               flags.steps, s2s.batch);
    lessons::Seq2seqModel trained = lessons::make_seq2seq(/*attention=*/false, s2s, flags);
    nn::Adam adam(trained.model->parameters(), {.lr = s2s.lr});
    nn::StepLR schedule(adam, std::max<int64_t>(flags.steps / 3, 1), 0.5f);  // halve the rate every third
    lessons::Progress progress(flags.steps, flags.quiet);
    std::vector<float> losses;
    for (int64_t step = 0; step < flags.steps; ++step) {
      const nn::Batch batch = trained.batcher.next();
      adam.zero_grad();
      Tensor loss = trained.model->loss(batch);  // mean cross-entropy of the target tokens, teacher-forced
      loss.backward();
      nn::clip_grad_norm(trained.model->parameters(), 1.0f);  // a long unroll can blow a gradient up
      adam.step();
      schedule.step();
      losses.push_back(loss.item());
      progress.update(step, losses.back());
    }
    trained.model->eval();
    if (!flags.quiet) fmt::print("Trained in {:.1f} s.\n", progress.seconds());

    // 2. Accuracy by source length, up to lengths never seen in training.
    const auto rows = lessons::accuracy_by_length(trained, s2s, flags.seed);
    fmt::print("\n2. Exact-sequence accuracy by source length on held-out '{}' sequences ({} per length):\n\n{}\n",
               s2s.task, s2s.test_per_length, lessons::format_length_table(rows, "fixed vector"));

    // 3. One long example, traced: every decoder step sees the same c, the encoder's last state.
    const auto task = nn::make_task(s2s.task, s2s.max_length, s2s.max_length);
    Generator gen(flags.seed + 7);
    const nn::Example example = task->sample(gen);
    trace::Tracer tracer(*trained.model, {.vocabulary = trained.target_vocab.tokens(), .record_graph = false,
                                          .record_backward = false});
    tracer.begin_sequence(example.source, lessons::with_eos(example.target, trained.target_vocab));
    const nn::Batch one = nn::make_batch(std::vector<nn::Example>{example}, trained.source_vocab, trained.target_vocab);
    const nn::GreedyOutput decoded = nn::greedy_decode(*trained.model, one.source, one.source_mask, one.target_len() + 3);
    fmt::print("3. One example of the longest trained length:\n  source:   {}\n  expected: {}\n  decoded:  {}\n",
               nn::join_tokens(example.source), nn::join_tokens(example.target),
               nn::join_tokens(trained.target_vocab.decode(decoded.sequences[0])));

    trace::OutputFolder out(flags.out);
    out.write("accuracy_by_length.tsv", lessons::length_table_tsv(rows, "fixed_vector"),
              "exact and per-token accuracy by source length (for plotting)");
    std::string curve = "step\tloss\n";
    for (size_t i = 0; i < losses.size(); ++i) curve += fmt::format("{}\t{:.5f}\n", i, losses[i]);
    out.write("loss_curve.tsv", curve, "training loss per step");
    out.write("accuracy_by_length.svg",
              trace::render_line_plot(lessons::length_plot("Lesson 05: exact accuracy against source length",
                                                           {{"fixed vector", &rows}})),
              "the table above as a plot: accuracy falls as the source grows");
    out.write(
        "loss.svg",
        trace::render_line_plot(lessons::loss_plot("Lesson 05: training loss", {{"fixed vector", losses}})),
        "training loss against the step");
    trace::write_trace_into(tracer.recording(), out);
    out.write_index("Lesson 05: the fixed-vector bottleneck");

    fmt::print("\nWhat to look at: short sources come back right; as they grow, more and more sequences have at\n"
               "least one wrong token, and lengths never seen in training (*) fail. Every decoder step started\n"
               "from the same {} numbers: that is the bottleneck lesson 06 removes.\n", s2s.hidden);
    lessons::print_files_to_open(
        {{flags.out + "/sequences.txt", "encoder and decoder steps, hidden states, predictions"},
         {flags.out + "/hidden_000.svg", "the encoder's hidden state over the source"},
         {flags.out + "/accuracy_by_length.svg", "the table above, drawn"}});
    return 0;
  });
}
