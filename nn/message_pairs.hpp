// Real English → French sentence pairs from the system's own gettext catalogs (nn/mo_catalog.hpp):
// the messages of coreutils, dpkg, tar, bash, ... and their French translations, cleaned into
// token sequences a translation model can read. Issue 12's real data.
//
// From each catalog entry:
//   dropped    plural entries, untranslated ones (empty, or the same text), and any whose text has
//              a printf format specifier (%s, %d, %1$s, %-10lu, %%), a line break or a tab;
//   removed    keyboard accelerators: "_Open" → "Open", "&Save" → "Save", "Ouvrir (_O)" → "Ouvrir";
//   tokenised  words and punctuation apart, lowercased (A-Z and À-Þ), accents kept; French
//              elisions end a token at the apostrophe ("l'option" → "l'" "option"), English
//              contractions stay one ("don't"); «, », non-breaking spaces handled as French uses them;
//   kept       when both sides have min_words..max_words tokens, one of them a word with a letter.
// A message that appears in several catalogs is kept once (the first), so a train/held-out split
// by message never sees one sentence on both sides.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "autograd/error.hpp"
#include "nn/mo_catalog.hpp"

namespace glimpse::nn {

struct MessagePair {
  std::vector<std::string> english, french;
  std::string catalog;  // the catalog it came from, e.g. "coreutils"
  std::string message;  // the original English text
};

// The packages whose French catalogs every Debian system has (issue 12), in this order.
const std::vector<std::string>& base_catalog_names();

// Words and punctuation of one message, lowercased; `french` splits elisions.
std::vector<std::string> tokenize_message(std::string_view text, bool french);

// Does `text` hold a printf format specifier?
bool has_format_specifier(std::string_view text);

// `text` without keyboard accelerators.
std::string without_accelerators(std::string_view text);

// The pair one entry gives, or nullopt when the rules above drop it.
std::optional<MessagePair> clean_pair(const CatalogEntry& entry, const std::string& catalog,
                                      int64_t min_words = 2, int64_t max_words = 12);

// The pairs of the catalogs `names` under `folder` (e.g. /usr/share/locale/fr/LC_MESSAGES), each
// message once. A catalog that is missing is an error naming it and the package to install; an
// unreadable or corrupt one is read_mo_catalog's error.
std::vector<MessagePair> read_message_pairs(const std::filesystem::path& folder,
                                            const std::vector<std::string>& names, int64_t min_words = 2,
                                            int64_t max_words = 12, Loc caller = Loc::current());

}  // namespace glimpse::nn
