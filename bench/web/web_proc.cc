// What web_bench and web_bench_bare read from /proc (web_proc.h).
#include "web_proc.h"

#include <dirent.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"

namespace webbench {

double now_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

namespace {

std::vector<int> numeric_entries(const std::string& dir) {
  std::vector<int> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long v = std::strtol(e->d_name, &end, 10);
    if (end && *end == '\0' && v > 0) out.push_back(static_cast<int>(v));
  }
  ::closedir(d);
  return out;
}

int parent_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');  // the name may contain spaces and parentheses
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 1));
  std::string state;
  int ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

std::string cmdline0(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::string first;
  std::getline(in, first, '\0');
  return first;
}

}  // namespace

// Descendants of `root` whose argv[0] contains `needle` (WebKitWebProcess,
// WebKitNetworkProcess; under WebKit's sandbox they are grandchildren of
// bwrap processes, themselves descendants of `root`).
std::vector<int> descendants_named(int root, const std::string& needle) {
  std::map<int, int> parent;
  for (int pid : numeric_entries("/proc")) parent[pid] = parent_of(pid);
  std::vector<int> out;
  for (const auto& [pid, ppid] : parent) {
    bool below = false;
    for (int p = ppid, hops = 0; p > 1 && hops < 64; ++hops) {
      if (p == root) {
        below = true;
        break;
      }
      auto it = parent.find(p);
      if (it == parent.end()) break;
      p = it->second;
    }
    if (below && cmdline0(pid).find(needle) != std::string::npos) out.push_back(pid);
  }
  return out;
}

ProcMemory proc_memory(int pid) {
  ProcMemory m;
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  if (!in) return m;
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    long v = std::strtol(line.c_str() + colon + 1, nullptr, 10);
    if (key == "Rss")
      m.rss_kib = v;
    else if (key == "Pss")
      m.pss_kib = v;
    else if (key == "Private_Clean" || key == "Private_Dirty")
      m.uss_kib += v;
    else if (key == "Swap")
      m.swap_kib = v;
  }
  m.ok = m.rss_kib > 0;
  return m;
}

// Moves every thread of `pid` to `cpu`. Returns how many threads moved, or
// -1 when one could not be moved (the error is printed).
int pin_process(int pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<std::size_t>(cpu), &set);
  int moved = 0;
  for (int tid : numeric_entries("/proc/" + std::to_string(pid) + "/task")) {
    if (::sched_setaffinity(tid, sizeof set, &set) != 0) {
      std::perror(("sched_setaffinity " + std::to_string(tid)).c_str());
      return -1;
    }
    ++moved;
  }
  return moved;
}

// The distinct Cpus_allowed_list values of the threads of `pid`, joined by
// " | " (one value when all threads agree).
std::string thread_cpus(int pid) {
  std::set<std::string> seen;
  for (int tid : numeric_entries("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("Cpus_allowed_list:", 0) == 0) {
        auto v = line.substr(line.find(':') + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        seen.insert(v);
      }
    }
  }
  std::string out;
  for (const auto& s : seen) out += (out.empty() ? "" : " | ") + s;
  return out.empty() ? "?" : out;
}

// CPU time all threads of `pid` have run, in µs (/proc/PID/task/TID/schedstat:
// nanoseconds on a CPU, precise where utime/stime count clock ticks).
double cpu_us(int pid) {
  double ns = 0;
  for (int tid : numeric_entries("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) +
                     "/schedstat");
    double v = 0;
    if (in >> v) ns += v;
  }
  return ns / 1000;
}

int thread_count(int pid) {
  return static_cast<int>(numeric_entries("/proc/" + std::to_string(pid) + "/task").size());
}

std::string memory_snapshot() {
  bench::Json j;
  j.integer("main_rss_kib", bench::rss_kib());
  std::string list = "[";
  long pss = 0, rss = 0, uss = 0;
  auto webs = descendants_named(::getpid(), "WebKitWebProcess");
  for (std::size_t i = 0; i < webs.size(); ++i) {
    auto m = proc_memory(webs[i]);
    pss += m.pss_kib;
    rss += m.rss_kib;
    uss += m.uss_kib;
    bench::Json p;
    p.integer("pid", webs[i])
        .integer("pss_kib", m.pss_kib)
        .integer("rss_kib", m.rss_kib)
        .integer("uss_kib", m.uss_kib)
        .integer("swap_kib", m.swap_kib);
    list += (i ? ", " : "") + p.text();
  }
  j.integer("web_count", static_cast<long long>(webs.size()))
      .integer("web_pss_kib", pss)
      .integer("web_rss_kib", rss)
      .integer("web_uss_kib", uss)
      .raw("web", list + "]");
  long net_pss = 0, net_rss = 0;
  for (int pid : descendants_named(::getpid(), "WebKitNetworkProcess")) {
    auto m = proc_memory(pid);
    net_pss += m.pss_kib;
    net_rss += m.rss_kib;
  }
  j.integer("network_pss_kib", net_pss).integer("network_rss_kib", net_rss);
  return j.text();
}

}  // namespace webbench
