// Lesson 13 — A GPT in a minute.
//
// Lessons 09–11 used attention to read a whole sentence at once. A GPT writes: it predicts the
// next character from the ones before it, and writes text by drawing a character, appending it
// and predicting again. Its attention is causal — position t sees positions 0 … t only — so one
// forward pass over a window trains every position at once, and generation can keep the keys and
// values of the characters already written (the KV cache) instead of recomputing them.
//
// We train a small decoder-only character model (nanoGPT's layout: nn/gpt.hpp) from scratch on
// the English fortunes Debian ships (apt-get install fortunes), watch its validation loss fall,
// read samples before and after training, draw every head's causal attention on a piece of text,
// and generate with and without the KV cache: the same text, in less time.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <glimpse.hpp>
#include <limits>
#include <optional>

#include "nn/char_corpus.hpp"
#include "nn/generation.hpp"
#include "nn/gpt.hpp"
#include "nn/optim.hpp"
#include "support/lesson.hpp"
#include "support/live_gpt.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

namespace {

using lessons::visible;  // a character as the pictures and tables show it (live_gpt.hpp)

// Generated text for the terminal: control bytes escaped (a fortune may hold a backspace or an
// escape), every line indented.
std::string indented(const std::string& text) {
  std::string out = "  | ";
  for (char c : text) {
    if (c == '\n') {
      out += "\n  | ";
    } else if (c == '\t' || (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f)) {
      out += c;
    } else {
      out += visible(c);
    }
  }
  return out;
}

// The validation loss: the mean cross-entropy over the same fixed windows every time.
float validation_loss(nn::GPT& model, const nn::WindowBatch& windows) {
  NoGradGuard no_grad;
  model.eval();
  const float loss = model.loss(windows.x, windows.y).item();
  model.train();
  return loss;
}

// A bar of `value` against `full` in 40 cells: the curve drawn in the terminal.
std::string bar(float value, float full) {
  const auto cells = static_cast<int64_t>(std::lround(40.0 * std::clamp(value / full, 0.0f, 1.0f)));
  std::string out;
  for (int64_t i = 0; i < cells; ++i) out += "█";
  return out;
}

struct HeadSummary {
  double distance = 0;              // how far back the head looks, on average (in characters)
  double itself = 0, previous = 0;  // the share of attention on the position itself, on the one before
};

// Reads one attention map [T, T] (row i = query at position i): the mean over queries of where
// its weight goes.
HeadSummary summarise(const trace::AttentionMap& map) {
  HeadSummary s;
  const int64_t T = map.row_count();
  for (int64_t i = 0; i < T; ++i) {
    for (int64_t j = 0; j <= i && j < map.column_count(); ++j) s.distance += map.weights[i][j] * (i - j);
    s.itself += map.weights[i][i];
    if (i > 0) s.previous += map.weights[i][i - 1];
  }
  s.distance /= T, s.itself /= T;
  if (T > 1) s.previous /= T - 1;
  return s;
}

// Where the piece of validation text whose attention is drawn starts: at the first paragraph
// (after an empty line, where a fortune begins) that leaves `length` characters, else at 0.
size_t piece_start(const std::vector<int64_t>& val, const nn::CharVocab& vocab, int64_t length) {
  if (!vocab.contains('\n')) return 0;
  const int64_t newline = vocab.id('\n');
  for (size_t i = 2; i + length <= val.size(); ++i)
    if (val[i - 1] == newline && val[i - 2] == newline && val[i] != newline) return i;
  return 0;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{
        "Lesson 13: a GPT in a minute. A decoder-only character model trained from scratch on Debian's "
        "fortunes (apt-get install fortunes): validation loss, samples before and after, every head's "
        "causal attention, and generation with the KV cache."};
    lessons::CommonFlags flags;
    flags.out = "out/13_gpt";
    flags.steps = 500;
    nn::GPTConfig config{.block_size = 32, .n_layer = 2, .n_head = 4, .n_embd = 64};
    int64_t batch_size = 32, eval_every = 50, eval_windows = 64, sample_length = 300, attention_length = 40;
    float lr = 3e-3f;
    nn::SamplingOptions sampling{.temperature = 0.8f, .top_k = 10};
    std::string corpus_file, prompt = "The ";
    std::optional<int> serve;
    lessons::add_common_flags(app, flags);
    lessons::add_serve_flag(app, serve, 8013);
    app.add_option("--corpus", corpus_file,
                   fmt::format("a text file to train on instead of the fortunes in {}", nn::kFortunesFolder))
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    lessons::add_number(app, "--layers", config.n_layer, "Transformer blocks", 1, 8);
    lessons::add_number(app, "--heads", config.n_head, "attention heads per block (must divide --embd)", 1,
                        16);
    lessons::add_number(app, "--embd", config.n_embd, "model width n_embd", 1, 512);
    lessons::add_number(app, "--block", config.block_size, "context length block_size, in characters", 1,
                        512);
    lessons::add_batch_flag(app, batch_size, "windows of --block characters", 512);
    lessons::add_lr_flag(app, lr);
    lessons::add_number(app, "--eval-every", eval_every, "steps between two validation losses", 1, 100000);
    lessons::add_number(app, "--eval-windows", eval_windows, "validation windows the loss is measured on", 1,
                        4096);
    lessons::add_number(app, "--temperature", sampling.temperature,
                        "sampling temperature (< 1 sharper, > 1 flatter)", 0.01f, 10.0f);
    lessons::add_number(app, "--top-k", sampling.top_k,
                        "sample from the k likeliest characters only (0: all)", 0, 1000);
    lessons::add_number(app, "--sample-length", sample_length, "characters each sample writes", 1, 10000);
    lessons::add_number(app, "--attention-length", attention_length,
                        "characters of the text whose attention is drawn", 1, 512);
    app.add_option("--prompt", prompt, "the text every sample starts from")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    lessons::require(config.n_embd % config.n_head == 0,
                     fmt::format("--heads {} must divide --embd {}", config.n_head, config.n_embd));
    lessons::require(!prompt.empty(), "--prompt: an empty prompt (give at least one character)");
    if (flags.smoke) {
      flags.steps = 12, eval_every = 4, eval_windows = 8, sample_length = 40, attention_length = 16;
      config.block_size = 16, config.n_embd = 16, config.n_layer = 2, config.n_head = 2, batch_size = 4;
    }
    lessons::require(
        static_cast<int64_t>(prompt.size()) < config.block_size,
        fmt::format("--prompt: {} characters do not leave room in --block {} for a character more",
                    prompt.size(), config.block_size));

    // 1. The corpus: every English fortune Debian ships (or --corpus FILE), as one text.
    nn::TextCorpus corpus;
    if (!corpus_file.empty()) {
      try {
        corpus = nn::read_text_file(corpus_file);
      } catch (const Error& e) {
        throw std::invalid_argument(fmt::format("--corpus: {}", e.what()));
      }
    } else if (!std::filesystem::is_directory(nn::kFortunesFolder)) {
      throw std::runtime_error(
          fmt::format("this lesson trains on Debian's fortunes, and {} is not there.\n"
                      "  Install them:  sudo apt-get install fortunes\n"
                      "  or give the lesson any text file instead:  --corpus FILE",
                      nn::kFortunesFolder));
    } else {
      corpus = nn::read_fortunes(nn::kFortunesFolder);
    }
    const nn::CharVocab vocab(corpus.text);
    for (char c : prompt)
      lessons::require(vocab.contains(c),
                       fmt::format("--prompt: the character {} is not in the corpus", visible(c)));
    config.vocab_size = vocab.size();
    const std::vector<int64_t> ids = vocab.encode(corpus.text);
    nn::TokenSplit split;
    try {
      split = nn::split_tokens(ids, 0.1, config.block_size);
    } catch (const Error& e) {
      throw std::invalid_argument(fmt::format("--block {}: {}", config.block_size, e.what()));
    }
    lessons::prepare_out_dir(flags.out);
    trace::OutputFolder out(flags.out);

    fmt::print("1. The corpus: {} ({} file{}), {} characters, a vocabulary of {}:\n",
               corpus_file.empty() ? std::string("Debian's fortunes") : "--corpus", corpus.files.size(),
               corpus.files.size() == 1 ? "" : "s", corpus.text.size(), vocab.size());
    std::string line = "  files:";
    for (const std::string& f : corpus.files) {
      if (line.size() + 1 + f.size() > 100) fmt::print("{}\n", line), line = "        ";
      line += " " + f;
    }
    fmt::print("{}\n  ", line);
    for (char c : vocab.characters()) fmt::print("{}", visible(c));
    fmt::print(
        "\n  (␣ is a space, ⏎ a newline, ⇥ a tab; \\xNN a byte that is not printable ASCII: "
        "a control character or\n  part of a UTF-8 letter)\n\n");

    // 2. The split: the first 90% of the text trains, the last 10% validates, on fixed windows.
    const nn::WindowBatch val_windows = nn::consecutive_windows(split.val, eval_windows, config.block_size);
    fmt::print(
        "2. Training text: the first {} characters. Validation: the last {}, never trained on;\n"
        "   its loss is measured on the same {} windows of {} characters every time.\n\n",
        split.train.size(), split.val.size(), val_windows.x.shape[0], config.block_size);

    // 3. The model, and what it writes before any training: characters drawn nearly at random.
    Generator init(flags.seed);
    nn::GPT model(config, init);
    int64_t parameters = 0;
    for (const Tensor& p : model.parameters()) parameters += p.numel();
    const std::vector<int64_t> prompt_ids = vocab.encode(prompt);
    const auto sample = [&](uint64_t seed) {
      model.eval();
      Generator gen(seed);
      const nn::GenerateOutput g = nn::generate(model, prompt_ids, sample_length, sampling, gen);
      model.train();
      return vocab.decode(g.tokens);
    };
    const float loss_at_start = validation_loss(model, val_windows);
    fmt::print(
        "3. A GPT of {} blocks, {} heads of {}, n_embd {}, context {}: {} parameters.\n"
        "   Validation loss before training {:.4f} (ln {} = {:.4f}: a uniform guess over the vocabulary).\n"
        "   A sample (seed {}, temperature {}, top-k {}), before training:\n{}\n\n",
        config.n_layer, config.n_head, config.n_embd / config.n_head, config.n_embd, config.block_size,
        parameters, loss_at_start, vocab.size(), std::log(static_cast<double>(vocab.size())), flags.seed + 2,
        sampling.temperature, sampling.top_k, indented(sample(flags.seed + 2)));

    // 4. The training loop: a batch of random windows, the loss of predicting every next
    //    character, backward, an Adam step. The validation loss every --eval-every steps.
    fmt::print("4. Training: {} steps of {} windows of {} characters, Adam at lr {}\n", flags.steps,
               batch_size, config.block_size, lr);
    Generator windows(flags.seed + 1);
    nn::Adam optimizer(model.parameters(), {.lr = lr});
    lessons::Progress progress(flags.steps, flags.quiet);
    std::vector<std::pair<int64_t, float>> curve{{0, loss_at_start}};
    std::string tsv = "step\ttrain_loss\tval_loss\n";
    tsv += fmt::format("0\t\t{:.6f}\n", loss_at_start);
    const auto training_start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    double seconds_evaluating = 0, cpu_seconds_evaluating = 0;
    for (int64_t step = 1; step <= flags.steps; ++step) {
      const nn::WindowBatch batch = nn::random_windows(split.train, batch_size, config.block_size, windows);
      const Tensor loss = model.loss(batch.x, batch.y);  // x [B, T] → logits [B, T, V]; y is x shifted by one
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      const float train_loss = loss.item();
      progress.update(step - 1, train_loss);
      if (step % eval_every == 0 || step == flags.steps) {
        const auto eval_start = std::chrono::steady_clock::now();
        const std::clock_t eval_cpu_start = std::clock();
        curve.emplace_back(step, validation_loss(model, val_windows));
        seconds_evaluating += seconds_since(eval_start);
        cpu_seconds_evaluating += static_cast<double>(std::clock() - eval_cpu_start) / CLOCKS_PER_SEC;
        tsv += fmt::format("{}\t{:.6f}\t{:.6f}\n", step, train_loss, curve.back().second);
      }
    }
    const double seconds_training = seconds_since(training_start);
    const double cpu_seconds_training = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    fmt::print("   step   validation loss\n");
    for (const auto& [step, loss] : curve)
      fmt::print("  {:>5}   {:.4f}  {}\n", step, loss, bar(loss, loss_at_start));
    if (!flags.quiet) {
      // The training steps alone (the evaluations taken out), wall clock and this process's CPU
      // time: on a busy machine the wall clock also counts the time other programs had the CPU.
      const double steps_wall = seconds_training - seconds_evaluating;
      const double steps_cpu = cpu_seconds_training - cpu_seconds_evaluating;
      fmt::print(
          "   {:.1f} s training, {:.1f} s of it measuring the validation loss; the steps alone: {:.1f} ms "
          "each ({:.1f} ms of CPU time)\n",
          seconds_training, seconds_evaluating, 1000 * steps_wall / flags.steps,
          1000 * steps_cpu / flags.steps);
    }
    out.write("loss_curve.tsv", tsv,
              fmt::format(
                  "the validation loss every {} steps, and that step's training loss (plot val_loss against "
                  "step)",
                  eval_every));
    trace::LinePlot loss_plot =
        lessons::loss_plot("Lesson 13: the GPT's loss", {{"training batches", progress.losses()}});
    trace::Series validation{.name = "held-out text", .points = true};
    for (const auto& [step, loss] : curve)
      validation.x.push_back(static_cast<double>(step)), validation.y.push_back(loss);
    loss_plot.series.push_back(validation);
    out.write("loss.svg", trace::render_line_plot(loss_plot),
              "training and held-out loss against the step (the held-out point at step 0 is the untrained "
              "model's)");
    fmt::print("\n");

    // 5. What it writes now: the same seed and prompt as before training.
    const float loss_at_end = curve.back().second;
    const std::string after = sample(flags.seed + 2);
    fmt::print("5. After training (validation loss {:.4f}), the same seed and prompt:\n{}\n\n", loss_at_end,
               indented(after));

    // 6. Every head's causal attention on a piece of validation text, traced: row i of a head's
    //    map is where position i looks, and everything right of the diagonal is 0.
    model.eval();
    const int64_t L = std::min(attention_length, config.block_size);
    const std::vector<int64_t> piece(split.val.begin() + piece_start(split.val, vocab, L),
                                     split.val.begin() + piece_start(split.val, vocab, L) + L);
    std::vector<std::string> characters;
    for (int64_t id : piece) characters.push_back(visible(vocab.character(id)));
    trace::Recording recording;
    {
      trace::Tracer tracer(model,
                           trace::TraceOptions{.max_values = std::max<int64_t>(1024, config.n_head * L * L),
                                               .record_graph = false,
                                               .record_backward = false});
      tracer.begin_sequence(characters);
      NoGradGuard no_grad;
      model(IndexTensor(piece, {1, L}));
      recording = tracer.take();
    }
    std::string shown_piece;
    for (const std::string& c : characters) shown_piece += c;
    fmt::print("6. Every head's attention on \"{}\" ({} characters of validation text):\n", shown_piece, L);
    fmt::print("  {:<16} {:>24} {:>10} {:>16}\n", "", "looks back (mean chars)", "on itself",
               "on the previous");
    for (const trace::AttentionMap& map : trace::attention_maps(recording.sequences.at(0))) {
      if (map.head < 0) continue;  // the heads' average
      const HeadSummary s = summarise(map);
      fmt::print("  {:<16} {:>24.2f} {:>9.1f}% {:>15.1f}%\n", fmt::format("{} head {}", map.module, map.head),
                 s.distance, 100 * s.itself, 100 * s.previous);
    }
    trace::write_trace_into(recording, out);
    fmt::print("  (every map is in attention_*.svg: the upper-right triangle is empty, the causal mask)\n\n");

    // 7. Generation with the KV cache: the prompt runs once, then each new character is one query
    //    row per block against the cached keys and values. Same seed: the same text, faster.
    const int64_t new_tokens = config.block_size - static_cast<int64_t>(prompt_ids.size());
    const auto timed_generate = [&](bool use_cache) {
      Generator gen(flags.seed + 3);
      const auto start = std::chrono::steady_clock::now();
      nn::GenerateOutput g = nn::generate(model, prompt_ids, new_tokens, sampling, gen, use_cache);
      return std::pair{vocab.decode(g.tokens), seconds_since(start)};
    };
    const auto [without_text, without_seconds] = timed_generate(false);
    const auto [with_text, with_seconds] = timed_generate(true);
    fmt::print(
        "7. {} characters after the prompt (prompt + new = the context of {}), with and without the KV "
        "cache:\n",
        new_tokens, config.block_size);
    fmt::print("{}\n", indented(with_text));
    fmt::print("  the same text with and without the cache: {}\n", with_text == without_text ? "yes" : "NO");
    if (!flags.quiet)
      fmt::print("  without the cache {:.1f} ms, with it {:.1f} ms ({:.1f}x faster)\n",
                 1000 * without_seconds, 1000 * with_seconds, without_seconds / std::max(with_seconds, 1e-9));
    lessons::require(with_text == without_text, "the KV cache changed the generated text");

    out.write("samples.txt",
              fmt::format("prompt: {}\nseed: {}\ntemperature: {}\ntop-k: {}\n\n--- after training ---\n{}\n",
                          prompt, flags.seed + 2, sampling.temperature, sampling.top_k, after),
              "the sample written after training");
    out.write(
        "results.txt",
        fmt::format("characters: {}\nvocabulary: {}\nparameters: {}\nsteps: {}\nvalidation loss before: "
                    "{:.4f}\nvalidation loss after: {:.4f}\nKV cache gives the same text: {}\n",
                    corpus.text.size(), vocab.size(), parameters, flags.steps, loss_at_start, loss_at_end,
                    with_text == without_text ? "yes" : "no"),
        "the numbers this run printed");
    out.write_index("Lesson 13: a GPT in a minute — loss curve, samples, every head's causal attention");

    fmt::print(
        "What to look at: the loss fell from ln(vocabulary) towards the text's own uncertainty; the sample "
        "went\n"
        "from noise to words; and in every attention map each row stops at the diagonal.\n");
    lessons::print_files_to_open(
        {{flags.out + "/attention_001.svg", "block 0, head 0: character × character"},
         {flags.out + "/loss.svg", "the loss curves, drawn"},
         {flags.out + "/samples.txt", "the sample after training"},
         {flags.out + "/index.txt", "every file written, with what it shows"}});
    if (serve) lessons::serve_gpt({model, vocab}, *serve, prompt, sampling, flags.seed + 2);
    return 0;
  });
}
