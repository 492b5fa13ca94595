// Issue 12: IDX files (Fashion-MNIST's format), from files the tests write themselves, plain and
// gzip-compressed, good and broken; and Debian's dataset-fashion-mnist where it is installed.
#include "nn/idx_file.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/error_message.hpp"

using namespace glimpse;
using namespace glimpse::nn;
namespace fs = std::filesystem;

namespace {

// An IDX file of unsigned bytes: header, big-endian sizes, values.
std::string idx_bytes(const std::vector<uint32_t>& shape, const std::vector<uint8_t>& values) {
  std::string out = {0, 0, 0x08, static_cast<char>(shape.size())};
  for (uint32_t size : shape)
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((size >> shift) & 0xff);
  out.append(values.begin(), values.end());
  return out;
}

void write_gzip(const fs::path& file, const std::string& bytes) {
  gzFile out = gzopen(file.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  ASSERT_EQ(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(out);
}

struct TempFolder {
  explicit TempFolder(const std::string& name)
      : path(fs::temp_directory_path() / ("glimpse_idx_test_" + name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempFolder() { fs::remove_all(path); }
  fs::path path;
};

// Three 28 × 28 images (all 0 but one pixel each) and their labels, as Debian names the files.
void write_tiny_fashion_mnist(const fs::path& folder, std::vector<uint8_t> labels = {9, 0, 3}) {
  std::vector<uint8_t> pixels(3 * 28 * 28, 0);
  for (size_t i = 0; i < 3; ++i) pixels[i * 28 * 28 + 28 * 14 + 14] = static_cast<uint8_t>(85 * (i + 1));
  write_gzip(folder / "t10k-images-idx3-ubyte.gz", idx_bytes({3, 28, 28}, pixels));
  write_gzip(folder / "t10k-labels-idx1-ubyte.gz", idx_bytes({static_cast<uint32_t>(labels.size())}, labels));
}

}  // namespace

TEST(IdxFile, ReadsShapeAndValuesPlainOrGzip) {
  const std::string bytes = idx_bytes({2, 3}, {1, 2, 3, 4, 5, 6});
  const IdxArray a = parse_idx(bytes, "a.idx");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.values, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
  TempFolder tmp("plain_gzip");
  std::ofstream(tmp.path / "plain.idx", std::ios::binary) << bytes;
  write_gzip(tmp.path / "packed.idx.gz", bytes);
  EXPECT_EQ(read_idx(tmp.path / "plain.idx").values, a.values);
  EXPECT_EQ(read_idx(tmp.path / "packed.idx.gz").values, a.values);
}

TEST(IdxFile, EveryBrokenHeaderOrSizeIsNamedWithItsOffset) {
  const auto message = [](const std::string& bytes) {
    return test::error_message([&] { (void)parse_idx(bytes, "x.idx"); });
  };
  const std::string good = idx_bytes({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_NE(
      message(std::string("\x01\x00\x08\x01", 4)).find("x.idx: not an IDX file: bytes 0-1 are 0x01 0x00"),
      std::string::npos);
  EXPECT_NE(message(std::string("\0\0\x0d\x01", 4)).find("value type 0x0d at offset 2"), std::string::npos);
  EXPECT_NE(message(std::string("\0\0\x08\x00", 4)).find("0 dimensions at offset 3"), std::string::npos);
  EXPECT_NE(message(idx_bytes({2, 0}, {})).find("dimension 1 at offset 8 is 0"), std::string::npos);
  EXPECT_NE(message(idx_bytes({0xffffffffu}, {})).find("dimension 0 at offset 4 is 4294967295"),
            std::string::npos);
  EXPECT_NE(message(idx_bytes({65536, 65536}, {})).find("dimension 1 at offset 8 is 65536"),
            std::string::npos);
  EXPECT_NE(message(good.substr(0, good.size() - 1))
                .find("make 6 values from offset 12, but the file has 5 bytes "
                      "there (truncated)"),
            std::string::npos);
  EXPECT_NE(message(good + "x").find("7 bytes there (extra bytes at the end)"), std::string::npos);
  for (size_t size = 0; size < good.size(); ++size)  // every cut is an error, never a read past the end
    EXPECT_THROW((void)parse_idx(good.substr(0, size), "cut.idx"), Error) << size;
}

TEST(IdxFile, ABrokenGzipStreamIsAnError) {
  TempFolder tmp("broken_gzip");
  std::vector<uint8_t> values(5000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<uint8_t>(i * 7);
  write_gzip(tmp.path / "a.gz", idx_bytes({5000}, values));
  std::string packed;
  {
    std::ifstream in(tmp.path / "a.gz", std::ios::binary);
    packed.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::string corrupt = packed;
  for (size_t i = 20; i < 40; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  std::ofstream(tmp.path / "corrupt.gz", std::ios::binary) << corrupt;
  EXPECT_NE(test::error_message([&] { (void)read_idx(tmp.path / "corrupt.gz"); }).find("corrupt.gz"),
            std::string::npos);
  std::ofstream(tmp.path / "cut.gz", std::ios::binary) << packed.substr(0, packed.size() / 2);
  EXPECT_NE(test::error_message([&] { (void)read_idx(tmp.path / "cut.gz"); }).find("cut.gz"),
            std::string::npos);
  EXPECT_NE(test::error_message([&] { (void)read_idx(tmp.path / "none.gz"); }).find("no such file"),
            std::string::npos);
}

TEST(IdxFile, FashionMnistImagesInZeroToOneAndTheirLabels) {
  TempFolder tmp("fashion");
  write_tiny_fashion_mnist(tmp.path);
  const FashionMnist data = read_fashion_mnist(tmp.path, "t10k");
  EXPECT_EQ(data.images.shape(), (Shape{3, 28, 28}));
  EXPECT_EQ(data.labels.values, (std::vector<int64_t>{9, 0, 3}));
  EXPECT_FLOAT_EQ(data.images.at({2, 14, 14}), 1.0f);
  EXPECT_EQ(data.images.at({2, 0, 0}), 0.0f);  // the background is exactly 0
  EXPECT_EQ(read_fashion_mnist(tmp.path, "t10k", 2).labels.values, (std::vector<int64_t>{9, 0}));
  EXPECT_EQ(fashion_mnist_classes().at(9), "Ankle boot");
}

TEST(IdxFile, FashionMnistErrorsSayWhatToInstallOrWhatDisagrees) {
  TempFolder tmp("fashion_errors");
  EXPECT_NE(test::error_message([&] {
              (void)read_fashion_mnist(tmp.path, "t10k");
            }).find("is missing: apt-get install dataset-fashion-mnist"),
            std::string::npos);
  EXPECT_NE(test::error_message([&] { (void)read_fashion_mnist(tmp.path, "test"); }).find("split 'test'"),
            std::string::npos);
  write_tiny_fashion_mnist(tmp.path, {1, 2});  // two labels for three images
  EXPECT_NE(test::error_message([&] {
              (void)read_fashion_mnist(tmp.path, "t10k");
            }).find("expected images [N, 28, 28] and labels [N], got [3, 28, 28]"),
            std::string::npos);
  write_tiny_fashion_mnist(tmp.path, {1, 12, 2});
  EXPECT_NE(test::error_message([&] {
              (void)read_fashion_mnist(tmp.path, "t10k");
            }).find("label 1 at offset 9 is 12"),
            std::string::npos);
}

// Debian's package, where it is installed (skipped with a message otherwise).
TEST(IdxFile, DebiansFashionMnistWhereItIsInstalled) {
  if (!fs::exists(fs::path(kFashionMnistFolder) / "t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << kFashionMnistFolder << " is not here (apt-get install dataset-fashion-mnist)";
  const FashionMnist data = read_fashion_mnist(kFashionMnistFolder, "t10k");
  EXPECT_EQ(data.images.shape(), (Shape{10000, 28, 28}));
  int64_t zero = 0;
  for (float v : data.images.to_vector()) zero += v == 0.0f;
  EXPECT_GT(zero, data.images.numel() / 4);  // a background of exact zeros
}
