// Issue 12: gettext MO catalogs, read from files the tests write themselves (good ones in both
// byte orders, and broken ones: every check of the reader is made to fire once).
#include "nn/mo_catalog.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mo_test_util.hpp"
#include "support/error_message.hpp"

using namespace glimpse;
using namespace glimpse::nn;

namespace {

const std::string kHeader = "Project-Id-Version: sed 4.9\nContent-Type: text/plain; charset=UTF-8\n";

const std::vector<std::pair<std::string, std::string>> kEntries = {
    {"", kHeader},
    {"invalid line number increment", "incrément de nombre de ligne incorrect"},
    {"menu\x04_Open", "_Ouvrir"},
    {std::string("one file\0%d files", 17), std::string("un fichier\0%d fichiers", 22)},
};

uint32_t at_offset(const std::string& bytes, size_t at) {
  uint32_t v;
  std::memcpy(&v, bytes.data() + at, 4);
  return v;  // the files written here are little-endian, as this machine
}

void set_at(std::string& bytes, size_t at, uint32_t v) { std::memcpy(bytes.data() + at, &v, 4); }

}  // namespace

TEST(MoCatalog, ReadsEntriesContextsAndPluralFormsInBothByteOrders) {
  for (const bool big_endian : {false, true}) {
    const MoCatalog c = parse_mo_catalog(test::mo_bytes(kEntries, big_endian), "sed.mo");
    EXPECT_EQ(c.charset, "utf-8");
    ASSERT_EQ(c.entries.size(), 3u) << "the header is not an entry";
    EXPECT_EQ(c.entries[0].original, "invalid line number increment");
    EXPECT_EQ(c.entries[0].translations, std::vector<std::string>{"incrément de nombre de ligne incorrect"});
    EXPECT_EQ(c.entries[0].context, "");
    EXPECT_EQ(c.entries[1].context, "menu");
    EXPECT_EQ(c.entries[1].original, "_Open");
    EXPECT_EQ(c.entries[2].original, "one file");
    EXPECT_EQ(c.entries[2].original_plural, "%d files");
    EXPECT_EQ(c.entries[2].translations, (std::vector<std::string>{"un fichier", "%d fichiers"}));
  }
}

TEST(MoCatalog, ConvertsLatin1ToUtf8AndRefusesOtherCharsets) {
  const std::string latin1_header = "Content-Type: text/plain; charset=ISO-8859-1\n";
  const MoCatalog c =
      parse_mo_catalog(test::mo_bytes({{"", latin1_header}, {"file", "fichier cr\xe9\xe9"}}), "x.mo");
  EXPECT_EQ(c.charset, "iso-8859-1");
  EXPECT_EQ(c.entries.at(0).translations.at(0), "fichier créé");
  const std::string message = test::error_message([] {
    (void)parse_mo_catalog(test::mo_bytes({{"", "Content-Type: text/plain; charset=KOI8-R\n"}, {"a", "b"}}),
                           "ru.mo");
  });
  EXPECT_NE(message.find("ru.mo: its header names charset 'koi8-r'"), std::string::npos) << message;
}

TEST(MoCatalog, ABadMagicNumberNamesTheFileAndOffsetZero) {
  std::string bytes = test::mo_bytes(kEntries);
  bytes[0] = 'X';
  const std::string message = test::error_message([&] { (void)parse_mo_catalog(bytes, "broken.mo"); });
  EXPECT_NE(message.find("read_mo_catalog"), std::string::npos) << message;
  EXPECT_NE(message.find("broken.mo: not a gettext MO catalog: the magic number at offset 0"),
            std::string::npos)
      << message;
}

TEST(MoCatalog, EveryTruncationIsAnErrorNotAReadPastTheEnd) {
  const std::string whole = test::mo_bytes(kEntries);
  // Cut anywhere: inside the header, a table or the strings. The last string's NUL is the last byte.
  for (size_t size = 0; size < whole.size(); ++size) {
    const std::string message =
        test::error_message([&] { (void)parse_mo_catalog(whole.substr(0, size), "cut.mo"); });
    EXPECT_NE(message.find("cut.mo: "), std::string::npos) << size << ": " << message;
  }
  EXPECT_NE(test::error_message([&] {
              (void)parse_mo_catalog(whole.substr(0, 6), "cut.mo");
            }).find("the revision at offset 4 is past the end of the file (6 bytes)"),
            std::string::npos);
}

TEST(MoCatalog, OffsetsAndLengthsOutsideTheFileAreNamed) {
  const std::string good = test::mo_bytes(kEntries);
  std::string bytes = good;
  set_at(bytes, 8, 1000000);  // N: a table far larger than the file
  EXPECT_NE(test::error_message([&] {
              (void)parse_mo_catalog(bytes, "n.mo");
            }).find("the original strings' table at offset 28 holds 1000000 entries"),
            std::string::npos);
  bytes = good;
  set_at(bytes, 28 + 8 * 1 + 4, 0xfffffff0u);  // original string 1's offset
  const std::string message = test::error_message([&] { (void)parse_mo_catalog(bytes, "o.mo"); });
  EXPECT_NE(message.find("original string 1 (table entry at offset 36) runs from offset 4294967280"),
            std::string::npos)
      << message;
  bytes = good;
  set_at(bytes, 28 + 8 * 1,
         at_offset(good, 28 + 8 * 1) - 1);  // a length one short: no NUL where it should be
  EXPECT_NE(test::error_message([&] {
              (void)parse_mo_catalog(bytes, "nul.mo");
            }).find("does not end in a NUL byte"),
            std::string::npos);
  bytes = good;
  set_at(bytes, 4, 2u << 16);
  EXPECT_NE(
      test::error_message([&] { (void)parse_mo_catalog(bytes, "r.mo"); }).find("revision 2.0 at offset 4"),
      std::string::npos);
}

TEST(MoCatalog, TextThatIsNotUtf8NamesItsOffset) {
  const std::string bytes =
      test::mo_bytes({{"", kHeader}, {"file", "fichier cr\xe9\xe9"}});  // latin1 bytes, UTF-8 header
  const std::string message = test::error_message([&] { (void)parse_mo_catalog(bytes, "bad.mo"); });
  const size_t expected = bytes.find("fichier") + 10;
  EXPECT_NE(
      message.find(fmt::format("translation string 1 is not valid utf-8: byte 0xe9 at offset {}", expected)),
      std::string::npos)
      << message;
  for (const char* broken :
       {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"})  // overlong, surrogate, > U+10FFFF, cut
    EXPECT_THROW((void)parse_mo_catalog(test::mo_bytes({{"", kHeader}, {"a", broken}}), "u.mo"), Error)
        << broken;
}

TEST(MoCatalog, ReadsAFileAndNamesAMissingOne) {
  const auto file = std::filesystem::temp_directory_path() / "glimpse_mo_catalog_test.mo";
  std::ofstream(file, std::ios::binary) << test::mo_bytes(kEntries, true);
  EXPECT_EQ(read_mo_catalog(file).entries.size(), 3u);
  std::filesystem::remove(file);
  EXPECT_NE(
      test::error_message([&] { (void)read_mo_catalog(file); }).find("cannot open '" + file.string() + "'"),
      std::string::npos);
}

// The real thing, where the system has it (slim images strip /usr/share/locale; the test then
// says so and skips): every French catalog reads without an error, and coreutils' has its
// messages.
TEST(MoCatalog, ReadsTheSystemsFrenchCatalogsWhereThereAreAny) {
  const std::filesystem::path folder = "/usr/share/locale/fr/LC_MESSAGES";
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) GTEST_SKIP() << folder << " is not on this system";
  int64_t catalogs = 0, entries = 0;
  for (const auto& file : std::filesystem::directory_iterator(folder, ec)) {
    if (file.path().extension() != ".mo") continue;
    EXPECT_NO_THROW(entries += static_cast<int64_t>(read_mo_catalog(file.path()).entries.size()))
        << file.path();
    ++catalogs;
  }
  if (catalogs == 0) GTEST_SKIP() << "no catalogs in " << folder;
  EXPECT_GT(entries, catalogs);
}
