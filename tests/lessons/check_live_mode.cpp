// check_live_mode LESSON [ARGS...]: runs a lesson with --smoke --quiet --serve 0 (any free
// port), reads the port it prints, then over loopback: the page, a good request, bad ones (each a
// 4xx with a message), a burst of concurrent requests; then Ctrl-C (SIGINT), after which the
// lesson must say "Live mode stopped." and exit 0. Exit 0 when every check holds.
#include <fmt/format.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

int failures = 0;
void expect(bool ok, const std::string& what) {
  fmt::print("{} {}\n", ok ? "ok  " : "FAIL", what);
  failures += ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: check_live_mode LESSON [ARGS...]\n");
    return 2;
  }
  int out[2];
  if (pipe(out) != 0) return 2;
  const pid_t child = fork();
  if (child == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    std::vector<char*> args(argv + 1, argv + argc);
    for (const char* a : {"--smoke", "--quiet", "--serve", "0"}) args.push_back(const_cast<char*>(a));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  FILE* lesson = fdopen(out[0], "r");
  // The lesson trains (smoke), then prints "Live mode: open http://127.0.0.1:PORT/ ...".
  int port = 0;
  std::string printed;
  char line[4096];
  while (!port && fgets(line, sizeof line, lesson)) {
    printed += line;
    std::smatch m;
    const std::string l(line);
    if (std::regex_search(l, m, std::regex(R"(http://127\.0\.0\.1:(\d+)/)"))) port = std::stoi(m[1]);
  }
  if (!port) {
    fmt::print("FAIL the lesson printed no live-mode address:\n{}\n", printed);
    kill(child, SIGKILL);
    return 1;
  }
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(30, 0);
  const auto page = c.Get("/");
  expect(page && page->status == 200 && page->body.find("\"live\"") != std::string::npos,
         "GET / serves the live page");

  // A good request: a sentence of the lesson's own tokens, taken from the page's example.
  std::string example;
  if (page) {
    std::smatch m;
    if (std::regex_search(page->body, m, std::regex(R"xx("example":"([^"]*)")xx"))) example = m[1];
  }
  const auto good = c.Post("/api/run", nlohmann::json{{"source", example}}.dump(), "application/json");
  bool decoded = false;
  if (good && good->status == 200) {
    const auto reply = nlohmann::json::parse(good->body, nullptr, false);
    decoded = reply.is_object() && reply.contains("tokens") && reply["map"]["columns"].size() > 0;
  }
  expect(decoded, fmt::format("POST /api/run decodes the example '{}'", example));
  const auto beam =
      c.Post("/api/run", nlohmann::json{{"source", example}, {"beam", 3}}.dump(), "application/json");
  expect(beam && beam->status == 200, "beam width 3 decodes too");
  const auto hidden =
      c.Post("/api/run", nlohmann::json{{"source", example}, {"hide", {1}}}.dump(), "application/json");
  expect(hidden && hidden->status == 200 && hidden->body.find("\"[") != std::string::npos,
         "hiding source position 1 decodes, the hidden token marked");

  const std::vector<std::pair<std::string, int>> bad = {
      {"{not json", 400},
      {R"({"source": ""})", 400},
      {R"({"source": "no-such-token-anywhere"})", 400},
      {nlohmann::json{{"source", example}, {"beam", 99}}.dump(), 400},
      {nlohmann::json{{"source", example}, {"beam", "two"}}.dump(), 400},
      {nlohmann::json{{"source", example}, {"hide", {999}}}.dump(), 400},
      {std::string(100 << 10, ' '), 413}};
  for (const auto& [body, status] : bad) {
    const auto r = c.Post("/api/run", body, "application/json");
    const bool said = r && r->status == status && r->body.find("\"error\"") != std::string::npos;
    expect(said, fmt::format("a bad request ({}) gets {} with a message{}", body.substr(0, 40), status,
                             r ? fmt::format(": {} {}", r->status, r->body.substr(0, 120)) : ""));
  }
  const auto missing = c.Get("/no-such-page");
  expect(missing && missing->status == 404, "an unknown page is 404");

  // A burst: 8 clients, 10 requests each, all answered.
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&] {
      httplib::Client burst("127.0.0.1", port);
      burst.set_read_timeout(30, 0);
      for (int i = 0; i < 10; ++i) {
        const auto r = burst.Post("/api/run", nlohmann::json{{"source", example}}.dump(), "application/json");
        if (r && r->status == 200) ++answered;
      }
    });
  for (std::thread& t : clients) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  expect(answered == 80,
         fmt::format("a burst of 80 concurrent requests: {} answered in {:.1f} s", answered.load(), seconds));

  // Ctrl-C stops it cleanly.
  kill(child, SIGINT);
  std::string rest;
  while (fgets(line, sizeof line, lesson)) rest += line;
  int status = 0;
  waitpid(child, &status, 0);
  expect(rest.find("Live mode stopped.") != std::string::npos, "Ctrl-C: the lesson says live mode stopped");
  expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "Ctrl-C: the lesson exits 0");
  return failures == 0 ? 0 : 1;
}
