// Shared by the MessagePort benchmarks (ports_bench, ports_bench_child,
// ports_socketpair_floor): a clock, percentiles, CPU time, CPU pinning,
// command-line flags and a flat JSON writer.
// Thread safety: plain functions and value types.
#pragma once

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ports_bench {

using Clock = std::chrono::steady_clock;

inline double us_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

struct Stats {
  std::size_t count = 0;
  double median = 0, p90 = 0, p99 = 0, min = 0, max = 0, mean = 0;
};

// Percentiles by nearest rank on the sorted sample.
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

// CPU time (user + system) of this process so far, µs.
inline double cpu_time_us() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto us = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) * 1e6 + static_cast<double>(tv.tv_usec);
  };
  return us(ru.ru_utime) + us(ru.ru_stime);
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

// A flat JSON object: Json().num("a", 1).str("b", "x").text().
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
    num(p + "min_us", s.min);
    num(p + "max_us", s.max);
    return num(p + "mean_us", s.mean);
  }
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

}  // namespace ports_bench
