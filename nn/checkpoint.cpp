// Lesson 05: saving and loading a model. The format is simple enough to write by hand — a
// length, a JSON header, raw floats — and every way a file can be wrong is checked before the
// model is touched.
#include "nn/checkpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "autograd/tape.hpp"
#include "nn/state.hpp"

namespace glimpse::nn {

using glimpse::detail::check;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the limit the safetensors library enforces

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

// Little-endian bytes <-> values, whatever the machine's own byte order.
// (The same function converts both ways: it swaps bytes or does nothing.)
template <class T>
T from_little_endian(T v) {
  if constexpr (std::endian::native == std::endian::big) {
    T swapped = 0;
    for (size_t i = 0; i < sizeof(T); ++i, v >>= 8) swapped = static_cast<T>((swapped << 8) | (v & 0xff));
    return swapped;
  }
  return v;
}
uint32_t float_bits(float f) { return std::bit_cast<uint32_t>(f); }

}  // namespace

// ---- writing -------------------------------------------------------------------------------

void write_safetensors(const fs::path& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       Loc loc) {
  // The header, in the order given; each tensor's bytes follow the previous one's.
  nlohmann::ordered_json header;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    check(t.defined() && name != "__metadata__", "save", loc,
          [&] { return fmt::format("cannot write tensor '{}' to {}", name, quoted(path)); });
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * sizeof(float);
    header[name] = {{"dtype", "F32"},
                    {"shape", std::vector<int64_t>(t.shape().begin(), t.shape().end())},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  header["__metadata__"] = {{"format", "pt"}};
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // pad so the data starts 8-byte aligned

  const fs::path tmp = fs::path(path).concat(".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    check(out.good(), "save", loc, [&] { return fmt::format("cannot open {} for writing", quoted(tmp)); });
    const uint64_t n = from_little_endian<uint64_t>(json.size());
    out.write(reinterpret_cast<const char*>(&n), sizeof n);
    out.write(json.data(), static_cast<std::streamsize>(json.size()));
    NoGradGuard no_grad;
    for (const auto& [name, t] : tensors) {
      const Tensor c = t.contiguous();
      std::vector<uint32_t> words(static_cast<size_t>(c.numel()));
      for (size_t i = 0; i < words.size(); ++i) words[i] = from_little_endian(float_bits(c.data()[i]));
      out.write(reinterpret_cast<const char*>(words.data()), static_cast<std::streamsize>(words.size() * 4));
    }
    out.flush();
    if (!out.good()) {
      out.close();
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw Error("save", fmt::format("writing {} failed (disk full?)", quoted(tmp)), loc);
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw Error("save", fmt::format("cannot rename {} to {}: {}", quoted(tmp), quoted(path), ec.message()),
                loc);
  }
}

void save(const Module& module, const fs::path& path, Loc loc) {
  write_safetensors(path, module.named_parameters(), loc);
}

// ---- reading -------------------------------------------------------------------------------

std::map<std::string, Tensor> read_safetensors(const fs::path& path, Loc loc) {
  const std::string file = quoted(path);
  const auto fail = [&](const std::string& problem) { throw Error("load", file + ": " + problem, loc); };

  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) fail("no such file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open the file for reading");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail("reading the file failed");

  // 1. The header length.
  if (bytes.size() < 8)
    fail(fmt::format("only {} bytes: too short for the 8-byte header length", bytes.size()));
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  header_len = from_little_endian(header_len);
  if (header_len == 0 || header_len > kMaxHeaderBytes)
    fail(fmt::format("header length {} is not sane (not a safetensors file?)", header_len));
  if (header_len > bytes.size() - 8)
    fail(fmt::format("header length {} runs past the end of the {}-byte file (truncated?)", header_len,
                     bytes.size()));

  // 2. The JSON header.
  nlohmann::json header;
  try {
    header =
        nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_len));
  } catch (const nlohmann::json::parse_error& e) {
    fail(fmt::format("the header is not valid JSON ({})", e.what()));
  }
  if (!header.is_object()) fail("the header is not a JSON object");

  // 3. Each tensor's entry.
  struct Entry {
    std::string name;
    Shape shape;
    uint64_t begin, end;
  };
  std::vector<Entry> entries;
  const uint64_t data_size = bytes.size() - 8 - header_len;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;  // free-form strings; nothing to check
    const auto bad = [&](const std::string& what) { fail(fmt::format("tensor '{}': {}", name, what)); };
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets"))
      bad("needs \"dtype\", \"shape\" and \"data_offsets\"");
    const auto& dtype = entry["dtype"];
    if (!dtype.is_string() || dtype.get<std::string>() != "F32")
      bad(fmt::format("dtype {} is not supported; Glimpse reads F32", dtype.dump()));
    const auto& shape_json = entry["shape"];
    if (!shape_json.is_array() || shape_json.size() > static_cast<size_t>(Shape::kMaxDims)) bad("bad shape");
    Shape shape;
    double elements = 1.0;  // in floating point first, so absurd sizes cannot overflow
    for (const auto& d : shape_json) {
      if (!d.is_number_unsigned())
        bad(fmt::format("shape {} has a size that is not a whole number", shape_json.dump()));
      elements *= d.get<double>();
      shape.push_back(static_cast<int64_t>(std::min<uint64_t>(d.get<uint64_t>(), uint64_t{1} << 62)));
    }
    if (elements * sizeof(float) > static_cast<double>(data_size))
      bad(fmt::format("shape {} needs more bytes than the file's {} bytes of data (truncated?)",
                      shape_json.dump(), data_size));
    const auto& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      bad("data_offsets must be two non-negative integers [begin, end]");
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end) bad(fmt::format("data_offsets [{}, {}] end before they begin", begin, end));
    const uint64_t expected = static_cast<uint64_t>(numel(shape)) * sizeof(float);
    if (end - begin != expected)
      bad(fmt::format("shape {} needs {} bytes but data_offsets [{}, {}] hold {}", to_string(shape), expected,
                      begin, end, end - begin));
    if (end > data_size)
      bad(fmt::format("data_offsets [{}, {}] run past the {} bytes of data in the file (truncated?)", begin,
                      end, data_size));
    entries.push_back({name, shape, begin, end});
  }

  // 4. The tensors tile the data exactly: no overlaps, no gaps, nothing left over.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  uint64_t expected_begin = 0;
  for (const Entry& e : entries) {
    if (e.begin != expected_begin)
      fail(fmt::format("tensor '{}' starts at byte {} of the data, expected {} (overlap or gap)", e.name,
                       e.begin, expected_begin));
    expected_begin = e.end;
  }
  if (expected_begin != data_size)
    fail(fmt::format("{} bytes of data follow the last tensor", data_size - expected_begin));

  // 5. Only now decode the values.
  std::map<std::string, Tensor> out;
  const char* data = bytes.data() + 8 + header_len;
  for (const Entry& e : entries) {
    Tensor t = zeros(e.shape);
    for (int64_t i = 0; i < t.numel(); ++i) {
      uint32_t word = 0;
      std::memcpy(&word, data + e.begin + static_cast<uint64_t>(i) * 4, 4);
      t.data()[i] = std::bit_cast<float>(from_little_endian(word));
    }
    out.emplace(e.name, t);
  }
  return out;
}

void load(Module& module, const fs::path& path, Loc loc) {
  const std::map<std::string, Tensor> state = read_safetensors(path, loc);
  // Names and shapes are checked against the module before any parameter changes.
  detail::load_state(module, state, /*strict=*/true, "load", quoted(path), loc);
}

}  // namespace glimpse::nn
