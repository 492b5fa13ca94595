// Live mode: a lesson keeps its trained model and serves the viewer on this machine only
// (127.0.0.1), so a learner can type a sentence and see the decoding and its attention at once.
// HTTP is cpp-httplib's (Debian's libcpp-httplib-dev), never a hand-written parser. Introduced in
// lesson 06 (--serve).
//
//   GET  /          the page (the viewer, with a form that posts to /api/run)
//   POST /api/run   a JSON object in, the handler's JSON out
//
// Anything else gets a 4xx with a one-line message: an unknown path (404), ".." in a path (400),
// a body that is not a JSON object (400), a body over the limit (413), a request the handler
// refuses with glimpse::Error (400, its message). The handler runs one request at a time (a model
// is not shared between threads), so a burst of requests queues instead of racing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "autograd/error.hpp"

namespace glimpse::trace {

// Takes the request's JSON object (as text) and returns the answer's JSON text; throws
// glimpse::Error for a request it refuses (unknown word, empty sentence, ...).
using LiveHandler = std::function<std::string(const std::string& request_json)>;

struct LiveOptions {
  int64_t max_body_bytes = 64 << 10;  // a bigger request is refused with 413
  int64_t threads = 4;                // connections served at once (the handler still runs one at a time)
  int64_t timeout_seconds = 5;        // a client that stops sending is dropped after this long
};

class LiveServer {
 public:
  LiveServer(std::string page_html, LiveHandler handler, LiveOptions options = {});
  ~LiveServer();
  LiveServer(const LiveServer&) = delete;
  LiveServer& operator=(const LiveServer&) = delete;

  // Binds 127.0.0.1:port (0: any free port) and returns the port bound; throws glimpse::Error
  // naming the port when it cannot (in use, no permission).
  int bind(int port, Loc loc = Loc::current());
  // Serves until stop() (from another thread) or, with stop_on_signal, until Ctrl-C or SIGTERM.
  void serve(bool stop_on_signal);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace glimpse::trace
