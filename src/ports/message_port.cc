#include "valence/message_port.h"

#include <cstdio>

#include "ipc/common/message.h"
#include "ports/port_channel.h"
#include "ports/transfer.h"
#include "transport/socket_posix.h"

namespace valence {
namespace {
// How long a port's queued outgoing messages may take to leave before it is
// transferred (they must go first, on the port's own socket).
constexpr int kTransferFlushMs = 1000;
}  // namespace

std::shared_ptr<MessagePort> MessagePort::adopt(EventLoop& loop, UniqueFd socket) {
  return std::shared_ptr<MessagePort>(new MessagePort(loop, std::move(socket)));
}

MessagePort::MessagePort(EventLoop& loop, UniqueFd socket)
    : loop_(loop), channel_(std::make_unique<ports::PortChannel>(*this, loop, std::move(socket))) {}

MessagePort::~MessagePort() = default;

Result<MessageChannelMain> MessageChannelMain::create(EventLoop& loop) {
  auto pair = transport::make_socket_pair();
  if (!pair) return Unexpected{pair.error()};
  MessageChannelMain c;
  c.port1 = MessagePort::adopt(loop, std::move(pair->first));
  c.port2 = MessagePort::adopt(loop, std::move(pair->second));
  c.port1->set_partner(c.port2);
  c.port2->set_partner(c.port1);
  return c;
}

Result<void> MessagePort::check_transfer(
    const MessagePort* source, const std::vector<std::shared_ptr<MessagePort>>& transfer) {
  auto clone_error = [](std::size_t i, const std::string& what) {
    return make_error(ErrorCode::kCloneError,
                      "DataCloneError: Port at index " + std::to_string(i) + " " + what + ".");
  };
  for (std::size_t i = 0; i < transfer.size(); ++i) {
    const MessagePort* p = transfer[i].get();
    if (!p) return clone_error(i, "is not a MessagePort");
    for (std::size_t j = 0; j < i; ++j)
      if (transfer[j].get() == p) return clone_error(i, "is a duplicate of an earlier port");
    if (p == source) return clone_error(i, "contains the source port");
    if (source && source->partner_.lock().get() == p)
      return clone_error(i, "is the source port's own partner");
    if (p->transferred_) return clone_error(i, "is already neutered");
    if (p->closed_) return clone_error(i, "is closed");
  }
  return {};
}

Result<void> MessagePort::prepare_transfer(MessagePort& port) {
  auto& channel = port.channel_->channel();
  if (channel.queued_bytes() > 0) VALENCE_RETURN_IF_ERROR(channel.flush_blocking(kTransferFlushMs));
  if (!channel.can_take_unparsed())
    return make_error(ErrorCode::kOverloaded, "a message carrying ports is arriving on it");
  return {};
}

MessagePort::TransferState MessagePort::take_for_transfer(MessagePort& port) {
  TransferState state;
  auto& channel = port.channel_->channel();
  auto prefix = channel.take_unparsed();
  if (prefix) state.prefix.assign(prefix->data(), prefix->data() + prefix->size());
  state.socket = channel.release_socket();
  port.transferred_ = true;
  port.closed_ = true;
  port.message_listeners_.clear();
  port.close_listeners_.clear();
  return state;
}

void MessagePort::inject_prefix(MessagePort& port, std::span<const std::uint8_t> bytes) {
  if (!bytes.empty()) port.channel_->channel().inject(bytes);
}

Result<void> MessagePort::post_message(Value message,
                                       std::vector<std::shared_ptr<MessagePort>> transfer) {
  if (transferred_) return make_error(ErrorCode::kDisconnected, "the port was transferred");
  if (closed_) return make_error(ErrorCode::kDisconnected, "the port is closed");
  auto packed = ports::pack(this, std::move(message), transfer);
  if (!packed) return Unexpected{packed.error()};
  ipc::Message m;
  m.kind = ipc::MessageKind::kPortMessage;
  m.body = std::move(packed->body);
  auto payload = ipc::encode_message(m);
  if (!payload) return Unexpected{payload.error()};
  if (!channel_->channel().send(static_cast<std::uint8_t>(m.kind), std::move(payload).value(),
                                std::move(packed->fds)))
    return make_error(ErrorCode::kDisconnected, "the port's other end is gone");
  return {};
}

void MessagePort::start() {
  if (started_ || closed_) return;
  started_ = true;
  channel_->channel().start();
  // Messages that came with the port (injected) wait in the parser.
  std::weak_ptr<MessagePort> self = weak_from_this();
  loop_.post([self] {
    if (auto p = self.lock(); p && !p->closed_) p->channel_->channel().drain();
  });
}

void MessagePort::close() {
  if (closed_) return;
  closed_ = true;
  channel_->channel().close();
  message_listeners_.clear();
  close_listeners_.clear();
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

void MessagePort::peer_closed(const std::string& reason) {
  if (close_reported_ || transferred_) return;
  close_reported_ = true;
  auto self = shared_from_this();
  closed_ = true;
  channel_->channel().close();
  if (reason.rfind("the other end closed", 0) != 0)
    std::fprintf(stderr, "valence: MessagePort closed: %s\n", reason.c_str());
  auto listeners = std::move(close_listeners_);
  close_listeners_.clear();
  message_listeners_.clear();
  for (auto& l : listeners) (*l)();
}

}  // namespace valence
