// V8 ValueSerializer tags (src/objects/value-serializer.cc), with what follows
// each. WARNING: these byte values are a wire contract with every peer.
#pragma once

#include <cstdint>

namespace valence::codec {

enum class Tag : std::uint8_t {
  kVersion = 0xFF,           // version:varint
  kPadding = 0x00,           // nothing; skipped wherever a tag is expected
  kVerifyObjectCount = '?',  // count:varint, then a value (the count is ignored)
  kTheHole = '-',            // nothing; only as a dense-array element
  kUndefined = '_',
  kNull = '0',
  kTrue = 'T',
  kFalse = 'F',
  kInt32 = 'I',               // zigzag varint
  kUint32 = 'U',              // varint
  kDouble = 'N',              // 8 bytes little endian
  kBigInt = 'Z',              // bitfield:varint (bit 0 sign, bits 1.. byte count), digits
  kUtf8String = 'S',          // byteLength:varint, UTF-8
  kOneByteString = '"',       // byteLength:varint, Latin-1
  kTwoByteString = 'c',       // byteLength:varint (even), UTF-16LE
  kObjectReference = '^',     // id:varint
  kBeginJSObject = 'o',       // (key value)* kEndJSObject
  kEndJSObject = '{',         // numProperties:varint
  kBeginSparseJSArray = 'a',  // length:varint, (key value)*, kEndSparseJSArray
  kEndSparseJSArray = '@',    // numProperties:varint, length:varint
  kBeginDenseJSArray = 'A',   // length:varint, element*, (key value)*, kEndDenseJSArray
  kEndDenseJSArray = '$',     // numProperties:varint, length:varint
  kDate = 'D',                // double ms
  kTrueObject = 'y',
  kFalseObject = 'x',
  kNumberObject = 'n',          // double
  kBigIntObject = 'z',          // as kBigInt
  kStringObject = 's',          // a string value, tag included
  kRegExp = 'R',                // a string value (source), flags:varint
  kBeginJSMap = ';',            // (key value)* kEndJSMap
  kEndJSMap = ':',              // 2 * entries:varint
  kBeginJSSet = '\'',           // value* kEndJSSet
  kEndJSSet = ',',              // entries:varint
  kArrayBuffer = 'B',           // byteLength:varint, bytes
  kResizableArrayBuffer = '~',  // byteLength:varint, maxByteLength:varint, bytes
  kArrayBufferTransfer = 't',   // transfer id:varint
  kArrayBufferView = 'V',       // subtag, byteOffset, byteLength, flags (>= v14); after a buffer
  kSharedArrayBuffer = 'u',     // id:varint
  kSharedObject = 'p',          // id:varint
  kWasmModuleTransfer = 'w',    // id:varint
  kHostObject = '\\',           // embedder-defined (Node: views; valence: delegate)
  kWasmMemoryTransfer = 'm',
  kError = 'r',  // error sub-tags until kErrorEnd
};

// Sub-tags of kError.
enum class ErrorTag : std::uint8_t {
  kEvalErrorPrototype = 'E',
  kRangeErrorPrototype = 'R',
  kReferenceErrorPrototype = 'F',
  kSyntaxErrorPrototype = 'S',
  kTypeErrorPrototype = 'T',
  kUriErrorPrototype = 'U',
  kMessage = 'm',  // a string value
  kCause = 'c',    // any value
  kStack = 's',    // a string value
  kEnd = '.',
};

// Sub-tags of kArrayBufferView, by ViewKind (Buffer is written as Uint8Array).
inline constexpr std::uint8_t kViewSubtags[] = {'b', 'B', 'C', 'w', 'W', 'd', 'D',
                                                'f', 'F', '?', 'B', 'q', 'Q'};

// Node's IPC serializer: the varint after kHostObject.
enum class NodeIpcHostKind : std::uint8_t { kArrayBufferView = 0, kOther = 1 };

inline constexpr std::uint32_t kViewFlagLengthTracking = 1;
inline constexpr std::uint32_t kViewFlagBackedByResizable = 2;

}  // namespace valence::codec
