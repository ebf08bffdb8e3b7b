#include <cmath>
#include <cstdio>
#include <cstring>

#include "base/js_number.h"
#include "base/unicode.h"
#include "valence/value.h"

namespace valence {
namespace {

constexpr std::size_t kMaxShownBytes = 16;
constexpr std::size_t kMaxShownItems = 100;

void quote(const String& s, std::string& out) {
  out.push_back('"');
  std::string_view w = s.wtf8();
  std::size_t i = 0;
  while (i < w.size()) {
    std::uint32_t cp = unicode::next_code_point(w, i);
    char buf[16];
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (cp < 0x20 || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0x7F) {
          std::snprintf(buf, sizeof buf, "\\u%04X", cp);
          out += buf;
        } else {
          unicode::append_code_point(cp, out);
        }
    }
  }
  out.push_back('"');
}

void key(const String& k, std::string& out) {
  const std::string& w = k.wtf8();
  bool identifier = !w.empty() && !(w[0] >= '0' && w[0] <= '9');
  for (char c : w)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '$'))
      identifier = false;
  if (identifier || PropertyList::array_index(w)) {
    out += w;
  } else {
    quote(k, out);
  }
}

void number(double d, std::string& out) {
  if (d == 0 && std::signbit(d)) {
    out += "-0";
  } else {
    out += js_number_to_string(d);
  }
}

void render(const Value& v, std::string& out);

void props(const PropertyList& p, std::string& out, bool& first) {
  for (const auto& [k, val] : p) {
    if (!first) out += ", ";
    first = false;
    key(k, out);
    out += ": ";
    render(val, out);
  }
}

void bytes(std::span<const std::uint8_t> b, std::string& out) {
  char buf[4];
  for (std::size_t i = 0; i < b.size() && i < kMaxShownBytes; ++i) {
    std::snprintf(buf, sizeof buf, i ? " %02x" : "%02x", b[i]);
    out += buf;
  }
  if (b.size() > kMaxShownBytes) out += " ...";
}

// Typed array elements, JS style: [1, 2, 3].
void elements(ViewKind kind, std::span<const std::uint8_t> b, std::string& out) {
  std::size_t size = view_element_size(kind);
  std::size_t count = b.size() / size;
  out += " [";
  for (std::size_t i = 0; i < count && i < kMaxShownBytes; ++i) {
    if (i) out += ", ";
    const std::uint8_t* p = b.data() + i * size;
    auto load = [p](auto zero) {
      decltype(zero) x;
      std::memcpy(&x, p, sizeof x);
      return x;
    };
    switch (kind) {
      case ViewKind::kInt8Array: out += std::to_string(load(std::int8_t{})); break;
      case ViewKind::kInt16Array: out += std::to_string(load(std::int16_t{})); break;
      case ViewKind::kUint16Array: out += std::to_string(load(std::uint16_t{})); break;
      case ViewKind::kInt32Array: out += std::to_string(load(std::int32_t{})); break;
      case ViewKind::kUint32Array: out += std::to_string(load(std::uint32_t{})); break;
      case ViewKind::kFloat32Array: number(static_cast<double>(load(float{})), out); break;
      case ViewKind::kFloat64Array: number(load(double{}), out); break;
      case ViewKind::kBigInt64Array: out += std::to_string(load(std::int64_t{})) + "n"; break;
      case ViewKind::kBigUint64Array: out += std::to_string(load(std::uint64_t{})) + "n"; break;
      default: out += std::to_string(p[0]); break;
    }
  }
  if (count > kMaxShownBytes) out += ", ...";
  out += "]";
}

void render(const Value& v, std::string& out) {
  switch (v.type()) {
    case Type::kUndefined: out += "undefined"; return;
    case Type::kNull: out += "null"; return;
    case Type::kHole: out += "<hole>"; return;
    case Type::kBoolean: out += v.get_bool() ? "true" : "false"; return;
    case Type::kNumber: number(v.get_number(), out); return;
    case Type::kBigInt: out += v.get_bigint().to_decimal() + "n"; return;
    case Type::kString: quote(v.get_js_string(), out); return;
    case Type::kRef: out += "<ref #" + std::to_string(v.get_ref().id) + ">"; return;
    case Type::kObject: {
      if (v.get_object().size() == 0) {
        out += "{}";
        return;
      }
      out += "{";
      bool first = true;
      props(v.get_object().properties(), out, first);
      out += "}";
      return;
    }
    case Type::kArray: {
      const Array& a = v.get_array();
      out += "[";
      bool first = true;
      std::size_t shown = 0;
      std::uint64_t next = 0;  // first index not yet rendered
      auto holes = [&](std::uint64_t n) {
        if (!n) return;
        if (!first) out += ", ";
        first = false;
        out += n == 1 ? "<hole>" : "<" + std::to_string(n) + " holes>";
      };
      a.for_each_element([&](std::uint32_t i, const Value& e) {
        if (shown > kMaxShownItems) return;
        if (shown == kMaxShownItems) {
          out += ", ...";
          ++shown;
          return;
        }
        holes(i - next);
        if (!first) out += ", ";
        first = false;
        render(e, out);
        next = std::uint64_t{i} + 1;
        ++shown;
      });
      if (shown <= kMaxShownItems) holes(a.length() - next);
      props(a.properties(), out, first);
      out += "]";
      return;
    }
    case Type::kDate: {
      out += "Date(";
      number(v.get_date().time, out);
      out += ")";
      return;
    }
    case Type::kRegExp:
      out += "/" + v.get_regexp().source.utf8() + "/" + v.get_regexp().flag_letters();
      return;
    case Type::kMap: {
      out += "Map(" + std::to_string(v.get_map().size()) + ") {";
      bool first = true;
      for (const auto& [k, val] : v.get_map().entries()) {
        out += first ? "" : ", ";
        first = false;
        render(k, out);
        out += " => ";
        render(val, out);
      }
      out += "}";
      return;
    }
    case Type::kSet: {
      out += "Set(" + std::to_string(v.get_set().size()) + ") {";
      bool first = true;
      for (const auto& val : v.get_set().values()) {
        out += first ? "" : ", ";
        first = false;
        render(val, out);
      }
      out += "}";
      return;
    }
    case Type::kArrayBuffer: {
      const ArrayBuffer& b = v.get_array_buffer();
      out += "ArrayBuffer(" + std::to_string(b.byte_length());
      if (b.is_resizable()) out += ", max " + std::to_string(b.max_byte_length());
      out += ") <";
      bytes(b.bytes().span(), out);
      out += ">";
      return;
    }
    case Type::kView: {
      const View& w = v.get_view();
      out += std::string(view_kind_name(w.kind())) + "(" +
             std::to_string(w.byte_length() / view_element_size(w.kind())) +
             (w.kind() == ViewKind::kDataView ? " bytes)" : ")");
      if (w.buffer().is_ref()) {
        out += " on <ref #" + std::to_string(w.buffer().get_ref().id) + "> at " +
               std::to_string(w.byte_offset());
      } else if (w.kind() == ViewKind::kDataView || w.kind() == ViewKind::kBuffer) {
        out += " <";
        bytes(w.own_bytes(), out);
        out += ">";
      } else {
        elements(w.kind(), w.own_bytes(), out);
      }
      return;
    }
    case Type::kError: {
      const ErrorValue& e = v.get_error();
      out += error_prototype_name(e.prototype);
      out += "(";
      if (e.message) quote(*e.message, out);
      if (e.has_cause) {
        out += e.message ? ", cause: " : "cause: ";
        render(e.cause, out);
      }
      out += ")";
      return;
    }
    case Type::kBooleanObject:
      out += v.get_boolean_object().value ? "[Boolean: true]" : "[Boolean: false]";
      return;
    case Type::kNumberObject:
      out += "[Number: ";
      number(v.get_number_object().value, out);
      out += "]";
      return;
    case Type::kBigIntObject:
      out += "[BigInt: " + v.get_bigint_object().value.to_decimal() + "n]";
      return;
    case Type::kStringObject:
      out += "[String: ";
      quote(v.get_string_object().value, out);
      out += "]";
      return;
    case Type::kHostObject:
      out +=
          "[" + v.get_host_object().kind + " #" + std::to_string(v.get_host_object().handle) + "]";
      return;
  }
}

}  // namespace

std::string Value::to_debug_string() const {
  std::string out;
  render(*this, out);
  return out;
}

}  // namespace valence
