// Writes what lesson 11 reads, small, so that its tests need no dataset-fashion-mnist: a few
// 28 × 28 pictures in Fashion-MNIST's four IDX files, under Debian's file names. The files are
// not gzip-compressed (zlib reads both forms). Each picture is a bright block of its class's
// width on a background of exactly 0, as in the real data.
//   write_fashion_mnist FOLDER     → FOLDER/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

void put_u32(std::string& out, uint32_t v) {  // big-endian, as IDX is
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

void write_split(const std::filesystem::path& folder, const std::string& split, uint32_t count) {
  std::string images, labels;
  images += std::string("\0\0\x08\x03", 4), put_u32(images, count), put_u32(images, 28), put_u32(images, 28);
  labels += std::string("\0\0\x08\x01", 4), put_u32(labels, count);
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t label = i % 10, width = 6 + 2 * label, top = 2 + i % 5, left = (28 - width) / 2;
    for (uint32_t y = 0; y < 28; ++y)
      for (uint32_t x = 0; x < 28; ++x) {
        const bool inside = y >= top && y < top + 20 && x >= left && x < left + width;
        images += static_cast<char>(inside ? 120 + (x * 7 + y * 3 + i) % 120 : 0);
      }
    labels += static_cast<char>(label);
  }
  std::ofstream(folder / (split + "-images-idx3-ubyte.gz"), std::ios::binary) << images;
  std::ofstream(folder / (split + "-labels-idx1-ubyte.gz"), std::ios::binary) << labels;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_fashion_mnist FOLDER\n");
    return 2;
  }
  const std::filesystem::path folder = argv[1];
  std::filesystem::create_directories(folder);
  write_split(folder, "train", 200);
  write_split(folder, "t10k", 50);
  return 0;
}
