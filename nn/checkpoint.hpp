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
#include <string>
#include <utility>
#include <vector>

#include "nn/module.hpp"

namespace glimpse::nn {

// Writes every parameter of `module` to `path`. The file appears atomically: the data goes to
// `path.tmp`, which is flushed and then renamed over `path`, so a crash never leaves a
// half-written checkpoint behind.
void save(const Module& module, const std::filesystem::path& path, Loc loc = Loc::current());

// Reads `path` into the parameters of `module`. Everything is checked first — the file exists,
// the header length is sane, the header is valid JSON, every tensor is F32 with offsets inside
// the data and a size matching its shape, no bytes are missing or left over, and the names and
// shapes are exactly the module's — so on any error the module is untouched. Errors are
// glimpse::Errors naming the file and the problem.
void load(Module& module, const std::filesystem::path& path, Loc loc = Loc::current());

// The building blocks: any named tensors to and from a safetensors file, with the same checks.
void write_safetensors(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, Tensor>>& tensors, Loc loc = Loc::current());
std::map<std::string, Tensor> read_safetensors(const std::filesystem::path& path, Loc loc = Loc::current());

}  // namespace glimpse::nn
