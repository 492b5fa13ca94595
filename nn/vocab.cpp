// Lesson 05: tokens ↔ ids.
#include "nn/vocab.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "autograd/caller_scope.hpp"

namespace glimpse::nn {

Vocab::Vocab() {
  for (const char* special : {"<pad>", "<sos>", "<eos>", "<unk>"}) add(special);
}

Vocab::Vocab(const std::vector<std::string>& tokens) : Vocab() {
  for (const std::string& t : tokens) add(t);
}

int64_t Vocab::add(const std::string& token) {
  auto [it, inserted] = ids_.try_emplace(token, size());
  if (inserted) tokens_.push_back(token);
  return it->second;
}

int64_t Vocab::id(const std::string& token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? kUnk : it->second;
}

const std::string& Vocab::token(int64_t id, Loc caller) const {
  const CallerScope scope(caller);
  detail::check(id >= 0 && id < size(), "Vocab::token", caller,
                [&] { return fmt::format("id {} is outside the vocabulary (ids 0..{})", id, size() - 1); });
  return tokens_[id];
}

std::vector<int64_t> Vocab::encode(const std::vector<std::string>& tokens) const {
  std::vector<int64_t> out;
  out.reserve(tokens.size());
  for (const std::string& t : tokens) out.push_back(id(t));
  return out;
}

std::vector<std::string> Vocab::decode(const std::vector<int64_t>& ids, bool strip_special,
                                       Loc caller) const {
  const CallerScope scope(caller);
  std::vector<std::string> out;
  for (int64_t i : ids) {
    if (strip_special && i == kEos) break;
    if (strip_special && (i == kPad || i == kSos)) continue;
    out.push_back(token(i));
  }
  return out;
}

std::string join_tokens(const std::vector<std::string>& tokens) {
  return fmt::format("{}", fmt::join(tokens, " "));
}

}  // namespace glimpse::nn
