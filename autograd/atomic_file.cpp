// Lessons 01 and 05: write to a temporary of one's own, then rename it into place.
#include "autograd/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>

namespace glimpse {

namespace fs = std::filesystem;

namespace {

std::string temporary_prefix(std::string_view file_name) { return fmt::format(".{}.tmp-", file_name); }

// Creates a temporary beside `file` under a fresh random name, locked for as long as the
// descriptor stays open. Returns the descriptor, or -1 with errno set.
int create_temporary(const fs::path& file, std::string& name) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  for (;;) {
    name = (file.parent_path() /
            fmt::format("{}{:012x}", temporary_prefix(file.filename().string()), random() & 0xffff'ffff'ffff))
               .string();
    // Like mkstemp, but the permissions follow the umask, as any other new file's do.
    const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0) return -1;
    // Between open and flock another process may have found it unlocked, called it stale and
    // removed it; then take another name. (A file system without flock gets no lock.)
    struct stat st {};
    if (::flock(fd, LOCK_EX) != 0 || (::fstat(fd, &st) == 0 && st.st_nlink > 0)) return fd;
    ::close(fd);
  }
}

// Writes all of `bytes` (write may take fewer at a time). Returns 0 or the errno.
int write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

bool is_temporary(const std::string& name, std::string_view file_name) {
  if (file_name.empty()) return name.starts_with('.') && name.find(".tmp-") != std::string::npos;
  return name.starts_with(temporary_prefix(file_name)) || name == fmt::format("{}.tmp", file_name);
}

}  // namespace

void write_file_atomically(const fs::path& file, std::string_view contents, const char* op, Loc loc) {
  std::string tmp;
  const int fd = create_temporary(file, tmp);
  int error = fd < 0 ? errno : write_all(fd, contents);
  if (fd >= 0) {
    if (error == 0 && ::rename(tmp.c_str(), file.c_str()) != 0) error = errno;
    if (error != 0) ::unlink(tmp.c_str());
    ::close(fd);  // only now: the lock is held until the file has its final name
  }
  if (error != 0)
    throw Error(op, fmt::format("cannot write '{}': {}", file.string(), std::strerror(error)), loc);
}

int remove_stale_temporaries(const fs::path& folder, std::string_view file_name) {
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(folder.empty() ? fs::path(".") : folder, ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::path path = it->path();
    if (!is_temporary(path.filename().string(), file_name)) continue;
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    // Stale when no writer holds its lock, and still the same file under that name (a writer
    // that just finished has renamed it away).
    struct stat held {};
    struct stat named {};
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::fstat(fd, &held) == 0 &&
        ::lstat(path.c_str(), &named) == 0 && S_ISREG(held.st_mode) && held.st_ino == named.st_ino &&
        held.st_dev == named.st_dev && ::unlink(path.c_str()) == 0)
      ++removed;
    ::close(fd);
  }
  return removed;
}

}  // namespace glimpse
