// Issue 12: English → French message pairs, cleaned as nn/message_pairs.hpp lists.
#include "nn/message_pairs.hpp"

#include <fmt/format.h>

#include <set>

namespace glimpse::nn {

namespace {

// The Debian package that installs each base catalog's French translation.
std::string package_of(const std::string& catalog) { return catalog == "libc" ? "libc-l10n" : catalog; }

bool is_ascii_letter_or_digit(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The UTF-8 sequences the tokeniser treats specially.
constexpr std::string_view kNoBreakSpace = "\xc2\xa0", kNarrowNoBreakSpace = "\xe2\x80\xaf";
constexpr std::string_view kRightQuote = "\xe2\x80\x99";  // ’, French typography's apostrophe
constexpr std::string_view kGuillemetOpen = "\xc2\xab", kGuillemetClose = "\xc2\xbb",
                           kEllipsis = "\xe2\x80\xa6";

// The length of the UTF-8 character starting at s[i] (1 for a stray continuation byte).
size_t char_length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t n = c < 0x80             ? 1
                   : (c & 0xe0) == 0xc0 ? 2
                   : (c & 0xf0) == 0xe0 ? 3
                   : (c & 0xf8) == 0xf0 ? 4
                                        : 1;
  return std::min(n, s.size() - i);
}

// A letter, digit or any non-ASCII character that is not one of the punctuation marks above: the
// characters words are made of ("é", "ç", "œ").
bool is_word_char(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return is_ascii_letter_or_digit(c) || c == '-' || c == '_';
  for (std::string_view mark :
       {kNoBreakSpace, kNarrowNoBreakSpace, kRightQuote, kGuillemetOpen, kGuillemetClose, kEllipsis})
    if (s.substr(i, mark.size()) == mark) return false;
  return true;
}

bool is_space(std::string_view s, size_t i) {
  return s[i] == ' ' || s.substr(i, kNoBreakSpace.size()) == kNoBreakSpace ||
         s.substr(i, kNarrowNoBreakSpace.size()) == kNarrowNoBreakSpace;
}

// A-Z and the Latin-1 capitals À..Þ (but not ×) lowered; everything else as it is.
std::string lowercase(std::string_view s) {
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i) {
    auto c = static_cast<unsigned char>(out[i]);
    if (c >= 'A' && c <= 'Z') {
      out[i] = static_cast<char>(c - 'A' + 'a');
    } else if (c == 0xc3 && i + 1 < out.size()) {
      const auto next = static_cast<unsigned char>(out[i + 1]);
      if (next >= 0x80 && next <= 0x9e && next != 0x97) out[i + 1] = static_cast<char>(next + 0x20);
      ++i;
    }
  }
  return out;
}

}  // namespace

const std::vector<std::string>& base_catalog_names() {
  static const std::vector<std::string> names = {"coreutils", "dpkg",      "tar",       "bash", "grep",
                                                 "sed",       "findutils", "diffutils", "apt",  "libc"};
  return names;
}

bool has_format_specifier(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    size_t j = i + 1;
    const auto digits = [&] {
      while (j < s.size() && ((s[j] >= '0' && s[j] <= '9') || s[j] == '*')) ++j;
    };
    digits();
    if (j < s.size() && s[j] == '$') ++j, digits();  // %1$s
    while (j < s.size() && std::string_view("-+ #0'").find(s[j]) != std::string_view::npos) ++j;
    digits();                                        // width
    if (j < s.size() && s[j] == '.') ++j, digits();  // precision
    while (j < s.size() && std::string_view("hlLqjzt").find(s[j]) != std::string_view::npos) ++j;
    if (j < s.size() && std::string_view("diouxXeEfFgGaAcspnm%").find(s[j]) != std::string_view::npos)
      return true;
  }
  return false;
}

std::string without_accelerators(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    // "Ouvrir (_O)": the French form puts the key in brackets at the end.
    if (s[i] == '(' && i + 3 < s.size() && s[i + 1] == '_' && s[i + 3] == ')') {
      while (!out.empty() && out.back() == ' ') out.pop_back();
      i += 3;
      continue;
    }
    const bool word_start = i == 0 || s[i - 1] == ' ';
    if ((s[i] == '_' || s[i] == '&') && word_start && i + 1 < s.size() && is_word_char(s, i + 1) &&
        s[i + 1] != '_')
      continue;  // "_Open", "&Save"
    out += s[i];
  }
  return out;
}

std::vector<std::string> tokenize_message(std::string_view text, bool french) {
  const std::string s = lowercase(text);
  std::vector<std::string> tokens;
  size_t i = 0;
  while (i < s.size()) {
    if (is_space(s, i)) {
      i += char_length(s, i);
      continue;
    }
    if (!is_word_char(s, i)) {  // punctuation, one character per token ("...": three)
      const size_t n = char_length(s, i);
      tokens.push_back(s.substr(i, n));
      i += n;
      continue;
    }
    std::string word;
    while (i < s.size() && !is_space(s, i)) {
      if (is_word_char(s, i)) {
        const size_t n = char_length(s, i);
        word += s.substr(i, n);
        i += n;
        continue;
      }
      // An apostrophe between letters: French ends the token after it (l'option), English keeps
      // the word whole (don't); anything else ends the word.
      const bool straight = s[i] == '\'';
      const bool curly = s.compare(i, kRightQuote.size(), kRightQuote) == 0;
      const size_t n = straight ? 1 : curly ? kRightQuote.size() : 0;
      if (n == 0 || i + n >= s.size() || !is_word_char(s, i + n)) break;
      if (french) {
        tokens.push_back(word + "'");
        word.clear();
      } else {
        word += "'";
      }
      i += n;
    }
    if (!word.empty()) tokens.push_back(word);
  }
  return tokens;
}

std::optional<MessagePair> clean_pair(const CatalogEntry& entry, const std::string& catalog,
                                      int64_t min_words, int64_t max_words) {
  if (!entry.original_plural.empty() || entry.translations.size() != 1) return std::nullopt;
  const std::string& original = entry.original;
  const std::string& translation = entry.translations.front();
  if (translation.empty() || translation == original) return std::nullopt;
  for (const std::string* text : {&original, &translation})
    if (has_format_specifier(*text) || text->find_first_of("\n\t\r") != std::string::npos)
      return std::nullopt;
  MessagePair pair{tokenize_message(without_accelerators(original), false),
                   tokenize_message(without_accelerators(translation), true), catalog, original};
  for (const auto* side : {&pair.english, &pair.french}) {
    const auto n = static_cast<int64_t>(side->size());
    if (n < min_words || n > max_words) return std::nullopt;
    bool has_letter = false;  // "?? :????" (a date placeholder) is no sentence
    for (const std::string& token : *side)
      for (const char c : token)
        has_letter |= (c >= 'a' && c <= 'z') || static_cast<unsigned char>(c) >= 0x80;
    if (!has_letter) return std::nullopt;
  }
  return pair;
}

std::vector<MessagePair> read_message_pairs(const std::filesystem::path& folder,
                                            const std::vector<std::string>& names, int64_t min_words,
                                            int64_t max_words, Loc caller) {
  std::vector<std::string> missing;
  for (const std::string& name : names) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(folder / (name + ".mo"), ec)) missing.push_back(name);
  }
  glimpse::detail::check(missing.empty(), "read_message_pairs", caller, [&] {
    std::string packages;
    for (const std::string& name : missing) packages += " " + package_of(name);
    return fmt::format(
        "no French catalog {}.mo in {}: install it with `apt-get install --reinstall{}` (a slim image that "
        "excludes /usr/share/locale in /etc/dpkg/dpkg.cfg.d/ needs that exclusion removed first)",
        missing.front(), folder.string(), packages);
  });
  std::vector<MessagePair> pairs;
  std::set<std::string> seen;  // each English message once
  for (const std::string& name : names) {
    const MoCatalog catalog = read_mo_catalog(folder / (name + ".mo"), caller);
    for (const CatalogEntry& entry : catalog.entries)
      if (std::optional<MessagePair> pair = clean_pair(entry, name, min_words, max_words))
        if (seen.insert(pair->message).second) pairs.push_back(std::move(*pair));
  }
  return pairs;
}

}  // namespace glimpse::nn
