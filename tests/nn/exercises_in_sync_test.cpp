// The learner's copies in exercises/ (docs/exercises.md) must stay the reference files of nn/ or
// autograd/ with only the exercise parts taken out. Each exercise file is its reference with a header
// comment on top and, in place of each solution, a block running from a "TODO(exercise)" line to
// a `throw glimpse::Error("exercise", ...)` line. This test checks exactly that, ignoring line
// breaks and indentation: anything else that differs means one of the two files drifted, and a
// learner would be building the lessons against stale code.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kSource = GLIMPSE_SOURCE_DIR;

std::vector<std::string> lines_of(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// The exercise file as pieces of words that must appear in the reference in order, with any
// reference code between consecutive pieces (that is where the solutions were).
std::vector<std::vector<std::string>> pieces_of_exercise(const fs::path& path) {
  std::vector<std::string> lines = lines_of(path);
  // The header ends at its first line that is just "//".
  const auto header_end = std::find(lines.begin(), lines.end(), "//");
  if (header_end != lines.end()) lines.erase(lines.begin(), header_end + 1);
  std::vector<std::vector<std::string>> pieces(1);
  bool in_exercise = false;
  for (const std::string& line : lines) {
    if (line.find("TODO(exercise)") != std::string::npos) in_exercise = true;
    if (!in_exercise) {
      for (std::string& w : words_of(line)) pieces.back().push_back(std::move(w));
    } else if (line.find("throw glimpse::Error(\"exercise\"") != std::string::npos) {
      in_exercise = false;
      pieces.emplace_back();
    }
  }
  return pieces;
}

// Where `piece` first occurs in `words` at or after `from`, or npos.
size_t find_piece(const std::vector<std::string>& words, const std::vector<std::string>& piece, size_t from) {
  if (piece.empty()) return from;
  const auto it = std::search(words.begin() + static_cast<std::ptrdiff_t>(from), words.end(), piece.begin(), piece.end());
  return it == words.end() ? std::string::npos : static_cast<size_t>(it - words.begin());
}

std::string excerpt(const std::vector<std::string>& words, size_t at) {
  std::string out;
  for (size_t i = at; i < std::min(words.size(), at + 12); ++i) out += words[i] + " ";
  return out;
}

// Matches the pieces against the reference's words: the first at the start, the last at the
// end, the others in order (the gaps are the solutions). Returns "" or what does not match.
std::string mismatch(const std::vector<std::vector<std::string>>& pieces, const std::vector<std::string>& reference) {
  if (pieces.size() < 2) return "no TODO(exercise) ... throw glimpse::Error(\"exercise\", ...) block found";
  const auto& first = pieces.front();
  const auto& last = pieces.back();
  if (!std::equal(first.begin(), first.end(), reference.begin(), reference.begin() + static_cast<std::ptrdiff_t>(std::min(first.size(), reference.size()))) ||
      first.size() > reference.size()) {
    size_t i = 0;
    while (i < first.size() && i < reference.size() && first[i] == reference[i]) ++i;
    return "before the first exercise, the files differ at: '" + excerpt(first, i) + "' vs '" + excerpt(reference, i) + "'";
  }
  size_t pos = first.size();
  for (size_t k = 1; k + 1 < pieces.size(); ++k) {
    const size_t at = find_piece(reference, pieces[k], pos);
    if (at == std::string::npos) return "the code after exercise " + std::to_string(k) + " is not in the reference: '" + excerpt(pieces[k], 0) + "'";
    pos = at + pieces[k].size();
  }
  if (last.size() > reference.size() - pos ||
      !std::equal(last.begin(), last.end(), reference.end() - static_cast<std::ptrdiff_t>(last.size())))
    return "after the last exercise, the files differ: '" + excerpt(last, 0) + "'";
  return "";
}

}  // namespace

TEST(Exercises, EachCopyIsItsReferenceWithOnlyTheExercisesTakenOut) {
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(kSource / "exercises")) {
    if (entry.path().extension() != ".cpp") continue;
    // The reference is nn/<name>.cpp, or autograd/<name>.cpp for the write-the-backward exercises.
    fs::path reference = kSource / "nn" / entry.path().filename();
    if (!fs::exists(reference)) reference = kSource / "autograd" / entry.path().filename();
    ASSERT_TRUE(fs::exists(reference)) << entry.path() << " has no reference in nn/ or autograd/";
    std::string all;
    for (const std::string& line : lines_of(reference)) all += line + "\n";
    EXPECT_EQ(mismatch(pieces_of_exercise(entry.path()), words_of(all)), "")
        << entry.path().filename() << " has drifted from " << reference;
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

TEST(Exercises, TheSyncCheckCatchesDrift) {
  const std::vector<std::string> reference = words_of("int f() { return 1; }\nint g() { return 2; }\n");
  const auto pieces = [](const std::string& a, const std::string& b) {
    return std::vector<std::vector<std::string>>{words_of(a), words_of(b)};
  };
  EXPECT_EQ(mismatch(pieces("int f() {", "} int g() { return 2; }"), reference), "");
  EXPECT_EQ(mismatch(pieces("int f()\n{", "}\nint g() {\n  return 2;\n}"), reference), "") << "line breaks do not matter";
  EXPECT_NE(mismatch(pieces("int f() {", "} int g() { return 3; }"), reference), "");
  EXPECT_NE(mismatch(pieces("long f() {", "} int g() { return 2; }"), reference), "");
  EXPECT_NE(mismatch({words_of("int f() { return 1; } int g() { return 2; }")}, reference), "") << "no exercise block";
}
