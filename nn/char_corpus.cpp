// Lesson 13: a character corpus — fortunes or a text file, its vocabulary, split and windows.
#include "nn/char_corpus.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

namespace glimpse::nn {

namespace {

namespace fs = std::filesystem;

// The bytes of `file`; throws naming `op` and the file when it cannot be read.
std::string read_bytes(const fs::path& file, const char* op, Loc caller) {
  std::ifstream in(file, std::ios::binary);
  detail::check(static_cast<bool>(in), op, caller,
                [&] { return fmt::format("cannot open '{}' for reading", file.string()); });
  std::ostringstream bytes;
  bytes << in.rdbuf();
  detail::check(!in.bad(), op, caller,
                [&] { return fmt::format("error while reading '{}'", file.string()); });
  return std::move(bytes).str();
}

// A character as a reader can see it in a message: 'a', or '\x1b' for a control byte.
std::string shown(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (c == '\n') return "'\\n'";
  if (c == '\t') return "'\\t'";
  if (byte < 0x20 || byte >= 0x7f) return fmt::format("'\\x{:02x}'", byte);
  return fmt::format("'{}'", c);
}

// Appends the fortunes of one file (entries separated by lines holding only "%"); returns how
// many entries had any text.
int64_t append_fortunes(const std::string& bytes, std::string& text) {
  int64_t entries = 0;
  std::string entry;
  const auto flush = [&] {
    if (entry.find_first_not_of(" \t\r\n") != std::string::npos) {
      text += entry;
      text += '\n';
      ++entries;
    }
    entry.clear();
  };
  size_t start = 0;
  while (start < bytes.size()) {
    size_t end = bytes.find('\n', start);
    if (end == std::string::npos) end = bytes.size();
    const std::string_view line(bytes.data() + start, end - start);
    if (line == "%") {
      flush();
    } else {
      entry.append(line);
      entry += '\n';
    }
    start = end + 1;
  }
  flush();
  return entries;
}

}  // namespace

TextCorpus read_fortunes(const fs::path& folder, Loc caller) {
  std::error_code ec;
  detail::check(fs::is_directory(folder, ec), "read_fortunes", caller, [&] {
    return fmt::format("no folder '{}' (Debian's fortunes are installed by `apt-get install fortunes`)",
                       folder.string());
  });
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, ec)) {
    const fs::path& path = entry.path();
    if (entry.is_symlink(ec) || !entry.is_regular_file(ec)) continue;  // *.u8 links, subfolders
    if (path.extension() == ".dat" || path.extension() == ".u8") continue;
    files.push_back(path);
  }
  detail::check(!ec, "read_fortunes", caller,
                [&] { return fmt::format("cannot list folder '{}': {}", folder.string(), ec.message()); });
  std::sort(files.begin(), files.end());  // directory order is the file system's: sort by name

  TextCorpus corpus;
  for (const fs::path& file : files)
    if (append_fortunes(read_bytes(file, "read_fortunes", caller), corpus.text) > 0)
      corpus.files.push_back(file.filename().string());
  detail::check(!corpus.files.empty(), "read_fortunes", caller, [&] {
    return fmt::format("folder '{}' holds no fortunes ({} files read, none with an entry)", folder.string(),
                       files.size());
  });
  return corpus;
}

TextCorpus read_text_file(const fs::path& file, Loc caller) {
  std::error_code ec;
  detail::check(!fs::is_directory(file, ec), "read_text_file", caller,
                [&] { return fmt::format("'{}' is a folder, not a text file", file.string()); });
  TextCorpus corpus{{file.filename().string()}, read_bytes(file, "read_text_file", caller)};
  detail::check(!corpus.text.empty(), "read_text_file", caller,
                [&] { return fmt::format("'{}' is empty: a corpus needs some text", file.string()); });
  return corpus;
}

CharVocab::CharVocab(std::string_view text, Loc caller) {
  detail::check(!text.empty(), "CharVocab", caller,
                [] { return std::string("an empty text has no characters to make a vocabulary of"); });
  bool seen[256] = {};
  for (char c : text) seen[static_cast<unsigned char>(c)] = true;
  for (int byte = 0; byte < 256; ++byte) {
    ids_[byte] = -1;
    if (seen[byte]) {
      ids_[byte] = size();
      characters_ += static_cast<char>(byte);
    }
  }
}

int64_t CharVocab::id(char c, Loc caller) const {
  detail::check(contains(c), "CharVocab::id", caller,
                [&] { return fmt::format("character {} is not in the vocabulary", shown(c)); });
  return ids_[static_cast<unsigned char>(c)];
}

char CharVocab::character(int64_t id, Loc caller) const {
  detail::check(id >= 0 && id < size(), "CharVocab::character", caller,
                [&] { return fmt::format("id {} is outside the vocabulary (ids 0..{})", id, size() - 1); });
  return characters_[id];
}

std::vector<int64_t> CharVocab::encode(std::string_view text, Loc caller) const {
  std::vector<int64_t> out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    detail::check(contains(text[i]), "CharVocab::encode", caller, [&] {
      return fmt::format("character {} at offset {} is not in the vocabulary", shown(text[i]), i);
    });
    out.push_back(ids_[static_cast<unsigned char>(text[i])]);
  }
  return out;
}

std::string CharVocab::decode(const std::vector<int64_t>& ids, Loc caller) const {
  std::string out;
  out.reserve(ids.size());
  for (int64_t id : ids) out += character(id, caller);
  return out;
}

TokenSplit split_tokens(const std::vector<int64_t>& ids, double val_fraction, int64_t block_size,
                        Loc caller) {
  detail::check(val_fraction > 0 && val_fraction < 1, "split_tokens", caller,
                [&] { return fmt::format("val_fraction must be in (0, 1), got {}", val_fraction); });
  detail::check(block_size >= 1, "split_tokens", caller,
                [&] { return fmt::format("block_size must be at least 1, got {}", block_size); });
  const auto n = static_cast<int64_t>(ids.size());
  const auto n_val = static_cast<int64_t>(static_cast<double>(n) * val_fraction);
  const int64_t n_train = n - n_val;
  for (const auto& part : {std::pair{"training", n_train}, std::pair{"validation", n_val}})
    detail::check(part.second > block_size, "split_tokens", caller, [&] {
      return fmt::format(
          "the {} part holds {} characters ({} in all, {:g} of them for validation), but one window "
          "of the context (block_size {}) needs {}: use a longer corpus or a shorter context",
          part.first, part.second, n, val_fraction, block_size, block_size + 1);
    });
  return {std::vector<int64_t>(ids.begin(), ids.begin() + n_train),
          std::vector<int64_t>(ids.begin() + n_train, ids.end())};
}

namespace {

void check_windows(const std::vector<int64_t>& ids, int64_t count, int64_t block_size, const char* op,
                   Loc caller) {
  detail::check(count >= 1 && block_size >= 1, op, caller, [&] {
    return fmt::format("needs at least one window of at least one id, got {} of block_size {}", count,
                       block_size);
  });
  detail::check(static_cast<int64_t>(ids.size()) > block_size, op, caller, [&] {
    return fmt::format("{} ids are too few for one window of block_size {} and its next id ({} needed)",
                       ids.size(), block_size, block_size + 1);
  });
}

// x and y of the windows starting at `starts`.
WindowBatch windows_at(const std::vector<int64_t>& ids, const std::vector<int64_t>& starts,
                       int64_t block_size) {
  const auto B = static_cast<int64_t>(starts.size());
  std::vector<int64_t> x, y;
  x.reserve(B * block_size), y.reserve(B * block_size);
  for (int64_t s : starts) {
    x.insert(x.end(), ids.begin() + s, ids.begin() + s + block_size);
    y.insert(y.end(), ids.begin() + s + 1, ids.begin() + s + block_size + 1);
  }
  return {IndexTensor(std::move(x), {B, block_size}), IndexTensor(std::move(y), {B, block_size})};
}

}  // namespace

WindowBatch random_windows(const std::vector<int64_t>& ids, int64_t batch, int64_t block_size, Generator& gen,
                           Loc caller) {
  check_windows(ids, batch, block_size, "random_windows", caller);
  std::vector<int64_t> starts(batch);
  for (int64_t& s : starts) s = gen.integer(static_cast<int64_t>(ids.size()) - block_size, caller);
  return windows_at(ids, starts, block_size);
}

WindowBatch consecutive_windows(const std::vector<int64_t>& ids, int64_t count, int64_t block_size,
                                Loc caller) {
  check_windows(ids, count, block_size, "consecutive_windows", caller);
  const int64_t whole = (static_cast<int64_t>(ids.size()) - 1) / block_size;
  std::vector<int64_t> starts(std::min(count, whole));
  for (size_t i = 0; i < starts.size(); ++i) starts[i] = static_cast<int64_t>(i) * block_size;
  return windows_at(ids, starts, block_size);
}

}  // namespace glimpse::nn
