#include "model/model.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace valence::model {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxDepth = 1000;
constexpr double kTwoPow53 = 9007199254740992.0;

// ---------------------------------------------------------------------------
// Shared helpers.

constexpr char kHexDigits[] = "0123456789abcdef";

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xF]);
  }
  return out;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string bits_hex(double d) {
  auto bits = std::bit_cast<std::uint64_t>(d);
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, bits >>= 4)
    out[static_cast<std::size_t>(i)] = kHexDigits[bits & 0xF];
  return out;
}

// A double as the model writes it: a JSON number, or "NaN", "Infinity",
// "-Infinity", "-0". Integral values print without a fraction.
json number_json(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0 && std::signbit(d)) return "-0";
  if (d == std::trunc(d) && std::fabs(d) < kTwoPow53) return static_cast<std::int64_t>(d);
  return d;
}

bool is_int32_value(double d) noexcept {
  return d >= -2147483648.0 && d <= 2147483647.0 && d == std::trunc(d) &&
         !(d == 0 && std::signbit(d));
}

// A string field, or "" when it is absent or not a string (never throws).
std::string str_field(const json& n, const char* name) {
  auto it = n.find(name);
  return it != n.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool is_true(const json& n, const char* name) {
  auto it = n.find(name);
  return it != n.end() && *it == true;
}

bool is_typed_array(ViewKind kind) noexcept {
  return kind != ViewKind::kDataView && kind != ViewKind::kBuffer;
}

// ---------------------------------------------------------------------------
// Value -> model.

class ToModel {
 public:
  json node(const Value& v);

 private:
  struct TreeEntry {
    std::uint32_t model_id;
    bool view_buffer;  // the owned buffer of the view with `model_id`
  };

  json begin_object(const Value& v, const char* type);
  json string_node(const String& s);
  json key_node(const String& key);
  static json index_key(std::uint32_t index);
  json properties(const PropertyList& props);
  json array_node(const Value& v);
  json map_node(const Value& v);
  json set_node(const Value& v);
  json leaf_object(const Value& v);
  json primitive(const Value& v);
  json view_node(const Value& v);
  json error_node(const Value& v);
  json ref_node(Ref ref) const;
  static json bigint_fields(json n, const BigInt& b);
  static json view_values(ViewKind kind, std::span<const std::uint8_t> bytes);

  std::uint32_t model_next_ = 0;
  std::vector<TreeEntry> tree_;  // indexed by tree id
  std::vector<const Value*> tree_nodes_;
};

json ToModel::begin_object(const Value& v, const char* type) {
  std::uint32_t id = model_next_++;
  tree_.push_back({id, false});
  tree_nodes_.push_back(&v);
  return json{{"type", type}, {"id", id}};
}

json ToModel::string_node(const String& s) {
  std::u16string units = s.utf16();
  char16_t max_unit = 0;
  for (char16_t u : units) max_unit = u > max_unit ? u : max_unit;
  json n{{"type", "string"},
         {"encoding", s.two_byte() || max_unit > 0xFF ? "two-byte" : "one-byte"}};
  if (max_unit > 0x7F) {
    std::string hex;
    hex.reserve(units.size() * 4);
    for (char16_t u : units)
      for (int shift = 12; shift >= 0; shift -= 4) hex.push_back(kHexDigits[(u >> shift) & 0xF]);
    n["code_units"] = std::move(hex);
  }
  if (s.is_well_formed())
    n["value"] = s.wtf8();
  else
    n["well_formed"] = false;
  return n;
}

json ToModel::index_key(std::uint32_t index) {
  if (index <= 2147483647u) return json{{"type", "int32"}, {"value", index}};
  double d = index;
  return json{{"type", "double"}, {"value", index}, {"bits", bits_hex(d)}};
}

json ToModel::key_node(const String& key) {
  if (auto index = PropertyList::array_index(key.wtf8())) return index_key(*index);
  return string_node(key);
}

json ToModel::properties(const PropertyList& props) {
  json out = json::array();
  for (const auto& [key, value] : props) {
    json& e = out.emplace_back(json::object());
    e["key"] = key_node(key);
    e["value"] = node(value);
  }
  return out;
}

json ToModel::array_node(const Value& v) {
  const Array& a = v.get_array();
  json n = begin_object(v, "array");
  bool dense = !a.prefer_sparse() && !a.has_holes();
  n["dense"] = dense;
  n["length"] = a.length();
  json elements = json::array();
  a.for_each_element([&](std::uint32_t index, const Value& e) {
    if (dense) {
      elements.push_back(node(e));
      return;
    }
    json& entry = elements.emplace_back(json::object());
    entry["key"] = index_key(index);
    entry["value"] = node(e);
  });
  json props = properties(a.properties());
  if (dense) {
    n["elements"] = std::move(elements);
    n["properties"] = std::move(props);
  } else {
    for (auto& p : props) elements.push_back(std::move(p));
    n["properties"] = std::move(elements);
  }
  return n;
}

json ToModel::view_values(ViewKind kind, std::span<const std::uint8_t> bytes) {
  std::size_t size = view_element_size(kind);
  json out = json::array();
  for (std::size_t at = 0; at + size <= bytes.size(); at += size) {
    std::uint64_t raw = 0;
    for (std::size_t i = 0; i < size; ++i) raw |= std::uint64_t{bytes[at + i]} << (8 * i);
    switch (kind) {
      case ViewKind::kInt8Array: out.push_back(static_cast<std::int8_t>(raw)); break;
      case ViewKind::kInt16Array: out.push_back(static_cast<std::int16_t>(raw)); break;
      case ViewKind::kInt32Array: out.push_back(static_cast<std::int32_t>(raw)); break;
      case ViewKind::kFloat32Array:
        out.push_back(number_json(std::bit_cast<float>(static_cast<std::uint32_t>(raw))));
        break;
      case ViewKind::kFloat64Array: out.push_back(number_json(std::bit_cast<double>(raw))); break;
      case ViewKind::kBigInt64Array:
        out.push_back(std::to_string(static_cast<std::int64_t>(raw)));
        break;
      case ViewKind::kBigUint64Array: out.push_back(std::to_string(raw)); break;
      default: out.push_back(raw); break;  // the unsigned kinds
    }
  }
  return out;
}

json ToModel::view_node(const Value& v) {
  const View& view = v.get_view();
  json n = begin_object(v, "view");
  std::uint32_t view_id = n["id"].get<std::uint32_t>();
  std::span<const std::uint8_t> bytes;
  if (view.buffer().is_array_buffer()) {
    tree_.push_back({view_id, true});
    tree_nodes_.push_back(&view.buffer());
    bytes = view.own_bytes();
  } else if (view.buffer().is_ref()) {
    std::uint32_t id = view.buffer().get_ref().id;
    const Value* target = id < tree_nodes_.size() ? tree_nodes_[id] : nullptr;
    if (target != nullptr && target->is_array_buffer()) {
      auto all = target->get_array_buffer().bytes().span();
      if (view.byte_offset() <= all.size() && view.byte_length() <= all.size() - view.byte_offset())
        bytes = all.subspan(view.byte_offset(), view.byte_length());
    }
  }
  n["view"] = view_kind_name(view.kind());
  n["node_index"] = static_cast<int>(view.kind());
  n["byte_length"] = bytes.size();
  n["hex"] = to_hex(bytes);
  std::size_t size = view_element_size(view.kind());
  if (is_typed_array(view.kind()) && size != 0 && bytes.size() % size == 0 &&
      bytes.size() / size <= 64)
    n["values"] = view_values(view.kind(), bytes);
  return n;
}

json ToModel::error_node(const Value& v) {
  const ErrorValue& e = v.get_error();
  json n = begin_object(v, "error");
  n["prototype"] = error_prototype_name(e.prototype);
  if (e.message) n["message"] = string_node(*e.message);
  if (e.has_cause) n["cause"] = node(e.cause);
  if (e.stack) n["stack"] = string_node(*e.stack);
  return n;
}

json ToModel::ref_node(Ref ref) const {
  if (ref.id >= tree_.size()) return json{{"type", "ref"}, {"id", ref.id}, {"dangling", true}};
  const TreeEntry& entry = tree_[ref.id];
  json n{{"type", "ref"}, {"id", entry.model_id}};
  if (entry.view_buffer) n["view_buffer"] = true;
  return n;
}

json ToModel::bigint_fields(json n, const BigInt& b) {
  n["value"] = b.to_decimal();
  std::string hex;
  const auto& mag = b.magnitude();
  for (std::size_t i = mag.size(); i-- > 0;) {
    std::uint8_t byte = mag[i];
    if (!hex.empty() || byte >= 0x10) hex.push_back(kHexDigits[byte >> 4]);
    if (!hex.empty() || byte != 0) hex.push_back(kHexDigits[byte & 0xF]);
  }
  n["magnitude_hex"] = std::move(hex);
  return n;
}

json ToModel::primitive(const Value& v) {
  switch (v.type()) {
    case Type::kNull: return json{{"type", "null"}};
    case Type::kBoolean: return json{{"type", "bool"}, {"value", v.get_bool()}};
    case Type::kNumber: {
      const Number& num = v.get_number_rep();
      if (num.rep != NumberRep::kDouble && is_int32_value(num.value))
        return json{{"type", "int32"}, {"value", static_cast<std::int32_t>(num.value)}};
      return json{
          {"type", "double"}, {"value", number_json(num.value)}, {"bits", bits_hex(num.value)}};
    }
    case Type::kBigInt: return bigint_fields(json{{"type", "bigint"}}, v.get_bigint());
    case Type::kString: return string_node(v.get_js_string());
    case Type::kHole: return json{{"type", "hole"}};
    default: return json{{"type", "undefined"}};
  }
}

// Object kinds without object children.
json ToModel::leaf_object(const Value& v) {
  switch (v.type()) {
    case Type::kDate: {
      json n = begin_object(v, "date");
      n["value"] = number_json(v.get_date().time);
      n["bits"] = bits_hex(v.get_date().time);
      return n;
    }
    case Type::kRegExp: {
      const RegExp& r = v.get_regexp();
      json n = begin_object(v, "regexp");
      n["source"] = string_node(r.source);
      n["flags"] = r.flag_letters();
      n["flag_bits"] = r.flags;
      return n;
    }
    case Type::kArrayBuffer: {
      const ArrayBuffer& b = v.get_array_buffer();
      json n = begin_object(v, "arraybuffer");
      n["byte_length"] = b.byte_length();
      n["hex"] = to_hex(b.bytes().span());
      if (b.is_resizable()) {
        n["resizable"] = true;
        n["max_byte_length"] = b.max_byte_length();
      }
      return n;
    }
    case Type::kBooleanObject: {
      json n = begin_object(v, "boolean_object");
      n["value"] = v.get_boolean_object().value;
      return n;
    }
    case Type::kNumberObject: {
      json n = begin_object(v, "number_object");
      n["value"] = number_json(v.get_number_object().value);
      n["bits"] = bits_hex(v.get_number_object().value);
      return n;
    }
    case Type::kBigIntObject:
      return bigint_fields(begin_object(v, "bigint_object"), v.get_bigint_object().value);
    case Type::kStringObject: {
      json n = begin_object(v, "string_object");
      n["value"] = string_node(v.get_string_object().value);
      return n;
    }
    default: {  // kHostObject
      json n = begin_object(v, "host_object");
      n["kind"] = v.get_host_object().kind;
      n["handle"] = v.get_host_object().handle;
      return n;
    }
  }
}

json ToModel::map_node(const Value& v) {
  json n = begin_object(v, "map");
  json& entries = n["entries"] = json::array();
  for (const auto& [key, value] : v.get_map().entries()) {
    json& e = entries.emplace_back(json::object());
    e["key"] = node(key);
    e["value"] = node(value);
  }
  return n;
}

json ToModel::set_node(const Value& v) {
  json n = begin_object(v, "set");
  json& values = n["values"] = json::array();
  for (const Value& m : v.get_set().values()) values.push_back(node(m));
  return n;
}

// Keeps the frames on the recursion small: deep values cost little stack.
json ToModel::node(const Value& v) {
  switch (v.type()) {
    case Type::kObject: {
      json n = begin_object(v, "object");
      n["properties"] = properties(v.get_object().properties());
      return n;
    }
    case Type::kArray: return array_node(v);
    case Type::kMap: return map_node(v);
    case Type::kSet: return set_node(v);
    case Type::kError: return error_node(v);
    case Type::kView: return view_node(v);
    case Type::kRef: return ref_node(v.get_ref());
    default: return v.is_object_like() ? leaf_object(v) : primitive(v);
  }
}

// ---------------------------------------------------------------------------
// Model -> Value.

#define MODEL_CONCAT_(a, b) a##b
#define MODEL_CONCAT(a, b) MODEL_CONCAT_(a, b)
#define MODEL_TRY_(tmp, decl, expr)                                \
  auto tmp = (expr);                                               \
  if (!tmp.has_value()) return Unexpected{std::move(tmp).error()}; \
  decl = std::move(*tmp)
// MODEL_TRY(auto x, expr): declares x from a Result, or returns its error.
#define MODEL_TRY(decl, expr) MODEL_TRY_(MODEL_CONCAT(model_try_, __LINE__), decl, expr)

Unexpected fail(const std::string& path, const std::string& what) {
  return make_error(ErrorCode::kBadMessage, path + ": " + what);
}

class FromModel {
 public:
  Result<Value> node(const json& n, const std::string& path, std::size_t depth);

 private:
  Result<const json*> field(const json& n, const char* name, const std::string& path,
                            bool required) const;
  Result<std::uint64_t> uint_field(const json& n, const char* name, const std::string& path,
                                   std::uint64_t max) const;
  Result<double> double_of(const json& n, const std::string& path) const;
  Result<String> string_of(const json& n, const std::string& path) const;
  Result<BigInt> bigint_of(const json& n, const std::string& path) const;
  Result<Bytes> hex_field(const json& n, const std::string& path) const;
  Result<String> key_of(const json& n, const std::string& path) const;
  Result<void> begin_object(const json& n, const std::string& path, bool view);
  Result<Value> ref(const json& n, const std::string& path) const;
  Result<Value> object(const json& n, const std::string& path, std::size_t depth);
  Result<Value> array(const json& n, const std::string& path, std::size_t depth);
  Result<void> array_entry(Array& a, const json& entry, const std::string& path, std::size_t depth,
                           std::unordered_set<std::string>& names);
  Result<Value> map(const json& n, const std::string& path, std::size_t depth);
  Result<Value> set(const json& n, const std::string& path, std::size_t depth);
  Result<Value> error(const json& n, const std::string& path, std::size_t depth);
  Result<Value> array_buffer(const json& n, const std::string& path) const;
  Result<Value> view(const json& n, const std::string& path) const;
  Result<Value> regexp(const json& n, const std::string& path) const;
  Result<Value> object_like(const std::string& type, const json& n, const std::string& path,
                            std::size_t depth);
  Result<Value> leaf_object(const std::string& type, const json& n, const std::string& path) const;
  Result<Value> primitive(const std::string& type, const json& n, const std::string& path) const;

  std::uint32_t tree_next_ = 0;
  std::vector<std::uint32_t> model_tree_;  // model id -> tree id
  std::vector<bool> model_is_view_;
};

Result<const json*> FromModel::field(const json& n, const char* name, const std::string& path,
                                     bool required) const {
  auto it = n.find(name);
  if (it == n.end()) {
    if (required) return fail(path, std::string("missing field \"") + name + "\"");
    return static_cast<const json*>(nullptr);
  }
  return &*it;
}

Result<std::uint64_t> FromModel::uint_field(const json& n, const char* name,
                                            const std::string& path, std::uint64_t max) const {
  MODEL_TRY(const json* f, field(n, name, path, true));
  if (!f->is_number_integer() || (!f->is_number_unsigned() && f->get<std::int64_t>() < 0))
    return fail(path + "." + name, "expected a non-negative integer");
  auto value = f->get<std::uint64_t>();
  if (value > max)
    return fail(path + "." + name, "value " + std::to_string(value) + " is too large");
  return value;
}

// A double from `bits` (exact) when present, else from `value`.
Result<double> FromModel::double_of(const json& n, const std::string& path) const {
  MODEL_TRY(const json* bits, field(n, "bits", path, false));
  if (bits != nullptr) {
    if (!bits->is_string() || bits->get_ref<const std::string&>().size() != 16)
      return fail(path + ".bits", "expected 16 hex digits");
    std::uint64_t raw = 0;
    for (char c : bits->get_ref<const std::string&>()) {
      int d = hex_value(c);
      if (d < 0) return fail(path + ".bits", "expected 16 hex digits");
      raw = raw << 4 | static_cast<std::uint64_t>(d);
    }
    return std::bit_cast<double>(raw);
  }
  MODEL_TRY(const json* value, field(n, "value", path, true));
  if (value->is_number()) return value->get<double>();
  if (value->is_string()) {
    const auto& s = value->get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    if (s == "-0") return -0.0;
  }
  return fail(path + ".value", "expected a number, \"NaN\", \"Infinity\", \"-Infinity\" or \"-0\"");
}

// A string node: code_units when present, else value; two-byte keeps the hint.
Result<String> FromModel::string_of(const json& n, const std::string& path) const {
  if (!n.is_object() || str_field(n, "type") != "string")
    return fail(path, "expected a string node");
  MODEL_TRY(const json* units, field(n, "code_units", path, false));
  MODEL_TRY(const json* value, field(n, "value", path, false));
  if (value != nullptr && !value->is_string())
    return fail(path + ".value", "expected a JSON string");
  String s;
  if (units != nullptr) {
    if (!units->is_string() || units->get_ref<const std::string&>().size() % 4 != 0)
      return fail(path + ".code_units", "expected 4 hex digits per code unit");
    const auto& hex = units->get_ref<const std::string&>();
    std::u16string u16;
    u16.reserve(hex.size() / 4);
    for (std::size_t i = 0; i < hex.size(); i += 4) {
      unsigned unit = 0;
      for (std::size_t j = i; j < i + 4; ++j) {
        int d = hex_value(hex[j]);
        if (d < 0) return fail(path + ".code_units", "bad hex digit");
        unit = unit << 4 | static_cast<unsigned>(d);
      }
      u16.push_back(static_cast<char16_t>(unit));
    }
    s = String::from_utf16(u16);
    if (value != nullptr && s.wtf8() != value->get_ref<const std::string&>())
      return fail(path, "\"value\" and \"code_units\" disagree");
  } else if (value != nullptr) {
    s = String(value->get_ref<const std::string&>());
  } else {
    return fail(path, "a string node needs \"value\" or \"code_units\"");
  }
  std::string encoding = str_field(n, "encoding");
  if (encoding == "two-byte") {
    s.set_two_byte(true);
  } else if (encoding == "one-byte") {
    for (char16_t u : s.utf16())
      if (u > 0xFF) return fail(path, "one-byte string with a code unit above 0xFF");
  } else if (!encoding.empty() && encoding != "utf8") {
    return fail(path + ".encoding", "unknown encoding \"" + encoding + "\"");
  }
  return s;
}

Result<BigInt> FromModel::bigint_of(const json& n, const std::string& path) const {
  MODEL_TRY(const json* value, field(n, "value", path, true));
  if (!value->is_string()) return fail(path + ".value", "expected a decimal string");
  auto from_text = BigInt::from_decimal(value->get_ref<const std::string&>());
  if (!from_text) return fail(path + ".value", "bad decimal BigInt");
  MODEL_TRY(const json* mag, field(n, "magnitude_hex", path, false));
  if (mag == nullptr) return std::move(*from_text);
  if (!mag->is_string()) return fail(path + ".magnitude_hex", "expected a hex string");
  const auto& hex = mag->get_ref<const std::string&>();
  std::vector<std::uint8_t> le((hex.size() + 1) / 2, 0);
  for (std::size_t i = 0; i < hex.size(); ++i) {
    int d = hex_value(hex[hex.size() - 1 - i]);
    if (d < 0) return fail(path + ".magnitude_hex", "bad hex digit");
    le[i / 2] = static_cast<std::uint8_t>(le[i / 2] | d << (4 * (i % 2)));
  }
  bool negative = !value->get_ref<const std::string&>().empty() &&
                  value->get_ref<const std::string&>()[0] == '-';
  BigInt b = BigInt::from_magnitude(negative, le);
  if (!(b == *from_text)) return fail(path, "\"value\" and \"magnitude_hex\" disagree");
  return b;
}

Result<Bytes> FromModel::hex_field(const json& n, const std::string& path) const {
  MODEL_TRY(const json* hex, field(n, "hex", path, true));
  if (!hex->is_string() || hex->get_ref<const std::string&>().size() % 2 != 0)
    return fail(path + ".hex", "expected an even number of hex digits");
  const auto& s = hex->get_ref<const std::string&>();
  Bytes bytes(s.size() / 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    int hi = hex_value(s[2 * i]);
    int lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return fail(path + ".hex", "bad hex digit");
    bytes.data()[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  MODEL_TRY(const json* length, field(n, "byte_length", path, false));
  if (length != nullptr && (!length->is_number_integer() ||
                            length->get<std::int64_t>() != static_cast<std::int64_t>(bytes.size())))
    return fail(path + ".byte_length", "does not match the hex data");
  return bytes;
}

// A property key node -> the JS property name.
Result<String> FromModel::key_of(const json& n, const std::string& path) const {
  std::string type = n.is_object() ? str_field(n, "type") : "";
  if (type == "string") return string_of(n, path);
  if (type == "int32" || type == "uint32" || type == "double") {
    double d = 0;
    if (type == "double") {
      MODEL_TRY(d, double_of(n, path));
    } else {
      MODEL_TRY(const json* value, field(n, "value", path, true));
      if (!value->is_number_integer()) return fail(path + ".value", "expected an integer");
      d = value->get<double>();
    }
    if (d != std::trunc(d) || std::fabs(d) >= kTwoPow53)
      return fail(path, "number key " + std::to_string(d) + " is not an integer");
    if (d == 0) d = 0;  // "-0" names the property "0"
    return String(std::to_string(static_cast<std::int64_t>(d)));
  }
  return fail(path, "a property key must be a string, int32 or double node");
}

Result<void> FromModel::begin_object(const json& n, const std::string& path, bool view) {
  auto model_id = static_cast<std::uint32_t>(model_tree_.size());
  MODEL_TRY(const json* id, field(n, "id", path, false));
  if (id != nullptr && (!id->is_number_integer() || id->get<std::int64_t>() != model_id))
    return fail(path + ".id",
                "expected id " + std::to_string(model_id) + " (objects are numbered in pre-order)");
  model_tree_.push_back(tree_next_);
  model_is_view_.push_back(view);
  tree_next_ += view ? 2 : 1;
  return {};
}

Result<Value> FromModel::ref(const json& n, const std::string& path) const {
  MODEL_TRY(std::uint64_t id, uint_field(n, "id", path, UINT32_MAX));
  if (id >= model_tree_.size())
    return fail(path + ".id", "reference to id " + std::to_string(id) + " before that object");
  std::uint32_t tree_id = model_tree_[id];
  MODEL_TRY(const json* buffer, field(n, "view_buffer", path, false));
  if (buffer != nullptr && *buffer == true) {
    if (!model_is_view_[id])
      return fail(path, "view_buffer reference to an object that is not a view");
    ++tree_id;
  }
  return Value(Ref{tree_id});
}

Result<Value> FromModel::object(const json& n, const std::string& path, std::size_t depth) {
  MODEL_TRY(const json* props, field(n, "properties", path, true));
  if (!props->is_array()) return fail(path + ".properties", "expected an array");
  Object o;
  o.properties().reserve(props->size());
  std::unordered_set<std::string> names;
  for (std::size_t i = 0; i < props->size(); ++i) {
    std::string p = path + ".properties[" + std::to_string(i) + "]";
    const json& entry = (*props)[i];
    if (!entry.is_object()) return fail(p, "expected {key, value}");
    MODEL_TRY(const json* key_node, field(entry, "key", p, true));
    MODEL_TRY(String key, key_of(*key_node, p + ".key"));
    if (!names.insert(key.wtf8()).second) return fail(p + ".key", "duplicate key");
    MODEL_TRY(const json* value_node, field(entry, "value", p, true));
    MODEL_TRY(Value value, node(*value_node, p + ".value", depth + 1));
    o.properties().append_unchecked(std::move(key), std::move(value));
  }
  return Value(std::move(o));
}

// One {key, value} of an array's properties: an element or a named property.
Result<void> FromModel::array_entry(Array& a, const json& entry, const std::string& path,
                                    std::size_t depth, std::unordered_set<std::string>& names) {
  if (!entry.is_object()) return fail(path, "expected {key, value}");
  MODEL_TRY(const json* key_node, field(entry, "key", path, true));
  MODEL_TRY(String key, key_of(*key_node, path + ".key"));
  MODEL_TRY(const json* value_node, field(entry, "value", path, true));
  MODEL_TRY(Value value, node(*value_node, path + ".value", depth + 1));
  auto index = PropertyList::array_index(key.wtf8());
  if (!index) {
    if (!names.insert(key.wtf8()).second) return fail(path + ".key", "duplicate key");
    a.properties().append_unchecked(std::move(key), std::move(value));
  } else if (!a.append_at(*index, std::move(value))) {
    return fail(path + ".key", "element " + std::to_string(*index) + " out of ascending order");
  }
  return {};
}

Result<Value> FromModel::array(const json& n, const std::string& path, std::size_t depth) {
  MODEL_TRY(std::uint64_t length, uint_field(n, "length", path, UINT32_MAX));
  MODEL_TRY(const json* dense, field(n, "dense", path, true));
  if (!dense->is_boolean()) return fail(path + ".dense", "expected true or false");
  Array a;
  a.set_prefer_sparse(!dense->get<bool>());
  if (dense->get<bool>()) {
    MODEL_TRY(const json* elements, field(n, "elements", path, true));
    if (!elements->is_array() || elements->size() != length)
      return fail(path + ".elements", "expected an array of `length` elements");
    a.reserve(elements->size());
    for (std::size_t i = 0; i < elements->size(); ++i) {
      const json& e = (*elements)[i];
      if (e.is_object() && str_field(e, "type") == "hole") continue;
      MODEL_TRY(Value value, node(e, path + ".elements[" + std::to_string(i) + "]", depth + 1));
      a.append_at(static_cast<std::uint32_t>(i), std::move(value));
    }
  }
  MODEL_TRY(const json* props, field(n, "properties", path, !dense->get<bool>()));
  if (props != nullptr) {
    if (!props->is_array()) return fail(path + ".properties", "expected an array");
    std::unordered_set<std::string> names;
    for (std::size_t i = 0; i < props->size(); ++i) {
      VALENCE_RETURN_IF_ERROR(array_entry(
          a, (*props)[i], path + ".properties[" + std::to_string(i) + "]", depth, names));
    }
  }
  if (a.length() > length)
    return fail(path + ".length", "an element lies beyond length " + std::to_string(length));
  a.set_length(static_cast<std::uint32_t>(length));
  return Value(std::move(a));
}

Result<Value> FromModel::map(const json& n, const std::string& path, std::size_t depth) {
  MODEL_TRY(const json* entries, field(n, "entries", path, true));
  if (!entries->is_array()) return fail(path + ".entries", "expected an array");
  Map m;
  m.entries().reserve(entries->size());
  for (std::size_t i = 0; i < entries->size(); ++i) {
    std::string p = path + ".entries[" + std::to_string(i) + "]";
    const json& entry = (*entries)[i];
    if (!entry.is_object()) return fail(p, "expected {key, value}");
    MODEL_TRY(const json* key_node, field(entry, "key", p, true));
    MODEL_TRY(Value key, node(*key_node, p + ".key", depth + 1));
    MODEL_TRY(const json* value_node, field(entry, "value", p, true));
    MODEL_TRY(Value value, node(*value_node, p + ".value", depth + 1));
    m.entries().emplace_back(std::move(key), std::move(value));
  }
  return Value(std::move(m));
}

Result<Value> FromModel::set(const json& n, const std::string& path, std::size_t depth) {
  MODEL_TRY(const json* values, field(n, "values", path, true));
  if (!values->is_array()) return fail(path + ".values", "expected an array");
  Set s;
  s.values().reserve(values->size());
  for (std::size_t i = 0; i < values->size(); ++i) {
    MODEL_TRY(Value v, node((*values)[i], path + ".values[" + std::to_string(i) + "]", depth + 1));
    s.values().push_back(std::move(v));
  }
  return Value(std::move(s));
}

Result<Value> FromModel::error(const json& n, const std::string& path, std::size_t depth) {
  ErrorValue e;
  std::string proto = n.contains("prototype") ? str_field(n, "prototype") : "Error";
  auto p = error_prototype_from_name(proto);
  if (!p) return fail(path + ".prototype", "unknown error prototype \"" + proto + "\"");
  e.prototype = *p;
  MODEL_TRY(const json* message, field(n, "message", path, false));
  if (message != nullptr) {
    MODEL_TRY(e.message, string_of(*message, path + ".message"));
  }
  MODEL_TRY(const json* cause, field(n, "cause", path, false));
  if (cause != nullptr) {
    MODEL_TRY(Value c, node(*cause, path + ".cause", depth + 1));
    e.set_cause(std::move(c));
  }
  MODEL_TRY(const json* stack, field(n, "stack", path, false));
  if (stack != nullptr) {
    MODEL_TRY(e.stack, string_of(*stack, path + ".stack"));
  }
  return Value(std::move(e));
}

Result<Value> FromModel::array_buffer(const json& n, const std::string& path) const {
  MODEL_TRY(Bytes bytes, hex_field(n, path));
  if (is_true(n, "resizable")) {
    MODEL_TRY(std::uint64_t max, uint_field(n, "max_byte_length", path, SIZE_MAX));
    if (max < bytes.size()) return fail(path + ".max_byte_length", "smaller than byte_length");
    return Value(ArrayBuffer::resizable(std::move(bytes), static_cast<std::size_t>(max)));
  }
  return Value(ArrayBuffer(std::move(bytes)));
}

Result<Value> FromModel::view(const json& n, const std::string& path) const {
  std::string name = str_field(n, "view");
  auto kind = view_kind_from_name(name);
  if (!kind) return fail(path + ".view", "unknown view kind \"" + name + "\"");
  MODEL_TRY(const json* index, field(n, "node_index", path, false));
  if (index != nullptr &&
      (!index->is_number_integer() || index->get<std::int64_t>() != static_cast<int>(*kind)))
    return fail(path + ".node_index", "does not match view \"" + name + "\"");
  MODEL_TRY(Bytes bytes, hex_field(n, path));
  return Value(View(*kind, std::move(bytes)));
}

Result<Value> FromModel::regexp(const json& n, const std::string& path) const {
  RegExp r;
  MODEL_TRY(const json* source, field(n, "source", path, true));
  MODEL_TRY(r.source, string_of(*source, path + ".source"));
  MODEL_TRY(const json* bits, field(n, "flag_bits", path, false));
  if (bits != nullptr) {
    MODEL_TRY(std::uint64_t b, uint_field(n, "flag_bits", path, UINT32_MAX));
    r.flags = static_cast<std::uint32_t>(b);
  } else {
    std::string letters = str_field(n, "flags");
    auto flags = RegExp::parse_flags(letters);
    if (!flags) return fail(path + ".flags", "bad flags \"" + letters + "\"");
    r.flags = *flags;
  }
  return Value(std::move(r));
}

Result<Value> FromModel::object_like(const std::string& type, const json& n,
                                     const std::string& path, std::size_t depth) {
  if (type == "object") return object(n, path, depth);
  if (type == "array") return array(n, path, depth);
  if (type == "map") return map(n, path, depth);
  if (type == "set") return set(n, path, depth);
  if (type == "error") return error(n, path, depth);
  return leaf_object(type, n, path);
}

// Object kinds without object children (kept apart from the recursion so
// that deep nesting costs little stack).
Result<Value> FromModel::leaf_object(const std::string& type, const json& n,
                                     const std::string& path) const {
  if (type == "arraybuffer") return array_buffer(n, path);
  if (type == "view") return view(n, path);
  if (type == "regexp") return regexp(n, path);
  if (type == "date") {
    MODEL_TRY(double t, double_of(n, path));
    return Value(Date{t});
  }
  if (type == "boolean_object") {
    MODEL_TRY(const json* value, field(n, "value", path, true));
    if (!value->is_boolean()) return fail(path + ".value", "expected true or false");
    return Value(BooleanObject{value->get<bool>()});
  }
  if (type == "number_object") {
    MODEL_TRY(double d, double_of(n, path));
    return Value(NumberObject{d});
  }
  if (type == "bigint_object") {
    MODEL_TRY(BigInt b, bigint_of(n, path));
    return Value(BigIntObject{std::move(b)});
  }
  if (type == "string_object") {
    MODEL_TRY(const json* value, field(n, "value", path, true));
    MODEL_TRY(String s, string_of(*value, path + ".value"));
    return Value(StringObject{std::move(s)});
  }
  // host_object
  MODEL_TRY(std::uint64_t handle, uint_field(n, "handle", path, UINT64_MAX));
  return Value(HostObject{str_field(n, "kind"), handle});
}

bool is_object_type(const std::string& type) {
  static const char* const kTypes[] = {
      "object",        "array",         "date",          "regexp",     "map",
      "set",           "arraybuffer",   "view",          "error",      "boolean_object",
      "number_object", "bigint_object", "string_object", "host_object"};
  for (const char* t : kTypes)
    if (type == t) return true;
  return false;
}

Result<Value> FromModel::node(const json& n, const std::string& path, std::size_t depth) {
  if (depth > kMaxDepth) return fail(path, "nested too deeply");
  if (!n.is_object()) return fail(path, "expected a model node (a JSON object)");
  auto type_it = n.find("type");
  if (type_it == n.end() || !type_it->is_string()) return fail(path, "missing \"type\"");
  const auto& type = type_it->get_ref<const std::string&>();
  if (is_object_type(type)) {
    VALENCE_RETURN_IF_ERROR(begin_object(n, path, type == "view"));
    return object_like(type, n, path, depth);
  }
  return primitive(type, n, path);
}

Result<Value> FromModel::primitive(const std::string& type, const json& n,
                                   const std::string& path) const {
  if (type == "undefined") return Value();
  if (type == "null") return Value(nullptr);
  if (type == "bool") {
    MODEL_TRY(const json* value, field(n, "value", path, true));
    if (!value->is_boolean()) return fail(path + ".value", "expected true or false");
    return Value(value->get<bool>());
  }
  if (type == "int32" || type == "uint32") {
    MODEL_TRY(const json* value, field(n, "value", path, true));
    bool is32 = type == "int32";
    if (!value->is_number_integer()) return fail(path + ".value", "expected an integer");
    auto v = value->is_number_unsigned() ? static_cast<double>(value->get<std::uint64_t>())
                                         : static_cast<double>(value->get<std::int64_t>());
    if (is32 ? (v < -2147483648.0 || v > 2147483647.0) : (v < 0 || v > 4294967295.0))
      return fail(path + ".value", "out of range for " + type);
    return Value(Number{v, is32 ? NumberRep::kInt32 : NumberRep::kAuto});
  }
  if (type == "double") {
    MODEL_TRY(double d, double_of(n, path));
    return Value(Number{d, NumberRep::kDouble});
  }
  if (type == "bigint") {
    MODEL_TRY(BigInt b, bigint_of(n, path));
    return Value(std::move(b));
  }
  if (type == "string") {
    MODEL_TRY(String s, string_of(n, path));
    return Value(std::move(s));
  }
  if (type == "ref") return ref(n, path);
  if (type == "hole") return fail(path, "a hole may only be a dense array element");
  return fail(path, "unknown type \"" + type + "\"");
}

// ---------------------------------------------------------------------------
// Hint stripping.

String plain(const String& s) {
  String out = s;
  out.set_two_byte(false);
  return out;
}

PropertyList strip_props(const PropertyList& props) {
  PropertyList out;
  out.reserve(props.size());
  for (const auto& [key, value] : props) out.append_unchecked(plain(key), strip_hints(value));
  return out;
}

std::optional<String> plain(const std::optional<String>& s) {
  if (!s) return std::nullopt;
  return plain(*s);
}

}  // namespace

Result<Value> from_model(const nlohmann::json& node) {
  FromModel reader;
  return reader.node(node, "value", 0);
}

nlohmann::json to_model(const Value& value) {
  ToModel writer;
  return writer.node(value);
}

Value strip_hints(const Value& v) {
  switch (v.type()) {
    case Type::kNumber: return Value(Number{v.get_number(), NumberRep::kAuto});
    case Type::kString: return Value(plain(v.get_js_string()));
    case Type::kObject: {
      Object o;
      o.properties() = strip_props(v.get_object().properties());
      return Value(std::move(o));
    }
    case Type::kArray: {
      const Array& a = v.get_array();
      Array out;
      a.for_each_element(
          [&](std::uint32_t i, const Value& e) { out.append_at(i, strip_hints(e)); });
      out.set_length(a.length());
      out.properties() = strip_props(a.properties());
      return Value(std::move(out));
    }
    case Type::kRegExp: return Value(RegExp{plain(v.get_regexp().source), v.get_regexp().flags});
    case Type::kMap: {
      Map m;
      for (const auto& [key, value] : v.get_map().entries())
        m.entries().emplace_back(strip_hints(key), strip_hints(value));
      return Value(std::move(m));
    }
    case Type::kSet: {
      Set s;
      for (const Value& m : v.get_set().values()) s.values().push_back(strip_hints(m));
      return Value(std::move(s));
    }
    case Type::kView: {
      const View& view = v.get_view();
      return Value(View(view.kind(), view.buffer().clone(), view.byte_offset(), view.byte_length(),
                        view.length_tracking()));
    }
    case Type::kError: {
      const ErrorValue& e = v.get_error();
      ErrorValue out(e.prototype, plain(e.message));
      out.stack = plain(e.stack);
      if (e.has_cause) out.set_cause(strip_hints(e.cause));
      return Value(std::move(out));
    }
    case Type::kStringObject: return Value(StringObject{plain(v.get_string_object().value)});
    default: return v.clone();
  }
}

}  // namespace valence::model
