// Lesson 05: saving and loading a model. The format is simple enough to write by hand — a
// length, a JSON header, raw floats — and every way a file can be wrong is checked before the
// model is touched.
#include "nn/checkpoint.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "autograd/atomic_file.hpp"
#include "autograd/tape.hpp"
#include "nn/state.hpp"

namespace glimpse::nn {

using glimpse::detail::check;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the limit the safetensors library enforces
constexpr int kMaxHeaderDepth = 8;                 // {name: {"shape": [sizes]}} nests 3 deep

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }
// A name from the file, quoted and cut short: a hostile file may hold a megabyte-long name.
std::string shown(const std::string& name) {
  return name.size() <= 80 ? "'" + name + "'"
                           : fmt::format("'{}…' ({} bytes)", name.substr(0, 80), name.size());
}

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
                       Loc caller) {
  const CallerScope scope(caller);
  // The header, in the order given; each tensor's bytes follow the previous one's.
  nlohmann::ordered_json header;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    check(t.defined() && name != "__metadata__", "save", caller,
          [&, &name = name] { return fmt::format("cannot write tensor '{}' to {}", name, quoted(path)); });
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * sizeof(float);
    header[name] = {{"dtype", "F32"},
                    {"shape", std::vector<int64_t>(t.shape().begin(), t.shape().end())},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  header["__metadata__"] = {{"format", "pt"}};
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // pad so the data starts 8-byte aligned

  // The whole file in memory, then written atomically (autograd/atomic_file.hpp): two
  // processes saving to one path each write a temporary of their own, and a reader sees the
  // old checkpoint or a new one, never a mix.
  std::string file;
  const uint64_t n = from_little_endian<uint64_t>(json.size());
  file.append(reinterpret_cast<const char*>(&n), sizeof n);
  file += json;
  NoGradGuard no_grad;
  for (const auto& [name, t] : tensors) {
    const Tensor c = t.contiguous();
    for (int64_t i = 0; i < c.numel(); ++i) {
      const uint32_t word = from_little_endian(float_bits(c.data()[i]));
      file.append(reinterpret_cast<const char*>(&word), sizeof word);
    }
  }
  remove_stale_temporaries(path.parent_path(), path.filename().string());  // of a killed save
  write_file_atomically(path, file, "save");
}

void save(const Module& module, const fs::path& path, Loc caller) {
  const CallerScope scope(caller);
  write_safetensors(path, module.named_parameters());
}

// ---- reading -------------------------------------------------------------------------------

namespace {

// A JSON value, described for an error message without printing it whole: it may be nested
// thousands of levels deep or megabytes long.
std::string describe(const nlohmann::json& value) {
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    return text.size() <= 80 ? '"' + text + '"' : fmt::format("a {}-byte string", text.size());
  }
  if (value.is_primitive()) return value.dump();   // a number, true, false or null: short
  return fmt::format("an {}", value.type_name());  // "an array", "an object"
}

// The number of elements of `dims`, or -1 when so many that their bytes could not be counted
// in an int64 (every partial product, which the strides are, then fits as well).
int64_t checked_numel(const std::vector<uint64_t>& dims) {
  constexpr uint64_t kMax = uint64_t{1} << 60;  // elements, so elements × 4 bytes stay below 2^62
  uint64_t nonzero = 1;                         // zeros left out, so that [2^62, 4, 0] is caught too
  bool empty = false;
  for (uint64_t d : dims) {
    if (d == 0)
      empty = true;
    else if (d > kMax / nonzero)
      return -1;
    else
      nonzero *= d;
  }
  return empty ? 0 : static_cast<int64_t>(nonzero);
}

}  // namespace

std::map<std::string, Tensor> detail::parse_safetensors(std::span<const char> bytes,
                                                        const std::string& file) {
  const auto fail = [&](const std::string& problem) { throw Error("load", file + ": " + problem); };

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
  const std::span<const char> text = bytes.subspan(8, header_len);
  const std::span<const char> data = bytes.subspan(8 + header_len);

  // 2. The JSON header. Nesting is bounded while parsing: a value nested 100 000 levels deep
  // is no checkpoint, and printing or destroying it could overflow the stack.
  nlohmann::json header;
  try {
    const auto bounded = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth > kMaxHeaderDepth)
        fail(fmt::format("the header nests deeper than {} levels (a header needs 3)", kMaxHeaderDepth));
      return true;
    };
    header = nlohmann::json::parse(text.begin(), text.end(), bounded);
  } catch (const nlohmann::json::exception& e) {  // a syntax error, or a number like 1e400
    const std::string why = e.what();
    fail(
        fmt::format("the header is not valid JSON ({})", why.size() <= 200 ? why : why.substr(0, 200) + "…"));
  }
  if (!header.is_object()) fail("the header is not a JSON object");

  // 3. Each tensor's entry.
  struct Entry {
    std::string name;
    Shape shape;
    uint64_t begin, end;
  };
  std::vector<Entry> entries;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;  // free-form strings; nothing to check
    const auto bad = [&, &name = name](const std::string& what) {
      fail(fmt::format("tensor {}: {}", shown(name), what));
    };
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets"))
      bad("needs \"dtype\", \"shape\" and \"data_offsets\"");
    const auto& dtype = entry["dtype"];
    if (!dtype.is_string()) bad(fmt::format("dtype is {}, not a string such as \"F32\"", describe(dtype)));
    if (dtype != "F32") bad(fmt::format("dtype {} is not supported; Glimpse reads F32", describe(dtype)));

    const auto& shape_json = entry["shape"];
    if (!shape_json.is_array()) bad(fmt::format("shape is {}, not an array of sizes", describe(shape_json)));
    if (shape_json.size() > static_cast<size_t>(Shape::kMaxDims))
      bad(fmt::format("shape has {} dims; Glimpse tensors have at most {}", shape_json.size(),
                      Shape::kMaxDims));
    std::vector<uint64_t> dims;
    for (const auto& d : shape_json) {
      if (!d.is_number_unsigned())
        bad(fmt::format("shape has a size that is not a whole number: {}", describe(d)));
      dims.push_back(d.get<uint64_t>());
    }
    const std::string shape_text = fmt::format("[{}]", fmt::join(dims, ", "));
    const int64_t elements = checked_numel(dims);
    if (elements < 0) bad(fmt::format("shape {} has more elements than any tensor can hold", shape_text));

    const auto& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      bad("data_offsets must be two non-negative integers [begin, end]");
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end) bad(fmt::format("data_offsets [{}, {}] end before they begin", begin, end));
    const uint64_t expected = static_cast<uint64_t>(elements) * sizeof(float);
    if (end - begin != expected)
      bad(fmt::format("shape {} needs {} bytes but data_offsets [{}, {}] hold {}", shape_text, expected,
                      begin, end, end - begin));
    if (end > data.size())
      bad(fmt::format("data_offsets [{}, {}] run past the {} bytes of data in the file (truncated?)", begin,
                      end, data.size()));
    Shape shape;
    for (uint64_t d : dims) shape.push_back(static_cast<int64_t>(d));  // each below 2^60: fits
    entries.push_back({name, shape, begin, end});
  }

  // 4. The tensors tile the data exactly: no overlaps, no gaps, nothing left over.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  uint64_t expected_begin = 0;
  for (const Entry& e : entries) {
    if (e.begin != expected_begin)
      fail(fmt::format("tensor {} starts at byte {} of the data, expected {} (overlap or gap)", shown(e.name),
                       e.begin, expected_begin));
    expected_begin = e.end;
  }
  if (expected_begin != data.size())
    fail(fmt::format("{} bytes of data follow the last tensor", data.size() - expected_begin));

  // 5. Only now decode the values.
  std::map<std::string, Tensor> out;
  for (const Entry& e : entries) {
    Tensor t = zeros(e.shape);
    for (int64_t i = 0; i < t.numel(); ++i) {
      uint32_t word = 0;
      std::memcpy(&word, data.data() + e.begin + static_cast<uint64_t>(i) * 4, 4);
      t.data()[i] = std::bit_cast<float>(from_little_endian(word));
    }
    out.emplace(e.name, t);
  }
  return out;
}

std::map<std::string, Tensor> read_safetensors(const fs::path& path, Loc caller) {
  const CallerScope scope(caller);
  const std::string file = quoted(path);
  const auto fail = [&](const std::string& problem) { throw Error("load", file + ": " + problem); };

  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) fail("no such file");
  if (status.type() == fs::file_type::directory) fail("is a directory, not a checkpoint file");
  if (status.type() != fs::file_type::regular)
    fail(ec ? fmt::format("cannot read it: {}", ec.message()) : std::string("is not a regular file"));
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open the file for reading");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail("reading the file failed");
  return detail::parse_safetensors(bytes, file);
}

void load(Module& module, const fs::path& path, Loc caller) {
  const CallerScope scope(caller);
  const std::map<std::string, Tensor> state = read_safetensors(path);
  // Names and shapes are checked against the module before any parameter changes.
  detail::load_state(module, state, /*strict=*/true, "load", quoted(path));
}

}  // namespace glimpse::nn
