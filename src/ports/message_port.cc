#include "valence/message_port.h"

#include <cstdio>

#include "base/random.h"
#include "ipc/common/message.h"
#include "ports/port_channel.h"
#include "ports/transfer.h"
#include "transport/socket_posix.h"

namespace valence {

std::shared_ptr<MessagePort> MessagePort::adopt(EventLoop& loop, UniqueFd socket) {
  return std::shared_ptr<MessagePort>(new MessagePort(loop, std::move(socket)));
}

MessagePort::MessagePort(EventLoop& loop, UniqueFd socket)
    : loop_(loop), channel_(std::make_unique<ports::PortChannel>(*this, loop, std::move(socket))) {}

MessagePort::~MessagePort() {
  // Messages posted just before the last reference went away still go out.
  if (channel_) ports::PortChannel::linger(std::move(channel_));
}

Result<MessageChannelMain> MessageChannelMain::create(EventLoop& loop) {
  auto pair = transport::make_socket_pair();
  if (!pair) return Unexpected{pair.error()};
  MessageChannelMain c;
  c.port1 = MessagePort::adopt(loop, std::move(pair->first));
  c.port2 = MessagePort::adopt(loop, std::move(pair->second));
  c.port1->partner_ = c.port2;
  c.port2->partner_ = c.port1;
  c.port1->entangle_id_ = c.port2->entangle_id_ = random_hex_id();
  return c;
}

Result<void> MessagePort::post_message(Value message,
                                       std::vector<std::shared_ptr<MessagePort>> transfer) {
  if (transferred_) return make_error(ErrorCode::kDisconnected, "the port was transferred");
  if (closed_ || !channel_) return make_error(ErrorCode::kDisconnected, "the port is closed");
  auto packed = ports::pack(this, std::move(message), transfer);
  if (!packed) return Unexpected{packed.error()};
  ipc::Message m;
  m.kind = ipc::MessageKind::kPortMessage;
  m.body = std::move(packed->body);
  auto payload = ipc::encode_message(m);
  if (!payload) return Unexpected{payload.error()};
  auto sent = channel_->channel().send(static_cast<std::uint8_t>(m.kind),
                                       std::move(payload).value(), std::move(packed->fds));
  if (!sent && sent.error().code == ErrorCode::kDisconnected)
    return make_error(ErrorCode::kDisconnected, "the port's other end is gone");
  if (!sent)
    return make_error(sent.error().code, "MessagePort.postMessage: " + sent.error().message);
  return {};
}

void MessagePort::start() {
  if (started_ || closed_ || !channel_) return;
  started_ = true;
  channel_->channel().start();
  // Bytes that came with the port (Handoff::resume) wait in the parser.
  std::weak_ptr<MessagePort> self = weak_from_this();
  loop_.post([self] {
    if (auto p = self.lock(); p && !p->closed_ && p->channel_) p->channel_->channel().drain();
  });
}

void MessagePort::close() {
  if (closed_) return;
  closed_ = true;
  message_listeners_.clear();
  close_listeners_.clear();
  // Messages posted before close() still go out; then the socket closes.
  if (channel_) ports::PortChannel::linger(std::move(channel_));
}

void MessagePort::on_message(UniqueFunction<void(MessageEvent&)> listener) {
  message_listeners_.push_back(std::make_shared<MessageListener>(std::move(listener)));
}

void MessagePort::on_close(UniqueFunction<void()> listener) {
  close_listeners_.push_back(std::make_shared<CloseListener>(std::move(listener)));
}

void MessagePort::deliver(MessageEvent event) {
  auto self = shared_from_this();  // a listener may drop the last reference
  auto listeners = message_listeners_;
  for (auto& l : listeners) {
    if (closed_) break;
    (*l)(event);
  }
}

void MessagePort::peer_closed(const std::string& problem) {
  if (close_reported_ || transferred_) return;
  close_reported_ = true;
  auto self = shared_from_this();
  closed_ = true;
  if (channel_) channel_->channel().close();
  if (!problem.empty()) std::fprintf(stderr, "valence: MessagePort closed: %s\n", problem.c_str());
  auto listeners = std::move(close_listeners_);
  close_listeners_.clear();
  message_listeners_.clear();
  for (auto& l : listeners) (*l)();
}

}  // namespace valence
