// Writes gettext MO catalogs in memory for the tests of nn/mo_catalog and nn/message_pairs, so
// that no test needs the system's catalogs.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace glimpse::test {

// An MO file as msgfmt writes it: header, the two tables, then the strings, NUL-terminated.
// `originals` must be sorted (as msgfmt sorts them); "" is the header entry.
inline std::string mo_bytes(const std::vector<std::pair<std::string, std::string>>& entries,
                            bool big_endian = false, uint32_t revision = 0) {
  std::string out;
  const auto put = [&](uint32_t v) {
    for (int k = 0; k < 4; ++k) {
      const int shift = big_endian ? 24 - 8 * k : 8 * k;
      out += static_cast<char>((v >> shift) & 0xff);
    }
  };
  const uint32_t n = static_cast<uint32_t>(entries.size());
  const uint32_t originals = 28, translations = originals + 8 * n;
  uint32_t at = translations + 8 * n;
  put(0x950412de), put(revision), put(n), put(originals), put(translations), put(0), put(0);
  std::string strings;
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& [original, translation] : entries) {
      const std::string& s = pass == 0 ? original : translation;
      put(static_cast<uint32_t>(s.size())), put(at);
      strings += s;
      strings += '\0';
      at += static_cast<uint32_t>(s.size()) + 1;
    }
  return out + strings;
}

}  // namespace glimpse::test
