// Value -> V8 wire bytes. See docs/architecture.md ("codec") for the id rules.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "base/unicode.h"
#include "codec/tags.h"
#include "valence/codec.h"

namespace valence::codec {
namespace {

constexpr std::uint32_t kNoWireId = std::numeric_limits<std::uint32_t>::max();

std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

class Writer {
 public:
  Writer(std::vector<std::uint8_t>& out, const EncodeOptions& options, std::size_t origin)
      : out_(out), options_(options), origin_(origin) {}

  bool write_value(const Value& v);
  Error take_error() {
    return Error{error_code_, std::string(options_.root_name) + path_ + ": " + message_};
  }

 private:
  void tag(Tag t) { out_.push_back(static_cast<std::uint8_t>(t)); }
  void byte(std::uint8_t b) { out_.push_back(b); }
  void varint(std::uint64_t v) {
    if (v < 0x80) {
      out_.push_back(static_cast<std::uint8_t>(v));
    } else {
      write_varint(out_, v);
    }
  }
  void zigzag(std::int32_t i) {
    auto u = static_cast<std::uint32_t>(i);
    varint((u << 1) ^ static_cast<std::uint32_t>(i >> 31));
  }
  void raw(const void* data, std::size_t n) {
    if (!n) return;
    const auto* p = static_cast<const std::uint8_t*>(data);
    out_.insert(out_.end(), p, p + n);  // no zero-fill first, unlike resize
  }
  void raw_double(double d) {
    if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
    raw(&d, 8);
  }

  bool fail(ErrorCode code, std::string message) {
    error_code_ = code;
    message_ = std::move(message);
    return false;
  }
  // Called while unwinding from a failed child: prefixes the path segment.
  bool in(std::string segment) {
    path_ = segment + path_;
    return false;
  }
  static std::string key_segment(const std::string& key) {
    bool plain = !key.empty() && !(key[0] >= '0' && key[0] <= '9');
    for (char c : key)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '$'))
        plain = false;
    return plain ? "." + key : "[\"" + key + "\"]";
  }

  // Registers an object node in pre-order; returns its tree id.
  std::uint32_t register_node(const Value& v) {
    auto id = static_cast<std::uint32_t>(tree_nodes_.size());
    tree_nodes_.push_back(&v);
    tree_to_wire_.push_back(kNoWireId);
    return id;
  }
  void assign_wire(std::uint32_t tree_id) { tree_to_wire_[tree_id] = next_wire_++; }

  void write_number(const Number& n);
  void write_string(const String& s);
  void write_bigint_payload(const BigInt& b);
  void write_index_key(std::uint32_t index);
  void write_key(const String& key);
  bool write_props(const PropertyList& props);
  bool write_ref(Ref ref);
  bool write_object_like(const Value& v);
  bool write_array(const Array& a);
  bool write_view(const Value& v, std::uint32_t tree_id);
  bool write_array_buffer(const ArrayBuffer& b);
  const ArrayBuffer* resolve_buffer(const View& view);

  std::vector<std::uint8_t>& out_;
  const EncodeOptions& options_;
  std::size_t origin_;
  std::vector<const Value*> tree_nodes_;
  std::vector<std::uint32_t> tree_to_wire_;
  std::uint32_t next_wire_ = 0;
  std::size_t depth_ = 0;
  ErrorCode error_code_ = ErrorCode::kFailed;
  std::string message_;
  std::string path_;
};

void Writer::write_number(const Number& n) {
  double d = n.value;
  bool int32 =
      d >= -2147483648.0 && d <= 2147483647.0 && std::trunc(d) == d && !(d == 0 && std::signbit(d));
  if (int32 && n.rep != NumberRep::kDouble) {
    tag(Tag::kInt32);
    zigzag(static_cast<std::int32_t>(d));
  } else {
    tag(Tag::kDouble);
    raw_double(d);
  }
}

void Writer::write_string(const String& s) {
  const std::string& w = s.wtf8();
  if (!s.two_byte() && unicode::is_ascii(w)) {
    tag(Tag::kOneByteString);
    varint(w.size());
    raw(w.data(), w.size());
    return;
  }
  std::u16string units;
  units.reserve(w.size());
  unicode::append_utf16(w, units);
  bool one_byte = !s.two_byte();
  if (one_byte)
    for (char16_t u : units)
      if (u > 0xFF) {
        one_byte = false;
        break;
      }
  if (one_byte) {
    tag(Tag::kOneByteString);
    varint(units.size());
    std::size_t at = out_.size();
    out_.resize(at + units.size());
    for (std::size_t i = 0; i < units.size(); ++i)
      out_[at + i] = static_cast<std::uint8_t>(units[i]);
    return;
  }
  std::size_t byte_length = units.size() * 2;
  // V8 aligns two-byte character data to an even offset with one padding byte.
  std::size_t pos = out_.size() - origin_;
  if ((pos + 1 + varint_size(byte_length)) % 2 == 1) tag(Tag::kPadding);
  tag(Tag::kTwoByteString);
  varint(byte_length);
  std::size_t at = out_.size();
  out_.resize(at + byte_length);
  for (std::size_t i = 0; i < units.size(); ++i) {
    out_[at + 2 * i] = static_cast<std::uint8_t>(units[i] & 0xFF);
    out_[at + 2 * i + 1] = static_cast<std::uint8_t>(units[i] >> 8);
  }
}

void Writer::write_bigint_payload(const BigInt& b) {
  const auto& mag = b.magnitude();
  std::size_t bytes = (mag.size() + 7) / 8 * 8;  // whole 64-bit digits, as Node writes
  varint((static_cast<std::uint64_t>(bytes) << 1) | (b.negative() ? 1u : 0u));
  raw(mag.data(), mag.size());
  out_.resize(out_.size() + (bytes - mag.size()), 0);
}

void Writer::write_index_key(std::uint32_t index) {
  if (index <= 2147483647u) {
    tag(Tag::kInt32);
    zigzag(static_cast<std::int32_t>(index));
  } else {
    tag(Tag::kDouble);
    raw_double(static_cast<double>(index));
  }
}

void Writer::write_key(const String& key) {
  if (auto index = PropertyList::array_index(key.wtf8())) {
    write_index_key(*index);
  } else {
    write_string(key);
  }
}

bool Writer::write_props(const PropertyList& props) {
  for (const auto& [k, v] : props) {
    write_key(k);
    if (!write_value(v)) return in(key_segment(k.utf8()));
  }
  return true;
}

bool Writer::write_ref(Ref ref) {
  if (ref.id >= tree_nodes_.size())
    return fail(ErrorCode::kCloneError, "reference to object #" + std::to_string(ref.id) +
                                            ", which does not precede it in the value");
  std::uint32_t wire = tree_to_wire_[ref.id];
  if (wire == kNoWireId) {
    // Only a view's own buffer is left unwritten (Node's view form copies the
    // bytes); a reference to it becomes a copy of that buffer.
    const Value* target = tree_nodes_[ref.id];
    if (!target->is_array_buffer())
      return fail(ErrorCode::kCloneError,
                  "reference to object #" + std::to_string(ref.id) + " that has no wire identity");
    assign_wire(ref.id);
    return write_array_buffer(target->get_array_buffer());
  }
  tag(Tag::kObjectReference);
  varint(wire);
  return true;
}

bool Writer::write_array_buffer(const ArrayBuffer& b) {
  if (b.is_resizable()) {
    tag(Tag::kResizableArrayBuffer);
    varint(b.byte_length());
    varint(b.max_byte_length());
  } else {
    tag(Tag::kArrayBuffer);
    varint(b.byte_length());
  }
  raw(b.bytes().data(), b.byte_length());
  return true;
}

bool Writer::write_value(const Value& v) {
  switch (v.type()) {
    case Type::kUndefined: tag(Tag::kUndefined); return true;
    case Type::kNull: tag(Tag::kNull); return true;
    case Type::kBoolean: tag(v.get_bool() ? Tag::kTrue : Tag::kFalse); return true;
    case Type::kNumber: write_number(v.get_number_rep()); return true;
    case Type::kBigInt:
      tag(Tag::kBigInt);
      write_bigint_payload(v.get_bigint());
      return true;
    case Type::kString: write_string(v.get_js_string()); return true;
    case Type::kRef: return write_ref(v.get_ref());
    case Type::kHole: return fail(ErrorCode::kCloneError, "a hole can only be an array element");
    default: break;
  }
  if (++depth_ > options_.max_depth) {
    --depth_;
    return fail(ErrorCode::kOverloaded,
                "nested deeper than " + std::to_string(options_.max_depth) + " levels");
  }
  bool ok = write_object_like(v);
  --depth_;
  return ok;
}

bool Writer::write_object_like(const Value& v) {
  std::uint32_t tree_id = register_node(v);
  if (v.is_view()) return write_view(v, tree_id);
  assign_wire(tree_id);
  switch (v.type()) {
    case Type::kObject: {
      const Object& o = v.get_object();
      tag(Tag::kBeginJSObject);
      if (!write_props(o.properties())) return false;
      tag(Tag::kEndJSObject);
      varint(o.size());
      return true;
    }
    case Type::kArray: return write_array(v.get_array());
    case Type::kDate:
      tag(Tag::kDate);
      raw_double(v.get_date().time);
      return true;
    case Type::kRegExp:
      tag(Tag::kRegExp);
      write_string(v.get_regexp().source);
      varint(v.get_regexp().flags);
      return true;
    case Type::kMap: {
      const Map& m = v.get_map();
      tag(Tag::kBeginJSMap);
      std::size_t i = 0;
      for (const auto& [key, val] : m.entries()) {
        if (!write_value(key)) return in("[Map key " + std::to_string(i) + "]");
        if (!write_value(val)) return in("[Map value " + std::to_string(i) + "]");
        ++i;
      }
      tag(Tag::kEndJSMap);
      varint(2 * m.size());
      return true;
    }
    case Type::kSet: {
      const Set& s = v.get_set();
      tag(Tag::kBeginJSSet);
      std::size_t i = 0;
      for (const auto& val : s.values()) {
        if (!write_value(val)) return in("[Set member " + std::to_string(i) + "]");
        ++i;
      }
      tag(Tag::kEndJSSet);
      varint(s.size());
      return true;
    }
    case Type::kArrayBuffer: return write_array_buffer(v.get_array_buffer());
    case Type::kError: {
      const ErrorValue& e = v.get_error();
      tag(Tag::kError);
      switch (e.prototype) {
        case ErrorPrototype::kError: break;
        case ErrorPrototype::kEvalError: byte('E'); break;
        case ErrorPrototype::kRangeError: byte('R'); break;
        case ErrorPrototype::kReferenceError: byte('F'); break;
        case ErrorPrototype::kSyntaxError: byte('S'); break;
        case ErrorPrototype::kTypeError: byte('T'); break;
        case ErrorPrototype::kUriError: byte('U'); break;
      }
      if (e.message) {
        byte('m');
        write_string(*e.message);
      }
      if (e.has_cause) {
        byte('c');
        if (!write_value(e.cause)) return in(".cause");
      }
      if (e.stack) {
        byte('s');
        write_string(*e.stack);
      }
      byte('.');
      return true;
    }
    case Type::kBooleanObject:
      tag(v.get_boolean_object().value ? Tag::kTrueObject : Tag::kFalseObject);
      return true;
    case Type::kNumberObject:
      tag(Tag::kNumberObject);
      raw_double(v.get_number_object().value);
      return true;
    case Type::kBigIntObject:
      tag(Tag::kBigIntObject);
      write_bigint_payload(v.get_bigint_object().value);
      return true;
    case Type::kStringObject:
      tag(Tag::kStringObject);
      write_string(v.get_string_object().value);
      return true;
    case Type::kHostObject: {
      const HostObject& h = v.get_host_object();
      if (options_.form != Form::kValence || !options_.delegate)
        return fail(ErrorCode::kCloneError,
                    "host object '" + h.kind + "' could not be cloned (no codec delegate for it)");
      tag(Tag::kHostObject);
      auto r = options_.delegate->write_host_object(h, out_);
      if (!r) return fail(r.error().code, r.error().message);
      return true;
    }
    default: break;
  }
  return fail(ErrorCode::kCloneError, std::string(v.type_name()) + " could not be cloned");
}

bool Writer::write_array(const Array& a) {
  bool dense = !a.prefer_sparse() && a.items().size() == a.length();
  if (dense)
    for (const Value& e : a.items())
      if (e.is_hole()) {
        dense = false;
        break;
      }
  if (dense) {
    tag(Tag::kBeginDenseJSArray);
    varint(a.length());
    std::uint32_t i = 0;
    for (const Value& e : a.items()) {
      if (!write_value(e)) return in("[" + std::to_string(i) + "]");
      ++i;
    }
    if (!write_props(a.properties())) return false;
    tag(Tag::kEndDenseJSArray);
    varint(a.properties().size());
    varint(a.length());
    return true;
  }
  tag(Tag::kBeginSparseJSArray);
  varint(a.length());
  std::size_t pairs = 0;
  bool ok = true;
  a.for_each_element([&](std::uint32_t i, const Value& e) {
    if (!ok) return;
    write_index_key(i);
    if (!write_value(e)) {
      in("[" + std::to_string(i) + "]");
      ok = false;
    }
    ++pairs;
  });
  if (!ok) return false;
  if (!write_props(a.properties())) return false;
  tag(Tag::kEndSparseJSArray);
  varint(pairs + a.properties().size());
  varint(a.length());
  return true;
}

const ArrayBuffer* Writer::resolve_buffer(const View& view) {
  const Value& b = view.buffer();
  if (const ArrayBuffer* own = b.get_if_array_buffer()) return own;
  if (!b.is_ref()) return nullptr;
  std::uint32_t id = b.get_ref().id;
  if (id >= tree_nodes_.size()) return nullptr;
  return tree_nodes_[id]->get_if_array_buffer();
}

bool Writer::write_view(const Value& v, std::uint32_t tree_id) {
  const View& view = v.get_view();
  const ArrayBuffer* buffer = resolve_buffer(view);
  if (!buffer)
    return fail(ErrorCode::kCloneError,
                "the view's buffer is not an ArrayBuffer that precedes it in the value");
  if (view.byte_offset() > buffer->byte_length() ||
      view.byte_length() > buffer->byte_length() - view.byte_offset())
    return fail(ErrorCode::kCloneError, "the view's range lies outside its buffer");
  std::size_t element = view_element_size(view.kind());
  if (view.byte_length() % element != 0)
    return fail(ErrorCode::kCloneError, "the view's byte length " +
                                            std::to_string(view.byte_length()) +
                                            " is not a multiple of its element size");
  if (options_.form == Form::kValence) {
    // V8's own form: the buffer (or a reference to it), then the view record.
    if (!write_value(view.buffer())) return in(".buffer");
    assign_wire(tree_id);
    tag(Tag::kArrayBufferView);
    byte(kViewSubtags[static_cast<int>(view.kind())]);
    varint(view.byte_offset());
    varint(view.byte_length());
    std::uint32_t flags = 0;
    if (view.length_tracking()) flags |= kViewFlagLengthTracking;
    if (buffer->is_resizable()) flags |= kViewFlagBackedByResizable;
    varint(flags);
    return true;
  }
  // Node's host-object form: only the viewed bytes; the buffer is not shared.
  assign_wire(tree_id);
  if (view.buffer().is_array_buffer()) register_node(view.buffer());
  tag(Tag::kHostObject);
  if (options_.form == Form::kNodeIpc)
    varint(static_cast<std::uint8_t>(NodeIpcHostKind::kArrayBufferView));
  varint(static_cast<std::uint8_t>(view.kind()));
  varint(view.byte_length());
  raw(buffer->bytes().data() + view.byte_offset(), view.byte_length());
  return true;
}

}  // namespace

Result<void> encode_into(const Value& value, std::vector<std::uint8_t>& out,
                         const EncodeOptions& options, std::size_t padding_origin) {
  std::size_t start = out.size();
  out.push_back(static_cast<std::uint8_t>(Tag::kVersion));
  write_varint(out, kLatestVersion);
  Writer w(out, options, padding_origin);
  if (!w.write_value(value)) {
    out.resize(start);
    return Unexpected{w.take_error()};
  }
  return {};
}

Result<std::vector<std::uint8_t>> encode(const Value& value, const EncodeOptions& options) {
  // Start at the size of this thread's last result: one allocation in the
  // common case of similar messages, instead of a chain of regrowths.
  thread_local std::size_t last_size = 64;
  std::vector<std::uint8_t> out;
  out.reserve(last_size);
  auto r = encode_into(value, out, options, 0);
  if (!r) return Unexpected{r.error()};
  last_size = std::clamp<std::size_t>(out.size() + out.size() / 8, 64, std::size_t{1} << 20);
  return out;
}

}  // namespace valence::codec
