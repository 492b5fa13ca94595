// Lessons 05, 07, 09, 12: synthetic tasks with known answers and alignments.
#include "nn/tasks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <set>
#include <utility>

#include "autograd/caller_scope.hpp"

namespace glimpse::nn {

namespace {

// One token of a sentence under construction, with the source position it came from (-1: none).
struct Aligned {
  std::string token;
  int64_t source_position;
};

template <class T>
const T& pick(const std::vector<T>& items, Generator& gen) {
  return items[gen.integer(static_cast<int64_t>(items.size()))];
}

bool chance(Generator& gen, float p) { return gen.uniform() < p; }

void split_aligned(const std::vector<Aligned>& target, Example& ex) {
  for (const Aligned& a : target) {
    ex.target.push_back(a.token);
    ex.alignment.push_back(a.source_position >= 0 ? std::vector<int64_t>{a.source_position}
                                                  : std::vector<int64_t>{});
  }
}

}  // namespace

bool comes_from(const Example& ex, size_t k, int64_t j) {
  return k < ex.alignment.size() &&
         std::find(ex.alignment[k].begin(), ex.alignment[k].end(), j) != ex.alignment[k].end();
}

// ---- Task ------------------------------------------------------------------------------------

Task::Task(const char* task_name, int64_t min_length, int64_t max_length, int64_t shortest, int64_t longest,
           Loc caller)
    : min_length_(min_length), max_length_(max_length) {
  const CallerScope scope(caller);
  detail::check(min_length >= 1 && min_length <= max_length, task_name, caller, [&] {
    return fmt::format("source lengths [{}, {}] are not a range: need 1 <= min <= max", min_length,
                       max_length);
  });
  detail::check(min_length <= longest && max_length >= shortest, task_name, caller, [&] {
    return fmt::format("source lengths [{}, {}] are impossible: this task makes sources of {} to {} tokens",
                       min_length, max_length, shortest, longest);
  });
}

Example Task::sample_in_range(Generator& gen,
                              const std::function<Example(Generator&)>& make) const {
  // Rare lengths of a grammar can need many draws; each draw is cheap.
  constexpr int64_t kMaxDraws = 1'000'000;
  for (int64_t i = 0; i < kMaxDraws; ++i) {
    Example ex = make(gen);
    const auto n = static_cast<int64_t>(ex.source.size());
    if (n >= min_length_ && n <= max_length_) return ex;
  }
  throw Error(name(), fmt::format("no source of length [{}, {}] in {} draws", min_length_, max_length_, kMaxDraws),
              Loc::current());
}

std::vector<Example> generate(const Task& task, int64_t count, Generator& gen) {
  std::vector<Example> out;
  out.reserve(count);
  for (int64_t i = 0; i < count; ++i) out.push_back(task.sample(gen));
  return out;
}

std::vector<Example> generate_excluding(const Task& task, int64_t count, Generator& gen,
                                        const std::vector<Example>& exclude, Loc caller) {
  const CallerScope scope(caller);
  std::set<std::vector<std::string>> seen;
  for (const Example& ex : exclude) seen.insert(ex.source);
  std::vector<Example> out;
  out.reserve(count);
  int64_t rejected_in_a_row = 0;
  while (static_cast<int64_t>(out.size()) < count) {
    Example ex = task.sample(gen);
    if (seen.count(ex.source) != 0) {
      detail::check(++rejected_in_a_row < 100'000, "generate_excluding", caller, [&] {
        return fmt::format("task '{}' with lengths [{}, {}] keeps producing excluded sources ({} excluded)",
                           task.name(), task.min_length(), task.max_length(), exclude.size());
      });
      continue;
    }
    rejected_in_a_row = 0;
    out.push_back(std::move(ex));
  }
  return out;
}

// ---- symbol tasks ----------------------------------------------------------------------------

SymbolTask::SymbolTask(const char* task_name, int64_t min_length, int64_t max_length, int64_t num_symbols,
                       Loc caller)
    : Task(task_name, min_length, max_length, 1, max_length, caller), num_symbols_(num_symbols) {
  const CallerScope scope(caller);
  detail::check(num_symbols >= 2 && num_symbols <= 26, task_name, caller, [&] {
    return fmt::format("num_symbols is {}, but the symbols are the letters a..z: use 2 to 26",
                       num_symbols);
  });
}

std::vector<std::string> SymbolTask::source_tokens() const {
  std::vector<std::string> out;
  for (int64_t i = 0; i < num_symbols_; ++i) out.emplace_back(1, static_cast<char>('a' + i));
  return out;
}

Example SymbolTask::sample(Generator& gen) const {
  const int64_t n = min_length() + gen.integer(max_length() - min_length() + 1);
  Example ex;
  for (int64_t i = 0; i < n; ++i)
    ex.source.emplace_back(1, static_cast<char>('a' + gen.integer(num_symbols_)));
  for (int64_t from : answer_order(ex.source)) {
    ex.target.push_back(ex.source[from]);
    ex.alignment.push_back({from});
  }
  return ex;
}

CopyTask::CopyTask(int64_t min_length, int64_t max_length, int64_t num_symbols, Loc caller)
    : SymbolTask("CopyTask", min_length, max_length, num_symbols, caller) {}

std::vector<int64_t> CopyTask::answer_order(const std::vector<std::string>& source) const {
  std::vector<int64_t> order(source.size());
  std::iota(order.begin(), order.end(), 0);
  return order;
}

ReverseTask::ReverseTask(int64_t min_length, int64_t max_length, int64_t num_symbols, Loc caller)
    : SymbolTask("ReverseTask", min_length, max_length, num_symbols, caller) {}

std::vector<int64_t> ReverseTask::answer_order(const std::vector<std::string>& source) const {
  std::vector<int64_t> order(source.size());
  std::iota(order.rbegin(), order.rend(), 0);
  return order;
}

SortTask::SortTask(int64_t min_length, int64_t max_length, int64_t num_symbols, Loc caller)
    : SymbolTask("SortTask", min_length, max_length, num_symbols, caller) {}

std::vector<int64_t> SortTask::answer_order(const std::vector<std::string>& source) const {
  std::vector<int64_t> order(source.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return source[a] < source[b]; });
  return order;
}

// ---- dates -----------------------------------------------------------------------------------

namespace {

const std::vector<std::string> kMonths = {"january", "february", "march",     "april",
                                          "may",     "june",     "july",      "august",
                                          "september", "october", "november", "december"};
const std::vector<std::string> kMonthAbbreviations = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};
// Ordinal words for 1..20 (index 0 unused); 21..29 and 31 are "twenty"/"thirty" + one of these.
const std::vector<std::string> kOrdinals = {
    "",          "first",      "second",     "third",      "fourth",    "fifth",     "sixth",
    "seventh",   "eighth",     "ninth",      "tenth",      "eleventh",  "twelfth",   "thirteenth",
    "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth"};

bool is_leap_year(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t days_in_month(int64_t year, int64_t month) {
  static constexpr std::array<int64_t, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

std::string digit(int64_t d) { return std::string(1, static_cast<char>('0' + d)); }

// "st", "nd", "rd" or "th", as in 1st, 2nd, 3rd, 11th, 21st.
std::string ordinal_suffix(int64_t day) {
  if (day % 10 == 1 && day != 11) return "st";
  if (day % 10 == 2 && day != 12) return "nd";
  if (day % 10 == 3 && day != 13) return "rd";
  return "th";
}

// Builds a date's source and remembers, for each ISO digit of a field, its source position.
struct DateWriter {
  std::vector<std::string> source;
  std::array<int64_t, 4> year_from{};
  std::array<int64_t, 2> month_from{};
  std::array<int64_t, 2> day_from{};

  int64_t put(const std::string& token) {
    source.push_back(token);
    return static_cast<int64_t>(source.size()) - 1;
  }
  // A number in `width` digits (0: as few as needed); both ISO digits align to the digits
  // written (a missing leading zero aligns to the one digit there is).
  void number(int64_t value, int64_t width, std::array<int64_t, 2>& from) {
    if (value >= 10 || width == 2) {
      from[0] = put(digit(value / 10));
      from[1] = put(digit(value % 10));
    } else {
      from[0] = from[1] = put(digit(value));
    }
  }
  void word(const std::string& w, std::array<int64_t, 2>& from) { from[0] = from[1] = put(w); }
  void year(int64_t y) {
    for (int64_t i = 0, div = 1000; i < 4; ++i, div /= 10) year_from[i] = put(digit(y / div % 10));
  }
  void ordinal_day(int64_t day) {
    if (day <= 20 || day == 30) {
      word(day == 30 ? "thirtieth" : kOrdinals[day], day_from);
    } else {  // "twenty first": the tens digit from "twenty", the units digit from "first"
      day_from[0] = put(day < 30 ? "twenty" : "thirty");
      day_from[1] = put(kOrdinals[day % 10]);
    }
  }
};

}  // namespace

DateTask::DateTask(int64_t min_length, int64_t max_length, Loc caller)
    : Task("DateTask", min_length, max_length, 6, 10, caller) {}

Example DateTask::make(int64_t year, int64_t month, int64_t day, int64_t format, Loc caller) {
  const CallerScope scope(caller);
  detail::check(year >= 1000 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
                    day <= days_in_month(year, month),
                "DateTask::make", caller, [&] {
                  return fmt::format("{}-{}-{} is not a date between 1000 and 9999", year, month, day);
                });
  detail::check(format >= 0 && format < kNumFormats, "DateTask::make", caller,
                [&] { return fmt::format("format {} does not exist (0..{})", format, kNumFormats - 1); });
  DateWriter w;
  switch (format) {
    case 0:  // april 7th 2023
      w.word(kMonths[month - 1], w.month_from);
      w.number(day, 0, w.day_from);
      w.put(ordinal_suffix(day));
      w.year(year);
      break;
    case 1:  // 7 apr 2023
      w.number(day, 0, w.day_from);
      w.word(kMonthAbbreviations[month - 1], w.month_from);
      w.year(year);
      break;
    case 2:  // the seventh of april 2023
      w.put("the");
      w.ordinal_day(day);
      w.put("of");
      w.word(kMonths[month - 1], w.month_from);
      w.year(year);
      break;
    case 3:  // april 7, 2023
      w.word(kMonths[month - 1], w.month_from);
      w.number(day, 0, w.day_from);
      w.put(",");
      w.year(year);
      break;
    case 4:  // 04/07/2023
      w.number(month, 2, w.month_from);
      w.put("/");
      w.number(day, 2, w.day_from);
      w.put("/");
      w.year(year);
      break;
    default:  // 7.4.2023
      w.number(day, 0, w.day_from);
      w.put(".");
      w.number(month, 0, w.month_from);
      w.put(".");
      w.year(year);
      break;
  }
  Example ex;
  ex.source = std::move(w.source);
  std::vector<Aligned> target;
  for (int64_t i = 0, div = 1000; i < 4; ++i, div /= 10)
    target.push_back({digit(year / div % 10), w.year_from[i]});
  target.push_back({"-", -1});
  target.push_back({digit(month / 10), w.month_from[0]});
  target.push_back({digit(month % 10), w.month_from[1]});
  target.push_back({"-", -1});
  target.push_back({digit(day / 10), w.day_from[0]});
  target.push_back({digit(day % 10), w.day_from[1]});
  split_aligned(target, ex);
  return ex;
}

Example DateTask::sample(Generator& gen) const {
  return sample_in_range(gen, [](Generator& g) {
    const int64_t year = 1900 + g.integer(200);
    const int64_t month = 1 + g.integer(12);
    const int64_t day = 1 + g.integer(days_in_month(year, month));
    return make(year, month, day, g.integer(kNumFormats));
  });
}

std::vector<std::string> DateTask::source_tokens() const {
  std::vector<std::string> out;
  for (int64_t d = 0; d < 10; ++d) out.push_back(digit(d));
  for (const char* t : {"/", ".", ",", "the", "of", "st", "nd", "rd", "th", "twenty", "thirty", "thirtieth"})
    out.emplace_back(t);
  out.insert(out.end(), kMonths.begin(), kMonths.end());
  for (const std::string& m : kMonthAbbreviations)
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);  // "may" is both
  out.insert(out.end(), kOrdinals.begin() + 1, kOrdinals.end());
  return out;
}

std::vector<std::string> DateTask::target_tokens() const {
  std::vector<std::string> out;
  for (int64_t d = 0; d < 10; ++d) out.push_back(digit(d));
  out.emplace_back("-");
  return out;
}

// ---- toy translation -------------------------------------------------------------------------

namespace {

using WordPairs = std::vector<std::pair<std::string, std::string>>;
const WordPairs kDeterminers = {{"the", "le"}, {"a", "un"}, {"this", "ce"}, {"my", "mon"}};
const WordPairs kNouns = {{"cat", "chat"},     {"dog", "chien"},    {"bird", "oiseau"},
                          {"man", "homme"},    {"woman", "femme"},  {"child", "enfant"},
                          {"house", "maison"}, {"car", "voiture"},  {"book", "livre"},
                          {"tree", "arbre"},   {"apple", "pomme"},  {"ball", "balle"}};
const WordPairs kAdjectives = {{"big", "grand"},   {"small", "petit"}, {"red", "rouge"},
                               {"black", "noir"},  {"old", "vieux"},   {"green", "vert"},
                               {"happy", "heureux"}, {"white", "blanc"}};
const WordPairs kVerbs = {{"sees", "voit"},   {"eats", "mange"},      {"likes", "aime"},
                          {"takes", "prend"}, {"finds", "trouve"},    {"watches", "regarde"},
                          {"follows", "suit"}};
const WordPairs kAdverbs = {{"often", "souvent"}, {"sometimes", "parfois"}, {"always", "toujours"},
                            {"rarely", "rarement"}};
const WordPairs kPrepositions = {{"with", "avec"}, {"under", "sous"}, {"on", "sur"},
                                 {"behind", "derriere"}};
const WordPairs kConjunctions = {{"and", "et"}, {"but", "mais"}};

// Appends an English word to the source and returns its French partner, aligned to it.
Aligned say(const std::pair<std::string, std::string>& word, Example& ex) {
  ex.source.push_back(word.first);
  return {word.second, static_cast<int64_t>(ex.source.size()) - 1};
}

// np := determiner adjective{0..2} noun;  French: determiner noun adjective...
void noun_phrase(Generator& gen, Example& ex, std::vector<Aligned>& target) {
  target.push_back(say(pick(kDeterminers, gen), ex));
  const float u = gen.uniform();
  const int n_adjectives = u < 0.5f ? 0 : (u < 0.85f ? 1 : 2);
  std::vector<Aligned> adjectives;
  for (int i = 0; i < n_adjectives; ++i) adjectives.push_back(say(pick(kAdjectives, gen), ex));
  target.push_back(say(pick(kNouns, gen), ex));
  target.insert(target.end(), adjectives.begin(), adjectives.end());  // adjectives move after the noun
}

// clause := np [adverb] verb np [preposition np];  French: np verb [adverb] np [preposition np]
void clause(Generator& gen, Example& ex, std::vector<Aligned>& target) {
  noun_phrase(gen, ex, target);
  const bool has_adverb = chance(gen, 0.3f);
  Aligned adverb;
  if (has_adverb) adverb = say(pick(kAdverbs, gen), ex);
  target.push_back(say(pick(kVerbs, gen), ex));
  if (has_adverb) target.push_back(adverb);  // the adverb moves after the verb
  noun_phrase(gen, ex, target);
  if (chance(gen, 0.35f)) {
    target.push_back(say(pick(kPrepositions, gen), ex));
    noun_phrase(gen, ex, target);
  }
}


}  // namespace

TranslationTask::TranslationTask(int64_t min_length, int64_t max_length, Loc caller)
    : Task("TranslationTask", min_length, max_length, 5, 31, caller) {}

Example TranslationTask::sample(Generator& gen) const {
  return sample_in_range(gen, [](Generator& g) {
    Example ex;
    std::vector<Aligned> target;
    clause(g, ex, target);
    if (chance(g, 0.25f)) {  // sentence := clause [conjunction clause]
      target.push_back(say(pick(kConjunctions, g), ex));
      clause(g, ex, target);
    }
    split_aligned(target, ex);
    return ex;
  });
}

const std::vector<std::pair<std::string, std::string>>& TranslationTask::dictionary() {
  static const WordPairs all = [] {
    WordPairs out;
    for (const WordPairs* list : {&kDeterminers, &kNouns, &kAdjectives, &kVerbs, &kAdverbs,
                                  &kPrepositions, &kConjunctions})
      out.insert(out.end(), list->begin(), list->end());
    return out;
  }();
  return all;
}

std::vector<std::string> TranslationTask::source_tokens() const {
  std::vector<std::string> out;
  for (const auto& [english, french] : dictionary()) out.push_back(english);
  return out;
}

std::vector<std::string> TranslationTask::target_tokens() const {
  std::vector<std::string> out;
  for (const auto& [english, french] : dictionary()) out.push_back(french);
  return out;
}

// ---- coreference -----------------------------------------------------------------------------

namespace {

const std::vector<std::string> kAnimates = {"animal", "dog", "cat", "horse", "chicken", "boy", "girl", "man"};
const std::vector<std::string> kPlaces = {"street", "road", "river", "bridge", "field", "square"};
const std::vector<std::string> kDescribers = {"old", "big", "little"};
const std::vector<std::string> kAnimateAdjectives = {"tired", "scared", "weak", "slow", "sleepy", "lazy"};
const std::vector<std::string> kPlaceAdjectives = {"wide", "long", "busy", "crowded", "icy", "flooded"};

// "the [old] dog": returns the noun's position.
int64_t described_noun(Generator& gen, Example& ex, const std::string& noun) {
  ex.source.push_back("the");
  if (chance(gen, 0.3f)) ex.source.push_back(pick(kDescribers, gen));
  ex.source.push_back(noun);
  return static_cast<int64_t>(ex.source.size()) - 1;
}

void words(Example& ex, std::initializer_list<const char*> ws) {
  for (const char* w : ws) ex.source.emplace_back(w);
}

}  // namespace

CoreferenceTask::CoreferenceTask(int64_t min_length, int64_t max_length, Loc caller)
    : Task("CoreferenceTask", min_length, max_length, 11, 15, caller) {}

const std::vector<std::string>& CoreferenceTask::animate_adjectives() { return kAnimateAdjectives; }
const std::vector<std::string>& CoreferenceTask::place_adjectives() { return kPlaceAdjectives; }

Example CoreferenceTask::sample(Generator& gen) const {
  return sample_in_range(gen, [](Generator& g) {
    Example ex;
    const std::string& animate = pick(kAnimates, g);
    const std::string& place = pick(kPlaces, g);
    int64_t animate_at = -1;
    int64_t place_at = -1;
    switch (g.integer(4)) {
      case 0:  // the animal didn't cross the street
        animate_at = described_noun(g, ex, animate);
        words(ex, {"didn't", "cross"});
        place_at = described_noun(g, ex, place);
        break;
      case 1:  // the animal did not cross the street
        animate_at = described_noun(g, ex, animate);
        words(ex, {"did", "not", "cross"});
        place_at = described_noun(g, ex, place);
        break;
      case 2:  // the animal refused to cross the street
        animate_at = described_noun(g, ex, animate);
        words(ex, {"refused", "to", "cross"});
        place_at = described_noun(g, ex, place);
        break;
      default:  // the street was not crossed by the animal
        place_at = described_noun(g, ex, place);
        words(ex, {"was", "not", "crossed", "by"});
        animate_at = described_noun(g, ex, animate);
        break;
    }
    words(ex, {"because", "it"});
    ex.query_position = static_cast<int64_t>(ex.source.size()) - 1;
    words(ex, {"was", "too"});
    const bool about_animate = chance(g, 0.5f);
    ex.source.push_back(pick(about_animate ? kAnimateAdjectives : kPlaceAdjectives, g));
    const int64_t referent = about_animate ? animate_at : place_at;
    ex.target = {ex.source[referent]};
    ex.alignment = {{referent}};
    return ex;
  });
}

std::vector<std::string> CoreferenceTask::source_tokens() const {
  std::vector<std::string> out = {"the", "didn't", "did", "not", "cross", "refused", "to", "was",
                                  "crossed", "by", "because", "it", "too"};
  for (const auto* list : {&kAnimates, &kPlaces, &kDescribers, &kAnimateAdjectives, &kPlaceAdjectives})
    out.insert(out.end(), list->begin(), list->end());
  return out;
}

std::vector<std::string> CoreferenceTask::target_tokens() const {
  std::vector<std::string> out = kAnimates;
  out.insert(out.end(), kPlaces.begin(), kPlaces.end());
  return out;
}

// ---- the pronoun that needs its referent --------------------------------------------------------

namespace {

using Noun = PronounTask::Noun;
using Adjective = PronounTask::Adjective;

const std::vector<Noun> kPronounAnimates = {{"animal", "animal", false}, {"dog", "chien", false},
                                            {"horse", "cheval", false},  {"boy", "garçon", false},
                                            {"cow", "vache", true},      {"girl", "fille", true},
                                            {"goat", "chèvre", true},    {"mouse", "souris", true}};
const std::vector<Noun> kPronounPlaces = {{"bridge", "pont", false},  {"field", "champ", false},
                                          {"path", "chemin", false},  {"park", "parc", false},
                                          {"street", "rue", true},    {"road", "route", true},
                                          {"river", "rivière", true}, {"square", "place", true}};
const std::vector<Adjective> kPronounDescribers = {{"big", "grand", "grande"}, {"little", "petit", "petite"}};
const std::vector<Adjective> kTiredLike = {{"tired", "fatigué", "fatiguée"},
                                           {"scared", "effrayé", "effrayée"},
                                           {"slow", "lent", "lente"},
                                           {"weak", "faible", "faible"},
                                           {"lazy", "paresseux", "paresseuse"}};
const std::vector<Adjective> kWideLike = {{"wide", "large", "large"},
                                          {"long", "long", "longue"},
                                          {"busy", "fréquenté", "fréquentée"},
                                          {"narrow", "étroit", "étroite"},
                                          {"dangerous", "dangereux", "dangereuse"}};

const std::string& agreeing(const Adjective& a, bool feminine) { return feminine ? a.feminine : a.masculine; }

template <class T>
const T& named(const std::vector<T>& items, const std::string& english, const char* what) {
  for (const T& item : items)
    if (item.english == english) return item;
  throw Error("PronounTask::make", fmt::format("'{}' is not one of the task's {}", english, what));
}

// A sentence of the pronoun task under construction: the source, the target with its alignment.
struct PronounSentence {
  Example ex;
  std::vector<Aligned> target;

  int64_t say(const std::string& english) {
    ex.source.push_back(english);
    return static_cast<int64_t>(ex.source.size()) - 1;
  }
  // An English word and the French words it becomes.
  void say(const std::string& english, std::initializer_list<std::string> french) {
    const int64_t at = say(english);
    for (const std::string& f : french) target.push_back({f, at});
  }
  // "the [describer] noun" → "le/la/l' [describer] noun"; returns the noun's position.
  int64_t noun_phrase(const Noun& noun, const Adjective* describer) {
    const int64_t the = say("the");
    const bool vowel = describer == nullptr && std::string("aeiou").find(noun.french[0]) != std::string::npos;
    target.push_back({vowel ? "l'" : noun.feminine ? "la" : "le", the});
    if (describer) say(describer->english, {agreeing(*describer, noun.feminine)});
    const int64_t at = say(noun.english);
    target.push_back({noun.french, at});
    return at;
  }
};

// One sentence of the task: `form` 0..3, a describer (or nullptr) for each noun.
Example pronoun_sentence(PronounTask::Order order, const Noun& animate, const Noun& place, int64_t form,
                         const Adjective& adjective, const Adjective* animate_describer,
                         const Adjective* place_describer) {
  PronounSentence s;
  int64_t animate_at = -1;
  int64_t place_at = -1;
  switch (form) {
    case 0:  // the A didn't cross the P → A' n'a pas traversé P'
      animate_at = s.noun_phrase(animate, animate_describer);
      s.say("didn't", {"n'a", "pas"});
      s.say("cross", {"traversé"});
      place_at = s.noun_phrase(place, place_describer);
      break;
    case 1:  // the A did not cross the P → A' n'a pas traversé P'
      animate_at = s.noun_phrase(animate, animate_describer);
      s.say("did", {"n'a"});
      s.say("not", {"pas"});
      s.say("cross", {"traversé"});
      place_at = s.noun_phrase(place, place_describer);
      break;
    case 2:  // the A refused to cross the P → A' a refusé de traverser P'
      animate_at = s.noun_phrase(animate, animate_describer);
      s.say("refused", {"a", "refusé"});
      s.say("to", {"de"});
      s.say("cross", {"traverser"});
      place_at = s.noun_phrase(place, place_describer);
      break;
    default: {  // the P was not crossed by the A → P' n'a pas été traversé(e) par A'
      place_at = s.noun_phrase(place, place_describer);
      const int64_t was = s.say("was");
      s.say("not", {"n'a", "pas"});
      s.target.push_back({"été", was});
      s.say("crossed", {place.feminine ? "traversée" : "traversé"});
      s.say("by", {"par"});
      animate_at = s.noun_phrase(animate, animate_describer);
      break;
    }
  }
  const bool about_animate = std::find_if(kTiredLike.begin(), kTiredLike.end(), [&](const Adjective& a) {
                               return a.english == adjective.english;
                             }) != kTiredLike.end();
  const Noun& referent = about_animate ? animate : place;
  const std::vector<Aligned> main_clause = std::exchange(s.target, {});
  s.say("because", {"parce", "qu'"});
  s.ex.query_position = s.say("it");
  s.target.push_back({referent.feminine ? "elle" : "il", s.ex.query_position});
  s.say("was", {"était"});
  s.say("too", {"trop"});
  s.say(adjective.english, {agreeing(adjective, referent.feminine)});
  if (order == PronounTask::Order::BecauseFirst) {  // "parce qu'il était trop fatigué , l'animal ..."
    s.target.push_back({",", -1});
    s.target.insert(s.target.end(), main_clause.begin(), main_clause.end());
  } else {
    s.target.insert(s.target.begin(), main_clause.begin(), main_clause.end());
  }
  s.ex.referent = about_animate ? animate_at : place_at;
  split_aligned(s.target, s.ex);
  return s.ex;
}

}  // namespace

PronounTask::PronounTask(int64_t min_length, int64_t max_length, Order order, Loc caller)
    : Task("PronounTask", min_length, max_length, 11, 15, caller), order_(order) {}

const std::vector<Noun>& PronounTask::animates() { return kPronounAnimates; }
const std::vector<Noun>& PronounTask::places() { return kPronounPlaces; }
const std::vector<Adjective>& PronounTask::animate_adjectives() { return kTiredLike; }
const std::vector<Adjective>& PronounTask::place_adjectives() { return kWideLike; }

bool PronounTask::about_animate(const Example& ex) {
  return !ex.source.empty() && std::find_if(kTiredLike.begin(), kTiredLike.end(), [&](const Adjective& a) {
                                 return a.english == ex.source.back();
                               }) != kTiredLike.end();
}

Example PronounTask::make(const std::string& animate, const std::string& place, int64_t form,
                          const std::string& adjective, Order order, Loc caller) {
  const CallerScope scope(caller);
  detail::check(form >= 0 && form < kNumForms, "PronounTask::make", caller,
                [&] { return fmt::format("form {} does not exist (0..{})", form, kNumForms - 1); });
  std::vector<Adjective> adjectives = kTiredLike;
  adjectives.insert(adjectives.end(), kWideLike.begin(), kWideLike.end());
  return pronoun_sentence(order, named(kPronounAnimates, animate, "animate nouns"),
                          named(kPronounPlaces, place, "places"), form,
                          named(adjectives, adjective, "adjectives"), nullptr, nullptr);
}

Example PronounTask::sample(Generator& gen) const {
  return sample_in_range(gen, [this](Generator& g) {
    const Noun& animate = pick(kPronounAnimates, g);
    const Noun& place = pick(kPronounPlaces, g);
    const int64_t form = g.integer(kNumForms);
    const Adjective& adjective = pick(chance(g, 0.5f) ? kTiredLike : kWideLike, g);
    const auto describer = [&]() -> const Adjective* {
      return chance(g, 0.2f) ? &pick(kPronounDescribers, g) : nullptr;
    };
    const Adjective* animate_describer = describer();
    const Adjective* place_describer = describer();
    return pronoun_sentence(order_, animate, place, form, adjective, animate_describer, place_describer);
  });
}

std::vector<std::string> PronounTask::source_tokens() const {
  std::vector<std::string> out = {"the", "didn't",  "did", "not",     "cross", "refused", "to",
                                  "was", "crossed", "by",  "because", "it",    "too"};
  for (const auto* nouns : {&kPronounAnimates, &kPronounPlaces})
    for (const Noun& n : *nouns) out.push_back(n.english);
  for (const auto* adjectives : {&kPronounDescribers, &kTiredLike, &kWideLike})
    for (const Adjective& a : *adjectives) out.push_back(a.english);
  return out;
}

std::vector<std::string> PronounTask::target_tokens() const {
  std::vector<std::string> out = {"le",  "la",     "l'",   "n'a",       "pas",   "traversé", "traversée",
                                  "a",   "refusé", "de",   "traverser", "été",   "par",      "parce",
                                  "qu'", "il",     "elle", ",",         "était", "trop"};
  for (const auto* nouns : {&kPronounAnimates, &kPronounPlaces})
    for (const Noun& n : *nouns) out.push_back(n.french);
  const auto add = [&](const std::string& word) {
    if (std::find(out.begin(), out.end(), word) == out.end()) out.push_back(word);  // "faible" is both
  };
  for (const auto* adjectives : {&kPronounDescribers, &kTiredLike, &kWideLike})
    for (const Adjective& a : *adjectives) add(a.masculine), add(a.feminine);
  return out;
}

// ---- by name ---------------------------------------------------------------------------------

std::vector<std::string> task_names() {
  return {"copy", "reverse", "sort", "dates", "translation", "coreference", "pronoun"};
}

std::unique_ptr<Task> make_task(const std::string& name, int64_t min_length, int64_t max_length, Loc caller) {
  const CallerScope scope(caller);
  if (name == "copy") return std::make_unique<CopyTask>(min_length, max_length, 10);
  if (name == "reverse") return std::make_unique<ReverseTask>(min_length, max_length, 10);
  if (name == "sort") return std::make_unique<SortTask>(min_length, max_length, 10);
  if (name == "dates") return std::make_unique<DateTask>(min_length, max_length);
  if (name == "translation") return std::make_unique<TranslationTask>(min_length, max_length);
  if (name == "coreference") return std::make_unique<CoreferenceTask>(min_length, max_length);
  if (name == "pronoun") return std::make_unique<PronounTask>(min_length, max_length);
  throw Error(
      "make_task",
      fmt::format("unknown task '{}' (known: copy, reverse, sort, dates, translation, coreference, pronoun)",
                  name));
}

}  // namespace glimpse::nn
