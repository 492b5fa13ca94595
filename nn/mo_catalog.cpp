// Issue 12: reading gettext MO catalogs, every offset and length checked against the file.
#include "nn/mo_catalog.hpp"

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace glimpse::nn {

namespace {

constexpr uint32_t kMagic = 0x950412de;
constexpr uint32_t kMagicSwapped = 0xde120495;  // the magic as read from a file of the other byte order
constexpr const char* kOp = "read_mo_catalog";

// Reads the numbers and strings of one file, each checked to lie inside it.
class MoReader {
 public:
  MoReader(std::string_view bytes, const std::string& name, Loc caller)
      : bytes_(bytes), name_(name), caller_(caller) {}

  void set_swapped(bool swapped) { swapped_ = swapped; }

  uint32_t number(uint64_t at, const char* what) const {
    check(at + 4 <= bytes_.size(), [&] {
      return fmt::format("{} at offset {} is past the end of the file ({} bytes): truncated?", what, at,
                         bytes_.size());
    });
    uint32_t v;
    std::memcpy(&v, bytes_.data() + at, 4);
    return swapped_ ? __builtin_bswap32(v) : v;
  }

  // String i of the table at `table` (originals or translations), without its closing NUL;
  // `at` is set to the string's offset in the file.
  std::string_view string(uint64_t table, uint32_t i, const char* which, uint64_t& at) const {
    const uint64_t entry = table + 8ull * i;
    const uint32_t length = number(entry, fmt::format("the length of {} string {}", which, i).c_str());
    const uint32_t offset = number(entry + 4, fmt::format("the offset of {} string {}", which, i).c_str());
    at = offset;
    check(static_cast<uint64_t>(offset) + length < bytes_.size(), [&] {
      return fmt::format(
          "{} string {} (table entry at offset {}) runs from offset {} for {} bytes, past the end of "
          "the file ({} bytes)",
          which, i, entry, offset, length, bytes_.size());
    });
    check(bytes_[offset + length] == '\0', [&] {
      return fmt::format("{} string {} at offset {} does not end in a NUL byte at offset {}", which, i,
                         offset, offset + static_cast<uint64_t>(length));
    });
    return bytes_.substr(offset, length);
  }

  template <class MakeMessage>
  void check(bool ok, MakeMessage&& make_message) const {
    glimpse::detail::check(ok, kOp, caller_, [&] { return fmt::format("{}: {}", name_, make_message()); });
  }

 private:
  std::string_view bytes_;
  const std::string& name_;
  Loc caller_;
  bool swapped_ = false;
};

// The offset of the first byte that is not part of valid UTF-8 (overlong forms, surrogates and
// code points past U+10FFFF included), or npos.
size_t invalid_utf8_at(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0, min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return i;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return i;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return std::string_view::npos;
}

// Latin-1 bytes are the code points U+0000..U+00FF: each byte from 0x80 on becomes two in UTF-8.
std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += ch;
    } else {
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return out;
}

// "charset=UTF-8" from the header's Content-Type line, lowercased; empty when there is none.
std::string header_charset(std::string_view header) {
  const size_t at = header.find("charset=");
  if (at == std::string_view::npos) return "";
  std::string charset;
  for (size_t i = at + 8; i < header.size() && header[i] != '\n' && header[i] != ';' && header[i] != ' '; ++i)
    charset += static_cast<char>(header[i] >= 'A' && header[i] <= 'Z' ? header[i] - 'A' + 'a' : header[i]);
  return charset;
}

std::vector<std::string> split_at_nul(std::string_view s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == '\0') {
      parts.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  return parts;
}

}  // namespace

MoCatalog parse_mo_catalog(std::string_view bytes, const std::string& name, Loc caller) {
  MoReader in(bytes, name, caller);
  const uint32_t magic = in.number(0, "the magic number");
  in.check(magic == kMagic || magic == kMagicSwapped, [&] {
    return fmt::format(
        "not a gettext MO catalog: the magic number at offset 0 is 0x{:08x}, expected 0x{:08x} in "
        "either byte order",
        magic, kMagic);
  });
  in.set_swapped(magic == kMagicSwapped);
  const uint32_t revision = in.number(4, "the revision");
  in.check(revision >> 16 <= 1, [&] {
    return fmt::format("revision {}.{} at offset 4: only major revisions 0 and 1 exist", revision >> 16,
                       revision & 0xffff);
  });
  const uint32_t count = in.number(8, "the number of strings");
  const uint32_t originals = in.number(12, "the offset of the original strings' table");
  const uint32_t translations = in.number(16, "the offset of the translations' table");
  for (const auto& table : {std::pair{originals, "original strings'"}, {translations, "translations'"}})
    in.check(static_cast<uint64_t>(table.first) + 8ull * count <= bytes.size(), [&] {
      return fmt::format(
          "the {} table at offset {} holds {} entries of 8 bytes, past the end of the file ({} bytes)",
          table.second, table.first, count, bytes.size());
    });

  struct Raw {
    std::string_view original, translation;
    uint64_t original_at, translation_at;
  };
  std::vector<Raw> raw(count);
  MoCatalog catalog;
  for (uint32_t i = 0; i < count; ++i) {
    Raw& r = raw[i];
    r.original = in.string(originals, i, "original", r.original_at);
    r.translation = in.string(translations, i, "translation", r.translation_at);
    if (r.original.empty()) catalog.charset = header_charset(r.translation);
  }
  if (catalog.charset.empty()) catalog.charset = "utf-8";  // no header: gettext's tools write UTF-8
  const bool latin1 = catalog.charset == "iso-8859-1" || catalog.charset == "latin1";
  in.check(
      latin1 || catalog.charset == "utf-8" || catalog.charset == "ascii" || catalog.charset == "us-ascii",
      [&] {
        return fmt::format("its header names charset '{}': only UTF-8, ASCII and ISO-8859-1 are read",
                           catalog.charset);
      });

  const auto text = [&](std::string_view s, uint64_t at, const char* which, uint32_t i) {
    if (latin1) return latin1_to_utf8(s);
    const size_t bad = invalid_utf8_at(s);
    in.check(bad == std::string_view::npos, [&] {
      return fmt::format("{} string {} is not valid {}: byte 0x{:02x} at offset {}", which, i,
                         catalog.charset, static_cast<unsigned char>(s[bad]), at + bad);
    });
    return std::string(s);
  };
  for (uint32_t i = 0; i < count; ++i) {
    if (raw[i].original.empty()) continue;  // the header
    CatalogEntry e;
    std::string original = text(raw[i].original, raw[i].original_at, "original", i);
    if (const size_t eot = original.find('\x04'); eot != std::string::npos) {  // "context\4msgid"
      e.context = original.substr(0, eot);
      original.erase(0, eot + 1);
    }
    std::vector<std::string> forms = split_at_nul(original);  // "msgid\0msgid_plural"
    e.original = forms[0];
    if (forms.size() > 1) e.original_plural = forms[1];
    e.translations = split_at_nul(text(raw[i].translation, raw[i].translation_at, "translation", i));
    catalog.entries.push_back(std::move(e));
  }
  return catalog;
}

MoCatalog read_mo_catalog(const std::filesystem::path& file, Loc caller) {
  std::ifstream in(file, std::ios::binary);
  glimpse::detail::check(static_cast<bool>(in) && !std::filesystem::is_directory(file), kOp, caller,
                         [&] { return fmt::format("cannot open '{}'", file.string()); });
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  glimpse::detail::check(!in.bad(), kOp, caller,
                         [&] { return fmt::format("cannot read '{}'", file.string()); });
  return parse_mo_catalog(bytes, file.string(), caller);
}

}  // namespace glimpse::nn
