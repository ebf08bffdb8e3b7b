// The raw floor for bench/ipc: two processes (fork) and an AF_UNIX stream
// socketpair with blocking I/O, no framing, no serialization.
//
//   socketpair_floor [--n N] [--warmup W] [--msg-bytes B] [--spin-us S]
//                    [--spin-yield] [--spin-side requester|both] [--no-echo] [--no-stream]
//
//   small  ping-pong of B-byte messages (default 48, about the size of a
//          valence ping frame), N timed round trips, timed in the parent.
//          --spin-us S: the waiting side polls with recv(MSG_DONTWAIT) for up to
//          S µs before the blocking recv (--spin-yield: sched_yield() between
//          polls, so that a peer on the same CPU gets to run; --spin-side:
//          'requester' = only the parent, which sends the pings, or 'both');
//          CPU time per round trip is reported for both sides either way.
//   echo   1 MiB and 8 MiB: the parent writes all bytes, the child reads them
//          all and writes them back, the parent reads them all (4 kernel copies).
//   stream 200,000 one-way 24-byte messages, one send() each (no batching),
//          then a one-byte ack; messages/s in the sender.
//
// $BENCH_CHILD_CPU pins the forked child (sched_setaffinity) as in ipc_bench.
// Prints one JSON object.
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"

namespace {

using bench::Clock;

struct Options {
  std::size_t n = 20000;
  std::size_t warmup = 2000;
  std::size_t msg_bytes = 48;
  long spin_us = 0;
  bool spin_yield = false;
  bool spin_responder = true;  // the child spins too
  bool echo = true;
  bool stream = true;
  std::size_t stream_n = 200000;
  std::size_t stream_bytes = 24;
};

struct EchoSpec {
  std::size_t size, iters, warmup;
};
constexpr EchoSpec kEcho[] = {{std::size_t{1} << 20, 300, 10}, {std::size_t{8} << 20, 60, 5}};

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

// Reads exactly len bytes. With spin > 0, polls with MSG_DONTWAIT until
// `spin` has passed since the call (yielding the CPU between polls when
// `yield`), then blocks.
void read_full(int fd, void* data, std::size_t len, std::chrono::microseconds spin = {},
               bool yield = false) {
  auto* p = static_cast<std::uint8_t*>(data);
  auto deadline = Clock::now() + spin;
  while (len > 0) {
    bool polling = spin.count() > 0 && Clock::now() < deadline;
    ssize_t n = ::recv(fd, p, len, polling ? MSG_DONTWAIT : 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (yield) ::sched_yield();
        continue;
      }
      if (errno == EINTR) continue;
      die("recv");
    }
    if (n == 0) {
      std::fprintf(stderr, "socketpair_floor: peer closed\n");
      std::exit(1);
    }
    p += n;
    len -= static_cast<std::size_t>(n);
  }
}

std::unique_ptr<std::uint8_t[]> touched_buffer(std::size_t size) {
  auto b = std::make_unique<std::uint8_t[]>(size);
  for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::uint8_t>(i * 31 + 7);
  return b;
}

void child_main(int fd, const Options& o) {
  const auto spin = std::chrono::microseconds(o.spin_responder ? o.spin_us : 0);
  std::vector<std::uint8_t> msg(o.msg_bytes);
  double cpu0 = 0;
  for (std::size_t i = 0; i < o.warmup + o.n; ++i) {
    if (i == o.warmup) cpu0 = bench::cpu_time_us();
    read_full(fd, msg.data(), msg.size(), spin, o.spin_yield);
    write_full(fd, msg.data(), msg.size());
  }
  double cpu = bench::cpu_time_us() - cpu0;
  write_full(fd, &cpu, sizeof cpu);
  if (o.echo) {
    auto buf = touched_buffer(kEcho[1].size);
    for (const EchoSpec& e : kEcho) {
      for (std::size_t i = 0; i < e.warmup + e.iters; ++i) {
        read_full(fd, buf.get(), e.size);
        write_full(fd, buf.get(), e.size);
      }
    }
  }
  if (o.stream) {
    std::vector<std::uint8_t> m(o.stream_bytes, 0x5a);
    std::uint8_t ack;
    auto t0 = Clock::now();
    for (std::size_t i = 0; i < o.stream_n; ++i) write_full(fd, m.data(), m.size());
    read_full(fd, &ack, 1);
    double rate = static_cast<double>(o.stream_n) / (bench::us_between(t0, Clock::now()) / 1e6);
    write_full(fd, &rate, sizeof rate);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto number = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "socketpair_floor: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return static_cast<std::size_t>(std::strtoull(argv[++i], nullptr, 10));
    };
    if (a == "--n")
      o.n = number();
    else if (a == "--warmup")
      o.warmup = number();
    else if (a == "--msg-bytes")
      o.msg_bytes = number();
    else if (a == "--spin-us")
      o.spin_us = static_cast<long>(number());
    else if (a == "--spin-yield")
      o.spin_yield = true;
    else if (a == "--spin-side" && i + 1 < argc)
      o.spin_responder = std::string(argv[++i]) != "requester";
    else if (a == "--no-echo")
      o.echo = false;
    else if (a == "--no-stream")
      o.stream = false;
    else {
      std::fprintf(stderr,
                   "usage: socketpair_floor [--n N] [--warmup W] [--msg-bytes B] "
                   "[--spin-us S] [--spin-yield] [--spin-side requester|both] "
                   "[--no-echo] [--no-stream]\n");
      return 2;
    }
  }

  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
  pid_t pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    ::close(sv[0]);
    if (!bench::pin_child_from_env()) ::_exit(1);
    child_main(sv[1], o);
    ::_exit(0);
  }
  ::close(sv[1]);
  int fd = sv[0];
  const auto spin = std::chrono::microseconds(o.spin_us);

  bench::Json out;
  out.str("case", "socketpair_floor").str("main_affinity", bench::affinity_text());

  // small round trips
  std::vector<std::uint8_t> msg(o.msg_bytes, 0x42);
  std::vector<double> lat;
  lat.reserve(o.n);
  double cpu0 = 0;
  Clock::time_point wall0{};
  for (std::size_t i = 0; i < o.warmup + o.n; ++i) {
    if (i == o.warmup) {
      cpu0 = bench::cpu_time_us();
      wall0 = Clock::now();
    }
    auto t0 = Clock::now();
    write_full(fd, msg.data(), msg.size());
    read_full(fd, msg.data(), msg.size(), spin, o.spin_yield);
    if (i >= o.warmup) lat.push_back(bench::us_between(t0, Clock::now()));
  }
  double wall = bench::us_between(wall0, Clock::now());
  double main_cpu = bench::cpu_time_us() - cpu0;
  double child_cpu = 0;
  read_full(fd, &child_cpu, sizeof child_cpu);
  const double n = static_cast<double>(o.n);
  out.integer("msg_bytes", static_cast<long long>(o.msg_bytes))
      .integer("spin_us", o.spin_us)
      .boolean("spin_yield", o.spin_yield)
      .str("spin_side", o.spin_us > 0 ? (o.spin_responder ? "both" : "requester") : "none")
      .stats("small_", bench::compute_stats(lat))
      .num("wall_per_rt_us", wall / n)
      .num("main_cpu_per_rt_us", main_cpu / n)
      .num("child_cpu_per_rt_us", child_cpu / n);

  if (o.echo) {
    auto src = touched_buffer(kEcho[1].size);
    auto back = touched_buffer(kEcho[1].size);
    for (const EchoSpec& e : kEcho) {
      std::vector<double> t;
      for (std::size_t i = 0; i < e.warmup + e.iters; ++i) {
        auto t0 = Clock::now();
        write_full(fd, src.get(), e.size);
        read_full(fd, back.get(), e.size);
        if (i >= e.warmup) t.push_back(bench::us_between(t0, Clock::now()));
      }
      if (std::memcmp(src.get(), back.get(), e.size) != 0) {
        std::fprintf(stderr, "socketpair_floor: echo mismatch\n");
        return 1;
      }
      out.stats("echo_" + std::to_string(e.size) + "_", bench::compute_stats(t));
    }
  }

  if (o.stream) {
    std::vector<std::uint8_t> buf(64 * 1024);
    std::size_t left = o.stream_n * o.stream_bytes;
    while (left > 0) {
      ssize_t got = ::recv(fd, buf.data(), std::min(left, buf.size()), 0);
      if (got <= 0) die("recv");
      left -= static_cast<std::size_t>(got);
    }
    std::uint8_t ack = 1;
    write_full(fd, &ack, 1);
    double rate = 0;
    read_full(fd, &rate, sizeof rate);
    out.num("stream_msgs_per_s", rate)
        .integer("stream_messages", static_cast<long long>(o.stream_n));
  }

  int status = 0;
  ::close(fd);
  ::waitpid(pid, &status, 0);
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  out.boolean("ok", ok);
  std::printf("%s\n", out.text().c_str());
  return ok ? 0 : 1;
}
