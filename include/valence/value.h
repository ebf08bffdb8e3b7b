// valence::Value — the HTML structured-clone value model in C++.
//
// A Value is one JS value as the structured clone algorithm sees it:
// primitives (undefined, null, boolean, number, BigInt, string) and the
// cloneable objects (Object, Array, Date, RegExp, Map, Set, ArrayBuffer,
// typed arrays and DataView, Error, boxed primitives) plus a host-object slot
// for things only a codec delegate knows how to carry (the planned remote
// module's object references). MessagePorts are not values: as in Electron
// they travel beside the message, in its transfer list (`event.ports`).
//
// Object identity. A Value is a tree that owns its children. An object that
// occurs more than once in the JS graph (a shared reference, or a cycle) is
// stored once, at its first occurrence in pre-order, and every later
// occurrence is a `Ref` node holding that object's id: the 0-based position
// of the object among all object nodes of the tree in pre-order (the same
// numbering V8's serializer uses for its back-references). So a Value never
// contains a reference cycle in memory, cannot leak, and is safe to build
// from hostile bytes. `RefIndex` resolves ids to nodes.
//
// Values are move-only; copy explicitly with clone() (a hidden deep copy of
// an 8 MiB buffer is the classic slow path).
//
// Strings are stored as WTF-8: UTF-8 that may also hold unpaired surrogates
// (encoded as 3-byte sequences, never paired), so every JS string round-trips
// exactly while C++ code reads UTF-8 directly with get_string().
//
// Thread safety: a value type. Distinct Values may be used on distinct
// threads; one Value is not synchronized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace valence {

class Value;
class Object;
class Array;
class Map;
class Set;
class ArrayBuffer;
class View;
class ErrorValue;

// The kinds of Value. Add a kind only together with its codec tag and its
// conformance test.
enum class Type : std::uint8_t {
  kUndefined,
  kNull,
  kBoolean,
  kNumber,
  kBigInt,
  kString,
  kRef,   // a later occurrence of an object that appears earlier in the tree
  kHole,  // a missing array element; only meaningful inside an Array
  kObject,
  kArray,
  kDate,
  kRegExp,
  kMap,
  kSet,
  kArrayBuffer,
  kView,  // typed arrays, DataView, Node's Buffer
  kError,
  kBooleanObject,
  kNumberObject,
  kBigIntObject,
  kStringObject,
  kHostObject,
};

const char* type_name(Type type) noexcept;

// ---------------------------------------------------------------------------
// Leaf types.

// How a number was (or should be) written on the wire. V8 writes by internal
// representation: small integers as int32, heap numbers as doubles, even when
// integral. kAuto lets the encoder choose canonically (int32 when the value is
// an int32 other than -0).
enum class NumberRep : std::uint8_t { kAuto, kInt32, kDouble };

struct Number {
  double value = 0;
  NumberRep rep = NumberRep::kAuto;
};

// A JS string. `data` is WTF-8. `two_byte` records that the string was (or
// should be) written as UTF-16 although every code unit fits Latin-1, which V8
// does for some strings; it does not take part in equality.
class String {
 public:
  String() = default;
  String(std::string_view utf8) : data_(utf8) {}        // NOLINT: UTF-8 or WTF-8
  String(const char* utf8) : data_(utf8) {}             // NOLINT
  String(std::string utf8) : data_(std::move(utf8)) {}  // NOLINT

  static String from_utf16(std::u16string_view units);
  static String from_latin1(std::string_view bytes);

  const std::string& wtf8() const noexcept { return data_; }
  std::string& mutable_wtf8() noexcept { return data_; }
  // UTF-8 with every unpaired surrogate replaced by U+FFFD.
  std::string utf8() const;
  std::u16string utf16() const;
  // True when the string has no unpaired surrogate (it is valid UTF-16).
  bool is_well_formed() const;
  bool is_ascii() const;
  // Number of UTF-16 code units (JS `length`).
  std::size_t length() const;

  bool two_byte() const noexcept { return two_byte_; }
  void set_two_byte(bool two_byte) noexcept { two_byte_ = two_byte; }

  friend bool operator==(const String& a, const String& b) { return a.data_ == b.data_; }
  friend bool operator==(const String& a, std::string_view b) { return a.data_ == b; }

 private:
  std::string data_;
  bool two_byte_ = false;
};

// An arbitrary-precision integer: sign and magnitude (little-endian bytes,
// no trailing zero bytes; zero has no bytes and is never negative).
class BigInt {
 public:
  BigInt() = default;
  static BigInt from_int64(std::int64_t value);
  static BigInt from_uint64(std::uint64_t value);
  // Decimal text with optional leading '-'. Returns nullopt on bad syntax.
  static std::optional<BigInt> from_decimal(std::string_view text);
  // Magnitude from little-endian bytes (any length; normalized).
  static BigInt from_magnitude(bool negative, std::span<const std::uint8_t> le_bytes);

  bool negative() const noexcept { return negative_; }
  bool is_zero() const noexcept { return magnitude_.empty(); }
  const std::vector<std::uint8_t>& magnitude() const noexcept { return magnitude_; }
  std::string to_decimal() const;
  // Exact conversions; nullopt when the value does not fit.
  std::optional<std::int64_t> to_int64() const;
  std::optional<std::uint64_t> to_uint64() const;

  friend bool operator==(const BigInt&, const BigInt&) = default;

 private:
  bool negative_ = false;
  std::vector<std::uint8_t> magnitude_;
};

struct Ref {
  std::uint32_t id = 0;
  friend bool operator==(const Ref&, const Ref&) = default;
};

struct Date {
  double time = 0;  // ms since the epoch; NaN is an invalid date
};

// RegExp flags as V8's bit set.
enum RegExpFlag : std::uint32_t {
  kRegExpGlobal = 1,
  kRegExpIgnoreCase = 2,
  kRegExpMultiline = 4,
  kRegExpSticky = 8,
  kRegExpUnicode = 16,
  kRegExpDotAll = 32,
  kRegExpLinear = 64,
  kRegExpHasIndices = 128,
  kRegExpUnicodeSets = 256,
};

struct RegExp {
  String source;
  std::uint32_t flags = 0;
  // JS flag letters in canonical order ("dgimsuvy").
  std::string flag_letters() const;
  // Parses JS flag letters; nullopt on an unknown or repeated letter.
  static std::optional<std::uint32_t> parse_flags(std::string_view letters);
};

struct BooleanObject {
  bool value = false;
};
struct NumberObject {
  double value = 0;
};
struct BigIntObject {
  BigInt value;
};
struct StringObject {
  String value;
};

// An object only a codec delegate can carry: `kind` names it, `handle` is the
// delegate's token for it. Without a delegate it cannot be encoded (the error
// names its path and kind).
struct HostObject {
  std::string kind;
  std::uint64_t handle = 0;
  friend bool operator==(const HostObject&, const HostObject&) = default;
};

struct Undefined {};
struct Null {};
struct Hole {};

namespace detail {
// Owning pointer with value-like deep clone; lets Value hold types that are
// defined after it.
template <class T>
class Box {
 public:
  Box() = default;
  explicit Box(std::unique_ptr<T> p) : p_(std::move(p)) {}
  T& operator*() const noexcept { return *p_; }
  T* operator->() const noexcept { return p_.get(); }
  T* get() const noexcept { return p_.get(); }

 private:
  std::unique_ptr<T> p_;
};
}  // namespace detail

// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Object and Array live inside Value itself (no extra allocation, one less
// pointer to chase); their members that touch elements are defined below
// Value, where Value is complete.

// Own enumerable string-keyed properties in JS enumeration order: array-index
// keys ("0".."4294967294") first in ascending order, then the other keys in
// insertion order.
class PropertyList {
 public:
  using Entry = std::pair<String, Value>;
  PropertyList() = default;
  PropertyList(PropertyList&&) noexcept = default;
  PropertyList& operator=(PropertyList&&) noexcept = default;
  ~PropertyList() = default;

  std::size_t size() const noexcept;
  bool empty() const noexcept;
  std::vector<Entry>::const_iterator begin() const noexcept;
  std::vector<Entry>::const_iterator end() const noexcept;
  std::vector<Entry>::iterator begin() noexcept;
  std::vector<Entry>::iterator end() noexcept;
  const Entry& entry(std::size_t i) const;

  const Value* find(std::string_view key) const noexcept;
  Value* find(std::string_view key) noexcept;
  bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }
  // Sets or replaces a property, keeping JS order.
  void set(String key, Value value);
  bool erase(std::string_view key);
  // Appends without ordering or duplicate checks: for callers that know the key
  // is new and in order (the decoder checks duplicates itself).
  void append_unchecked(String key, Value value);
  void reserve(std::size_t n);
  // Moves `entries` in (appending, without checks), allocating exactly once.
  void append_all_unchecked(std::vector<Entry>& entries);
  PropertyList clone() const;

  // "0".."4294967294" without leading zeros; returns the index.
  static std::optional<std::uint32_t> array_index(std::string_view key) noexcept {
    // Most keys are names: answer those without a call.
    if (key.empty() || key[0] < '0' || key[0] > '9') return std::nullopt;
    return parse_array_index(key);
  }
  static std::optional<std::uint32_t> parse_array_index(std::string_view key) noexcept;

 private:
  std::vector<Entry> entries_;
};

class Object {
 public:
  Object() = default;
  Object(std::initializer_list<std::pair<std::string_view, Value>> props);

  PropertyList& properties() noexcept { return props_; }
  const PropertyList& properties() const noexcept { return props_; }
  std::size_t size() const noexcept { return props_.size(); }
  const Value* find(std::string_view key) const noexcept { return props_.find(key); }
  Value* find(std::string_view key) noexcept { return props_.find(key); }
  Object& set(String key, Value value);
  std::vector<PropertyList::Entry>::const_iterator begin() const noexcept { return props_.begin(); }
  std::vector<PropertyList::Entry>::const_iterator end() const noexcept { return props_.end(); }
  Object clone() const;

 private:
  PropertyList props_;
};

namespace detail {
struct ArrayExtra;  // far elements and named properties, rarely present
}

// A JS array: `length`, elements by index (missing ones are holes), and named
// (non-index) properties. Elements live in a vector; elements far beyond it
// (very sparse arrays such as `a[4e9] = 1`) live in a sorted side list, so a
// huge length costs no memory.
class Array {
 public:
  Array();
  explicit Array(std::vector<Value> items);
  Array(Array&&) noexcept;
  Array& operator=(Array&&) noexcept;
  ~Array();

  std::uint32_t length() const noexcept { return length_; }
  // Sets `length`; shrinking drops elements, growing adds holes.
  void set_length(std::uint32_t length);
  // The element at `index`, or nullptr for a hole or an index >= length.
  const Value* get(std::uint32_t index) const noexcept;
  // Sets the element at `index` (a Hole value erases it), growing length as JS does.
  void set(std::uint32_t index, Value value);
  void push_back(Value value);
  // Count of present (non-hole) elements.
  std::size_t element_count() const noexcept;
  bool has_holes() const noexcept { return element_count() != length_; }

  // Calls f(index, value) for every present element in ascending index order.
  template <class F>
  void for_each_element(F&& f) const;

  PropertyList& properties();
  const PropertyList& properties() const noexcept;

  // Wire-form hint: V8 writes "holey" arrays in the sparse form even when
  // nothing is missing. The encoder uses the sparse form when this is set or
  // when an element is missing.
  bool prefer_sparse() const noexcept { return prefer_sparse_; }
  void set_prefer_sparse(bool sparse) noexcept { prefer_sparse_ = sparse; }

  // Dense storage, for fast iteration when there are no far elements.
  const std::vector<Value>& items() const noexcept { return items_; }
  std::vector<Value>& mutable_items() noexcept { return items_; }
  void reserve(std::size_t n);
  // Adds an element at `index` >= every present index; used by the decoder.
  // Returns false (and leaves `value` untouched) when `index` is not above
  // the last present index.
  bool append_at(std::uint32_t index, Value&& value);
  bool has_far_elements() const noexcept;

  Array clone() const;

 private:
  std::vector<std::pair<std::uint32_t, Value>>& far();
  const std::vector<std::pair<std::uint32_t, Value>>* far_if() const noexcept;

  std::vector<Value> items_;  // index == position; Hole marks a missing element
  std::uint32_t length_ = 0;
  bool prefer_sparse_ = false;
  std::unique_ptr<detail::ArrayExtra> extra_;
};

class Value {
 public:
  Value() noexcept = default;                     // undefined
  Value(Undefined) noexcept {}                    // NOLINT
  Value(std::nullptr_t) noexcept : v_(Null{}) {}  // NOLINT
  Value(Null) noexcept : v_(Null{}) {}            // NOLINT
  Value(bool b) noexcept : v_(b) {}               // NOLINT
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool> &&
                                          !std::is_same_v<I, char>,
                                      int> = 0>
  Value(I i) noexcept : v_(make_integral(i)) {}                                      // NOLINT
  Value(double d) noexcept : v_(Number{d, NumberRep::kAuto}) {}                      // NOLINT
  Value(float f) noexcept : v_(Number{static_cast<double>(f), NumberRep::kAuto}) {}  // NOLINT
  Value(Number n) noexcept : v_(n) {}                                                // NOLINT
  Value(const char* s) : v_(String(s)) {}                                            // NOLINT
  Value(std::string_view s) : v_(String(s)) {}                                       // NOLINT
  Value(std::string s) : v_(String(std::move(s))) {}                                 // NOLINT
  Value(String s) : v_(std::move(s)) {}                                              // NOLINT
  Value(BigInt b) : v_(std::move(b)) {}                                              // NOLINT
  Value(Ref r) noexcept : v_(r) {}                                                   // NOLINT
  Value(Hole) noexcept : v_(Hole{}) {}                                               // NOLINT
  Value(Date d) noexcept : v_(d) {}                                                  // NOLINT
  Value(RegExp r) : v_(std::move(r)) {}                                              // NOLINT
  Value(BooleanObject b) noexcept : v_(b) {}                                         // NOLINT
  Value(NumberObject n) noexcept : v_(n) {}                                          // NOLINT
  Value(BigIntObject b) : v_(std::move(b)) {}                                        // NOLINT
  Value(StringObject s) : v_(std::move(s)) {}                                        // NOLINT
  Value(HostObject h) : v_(std::move(h)) {}                                          // NOLINT
  Value(Object o);                                                                   // NOLINT
  Value(Array a);                                                                    // NOLINT
  Value(Map m);                                                                      // NOLINT
  Value(Set s);                                                                      // NOLINT
  Value(ArrayBuffer b);                                                              // NOLINT
  Value(View v);                                                                     // NOLINT
  Value(ErrorValue e);                                                               // NOLINT
  // Pointers other than const char* must not silently become booleans.
  template <class T>
  Value(const T*) = delete;

  Value(Value&&) noexcept;
  Value& operator=(Value&&) noexcept;
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;
  ~Value();

  // Builders: Value::array({1, "two", nullptr}), Value::object({{"a", 1}}).
  // Elements are cloned out of the initializer list.
  static Value array(std::initializer_list<Value> items);
  static Value array(std::vector<Value> items);
  static Value object(std::initializer_list<std::pair<std::string_view, Value>> props);
  // A number written as a double on the wire even when integral (a V8 heap number).
  static Value heap_number(double d) noexcept { return Value(Number{d, NumberRep::kDouble}); }

  Value clone() const;

  Type type() const noexcept { return static_cast<Type>(v_.index()); }
  const char* type_name() const noexcept { return valence::type_name(type()); }
  // True for every kind that is a JS object (and so takes an id).
  bool is_object_like() const noexcept { return type() >= Type::kObject; }

  bool is_undefined() const noexcept { return type() == Type::kUndefined; }
  bool is_null() const noexcept { return type() == Type::kNull; }
  bool is_bool() const noexcept { return type() == Type::kBoolean; }
  bool is_number() const noexcept { return type() == Type::kNumber; }
  // A number whose value is an int32 (any representation), excluding -0.
  bool is_int32() const noexcept;
  bool is_bigint() const noexcept { return type() == Type::kBigInt; }
  bool is_string() const noexcept { return type() == Type::kString; }
  bool is_ref() const noexcept { return type() == Type::kRef; }
  bool is_hole() const noexcept { return type() == Type::kHole; }
  bool is_object() const noexcept { return type() == Type::kObject; }
  bool is_array() const noexcept { return type() == Type::kArray; }
  bool is_date() const noexcept { return type() == Type::kDate; }
  bool is_regexp() const noexcept { return type() == Type::kRegExp; }
  bool is_map() const noexcept { return type() == Type::kMap; }
  bool is_set() const noexcept { return type() == Type::kSet; }
  bool is_array_buffer() const noexcept { return type() == Type::kArrayBuffer; }
  bool is_view() const noexcept { return type() == Type::kView; }
  bool is_error() const noexcept { return type() == Type::kError; }
  bool is_host_object() const noexcept { return type() == Type::kHostObject; }

  // get_x(): the value, CHECK-failing (abort with a message) on the wrong type.
  bool get_bool() const;
  double get_number() const;
  std::int32_t get_int32() const;  // requires is_int32()
  const Number& get_number_rep() const;
  const BigInt& get_bigint() const;
  const std::string& get_string() const;  // WTF-8 (UTF-8 for well-formed strings)
  const String& get_js_string() const;
  Ref get_ref() const;
  const Object& get_object() const;
  Object& get_object();
  const Array& get_array() const;
  Array& get_array();
  const Date& get_date() const;
  const RegExp& get_regexp() const;
  const Map& get_map() const;
  Map& get_map();
  const Set& get_set() const;
  Set& get_set();
  const ArrayBuffer& get_array_buffer() const;
  ArrayBuffer& get_array_buffer();
  const View& get_view() const;
  View& get_view();
  const ErrorValue& get_error() const;
  ErrorValue& get_error();
  const BooleanObject& get_boolean_object() const;
  const NumberObject& get_number_object() const;
  const BigIntObject& get_bigint_object() const;
  const StringObject& get_string_object() const;
  const HostObject& get_host_object() const;

  // get_if_x(): a pointer to the value, or nullptr on the wrong type.
  const bool* get_if_bool() const noexcept { return std::get_if<bool>(&v_); }
  std::optional<double> get_if_number() const noexcept;
  std::optional<std::int32_t> get_if_int32() const noexcept;
  const BigInt* get_if_bigint() const noexcept { return std::get_if<BigInt>(&v_); }
  const std::string* get_if_string() const noexcept;
  const String* get_if_js_string() const noexcept { return std::get_if<String>(&v_); }
  const Object* get_if_object() const noexcept;
  Object* get_if_object() noexcept;
  const Array* get_if_array() const noexcept;
  Array* get_if_array() noexcept;
  const Date* get_if_date() const noexcept { return std::get_if<Date>(&v_); }
  const RegExp* get_if_regexp() const noexcept { return std::get_if<RegExp>(&v_); }
  const Map* get_if_map() const noexcept;
  const Set* get_if_set() const noexcept;
  const ArrayBuffer* get_if_array_buffer() const noexcept;
  const View* get_if_view() const noexcept;
  const ErrorValue* get_if_error() const noexcept;
  const HostObject* get_if_host_object() const noexcept { return std::get_if<HostObject>(&v_); }

  // Object property lookup; nullptr when this is not an object or the key is absent.
  const Value* find(std::string_view key) const noexcept;
  // Object property or array element; CHECK-fails when absent.
  const Value& operator[](std::string_view key) const;
  const Value& operator[](std::size_t index) const;

  // Deep structural equality. Numbers compare with SameValue (NaN equals NaN,
  // -0 differs from +0), strings by code units, Refs by id; wire-form hints
  // (number representation, one/two-byte strings, dense/sparse arrays) are ignored.
  friend bool operator==(const Value& a, const Value& b);

  // A readable, JS-like rendering: {a: 1, b: [1, 2, <hole>], c: Map(1) {"k" => 2n}}.
  std::string to_debug_string() const;
  friend std::ostream& operator<<(std::ostream& os, const Value& v);

  using Storage = std::variant<Undefined, Null, bool, Number, BigInt, String, Ref, Hole, Object,
                               Array, Date, RegExp, detail::Box<Map>, detail::Box<Set>,
                               detail::Box<ArrayBuffer>, detail::Box<View>, detail::Box<ErrorValue>,
                               BooleanObject, NumberObject, BigIntObject, StringObject, HostObject>;
  const Storage& storage() const noexcept { return v_; }

 private:
  template <class I>
  static Storage make_integral(I i) noexcept {
    if constexpr (std::is_signed_v<I>) {
      if (i >= INT32_MIN && i <= INT32_MAX)
        return Number{static_cast<double>(i), NumberRep::kInt32};
    } else {
      if (i <= static_cast<std::make_unsigned_t<I>>(INT32_MAX))
        return Number{static_cast<double>(i), NumberRep::kInt32};
    }
    return Number{static_cast<double>(i), NumberRep::kAuto};
  }
  [[noreturn]] void type_failure(Type wanted) const;

  Storage v_;
};

// ---------------------------------------------------------------------------
// Members of PropertyList, Object and Array that need a complete Value.

inline std::size_t PropertyList::size() const noexcept {
  return entries_.size();
}
inline bool PropertyList::empty() const noexcept {
  return entries_.empty();
}
inline std::vector<PropertyList::Entry>::const_iterator PropertyList::begin() const noexcept {
  return entries_.begin();
}
inline std::vector<PropertyList::Entry>::const_iterator PropertyList::end() const noexcept {
  return entries_.end();
}
inline std::vector<PropertyList::Entry>::iterator PropertyList::begin() noexcept {
  return entries_.begin();
}
inline std::vector<PropertyList::Entry>::iterator PropertyList::end() noexcept {
  return entries_.end();
}
inline const PropertyList::Entry& PropertyList::entry(std::size_t i) const {
  return entries_[i];
}
inline void PropertyList::append_unchecked(String key, Value value) {
  entries_.emplace_back(std::move(key), std::move(value));
}
inline void PropertyList::reserve(std::size_t n) {
  entries_.reserve(n);
}
inline void PropertyList::append_all_unchecked(std::vector<Entry>& entries) {
  entries_.reserve(entries_.size() + entries.size());
  for (auto& e : entries) entries_.push_back(std::move(e));
}

inline Object& Object::set(String key, Value value) {
  props_.set(std::move(key), std::move(value));
  return *this;
}

namespace detail {
struct ArrayExtra {
  std::vector<std::pair<std::uint32_t, Value>> far;  // sorted, indices >= items_.size()
  PropertyList props;
};
}  // namespace detail

inline Array::Array() = default;
inline Array::Array(Array&&) noexcept = default;
inline Array& Array::operator=(Array&&) noexcept = default;
inline Array::~Array() = default;
inline void Array::reserve(std::size_t n) {
  items_.reserve(n);
}
inline bool Array::has_far_elements() const noexcept {
  return extra_ && !extra_->far.empty();
}
inline const std::vector<std::pair<std::uint32_t, Value>>* Array::far_if() const noexcept {
  return extra_ ? &extra_->far : nullptr;
}
inline std::vector<std::pair<std::uint32_t, Value>>& Array::far() {
  if (!extra_) extra_ = std::make_unique<detail::ArrayExtra>();
  return extra_->far;
}
inline PropertyList& Array::properties() {
  if (!extra_) extra_ = std::make_unique<detail::ArrayExtra>();
  return extra_->props;
}
inline const PropertyList& Array::properties() const noexcept {
  static const PropertyList kEmpty;
  return extra_ ? extra_->props : kEmpty;
}

template <class F>
void Array::for_each_element(F&& f) const {
  for (std::size_t i = 0; i < items_.size(); ++i)
    if (!items_[i].is_hole()) f(static_cast<std::uint32_t>(i), items_[i]);
  if (extra_)
    for (const auto& [i, v] : extra_->far) f(i, v);
}

class Map {
 public:
  using Entry = std::pair<Value, Value>;
  std::vector<Entry>& entries() noexcept { return entries_; }
  const std::vector<Entry>& entries() const noexcept { return entries_; }
  std::size_t size() const noexcept { return entries_.size(); }
  Map& set(Value key, Value value);  // appends; replaces an equal primitive key
  Map clone() const;

 private:
  std::vector<Entry> entries_;
};

class Set {
 public:
  std::vector<Value>& values() noexcept { return values_; }
  const std::vector<Value>& values() const noexcept { return values_; }
  std::size_t size() const noexcept { return values_.size(); }
  Set& add(Value value);  // appends unless an equal primitive is present
  Set clone() const;

 private:
  std::vector<Value> values_;
};

// Bytes of an ArrayBuffer. Allocation leaves memory uninitialized so that
// decoding a large buffer costs one copy.
class Bytes {
 public:
  Bytes() = default;
  explicit Bytes(std::size_t size);  // uninitialized
  Bytes(const void* data, std::size_t size);
  Bytes(std::initializer_list<std::uint8_t> bytes);
  Bytes(Bytes&& other) noexcept : data_(std::move(other.data_)), size_(other.size_) {
    other.size_ = 0;
  }
  Bytes& operator=(Bytes&& other) noexcept {
    data_ = std::move(other.data_);
    size_ = other.size_;
    other.size_ = 0;
    return *this;
  }
  std::uint8_t* data() noexcept { return data_.get(); }
  const std::uint8_t* data() const noexcept { return data_.get(); }
  std::size_t size() const noexcept { return size_; }
  std::span<const std::uint8_t> span() const noexcept { return {data_.get(), size_}; }
  Bytes clone() const { return Bytes(data_.get(), size_); }
  friend bool operator==(const Bytes& a, const Bytes& b) {
    return a.size_ == b.size_ && (a.size_ == 0 || std::memcmp(a.data(), b.data(), a.size_) == 0);
  }

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_ = 0;
};

class ArrayBuffer {
 public:
  ArrayBuffer() = default;
  explicit ArrayBuffer(Bytes bytes) : bytes_(std::move(bytes)) {}
  static ArrayBuffer resizable(Bytes bytes, std::size_t max_byte_length);

  const Bytes& bytes() const noexcept { return bytes_; }
  Bytes& bytes() noexcept { return bytes_; }
  std::size_t byte_length() const noexcept { return bytes_.size(); }
  bool is_resizable() const noexcept { return resizable_; }
  std::size_t max_byte_length() const noexcept {
    return resizable_ ? max_byte_length_ : bytes_.size();
  }
  ArrayBuffer clone() const;

 private:
  Bytes bytes_;
  std::size_t max_byte_length_ = 0;
  bool resizable_ = false;
};

// View kinds, numbered as Node's serializer numbers them (lib/v8.js).
enum class ViewKind : std::uint8_t {
  kInt8Array = 0,
  kUint8Array = 1,
  kUint8ClampedArray = 2,
  kInt16Array = 3,
  kUint16Array = 4,
  kInt32Array = 5,
  kUint32Array = 6,
  kFloat32Array = 7,
  kFloat64Array = 8,
  kDataView = 9,
  kBuffer = 10,  // Node's Buffer (a Uint8Array subclass)
  kBigInt64Array = 11,
  kBigUint64Array = 12,
};
inline constexpr int kViewKindCount = 13;
const char* view_kind_name(ViewKind kind) noexcept;
std::optional<ViewKind> view_kind_from_name(std::string_view name) noexcept;
std::size_t view_element_size(ViewKind kind) noexcept;

// An ArrayBufferView: a window [byte_offset, byte_offset + byte_length) on an
// ArrayBuffer. `buffer` is the ArrayBuffer itself (owned here) or a Ref to one
// elsewhere in the tree, which is how two views of one buffer stay one buffer.
class View {
 public:
  View() = default;
  // A view over its own fresh buffer holding `bytes`.
  View(ViewKind kind, Bytes bytes);
  View(ViewKind kind, Value buffer, std::size_t byte_offset, std::size_t byte_length,
       bool length_tracking = false);

  ViewKind kind() const noexcept { return kind_; }
  const Value& buffer() const noexcept { return buffer_; }
  Value& buffer() noexcept { return buffer_; }
  std::size_t byte_offset() const noexcept { return byte_offset_; }
  std::size_t byte_length() const noexcept { return byte_length_; }
  bool length_tracking() const noexcept { return length_tracking_; }
  // The viewed bytes when the buffer is owned here; empty span for a Ref
  // (resolve it with RefIndex).
  std::span<const std::uint8_t> own_bytes() const noexcept;
  View clone() const;

 private:
  ViewKind kind_ = ViewKind::kUint8Array;
  Value buffer_;
  std::size_t byte_offset_ = 0;
  std::size_t byte_length_ = 0;
  bool length_tracking_ = false;
};

enum class ErrorPrototype : std::uint8_t {
  kError,
  kEvalError,
  kRangeError,
  kReferenceError,
  kSyntaxError,
  kTypeError,
  kUriError,
};
const char* error_prototype_name(ErrorPrototype p) noexcept;
std::optional<ErrorPrototype> error_prototype_from_name(std::string_view name) noexcept;

// A JS Error as structured clone carries it: prototype, and optional message,
// cause and stack.
class ErrorValue {
 public:
  ErrorValue() = default;
  explicit ErrorValue(ErrorPrototype proto, std::optional<String> msg = std::nullopt)
      : prototype(proto), message(std::move(msg)) {}

  ErrorPrototype prototype = ErrorPrototype::kError;
  std::optional<String> message;
  std::optional<String> stack;
  bool has_cause = false;
  Value cause;

  void set_cause(Value c) {
    cause = std::move(c);
    has_cause = true;
  }
  ErrorValue clone() const;
};

// Resolves Ref ids of one tree to the object nodes they name.
// Thread safety: immutable after construction; the tree must outlive it and
// must not be modified while it is used.
class RefIndex {
 public:
  explicit RefIndex(const Value& root);
  // The object node with that id, or nullptr.
  const Value* find(std::uint32_t id) const noexcept {
    return id < nodes_.size() ? nodes_[id] : nullptr;
  }
  // Follows a Ref (once; a Ref never names a Ref); other values map to themselves.
  const Value& deref(const Value& v) const noexcept;
  std::size_t object_count() const noexcept { return nodes_.size(); }

 private:
  std::vector<const Value*> nodes_;
};

// A standalone copy of `node`, a node inside the tree `index` was built on:
// its Ref ids renumbered from the copy's own root, and Refs to objects outside
// `node` (another argument of the same message, say) replaced by copies of
// those objects. For splitting a message's argument array into arguments.
Value detach_subtree(const Value& node, const RefIndex& index);

}  // namespace valence
