#include "ipc/renderer/renderer_connection.h"

#include <unistd.h>

#include <cstdio>

#include "ports/transfer.h"
#include "valence/codec.h"

namespace valence::ipc {
namespace {

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

Endpoint::Options endpoint_options(const IpcRendererOptions& options) {
  Endpoint::Options o;
  o.spin_before_block_us = options.spin_before_block_us;
  return o;
}

}  // namespace

RendererConnection::RendererConnection(IpcRenderer& owner, EventLoop& loop, UniqueFd socket,
                                       std::string token, IpcRendererOptions options)
    : owner_(owner),
      loop_(loop),
      options_(options),
      endpoint_(loop, std::move(socket), endpoint_options(options)) {
  endpoint_.set_delegate(this);
  std::vector<std::uint8_t> hello;
  codec::EncodeOptions encode;
  encode.form = codec::Form::kValence;
  (void)codec::encode_into(Value::object({{"pid", static_cast<int>(::getpid())}}), hello, encode,
                           0);
  (void)endpoint_.start(token, hello);
}

RendererConnection::~RendererConnection() {
  *self_ = nullptr;
  auto pending = std::move(pending_invokes_);
  pending_invokes_.clear();
  for (auto& [id, entry] : pending)
    entry.second.set(make_error(
        ErrorCode::kDisconnected,
        "Error invoking remote method '" + entry.first + "': the IpcRenderer was destroyed"));
}

Result<void> RendererConnection::send_message(const Message& m, std::vector<UniqueFd> fds) {
  auto payload = encode_message(m);
  if (!payload) return Unexpected{payload.error()};
  auto sent = endpoint_.send_payload(m.kind, std::move(payload).value(), std::move(fds));
  if (!sent && sent.error().code != ErrorCode::kDisconnected)
    return make_error(sent.error().code, std::string(message_kind_name(m.kind)) + " '" + m.channel +
                                             "': " + sent.error().message);
  return sent;
}

Result<void> RendererConnection::send(MessageKind kind, std::string_view channel,
                                      std::vector<Value> args, std::uint64_t request_id) {
  Message m;
  m.kind = kind;
  m.request_id = request_id;
  m.channel = std::string(channel);
  m.body = make_args(std::move(args));
  return send_message(m);
}

Result<void> RendererConnection::post_message(
    std::string_view channel, Value message,
    const std::vector<std::shared_ptr<MessagePort>>& transfer) {
  if (!endpoint_.connected())
    return make_error(ErrorCode::kDisconnected, "not connected to the main process");
  auto packed = ports::pack(nullptr, std::move(message), transfer);
  if (!packed) return Unexpected{packed.error()};
  Message m;
  m.kind = MessageKind::kPostMessage;
  m.channel = std::string(channel);
  m.body = std::move(packed->body);
  return send_message(m, std::move(packed->fds));
}

Future<Value> RendererConnection::invoke(std::string_view channel, std::vector<Value> args) {
  std::uint64_t id = endpoint_.next_request_id();
  auto sent = send(MessageKind::kInvoke, channel, std::move(args), id);
  if (!sent) return Future<Value>::ready(Unexpected{sent.error()});
  Promise<Value> promise;
  Future<Value> future = promise.future();
  std::weak_ptr<RendererConnection*> self = self_;
  promise.set_blocking_wait([self, id] {
    auto s = self.lock();
    if (!s || !*s) return;
    RendererConnection& c = **s;
    auto reply = c.endpoint_.wait_for(MessageKind::kInvokeReply, id, -1);
    if (!*s) return;
    c.settle_invoke(id, std::move(reply));
  });
  pending_invokes_.emplace(id, std::make_pair(std::string(channel), std::move(promise)));
  return future;
}

void RendererConnection::settle_invoke(std::uint64_t id, Result<RawMessage> reply) {
  auto it = pending_invokes_.find(id);
  if (it == pending_invokes_.end()) return;
  auto [channel_name, promise] = std::move(it->second);
  pending_invokes_.erase(it);
  if (!reply) {
    promise.set(make_error(reply.error().code,
                           "Error invoking remote method '" + channel_name + "': " +
                               (reply.error().code == ErrorCode::kDisconnected
                                    ? "the main process went away (" + endpoint_.lost_reason() + ")"
                                    : reply.error().message)));
    return;
  }
  auto m = decode_body(std::move(reply).value());
  if (!m) {
    promise.set(make_error(ErrorCode::kBadMessage,
                           "Error invoking remote method '" + channel_name +
                               "': the reply could not be read: " + m.error().message));
    return;
  }
  promise.set(invoke_result(channel_name, std::move(m).value()));
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
  std::uint64_t id = endpoint_.next_request_id();
  auto sent = send(MessageKind::kMessageSync, channel, std::move(args), id);
  if (!sent) return Unexpected{sent.error()};
  auto raw = endpoint_.wait_for(MessageKind::kSyncReply, id, timeout_ms);
  if (!raw) {
    if (raw.error().code == ErrorCode::kDisconnected)
      return make_error(ErrorCode::kDisconnected,
                        "sendSync '" + std::string(channel) + "': " + raw.error().message);
    return Unexpected{raw.error()};
  }
  auto reply = decode_body(std::move(raw).value());
  if (!reply)
    return make_error(ErrorCode::kBadMessage,
                      "sendSync '" + std::string(channel) +
                          "': the reply could not be read: " + reply.error().message);
  switch (reply->status) {
    case ReplyStatus::kOk: return std::move(reply->body);
    case ReplyStatus::kNoHandler:
    case ReplyStatus::kNoReturnValue:
      return make_error(ErrorCode::kNoHandler,
                        "sendSync '" + std::string(channel) + "': " + error_message(reply->body));
    case ReplyStatus::kError:
      return make_error(ErrorCode::kHandlerRejected,
                        "sendSync '" + std::string(channel) + "': " + error_message(reply->body));
  }
  return make_error(ErrorCode::kBadMessage, "bad reply status");
}

std::size_t RendererConnection::dispatch(std::string_view channel, const std::vector<Value>& args,
                                         std::vector<std::shared_ptr<MessagePort>> ports) {
  IpcRendererEvent event;
  event.sender = &owner_;
  event.ports = std::move(ports);
  return listeners_.dispatch(channel,
                             [&](IpcRenderer::Listener& listener) { listener(event, args); });
}

void RendererConnection::report_error(const std::string& message) {
  if (error_reporter_) {
    error_reporter_(message);
  } else {
    std::fprintf(stderr, "valence: %s\n", message.c_str());
  }
}

void RendererConnection::on_message(RawMessage& raw) {
  switch (raw.kind) {
    case MessageKind::kInvokeReply: {
      std::uint64_t id = raw.request_id;
      settle_invoke(id, std::move(raw));
      return;
    }
    case MessageKind::kSyncReply: return;  // the answer to a sendSync that timed out
    case MessageKind::kRendererMessage: {
      auto m = decode_body(std::move(raw));
      if (!m) {
        report_error("a message from the main process could not be read: " + m.error().message);
        return;
      }
      auto args = take_args(m->body, m->body_has_refs);
      if (!args) {
        report_error("message '" + m->channel + "' from the main process: " + args.error().message);
        return;
      }
      dispatch(m->channel, *args);
      return;
    }
    case MessageKind::kPostMessage: {
      auto m = decode_body(std::move(raw));
      if (!m) {
        report_error("a message from the main process could not be read: " + m.error().message);
        return;
      }
      auto unpacked = ports::unpack(loop_, std::move(m->body), std::move(m->fds));
      if (!unpacked) {
        report_error("postMessage '" + m->channel +
                     "' from the main process: " + unpacked.error().message);
        return;
      }
      std::vector<Value> args;
      args.push_back(std::move(unpacked->data));
      dispatch(m->channel, args, std::move(unpacked->ports));
      return;
    }
    default:
      report_error(std::string("unexpected ") + message_kind_name(raw.kind) +
                   " from the main process");
      return;
  }
}

void RendererConnection::on_lost(const std::string& reason) {
  // Every pending invoke is rejected at once.
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
