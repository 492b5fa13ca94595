// Issue 12: English → French message pairs from gettext catalogs, cleaned and tokenised.
#include "nn/message_pairs.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "mo_test_util.hpp"
#include "support/error_message.hpp"

using namespace glimpse;
using namespace glimpse::nn;
using Tokens = std::vector<std::string>;

TEST(MessagePairs, TokensAreWordsAndPunctuationLowercasedWithAccentsKept) {
  EXPECT_EQ(tokenize_message("Invalid line number increment", false),
            (Tokens{"invalid", "line", "number", "increment"}));
  EXPECT_EQ(tokenize_message("Incrément de nombre de ligne INCORRECT.", true),
            (Tokens{"incrément", "de", "nombre", "de", "ligne", "incorrect", "."}));
  EXPECT_EQ(tokenize_message("ÉCRITURE impossible : ÀÇÉ", true),
            (Tokens{"écriture", "impossible", ":", "àçé"}));
  EXPECT_EQ(tokenize_message("--help", false), (Tokens{"--help"}));
}

TEST(MessagePairs, FrenchElisionsEndATokenEnglishContractionsDoNot) {
  EXPECT_EQ(tokenize_message("l'option n\xe2\x80\x99"
                             "est pas valide",
                             true),
            (Tokens{"l'", "option", "n'", "est", "pas", "valide"}));
  EXPECT_EQ(tokenize_message("don't remove 'foo'", false), (Tokens{"don't", "remove", "'", "foo", "'"}));
  // « » and the non-breaking spaces French puts inside them and before ":" are not words.
  EXPECT_EQ(tokenize_message("\xc2\xab\xc2\xa0"
                             "fichier\xc2\xa0\xc2\xbb\xe2\x80\xaf:",
                             true),
            (Tokens{"\xc2\xab", "fichier", "\xc2\xbb", ":"}));
}

TEST(MessagePairs, FormatSpecifiersAreFoundInEveryForm) {
  for (const char* text :
       {"%s", "cannot open %s", "%d files", "%1$s and %2$s", "%-10lu", "%.*s", "100%%", "%m"})
    EXPECT_TRUE(has_format_specifier(text)) << text;
  for (const char* text : {"no specifier", "100%", "50 %"}) EXPECT_FALSE(has_format_specifier(text)) << text;
}

TEST(MessagePairs, AcceleratorsAreTakenOut) {
  EXPECT_EQ(without_accelerators("_Open"), "Open");
  EXPECT_EQ(without_accelerators("&Save as"), "Save as");
  EXPECT_EQ(without_accelerators("Ouvrir (_O)"), "Ouvrir");
  EXPECT_EQ(without_accelerators("BASH_ENV is set"), "BASH_ENV is set");  // not an accelerator
  EXPECT_EQ(without_accelerators("a & b"), "a & b");
}

TEST(MessagePairs, PluralUntranslatedFormattedAndMultilineEntriesAreDropped) {
  const auto pair = [](std::string original, std::string translation, std::string plural = "") {
    return clean_pair(CatalogEntry{"", std::move(original), std::move(plural), {std::move(translation)}},
                      "sed");
  };
  const std::optional<MessagePair> good =
      pair("invalid line number increment", "incrément de nombre de ligne incorrect");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->english, (Tokens{"invalid", "line", "number", "increment"}));
  EXPECT_EQ(good->french, (Tokens{"incrément", "de", "nombre", "de", "ligne", "incorrect"}));
  EXPECT_EQ(good->catalog, "sed");
  EXPECT_EQ(good->message, "invalid line number increment");
  EXPECT_FALSE(pair("one file", "un fichier", "files"));           // a plural entry
  EXPECT_FALSE(pair("untranslated words", ""));                    // untranslated
  EXPECT_FALSE(pair("same text", "same text"));                    // untranslated too
  EXPECT_FALSE(pair("cannot open %s", "impossible d'ouvrir %s"));  // a format specifier
  EXPECT_FALSE(pair("two\nlines", "deux\nlignes"));                // a line break
  EXPECT_FALSE(pair("?? :????", "?? : ??"));                       // no word at all
  EXPECT_FALSE(pair("word", "mot"));                               // 1 token: shorter than 2
  EXPECT_FALSE(pair("a b c d e f g h i j k l m", "a b c"));        // 13 tokens: longer than 12
}

TEST(MessagePairs, CatalogsAreReadInOrderEachMessageOnce) {
  const auto folder = std::filesystem::temp_directory_path() / "glimpse_message_pairs_test";
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  const std::string header = "Content-Type: text/plain; charset=UTF-8\n";
  std::ofstream(folder / "grep.mo", std::ios::binary) << test::mo_bytes(
      {{"", header}, {"invalid matcher", "outil de correspondance incorrect"}, {"%s: x", "%s : x"}});
  std::ofstream(folder / "sed.mo", std::ios::binary)
      << test::mo_bytes({{"", header},
                         {"invalid matcher", "autre traduction"},
                         {"no previous regular expression", "aucune expression régulière précédente"}});
  const std::vector<MessagePair> pairs = read_message_pairs(folder, {"grep", "sed"});
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].catalog, "grep");
  EXPECT_EQ(pairs[0].french, (Tokens{"outil", "de", "correspondance", "incorrect"}));  // grep's, read first
  EXPECT_EQ(pairs[1].catalog, "sed");
  const std::string message = test::error_message([&] {
    (void)read_message_pairs(folder, {"grep", "libc"});
  });
  EXPECT_NE(message.find("no French catalog libc.mo in"), std::string::npos) << message;
  EXPECT_NE(message.find("apt-get install --reinstall libc-l10n"), std::string::npos) << message;
  std::filesystem::remove_all(folder);
}

// The system's own base catalogs, where it has them (skipped with a message otherwise).
TEST(MessagePairs, TheSystemsBaseCatalogsGiveThousandsOfPairs) {
  const std::filesystem::path folder = "/usr/share/locale/fr/LC_MESSAGES";
  for (const std::string& name : base_catalog_names())
    if (!std::filesystem::exists(folder / (name + ".mo")))
      GTEST_SKIP() << folder / (name + ".mo") << " is missing";
  const std::vector<MessagePair> pairs = read_message_pairs(folder, base_catalog_names());
  EXPECT_GT(pairs.size(), 1000u);
  for (const MessagePair& p : pairs) {
    EXPECT_GE(p.english.size(), 2u);
    EXPECT_LE(p.french.size(), 12u);
    EXPECT_FALSE(has_format_specifier(p.message)) << p.message;
  }
  RecordProperty("pairs", static_cast<int>(pairs.size()));
  std::cout << pairs.size() << " pairs\n";
}
