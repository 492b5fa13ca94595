// Issue 12: one gzip-or-plain file reader for the data readers, through zlib's gzread.
#include "nn/gzip_file.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <memory>

namespace glimpse::nn {

std::string read_gzip_file(const std::filesystem::path& file, const char* op, uint64_t max_bytes,
                           Loc caller) {
  std::error_code ec;
  glimpse::detail::check(std::filesystem::is_regular_file(file, ec), op, caller,
                         [&] { return fmt::format("cannot open '{}': no such file", file.string()); });
  const std::unique_ptr<gzFile_s, int (*)(gzFile)> in(gzopen(file.c_str(), "rb"), gzclose);
  glimpse::detail::check(in != nullptr, op, caller,
                         [&] { return fmt::format("cannot open '{}'", file.string()); });
  std::string out;
  char buffer[1 << 16];
  while (true) {
    const int n = gzread(in.get(), buffer, sizeof buffer);
    glimpse::detail::check(n >= 0, op, caller, [&] {
      int code = 0;
      const char* message = gzerror(in.get(), &code);
      return fmt::format("{}: the gzip data is broken after {} decompressed bytes: {}", file.string(),
                         out.size(), message ? message : "unknown zlib error");
    });
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
    glimpse::detail::check(out.size() <= max_bytes, op, caller, [&] {
      return fmt::format("{}: more than {} bytes once decompressed: not a file of this course", file.string(),
                         max_bytes);
    });
  }
  // gzread stops quietly at a cut-off stream: the callers check the content's sizes and offsets.
  return out;
}

}  // namespace glimpse::nn
