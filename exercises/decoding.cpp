// EXERCISE (lesson 07): write beam_search (greedy_decode is done: start from it).
// This is your copy of nn/decoding.cpp with the exercise part removed. Build the lessons against
// it with  cmake -B build -DGLIMPSE_EXERCISES=decoding  and check it with  ctest --test-dir build -L exercise.
// The reference solution is nn/decoding.cpp: peek only when stuck.
//
// Lessons 05-06: greedy decoding and beam search.
#include "nn/decoding.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "autograd/tape.hpp"
#include "nn/vocab.hpp"

namespace glimpse::nn {

using glimpse::detail::check;

GreedyOutput greedy_decode(const Seq2seq& model, const IndexTensor& source, const Tensor& source_mask,
                           int64_t max_length, Loc caller) {
  const CallerScope scope(caller);
  check(max_length >= 1, "greedy_decode", caller,
        [&] { return fmt::format("max_length is {}, must be at least 1", max_length); });
  check(source.shape.size() == 2, "greedy_decode", caller,
        [&] { return fmt::format("expects source ids [batch, length], got {}", to_string(source.shape)); });
  return greedy_decode(model, source, source_mask,
                       std::vector<int64_t>(static_cast<size_t>(source.shape[0]), max_length));
}

GreedyOutput greedy_decode(const Seq2seq& model, const IndexTensor& source, const Tensor& source_mask,
                           const std::vector<int64_t>& max_lengths, Loc caller) {
  const CallerScope scope(caller);
  check(source.shape.size() == 2 && static_cast<int64_t>(max_lengths.size()) == source.shape[0],
        "greedy_decode", caller, [&] {
          return fmt::format(
              "expects source ids [batch, length] and one max length per row, got {} and {} lengths",
              to_string(source.shape), max_lengths.size());
        });
  for (size_t b = 0; b < max_lengths.size(); ++b)
    check(max_lengths[b] >= 1, "greedy_decode", caller,
          [&] { return fmt::format("max_lengths[{}] is {}, must be at least 1", b, max_lengths[b]); });
  NoGradGuard no_grad;
  const Seq2seqDecoder& decoder = model.decoder();
  const DecoderMemory memory = model.encode(source, source_mask);
  const int64_t B = source.shape[0];
  const int64_t longest = *std::max_element(max_lengths.begin(), max_lengths.end());

  GreedyOutput out;
  out.sequences.resize(static_cast<size_t>(B));
  std::vector<bool> done(static_cast<size_t>(B), false);
  std::vector<int64_t> ran(static_cast<size_t>(B), 0);  // the steps each row took, its <eos> included
  std::vector<std::vector<int64_t>> steps;              // the argmax of every step, [T][B]
  std::vector<Tensor> attention;
  IndexTensor previous(std::vector<int64_t>(static_cast<size_t>(B), Vocab::kSos), {B});
  DecoderState state = decoder.initial_state(memory);
  for (int64_t t = 0; t < longest; ++t) {
    StepScope scope(t);
    const DecoderStep s = decoder.step(decoder.embed(previous), state, memory);
    state = s.state;
    if (s.attention.defined()) attention.push_back(s.attention);
    previous = argmax(s.logits, 1, false);  // the model's own guess is the next input
    steps.push_back(previous.values);
    for (int64_t b = 0; b < B; ++b) {
      if (done[b]) continue;
      ran[b] = t + 1;
      if (previous[b] == Vocab::kEos) done[b] = true;
      else out.sequences[b].push_back(previous[b]);
      if (ran[b] >= max_lengths[b]) done[b] = true;
    }
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
  }

  const auto T = static_cast<int64_t>(steps.size());
  std::vector<int64_t> tokens(static_cast<size_t>(B * T), Vocab::kPad);  // <pad> after a row's end
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < ran[b]; ++t) tokens[b * T + t] = steps[t][b];
  out.tokens = IndexTensor(std::move(tokens), {B, T});
  if (!attention.empty()) out.attention = stack(attention, 1);
  return out;
}

namespace {

struct Beam {
  std::vector<int64_t> tokens;
  float log_prob = 0.0f;
  std::vector<std::vector<float>> attention;
};

struct Candidate {
  float log_prob;
  int64_t beam;
  int64_t token;
};

// The memory for `n` copies of the one source (one row per alive hypothesis).
DecoderMemory repeat_rows(const DecoderMemory& m, int64_t n) {
  const IndexTensor rows(std::vector<int64_t>(static_cast<size_t>(n), 0), {n});
  auto repeat = [&](const Tensor& t) { return t.defined() ? index_select(t, 0, rows) : Tensor(); };
  return {repeat(m.states), repeat(m.final), repeat(m.padding_mask), repeat(m.keys)};
}

Hypothesis finish(Beam beam, bool finished, bool length_normalize) {
  Hypothesis h;
  h.log_prob = beam.log_prob;
  h.finished = finished;
  const auto length = static_cast<float>(beam.tokens.size() + (finished ? 1 : 0));
  h.score = length_normalize && length > 0 ? beam.log_prob / length : beam.log_prob;
  h.tokens = std::move(beam.tokens);
  h.attention = std::move(beam.attention);
  return h;
}

}  // namespace

std::vector<Hypothesis> beam_search(const Seq2seq& model, const std::vector<int64_t>& source,
                                    BeamOptions options, Loc caller) {
  const CallerScope scope(caller);
  // TODO(exercise): write this yourself. The equations are in the header and in
  // docs/lessons/07_reading_attention.md; `ctest --test-dir build -L exercise` checks your version.
  throw glimpse::Error("exercise", "beam_search (keep the k most probable partial outputs) is not written yet (exercises/, see docs/exercises.md)");
}

}  // namespace glimpse::nn
