// The only file that makes socket syscalls: AF_UNIX stream sockets with
// SCM_RIGHTS descriptor passing. Retries EINTR, never raises SIGPIPE
// (MSG_NOSIGNAL), receives descriptors close-on-exec, and owns every received
// descriptor from the moment it arrives (excess ones are closed).
// Thread safety: free functions; the fds are the caller's.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "valence/base/result.h"
#include "valence/base/unique_fd.h"

namespace valence::transport {

// Most descriptors one frame may carry (Mojo uses 128; ports rarely need many).
inline constexpr std::size_t kMaxFdsPerFrame = 64;

// A connected pair, SOCK_STREAM | SOCK_CLOEXEC, both ends non-blocking.
Result<std::pair<UniqueFd, UniqueFd>> make_socket_pair();
// Sets or clears O_NONBLOCK.
Result<void> set_nonblocking(int fd, bool nonblocking);

struct SendResult {
  std::size_t bytes = 0;     // written (0 with would_block)
  bool would_block = false;  // the socket buffer is full
};
// Sockets stay in blocking mode (O_NONBLOCK is shared by every process that
// holds a descriptor of the socket, and ports travel between processes);
// each call says whether it may block: send_some never does, recv_some only
// when asked.

// One sendmsg of `iov`; `fds` ride with the first byte. Errors: kDisconnected
// (EPIPE, ECONNRESET), kFailed (others).
Result<SendResult> send_some(int fd, std::span<const iovec> iov, std::span<const int> fds);

struct RecvResult {
  std::size_t bytes = 0;
  bool eof = false;
  bool would_block = false;
  bool fds_truncated = false;  // more descriptors arrived than allowed (they were closed)
};
// One recvmsg into buf; received descriptors are appended to `fds`. With
// `block`, waits for data (unless the socket was made non-blocking).
Result<RecvResult> recv_some(int fd, std::uint8_t* buf, std::size_t len, std::vector<UniqueFd>& fds,
                             bool block = false);

// Waits until fd is readable/writable or the timeout (ms, -1 = forever)
// passes; returns false on timeout.
Result<bool> wait_fd(int fd, bool for_write, int timeout_ms);

// True when fd is a connected AF_UNIX SOCK_STREAM socket (what a received
// MessagePort must be).
bool is_connected_unix_stream(int fd);

// A listening AF_UNIX stream socket bound to `path` (which must not exist),
// close-on-exec; accept_connection() never blocks.
Result<UniqueFd> listen_unix(const std::string& path);
// The next pending connection (close-on-exec, blocking mode like every
// socket here); an invalid fd when none is pending. Errors: kOverloaded when
// the process or system is out of descriptors or memory (EMFILE, ENFILE,
// ENOBUFS, ENOMEM), kFailed otherwise.
Result<UniqueFd> accept_connection(int listener);
// Connects to the socket at `path`. Errors: kDisconnected (nobody listens), kFailed.
Result<UniqueFd> connect_unix(const std::string& path);

// SO_PEERCRED of a connected socket.
struct PeerCredentials {
  int pid = 0;
  unsigned uid = 0;
  unsigned gid = 0;
};
Result<PeerCredentials> peer_credentials(int fd);

}  // namespace valence::transport
