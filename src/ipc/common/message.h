// Message: one protocol message (protocol.h), and its payload codec.
// Thread safety: value type; functions are reentrant.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ipc/common/protocol.h"
#include "transport/buffer.h"
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
