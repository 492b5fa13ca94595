// Shared by the trace tests: a tiny seq2seq with attention (the model of lessons 06-07, at toy
// size) and a fixed example, so every test traces the same deterministic computation.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "glimpse.hpp"
#include "nn/batch.hpp"
#include "nn/seq2seq.hpp"
#include "nn/vocab.hpp"

namespace glimpse::test {

struct TinySeq2seq {
  explicit TinySeq2seq(uint64_t seed = 7) : gen(seed) {
    auto encoder = std::make_shared<nn::Encoder>(vocab.size(), 3, 4, false, gen);
    auto decoder = std::make_shared<nn::AttentionDecoder>(vocab.size(), 3, 4, 3, gen);
    model = std::make_shared<nn::Seq2seq>(encoder, decoder);
  }

  // The batch for one example (or several, padded to the longest).
  nn::Batch batch(const std::vector<nn::Example>& examples) const {
    return nn::make_batch(examples, vocab, vocab);
  }
  static nn::Example example() { return {{"a", "b", "c"}, {"c", "b", "a"}, {{2}, {1}, {0}}, -1}; }

  nn::Vocab vocab{std::vector<std::string>{"a", "b", "c"}};
  Generator gen;
  std::shared_ptr<nn::Seq2seq> model;
};

// A fresh, empty folder under the system temp dir, removed when the test ends.
class TempFolder {
 public:
  explicit TempFolder(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / ("glimpse_trace_test_" + name)) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ignored);
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace glimpse::test
