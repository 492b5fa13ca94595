// Issue 12: dictd dictionaries (Debian's freedict), read and checked line by line.
#include "nn/bilingual_dictionary.hpp"

#include <fmt/format.h>

#include <iterator>

#include "nn/gzip_file.hpp"
#include "nn/message_pairs.hpp"

namespace glimpse::nn {

namespace {

constexpr const char* kOp = "BilingualDictionary";

// dictd's base 64 number ("LOB" = 11·64² + 14·64 + 1), or -1 on a character outside its alphabet.
int64_t base64_number(std::string_view s) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (s.empty() || s.size() > 8) return -1;
  int64_t v = 0;
  for (const char c : s) {
    const size_t digit = kAlphabet.find(c);
    if (digit == std::string_view::npos) return -1;
    v = v * 64 + static_cast<int64_t>(digit);
  }
  return v;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == separator) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return parts;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

// Both files, gzip or plain; a missing one says which package brings it.
std::string read_file(const std::filesystem::path& file, Loc caller) {
  std::error_code ec;
  glimpse::detail::check(std::filesystem::is_regular_file(file, ec), kOp, caller, [&] {
    return fmt::format("'{}' is missing: apt-get install dict-freedict-eng-fra", file.string());
  });
  return read_gzip_file(file, kOp, uint64_t{1} << 30, caller);  // freedict's largest is ~5 MB
}

}  // namespace

BilingualDictionary BilingualDictionary::parse_dictd(std::string_view index, std::string_view data,
                                                     const std::string& name, Loc caller) {
  BilingualDictionary dictionary;
  int64_t line_number = 0;
  for (std::string_view line : split(index, '\n')) {
    ++line_number;
    if (line.empty()) continue;
    const std::vector<std::string_view> fields = split(line, '\t');
    const int64_t offset = fields.size() == 3 ? base64_number(fields[1]) : -1;
    const int64_t length = fields.size() == 3 ? base64_number(fields[2]) : -1;
    glimpse::detail::check(offset >= 0 && length >= 0, kOp, caller, [&] {
      return fmt::format(
          "{} index line {}: expected 'headword<TAB>offset<TAB>length' in dictd's base 64, got '{}'", name,
          line_number, line);
    });
    glimpse::detail::check(static_cast<uint64_t>(offset) + static_cast<uint64_t>(length) <= data.size(), kOp,
                           caller, [&] {
                             return fmt::format(
                                 "{} index line {}: the entry at offset {} of {} bytes ends past the "
                                 "data ({} bytes)",
                                 name, line_number, offset, length, data.size());
                           });
    const std::string headword(fields[0]);
    if (headword.starts_with("00database")) continue;  // the dictionary describing itself
    // The entry: its first line repeats the headword and its pronunciation; then the senses.
    std::vector<std::string> translations;
    const std::vector<std::string_view> lines = split(data.substr(offset, length), '\n');
    for (size_t i = 1; i < lines.size(); ++i) {
      std::string_view sense = lines[i];
      const size_t dot = sense.find(". ");  // "2. un, quelqu'un"
      if (dot != std::string_view::npos && dot > 0 &&
          sense.substr(0, dot).find_first_not_of("0123456789") == std::string_view::npos)
        sense.remove_prefix(dot + 2);
      for (std::string_view translation : split(sense, ','))
        if (std::string t = trimmed(translation); !t.empty()) translations.push_back(std::move(t));
    }
    dictionary.add(headword, std::move(translations));
  }
  return dictionary;
}

BilingualDictionary BilingualDictionary::read_dictd(const std::filesystem::path& index,
                                                    const std::filesystem::path& data, Loc caller) {
  const std::string index_text = read_file(index, caller), data_text = read_file(data, caller);
  return parse_dictd(index_text, data_text, index.string(), caller);
}

void BilingualDictionary::add(const std::string& headword, std::vector<std::string> translations) {
  std::set<std::string>& words = words_[headword];
  for (const std::string& translation : translations)
    for (std::string& word : tokenize_message(translation, /*french=*/true)) {
      target_words_.insert(word);
      words.insert(std::move(word));
    }
  std::vector<std::string>& all = entries_[headword];
  all.insert(all.end(), std::make_move_iterator(translations.begin()),
             std::make_move_iterator(translations.end()));
}

const std::vector<std::string>& BilingualDictionary::translations(const std::string& headword) const {
  static const std::vector<std::string> none;
  const auto it = entries_.find(headword);
  return it == entries_.end() ? none : it->second;
}

bool BilingualDictionary::pairs(const std::string& source_word, const std::string& target_word) const {
  const auto it = words_.find(source_word);
  return it != words_.end() && it->second.count(target_word) > 0;
}

}  // namespace glimpse::nn
