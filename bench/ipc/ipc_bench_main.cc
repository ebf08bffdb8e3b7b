// IPC benchmark, main side: a valence MainProcess that starts
// ipc_bench_child processes and measures one case per run (so each case,
// the memory ones above all, starts from a fresh process):
//
//   ipc_bench --case invoke [--n N] [--warmup W] [--spin-us S] [--main-spin-us S]
//                           [--spin-yield]
//       (a) small invoke round trip, timed in the child around a blocking get().
//           --spin-us: the child polls its loop for up to S µs before the
//           blocking get(); --main-spin-us: main polls (epoll with a zero
//           timeout) while it had a message in the last S µs, then blocks;
//           --spin-yield: sched_yield() between polls. Benchmark-only, to see
//           what a spin would buy and what it costs in CPU time.
//   ipc_bench --case send [--n N] [--reps R]       (b) one-way send throughput
//   ipc_bench --case echo                          (c) 1 MiB and 8 MiB Uint8Array echo
//   ipc_bench --case burst [--children C] [--per-child P] [--rounds R]
//       (d) C*P invokes outstanding at once from C children
//   ipc_bench --case idle [--children C]           (e) main's RSS per idle child
//   ipc_bench --case flood [--n N]                 (e) main's RSS around a flood
//
// Prints one JSON object on stdout. Exit status 0 when every check held.
// The child binary: --child PATH (default: next to this one).
#include <sched.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "valence/event_loop.h"
#include "valence/main/main_process.h"

namespace {

using bench::Clock;
using valence::IpcMainEvent;
using valence::IpcMainInvokeEvent;
using valence::Value;

struct Options {
  std::string bench_case;
  std::string child = VALENCE_BENCH_CHILD;
  std::size_t n = 0;
  std::size_t warmup = 2000;
  long spin_us = 0;
  long main_spin_us = 0;
  bool spin_yield = false;
  std::size_t reps = 3;
  std::size_t children = 0;
  std::size_t per_child = 100;
  std::size_t rounds = 10;
};

// The pieces every case shares: the loop, the MainProcess, children that
// report a JSON result and must exit cleanly.
class Harness {
 public:
  Harness()
      : loop_(valence::EventLoop::create()), app_(std::make_unique<valence::MainProcess>(*loop_)) {
    (void)app_->ipc_main().handle("result", [this](IpcMainInvokeEvent&, std::string json) {
      child_results_.push_back(std::move(json));
      return true;
    });
  }

  valence::EventLoop& loop() { return *loop_; }
  valence::IpcMain& ipc() { return app_->ipc_main(); }

  std::shared_ptr<valence::WebContents> spawn(const std::string& path,
                                              std::vector<std::string> args) {
    auto wc = app_->spawn_child({.path = path, .args = std::move(args)});
    if (!wc) {
      std::fprintf(stderr, "ipc_bench: %s\n", wc.error().message.c_str());
      std::exit(1);
    }
    auto contents = std::move(wc).value();
    ++running_;
    contents->on_render_process_gone([this](const valence::RenderProcessGoneDetails& d) {
      if (d.reason != "clean-exit") {
        ok_ = false;
        std::fprintf(stderr, "ipc_bench: a child ended: %s (%d)\n", d.reason.c_str(), d.exit_code);
      }
      if (--running_ == 0 && quit_when_all_gone_) loop_->quit();
    });
    contents->on_bad_message([this](const std::string& reason) {
      ok_ = false;
      std::fprintf(stderr, "ipc_bench: %s\n", reason.c_str());
    });
    return contents;
  }

  // Runs the loop until every child has exited. spin_us > 0: poll (zero
  // timeout) while there was activity in the last spin_us, then block.
  void run_until_children_exit(long spin_us = 0, const std::size_t* activity = nullptr,
                               bool yield = false) {
    quit_when_all_gone_ = true;
    if (running_ == 0) return;
    if (spin_us <= 0 || !activity) {
      loop_->run();
      return;
    }
    const auto spin = std::chrono::microseconds(spin_us);
    auto last = Clock::now();
    std::size_t seen = *activity;
    for (;;) {
      bool spinning = Clock::now() - last < spin;
      if (!loop_->run_once(spinning ? std::chrono::nanoseconds(0)
                                    : std::chrono::nanoseconds::max()))
        break;
      if (*activity != seen) {
        seen = *activity;
        last = Clock::now();
      } else if (spinning && yield) {
        ::sched_yield();
      }
    }
  }

  // Runs the loop for `d` (children keep running).
  void run_for(std::chrono::milliseconds d) {
    auto until = Clock::now() + d;
    while (Clock::now() < until) loop_->run_once(until - Clock::now());
  }

  void fail() { ok_ = false; }
  bool ok() const { return ok_; }
  std::size_t running() const { return running_; }
  std::string child_results() const {
    std::string out = "[";
    for (std::size_t i = 0; i < child_results_.size(); ++i)
      out += (i ? ", " : "") + child_results_[i];
    return out + "]";
  }
  std::size_t child_result_count() const { return child_results_.size(); }

 private:
  std::unique_ptr<valence::EventLoop> loop_;
  std::unique_ptr<valence::MainProcess> app_;
  std::vector<std::string> child_results_;
  std::size_t running_ = 0;
  bool quit_when_all_gone_ = false;
  bool ok_ = true;
};

Value echo_first(const std::vector<Value>& args) {
  return args.empty() ? Value() : args[0].clone();
}

int case_invoke(const Options& o, bench::Json& out) {
  Harness h;
  std::size_t n = o.n ? o.n : 20000;
  std::size_t handled = 0;
  double cpu0 = 0, cpu1 = 0;
  (void)h.ipc().handle("ping", [&](IpcMainInvokeEvent&, const std::vector<Value>& args) {
    if (handled == o.warmup) cpu0 = bench::cpu_time_us();
    ++handled;
    if (handled == o.warmup + n) cpu1 = bench::cpu_time_us();
    return echo_first(args);
  });
  h.spawn(o.child, {"invoke", std::to_string(n), std::to_string(o.warmup),
                    std::to_string(o.spin_us), o.spin_yield ? "yield" : "no-yield"});
  h.run_until_children_exit(o.main_spin_us, &handled, o.spin_yield);
  out.num("main_cpu_per_rt_us", (cpu1 - cpu0) / static_cast<double>(n))
      .integer("main_spin_us", o.main_spin_us)
      .integer("handled", static_cast<long long>(handled))
      .raw("child", h.child_results());
  return h.ok() && handled == o.warmup + n && h.child_result_count() == 1 ? 0 : 1;
}

int case_send(const Options& o, bench::Json& out) {
  Harness h;
  std::size_t n = o.n ? o.n : 200000;
  std::size_t count = 0;
  bool in_order = true;
  h.ipc().on("count", [&](IpcMainEvent&, const std::vector<Value>& args) {
    const Value* seq = args.empty() ? nullptr : args[0].find("seq");
    if (!seq || !seq->is_int32() || seq->get_int32() != static_cast<int>(count)) in_order = false;
    ++count;
  });
  (void)h.ipc().handle("count-done", [&](IpcMainInvokeEvent&) {
    Value r = Value::object({{"count", static_cast<double>(count)}, {"in_order", in_order}});
    count = 0;
    in_order = true;
    return r;
  });
  h.spawn(o.child, {"send", std::to_string(n), std::to_string(o.reps)});
  h.run_until_children_exit();
  out.raw("child", h.child_results());
  return h.ok() && h.child_result_count() == 1 ? 0 : 1;
}

int case_echo(const Options& o, bench::Json& out) {
  Harness h;
  (void)h.ipc().handle(
      "echo", [](IpcMainInvokeEvent&, const std::vector<Value>& args) { return echo_first(args); });
  // size, iterations, warm-up
  h.spawn(o.child,
          {"echo", std::to_string(1 << 20), "300", "10", std::to_string(8 << 20), "60", "5"});
  h.run_until_children_exit();
  out.raw("child", h.child_results());
  return h.ok() && h.child_result_count() == 1 ? 0 : 1;
}

int case_burst(const Options& o, bench::Json& out) {
  Harness h;
  std::size_t children = o.children ? o.children : 10;
  std::size_t handled = 0;
  (void)h.ipc().handle("ping", [&](IpcMainInvokeEvent&, const std::vector<Value>& args) {
    ++handled;
    return echo_first(args);
  });
  std::vector<std::shared_ptr<valence::WebContents>> kids;
  std::size_t ready = 0, done_in_round = 0;
  int round = 0;
  long long answered = 0, bad = 0;
  std::vector<double> lat;
  std::vector<double> round_max;
  auto start_round = [&] {
    for (auto& k : kids) k->send("go", round);
  };
  h.ipc().on("burst-done", [&](IpcMainEvent&, const std::vector<Value>& args) {
    if (args.size() < 3 || !args[0].is_array()) {
      h.fail();
      return;
    }
    double mx = 0;
    for (const Value& v : args[0].get_array().items()) {
      lat.push_back(v.get_number());
      mx = std::max(mx, v.get_number());
    }
    if (round_max.size() <= static_cast<std::size_t>(round)) round_max.push_back(0);
    round_max.back() = std::max(round_max.back(), mx);
    answered += static_cast<long long>(args[1].get_number());
    bad += static_cast<long long>(args[2].get_number());
    if (++done_in_round < kids.size()) return;
    done_in_round = 0;
    if (static_cast<std::size_t>(++round) < o.rounds) {
      start_round();
    } else {
      for (auto& k : kids) k->send("quit");
    }
  });
  for (std::size_t i = 0; i < children; ++i) {
    auto wc = h.spawn(o.child, {"burst", std::to_string(o.per_child)});
    wc->on_did_finish_load([&] {
      if (++ready == children) start_round();
    });
    kids.push_back(wc);
  }
  h.run_until_children_exit();
  long long expected = static_cast<long long>(children * o.per_child * o.rounds);
  std::string maxes;
  for (double m : round_max) maxes += (maxes.empty() ? "" : ", ") + std::to_string(m);
  out.integer("children", static_cast<long long>(children))
      .integer("outstanding_per_round", static_cast<long long>(children * o.per_child))
      .integer("rounds", static_cast<long long>(o.rounds))
      .integer("expected", expected)
      .integer("answered", answered)
      .integer("bad", bad)
      .integer("handled_by_main", static_cast<long long>(handled))
      .integer("lost", expected - answered)
      .raw("round_max_us", "[" + maxes + "]")
      .stats("", bench::compute_stats(lat));
  return h.ok() && answered == expected && bad == 0 ? 0 : 1;
}

int case_idle(const Options& o, bench::Json& out) {
  long rss_start = bench::rss_kib();
  Harness h;
  std::size_t children = o.children ? o.children : 50;
  std::size_t ready = 0;
  std::size_t want = 1;
  auto spawn_idle = [&] {
    auto wc = h.spawn(o.child, {"idle"});
    wc->on_did_finish_load([&] { ++ready; });
    return wc;
  };
  auto wait_ready = [&] {
    while (ready < want && h.running() > 0) h.loop().run_once(std::chrono::milliseconds(100));
  };
  std::vector<std::shared_ptr<valence::WebContents>> kids;
  // One child first: its one-time costs (code pages touched, allocator
  // arenas) are not per-child costs.
  kids.push_back(spawn_idle());
  wait_ready();
  h.run_for(std::chrono::milliseconds(100));
  long rss_one = bench::rss_kib();
  want = 1 + children;
  for (std::size_t i = 0; i < children; ++i) kids.push_back(spawn_idle());
  wait_ready();
  h.run_for(std::chrono::milliseconds(200));
  long rss_all = bench::rss_kib();
  bool all_connected = ready == want;
  for (auto& k : kids) k->send("quit");
  h.run_until_children_exit();
  h.run_for(std::chrono::milliseconds(50));
  long rss_end = bench::rss_kib();
  out.integer("children", static_cast<long long>(children))
      .integer("rss_start_kib", rss_start)
      .integer("rss_with_first_child_kib", rss_one)
      .integer("rss_with_all_kib", rss_all)
      .integer("rss_after_all_exited_kib", rss_end)
      .num("per_child_kib", static_cast<double>(rss_all - rss_one) / static_cast<double>(children))
      .boolean("all_connected", all_connected);
  return h.ok() && all_connected ? 0 : 1;
}

int case_flood(const Options& o, bench::Json& out) {
  Harness h;
  std::size_t n = o.n ? o.n : 1000000;
  std::size_t warm = 0, count = 0;
  bool in_order = true;
  long rss_before = 0, rss_done = 0, peak_sampled = 0, hwm = -1;
  bool hwm_reset = false;
  h.ipc().on("flood-warm", [&](IpcMainEvent&, const std::vector<Value>&) { ++warm; });
  (void)h.ipc().handle("flood-start", [&](IpcMainInvokeEvent&) {
    rss_before = bench::rss_kib();
    peak_sampled = rss_before;
    hwm_reset = bench::reset_peak_rss();
    return true;
  });
  h.ipc().on("flood", [&](IpcMainEvent&, const std::vector<Value>& args) {
    const Value* seq = args.empty() ? nullptr : args[0].find("seq");
    if (!seq || !seq->is_int32() || seq->get_int32() != static_cast<int>(count)) in_order = false;
    ++count;
    if ((count & 4095) == 0) peak_sampled = std::max(peak_sampled, bench::rss_kib());
  });
  (void)h.ipc().handle("flood-done", [&](IpcMainInvokeEvent&) {
    rss_done = bench::rss_kib();
    peak_sampled = std::max(peak_sampled, rss_done);
    if (hwm_reset) hwm = bench::status_kib("VmHWM");
    return Value::object({{"count", static_cast<double>(count)}, {"in_order", in_order}});
  });
  h.spawn(o.child, {"flood", std::to_string(n)});
  h.run_until_children_exit();
  h.run_for(std::chrono::milliseconds(100));
  long rss_exit = bench::rss_kib();
  bool delivered = count == n && in_order && warm == 1000;
  out.integer("messages", static_cast<long long>(n))
      .integer("received", static_cast<long long>(count))
      .boolean("in_order", in_order)
      .integer("rss_before_kib", rss_before)
      .integer("rss_peak_kib", hwm >= 0 ? hwm : peak_sampled)
      .str("rss_peak_source", hwm >= 0 ? "VmHWM (reset at start)" : "sampled every 4096 messages")
      .integer("rss_peak_sampled_kib", peak_sampled)
      .integer("rss_after_kib", rss_done)
      .integer("rss_after_child_exit_kib", rss_exit)
      .num("after_vs_before", static_cast<double>(rss_done) / static_cast<double>(rss_before))
      .raw("child", h.child_results());
  return h.ok() && delivered && h.child_result_count() == 1 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "ipc_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    auto number = [&] {
      return static_cast<std::size_t>(std::strtoull(next().c_str(), nullptr, 10));
    };
    if (a == "--case")
      o.bench_case = next();
    else if (a == "--child")
      o.child = next();
    else if (a == "--n")
      o.n = number();
    else if (a == "--warmup")
      o.warmup = number();
    else if (a == "--spin-us")
      o.spin_us = static_cast<long>(number());
    else if (a == "--main-spin-us")
      o.main_spin_us = static_cast<long>(number());
    else if (a == "--spin-yield")
      o.spin_yield = true;
    else if (a == "--reps")
      o.reps = number();
    else if (a == "--children")
      o.children = number();
    else if (a == "--per-child")
      o.per_child = number();
    else if (a == "--rounds")
      o.rounds = number();
    else {
      std::fprintf(stderr, "usage: ipc_bench --case invoke|send|echo|burst|idle|flood [options]\n");
      return 2;
    }
  }
  bench::Json out;
  out.str("case", o.bench_case).str("main_affinity", bench::affinity_text());
  int status;
  if (o.bench_case == "invoke")
    status = case_invoke(o, out);
  else if (o.bench_case == "send")
    status = case_send(o, out);
  else if (o.bench_case == "echo")
    status = case_echo(o, out);
  else if (o.bench_case == "burst")
    status = case_burst(o, out);
  else if (o.bench_case == "idle")
    status = case_idle(o, out);
  else if (o.bench_case == "flood")
    status = case_flood(o, out);
  else {
    std::fprintf(stderr, "ipc_bench: unknown case '%s'\n", o.bench_case.c_str());
    return 2;
  }
  out.boolean("ok", status == 0);
  std::printf("%s\n", out.text().c_str());
  return status;
}
