// A character corpus for a language model: reading the text (Debian's fortunes, or any text
// file), a vocabulary of its characters, a train/validation split, and batches of windows.
// Introduced in lesson 13 (a GPT in a minute); nanoGPT's shakespeare_char/prepare.py and get_batch.
//
//   text      "Love is blind.\n\n..."             every byte a character
//   ids       [17, 52, 59, 42, 1, ...]            one id per character, ids in byte order
//   train     ids[0 : n - n_val]                  the first part of the text
//   val       ids[n - n_val : n]                  the rest: text the model never trains on
//   x, y      ids[s : s+T], ids[s+1 : s+T+1]      y is x shifted by one: the next character
//
// The readers treat their files as untrusted input: every failure is a glimpse::Error naming
// the file or folder and what was wrong with it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "autograd/error.hpp"
#include "autograd/random.hpp"
#include "autograd/tensor.hpp"

namespace glimpse::nn {

// A text and the files it came from.
struct TextCorpus {
  std::vector<std::string> files;  // the file names read, in the order their text appears
  std::string text;
};

// Where Debian's fortunes package (apt-get install fortunes) puts its English fortunes.
inline constexpr const char* kFortunesFolder = "/usr/share/games/fortunes";

// The fortunes of every regular file directly in `folder`, in name order. Skipped: strfile's
// indexes (*.dat), the *.u8 links (the same files again) and every subfolder (Debian puts the
// offensive ones in off/ and other languages in folders of their own). A fortunes file is
// entries separated by lines holding only "%"; each entry with any text becomes its lines, each
// ended by "\n", then one empty line. Throws when the folder is missing or holds no fortunes.
TextCorpus read_fortunes(const std::filesystem::path& folder, Loc caller = Loc::current());

// The bytes of one text file, as they are. Throws when it cannot be read or is empty.
TextCorpus read_text_file(const std::filesystem::path& file, Loc caller = Loc::current());

// Every distinct character (byte) of a text, with ids 0 … size-1 in byte order.
class CharVocab {
 public:
  // Throws on an empty text: a vocabulary needs at least one character.
  explicit CharVocab(std::string_view text, Loc caller = Loc::current());

  int64_t size() const { return static_cast<int64_t>(characters_.size()); }
  // The characters in id order.
  const std::string& characters() const { return characters_; }
  bool contains(char c) const { return ids_[static_cast<unsigned char>(c)] >= 0; }
  // Throws naming the character when it is not in the vocabulary, or the id when out of range.
  int64_t id(char c, Loc caller = Loc::current()) const;
  char character(int64_t id, Loc caller = Loc::current()) const;

  // Throws naming the first character not in the vocabulary and its offset in the text.
  std::vector<int64_t> encode(std::string_view text, Loc caller = Loc::current()) const;
  std::string decode(const std::vector<int64_t>& ids, Loc caller = Loc::current()) const;

 private:
  std::string characters_;
  int64_t ids_[256];  // byte → id, or -1
};

// The ids split in two: train the first, val the last `val_fraction` of them (rounded down),
// nanoGPT's split. Each part must hold more than block_size ids (one window and its next
// character), or this throws naming the part, its length and block_size.
struct TokenSplit {
  std::vector<int64_t> train, val;
};
TokenSplit split_tokens(const std::vector<int64_t>& ids, double val_fraction, int64_t block_size,
                        Loc caller = Loc::current());

// Inputs x [B, T] and targets y [B, T]: y[b, t] = x[b, t+1], the character after x[b, t].
struct WindowBatch {
  IndexTensor x, y;
};

// B windows of T = block_size ids, each starting at gen.integer(ids.size() - T), drawn in
// order b = 0 … B-1 (nanoGPT's get_batch). ids must hold more than block_size ids.
WindowBatch random_windows(const std::vector<int64_t>& ids, int64_t batch, int64_t block_size, Generator& gen,
                           Loc caller = Loc::current());

// The windows starting at 0, T, 2T, …: `count` of them, or as many whole ones as the ids hold
// (with their next character) when that is fewer. A fixed set, for a validation loss that every
// evaluation measures on the same text.
WindowBatch consecutive_windows(const std::vector<int64_t>& ids, int64_t count, int64_t block_size,
                                Loc caller = Loc::current());

}  // namespace glimpse::nn
