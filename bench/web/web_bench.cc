// Web benchmark, valence side: an App (test hooks on) with BrowserWindows
// showing bench_page.html with bench_preload.js. One case per run:
//
//   web_bench --case ipc [--pin same|split] [--rounds R] [--n-small N] [--warmup-small W]
//                        [--n-1mib N] [--warmup-1mib W] [--n-10k N] [--warmup-10k W]
//       Page IPC, timed in the web process with __valenceTest.now()
//       (CLOCK_MONOTONIC µs), from the preload world (ipcRenderer directly)
//       and from the page's main world (through the contextBridge): invoke and
//       sendSync round trips to C++ handlers, webContents.send to a listener,
//       1 MiB Uint8Array and 10k-object invoke echoes; in the same run,
//       WebKit's own script-message handler with reply (an echo in this
//       process) from both worlds; the bridge alone; the JS codec alone, and
//       main's C++ codec on what arrived. Small round trips run in R
//       interleaved rounds of N/R (after W warm-up each).
//       The run script starts this program under `taskset -c 0`. When the
//       page's first message arrives, every thread (/proc/PID/task) of its
//       web process (IpcMainEvent::process_id: the real pid, from
//       SO_PEERCRED) is set with sched_setaffinity to CPU 0 (--pin same) or
//       CPU 1 (--pin split), and every thread of this process to CPU 0 (a
//       few WebKit threads widen their own affinity).
//       --only WORLD.CASE,...: only these steps (e.g. preload.invoke_1mib), to profile.
//   web_bench --case remote [--pin same|split] [--rounds R] [--n-small N] [--warmup-small W]
//                           [--n-many N] [--warmup-many W]
//       The remote module (docs/remote.md) in a window with
//       enable_remote_module, each figure beside its baseline in the same
//       run, rounds interleaved, pinned as --case ipc: from the preload world
//       a method call with no arguments returning an int (counter.get()),
//       a property get and set, against sendSync's echo (page and preload
//       world) and a sendSync with no arguments returning an int; one call
//       returning N=10,000 new proxies of a class with 5 properties (against
//       one sendSync returning 10,000 plain objects of 5 fields), then their
//       release: the page drops them and forces a GC, main times until its
//       last such object is destroyed (Registry::stats().exports back to its
//       baseline) and infers the RemoteRelease frames; main -> page
//       remote::Callback calls against webContents.send -> listener; the
//       async view (remote.async): one call (await av.get()) against the
//       preload world's ipcRenderer.invoke of a handler returning an int,
//       and a pipelined chain of three dependent calls
//       (await av.make().next().get(): two return remote objects) against
//       one async call and against the same three calls made synchronously;
//       main's Registry::stats() counts the messages and operations of each
//       remote step (a pipelined chain is one message of three operations).
//       --n-many N (10) releases over the rounds, after --warmup-many W (1).
//       With VALENCE_IPC_TRACE=1, "[web_bench] release watch start/end" on
//       stderr bracket each release (the run script counts the
//       RemoteRelease frames the trace shows between them).
//   web_bench --case startup [--windows K] [--settle-ms S]
//       K windows one after another: time from just before
//       BrowserWindow::create to main receiving the preload's first
//       ipcRenderer.send ('hello'), with the preload's own start time and
//       did-finish-load; each window closed before the next.
//   web_bench --case memory [--windows N] [--settle-ms S]
//       One window, then N more: main's RSS growth per window and the web
//       processes' memory (smaps_rollup), against web_bench_bare's.
//
// Prints one JSON object on stdout; exit status 0 when every step worked.
#include <gtk/gtk.h>
#include <unistd.h>
#include <webkit2/webkit2.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "valence/codec.h"
#include "valence/main/ipc_main.h"
#include "valence/main/web_contents.h"
#include "valence/remote.h"
#include "valence/ui/app.h"
#include "valence/ui/browser_window.h"
#include "web_proc.h"

namespace {

using valence::App;
using valence::BrowserWindow;
using valence::IpcMainEvent;
using valence::IpcMainInvokeEvent;
using valence::Value;
using webbench::now_us;

struct Options {
  std::string bench_case = "ipc";
  std::string pin = "same";
  int rounds = 5;
  int n_small = 5000;      // in all, over the rounds
  int warmup_small = 300;  // per round
  int n_1mib = 200;
  int warmup_1mib = 20;
  int n_10k = 50;
  int warmup_10k = 5;
  int n_many = 10;  // --case remote: 10,000-proxy builds and releases
  int warmup_many = 1;
  int windows = 4;
  int settle_ms = 1500;
  int timeout_s = 600;
  std::string only;  // ",world.name,...,": run only these steps (diagnosis)
};

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "web_bench: %s\n", message.c_str());
  std::printf("{\"ok\": false, \"error\": \"%s\"}\n", message.c_str());
  std::fflush(stdout);
  std::_Exit(1);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + a);
      return argv[++i];
    };
    auto num = [&]() { return std::atoi(next().c_str()); };
    if (a == "--case")
      o.bench_case = next();
    else if (a == "--pin")
      o.pin = next();
    else if (a == "--rounds")
      o.rounds = num();
    else if (a == "--n-small")
      o.n_small = num();
    else if (a == "--warmup-small")
      o.warmup_small = num();
    else if (a == "--n-1mib")
      o.n_1mib = num();
    else if (a == "--warmup-1mib")
      o.warmup_1mib = num();
    else if (a == "--n-10k")
      o.n_10k = num();
    else if (a == "--warmup-10k")
      o.warmup_10k = num();
    else if (a == "--n-many")
      o.n_many = num();
    else if (a == "--warmup-many")
      o.warmup_many = num();
    else if (a == "--windows")
      o.windows = num();
    else if (a == "--settle-ms")
      o.settle_ms = num();
    else if (a == "--timeout-s")
      o.timeout_s = num();
    else if (a == "--only")
      o.only = "," + next() + ",";
    else
      die("unknown argument " + a);
  }
  if (o.pin != "same" && o.pin != "split") die("--pin is same or split");
  if (o.rounds < 1) o.rounds = 1;
  return o;
}

// "[1.5, 2, ...]" -> numbers; anything else is an error text.
bool parse_samples(const std::string& text, std::vector<double>& out, std::string& error) {
  if (text.empty() || text[0] != '[') {
    error = text;
    return false;
  }
  const char* p = text.c_str() + 1;
  while (*p && *p != ']') {
    char* end = nullptr;
    double v = std::strtod(p, &end);
    if (end == p) {
      error = "unreadable samples";
      return false;
    }
    out.push_back(v);
    p = end;
    while (*p == ',' || *p == ' ') ++p;
  }
  return true;
}

std::string json_quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    if (c == '\n') {
      q += "\\n";
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20) continue;
    q += c;
  }
  return q + "\"";
}

// ---- --case remote: what the page uses ------------------------------------------

// R1, R2: counter.get(), counter.value (get and set), counter.stamp() (main's
// clock: splits a call into the way up and down).
struct RemoteCounter {
  int value = 7;
  int get() const { return value; }
};

// R7: counter.make() gives a Link, link.next() another; link.get() an int.
// The same two objects every time (made once, the preload holds proxies of
// both): the chain times the pipelining, not the making and releasing of
// objects (R4 times that).
struct RemoteLink {
  std::shared_ptr<RemoteLink> next;
  int value = 7;
};

// R4: a class with 5 properties; main counts the live ones and, while a
// release is watched, stamps each destruction (RemoteRelease runs the
// destructors of the objects whose count reaches 0).
struct ReleaseWatch {
  bool armed = false;
  std::vector<double> destroyed_at;  // now_us() of each destruction
  double t_zero = 0;                 // the last one: no Item left
};
ReleaseWatch& release_watch() {
  static ReleaseWatch w;
  return w;
}
struct Item {
  explicit Item(int i)
      : id(i), x(i * 0.5), name("item-" + std::to_string(i)), flag(i % 2 == 0), y(-i) {
    ++live;
  }
  ~Item() {
    --live;
    ReleaseWatch& w = release_watch();
    if (!w.armed) return;
    w.destroyed_at.push_back(now_us());
    if (live == 0) w.t_zero = w.destroyed_at.back();
  }
  Item(const Item&) = delete;
  Item& operator=(const Item&) = delete;
  int id;
  double x;
  std::string name;
  bool flag;
  int y;
  static inline long live = 0;
};

// R4's baseline: the same 5 fields as plain objects, copied (sendSync).
Value plain_items(int n) {
  std::vector<Value> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    out.push_back(Value::object({{"id", Value(static_cast<double>(i))},
                                 {"x", Value(i * 0.5)},
                                 {"name", Value("item-" + std::to_string(i))},
                                 {"flag", Value(i % 2 == 0)},
                                 {"y", Value(static_cast<double>(-i))}}));
  return Value(valence::Array(std::move(out)));
}

// WebKit's own baseline: a script-message handler with reply that echoes.
gboolean on_webkit_message(WebKitUserContentManager*, JSCValue* value,
                           WebKitScriptMessageReply* reply, gpointer) {
  webkit_script_message_reply_return_value(reply, value);
  return TRUE;
}

class Bench {
 public:
  Bench(App& app, Options options) : app_(app), opt_(std::move(options)) {
    page_ = App::resource_path("bench_page.html");
    preload_ = App::resource_path("bench_preload.js");
    app_.on_window_all_closed([] {});
    app_.ipc_main().set_error_reporter([this](const std::string& m) {
      std::fprintf(stderr, "[ipcMain] %s\n", m.c_str());
      ok_ = false;
    });
    auto& ipc = app_.ipc_main();
    (void)ipc.handle("echo", [](IpcMainInvokeEvent&, const std::vector<Value>& a) {
      return a.empty() ? Value() : a[0].clone();
    });
    (void)ipc.handle("echo-keep", [this](IpcMainInvokeEvent&, const std::vector<Value>& a) {
      if (a.size() < 2 || !a[0].is_string()) return Value();
      kept_[a[0].get_string()] = a[1].clone();
      return a[1].clone();
    });
    ipc.on("echo-sync", [](IpcMainEvent& e, const std::vector<Value>& a) {
      e.set_return_value(a.empty() ? Value() : a[0].clone());
    });
    (void)ipc.handle("stamp",
                     [](IpcMainInvokeEvent&, const std::vector<Value>&) { return now_us(); });
    (void)ipc.handle("stamp-echo", [](IpcMainInvokeEvent&, const std::vector<Value>& a) {
      std::vector<Value> out;
      out.push_back(Value(now_us()));
      out.push_back(a.empty() ? Value() : a[0].clone());
      return Value(valence::Array(std::move(out)));
    });
    ipc.on("stamp-sync",
           [](IpcMainEvent& e, const std::vector<Value>&) { e.set_return_value(now_us()); });
    ipc.on("push-req", [](IpcMainEvent& e) {
      // Stamped just before webContents.send: the listener takes the difference.
      e.sender->send("push", now_us());
    });
    ipc.on("samples", [this](IpcMainEvent&, double id, std::string text) {
      if (static_cast<std::size_t>(id) != pending_step_ || !pending_) return;
      auto done = std::move(pending_);
      pending_ = nullptr;
      done(std::move(text));
    });
    ipc.on("hello", [this](IpcMainEvent& e, double preload_t) { on_hello(e, preload_t); });
    if (opt_.bench_case == "remote") register_remote();
  }

  void start() {
    watchdog_ =
        app_.loop().add_timer(std::chrono::seconds(opt_.timeout_s), [] { die("timed out"); });
    if (opt_.bench_case == "ipc" || opt_.bench_case == "remote")
      start_ipc();
    else if (opt_.bench_case == "startup")
      startup_next();
    else if (opt_.bench_case == "memory")
      start_memory();
    else
      die("unknown case " + opt_.bench_case);
  }

 private:
  struct Win {
    std::shared_ptr<BrowserWindow> win;
    double t_create = 0, t_load = 0, t_hello = 0, t_preload = 0;
    int pid = 0;
  };

  std::shared_ptr<BrowserWindow> open_window(Win& w) {
    valence::BrowserWindowOptions o;
    o.title = "web bench";
    o.web_preferences.preload = preload_;
    o.web_preferences.enable_remote_module = opt_.bench_case == "remote";
    w.t_create = now_us();
    auto created = BrowserWindow::create(app_, o);
    if (!created) die(created.error().message);
    w.win = *created;
    auto* view = static_cast<WebKitWebView*>(w.win->native_view());
    WebKitUserContentManager* ucm = webkit_web_view_get_user_content_manager(view);
    if (opt_.bench_case == "ipc") {
      // The baseline, in the page's main world and in the preload's world.
      if (!webkit_user_content_manager_register_script_message_handler_with_reply(ucm, "bench",
                                                                                  nullptr) ||
          !webkit_user_content_manager_register_script_message_handler_with_reply(
              ucm, "benchp", "valence-preload"))
        die("cannot register the WebKit script message handlers");
      g_signal_connect(ucm, "script-message-with-reply-received::bench",
                       G_CALLBACK(on_webkit_message), nullptr);
      g_signal_connect(ucm, "script-message-with-reply-received::benchp",
                       G_CALLBACK(on_webkit_message), nullptr);
    }
    Win* wp = &w;
    w.win->web_contents()->on_did_finish_load([this, wp] {
      if (wp->t_load == 0) wp->t_load = now_us();
      window_progress();
    });
    if (auto r = w.win->load_file(page_); !r) die(r.error().message);
    return w.win;
  }

  void on_hello(IpcMainEvent& e, double preload_t) {
    for (auto& w : wins_) {
      if (!w->win || w->win->web_contents() != e.sender || w->t_hello != 0) continue;
      w->t_hello = now_us();
      w->t_preload = preload_t;
      w->pid = e.process_id;
    }
    window_progress();
  }

  bool ready(const Win& w) const { return w.t_hello != 0 && w.t_load != 0; }

  void window_progress() {
    if (!on_progress_) return;
    // Run outside the signal that called us (windows may be destroyed). The
    // function returns true when it is done (it may have set a new one).
    app_.loop().post([this] {
      if (!on_progress_) return;
      auto f = std::move(on_progress_);
      on_progress_ = nullptr;
      if (!f() && !on_progress_) on_progress_ = std::move(f);
    });
  }

  // ---- ipc ---------------------------------------------------------------------

  struct Step {
    std::string world;  // "preload" or "page"
    std::string name;
    int n = 0;
    int warmup = 0;
  };

  void start_ipc() {
    wins_.push_back(std::make_unique<Win>());
    open_window(*wins_[0]);
    on_progress_ = [this] {
      Win& w = *wins_[0];
      if (!ready(w) || started_) return false;
      started_ = true;
      web_pid_ = w.pid;
      // taskset -c 0 put everything on CPU 0, but a few WebKit threads widen
      // their own affinity (seen: the web process's disk-cache thread), so
      // every thread of both processes is set explicitly.
      web_cpus_before_ = webbench::thread_cpus(web_pid_);
      main_cpus_before_ = webbench::thread_cpus(::getpid());
      int web_cpu = opt_.pin == "split" ? 1 : 0;
      pinned_threads_ = webbench::pin_process(web_pid_, web_cpu);
      if (pinned_threads_ < 0) die("cannot move the web process to CPU " + std::to_string(web_cpu));
      if (webbench::pin_process(::getpid(), 0) < 0) die("cannot move main to CPU 0");
      if (opt_.bench_case == "remote")
        plan_remote();
      else
        plan();
      // Let the page settle (first paint) before timing.
      settle_timer_ =
          app_.loop().add_timer(std::chrono::milliseconds(500), [this] { run_step(0); });
      return true;
    };
  }

  void plan() {
    const int per_round = std::max(1, opt_.n_small / opt_.rounds);
    const int ws = opt_.warmup_small;
    for (int r = 0; r < opt_.rounds; ++r) {
      for (const char* name : {"invoke", "webkit"})
        for (const char* world : {"page", "preload"})
          steps_.push_back({world, name, per_round, ws});
      for (const char* name : {"sendSync", "push", "now"})
        for (const char* world : {"page", "preload"})
          steps_.push_back({world, name, per_round, ws});
      steps_.push_back({"page", "bridge", per_round, ws});
      steps_.push_back({"page", "bridge_num", per_round, ws});
      steps_.push_back({"page", "bridge_async", per_round, ws});
      // Where the small round trips' time goes (main answers with its clock).
      for (const char* name :
           {"invoke_send", "invoke_up", "invoke_down", "sendSync_up", "sendSync_down"})
        for (const char* world : {"page", "preload"})
          steps_.push_back({world, name, per_round, ws});
    }

    // No WebKit baseline for 1 MiB: its reply handler turns a Uint8Array
    // into a plain object (keys "0".."1048575"), so it cannot echo one.
    for (const char* world : {"page", "preload"})
      steps_.push_back({world, "invoke_1mib", opt_.n_1mib, opt_.warmup_1mib});
    for (const char* name : {"invoke_1mib_send", "invoke_1mib_up", "invoke_1mib_down"})
      steps_.push_back({"preload", name, opt_.n_1mib, opt_.warmup_1mib});
    steps_.push_back({"page", "bridge_1mib", opt_.n_1mib, opt_.warmup_1mib});
    // WebKit's 10k-object echo takes about a second: fewer of them.
    const int n_webkit_10k = std::max(1, opt_.n_10k / 5),
              w_webkit_10k = std::max(1, opt_.warmup_10k / 2);
    for (const char* world : {"page", "preload"}) {
      steps_.push_back({world, "invoke_10k", opt_.n_10k, opt_.warmup_10k});
      steps_.push_back({world, "webkit_10k", n_webkit_10k, w_webkit_10k});
    }
    steps_.push_back({"page", "bridge_10k", opt_.n_10k, opt_.warmup_10k});
    steps_.push_back({"preload", "encode_small", opt_.n_small, ws});
    steps_.push_back({"preload", "decode_small", opt_.n_small, ws});
    steps_.push_back({"preload", "encode_1mib", opt_.n_1mib, opt_.warmup_1mib});
    steps_.push_back({"preload", "decode_1mib", opt_.n_1mib, opt_.warmup_1mib});
    steps_.push_back({"preload", "encode_10k", opt_.n_10k, opt_.warmup_10k});
    steps_.push_back({"preload", "decode_10k", opt_.n_10k, opt_.warmup_10k});
    steps_.push_back({"preload", "keep", 0, 0});
    if (!opt_.only.empty())
      std::erase_if(steps_, [this](const Step& s) {
        return opt_.only.find("," + s.world + "." + s.name + ",") == std::string::npos;
      });
  }

  // ---- remote ------------------------------------------------------------------

  void register_remote() {
    auto& ipc = app_.ipc_main();
    ipc.on("int-sync", [](IpcMainEvent& e, const std::vector<Value>&) { e.set_return_value(7); });
    // R6's baseline: ipcRenderer.invoke of a handler returning a small int.
    (void)ipc.handle("int",
                     [](IpcMainInvokeEvent&, const std::vector<Value>&) { return Value(7); });
    ipc.on("items-sync",
           [](IpcMainEvent& e, double n) { e.set_return_value(plain_items(static_cast<int>(n))); });
    ipc.on("cb-req", [this](IpcMainEvent&) {
      // Stamped just before the call, as push-req stamps before send().
      if (held_) held_(now_us());
    });
    auto& reg = app_.remote();
    link_a_ = std::make_shared<RemoteLink>();
    link_a_->next = std::make_shared<RemoteLink>();
    reg.define<RemoteLink>("Link")
        .method("next", [](RemoteLink& l) { return l.next; })
        .method("get", [](RemoteLink& l) { return l.value; });
    reg.define<RemoteCounter>("Counter")
        .property("value", &RemoteCounter::value)
        .method("get", &RemoteCounter::get)
        .method("stamp", [](RemoteCounter&) { return now_us(); })
        .method("make", [this](RemoteCounter&) { return link_a_; });
    reg.define<Item>("Item")
        .property("id", &Item::id)
        .property("x", &Item::x)
        .property("name", &Item::name)
        .property("flag", &Item::flag)
        .property("y", &Item::y);
    counter_ = std::make_shared<RemoteCounter>();
    reg.module("bench", [this](valence::remote::Module& m) {
      m.object("counter", counter_);
      m.function("makeMany", [](int n) {
        std::vector<std::shared_ptr<Item>> out;
        out.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) out.push_back(std::make_shared<Item>(i));
        return out;
      });
      m.function("hold", [this](valence::remote::Callback cb) {
        held_ = std::move(cb);
        return true;
      });
    });
  }

  void plan_remote() {
    const int per_round = std::max(1, opt_.n_small / opt_.rounds);
    const int ws = opt_.warmup_small;
    for (int i = 0; i < opt_.warmup_many; ++i) {
      steps_.push_back({"preload", "remote_many", 0, 1});
      steps_.push_back({"preload", "remote_release", 0, 1});
    }
    const int many_per_round = std::max(1, opt_.n_many / opt_.rounds);
    for (int r = 0; r < opt_.rounds; ++r) {
      for (const char* world : {"page", "preload"})
        steps_.push_back({world, "sendSync", per_round, ws});
      for (const char* name : {"sendSync_int", "remote_get", "remote_prop_get", "remote_prop_set"})
        steps_.push_back({"preload", name, per_round, ws});
      for (const char* world : {"page", "preload"})
        steps_.push_back({world, "push", per_round, ws});
      steps_.push_back({"preload", "remote_cb", per_round, ws});
      // R6, R7: the async view.
      for (const char* name :
           {"invoke_int", "remote_async_get", "remote_async_chain", "remote_sync_chain"})
        steps_.push_back({"preload", name, per_round, ws});
      for (const char* world : {"page", "preload"}) steps_.push_back({world, "now", per_round, ws});
      // Where a remote call's time goes (counter.stamp(): main's clock),
      // beside sendSync's; the async view's (await av.stamp()) beside invoke's.
      for (const char* name :
           {"sendSync_up", "sendSync_down", "remote_stamp_up", "remote_stamp_down", "invoke_up",
            "invoke_down", "remote_async_stamp_up", "remote_async_stamp_down"})
        steps_.push_back({"preload", name, per_round, ws});
      for (int k = 0; k < many_per_round; ++k) {
        steps_.push_back({"preload", "items_sync", 1, 0});
        steps_.push_back({"preload", "remote_many", 1, 0});
        steps_.push_back({"preload", "remote_release", 1, 0});
      }
    }
    if (!opt_.only.empty())
      std::erase_if(steps_, [this](const Step& s) {
        return opt_.only.find("," + s.world + "." + s.name + ",") == std::string::npos;
      });
  }

  std::size_t remote_exports() {
    return app_.remote().stats(*wins_[0]->win->web_contents()).exports;
  }

  // After remote_many: main's count, and the watch armed for the release.
  void after_many(const Step& s) {
    (void)s;
    exports_peak_.push_back(static_cast<double>(remote_exports()));
    ReleaseWatch& w = release_watch();
    w.destroyed_at.clear();
    w.destroyed_at.reserve(20000);
    w.t_zero = 0;
    w.armed = true;
    // With VALENCE_IPC_TRACE (the run script's frame count), marks where a
    // release starts and ends among the trace's lines.
    if (trace_) std::fprintf(stderr, "[web_bench] release watch start\n");
  }

  using UniqueFn = valence::UniqueFunction<void()>;
  // After remote_release's page part ([t_drop, gc_us, flushes, frames] by
  // the page): wait until main has destroyed every Item, then record.
  void after_release(std::size_t i, std::string text, UniqueFn next) {
    release_deadline_ = now_us() + 5e6;
    release_poll(i, std::move(text), std::move(next));
  }
  void release_poll(std::size_t i, std::string text, UniqueFn next) {
    if (Item::live != 0 && now_us() < release_deadline_) {
      auto shared =
          std::make_shared<std::pair<std::string, UniqueFn>>(std::move(text), std::move(next));
      release_timer_ = app_.loop().add_timer(std::chrono::milliseconds(1), [this, i, shared] {
        release_poll(i, std::move(shared->first), std::move(shared->second));
      });
      return;
    }
    ReleaseWatch& w = release_watch();
    w.armed = false;
    if (trace_) std::fprintf(stderr, "[web_bench] release watch end\n");
    const Step& s = steps_[i];
    std::vector<double> page;
    std::string error;
    if (!parse_samples(text, page, error) || page.size() < 4) {
      errors_["preload.remote_release"] = error.empty() ? "short answer: " + text : error;
      ok_ = false;
    } else if (Item::live != 0) {
      errors_["preload.remote_release"] =
          std::to_string(Item::live) + " objects still alive 5 s after the GC";
      ok_ = false;
    } else if (s.n > 0) {
      const double t_drop = page[0];
      samples_["release.total"].push_back(w.t_zero - t_drop);
      samples_["release.gc"].push_back(page[1]);
      samples_["release.first_destroyed"].push_back(w.destroyed_at.front() - t_drop);
      samples_["release.destroying"].push_back(w.t_zero - w.destroyed_at.front());
      samples_["release.page_flushes"].push_back(page[2]);
      samples_["release.page_frames"].push_back(page[3]);
      if (page.size() >= 6) {
        samples_["release.page_finalized"].push_back(page[4]);
        samples_["release.page_sent"].push_back(page[5]);
      }
      // RemoteRelease frames as main saw them: destructions in one frame
      // follow each other within a few µs; a frame boundary (decoding the
      // next frame) or a preemption leaves a gap.
      int bursts = 1;
      double widest = 0;
      for (std::size_t k = 1; k < w.destroyed_at.size(); ++k) {
        double gap = w.destroyed_at[k] - w.destroyed_at[k - 1];
        widest = std::max(widest, gap);
        if (gap > kBurstGapUs) ++bursts;
      }
      samples_["release.main_bursts"].push_back(bursts);
      samples_["release.widest_gap"].push_back(widest);
      samples_["release.destroyed"].push_back(static_cast<double>(w.destroyed_at.size()));
      samples_["release.exports_after"].push_back(static_cast<double>(remote_exports()));
      if (!exports_peak_.empty()) samples_["release.exports_peak"].push_back(exports_peak_.back());
      samples_["release.exports_before"].push_back(exports_before_);
    }
    next();
  }
  static constexpr double kBurstGapUs = 25;

  void run_step(std::size_t i) {
    if (i == steps_.size()) {
      finish_ipc();
      return;
    }
    const Step& s = steps_[i];
    const double web_cpu0 = webbench::cpu_us(web_pid_), main_cpu0 = webbench::cpu_us(::getpid());
    // --case remote: main's count of remote messages and operations (a
    // RemoteSync is one of each; a RemoteAsync batch one message of many).
    const bool count_remote = opt_.bench_case == "remote" && s.name.starts_with("remote_") &&
                              s.name != "remote_many" && s.name != "remote_release";
    valence::remote::Stats remote0;
    if (count_remote) remote0 = app_.remote().stats(*wins_[0]->win->web_contents());
    auto done = [this, i, web_cpu0, main_cpu0, count_remote, remote0](std::string text) {
      // CPU per iteration (warm-up included: the same work) in both processes.
      const Step& step = steps_[i];
      if (step.n + step.warmup > 0) {
        auto& c = cpu_[step.world + "." + step.name];
        c.web_us += webbench::cpu_us(web_pid_) - web_cpu0;
        c.main_us += webbench::cpu_us(::getpid()) - main_cpu0;
        c.iterations += step.n + step.warmup;
        if (count_remote) {
          auto r = app_.remote().stats(*wins_[0]->win->web_contents());
          const double calls = step.n + step.warmup;
          const std::string key = step.world + "." + step.name;
          samples_[key + ".messages_per_call"].push_back(
              static_cast<double>(r.messages - remote0.messages) / calls);
          samples_[key + ".operations_per_call"].push_back(
              static_cast<double>(r.operations - remote0.operations) / calls);
        }
      }
      auto next = [this, i] { app_.loop().post([this, i] { run_step(i + 1); }); };
      if (step.name == "remote_release") {
        after_release(i, std::move(text), std::move(next));
        return;
      }
      if (step.name == "remote_many") after_many(step);
      record(steps_[i], text);
      next();
    };
    auto& contents = wins_[0]->win->web_contents();
    if (s.name == "remote_many") exports_before_ = static_cast<double>(remote_exports());
    if (s.world == "preload") {
      pending_step_ = i;
      pending_ = std::move(done);
      if (!contents->send("run", static_cast<double>(i), s.name, s.n, s.warmup))
        die("the page is gone");
    } else {
      std::string code = "runCase(" + json_quote(s.name) + ", " + std::to_string(s.n) + ", " +
                         std::to_string(s.warmup) + ")";
      contents->execute_javascript(code).then(
          [done = std::move(done)](valence::Result<Value> r) mutable {
            if (!r)
              done("executeJavaScript failed: " + r.error().message);
            else if (!r->is_string())
              done("runCase returned no string");
            else
              done(r->get_string());
          });
    }
  }

  void record(const Step& s, const std::string& text) {
    std::string key = s.world + "." + s.name;
    std::vector<double> xs;
    std::string error;
    if (!parse_samples(text, xs, error)) {
      std::fprintf(stderr, "web_bench: %s failed: %s\n", key.c_str(), error.c_str());
      errors_[key] = error;
      ok_ = false;
      return;
    }
    auto& all = samples_[key];
    all.insert(all.end(), xs.begin(), xs.end());
  }

  // Main's C++ codec on what the page sent ('echo-keep'): decoding the
  // request (the arguments array) and encoding the reply (the value).
  std::string main_codec_json() {
    bench::Json j;
    valence::codec::EncodeOptions eo;
    eo.form = valence::codec::Form::kValence;
    valence::codec::DecodeOptions dopt;
    dopt.form = valence::codec::Form::kValence;
    for (const auto& [label, value] : kept_) {
      std::vector<Value> args;
      args.push_back(Value(label));
      args.push_back(value.clone());
      Value request(valence::Array(std::move(args)));
      auto bytes = valence::codec::encode(request, eo);
      if (!bytes) continue;
      int reps = label == "small" ? 5000 : label == "1mib" ? 200 : 50;
      std::vector<double> dec, enc;
      for (int r = 0; r < reps + reps / 10; ++r) {
        auto t0 = bench::Clock::now();
        auto v = valence::codec::decode(*bytes, dopt);
        auto t1 = bench::Clock::now();
        auto out = valence::codec::encode(value, eo);
        auto t2 = bench::Clock::now();
        if (!v || !out) break;
        if (r >= reps / 10) {
          dec.push_back(bench::us_between(t0, t1));
          enc.push_back(bench::us_between(t1, t2));
        }
      }
      j.integer(label + "_request_bytes", static_cast<long long>(bytes->size()));
      j.num(label + "_decode_median_us", bench::compute_stats(dec).median);
      j.num(label + "_encode_median_us", bench::compute_stats(enc).median);
    }
    return j.text();
  }

  void finish_ipc() {
    bench::Json results;
    for (const auto& [key, xs] : samples_) {
      bench::Json s;
      s.stats("", bench::compute_stats(xs));
      if (auto c = cpu_.find(key); c != cpu_.end() && c->second.iterations > 0) {
        s.num("web_cpu_us_per_iteration", c->second.web_us / c->second.iterations);
        s.num("main_cpu_us_per_iteration", c->second.main_us / c->second.iterations);
      }
      results.raw(key, s.text());
    }
    bench::Json errors;
    for (const auto& [key, e] : errors_) errors.str(key, e);
    bench::Json out;
    out.str("case", opt_.bench_case)
        .str("pin", opt_.pin)
        .integer("main_pid", ::getpid())
        .str("main_cpus_at_start", main_cpus_before_)
        .str("main_cpus_at_end", webbench::thread_cpus(::getpid()))
        .integer("web_pid", web_pid_)
        .integer("web_threads", webbench::thread_count(web_pid_))
        .integer("web_threads_pinned", pinned_threads_)
        .str("web_cpus_before_pinning", web_cpus_before_)
        .str("web_cpus_at_end", webbench::thread_cpus(web_pid_))
        .integer("rounds", opt_.rounds)
        .raw("results", results.text())
        .raw("main_codec", opt_.bench_case == "ipc" ? main_codec_json() : "{}")
        .raw("errors", errors.text())
        .boolean("ok", ok_);
    std::printf("%s\n", out.text().c_str());
    std::fflush(stdout);
    app_.quit();
  }

  // ---- startup -----------------------------------------------------------------

  void startup_next() {
    if (static_cast<int>(wins_.size()) == opt_.windows) {
      bench::Json out;
      std::string hello = "[", preload = "[", load = "[", pids = "[";
      for (std::size_t i = 0; i < wins_.size(); ++i) {
        const Win& w = *wins_[i];
        auto ms = [](double v) {
          char b[32];
          std::snprintf(b, sizeof b, "%.2f", v / 1000);
          return std::string(b);
        };
        const char* sep = i ? ", " : "";
        hello += sep + ms(w.t_hello - w.t_create);
        preload += sep + ms(w.t_preload - w.t_create);
        load += sep + ms(w.t_load - w.t_create);
        pids += sep + std::to_string(w.pid);
      }
      out.str("case", "startup")
          .str("main_cpus", webbench::thread_cpus(::getpid()))
          .raw("hello_ms", hello + "]")
          .raw("preload_start_ms", preload + "]")
          .raw("did_finish_load_ms", load + "]")
          .raw("web_pids", pids + "]")
          .boolean("ok", ok_);
      std::printf("%s\n", out.text().c_str());
      std::fflush(stdout);
      app_.quit();
      return;
    }
    wins_.push_back(std::make_unique<Win>());
    Win* w = wins_.back().get();
    on_progress_ = [this, w] {
      if (!ready(*w) || !w->win) return false;
      w->win->destroy();
      w->win.reset();
      settle_timer_ = app_.loop().add_timer(std::chrono::milliseconds(opt_.settle_ms),
                                            [this] { startup_next(); });
      return true;
    };
    open_window(*w);
  }

  // ---- memory ------------------------------------------------------------------

  void start_memory() {
    wins_.push_back(std::make_unique<Win>());
    open_window(*wins_[0]);
    on_progress_ = [this] {
      if (!ready(*wins_[0])) return false;
      settle_timer_ = app_.loop().add_timer(std::chrono::milliseconds(opt_.settle_ms), [this] {
        first_ = webbench::memory_snapshot();
        for (int i = 0; i < opt_.windows; ++i) {
          wins_.push_back(std::make_unique<Win>());
          open_window(*wins_.back());
        }
        on_progress_ = [this] {
          for (const auto& w : wins_)
            if (!ready(*w)) return false;
          settle_timer_ = app_.loop().add_timer(std::chrono::milliseconds(opt_.settle_ms), [this] {
            bench::Json out;
            out.str("case", "memory")
                .str("program", "valence")
                .integer("windows_added", opt_.windows)
                .integer("settle_ms", opt_.settle_ms)
                .raw("one_window", first_)
                .raw("after", webbench::memory_snapshot())
                .boolean("ok", ok_);
            std::printf("%s\n", out.text().c_str());
            std::fflush(stdout);
            app_.quit();
          });
          return true;
        };
      });
      return true;
    };
  }

  App& app_;
  Options opt_;
  std::string page_, preload_;
  std::vector<std::unique_ptr<Win>> wins_;
  valence::UniqueFunction<bool()> on_progress_;
  valence::Timer watchdog_, settle_timer_;
  bool started_ = false;
  bool ok_ = true;
  int web_pid_ = 0;
  int pinned_threads_ = 0;
  std::string web_cpus_before_, main_cpus_before_;
  std::vector<Step> steps_;
  std::size_t pending_step_ = 0;
  valence::UniqueFunction<void(std::string)> pending_;
  std::map<std::string, std::vector<double>> samples_;
  struct Cpu {
    double web_us = 0, main_us = 0;
    double iterations = 0;
  };
  std::map<std::string, Cpu> cpu_;
  std::map<std::string, std::string> errors_;
  std::map<std::string, Value> kept_;
  std::string first_;
  // --case remote
  std::shared_ptr<RemoteCounter> counter_;
  std::shared_ptr<RemoteLink> link_a_;
  valence::remote::Callback held_;
  std::vector<double> exports_peak_;
  double exports_before_ = 0;
  const bool trace_ = [] {
    const char* v = std::getenv("VALENCE_IPC_TRACE");
    return v && *v && std::string(v) != "0";
  }();
  double release_deadline_ = 0;
  valence::Timer release_timer_;
};

}  // namespace

int main(int argc, char** argv) {
  Options options = parse(argc, argv);
  ::setenv("NO_AT_BRIDGE", "1", 0);
  int app_argc = 1;
  char** app_argv = argv;
  valence::AppOptions app_options;
  app_options.test_hooks = true;  // __valenceTest.now() in the preload
  App app(app_argc, app_argv, app_options);
  Bench bench(app, options);
  app.when_ready([&] { bench.start(); });
  return app.run();
}
