#include "harness.h"

#include <dirent.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ipc/common/message.h"
#include "transport/frame.h"

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

Value report(const Result<Value>& r) {
  if (r) return Value::object({{"ok", true}, {"value", r->clone()}});
  Value out = Value::object(
      {{"ok", false}, {"code", error_code_name(r.error().code)}, {"message", r.error().message}});
  // The remote JS Error, when it crossed intact.
  if (r.error().remote) out.get_object().set("remote", r.error().remote->clone());
  return out;
}

int child_ipc_fd() {
  const char* s = std::getenv("VALENCE_IPC_FD");
  return s ? std::atoi(s) : 3;
}

std::string child_ipc_token() {
  const char* s = std::getenv("VALENCE_IPC_TOKEN");
  return s ? s : "";
}

std::vector<std::uint8_t> frame(std::uint8_t kind, const std::vector<std::uint8_t>& payload,
                                std::uint8_t version) {
  std::vector<std::uint8_t> out(transport::kFrameHeaderSize);
  transport::write_frame_header(out.data(), static_cast<std::uint32_t>(payload.size()), kind, 0);
  out[5] = version;
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<std::uint8_t> message_frame(std::uint8_t kind, std::uint64_t request_id,
                                        const std::string& channel, Value body) {
  ipc::Message m;
  m.kind = static_cast<ipc::MessageKind>(kind);
  m.request_id = request_id;
  m.channel = channel;
  m.body = std::move(body);
  auto payload = ipc::encode_message(m);
  if (!payload) {
    std::fprintf(stderr, "test child: encode failed: %s\n", payload.error().message.c_str());
    ::_exit(92);
  }
  std::vector<std::uint8_t> bytes(payload->data(), payload->data() + payload->size());
  return frame(kind, bytes);
}

std::vector<std::uint8_t> hello_frame(const std::string& token) {
  return message_frame(static_cast<std::uint8_t>(ipc::MessageKind::kHello), 0, token,
                       Value::object({{"pid", static_cast<int>(::getpid())}}));
}

void write_all(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 1000);
    } else {
      std::fprintf(stderr, "test child: write: %s\n", std::strerror(errno));
      ::_exit(93);
    }
  }
}

void wait_to_be_killed() {
  for (;;) ::pause();
}

// ---- helpers ------------------------------------------------------------------

int count_open_fds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return -1;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

bool run_until(EventLoop& loop, const std::function<bool()>& done,
               std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!done()) {
    auto now = Clock::now();
    if (now >= deadline) return false;
    loop.run_once(std::min<Clock::duration>(deadline - now, 50ms));
  }
  return true;
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

// ---- IpcTest -------------------------------------------------------------------

IpcTest::IpcTest()
    : event_loop(EventLoop::create()), main_process(std::make_unique<MainProcess>(*event_loop)) {
  install_report_listeners();
}

IpcTest::~IpcTest() {
  main_process.reset();
}

void IpcTest::install_report_listeners() {
  ipc().on("result", [this](IpcMainEvent&, int tag, Value r) { results[tag] = std::move(r); });
  ipc().on("heard", [this](IpcMainEvent&, std::string label, std::string channel, Value args,
                           bool sender_ok) {
    heard.push_back(Heard{std::move(label), std::move(channel), std::move(args), sender_ok});
  });
}

std::shared_ptr<WebContents> IpcTest::spawn_no_wait(const std::string& scenario, const Args& args,
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

std::shared_ptr<WebContents> IpcTest::spawn(const std::string& scenario, const Args& args,
                                            ChildOptions options) {
  auto wc = spawn_no_wait(scenario, args, std::move(options));
  if (!wc) return nullptr;
  int id = wc->id();
  if (!run_until([&] { return events_[id].loaded || events_[id].gone.has_value(); })) {
    ADD_FAILURE() << "child '" << scenario << "' did not say Hello within 20 s";
  } else if (!events_[id].loaded) {
    ADD_FAILURE() << "child '" << scenario
                  << "' ended before its Hello: " << events_[id].gone->reason << " "
                  << events_[id].gone->exit_code;
  }
  return wc;
}

bool IpcTest::wait_gone(const std::shared_ptr<WebContents>& wc, std::chrono::milliseconds timeout) {
  int id = wc->id();
  return run_until([&] { return events_[id].gone.has_value(); }, timeout);
}

bool IpcTest::wait_all_hosts_removed(std::chrono::milliseconds timeout) {
  return run_until([&] { return main_process->all_web_contents().empty(); }, timeout);
}

void IpcTest::command(const std::shared_ptr<WebContents>& wc, Value cmd) {
  EXPECT_TRUE(wc->send("puppet", std::move(cmd))) << "the puppet is not connected";
}

int IpcTest::invoke(const std::shared_ptr<WebContents>& wc, const std::string& mode,
                    const std::string& channel, std::vector<Value> args) {
  int tag = next_tag();
  command(wc, Value::object({{"op", "invoke"},
                             {"mode", mode},
                             {"channel", channel},
                             {"args", Value::array(std::move(args))},
                             {"tag", tag}}));
  return tag;
}

int IpcTest::send_sync(const std::shared_ptr<WebContents>& wc, const std::string& channel,
                       std::vector<Value> args, int timeout_ms) {
  int tag = next_tag();
  command(wc, Value::object({{"op", "sync"},
                             {"channel", channel},
                             {"args", Value::array(std::move(args))},
                             {"timeout", timeout_ms},
                             {"tag", tag}}));
  return tag;
}

void IpcTest::send(const std::shared_ptr<WebContents>& wc, const std::string& channel,
                   std::vector<Value> args) {
  command(wc, Value::object(
                  {{"op", "send"}, {"channel", channel}, {"args", Value::array(std::move(args))}}));
}

Value IpcTest::await_result(int tag, std::chrono::milliseconds timeout) {
  if (!run_until([&] { return results.count(tag) > 0; }, timeout)) {
    ADD_FAILURE() << "no result for tag " << tag << " within " << timeout.count() << " ms";
    return Value();
  }
  Value r = std::move(results[tag]);
  results.erase(tag);
  return r;
}

bool IpcTest::sync_point(const std::shared_ptr<WebContents>& wc) {
  int tag = next_tag();
  command(wc, Value::object({{"op", "echo"}, {"tag", tag}}));
  return !await_result(tag).is_undefined();
}

}  // namespace valence::test
