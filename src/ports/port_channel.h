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
  void on_frame(transport::Frame frame) override;
  void on_channel_error(transport::ChannelError error, const std::string& detail) override;

 private:
  MessagePort& port_;
  transport::Channel channel_;
};

}  // namespace valence::ports
