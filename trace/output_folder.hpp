// The folder a trace is written to: created if needed, every file written whole or not at all
// (to a temporary file first, then renamed into place: autograd/atomic_file.hpp), temporaries
// of a killed run removed, and an index.txt listing what each file shows. Introduced in lesson 01, the first lesson that writes trace files.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/error.hpp"
#include "trace/recording.hpp"

namespace glimpse::trace {

class OutputFolder {
 public:
  // Creates `path` (and its parents) if needed and removes temporaries no live writer holds;
  // throws glimpse::Error naming the folder when it cannot be created or written to.
  explicit OutputFolder(std::filesystem::path path, Loc loc = Loc::current());

  // Writes `contents` to `name` inside the folder, atomically, and remembers `description`
  // for the index. Throws glimpse::Error naming the file on failure (no partial file is left).
  void write(const std::string& name, const std::string& contents, const std::string& description,
             Loc loc = Loc::current());
  // Adds a line to the index without writing a file (e.g. why an SVG was skipped).
  void note(const std::string& text) { notes_.push_back(text); }
  // Keeps a copy of what a Tracer recorded, for the viewer (trace/write_trace.hpp calls it).
  void attach_recording(const Recording& recording) {
    recording_ = std::make_shared<const Recording>(recording);
  }
  // Writes index.html, the viewer (trace/viewer.hpp: every picture written so far, and the
  // recording if one was attached), then index.txt: every file with what it shows, then the notes.
  void write_index(const std::string& title, Loc loc = Loc::current());

  const std::filesystem::path& path() const { return path_; }
  // (file name, description) of every file written, in order.
  const std::vector<std::pair<std::string, std::string>>& files() const { return files_; }

 private:
  std::filesystem::path path_;
  std::vector<std::pair<std::string, std::string>> files_;
  std::vector<std::string> notes_;
  std::shared_ptr<const Recording> recording_;
};

// Writes `contents` to `file` atomically: a temporary file beside it, then a rename.
void write_file_atomically(const std::filesystem::path& file, const std::string& contents,
                           Loc loc = Loc::current());

}  // namespace glimpse::trace
