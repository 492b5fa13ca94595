// Lesson 06: live mode. cpp-httplib parses HTTP; this file only routes and refuses.
#include "trace/live_server.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace glimpse::trace {

struct LiveServer::Impl {
  httplib::Server server;
  std::string page;
  LiveHandler handler;
  std::mutex model;  // one request at a time touches the model
  // stop() may come before serve() has started listening (httplib's own stop() would then do
  // nothing and serve() would never return): each says what it did, and stop() waits.
  std::atomic<bool> stop_requested{false}, serving{false};
};

namespace {

// Set by the SIGINT/SIGTERM handler serve() installs: lock-free and constant-initialised, so
// safe to touch in a handler.
std::atomic<bool> stop_signal{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void refuse(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
}

}  // namespace

LiveServer::LiveServer(std::string page_html, LiveHandler handler, LiveOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->page = std::move(page_html);
  impl_->handler = std::move(handler);
  httplib::Server& s = impl_->server;
  s.set_payload_max_length(static_cast<size_t>(options.max_body_bytes));
  s.set_read_timeout(static_cast<time_t>(options.timeout_seconds), 0);
  s.set_write_timeout(static_cast<time_t>(options.timeout_seconds), 0);
  const auto threads = static_cast<size_t>(std::max<int64_t>(1, options.threads));
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // SO_REUSEADDR (a restarted lesson gets its port back at once) but not httplib's default
  // SO_REUSEPORT, with which a second lesson on the same port would silently share it.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Before any route: no path may climb out of "/" (nothing is served from disk, but say so).
  s.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.path.find("..") == std::string::npos) return httplib::Server::HandlerResponse::Unhandled;
    refuse(res, 400, fmt::format("'..' is not allowed in a path ({})", req.path));
    return httplib::Server::HandlerResponse::Handled;
  });
  s.Get("/", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(impl_->page, "text/html; charset=utf-8");
  });
  s.Post("/api/run", [this](const httplib::Request& req, httplib::Response& res) {
    const nlohmann::json body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object())
      return refuse(res, 400, "the request must be a JSON object, e.g. {\"source\": \"a b c\"}");
    try {
      const std::lock_guard lock(impl_->model);
      res.set_content(impl_->handler(body.dump()), "application/json");
    } catch (const Error& e) {
      refuse(res, 400, e.what());
    }
  });
  // What httplib itself refuses (404, 413, ...) gets a message too; a handler's unexpected
  // exception is a 500 with its text, never a crash.
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404)
      return refuse(res, 404, fmt::format("no page {} (try / or POST /api/run)", req.path));
    if (res.status == 413) return refuse(res, 413, "the request is too big");
    refuse(res, res.status, fmt::format("HTTP {}", res.status));
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    refuse(res, 500, what);
  });
}

LiveServer::~LiveServer() { stop(); }

int LiveServer::bind(int port, Loc loc) {
  const char* host = "127.0.0.1";  // this machine only: nothing outside it can connect
  if (port == 0) {
    const int bound = impl_->server.bind_to_any_port(host);
    if (bound < 0) throw Error("live", "cannot bind any port on 127.0.0.1", loc);
    return bound;
  }
  if (!impl_->server.bind_to_port(host, port))
    throw Error("live",
                fmt::format("cannot listen on 127.0.0.1:{} (in use? try --serve 0 for any free port)", port),
                loc);
  return port;
}

void LiveServer::serve(bool stop_on_signal) {
  impl_->serving = true;
  if (impl_->stop_requested) {
    impl_->serving = false;
    return;
  }
  if (!stop_on_signal) {
    impl_->server.listen_after_bind();
    impl_->serving = false;
    return;
  }
  // Ctrl-C (SIGINT) or SIGTERM: the handler only raises a flag (all a signal handler may safely
  // do, whichever thread the signal lands on); a watcher thread sees it and stops the server.
  stop_signal = false;
  struct sigaction on_signal {
  }, previous_int{}, previous_term{};
  on_signal.sa_handler = [](int) { stop_signal = true; };
  sigemptyset(&on_signal.sa_mask);
  sigaction(SIGINT, &on_signal, &previous_int);
  sigaction(SIGTERM, &on_signal, &previous_term);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) {
      if (stop_signal) {
        stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  impl_->server.listen_after_bind();
  impl_->serving = false;
  done = true;
  watcher.join();
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
}

void LiveServer::stop() {
  impl_->stop_requested = true;
  while (impl_->serving && !impl_->server.is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl_->server.stop();
}

}  // namespace glimpse::trace
