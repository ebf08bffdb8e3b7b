// libFuzzer target: the message layer after framing, as main and renderers
// run it on every frame a peer sends: decode_message (header + V8 body),
// then by kind take_args (send / invoke / sendSync arguments, each a tree of
// its own) or ports::unpack (a posted message's port records against the
// frame's descriptors, adopting the ports on a real loop), then the ports
// are started and pumped once so whatever the records injected (bytes
// "already read" from the port's socket) goes through a port's parser too.
//
// Input: byte 0 = the frame's kind, byte 1 = how many descriptors came with
// it (low 2 bits) and of what sort (bit 2: sockets, else /dev/null); the
// rest is the payload. A finding is a sanitizer report, a hang, an abort,
// or a descriptor leaked (checked every 256 runs).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dirent.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "ipc/common/message.h"
#include "ports/transfer.h"
#include "valence/event_loop.h"

namespace {

using valence::UniqueFd;

int open_fds() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d)) ++n;
    ::closedir(d);
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<valence::EventLoop> loop = valence::EventLoop::create();
  static int baseline = -1;
  static unsigned runs = 0;
  if (size < 2) return 0;
  std::uint8_t kind = data[0];
  std::size_t n_fds = data[1] & 3;
  bool sockets = (data[1] & 4) != 0;
  std::span<const std::uint8_t> payload(data + 2, size - 2);
  {
    std::vector<UniqueFd> fds;
    std::vector<UniqueFd> peers;  // the other ends, kept until the end of the run
    for (std::size_t i = 0; i < n_fds; ++i) {
      if (sockets) {
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) std::abort();
        fds.emplace_back(sv[0]);
        peers.emplace_back(sv[1]);
      } else {
        fds.emplace_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      }
    }
    auto message = valence::ipc::decode_message(kind, payload);
    if (message) {
      using valence::ipc::MessageKind;
      switch (message->kind) {
        case MessageKind::kMessage:
        case MessageKind::kInvoke:
        case MessageKind::kMessageSync:
        case MessageKind::kRendererMessage: {
          auto args = valence::ipc::take_args(message->body, message->body_has_refs);
          if (args)
            for (const auto& a : *args) (void)a.to_debug_string();
          break;
        }
        case MessageKind::kPostMessage:
        case MessageKind::kPortMessage: {
          auto unpacked = valence::ports::unpack(*loop, std::move(message->body), std::move(fds));
          if (unpacked) {
            for (auto& port : unpacked->ports) {
              port->on_message([](valence::MessageEvent&) {});
              port->start();
            }
            loop->run_once(std::chrono::nanoseconds(0));
            for (auto& port : unpacked->ports) port->close();
            loop->run_once(std::chrono::nanoseconds(0));
          }
          break;
        }
        default: break;
      }
    }
  }
  loop->run_once(std::chrono::nanoseconds(0));
  if (++runs % 256 == 0) {
    int now = open_fds();
    if (baseline < 0) baseline = now;
    if (now > baseline + 16) {
      std::fprintf(stderr, "message_fuzzer: %d descriptors open, %d at the start\n", now, baseline);
      std::abort();
    }
  }
  return 0;
}
