// Lesson 11 — Attention in vision.
//
// Attention does not care that its inputs are words. A Vision Transformer (Dosovitskiy et al.
// 2020, nn/vit.hpp) cuts an image into patches, turns each patch into a vector with one Linear
// layer, adds a learned position to each, and puts one extra learned vector in front: the [CLS]
// token, which owns no pixels and can only learn about the image by attending to the patches.
//
// The images are real: Debian's Fashion-MNIST (28 × 28 pictures of clothes, shoes and bags on a
// background that is exactly 0, so we know exactly which patches hold the object). The same ViT
// is trained twice:
//   (a) supervised: [CLS]'s vector is classified, the labels say "sneaker", "bag", ...;
//   (b) self-supervised, DINO's way (Caron et al. 2021, nn/dino.hpp): no labels anywhere. A
//       student and a teacher see different augmented views of a picture (cropped, flipped,
//       brighter or darker, noisy), and the student learns to give the teacher's answer; the
//       teacher is an average of the student over time. Whatever the two agree on must be about
//       the picture itself.
// DINO's pictures show [CLS]'s attention on the object and not on the background, without labels.
// We measure that on every head: the share of [CLS]'s attention on object patches against the
// object's share of the image, and check with a k-nearest-neighbour vote that (b) learned what the
// pictures are.
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <glimpse.hpp>
#include <memory>

#include "nn/dino.hpp"
#include "nn/idx_file.hpp"
#include "nn/optim.hpp"
#include "nn/vit.hpp"
#include "support/lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

namespace {

constexpr int64_t kSide = 28;  // Fashion-MNIST's pictures are 28 × 28

// Pictures as plain pixels, one after the other, and what the pixels say about the object.
struct Pictures {
  std::vector<float> pixels;  // count × 28 × 28, in [0, 1]; the background is exactly 0
  std::vector<int64_t> labels;
  int64_t count = 0;
  const float* picture(int64_t i) const { return pixels.data() + i * kSide * kSide; }
};

Pictures load(const std::string& folder, const std::string& split, int64_t count) {
  const nn::FashionMnist data = nn::read_fashion_mnist(folder, split, count);
  Pictures p;
  p.pixels = data.images.to_vector();
  p.count = data.images.size(0);
  for (int64_t i = 0; i < p.count; ++i) p.labels.push_back(data.labels[i]);
  return p;
}

// Which patches of picture i hold part of the object: any pixel above 0 (exact: the background is 0).
std::vector<bool> object_patches(const Pictures& p, int64_t i, int64_t patch) {
  const int64_t grid = kSide / patch;
  std::vector<bool> object(grid * grid, false);
  const float* pixels = p.picture(i);
  for (int64_t y = 0; y < kSide; ++y)
    for (int64_t x = 0; x < kSide; ++x)
      if (pixels[y * kSide + x] > 0.0f) object[(y / patch) * grid + x / patch] = true;
  return object;
}

// The pictures `indices` as a batch [B, 28, 28].
Tensor batch_of(const Pictures& p, const std::vector<int64_t>& indices) {
  std::vector<float> pixels;
  for (int64_t i : indices) pixels.insert(pixels.end(), p.picture(i), p.picture(i) + kSide * kSide);
  return from_vector(pixels, {static_cast<int64_t>(indices.size()), kSide, kSide});
}

std::vector<int64_t> random_indices(int64_t count, int64_t size, Generator& gen) {
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < count; ++i) indices.push_back(gen.integer(size));
  return indices;
}

// One augmented view, DINO's recipe for grey pictures: a random crop (a box of `min_scale` to all
// of the area, aspect 3/4 to 4/3: torchvision's RandomResizedCrop, the box clipped to the picture
// instead of drawn again) stretched back to 28 × 28 bilinearly, flipped left-right half of the
// time, its brightness scaled by 0.6 to 1.4 (ColorJitter's brightness 0.4), and noise. Two crops
// of one picture show different parts of it at different sizes: what they share is what it is.
Tensor augmented_view(const Pictures& p, const std::vector<int64_t>& indices, float min_scale, float noise,
                      Generator& gen) {
  constexpr auto side = static_cast<float>(kSide);
  std::vector<float> pixels;
  for (int64_t i : indices) {
    const float area = gen.uniform(min_scale, 1.0f) * side * side,
                aspect = std::exp(gen.uniform(std::log(3.0f / 4), std::log(4.0f / 3)));
    const float w = std::min(side, std::sqrt(area * aspect)), h = std::min(side, std::sqrt(area / aspect));
    const float left = gen.uniform(0.0f, side - w), top = gen.uniform(0.0f, side - h);
    const bool flip = gen.integer(2) == 1;
    const float brightness = gen.uniform(0.6f, 1.4f);
    const float* source = p.picture(i);
    const auto pixel = [&](int64_t y, int64_t x) {
      return source[std::clamp<int64_t>(y, 0, kSide - 1) * kSide + std::clamp<int64_t>(x, 0, kSide - 1)];
    };
    for (int64_t y = 0; y < kSide; ++y)
      for (int64_t x = 0; x < kSide; ++x) {
        // The view's pixel centres, mapped into the box, fall between four of the picture's pixels.
        const float sy = top + (static_cast<float>(y) + 0.5f) * h / side - 0.5f,
                    sx = left + (static_cast<float>(flip ? kSide - 1 - x : x) + 0.5f) * w / side - 0.5f;
        const auto y0 = static_cast<int64_t>(std::floor(sy)), x0 = static_cast<int64_t>(std::floor(sx));
        const float fy = sy - static_cast<float>(y0), fx = sx - static_cast<float>(x0);
        const float value = (1 - fy) * ((1 - fx) * pixel(y0, x0) + fx * pixel(y0, x0 + 1)) +
                            fy * ((1 - fx) * pixel(y0 + 1, x0) + fx * pixel(y0 + 1, x0 + 1));
        pixels.push_back(brightness * value + noise * gen.normal());
      }
  }
  return from_vector(pixels, {static_cast<int64_t>(indices.size()), kSide, kSide});
}

// [CLS]'s attention over the patches of picture b, per head, in the last block, renormalised to
// sum to 1 over the patches ([CLS] also attends to itself).
std::vector<std::vector<float>> cls_attention(const nn::VisionTransformerOutput& y, int64_t b) {
  const Tensor& w = y.layers.back().head_weights;  // [B, heads, 1 + N, 1 + N]
  std::vector<std::vector<float>> heads;
  for (int64_t h = 0; h < w.size(1); ++h) {
    std::vector<float> row;
    float total = 0;
    for (int64_t j = 1; j < w.size(3); ++j) row.push_back(w.at({b, h, 0, j})), total += row.back();
    for (float& v : row) v /= total;
    heads.push_back(row);
  }
  return heads;
}

// Where [CLS] looks, over held-out pictures: per head, the share of its patch attention on object
// patches; and the object's share of the patches (what attention blind to the object would give).
struct Looking {
  std::vector<double> on_object;  // per head
  double object_share = 0;
  double mean() const {
    double m = 0;
    for (double v : on_object) m += v;
    return m / static_cast<double>(on_object.size());
  }
};

struct Reading {
  Looking looking;
  double accuracy = 0;          // the head's argmax against the labels (supervised only)
  std::vector<float> features;  // [count, dim]: [CLS]'s normalised final vectors, for k-NN
};

Reading read_pictures(const nn::VisionTransformer& model, const Pictures& p, int64_t patch) {
  NoGradGuard no_grad;
  Reading r;
  const int64_t heads = model.options().heads;
  r.looking.on_object.assign(heads, 0.0);
  int64_t right = 0;
  for (int64_t start = 0; start < p.count; start += 100) {
    std::vector<int64_t> indices;
    for (int64_t i = start; i < std::min(p.count, start + 100); ++i) indices.push_back(i);
    const nn::VisionTransformerOutput y = model(batch_of(p, indices));
    const IndexTensor guesses = argmax(y.logits, 1);
    const std::vector<float> features = y.features.to_vector();
    r.features.insert(r.features.end(), features.begin(), features.end());
    for (size_t b = 0; b < indices.size(); ++b) {
      const std::vector<bool> object = object_patches(p, indices[b], patch);
      right += guesses[static_cast<int64_t>(b)] == p.labels[indices[b]];
      r.looking.object_share += static_cast<double>(std::count(object.begin(), object.end(), true)) /
                                static_cast<double>(object.size());
      const auto attention = cls_attention(y, static_cast<int64_t>(b));
      for (int64_t h = 0; h < heads; ++h)
        for (size_t j = 0; j < object.size(); ++j)
          if (object[j]) r.looking.on_object[h] += attention[h][j];
    }
  }
  for (double& v : r.looking.on_object) v /= static_cast<double>(p.count);
  r.looking.object_share /= static_cast<double>(p.count);
  r.accuracy = static_cast<double>(right) / static_cast<double>(p.count);
  return r;
}

// k-nearest-neighbour accuracy: each test vector takes the label most of its k most similar
// (cosine) training vectors carry. No training: it asks whether similar pictures got similar vectors.
double knn_accuracy(const std::vector<float>& train, const std::vector<int64_t>& train_labels,
                    const std::vector<float>& test, const std::vector<int64_t>& test_labels, int64_t dim,
                    int64_t k) {
  const auto unit = [dim](std::vector<float> v) {
    for (size_t i = 0; i < v.size(); i += dim) {
      double norm = 0;
      for (int64_t j = 0; j < dim; ++j) norm += v[i + j] * v[i + j];
      const auto scale = static_cast<float>(1.0 / std::max(std::sqrt(norm), 1e-12));
      for (int64_t j = 0; j < dim; ++j) v[i + j] *= scale;
    }
    return v;
  };
  const auto n_train = static_cast<int64_t>(train_labels.size()),
             n_test = static_cast<int64_t>(test_labels.size());
  const Tensor similarity = matmul(from_vector(unit(test), {n_test, dim}),
                                   from_vector(unit(train), {n_train, dim}).transpose(0, 1));
  const std::vector<float> s = similarity.to_vector();
  int64_t right = 0;
  for (int64_t t = 0; t < n_test; ++t) {
    std::vector<int64_t> order(n_train);
    for (int64_t i = 0; i < n_train; ++i) order[i] = i;
    const int64_t kk = std::min(k, n_train);
    std::partial_sort(order.begin(), order.begin() + kk, order.end(), [&](int64_t a, int64_t b) {
      const float sa = s[t * n_train + a], sb = s[t * n_train + b];
      return sa != sb ? sa > sb : a < b;  // ties by index: the same answer on every machine
    });
    std::array<int64_t, 10> votes{};
    for (int64_t i = 0; i < kk; ++i) ++votes[train_labels[order[i]]];
    right += std::max_element(votes.begin(), votes.end()) - votes.begin() == test_labels[t];
  }
  return static_cast<double>(right) / static_cast<double>(std::max<int64_t>(n_test, 1));
}

// The picture with one head's [CLS] attention laid over it, as DINO draws it: grey pixels, tinted
// orange where the head looks (the tint of each patch ∝ its weight over the head's largest).
std::string overlay_table(const float* pixels, const std::vector<float>& attention, int64_t patch,
                          const std::string& caption) {
  const int64_t grid = kSide / patch;
  const float top = *std::max_element(attention.begin(), attention.end());
  std::string table = "<TABLE BORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"0\">";
  for (int64_t y = 0; y < kSide; ++y) {
    table += "<TR>";
    for (int64_t x = 0; x < kSide; ++x) {
      const float a = 0.75f * attention[(y / patch) * grid + x / patch] / std::max(top, 1e-12f);
      const float grey = 255.0f * pixels[y * kSide + x];
      const auto mix = [&](float tint) { return static_cast<int>(std::lround((1 - a) * grey + a * tint)); };
      table +=
          fmt::format("<TD WIDTH=\"6\" HEIGHT=\"6\" FIXEDSIZE=\"TRUE\" BGCOLOR=\"#{:02x}{:02x}{:02x}\"></TD>",
                      mix(255), mix(136), mix(0));
    }
    table += "</TR>";
  }
  return fmt::format("<TABLE BORDER=\"0\" CELLSPACING=\"2\"><TR><TD>{}</TD></TR><TR><TD>{}</TD></TR></TABLE>",
                     table + "</TABLE>", caption);
}

// One picture, then each head's attention over it, side by side.
std::string overlays_to_dot(const float* pixels, const std::vector<std::vector<float>>& heads, int64_t patch,
                            const std::string& title) {
  std::string row = "<TR><TD>" +
                    overlay_table(pixels, std::vector<float>(heads[0].size(), 0.0f), patch, "picture") +
                    "</TD>";
  for (size_t h = 0; h < heads.size(); ++h)
    row += "<TD>" + overlay_table(pixels, heads[h], patch, fmt::format("head {}", h)) + "</TD>";
  return fmt::format(
      "digraph overlay {{\n  graph [fontname=\"Helvetica\", labelloc=t, label=\"{}\"];\n"
      "  node [shape=plaintext, fontname=\"Helvetica\"];\n  pictures [label=<<TABLE BORDER=\"0\" "
      "CELLSPACING=\"6\">{}</TR></TABLE>>];\n}}\n",
      title, row);
}

void print_looking(const std::string& who, const Looking& l) {
  fmt::print("  {:<24}", who);
  for (double v : l.on_object) fmt::print(" {:5.1f}%", 100 * v);
  fmt::print("   mean {:5.1f}% = {:.2f}× the object's share\n", 100 * l.mean(), l.mean() / l.object_share);
}

}  // namespace

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{
        "Lesson 11: attention in vision. A Vision Transformer on Debian's Fashion-MNIST, trained with labels "
        "and without (DINO's self-distillation); where its [CLS] token looks, head by head, against the "
        "object's exact mask, and a k-NN test of what the label-free model learned."};
    lessons::CommonFlags flags;
    flags.out = "out/11_vision";
    flags.steps = 600;
    std::string data_dir = nn::kFashionMnistFolder;
    nn::VisionTransformerOptions vit;  // 28 × 28, patches of 4, d 32, 4 heads, 1 block
    int64_t batch_size = 32, train_count = 10000, test_count = 500, bank_count = 1000, examples = 3;
    int64_t dino_dim = 256;
    float lr = 1e-3f, noise = 0.1f, teacher_momentum = 0.99f, crop_scale = 0.3f;
    lessons::add_common_flags(app, flags);
    app.get_option("--steps")->description("training steps, for each of the two models");
    app.add_option("--data-dir", data_dir,
                   "folder of Fashion-MNIST's IDX files (apt-get install dataset-fashion-mnist)")
        ->capture_default_str();
    lessons::add_number(app, "--patch", vit.patch_size, "patch side in pixels (must divide 28)", 1, 28);
    lessons::add_block_flags(app, vit.dim, vit.heads, vit.layers);
    lessons::add_batch_flag(app, batch_size, "pictures", 256);
    lessons::add_number(app, "--train", train_count, "training pictures (the first of the 60 000)", 10,
                        60000);
    lessons::add_number(app, "--test", test_count, "held-out pictures measured (the first of the 10 000)", 10,
                        10000);
    lessons::add_number(app, "--bank", bank_count, "training pictures the k-NN vote looks up", 1, 60000);
    lessons::add_lr_flag(app, lr);
    lessons::add_number(app, "--dino-dim", dino_dim, "DINO's output dimension (its 'prototypes')", 2, 4096);
    lessons::add_number(app, "--teacher-momentum", teacher_momentum,
                        "how slowly DINO's teacher follows the student", 0.0f, 1.0f);
    lessons::add_number(app, "--crop-scale", crop_scale,
                        "smallest share of the picture's area an augmented view crops", 0.05f, 1.0f);
    lessons::add_number(app, "--noise", noise, "noise of an augmented view (standard deviation)", 0.0f, 1.0f);
    lessons::add_number(app, "--examples", examples, "pictures to draw", 1, 20);
    CLI11_PARSE(app, argc, argv);
    lessons::require(kSide % vit.patch_size == 0, fmt::format("--patch {} must divide 28", vit.patch_size));
    lessons::check_block_flags(vit.dim, vit.heads);
    lessons::require(bank_count <= train_count,
                     fmt::format("--bank {} must not exceed --train {}", bank_count, train_count));
    std::error_code ec;
    lessons::require(
        std::filesystem::is_directory(data_dir, ec),
        fmt::format("--data-dir {}: no such folder (Debian: apt-get install dataset-fashion-mnist)",
                    data_dir));
    lessons::prepare_out_dir(flags.out);
    if (flags.smoke) flags.steps = 3;
    vit.mlp_dim = 2 * vit.dim;

    // 1. The pictures.
    const Pictures train = load(data_dir, "train", train_count), test = load(data_dir, "t10k", test_count);
    const int64_t grid = kSide / vit.patch_size;
    fmt::print(
        "1. Fashion-MNIST from {}: {} training and {} held-out pictures of 28×28, cut into {}×{} patches\n"
        "  of {}×{} pixels. The background is exactly 0, so a patch holds the object when any pixel is > "
        "0.\n",
        data_dir, train.count, test.count, grid, grid, vit.patch_size, vit.patch_size);

    // 2. (a) Supervised: [CLS] is classified, the labels teach.
    manual_seed(flags.seed);
    vit.out_dim = 10;
    nn::VisionTransformer supervised(vit);
    lessons::LossCurves losses;  // both models', for the loss plot
    fmt::print(
        "\n2. (a) A {}-block ViT (d_model {}, {} heads), {} steps of {} pictures, trained with the labels.\n",
        vit.layers, vit.dim, vit.heads, flags.steps, batch_size);
    {
      Generator gen(flags.seed + 1);
      nn::Adam adam(supervised.parameters(), {.lr = lr});
      lessons::Progress progress(flags.steps, flags.quiet);
      for (int64_t step = 0; step < flags.steps; ++step) {
        const std::vector<int64_t> indices = random_indices(batch_size, train.count, gen);
        std::vector<int64_t> labels;
        for (int64_t i : indices) labels.push_back(train.labels[i]);
        const Tensor loss = cross_entropy(supervised(batch_of(train, indices)).logits, IndexTensor(labels));
        adam.zero_grad();
        loss.backward();
        adam.step();
        progress.update(step, loss.item());
      }
      supervised.eval();
      losses.emplace_back("(a) supervised: cross-entropy with the labels", progress.losses());
    }

    // 2. (b) DINO: no labels. Student and teacher start equal; the teacher follows by EMA.
    manual_seed(flags.seed);
    vit.out_dim = dino_dim;
    nn::VisionTransformer student(vit), teacher(vit);
    nn::ema_update_(teacher, student, 0.0f);  // the teacher starts as a copy of the student
    const Reading untrained = read_pictures(teacher, test, vit.patch_size);
    const Pictures bank_pictures = load(data_dir, "train", bank_count);
    const Reading untrained_bank = read_pictures(teacher, bank_pictures, vit.patch_size);
    fmt::print("   (b) The same ViT, {} steps of 2 augmented views of {} pictures, DINO's way: no labels.\n",
               flags.steps, batch_size);
    {
      Generator gen(flags.seed + 2);
      nn::DINOLoss dino(dino_dim);
      nn::Adam adam(student.parameters(), {.lr = lr});
      lessons::Progress progress(flags.steps, flags.quiet);
      for (int64_t step = 0; step < flags.steps; ++step) {
        const std::vector<int64_t> indices = random_indices(batch_size, train.count, gen);
        const std::vector<Tensor> views = {augmented_view(train, indices, crop_scale, noise, gen),
                                           augmented_view(train, indices, crop_scale, noise, gen)};
        std::vector<Tensor> student_out, teacher_out;
        for (const Tensor& v : views) student_out.push_back(student(v).logits);
        {
          NoGradGuard no_grad;  // the teacher learns only by following the student
          for (const Tensor& v : views) teacher_out.push_back(teacher(v).logits);
        }
        const Tensor loss = dino(student_out, teacher_out);
        adam.zero_grad();
        loss.backward();
        adam.step();
        dino.update_center(teacher_out);
        nn::ema_update_(teacher, student, teacher_momentum);
        progress.update(step, loss.item());
      }
      teacher.eval();
      losses.emplace_back("(b) DINO: cross-entropy to the teacher", progress.losses());
    }

    // 3. What each learned.
    const Reading supervised_reading = read_pictures(supervised, test, vit.patch_size);
    const Reading dino_reading = read_pictures(teacher, test, vit.patch_size);
    const Reading dino_bank = read_pictures(teacher, bank_pictures, vit.patch_size);
    const Reading supervised_bank = read_pictures(supervised, bank_pictures, vit.patch_size);
    const int64_t k = 20;
    const auto knn = [&](const Reading& bank, const Reading& probe) {
      return knn_accuracy(bank.features, bank_pictures.labels, probe.features, test.labels, vit.dim, k);
    };
    const double knn_untrained = knn(untrained_bank, untrained), knn_dino = knn(dino_bank, dino_reading),
                 knn_supervised = knn(supervised_bank, supervised_reading),
                 knn_pixels = knn_accuracy(bank_pictures.pixels, bank_pictures.labels, test.pixels,
                                           test.labels, kSide * kSide, k);
    fmt::print("\n3. What they learned, on the {} held-out pictures:\n", test.count);
    fmt::print("  (a) supervised: the class named right {:.1f}% of the time (chance 10%).\n",
               100 * supervised_reading.accuracy);
    fmt::print(
        "  A {}-nearest-neighbour vote among {} training pictures, on [CLS]'s vectors (no training on top):\n"
        "    untrained ViT {:.1f}%   DINO, no labels {:.1f}%   supervised {:.1f}%   (raw pixels {:.1f}%; "
        "chance 10%)\n",
        k, bank_pictures.count, 100 * knn_untrained, 100 * knn_dino, 100 * knn_supervised, 100 * knn_pixels);

    // 4. Where [CLS] looks, every head of the last block.
    fmt::print(
        "\n4. Where [CLS] looks in the last block: the share of its attention on the object's patches, per "
        "head.\n"
        "  The object covers {:.1f}% of the patches: attention blind to the object would put that much on "
        "it.\n\n",
        100 * dino_reading.looking.object_share);
    fmt::print("  {:<24}", "");
    for (int64_t h = 0; h < vit.heads; ++h) fmt::print(" head{:<2}", h);
    fmt::print("\n");
    print_looking("untrained", untrained.looking);
    print_looking("(a) supervised", supervised_reading.looking);
    print_looking("(b) DINO, no labels", dino_reading.looking);

    // 5. The attention over the pictures, as DINO's figure draws it; picture 0 traced whole.
    trace::OutputFolder out(flags.out);
    const std::vector<std::string>& classes = nn::fashion_mnist_classes();
    for (int64_t i = 0; i < std::min(examples, test.count); ++i) {
      NoGradGuard no_grad;
      const Tensor picture = batch_of(test, {i});
      for (const auto& [name, model] : std::vector<std::pair<std::string, const nn::VisionTransformer*>>{
               {"supervised", &supervised}, {"dino", &teacher}}) {
        const auto heads = cls_attention((*model)(picture), 0);
        trace::write_picture(
            out, fmt::format("overlay_{}_{}", name, i),
            overlays_to_dot(test.picture(i), heads, vit.patch_size,
                            fmt::format("held-out picture {} ({}): [CLS]'s attention, {} model, "
                                        "last block, each head",
                                        i, classes[test.labels[i]], name)),
            fmt::format("picture {} with each head's [CLS] attention laid over it ({})", i, name));
      }
    }
    {
      // The tracer's own record of the DINO teacher reading picture 0: every map of every block
      // and head ([CLS] and the patches attending to each other) and its [CLS] features.
      const int64_t positions = 1 + grid * grid;
      std::vector<std::string> names = {"[CLS]"};
      const std::vector<bool> object = object_patches(test, 0, vit.patch_size);
      for (int64_t r = 0; r < grid; ++r)
        for (int64_t c = 0; c < grid; ++c)
          names.push_back(fmt::format("{},{}{}", r, c, object[r * grid + c] ? "*" : ""));
      trace::Tracer tracer(teacher,
                           {.max_values = std::max(vit.heads * positions * positions, positions * vit.dim),
                            .record_graph = false,
                            .record_backward = false});
      tracer.begin_sequence(names);
      NoGradGuard no_grad;
      (void)teacher(batch_of(test, {0}));
      trace::write_trace_into(tracer.take(), out, {.text = {.max_values = positions}});
    }
    std::string results = fmt::format("held-out pictures\t{}\nobject share of the patches\t{:.4f}\n",
                                      test.count, dino_reading.looking.object_share);
    results += fmt::format("supervised accuracy\t{:.4f}\n", supervised_reading.accuracy);
    results +=
        fmt::format("knn untrained\t{:.4f}\nknn dino\t{:.4f}\nknn supervised\t{:.4f}\nknn pixels\t{:.4f}\n",
                    knn_untrained, knn_dino, knn_supervised, knn_pixels);
    for (int64_t h = 0; h < vit.heads; ++h)
      results += fmt::format("on object, head {}\tuntrained {:.4f}\tsupervised {:.4f}\tdino {:.4f}\n", h,
                             untrained.looking.on_object[h], supervised_reading.looking.on_object[h],
                             dino_reading.looking.on_object[h]);
    out.write("results.tsv", results, "the numbers this run printed");
    out.write("loss.svg", trace::render_line_plot(lessons::loss_plot("Lesson 11: training loss", losses, "loss (nats)")),
              "both models' training loss against the step");
    out.write_index("Lesson 11: attention in vision — where does [CLS] look, with labels and without?");

    fmt::print(
        "\nWhat to look at: the overlays. Orange is where a head of [CLS] looks; the object is the grey\n"
        "shape. A head that ignores the black background has found the object, whether or not labels\n"
        "were ever given; compare each model's row of step 4 with the object's share.\n");
    lessons::print_files_to_open(
        {{flags.out + "/overlay_dino_0.svg", "DINO's heads over the first held-out picture"},
         {flags.out + "/overlay_supervised_0.svg", "the supervised model's"},
         {flags.out + "/results.tsv", "the numbers above"},
         {flags.out + "/index.txt", "every file written, with what it shows"}});
    return 0;
  });
}
