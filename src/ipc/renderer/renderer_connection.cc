#include "ipc/renderer/renderer_connection.h"

#include "ports/transfer.h"

#include <sched.h>
#include <unistd.h>

#include <chrono>

namespace valence::ipc {
namespace {

// How long destroying an IpcRenderer may wait for queued messages to leave.
constexpr int kShutdownFlushMs = 5000;
// The default spin of blocking waits (see IpcRendererOptions).
constexpr int kDefaultSpinUs = 50;

// "Error: message", as JS's Error.prototype.toString renders it.
std::string error_to_string(const Value& body) {
  if (const ErrorValue* e = body.get_if_error()) {
    std::string name = error_prototype_name(e->prototype);
    std::string message = e->message ? e->message->utf8() : "";
    return message.empty() ? name : name + ": " + message;
  }
  if (const std::string* s = body.get_if_string()) return "Error: " + *s;
  return "Error: " + body.to_debug_string();
}

std::string error_message(const Value& body) {
  if (const ErrorValue* e = body.get_if_error()) return e->message ? e->message->utf8() : "";
  return body.to_debug_string();
}

}  // namespace

RendererConnection::RendererConnection(IpcRenderer& owner, EventLoop& loop, UniqueFd socket,
                                       std::string token, IpcRendererOptions options)
    : owner_(owner), loop_(loop), options_(options), channel_(loop, std::move(socket), *this) {
  int spin = options.spin_before_block_us;
  // The main process may run on another CPU than this one (even when this
  // process is pinned), so spin whenever the machine has more than one.
  if (spin < 0) spin = ::sysconf(_SC_NPROCESSORS_ONLN) > 1 ? kDefaultSpinUs : 0;
  channel_.set_spin_before_block(std::chrono::microseconds(spin));
  channel_.start();
  Message hello;
  hello.kind = MessageKind::kHello;
  hello.channel = std::move(token);
  hello.body = Value::object({{"pid", static_cast<int>(::getpid())}});
  auto payload = encode_message(hello);
  if (payload)
    (void)channel_.send(static_cast<std::uint8_t>(MessageKind::kHello), std::move(payload).value());
}

RendererConnection::~RendererConnection() {
  *self_ = nullptr;
  // What was sent is delivered even when the process ends without running
  // its loop again (send() only queues).
  if (channel_.is_open() && channel_.queued_bytes() > 0)
    (void)channel_.flush_blocking(kShutdownFlushMs);
  channel_.close();
  // Pending invokes fail now, while the connection is still whole.
  auto pending = std::move(pending_invokes_);
  pending_invokes_.clear();
  for (auto& [id, entry] : pending)
    entry.second.set(make_error(
        ErrorCode::kDisconnected,
        "Error invoking remote method '" + entry.first + "': the IpcRenderer was destroyed"));
}

Result<void> RendererConnection::send(MessageKind kind, std::string_view channel,
                                      std::vector<Value> args, std::uint64_t request_id) {
  if (lost_) return make_error(ErrorCode::kDisconnected, "not connected to the main process");
  Message m;
  m.kind = kind;
  m.request_id = request_id;
  m.channel = std::string(channel);
  m.body = make_args(std::move(args));
  auto payload = encode_message(m);
  if (!payload) return Unexpected{payload.error()};
  auto sent = channel_.send(static_cast<std::uint8_t>(kind), std::move(payload).value());
  if (!sent && sent.error().code == ErrorCode::kDisconnected)
    return make_error(ErrorCode::kDisconnected, "not connected to the main process");
  if (!sent)
    return make_error(sent.error().code, std::string(message_kind_name(kind)) + " '" +
                                             std::string(channel) + "': " + sent.error().message);
  return {};
}

Result<void> RendererConnection::post_message(
    std::string_view channel, Value message,
    const std::vector<std::shared_ptr<MessagePort>>& transfer) {
  if (lost_) return make_error(ErrorCode::kDisconnected, "not connected to the main process");
  auto packed = ports::pack(nullptr, std::move(message), transfer);
  if (!packed) return Unexpected{packed.error()};
  Message m;
  m.kind = MessageKind::kPostMessage;
  m.channel = std::string(channel);
  m.body = std::move(packed->body);
  auto payload = encode_message(m);
  if (!payload) return Unexpected{payload.error()};
  auto sent = channel_.send(static_cast<std::uint8_t>(m.kind), std::move(payload).value(),
                            std::move(packed->fds));
  if (!sent && sent.error().code == ErrorCode::kDisconnected)
    return make_error(ErrorCode::kDisconnected, "not connected to the main process");
  if (!sent)
    return make_error(sent.error().code,
                      "postMessage '" + std::string(channel) + "': " + sent.error().message);
  return {};
}

Future<Value> RendererConnection::invoke(std::string_view channel, std::vector<Value> args) {
  std::uint64_t id = next_request_++;
  auto sent = send(MessageKind::kInvoke, channel, std::move(args), id);
  if (!sent) return Future<Value>::ready(Unexpected{sent.error()});
  Promise<Value> promise;
  Future<Value> future = promise.future();
  std::weak_ptr<RendererConnection*> self = self_;
  promise.set_blocking_wait([self, id] {
    auto s = self.lock();
    if (!s || !*s) return;
    RendererConnection& c = **s;
    auto reply = c.wait_for(MessageKind::kInvokeReply, id, -1);
    auto it = c.pending_invokes_.find(id);
    if (it == c.pending_invokes_.end()) return;
    auto [channel_name, p] = std::move(it->second);
    c.pending_invokes_.erase(it);
    if (!reply) {
      p.set(Unexpected{reply.error()});
    } else {
      p.set(c.invoke_result(channel_name, std::move(reply).value()));
    }
  });
  pending_invokes_.emplace(id, std::make_pair(std::string(channel), std::move(promise)));
  return future;
}

Result<Value> RendererConnection::invoke_result(const std::string& channel, Message reply) const {
  switch (reply.status) {
    case ReplyStatus::kOk: return std::move(reply.body);
    case ReplyStatus::kNoHandler:
    case ReplyStatus::kError:
    case ReplyStatus::kNoReturnValue: {
      ErrorCode code = reply.status == ReplyStatus::kNoHandler ? ErrorCode::kNoHandler
                                                               : ErrorCode::kHandlerRejected;
      Error error{code,
                  options_.raw_invoke_errors ? error_message(reply.body)
                                             : "Error invoking remote method '" + channel +
                                                   "': " + error_to_string(reply.body),
                  nullptr};
      if (reply.body.is_error())
        error.remote = std::make_shared<const Value>(std::move(reply.body));
      return Unexpected{std::move(error)};
    }
  }
  return make_error(ErrorCode::kBadMessage, "bad reply status");
}

Result<Value> RendererConnection::send_sync(std::string_view channel, std::vector<Value> args,
                                            int timeout_ms) {
  std::uint64_t id = next_request_++;
  auto sent = send(MessageKind::kMessageSync, channel, std::move(args), id);
  if (!sent) return Unexpected{sent.error()};
  auto reply = wait_for(MessageKind::kSyncReply, id, timeout_ms);
  if (!reply) return Unexpected{reply.error()};
  switch (reply->status) {
    case ReplyStatus::kOk: return std::move(reply->body);
    case ReplyStatus::kNoHandler:
      return make_error(ErrorCode::kNoHandler,
                        "sendSync '" + std::string(channel) + "': " + error_message(reply->body));
    case ReplyStatus::kNoReturnValue:
      return make_error(ErrorCode::kNoHandler,
                        "sendSync '" + std::string(channel) + "': " + error_message(reply->body));
    case ReplyStatus::kError:
      return make_error(ErrorCode::kHandlerRejected,
                        "sendSync '" + std::string(channel) + "': " + error_message(reply->body));
  }
  return make_error(ErrorCode::kBadMessage, "bad reply status");
}

Result<Message> RendererConnection::wait_for(MessageKind kind, std::uint64_t request_id,
                                             int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  // Anything already stashed may hold the reply.
  for (auto it = stash_.begin(); it != stash_.end(); ++it) {
    if (it->kind == kind && it->request_id == request_id) {
      Message m = std::move(*it);
      stash_.erase(it);
      return m;
    }
  }
  if (lost_) return make_error(ErrorCode::kDisconnected, "not connected to the main process");
  blocking_ = true;
  auto flushed = channel_.flush_blocking(timeout_ms);
  if (!flushed) {
    blocking_ = false;
    if (flushed.error().code != ErrorCode::kTimedOut) lost(flushed.error().message);
    return Unexpected{flushed.error()};
  }
  for (;;) {
    int left = -1;
    if (timeout_ms >= 0) {
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      left = ms > 0 ? static_cast<int>(ms) : 0;
    }
    auto frame = channel_.read_frame_blocking(left);
    if (!frame) {
      blocking_ = false;
      schedule_drain();
      if (frame.error().code == ErrorCode::kTimedOut)
        return make_error(ErrorCode::kTimedOut, "no answer from the main process within " +
                                                    std::to_string(timeout_ms) + " ms");
      // The channel failed; on_channel_error has run lost().
      return make_error(ErrorCode::kDisconnected,
                        "the main process went away: " + frame.error().message);
    }
    auto m = decode_message(frame->kind, frame->payload.span());
    if (m) m->fds = std::move(frame->fds);
    if (!m) {
      blocking_ = false;
      channel_.close();
      lost("bad message from the main process: " + m.error().message);
      return make_error(ErrorCode::kDisconnected, "bad message from the main process");
    }
    if (m->kind == kind && m->request_id == request_id) {
      blocking_ = false;
      schedule_drain();
      return std::move(m).value();
    }
    stash_.push_back(std::move(m).value());
  }
}

void RendererConnection::on_frame(transport::Frame frame) {
  auto m = decode_message(frame.kind, frame.payload.span());
  if (!m || (!frame.fds.empty() && m->kind != MessageKind::kPostMessage)) {
    channel_.close();
    lost(m ? "unexpected descriptors from the main process"
           : "bad message from the main process: " + m.error().message);
    return;
  }
  m->fds = std::move(frame.fds);
  if (!stash_.empty() || blocking_) {
    stash_.push_back(std::move(m).value());
    schedule_drain();
    return;
  }
  handle(std::move(m).value());
}

void RendererConnection::schedule_drain() {
  if (drain_scheduled_) return;
  drain_scheduled_ = true;
  std::weak_ptr<RendererConnection*> self = self_;
  loop_.post([self] {
    auto s = self.lock();
    if (!s || !*s) return;
    (*s)->drain_scheduled_ = false;
    (*s)->drain_stash();
    // Frames the blocking read left parsed-but-undelivered in the channel
    // come next; the socket may never wake the loop for them.
    if (*s && !(*s)->blocking_) (*s)->channel_.drain();
  });
}

void RendererConnection::drain_stash() {
  std::weak_ptr<RendererConnection*> self = self_;
  while (!stash_.empty() && !blocking_) {
    Message m = std::move(stash_.front());
    stash_.pop_front();
    handle(std::move(m));
    auto s = self.lock();
    if (!s || !*s) return;
  }
}

void RendererConnection::handle(Message m) {
  switch (m.kind) {
    case MessageKind::kWelcome:
      if (auto id = m.body.find("id"); id && id->is_int32()) id_ = id->get_int32();
      return;
    case MessageKind::kRendererMessage: {
      auto args = take_args(m.body, m.body_has_refs);
      if (!args) {
        owner_.report_error("message '" + m.channel +
                            "' from the main process: " + args.error().message);
        return;
      }
      owner_.dispatch(m.channel, *args);
      return;
    }
    case MessageKind::kInvokeReply: {
      auto it = pending_invokes_.find(m.request_id);
      if (it == pending_invokes_.end()) return;
      auto [channel_name, promise] = std::move(it->second);
      pending_invokes_.erase(it);
      promise.set(invoke_result(channel_name, std::move(m)));
      return;
    }
    case MessageKind::kSyncReply: return;  // the answer to a sendSync that timed out
    case MessageKind::kPostMessage: {
      auto unpacked = ports::unpack(loop_, std::move(m.body), std::move(m.fds));
      if (!unpacked) {
        owner_.report_error("postMessage '" + m.channel +
                            "' from the main process: " + unpacked.error().message);
        return;
      }
      std::vector<Value> args;
      args.push_back(std::move(unpacked->data));
      owner_.dispatch(m.channel, args, std::move(unpacked->ports));
      return;
    }
    default:
      owner_.report_error(std::string("unexpected ") + message_kind_name(m.kind) +
                          " from the main process");
      return;
  }
}

void RendererConnection::on_channel_error(transport::ChannelError error,
                                          const std::string& detail) {
  lost(error == transport::ChannelError::kDisconnected
           ? "the main process closed the connection"
           : std::string(transport::channel_error_name(error)) + ": " + detail);
}

void RendererConnection::lost(const std::string& reason) {
  if (lost_) return;
  lost_ = true;
  // Reject every pending invoke at once.
  auto pending = std::move(pending_invokes_);
  pending_invokes_.clear();
  for (auto& [id, entry] : pending)
    entry.second.set(
        make_error(ErrorCode::kDisconnected, "Error invoking remote method '" + entry.first +
                                                 "': the main process went away (" + reason + ")"));
  std::weak_ptr<RendererConnection*> self = self_;
  for (auto& cb : disconnect_callbacks_) {
    cb(reason);
    auto s = self.lock();
    if (!s || !*s) return;
  }
  if (options_.quit_loop_on_disconnect) loop_.quit();
}

}  // namespace valence::ipc
