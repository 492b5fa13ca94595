// Lesson 05: padding, masks and shuffled batches.
#include "nn/batch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace glimpse::nn {

Batch make_batch(std::span<const Example> examples, const Vocab& source_vocab, const Vocab& target_vocab,
                 int64_t ignore_index, Loc caller) {
  const CallerScope scope(caller);
  detail::check(!examples.empty(), "make_batch", caller, [] { return std::string("no examples to batch"); });
  const auto B = static_cast<int64_t>(examples.size());
  int64_t S = 0;
  int64_t T = 0;
  for (int64_t b = 0; b < B; ++b) {
    const Example& ex = examples[b];
    detail::check(!ex.source.empty(), "make_batch", caller, [&] {
      return fmt::format("example {} has an empty source (attention needs at least one token)", b);
    });
    S = std::max<int64_t>(S, ex.source.size());
    T = std::max<int64_t>(T, ex.target.size() + 1);  // + <eos> (or <sos> at the front)
  }

  Batch batch;
  batch.ignore_index = ignore_index;
  std::vector<int64_t> source(B * S, Vocab::kPad);
  std::vector<float> source_mask(B * S, 0.0f);
  std::vector<int64_t> input(B * T, Vocab::kPad);
  std::vector<int64_t> target(B * T, ignore_index);
  std::vector<float> target_mask(B * T, 0.0f);
  for (int64_t b = 0; b < B; ++b) {
    const std::vector<int64_t> src = source_vocab.encode(examples[b].source);
    const std::vector<int64_t> tgt = target_vocab.encode(examples[b].target);
    for (size_t s = 0; s < src.size(); ++s) {
      source[b * S + s] = src[s];
      source_mask[b * S + s] = 1.0f;
    }
    input[b * T] = Vocab::kSos;
    for (size_t t = 0; t < tgt.size(); ++t) {
      input[b * T + t + 1] = tgt[t];
      target[b * T + t] = tgt[t];
    }
    target[b * T + tgt.size()] = Vocab::kEos;
    for (size_t t = 0; t <= tgt.size(); ++t) target_mask[b * T + t] = 1.0f;
    batch.source_lengths.push_back(static_cast<int64_t>(src.size()));
    batch.target_lengths.push_back(static_cast<int64_t>(tgt.size()) + 1);
    batch.example_indices.push_back(b);
  }
  batch.source = IndexTensor(std::move(source), {B, S});
  batch.source_mask = from_vector(source_mask, {B, S});
  batch.decoder_input = IndexTensor(std::move(input), {B, T});
  batch.decoder_target = IndexTensor(std::move(target), {B, T});
  batch.target_mask = from_vector(target_mask, {B, T});
  return batch;
}

Batcher::Batcher(std::vector<Example> examples, Vocab source_vocab, Vocab target_vocab, int64_t batch_size,
                 uint64_t seed, bool shuffle, Loc caller)
    : examples_(std::move(examples)),
      source_vocab_(std::move(source_vocab)),
      target_vocab_(std::move(target_vocab)),
      batch_size_(batch_size),
      shuffle_(shuffle),
      gen_(seed) {
  const CallerScope scope(caller);
  detail::check(!examples_.empty(), "Batcher", caller, [] { return std::string("no examples to batch"); });
  detail::check(batch_size >= 1, "Batcher", caller,
                [&] { return fmt::format("batch_size is {}, must be at least 1", batch_size); });
  order_.resize(examples_.size());
  start_epoch();
}

void Batcher::start_epoch() {
  std::iota(order_.begin(), order_.end(), 0);
  if (shuffle_) {
    // Fisher-Yates with our own generator: std::shuffle's algorithm differs between standard
    // libraries, and the same seed must give the same batches everywhere.
    for (int64_t i = static_cast<int64_t>(order_.size()) - 1; i > 0; --i)
      std::swap(order_[i], order_[gen_.integer(i + 1)]);
  }
  cursor_ = 0;
}

int64_t Batcher::batches_per_epoch() const {
  return (static_cast<int64_t>(examples_.size()) + batch_size_ - 1) / batch_size_;
}

Batch Batcher::next() {
  if (cursor_ >= static_cast<int64_t>(order_.size())) {
    ++epoch_;
    start_epoch();
  }
  const int64_t end = std::min<int64_t>(cursor_ + batch_size_, order_.size());
  std::vector<Example> rows;
  std::vector<int64_t> indices;
  for (int64_t i = cursor_; i < end; ++i) {
    rows.push_back(examples_[order_[i]]);
    indices.push_back(order_[i]);
  }
  cursor_ = end;
  Batch batch = make_batch(rows, source_vocab_, target_vocab_);
  batch.example_indices = std::move(indices);
  return batch;
}

}  // namespace glimpse::nn
