#include "transport/socket_posix.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace valence::transport {
namespace {

Unexpected errno_error(const std::string& what, int err) {
  ErrorCode code = (err == EPIPE || err == ECONNRESET || err == ENOTCONN) ? ErrorCode::kDisconnected
                                                                          : ErrorCode::kFailed;
  return make_error(code, what + ": " + std::strerror(err));
}

}  // namespace

Result<std::pair<UniqueFd, UniqueFd>> make_socket_pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0)
    return errno_error("socketpair", errno);
  return std::make_pair(UniqueFd(sv[0]), UniqueFd(sv[1]));
}

namespace {

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path))
    return make_error(ErrorCode::kFailed,
                      "socket path of " + std::to_string(path.size()) + " bytes (limit " +
                          std::to_string(sizeof(addr.sun_path) - 1) + "): " + path);
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

}  // namespace

Result<UniqueFd> listen_unix(const std::string& path) {
  auto addr = unix_address(path);
  if (!addr) return Unexpected{addr.error()};
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return errno_error("socket", errno);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0)
    return errno_error("bind " + path, errno);
  if (::listen(fd.get(), 64) != 0) return errno_error("listen " + path, errno);
  return fd;
}

Result<UniqueFd> accept_connection(int listener) {
  for (;;) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) return UniqueFd(fd);
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return UniqueFd();
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
      return make_error(ErrorCode::kOverloaded, std::string("accept: ") + std::strerror(errno));
    return errno_error("accept", errno);
  }
}

Result<UniqueFd> connect_unix(const std::string& path) {
  auto addr = unix_address(path);
  if (!addr) return Unexpected{addr.error()};
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error("socket", errno);
  while (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
    if (errno == EINTR) continue;
    if (errno == ECONNREFUSED || errno == ENOENT)
      return make_error(ErrorCode::kDisconnected, "connect " + path + ": " + std::strerror(errno));
    return errno_error("connect " + path, errno);
  }
  return fd;
}

Result<void> set_nonblocking(int fd, bool nonblocking) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return errno_error("fcntl(F_GETFL)", errno);
  int wanted = nonblocking ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (wanted != flags && ::fcntl(fd, F_SETFL, wanted) < 0)
    return errno_error("fcntl(F_SETFL)", errno);
  return {};
}

Result<SendResult> send_some(int fd, std::span<const iovec> iov, std::span<const int> fds) {
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov.data());  // sendmsg does not write through it
  msg.msg_iovlen = iov.size();
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerFrame)];
  if (!fds.empty()) {
    if (fds.size() > kMaxFdsPerFrame)
      return make_error(
          ErrorCode::kOverloaded,
          "a frame may carry at most " + std::to_string(kMaxFdsPerFrame) + " descriptors");
    std::size_t bytes = sizeof(int) * fds.size();
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(bytes);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(bytes);
    std::memcpy(CMSG_DATA(c), fds.data(), bytes);
  }
  for (;;) {
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return SendResult{static_cast<std::size_t>(n), false};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return SendResult{0, true};
    return errno_error("sendmsg", errno);
  }
}

Result<RecvResult> recv_some(int fd, std::uint8_t* buf, std::size_t len, std::vector<UniqueFd>& fds,
                             bool block) {
  iovec iov{buf, len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerFrame)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  for (;;) {
    n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | (block ? 0 : MSG_DONTWAIT));
    if (n >= 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return RecvResult{0, false, true, false};
    return errno_error("recvmsg", errno);
  }
  RecvResult r;
  r.bytes = static_cast<std::size_t>(n);
  r.eof = n == 0;
  // Take ownership of every descriptor that arrived before looking at anything else.
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int received;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      fds.emplace_back(received);
    }
  }
  // The kernel drops descriptors that did not fit; the frame is then broken.
  r.fds_truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
  return r;
}

Result<bool> wait_fd(int fd, bool for_write, int timeout_ms) {
  pollfd p{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return errno_error("poll", errno);
  }
}

bool is_connected_unix_stream(int fd) {
  int domain = 0, type = 0, listening = 0;
  socklen_t len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX)
    return false;
  len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) return false;
  len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening) return false;
  sockaddr_un peer{};
  socklen_t peer_len = sizeof peer;
  return ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0;
}

Result<PeerCredentials> peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return errno_error("getsockopt(SO_PEERCRED)", errno);
  return PeerCredentials{cred.pid, cred.uid, cred.gid};
}

}  // namespace valence::transport
