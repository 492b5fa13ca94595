// Lesson 04 — Recurrence: a network that reads a sequence, one token at a time.
//
// A recurrent cell keeps a hidden state h and updates it at every step from the token it reads:
//   h_t = cell(x_t, h_{t-1}).
// The task: read a random string of letters and, at the end, say which letter came *first*. To
// answer, the network must carry that letter across every later step. We ask for it across
// N = 10, 20 and 40 steps, training a plain RNN and a GRU for each N (same hidden size, same
// data, same steps): the RNN falls off as N grows, the GRU, whose update gate can simply keep h,
// holds on. We measure why — how much gradient reaches step 0 (vanishing gradients) — and trace
// both models reading one sequence: their hidden states step by step, and a short unrolled RNN.
#include <fmt/ranges.h>
#include <glimpse.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <type_traits>

#include "nn/clip_grad.hpp"
#include "nn/embedding.hpp"
#include "nn/gru_cell.hpp"
#include "nn/linear.hpp"
#include "nn/lstm_cell.hpp"
#include "nn/module.hpp"
#include "nn/optim.hpp"
#include "nn/rnn_cell.hpp"
#include "support/lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

namespace {

// ---- the task: remember the first letter ---------------------------------------------------
struct MemoryTask {
  int64_t letters = 8;  // "a", "b", ...: token id i is letter i, and also answer class i

  std::vector<std::string> vocabulary() const {
    std::vector<std::string> tokens;
    for (int64_t i = 0; i < letters; ++i) tokens.push_back(std::string(1, static_cast<char>('a' + i)));
    return tokens;
  }

  struct Batch {
    IndexTensor tokens;   // [B, T]
    IndexTensor answers;  // [B]: each sequence's first letter
  };

  Batch sample(int64_t batch, int64_t length, Generator& gen) const {
    std::vector<int64_t> tokens, answers;
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t t = 0; t < length; ++t) tokens.push_back(gen.integer(letters));
      answers.push_back(tokens[b * length]);
    }
    return {IndexTensor(tokens, {batch, length}), IndexTensor(answers)};
  }
};

// ---- the model: embed each token, run a cell over the sequence, classify the last state -----
// Cell is nn::RNNCell or nn::GRUCell (or nn::LSTMCell with --lstm): the rest of the model is the
// same. The state a cell carries is h, or for the LSTM the pair (h, c).
template <class Cell>
auto initial_state(int64_t batch, int64_t hidden) {
  if constexpr (std::is_same_v<Cell, nn::LSTMCell>)
    return nn::LSTMState{zeros({batch, hidden}), zeros({batch, hidden})};
  else
    return zeros({batch, hidden});
}
const Tensor& hidden_of(const Tensor& h) { return h; }
const Tensor& hidden_of(const nn::LSTMState& state) { return state.h; }

template <class Cell>
struct Reader : nn::Module {
  std::shared_ptr<nn::Embedding> embed;
  std::shared_ptr<Cell> cell;
  std::shared_ptr<nn::Linear> head;
  std::string name;

  Reader(std::string kind_name, int64_t vocab, int64_t embedding, int64_t hidden, int64_t classes, Generator& gen)
      : embed(register_module("embed", std::make_shared<nn::Embedding>(vocab, embedding, gen))),
        cell(register_module("cell", std::make_shared<Cell>(embedding, hidden, gen))),
        head(register_module("head", std::make_shared<nn::Linear>(hidden, classes, gen))),
        name(std::move(kind_name)) {}

  struct Output {
    Tensor logits;              // [B, classes]
    std::vector<Tensor> states; // h after each step, [B, H] each
  };

  Output forward(const IndexTensor& tokens) const {
    const int64_t batch = tokens.shape[0], steps = tokens.shape[1];
    const Tensor x = embed->forward(tokens);     // [B, T, E]
    auto state = initial_state<Cell>(batch, cell->hidden_size());  // h = 0
    Output out;
    for (int64_t t = 0; t < steps; ++t) {
      nn::StepScope step(t);                      // tells the tracer which time step this is
      state = cell->forward(x.select(1, t), state);  // the recurrence: same cell, same weights, every step
      out.states.push_back(hidden_of(state));
    }
    out.logits = head->forward(hidden_of(state));  // only the last state is read
    nn::StepScope last(steps - 1);
    emit_step({{"logits", out.logits}});          // so the trace shows what it predicts
    return out;
  }

  std::string kind() const override { return name; }
};

// The models side by side, so one tracer sees them as "rnn", "gru" (and "lstm").
struct Readers : nn::Module {
  std::shared_ptr<Reader<nn::RNNCell>> rnn;
  std::shared_ptr<Reader<nn::GRUCell>> gru;
  std::shared_ptr<Reader<nn::LSTMCell>> lstm;  // only with --lstm
  Readers(int64_t vocab, int64_t embedding, int64_t hidden, int64_t classes, bool with_lstm, Generator& gen)
      : rnn(register_module("rnn", std::make_shared<Reader<nn::RNNCell>>("RNN reader", vocab, embedding, hidden,
                                                                        classes, gen))),
        gru(register_module("gru", std::make_shared<Reader<nn::GRUCell>>("GRU reader", vocab, embedding, hidden,
                                                                        classes, gen))) {
    if (with_lstm)
      lstm = register_module("lstm", std::make_shared<Reader<nn::LSTMCell>>("LSTM reader", vocab, embedding, hidden,
                                                                            classes, gen));
  }
  std::vector<std::string> names() const {
    return lstm ? std::vector<std::string>{"RNN", "GRU", "LSTM"} : std::vector<std::string>{"RNN", "GRU"};
  }
  std::string kind() const override { return "Readers"; }
};

// ---- measuring -----------------------------------------------------------------------------
template <class Model>
float accuracy(const Model& model, const MemoryTask::Batch& batch) {
  NoGradGuard no_grad;
  const IndexTensor predicted = argmax(model.forward(batch.tokens).logits, 1);
  int64_t right = 0;
  for (int64_t i = 0; i < batch.answers.numel(); ++i) right += predicted[i] == batch.answers[i];
  return static_cast<float>(right) / static_cast<float>(batch.answers.numel());
}

// ‖∂loss/∂h_t‖ for every step t: how much of the loss's gradient reaches each step back in time.
template <class Model>
std::vector<float> gradient_by_step(Model& model, const MemoryTask::Batch& batch) {
  auto out = model.forward(batch.tokens);
  for (Tensor& h : out.states) h.retain_grad();
  cross_entropy(out.logits, batch.answers).backward();
  std::vector<float> norms;
  for (const Tensor& h : out.states) {
    double sum = 0;
    for (float g : h.grad().to_vector()) sum += static_cast<double>(g) * g;
    norms.push_back(static_cast<float>(std::sqrt(sum)));
  }
  model.zero_grad();
  return norms;
}

// The share of the last step's gradient that reaches step 0.
float reaching_step_0(const std::vector<float>& norms) { return norms.front() / std::max(norms.back(), 1e-30f); }

// Everything we measure about one model for one N.
struct Result {
  float accuracy = 0;
  std::vector<float> losses;                  // every training step
  std::vector<float> grad_before, grad_after;  // ‖∂loss/∂h_t‖ for t = 0 .. N-1
};

// What one distance N taught us: one Result per model (RNN, GRU, then LSTM with --lstm).
struct Run {
  int64_t distance = 0;
  std::vector<Result> results;
};

std::string percent(float a) { return fmt::format("{:.1f}%", 100 * a); }

std::string to_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{"Lesson 04: recurrence. A plain RNN and a GRU learn to remember the first letter of a "
                 "sequence across N steps; accuracy by N, gradients reaching step 0, hidden states traced step by "
                 "step."};
    lessons::CommonFlags flags;
    flags.out = "out/04_recurrence";
    flags.steps = 600;
    std::vector<int64_t> distances = {10, 20, 40};
    int64_t hidden = 32, embedding = 8, batch = 32, min_length = 2, trace_length = 20, test_size = 500;
    float lr = 0.005f;
    bool with_lstm = false;
    MemoryTask task;
    lessons::add_common_flags(app, flags);
    lessons::add_number(app, "--distances", distances, "the N's: remember the first letter across N steps", 2, 200);
    lessons::add_number(app, "--hidden", hidden, "hidden units of each cell", 1, 256);
    lessons::add_number(app, "--embedding", embedding, "size of each letter's vector", 1, 256);
    lessons::add_batch_flag(app, batch, "sequences", 256);
    lessons::add_number(app, "--min-length", min_length, "shortest training sequence (the longest is N)", 1, 200);
    lessons::add_lr_flag(app, lr);
    lessons::add_number(app, "--letters", task.letters, "size of the alphabet (guessing is right 1 time in letters)", 2, 26);
    lessons::add_number(app, "--test-size", test_size, "new sequences scored for each N", 1, 10000);
    lessons::add_number(app, "--trace-length", trace_length, "length of the sequence traced step by step", 3, 200);
    app.add_flag("--lstm", with_lstm, "also train an LSTM (lesson 4's exercise: write LSTMCell yourself)");
    CLI11_PARSE(app, argc, argv);
    lessons::prepare_out_dir(flags.out);
    std::sort(distances.begin(), distances.end());
    if (flags.smoke) {
      flags.steps = std::min<int64_t>(flags.steps, 3);
      distances = {4, 6};
      batch = std::min<int64_t>(batch, 4);
      test_size = std::min<int64_t>(test_size, 8);
      trace_length = std::min<int64_t>(trace_length, 6);
    }
    min_length = std::min(min_length, distances.front());
    manual_seed(flags.seed);
    const std::vector<std::string> vocabulary = task.vocabulary();

    // 1. The task.
    fmt::print("1. The task: read a string of letters ({} to {}), then say which letter came first. For example:\n\n",
               vocabulary.front(), vocabulary.back());
    {
      Generator example_gen(flags.seed + 7);
      for (int i = 0; i < 3; ++i) {
        const auto example = task.sample(1, 10, example_gen);
        std::string text;
        for (int64_t id : example.tokens.values) text += vocabulary[id] + " ";
        fmt::print("     {}→ {}\n", text, vocabulary[example.answers[0]]);
      }
    }
    fmt::print("\n   Guessing is right 1 time in {} ({:.1f}%). We ask for the first letter after N = {} steps.\n\n",
               task.letters, 100.0 / task.letters, fmt::join(distances, ", "));

    // 2. Two models that differ only in their cell.
    {
      Generator gen(flags.seed);
      const Readers sizes(task.letters, embedding, hidden, task.letters, with_lstm, gen);
      fmt::print(
          "2. Models that differ only in their cell: Embedding({}) → cell with {} hidden units → Linear → {} "
          "classes.\n"
          "   RNN  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)                           {:>5} parameters\n"
          "   GRU  gates r, z; candidate n; h' = (1 - z)·n + z·h: z ≈ 1 keeps h     {:>5} parameters\n",
          embedding, hidden, task.letters, lessons::parameter_count(*sizes.rnn),
          lessons::parameter_count(*sizes.gru));
      if (sizes.lstm)
        fmt::print(
            "   LSTM gates i, f, g, o; c' = f·c + i·g, h' = o·tanh(c'): f ≈ 1 keeps c {:>5} parameters\n",
            lessons::parameter_count(*sizes.lstm));
      fmt::print("\n");
    }

    // 3. For each N: fresh models, trained on lengths min_length..N, tested on length N.
    fmt::print("3. Training each model for each N: {} steps, batches of {} with lengths {}..N, Adam lr {}, "
               "gradients clipped to norm 1\n\n", flags.steps, batch, min_length, lr);
    std::vector<Run> runs;
    std::unique_ptr<Readers> models;  // the models of the last (largest) N, traced below
    for (const int64_t n : distances) {
      Generator gen(flags.seed);  // every N starts from the same initial weights
      models = std::make_unique<Readers>(task.letters, embedding, hidden, task.letters, with_lstm, gen);
      Generator probe_gen(flags.seed + 1000 + n), test_gen(flags.seed + 2000 + n);
      const auto probe = task.sample(32, n, probe_gen);  // for measuring gradients, before and after
      const auto test = task.sample(test_size, n, test_gen);
      // Gradients before training, the training loop, accuracy on the test set, gradients after.
      const auto train = [&](const std::string& name, auto& model) {
        Result r;
        r.grad_before = gradient_by_step(model, probe);
        if (!flags.quiet) fmt::print("   N = {}, {}\n", n, name);
        std::fflush(stdout);
        // Every model gets the same data seed: the same batches in the same order.
        Generator data(flags.seed + 1 + n);
        nn::Adam optimizer(model.parameters(), {.lr = lr});
        lessons::Progress progress(flags.steps, flags.quiet);
        for (int64_t step = 0; step < flags.steps; ++step) {
          // A batch of one random length in [min_length, N]: the short ones give a first, easy signal.
          const int64_t length = min_length + data.integer(n - min_length + 1);
          const auto sequences = task.sample(batch, length, data);
          Tensor loss = cross_entropy(model.forward(sequences.tokens).logits, sequences.answers);
          optimizer.zero_grad();
          loss.backward();                               // backpropagation through time
          nn::clip_grad_norm(model.parameters(), 1.0f);  // a long chain can blow a gradient up
          optimizer.step();
          r.losses.push_back(loss.item());
          progress.update(step, r.losses.back());
        }
        r.accuracy = accuracy(model, test);
        r.grad_after = gradient_by_step(model, probe);
        return r;
      };
      Run run{.distance = n};
      run.results.push_back(train("RNN", *models->rnn));
      run.results.push_back(train("GRU", *models->gru));
      if (models->lstm) run.results.push_back(train("LSTM", *models->lstm));
      std::string losses;
      for (size_t m = 0; m < run.results.size(); ++m)
        losses += fmt::format("{}{} {:.4f}", m ? ", " : "", models->names()[m], run.results[m].losses.back());
      fmt::print("   N = {:>3}: loss at the last step: {}\n", n, losses);
      runs.push_back(std::move(run));
    }
    const std::vector<std::string> names = models->names();

    // 4. Accuracy by N.
    std::string table = fmt::format("{:>6}", "N");
    for (const std::string& name : names) table += fmt::format("  {:>8}", name);
    table += "\n";
    for (const Run& r : runs) {
      table += fmt::format("{:>6}", r.distance);
      for (const Result& result : r.results) table += fmt::format("  {:>8}", percent(result.accuracy));
      table += "\n";
    }
    fmt::print("\n4. Accuracy on {} new sequences of length N (guessing: {:.1f}%):\n\n{}\n", test_size,
               100.0 / task.letters, table);

    // 5. Why: how much of the gradient reaches step 0, where the letter to remember was read.
    std::string gradients = fmt::format("{:>6}", "N");
    for (const char* when : {"before", "after"})
      for (const std::string& name : names) gradients += fmt::format("  {:>12}", name + " " + when);
    gradients += "\n";
    for (const Run& r : runs) {
      gradients += fmt::format("{:>6}", r.distance);
      for (const Result& result : r.results) gradients += fmt::format("  {:>12.2e}", reaching_step_0(result.grad_before));
      for (const Result& result : r.results) gradients += fmt::format("  {:>12.2e}", reaching_step_0(result.grad_after));
      gradients += "\n";
    }
    fmt::print("5. Vanishing gradients: ‖∂loss/∂h_0‖ / ‖∂loss/∂h_N-1‖, the share of the gradient at the last step\n"
               "   that reaches step 0 (32 sequences of length N), before and after training:\n\n{}\n", gradients);

    // 6. Watch both read one sequence: the hidden state at every step.
    trace::OutputFolder out(flags.out);
    Generator trace_gen(flags.seed + 3000);
    const auto example = task.sample(1, trace_length, trace_gen);
    std::vector<std::string> tokens;
    for (int64_t id : example.tokens.values) tokens.push_back(vocabulary[id]);
    {
      NoGradGuard no_grad;
      trace::Tracer tracer(*models, {.vocabulary = vocabulary, .record_graph = false});
      tracer.begin_sequence(tokens);
      const IndexTensor rnn_says = argmax(models->rnn->forward(example.tokens).logits, 1);
      tracer.begin_sequence(tokens);
      const IndexTensor gru_says = argmax(models->gru->forward(example.tokens).logits, 1);
      std::string lstm_says;
      if (models->lstm) {
        tracer.begin_sequence(tokens);
        lstm_says = ", the LSTM says " + vocabulary[argmax(models->lstm->forward(example.tokens).logits, 1)[0]];
      }
      trace::write_trace_into(tracer.recording(), out);
      fmt::print("6. Traced the N = {} models reading \"{}\": the RNN says {}, the GRU says {}{} (the answer is {}).\n",
                 distances.back(), fmt::join(tokens, " "), vocabulary[rnn_says[0]], vocabulary[gru_says[0]], lstm_says,
                 tokens.front());

      // Which GRU units hold on? Those whose update gate z stays above 0.9 after the first step.
      std::vector<bool> holds(static_cast<size_t>(hidden), true);
      for (const trace::Sequence& sequence : tracer.recording().sequences)
        for (const trace::StepEntry& entry : sequence.steps)
          if (const trace::Values* z = entry.find("z"); z && entry.module == "gru.cell" && entry.step >= 1)
            for (size_t u = 0; u < holds.size() && u < z->data.size(); ++u) holds[u] = holds[u] && z->data[u] > 0.9f;
      std::vector<size_t> holding;
      for (size_t u = 0; u < holds.size(); ++u)
        if (holds[u]) holding.push_back(u);
      fmt::print("   In the GRU, {} of {} units keep their update gate z above 0.9 at every step after the first "
                 "(units {}):\n   h' = (1 - z)·n + z·h ≈ h, they hold what they read. z of every unit and step is in "
                 "steps.tsv.\n",
                 holding.size(), hidden, holding.empty() ? "none" : fmt::format("{}", fmt::join(holding, ", ")));
    }

    // 7. Backpropagation through time, drawn: the graph of the RNN reading 3 letters.
    {
      const IndexTensor three(std::vector<int64_t>(example.tokens.values.begin(), example.tokens.values.begin() + 3),
                              {1, 3});
      trace::Tracer tracer(*models->rnn, {.graph_values = true});
      Tensor loss = cross_entropy(models->rnn->forward(three).logits, example.answers);
      loss.backward();
      models->rnn->zero_grad();
      const trace::Graph& graph = tracer.recording().graph;
      const std::string dot = trace::graph_to_dot(graph);
      out.write("unrolled_rnn.dot", dot,
                fmt::format("the RNN unrolled over 3 steps, {} tensors, one cluster per step (Graphviz DOT)",
                            graph.nodes.size()));
      if (trace::graphviz_available())
        out.write("unrolled_rnn.svg", trace::render_svg(dot), "the RNN unrolled over 3 steps (picture)");
      fmt::print("7. Drew the RNN unrolled over 3 steps ({} tensors): its backward pass is backpropagation through "
                 "time.\n", graph.nodes.size());
    }

    // The numbers, as files.
    out.write("accuracy_by_length.txt", table, "accuracy of the RNN and the GRU on sequences of length N");
    out.write("gradient_reach.txt", gradients, "share of the gradient reaching step 0, before and after training");
    std::string losses = "step";
    for (const Run& r : runs)
      for (const std::string& name : names) losses += fmt::format("\t{}_N{}", to_lower(name), r.distance);
    losses += "\n";
    for (int64_t i = 0; i < flags.steps; ++i) {
      losses += fmt::format("{}", i);
      for (const Run& r : runs)
        for (const Result& result : r.results) losses += fmt::format("\t{:.6f}", result.losses[i]);
      losses += "\n";
    }
    out.write("training.tsv", losses, "the loss at every training step, one column per model and N");
    const Run& last = runs.back();
    trace::LinePlot reach{.title = "Lesson 04: accuracy against the distance to remember",
                          .x_label = "N, the steps the first letter must be carried (letters read)",
                          .y_label = "test accuracy (%)",
                          .y_min = 0,
                          .y_max = 100};
    lessons::LossCurves curves;
    for (size_t m = 0; m < names.size(); ++m) {
      trace::Series model{.name = names[m], .points = true};
      for (const Run& r : runs) {
        model.x.push_back(static_cast<double>(r.distance));
        model.y.push_back(100 * r.results[m].accuracy);
      }
      reach.series.push_back(model);
      curves.emplace_back(fmt::format("{}, N = {}", names[m], last.distance), last.results[m].losses);
    }
    out.write("accuracy_by_length.svg", trace::render_line_plot(reach),
              "accuracy against N, each model: the plain RNN falls first");
    out.write(
        "loss.svg",
        trace::render_line_plot(lessons::loss_plot("Lesson 04: training loss at the largest N", curves)),
        "training loss against the step at the largest N, each model");
    std::string by_step = "step";
    for (const char* when : {"before", "after"})
      for (const std::string& name : names) by_step += fmt::format("\t{}_{}", to_lower(name), when);
    by_step += "\n";
    for (int64_t t = 0; t < last.distance; ++t) {
      by_step += fmt::format("{}", t);
      for (const Result& result : last.results) by_step += fmt::format("\t{:.6e}", result.grad_before[t]);
      for (const Result& result : last.results) by_step += fmt::format("\t{:.6e}", result.grad_after[t]);
      by_step += "\n";
    }
    out.write("gradient_by_step.tsv", by_step,
              fmt::format("‖∂loss/∂h_t‖ at every step t for N = {}, before and after training", last.distance));
    out.write_index("Lesson 04: recurrence");

    fmt::print("\nWhat we found: to remember across {} steps the RNN gets {} and the GRU {} (guessing: {:.1f}%).\n"
               "After training, the share of the gradient reaching step 0 is {:.1e} for the RNN and {:.1e} for the "
               "GRU.\nThrough a plain tanh recurrence the gradient is multiplied by tanh' · W_hh at every step and "
               "fades; where\na GRU unit's update gate z is near 1, h' ≈ h and the gradient passes back almost "
               "unchanged.\n",
               last.distance, percent(last.results[0].accuracy), percent(last.results[1].accuracy),
               100.0 / task.letters, reaching_step_0(last.results[0].grad_after),
               reaching_step_0(last.results[1].grad_after));
    lessons::print_files_to_open(
        {{flags.out + "/accuracy_by_length.txt", "RNN vs GRU by the distance N to remember across"},
         {flags.out + "/sequences.txt", "both models reading one sequence, step by step"},
         {flags.out + "/hidden_000.svg", "the RNN's hidden state: step × unit"},
         {flags.out + "/hidden_001.svg", "the GRU's hidden state: step × unit"},
         {flags.out + "/gradient_by_step.tsv", "how much gradient reaches each step"},
         {flags.out + "/unrolled_rnn.svg", "an RNN unrolled in time: one cluster per step"}});
    return 0;
  });
}
