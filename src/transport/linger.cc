#include "transport/linger.h"

namespace valence::transport {

void close_when_flushed(Channel& channel, UniqueFunction<void()> closed) {
  Channel& c = channel;
  c.on_closed_ = std::move(closed);
  c.reading_ = false;
  c.closing_ = true;
  if (!c.socket_.valid() || c.queue_.empty() || c.write_closed_) {
    c.close();
    return;
  }
  c.update_interest();
  c.schedule_flush();
}

}  // namespace valence::transport
