#include "web_extension/page_link.h"

#include <unistd.h>

#include <chrono>

#include "ipc/common/message.h"
#include "transport/socket_posix.h"
#include "valence/codec.h"

namespace valence::web {
namespace {

// Blocking waits poll this long before sleeping (main usually answers within
// it; see IpcRendererOptions::spin_before_block_us).
constexpr int kSpinUs = 50;
// Most messages that may wait for a receiver (a page whose preload never
// loads, with main sending to it in a loop).
constexpr std::size_t kMaxQueued = 1u << 16;

}  // namespace

Result<std::unique_ptr<PageLink>> PageLink::connect(EventLoop& loop, const std::string& path,
                                                    const std::string& token,
                                                    const std::string& nonce) {
  auto socket = transport::connect_unix(path);
  if (!socket) return Unexpected{socket.error()};
  std::unique_ptr<PageLink> link(new PageLink(loop, std::move(socket).value()));
  ipc::Message hello;
  hello.kind = ipc::MessageKind::kHello;
  hello.channel = token;
  hello.body = Value::object({{"nonce", nonce}});
  auto payload = ipc::encode_message(hello);
  if (!payload) return Unexpected{payload.error()};
  auto sent = link->channel_.send(static_cast<std::uint8_t>(ipc::MessageKind::kHello),
                                  std::move(payload).value());
  if (!sent) return Unexpected{sent.error()};
  auto flushed = link->channel_.flush_blocking(5000);
  if (!flushed) return Unexpected{flushed.error()};
  link->channel_.start();
  return link;
}

PageLink::PageLink(EventLoop& loop, UniqueFd socket)
    : loop_(loop), channel_(loop, std::move(socket), *this) {
  if (::sysconf(_SC_NPROCESSORS_ONLN) > 1)
    channel_.set_spin_before_block(std::chrono::microseconds(kSpinUs));
}

PageLink::~PageLink() {
  *self_ = nullptr;
  // What the page sent last (an unload message, say) still leaves.
  if (channel_.is_open() && channel_.queued_bytes() > 0) (void)channel_.flush_blocking(1000);
  channel_.close();
}

Result<void> PageLink::send(ipc::MessageKind kind, std::string_view channel,
                            std::uint64_t request_id, std::span<const std::uint8_t> body,
                            std::vector<UniqueFd> fds) {
  if (lost_)
    return make_error(ErrorCode::kDisconnected,
                      "the connection to the main process is closed (" + lost_reason_ + ")");
  if (channel.size() > ipc::kMaxChannelName)
    return make_error(ErrorCode::kOverloaded, "channel name of " + std::to_string(channel.size()) +
                                                  " bytes (limit " +
                                                  std::to_string(ipc::kMaxChannelName) + ")");
  std::vector<std::uint8_t> out;
  out.reserve(16 + channel.size() + body.size());
  codec::write_varint(out, request_id);
  codec::write_varint(out, channel.size());
  out.insert(out.end(), channel.begin(), channel.end());
  out.push_back(static_cast<std::uint8_t>(ipc::ReplyStatus::kOk));
  out.insert(out.end(), body.begin(), body.end());
  auto sent = channel_.send(static_cast<std::uint8_t>(kind),
                            transport::Buffer::adopt(std::move(out)), std::move(fds));
  if (!sent && sent.error().code == ErrorCode::kDisconnected)
    return make_error(ErrorCode::kDisconnected, "the connection to the main process is closed");
  return sent;
}

Result<Incoming> PageLink::send_sync(std::string_view channel, std::span<const std::uint8_t> body,
                                     int timeout_ms) {
  std::uint64_t id = next_sync_id_++;
  auto sent = send(ipc::MessageKind::kMessageSync, channel, id, body);
  if (!sent) return Unexpected{sent.error()};
  blocking_ = true;
  struct Unblock {
    PageLink* self;
    ~Unblock() {
      self->blocking_ = false;
      if (!self->queue_.empty()) self->schedule_drain();
    }
  } unblock{this};
  auto flushed = channel_.flush_blocking(timeout_ms);
  if (!flushed) return Unexpected{flushed.error()};
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int left = -1;
    if (timeout_ms >= 0) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      left = ms.count() > 0 ? static_cast<int>(ms.count()) : 0;
    }
    auto frame = channel_.read_frame_blocking(left);
    if (!frame) {
      if (frame.error().code != ErrorCode::kTimedOut) lose(frame.error().message);
      return Unexpected{frame.error()};
    }
    auto m = parse(std::move(frame).value());
    if (!m) {
      lose(m.error().message);
      channel_.close();
      return Unexpected{m.error()};
    }
    if (m->kind == ipc::MessageKind::kSyncReply && m->request_id == id) return std::move(m).value();
    accept(std::move(m).value());
  }
}

void PageLink::set_receiver(Receiver receiver) {
  receiver_ = std::move(receiver);
  if (!queue_.empty()) schedule_drain();
  if (lost_ && !lost_reported_) schedule_drain();
}

Result<Incoming> PageLink::parse(transport::Frame frame) {
  if (!frame.fds.empty() && frame.kind != static_cast<std::uint8_t>(ipc::MessageKind::kPostMessage))
    return make_error(ErrorCode::kBadMessage,
                      "descriptors with a message of kind " + std::to_string(frame.kind));
  for (const auto& fd : frame.fds)
    if (!transport::is_connected_unix_stream(fd.get()))
      return make_error(ErrorCode::kBadMessage, "a port that is not a connected stream socket");
  if (frame.kind == 0 || frame.kind > ipc::kMaxMessageKind)
    return make_error(ErrorCode::kBadMessage, "unknown message kind " + std::to_string(frame.kind));
  Incoming m;
  m.kind = static_cast<ipc::MessageKind>(frame.kind);
  codec::ByteReader in(frame.payload.span());
  std::uint64_t channel_size = 0;
  std::uint8_t status = 0;
  std::span<const std::uint8_t> name;
  if (!in.read_varint64(m.request_id) || !in.read_varint64(channel_size) ||
      channel_size > ipc::kMaxChannelName || !in.read_bytes(channel_size, name) ||
      !in.read_byte(status) || status > ipc::kMaxReplyStatus)
    return make_error(ErrorCode::kBadMessage, std::string("bad ") + ipc::message_kind_name(m.kind) +
                                                  " message header from the main process");
  m.channel.assign(reinterpret_cast<const char*>(name.data()), name.size());
  m.status = static_cast<ipc::ReplyStatus>(status);
  m.body_offset = in.position();
  m.payload = std::move(frame.payload);
  m.fds = std::move(frame.fds);
  return m;
}

void PageLink::on_frame(transport::Frame frame) {
  auto m = parse(std::move(frame));
  if (!m) {
    lose(m.error().message);
    channel_.close();
    return;
  }
  accept(std::move(m).value());
}

void PageLink::accept(Incoming m) {
  if (m.kind == ipc::MessageKind::kWelcome) {
    codec::DecodeOptions options;
    options.form = codec::Form::kValence;
    auto body = codec::decode(m.body(), options);
    if (body && body->is_object())
      if (const Value* id = body->get_object().find("id"); id && id->is_number())
        contents_id_ = static_cast<int>(id->get_number());
    return;
  }
  if (queue_.size() >= kMaxQueued) {
    lose("more than " + std::to_string(kMaxQueued) + " messages waited for the page's preload");
    channel_.close();
    return;
  }
  bool direct = queue_.empty() && !blocking_ && receiver_.message;
  if (!direct) {
    queue_.push_back(std::move(m));
    if (!blocking_) schedule_drain();
    return;
  }
  receiver_.message(m);
}

void PageLink::schedule_drain() {
  if (drain_scheduled_) return;
  drain_scheduled_ = true;
  std::weak_ptr<PageLink*> weak = self_;
  loop_.post([weak] {
    auto self = weak.lock();
    if (!self || !*self) return;
    (*self)->drain_scheduled_ = false;
    (*self)->drain();
  });
}

void PageLink::drain() {
  std::weak_ptr<PageLink*> alive = self_;
  while (!queue_.empty() && !blocking_ && receiver_.message) {
    Incoming m = std::move(queue_.front());
    queue_.pop_front();
    receiver_.message(m);
    if (alive.expired()) return;
  }
  if (queue_.empty() && lost_ && !lost_reported_ && receiver_.lost) {
    lost_reported_ = true;
    receiver_.lost(lost_reason_);
  }
}

void PageLink::lose(const std::string& reason) {
  if (lost_) return;
  lost_ = true;
  lost_reason_ = reason;
  schedule_drain();
}

void PageLink::on_channel_error(transport::ChannelError error, const std::string& detail) {
  lose(std::string(transport::channel_error_name(error)) + ": " + detail);
}

}  // namespace valence::web
