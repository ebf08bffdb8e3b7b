#include "ports/pending_port.h"

#include "ports/port_channel.h"
#include "transport/handoff.h"
#include "transport/socket_posix.h"

namespace valence::ports {

Result<void> PortTransfer::check(const MessagePort* source,
                                 const std::vector<std::shared_ptr<MessagePort>>& transfer) {
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

Result<void> PortTransfer::prepare(MessagePort& port) {
  switch (transport::Handoff::check(port.channel_->channel())) {
    case transport::HandoffBlocker::kNone: return {};
    case transport::HandoffBlocker::kDescriptorsToSend:
      return make_error(ErrorCode::kOverloaded,
                        "a message carrying ports is still being sent on it");
    case transport::HandoffBlocker::kDescriptorsArriving:
      return make_error(ErrorCode::kOverloaded, "a message carrying ports is arriving on it");
  }
  return {};
}

PendingPort PortTransfer::take(MessagePort& port) {
  auto transit = transport::Handoff::take(port.channel_->channel());
  PendingPort pending{std::move(transit.socket), std::move(transit.unread),
                      std::move(transit.unsent), port.entangle_id_};
  port.transferred_ = true;
  port.closed_ = true;
  port.message_listeners_.clear();
  port.close_listeners_.clear();
  return pending;
}

std::shared_ptr<MessagePort> PortTransfer::adopt(EventLoop& loop, PendingPort pending) {
  auto port = MessagePort::adopt(loop, std::move(pending.socket));
  transport::Handoff::resume(port->channel_->channel(), pending.unread.span(),
                             pending.unsent.span());
  port->entangle_id_ = std::move(pending.entangle_id);
  return port;
}

}  // namespace valence::ports
