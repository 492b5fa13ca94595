// IDX files, the format of MNIST and of Debian's dataset-fashion-mnist (70 000 clothing images of
// 28 × 28 grey pixels, on a background that is exactly 0, so the object's mask is exact). Issue
// 12's real pictures.
//
//   offset 0   0x00 0x00, then the type (0x08: unsigned bytes, the only one these files use), then
//              the number of dimensions n
//          4   n sizes, 32-bit big-endian
//     4 + 4n   the values, row-major: exactly the product of the sizes, nothing after
// Debian ships them gzip-compressed (*-idx3-ubyte.gz); zlib reads both forms.
//
// The files are untrusted input: a wrong magic, a zero or huge dimension, a file shorter or longer
// than its header says, or a broken gzip stream is a glimpse::Error naming the file and the offset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "autograd/error.hpp"
#include "autograd/tensor.hpp"

namespace glimpse::nn {

struct IdxArray {
  std::vector<int64_t> shape;
  std::vector<uint8_t> values;  // row-major, the product of `shape` of them
};

// The bytes of an IDX file, read from `bytes` (already decompressed); `name` stands for the file.
IdxArray parse_idx(std::string_view bytes, const std::string& name, Loc caller = Loc::current());

// Reads `file`, gzip-compressed or not.
IdxArray read_idx(const std::filesystem::path& file, Loc caller = Loc::current());

// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* kFashionMnistFolder = "/usr/share/datasets/fashion-mnist";

struct FashionMnist {
  Tensor images;       // [N, 28, 28], pixels / 255 in [0, 1]; the background is exactly 0
  IndexTensor labels;  // [N], 0..9 (kFashionMnistClasses)
};

// "T-shirt/top", "Trouser", ... in label order.
const std::vector<std::string>& fashion_mnist_classes();

// The first `count` images and labels of the "train" (60 000) or "t10k" (10 000) split in `folder`
// (count 0: all). Missing files are an error saying `apt-get install dataset-fashion-mnist`; so
// are images and labels that disagree in number, or a label above 9.
FashionMnist read_fashion_mnist(const std::filesystem::path& folder, const std::string& split,
                                int64_t count = 0, Loc caller = Loc::current());

}  // namespace glimpse::nn
