// The structured-clone codec: valence::Value <-> V8 ValueSerializer wire
// format version 15, byte for byte as Node.js 20 writes it.
//
// Pure functions over bytes: no I/O, no global state. Every failure is a
// Result error that says what is wrong and where (byte offset when decoding,
// the path of the offending value when encoding); no input, however hostile,
// causes undefined behaviour or an allocation larger than the input justifies.
//
// Thread safety: all functions are reentrant; delegates are called on the
// calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "valence/base/result.h"
#include "valence/value.h"

namespace valence::codec {

inline constexpr std::uint32_t kLatestVersion = 15;  // what Node 20 writes and we write
inline constexpr std::uint32_t kOldestVersion = 13;  // oldest Node 20 still reads
inline constexpr std::size_t kDefaultMaxDepth = 1000;

// How typed arrays, DataView and Buffer travel, and what the host-object tag
// ('\') means.
enum class Form : std::uint8_t {
  // v8.serialize(): views as Node host objects `\ index byteLength bytes`.
  kNode,
  // Node's `serialization: 'advanced'` IPC channel: as kNode with a varint
  // kind after '\' (0 = view, 1 = any other host object as a plain object).
  kNodeIpc,
  // Between valence processes: views in V8's own form (the ArrayBuffer 'B',
  // then a 'V' record), so views sharing a buffer stay sharing it; '\' is
  // handed to the delegate (MessagePorts, remote object references).
  kValence,
};

// Reads primitives out of a byte span; used by DecodeDelegate implementations.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::size_t position() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
  bool read_byte(std::uint8_t& out) noexcept;
  bool peek_byte(std::uint8_t& out) const noexcept;
  bool read_varint32(std::uint32_t& out) noexcept;
  bool read_varint64(std::uint64_t& out) noexcept;
  bool read_double(double& out) noexcept;
  // A view of the next n bytes; false (and nothing consumed) when fewer remain.
  bool read_bytes(std::size_t n, std::span<const std::uint8_t>& out) noexcept;
  void set_position(std::size_t pos) noexcept { pos_ = pos <= bytes_.size() ? pos : bytes_.size(); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

void write_varint(std::vector<std::uint8_t>& out, std::uint64_t value);

// Writes host objects (the Value kind HostObject). Nothing in valence
// implements it yet: the planned remote module's references are what it is
// for. MessagePorts do not use it; they travel beside the value, in the
// message's transfer list, as Electron's do.
class EncodeDelegate {
 public:
  // Appends the payload that follows the '\' tag. An error fails the encode
  // (its message is prefixed with the value's path).
  virtual Result<void> write_host_object(const HostObject& object,
                                         std::vector<std::uint8_t>& out) = 0;

 protected:
  ~EncodeDelegate() = default;
};

class DecodeDelegate {
 public:
  // Reads the payload after a '\' tag in Form::kValence and returns the value
  // (normally a HostObject).
  virtual Result<Value> read_host_object(ByteReader& reader) = 0;

 protected:
  ~DecodeDelegate() = default;
};

struct EncodeOptions {
  Form form = Form::kNode;
  EncodeDelegate* delegate = nullptr;
  std::size_t max_depth = kDefaultMaxDepth;
  // The name of the root in error paths: "args[1]" gives "args[1].user.port".
  std::string_view root_name = "value";
};

struct DecodeOptions {
  Form form = Form::kNode;
  DecodeDelegate* delegate = nullptr;
  std::size_t max_depth = kDefaultMaxDepth;
  // Bytes after the top-level value are an error unless this is set (Node
  // ignores them; valence's own frames never have them).
  bool allow_trailing_bytes = false;
  // When set, told whether the value holds any Ref (a shared reference, a
  // cycle, or views sharing a buffer), so callers that split a tree can
  // skip looking for them.
  bool* produced_refs = nullptr;
};

// Encodes `value` with the header FF 0F.
Result<std::vector<std::uint8_t>> encode(const Value& value, const EncodeOptions& options = {});
// Appends the encoding to `out` (for framing: a length prefix written before).
// The two-byte-string padding rule counts positions from `padding_origin`
// within `out` (V8 counts from the start of its own buffer). On error `out`
// is restored to its size on entry.
Result<void> encode_into(const Value& value, std::vector<std::uint8_t>& out,
                         const EncodeOptions& options = {}, std::size_t padding_origin = 0);

Result<Value> decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options = {});

}  // namespace valence::codec
