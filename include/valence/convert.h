// Conversions between valence::Value and C++ types through one customization
// point, valence::Convert<T>:
//
//   template <> struct valence::Convert<MyType> {
//     static Value to_value(const MyType& v);
//     static Result<MyType> from_value(const Value& v, ConvertPath& path);
//   };
//
// Provided: bool, arithmetic types, std::string, String, BigInt, Value itself,
// std::vector, std::map / std::unordered_map with string keys,
// std::optional (undefined/null <-> nullopt), and user structs declared with
// VALENCE_STRUCT(Type, field, ...). Errors name the path of the mismatch:
// "args[1].user.age: expected number, got string".
//
// Thread safety: stateless.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "valence/base/result.h"
#include "valence/value.h"

namespace valence {

// The path from the root to the value being converted, rendered only when an
// error is reported.
class ConvertPath {
 public:
  explicit ConvertPath(std::string root = "value") : root_(std::move(root)) {}
  void push_key(std::string_view key) { segments_.push_back({std::string(key), 0, false}); }
  void push_index(std::size_t index) { segments_.push_back({{}, index, true}); }
  void pop() { segments_.pop_back(); }
  std::string str() const;
  Unexpected mismatch(std::string_view expected, const Value& got) const;
  Unexpected error(std::string_view what) const;

 private:
  struct Segment {
    std::string key;
    std::size_t index;
    bool is_index;
  };
  std::string root_;
  std::vector<Segment> segments_;
};

template <class T, class Enable = void>
struct Convert;  // specialize for your types

template <class T>
Value to_value(const T& v) {
  return Convert<T>::to_value(v);
}

template <class T>
Result<T> from_value(const Value& v, ConvertPath& path) {
  return Convert<T>::from_value(v, path);
}

template <class T>
Result<T> from_value(const Value& v, std::string root = "value") {
  ConvertPath path(std::move(root));
  return Convert<T>::from_value(v, path);
}

template <>
struct Convert<Value> {
  static Value to_value(const Value& v) { return v.clone(); }
  static Result<Value> from_value(const Value& v, ConvertPath&) { return v.clone(); }
};

template <>
struct Convert<bool> {
  static Value to_value(bool b) { return Value(b); }
  static Result<bool> from_value(const Value& v, ConvertPath& path) {
    if (const bool* b = v.get_if_bool()) return *b;
    return path.mismatch("boolean", v);
  }
};

template <class T>
struct Convert<T, std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>>> {
  static Value to_value(T n) { return Value(n); }
  static Result<T> from_value(const Value& v, ConvertPath& path) {
    auto d = v.get_if_number();
    if (!d) return path.mismatch("number", v);
    if constexpr (std::is_integral_v<T>) {
      double x = *d;
      if (!std::isfinite(x) || std::trunc(x) != x ||
          x < static_cast<double>(std::numeric_limits<T>::lowest()) ||
          x > static_cast<double>(std::numeric_limits<T>::max()))
        return path.error("expected an integer that fits " + std::string(int_name()) + ", got " +
                          v.to_debug_string());
      return static_cast<T>(x);
    } else {
      return static_cast<T>(*d);
    }
  }
  static constexpr const char* int_name() {
    if constexpr (std::is_signed_v<T>) {
      if constexpr (sizeof(T) == 1)
        return "int8";
      else if constexpr (sizeof(T) == 2)
        return "int16";
      else if constexpr (sizeof(T) == 4)
        return "int32";
      else
        return "int64";
    } else {
      if constexpr (sizeof(T) == 1)
        return "uint8";
      else if constexpr (sizeof(T) == 2)
        return "uint16";
      else if constexpr (sizeof(T) == 4)
        return "uint32";
      else
        return "uint64";
    }
  }
};

template <>
struct Convert<std::string> {
  static Value to_value(const std::string& s) { return Value(s); }
  static Result<std::string> from_value(const Value& v, ConvertPath& path) {
    if (const String* s = v.get_if_js_string()) return s->utf8();
    return path.mismatch("string", v);
  }
};

template <>
struct Convert<String> {
  static Value to_value(const String& s) { return Value(s); }
  static Result<String> from_value(const Value& v, ConvertPath& path) {
    if (const String* s = v.get_if_js_string()) return *s;
    return path.mismatch("string", v);
  }
};

template <>
struct Convert<BigInt> {
  static Value to_value(const BigInt& b) { return Value(b); }
  static Result<BigInt> from_value(const Value& v, ConvertPath& path) {
    if (const BigInt* b = v.get_if_bigint()) return *b;
    return path.mismatch("bigint", v);
  }
};

template <class T>
struct Convert<std::optional<T>> {
  static Value to_value(const std::optional<T>& o) {
    return o ? Convert<T>::to_value(*o) : Value(nullptr);
  }
  static Result<std::optional<T>> from_value(const Value& v, ConvertPath& path) {
    if (v.is_undefined() || v.is_null()) return std::optional<T>();
    auto r = Convert<T>::from_value(v, path);
    if (!r) return Unexpected{r.error()};
    return std::optional<T>(std::move(r).value());
  }
};

template <class T, class A>
struct Convert<std::vector<T, A>> {
  static Value to_value(const std::vector<T, A>& vec) {
    std::vector<Value> items;
    items.reserve(vec.size());
    for (const auto& e : vec) items.push_back(Convert<T>::to_value(e));
    return Value::array(std::move(items));
  }
  static Result<std::vector<T, A>> from_value(const Value& v, ConvertPath& path) {
    const Array* arr = v.get_if_array();
    if (!arr) return path.mismatch("array", v);
    std::vector<T, A> out;
    out.reserve(arr->element_count());
    for (std::uint32_t i = 0; i < arr->length(); ++i) {
      const Value* e = arr->get(i);
      path.push_index(i);
      if (!e) return path.error("expected an element, got a hole");
      auto r = Convert<T>::from_value(*e, path);
      if (!r) return Unexpected{r.error()};
      path.pop();
      out.push_back(std::move(r).value());
    }
    return out;
  }
};

namespace detail {
template <class M>
struct ConvertStringMap {
  using T = typename M::mapped_type;
  static Value to_value(const M& m) {
    Object obj;
    for (const auto& [k, e] : m) obj.set(String(std::string_view(k)), Convert<T>::to_value(e));
    return Value(std::move(obj));
  }
  static Result<M> from_value(const Value& v, ConvertPath& path) {
    const Object* obj = v.get_if_object();
    if (!obj) return path.mismatch("object", v);
    M out;
    for (const auto& [k, e] : *obj) {
      path.push_key(k.wtf8());
      auto r = Convert<T>::from_value(e, path);
      if (!r) return Unexpected{r.error()};
      path.pop();
      out.emplace(k.utf8(), std::move(r).value());
    }
    return out;
  }
};
}  // namespace detail

template <class T, class C, class A>
struct Convert<std::map<std::string, T, C, A>>
    : detail::ConvertStringMap<std::map<std::string, T, C, A>> {};
template <class T, class H, class E, class A>
struct Convert<std::unordered_map<std::string, T, H, E, A>>
    : detail::ConvertStringMap<std::unordered_map<std::string, T, H, E, A>> {};

namespace detail {
template <class S, class F>
void struct_field_to(Object& obj, const S& s, const char* name, F S::*member) {
  obj.set(String(name), Convert<F>::to_value(s.*member));
}
template <class S, class F>
bool struct_field_from(const Object& obj, S& s, const char* name, F S::*member, ConvertPath& path,
                       Error& error) {
  const Value* v = obj.find(name);
  static const Value kUndefined;
  path.push_key(name);
  auto r = Convert<F>::from_value(v ? *v : kUndefined, path);
  if (!r) {
    error = r.error();
    return false;
  }
  path.pop();
  s.*member = std::move(r).value();
  return true;
}
}  // namespace detail

}  // namespace valence

// VALENCE_STRUCT(Type, field1, field2, ...) makes a struct convertible to and
// from a JS object with those properties (at most 16 fields; a missing
// property reads as undefined, so std::optional fields are optional).
// Use it at global namespace scope, after the struct's definition.
#define VALENCE_DETAIL_EXPAND(x) x
#define VALENCE_DETAIL_NTH(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, \
                           N, ...)                                                                \
  N
#define VALENCE_DETAIL_FE_1(M, T, x) M(T, x)
#define VALENCE_DETAIL_FE_2(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_1(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FE_3(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_2(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FE_4(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_3(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FE_5(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_4(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FE_6(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_5(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FE_7(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_6(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FE_8(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_7(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FE_9(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_8(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FE_10(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_9(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FE_11(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_10(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FE_12(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_11(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FE_13(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_12(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FE_14(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_13(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FE_15(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_14(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FE_16(M, T, x, ...) \
  M(T, x) VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_FE_15(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FOR_EACH(M, T, ...)                                                    \
  VALENCE_DETAIL_EXPAND(VALENCE_DETAIL_NTH(                                                   \
      __VA_ARGS__, VALENCE_DETAIL_FE_16, VALENCE_DETAIL_FE_15, VALENCE_DETAIL_FE_14,          \
      VALENCE_DETAIL_FE_13, VALENCE_DETAIL_FE_12, VALENCE_DETAIL_FE_11, VALENCE_DETAIL_FE_10, \
      VALENCE_DETAIL_FE_9, VALENCE_DETAIL_FE_8, VALENCE_DETAIL_FE_7, VALENCE_DETAIL_FE_6,     \
      VALENCE_DETAIL_FE_5, VALENCE_DETAIL_FE_4, VALENCE_DETAIL_FE_3, VALENCE_DETAIL_FE_2,     \
      VALENCE_DETAIL_FE_1, unused)(M, T, __VA_ARGS__))
#define VALENCE_DETAIL_FIELD_TO(T, f) ::valence::detail::struct_field_to(obj, s, #f, &T::f);
#define VALENCE_DETAIL_FIELD_FROM(T, f)                                       \
  if (!::valence::detail::struct_field_from(*obj, s, #f, &T::f, path, error)) \
    return ::valence::Unexpected{error};

#define VALENCE_STRUCT(Type, ...)                                             \
  template <>                                                                 \
  struct valence::Convert<Type> {                                             \
    static ::valence::Value to_value(const Type& s) {                         \
      ::valence::Object obj;                                                  \
      VALENCE_DETAIL_FOR_EACH(VALENCE_DETAIL_FIELD_TO, Type, __VA_ARGS__)     \
      return ::valence::Value(std::move(obj));                                \
    }                                                                         \
    static ::valence::Result<Type> from_value(const ::valence::Value& v,      \
                                              ::valence::ConvertPath& path) { \
      const ::valence::Object* obj = v.get_if_object();                       \
      if (!obj) return path.mismatch("object", v);                            \
      Type s{};                                                               \
      ::valence::Error error;                                                 \
      VALENCE_DETAIL_FOR_EACH(VALENCE_DETAIL_FIELD_FROM, Type, __VA_ARGS__)   \
      return s;                                                               \
    }                                                                         \
  }
