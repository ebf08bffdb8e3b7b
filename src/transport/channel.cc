#include "transport/channel.h"

#include <sys/uio.h>

#include <algorithm>
#include <cstdint>

#include "transport/socket_posix.h"

namespace valence::transport {
namespace {
// Frames gathered into one sendmsg (each takes two iovecs).
constexpr std::size_t kMaxFramesPerWrite = 64;
}  // namespace

const char* channel_error_name(ChannelError error) noexcept {
  switch (error) {
    case ChannelError::kDisconnected: return "disconnected";
    case ChannelError::kMalformed: return "malformed data";
    case ChannelError::kTooManyFds: return "unexpected descriptors";
    case ChannelError::kOverloaded: return "overloaded";
    case ChannelError::kIoError: return "i/o error";
  }
  return "unknown";
}

Channel::Channel(EventLoop& loop, UniqueFd socket, Delegate& delegate, ChannelOptions options)
    : loop_(loop),
      socket_(std::move(socket)),
      delegate_(delegate),
      options_(options),
      parser_(options.limits) {
  // Blocking mode: every non-blocking call says MSG_DONTWAIT, and BlockingIo
  // (a child blocked in send_sync) can then sleep in recvmsg itself (one
  // syscall, not poll + recvmsg).
  (void)set_nonblocking(socket_.get(), false);
}

Channel::~Channel() {
  close();
}

void Channel::start() {
  if (!socket_.valid()) return;
  reading_ = true;
  update_interest();
}

void Channel::pause_reading() {
  if (paused_ || !socket_.valid()) return;
  paused_ = true;
  update_interest();
}

void Channel::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  update_interest();
  // Frames already parsed: the socket may never wake the loop for them.
  if (delivery_scheduled_ || !socket_.valid()) return;
  delivery_scheduled_ = true;
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive] {
    auto a = alive.lock();
    if (!a || !*a) return;
    delivery_scheduled_ = false;
    if (reading_ && !paused_) read_some(0);
  });
}

void Channel::close() {
  if (on_closed_) {
    auto closed = std::move(on_closed_);
    on_closed_ = nullptr;
    closing_ = false;
    close();
    closed();
    return;
  }
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  watch_.reset();
  watch_events_ = 0;
  socket_.reset();
  queue_.clear();
  queued_bytes_ = 0;
}

void Channel::fail(ChannelError error, std::string detail) {
  if (!socket_.valid()) return;
  close();
  // close() swapped alive_, so a delegate that destroys us is fine.
  delegate_.on_channel_error(error, detail);
}

std::size_t Channel::waiting_bytes() const noexcept {
  if (queue_.empty() || queue_.front().written == 0) return queued_bytes_;
  return queued_bytes_ - (queue_.front().total() - queue_.front().written);
}

Result<void> Channel::send(std::uint8_t kind, Buffer payload, std::vector<UniqueFd> fds) {
  if (!socket_.valid() || write_closed_)
    return make_error(ErrorCode::kDisconnected, "the connection is closed");
  if (payload.size() > options_.limits.max_payload || payload.size() > UINT32_MAX)
    return make_error(
        ErrorCode::kOverloaded,
        "a message of " + std::to_string(payload.size()) + " bytes is over the limit of " +
            std::to_string(std::min<std::size_t>(options_.limits.max_payload, UINT32_MAX)) +
            " bytes");
  if (fds.size() > kMaxFdsPerFrame)
    return make_error(ErrorCode::kOverloaded,
                      "a message may carry at most " + std::to_string(kMaxFdsPerFrame) +
                          " descriptors, not " + std::to_string(fds.size()));
  std::size_t waiting = waiting_bytes();
  if (waiting > 0 && waiting + payload.size() > options_.max_queued_bytes)
    return make_error(ErrorCode::kOverloaded,
                      "the peer is not reading: " + std::to_string(waiting) +
                          " bytes wait to be written (limit " +
                          std::to_string(options_.max_queued_bytes) + ")");
  Outgoing& o = queue_.emplace_back();
  write_frame_header(o.header, static_cast<std::uint32_t>(payload.size()), kind,
                     static_cast<std::uint16_t>(fds.size()));
  o.payload = std::move(payload);
  o.fds = std::move(fds);
  queued_bytes_ += o.total();
  schedule_flush();
  return {};
}

void Channel::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive] {
    auto a = alive.lock();
    if (!a || !*a) return;
    flush_scheduled_ = false;
    if (write_some()) after_write();
  });
}

bool Channel::after_write() {
  if (closing_ && queue_.empty()) {
    close();
    return false;
  }
  update_interest();
  return true;
}

bool Channel::write_some() {
  while (!queue_.empty() && socket_.valid()) {
    iovec iov[2 * kMaxFramesPerWrite];
    std::size_t n_iov = 0;
    std::vector<int> fds;
    std::size_t frames = 0;
    for (auto& o : queue_) {
      if (frames == kMaxFramesPerWrite) break;
      // Descriptors ride with a sendmsg's first byte: a frame with
      // descriptors must start its own sendmsg.
      if (frames > 0 && !o.fds.empty()) break;
      if (frames == 0 && o.written == 0)
        for (auto& fd : o.fds) fds.push_back(fd.get());
      std::size_t off = o.written;
      if (off < kFrameHeaderSize) {
        iov[n_iov++] = iovec{o.header + off, kFrameHeaderSize - off};
        off = kFrameHeaderSize;
      }
      if (off < o.total())
        iov[n_iov++] = iovec{o.payload.data() + (off - kFrameHeaderSize), o.total() - off};
      ++frames;
    }
    auto r = send_some(socket_.get(), std::span<const iovec>(iov, n_iov), fds);
    if (!r && r.error().code == ErrorCode::kDisconnected && reading_ && !eof_) {
      // The peer is gone, but what it sent before may still be unread here:
      // stop writing, keep reading until end-of-file reports the disconnect.
      write_closed_ = true;
      queue_.clear();
      queued_bytes_ = 0;
      update_interest();
      return true;
    }
    if (!r) {
      fail(r.error().code == ErrorCode::kDisconnected ? ChannelError::kDisconnected
                                                      : ChannelError::kIoError,
           r.error().message);
      return false;
    }
    if (r->would_block) return true;
    std::size_t written = r->bytes;
    while (written > 0) {
      Outgoing& o = queue_.front();
      std::size_t take = std::min(written, o.total() - o.written);
      o.written += take;
      written -= take;
      queued_bytes_ -= take;
      o.fds.clear();  // sent with the first byte (the kernel holds its own references)
      if (o.written == o.total()) queue_.pop_front();
    }
  }
  return true;
}

void Channel::update_interest() {
  if (!socket_.valid()) return;
  std::uint32_t events = (reading_ && !paused_ ? EventLoop::kReadable : 0) |
                         (queue_.empty() ? 0 : EventLoop::kWritable);
  if (events == watch_events_ && (events == 0 || watch_)) return;
  watch_events_ = events;
  if (events == 0) {
    // Not reading and nothing to write: no watch at all (a hung-up socket
    // would otherwise be reported again and again).
    watch_.reset();
  } else if (!watch_) {
    watch_ =
        loop_.watch_fd(socket_.get(), events, [this](std::uint32_t ready) { on_events(ready); });
  } else {
    watch_.set_events(events);
  }
}

void Channel::on_events(std::uint32_t events) {
  std::weak_ptr<bool> alive = alive_;
  if (events & EventLoop::kWritable) {
    if (!write_some() || !after_write()) return;
  }
  if (reading_ && !paused_ && (events & (EventLoop::kReadable | EventLoop::kHangup))) {
    auto a = alive.lock();
    if (a && *a) read_some(options_.read_budget_bytes);
  }
}

Result<std::size_t> Channel::receive(bool& eof, bool& would_block, bool* drained, bool block) {
  auto span = parser_.prepare();
  std::vector<UniqueFd> fds;
  auto r = recv_some(socket_.get(), span.data(), span.size(), fds, block);
  if (!r) return Unexpected{r.error()};
  eof = r->eof;
  would_block = r->would_block;
  if (!fds.empty() || r->fds_truncated) {
    if (!options_.accept_fds)
      return make_error(ErrorCode::kBadMessage, "the peer sent " + std::to_string(fds.size()) +
                                                    " descriptors on a channel that accepts none");
    if (r->fds_truncated)
      return make_error(
          ErrorCode::kBadMessage,
          "the peer sent more than " + std::to_string(kMaxFdsPerFrame) + " descriptors at once");
    parser_.add_fds(fds);  // fds not taken by a frame are closed with the parser
  }
  parser_.commit(r->bytes);
  // A read that did not fill the space offered emptied the socket (unless
  // descriptors cut it short: the kernel stops at a message that has some).
  if (drained) *drained = !r->eof && r->bytes < span.size() && fds.empty() && !r->fds_truncated;
  return r->bytes;
}

void Channel::drain() {
  if (socket_.valid()) read_some(SIZE_MAX);
}

void Channel::read_some(std::size_t budget) {
  std::weak_ptr<bool> alive = alive_;
  // After a short read the socket is empty: deliver what was parsed and let
  // the (level-triggered) loop call again, rather than spend a recvmsg on
  // EAGAIN. drain() (budget SIZE_MAX) reads until EAGAIN.
  bool socket_drained = false;
  bool reset_seen = false;
  for (;;) {
    // Deliver every complete frame before reading more.
    for (;;) {
      Frame frame;
      auto status = parser_.next(frame);
      if (status == FrameParser::Status::kNeedMore) break;
      if (status == FrameParser::Status::kError) {
        fail(ChannelError::kMalformed, parser_.error());
        return;
      }
      delegate_.on_frame(std::move(frame));
      auto a = alive.lock();
      if (!a || !*a) return;
      if (paused_) return;  // the rest waits for resume_reading()
    }
    if (eof_) {
      std::size_t left = parser_.buffered_bytes();
      if (left) {
        fail(ChannelError::kMalformed, "the peer closed the connection in the middle of a frame (" +
                                           std::to_string(left) + " bytes unread)");
      } else {
        fail(ChannelError::kDisconnected, "the peer closed the connection");
      }
      return;
    }
    if (budget == 0 || socket_drained) return;  // level-triggered: the loop calls again
    bool eof = false, would_block = false;
    auto r = receive(eof, would_block, budget == SIZE_MAX ? nullptr : &socket_drained);
    if (!r && r.error().code == ErrorCode::kDisconnected && !reset_seen) {
      // ECONNRESET: the peer closed with unread data of its own. Linux
      // reports it once, ahead of what the peer sent before closing; read on.
      reset_seen = true;
      continue;
    }
    if (!r) {
      ErrorCode code = r.error().code;
      fail(code == ErrorCode::kBadMessage     ? ChannelError::kTooManyFds
           : code == ErrorCode::kDisconnected ? ChannelError::kDisconnected
                                              : ChannelError::kIoError,
           r.error().message);
      return;
    }
    if (would_block) return;
    if (eof) eof_ = true;
    budget -= std::min(budget, *r);
  }
}

}  // namespace valence::transport
