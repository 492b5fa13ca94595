// Synthetic tasks with known answers and known alignments: the data every attention lesson uses.
// Introduced in lesson 05 (encoder-decoder: copy, reverse, sort, dates), then lesson 07 (reading
// attention: the toy translation), lesson 09 (self-attention: the coreference task) and lesson 12
// (the pronoun task: "it" → il or elle, which needs its referent).
//
// Each example says not only what the right output is but *where each output token comes from*
// (`alignment`), so a lesson can score an attention map against the truth. Every task draws its
// examples from a seeded Generator (same seed, same examples) and only produces sources whose
// length lies in [min_length, max_length], so train and test sets can be split by length
// ("train on 5-10 tokens, test on 11-20").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/error.hpp"
#include "autograd/random.hpp"

namespace glimpse::nn {

struct Example {
  std::vector<std::string> source;
  std::vector<std::string> target;
  // One entry per target token: the source positions it comes from. Most tokens come from one;
  // a token made from several lists them all (a French word translating two English words, a
  // date digit read from a month spelled letter by letter); a token that no source token
  // produces (the "-" separators of an ISO date) has none.
  std::vector<std::vector<int64_t>> alignment;
  // The source position a question is asked about (coreference: where "it" stands), else -1.
  int64_t query_position = -1;
  // The source position "it" stands for (the pronoun task: the noun whose gender picks il or
  // elle), else -1.
  int64_t referent = -1;
};

// Does target token k of `ex` come from source position j?
bool comes_from(const Example& ex, size_t k, int64_t j);

class Task {
 public:
  virtual ~Task() = default;
  // "reverse", "dates", ... (the names make_task() accepts).
  virtual std::string name() const = 0;
  // One example whose source length lies in [min_length(), max_length()].
  virtual Example sample(Generator& gen) const = 0;
  // Every token a source / a target can contain, in a fixed order: build a Vocab from these so
  // that ids never depend on which examples happened to be drawn.
  virtual std::vector<std::string> source_tokens() const = 0;
  virtual std::vector<std::string> target_tokens() const = 0;

  int64_t min_length() const { return min_length_; }
  int64_t max_length() const { return max_length_; }

 protected:
  // Checks 1 <= min <= max and that the range meets [shortest, longest], the lengths this task
  // can produce at all; the error names the task and both ranges.
  Task(const char* task_name, int64_t min_length, int64_t max_length, int64_t shortest, int64_t longest,
       Loc caller);
  // Draws from `make` until the source length is in range (for tasks built from a grammar,
  // whose lengths cannot be chosen directly).
  Example sample_in_range(Generator& gen, const std::function<Example(Generator&)>& make) const;

 private:
  int64_t min_length_;
  int64_t max_length_;
};

// `count` examples drawn one after another from `gen`.
std::vector<Example> generate(const Task& task, int64_t count, Generator& gen);
// The same, but never an example whose source appears in `exclude` (e.g. the test set), so
// "held out" really means unseen. Throws if the task cannot produce enough distinct sources.
std::vector<Example> generate_excluding(const Task& task, int64_t count, Generator& gen,
                                        const std::vector<Example>& exclude, Loc caller = Loc::current());

// ---- symbol tasks: a random string of letters "a", "b", ... --------------------------------
// The source is a uniformly random length in [min, max], each token uniform over the first
// `num_symbols` letters (at most 26).
class SymbolTask : public Task {
 public:
  std::vector<std::string> source_tokens() const override;
  std::vector<std::string> target_tokens() const override { return source_tokens(); }
  Example sample(Generator& gen) const override;
  int64_t num_symbols() const { return num_symbols_; }

 protected:
  SymbolTask(const char* task_name, int64_t min_length, int64_t max_length, int64_t num_symbols, Loc caller);
  // For target position i, the source position whose token goes there.
  virtual std::vector<int64_t> answer_order(const std::vector<std::string>& source) const = 0;

 private:
  int64_t num_symbols_;
};

// target = source.                             alignment: i → i (the diagonal).
class CopyTask : public SymbolTask {
 public:
  explicit CopyTask(int64_t min_length = 5, int64_t max_length = 10, int64_t num_symbols = 10,
                    Loc caller = Loc::current());
  std::string name() const override { return "copy"; }

 protected:
  std::vector<int64_t> answer_order(const std::vector<std::string>& source) const override;
};

// target = source backwards.                   alignment: i → n-1-i (the anti-diagonal).
class ReverseTask : public SymbolTask {
 public:
  explicit ReverseTask(int64_t min_length = 5, int64_t max_length = 10, int64_t num_symbols = 10,
                       Loc caller = Loc::current());
  std::string name() const override { return "reverse"; }

 protected:
  std::vector<int64_t> answer_order(const std::vector<std::string>& source) const override;
};

// target = source in alphabetical order.       alignment: a stable sort's permutation (equal
// letters keep their source order, so the alignment is unique).
class SortTask : public SymbolTask {
 public:
  explicit SortTask(int64_t min_length = 5, int64_t max_length = 10, int64_t num_symbols = 10,
                    Loc caller = Loc::current());
  std::string name() const override { return "sort"; }

 protected:
  std::vector<int64_t> answer_order(const std::vector<std::string>& source) const override;
};

// ---- date normalisation ----------------------------------------------------------------------
// A date between 1900-01-01 and 2099-12-31, written in one of six spoken or numeric formats,
// to ISO 8601, one character per token:
//   "april 7th 2023"              april 7 th 2 0 2 3
//   "7 apr 2023"                  7 apr 2 0 2 3
//   "the seventh of april 2023"   the seventh of april 2 0 2 3   ("twenty first" is two tokens)
//   "april 7, 2023"               april 7 , 2 0 2 3
//   "04/07/2023"                  0 4 / 0 7 / 2 0 2 3           (US order: month/day/year)
//   "7.4.2023"                    7 . 4 . 2 0 2 3               (European order: day.month.year)
// → 2 0 2 3 - 0 4 - 0 7. Numbers are split into digits so the vocabulary stays small and each
// target digit has a source token to align to: a year digit to the same digit, a month or day
// digit to the digit it copies, or to the word that spells the whole field ("april", "seventh";
// "twenty first": 2 → "twenty", 1 → "first"); "-" aligns to nothing (-1).
// Sources are 6 to 10 tokens long.
class DateTask : public Task {
 public:
  explicit DateTask(int64_t min_length = 6, int64_t max_length = 10, Loc caller = Loc::current());
  std::string name() const override { return "dates"; }
  Example sample(Generator& gen) const override;
  std::vector<std::string> source_tokens() const override;
  std::vector<std::string> target_tokens() const override;
  // The example for one given date and format (0..5, in the order listed above): for tests
  // and for lessons that want to show a particular date.
  static Example make(int64_t year, int64_t month, int64_t day, int64_t format, Loc caller = Loc::current());
  static constexpr int64_t kNumFormats = 6;
};

// ---- a toy English → French-like translation -------------------------------------------------
// Sentences from a small grammar, translated word by word, but with French word order:
//   sentence := clause [("and" | "but") clause]
//   clause   := np [adverb] verb np [preposition np]
//   np       := determiner adjective{0..2} noun
// In the target an adjective comes after its noun ("the big cat" → "le chat grand") and an
// adverb after its verb ("often sees" → "voit souvent"). The alignment records exactly these
// reorderings, so an attention map should show a diagonal that crosses where words move (the
// paper's Figure 3). Gender and agreement are left out on purpose: every word has one
// translation. Sources are 5 to 31 tokens long.
class TranslationTask : public Task {
 public:
  explicit TranslationTask(int64_t min_length = 5, int64_t max_length = 15, Loc caller = Loc::current());
  std::string name() const override { return "translation"; }
  Example sample(Generator& gen) const override;
  std::vector<std::string> source_tokens() const override;
  std::vector<std::string> target_tokens() const override;
  // The word-for-word dictionary, English → French-like.
  static const std::vector<std::pair<std::string, std::string>>& dictionary();
};

// ---- coreference: what does "it" refer to? ---------------------------------------------------
// "the animal didn't cross the street because it was too tired" — "it" is the animal; with
// "wide" instead of "tired", "it" is the street. Sentences come from a few templates (animal
// first or place first, optional describing words such as "old") with several animate nouns,
// places and adjectives: tired-like adjectives (tired, scared, ...) describe the animate noun,
// wide-like ones (wide, busy, ...) the place. The target is the one referent noun; its
// alignment is the referent's position and `query_position` is where "it" stands.
// Sources are 11 to 15 tokens long.
class CoreferenceTask : public Task {
 public:
  explicit CoreferenceTask(int64_t min_length = 11, int64_t max_length = 15, Loc caller = Loc::current());
  std::string name() const override { return "coreference"; }
  Example sample(Generator& gen) const override;
  std::vector<std::string> source_tokens() const override;
  std::vector<std::string> target_tokens() const override;
  // Adjectives that make "it" the animate noun, and those that make it the place.
  static const std::vector<std::string>& animate_adjectives();
  static const std::vector<std::string>& place_adjectives();
};

// ---- the pronoun that needs its referent: English → French -----------------------------------
// "the animal didn't cross the street because it was too tired"
//   → "l' animal n'a pas traversé la rue parce qu' il était trop fatigué"
// "... because it was too wide" → "... parce qu' elle était trop large"
// French gives every noun a gender, and "it" becomes il or elle after the noun it stands for:
// the pronoun cannot be translated without finding the referent. Which noun that is, the
// adjective at the end decides (tired-like → the animate noun, wide-like → the place, as in the
// coreference task); which pronoun, only the referent's gender decides: half the animate nouns
// and half the places are feminine, drawn independently, so neither the adjective nor the noun
// kind gives il/elle away. Sentences:
//   the A didn't cross the P             → DET A' n'a pas traversé DET P'
//   the A did not cross the P            → DET A' n'a pas traversé DET P'
//   the A refused to cross the P         → DET A' a refusé de traverser DET P'
//   the P was not crossed by the A       → DET P' n'a pas été traversé(e) par DET A'
// then "because it was too ADJ" → "parce qu' il/elle était trop ADJ'". Each noun phrase may carry
// a describer ("the big dog" → "le grand chien", "la grande vache"); the article is le, la or l'
// (before a vowel: "l' animal", but "le petit animal"). Adjectives agree with the referent
// (fatigué / fatiguée), the passive participle with the place (traversée), describers with their
// noun: more tokens whose form needs a noun's gender. "qu'" and "il" are separate tokens, so the
// pronoun is one target token. Alignment: each French word to the English word(s) it translates
// (n'a and pas → didn't; the article → "the"; il/elle → "it"). query_position is "it", referent
// the position of the noun it stands for. Sources are 11 to 15 tokens long.
//
// Order::BecauseFirst fronts the because-clause in the French, as French may ("parce qu' il était
// trop fatigué , l' animal n'a pas traversé la rue"; the comma aligns to nothing). In the natural
// order the decoder has written both nouns, with their genders, before it writes il or elle, so it
// can read the gender from its own output and needs from the source only whether the sentence is
// tired-like or wide-like; fronted, the gender can come from nowhere but the source.
class PronounTask : public Task {
 public:
  enum class Order { Natural, BecauseFirst };
  struct Noun {
    std::string english, french;
    bool feminine;
  };
  struct Adjective {
    std::string english, masculine, feminine;
  };
  explicit PronounTask(int64_t min_length = 11, int64_t max_length = 15, Order order = Order::Natural,
                       Loc caller = Loc::current());
  std::string name() const override { return "pronoun"; }
  Example sample(Generator& gen) const override;
  std::vector<std::string> source_tokens() const override;
  std::vector<std::string> target_tokens() const override;

  static constexpr int64_t kNumForms = 4;  // the four sentence forms above, in that order
  // The sentence for a given animate noun, place, form (0..3) and adjective, without describers:
  // the title's two are make("animal", "street", 0, "tired") and make("animal", "street", 0, "wide").
  static Example make(const std::string& animate, const std::string& place, int64_t form,
                      const std::string& adjective, Order order = Order::Natural,
                      Loc caller = Loc::current());
  Order order() const { return order_; }
  static const std::vector<Noun>& animates();
  static const std::vector<Noun>& places();
  // Adjectives that make "it" the animate noun (tired-like), and those that make it the place.
  static const std::vector<Adjective>& animate_adjectives();
  static const std::vector<Adjective>& place_adjectives();
  // Is `ex` (one of this task's) about the animate noun: does it end in a tired-like adjective?
  static bool about_animate(const Example& ex);

 private:
  Order order_;
};

// ---- by name (for lesson flags) --------------------------------------------------------------
// "copy", "reverse", "sort" (10 symbols), "dates", "translation", "coreference", "pronoun".
std::unique_ptr<Task> make_task(const std::string& name, int64_t min_length, int64_t max_length,
                                Loc caller = Loc::current());
std::vector<std::string> task_names();

}  // namespace glimpse::nn
