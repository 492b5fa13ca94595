// OutputFolder: a folder that cannot be made or written gives an error naming it, and files
// appear whole or not at all.
#include "trace/output_folder.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "trace_fixture.hpp"

using namespace glimpse;
namespace fs = std::filesystem;
using glimpse::test::read_text;
using glimpse::test::TempFolder;

namespace {

// The error message of `f`, or "" if it did not throw glimpse::Error.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Files whose name starts with '.' (our temporary files) left in `folder`.
int temporaries_in(const fs::path& folder) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().filename().string().front() == '.') ++n;
  return n;
}

}  // namespace

TEST(OutputFolder, CreatesNestedFoldersAndWritesFiles) {
  TempFolder tmp("create");
  trace::OutputFolder out(tmp.path() / "a" / "b");
  out.write("x.txt", "hello\n", "a greeting");
  out.write_index("test trace");
  EXPECT_EQ(read_text(tmp.path() / "a" / "b" / "x.txt"), "hello\n");
  EXPECT_EQ(read_text(tmp.path() / "a" / "b" / "index.txt"),
            "test trace\n\nx.txt       a greeting\nindex.html  the viewer: open it in a browser (offline: "
            "everything is inside the page)\n");
  EXPECT_EQ(temporaries_in(tmp.path() / "a" / "b"), 0);
}

TEST(OutputFolder, AFolderThatCannotBeCreatedIsAnErrorNamingIt) {
  TempFolder tmp("uncreatable");
  { std::ofstream(tmp.path() / "plain_file") << "in the way"; }
  const fs::path bad = tmp.path() / "plain_file" / "traces";
  const std::string message = error_of([&] { trace::OutputFolder out(bad); });
  EXPECT_NE(message.find(bad.string()), std::string::npos) << message;
  EXPECT_NE(message.find("cannot create trace folder"), std::string::npos) << message;

  const std::string same = error_of([&] { trace::OutputFolder out(tmp.path() / "plain_file"); });
  EXPECT_NE(same.find("plain_file"), std::string::npos) << same;
}

TEST(OutputFolder, AnUnwritableFolderIsAnErrorNamingIt) {
  // /proc exists but takes no new files, even from root (CI runs the tests as root, where
  // permission bits stop nothing).
  if (fs::is_directory("/proc/self")) {
    const std::string message = error_of([&] { trace::OutputFolder out("/proc/self"); });
    EXPECT_NE(message.find("cannot write to trace folder '/proc/self'"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists("/proc/self/probe")) << "nothing is left behind";
  }
  if (::geteuid() == 0) return;  // root may write to the read-only folder below
  TempFolder tmp("unwritable");
  const fs::path locked = tmp.path() / "locked";
  fs::create_directories(locked);
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
  const std::string message = error_of([&] { trace::OutputFolder out(locked); });
  fs::permissions(locked, fs::perms::owner_all);
  EXPECT_NE(message.find(locked.string()), std::string::npos) << message;
}

TEST(OutputFolder, AFailedWriteLeavesNoPartialFile) {
  TempFolder tmp("partial");
  trace::OutputFolder out(tmp.path());
  out.write("kept.txt", "old contents\n", "kept");
  // A non-empty directory where the file should go: the rename fails after the data is written.
  fs::create_directories(tmp.path() / "blocked.txt" / "inside");
  const std::string message = error_of([&] { out.write("blocked.txt", "new contents\n", "blocked"); });
  EXPECT_NE(message.find("blocked.txt"), std::string::npos) << message;
  EXPECT_EQ(temporaries_in(tmp.path()), 0) << "the temporary file must be removed";
  EXPECT_TRUE(fs::is_directory(tmp.path() / "blocked.txt"));
  EXPECT_EQ(out.files().size(), 1u);

  // Replacing a file is atomic: it holds the old or the new contents, never a mix.
  out.write("kept.txt", "new contents\n", "kept");
  EXPECT_EQ(read_text(tmp.path() / "kept.txt"), "new contents\n");
  EXPECT_EQ(temporaries_in(tmp.path()), 0);
}

TEST(OutputFolder, AnEmptyPathIsAnError) {
  EXPECT_NE(error_of([] { trace::OutputFolder out(""); }).find("no trace folder"), std::string::npos);
}

TEST(OutputFolder, TemporariesOfAKilledRunAreRemovedByTheNextRun) {
  TempFolder tmp("stale");
  { std::ofstream(tmp.path() / ".attention_004.dot.tmp-31337-2") << "half a pic"; }
  { std::ofstream(tmp.path() / "attention_004.dot") << "digraph {}"; }
  trace::OutputFolder out(tmp.path());
  EXPECT_EQ(temporaries_in(tmp.path()), 0);
  EXPECT_TRUE(fs::exists(tmp.path() / "attention_004.dot"));
}
