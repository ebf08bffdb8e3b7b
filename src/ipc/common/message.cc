#include "ipc/common/message.h"

#include "valence/codec.h"

namespace valence::ipc {

const char* message_kind_name(MessageKind kind) noexcept {
  switch (kind) {
    case MessageKind::kHello: return "Hello";
    case MessageKind::kWelcome: return "Welcome";
    case MessageKind::kMessage: return "Message";
    case MessageKind::kInvoke: return "Invoke";
    case MessageKind::kInvokeReply: return "InvokeReply";
    case MessageKind::kMessageSync: return "MessageSync";
    case MessageKind::kSyncReply: return "SyncReply";
    case MessageKind::kRendererMessage: return "RendererMessage";
    case MessageKind::kPostMessage: return "PostMessage";
    case MessageKind::kPortMessage: return "PortMessage";
  }
  return "unknown";
}

Result<transport::Buffer> encode_message(const Message& m) {
  std::vector<std::uint8_t> out;
  out.reserve(32 + m.channel.size());
  codec::write_varint(out, m.request_id);
  codec::write_varint(out, m.channel.size());
  out.insert(out.end(), m.channel.begin(), m.channel.end());
  out.push_back(static_cast<std::uint8_t>(m.status));
  codec::EncodeOptions options;
  options.form = codec::Form::kValence;
  options.root_name = m.status == ReplyStatus::kOk && (m.kind == MessageKind::kInvokeReply ||
                                                       m.kind == MessageKind::kSyncReply)
                          ? "result"
                          : "args";
  // Padding parity counts from the start of the serialized value, as if it
  // were a buffer of its own, so a receiver can decode it in place.
  auto r = codec::encode_into(m.body, out, options, out.size());
  if (!r) return Unexpected{r.error()};
  return transport::Buffer::adopt(std::move(out));  // no copy: the frame writes these bytes
}

Result<Message> decode_message(std::uint8_t kind, std::span<const std::uint8_t> payload) {
  if (kind == 0 || kind > kMaxMessageKind)
    return make_error(ErrorCode::kBadMessage, "unknown message kind " + std::to_string(kind));
  Message m;
  m.kind = static_cast<MessageKind>(kind);
  codec::ByteReader in(payload);
  std::uint64_t channel_size;
  std::uint8_t status;
  std::span<const std::uint8_t> channel;
  if (!in.read_varint64(m.request_id) || !in.read_varint64(channel_size))
    return make_error(ErrorCode::kBadMessage,
                      std::string(message_kind_name(m.kind)) + " message is truncated");
  if (channel_size > kMaxChannelName)
    return make_error(ErrorCode::kBadMessage, "channel name of " + std::to_string(channel_size) +
                                                  " bytes (limit " +
                                                  std::to_string(kMaxChannelName) + ")");
  if (!in.read_bytes(channel_size, channel) || !in.read_byte(status))
    return make_error(ErrorCode::kBadMessage,
                      std::string(message_kind_name(m.kind)) + " message is truncated");
  if (status > kMaxReplyStatus)
    return make_error(ErrorCode::kBadMessage, "bad reply status " + std::to_string(status));
  m.status = static_cast<ReplyStatus>(status);
  m.channel.assign(reinterpret_cast<const char*>(channel.data()), channel.size());
  codec::DecodeOptions options;
  options.form = codec::Form::kValence;
  options.produced_refs = &m.body_has_refs;
  auto body = codec::decode(payload.subspan(in.position()), options);
  if (!body)
    return make_error(ErrorCode::kBadMessage, std::string(message_kind_name(m.kind)) + " '" +
                                                  m.channel + "': " + body.error().message);
  m.body = std::move(body).value();
  return m;
}

Result<std::vector<Value>> take_args(Value& body, bool has_refs) {
  Array* a = body.get_if_array();
  if (!a)
    return make_error(ErrorCode::kBadMessage,
                      std::string("arguments are ") + body.type_name() + ", not an array");
  if (a->length() > kMaxArgs)
    return make_error(ErrorCode::kBadMessage, std::to_string(a->length()) + " arguments (limit " +
                                                  std::to_string(kMaxArgs) + ")");
  std::vector<Value> args;
  if (has_refs) {
    // Ref ids count from the message's root (the array): each argument
    // becomes a tree of its own, renumbered.
    RefIndex index(body);
    args.reserve(a->length());
    for (std::uint32_t i = 0; i < a->length(); ++i) {
      const Value* e = a->get(i);
      args.push_back(e ? detach_subtree(*e, index) : Value());
    }
    return args;
  }
  if (a->items().size() == a->length()) {
    args = std::move(a->mutable_items());
    for (auto& v : args)
      if (v.is_hole()) v = Value();
  } else {
    args.reserve(a->length());
    for (std::uint32_t i = 0; i < a->length(); ++i) {
      const Value* e = a->get(i);
      args.push_back(e ? e->clone() : Value());
    }
  }
  return args;
}

Value make_args(std::vector<Value> args) {
  return Value::array(std::move(args));
}

}  // namespace valence::ipc
