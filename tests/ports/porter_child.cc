// The porter child: holds MessagePorts by name and does what main says on
// the "cmd" channel. Every command has a "tag"; its result goes to main on
// "result" (tag, report). Ports:
//
//   received on ipc "port" (webContents.postMessage): data {names, mode, start}
//   received on a port: when the message has "names", e.ports get them (the
//     message's "mode" and "start" apply)
//   modes: "echo"   post every message back on the same port
//          "count"  count and check order (messages {i}, and the bytes of
//                   their "buf" when "post" added one)
//          "report" send every message to main on "port-message" (name, data)
//          "return" send the port straight back to main (ipc post_message
//                   "returned", data: name), unstarted
//   a port's close: "port-closed" (name, received, in_order), then it is dropped
//
// Commands:
//   {op: "post", name, count, from?, bytes?}  post {i: from + k} (+ "buf" of `bytes`)
//   {op: "post_close", name, count}           post, then close in the same turn
//   {op: "post_ports", via, ports: [names], data}  post data through port `via`
//                                                  carrying the named ports
//   {op: "ipc_post", channel, ports: [names], data} ipcRenderer.postMessage
//     (both: "uncloneable": true sends HostObject{"x", 1} instead of data)
//   {op: "make", names: [a, b], mode, start}  a new MessageChannelMain here
//   {op: "close", name} / {op: "drop", name} / {op: "start", name}
//   {op: "count", name}                       value {received, in_order}
//   {op: "stats"}                             value {fds, rss_kib, ports}
//   {op: "echo"}                              value: the tag
//   {op: "exit"}                              _exit(0) (the kernel closes the ports)
//   {op: "quit"}                              leave the loop and return from main()
//                                             (destructors, and LeakSanitizer's check)
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "harness.h"

namespace valence::ports_test {
namespace {

class Porter {
 public:
  Porter() : c_(connect_child()) {
    ipc().set_error_reporter([this](const std::string& m) { ipc().send("child-error", m); });
    ipc().on("port", [this](IpcRendererEvent& e, Value data) { take_ports(e.ports, data); });
    ipc().on("cmd", [this](IpcRendererEvent&, Value cmd) { run_command(cmd); });
  }
  int run() {
    c_.loop->run();
    return 0;
  }

 private:
  struct Held {
    PortPtr port;
    std::string mode;
    int received = 0;
    bool in_order = true;
  };

  IpcRenderer& ipc() { return *c_.ipc; }

  static std::string text(const Value& v, std::string_view key) {
    const Value* x = v.find(key);
    return x && x->is_string() ? x->get_string() : "";
  }
  static int number(const Value& v, std::string_view key, int fallback = 0) {
    const Value* x = v.find(key);
    return x && x->is_int32() ? x->get_int32() : fallback;
  }
  static bool flag(const Value& v, std::string_view key) {
    const Value* x = v.find(key);
    return x && x->is_bool() && *x->get_if_bool();
  }
  static std::vector<std::string> names(const Value& v, std::string_view key) {
    std::vector<std::string> out;
    if (const Value* a = v.find(key); a && a->is_array())
      a->get_array().for_each_element([&](std::uint32_t, const Value& x) {
        out.push_back(x.is_string() ? x.get_string() : "");
      });
    return out;
  }

  void take_ports(std::vector<PortPtr>& ports, const Value& data) {
    auto n = names(data, "names");
    for (std::size_t i = 0; i < ports.size(); ++i) {
      std::string name = i < n.size() ? n[i] : "port" + std::to_string(i);
      adopt(name, ports[i], text(data, "mode"), flag(data, "start"));
    }
  }

  void adopt(const std::string& name, const PortPtr& port, const std::string& mode, bool start) {
    if (mode == "return") {
      auto r = ipc().post_message("returned", Value(name), {port});
      if (!r) ipc().send("child-error", "return " + name + ": " + r.error().message);
      return;
    }
    held_[name] = Held{port, mode, 0, true};
    MessagePort* raw = port.get();
    port->on_message([this, name, raw](MessageEvent& e) {
      auto it = held_.find(name);
      if (it == held_.end() || it->second.port.get() != raw) return;
      Held& h = it->second;
      if (const Value* i = e.data.find("i"); i && i->is_int32()) {
        if (i->get_int32() != h.received) h.in_order = false;
        // A buffer sent by "post" with "bytes" must be the pattern of its i.
        if (const Value* buf = e.data.find("buf");
            buf && (!buf->is_array_buffer() ||
                    !same_bytes(*buf, pattern(static_cast<std::uint32_t>(i->get_int32()),
                                              buf->get_array_buffer().byte_length()))))
          h.in_order = false;
      }
      ++h.received;
      if (!e.ports.empty()) take_ports(e.ports, e.data);
      if (h.mode == "echo") {
        (void)raw->post_message(std::move(e.data));
      } else if (h.mode == "report") {
        ipc().send("port-message", name, std::move(e.data));
      }
    });
    port->on_close([this, name, raw] {
      auto it = held_.find(name);
      if (it == held_.end() || it->second.port.get() != raw) return;
      ipc().send("port-closed", name, it->second.received, it->second.in_order);
      held_.erase(it);  // drops the last reference inside its own close listener
    });
    if (start) port->start();
  }

  PortPtr find(const std::string& name) {
    auto it = held_.find(name);
    return it == held_.end() ? nullptr : it->second.port;
  }

  void result(int tag, Value r) { ipc().send("result", tag, std::move(r)); }

  Result<void> post(const PortPtr& port, const Value& cmd) {
    const int count = number(cmd, "count", 1);
    const int from = number(cmd, "from", 0);
    const int bytes = number(cmd, "bytes", 0);
    for (int k = 0; k < count; ++k) {
      Value m = Value::object({{"i", from + k}});
      if (bytes > 0)
        m.get_if_object()->set(String("buf"),
                               array_buffer_of(pattern(static_cast<std::uint32_t>(from + k),
                                                       static_cast<std::size_t>(bytes))));
      auto r = port->post_message(std::move(m));
      if (!r) return r;
    }
    return {};
  }

  void run_command(const Value& cmd) {
    const std::string op = text(cmd, "op");
    const int tag = number(cmd, "tag");
    const std::string name = text(cmd, "name");
    auto missing = [&](const std::string& n) {
      result(tag, report(Result<void>(make_error(ErrorCode::kFailed, "no port '" + n + "'"))));
    };
    if (op == "post" || op == "post_close") {
      PortPtr p = find(name);
      if (!p) return missing(name);
      auto r = post(p, cmd);
      if (op == "post_close") {
        p->close();
        held_.erase(name);
      }
      result(tag, report(r));
    } else if (op == "post_ports" || op == "ipc_post") {
      std::vector<PortPtr> transfer;
      for (const auto& n : names(cmd, "ports")) transfer.push_back(find(n));
      Value data = cmd.find("data") ? cmd.find("data")->clone() : Value();
      if (flag(cmd, "uncloneable")) data = Value(HostObject{"x", 1});
      Result<void> r;
      if (op == "post_ports") {
        PortPtr via = find(text(cmd, "via"));
        if (!via) return missing(text(cmd, "via"));
        r = via->post_message(std::move(data), transfer);
      } else {
        r = ipc().post_message(text(cmd, "channel"), std::move(data), transfer);
      }
      if (r)
        for (const auto& n : names(cmd, "ports")) held_.erase(n);
      result(tag, report(r));
    } else if (op == "make") {
      auto ch = MessageChannelMain::create(*c_.loop);
      if (!ch) return result(tag, report(Result<void>(Unexpected{ch.error()})));
      auto n = names(cmd, "names");
      if (n.size() != 2) return missing("names");
      adopt(n[0], ch->port1, text(cmd, "mode"), flag(cmd, "start"));
      adopt(n[1], ch->port2, text(cmd, "mode"), flag(cmd, "start"));
      result(tag, report(Result<void>()));
    } else if (op == "close" || op == "drop" || op == "start") {
      PortPtr p = find(name);
      if (!p) return missing(name);
      if (op == "close") p->close();
      if (op == "start") p->start();
      if (op != "start") held_.erase(name);
      result(tag, report(Result<void>()));
    } else if (op == "count") {
      auto it = held_.find(name);
      if (it == held_.end()) return missing(name);
      result(tag, report(Result<Value>(Value::object(
                      {{"received", it->second.received}, {"in_order", it->second.in_order}}))));
    } else if (op == "stats") {
      result(tag,
             report(Result<Value>(Value::object({{"fds", count_open_fds()},
                                                 {"rss_kib", static_cast<double>(rss_kib())},
                                                 {"ports", static_cast<int>(held_.size())}}))));
    } else if (op == "quit") {
      c_.loop->quit();  // run() returns; every port and the IpcRenderer are destroyed
    } else if (op == "exit") {
      std::fflush(nullptr);
      ::_exit(0);
    } else if (op == "echo") {
      result(tag, report(Result<Value>(Value(tag))));
    } else {
      std::fprintf(stderr, "porter: unknown op '%s'\n", op.c_str());
      result(tag, report(Result<void>(make_error(ErrorCode::kFailed, "unknown op " + op))));
    }
  }

  ChildContext c_;
  std::map<std::string, Held> held_;
};

}  // namespace

VALENCE_CHILD_SCENARIO(porter) {
  Porter p;
  return p.run();
}

}  // namespace valence::ports_test
