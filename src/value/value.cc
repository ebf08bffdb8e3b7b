#include "valence/value.h"

#include <cmath>
#include <ostream>

#include "base/check.h"

namespace valence {

const char* type_name(Type type) noexcept {
  switch (type) {
    case Type::kUndefined: return "undefined";
    case Type::kNull: return "null";
    case Type::kBoolean: return "boolean";
    case Type::kNumber: return "number";
    case Type::kBigInt: return "bigint";
    case Type::kString: return "string";
    case Type::kRef: return "reference";
    case Type::kHole: return "hole";
    case Type::kObject: return "object";
    case Type::kArray: return "array";
    case Type::kDate: return "Date";
    case Type::kRegExp: return "RegExp";
    case Type::kMap: return "Map";
    case Type::kSet: return "Set";
    case Type::kArrayBuffer: return "ArrayBuffer";
    case Type::kView: return "ArrayBufferView";
    case Type::kError: return "Error";
    case Type::kBooleanObject: return "Boolean object";
    case Type::kNumberObject: return "Number object";
    case Type::kBigIntObject: return "BigInt object";
    case Type::kStringObject: return "String object";
    case Type::kHostObject: return "host object";
  }
  return "unknown";
}

namespace {
template <class T>
detail::Box<T> box(T&& t) {
  return detail::Box<T>(std::make_unique<T>(std::move(t)));
}
}  // namespace

Value::Value(Object o) : v_(std::move(o)) {}
Value::Value(Array a) : v_(std::move(a)) {}
Value::Value(Map m) : v_(box(std::move(m))) {}
Value::Value(Set s) : v_(box(std::move(s))) {}
Value::Value(ArrayBuffer b) : v_(box(std::move(b))) {}
Value::Value(View v) : v_(box(std::move(v))) {}
Value::Value(ErrorValue e) : v_(box(std::move(e))) {}
Value::Value(Value&&) noexcept = default;
Value& Value::operator=(Value&&) noexcept = default;
Value::~Value() = default;

Value Value::array(std::initializer_list<Value> items) {
  std::vector<Value> v;
  v.reserve(items.size());
  for (const Value& item : items) v.push_back(item.clone());
  return Value(Array(std::move(v)));
}

Value Value::array(std::vector<Value> items) {
  return Value(Array(std::move(items)));
}

Value Value::object(std::initializer_list<std::pair<std::string_view, Value>> props) {
  return Value(Object(props));
}

Value Value::clone() const {
  return std::visit(
      [](const auto& x) -> Value {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Object> || std::is_same_v<T, Array>) {
          return Value(x.clone());
        } else if constexpr (std::is_same_v<T, detail::Box<Map>> ||
                             std::is_same_v<T, detail::Box<Set>> ||
                             std::is_same_v<T, detail::Box<ArrayBuffer>> ||
                             std::is_same_v<T, detail::Box<View>> ||
                             std::is_same_v<T, detail::Box<ErrorValue>>) {
          return Value(x->clone());
        } else {
          return Value(T(x));
        }
      },
      v_);
}

bool Value::is_int32() const noexcept {
  const Number* n = std::get_if<Number>(&v_);
  if (!n) return false;
  if (n->rep == NumberRep::kInt32) return true;
  double d = n->value;
  return d >= -2147483648.0 && d <= 2147483647.0 && std::trunc(d) == d &&
         !(d == 0 && std::signbit(d));
}

void Value::type_failure(Type wanted) const {
  std::string msg = std::string("Value is ") + type_name() + ", not " + valence::type_name(wanted);
  detail::check_failed(__FILE__, __LINE__, "type() == wanted", msg.c_str());
}

#define VALENCE_GETTER(Ret, name, Alt, kind, expr) \
  Ret Value::name() const {                        \
    const auto* p = std::get_if<Alt>(&v_);         \
    if (!p) type_failure(Type::kind);              \
    return expr;                                   \
  }
#define VALENCE_INLINE_GETTERS(T, name, kind) \
  const T& Value::name() const {              \
    const auto* p = std::get_if<T>(&v_);      \
    if (!p) type_failure(Type::kind);         \
    return *p;                                \
  }                                           \
  T& Value::name() {                          \
    auto* p = std::get_if<T>(&v_);            \
    if (!p) type_failure(Type::kind);         \
    return *p;                                \
  }
#define VALENCE_BOX_GETTERS(T, name, kind)            \
  const T& Value::name() const {                      \
    const auto* p = std::get_if<detail::Box<T>>(&v_); \
    if (!p) type_failure(Type::kind);                 \
    return **p;                                       \
  }                                                   \
  T& Value::name() {                                  \
    auto* p = std::get_if<detail::Box<T>>(&v_);       \
    if (!p) type_failure(Type::kind);                 \
    return **p;                                       \
  }

VALENCE_GETTER(bool, get_bool, bool, kBoolean, *p)
VALENCE_GETTER(double, get_number, Number, kNumber, p->value)
VALENCE_GETTER(const Number&, get_number_rep, Number, kNumber, *p)
VALENCE_GETTER(const BigInt&, get_bigint, BigInt, kBigInt, *p)
VALENCE_GETTER(const std::string&, get_string, String, kString, p->wtf8())
VALENCE_GETTER(const String&, get_js_string, String, kString, *p)
VALENCE_GETTER(Ref, get_ref, Ref, kRef, *p)
VALENCE_GETTER(const Date&, get_date, Date, kDate, *p)
VALENCE_GETTER(const RegExp&, get_regexp, RegExp, kRegExp, *p)
VALENCE_GETTER(const BooleanObject&, get_boolean_object, BooleanObject, kBooleanObject, *p)
VALENCE_GETTER(const NumberObject&, get_number_object, NumberObject, kNumberObject, *p)
VALENCE_GETTER(const BigIntObject&, get_bigint_object, BigIntObject, kBigIntObject, *p)
VALENCE_GETTER(const StringObject&, get_string_object, StringObject, kStringObject, *p)
VALENCE_GETTER(const HostObject&, get_host_object, HostObject, kHostObject, *p)
VALENCE_INLINE_GETTERS(Object, get_object, kObject)
VALENCE_INLINE_GETTERS(Array, get_array, kArray)
VALENCE_BOX_GETTERS(Map, get_map, kMap)
VALENCE_BOX_GETTERS(Set, get_set, kSet)
VALENCE_BOX_GETTERS(ArrayBuffer, get_array_buffer, kArrayBuffer)
VALENCE_BOX_GETTERS(View, get_view, kView)
VALENCE_BOX_GETTERS(ErrorValue, get_error, kError)
#undef VALENCE_GETTER
#undef VALENCE_BOX_GETTERS
#undef VALENCE_INLINE_GETTERS

std::int32_t Value::get_int32() const {
  if (!is_int32()) type_failure(Type::kNumber);
  return static_cast<std::int32_t>(std::get<Number>(v_).value);
}

std::optional<double> Value::get_if_number() const noexcept {
  if (const Number* n = std::get_if<Number>(&v_)) return n->value;
  return std::nullopt;
}

std::optional<std::int32_t> Value::get_if_int32() const noexcept {
  if (!is_int32()) return std::nullopt;
  return static_cast<std::int32_t>(std::get<Number>(v_).value);
}

const std::string* Value::get_if_string() const noexcept {
  const String* s = std::get_if<String>(&v_);
  return s ? &s->wtf8() : nullptr;
}

#define VALENCE_BOX_GET_IF(T, name)                   \
  const T* Value::name() const noexcept {             \
    const auto* p = std::get_if<detail::Box<T>>(&v_); \
    return p ? p->get() : nullptr;                    \
  }
const Object* Value::get_if_object() const noexcept {
  return std::get_if<Object>(&v_);
}
const Array* Value::get_if_array() const noexcept {
  return std::get_if<Array>(&v_);
}
VALENCE_BOX_GET_IF(Map, get_if_map)
VALENCE_BOX_GET_IF(Set, get_if_set)
VALENCE_BOX_GET_IF(ArrayBuffer, get_if_array_buffer)
VALENCE_BOX_GET_IF(View, get_if_view)
VALENCE_BOX_GET_IF(ErrorValue, get_if_error)
#undef VALENCE_BOX_GET_IF

Object* Value::get_if_object() noexcept {
  return std::get_if<Object>(&v_);
}
Array* Value::get_if_array() noexcept {
  return std::get_if<Array>(&v_);
}

const Value* Value::find(std::string_view key) const noexcept {
  const Object* o = get_if_object();
  return o ? o->find(key) : nullptr;
}

const Value& Value::operator[](std::string_view key) const {
  const Value* v = get_object().find(key);
  if (!v) {
    std::string msg = "no property '" + std::string(key) + "'";
    detail::check_failed(__FILE__, __LINE__, "find(key)", msg.c_str());
  }
  return *v;
}

const Value& Value::operator[](std::size_t index) const {
  const Array& a = get_array();
  const Value* v = index <= UINT32_MAX ? a.get(static_cast<std::uint32_t>(index)) : nullptr;
  if (!v) {
    std::string msg = "no element " + std::to_string(index);
    detail::check_failed(__FILE__, __LINE__, "get(index)", msg.c_str());
  }
  return *v;
}

std::ostream& operator<<(std::ostream& os, const Value& v) {
  return os << v.to_debug_string();
}

}  // namespace valence
