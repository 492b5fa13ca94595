// Vocab: the table between tokens (words, digits, letters) and the integer ids a model reads.
// Introduced in lesson 05 (encoder-decoder), the first lesson that turns text into ids.
//
// Ids 0..3 are always the special tokens, in PyTorch tutorials' usual order:
//   <pad> = 0  fills short sequences up to the batch's longest (masked out everywhere),
//   <sos> = 1  the first decoder input ("start of sequence"),
//   <eos> = 2  the decoder's last output: "I am done",
//   <unk> = 3  any token the vocabulary has never seen.
// Every other token gets the next free id, in the order it was added, so a vocabulary built from
// the same token list always gives the same ids.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "autograd/error.hpp"

namespace glimpse::nn {

class Vocab {
 public:
  static constexpr int64_t kPad = 0;
  static constexpr int64_t kSos = 1;
  static constexpr int64_t kEos = 2;
  static constexpr int64_t kUnk = 3;
  static constexpr int64_t kNumSpecial = 4;

  // Only the four special tokens.
  Vocab();
  // The special tokens, then `tokens` in order (duplicates are added once).
  explicit Vocab(const std::vector<std::string>& tokens);

  // Adds `token` if it is new; returns its id either way.
  int64_t add(const std::string& token);
  bool contains(const std::string& token) const { return ids_.count(token) != 0; }
  // The id of `token`, or kUnk for a token never added.
  int64_t id(const std::string& token) const;
  // The token of `id`; throws naming the id and the vocabulary size when it is out of range.
  const std::string& token(int64_t id, Loc caller = Loc::current()) const;
  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  const std::vector<std::string>& tokens() const { return tokens_; }
  static bool is_special(int64_t id) { return id >= 0 && id < kNumSpecial; }

  // Tokens → ids (unknown tokens become kUnk). No <sos>/<eos> is added: batching does that.
  std::vector<int64_t> encode(const std::vector<std::string>& tokens) const;
  // Ids → tokens. With `strip_special` (the default) decoding stops at the first <eos> and drops
  // <pad> and <sos>, which is what a decoder's output should be read as; <unk> is kept.
  std::vector<std::string> decode(const std::vector<int64_t>& ids, bool strip_special = true,
                                  Loc caller = Loc::current()) const;

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int64_t> ids_;
};

// Tokens joined by single spaces: "a b c" (for messages and lesson tables).
std::string join_tokens(const std::vector<std::string>& tokens);

}  // namespace glimpse::nn
