// Lesson flags, checked before any work: every number a lesson reads from its command line has a
// range, and a value outside it stops the lesson with one line naming the flag and the range
// (`--steps: expects a number in [1, 100000], got 0`); the --out folder is made and tried before
// training. The flags several lessons share are declared here once.
#pragma once

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <unistd.h>

namespace glimpse::lessons {

// A CLI11 validator: the text must be a number of type T in [lo, hi]. It refuses what a plain
// conversion lets through — "-5" for an unsigned seed (strtoull wraps it), 99999999999999999999
// (strtoll clamps it), "nan" (NaN fails every comparison, so a plain range check passes it) — and
// rewrites the number in plain decimal, so CLI11 stores what was checked ("010" is 10, not octal 8).
template <class T>
CLI::Validator in_range(T lo, T hi) {
  const std::string range = fmt::format("[{}, {}]", lo, hi);
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        T value{};
        const char* end = text.data() + text.size();
        const auto [stop, error] = std::from_chars(text.data(), end, value);
        if (error != std::errc() || stop != end || !(value >= lo && value <= hi))
          return fmt::format("expects a number in {}, got {}", range, text);
        text = fmt::format("{}", value);
        return {};
      },
      "in " + range);
}

// Adds `--name` with its default shown in --help and its range checked.
template <class T>
CLI::Option* add_number(CLI::App& app, const std::string& name, T& value, const std::string& help,
                        std::type_identity_t<T> lo, std::type_identity_t<T> hi) {
  return app.add_option(name, value, help)->capture_default_str()->transform(in_range<T>(lo, hi));
}

// The same for a list of numbers (`--distances 10,20,40`): each must be in the range.
template <class T>
CLI::Option* add_number(CLI::App& app, const std::string& name, std::vector<T>& values, const std::string& help,
                        std::type_identity_t<T> lo, std::type_identity_t<T> hi) {
  return app.add_option(name, values, help)->capture_default_str()->delimiter(',')->transform(in_range<T>(lo, hi));
}

// A check between flags, made after parsing and before any work (`--heads 3 must divide --dim 32`).
inline void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

// Creates the output folder and makes sure it can be written to, so that a bad --out stops the
// lesson before its training, not after it. Call it once every flag has been checked.
inline void prepare_out_dir(const std::string& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (out.empty()) throw std::invalid_argument("--out: an empty folder name");
  if (out.front() == '-')  // `--out= --quiet` gives CLI11 the next flag as the folder
    throw std::invalid_argument(fmt::format("--out: '{}' looks like a flag, not a folder", out));
  fs::create_directories(out, ec);
  if (ec || !fs::is_directory(out))
    throw std::invalid_argument(fmt::format("--out: cannot create folder '{}': {}", out,
                                            ec ? ec.message() : "a file with that name is in the way"));
  const fs::path probe = fs::path(out) / fmt::format(".write_check-{}", ::getpid());
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f) throw std::invalid_argument(fmt::format("--out: cannot write to folder '{}'", out));
  std::fclose(f);
  fs::remove(probe, ec);
}

// ---- the flags several lessons share -------------------------------------------------------
inline CLI::Option* add_batch_flag(CLI::App& app, int64_t& batch, const std::string& what, int64_t largest = 1024) {
  return add_number(app, "--batch", batch, what + " per training step", 1, largest);
}

inline CLI::Option* add_lr_flag(CLI::App& app, float& lr) {
  return add_number(app, "--lr", lr, "Adam learning rate", 1e-6f, 1.0f);
}

// `--compare` (the default) or `--no-compare`: whether a lesson also trains its second model.
inline CLI::Option* add_compare_flag(CLI::App& app, bool& compare, const std::string& what) {
  return app.add_flag("--compare,!--no-compare", compare, what)->capture_default_str();
}

// Lessons 10 and 11 stack Transformer encoder blocks: their width, heads and depth.
inline void add_block_flags(CLI::App& app, int64_t& dim, int64_t& heads, int64_t& layers) {
  add_number(app, "--dim", dim, "model width d_model", 4, 256);
  add_number(app, "--heads", heads, "attention heads per block (must divide --dim)", 1, 16);
  add_number(app, "--layers", layers, "encoder blocks", 1, 8);
}

// After parsing: each head gets --dim / --heads of the width.
inline void check_block_flags(int64_t dim, int64_t heads) {
  require(dim % heads == 0, fmt::format("--heads {} must divide --dim {}", heads, dim));
}

// Lessons 09 and 10 train and test on generated sentences.
struct SentenceFlags {
  int64_t train = 3000, test = 500;
};

inline void add_sentence_flags(CLI::App& app, SentenceFlags& f) {
  add_number(app, "--train", f.train, "training sentences", 10, 100000);
  add_number(app, "--test", f.test, "held-out sentences (never seen in training)", 10, 10000);
}

}  // namespace glimpse::lessons
