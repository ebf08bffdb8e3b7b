// The puppet child: does what main tells it on the "puppet" channel and
// reports on "result" / "heard" (see harness.h). Commands are objects:
//
//   {op: "send", channel, args}
//   {op: "invoke", mode: "then" | "get" | "co", channel, args, tag}
//   {op: "sync", channel, args, timeout, tag}        result also has "ms"
//   {op: "listen", how: "on" | "once" | "add_listener" | "typed", channel, label, tag}
//   {op: "off", channel, label, tag}                 result value: off()'s bool
//   {op: "remove_all", channel?, tag}
//   {op: "whoami", tag}                              value: {pid, id}
//   {op: "echo", tag}
//   {op: "exit", code} / {op: "abort"}
//
// args: "raw" connects with IpcRendererOptions::raw_invoke_errors.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "harness.h"
#include "valence/base/future.h"

namespace valence::test {
namespace {

class Puppet {
 public:
  explicit Puppet(const Args& args)
      : c_(connect_child({.raw_invoke_errors = !args.empty() && args[0] == "raw"})) {
    c_.ipc->set_error_reporter(
        [this](const std::string& message) { c_.ipc->send("child-error", message); });
    listen_for_commands();
  }

  int run() {
    c_.loop->run();
    return 0;
  }

 private:
  IpcRenderer& ipc() { return *c_.ipc; }

  void listen_for_commands() {
    ipc().on("puppet", [this](IpcRendererEvent&, Value cmd) { run_command(cmd); });
  }

  static std::string text(const Value& cmd, std::string_view key) {
    const Value* v = cmd.find(key);
    return v && v->is_string() ? v->get_string() : "";
  }
  static int number(const Value& cmd, std::string_view key, int fallback = 0) {
    const Value* v = cmd.find(key);
    return v && v->is_int32() ? v->get_int32() : fallback;
  }
  static std::vector<Value> args_of(const Value& cmd) {
    std::vector<Value> out;
    if (const Value* a = cmd.find("args"); a && a->is_array())
      a->get_array().for_each_element(
          [&](std::uint32_t, const Value& x) { out.push_back(x.clone()); });
    return out;
  }

  void result(int tag, Value r) { ipc().send("result", tag, std::move(r)); }

  static Task invoke_co(IpcRenderer& ipc, std::string channel, std::vector<Value> args, int tag) {
    Result<Value> r = co_await ipc.invoke_values(channel, std::move(args));
    ipc.send("result", tag, report(r));
  }

  void run_command(const Value& cmd) {
    const std::string op = text(cmd, "op");
    const int tag = number(cmd, "tag");
    const std::string channel = text(cmd, "channel");
    if (op == "send") {
      ipc().send_values(channel, args_of(cmd));
    } else if (op == "invoke") {
      const std::string mode = text(cmd, "mode");
      if (mode == "then") {
        ipc().invoke_values(channel, args_of(cmd)).then([this, tag](Result<Value> r) {
          result(tag, report(r));
        });
      } else if (mode == "get") {
        Result<Value> r = ipc().invoke_values(channel, args_of(cmd)).get();
        result(tag, report(r));
      } else {
        invoke_co(ipc(), channel, args_of(cmd), tag);
      }
    } else if (op == "sync") {
      auto t0 = std::chrono::steady_clock::now();
      Result<Value> r = ipc().send_sync_values(channel, args_of(cmd), number(cmd, "timeout", -1));
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - t0);
      Value rep = report(r);
      rep.get_if_object()->set(String("ms"), Value(static_cast<double>(ms.count())));
      result(tag, std::move(rep));
    } else if (op == "listen") {
      listen(text(cmd, "how"), channel, text(cmd, "label"));
      result(tag, report(Value(true)));
    } else if (op == "off") {
      bool removed = ipc().off(channel, listener_ids_[text(cmd, "label")]);
      result(tag, report(Value(removed)));
    } else if (op == "remove_all") {
      if (cmd.find("channel")) {
        ipc().remove_all_listeners(channel);
      } else {
        ipc().remove_all_listeners();
        listen_for_commands();  // keep obeying
      }
      result(tag, report(Value(true)));
    } else if (op == "whoami") {
      result(tag,
             report(Value::object({{"pid", static_cast<int>(::getpid())}, {"id", ipc().id()}})));
    } else if (op == "echo") {
      result(tag, report(Value(tag)));
    } else if (op == "exit") {
      std::fflush(nullptr);
      ::_exit(number(cmd, "code"));
    } else if (op == "abort") {
      std::abort();
    } else {
      std::fprintf(stderr, "puppet: unknown op '%s'\n", op.c_str());
    }
  }

  void listen(const std::string& how, const std::string& channel, const std::string& label) {
    auto forward = [this, label, channel](IpcRendererEvent& e, const std::vector<Value>& args) {
      std::vector<Value> copy;
      for (const auto& a : args) copy.push_back(a.clone());
      // Electron's event.sender: the ipcRenderer itself; answer through it.
      e.sender->send("heard", label, channel, Value::array(std::move(copy)),
                     e.sender == c_.ipc.get());
    };
    ListenerId id = 0;
    if (how == "on") {
      id = ipc().on(channel, forward);
    } else if (how == "once") {
      id = ipc().once(channel, forward);
    } else if (how == "add_listener") {
      id = ipc().add_listener(channel, forward);
    } else if (how == "typed") {
      id = ipc().on(channel, [this, label, channel](IpcRendererEvent&, std::string s, int n) {
        ipc().send("heard", label, channel, Value::array({Value(s), Value(n)}), true);
      });
    }
    listener_ids_[label] = id;
  }

  ChildContext c_;
  std::map<std::string, ListenerId> listener_ids_;
};

}  // namespace

VALENCE_CHILD_SCENARIO(puppet) {
  Puppet p(args);
  return p.run();
}

}  // namespace valence::test
