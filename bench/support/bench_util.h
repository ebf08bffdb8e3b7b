// The measurement harness every benchmark shares (bench/ipc, bench/ports,
// bench/web): a clock, percentiles, CPU time, page faults, RSS, CPU pinning
// (by number or from the environment), --name value flags, and a flat JSON
// writer. Timing belongs here and in the benchmarks, never in tests/.
// Thread safety: plain functions and value types.
#pragma once

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "support/fds.h"  // tests/support: the /proc readings tests and benchmarks share

namespace bench {

using Clock = std::chrono::steady_clock;

inline double us_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

// Percentiles of a sample (nearest rank on the sorted sample).
struct Stats {
  std::size_t count = 0;
  double median = 0, p90 = 0, p99 = 0, max = 0, min = 0, mean = 0;
};

inline Stats compute_stats(std::vector<double> xs) {
  Stats s;
  s.count = xs.size();
  if (xs.empty()) return s;
  std::sort(xs.begin(), xs.end());
  auto at = [&](double q) {
    auto i = static_cast<std::size_t>(q * static_cast<double>(xs.size() - 1) + 0.5);
    return xs[std::min(i, xs.size() - 1)];
  };
  s.median = at(0.5);
  s.p90 = at(0.9);
  s.p99 = at(0.99);
  s.min = xs.front();
  s.max = xs.back();
  double sum = 0;
  for (double x : xs) sum += x;
  s.mean = sum / static_cast<double>(xs.size());
  return s;
}

// CPU time (user + system) this process has used, in microseconds.
inline double cpu_time_us() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto us = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) * 1e6 + static_cast<double>(tv.tv_usec);
  };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

// Minor page faults this process has taken so far.
inline long minor_faults() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

// Resident set size from /proc/self/statm, in KiB (the tests' own reading).
using valence::test::rss_kib;

// A field of /proc/self/status in KiB (VmHWM, VmRSS), or -1.
inline long status_kib(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size(), field) == 0 && line.size() > field.size() &&
        line[field.size()] == ':')
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return -1;
}

// Resets VmHWM (the peak RSS) to the current RSS. False where not allowed.
inline bool reset_peak_rss() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

// Pins this process to `cpu` (no-op when cpu < 0). False on failure.
inline bool pin_to_cpu(int cpu) {
  if (cpu < 0) return true;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<std::size_t>(cpu), &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) {
    std::perror("sched_setaffinity");
    return false;
  }
  return true;
}

// Pins this process to the CPU named by $BENCH_CHILD_CPU, if set. Children
// call this first thing so that "split" runs put them on another CPU than
// the parent (which the run script pins with taskset).
inline bool pin_child_from_env() {
  const char* cpu = std::getenv("BENCH_CHILD_CPU");
  if (!cpu || !*cpu) return true;
  return pin_to_cpu(std::atoi(cpu));
}

// The CPUs this process may run on ("0" or "0,1").
inline std::string affinity_text() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return "?";
  std::string out;
  for (std::size_t i = 0; i < CPU_SETSIZE; ++i) {
    if (!CPU_ISSET(i, &set)) continue;
    if (!out.empty()) out += ',';
    out += std::to_string(i);
  }
  return out;
}

// --name value flags; `fallback` when absent.
inline std::string flag(int argc, char** argv, std::string_view name, std::string fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (name == argv[i]) return argv[i + 1];
  return fallback;
}
inline long flag_long(int argc, char** argv, std::string_view name, long fallback) {
  std::string v = flag(argc, argv, name, "");
  return v.empty() ? fallback : std::strtol(v.c_str(), nullptr, 10);
}

// A flat JSON object writer: Json().num("a", 1).str("b", "x").text().
class Json {
 public:
  Json& num(std::string_view key, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return raw(key, buf);
  }
  Json& integer(std::string_view key, long long v) { return raw(key, std::to_string(v)); }
  Json& boolean(std::string_view key, bool v) { return raw(key, v ? "true" : "false"); }
  Json& str(std::string_view key, std::string_view v) {
    std::string q = "\"";
    for (char c : v) {
      if (c == '"' || c == '\\') q += '\\';
      if (static_cast<unsigned char>(c) < 0x20) continue;
      q += c;
    }
    q += '"';
    return raw(key, q);
  }
  Json& stats(std::string_view prefix, const Stats& s) {
    std::string p(prefix);
    integer(p + "count", static_cast<long long>(s.count));
    num(p + "median_us", s.median);
    num(p + "p90_us", s.p90);
    num(p + "p99_us", s.p99);
    num(p + "max_us", s.max);
    num(p + "min_us", s.min);
    return num(p + "mean_us", s.mean);
  }
  // `json` must be a complete JSON value.
  Json& raw(std::string_view key, std::string_view json) {
    if (!body_.empty()) body_ += ", ";
    body_ += '"';
    body_ += key;
    body_ += "\": ";
    body_ += json;
    return *this;
  }
  std::string text() const { return "{" + body_ + "}"; }

 private:
  std::string body_;
};

}  // namespace bench
