// What web_bench and web_bench_bare read from /proc (web_proc.cc): the
// WebKit processes a program started (its descendants, by executable name),
// their memory (smaps_rollup) and CPU affinity, moving a process with all its
// threads to one CPU, and the memory snapshot both benchmarks report.
// Thread safety: plain functions.
#pragma once

#include <string>
#include <vector>

namespace webbench {

struct ProcMemory {
  bool ok = false;
  long rss_kib = 0;
  long pss_kib = 0;
  long uss_kib = 0;  // Private_Clean + Private_Dirty
  long swap_kib = 0;
};

// CLOCK_MONOTONIC, µs.
double now_us();
// Descendants of `root` whose argv[0] contains `needle`.
std::vector<int> descendants_named(int root, const std::string& needle);
ProcMemory proc_memory(int pid);
// Moves every thread of `pid` to `cpu`: how many moved, or -1.
int pin_process(int pid, int cpu);
// The distinct Cpus_allowed_list values of the threads of `pid`.
std::string thread_cpus(int pid);
int thread_count(int pid);
// CPU time all threads of `pid` have run, µs.
double cpu_us(int pid);

// A JSON object: this process's RSS, each WebKitWebProcess's memory and
// their sums, and the WebKitNetworkProcess's.
std::string memory_snapshot();

}  // namespace webbench
