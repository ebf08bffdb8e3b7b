#include "support/frames.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace valence::test {

using namespace std::chrono_literals;

std::vector<std::uint8_t> frame(std::uint8_t kind, const std::vector<std::uint8_t>& payload,
                                std::uint16_t n_fds, std::uint8_t version) {
  std::vector<std::uint8_t> out(transport::kFrameHeaderSize);
  transport::write_frame_header(out.data(), static_cast<std::uint32_t>(payload.size()), kind,
                                n_fds);
  out[5] = version;
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<std::uint8_t> message_frame(const ipc::Message& m, std::uint16_t n_fds) {
  auto payload = ipc::encode_message(m);
  if (!payload) {
    std::fprintf(stderr, "message_frame: %s\n", payload.error().message.c_str());
    std::abort();
  }
  return frame(static_cast<std::uint8_t>(m.kind),
               std::vector<std::uint8_t>(payload->data(), payload->data() + payload->size()),
               n_fds);
}

std::vector<std::uint8_t> message_frame(std::uint8_t kind, std::uint64_t request_id,
                                        const std::string& channel, Value body) {
  ipc::Message m;
  m.kind = static_cast<ipc::MessageKind>(kind);
  m.request_id = request_id;
  m.channel = channel;
  m.body = std::move(body);
  return message_frame(m);
}

std::vector<std::uint8_t> hello_frame(const std::string& token) {
  return message_frame(static_cast<std::uint8_t>(ipc::MessageKind::kHello), 0, token,
                       Value::object({{"pid", static_cast<int>(::getpid())}}));
}

std::vector<std::uint8_t> page_hello_frame(const std::string& token, const std::string& nonce) {
  return message_frame(static_cast<std::uint8_t>(ipc::MessageKind::kHello), 0, token,
                       Value::object({{"nonce", nonce}}));
}

bool write_all(int fd, std::span<const std::uint8_t> bytes, EventLoop* loop,
               std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, bytes.data(), bytes.size());
    if (n > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
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

}  // namespace valence::test
