// Calls a user callable with IPC arguments converted to its parameter types:
// listener(Event&, A1, A2, ...) gets args[0] as A1 (through Convert<A1>), and
// so on; a missing argument reads as undefined. A callable whose only other
// parameter is `const std::vector<Value>&` gets the arguments as they are.
// Conversion errors name the argument: "args[1].user.age: expected number, got string".
// Thread safety: stateless.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "valence/convert.h"
#include "valence/value.h"

namespace valence::detail {

template <class F>
struct CallableTraits : CallableTraits<decltype(&std::decay_t<F>::operator())> {};
template <class C, class R, class... A>
struct CallableTraits<R (C::*)(A...) const> {
  using Return = R;
  using Args = std::tuple<A...>;
};
template <class C, class R, class... A>
struct CallableTraits<R (C::*)(A...)> {
  using Return = R;
  using Args = std::tuple<A...>;
};
template <class R, class... A>
struct CallableTraits<R (*)(A...)> {
  using Return = R;
  using Args = std::tuple<A...>;
};

template <class Tuple>
struct DropFirst;
template <class First, class... Rest>
struct DropFirst<std::tuple<First, Rest...>> {
  using type = std::tuple<Rest...>;
};

template <class F>
using CallReturn = typename CallableTraits<F>::Return;
template <class F>
using ValueArgs = typename DropFirst<typename CallableTraits<F>::Args>::type;

template <class Tuple>
inline constexpr bool kRawArgs = false;
template <>
inline constexpr bool kRawArgs<std::tuple<const std::vector<Value>&>> = true;

inline const Value& arg_or_undefined(const std::vector<Value>& args, std::size_t i) {
  static const Value kUndefined;
  return i < args.size() ? args[i] : kUndefined;
}

// Converts `args` for F's parameters after the first; calls `call(converted...)`.
template <class F, class Call, std::size_t... I>
auto convert_and_call(const std::vector<Value>& args, Call&& call, std::index_sequence<I...>)
    -> Result<std::tuple<std::decay_t<std::tuple_element_t<I, ValueArgs<F>>>...>> {
  std::tuple<Result<std::decay_t<std::tuple_element_t<I, ValueArgs<F>>>>...> converted{
      from_value<std::decay_t<std::tuple_element_t<I, ValueArgs<F>>>>(
          arg_or_undefined(args, I), "args[" + std::to_string(I) + "]")...};
  Error error;
  bool ok = true;
  auto check = [&](auto& r) {
    if (ok && !r.has_value()) {
      ok = false;
      error = r.error();
    }
  };
  (check(std::get<I>(converted)), ...);
  (void)check;
  (void)call;
  if (!ok) return Unexpected{error};
  return std::tuple<std::decay_t<std::tuple_element_t<I, ValueArgs<F>>>...>{
      std::move(std::get<I>(converted)).value()...};
}

// Calls f(event, converted args...). Returns the conversion error, or the
// callable's result wrapped by `wrap` (void results become Value()).
template <class F, class Event>
auto typed_call(F& f, Event& event, const std::vector<Value>& args)
    -> Result<std::conditional_t<std::is_void_v<CallReturn<F>>, std::monostate, CallReturn<F>>> {
  using R = CallReturn<F>;
  using Out = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
  if constexpr (kRawArgs<ValueArgs<F>>) {
    if constexpr (std::is_void_v<R>) {
      f(event, args);
      return Out{};
    } else {
      return Out(f(event, args));
    }
  } else {
    constexpr std::size_t n = std::tuple_size_v<ValueArgs<F>>;
    auto converted = convert_and_call<F>(args, 0, std::make_index_sequence<n>{});
    if (!converted) return Unexpected{converted.error()};
    return std::apply(
        [&](auto&&... a) -> Out {
          if constexpr (std::is_void_v<R>) {
            f(event, std::move(a)...);
            return Out{};
          } else {
            return Out(f(event, std::move(a)...));
          }
        },
        std::move(converted).value());
  }
}

// One C++ argument as a Value: Values and containers move in when given as
// rvalues (else are cloned), strings and numbers convert directly, other
// types go through Convert<T>.
template <class A>
Value pack_one(A&& a) {
  using D = std::remove_cvref_t<A>;
  if constexpr (std::is_array_v<D> || std::is_same_v<std::decay_t<D>, const char*> ||
                std::is_same_v<std::decay_t<D>, char*>) {
    return Value(std::string_view(a));
  } else if constexpr (std::is_constructible_v<Value, D&&> && std::is_rvalue_reference_v<A&&>) {
    return Value(std::move(a));
  } else if constexpr (requires { Value(a.clone()); }) {
    return Value(a.clone());
  } else {
    return Convert<D>::to_value(a);
  }
}

// Packs C++ arguments into IPC argument values.
template <class... A>
std::vector<Value> pack_args(A&&... a) {
  std::vector<Value> out;
  out.reserve(sizeof...(A));
  (out.push_back(pack_one(std::forward<A>(a))), ...);
  return out;
}

}  // namespace valence::detail
