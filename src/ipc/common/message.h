// Message: one protocol message (protocol.h), and its payload codec.
// Thread safety: value type; functions are reentrant.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/common/protocol.h"
#include "transport/buffer.h"
#include "transport/frame.h"
#include "valence/base/result.h"
#include "valence/base/unique_fd.h"
#include "valence/value.h"

namespace valence::ipc {

struct Message {
  MessageKind kind = MessageKind::kMessage;
  std::uint64_t request_id = 0;
  std::string channel;
  ReplyStatus status = ReplyStatus::kOk;
  Value body;                 // args as an Array for messages; the result/error for replies
  std::vector<UniqueFd> fds;  // the frame's descriptors (kPostMessage, kPortMessage)
  bool body_has_refs = true;  // false when decoding saw no Ref (take_args's fast path)
};

// Most bytes a channel name may have.
inline constexpr std::size_t kMaxChannelName = 4096;

// The header every payload starts with (protocol.h): written and read here
// only.
struct MessageHeader {
  std::uint64_t request_id = 0;
  std::string channel;
  ReplyStatus status = ReplyStatus::kOk;
  std::size_t body_offset = 0;  // where the V8 body starts in the payload
};
void write_header(std::vector<std::uint8_t>& out, std::uint64_t request_id,
                  std::string_view channel, ReplyStatus status);
// Errors: kBadMessage (an unknown kind, a truncated header, a channel name
// over the limit, a bad status), naming the kind.
Result<MessageHeader> parse_header(std::uint8_t kind, std::span<const std::uint8_t> payload);

// A message whose body stays bytes (as a frame brought it): for peers that
// pass bodies on undecoded (a page's runtime decodes them in JS).
struct RawMessage {
  MessageKind kind = MessageKind::kMessage;
  std::uint64_t request_id = 0;
  std::string channel;
  ReplyStatus status = ReplyStatus::kOk;
  transport::Buffer payload;
  std::size_t body_offset = 0;
  std::vector<UniqueFd> fds;  // kPostMessage: the ports' sockets
  std::span<const std::uint8_t> body() const { return payload.span().subspan(body_offset); }
};
// The frame's header parsed and checked, its body left as bytes. Errors
// (kBadMessage): a bad header; descriptors with a kind other than
// kPostMessage; a descriptor that is not a connected AF_UNIX stream socket.
Result<RawMessage> parse_message(transport::Frame frame);
// The payload of a message whose body is already encoded (`body`, V8 bytes).
transport::Buffer encode_raw(std::uint64_t request_id, std::string_view channel, ReplyStatus status,
                             std::span<const std::uint8_t> body);
// Decodes a raw message's body into a Message (its descriptors move along).
Result<Message> decode_body(RawMessage raw);

// Encodes a message's payload. Errors: the body cannot be cloned (the
// message says which value, e.g. "args[1].port: ...").
Result<transport::Buffer> encode_message(const Message& message);
// Decodes a payload received as a frame of `kind`. Errors: kBadMessage.
Result<Message> decode_message(std::uint8_t kind, std::span<const std::uint8_t> payload);

// Most arguments one message may carry.
inline constexpr std::size_t kMaxArgs = 65536;

// The args of a message body as a vector (moves them out), each a tree of
// its own (Ref ids renumbered, which `has_refs` = false lets it skip).
// Errors: kBadMessage when the body is not an array of at most kMaxArgs.
Result<std::vector<Value>> take_args(Value& body, bool has_refs = true);
Value make_args(std::vector<Value> args);

}  // namespace valence::ipc
