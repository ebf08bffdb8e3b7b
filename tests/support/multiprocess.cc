#include "support/multiprocess.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace valence::test {

// ---- child scenarios --------------------------------------------------------

namespace {
std::map<std::string, ChildScenario>& scenarios() {
  static std::map<std::string, ChildScenario> m;
  return m;
}
constexpr std::string_view kChildFlag = "--valence-child=";
}  // namespace

bool register_child_scenario(const char* name, ChildScenario fn) {
  scenarios()[name] = fn;
  return true;
}

int run_child_scenario_if_asked(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.substr(0, kChildFlag.size()) != kChildFlag) continue;
    std::string name(a.substr(kChildFlag.size()));
    auto it = scenarios().find(name);
    if (it == scenarios().end()) {
      std::fprintf(stderr, "test child: no scenario '%s'\n", name.c_str());
      return 91;
    }
    Args args(argv + i + 1, argv + argc);
    return it->second(args);
  }
  return -1;
}

int multiprocess_test_main(int argc, char** argv) {
  int child = run_child_scenario_if_asked(argc, argv);
  if (child >= 0) return child;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

ChildContext connect_child(IpcRendererOptions options) {
  ChildContext c;
  c.loop = EventLoop::create();
  auto ipc = IpcRenderer::connect(*c.loop, options);
  if (!ipc) {
    std::fprintf(stderr, "test child: connect failed: %s\n", ipc.error().message.c_str());
    std::fflush(stderr);
    ::_exit(90);
  }
  c.ipc = std::move(ipc).value();
  return c;
}

int child_ipc_fd() {
  const char* s = std::getenv("VALENCE_IPC_FD");
  return s ? std::atoi(s) : 3;
}

std::string child_ipc_token() {
  const char* s = std::getenv("VALENCE_IPC_TOKEN");
  return s ? s : "";
}

void write_or_exit(int fd, std::span<const std::uint8_t> bytes) {
  if (write_all(fd, bytes)) return;
  std::fprintf(stderr, "test child: could not write %zu bytes\n", bytes.size());
  ::_exit(93);
}

void wait_to_be_killed() {
  for (;;) ::pause();
}

// ---- reports ------------------------------------------------------------------

Value report(const Result<Value>& r) {
  if (r) return Value::object({{"ok", true}, {"value", r->clone()}});
  Value out = Value::object(
      {{"ok", false}, {"code", error_code_name(r.error().code)}, {"message", r.error().message}});
  // The remote JS Error, when it crossed intact.
  if (r.error().remote) out.get_object().set("remote", r.error().remote->clone());
  return out;
}

Value report(const Result<void>& r) {
  if (r) return Value::object({{"ok", true}});
  return Value::object(
      {{"ok", false}, {"code", error_code_name(r.error().code)}, {"message", r.error().message}});
}

bool report_ok(const Value& r) {
  const Value* ok = r.find("ok");
  return ok && ok->is_bool() && *ok->get_if_bool();
}

std::string report_code(const Value& r) {
  const Value* c = r.find("code");
  return c && c->is_string() ? c->get_string() : "";
}

std::string report_message(const Value& r) {
  const Value* m = r.find("message");
  return m && m->is_string() ? m->get_string() : "";
}

const Value& report_value(const Value& r) {
  static const Value kUndefined;
  const Value* v = r.find("value");
  return v ? *v : kUndefined;
}

// ---- MultiprocessTest -------------------------------------------------------------

MultiprocessTest::MultiprocessTest()
    : event_loop(EventLoop::create()), main_process(std::make_unique<MainProcess>(*event_loop)) {
  listen_for_results();
}

MultiprocessTest::~MultiprocessTest() {
  main_process.reset();
}

void MultiprocessTest::listen_for_results() {
  ipc().on("result", [this](IpcMainEvent&, int tag, Value r) { results[tag] = std::move(r); });
}

std::shared_ptr<WebContents> MultiprocessTest::spawn_no_wait(const std::string& scenario,
                                                             const Args& args,
                                                             ChildOptions options) {
  options.path = "/proc/self/exe";
  options.args.clear();
  options.args.push_back("--valence-child=" + scenario);
  options.args.insert(options.args.end(), args.begin(), args.end());
  auto wc = main_process->spawn_child(options);
  if (!wc) {
    ADD_FAILURE() << "spawn_child(" << scenario << "): " << wc.error().message;
    return nullptr;
  }
  std::shared_ptr<WebContents> contents = std::move(wc).value();
  int id = contents->id();
  events_[id];
  contents->on_did_finish_load([this, id] { events_[id].loaded = true; });
  contents->on_render_process_gone([this, id](const RenderProcessGoneDetails& d) {
    events_[id].gone = d;
    events_[id].log.push_back("gone");
  });
  contents->on_bad_message([this, id](const std::string& reason) {
    events_[id].bad_messages.push_back(reason);
    events_[id].log.push_back("bad-message");
  });
  return contents;
}

std::shared_ptr<WebContents> MultiprocessTest::spawn(const std::string& scenario, const Args& args,
                                                     ChildOptions options) {
  auto wc = spawn_no_wait(scenario, args, std::move(options));
  if (!wc) return nullptr;
  int id = wc->id();
  if (!run_until([&] { return events_[id].loaded || events_[id].gone.has_value(); })) {
    ADD_FAILURE() << "child '" << scenario << "' did not say Hello within " << kPatience.count()
                  << " ms";
  } else if (!events_[id].loaded) {
    ADD_FAILURE() << "child '" << scenario
                  << "' ended before its Hello: " << events_[id].gone->reason << " "
                  << events_[id].gone->exit_code;
  }
  return wc;
}

bool MultiprocessTest::wait_gone(const std::shared_ptr<WebContents>& wc,
                                 std::chrono::milliseconds timeout) {
  int id = wc->id();
  return run_until([&] { return events_[id].gone.has_value(); }, timeout);
}

bool MultiprocessTest::wait_all_hosts_removed(std::chrono::milliseconds timeout) {
  return run_until([&] { return main_process->all_web_contents().empty(); }, timeout);
}

Value MultiprocessTest::await_result(int tag, std::chrono::milliseconds timeout) {
  if (!run_until([&] { return results.count(tag) > 0; }, timeout)) {
    ADD_FAILURE() << "no result for tag " << tag << " within " << timeout.count() << " ms";
    return Value();
  }
  Value r = std::move(results[tag]);
  results.erase(tag);
  return r;
}

}  // namespace valence::test
