// The floor for ports_bench: two processes (fork), an AF_UNIX stream
// socketpair, blocking read/write, no framing, no serialization, no loop.
//
//   ports_socketpair_floor [--n N] [--warmup W] [--bytes B] [--cpu-child C]
//
// The parent sends B bytes (default 32, about a small port message's frame),
// the child reads them all and sends them back; N timed round trips after W
// warm-up, timed in the parent. --cpu-child pins the forked child (the
// parent stays where it was started, e.g. under taskset). Prints one JSON
// object, with CPU time per round trip of both processes.
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench_util.h"

namespace {

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

void write_full(int fd, const void* data, std::size_t len) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (len > 0) {
    ssize_t n = ::send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("send");
    }
    p += n;
    len -= static_cast<std::size_t>(n);
  }
}

void read_full(int fd, void* data, std::size_t len) {
  auto* p = static_cast<std::uint8_t*>(data);
  while (len > 0) {
    ssize_t n = ::recv(fd, p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("recv");
    }
    if (n == 0) {
      std::fprintf(stderr, "floor: peer closed\n");
      std::exit(1);
    }
    p += n;
    len -= static_cast<std::size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto n = static_cast<std::size_t>(bench::flag_long(argc, argv, "--n", 20000));
  const auto warmup = static_cast<std::size_t>(bench::flag_long(argc, argv, "--warmup", 2000));
  const auto bytes = static_cast<std::size_t>(bench::flag_long(argc, argv, "--bytes", 32));
  const int cpu_child = static_cast<int>(bench::flag_long(argc, argv, "--cpu-child", -1));

  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
  pid_t pid = ::fork();
  if (pid < 0) die("fork");
  std::vector<std::uint8_t> buf(bytes, 0x5a);
  if (pid == 0) {
    ::close(sv[0]);
    if (!bench::pin_to_cpu(cpu_child)) ::_exit(2);
    double start = 0;
    for (std::size_t i = 0; i < warmup + n; ++i) {
      if (i == warmup) start = bench::cpu_time_us();
      read_full(sv[1], buf.data(), bytes);
      write_full(sv[1], buf.data(), bytes);
    }
    double per_rt = (bench::cpu_time_us() - start) / static_cast<double>(n);
    write_full(sv[1], &per_rt, sizeof per_rt);
    ::_exit(0);
  }
  ::close(sv[1]);
  std::vector<double> samples;
  samples.reserve(n);
  double start = 0;
  for (std::size_t i = 0; i < warmup + n; ++i) {
    if (i == warmup) start = bench::cpu_time_us();
    auto t0 = bench::Clock::now();
    write_full(sv[0], buf.data(), bytes);
    read_full(sv[0], buf.data(), bytes);
    auto t1 = bench::Clock::now();
    if (i >= warmup) samples.push_back(bench::us_between(t0, t1));
  }
  double parent_cpu = (bench::cpu_time_us() - start) / static_cast<double>(n);
  double child_cpu = -1;
  read_full(sv[0], &child_cpu, sizeof child_cpu);
  int status = 0;
  ::waitpid(pid, &status, 0);
  auto s = bench::compute_stats(samples);
  std::printf("%s\n", bench::Json()
                          .str("case", "floor")
                          .boolean("ok", WIFEXITED(status) && WEXITSTATUS(status) == 0)
                          .integer("bytes", static_cast<long long>(bytes))
                          .stats("", s)
                          .num("a_cpu_per_rt_us", parent_cpu)
                          .num("b_cpu_per_rt_us", child_cpu)
                          .str("main_affinity", bench::affinity_text())
                          .integer("cpu_child", cpu_child)
                          .text()
                          .c_str());
  return 0;
}
