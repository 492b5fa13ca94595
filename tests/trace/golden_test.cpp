// Golden files: a tiny fixed model and seed must produce exactly the committed text and DOT, so
// any change to what a learner sees is a visible diff (printed numbers may differ by one unit in
// their last digit between builds; see difference_beyond_last_digit). After an intended change, regenerate:
//   GLIMPSE_UPDATE_GOLDEN=1 ctest --test-dir build -R Golden
// and review the diff of tests/trace/golden/ before committing it.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>
#include <set>

#include "trace/render.hpp"
#include "trace/tracer.hpp"
#include "trace/write_trace.hpp"
#include "trace_fixture.hpp"

using namespace glimpse;
namespace fs = std::filesystem;
using glimpse::test::read_text;
using glimpse::test::TempFolder;
using glimpse::test::TinySeq2seq;

namespace {

const fs::path kGoldenDir = fs::path(GLIMPSE_SOURCE_DIR) / "tests" / "trace" / "golden";

bool updating() {
  const char* v = std::getenv("GLIMPSE_UPDATE_GOLDEN");
  return v && std::string(v) == "1";
}

// A number starts at a digit, or at a sign or point followed by one, that does not continue a
// word: "n12", "#1f77b4" and "attention_007" hold digits but are names.
bool number_starts(const std::string& s, size_t i) {
  if (i > 0) {
    const char before = s[i - 1];
    if (std::isalnum(static_cast<unsigned char>(before)) || before == '_' || before == '#' || before == '.') return false;
  }
  size_t j = i;
  if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
  if (j < s.size() && s[j] == '.') ++j;
  return j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]));
}

// Length of the number at s[i] and the value of one unit in its last printed digit.
size_t number_length(const std::string& s, size_t i, double& unit) {
  size_t j = i;
  if (s[j] == '+' || s[j] == '-') ++j;
  while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
  int decimals = 0;
  bool is_integer = true;  // integers (sizes, counts, steps) must match exactly: unit 0
  if (j < s.size() && s[j] == '.') {
    is_integer = false;
    for (++j; j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])); ++j) ++decimals;
  }
  int exponent = 0;
  if (j + 1 < s.size() && (s[j] == 'e' || s[j] == 'E') &&
      (std::isdigit(static_cast<unsigned char>(s[j + 1])) || s[j + 1] == '+' || s[j + 1] == '-')) {
    is_integer = false;
    const size_t start = ++j;
    if (s[j] == '+' || s[j] == '-') ++j;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    exponent = std::stoi(s.substr(start, j - start));
  }
  unit = is_integer ? 0.0 : std::pow(10.0, exponent - decimals);
  return j - i;
}

// The golden files print values to 3-6 digits, and which way the last digit rounds can depend on
// the build: the order of float operations follows the CPU's vector width, and FMA contraction
// follows -march and -O. So a file that is not byte-identical is compared again token by token:
// all text (names, ids, shapes, layout) must match exactly, and each number must be within one
// unit of its last printed digit or 1e-6, whichever is larger (integers exactly). The 1e-6 is
// float32 rounding of values that are small differences of larger terms, which steps.tsv prints
// to six significant digits (a -O0 build gives 0.000594398 where -O3 gives 0.000594392).
// Returns "" when the files agree, else where they differ.
std::string difference_beyond_last_digit(const std::string& got, const std::string& expected) {
  size_t i = 0, j = 0, line = 1;
  while (i < got.size() && j < expected.size()) {
    if (number_starts(got, i) && number_starts(expected, j)) {
      double unit_got = 0, unit_expected = 0;
      const size_t n = number_length(got, i, unit_got), m = number_length(expected, j, unit_expected);
      const double a = std::stod(got.substr(i, n)), b = std::stod(expected.substr(j, m));
      const bool integers = unit_got == 0 && unit_expected == 0;
      const double tolerance = integers ? 0.0 : std::max({1.01 * unit_got, 1.01 * unit_expected, 1e-6});
      if (got.compare(i, n, expected, j, m) != 0 && !(std::fabs(a - b) <= tolerance))
        return fmt::format("line {}: {} where {} was expected", line, got.substr(i, n), expected.substr(j, m));
      i += n, j += m;
      continue;
    }
    if (got[i] != expected[j])
      return fmt::format("line {}: '{}' where '{}' was expected", line, got.substr(i, 40), expected.substr(j, 40));
    if (got[i] == '\n') ++line;
    ++i, ++j;
  }
  if (i != got.size() || j != expected.size()) return fmt::format("line {}: the files have different lengths", line);
  return "";
}

// Writes `rec` without SVG (pictures depend on the installed fonts) and compares every file
// with golden/<name>/, or replaces those when updating.
void check_golden(const trace::Recording& rec, const std::string& name, const trace::WriteOptions& options = {}) {
  TempFolder tmp("golden_" + name);
  trace::WriteOptions no_svg = options;
  no_svg.svg = false;
  trace::write_trace(rec, tmp.path(), no_svg);
  const fs::path golden = kGoldenDir / name;
  if (updating()) {
    fs::remove_all(golden);
    fs::create_directories(golden);
    for (const auto& entry : fs::directory_iterator(tmp.path())) fs::copy_file(entry.path(), golden / entry.path().filename());
    GTEST_SKIP() << "golden files updated in " << golden;
  }
  std::set<std::string> written, expected;
  for (const auto& entry : fs::directory_iterator(tmp.path())) written.insert(entry.path().filename().string());
  for (const auto& entry : fs::directory_iterator(golden)) expected.insert(entry.path().filename().string());
  EXPECT_EQ(written, expected) << "files written differ from " << golden;
  for (const std::string& file : written) {
    if (!expected.count(file)) continue;
    const std::string got = read_text(tmp.path() / file), want = read_text(golden / file);
    if (got != want) {
      EXPECT_EQ(difference_beyond_last_digit(got, want), "")
          << file << " differs from " << (golden / file) << " (GLIMPSE_UPDATE_GOLDEN=1 regenerates it)";
    }
    if (file.ends_with(".dot") && trace::graphviz_available()) {
      EXPECT_EQ(trace::dot_parse_error(got), "") << file;
    }
  }
}

trace::Recording trace_seq2seq() {
  TinySeq2seq m(7);
  trace::Tracer tracer(*m.model, {.vocabulary = m.vocab.tokens()});
  const nn::Example ex = TinySeq2seq::example();
  tracer.begin_sequence(ex.source, {"<sos>", "c", "b", "a"});
  m.model->zero_grad();
  m.model->loss(m.batch({ex})).backward();
  return tracer.take();
}

// Lesson 01's example: a neuron, y = tanh(w·x + b), and its loss.
trace::Recording trace_neuron() {
  Tensor x = from_vector({0.5f, -1.0f}, {2});
  Tensor w = from_vector({0.8f, 0.3f}, {2}).requires_grad_();
  Tensor b = from_vector({0.1f}, {1}).requires_grad_();
  trace::Tracer tracer({.graph_values = true});
  tracer.name(x, "x");
  tracer.name(w, "w");
  tracer.name(b, "b");
  Tensor y = tanh(add(sum(mul(w, x)), b));
  Tensor loss = mul(y, y).sum();
  loss.backward();
  return tracer.take();
}

}  // namespace

TEST(Golden, ComparisonForgivesOnlyTheLastPrintedDigit) {
  EXPECT_EQ(difference_beyond_last_digit("w 0.295534\n", "w 0.295535\n"), "");
  EXPECT_EQ(difference_beyond_last_digit("+0.025 -0.001", "+0.026 -0.000"), "");
  EXPECT_EQ(difference_beyond_last_digit("1.2e-05", "1.3e-05"), "");
  EXPECT_EQ(difference_beyond_last_digit("0.000594398", "0.000594392"), "") << "within 1e-6";
  EXPECT_NE(difference_beyond_last_digit("w 0.295534\n", "w 0.295536\n"), "");
  EXPECT_NE(difference_beyond_last_digit("1.2e-05", "1.4e-05"), "");
  EXPECT_NE(difference_beyond_last_digit("shape [4, 7]", "shape [4, 8]"), "") << "integers are exact";
  EXPECT_NE(difference_beyond_last_digit("n12 -> n13", "n12 -> n14"), "") << "ids are names";
  EXPECT_NE(difference_beyond_last_digit("color=\"#1f77b4\"", "color=\"#1f77b5\""), "");
  EXPECT_NE(difference_beyond_last_digit("attention_007.dot", "attention_008.dot"), "");
  EXPECT_NE(difference_beyond_last_digit("0.5 a", "0.5 b"), "");
  EXPECT_NE(difference_beyond_last_digit("0.5", "0.5\n"), "");
}

TEST(Golden, Seq2seqTraceMatchesTheCommittedFiles) { check_golden(trace_seq2seq(), "seq2seq"); }

TEST(Golden, NeuronGraphAndBackwardMatchTheCommittedFiles) { check_golden(trace_neuron(), "neuron"); }

TEST(Golden, TwoRunsWriteIdenticalFiles) {
  // Whatever ran before (tape ids differ), the same computation gives the same files.
  TempFolder a("twice_a"), b("twice_b");
  trace::write_trace(trace_seq2seq(), a.path(), {.svg = false});
  Tensor unrelated = (ones({3}).requires_grad_() * 2.0f).sum();  // moves the tape's ids on
  trace::write_trace(trace_seq2seq(), b.path(), {.svg = false});
  for (const auto& entry : fs::directory_iterator(a.path())) {
    const fs::path other = b.path() / entry.path().filename();
    EXPECT_EQ(read_text(entry.path()), read_text(other)) << entry.path().filename();
  }
}
