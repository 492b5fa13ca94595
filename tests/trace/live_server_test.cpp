// live_server: over loopback, good requests are answered, bad ones get a 4xx with a message, a
// burst of concurrent requests all succeed, and stop() ends serve().
#include "trace/live_server.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

using namespace glimpse;

namespace {

// Echoes the "source" words in reverse; refuses an empty one as a lesson would.
std::string reverse_words(const std::string& request) {
  const nlohmann::json body = nlohmann::json::parse(request);
  const std::string source = body.value("source", "");
  if (source.empty()) throw Error("live", "empty source sentence");
  std::vector<std::string> words;
  for (size_t start = 0; start < source.size();) {
    const size_t end = std::min(source.find(' ', start), source.size());
    if (end > start) words.push_back(source.substr(start, end - start));
    start = end + 1;
  }
  return nlohmann::json{{"tokens", std::vector<std::string>(words.rbegin(), words.rend())}}.dump();
}

// A server on a free loopback port, serving in a thread for the test's lifetime.
struct RunningServer {
  trace::LiveServer server{"<!DOCTYPE html><p>live</p>", reverse_words, {.max_body_bytes = 1024}};
  int port = server.bind(0);
  std::thread thread{[this] { server.serve(/*stop_on_signal=*/false); }};
  ~RunningServer() {
    server.stop();
    thread.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(5, 0);
    return c;
  }
};

// The first lines of an answer that failed, for the test's message.
std::string error_of(const httplib::Result& r) {
  if (!r) return "no answer: " + httplib::to_string(r.error());
  return nlohmann::json::parse(r->body, nullptr, false).value("error", r->body);
}

}  // namespace

TEST(LiveServer, ServesThePageAndAnswersAGoodRequest) {
  RunningServer s;
  httplib::Client c = s.client();
  const auto page = c.Get("/");
  ASSERT_TRUE(page) << error_of(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<p>live</p>"), std::string::npos);
  const auto answer = c.Post("/api/run", R"({"source": "the black cat"})", "application/json");
  ASSERT_TRUE(answer) << error_of(answer);
  EXPECT_EQ(answer->status, 200) << error_of(answer);
  EXPECT_EQ(nlohmann::json::parse(answer->body)["tokens"], (std::vector<std::string>{"cat", "black", "the"}));
}

TEST(LiveServer, BadRequestsGetA4xxWithAMessage) {
  RunningServer s;
  httplib::Client c = s.client();
  const auto status_and_error = [&](const httplib::Result& r) {
    return std::pair{r ? r->status : -1, error_of(r)};
  };
  auto [status, error] = status_and_error(c.Post("/api/run", "{not json", "application/json"));
  EXPECT_EQ(status, 400);
  EXPECT_NE(error.find("must be a JSON object"), std::string::npos) << error;
  std::tie(status, error) = status_and_error(c.Post("/api/run", "[1, 2]", "application/json"));
  EXPECT_EQ(status, 400) << error;
  std::tie(status, error) = status_and_error(c.Post("/api/run", R"({"source": ""})", "application/json"));
  EXPECT_EQ(status, 400);
  EXPECT_NE(error.find("empty source sentence"), std::string::npos) << error;
  std::tie(status, error) = status_and_error(c.Get("/no/such/page"));
  EXPECT_EQ(status, 404);
  EXPECT_NE(error.find("no page /no/such/page"), std::string::npos) << error;
  std::tie(status, error) = status_and_error(c.Get("/../../etc/passwd"));
  EXPECT_EQ(status, 400) << error;
  std::tie(status, error) =
      status_and_error(c.Post("/api/run", std::string(4096, ' ') + R"({"source": "a"})", "application/json"));
  EXPECT_EQ(status, 413) << error;
  // ... and the server still answers afterwards.
  const auto after = c.Post("/api/run", R"({"source": "still here"})", "application/json");
  ASSERT_TRUE(after) << error_of(after);
  EXPECT_EQ(after->status, 200);
}

TEST(LiveServer, ABurstOfConcurrentRequestsAllSucceed) {
  RunningServer s;
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&, t] {
      httplib::Client c = s.client();
      for (int i = 0; i < 25; ++i) {
        const auto r = c.Post("/api/run", fmt::format(R"({{"source": "client {} request {}"}})", t, i),
                              "application/json");
        const bool good =
            r && r->status == 200 && nlohmann::json::parse(r->body)["tokens"][0] == std::to_string(i);
        (good ? ok : failed)++;
      }
    });
  for (std::thread& c : clients) c.join();
  EXPECT_EQ(ok, 200);
  EXPECT_EQ(failed, 0);
}

TEST(LiveServer, APortInUseIsAClearError) {
  RunningServer s;
  trace::LiveServer second("<p></p>", reverse_words);
  try {
    second.bind(s.port);
    FAIL() << "bound a port already in use";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fmt::format("cannot listen on 127.0.0.1:{}", s.port)),
              std::string::npos)
        << e.what();
  }
}
