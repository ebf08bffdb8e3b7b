// PortChannel: a MessagePort's connection (its socket as a transport
// Channel), turning kPortMessage frames into MessageEvents.
// Thread safety: loop-affine.
#pragma once

#include <memory>
#include <string>

#include "transport/channel.h"
#include "valence/message_port.h"

namespace valence::ports {

class PortChannel final : public transport::Channel::Delegate {
 public:
  PortChannel(MessagePort& port, EventLoop& loop, UniqueFd socket);
  transport::Channel& channel() noexcept { return channel_; }
  // The port is gone (closed or destroyed): write what it queued, close the
  // socket, then delete this. Takes ownership of itself.
  static void linger(std::unique_ptr<PortChannel> self);
  void on_frame(transport::Frame frame) override;
  void on_channel_error(transport::ChannelError error, const std::string& detail) override;

 private:
  MessagePort* port_;  // null while lingering
  EventLoop& loop_;
  transport::Channel channel_;
};

}  // namespace valence::ports
