// Reading a file that may be gzip-compressed (Debian ships Fashion-MNIST's IDX files and the
// freedict dictionaries so), through zlib, which passes plain files through unchanged. Issue 12's
// readers (nn/idx_file, nn/bilingual_dictionary) share it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "autograd/error.hpp"

namespace glimpse::nn {

// The whole content of `file`, decompressed. A missing file, one that cannot be opened, a broken
// gzip stream, or more than `max_bytes` once decompressed (a broken or hostile file, refused before
// it fills the memory) is a glimpse::Error from `op` naming the file.
std::string read_gzip_file(const std::filesystem::path& file, const char* op, uint64_t max_bytes,
                           Loc caller = Loc::current());

}  // namespace glimpse::nn
