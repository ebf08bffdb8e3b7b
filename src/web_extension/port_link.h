// PortLink: a MessagePort's socket in the web process. The preload runtime
// relays it to a WebKit MessageChannel, so pages use real MessagePorts while
// their messages go straight to the port's other end, wherever it is (no hop
// through main). Frames on it are kPortMessage (ipc/common/protocol.h).
//
// Thread safety: loop-affine (the web process's main thread).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "transport/channel.h"
#include "valence/base/result.h"
#include "valence/base/unique_function.h"

namespace valence::web {

class PortLink final : public transport::Channel::Delegate {
 public:
  // message(body) for each message (the V8 body [message, [records]]);
  // closed(reason) once, when the other end closed or broke the protocol.
  struct Receiver {
    UniqueFunction<void(std::span<const std::uint8_t> body)> message;
    UniqueFunction<void(const std::string& reason)> closed;
  };

  PortLink(EventLoop& loop, UniqueFd socket);
  ~PortLink();

  // Bytes the previous owner had read but not delivered, and had queued but
  // not written (the transfer record), then starts reading.
  void start(std::span<const std::uint8_t> prefix, std::span<const std::uint8_t> unsent,
             Receiver receiver);
  Result<void> send(std::span<const std::uint8_t> body);
  // Writes what is queued, closes the socket, then calls `closed` (at once
  // when nothing is queued). The owner keeps the link alive until then and
  // frees it from the loop (PageState::close_port).
  void close(UniqueFunction<void()> closed);
  // The socket, for sending this port on to another process.
  UniqueFd release();

  void on_frame(transport::Frame frame) override;
  void on_channel_error(transport::ChannelError error, const std::string& detail) override;

 private:
  transport::Channel channel_;
  Receiver receiver_;
  bool closed_ = false;
};

}  // namespace valence::web
