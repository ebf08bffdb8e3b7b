// Shared by the MessagePort tests (in-process and multiprocess): a loop
// driver with a deadline, descriptor and RSS counts from /proc, byte
// patterns, and raw frames written straight onto a socket.
// Thread safety: plain functions.
#pragma once

#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "ipc/common/message.h"
#include "transport/frame.h"
#include "valence/event_loop.h"
#include "valence/value.h"

namespace valence::ports_test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Runs the loop until `done` or the timeout; false on timeout.
inline bool run_until(EventLoop& loop, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = 30s) {
  auto deadline = Clock::now() + timeout;
  while (!done()) {
    auto now = Clock::now();
    if (now >= deadline) return false;
    loop.run_once(std::min<Clock::duration>(deadline - now, 20ms));
  }
  return true;
}

// Runs whatever is ready for a while (to show that nothing more happens).
inline void run_for(EventLoop& loop, std::chrono::milliseconds how_long = 150ms) {
  auto until = Clock::now() + how_long;
  while (Clock::now() < until) loop.run_once(5ms);
}

inline int count_open_fds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return -1;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n - 1;  // the directory stream itself
}

// Resident set size (/proc/self/statm), KiB.
inline long rss_kib() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long size = 0, resident = 0;
  int n = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  if (n != 2) return -1;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

// A reproducible byte pattern.
inline std::vector<std::uint8_t> pattern(std::uint32_t seed, std::size_t size) {
  std::vector<std::uint8_t> out(size);
  std::uint32_t x = seed * 2654435761u + 7u;
  for (auto& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  return out;
}

inline Value array_buffer_of(const std::vector<std::uint8_t>& bytes) {
  return Value(ArrayBuffer(Bytes(bytes.data(), bytes.size())));
}

inline bool same_bytes(const Value& v, const std::vector<std::uint8_t>& bytes) {
  if (!v.is_array_buffer()) return false;
  auto span = v.get_array_buffer().bytes().span();
  return span.size() == bytes.size() && std::equal(span.begin(), span.end(), bytes.begin());
}

// A whole frame (header + payload) of protocol message `m`; n_fds declared
// in the header (the descriptors themselves travel separately).
inline std::vector<std::uint8_t> raw_frame(const ipc::Message& m, std::uint16_t n_fds = 0) {
  auto payload = ipc::encode_message(m);
  if (!payload) {
    std::fprintf(stderr, "raw_frame: %s\n", payload.error().message.c_str());
    std::abort();
  }
  std::vector<std::uint8_t> out(transport::kFrameHeaderSize);
  transport::write_frame_header(out.data(), static_cast<std::uint32_t>(payload->size()),
                                static_cast<std::uint8_t>(m.kind), n_fds);
  out.insert(out.end(), payload->data(), payload->data() + payload->size());
  return out;
}

// The body of kPostMessage / kPortMessage: [message, [[prefix, unsent, entangle id]...]].
inline Value post_body(Value message, std::size_t n_ports) {
  Value body = Value::array({});
  body.get_array().push_back(std::move(message));
  Value records = Value::array({});
  for (std::size_t i = 0; i < n_ports; ++i)
    records.get_array().push_back(
        Value::array({Value(ArrayBuffer(Bytes())), Value(ArrayBuffer(Bytes())), Value("")}));
  body.get_array().push_back(std::move(records));
  return body;
}

// Writes every byte to socket `fd` without ever blocking in send (the socket
// may be in blocking mode), polling while it is full. With a loop, runs it
// between attempts (the reader may be in this process). False when the
// deadline passed or the write failed.
inline bool write_all(int fd, std::span<const std::uint8_t> bytes, EventLoop* loop = nullptr,
                      std::chrono::milliseconds timeout = 30s) {
  auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    if (Clock::now() > deadline) return false;
    if (loop) {
      loop->run_once(1ms);
    } else {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 100);
    }
  }
  return true;
}

}  // namespace valence::ports_test
