// check_live_mode LESSON [ARGS...]: runs a lesson with --smoke --quiet --serve 0 (any free
// port), reads the port it prints, then over loopback: the page, good requests for each of the
// page's controls (an encoder-decoder's source, beam, hidden positions, model and heads switched
// off; a GPT's prompt, seed, top-k, heads switched off and the attention shown), bad ones (each a
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
#include <cstdlib>
#include <map>
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

  // What the page offers: its controls (trace/viewer/viewer.js draws one input for each).
  nlohmann::json live;
  if (page) {
    std::smatch m;
    if (std::regex_search(page->body, m, std::regex(R"xx(id="glimpse-data">([^<]*)</script>)xx")))
      live = nlohmann::json::parse(m[1].str(), nullptr, false).value("live", nlohmann::json());
  }
  expect(live.is_object() && live.contains("controls"), "the page lists its live controls");
  if (!live.is_object() || !live.contains("controls")) live = {{"controls", nlohmann::json::array()}};
  std::map<std::string, nlohmann::json> control;
  for (const auto& c : live["controls"]) control[c.value("name", "")] = c;
  const bool gpt = control.count("prompt") > 0;
  const auto post = [&](const nlohmann::json& body) {
    return c.Post("/api/run", body.dump(), "application/json");
  };
  const auto reply_of = [](const httplib::Result& r) {
    return r && r->status == 200 ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
  };
  const auto answers = [&](const httplib::Result& r) {
    const nlohmann::json reply = reply_of(r);
    return reply.is_object() && reply.contains("output") && reply["map"]["columns"].size() > 0 &&
           reply["map"]["rows"].size() > 0;
  };
  const auto says = [](const httplib::Result& r, const std::string& text) {
    return r && r->status == 200 && r->body.find(text) != std::string::npos;
  };
  // A good request: the lesson's own example (the first text control's starting value).
  const std::string field = gpt ? "prompt" : "source";
  const std::string example = control.count(field) ? control[field].value("value", "") : "";
  const nlohmann::json good_request = {{field, example}};
  expect(answers(post(good_request)), fmt::format("POST /api/run answers the example '{}'", example));
  // Every attention module's first head can be switched off (module:head, as the hint says).
  std::string a_head;
  nlohmann::json good_with_heads;  // a request the heads below belong to
  if (control.count("heads_off")) {
    const std::string placeholder = control["heads_off"].value("placeholder", "");
    a_head = placeholder.substr(placeholder.find(' ') + 1);  // "e.g. h.1.attn:0"
    // With a choice of models, the one that has the head (lesson 15: the Transformer, not the GRU).
    std::vector<nlohmann::json> models = {nullptr};
    if (control.count("model")) models = control["model"]["options"].get<std::vector<nlohmann::json>>();
    bool switched = false;
    for (const nlohmann::json& model : models) {
      nlohmann::json request = {{field, example}, {"heads_off", {a_head}}};
      if (!model.is_null()) request["model"] = model;
      const auto off = post(request);
      if (answers(off) && says(off, "switched off: " + a_head)) switched = true, good_with_heads = request;
    }
    expect(switched, fmt::format("switching {} off answers", a_head));
    // The weights are put back: naming the head twice, then none, answers as before, bit for bit
    // (the head is the first attention module's, so everything after it would show a lost head).
    if (switched) {
      nlohmann::json plain = good_with_heads;
      plain.erase("heads_off");
      const auto first = post(plain);
      const std::string before = first ? first->body : "(no answer)";
      nlohmann::json twice = good_with_heads;
      twice["heads_off"] = {a_head, a_head};
      expect(answers(post(twice)), fmt::format("switching {} off twice in one request answers", a_head));
      const auto after = post(plain);
      expect(after && after->body == before,
             "after heads were switched off, every head is back on (the same answer, bit for bit)");
    }
  }
  std::vector<std::pair<std::string, int>> bad = {
      {"{not json", 400}, {nlohmann::json{{field, ""}}.dump(), 400}, {std::string(100 << 10, ' '), 413}};
  if (!a_head.empty()) {
    const std::string module = a_head.substr(0, a_head.rfind(':'));
    for (const nlohmann::json& h : {nlohmann::json{module + ":99"}, nlohmann::json{"no.such.module:0"},
                                    nlohmann::json{module}, nlohmann::json("not a list")}) {
      nlohmann::json request =
          good_with_heads.is_object() ? good_with_heads : nlohmann::json{{field, example}};
      request["heads_off"] = h;
      bad.emplace_back(request.dump(), 400);
    }
  }
  if (gpt) {
    // Same seed, same text; top-k 1 is the likeliest character every time, whatever the seed.
    const auto sampled = [&](int seed, int top_k) {
      return reply_of(post({{"prompt", example}, {"seed", seed}, {"top_k", top_k}, {"temperature", 1.5}}))
          .value("output", std::string("(no answer)"));
    };
    expect(sampled(3, 0) == sampled(3, 0), "the same seed writes the same text");
    expect(sampled(3, 1) == sampled(4, 1), "top-k 1 writes the same text whatever the seed");
    expect(sampled(3, 0).starts_with(example), "the text written starts with the prompt");
    const auto shown = post({{"prompt", example}, {"show", a_head}});
    expect(answers(shown) && reply_of(shown)["map"]["head"] == 0,
           fmt::format("the attention of {} is drawn", a_head));
    for (const nlohmann::json& b : {nlohmann::json{{"prompt", "\x07"}},
                                    {{"prompt", example}, {"temperature", 0}},
                                    {{"prompt", example}, {"top_k", -1}},
                                    {{"prompt", example}, {"length", 0}},
                                    {{"prompt", example}, {"seed", "x"}},
                                    {{"prompt", example}, {"show", "nope"}},
                                    {{"prompt", std::string(1000, 'e')}},
                                    {{"prompt", 7}}})
      bad.emplace_back(b.dump(), 400);
  } else {
    expect(answers(post({{"source", example}, {"beam", 3}})), "beam width 3 decodes too");
    const auto hidden = post({{"source", example}, {"hide", {1}}});
    expect(answers(hidden) && hidden->body.find("\"[") != std::string::npos,
           "hiding source position 1 decodes, the hidden token marked");
    if (control.count("model")) {
      for (const auto& name : control["model"]["options"])
        expect(answers(post({{"model", name}, {"source", example}})),
               fmt::format("the {} decodes", name.dump()));
      bad.emplace_back(nlohmann::json{{"model", "no such model"}, {"source", example}}.dump(), 400);
    }
    for (const nlohmann::json& b : {nlohmann::json{{"source", "no-such-token-anywhere"}},
                                    {{"source", example}, {"beam", 99}},
                                    {{"source", example}, {"beam", "two"}},
                                    {{"source", example}, {"hide", {999}}}})
      bad.emplace_back(b.dump(), 400);
  }
  for (const auto& [body, status] : bad) {
    const auto r = c.Post("/api/run", body, "application/json");
    const bool said = r && r->status == status && r->body.find("\"error\"") != std::string::npos;
    expect(said, fmt::format("a bad request ({}) gets {} with a message{}", body.substr(0, 60), status,
                             r ? fmt::format(": {} {}", r->status, r->body.substr(0, 160)) : ""));
  }
  // The served page in a real browser: its script posts the example and draws the answer, then
  // says so on the self-check element (skipped without Chromium, as the viewer tests are).
  if (std::system("command -v chromium > /dev/null 2>&1") == 0) {
    const std::string command = fmt::format(
        "timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions "
        "--virtual-time-budget=10000 --dump-dom http://127.0.0.1:{}/ 2>/dev/null",
        port);
    std::string dom;
    if (FILE* browser = popen(command.c_str(), "r")) {
      char chunk[4096];
      for (size_t n; (n = fread(chunk, 1, sizeof chunk, browser)) > 0;) dom.append(chunk, n);
      pclose(browser);
    }
    std::smatch m;
    const bool found = std::regex_search(dom, m, std::regex(R"xx(data-live="([^"]*)")xx"));
    expect(found && m[1] == "answered",
           fmt::format("Chromium opens the live page and draws its first answer ({})",
                       found         ? m[1].str()
                       : dom.empty() ? "Chromium printed nothing"
                                     : "no answer drawn"));
  } else {
    fmt::print("skip the live page in a browser: chromium is not installed\n");
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
        const auto r = burst.Post("/api/run", good_request.dump(), "application/json");
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
