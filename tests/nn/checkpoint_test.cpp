// Lesson 05: checkpoints in the safetensors layout — bit-exact round trip, every broken-file path
// rejected before the model changes, and Python able to read what we write.
#include "nn/checkpoint.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "nn/embedding.hpp"
#include "nn/layer_norm.hpp"
#include "nn/linear.hpp"
#include "nn/rnn.hpp"
#include "nn_test_util.hpp"

using namespace glimpse;
namespace fs = std::filesystem;

namespace {

struct Model : nn::Module {
  explicit Model(Generator& gen) {
    embedding = register_module("embedding", std::make_shared<nn::Embedding>(7, 3, 0, gen));
    gru = register_module("gru", std::make_shared<nn::GRU>(3, 4, 1, /*bidirectional=*/true, gen));
    norm = register_module("norm", std::make_shared<nn::LayerNorm>(8));
    out = register_module("out", std::make_shared<nn::Linear>(8, 5, gen));
  }
  std::string kind() const override { return "Model"; }
  std::shared_ptr<nn::Embedding> embedding;
  std::shared_ptr<nn::GRU> gru;
  std::shared_ptr<nn::LayerNorm> norm;
  std::shared_ptr<nn::Linear> out;
};

// The exact bits of every parameter, by name.
std::map<std::string, std::vector<uint32_t>> bits(const nn::Module& m) {
  std::map<std::string, std::vector<uint32_t>> out;
  for (const auto& [name, p] : m.named_parameters()) {
    const std::vector<float> v = p.to_vector();
    std::vector<uint32_t> b(v.size());
    std::memcpy(b.data(), v.data(), v.size() * 4);
    out[name] = b;
  }
  return out;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A file with a hand-written header and `data_bytes` zero bytes of data.
std::string raw_file(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + std::string(data_bytes, '\0');
}

class Checkpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("glimpse_checkpoint_{}_{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Loading `bytes` into a fresh model throws a glimpse::Error naming the file and containing
  // `problem`, and leaves the model as it was.
  void expect_rejected(const std::string& bytes, const std::string& problem) {
    const fs::path path = dir_ / "broken.safetensors";
    write_bytes(path, bytes);
    Generator gen(99);
    Model model(gen);
    const auto before = bits(model);
    try {
      nn::load(model, path);
      ADD_FAILURE() << "expected an error containing: " << problem;
    } catch (const Error& e) {
      EXPECT_EQ(e.op(), "load");
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(problem), std::string::npos) << e.what();
    }
    EXPECT_EQ(bits(model), before);
  }

  fs::path dir_;
};

}  // namespace

TEST_F(Checkpoint, RoundTripIsBitExact) {
  Generator a(1), b(2);
  Model saved(a), loaded(b);
  const fs::path path = dir_ / "model.safetensors";
  nn::save(saved, path);
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1) << "no temporary left";
  ASSERT_NE(bits(saved), bits(loaded));
  const Tensor w = loaded.out->weight();
  nn::load(loaded, path);
  EXPECT_EQ(bits(loaded), bits(saved));
  EXPECT_EQ(w.node(), loaded.out->weight().node());  // same parameter tensors, new values
  // Saving again over the file replaces it.
  Generator c(3);
  Model other(c);
  nn::save(other, path);
  nn::load(loaded, path);
  EXPECT_EQ(bits(loaded), bits(other));
}

TEST_F(Checkpoint, FileLayoutIsSafetensors) {
  Generator gen(1);
  Model model(gen);
  const fs::path path = dir_ / "model.safetensors";
  nn::save(model, path);
  const std::string bytes = read_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  EXPECT_EQ(n % 8, 0u);  // padded so the data is 8-byte aligned
  const nlohmann::json header = nlohmann::json::parse(bytes.substr(8, n));
  int64_t total = 0;
  for (const auto& [name, p] : model.named_parameters()) {
    ASSERT_TRUE(header.contains(name)) << name;
    const auto& e = header[name];
    EXPECT_EQ(e["dtype"], "F32");
    EXPECT_EQ(e["shape"].get<std::vector<int64_t>>(),
              std::vector<int64_t>(p.shape().begin(), p.shape().end()));
    const auto offsets = e["data_offsets"].get<std::vector<uint64_t>>();
    EXPECT_EQ(offsets[1] - offsets[0], static_cast<uint64_t>(4 * p.numel()));
    // Little-endian float32 at the stated offset.
    const std::vector<float> v = p.to_vector();
    for (size_t i = 0; i < v.size(); ++i) {
      uint32_t word = 0;
      for (int k = 3; k >= 0; --k)
        word = (word << 8) | static_cast<uint8_t>(bytes[8 + n + offsets[0] + 4 * i + k]);
      float f;
      std::memcpy(&f, &word, 4);
      ASSERT_EQ(f, v[i]) << name << " element " << i;
    }
    total += p.numel();
  }
  EXPECT_EQ(bytes.size(), 8 + n + 4 * static_cast<uint64_t>(total));
  EXPECT_EQ(header["embedding.weight"]["shape"], nlohmann::json::parse("[7, 3]"));
}

TEST_F(Checkpoint, PythonReadsWhatWeWrite) {
  if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
  Generator gen(4);
  Model model(gen);
  const fs::path path = dir_ / "model.safetensors", out = dir_ / "read_back.json";
  nn::save(model, path);
  const std::string script = std::string(GLIMPSE_SOURCE_DIR) + "/tests/support/read_safetensors.py";
  const std::string command =
      fmt::format("/usr/bin/python3 '{}' '{}' '{}'", script, path.string(), out.string());
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(out);
  const nlohmann::json read = nlohmann::json::parse(in);
  const auto params = model.named_parameters();
  EXPECT_EQ(read.size(), params.size());
  for (const auto& [name, p] : params) {
    ASSERT_TRUE(read.contains(name)) << name;
    EXPECT_EQ(read[name]["shape"].get<std::vector<int64_t>>(),
              std::vector<int64_t>(p.shape().begin(), p.shape().end()));
    EXPECT_EQ(read[name]["data"].get<std::vector<float>>(), p.to_vector()) << name;  // exact
  }
}

TEST_F(Checkpoint, MissingFile) {
  Generator gen(1);
  Model model(gen);
  const fs::path path = dir_ / "nope.safetensors";
  try {
    nn::load(model, path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos) << e.what();
  }
}

TEST_F(Checkpoint, TruncatedFilesAreRejected) {
  Generator gen(1);
  Model model(gen);
  const fs::path path = dir_ / "model.safetensors";
  nn::save(model, path);
  const std::string good = read_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(good[i]);
  expect_rejected(good.substr(0, 0), "too short");
  expect_rejected(good.substr(0, 5), "too short");
  expect_rejected(good.substr(0, 8 + n / 2), "header length");
  expect_rejected(good.substr(0, 8 + n), "truncated");
  expect_rejected(good.substr(0, good.size() - 4), "truncated");
  expect_rejected(good.substr(0, good.size() - 1), "truncated");
  expect_rejected(good + "xyz", "bytes of data follow the last tensor");
}

TEST_F(Checkpoint, CorruptHeadersAreRejected) {
  Generator gen(1);
  Model model(gen);
  const fs::path path = dir_ / "model.safetensors";
  nn::save(model, path);
  const std::string good = read_bytes(path);
  std::string broken = good;
  broken[8] = 'x';  // the header's opening brace
  expect_rejected(broken, "not valid JSON");
  broken = good;
  for (int i = 0; i < 8; ++i) broken[i] = '\xff';
  expect_rejected(broken, "not sane");
  expect_rejected(raw_file("[1, 2, 3]", 0), "not a JSON object");
  expect_rejected(raw_file(R"({"out.bias": {"dtype": "F32", "shape": [5]}})", 20), "data_offsets");
  expect_rejected(raw_file(R"({"out.bias": {"dtype": "F32", "shape": [5], "data_offsets": [0, 16]}})", 20),
                  "needs 20 bytes but data_offsets [0, 16] hold 16");
  expect_rejected(raw_file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                               "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                           12),
                  "overlap or gap");
  expect_rejected(raw_file(R"({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", 8),
                  "not a whole number");
  expect_rejected(
      raw_file(R"({"a": {"dtype": "F32", "shape": [4000000000, 4000000000], "data_offsets": [0, 8]}})", 8),
      "more elements than any tensor can hold");
}

TEST_F(Checkpoint, WrongDtypeIsRejected) {
  Generator gen(1);
  Model model(gen);
  const fs::path path = dir_ / "model.safetensors";
  nn::save(model, path);
  std::string bytes = read_bytes(path);
  const size_t at = bytes.find("\"F32\"");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 5, "\"F16\"");
  expect_rejected(bytes, "dtype \"F16\" is not supported");
}

TEST_F(Checkpoint, WrongShapeIsRejected) {
  // A model whose "out" is Linear(5, 8) instead of Linear(8, 5): same names, other shapes.
  struct Transposed : nn::Module {
    explicit Transposed(Generator& gen) {
      register_module("embedding", std::make_shared<nn::Embedding>(7, 3, 0, gen));
      register_module("gru", std::make_shared<nn::GRU>(3, 4, 1, true, gen));
      register_module("norm", std::make_shared<nn::LayerNorm>(8));
      register_module("out", std::make_shared<nn::Linear>(5, 8, gen));
    }
    std::string kind() const override { return "Transposed"; }
  };
  Generator gen(1);
  const fs::path path = dir_ / "other.safetensors";
  nn::save(Transposed(gen), path);
  expect_rejected(read_bytes(path), "parameter 'out.weight' has shape [5, 8] in the model but [8, 5]");
}

TEST_F(Checkpoint, MissingAndUnexpectedTensorsAreRejected) {
  Generator gen(1);
  const fs::path path = dir_ / "linear.safetensors";
  nn::save(nn::Linear(3, 4, /*bias=*/false, gen), path);
  {
    nn::Linear with_bias(3, 4, true, gen);
    const std::vector<float> before = with_bias.weight().to_vector();
    try {
      nn::load(with_bias, path);
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("1 parameters missing, 0 names unexpected"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("missing 'bias'\n"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
    EXPECT_EQ(with_bias.weight().to_vector(), before);
  }
  nn::save(nn::Linear(3, 4, true, gen), path);
  nn::Linear without_bias(3, 4, false, gen);
  try {
    nn::load(without_bias, path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unexpected 'bias'"), std::string::npos) << e.what();
  }
}

TEST_F(Checkpoint, RenamedParametersAreListedWithTheNearestName) {
  // A checkpoint of an older layout (`gru.cell.weight_ih`) loaded into the new one
  // (`gru.weight_ih_l0`): every missing name is listed with its nearest name in the file.
  struct Named : nn::Module {
    Named(const std::vector<std::string>& names) {
      for (const std::string& n : names) register_parameter(n, zeros({2}));
    }
    std::string kind() const override { return "Named"; }
  };
  const fs::path path = dir_ / "old.safetensors";
  nn::save(Named({"gru.cell.weight_ih", "gru.cell.weight_hh", "out.weight", "step_count"}), path);
  Named model({"gru.weight_ih_l0", "gru.weight_hh_l0", "out.weight", "bias"});
  try {
    nn::load(model, path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("3 parameters missing, 3 names unexpected"), std::string::npos) << m;
    EXPECT_NE(m.find("missing 'gru.weight_ih_l0' (did you mean 'gru.cell.weight_ih'?)"), std::string::npos)
        << m;
    EXPECT_NE(m.find("missing 'gru.weight_hh_l0' (did you mean 'gru.cell.weight_hh'?)"), std::string::npos)
        << m;
    EXPECT_NE(m.find("missing 'bias'\n"), std::string::npos) << "no near name, no suggestion: " << m;
    EXPECT_NE(m.find("unexpected 'step_count'"), std::string::npos) << m;
    EXPECT_EQ(m.find("'out.weight'"), std::string::npos) << "matching names are not listed: " << m;
  }
}

TEST_F(Checkpoint, ADirectoryIsNotAFile) {
  Generator gen(1);
  Model model(gen);
  try {
    nn::load(model, dir_);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory, not a checkpoint file"), std::string::npos)
        << e.what();
  }
}

TEST_F(Checkpoint, DeeplyNestedHeadersAreRejectedWithoutRecursion) {
  // 100 000 levels (a 200 KB file): printing such a value in the error message used to overflow
  // the stack.
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  expect_rejected(raw_file(R"({"a": {"dtype": )" + deep + R"(, "shape": [1], "data_offsets": [0, 4]}})", 4),
                  "nests deeper than");
  expect_rejected(raw_file(R"({"a": {"dtype": "F32", "shape": )" + deep + R"(, "data_offsets": [0, 4]}})", 4),
                  "nests deeper than");
  expect_rejected(raw_file(R"({"a": {"dtype": "F32", "shape": [[[1]]], "data_offsets": [0, 4]}})", 4),
                  "shape has a size that is not a whole number: an array");
  expect_rejected(raw_file(R"({"a": {"dtype": {"x": [1, 2]}, "shape": [1], "data_offsets": [0, 4]}})", 4),
                  "dtype is an object, not a string");
}

TEST_F(Checkpoint, NumbersJsonCannotHoldAreRejected) {
  expect_rejected(raw_file(R"({"a": {"dtype": "F32", "shape": [1e400], "data_offsets": [0, 4]}})", 4),
                  "not valid JSON");
  expect_rejected(raw_file(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, -1e400]}})", 4),
                  "not valid JSON");
  expect_rejected(raw_file(R"({"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", 4),
                  "not a whole number: 1.5");
}

TEST_F(Checkpoint, ShapeProductsThatOverflowAreRejected) {
  // The product of the sizes would wrap around in 64 bits; with a 0 the tensor is empty, but
  // its strides would still overflow.
  for (const char* shape : {"[4611686018427387904, 4, 0]", "[0, 4611686018427387904, 8]",
                            "[4294967296, 4294967296, 16]", "[18446744073709551615]"})
    expect_rejected(
        raw_file(fmt::format(R"({{"a": {{"dtype": "F32", "shape": {}, "data_offsets": [0, 0]}}}})", shape),
                 0),
        "more elements than any tensor can hold");
  // Offsets that would wrap around when checked as begin + size.
  expect_rejected(raw_file(R"({"a": {"dtype": "F32", "shape": [1],
                                     "data_offsets": [18446744073709551612, 0]}})",
                           4),
                  "end before they begin");
  expect_rejected(raw_file(R"({"a": {"dtype": "F32", "shape": [1],
                                     "data_offsets": [18446744073709551612, 18446744073709551616]}})",
                           4),
                  "data_offsets must be two non-negative integers");
  expect_rejected(raw_file(R"({"a": {"dtype": "F32", "shape": [1],
                                     "data_offsets": [18446744073709551608, 18446744073709551612]}})",
                           4),
                  "run past the 4 bytes of data");
}

TEST_F(Checkpoint, ConcurrentSavesToOnePathNeverFailAndAreNeverSeenHalfWritten) {
  // Four writers save models of different values to one path while a reader loads it: every
  // save succeeds and every load sees one whole checkpoint (it has the bits of one writer).
  const fs::path path = dir_ / "shared.safetensors";
  Generator seed(1);
  nn::save(Model(seed), path);
  constexpr int kWriters = 4, kSaves = 40;
  std::vector<std::map<std::string, std::vector<uint32_t>>> written(kWriters + 1);
  written[kWriters] = [&] {
    Generator g(1);
    return bits(Model(g));
  }();
  std::atomic<int> failures{0}, writers_done{0};
  std::vector<std::string> messages(kWriters + 1);
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Model>> models;
  for (int w = 0; w < kWriters; ++w) {
    Generator g(100 + w);
    models.push_back(std::make_unique<Model>(g));
    written[w] = bits(*models.back());
  }
  for (int w = 0; w < kWriters; ++w)
    threads.emplace_back([&, w] {
      for (int i = 0; i < kSaves; ++i) {
        try {
          nn::save(*models[w], path);
        } catch (const Error& e) {
          ++failures;
          messages[w] = e.what();
        }
      }
      ++writers_done;
    });
  int loads = 0, mixed = 0;
  Generator g(7);
  Model reader(g);
  while (writers_done < kWriters) {
    try {
      nn::load(reader, path);
      ++loads;
      if (std::find(written.begin(), written.end(), bits(reader)) == written.end()) ++mixed;
    } catch (const Error& e) {
      ++failures;
      messages[kWriters] = e.what();
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0) << messages[0] << messages[1] << messages[2] << messages[3] << messages[kWriters];
  EXPECT_EQ(mixed, 0);
  EXPECT_GT(loads, 0);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) files += entry.path() != path;
  EXPECT_EQ(files, 0) << "no temporary is left behind";
}

TEST_F(Checkpoint, TemporariesOfAKilledSaveAreRemovedByTheNextOne) {
  const fs::path path = dir_ / "ckpt.safetensors";
  for (const char* stale : {".ckpt.safetensors.tmp-3f2a9c01b7de", "ckpt.safetensors.tmp"})
    write_bytes(dir_ / stale, "half a checkpoi");
  write_bytes(dir_ / ".other.safetensors.tmp-000000000000", "another file's");
  Generator gen(1);
  nn::save(Model(gen), path);
  EXPECT_FALSE(fs::exists(dir_ / ".ckpt.safetensors.tmp-3f2a9c01b7de"));
  EXPECT_FALSE(fs::exists(dir_ / "ckpt.safetensors.tmp"));
  EXPECT_TRUE(fs::exists(dir_ / ".other.safetensors.tmp-000000000000")) << "only this file's temporaries";
  EXPECT_TRUE(fs::exists(path));
}

TEST_F(Checkpoint, SaveIntoAMissingDirectoryFailsCleanly) {
  Generator gen(1);
  nn::Linear layer(2, 2, gen);
  try {
    nn::save(layer, dir_ / "no_such_dir" / "m.safetensors");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "save");
    EXPECT_NE(std::string(e.what()).find("no_such_dir"), std::string::npos) << e.what();
  }
}

TEST_F(Checkpoint, TheFuzzSeedsAreWhatTheirNamesSay) {
  // fuzz/corpus/checkpoint: one valid checkpoint of a Linear(3, 2), the rest each broken in the
  // way its name says. (Inputs the fuzzer once crashed on would join them as regression tests.)
  const fs::path seeds = fs::path(GLIMPSE_SOURCE_DIR) / "fuzz" / "corpus" / "checkpoint";
  const std::map<std::string, std::string> problems = {
      {"deep_nesting", "nests deeper than"},
      {"huge_number", "not valid JSON"},
      {"not_json", "not valid JSON"},
      {"overflowing_shape", "more elements than any tensor can hold"},
      {"overlapping_offsets", "overlap or gap"},
      {"renamed_names", "missing 'weight' (did you mean 'cell.weight'?)"},
      {"truncated", "truncated"},
      {"wrong_dtype", "dtype \"F16\" is not supported"},
  };
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(seeds)) {
    const std::string name = entry.path().filename().string();
    ++seen;
    Generator gen(1);
    nn::Linear model(3, 2, gen);
    if (name == "valid_linear") {
      nn::load(model, entry.path());
      EXPECT_EQ(model.weight().to_vector(), (std::vector<float>{0.5f, -0.25f, 1.0f, 2.0f, -1.5f, 0.125f}));
      EXPECT_EQ(model.bias().to_vector(), (std::vector<float>{0.0f, 1.0f}));
      continue;
    }
    ASSERT_TRUE(problems.contains(name)) << "a seed without an expected problem: " << name;
    try {
      nn::load(model, entry.path());
      ADD_FAILURE() << name << " loaded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(problems.at(name)), std::string::npos) << name << ": " << e.what();
    }
  }
  EXPECT_EQ(seen, 9);
}
