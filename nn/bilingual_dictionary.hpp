// A bilingual dictionary in the dictd format of Debian's dict-freedict-* packages: the truth for
// real word alignments (issue 12). Attention that lands on "file" while the decoder writes
// "fichier" agrees with the dictionary; on "the", it does not.
//
// Two files: an index, one line per headword,
//   headword <TAB> offset <TAB> length        offset and length in dictd's base 64 (A-Z a-z 0-9 + /)
// and the data (.dict.dz: gzip, which zlib reads) where each entry is
//   Headword /pronunciation/ [<part of speech>]
//   1. traduction, autre traduction           (numbered when there are several senses)
//   2. ...
// Headwords starting "00database" are the dictionary's own description, not words.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "autograd/error.hpp"

namespace glimpse::nn {

// Where Debian's dict-freedict-eng-fra package puts the English → French dictionary.
inline constexpr const char* kFreedictEngFraIndex = "/usr/share/dictd/freedict-eng-fra.index";
inline constexpr const char* kFreedictEngFraData = "/usr/share/dictd/freedict-eng-fra.dict.dz";

class BilingualDictionary {
 public:
  BilingualDictionary() = default;
  // Reads both files; a missing one is an error saying `apt-get install dict-freedict-eng-fra`, a
  // bad index line or an entry outside the data names the file and the line.
  static BilingualDictionary read_dictd(const std::filesystem::path& index, const std::filesystem::path& data,
                                        Loc caller = Loc::current());
  // The same from the two files' contents (data already decompressed); `name` is for messages.
  static BilingualDictionary parse_dictd(std::string_view index, std::string_view data,
                                         const std::string& name, Loc caller = Loc::current());

  // The translations of a (lowercased) headword, each as written ("quelques uns"); empty if unknown.
  const std::vector<std::string>& translations(const std::string& headword) const;
  // Does the dictionary pair this source word with this target word: is `target_word` one of the
  // words of a translation of `source_word`? Both lowercased tokens, as nn::tokenize_message makes.
  bool pairs(const std::string& source_word, const std::string& target_word) const;
  // Is `target_word` a word of any translation (can the dictionary say anything about it)?
  bool covers(const std::string& target_word) const { return target_words_.count(target_word) > 0; }
  int64_t size() const { return static_cast<int64_t>(entries_.size()); }

 private:
  void add(const std::string& headword, std::vector<std::string> translations);

  std::map<std::string, std::vector<std::string>> entries_;
  std::map<std::string, std::set<std::string>> words_;  // headword → the words of its translations
  std::set<std::string> target_words_;
};

}  // namespace glimpse::nn
