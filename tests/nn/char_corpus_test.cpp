// char_corpus: reading fortunes and text files, the character vocabulary, the split and the
// windows, and the errors each gives on bad input.
#include "nn/char_corpus.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

using namespace glimpse;
using namespace glimpse::nn;
namespace fs = std::filesystem;

namespace {

// A fresh folder under the system's temporary folder, removed at the end of the test.
class TempFolder {
 public:
  explicit TempFolder(const std::string& name)
      : path_(fs::temp_directory_path() / fmt::format("glimpse_char_corpus_{}_{}", name, ::getpid())) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempFolder() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  fs::path write(const std::string& name, const std::string& contents) const {
    std::ofstream(path_ / name, std::ios::binary) << contents;
    return path_ / name;
  }

 private:
  fs::path path_;
};

// The message of the glimpse::Error `body` throws, or "" (and a test failure) if it throws none.
template <class Body>
std::string error_of(Body&& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no glimpse::Error thrown";
  return "";
}

std::vector<int64_t> iota_ids(int64_t n) {
  std::vector<int64_t> ids(n);
  for (int64_t i = 0; i < n; ++i) ids[i] = i;
  return ids;
}

}  // namespace

TEST(ReadFortunes, EntriesBecomeParagraphsInFileNameOrder) {
  TempFolder folder("order");
  folder.write("zoo", "Last file.\n%\n");
  folder.write("apes", "First line\nsecond line\n%\nAnother one.\n%\n   \n%\nNo final percent");
  const TextCorpus corpus = read_fortunes(folder.path());
  EXPECT_EQ(corpus.files, (std::vector<std::string>{"apes", "zoo"}));
  EXPECT_EQ(corpus.text, "First line\nsecond line\n\nAnother one.\n\nNo final percent\n\nLast file.\n\n");
}

TEST(ReadFortunes, SkipsIndexesLinksSubfoldersAndFilesWithoutEntries) {
  TempFolder folder("skips");
  folder.write("wisdom", "Be kind.\n%\n");
  folder.write("wisdom.dat", "binary index: not text\n%\n");
  folder.write("blank", "%\n\n%\n");
  fs::create_symlink(folder.path() / "wisdom", folder.path() / "wisdom.u8");
  fs::create_directories(folder.path() / "off");
  folder.write("off/rude", "Not read.\n%\n");
  const TextCorpus corpus = read_fortunes(folder.path());
  EXPECT_EQ(corpus.files, (std::vector<std::string>{"wisdom"}));
  EXPECT_EQ(corpus.text, "Be kind.\n\n");
}

TEST(ReadFortunes, AMissingFolderSaysHowToInstallThePackage) {
  TempFolder folder("missing");
  const std::string message = error_of([&] { read_fortunes(folder.path() / "nowhere"); });
  EXPECT_NE(message.find("read_fortunes"), std::string::npos) << message;
  EXPECT_NE(message.find("nowhere"), std::string::npos) << message;
  EXPECT_NE(message.find("apt-get install fortunes"), std::string::npos) << message;
}

TEST(ReadFortunes, AFolderWithoutFortunesIsAnError) {
  TempFolder folder("empty");
  folder.write("only.dat", "index");
  folder.write("blank", "\n%\n");
  const std::string message = error_of([&] { read_fortunes(folder.path()); });
  EXPECT_NE(message.find("holds no fortunes"), std::string::npos) << message;
  EXPECT_NE(message.find(folder.path().string()), std::string::npos) << message;
}

TEST(ReadTextFile, ReadsTheBytesAsTheyAre) {
  TempFolder folder("text");
  const fs::path file = folder.write("tiny.txt", "a\r\nb%\n\x01");
  const TextCorpus corpus = read_text_file(file);
  EXPECT_EQ(corpus.files, (std::vector<std::string>{"tiny.txt"}));
  EXPECT_EQ(corpus.text, std::string("a\r\nb%\n\x01"));
}

TEST(ReadTextFile, EmptyMissingAndFolderAreErrorsNamingTheFile) {
  TempFolder folder("text_errors");
  const fs::path empty = folder.write("empty.txt", "");
  std::string message = error_of([&] { read_text_file(empty); });
  EXPECT_NE(message.find("read_text_file"), std::string::npos) << message;
  EXPECT_NE(message.find("empty.txt' is empty"), std::string::npos) << message;
  message = error_of([&] { read_text_file(folder.path() / "absent.txt"); });
  EXPECT_NE(message.find("cannot open"), std::string::npos) << message;
  EXPECT_NE(message.find("absent.txt"), std::string::npos) << message;
  message = error_of([&] { read_text_file(folder.path()); });
  EXPECT_NE(message.find("is a folder"), std::string::npos) << message;
}

TEST(CharVocab, IdsFollowByteOrderAndRoundTrip) {
  const CharVocab vocab("hello, world\n");
  EXPECT_EQ(vocab.characters(), std::string("\n ,dehlorw"));
  EXPECT_EQ(vocab.size(), 10);
  EXPECT_EQ(vocab.id('\n'), 0);
  EXPECT_EQ(vocab.id('w'), 9);
  EXPECT_EQ(vocab.character(3), 'd');
  const std::vector<int64_t> ids = vocab.encode("old\n");
  EXPECT_EQ(ids, (std::vector<int64_t>{7, 6, 3, 0}));
  EXPECT_EQ(vocab.decode(ids), "old\n");
}

TEST(CharVocab, BadInputNamesWhatAndWhere) {
  EXPECT_NE(error_of([] { CharVocab(""); }).find("empty text"), std::string::npos);
  const CharVocab vocab("abc");
  std::string message = error_of([&] { vocab.encode("abxa"); });
  EXPECT_NE(message.find("'x' at offset 2"), std::string::npos) << message;
  message = error_of([&] { vocab.encode("a\x1b"); });
  EXPECT_NE(message.find("'\\x1b' at offset 1"), std::string::npos) << message;
  message = error_of([&] { vocab.decode({0, 3}); });
  EXPECT_NE(message.find("id 3 is outside the vocabulary (ids 0..2)"), std::string::npos) << message;
  EXPECT_THROW(vocab.id('z'), Error);
  EXPECT_THROW(vocab.character(-1), Error);
}

TEST(SplitTokens, TheLastFractionValidates) {
  const TokenSplit split = split_tokens(iota_ids(20), 0.25, 4);
  EXPECT_EQ(split.train, iota_ids(15));
  EXPECT_EQ(split.val, (std::vector<int64_t>{15, 16, 17, 18, 19}));
}

TEST(SplitTokens, ACorpusShorterThanTheContextNamesThePartAndTheSizes) {
  std::string message = error_of([] { split_tokens(iota_ids(20), 0.25, 5); });
  EXPECT_NE(message.find("split_tokens"), std::string::npos) << message;
  EXPECT_NE(message.find("the validation part holds 5 characters"), std::string::npos) << message;
  EXPECT_NE(message.find("block_size 5"), std::string::npos) << message;
  message = error_of([] { split_tokens(iota_ids(20), 0.1, 30); });
  EXPECT_NE(message.find("the training part holds 18 characters"), std::string::npos) << message;
  EXPECT_THROW(split_tokens(iota_ids(20), 0.0, 2), Error);
  EXPECT_THROW(split_tokens(iota_ids(20), 1.0, 2), Error);
}

TEST(RandomWindows, TargetsAreTheInputsShiftedByOneAndTheSeedFixesThem) {
  std::vector<int64_t> ids(50);
  for (int64_t i = 0; i < 50; ++i) ids[i] = (i * 7) % 13;
  Generator a(3), b(3);
  const WindowBatch first = random_windows(ids, 4, 8, a);
  const WindowBatch again = random_windows(ids, 4, 8, b);
  EXPECT_EQ(first.x.shape, (Shape{4, 8}));
  EXPECT_EQ(first.y.shape, (Shape{4, 8}));
  EXPECT_EQ(first.x.values, again.x.values);
  bool starts_differ = false;
  for (int64_t r = 0; r < 4; ++r) {
    // Find the window's start: ids are (i*7) % 13, so the pair (x0, x1) pins it down within 13.
    int64_t start = -1;
    for (int64_t s = 0; s + 8 < 50 && start < 0; ++s)
      if (std::equal(ids.begin() + s, ids.begin() + s + 8, first.x.values.begin() + r * 8)) start = s;
    ASSERT_GE(start, 0) << "row " << r << " is not a window of the ids";
    for (int64_t t = 0; t < 8; ++t) EXPECT_EQ(first.y.values[r * 8 + t], ids[start + t + 1]);
    starts_differ |= first.x.values[r * 8] != first.x.values[0];
  }
  EXPECT_TRUE(starts_differ) << "four random windows all started alike";
}

TEST(RandomWindows, TooFewIdsForOneWindowIsAnError) {
  Generator gen(0);
  const std::string message = error_of([&] { random_windows(iota_ids(8), 2, 8, gen); });
  EXPECT_NE(message.find("random_windows"), std::string::npos) << message;
  EXPECT_NE(message.find("8 ids are too few for one window of block_size 8"), std::string::npos) << message;
  EXPECT_THROW(random_windows(iota_ids(9), 0, 8, gen), Error);
  EXPECT_NO_THROW(random_windows(iota_ids(9), 2, 8, gen));
}

TEST(ConsecutiveWindows, StartAtMultiplesOfTheContextAndStopAtTheEnd) {
  const WindowBatch w = consecutive_windows(iota_ids(10), 5, 3);  // only 3 whole windows + next id
  EXPECT_EQ(w.x.shape, (Shape{3, 3}));
  EXPECT_EQ(w.x.values, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(w.y.values, (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(consecutive_windows(iota_ids(10), 2, 3).x.shape, (Shape{2, 3}));
  EXPECT_THROW(consecutive_windows(iota_ids(3), 1, 3), Error);
}
