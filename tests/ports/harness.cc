#include "harness.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "transport/socket_posix.h"

namespace valence::ports_test {

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
      std::fprintf(stderr, "ports test child: no scenario '%s'\n", name.c_str());
      return 91;
    }
    Args args(argv + i + 1, argv + argc);
    return it->second(args);
  }
  return -1;
}

ChildContext connect_child() {
  ChildContext c;
  c.loop = EventLoop::create();
  auto ipc = IpcRenderer::connect(*c.loop);
  if (!ipc) {
    std::fprintf(stderr, "ports test child: connect failed: %s\n", ipc.error().message.c_str());
    std::fflush(stderr);
    ::_exit(90);
  }
  c.ipc = std::move(ipc).value();
  return c;
}

Value report(const Result<Value>& r) {
  if (r) return Value::object({{"ok", true}, {"value", r->clone()}});
  return Value::object(
      {{"ok", false}, {"code", error_code_name(r.error().code)}, {"message", r.error().message}});
}

Value report(const Result<void>& r) {
  if (r) return Value::object({{"ok", true}});
  return Value::object(
      {{"ok", false}, {"code", error_code_name(r.error().code)}, {"message", r.error().message}});
}

int child_ipc_fd() {
  const char* s = std::getenv("VALENCE_IPC_FD");
  return s ? std::atoi(s) : 3;
}

std::string child_ipc_token() {
  const char* s = std::getenv("VALENCE_IPC_TOKEN");
  return s ? s : "";
}

std::vector<std::uint8_t> hello_frame(const std::string& token) {
  ipc::Message m;
  m.kind = ipc::MessageKind::kHello;
  m.channel = token;
  m.body = Value::object({{"pid", static_cast<int>(::getpid())}});
  return raw_frame(m);
}

void send_with_fds(int fd, const std::vector<std::uint8_t>& bytes, const std::vector<int>& fds) {
  iovec iov{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
  std::size_t sent = 0;
  // The descriptors ride with the first byte: retry until some bytes went.
  for (int attempt = 0; sent == 0; ++attempt) {
    auto r = transport::send_some(fd, std::span<const iovec>(&iov, 1), std::span<const int>(fds));
    if (!r) {
      std::fprintf(stderr, "ports test child: sendmsg: %s\n", r.error().message.c_str());
      ::_exit(95);
    }
    sent = r->bytes;
    if (sent == 0) {
      if (attempt > 3000) ::_exit(96);
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 10);
    }
  }
  if (sent < bytes.size() && !write_all(fd, std::span<const std::uint8_t>(bytes).subspan(sent)))
    ::_exit(96);
}

void wait_to_be_killed() {
  for (;;) ::pause();
}

// ---- main side ------------------------------------------------------------------

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

PortsTest::PortsTest()
    : event_loop(EventLoop::create()), main_process(std::make_unique<MainProcess>(*event_loop)) {
  ipc().on("result", [this](IpcMainEvent&, int tag, Value r) { results[tag] = std::move(r); });
  ipc().on("port-closed", [this](IpcMainEvent& e, std::string name, int received, bool in_order) {
    closed_reports.push_back(PortClosed{e.sender->id(), std::move(name), received, in_order});
  });
  ipc().on("port-message", [this](IpcMainEvent& e, std::string name, Value data) {
    port_messages.push_back(PortMessage{e.sender->id(), std::move(name), std::move(data)});
  });
}

PortsTest::~PortsTest() {
  main_process.reset();
}

std::shared_ptr<WebContents> PortsTest::spawn_no_wait(const std::string& scenario,
                                                      const Args& args) {
  ChildOptions options;
  options.path = "/proc/self/exe";
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
  contents->on_render_process_gone(
      [this, id](const RenderProcessGoneDetails& d) { events_[id].gone = d; });
  contents->on_bad_message(
      [this, id](const std::string& reason) { events_[id].bad_messages.push_back(reason); });
  return contents;
}

std::shared_ptr<WebContents> PortsTest::spawn(const std::string& scenario, const Args& args) {
  auto wc = spawn_no_wait(scenario, args);
  if (!wc) return nullptr;
  int id = wc->id();
  if (!run_until([&] { return events_[id].loaded || events_[id].gone.has_value(); })) {
    ADD_FAILURE() << "child '" << scenario << "' did not say Hello within 30 s";
  } else if (!events_[id].loaded) {
    ADD_FAILURE() << "child '" << scenario
                  << "' ended before its Hello: " << events_[id].gone->reason << " "
                  << events_[id].gone->exit_code;
  }
  return wc;
}

bool PortsTest::wait_gone(const std::shared_ptr<WebContents>& wc,
                          std::chrono::milliseconds timeout) {
  int id = wc->id();
  return run_until([&] { return events_[id].gone.has_value(); }, timeout);
}

bool PortsTest::wait_all_hosts_removed(std::chrono::milliseconds timeout) {
  return run_until([&] { return main_process->all_web_contents().empty(); }, timeout);
}

void PortsTest::entangle(PortPtr& a, PortPtr& b) {
  auto ch = MessageChannelMain::create(*event_loop);
  if (!ch) {
    ADD_FAILURE() << "MessageChannelMain::create: " << ch.error().message;
    return;
  }
  a = std::move(ch->port1);
  b = std::move(ch->port2);
}

Value PortsTest::command(const std::shared_ptr<WebContents>& wc, Value cmd,
                         std::chrono::milliseconds timeout) {
  int tag = ++last_tag_;
  cmd.get_if_object()->set(String("tag"), Value(tag));
  if (!wc->send("cmd", std::move(cmd))) {
    ADD_FAILURE() << "the porter is not connected";
    return Value();
  }
  if (!run_until([&] { return results.count(tag) > 0; }, timeout)) {
    ADD_FAILURE() << "no result for command " << tag << " within " << timeout.count() << " ms";
    return Value();
  }
  Value r = std::move(results[tag]);
  results.erase(tag);
  return r;
}

Result<void> PortsTest::give_port(const std::shared_ptr<WebContents>& wc, PortPtr port,
                                  const std::string& name, const std::string& mode, bool start) {
  return wc->post_message(
      "port", Value::object({{"names", Value::array({name})}, {"mode", mode}, {"start", start}}),
      {std::move(port)});
}

std::optional<PortClosed> PortsTest::wait_port_closed(const std::shared_ptr<WebContents>& wc,
                                                      const std::string& name,
                                                      std::chrono::milliseconds timeout) {
  std::optional<PortClosed> found;
  run_until(
      [&] {
        for (const auto& c : closed_reports)
          if (c.child == wc->id() && c.name == name) found = c;
        return found.has_value();
      },
      timeout);
  return found;
}

}  // namespace valence::ports_test
