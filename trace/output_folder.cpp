// Lesson 01: trace files appear whole or not at all.
#include "trace/output_folder.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "autograd/atomic_file.hpp"
#include "trace/viewer.hpp"

namespace glimpse::trace {

namespace fs = std::filesystem;

namespace {

// A name for the probe file that no other thread or process uses.
fs::path temporary_for(const fs::path& file) {
  static std::atomic<unsigned> counter{0};
  return file.parent_path() /
         fmt::format(".{}.tmp-{}-{}", file.filename().string(), static_cast<long>(::getpid()), counter++);
}

}  // namespace

void write_file_atomically(const fs::path& file, const std::string& contents, Loc loc) {
  glimpse::write_file_atomically(file, contents, "trace", loc);
}

OutputFolder::OutputFolder(fs::path path, Loc loc) : path_(std::move(path)) {
  if (path_.empty()) throw Error("trace", "no trace folder given (an empty path)", loc);
  std::error_code ec;
  fs::create_directories(path_, ec);
  if (ec || !fs::is_directory(path_))
    throw Error("trace",
                fmt::format("cannot create trace folder '{}': {}", path_.string(),
                            ec ? ec.message() : std::string("a file with that name is in the way")),
                loc);
  // Temporaries a killed run left behind (`.attention_004.dot.tmp-…`); live writers' are kept.
  remove_stale_temporaries(path_);
  // Find out now, with a clear message, if the folder exists but cannot be written to.
  const fs::path probe = temporary_for(path_ / "probe");
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f)
    throw Error("trace", fmt::format("cannot write to trace folder '{}': {}", path_.string(), std::strerror(errno)),
                loc);
  std::fclose(f);
  fs::remove(probe, ec);
}

void OutputFolder::write(const std::string& name, const std::string& contents, const std::string& description,
                         Loc loc) {
  write_file_atomically(path_ / name, contents, loc);
  files_.emplace_back(name, description);
}

void OutputFolder::write_index(const std::string& title, Loc loc) {
  // The viewer shows the pictures as they are on disk (each was written whole).
  std::vector<ViewerFile> listed;
  std::string graph_svg;
  for (const auto& [name, description] : files_) {
    ViewerFile f{name, description, "", false};
    if (name.size() > 4 && name.ends_with(".svg")) {
      std::error_code ec;
      const auto bytes = fs::file_size(path_ / name, ec);
      if (!ec && bytes <= static_cast<std::uintmax_t>(ViewerLimits{}.max_svg_bytes)) {
        std::ifstream in(path_ / name, std::ios::binary);
        f.svg.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      } else {
        f.too_big = !ec;
      }
      if (name == "graph.svg") graph_svg = f.svg;
    }
    listed.push_back(std::move(f));
  }
  if (std::find_if(files_.begin(), files_.end(), [](const auto& f) { return f.first == "index.html"; }) ==
      files_.end())
    files_.emplace_back("index.html",
                        "the viewer: open it in a browser (offline: everything is inside the page)");
  write_file_atomically(path_ / "index.html", viewer_html(title, listed, recording_.get(), graph_svg), loc);

  size_t width = 0;
  for (const auto& [name, description] : files_) width = std::max(width, name.size());
  std::string text = title + "\n\n";
  for (const auto& [name, description] : files_) text += fmt::format("{:<{}}  {}\n", name, width, description);
  if (!notes_.empty()) text += "\n";
  for (const std::string& n : notes_) text += n + "\n";
  write_file_atomically(path_ / "index.txt", text, loc);
}

}  // namespace glimpse::trace
