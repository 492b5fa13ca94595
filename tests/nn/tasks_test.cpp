// Synthetic tasks: right answers, right alignments, lengths in range, same seed → same data.
#include "nn/tasks.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "nn/vocab.hpp"

using namespace glimpse;
using namespace glimpse::nn;

namespace {

// The tasks here align each target token to one source position or to none: those positions,
// with -1 for none.
std::vector<int64_t> positions_of(const Example& ex) {
  std::vector<int64_t> out;
  for (const std::vector<int64_t>& from : ex.alignment) {
    EXPECT_LE(from.size(), 1u);
    out.push_back(from.empty() ? -1 : from.front());
  }
  return out;
}

// Every aligned target token must equal the source token it points at (for tasks whose target
// copies source tokens).
void expect_copied_alignment(const Example& ex) {
  ASSERT_EQ(positions_of(ex).size(), ex.target.size());
  for (size_t i = 0; i < ex.target.size(); ++i) {
    ASSERT_GE(positions_of(ex)[i], 0);
    ASSERT_LT(positions_of(ex)[i], static_cast<int64_t>(ex.source.size()));
    EXPECT_EQ(ex.target[i], ex.source[positions_of(ex)[i]]) << "target position " << i;
  }
}

// Each token of a task's examples is in the task's declared token lists.
void expect_tokens_declared(const Task& task, const std::vector<Example>& examples) {
  Vocab src(task.source_tokens());
  Vocab tgt(task.target_tokens());
  for (const Example& ex : examples) {
    for (const auto& t : ex.source) EXPECT_TRUE(src.contains(t)) << task.name() << ": " << t;
    for (const auto& t : ex.target) EXPECT_TRUE(tgt.contains(t)) << task.name() << ": " << t;
  }
}

std::vector<Example> draw(const Task& task, int64_t n, uint64_t seed) {
  Generator gen(seed);
  return generate(task, n, gen);
}

bool same(const std::vector<Example>& a, const std::vector<Example>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].source != b[i].source || a[i].target != b[i].target || a[i].alignment != b[i].alignment ||
        a[i].query_position != b[i].query_position || a[i].referent != b[i].referent)
      return false;
  return true;
}

}  // namespace

TEST(Tasks, CopyReverseSortGiveTheRightAnswer) {
  CopyTask copy(3, 8, 5);
  ReverseTask reverse(3, 8, 5);
  SortTask sort(3, 8, 5);
  for (const Example& ex : draw(copy, 200, 1)) {
    EXPECT_EQ(ex.target, ex.source);
    for (size_t i = 0; i < positions_of(ex).size(); ++i)
      EXPECT_EQ(positions_of(ex)[i], static_cast<int64_t>(i));
  }
  for (const Example& ex : draw(reverse, 200, 1)) {
    std::vector<std::string> r(ex.source.rbegin(), ex.source.rend());
    EXPECT_EQ(ex.target, r);
    const auto n = static_cast<int64_t>(ex.source.size());
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(positions_of(ex)[i], n - 1 - i);
  }
  for (const Example& ex : draw(sort, 200, 1)) {
    std::vector<std::string> s = ex.source;
    std::sort(s.begin(), s.end());
    EXPECT_EQ(ex.target, s);
    expect_copied_alignment(ex);
    // A permutation, and stable: equal letters keep their source order.
    std::vector<int64_t> a = positions_of(ex);
    std::sort(a.begin(), a.end());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], static_cast<int64_t>(i));
    for (size_t i = 1; i < ex.target.size(); ++i)
      if (ex.target[i] == ex.target[i - 1]) {
        EXPECT_LT(positions_of(ex)[i - 1], positions_of(ex)[i]);
      }
  }
}

TEST(Tasks, SymbolTasksUseEveryLengthAndSymbolInRange) {
  ReverseTask task(5, 10, 10);
  std::set<size_t> lengths;
  std::set<std::string> symbols;
  for (const Example& ex : draw(task, 2000, 7)) {
    lengths.insert(ex.source.size());
    symbols.insert(ex.source.begin(), ex.source.end());
  }
  EXPECT_EQ(lengths, (std::set<size_t>{5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(symbols.size(), 10u);
  EXPECT_EQ(task.source_tokens().front(), "a");
  EXPECT_EQ(task.source_tokens().back(), "j");
}

TEST(Tasks, SameSeedSameExamplesOtherSeedOtherExamples) {
  for (const std::string& name : task_names()) {
    auto task = make_task(name, 1, 15);
    EXPECT_TRUE(same(draw(*task, 50, 3), draw(*task, 50, 3))) << name;
    EXPECT_FALSE(same(draw(*task, 50, 3), draw(*task, 50, 4))) << name;
  }
}

TEST(Tasks, EveryTaskRespectsItsLengthRangeAndDeclaresItsTokens) {
  struct Case {
    std::string name;
    int64_t min, max;
  };
  for (const Case& c : {Case{"copy", 11, 20}, Case{"reverse", 2, 4}, Case{"sort", 7, 7}, Case{"dates", 9, 10},
                        Case{"dates", 6, 6}, Case{"translation", 5, 5}, Case{"translation", 16, 31},
                        Case{"coreference", 13, 15}, Case{"pronoun", 11, 11}, Case{"pronoun", 13, 15}}) {
    auto task = make_task(c.name, c.min, c.max);
    std::vector<Example> examples = draw(*task, 300, 11);
    for (const Example& ex : examples) {
      EXPECT_GE(static_cast<int64_t>(ex.source.size()), c.min) << c.name;
      EXPECT_LE(static_cast<int64_t>(ex.source.size()), c.max) << c.name;
      EXPECT_EQ(positions_of(ex).size(), ex.target.size()) << c.name;
      for (int64_t a : positions_of(ex)) EXPECT_LT(a, static_cast<int64_t>(ex.source.size())) << c.name;
    }
    expect_tokens_declared(*task, examples);
  }
}

TEST(Tasks, ImpossibleOrInvalidRangesAreErrors) {
  EXPECT_THROW(ReverseTask(0, 5), Error);
  EXPECT_THROW(ReverseTask(6, 5), Error);
  EXPECT_THROW(ReverseTask(5, 10, 27), Error);
  EXPECT_THROW(DateTask(11, 20), Error);
  EXPECT_THROW(CoreferenceTask(3, 10), Error);
  EXPECT_THROW(PronounTask(16, 20), Error);
  EXPECT_THROW(PronounTask::make("animal", "street", 4, "tired"), Error);
  EXPECT_THROW(PronounTask::make("street", "animal", 0, "tired"), Error);
  EXPECT_THROW(make_task("nonsense", 1, 5), Error);
  try {
    DateTask(11, 20);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("6 to 10"), std::string::npos) << e.what();
  }
}

TEST(Tasks, GenerateExcludingNeverRepeatsAHeldOutSource) {
  ReverseTask task(2, 3, 3);  // only 9 + 27 = 36 possible sources: collisions are certain
  Generator gen(5);
  std::vector<Example> test_set = generate(task, 10, gen);
  std::vector<Example> train = generate_excluding(task, 500, gen, test_set);
  std::set<std::vector<std::string>> held_out;
  for (const Example& ex : test_set) held_out.insert(ex.source);
  for (const Example& ex : train) EXPECT_EQ(held_out.count(ex.source), 0u);
  EXPECT_EQ(train.size(), 500u);
}

// ---- dates ---------------------------------------------------------------------------------

TEST(Dates, EveryFormatOfOneDate) {
  const std::vector<std::string> iso = {"2", "0", "2", "3", "-", "0", "4", "-", "0", "7"};
  const std::vector<std::vector<std::string>> sources = {
      {"april", "7", "th", "2", "0", "2", "3"},
      {"7", "apr", "2", "0", "2", "3"},
      {"the", "seventh", "of", "april", "2", "0", "2", "3"},
      {"april", "7", ",", "2", "0", "2", "3"},
      {"0", "4", "/", "0", "7", "/", "2", "0", "2", "3"},
      {"7", ".", "4", ".", "2", "0", "2", "3"}};
  const std::vector<std::vector<int64_t>> alignments = {
      {3, 4, 5, 6, -1, 0, 0, -1, 1, 1},        {2, 3, 4, 5, -1, 1, 1, -1, 0, 0},
      {4, 5, 6, 7, -1, 3, 3, -1, 1, 1},        {3, 4, 5, 6, -1, 0, 0, -1, 1, 1},
      {6, 7, 8, 9, -1, 0, 1, -1, 3, 4},        {4, 5, 6, 7, -1, 2, 2, -1, 0, 0}};
  for (int64_t f = 0; f < DateTask::kNumFormats; ++f) {
    Example ex = DateTask::make(2023, 4, 7, f);
    EXPECT_EQ(ex.source, sources[f]) << "format " << f;
    EXPECT_EQ(ex.target, iso) << "format " << f;
    EXPECT_EQ(positions_of(ex), alignments[f]) << "format " << f;
  }
}

TEST(Dates, OrdinalsSuffixesAndTwoWordDays) {
  Example ex = DateTask::make(1999, 12, 21, 2);
  EXPECT_EQ(ex.source, (std::vector<std::string>{"the", "twenty", "first", "of", "december", "1", "9", "9", "9"}));
  EXPECT_EQ(ex.target, (std::vector<std::string>{"1", "9", "9", "9", "-", "1", "2", "-", "2", "1"}));
  EXPECT_EQ(positions_of(ex), (std::vector<int64_t>{5, 6, 7, 8, -1, 4, 4, -1, 1, 2}));
  EXPECT_EQ(DateTask::make(2000, 1, 30, 2).source[1], "thirtieth");
  EXPECT_EQ(DateTask::make(2000, 1, 12, 2).source[1], "twelfth");
  EXPECT_EQ(DateTask::make(2000, 1, 11, 0).source[3], "th");
  EXPECT_EQ(DateTask::make(2000, 1, 1, 0).source[2], "st");
  EXPECT_EQ(DateTask::make(2000, 1, 22, 0).source[3], "nd");
  EXPECT_EQ(DateTask::make(2000, 1, 31, 0).source[3], "st");
  EXPECT_EQ(DateTask::make(2000, 1, 23, 0).source[3], "rd");
  // 7.11.2023 is the 7th of November (day first), 11/07/2023 is the 7th of November (month first).
  EXPECT_EQ(DateTask::make(2023, 11, 7, 5).source, (std::vector<std::string>{"7", ".", "1", "1", ".", "2", "0", "2", "3"}));
  EXPECT_EQ(DateTask::make(2023, 11, 7, 4).source, (std::vector<std::string>{"1", "1", "/", "0", "7", "/", "2", "0", "2", "3"}));
}

TEST(Dates, InvalidDatesAreErrors) {
  EXPECT_THROW(DateTask::make(2023, 2, 29, 0), Error);  // not a leap year
  EXPECT_NO_THROW(DateTask::make(2024, 2, 29, 0));
  EXPECT_NO_THROW(DateTask::make(2000, 2, 29, 0));      // divisible by 400
  EXPECT_THROW(DateTask::make(1900, 2, 29, 0), Error);  // divisible by 100
  EXPECT_THROW(DateTask::make(2023, 13, 1, 0), Error);
  EXPECT_THROW(DateTask::make(2023, 1, 1, 6), Error);
}

TEST(Dates, SampledDatesAreValidAndAligned) {
  DateTask task;
  for (const Example& ex : draw(task, 500, 9)) {
    ASSERT_EQ(ex.target.size(), 10u);
    EXPECT_EQ(ex.target[4], "-");
    EXPECT_EQ(ex.target[7], "-");
    EXPECT_EQ(positions_of(ex)[4], -1);
    // Year digits are copied from the source.
    for (int i = 0; i < 4; ++i) EXPECT_EQ(ex.target[i], ex.source[positions_of(ex)[i]]);
    const int month = std::stoi(ex.target[5] + ex.target[6]);
    const int day = std::stoi(ex.target[8] + ex.target[9]);
    EXPECT_GE(month, 1);
    EXPECT_LE(month, 12);
    EXPECT_GE(day, 1);
    EXPECT_LE(day, 31);
  }
}

// ---- translation ---------------------------------------------------------------------------

TEST(Translation, WordByWordWithAdjectivesAfterNounsAndAdverbsAfterVerbs) {
  TranslationTask task(5, 31);
  const auto& dict = TranslationTask::dictionary();
  auto translate = [&](const std::string& en) {
    for (const auto& [e, f] : dict)
      if (e == en) return f;
    return std::string("?");
  };
  auto is_adverb = [](const std::string& w) {
    return w == "often" || w == "sometimes" || w == "always" || w == "rarely";
  };
  auto is_adjective = [](const std::string& w) {
    for (const char* a : {"big", "small", "red", "black", "old", "green", "happy", "white"})
      if (w == a) return true;
    return false;
  };
  bool saw_crossing = false;
  for (const Example& ex : draw(task, 500, 2)) {
    ASSERT_EQ(ex.target.size(), ex.source.size());  // one French word per English word
    std::vector<int64_t> a = positions_of(ex);
    std::sort(a.begin(), a.end());
    for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], static_cast<int64_t>(i));  // a permutation
    for (size_t i = 0; i < ex.target.size(); ++i)
      EXPECT_EQ(ex.target[i], translate(ex.source[positions_of(ex)[i]]));
    for (size_t i = 1; i < ex.target.size(); ++i) {
      if (positions_of(ex)[i] < positions_of(ex)[i - 1]) saw_crossing = true;
      // An adjective follows its noun: the nearest earlier non-adjective is the noun, which
      // stood after the adjective in English.
      if (is_adjective(ex.source[positions_of(ex)[i]])) {
        size_t j = i - 1;
        while (is_adjective(ex.source[positions_of(ex)[j]])) --j;
        EXPECT_GT(positions_of(ex)[j], positions_of(ex)[i]) << join_tokens(ex.source);
      }
      // An adverb follows its verb, which came right after it in English.
      if (is_adverb(ex.source[positions_of(ex)[i]])) {
        EXPECT_EQ(positions_of(ex)[i - 1], positions_of(ex)[i] + 1) << join_tokens(ex.source);
      }
    }
  }
  EXPECT_TRUE(saw_crossing);
}

TEST(Translation, AdjectiveAndAdverbMoveInOneSentence) {
  // "the big cat often sees a dog" → "le chat grand voit souvent un chien"
  TranslationTask task(7, 7);
  const std::vector<std::string> adverbs = {"often", "sometimes", "always", "rarely"};
  int found = 0;
  for (const Example& ex : draw(task, 3000, 4)) {
    // At length 7 an adverb in position 3 means: det adjective noun adverb verb det noun.
    if (std::find(adverbs.begin(), adverbs.end(), ex.source[3]) == adverbs.end()) continue;
    EXPECT_EQ(positions_of(ex), (std::vector<int64_t>{0, 2, 1, 4, 3, 5, 6})) << join_tokens(ex.source);
    ++found;
  }
  EXPECT_GT(found, 0);
}

// ---- coreference ---------------------------------------------------------------------------

TEST(Coreference, ItRefersToTheAnimalWhenTiredAndToThePlaceWhenWide) {
  CoreferenceTask task;
  const auto& animate = CoreferenceTask::animate_adjectives();
  const auto& place = CoreferenceTask::place_adjectives();
  int animate_count = 0;
  int place_count = 0;
  std::set<int64_t> referent_positions;
  for (const Example& ex : draw(task, 500, 6)) {
    ASSERT_EQ(ex.target.size(), 1u);
    ASSERT_EQ(positions_of(ex).size(), 1u);
    EXPECT_EQ(ex.source[ex.query_position], "it");
    EXPECT_EQ(ex.source[positions_of(ex)[0]], ex.target[0]);
    referent_positions.insert(positions_of(ex)[0]);
    const std::string& adjective = ex.source.back();
    const bool about_animate = std::find(animate.begin(), animate.end(), adjective) != animate.end();
    const bool about_place = std::find(place.begin(), place.end(), adjective) != place.end();
    ASSERT_TRUE(about_animate != about_place) << adjective;
    const std::vector<std::string> places = {"street", "road", "river", "bridge", "field", "square"};
    const bool referent_is_place = std::find(places.begin(), places.end(), ex.target[0]) != places.end();
    EXPECT_EQ(referent_is_place, about_place) << join_tokens(ex.source);
    animate_count += about_animate;
    place_count += about_place;
  }
  EXPECT_GT(animate_count, 150);
  EXPECT_GT(place_count, 150);
  EXPECT_GE(referent_positions.size(), 4u);  // the referent is not always in the same place
}

// ---- pronoun ---------------------------------------------------------------------------------

namespace {

const PronounTask::Noun* noun_named(const std::string& english) {
  for (const auto* nouns : {&PronounTask::animates(), &PronounTask::places()})
    for (const PronounTask::Noun& n : *nouns)
      if (n.english == english) return &n;
  return nullptr;
}

bool is_animate(const std::string& english) {
  const auto& a = PronounTask::animates();
  return std::any_of(a.begin(), a.end(), [&](const PronounTask::Noun& n) { return n.english == english; });
}

}  // namespace

TEST(Pronoun, TheTwoTitleSentences) {
  const Example tired = PronounTask::make("animal", "street", 0, "tired");
  EXPECT_EQ(join_tokens(tired.source), "the animal didn't cross the street because it was too tired");
  EXPECT_EQ(join_tokens(tired.target), "l' animal n'a pas traversé la rue parce qu' il était trop fatigué");
  EXPECT_EQ(tired.query_position, 7);
  EXPECT_EQ(tired.referent, 1);
  EXPECT_EQ(positions_of(tired), (std::vector<int64_t>{0, 1, 2, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10}));
  EXPECT_TRUE(PronounTask::about_animate(tired));

  const Example wide = PronounTask::make("animal", "street", 0, "wide");
  EXPECT_EQ(join_tokens(wide.source), "the animal didn't cross the street because it was too wide");
  EXPECT_EQ(join_tokens(wide.target), "l' animal n'a pas traversé la rue parce qu' elle était trop large");
  EXPECT_EQ(wide.query_position, 7);
  EXPECT_EQ(wide.referent, 5);
  EXPECT_FALSE(PronounTask::about_animate(wide));
}

TEST(Pronoun, EveryFormTranslatedAndAligned) {
  const Example refused = PronounTask::make("cow", "bridge", 2, "slow");
  EXPECT_EQ(join_tokens(refused.source), "the cow refused to cross the bridge because it was too slow");
  EXPECT_EQ(join_tokens(refused.target),
            "la vache a refusé de traverser le pont parce qu' elle était trop lente");
  EXPECT_EQ(positions_of(refused), (std::vector<int64_t>{0, 1, 2, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11}));
  EXPECT_EQ(refused.referent, 1);

  const Example passive = PronounTask::make("dog", "road", 3, "long");
  EXPECT_EQ(join_tokens(passive.source), "the road was not crossed by the dog because it was too long");
  EXPECT_EQ(join_tokens(passive.target),
            "la route n'a pas été traversée par le chien parce qu' elle était trop longue");
  // n'a and pas come from "not", été from "was": the passive's auxiliary.
  EXPECT_EQ(positions_of(passive), (std::vector<int64_t>{0, 1, 3, 3, 2, 4, 5, 6, 7, 8, 8, 9, 10, 11, 12}));
  EXPECT_EQ(passive.referent, 1);
  EXPECT_EQ(passive.query_position, 9);

  // Fronted: the because-clause first, the comma from no English word, the rest aligned as before.
  const Example fronted = PronounTask::make("animal", "street", 0, "tired", PronounTask::Order::BecauseFirst);
  EXPECT_EQ(join_tokens(fronted.source), "the animal didn't cross the street because it was too tired");
  EXPECT_EQ(join_tokens(fronted.target),
            "parce qu' il était trop fatigué , l' animal n'a pas traversé la rue");
  EXPECT_EQ(positions_of(fronted), (std::vector<int64_t>{6, 6, 7, 8, 9, 10, -1, 0, 1, 2, 2, 3, 4, 5}));
  EXPECT_EQ(fronted.referent, 1);
  EXPECT_EQ(fronted.query_position, 7);
  PronounTask fronted_task(11, 15, PronounTask::Order::BecauseFirst);
  for (const Example& ex : draw(fronted_task, 200, 3)) {
    EXPECT_EQ(ex.target[0], "parce");
    EXPECT_TRUE(ex.target[2] == "il" || ex.target[2] == "elle");  // before any French noun
  }
  expect_tokens_declared(fronted_task, draw(fronted_task, 200, 3));

  const Example did_not = PronounTask::make("girl", "field", 1, "wide");
  EXPECT_EQ(join_tokens(did_not.target), "la fille n'a pas traversé le champ parce qu' il était trop large");
  EXPECT_EQ(did_not.referent, 6);
}

TEST(Pronoun, ThePronounIsTheReferentsGenderAndNothingElseGivesItAway) {
  PronounTask task;
  std::set<std::string> seen;                  // "tired il", "wide elle", ...
  std::map<std::string, int> pronoun_of_kind;  // "animate il" → count
  std::set<size_t> lengths;
  const std::vector<Example> examples = draw(task, 3000, 12);
  for (const Example& ex : examples) {
    lengths.insert(ex.source.size());
    ASSERT_EQ(ex.source[ex.query_position], "it") << join_tokens(ex.source);
    ASSERT_GE(ex.referent, 0);
    const PronounTask::Noun* referent = noun_named(ex.source[ex.referent]);
    ASSERT_NE(referent, nullptr) << ex.source[ex.referent];
    EXPECT_EQ(is_animate(referent->english), PronounTask::about_animate(ex)) << join_tokens(ex.source);
    // Exactly one pronoun, translating "it", of the referent's gender.
    int64_t pronouns = 0;
    for (size_t k = 0; k < ex.target.size(); ++k) {
      if (ex.target[k] != "il" && ex.target[k] != "elle") continue;
      ++pronouns;
      EXPECT_EQ(positions_of(ex)[k], ex.query_position);
      EXPECT_EQ(ex.target[k], referent->feminine ? "elle" : "il") << join_tokens(ex.source);
    }
    EXPECT_EQ(pronouns, 1);
    // The referent's French noun translates it, and the last adjective agrees with it.
    const std::vector<int64_t> from = positions_of(ex);
    const auto noun_at = std::find(from.begin(), from.end(), ex.referent) - from.begin();
    EXPECT_EQ(ex.target[noun_at], referent->french);
    const auto& adjectives =
        PronounTask::about_animate(ex) ? PronounTask::animate_adjectives() : PronounTask::place_adjectives();
    const auto adjective =
        std::find_if(adjectives.begin(), adjectives.end(),
                     [&](const PronounTask::Adjective& a) { return a.english == ex.source.back(); });
    ASSERT_NE(adjective, adjectives.end());
    EXPECT_EQ(ex.target.back(), referent->feminine ? adjective->feminine : adjective->masculine);
    for (int64_t j : from) EXPECT_TRUE(j >= 0 && j < static_cast<int64_t>(ex.source.size()));
    seen.insert(ex.source.back() + " " +
                ex.target[std::find(ex.target.begin(), ex.target.end(), "qu'") - ex.target.begin() + 1]);
    ++pronoun_of_kind[std::string(PronounTask::about_animate(ex) ? "animate " : "place ") +
                      (referent->feminine ? "elle" : "il")];
  }
  // Every adjective is seen with both pronouns: the adjective alone does not decide il or elle.
  for (const auto* adjectives : {&PronounTask::animate_adjectives(), &PronounTask::place_adjectives()})
    for (const PronounTask::Adjective& a : *adjectives) {
      EXPECT_TRUE(seen.count(a.english + " il")) << a.english;
      EXPECT_TRUE(seen.count(a.english + " elle")) << a.english;
    }
  // Each kind × pronoun is about a quarter of the sentences.
  for (const char* key : {"animate il", "animate elle", "place il", "place elle"})
    EXPECT_GT(pronoun_of_kind[key], 600) << key;
  EXPECT_EQ(lengths, (std::set<size_t>{11, 12, 13, 14, 15}));
  expect_tokens_declared(task, examples);
}

TEST(Pronoun, GendersOfTheNouns) {
  for (const auto* nouns : {&PronounTask::animates(), &PronounTask::places()}) {
    const auto feminine =
        std::count_if(nouns->begin(), nouns->end(), [](const auto& n) { return n.feminine; });
    EXPECT_EQ(2 * feminine, static_cast<int64_t>(nouns->size()));  // half of each kind
  }
  EXPECT_FALSE(noun_named("animal")->feminine);
  EXPECT_FALSE(noun_named("dog")->feminine);
  EXPECT_TRUE(noun_named("cow")->feminine);
  EXPECT_TRUE(noun_named("street")->feminine);
  EXPECT_FALSE(noun_named("bridge")->feminine);
  // The article shows the gender, except "l'" before a vowel; a describer brings "le" back.
  EXPECT_EQ(PronounTask::make("animal", "bridge", 0, "tired").target[0], "l'");
  EXPECT_EQ(PronounTask::make("horse", "bridge", 0, "tired").target[0], "le");
  EXPECT_EQ(PronounTask::make("mouse", "bridge", 0, "tired").target[0], "la");
  PronounTask task;
  bool saw_described_animal = false;
  for (const Example& ex : draw(task, 3000, 5))
    for (size_t j = 1; j + 1 < ex.source.size(); ++j)
      if (ex.source[j + 1] == "animal" && (ex.source[j] == "big" || ex.source[j] == "little")) {
        saw_described_animal = true;
        const std::string described = join_tokens(ex.target);
        EXPECT_TRUE(described.find("le grand animal") != std::string::npos ||
                    described.find("le petit animal") != std::string::npos)
            << described;
      }
  EXPECT_TRUE(saw_described_animal);
}

TEST(Pronoun, SameSeedSameSentences) {
  PronounTask task;
  EXPECT_TRUE(same(draw(task, 200, 9), draw(task, 200, 9)));
  EXPECT_FALSE(same(draw(task, 200, 9), draw(task, 200, 10)));
}

TEST(Example, ATargetTokenCanComeFromSeveralSourcePositions) {
  // "le chat noir" from "the black cat": one position each; a French word for two English words
  // ("pomme de terre" would be the reverse) lists both.
  Example ex;
  ex.source = {"he", "did", "not", "come"};
  ex.target = {"il", "ne", "vint", "pas"};
  ex.alignment = {{0}, {1, 2}, {3}, {1, 2}};
  EXPECT_TRUE(comes_from(ex, 1, 1));
  EXPECT_TRUE(comes_from(ex, 1, 2));
  EXPECT_FALSE(comes_from(ex, 1, 3));
  EXPECT_TRUE(comes_from(ex, 2, 3));
  EXPECT_FALSE(comes_from(ex, 4, 0));  // no such target token
  // The "-" of an ISO date comes from no source token.
  const Example date = DateTask::make(2023, 4, 7, 0);
  EXPECT_TRUE(date.alignment[4].empty());
  for (int64_t j = 0; j < static_cast<int64_t>(date.source.size()); ++j) EXPECT_FALSE(comes_from(date, 4, j));
}
