// Batching: many examples of different lengths become one rectangle of ids plus masks.
// Introduced in lesson 05 (encoder-decoder), where sequences first come in batches.
//
// Sequences are padded with <pad> up to the longest one *in the batch*; a float mask [B, T]
// holds 1 for a real token and 0 for padding, so attention and losses can ignore the padding.
// The decoder is trained with teacher forcing, so a target y1..yn gives two rows:
//   decoder_input   <sos> y1 ... yn          (what the decoder reads at each step)
//   decoder_target  y1 ... yn <eos>          (what it should predict at each step)
// and padding in decoder_target is `ignore_index`, which cross_entropy skips.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "autograd/tensor.hpp"
#include "nn/tasks.hpp"
#include "nn/vocab.hpp"

namespace glimpse::nn {

struct Batch {
  IndexTensor source;                  // [B, S] source ids, <pad> after each sequence
  Tensor source_mask;                  // [B, S] 1 = real token, 0 = padding
  std::vector<int64_t> source_lengths; // B real lengths
  IndexTensor decoder_input;           // [B, T] <sos> + target, then <pad>
  IndexTensor decoder_target;          // [B, T] target + <eos>, then ignore_index
  Tensor target_mask;                  // [B, T] 1 where decoder_target is real (incl. <eos>)
  std::vector<int64_t> target_lengths; // B lengths of target + <eos>
  int64_t ignore_index = kIgnoreIndex; // the value padding decoder_target (pass it to the loss)
  // Which examples the rows are: indices into the list the batch was made from.
  std::vector<int64_t> example_indices;

  int64_t size() const { return static_cast<int64_t>(source_lengths.size()); }
  int64_t source_len() const { return source.shape.size() == 2 ? source.shape[1] : 0; }
  int64_t target_len() const { return decoder_input.shape.size() == 2 ? decoder_input.shape[1] : 0; }
};

// One batch of `examples` (rows in the given order). Every source must have at least one token;
// unknown tokens become <unk>. `example_indices` is 0..B-1 (Batcher sets the dataset indices).
Batch make_batch(std::span<const Example> examples, const Vocab& source_vocab, const Vocab& target_vocab,
                 int64_t ignore_index = kIgnoreIndex, Loc caller = Loc::current());

// Endless batches from a fixed list of examples: each epoch visits every example once, in an
// order shuffled by a generator seeded with `seed` (same seed, same batches). The last batch
// of an epoch may be smaller.
class Batcher {
 public:
  Batcher(std::vector<Example> examples, Vocab source_vocab, Vocab target_vocab, int64_t batch_size,
          uint64_t seed, bool shuffle = true, Loc caller = Loc::current());

  // The next batch; after the last batch of an epoch a new, reshuffled epoch begins.
  Batch next();
  int64_t batches_per_epoch() const;
  // Completed epochs so far.
  int64_t epoch() const { return epoch_; }
  const std::vector<Example>& examples() const { return examples_; }

 private:
  void start_epoch();

  std::vector<Example> examples_;
  Vocab source_vocab_;
  Vocab target_vocab_;
  int64_t batch_size_;
  bool shuffle_;
  Generator gen_;
  std::vector<int64_t> order_;
  int64_t cursor_ = 0;
  int64_t epoch_ = 0;
};

}  // namespace glimpse::nn
