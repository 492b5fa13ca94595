// Lesson 08 — Scoring functions (Luong, Pham & Manning 2015; Vaswani et al. 2017).
//
// Attention turns a query and each key into a score, the scores into weights (softmax), and the
// weights into an average. Only the score differs between the classic variants:
//   dot      sᵀ h_j            general  sᵀ W h_j
//   concat   vᵀ tanh(W [s; h_j])      scaled dot  sᵀ h_j / √d
// We train each on the same retrieval task (a query must find its key among S keys), with the
// same data, initial projections and budget, and compare accuracy, speed and the weights. Then we
// show why concat needs a bias somewhere (without one it cannot beat chance on this task), and
// measure why the Transformer divides by √d: without it, scores grow with d, softmax saturates
// and the gradient reaching the scores vanishes.
#include <glimpse.hpp>

#include <cmath>

#include "nn/luong_attention.hpp"
#include "nn/optim.hpp"
#include "support/lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

namespace {

// ---- the task: find your key ----------------------------------------------------------------
// S random keys k_j ∈ R^d; the query is a fixed linear mix of one of them plus noise,
// q = M k_answer + noise. The answer is the position of that key. M is the same for every
// example, so a model can learn to undo it; the noise makes near-ties that take care to break.
struct Retrieval {
  int64_t dim, keys;
  float noise;
  std::vector<float> mix;  // M, dim × dim

  Retrieval(int64_t dim, int64_t keys, float noise, Generator& gen) : dim(dim), keys(keys), noise(noise) {
    for (int64_t i = 0; i < dim * dim; ++i) mix.push_back(gen.normal() / std::sqrt(static_cast<float>(dim)));
  }

  struct Batch {
    Tensor queries;      // [B, d]
    Tensor keys;         // [B, S, d]
    IndexTensor answers; // [B]
  };

  Batch sample(int64_t batch, Generator& gen) const {
    std::vector<float> k(batch * keys * dim), q(batch * dim);
    std::vector<int64_t> answers(batch);
    for (float& x : k) x = gen.normal();
    for (int64_t b = 0; b < batch; ++b) {
      answers[b] = gen.integer(keys);
      const float* key = &k[(b * keys + answers[b]) * dim];
      for (int64_t i = 0; i < dim; ++i) {
        float sum = 0;
        for (int64_t j = 0; j < dim; ++j) sum += mix[i * dim + j] * key[j];
        q[b * dim + i] = sum + noise * gen.normal();
      }
    }
    return {from_vector(q, {batch, dim}), from_vector(k, {batch, keys, dim}), IndexTensor(answers)};
  }
};

// ---- the model: project query and keys, then score --------------------------------------------
// The projections are the same kind of layer for every scoring function; only the score differs.
// Scaled dot-product is the dot score with the query divided by √h: sᵀh_j/√h = (s/√h)ᵀ h_j.
// The projections have a bias (nn::Linear's default). Dot and general hardly need it, but concat
// does: Luong's W has none and tanh is odd, so without a bias here the whole concat model is an
// odd function and cannot learn this task at all (section 2 of main shows it).
struct Retriever : nn::Module {
  std::shared_ptr<nn::Linear> query_proj, key_proj;
  std::shared_ptr<nn::LuongAttention> attention;
  std::string name;
  float query_scale;

  Retriever(std::string name, nn::LuongScore score, bool scaled, int64_t dim, int64_t hidden,
            int64_t attn_dim, bool bias, Generator& gen)
      : query_proj(register_module("query_proj", std::make_shared<nn::Linear>(dim, hidden, bias, gen))),
        key_proj(register_module("key_proj", std::make_shared<nn::Linear>(dim, hidden, bias, gen))),
        attention(register_module(
            "attention", std::make_shared<nn::LuongAttention>(score, hidden, hidden, attn_dim, gen))),
        name(std::move(name)),
        query_scale(scaled ? 1.0f / std::sqrt(static_cast<float>(hidden)) : 1.0f) {}

  Tensor query(const Tensor& q) const { return mul(query_proj->forward(q), query_scale); }

  // The raw scores [B, S], for the loss (cross-entropy over key positions).
  Tensor scores(const Tensor& q, const Tensor& keys) const {
    return attention->score(query(q), key_proj->forward(keys));
  }
  // The weights [B, S] (and the step the tracer records).
  nn::AttentionOutput forward(const Tensor& q, const Tensor& keys) const {
    return attention->forward(query(q), key_proj->forward(keys));
  }

  std::string kind() const override { return "Retriever (" + name + ")"; }
};

// Largest |score(x) + score(−x)| over a batch, where −x negates the query and every key, and the
// largest |score(x)| for scale. A model that is an odd function gives 0 (up to rounding).
std::pair<double, double> oddness(const Retriever& model, const Tensor& queries, const Tensor& keys) {
  NoGradGuard no_grad;
  const std::vector<float> f = model.scores(queries, keys).to_vector();
  const std::vector<float> g = model.scores(neg(queries), neg(keys)).to_vector();
  double sum = 0, size = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    sum = std::max(sum, static_cast<double>(std::abs(f[i] + g[i])));
    size = std::max(size, static_cast<double>(std::abs(f[i])));
  }
  return {sum, size};
}

// All four side by side, so one tracer sees them as "dot", "general", "concat", "scaled_dot".
struct FourScorers : nn::Module {
  std::vector<std::shared_ptr<Retriever>> models;
  FourScorers(int64_t dim, int64_t hidden, int64_t attn_dim, uint64_t seed) {
    const std::vector<std::tuple<std::string, nn::LuongScore, bool>> kinds = {
        {"dot", nn::LuongScore::Dot, false},
        {"general", nn::LuongScore::General, false},
        {"concat", nn::LuongScore::Concat, false},
        {"scaled_dot", nn::LuongScore::Dot, true}};
    for (const auto& [name, score, scaled] : kinds) {
      Generator init(seed + 1);  // the same initial projections for every scoring function
      models.push_back(register_module(
          name, std::make_shared<Retriever>(name, score, scaled, dim, hidden, attn_dim, true, init)));
    }
  }
  std::string kind() const override { return "FourScorers"; }
};

// ---- measuring ------------------------------------------------------------------------------
struct Result {
  std::string name;
  int64_t parameters = 0;
  double accuracy = 0;            // held-out: argmax weight on the right key
  double ms_per_step = 0;
  int64_t steps_to_90 = -1;       // first evaluation at ≥ 90 % held-out accuracy (-1: never)
  double peak_weight = 0;         // mean largest weight
  double weight_on_answer = 0;    // mean weight on the right key
  double entropy = 0;             // mean entropy of the weights, in nats (uniform: ln S)
  std::vector<float> losses;
};

struct Measured {
  double accuracy, peak, on_answer, entropy;
};

Measured measure(const Retriever& model, const Retrieval::Batch& data) {
  NoGradGuard no_grad;
  const std::vector<float> w = model.forward(data.queries, data.keys).weights.to_vector();
  const int64_t B = data.answers.numel(), S = static_cast<int64_t>(w.size()) / B;
  Measured m{0, 0, 0, 0};
  for (int64_t b = 0; b < B; ++b) {
    const float* row = &w[b * S];
    int64_t best = 0;
    for (int64_t j = 0; j < S; ++j) {
      if (row[j] > row[best]) best = j;
      if (row[j] > 0) m.entropy -= row[j] * std::log(row[j]);
    }
    m.accuracy += best == data.answers[b];
    m.peak += row[best];
    m.on_answer += row[data.answers[b]];
  }
  for (double* x : {&m.accuracy, &m.peak, &m.on_answer, &m.entropy}) *x /= static_cast<double>(B);
  return m;
}

// ---- the 1/√d scale, measured ----------------------------------------------------------------
// Random q, k with N(0, 1) entries: qᵀk is a sum of d products of variance 1, so its std is √d.
// We softmax S such scores and push a random upstream gradient u through the weights
// (loss = Σ_j α_j u_j, as the weights times values would): the gradient reaching the scores is
// α ⊙ (u − αᵀu), which vanishes when one weight takes everything.
struct ScaleRow {
  int64_t dim;
  bool scaled;
  double score_std, peak, entropy, grad_norm;
};

ScaleRow measure_scale(int64_t dim, bool scaled, int64_t keys, int64_t trials, Generator& gen) {
  const Tensor q = randn({trials, 1, dim}, gen), k = randn({trials, keys, dim}, gen);
  const Tensor u = randn({trials, keys}, gen);
  Tensor scores = matmul(q, k.transpose(1, 2)).reshape({trials, keys}).detach();  // a leaf: we want its grad
  if (scaled) scores = mul(scores, 1.0f / std::sqrt(static_cast<float>(dim))).detach();
  scores.requires_grad_();
  const Tensor weights = softmax(scores, -1);
  sum(mul(weights, u)).backward();

  ScaleRow row{dim, scaled, 0, 0, 0, 0};
  const std::vector<float> s = scores.to_vector(), w = weights.to_vector(), g = scores.grad().to_vector();
  double mean = 0, square = 0;
  for (float x : s) mean += x, square += static_cast<double>(x) * x;
  mean /= static_cast<double>(s.size());
  row.score_std = std::sqrt(square / static_cast<double>(s.size()) - mean * mean);
  for (int64_t t = 0; t < trials; ++t) {
    double peak = 0, entropy = 0, norm = 0;
    for (int64_t j = 0; j < keys; ++j) {
      const double a = w[t * keys + j], gj = g[t * keys + j];
      peak = std::max(peak, a);
      if (a > 0) entropy -= a * std::log(a);
      norm += gj * gj;
    }
    row.peak += peak / static_cast<double>(trials);
    row.entropy += entropy / static_cast<double>(trials);
    row.grad_norm += std::sqrt(norm) / static_cast<double>(trials);
  }
  return row;
}

std::string key_label(int64_t j) { return fmt::format("k{}", j); }

}  // namespace

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{"Lesson 08: scoring functions. Trains dot, general, concat and scaled dot-product attention on the "
                 "same retrieval task, compares them, then measures why scores are divided by sqrt(d)."};
    lessons::CommonFlags flags;
    flags.out = "out/08_scoring";
    flags.steps = 600;
    int64_t dim = 32, hidden = 64, attn_dim = 0, keys = 16, batch = 64, held_out_size = 2000, trials = 2000;
    float noise = 0.7f, lr = 3e-3f;
    lessons::add_common_flags(app, flags);
    lessons::add_number(app, "--dim", dim, "size of each query and key", 1, 256);
    lessons::add_number(app, "--hidden", hidden, "size of the learned projections (the d the scores are taken in)", 1, 1024);
    lessons::add_number(app, "--keys", keys, "keys to choose from (S)", 2, 64);
    lessons::add_number(app, "--noise", noise, "noise added to each query", 0.0f, 10.0f);
    lessons::add_batch_flag(app, batch, "queries");
    lessons::add_number(app, "--attn-dim", attn_dim, "hidden units A of the concat score (0: A = hidden)", 0, 1024);
    lessons::add_lr_flag(app, lr);
    lessons::add_number(app, "--trials", trials, "random (q, k) sets per row of the scale table", 1, 2000);
    CLI11_PARSE(app, argc, argv);
    lessons::prepare_out_dir(flags.out);
    if (flags.smoke) flags.steps = 20, held_out_size = 200, trials = 100;

    // 1. The same task, data and budget for four scoring functions.
    Generator task_gen(flags.seed);
    const Retrieval task(dim, keys, noise, task_gen);
    const Retrieval::Batch held_out = task.sample(held_out_size, task_gen);
    const Retrieval::Batch check = task.sample(256, task_gen);
    // The training loop, the same for every model; it times the forward, backward and step only.
    const auto train = [&](const Retriever& model) {
      Result r;
      r.name = model.name;
      r.parameters = lessons::parameter_count(model);
      Generator data(flags.seed + 2);  // the same batches for every scoring function
      nn::Adam adam(model.parameters(), {.lr = lr});
      if (!flags.quiet) fmt::print(stderr, "Training {} ({} steps of {} queries):\n", model.name, flags.steps, batch);
      lessons::Progress progress(flags.steps, flags.quiet);
      double train_seconds = 0;
      for (int64_t step = 0; step < flags.steps; ++step) {
        const Retrieval::Batch b = task.sample(batch, data);
        const auto start = std::chrono::steady_clock::now();
        Tensor loss = cross_entropy(model.scores(b.queries, b.keys), b.answers);  // the answer is a key position
        adam.zero_grad();
        loss.backward();
        adam.step();
        train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        r.losses.push_back(loss.item());
        progress.update(step, r.losses.back());
        if (r.steps_to_90 < 0 && (step + 1) % 20 == 0 && measure(model, check).accuracy >= 0.9)
          r.steps_to_90 = step + 1;  // checked every 20 steps on 256 other queries
      }
      r.ms_per_step = 1000.0 * train_seconds / std::max<int64_t>(flags.steps, 1);
      const Measured m = measure(model, held_out);
      r.accuracy = m.accuracy, r.peak_weight = m.peak, r.weight_on_answer = m.on_answer, r.entropy = m.entropy;
      return r;
    };
    FourScorers scorers(dim, hidden, attn_dim, flags.seed);
    std::vector<Result> results;
    for (const auto& model : scorers.models) results.push_back(train(*model));

    fmt::print("\n1. Find the key among {} (d = {}, projections to h = {}, noise {}), {} steps of {} queries;\n"
               "held-out accuracy on {} queries (chance: {:.1f}%):\n\n",
               keys, dim, hidden, noise, flags.steps, batch, held_out_size, 100.0 / keys);
    fmt::print("  {:<11} {:>7} {:>9} {:>12} {:>11} {:>9} {:>10} {:>9}\n", "score", "params", "accuracy", "steps to 90%",
               "ms / step", "peak α", "α answer", "entropy");
    std::string comparison = "score\tparameters\taccuracy\tsteps_to_90\tms_per_step\tpeak_weight\tweight_on_answer\tentropy\n";
    for (const Result& r : results) {
      const std::string to90 = r.steps_to_90 < 0 ? "never" : std::to_string(r.steps_to_90);
      // --quiet leaves wall-clock times out, so that two runs can be compared byte for byte.
      const std::string ms = flags.quiet ? "-" : fmt::format("{:.3f}", r.ms_per_step);
      const std::string ms_tsv = flags.quiet ? "-" : fmt::format("{:.4f}", r.ms_per_step);
      fmt::print("  {:<11} {:>7} {:>8.1f}% {:>12} {:>11} {:>9.3f} {:>10.3f} {:>9.3f}\n", r.name, r.parameters,
                 100 * r.accuracy, to90, ms, r.peak_weight, r.weight_on_answer, r.entropy);
      comparison += fmt::format("{}\t{}\t{:.4f}\t{}\t{}\t{:.4f}\t{:.4f}\t{:.4f}\n", r.name, r.parameters, r.accuracy,
                                r.steps_to_90, ms_tsv, r.peak_weight, r.weight_on_answer, r.entropy);
    }
    fmt::print("  (uniform weights would have entropy ln {} = {:.3f})\n", keys, std::log(static_cast<double>(keys)));

    // 2. Why concat needs a bias: the same concat model, data and budget, with bias-free projections.
    // Linear without bias and tanh are both odd, so then score(−q, −keys) = −score(q, keys): the
    // ranking flips. The task is symmetric (−q is as likely as q, with the same answer), so a
    // preference for the answer on x is a preference against it on −x; the best cross-entropy
    // under that constraint is uniform weights. Learning rate, A and steps cannot change it.
    Generator no_bias_init(flags.seed + 1);
    const Retriever concat_no_bias("concat_no_bias", nn::LuongScore::Concat, false, dim, hidden, attn_dim,
                                   false, no_bias_init);
    const Result no_bias = train(concat_no_bias);
    fmt::print("\n2. Concat with and without a bias in the projections (same data, start and budget), and how\n"
               "odd each trained model is (−x: the query and every key negated):\n\n");
    fmt::print("  {:<15} {:>9} {:>9} {:>11} {:>18}\n", "model", "accuracy", "entropy", "max |f(x)|",
               "max |f(x) + f(−x)|");
    auto print_oddness = [&](const Result& r, const Retriever& model) {
      const auto [sum, size] = oddness(model, held_out.queries, held_out.keys);
      fmt::print("  {:<15} {:>8.1f}% {:>9.3f} {:>11.3f} {:>18.6f}\n", r.name, 100 * r.accuracy, r.entropy,
                 size, sum);
    };
    print_oddness(results[2], *scorers.models[2]);  // "concat", trained above with biases
    print_oddness(no_bias, concat_no_bias);

    // 3. Why 1/√d: random scores in growing dimensions, without and with the scale.
    Generator scale_gen(flags.seed + 3);
    std::vector<ScaleRow> scale;
    for (int64_t d : {16, 64, 256, 1024})
      for (bool scaled : {false, true}) scale.push_back(measure_scale(d, scaled, keys, trials, scale_gen));
    fmt::print("\n3. Random q, k ~ N(0, 1) in d dimensions, softmax over {} keys ({} trials per row):\n\n", keys,
               trials);
    fmt::print("  {:>5}  {:<10} {:>10} {:>9} {:>9} {:>16}\n", "d", "scores", "std(qᵀk)", "peak α", "entropy",
               "|grad at scores|");
    std::string scale_tsv = "d\tscaled\tscore_std\tpeak_weight\tentropy\tgrad_norm\n";
    for (const ScaleRow& r : scale) {
      fmt::print("  {:>5}  {:<10} {:>10.2f} {:>9.3f} {:>9.3f} {:>16.4f}\n", r.dim, r.scaled ? "qᵀk/√d" : "qᵀk",
                 r.score_std, r.peak, r.entropy, r.grad_norm);
      scale_tsv += fmt::format("{}\t{}\t{:.4f}\t{:.4f}\t{:.4f}\t{:.5f}\n", r.dim, r.scaled ? 1 : 0, r.score_std, r.peak,
                               r.entropy, r.grad_norm);
    }

    // 4. One heatmap per scoring function: S queries, query t made from key t (right = diagonal).
    fmt::print("\n4. One heatmap per scoring function: {} queries, query q_t made from key k_t (right = diagonal).\n",
               keys);
    Generator draw_gen(flags.seed + 4);
    const Retrieval::Batch shown = task.sample(1, draw_gen);  // only its keys are used
    std::vector<float> kv = shown.keys.to_vector();
    std::vector<float> q(keys * dim);
    for (int64_t t = 0; t < keys; ++t)
      for (int64_t i = 0; i < dim; ++i) {
        float s = 0;
        for (int64_t j = 0; j < dim; ++j) s += task.mix[i * dim + j] * kv[t * dim + j];
        q[t * dim + i] = s + noise * draw_gen.normal();
      }
    std::vector<std::string> key_names, query_names;
    for (int64_t j = 0; j < keys; ++j) key_names.push_back(key_label(j)), query_names.push_back(fmt::format("q{}", j));
    std::vector<std::string> names;
    for (const auto& m : scorers.models) names.push_back(m->name);
    trace::Tracer tracer(scorers, {.target_modules = names, .record_graph = false, .record_backward = false});
    {
      NoGradGuard no_grad;
      for (const auto& model : scorers.models) {
        tracer.begin_sequence(key_names, query_names);
        for (int64_t t = 0; t < keys; ++t) {
          nn::StepScope step(t);
          const Tensor one_query = from_vector(std::vector<float>(q.begin() + t * dim, q.begin() + (t + 1) * dim), {1, dim});
          (void)model->forward(one_query, shown.keys);
        }
      }
    }

    trace::OutputFolder out(flags.out);
    out.write("comparison.tsv", comparison, "the four scoring functions: accuracy, speed, weights (the first table)");
    out.write("scale.tsv", scale_tsv, "std of the scores, peak weight, entropy and gradient, by d, with and without 1/√d");
    std::string curves = "step";
    for (const Result& r : results) curves += "\t" + r.name;
    curves += "\n";
    for (int64_t s = 0; s < flags.steps; ++s) {
      curves += std::to_string(s);
      for (const Result& r : results) curves += fmt::format("\t{:.5f}", r.losses[s]);
      curves += "\n";
    }
    out.write("loss_curves.tsv", curves, "training loss per step of each scoring function");
    lessons::LossCurves losses;
    for (const Result& r : results) losses.emplace_back(r.name, r.losses);
    out.write("loss.svg", trace::render_line_plot(lessons::loss_plot("Lesson 08: training loss", losses)),
              "training loss against the step, each scoring function");
    // The scale table's two claims as curves against d: the peak weight saturates, the gradient vanishes.
    const auto against_d = [&](const std::string& title, const std::string& y_label, bool log_y,
                               auto value_of) {
      trace::LinePlot plot{.title = title,
                           .x_label = "dimension d of q and k",
                           .y_label = y_label,
                           .log_x = true,
                           .log_y = log_y};
      for (bool scaled : {false, true}) {
        trace::Series curve{.name = scaled ? "scores qᵀk/√d" : "scores qᵀk (unscaled)", .points = true};
        for (const ScaleRow& r : scale)
          if (r.scaled == scaled)
            curve.x.push_back(static_cast<double>(r.dim)), curve.y.push_back(value_of(r));
        plot.series.push_back(curve);
      }
      return plot;
    };
    trace::LinePlot peak =
        against_d("Lesson 08: softmax saturates without 1/√d", "mean largest weight α over the keys", false,
                  [](const ScaleRow& r) { return r.peak; });
    peak.y_min = 0, peak.y_max = 1;  // a weight: 1 means one key takes everything
    out.write("scale_peak_weight.svg", trace::render_line_plot(peak),
              "the scale table's peak weight against d: without the scale one key takes everything");
    out.write("scale_gradient.svg",
              trace::render_line_plot(against_d("Lesson 08: the gradient at the scores vanishes without 1/√d",
                                                "|gradient reaching the scores| (mean over trials)", true,
                                                [](const ScaleRow& r) { return r.grad_norm; })),
              "the scale table's gradient against d: without the scale it vanishes");
    trace::write_trace_into(tracer.recording(), out);
    out.write_index("Lesson 08: scoring functions");

    fmt::print("\nWhat to look at: the four scores differ in how they compare a query with a key, and so in how\n"
               "fast and how well they learn the same task. Concat learns it only because something (here the\n"
               "projections' bias) breaks the symmetry f(−x) = −f(x) of bias-free tanh layers: without it the\n"
               "ranking of −x is the reverse of the ranking of x, and uniform weights are the best it can do.\n"
               "In the scale table the std of qᵀk grows like √d; without the scale softmax puts nearly all\n"
               "weight on one key and the gradient that reaches the scores shrinks towards 0, so the scores\n"
               "stop learning. Divided by √d, all rows look alike.\n"
               "In the heatmaps query q_t was made from key k_t: a bright diagonal is a right answer.\n");
    lessons::print_files_to_open(
        {{flags.out + "/attention_000.svg",
          fmt::format("dot: {} queries × {} keys (diagonal = right)", keys, keys)},
         {flags.out + "/attention_001.svg", "general"},
         {flags.out + "/attention_002.svg", "concat"},
         {flags.out + "/attention_003.svg", "scaled dot-product"},
         {flags.out + "/comparison.tsv", "the comparison table, for plotting"},
         {flags.out + "/scale_gradient.svg", "the scale table's gradient against d, drawn"}});
    return 0;
  });
}
