#include <cmath>
#include <cstring>

#include "valence/value.h"

namespace valence {
namespace {

bool same_value(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == 0 && b == 0) return std::signbit(a) == std::signbit(b);
  return a == b;
}

bool equal_props(const PropertyList& a, const PropertyList& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!(a.entry(i).first == b.entry(i).first)) return false;
    if (!(a.entry(i).second == b.entry(i).second)) return false;
  }
  return true;
}

bool equal_arrays(const Array& a, const Array& b) {
  if (a.length() != b.length() || a.element_count() != b.element_count()) return false;
  bool equal = true;
  a.for_each_element([&](std::uint32_t i, const Value& v) {
    if (!equal) return;
    const Value* w = b.get(i);
    equal = w && v == *w;
  });
  return equal && equal_props(a.properties(), b.properties());
}

bool equal_views(const View& a, const View& b) {
  if (a.kind() != b.kind() || a.byte_length() != b.byte_length() ||
      a.length_tracking() != b.length_tracking())
    return false;
  // An owned buffer compares by the viewed bytes (its offset and any bytes
  // outside the view are a representation detail); a Ref by id and range.
  if (a.buffer().is_ref() || b.buffer().is_ref())
    return a.buffer() == b.buffer() && a.byte_offset() == b.byte_offset();
  auto x = a.own_bytes(), y = b.own_bytes();
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size()) == 0);
}

}  // namespace

bool operator==(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::kUndefined:
    case Type::kNull:
    case Type::kHole: return true;
    case Type::kBoolean: return a.get_bool() == b.get_bool();
    case Type::kNumber: return same_value(a.get_number(), b.get_number());
    case Type::kBigInt: return a.get_bigint() == b.get_bigint();
    case Type::kString: return a.get_js_string() == b.get_js_string();
    case Type::kRef: return a.get_ref() == b.get_ref();
    case Type::kObject:
      return equal_props(a.get_object().properties(), b.get_object().properties());
    case Type::kArray: return equal_arrays(a.get_array(), b.get_array());
    case Type::kDate: return same_value(a.get_date().time, b.get_date().time);
    case Type::kRegExp:
      return a.get_regexp().source == b.get_regexp().source &&
             a.get_regexp().flags == b.get_regexp().flags;
    case Type::kMap: {
      const auto& x = a.get_map().entries();
      const auto& y = b.get_map().entries();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!(x[i].first == y[i].first) || !(x[i].second == y[i].second)) return false;
      return true;
    }
    case Type::kSet: {
      const auto& x = a.get_set().values();
      const auto& y = b.get_set().values();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!(x[i] == y[i])) return false;
      return true;
    }
    case Type::kArrayBuffer: {
      const ArrayBuffer& x = a.get_array_buffer();
      const ArrayBuffer& y = b.get_array_buffer();
      return x.bytes() == y.bytes() && x.is_resizable() == y.is_resizable() &&
             x.max_byte_length() == y.max_byte_length();
    }
    case Type::kView: return equal_views(a.get_view(), b.get_view());
    case Type::kError: {
      const ErrorValue& x = a.get_error();
      const ErrorValue& y = b.get_error();
      return x.prototype == y.prototype && x.message == y.message && x.stack == y.stack &&
             x.has_cause == y.has_cause && (!x.has_cause || x.cause == y.cause);
    }
    case Type::kBooleanObject: return a.get_boolean_object().value == b.get_boolean_object().value;
    case Type::kNumberObject:
      return same_value(a.get_number_object().value, b.get_number_object().value);
    case Type::kBigIntObject: return a.get_bigint_object().value == b.get_bigint_object().value;
    case Type::kStringObject: return a.get_string_object().value == b.get_string_object().value;
    case Type::kHostObject: return a.get_host_object() == b.get_host_object();
  }
  return false;
}

}  // namespace valence
