#include "ipc/common/message.h"

#include "transport/socket_posix.h"
#include "valence/codec.h"

namespace valence::ipc {

const char* message_kind_name(MessageKind kind) noexcept {
  switch (kind) {
#define VALENCE_X(name, value) \
  case MessageKind::k##name: return #name;
    VALENCE_IPC_MESSAGE_KINDS(VALENCE_X)
#undef VALENCE_X
  }
  return "unknown";
}

bool is_message_kind(std::uint8_t kind) noexcept {
  switch (kind) {
#define VALENCE_X(name, value) \
  case value: return true;
    VALENCE_IPC_MESSAGE_KINDS(VALENCE_X)
#undef VALENCE_X
  }
  return false;
}

void write_header(std::vector<std::uint8_t>& out, std::uint64_t request_id,
                  std::string_view channel, ReplyStatus status) {
  codec::write_varint(out, request_id);
  codec::write_varint(out, channel.size());
  out.insert(out.end(), channel.begin(), channel.end());
  out.push_back(static_cast<std::uint8_t>(status));
}

Result<MessageHeader> parse_header(std::uint8_t kind, std::span<const std::uint8_t> payload) {
  if (!is_message_kind(kind))
    return make_error(ErrorCode::kBadMessage, "unknown message kind " + std::to_string(kind));
  const char* name = message_kind_name(static_cast<MessageKind>(kind));
  MessageHeader h;
  codec::ByteReader in(payload);
  std::uint64_t channel_size = 0;
  std::uint8_t status = 0;
  std::span<const std::uint8_t> channel;
  if (!in.read_varint64(h.request_id) || !in.read_varint64(channel_size))
    return make_error(ErrorCode::kBadMessage, std::string(name) + " message is truncated");
  if (channel_size > kMaxChannelName)
    return make_error(ErrorCode::kBadMessage, "channel name of " + std::to_string(channel_size) +
                                                  " bytes (limit " +
                                                  std::to_string(kMaxChannelName) + ")");
  if (!in.read_bytes(channel_size, channel) || !in.read_byte(status))
    return make_error(ErrorCode::kBadMessage, std::string(name) + " message is truncated");
  if (status > kMaxReplyStatus)
    return make_error(ErrorCode::kBadMessage, "bad reply status " + std::to_string(status));
  h.status = static_cast<ReplyStatus>(status);
  h.channel.assign(reinterpret_cast<const char*>(channel.data()), channel.size());
  h.body_offset = in.position();
  return h;
}

Result<transport::Buffer> encode_message(const Message& m) {
  std::vector<std::uint8_t> out;
  out.reserve(32 + m.channel.size());
  write_header(out, m.request_id, m.channel, m.status);
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

transport::Buffer encode_raw(std::uint64_t request_id, std::string_view channel, ReplyStatus status,
                             std::span<const std::uint8_t> body) {
  std::vector<std::uint8_t> out;
  out.reserve(16 + channel.size() + body.size());
  write_header(out, request_id, channel, status);
  out.insert(out.end(), body.begin(), body.end());
  return transport::Buffer::adopt(std::move(out));
}

namespace {

Result<Message> decode_body_of(MessageKind kind, const MessageHeader& h,
                               std::span<const std::uint8_t> payload) {
  Message m;
  m.kind = kind;
  m.request_id = h.request_id;
  m.channel = h.channel;
  m.status = h.status;
  codec::DecodeOptions options;
  options.form = codec::Form::kValence;
  options.produced_refs = &m.body_has_refs;
  auto body = codec::decode(payload.subspan(h.body_offset), options);
  if (!body)
    return make_error(ErrorCode::kBadMessage, std::string(message_kind_name(m.kind)) + " '" +
                                                  m.channel + "': " + body.error().message);
  m.body = std::move(body).value();
  return m;
}

}  // namespace

Result<Message> decode_message(std::uint8_t kind, std::span<const std::uint8_t> payload) {
  auto h = parse_header(kind, payload);
  if (!h) return Unexpected{h.error()};
  return decode_body_of(static_cast<MessageKind>(kind), *h, payload);
}

Result<RawMessage> parse_message(transport::Frame frame) {
  auto h = parse_header(frame.kind, frame.payload.span());
  if (!h) return Unexpected{h.error()};
  if (!frame.fds.empty() && frame.kind != static_cast<std::uint8_t>(MessageKind::kPostMessage))
    return make_error(ErrorCode::kBadMessage,
                      std::to_string(frame.fds.size()) + " descriptors with a " +
                          message_kind_name(static_cast<MessageKind>(frame.kind)) + " message");
  for (const auto& fd : frame.fds)
    if (!transport::is_connected_unix_stream(fd.get()))
      return make_error(ErrorCode::kBadMessage, "a port that is not a connected stream socket");
  RawMessage m;
  m.kind = static_cast<MessageKind>(frame.kind);
  m.request_id = h->request_id;
  m.channel = std::move(h->channel);
  m.status = h->status;
  m.body_offset = h->body_offset;
  m.payload = std::move(frame.payload);
  m.fds = std::move(frame.fds);
  return m;
}

Result<Message> decode_body(RawMessage raw) {
  MessageHeader h;
  h.request_id = raw.request_id;
  h.channel = std::move(raw.channel);
  h.status = raw.status;
  h.body_offset = raw.body_offset;
  auto m = decode_body_of(raw.kind, h, raw.payload.span());
  if (m) m->fds = std::move(raw.fds);
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
