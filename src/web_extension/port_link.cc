#include "web_extension/port_link.h"

#include "ipc/common/message.h"
#include "transport/handoff.h"
#include "transport/linger.h"

namespace valence::web {

PortLink::PortLink(EventLoop& loop, UniqueFd socket) : channel_(loop, std::move(socket), *this) {}

PortLink::~PortLink() {
  channel_.close();
}

void PortLink::start(std::span<const std::uint8_t> prefix, std::span<const std::uint8_t> unsent,
                     Receiver receiver) {
  receiver_ = std::move(receiver);
  transport::Handoff::resume(channel_, prefix, unsent);
  channel_.start();
}

Result<void> PortLink::send(std::span<const std::uint8_t> body) {
  if (closed_) return make_error(ErrorCode::kDisconnected, "the port is closed");
  // A port message has no request id, channel or status (protocol.h).
  return channel_.send(static_cast<std::uint8_t>(ipc::MessageKind::kPortMessage),
                       ipc::encode_raw(0, {}, ipc::ReplyStatus::kOk, body));
}

void PortLink::close(UniqueFunction<void()> closed) {
  if (closed_) {
    closed();
    return;
  }
  closed_ = true;
  transport::close_when_flushed(channel_, std::move(closed));
}

UniqueFd PortLink::release() {
  closed_ = true;
  return transport::Handoff::release_socket(channel_);
}

void PortLink::on_frame(transport::Frame frame) {
  auto fail = [this](const std::string& reason) {
    channel_.close();
    closed_ = true;
    if (receiver_.closed) receiver_.closed(reason);
  };
  if (frame.kind != static_cast<std::uint8_t>(ipc::MessageKind::kPortMessage))
    return fail("a frame of kind " + std::to_string(frame.kind) + " on a port");
  if (!frame.fds.empty()) return fail("ports sent over a port are not supported in pages yet");
  auto header = ipc::parse_header(frame.kind, frame.payload.span());
  if (!header || header->request_id != 0 || !header->channel.empty())
    return fail("a malformed port message");
  if (receiver_.message) receiver_.message(frame.payload.span().subspan(header->body_offset));
}

void PortLink::on_channel_error(transport::ChannelError error, const std::string& detail) {
  closed_ = true;
  if (receiver_.closed)
    receiver_.closed(error == transport::ChannelError::kDisconnected
                         ? std::string("closed")
                         : std::string(transport::channel_error_name(error)) + ": " + detail);
}

}  // namespace valence::web
