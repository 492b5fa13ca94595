// Issue 12: IDX files (MNIST's format), gzip or not, every size checked against the header.
#include "nn/idx_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nn/gzip_file.hpp"

namespace glimpse::nn {

namespace {

constexpr const char* kOp = "read_idx";
constexpr uint8_t kUnsignedBytes = 0x08;
// Larger than any file of these sets (train images: 47 040 016 bytes); more is a broken or
// hostile file, refused before it fills the memory.
constexpr uint64_t kMaxBytes = uint64_t{1} << 30;

uint32_t big_endian(std::string_view bytes, size_t at) {
  uint32_t v = 0;
  for (size_t k = 0; k < 4; ++k) v = (v << 8) | static_cast<unsigned char>(bytes[at + k]);
  return v;
}

}  // namespace

IdxArray parse_idx(std::string_view bytes, const std::string& name, Loc caller) {
  const auto check = [&](bool ok, auto&& make_message) {
    glimpse::detail::check(ok, kOp, caller, [&] { return fmt::format("{}: {}", name, make_message()); });
  };
  check(bytes.size() >= 4,
        [&] { return fmt::format("{} bytes: too short for an IDX header (4 bytes)", bytes.size()); });
  check(bytes[0] == 0 && bytes[1] == 0, [&] {
    return fmt::format("not an IDX file: bytes 0-1 are 0x{:02x} 0x{:02x}, expected 0x00 0x00",
                       static_cast<unsigned char>(bytes[0]), static_cast<unsigned char>(bytes[1]));
  });
  const auto type = static_cast<uint8_t>(bytes[2]);
  check(type == kUnsignedBytes, [&] {
    return fmt::format("value type 0x{:02x} at offset 2: only unsigned bytes (0x08) are read", type);
  });
  const auto dims = static_cast<uint8_t>(bytes[3]);
  check(dims >= 1 && dims <= 4,
        [&] { return fmt::format("{} dimensions at offset 3: expected 1 to 4", dims); });
  check(bytes.size() >= 4 + 4 * size_t{dims}, [&] {
    return fmt::format("{} bytes: the header's {} sizes end at offset {}", bytes.size(), dims, 4 + 4 * dims);
  });
  IdxArray array;
  uint64_t count = 1;
  for (size_t d = 0; d < dims; ++d) {
    const uint32_t size = big_endian(bytes, 4 + 4 * d);
    check(size >= 1 && count * size <= kMaxBytes, [&] {
      return fmt::format(
          "dimension {} at offset {} is {}: a size must be 1 or more, and all of them at most {} "
          "values",
          d, 4 + 4 * d, size, kMaxBytes);
    });
    count *= size;
    array.shape.push_back(size);
  }
  const uint64_t data_at = 4 + 4 * uint64_t{dims};
  check(bytes.size() - data_at == count, [&] {
    return fmt::format(
        "the header's sizes [{}] make {} values from offset {}, but the file has {} bytes there ({})",
        fmt::join(array.shape, ", "), count, data_at, bytes.size() - data_at,
        bytes.size() - data_at < count ? "truncated" : "extra bytes at the end");
  });
  array.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_at), bytes.end());
  return array;
}

IdxArray read_idx(const std::filesystem::path& file, Loc caller) {
  return parse_idx(read_gzip_file(file, kOp, kMaxBytes, caller), file.string(), caller);
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> classes = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                   "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                   "Bag",         "Ankle boot"};
  return classes;
}

FashionMnist read_fashion_mnist(const std::filesystem::path& folder, const std::string& split, int64_t count,
                                Loc caller) {
  glimpse::detail::check(split == "train" || split == "t10k", "read_fashion_mnist", caller,
                         [&] { return fmt::format("split '{}': expected \"train\" or \"t10k\"", split); });
  const std::filesystem::path images_file = folder / (split + "-images-idx3-ubyte.gz");
  const std::filesystem::path labels_file = folder / (split + "-labels-idx1-ubyte.gz");
  for (const auto& file : {images_file, labels_file}) {
    std::error_code ec;
    glimpse::detail::check(std::filesystem::is_regular_file(file, ec), "read_fashion_mnist", caller, [&] {
      return fmt::format("'{}' is missing: apt-get install dataset-fashion-mnist", file.string());
    });
  }
  const IdxArray images = read_idx(images_file, caller), labels = read_idx(labels_file, caller);
  glimpse::detail::check(images.shape.size() == 3 && images.shape[1] == 28 && images.shape[2] == 28 &&
                             labels.shape.size() == 1 && labels.shape[0] == images.shape[0],
                         "read_fashion_mnist", caller, [&] {
                           return fmt::format(
                               "expected images [N, 28, 28] and labels [N], got [{}] in '{}' and [{}] "
                               "in '{}'",
                               fmt::join(images.shape, ", "), images_file.string(),
                               fmt::join(labels.shape, ", "), labels_file.string());
                         });
  const int64_t n = count > 0 ? std::min(count, images.shape[0]) : images.shape[0];
  std::vector<float> pixels(static_cast<size_t>(n) * 28 * 28);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>(images.values[i]) / 255.0f;
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    ids[i] = labels.values[i];
    glimpse::detail::check(ids[i] <= 9, "read_fashion_mnist", caller, [&] {
      return fmt::format("'{}': label {} at offset {} is {}, expected 0..9", labels_file.string(), i, 8 + i,
                         ids[i]);
    });
  }
  return {from_vector(pixels, {n, 28, 28}), IndexTensor(std::move(ids), {n})};
}

}  // namespace glimpse::nn
