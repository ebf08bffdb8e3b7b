#include "web_extension/port_link.h"

#include "ipc/common/protocol.h"
#include "valence/codec.h"

namespace valence::web {

PortLink::PortLink(EventLoop& loop, UniqueFd socket) : channel_(loop, std::move(socket), *this) {}

PortLink::~PortLink() {
  channel_.close();
}

void PortLink::start(std::span<const std::uint8_t> prefix, std::span<const std::uint8_t> unsent,
                     Receiver receiver) {
  receiver_ = std::move(receiver);
  if (!prefix.empty()) channel_.inject(prefix);
  if (!unsent.empty()) {
    transport::Buffer raw(unsent.size());
    std::copy(unsent.begin(), unsent.end(), raw.data());
    channel_.send_raw(std::move(raw));
  }
  channel_.start();
}

Result<void> PortLink::send(std::span<const std::uint8_t> body) {
  std::vector<std::uint8_t> out;
  out.reserve(3 + body.size());
  codec::write_varint(out, 0);  // request id
  codec::write_varint(out, 0);  // channel: none on a port
  out.push_back(static_cast<std::uint8_t>(ipc::ReplyStatus::kOk));
  out.insert(out.end(), body.begin(), body.end());
  if (closed_) return make_error(ErrorCode::kDisconnected, "the port is closed");
  return channel_.send(static_cast<std::uint8_t>(ipc::MessageKind::kPortMessage),
                       transport::Buffer::adopt(std::move(out)));
}

void PortLink::close() {
  if (closed_) return;
  closed_ = true;
  channel_.close_when_flushed([] {});
}

UniqueFd PortLink::release() {
  closed_ = true;
  return channel_.release_socket();
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
  codec::ByteReader in(frame.payload.span());
  std::uint64_t id = 0, channel_size = 0;
  std::uint8_t status = 0;
  if (!in.read_varint64(id) || !in.read_varint64(channel_size) || channel_size != 0 ||
      !in.read_byte(status))
    return fail("a malformed port message");
  if (receiver_.message) receiver_.message(frame.payload.span().subspan(in.position()));
}

void PortLink::on_channel_error(transport::ChannelError error, const std::string& detail) {
  closed_ = true;
  if (receiver_.closed)
    receiver_.closed(error == transport::ChannelError::kDisconnected
                         ? std::string("closed")
                         : std::string(transport::channel_error_name(error)) + ": " + detail);
}

}  // namespace valence::web
