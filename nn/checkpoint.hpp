// Checkpoints: a module's named parameters saved to and loaded from a file in the safetensors
// layout, which PyTorch users can read (safetensors.torch.load_file).
// Introduced in lesson 05 (training an encoder-decoder long enough to want to keep it).
//
// The layout:
//   8 bytes   N, the header's length, as a little-endian uint64
//   N bytes   a JSON header: {"encoder.gru.weight_ih_l0": {"dtype": "F32", "shape": [96, 16],
//             "data_offsets": [begin, end]}, ..., "__metadata__": {...}}
//   the rest  the tensors' raw little-endian float32 values; offsets count from here
#pragma once

#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "nn/module.hpp"

namespace glimpse::nn {

// Writes every parameter of `module` to `path`. The file appears atomically: the data goes to a
// temporary of this save's own beside it (`.NAME.tmp-XXXXXX`), which is then renamed over
// `path`, so neither a crash nor a second process saving to the same path leaves a
// half-written checkpoint behind; temporaries of a killed save are removed by the next one.
void save(const Module& module, const std::filesystem::path& path, Loc caller = Loc::current());

// Reads `path` into the parameters of `module`. Everything is checked first — the file exists,
// the header length is sane, the header is valid JSON nested at most a few levels, every tensor
// is F32 with offsets inside the data and a size matching its shape, no bytes are missing or
// left over, and the names and shapes are exactly the module's (missing names are listed with
// the nearest name in the file) — so on any error the module is untouched. Errors are
// glimpse::Errors naming the file and the problem.
void load(Module& module, const std::filesystem::path& path, Loc caller = Loc::current());

// The building blocks: any named tensors to and from a safetensors file, with the same checks.
void write_safetensors(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, Tensor>>& tensors,
                       Loc caller = Loc::current());
std::map<std::string, Tensor> read_safetensors(const std::filesystem::path& path,
                                               Loc caller = Loc::current());

namespace detail {
// read_safetensors on the bytes of a file already read; `file` names it in errors. (The fuzz
// target in fuzz/ calls it with random bytes.)
std::map<std::string, Tensor> parse_safetensors(std::span<const char> bytes, const std::string& file);
}  // namespace detail

}  // namespace glimpse::nn
