// Files that appear whole or not at all, even with several writers at once: trace files
// (lesson 01) and checkpoints (lesson 05) are written through here.
//
// A writer puts the bytes in a temporary file of its own beside the target,
// `.NAME.tmp-XXXXXX` (a unique name, like mkstemp's), then renames it over the target: a
// reader sees the old file or the new one, and two writers never share a temporary. While it
// writes, the writer holds a lock (flock) on its temporary; the kernel drops the lock when the
// process dies, so a temporary nobody holds is the leftover of a killed run and may be removed.
#pragma once

#include <filesystem>
#include <string_view>

#include "autograd/error.hpp"

namespace glimpse {

// Writes `contents` to `file` atomically. Throws glimpse::Error (reported as `op`) naming the
// file on failure; no temporary is left behind then.
void write_file_atomically(const std::filesystem::path& file, std::string_view contents, const char* op,
                           Loc loc = Loc::current());

// Removes the temporaries in `folder` that no live writer holds: those of `file_name` only
// (`.file_name.tmp-*`, and `file_name.tmp` of older Glimpse versions), or every `.*.tmp-*` when
// `file_name` is empty. Returns how many were removed; problems (a file already gone, a
// folder that cannot be listed) are not errors.
int remove_stale_temporaries(const std::filesystem::path& folder, std::string_view file_name = "");

}  // namespace glimpse
