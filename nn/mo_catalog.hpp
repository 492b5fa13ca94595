// GNU gettext MO catalogs: the compiled translations of a program's messages that every Debian
// system keeps under /usr/share/locale/<language>/LC_MESSAGES/<package>.mo ("invalid line number
// increment" → "incrément de nombre de ligne incorrect"). Issue 12 reads real English → French
// sentence pairs from them.
//
// The file (gettext manual, "The Format of GNU MO Files"), all numbers 32-bit, in the byte order
// the magic number shows:
//   offset  0   magic 0x950412de
//           4   revision (major 0 or 1, in the high 16 bits)
//           8   N, the number of strings
//          12   O, where the table of original strings starts
//          16   T, where the table of translations starts
//   O + 8i      length and offset of original string i (the length leaves out its closing NUL)
//   T + 8i      length and offset of its translation
// An original string "context\4msgid" has a context; "msgid\0msgid_plural" has a plural, and its
// translation holds one form per plural, NUL-separated. The entry with an empty original is the
// header ("Content-Type: text/plain; charset=UTF-8", ...), which names the encoding.
//
// A catalog is untrusted input: a bad magic number, a table or string outside the file, a string
// without its NUL, or text that is not valid in its charset is a glimpse::Error naming the file
// and the offset, never a crash or a read past the end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "autograd/error.hpp"

namespace glimpse::nn {

struct CatalogEntry {
  std::string context;                    // msgctxt, or empty
  std::string original;                   // msgid: the program's own (English) message
  std::string original_plural;            // msgid_plural, or empty
  std::vector<std::string> translations;  // msgstr, one per plural form (one without a plural)
};

struct MoCatalog {
  std::string charset;                // from the header, lowercased ("utf-8"); the entries are UTF-8
  std::vector<CatalogEntry> entries;  // in the file's order (sorted by original), the header left out
};

// Reads and checks `file`. Texts in ISO-8859-1 (latin1) are converted to UTF-8; other charsets
// than UTF-8, ASCII and latin1 are an error that names them.
MoCatalog read_mo_catalog(const std::filesystem::path& file, Loc caller = Loc::current());

// The same from bytes in memory; `name` stands for the file in error messages.
MoCatalog parse_mo_catalog(std::string_view bytes, const std::string& name, Loc caller = Loc::current());

}  // namespace glimpse::nn
