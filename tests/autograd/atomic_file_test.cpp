// Lessons 01 and 05: files appear whole or not at all, with any number of writers at once, and
// the temporaries of a killed writer are removed while a live writer's are kept.
#include "autograd/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace glimpse;
namespace fs = std::filesystem;

namespace {

class AtomicFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("glimpse_atomic_file_{}_{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void touch(const fs::path& file) { std::ofstream(file) << "left behind"; }

}  // namespace

TEST_F(AtomicFile, ConcurrentWritersToOnePathNeverFailAndNeverMix) {
  // Each writer's contents are 64 KB of one letter; a reader must only ever see one letter.
  const fs::path file = dir_ / "shared.txt";
  write_file_atomically(file, std::string(65536, 'a'), "test");
  constexpr int kWriters = 4, kWrites = 100;
  std::atomic<int> failures{0}, done{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      const std::string contents(65536, static_cast<char>('a' + w));
      for (int i = 0; i < kWrites; ++i) {
        try {
          write_file_atomically(file, contents, "test");
        } catch (const Error&) {
          ++failures;
        }
      }
      ++done;
    });
  int reads = 0, torn = 0;
  while (done < kWriters) {
    const std::string seen = read_text(file);
    ++reads;
    if (seen.size() != 65536 || seen.find_first_not_of(seen.front()) != std::string::npos) ++torn;
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(torn, 0) << "of " << reads << " reads";
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1) << "no temporary left";
}

TEST_F(AtomicFile, AFailedWriteNamesTheFileAndLeavesNothing) {
  fs::create_directories(dir_ / "taken" / "inside");  // a non-empty folder cannot be replaced
  try {
    write_file_atomically(dir_ / "taken", "x", "test");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "test");
    EXPECT_NE(std::string(e.what()).find((dir_ / "taken").string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(AtomicFile, StaleTemporariesAreRemovedAndLiveOnesKept) {
  touch(dir_ / ".attention_004.dot.tmp-4242-0");  // a killed run's (the older trace naming)
  touch(dir_ / ".ckpt.safetensors.tmp-0123456789ab");
  touch(dir_ / "ckpt.safetensors.tmp");  // older Glimpse versions' fixed name
  touch(dir_ / ".hidden_000.dot.tmp-live");
  touch(dir_ / "attention_004.dot");
  touch(dir_ / ".config");
  // A live writer holds a lock on its temporary.
  const int live = ::open((dir_ / ".hidden_000.dot.tmp-live").c_str(), O_RDONLY);
  ASSERT_GE(live, 0);
  ASSERT_EQ(::flock(live, LOCK_EX), 0);

  EXPECT_EQ(remove_stale_temporaries(dir_, "ckpt.safetensors"), 2);  // this file's only
  EXPECT_FALSE(fs::exists(dir_ / "ckpt.safetensors.tmp"));
  EXPECT_TRUE(fs::exists(dir_ / ".attention_004.dot.tmp-4242-0"));

  EXPECT_EQ(remove_stale_temporaries(dir_), 1);  // every file's
  EXPECT_FALSE(fs::exists(dir_ / ".attention_004.dot.tmp-4242-0"));
  EXPECT_TRUE(fs::exists(dir_ / ".hidden_000.dot.tmp-live")) << "a live writer's temporary is kept";
  EXPECT_TRUE(fs::exists(dir_ / "attention_004.dot"));
  EXPECT_TRUE(fs::exists(dir_ / ".config"));
  ::close(live);
  EXPECT_EQ(remove_stale_temporaries(dir_), 1) << "once its writer is gone, it is stale";
}
