// Issue 12: dictd dictionaries, from files the tests write, and Debian's freedict where installed.
#include "nn/bilingual_dictionary.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/error_message.hpp"

using namespace glimpse;
using namespace glimpse::nn;

namespace {

// Two entries as freedict writes them, and an index that points at them ("A" = 0, "B" = 1, ...).
const std::string kData =
    "file /fail/\n1. fichier, dossier\n2. lime\n"  // offset 0, 40 bytes
    "invalid /invəlid/\nincorrect, non valide\n";  // offset 40 (o), 41 (p) bytes: ə is two
const std::string kIndex = "00databaseshort\tA\tB\nfile\tA\to\ninvalid\to\tp\n";

}  // namespace

TEST(BilingualDictionary, ReadsSensesAndTheirWords) {
  ASSERT_EQ(kData.substr(0, 40), "file /fail/\n1. fichier, dossier\n2. lime\n");
  const BilingualDictionary d = BilingualDictionary::parse_dictd(kIndex, kData, "test.index");
  EXPECT_EQ(d.size(), 2);  // the 00database line is no word
  EXPECT_EQ(d.translations("file"), (std::vector<std::string>{"fichier", "dossier", "lime"}));
  EXPECT_EQ(d.translations("invalid"), (std::vector<std::string>{"incorrect", "non valide"}));
  EXPECT_TRUE(d.translations("unknown").empty());
  EXPECT_TRUE(d.pairs("file", "fichier"));
  EXPECT_TRUE(d.pairs("invalid", "valide"));  // a word of the translation "non valide"
  EXPECT_FALSE(d.pairs("file", "incorrect"));
  EXPECT_TRUE(d.covers("dossier"));
  EXPECT_FALSE(d.covers("de"));
}

TEST(BilingualDictionary, ABadIndexLineOrAnEntryPastTheDataIsNamed) {
  const auto message = [](const std::string& index) {
    return test::error_message([&] { (void)BilingualDictionary::parse_dictd(index, kData, "x.index"); });
  };
  EXPECT_NE(message("file\tA\n").find("x.index index line 1: expected 'headword<TAB>offset<TAB>length'"),
            std::string::npos);
  EXPECT_NE(message("file\tA\tm\nbad\t!\tB\n").find("index line 2"), std::string::npos);
  EXPECT_NE(
      message("file\tA\tBAAA\n").find("the entry at offset 0 of 262144 bytes ends past the data (81 bytes)"),
      std::string::npos);
}

TEST(BilingualDictionary, MissingFilesSayWhatToInstall) {
  const std::string message = test::error_message([] {
    (void)BilingualDictionary::read_dictd("/nonexistent/eng-fra.index", "/nonexistent/eng-fra.dict.dz");
  });
  EXPECT_NE(message.find("is missing: apt-get install dict-freedict-eng-fra"), std::string::npos) << message;
}

TEST(BilingualDictionary, DebiansFreedictWhereItIsInstalled) {
  if (!std::filesystem::exists(kFreedictEngFraIndex)) GTEST_SKIP() << kFreedictEngFraIndex << " is not here";
  const BilingualDictionary d = BilingualDictionary::read_dictd(kFreedictEngFraIndex, kFreedictEngFraData);
  EXPECT_GT(d.size(), 8000);
  EXPECT_TRUE(d.pairs("easy", "facile"));
  EXPECT_TRUE(d.pairs("a lot", "beaucoup"));
}
