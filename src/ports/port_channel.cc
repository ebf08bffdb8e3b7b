#include "ports/port_channel.h"

#include "ipc/common/message.h"
#include "ports/transfer.h"
#include "transport/linger.h"

namespace valence::ports {

PortChannel::PortChannel(MessagePort& port, EventLoop& loop, UniqueFd socket)
    : port_(&port), loop_(loop), channel_(loop, std::move(socket), *this) {}

void PortChannel::linger(std::unique_ptr<PortChannel> self) {
  PortChannel* p = self.get();
  p->port_ = nullptr;
  // The loop owns it until its last messages are out (or the loop ends).
  EventLoop& loop = p->loop_;
  EventLoop::KeepToken token = loop.keep(std::shared_ptr<PortChannel>(std::move(self)));
  transport::close_when_flushed(p->channel_, [&loop, token] {
    // Released from the loop: the channel may still be on the stack.
    loop.post([&loop, token] { loop.release(token); });
  });
}

void PortChannel::on_frame(transport::Frame frame) {
  if (!port_) return;  // lingering: nothing is read
  auto m = ipc::decode_message(frame.kind, frame.payload.span());
  if (!m) {
    port_->peer_closed("bad message on the port: " + m.error().message);
    return;
  }
  if (m->kind != ipc::MessageKind::kPortMessage) {
    port_->peer_closed(std::string("unexpected ") + ipc::message_kind_name(m->kind) + " on a port");
    return;
  }
  auto unpacked = unpack(port_->loop(), std::move(m->body), std::move(frame.fds));
  if (!unpacked) {
    port_->peer_closed("bad message on the port: " + unpacked.error().message);
    return;
  }
  MessageEvent event{std::move(unpacked->data), std::move(unpacked->ports)};
  port_->deliver(std::move(event));
}

void PortChannel::on_channel_error(transport::ChannelError error, const std::string& detail) {
  if (!port_) return;  // lingering: close_when_flushed's callback cleans up
  if (error == transport::ChannelError::kDisconnected) {
    port_->peer_closed();
    return;
  }
  port_->peer_closed(std::string(transport::channel_error_name(error)) + ": " + detail);
}

}  // namespace valence::ports
