// Lesson 03 — A first network.
//
// Two interleaved spirals in the plane, one per class. No straight line separates them, so a
// single Linear layer cannot; a small MLP (Linear → tanh → Linear → tanh → Linear) bends the
// plane until it can. Training is the loop every later lesson repeats:
//   logits = model(x);  loss = cross_entropy(logits, y);  zero_grad();  loss.backward();  step().
// We watch the loss fall, draw the decision boundary the network learned, and trace the
// computation graph of one small forward and backward pass through the trained network.
#include <glimpse.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>

#include "nn/linear.hpp"
#include "nn/module.hpp"
#include "nn/optim.hpp"
#include "support/lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

namespace {

// ---- the data: two spirals ---------------------------------------------------------------------
struct Points {
  Tensor x;                  // [N, 2] coordinates in about [-1, 1]²
  IndexTensor y;             // [N] class 0 or 1
  std::vector<float> xs, ys;  // the same coordinates, for drawing
};

// `per_class` points on each of two spiral arms that wind `turns` times around the origin; the
// second arm is the first turned by half a circle. Gaussian noise of `noise` blurs the arms.
Points make_spirals(int64_t per_class, float turns, float noise, Generator& gen) {
  Points p;
  std::vector<float> coords;
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < 2 * per_class; ++i) {
    const int64_t label = i % 2;                                  // alternate, so any prefix is balanced
    const float r = 0.1f + 0.9f * std::sqrt(gen.uniform());       // radius: as many points outside as in
    const float angle = r * turns * 2 * std::numbers::pi_v<float> + label * std::numbers::pi_v<float>;
    const float x = r * std::cos(angle) + noise * gen.normal();
    const float y = r * std::sin(angle) + noise * gen.normal();
    coords.insert(coords.end(), {x, y});
    labels.push_back(label);
    p.xs.push_back(x);
    p.ys.push_back(y);
  }
  p.x = from_vector(coords, {2 * per_class, 2});
  p.y = IndexTensor(labels);
  return p;
}

// ---- the model: a multi-layer perceptron ----------------------------------------------------
struct MLP : nn::Module {
  std::shared_ptr<nn::Linear> layer1, layer2, out;
  bool use_relu;

  MLP(int64_t hidden, bool relu_activation, Generator& gen)
      : layer1(register_module("layer1", std::make_shared<nn::Linear>(2, hidden, gen))),
        layer2(register_module("layer2", std::make_shared<nn::Linear>(hidden, hidden, gen))),
        out(register_module("out", std::make_shared<nn::Linear>(hidden, 2, gen))),
        use_relu(relu_activation) {}

  Tensor activation(const Tensor& t) const { return use_relu ? relu(t) : tanh(t); }

  // x [N, 2] → logits [N, 2]: one score per class; softmax turns them into probabilities.
  Tensor forward(const Tensor& x) const {
    Tensor h1 = activation(layer1->forward(x));
    Tensor h2 = activation(layer2->forward(h1));
    return out->forward(h2);
  }

  std::string kind() const override { return "MLP"; }
};

float accuracy(const Tensor& logits, const IndexTensor& labels) {
  const IndexTensor predicted = argmax(logits, 1);
  int64_t right = 0;
  for (int64_t i = 0; i < labels.numel(); ++i) right += predicted[i] == labels[i];
  return static_cast<float>(right) / static_cast<float>(labels.numel());
}

// Loss and accuracy of `forward` on `data`, without recording anything for backward.
struct Score {
  float loss, accuracy;
};
Score evaluate(const std::function<Tensor(const Tensor&)>& forward, const Points& data) {
  NoGradGuard no_grad;
  const Tensor logits = forward(data.x);
  return {cross_entropy(logits, data.y).item(), accuracy(logits, data.y)};
}

// The `k` points of `data` where the model gives the right class the lowest probability.
Points hardest(const MLP& model, const Points& data, int64_t k) {
  std::vector<float> p_right;
  {
    NoGradGuard no_grad;
    const Tensor probs = softmax(model.forward(data.x), 1);
    for (int64_t i = 0; i < data.y.numel(); ++i) p_right.push_back(probs.at({i, data.y[i]}));
  }
  std::vector<int64_t> order(p_right.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return p_right[a] < p_right[b]; });
  Points out;
  std::vector<float> coords;
  std::vector<int64_t> labels;
  for (int64_t j = 0; j < k; ++j) {
    const int64_t i = order[j];
    coords.insert(coords.end(), {data.xs[i], data.ys[i]});
    labels.push_back(data.y[i]);
    out.xs.push_back(data.xs[i]);
    out.ys.push_back(data.ys[i]);
  }
  out.x = from_vector(coords, {k, 2});
  out.y = IndexTensor(labels);
  return out;
}

// ---- training: what the loop in main records ----------------------------------------------
struct History {
  std::string tsv = "step\tloss\ttrain_accuracy\n";      // every step
  std::vector<std::tuple<int64_t, float, float>> checkpoints;  // about ten of them, to print
  std::vector<float> losses;                                   // every step, for the loss plot
};

// ---- the decision boundary ----------------------------------------------------------------
// P(class 1) on a cells × cells grid over [-extent, extent]², row 0 at the top (largest y).
struct Grid {
  int64_t cols = 0, rows = 0;
  float extent = 1.25f;
  std::vector<float> p1;
  float at(int64_t row, int64_t col) const { return p1[row * cols + col]; }
};

Grid probability_grid(const MLP& model, int64_t cols, int64_t rows) {
  NoGradGuard no_grad;  // evaluation only: nothing to differentiate
  Grid g;
  g.cols = cols;
  g.rows = rows;
  std::vector<float> coords;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      coords.push_back(-g.extent + 2 * g.extent * (c + 0.5f) / cols);
      coords.push_back(g.extent - 2 * g.extent * (r + 0.5f) / rows);
    }
  const Tensor probs = softmax(model.forward(from_vector(coords, {rows * cols, 2})), 1);
  g.p1 = probs.select(1, 1).contiguous().to_vector();
  return g;
}

// The grid in the terminal: '#' where the network says class 1, '.' where it says class 0.
std::string grid_as_text(const Grid& g) {
  std::string out;
  for (int64_t r = 0; r < g.rows; ++r) {
    out += "    ";
    for (int64_t c = 0; c < g.cols; ++c) out += g.at(r, c) > 0.5f ? '#' : '.';
    out += '\n';
  }
  return out;
}

// The decision boundary as an SVG picture written by hand: the background is shaded by
// P(class 1) in 8 bands (blue = class 0, orange = class 1), neighbouring cells of the same band
// are merged into one rectangle to keep the file small, and the training points sit on top.
std::string grid_as_svg(const Grid& g, const Points& points, const std::string& title) {
  const int64_t cell = 6, size = g.cols * cell, top = 28;
  const char* bands[8] = {"#9ec3ea", "#bcd5f0", "#d6e5f5", "#eef3f9", "#fbf0e8", "#f8dcc6", "#f3c19e", "#eda374"};
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"Helvetica, Arial, sans-serif\">\n"
      "<text x=\"{2}\" y=\"18\" font-size=\"13\" text-anchor=\"middle\">{3}</text>\n",
      size, size + top, size / 2, title);
  for (int64_t r = 0; r < g.rows; ++r) {
    for (int64_t c = 0; c < g.cols;) {
      const int64_t band = std::clamp<int64_t>(static_cast<int64_t>(g.at(r, c) * 8), 0, 7);
      int64_t run = 1;
      while (c + run < g.cols && std::clamp<int64_t>(static_cast<int64_t>(g.at(r, c + run) * 8), 0, 7) == band) ++run;
      svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>\n", c * cell,
                         top + r * cell, run * cell, cell, bands[band]);
      c += run;
    }
  }
  const auto to_px = [&](float v) { return (v + g.extent) / (2 * g.extent) * static_cast<float>(size); };
  svg += "<g stroke=\"white\" stroke-width=\"0.7\">\n";
  for (size_t i = 0; i < points.xs.size(); ++i)
    svg += fmt::format("<circle cx=\"{:.0f}\" cy=\"{:.0f}\" r=\"3\" fill=\"{}\"/>\n", to_px(points.xs[i]),
                       top + size - to_px(points.ys[i]), points.y[static_cast<int64_t>(i)] == 0 ? "#1f5fa8" : "#c8501e");
  svg += "</g>\n</svg>\n";
  return svg;
}

}  // namespace

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{"Lesson 03: a first network. An MLP learns to tell two interleaved spirals apart; "
                 "prints its loss curve and accuracy, draws its decision boundary and traces its graph."};
    lessons::CommonFlags flags;
    flags.out = "out/03_first_network";
    flags.steps = 1000;
    int64_t hidden = 32, points_per_class = 200;
    float lr = 0.01f, turns = 1.75f, noise = 0.04f;
    std::string activation = "tanh";
    lessons::add_common_flags(app, flags);
    lessons::add_number(app, "--hidden", hidden, "units in each hidden layer", 1, 1024);
    lessons::add_number(app, "--points", points_per_class, "training points per class", 2, 10000);
    lessons::add_lr_flag(app, lr);
    lessons::add_number(app, "--turns", turns, "how many times each spiral winds around (harder when larger)", 0.0f, 4.0f);
    lessons::add_number(app, "--noise", noise, "standard deviation of the noise added to each point", 0.0f, 1.0f);
    app.add_option("--activation", activation, "nonlinearity between the layers")->capture_default_str()->check(CLI::IsMember({"tanh", "relu"}));
    CLI11_PARSE(app, argc, argv);
    lessons::prepare_out_dir(flags.out);
    if (flags.smoke) {
      flags.steps = std::min<int64_t>(flags.steps, 30);
      points_per_class = std::min<int64_t>(points_per_class, 50);
    }
    manual_seed(flags.seed);
    Generator gen(flags.seed);

    // 1. The data: two spirals, a training set and a test set the network never trains on.
    const Points train_set = make_spirals(points_per_class, turns, noise, gen);
    const Points test = make_spirals(points_per_class, turns, noise, gen);
    fmt::print("1. The data: two spirals winding {} times, {} training points and {} test points, 2 classes.\n\n",
               turns, train_set.y.numel(), test.y.numel());

    // 2. The model: 2 → hidden → hidden → 2.
    MLP model(hidden, activation == "relu", gen);
    const auto mlp = [&](const Tensor& x) { return model.forward(x); };
    int64_t parameter_count = 0;
    fmt::print("2. The model: an MLP with {} activations\n", activation);
    for (const auto& [name, p] : model.named_parameters()) {
      fmt::print("     {:<16} {}\n", name, to_string(p.shape()));
      parameter_count += p.numel();
    }
    const Score untrained = evaluate(mlp, train_set);
    fmt::print("   {} parameters. Before training: loss {:.4f} (ln 2 = {:.4f} is a coin flip), accuracy {:.1f}%.\n\n",
               parameter_count, untrained.loss, std::log(2.0f), 100 * untrained.accuracy);

    // The loop every lesson repeats. Full batch: each step sees every training point.
    const auto train = [&](const std::function<Tensor(const Tensor&)>& forward,
                           const std::vector<Tensor>& parameters, bool quiet) {
      nn::Adam optimizer(parameters, {.lr = lr});
      lessons::Progress progress(flags.steps, quiet);
      History history;
      const int64_t report_every = std::max<int64_t>(1, flags.steps / 10);
      for (int64_t step = 0; step < flags.steps; ++step) {
        Tensor logits = forward(train_set.x);              // forward: a score per class for each point
        Tensor loss = cross_entropy(logits, train_set.y);  // how wrong, on average
        optimizer.zero_grad();
        loss.backward();                                   // d loss / d every parameter
        optimizer.step();                                  // a small step downhill

        const float loss_value = loss.item(), acc = accuracy(logits, train_set.y);  // before this update
        history.tsv += fmt::format("{}\t{:.6f}\t{:.4f}\n", step, loss_value, acc);
        if (step % report_every == 0 || step + 1 == flags.steps)
          history.checkpoints.emplace_back(step, loss_value, acc);
        progress.update(step, loss_value);
      }
      history.losses = progress.losses();
      return history;
    };

    // 3. A baseline: one Linear layer can only draw a straight line between the classes.
    nn::Linear line(2, 2, gen);
    const auto linear = [&](const Tensor& x) { return line.forward(x); };
    const History line_history = train(linear, line.parameters(), /*quiet=*/true);
    const Score line_test = evaluate(linear, test);
    fmt::print("3. A baseline: one Linear layer (a straight line) trained the same way: test accuracy {:.1f}%.\n\n",
               100 * line_test.accuracy);

    // 4. Training the MLP: the same loop, the same data, the same number of steps.
    fmt::print("4. Training the MLP: {} steps of Adam (lr {}) on the cross-entropy loss\n", flags.steps, lr);
    const History history = train(mlp, model.parameters(), flags.quiet);
    fmt::print("\n   {:>6}  {:>8}  {:>14}\n", "step", "loss", "train accuracy");
    for (const auto& [step, loss, acc] : history.checkpoints)
      fmt::print("   {:>6}  {:>8.4f}  {:>13.1f}%\n", step, loss, 100 * acc);

    // 5. How well did it learn? Accuracy on points it trained on, and on points it never saw.
    const Score trained = evaluate(mlp, train_set), tested = evaluate(mlp, test);
    fmt::print("\n5. After training: train loss {:.4f}, accuracy {:.1f}%; test loss {:.4f}, accuracy {:.1f}%.\n",
               trained.loss, 100 * trained.accuracy, tested.loss, 100 * tested.accuracy);

    // 6. What the network learned: which class it predicts everywhere in the plane.
    fmt::print("\n6. The decision boundary ('#' = class 1, '.' = class 0), x and y from -{1} to {1}:\n\n{0}\n",
               grid_as_text(probability_grid(model, 64, 28)), Grid{}.extent);

    // 7. The trained network's graph: one forward and backward pass on four points.
    trace::OutputFolder out(flags.out);
    out.write("loss_curve.tsv", history.tsv, "step, loss and training accuracy at every step (plot loss against step)");
    out.write("loss.svg",
              trace::render_line_plot(lessons::loss_plot(
                  "Lesson 03: training loss",
                  {{"the MLP", history.losses}, {"one Linear layer", line_history.losses}})),
              "training loss against the step: the MLP keeps going down, the straight line stops");
    const Grid picture = probability_grid(model, 80, 80);
    out.write("decision_boundary.svg",
              grid_as_svg(picture, train_set,
                          fmt::format("P(class 1) after {} steps: train {:.1f}%, test {:.1f}%", flags.steps,
                                      100 * trained.accuracy, 100 * tested.accuracy)),
              "the decision boundary: background shaded by P(class 1), training points on top");
    {
      // The 4 test points the network is least sure about: their loss is not ~0, so the
      // gradients in the picture are not all zero.
      const Points few = hardest(model, test, 4);
      trace::Tracer tracer(model, {.graph_values = true});
      Tensor loss = cross_entropy(model.forward(few.x), few.y);
      model.zero_grad();
      loss.backward();
      trace::write_trace_into(tracer.recording(), out);
      fmt::print("7. Traced one forward and backward pass on the 4 test points it is least sure of: {} tensors,\n"
                 "   {} backward steps, loss {:.4f}.\n",
                 tracer.recording().graph.nodes.size(), tracer.recording().graph.backward.size(), loss.item());
    }
    out.write_index("Lesson 03: a first network");

    fmt::print("\nWhat we found: the loss fell from {:.4f} to {:.4f}, and the MLP tells the spirals apart with {:.1f}%\n"
               "accuracy on points it never saw, where one straight line gets {:.1f}%. The hidden layers bent the\n"
               "plane until a straight line in *their* space separates the classes.\n",
               untrained.loss, trained.loss, 100 * tested.accuracy, 100 * line_test.accuracy);
    lessons::print_files_to_open(
        {{flags.out + "/decision_boundary.svg", "what the network predicts everywhere, with the training points"},
         {flags.out + "/loss_curve.tsv", "the loss at every step (plot column 2 against column 1)"},
         {flags.out + "/graph.svg", "the trained MLP's graph on 4 points: values and gradients"},
         {flags.out + "/backward.txt", "that backward pass, step by step"}});
    return 0;
  });
}
