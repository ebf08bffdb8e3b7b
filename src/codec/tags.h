// V8 ValueSerializer tags (src/objects/value-serializer.cc), with what follows
// each. WARNING: these byte values are a wire contract with every peer.
#pragma once

#include <cstdint>

namespace valence::codec {

// The tags: X(name, byte). The enums below and the preload world's JS codec's
// constants (tools/gen_js_constants.cc, at build time) are made from these
// lists.
#define VALENCE_CODEC_TAGS(X)                                                              \
  X(Version, 0xFF)          /* version:varint */                                           \
  X(Padding, 0x00)          /* nothing; skipped wherever a tag is expected */              \
  X(VerifyObjectCount, '?') /* count:varint, then a value (the count is ignored) */        \
  X(TheHole, '-')           /* nothing; only as a dense-array element */                   \
  X(Undefined, '_')                                                                        \
  X(Null, '0')                                                                             \
  X(True, 'T')                                                                             \
  X(False, 'F')                                                                            \
  X(Int32, 'I')              /* zigzag varint */                                           \
  X(Uint32, 'U')             /* varint */                                                  \
  X(Double, 'N')             /* 8 bytes little endian */                                   \
  X(BigInt, 'Z')             /* bitfield:varint (bit 0 sign, bits 1.. bytes), digits */    \
  X(Utf8String, 'S')         /* byteLength:varint, UTF-8 */                                \
  X(OneByteString, '"')      /* byteLength:varint, Latin-1 */                              \
  X(TwoByteString, 'c')      /* byteLength:varint (even), UTF-16LE */                      \
  X(ObjectReference, '^')    /* id:varint */                                               \
  X(BeginJSObject, 'o')      /* (key value)* kEndJSObject */                               \
  X(EndJSObject, '{')        /* numProperties:varint */                                    \
  X(BeginSparseJSArray, 'a') /* length:varint, (key value)*, kEndSparseJSArray */          \
  X(EndSparseJSArray, '@')   /* numProperties:varint, length:varint */                     \
  X(BeginDenseJSArray, 'A')  /* length:varint, element*, (key value)*, kEnd... */          \
  X(EndDenseJSArray, '$')    /* numProperties:varint, length:varint */                     \
  X(Date, 'D')               /* double ms */                                               \
  X(TrueObject, 'y')                                                                       \
  X(FalseObject, 'x')                                                                      \
  X(NumberObject, 'n')         /* double */                                                \
  X(BigIntObject, 'z')         /* as kBigInt */                                            \
  X(StringObject, 's')         /* a string value, tag included */                          \
  X(RegExp, 'R')               /* a string value (source), flags:varint */                 \
  X(BeginJSMap, ';')           /* (key value)* kEndJSMap */                                \
  X(EndJSMap, ':')             /* 2 * entries:varint */                                    \
  X(BeginJSSet, '\'')          /* value* kEndJSSet */                                      \
  X(EndJSSet, ',')             /* entries:varint */                                        \
  X(ArrayBuffer, 'B')          /* byteLength:varint, bytes */                              \
  X(ResizableArrayBuffer, '~') /* byteLength:varint, maxByteLength:varint, bytes */        \
  X(ArrayBufferTransfer, 't')  /* transfer id:varint */                                    \
  X(ArrayBufferView, 'V')      /* subtag, byteOffset, byteLength, flags; after a buffer */ \
  X(SharedArrayBuffer, 'u')    /* id:varint */                                             \
  X(SharedObject, 'p')         /* id:varint */                                             \
  X(WasmModuleTransfer, 'w')   /* id:varint */                                             \
  X(HostObject, '\\')          /* embedder-defined (Node: views) */                        \
  X(WasmMemoryTransfer, 'm')                                                               \
  X(Error, 'r') /* error sub-tags until kErrorEnd */

// Sub-tags of kError.
#define VALENCE_CODEC_ERROR_TAGS(X)    \
  X(EvalErrorPrototype, 'E')           \
  X(RangeErrorPrototype, 'R')          \
  X(ReferenceErrorPrototype, 'F')      \
  X(SyntaxErrorPrototype, 'S')         \
  X(TypeErrorPrototype, 'T')           \
  X(UriErrorPrototype, 'U')            \
  X(Message, 'm') /* a string value */ \
  X(Cause, 'c')   /* any value */      \
  X(Stack, 's')   /* a string value */ \
  X(End, '.')

enum class Tag : std::uint8_t {
#define VALENCE_X(name, byte) k##name = byte,
  VALENCE_CODEC_TAGS(VALENCE_X)
#undef VALENCE_X
};

enum class ErrorTag : std::uint8_t {
#define VALENCE_X(name, byte) k##name = byte,
  VALENCE_CODEC_ERROR_TAGS(VALENCE_X)
#undef VALENCE_X
};

// Sub-tags of kArrayBufferView, by ViewKind (Buffer is written as Uint8Array).
inline constexpr std::uint8_t kViewSubtags[] = {'b', 'B', 'C', 'w', 'W', 'd', 'D',
                                                'f', 'F', '?', 'B', 'q', 'Q'};

// Node's IPC serializer: the varint after kHostObject.
enum class NodeIpcHostKind : std::uint8_t { kArrayBufferView = 0, kOther = 1 };

inline constexpr std::uint32_t kViewFlagLengthTracking = 1;
inline constexpr std::uint32_t kViewFlagBackedByResizable = 2;

}  // namespace valence::codec
