// V8 wire bytes -> Value. Validates as it goes (no separate pass); every
// length is checked against the bytes left before anything is allocated.
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <string_view>
#include <unordered_set>

#include "base/js_number.h"
#include "base/unicode.h"
#include "codec/tags.h"
#include "valence/codec.h"

namespace valence::codec {
namespace {

constexpr std::uint32_t kPendingTreeId = std::numeric_limits<std::uint32_t>::max();
// Objects with more properties than this check duplicate keys with a hash set.
constexpr std::size_t kLinearKeyCheckLimit = 16;

// What the reader remembers about each object node, by tree id.
struct NodeInfo {
  Type type;
  std::size_t byte_length = 0;  // for ArrayBuffers
  bool resizable = false;
};

std::optional<ViewKind> kind_from_subtag(std::uint32_t subtag) {
  switch (subtag) {
    case 'b': return ViewKind::kInt8Array;
    case 'B': return ViewKind::kUint8Array;
    case 'C': return ViewKind::kUint8ClampedArray;
    case 'w': return ViewKind::kInt16Array;
    case 'W': return ViewKind::kUint16Array;
    case 'd': return ViewKind::kInt32Array;
    case 'D': return ViewKind::kUint32Array;
    case 'f': return ViewKind::kFloat32Array;
    case 'F': return ViewKind::kFloat64Array;
    case 'q': return ViewKind::kBigInt64Array;
    case 'Q': return ViewKind::kBigUint64Array;
    case '?': return ViewKind::kDataView;
    default: return std::nullopt;
  }
}

std::string describe_tag(std::uint8_t t) {
  char buf[32];
  if (t >= 0x20 && t < 0x7F) {
    std::snprintf(buf, sizeof buf, "'%c' (0x%02x)", t, t);
  } else {
    std::snprintf(buf, sizeof buf, "0x%02x", t);
  }
  return buf;
}

class Reader {
 public:
  Reader(std::span<const std::uint8_t> bytes, const DecodeOptions& options)
      : in_(bytes), options_(options) {}

  bool read_header();
  bool read_value(Value& out, bool allow_hole = false);
  bool at_end() const { return in_.remaining() == 0; }
  bool produced_refs() const { return produced_refs_; }
  std::size_t position() const { return in_.position(); }
  bool fail(std::string message, ErrorCode code = ErrorCode::kBadMessage) {
    if (!failed_) {
      failed_ = true;
      error_ = Error{code, "invalid V8 serialized data at byte " + std::to_string(error_pos_) +
                               ": " + std::move(message)};
    }
    return false;
  }
  Error take_error() { return std::move(error_); }
  void mark() { error_pos_ = in_.position(); }

 private:
  bool peek_tag(std::uint8_t& t) {
    // Skips padding, as V8's PeekTag does.
    while (in_.peek_byte(t) && t == static_cast<std::uint8_t>(Tag::kPadding)) {
      std::uint8_t skip;
      in_.read_byte(skip);
    }
    return in_.peek_byte(t);
  }
  bool read_tag(std::uint8_t& t) {
    if (!peek_tag(t)) return false;
    in_.read_byte(t);
    return true;
  }
  bool varint(std::uint32_t& v, const char* what) {
    if (!in_.read_varint32(v)) return fail(std::string("truncated ") + what);
    return true;
  }
  bool bytes(std::size_t n, std::span<const std::uint8_t>& out, const char* what) {
    if (!in_.read_bytes(n, out))
      return fail(std::string(what) + " of " + std::to_string(n) + " bytes runs past the end (" +
                  std::to_string(in_.remaining()) + " left)");
    return true;
  }

  std::uint32_t begin_object(Type type) {
    auto tree_id = static_cast<std::uint32_t>(nodes_.size());
    nodes_.push_back(NodeInfo{type});
    wire_to_tree_.push_back(tree_id);
    return tree_id;
  }

  bool read_number_after_tag(std::uint8_t t, Value& out);
  bool read_string_after_tag(std::uint8_t t, String& out);
  bool read_string(String& out, const char* what);
  bool read_bigint(BigInt& out);
  bool read_key(String& key, std::optional<std::uint32_t>& index);
  bool read_object(Value& out);
  bool read_dense_array(Value& out);
  bool read_sparse_array(Value& out);
  bool read_array_properties(Array& a, std::uint8_t end_tag, std::size_t& pairs);
  bool read_array_end(Array& a, Tag end_tag, std::uint32_t length);
  bool read_map(Value& out);
  bool read_set(Value& out);
  bool read_array_buffer(std::uint8_t t, Value& out);
  bool read_view_record(Value buffer, const NodeInfo& info, std::uint32_t view_tree_id, Value& out);
  bool read_node_view(Value& out);
  bool read_host_object(Value& out);
  bool read_error(Value& out);
  bool read_regexp(Value& out);
  bool add_property(PropertyList& props, String key, Value value,
                    std::unordered_set<std::string>& seen);
  bool is_duplicate(const std::vector<PropertyList::Entry>& props, const String& key,
                    std::unordered_set<std::string_view>& seen);

  ByteReader in_;
  const DecodeOptions& options_;
  std::uint32_t version_ = 0;
  std::vector<NodeInfo> nodes_;              // by tree id
  std::vector<std::uint32_t> wire_to_tree_;  // by wire id
  bool produced_refs_ = false;
  std::size_t depth_ = 0;
  std::deque<std::vector<PropertyList::Entry>> scratch_;  // by depth; deque: stable references
  std::deque<std::string> key_store_;  // keys of large objects, for duplicate checks
  std::size_t error_pos_ = 0;
  bool failed_ = false;
  Error error_;
};

bool Reader::read_header() {
  std::uint8_t t;
  if (!in_.read_byte(t) || t != static_cast<std::uint8_t>(Tag::kVersion))
    return fail("no version header (data must start with 0xff)");
  mark();
  if (!in_.read_varint32(version_)) return fail("truncated version");
  if (version_ < kOldestVersion || version_ > kLatestVersion)
    return fail("unsupported version " + std::to_string(version_) + " (this reader accepts " +
                std::to_string(kOldestVersion) + " to " + std::to_string(kLatestVersion) + ")");
  return true;
}

bool Reader::read_number_after_tag(std::uint8_t t, Value& out) {
  if (t == static_cast<std::uint8_t>(Tag::kInt32)) {
    std::uint32_t u;
    if (!varint(u, "int32")) return false;
    auto i = static_cast<std::int32_t>((u >> 1) ^ (0u - (u & 1)));
    out = Value(Number{static_cast<double>(i), NumberRep::kInt32});
  } else if (t == static_cast<std::uint8_t>(Tag::kUint32)) {
    std::uint32_t u;
    if (!varint(u, "uint32")) return false;
    out = Value(Number{static_cast<double>(u), NumberRep::kAuto});
  } else {
    double d;
    if (!in_.read_double(d)) return fail("truncated double");
    if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
    out = Value(Number{d, NumberRep::kDouble});
  }
  return true;
}

bool Reader::read_string_after_tag(std::uint8_t t, String& out) {
  std::uint32_t n;
  std::span<const std::uint8_t> data;
  switch (static_cast<Tag>(t)) {
    case Tag::kOneByteString:
      if (!varint(n, "string length") || !bytes(n, data, "one-byte string")) return false;
      unicode::append_latin1(data.data(), data.size(), out.mutable_wtf8());
      return true;
    case Tag::kTwoByteString:
      if (!varint(n, "string length")) return false;
      if (n % 2) return fail("two-byte string with odd byte length " + std::to_string(n));
      if (!bytes(n, data, "two-byte string")) return false;
      unicode::append_wtf8_le(data.data(), n / 2, out.mutable_wtf8());
      out.set_two_byte(true);
      return true;
    case Tag::kUtf8String: {
      if (!varint(n, "string length") || !bytes(n, data, "UTF-8 string")) return false;
      std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
      std::size_t i = 0;
      while (i < s.size()) {
        std::uint32_t cp = unicode::next_code_point(s, i);
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
        unicode::append_code_point(cp, out.mutable_wtf8());
      }
      return true;
    }
    default: return fail("expected a string, found tag " + describe_tag(t));
  }
}

bool Reader::read_string(String& out, const char* what) {
  std::uint8_t t;
  mark();
  if (!read_tag(t)) return fail(std::string("truncated ") + what);
  return read_string_after_tag(t, out);
}

bool Reader::read_bigint(BigInt& out) {
  std::uint32_t bitfield;
  if (!varint(bitfield, "BigInt")) return false;
  std::span<const std::uint8_t> digits;
  if (!bytes(bitfield >> 1, digits, "BigInt")) return false;
  out = BigInt::from_magnitude(bitfield & 1, digits);
  return true;
}

bool Reader::read_value(Value& out, bool allow_hole) {
  std::uint8_t t;
  mark();
  if (!read_tag(t)) return fail("truncated: a value was expected");
  while (t == static_cast<std::uint8_t>(Tag::kVerifyObjectCount)) {
    std::uint32_t ignored;  // V8 ignores the count too
    if (!varint(ignored, "object count")) return false;
    mark();
    if (!read_tag(t)) return fail("truncated: a value was expected");
  }
  switch (static_cast<Tag>(t)) {
    case Tag::kUndefined: out = Value(); return true;
    case Tag::kNull: out = Value(nullptr); return true;
    case Tag::kTrue: out = Value(true); return true;
    case Tag::kFalse: out = Value(false); return true;
    case Tag::kInt32:
    case Tag::kUint32:
    case Tag::kDouble: return read_number_after_tag(t, out);
    case Tag::kBigInt: {
      BigInt b;
      if (!read_bigint(b)) return false;
      out = Value(std::move(b));
      return true;
    }
    case Tag::kOneByteString:
    case Tag::kTwoByteString:
    case Tag::kUtf8String: {
      String s;
      if (!read_string_after_tag(t, s)) return false;
      out = Value(std::move(s));
      return true;
    }
    case Tag::kTheHole:
      if (!allow_hole) return fail("a hole outside a dense array");
      out = Value(Hole{});
      return true;
    case Tag::kObjectReference: {
      std::uint32_t wire;
      if (!varint(wire, "reference")) return false;
      if (wire >= wire_to_tree_.size() || wire_to_tree_[wire] == kPendingTreeId)
        return fail("reference to object " + std::to_string(wire) + ", which does not exist");
      std::uint32_t tree = wire_to_tree_[wire];
      out = Value(Ref{tree});
      produced_refs_ = true;
      // V8 reads a view record after a reference to an ArrayBuffer too.
      std::uint8_t next;
      if (nodes_[tree].type == Type::kArrayBuffer && peek_tag(next) &&
          next == static_cast<std::uint8_t>(Tag::kArrayBufferView)) {
        NodeInfo info = nodes_[tree];
        auto view_id = static_cast<std::uint32_t>(nodes_.size());
        nodes_.push_back(NodeInfo{Type::kView});
        return read_view_record(std::move(out), info, view_id, out);
      }
      return true;
    }
    default: break;
  }
  if (++depth_ > options_.max_depth) {
    return fail("nested deeper than " + std::to_string(options_.max_depth) + " levels",
                ErrorCode::kOverloaded);
  }
  bool ok = false;
  switch (static_cast<Tag>(t)) {
    case Tag::kBeginJSObject: ok = read_object(out); break;
    case Tag::kBeginDenseJSArray: ok = read_dense_array(out); break;
    case Tag::kBeginSparseJSArray: ok = read_sparse_array(out); break;
    case Tag::kDate: {
      begin_object(Type::kDate);
      double d;
      ok = in_.read_double(d) || fail("truncated Date");
      if (ok) out = Value(Date{std::isnan(d) ? std::numeric_limits<double>::quiet_NaN() : d});
      break;
    }
    case Tag::kTrueObject:
    case Tag::kFalseObject:
      begin_object(Type::kBooleanObject);
      out = Value(BooleanObject{t == static_cast<std::uint8_t>(Tag::kTrueObject)});
      ok = true;
      break;
    case Tag::kNumberObject: {
      begin_object(Type::kNumberObject);
      double d;
      ok = in_.read_double(d) || fail("truncated Number object");
      if (ok)
        out = Value(NumberObject{std::isnan(d) ? std::numeric_limits<double>::quiet_NaN() : d});
      break;
    }
    case Tag::kBigIntObject: {
      begin_object(Type::kBigIntObject);
      BigInt b;
      ok = read_bigint(b);
      if (ok) out = Value(BigIntObject{std::move(b)});
      break;
    }
    case Tag::kStringObject: {
      begin_object(Type::kStringObject);
      String s;
      ok = read_string(s, "String object");
      if (ok) out = Value(StringObject{std::move(s)});
      break;
    }
    case Tag::kRegExp: ok = read_regexp(out); break;
    case Tag::kBeginJSMap: ok = read_map(out); break;
    case Tag::kBeginJSSet: ok = read_set(out); break;
    case Tag::kArrayBuffer:
    case Tag::kResizableArrayBuffer: ok = read_array_buffer(t, out); break;
    case Tag::kHostObject: ok = read_host_object(out); break;
    case Tag::kError: ok = read_error(out); break;
    case Tag::kArrayBufferView: ok = fail("a view record without an ArrayBuffer before it"); break;
    case Tag::kArrayBufferTransfer:
      ok = fail("transferred ArrayBuffer (tag 't') needs a transfer list",
                ErrorCode::kUnimplemented);
      break;
    case Tag::kSharedArrayBuffer:
      ok = fail("SharedArrayBuffer (tag 'u') cannot cross processes", ErrorCode::kUnimplemented);
      break;
    case Tag::kSharedObject:
    case Tag::kWasmModuleTransfer:
    case Tag::kWasmMemoryTransfer:
      ok = fail("tag " + describe_tag(t) + " is not supported", ErrorCode::kUnimplemented);
      break;
    default: ok = fail("unknown tag " + describe_tag(t)); break;
  }
  --depth_;
  return ok;
}

bool Reader::read_key(String& key, std::optional<std::uint32_t>& index) {
  std::uint8_t t;
  std::size_t at = in_.position();
  mark();
  if (!peek_tag(t)) return fail("truncated: a property key was expected");
  switch (static_cast<Tag>(t)) {
    case Tag::kOneByteString:
    case Tag::kTwoByteString:
    case Tag::kUtf8String:
      in_.read_byte(t);
      if (!read_string_after_tag(t, key)) return false;
      index = PropertyList::array_index(key.wtf8());
      return true;
    case Tag::kInt32:
    case Tag::kUint32:
    case Tag::kDouble: {
      in_.read_byte(t);
      Value n;
      if (!read_number_after_tag(t, n)) return false;
      double d = n.get_number();
      if (d >= 0 && d <= 4294967294.0 && std::trunc(d) == d) {
        index = static_cast<std::uint32_t>(d);
        key = String(std::to_string(*index));
      } else {
        key = String(js_number_to_string(d));
        index = std::nullopt;
      }
      return true;
    }
    default: {
      Value k;
      if (!read_value(k)) return false;
      error_pos_ = at;
      return fail(std::string("property key must be a string or number, found ") + k.type_name());
    }
  }
}

bool Reader::add_property(PropertyList& props, String key, Value value,
                          std::unordered_set<std::string>& seen) {
  bool duplicate = false;
  if (props.size() < kLinearKeyCheckLimit) {
    duplicate = props.contains(key.wtf8());
  } else {
    if (seen.empty())
      for (const auto& e : props) seen.insert(e.first.wtf8());
    duplicate = !seen.insert(key.wtf8()).second;
  }
  if (duplicate) return fail("duplicate property key \"" + key.utf8() + "\"");
  props.append_unchecked(std::move(key), std::move(value));
  return true;
}

bool Reader::read_object(Value& out) {
  begin_object(Type::kObject);
  // Properties gather in a per-depth scratch list, so the object's own list
  // is allocated once at its final size.
  if (scratch_.size() <= depth_) scratch_.resize(depth_ + 1);
  std::vector<PropertyList::Entry>& props = scratch_[depth_];
  props.clear();
  std::unordered_set<std::string_view> seen;
  for (;;) {
    std::uint8_t t;
    mark();
    if (!peek_tag(t)) return fail("truncated object: no end tag");
    if (t == static_cast<std::uint8_t>(Tag::kEndJSObject)) {
      in_.read_byte(t);
      std::uint32_t count;
      if (!varint(count, "object end")) return false;
      if (count != props.size())
        return fail("object end says " + std::to_string(count) + " properties, but " +
                    std::to_string(props.size()) + " were read");
      Object obj;
      obj.properties().append_all_unchecked(props);
      props.clear();
      out = Value(std::move(obj));
      return true;
    }
    String key;
    std::optional<std::uint32_t> index;
    Value value;
    if (!read_key(key, index) || !read_value(value)) return false;
    if (is_duplicate(props, key, seen))
      return fail("duplicate property key \"" + key.utf8() + "\"");
    props.emplace_back(std::move(key), std::move(value));
  }
}

bool Reader::is_duplicate(const std::vector<PropertyList::Entry>& props, const String& key,
                          std::unordered_set<std::string_view>& seen) {
  if (props.size() < kLinearKeyCheckLimit) {
    for (const auto& e : props)
      if (e.first == key) return true;
    return false;
  }
  // Keys are hashed by copy-free views into key_store_, which only grows
  // (entries in `props` move when it reallocates; their SSO buffers with them).
  if (seen.empty())
    for (const auto& e : props) seen.insert(key_store_.emplace_back(e.first.wtf8()));
  if (seen.count(key.wtf8())) return true;
  seen.insert(key_store_.emplace_back(key.wtf8()));
  return false;
}

bool Reader::read_array_properties(Array& a, std::uint8_t end_tag, std::size_t& pairs) {
  std::unordered_set<std::string> seen;
  for (;;) {
    std::uint8_t t;
    mark();
    if (!peek_tag(t)) return fail("truncated array: no end tag");
    if (t == end_tag) {
      in_.read_byte(t);
      return true;
    }
    String key;
    std::optional<std::uint32_t> index;
    Value value;
    std::size_t at = in_.position();
    if (!read_key(key, index) || !read_value(value)) return false;
    ++pairs;
    if (index) {
      if (a.get(*index)) {
        error_pos_ = at;
        return fail("duplicate array index " + std::to_string(*index));
      }
      if (!a.append_at(*index, std::move(value))) {
        // Out of order: allowed by V8, just slower here.
        a.set(*index, std::move(value));
      }
    } else if (!add_property(a.properties(), std::move(key), std::move(value), seen)) {
      return false;
    }
  }
}

// The key/value pairs after an array's elements, its end tag, and the
// counts the end tag repeats.
bool Reader::read_array_end(Array& a, Tag end_tag, std::uint32_t length) {
  std::size_t pairs = 0;
  if (!read_array_properties(a, static_cast<std::uint8_t>(end_tag), pairs)) return false;
  std::uint32_t count, end_length;
  if (!varint(count, "array end") || !varint(end_length, "array end")) return false;
  if (count != pairs)
    return fail("array end says " + std::to_string(count) + " properties, but " +
                std::to_string(pairs) + " were read");
  if (end_length != length)
    return fail("array end says length " + std::to_string(end_length) + ", but it began with " +
                std::to_string(length));
  return true;
}

bool Reader::read_dense_array(Value& out) {
  std::uint32_t length;
  if (!varint(length, "array length")) return false;
  begin_object(Type::kArray);
  if (length > in_.remaining())
    return fail("dense array of " + std::to_string(length) + " elements in " +
                std::to_string(in_.remaining()) + " bytes");
  Array a;
  a.reserve(length);
  for (std::uint32_t i = 0; i < length; ++i) {
    Value e;
    if (!read_value(e, /*allow_hole=*/true)) return false;
    a.mutable_items().push_back(std::move(e));
  }
  a.set_length(length);
  if (!read_array_end(a, Tag::kEndDenseJSArray, length)) return false;
  out = Value(std::move(a));
  return true;
}

bool Reader::read_sparse_array(Value& out) {
  std::uint32_t length;
  if (!varint(length, "array length")) return false;
  begin_object(Type::kArray);
  Array a;
  a.set_prefer_sparse(true);
  if (!read_array_end(a, Tag::kEndSparseJSArray, length)) return false;
  if (a.length() > length)
    return fail("sparse array of length " + std::to_string(length) + " has an element at " +
                std::to_string(a.length() - 1));
  a.set_length(length);
  out = Value(std::move(a));
  return true;
}

bool Reader::read_map(Value& out) {
  begin_object(Type::kMap);
  Map m;
  for (;;) {
    std::uint8_t t;
    mark();
    if (!peek_tag(t)) return fail("truncated Map: no end tag");
    if (t == static_cast<std::uint8_t>(Tag::kEndJSMap)) {
      in_.read_byte(t);
      std::uint32_t count;
      if (!varint(count, "Map end")) return false;
      if (count != 2 * m.size())
        return fail("Map end says " + std::to_string(count) + " keys and values, but " +
                    std::to_string(2 * m.size()) + " were read");
      out = Value(std::move(m));
      return true;
    }
    Value k, v;
    if (!read_value(k) || !read_value(v)) return false;
    m.entries().emplace_back(std::move(k), std::move(v));
  }
}

bool Reader::read_set(Value& out) {
  begin_object(Type::kSet);
  Set s;
  for (;;) {
    std::uint8_t t;
    mark();
    if (!peek_tag(t)) return fail("truncated Set: no end tag");
    if (t == static_cast<std::uint8_t>(Tag::kEndJSSet)) {
      in_.read_byte(t);
      std::uint32_t count;
      if (!varint(count, "Set end")) return false;
      if (count != s.size())
        return fail("Set end says " + std::to_string(count) + " members, but " +
                    std::to_string(s.size()) + " were read");
      out = Value(std::move(s));
      return true;
    }
    Value v;
    if (!read_value(v)) return false;
    s.values().push_back(std::move(v));
  }
}

bool Reader::read_array_buffer(std::uint8_t t, Value& out) {
  std::uint32_t length, max_length = 0;
  bool resizable = t == static_cast<std::uint8_t>(Tag::kResizableArrayBuffer);
  if (!varint(length, "ArrayBuffer length")) return false;
  if (resizable) {
    if (!varint(max_length, "ArrayBuffer max length")) return false;
    if (length > max_length)
      return fail("resizable ArrayBuffer of " + std::to_string(length) +
                  " bytes exceeds its maximum " + std::to_string(max_length));
  }
  std::span<const std::uint8_t> data;
  if (!bytes(length, data, "ArrayBuffer")) return false;
  // A view record right after the buffer makes the view its parent: the view
  // takes the earlier tree id (pre-order), the buffer the next; on the wire
  // the buffer comes first.
  std::uint8_t next;
  bool viewed = peek_tag(next) && next == static_cast<std::uint8_t>(Tag::kArrayBufferView);
  auto first_id = static_cast<std::uint32_t>(nodes_.size());
  NodeInfo info{Type::kArrayBuffer, length, resizable};
  if (viewed) nodes_.push_back(NodeInfo{Type::kView});
  nodes_.push_back(info);
  wire_to_tree_.push_back(viewed ? first_id + 1 : first_id);
  Bytes b(data.data(), data.size());
  ArrayBuffer buffer =
      resizable ? ArrayBuffer::resizable(std::move(b), max_length) : ArrayBuffer(std::move(b));
  if (!viewed) {
    out = Value(std::move(buffer));
    return true;
  }
  return read_view_record(Value(std::move(buffer)), info, first_id, out);
}

bool Reader::read_view_record(Value buffer, const NodeInfo& info, std::uint32_t view_tree_id,
                              Value& out) {
  std::uint8_t t;
  mark();
  read_tag(t);  // the 'V' the caller peeked
  std::uint32_t subtag, offset, length, flags = 0;
  if (!varint(subtag, "view subtag") || !varint(offset, "view offset") ||
      !varint(length, "view length"))
    return false;
  if (version_ >= 14 && !varint(flags, "view flags")) return false;
  auto kind = kind_from_subtag(subtag);
  if (!kind) return fail("unknown view subtag " + describe_tag(static_cast<std::uint8_t>(subtag)));
  if (flags & ~(kViewFlagLengthTracking | kViewFlagBackedByResizable))
    return fail("unknown view flags " + std::to_string(flags));
  if (offset > info.byte_length || length > info.byte_length - offset)
    return fail("view [" + std::to_string(offset) + ", +" + std::to_string(length) +
                ") outside its " + std::to_string(info.byte_length) + "-byte buffer");
  std::size_t element = view_element_size(*kind);
  if (offset % element || length % element)
    return fail(std::string(view_kind_name(*kind)) + " at offset " + std::to_string(offset) +
                " with " + std::to_string(length) + " bytes is misaligned");
  wire_to_tree_.push_back(view_tree_id);
  out = Value(View(*kind, std::move(buffer), offset, length, flags & kViewFlagLengthTracking));
  return true;
}

bool Reader::read_node_view(Value& out) {
  std::uint32_t index, length;
  if (!varint(index, "view type") || !varint(length, "view length")) return false;
  if (index >= static_cast<std::uint32_t>(kViewKindCount))
    return fail("unknown Node view type " + std::to_string(index));
  auto kind = static_cast<ViewKind>(index);
  if (length % view_element_size(kind))
    return fail(std::string(view_kind_name(kind)) + " of " + std::to_string(length) +
                " bytes is not a whole number of elements");
  std::span<const std::uint8_t> data;
  if (!bytes(length, data, view_kind_name(kind))) return false;
  begin_object(Type::kView);
  nodes_.push_back(NodeInfo{Type::kArrayBuffer, length, false});  // the view's own buffer
  out = Value(View(kind, Bytes(data.data(), data.size())));
  return true;
}

bool Reader::read_host_object(Value& out) {
  switch (options_.form) {
    case Form::kNode: return read_node_view(out);
    case Form::kNodeIpc: {
      std::uint32_t kind;
      if (!varint(kind, "host object kind")) return false;
      if (kind == static_cast<std::uint32_t>(NodeIpcHostKind::kArrayBufferView))
        return read_node_view(out);
      if (kind != static_cast<std::uint32_t>(NodeIpcHostKind::kOther))
        return fail("unknown Node IPC host object kind " + std::to_string(kind));
      // Node copies such objects as a plain object that follows; the host
      // object's id names that same object.
      auto wire = wire_to_tree_.size();
      wire_to_tree_.push_back(kPendingTreeId);
      auto tree = static_cast<std::uint32_t>(nodes_.size());
      if (!read_value(out)) return false;
      if (!out.is_object()) return fail("Node IPC host object is not followed by an object");
      wire_to_tree_[wire] = tree;
      return true;
    }
    case Form::kValence: {
      if (!options_.delegate)
        return fail("host object but no codec delegate to read it", ErrorCode::kUnimplemented);
      auto r = options_.delegate->read_host_object(in_);
      if (!r) return fail(r.error().message, r.error().code);
      out = std::move(r).value();
      if (!out.is_object_like()) return fail("the delegate's host object is not an object");
      begin_object(out.type());
      return true;
    }
  }
  return false;
}

bool Reader::read_error(Value& out) {
  begin_object(Type::kError);
  ErrorValue e;
  for (;;) {
    std::uint8_t t;
    mark();
    if (!in_.read_byte(t)) return fail("truncated Error: no end tag");
    switch (static_cast<ErrorTag>(t)) {
      case ErrorTag::kEvalErrorPrototype: e.prototype = ErrorPrototype::kEvalError; break;
      case ErrorTag::kRangeErrorPrototype: e.prototype = ErrorPrototype::kRangeError; break;
      case ErrorTag::kReferenceErrorPrototype: e.prototype = ErrorPrototype::kReferenceError; break;
      case ErrorTag::kSyntaxErrorPrototype: e.prototype = ErrorPrototype::kSyntaxError; break;
      case ErrorTag::kTypeErrorPrototype: e.prototype = ErrorPrototype::kTypeError; break;
      case ErrorTag::kUriErrorPrototype: e.prototype = ErrorPrototype::kUriError; break;
      case ErrorTag::kMessage: {
        String m;
        if (!read_string(m, "Error message")) return false;
        e.message = std::move(m);
        break;
      }
      case ErrorTag::kStack: {
        String s;
        if (!read_string(s, "Error stack")) return false;
        e.stack = std::move(s);
        break;
      }
      case ErrorTag::kCause: {
        Value c;
        if (!read_value(c)) return false;
        e.set_cause(std::move(c));
        break;
      }
      case ErrorTag::kEnd: out = Value(std::move(e)); return true;
      default: return fail("unknown Error sub-tag " + describe_tag(t));
    }
  }
}

bool Reader::read_regexp(Value& out) {
  begin_object(Type::kRegExp);
  RegExp r;
  if (!read_string(r.source, "RegExp source")) return false;
  if (!varint(r.flags, "RegExp flags")) return false;
  constexpr std::uint32_t kKnown = kRegExpGlobal | kRegExpIgnoreCase | kRegExpMultiline |
                                   kRegExpSticky | kRegExpUnicode | kRegExpDotAll |
                                   kRegExpHasIndices | kRegExpUnicodeSets;
  if (r.flags & ~kKnown) return fail("unknown RegExp flag bits " + std::to_string(r.flags));
  if ((r.flags & kRegExpUnicode) && (r.flags & kRegExpUnicodeSets))
    return fail("RegExp flags 'u' and 'v' together");
  out = Value(std::move(r));
  return true;
}

}  // namespace

Result<Value> decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options) {
  Reader r(bytes, options);
  Value v;
  if (!r.read_header() || !r.read_value(v)) return Unexpected{r.take_error()};
  if (!options.allow_trailing_bytes && !r.at_end()) {
    r.mark();
    r.fail("unexpected bytes after the value");
    return Unexpected{r.take_error()};
  }
  if (options.produced_refs) *options.produced_refs = r.produced_refs();
  return v;
}

}  // namespace valence::codec
