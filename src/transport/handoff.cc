#include "transport/handoff.h"

#include "base/check.h"

namespace valence::transport {

HandoffBlocker Handoff::check(Channel& channel) {
  Channel& c = channel;
  if (c.queued_bytes_ > 0 && c.socket_.valid() && !c.write_closed_ && c.write_some())
    c.update_interest();
  for (const auto& o : c.queue_)
    if (o.written == 0 && !o.fds.empty()) return HandoffBlocker::kDescriptorsToSend;
  if (!c.parser_.can_take_buffered()) return HandoffBlocker::kDescriptorsArriving;
  return HandoffBlocker::kNone;
}

SocketInTransit Handoff::take(Channel& channel) {
  Channel& c = channel;
  SocketInTransit out;
  bool taken = c.parser_.take_buffered(out.unread);
  VALENCE_CHECK(taken, "Handoff::take() unless check() said kNone");
  for (const auto& o : c.queue_) {
    VALENCE_CHECK(o.written > 0 || o.fds.empty(), "Handoff::take() unless check() said kNone");
    if (o.written < kFrameHeaderSize)
      out.unsent.append(o.header + o.written, kFrameHeaderSize - o.written);
    std::size_t from = o.written > kFrameHeaderSize ? o.written - kFrameHeaderSize : 0;
    out.unsent.append(o.payload.data() + from, o.payload.size() - from);
  }
  c.queue_.clear();
  c.queued_bytes_ = 0;
  out.socket = release_socket(c);
  return out;
}

void Handoff::resume(Channel& channel, std::span<const std::uint8_t> unread,
                     std::span<const std::uint8_t> unsent) {
  Channel& c = channel;
  if (!unread.empty()) c.parser_.feed(unread);
  if (!c.socket_.valid() || unsent.empty()) return;
  Channel::Outgoing& o = c.queue_.emplace_back();
  o.written = kFrameHeaderSize;  // no header: the bytes are whole frames already
  o.payload.append(unsent.data(), unsent.size());
  c.queued_bytes_ += unsent.size();
  c.schedule_flush();
}

UniqueFd Handoff::release_socket(Channel& channel) {
  UniqueFd fd = std::move(channel.socket_);
  channel.close();
  return fd;
}

}  // namespace valence::transport
