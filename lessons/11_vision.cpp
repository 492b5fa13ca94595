// Lesson 11 — Attention in vision.
//
// Attention does not care that its inputs are words. A Vision Transformer (Dosovitskiy et al.
// 2020) cuts an image into patches, turns each patch into a vector with one Linear layer, adds a
// learned position to each, and puts one extra learned vector in front: the [CLS] token, which
// owns no pixels and can only learn about the image by attending to the patches. Its final vector
// is classified. Here the images are small and synthetic — a bright square, cross or circle at a
// random place on a noisy background — so we know exactly which patches hold the object, and can
// measure what the DINO pictures (Caron et al. 2021) show: the [CLS] token's attention falls on
// the object, not on the background, although nobody told the model where the object was.
// As in every lesson, the attention we look at is what the tracer recorded (trace::Tracer).
#include <algorithm>
#include <array>
#include <cmath>
#include <glimpse.hpp>
#include <memory>

#include "nn/init.hpp"
#include "nn/layer_norm.hpp"
#include "nn/linear.hpp"
#include "nn/optim.hpp"
#include "nn/transformer_encoder_layer.hpp"
#include "support/lesson.hpp"
#include "trace/trace.hpp"

using namespace glimpse;

namespace {

const std::array<std::string, 3> kShapes = {"square", "cross", "circle"};

struct Sizes {
  int64_t image = 24, patch = 4, shape = 6;  // pixels
  float noise = 0.35f;                       // standard deviation of the background noise
  int64_t dim = 32, heads = 4, layers = 1;
  int64_t grid() const { return image / patch; }  // patches per side
};

// One picture: pixels [image, image], its class, and which patches the shape touches.
struct Picture {
  std::vector<float> pixels;
  int64_t label = 0;
  std::vector<bool> object_patches;  // grid × grid, row by row
};

// A shape of `size` pixels inside its box: a square outline, a plus, or a ring.
bool on_shape(int64_t label, int64_t r, int64_t c, int64_t size) {
  const float centre = (size - 1) / 2.0f;
  const float half = size / 2.0f;
  switch (label) {
    case 0:
      return r == 0 || c == 0 || r == size - 1 || c == size - 1;
    case 1:
      return std::abs(r - centre) < 1.0f || std::abs(c - centre) < 1.0f;
    default: {
      const float d = std::hypot(r - centre, c - centre);
      return d > half - 1.6f && d < half;
    }
  }
}

Picture draw_picture(const Sizes& s, Generator& gen) {
  Picture p;
  p.label = gen.integer(3);
  p.pixels.resize(s.image * s.image);
  for (float& v : p.pixels) v = s.noise * gen.normal();
  p.object_patches.assign(s.grid() * s.grid(), false);
  const int64_t top = gen.integer(s.image - s.shape + 1), left = gen.integer(s.image - s.shape + 1);
  const float brightness = gen.uniform(0.8f, 1.2f);
  for (int64_t r = 0; r < s.shape; ++r)
    for (int64_t c = 0; c < s.shape; ++c)
      if (on_shape(p.label, r, c, s.shape)) {
        const int64_t y = top + r, x = left + c;
        p.pixels[y * s.image + x] += brightness;
        p.object_patches[(y / s.patch) * s.grid() + x / s.patch] = true;
      }
  return p;
}

struct Images {
  Tensor pixels;  // [B, image, image]
  IndexTensor labels;
};

Images stack_pictures(const std::vector<Picture>& pictures, const Sizes& s) {
  std::vector<float> pixels;
  std::vector<int64_t> labels;
  for (const Picture& p : pictures) {
    pixels.insert(pixels.end(), p.pixels.begin(), p.pixels.end());
    labels.push_back(p.label);
  }
  const int64_t B = static_cast<int64_t>(pictures.size());
  return {from_vector(pixels, {B, s.image, s.image}), IndexTensor(labels)};
}

struct Reading {
  Tensor logits;                                          // [B, 3]
  std::vector<nn::TransformerEncoderLayerOutput> layers;  // weights [B, 1 + N, 1 + N]: index 0 is [CLS]
};

// N(0, 0.02²): how ViT starts its [CLS] token and position table.
Tensor small_random(const Shape& shape) {
  Tensor t = zeros(shape);
  return nn::init::normal_(t, 0.0f, 0.02f);
}

// A tiny Vision Transformer: patches → Linear → + positions, [CLS] in front → pre-norm blocks.
class VisionTransformer : public nn::Module {
 public:
  explicit VisionTransformer(const Sizes& s)
      : sizes_(s),
        patch_embedding_(
            register_module("patch_embedding", std::make_shared<nn::Linear>(s.patch * s.patch, s.dim))),
        cls_(register_parameter("cls", small_random({1, 1, s.dim}))),
        positions_(register_parameter("positions", small_random({1, 1 + s.grid() * s.grid(), s.dim}))) {
    for (int64_t l = 0; l < s.layers; ++l)
      layers_.push_back(
          register_module(fmt::format("layers.{}", l),
                          std::make_shared<nn::TransformerEncoderLayer>(
                              s.dim, s.heads, 2 * s.dim, /*dropout=*/0.0f, "relu",
                              /*layer_norm_eps=*/1e-5f, /*norm_first=*/true)));
    norm_ = register_module("norm", std::make_shared<nn::LayerNorm>(s.dim));
    head_ = register_module("head", std::make_shared<nn::Linear>(s.dim, 3));
  }

  Reading forward(const Tensor& images) const {
    const int64_t B = images.size(0), G = sizes_.grid(), P = sizes_.patch;
    // Cut [B, G·P, G·P] into G·G patches of P·P pixels, row by row: [B, G·G, P·P].
    const Tensor patches =
        images.reshape({B, G, P, G, P}).permute({0, 1, 3, 2, 4}).contiguous().reshape({B, G * G, P * P});
    Tensor x = cat({cls_.expand({B, 1, sizes_.dim}), (*patch_embedding_)(patches)}, 1) +
               positions_;  // [B, 1 + G·G, d]
    Reading reading;
    for (const auto& layer : layers_) {
      reading.layers.push_back(layer->forward(x));
      x = reading.layers.back().output;
    }
    reading.logits = (*head_)((*norm_)(x.select(1, 0)));  // classify from [CLS] alone
    emit_step({{"logits", reading.logits}});              // for the tracer: its guess, named
    return reading;
  }
  std::string kind() const override { return "VisionTransformer"; }

 private:
  Sizes sizes_;
  std::shared_ptr<nn::Linear> patch_embedding_;
  Tensor cls_, positions_;
  std::vector<std::shared_ptr<nn::TransformerEncoderLayer>> layers_;
  std::shared_ptr<nn::LayerNorm> norm_;
  std::shared_ptr<nn::Linear> head_;
};

// [CLS]'s attention over the patches of picture `item` in `layer` (the mean of the heads),
// renormalised to sum to 1 over the patches.
std::vector<float> cls_attention(const Reading& r, int64_t layer, int64_t item) {
  const Tensor& w = r.layers[layer].weights;  // [B, 1 + N, 1 + N]
  std::vector<float> out;
  float total = 0;
  for (int64_t j = 1; j < w.size(2); ++j) out.push_back(w.at({item, 0, j})), total += out.back();
  for (float& v : out) v /= total;
  return out;
}

struct Score {
  int64_t pictures = 0, correct = 0;
  std::vector<double> on_object;  // per layer: share of [CLS]'s patch attention on object patches
  double object_area = 0;         // share of the patches that hold part of the object
  double on_cls_itself = 0;       // last layer: attention [CLS] keeps for itself
};

Score evaluate(const VisionTransformer& model, const std::vector<Picture>& pictures, const Sizes& s) {
  NoGradGuard no_grad;
  Score score;
  score.on_object.assign(s.layers, 0.0);
  for (size_t start = 0; start < pictures.size(); start += 100) {
    const std::vector<Picture> chunk(pictures.begin() + start,
                                     pictures.begin() + std::min(pictures.size(), start + 100));
    const Images batch = stack_pictures(chunk, s);
    const Reading r = model.forward(batch.pixels);
    const IndexTensor guesses = argmax(r.logits, 1);
    for (size_t b = 0; b < chunk.size(); ++b) {
      const Picture& p = chunk[b];
      score.correct += guesses[b] == p.label;
      for (int64_t l = 0; l < s.layers; ++l) {
        const std::vector<float> a = cls_attention(r, l, b);
        for (size_t j = 0; j < a.size(); ++j)
          if (p.object_patches[j]) score.on_object[l] += a[j];
      }
      score.object_area +=
          static_cast<double>(std::count(p.object_patches.begin(), p.object_patches.end(), true)) /
          p.object_patches.size();
      score.on_cls_itself += r.layers.back().weights.at({static_cast<int64_t>(b), 0, 0});
      ++score.pictures;
    }
  }
  for (double& v : score.on_object) v /= score.pictures;
  score.object_area /= score.pictures;
  score.on_cls_itself /= score.pictures;
  return score;
}

// The names the tracer gives a picture's positions: [CLS], then each patch as "row,column", with
// a * when the shape touches it ("2,3*"). They label the rows and columns of the traced maps.
std::vector<std::string> position_names(const Picture& p, const Sizes& s) {
  std::vector<std::string> names = {"[CLS]"};
  for (int64_t r = 0; r < s.grid(); ++r)
    for (int64_t c = 0; c < s.grid(); ++c)
      names.push_back(fmt::format("{},{}{}", r, c, p.object_patches[r * s.grid() + c] ? "*" : ""));
  return names;
}

// The attention map the tracer recorded for `module` (one head, or the mean of the heads when
// head < 0).
const trace::AttentionMap& traced_map(const std::vector<trace::AttentionMap>& maps, const std::string& module,
                                      int64_t head) {
  for (const trace::AttentionMap& map : maps)
    if (map.module == module && map.head == head) return map;
  throw std::runtime_error(
      fmt::format("the tracer kept no attention map of {} (head {}): is TraceOptions::max_values big enough?",
                  module, head));
}

// [CLS]'s row of a traced map (row 0), over the patches only, renormalised to sum to 1.
std::vector<float> cls_row(const trace::AttentionMap& map) {
  std::vector<float> out(map.weights[0].begin() + 1, map.weights[0].end());
  float total = 0;
  for (float v : out) total += v;
  for (float& v : out) v /= total;
  return out;
}

// That row laid out as the picture's grid of patches, so trace::heatmap_to_dot draws each weight
// where its patch is.
trace::AttentionMap on_grid(const trace::AttentionMap& map, const std::vector<float>& row, int64_t side) {
  trace::AttentionMap grid = map;  // keeps the sequence, module and head the tracer recorded
  grid.module = "[CLS] → patches in " + map.module;
  if (map.head < 0) grid.kind += ", mean of the heads";
  grid.axes = "patch row ↓  column →";
  grid.rows.clear(), grid.columns.clear(), grid.weights.clear();
  for (int64_t i = 0; i < side; ++i) {
    grid.rows.push_back(fmt::format("row {}", i));
    grid.columns.push_back(fmt::format("col {}", i));
    grid.weights.emplace_back(row.begin() + i * side, row.begin() + (i + 1) * side);
  }
  return grid;
}

// The picture itself, drawn patch by patch: grey pixels, a gap between patches, and the patches
// that hold the shape framed in orange.
std::string picture_to_dot(const Picture& p, const Sizes& s, const std::string& title) {
  const auto [low, high] = std::minmax_element(p.pixels.begin(), p.pixels.end());
  std::string table = "<TABLE BORDER=\"0\" CELLSPACING=\"3\" CELLPADDING=\"0\">\n";
  for (int64_t pr = 0; pr < s.grid(); ++pr) {
    table += "<TR>";
    for (int64_t pc = 0; pc < s.grid(); ++pc) {
      const bool object = p.object_patches[pr * s.grid() + pc];
      table += fmt::format(
          "<TD BORDER=\"2\" COLOR=\"{}\"><TABLE BORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"0\">",
          object ? "#ff8800" : "#ffffff");
      for (int64_t r = 0; r < s.patch; ++r) {
        table += "<TR>";
        for (int64_t c = 0; c < s.patch; ++c) {
          const float v = p.pixels[(pr * s.patch + r) * s.image + pc * s.patch + c];
          const int grey = static_cast<int>(std::lround(255.0f * (v - *low) / (*high - *low + 1e-6f)));
          table += fmt::format(
              "<TD WIDTH=\"9\" HEIGHT=\"9\" FIXEDSIZE=\"TRUE\" BGCOLOR=\"#{:02x}{:02x}{:02x}\"></TD>", grey,
              grey, grey);
        }
        table += "</TR>";
      }
      table += "</TABLE></TD>";
    }
    table += "</TR>\n";
  }
  table += "</TABLE>";
  return fmt::format(
      "digraph picture {{\n  graph [fontname=\"Helvetica\", labelloc=t, label=\"{}\"];\n"
      "  node [shape=plaintext];\n  picture [label=<\n{}>];\n}}\n",
      title, table);
}

// The same two things in the terminal: the shape's patches marked *, [CLS]'s attention in %.
void print_grid(const Picture& p, const std::vector<float>& attention, const Sizes& s) {
  for (int64_t r = 0; r < s.grid(); ++r) {
    fmt::print("   ");
    for (int64_t c = 0; c < s.grid(); ++c) fmt::print("{}", p.object_patches[r * s.grid() + c] ? " *" : " .");
    fmt::print("      ");
    for (int64_t c = 0; c < s.grid(); ++c) fmt::print("{:4.0f}", 100 * attention[r * s.grid() + c]);
    fmt::print("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  return lessons::run_lesson([&] {
    CLI::App app{
        "Lesson 11: attention in vision. A tiny Vision Transformer classifies a shape on a noisy "
        "background; its [CLS] token's attention finds the shape."};
    lessons::CommonFlags flags;
    flags.out = "out/11_vision";
    flags.steps = 800;
    Sizes s;
    int64_t batch_size = 32, test_size = 300, examples = 3;
    float lr = 0.003f;
    lessons::add_common_flags(app, flags);
    lessons::add_number(app, "--image", s.image, "image side in pixels (a multiple of --patch)", 4, 64);
    lessons::add_number(app, "--patch", s.patch, "patch side in pixels", 1, 16);
    lessons::add_number(app, "--shape", s.shape, "shape side in pixels", 3, 32);
    lessons::add_number(app, "--noise", s.noise, "background noise (standard deviation; the shape is about 1 bright)", 0.0f, 10.0f);
    lessons::add_block_flags(app, s.dim, s.heads, s.layers);
    lessons::add_batch_flag(app, batch_size, "fresh images", 256);
    lessons::add_number(app, "--test", test_size, "held-out images", 3, 10000);
    lessons::add_lr_flag(app, lr);
    lessons::add_number(app, "--examples", examples, "pictures to draw", 1, 20);
    CLI11_PARSE(app, argc, argv);
    lessons::require(s.image % s.patch == 0, fmt::format("--image {} must be a multiple of --patch {}", s.image, s.patch));
    lessons::require(s.shape <= s.image, fmt::format("--shape {} must be at most --image {}", s.shape, s.image));
    lessons::check_block_flags(s.dim, s.heads);
    lessons::require(s.grid() * s.grid() <= 256, fmt::format("--image {} with --patch {} makes {} patches: at most 256",
                                                             s.image, s.patch, s.grid() * s.grid()));
    lessons::prepare_out_dir(flags.out);
    if (flags.smoke) flags.steps = 5, test_size = 20;

    // 1. The data: every training step draws fresh pictures; the test pictures are drawn apart.
    Generator test_gen(flags.seed + 1), train_gen(flags.seed);
    std::vector<Picture> test;
    for (int64_t i = 0; i < test_size; ++i) test.push_back(draw_picture(s, test_gen));
    fmt::print("1. Pictures of {}×{} pixels: a {} ({}×{} px) on noise; cut into {} patches of {}×{} pixels.\n",
               s.image, s.image, fmt::join(kShapes, ", "), s.shape, s.shape, s.grid() * s.grid(), s.patch,
               s.patch);

    // 2. The model, trained to name the shape.
    manual_seed(flags.seed);
    VisionTransformer model(s);
    fmt::print("2. Training a {}-block Vision Transformer (d_model {}, {} heads): {} steps of {} pictures\n",
               s.layers, s.dim, s.heads, flags.steps, batch_size);
    nn::Adam optimizer(model.parameters(), {.lr = lr});
    lessons::Progress progress(flags.steps, flags.quiet);
    float loss_value = 0;
    for (int64_t step = 0; step < flags.steps; ++step) {
      std::vector<Picture> pictures;
      for (int64_t i = 0; i < batch_size; ++i) pictures.push_back(draw_picture(s, train_gen));
      const Images batch = stack_pictures(pictures, s);
      const Tensor loss = cross_entropy(model.forward(batch.pixels).logits, batch.labels);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_value = loss.item();
      progress.update(step, loss_value);
    }
    model.eval();
    const Score score = evaluate(model, test, s);
    fmt::print("final training loss {:.4f}; shapes named right on {} held-out pictures: {:.1f}%\n\n",
               loss_value, score.pictures, 100.0 * score.correct / score.pictures);

    // 3. Where does [CLS] look? (measured on the same held-out pictures)
    fmt::print(
        "3. The shape covers {:.1f}% of the patches (on average). Of the attention [CLS] gives to patches,\n",
        100 * score.object_area);
    for (int64_t l = 0; l < s.layers; ++l)
      fmt::print("  block {}: {:.1f}% lands on the shape's patches ({:.1f}× their share of the area)\n", l,
                 100 * score.on_object[l], score.on_object[l] / score.object_area);
    fmt::print("  ([CLS] keeps {:.1f}% of its last-block attention for itself)\n\n",
               100 * score.on_cls_itself);

    // 4. A few pictures, traced. The tracer copies what every module showed it: each block's
    //    attention, where [CLS] and the patches attend to each other — a (1 + N) × (1 + N) map per
    //    head — and the model's guess. One head's map alone (37 × 37 = 1369 values here) is more
    //    than a tracer keeps of a tensor by default (1024), so raise TraceOptions::max_values to
    //    fit all the heads' maps, and each block's [1 + N, d] output.
    fmt::print("4. A few held-out pictures, traced:\n");
    const int64_t positions = 1 + s.grid() * s.grid();
    const std::string last = fmt::format("layers.{}.self_attn", s.layers - 1);  // [CLS]'s last look
    trace::Tracer tracer(model, {.max_values = std::max(s.heads * positions * positions, positions * s.dim),
                                 .vocabulary = std::vector<std::string>(kShapes.begin(), kShapes.end()),
                                 .record_graph = false,
                                 .record_backward = false});
    trace::OutputFolder out(flags.out);
    trace::Recording first;  // picture 0 as the tracer saw it, written whole below
    for (int64_t i = 0; i < std::min<int64_t>(examples, test.size()); ++i) {
      const Picture& p = test[i];
      tracer.begin_sequence(position_names(p, s));  // one sequence per picture
      NoGradGuard no_grad;
      const Reading r = model.forward(stack_pictures({p}, s).pixels);
      const std::vector<trace::AttentionMap> maps =
          trace::attention_maps(tracer.recording().sequences.back());
      const std::vector<float> attention = cls_row(traced_map(maps, last, -1));
      const std::string guess = kShapes[argmax(r.logits, 1)[0]];
      fmt::print("Picture {}: a {} (the model says: {}). Shape patches *, [CLS] attention in % (block {}):\n",
                 i, kShapes[p.label], guess, s.layers - 1);
      print_grid(p, attention, s);
      fmt::print("\n");
      // The picture itself is not an attention map: the lesson draws it, the folder writes it.
      trace::write_picture(
          out, fmt::format("picture_{}", i),
          picture_to_dot(p, s,
                         fmt::format("picture {}: a {} (patches holding it framed)", i, kShapes[p.label])),
          fmt::format("picture {}, a {}, cut into patches", i, kShapes[p.label]));
      trace::write_picture(
          out, fmt::format("cls_attention_{}", i),
          trace::heatmap_to_dot(on_grid(traced_map(maps, last, -1), attention, s.grid())),
          fmt::format("[CLS]'s attention over picture {}'s {}×{} patches ({}, mean of the heads)", i,
                      s.grid(), s.grid(), last));
      if (i == 0) {
        for (int64_t h = 0; h < s.heads; ++h) {  // each head on its own, as DINO draws them
          const trace::AttentionMap& head = traced_map(maps, last, h);
          trace::write_picture(out, fmt::format("cls_attention_0_head{}", h),
                               trace::heatmap_to_dot(on_grid(head, cls_row(head), s.grid())),
                               fmt::format("[CLS]'s attention over picture 0's {}×{} patches ({}, head {})",
                                           s.grid(), s.grid(), last, h));
        }
        first = tracer.take();
      }
    }
    // The tracer's own files for picture 0: every map whole (every position × every position, the
    // mean and each head), every value it recorded, and the model's guess; sequences.txt prints
    // whole rows (a text table shows the first few values by default). For every picture they
    // would be many large files; --examples draws more [CLS] grids instead.
    trace::write_trace_into(first, out, {.text = {.max_values = positions}});
    std::string results =
        fmt::format("held-out pictures: {}\naccuracy: {:.1f}%\nobject share of the patches: {:.1f}%\n",
                    score.pictures, 100.0 * score.correct / score.pictures, 100 * score.object_area);
    for (int64_t l = 0; l < s.layers; ++l)
      results += fmt::format("block {}: [CLS] patch attention on the object: {:.1f}%\n", l,
                             100 * score.on_object[l]);
    out.write("results.txt", results, "the numbers this run printed");
    out.write_index("Lesson 11: attention in vision — where does [CLS] look?");

    fmt::print(
        "What to look at: the model was only told the name of the shape, never where it was; yet [CLS]\n"
        "looks at the shape's patches far more than their share of the picture — attention found the "
        "object.\n");
    lessons::print_files_to_open(
        {{flags.out + "/picture_0.svg", "the first picture, patch by patch"},
         {flags.out + "/cls_attention_0.svg", "where [CLS] looks in it"},
         {flags.out + "/attention_000.svg", "the tracer's map of it: every position × every position"},
         {flags.out + "/sequences.txt", "what the tracer recorded, module by module"},
         {flags.out + "/index.txt", "every file written, with what it shows"}});
    return 0;
  });
}
