// EXERCISE (lesson 07): write keep_best, the heart of beam search (greedy_decode and the batched
// loop around keep_best are done: read them first).
// This is your copy of nn/decoding.cpp with the exercise part removed. Build the lessons against
// it with  cmake -B build -DGLIMPSE_EXERCISES=decoding  and check it with  ctest --test-dir build -L exercise.
// The reference solution is nn/decoding.cpp: peek only when stuck.
//
// Lessons 05-06: greedy decoding and beam search.
#include "nn/decoding.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <span>
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
      if (previous[b] == Vocab::kEos)
        done[b] = true;
      else
        out.sequences[b].push_back(previous[b]);
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

// One source sentence's search between two decoder steps.
struct SentenceSearch {
  std::vector<Beam> alive = std::vector<Beam>(1);  // starts from the empty hypothesis
  std::vector<Hypothesis> finished;
};

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

// The heart of beam search, for one sentence after one decoder step. `log_p` holds log p(v | y)
// for each of its alive hypotheses y (row-major [alive, V]), `weights` their attention over
// the S source positions ([alive, S], or empty). Of every one-token extension, keep the k most
// probable: those ending in <eos> are finished, the others stay alive. Returns each new alive
// hypothesis's parent, an index into the old `alive`; `alive` is empty once the sentence is done.
std::vector<int64_t> keep_best(SentenceSearch& search, std::span<const float> log_p, int64_t V,
                               std::span<const float> weights, int64_t S, const BeamOptions& options) {
  // TODO(exercise): write this yourself: rank every one-token extension of every alive
  // hypothesis by its log-probability, keep the k best (finished if it ends in <eos>), refill the
  // beam with the next best non-<eos> ones, and return each new alive hypothesis's parent. The
  // equations are in docs/lessons/07_reading_attention.md; `ctest --test-dir build -L exercise_decoding`
  // checks your version.
  (void)search, (void)log_p, (void)V, (void)weights, (void)S, (void)options;
  throw glimpse::Error("exercise", "keep_best (beam search: keep the k most probable extensions) is not written yet (exercises/, see docs/exercises.md)");
}

// The rows of every tensor of the memory (each decoder row reads its own sentence's source).
DecoderMemory memory_rows(const DecoderMemory& m, const IndexTensor& rows) {
  auto pick = [&](const Tensor& t) { return t.defined() ? index_select(t, 0, rows) : Tensor(); };
  return {pick(m.states), pick(m.final), pick(m.padding_mask), pick(m.keys)};
}

// Hypotheses still alive at max_length are returned unfinished if fewer than k finished; best first.
std::vector<Hypothesis> ranked(SentenceSearch& search, const BeamOptions& options) {
  const int64_t k = options.width;
  std::vector<Hypothesis>& out = search.finished;
  for (Beam& beam : search.alive) {
    if (static_cast<int64_t>(out.size()) >= k) break;
    out.push_back(finish(std::move(beam), false, options.length_normalize));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Hypothesis& x, const Hypothesis& y) { return x.score > y.score; });
  if (static_cast<int64_t>(out.size()) > k) out.resize(static_cast<size_t>(k));
  return std::move(out);
}

}  // namespace

std::vector<std::vector<Hypothesis>> beam_search(const Seq2seq& model, const IndexTensor& source,
                                                 const Tensor& source_mask, BeamOptions options, Loc caller) {
  const CallerScope scope(caller);
  check(source.shape.size() == 2 && source.shape[0] >= 1 && source.shape[1] >= 1, "beam_search", caller, [&] {
    return fmt::format("expects source ids [batch >= 1, length >= 1], got {}", to_string(source.shape));
  });
  check(!source_mask.defined() || source_mask.shape() == source.shape, "beam_search", caller, [&] {
    return fmt::format("source_mask must have the source's shape {} (1 = real token), got {}",
                       to_string(source.shape), to_string(source_mask.shape()));
  });
  check(options.width >= 1 && options.max_length >= 1, "beam_search", caller, [&] {
    return fmt::format("width ({}) and max_length ({}) must be at least 1", options.width,
                       options.max_length);
  });
  NoGradGuard no_grad;
  const Seq2seqDecoder& decoder = model.decoder();
  const int64_t B = source.shape[0], S = source.shape[1];
  const DecoderMemory memory = model.encode(source, source_mask);
  const int64_t V = decoder.vocab_size();
  // Each sentence's real length: its hypotheses keep attention over its own tokens only.
  std::vector<int64_t> lengths(static_cast<size_t>(B), S);
  if (source_mask.defined()) {
    const std::vector<float> mask = source_mask.to_vector();
    for (int64_t b = 0; b < B; ++b)
      lengths[b] = static_cast<int64_t>(std::count(&mask[b * S], &mask[b * S] + S, 1.0f));
  }

  // All sentences step together: one decoder row per alive hypothesis, sentence by sentence.
  std::vector<SentenceSearch> searches(static_cast<size_t>(B));
  std::vector<int64_t> row_sentence(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) row_sentence[b] = b;
  std::vector<int64_t> previous(static_cast<size_t>(B), Vocab::kSos);
  DecoderState state = decoder.initial_state(memory);
  for (int64_t t = 0; t < options.max_length && !row_sentence.empty(); ++t) {
    StepScope scope(t);
    const auto n = static_cast<int64_t>(row_sentence.size());
    const DecoderStep s = decoder.step(decoder.embed(IndexTensor(previous, {n})), state,
                                       memory_rows(memory, IndexTensor(row_sentence)));
    const std::vector<float> log_p = log_softmax(s.logits, 1).to_vector();  // [n, V]
    const std::vector<float> weights = s.attention.defined() ? s.attention.to_vector() : std::vector<float>();

    std::vector<int64_t> next_rows, next_sentence, next_previous;
    for (int64_t first = 0; first < n;) {
      const int64_t b = row_sentence[first];
      SentenceSearch& search = searches[b];
      const auto rows = static_cast<int64_t>(search.alive.size());
      // This sentence's rows, and its attention over its real tokens alone.
      std::vector<float> own_weights;
      for (int64_t r = 0; r < rows && !weights.empty(); ++r)
        own_weights.insert(own_weights.end(), weights.begin() + (first + r) * S,
                           weights.begin() + (first + r) * S + lengths[b]);
      const std::span<const float> own_log_p(log_p.data() + first * V, static_cast<size_t>(rows * V));
      for (int64_t parent : keep_best(search, own_log_p, V, own_weights, lengths[b], options)) {
        next_rows.push_back(first + parent);
        next_sentence.push_back(b);
      }
      for (const Beam& beam : search.alive) next_previous.push_back(beam.tokens.back());
      first += rows;
    }
    if (next_rows.empty()) break;
    state = s.state.rows(IndexTensor(next_rows));
    row_sentence = std::move(next_sentence);
    previous = std::move(next_previous);
  }
  std::vector<std::vector<Hypothesis>> out;
  for (SentenceSearch& search : searches) out.push_back(ranked(search, options));
  return out;
}

std::vector<Hypothesis> beam_search(const Seq2seq& model, const std::vector<int64_t>& source,
                                    BeamOptions options, Loc caller) {
  const CallerScope scope(caller);
  check(!source.empty(), "beam_search", caller, [] { return std::string("the source is empty"); });
  const auto S = static_cast<int64_t>(source.size());
  return beam_search(model, IndexTensor(source, {1, S}), Tensor(), options).front();
}

}  // namespace glimpse::nn
