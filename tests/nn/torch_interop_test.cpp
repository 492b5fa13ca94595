// Issue 9 (PyTorch habits): a learner moves on to PyTorch with their checkpoint. A Glimpse Seq2seq
// (bidirectional GRU encoder + Bahdanau attention decoder) is saved, loaded by
// tools/glimpse_checkpoint.py into the same model written in PyTorch (tests/support/seq2seq_torch.py)
// with load_state_dict(strict=True), and both compute the same logits and attention within 1e-5.
// Needs Debian's python3-torch; skipped, saying so, where it is not installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nn/checkpoint.hpp"
#include "nn/seq2seq.hpp"

using namespace glimpse;
namespace fs = std::filesystem;

namespace {

const std::string kPython = "/usr/bin/python3";  // Debian's, where python3-torch installs torch
const fs::path kSource = GLIMPSE_SOURCE_DIR;

bool torch_available() {
  return fs::exists(kPython) && std::system((kPython + " -c 'import torch' > /dev/null 2>&1").c_str()) == 0;
}

nlohmann::json entry(const Tensor& t) {
  return {{"shape", std::vector<int64_t>(t.shape().begin(), t.shape().end())}, {"data", t.contiguous().to_vector()}};
}

std::vector<std::vector<int64_t>> rows(const IndexTensor& ids) {
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(ids.shape[0]));
  for (int64_t b = 0; b < ids.shape[0]; ++b)
    for (int64_t t = 0; t < ids.shape[1]; ++t) out[b].push_back(ids.values[b * ids.shape[1] + t]);
  return out;
}

nn::Example example(std::vector<std::string> source, std::vector<std::string> target) {
  nn::Example e;
  e.source = std::move(source);
  e.target = std::move(target);
  return e;
}

class TorchInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!torch_available())
      GTEST_SKIP() << "python3-torch is not installed (Debian: apt-get install python3-torch): the PyTorch "
                      "round trip of a Glimpse checkpoint is not checked here";
    dir_ = fs::temp_directory_path() / fmt::format("glimpse_torch_interop_{}", ::getpid());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  // Runs a script with the given arguments; its exit code.
  int python(const fs::path& script, const std::vector<fs::path>& args) {
    std::string command = kPython + " '" + script.string() + "'";
    for (const fs::path& a : args) command += " '" + a.string() + "'";
    return WEXITSTATUS(std::system(command.c_str()));
  }
  fs::path dir_;
};

}  // namespace

TEST_F(TorchInterop, Seq2seqCheckpointLoadsIntoTorchAndComputesTheSameOutputs) {
  constexpr int64_t kEmbedding = 5, kHidden = 4, kAttention = 6;
  const nn::Vocab vocab({"a", "b", "c", "d", "e", "f"});
  Generator gen(42);
  auto encoder = std::make_shared<nn::Encoder>(vocab.size(), kEmbedding, kHidden, /*bidirectional=*/true, gen);
  auto decoder = std::make_shared<nn::AttentionDecoder>(vocab.size(), kEmbedding, encoder->output_size(), kAttention, gen);
  nn::Seq2seq model(encoder, decoder);
  model.eval();
  // Two sources of different lengths, so the shorter one is padded (and masked) in both frameworks.
  const std::vector<nn::Example> examples = {example({"a", "b", "c", "d", "e"}, {"e", "d", "c"}),
                                             example({"f", "a", "b"}, {"b", "a", "f", "f"})};
  const nn::Batch batch = nn::make_batch(examples, vocab, vocab);
  ASSERT_EQ(batch.source_lengths, (std::vector<int64_t>{5, 3}));
  const nn::DecoderMemory memory = model.encode(batch.source, batch.source_mask);
  const nn::DecoderOutput out = model.decoder().forward(batch.decoder_input, memory);

  const fs::path checkpoint = dir_ / "seq2seq.safetensors", run = dir_ / "run.json";
  nn::save(model, checkpoint);
  nlohmann::json j;
  j["sizes"] = {{"vocab", vocab.size()}, {"embedding", kEmbedding}, {"hidden", kHidden}, {"bidirectional", true},
                {"attention", kAttention}};
  j["source"] = rows(batch.source);
  j["lengths"] = batch.source_lengths;
  j["decoder_input"] = rows(batch.decoder_input);
  j["logits"] = entry(out.logits);
  j["attention"] = entry(out.attention);
  j["final"] = entry(memory.final);
  std::ofstream(run) << j.dump();
  EXPECT_EQ(python(kSource / "tests" / "support" / "seq2seq_torch.py", {checkpoint, run}), 0)
      << "the PyTorch model disagrees with Glimpse's, or did not load the checkpoint (see its message above)";
}

TEST_F(TorchInterop, ToolListsTheStateDictAndRejectsATruncatedFile) {
  Generator gen(1);
  nn::GRU gru(3, 4, /*num_layers=*/2, /*bidirectional=*/true, gen);
  const fs::path checkpoint = dir_ / "gru.safetensors", listing = dir_ / "listing.txt";
  nn::save(gru, checkpoint);
  const fs::path tool = kSource / "tools" / "glimpse_checkpoint.py";
  ASSERT_EQ(std::system(fmt::format("{} '{}' '{}' > '{}'", kPython, tool.string(), checkpoint.string(),
                                    listing.string())
                            .c_str()),
            0);
  std::ifstream in(listing);
  std::string listed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& [name, p] : gru.named_parameters())  // torch.nn.GRU(3, 4, 2, bidirectional=True)'s names
    EXPECT_NE(listed.find(name + "\t" + fmt::format("[{}]", fmt::join(p.shape(), ", "))), std::string::npos) << name;
  fs::resize_file(checkpoint, fs::file_size(checkpoint) - 4);
  EXPECT_EQ(python(tool, {checkpoint}), 1);
}
