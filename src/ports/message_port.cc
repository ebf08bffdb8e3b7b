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
  c.port1->set_partner(c.port2);
  c.port2->set_partner(c.port1);
  c.port1->entangle_id_ = c.port2->entangle_id_ = random_hex_id();
  return c;
}

Result<void> MessagePort::check_transfer(
    const MessagePort* source, const std::vector<std::shared_ptr<MessagePort>>& transfer) {
  auto clone_error = [](std::size_t i, const std::string& what) {
    return make_error(ErrorCode::kCloneError,
                      "DataCloneError: Port at index " + std::to_string(i) + " " + what + ".");
  };
  if (transfer.size() > transport::kMaxFdsPerFrame)
    return make_error(ErrorCode::kCloneError, "DataCloneError: a message may carry at most " +
                                                  std::to_string(transport::kMaxFdsPerFrame) +
                                                  " ports, not " + std::to_string(transfer.size()) +
                                                  ".");
  for (std::size_t i = 0; i < transfer.size(); ++i) {
    const MessagePort* p = transfer[i].get();
    if (!p) return clone_error(i, "is not a MessagePort");
    for (std::size_t j = 0; j < i; ++j)
      if (transfer[j].get() == p) return clone_error(i, "is a duplicate of an earlier port");
    if (p == source) return clone_error(i, "contains the source port");
    if (source && (source->partner_.lock().get() == p ||
                   (!source->entangle_id_.empty() && p->entangle_id_ == source->entangle_id_)))
      return clone_error(i, "is the source port's own partner");
    if (p->transferred_) return clone_error(i, "is already neutered");
    if (p->closed_) return clone_error(i, "is closed");
  }
  return {};
}

Result<void> MessagePort::prepare_transfer(MessagePort& port) {
  auto& channel = port.channel_->channel();
  // What the socket takes now goes out now; the rest travels with the port
  // (never a blocking wait: the main process must not block on a renderer).
  if (channel.queued_bytes() > 0) channel.try_flush();
  if (!channel.can_take_unsent())
    return make_error(ErrorCode::kOverloaded, "a message carrying ports is still being sent on it");
  if (!channel.can_take_unparsed())
    return make_error(ErrorCode::kOverloaded, "a message carrying ports is arriving on it");
  return {};
}

MessagePort::TransferState MessagePort::take_for_transfer(MessagePort& port) {
  TransferState state;
  auto& channel = port.channel_->channel();
  auto prefix = channel.take_unparsed();
  if (prefix) state.prefix.assign(prefix->data(), prefix->data() + prefix->size());
  auto unsent = channel.take_unsent();
  if (unsent) state.unsent.assign(unsent->data(), unsent->data() + unsent->size());
  state.entangle_id = port.entangle_id_;
  state.socket = channel.release_socket();
  port.transferred_ = true;
  port.closed_ = true;
  port.message_listeners_.clear();
  port.close_listeners_.clear();
  return state;
}

void MessagePort::adopt_transfer_state(MessagePort& port, std::span<const std::uint8_t> prefix,
                                       std::span<const std::uint8_t> unsent,
                                       std::string entangle_id) {
  auto& channel = port.channel_->channel();
  if (!prefix.empty()) channel.inject(prefix);
  if (!unsent.empty()) {
    transport::Buffer b;
    b.append(unsent.data(), unsent.size());
    channel.send_raw(std::move(b));
  }
  port.entangle_id_ = std::move(entangle_id);
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
  // Messages that came with the port (injected) wait in the parser.
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

void MessagePort::peer_closed(const std::string& reason) {
  if (close_reported_ || transferred_) return;
  close_reported_ = true;
  auto self = shared_from_this();
  closed_ = true;
  if (channel_) channel_->channel().close();
  if (reason.rfind("the other end closed", 0) != 0)
    std::fprintf(stderr, "valence: MessagePort closed: %s\n", reason.c_str());
  auto listeners = std::move(close_listeners_);
  close_listeners_.clear();
  message_listeners_.clear();
  for (auto& l : listeners) (*l)();
}

}  // namespace valence
