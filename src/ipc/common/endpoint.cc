#include "ipc/common/endpoint.h"

#include <unistd.h>

#include <chrono>

#include "valence/codec.h"

namespace valence::ipc {
namespace {

constexpr int kDefaultSpinUs = 50;

std::string closed_text(const std::string& reason) {
  return "the connection to the main process is closed" +
         (reason.empty() ? std::string() : " (" + reason + ")");
}

std::chrono::microseconds spin_before_block(int option_us) {
  // Main may run on another CPU than this process (even a pinned one), so
  // spin whenever the machine has more than one.
  if (option_us < 0) option_us = ::sysconf(_SC_NPROCESSORS_ONLN) > 1 ? kDefaultSpinUs : 0;
  return std::chrono::microseconds(option_us);
}

}  // namespace

Endpoint::Endpoint(EventLoop& loop, UniqueFd socket, Options options)
    : loop_(loop),
      options_(options),
      channel_(loop, std::move(socket), *this),
      sync_io_(channel_, spin_before_block(options.spin_before_block_us)) {}

Endpoint::~Endpoint() {
  *self_ = nullptr;
  // What was sent last (an unload message, say) still leaves: send() only
  // queues, and the process may end without running its loop again.
  if (channel_.is_open() && channel_.queued_bytes() > 0)
    (void)sync_io_.flush(options_.shutdown_flush_ms);
  channel_.close();
}

Result<void> Endpoint::start(std::string_view token, std::span<const std::uint8_t> body,
                             int flush_timeout_ms) {
  auto sent = channel_.send(static_cast<std::uint8_t>(MessageKind::kHello),
                            encode_raw(0, token, ReplyStatus::kOk, body));
  if (!sent) return sent;
  if (flush_timeout_ms >= 0) {
    auto flushed = sync_io_.flush(flush_timeout_ms);
    if (!flushed) return flushed;
  }
  channel_.start();
  return {};
}

void Endpoint::set_delegate(Delegate* delegate) {
  delegate_ = delegate;
  if (delegate_ && (!held_.empty() || (lost_ && !lost_reported_))) schedule_delivery();
}

Result<void> Endpoint::send(MessageKind kind, std::string_view channel, std::uint64_t request_id,
                            std::span<const std::uint8_t> body, std::vector<UniqueFd> fds) {
  if (lost_) return make_error(ErrorCode::kDisconnected, closed_text(lost_reason_));
  if (channel.size() > kMaxChannelName)
    return make_error(ErrorCode::kOverloaded,
                      "a channel name of " + std::to_string(channel.size()) + " bytes (limit " +
                          std::to_string(kMaxChannelName) + ")");
  return send_payload(kind, encode_raw(request_id, channel, ReplyStatus::kOk, body),
                      std::move(fds));
}

Result<void> Endpoint::send_payload(MessageKind kind, transport::Buffer payload,
                                    std::vector<UniqueFd> fds) {
  if (lost_) return make_error(ErrorCode::kDisconnected, closed_text(lost_reason_));
  auto sent = channel_.send(static_cast<std::uint8_t>(kind), std::move(payload), std::move(fds));
  if (!sent && sent.error().code == ErrorCode::kDisconnected)
    return make_error(ErrorCode::kDisconnected, closed_text(lost_reason_));
  return sent;
}

Result<RawMessage> Endpoint::lost_while_blocked() {
  std::string text = closed_text(lost_reason_);
  // Nothing held: the delegate hears of it now, before the blocked caller
  // returns (IpcRenderer's on_disconnect callbacks run inside a blocking
  // get()). Otherwise it comes in order, after the held messages.
  if (held_.empty() && delegate_ && !lost_reported_) {
    lost_reported_ = true;
    delegate_->on_lost(lost_reason_);  // may destroy this
  }
  return make_error(ErrorCode::kDisconnected, text);
}

Result<RawMessage> Endpoint::wait_for(MessageKind kind, std::uint64_t request_id, int timeout_ms) {
  for (auto it = held_.begin(); it != held_.end(); ++it) {
    if (it->kind == kind && it->request_id == request_id) {
      RawMessage m = std::move(*it);
      held_.erase(it);
      return m;
    }
  }
  if (lost_) return make_error(ErrorCode::kDisconnected, closed_text(lost_reason_));
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  blocking_ = true;
  std::weak_ptr<Endpoint*> alive = self_;
  struct Unblock {
    std::weak_ptr<Endpoint*> alive;
    ~Unblock() {
      auto self = alive.lock();
      if (!self || !*self) return;
      (*self)->blocking_ = false;
      // What arrived meanwhile (held, or read but not yet delivered).
      (*self)->schedule_delivery();
    }
  } unblock{alive};
  auto flushed = sync_io_.flush(timeout_ms);
  if (!flushed) {
    if (flushed.error().code == ErrorCode::kTimedOut)
      return make_error(ErrorCode::kTimedOut, "no answer from the main process within " +
                                                  std::to_string(timeout_ms) + " ms");
    lose(flushed.error().message);
    blocking_ = false;
    return lost_while_blocked();
  }
  for (;;) {
    int left = -1;
    if (timeout_ms >= 0) {
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      left = ms > 0 ? static_cast<int>(ms) : 0;
    }
    auto frame = sync_io_.read_frame(left);
    if (!frame) {
      if (frame.error().code == ErrorCode::kTimedOut)
        return make_error(ErrorCode::kTimedOut, "no answer from the main process within " +
                                                    std::to_string(timeout_ms) + " ms");
      // The channel failed (on_channel_error has run lose()).
      lose(frame.error().message);
      blocking_ = false;
      return lost_while_blocked();
    }
    auto m = parse_message(std::move(frame).value());
    if (!m) {
      lose("a bad message from the main process: " + m.error().message);
      channel_.close();
      blocking_ = false;
      return lost_while_blocked();
    }
    if (m->kind == kind && m->request_id == request_id) return std::move(m).value();
    accept(std::move(m).value());
    if (lost_) {
      blocking_ = false;
      return lost_while_blocked();
    }
  }
}

void Endpoint::on_frame(transport::Frame frame) {
  auto m = parse_message(std::move(frame));
  if (!m) {
    lose("a bad message from the main process: " + m.error().message);
    channel_.close();
    return;
  }
  accept(std::move(m).value());
}

void Endpoint::accept(RawMessage m) {
  if (m.kind == MessageKind::kWelcome) {
    codec::DecodeOptions options;
    options.form = codec::Form::kValence;
    auto body = codec::decode(m.body(), options);
    if (body && body->is_object())
      if (const Value* id = body->get_object().find("id"); id && id->is_number())
        contents_id_ = static_cast<int>(id->get_number());
    return;
  }
  if (held_.empty() && !blocking_ && delegate_ && !lost_) {
    delegate_->on_message(m);
    return;
  }
  if (held_.size() >= options_.max_held) {
    lose("more than " + std::to_string(options_.max_held) +
         " messages from the main process waited to be delivered");
    channel_.close();
    return;
  }
  held_.push_back(std::move(m));
  if (!blocking_) schedule_delivery();
}

void Endpoint::schedule_delivery() {
  if (delivery_scheduled_) return;
  delivery_scheduled_ = true;
  std::weak_ptr<Endpoint*> alive = self_;
  loop_.post([alive] {
    auto self = alive.lock();
    if (!self || !*self) return;
    (*self)->delivery_scheduled_ = false;
    (*self)->deliver_held();
  });
}

void Endpoint::deliver_held() {
  std::weak_ptr<Endpoint*> alive = self_;
  auto gone = [&] {
    auto self = alive.lock();
    return !self || !*self;
  };
  while (!held_.empty() && !blocking_ && delegate_) {
    RawMessage m = std::move(held_.front());
    held_.pop_front();
    delegate_->on_message(m);
    if (gone()) return;
  }
  if (held_.empty() && !blocking_ && delegate_ && !lost_) {
    channel_.deliver_buffered();
    if (gone()) return;
  }
  if (held_.empty() && !blocking_ && delegate_ && lost_ && !lost_reported_) {
    lost_reported_ = true;
    delegate_->on_lost(lost_reason_);
  }
}

void Endpoint::lose(const std::string& reason) {
  if (lost_) return;
  lost_ = true;
  lost_reason_ = reason;
  schedule_delivery();
}

void Endpoint::on_channel_error(transport::ChannelError error, const std::string& detail) {
  lose(error == transport::ChannelError::kDisconnected
           ? "the main process closed the connection"
           : std::string(transport::channel_error_name(error)) + ": " + detail);
}

}  // namespace valence::ipc
