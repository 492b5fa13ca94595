// Lesson 06 — Attention (Bahdanau et al. 2014).
//
// The same task and the same training budget as lesson 05, but the decoder may look back at
// every encoder state at every step: c_t = Σ_j α_tj h_j with α_t = softmax(vᵀ tanh(W s + U h_j)).
// We train both decoders side by side, print accuracy by source length (the shape of the
// paper's Figure 2), and trace one long example step by step.
#include <glimpse.hpp>

#include "support/lesson.hpp"
#include "support/seq2seq_lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{"Lesson 06: attention. Trains a GRU encoder-decoder with Bahdanau attention and, with the same "
                 "budget, one without (lesson 05's), then compares exact-sequence accuracy by source length."};
    lessons::CommonFlags flags;
    flags.out = "out/06_attention";
    flags.steps = 1200;
    lessons::Seq2seqFlags s2s;
    bool compare = true;
    lessons::add_common_flags(app, flags);
    lessons::add_seq2seq_flags(app, s2s);
    app.add_flag("--compare,!--no-compare", compare, "also train the decoder without attention (lesson 05's)")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    lessons::check_seq2seq_flags(s2s);
    lessons::prepare_out_dir(flags.out);
    if (flags.smoke) flags.steps = 20, s2s.test_per_length = 5, s2s.hidden = 16;

    const auto with = lessons::train_seq2seq(true, s2s, flags, "with attention");
    const auto with_rows = lessons::accuracy_by_length(with, s2s, flags.seed);
    std::vector<lessons::LengthAccuracy> without_rows;
    if (compare) {
      const auto without = lessons::train_seq2seq(false, s2s, flags, "without attention (fixed context vector)");
      without_rows = lessons::accuracy_by_length(without, s2s, flags.seed);
    }

    fmt::print("\nExact-sequence accuracy by source length on held-out '{}' sequences ({} per length):\n\n",
               s2s.task, s2s.test_per_length);
    fmt::print("{}\n", lessons::format_length_table(with_rows, "attention", compare ? &without_rows : nullptr,
                                                    "fixed vector"));

    // Trace one long example (the longest trained length) as the attention decoder reads it.
    const auto task = nn::make_task(s2s.task, s2s.max_length, s2s.max_length);
    Generator gen(flags.seed + 7);
    const nn::Example example = task->sample(gen);
    trace::Tracer tracer(*with.model, {.modules = {"decoder"}, .vocabulary = with.target_vocab.tokens(),
                                       .record_graph = false, .record_backward = false});
    tracer.begin_sequence(example.source, lessons::with_eos(example.target, with.target_vocab));
    const nn::Batch one = nn::make_batch(std::vector<nn::Example>{example}, with.source_vocab, with.target_vocab);
    const nn::GreedyOutput decoded = nn::greedy_decode(*with.model, one.source, one.source_mask, one.target_len() + 3);
    fmt::print("One example:  {}\n  expected:   {}\n  decoded:    {}\n", nn::join_tokens(example.source),
               nn::join_tokens(example.target), nn::join_tokens(with.target_vocab.decode(decoded.sequences[0])));

    trace::OutputFolder out(flags.out);
    out.write("accuracy_by_length.tsv",
              lessons::length_table_tsv(with_rows, "attention") +
                  (compare ? lessons::length_table_tsv(without_rows, "fixed_vector").substr(
                                 lessons::length_table_tsv({}, "").size())
                           : ""),
              "exact and per-token accuracy by source length, both models (for plotting)");
    trace::write_trace_into(tracer.recording(), out);
    out.write_index("Lesson 06: attention");

    fmt::print("\nWhat to look at: with attention, accuracy holds as sources grow within the trained lengths;\n"
               "the fixed vector loses more the longer the source. In the heatmap the weight runs along an\n"
               "anti-diagonal ('reverse'): each target step looks at the source token it copies and at its\n"
               "right-hand neighbour (docs/lessons/06_attention.md explains why).\n");
    lessons::print_files_to_open({{flags.out + "/attention_000.svg", "attention heatmap: target steps × source tokens"},
                                  {flags.out + "/alignment_000.svg", "the same weights as an alignment graph"},
                                  {flags.out + "/sequences.txt", "the decoding step by step, with attention bars"},
                                  {flags.out + "/accuracy_by_length.tsv", "the table above, for plotting"}});
    return 0;
  });
}
