// The remote module: C++ objects a page may use as if they were its own
// (Electron's `remote`), without Electron's leaks. docs/remote.md has the
// whole story; in short:
//
//   auto& remote = app.remote();                      // one Registry per App
//   auto& counter = remote.define<Counter>("Counter")  // a class pages may use
//       .constructor<int>([](int start) { return std::make_shared<Counter>(start); })
//       .property("value", &Counter::value)
//       .method("add", &Counter::add);
//   remote.module("./counter", [&](remote::Module& m) { m.constructor("Counter", counter); });
//   remote.global("sharedObject", remote::SharedObject::create({{"someProperty", "x"}}));
//   options.web_preferences.enable_remote_module = true;  // off by default
//
// and in the preload (or a node_integration page):
//
//   const { Counter } = require('electron').remote.require('./counter')
//   const c = new Counter(1); c.add(2); c.value  // 3, each a synchronous call
//
// What a page can reach is what C++ declared, and nothing else: the roots
// (modules, globals, built-ins, its own window) and the declared members of
// the objects those return. No constructor walk, no prototype, no eval.
//
// Values: instances of a defined class (held as std::shared_ptr<T>), class
// constructors and remote::function()s travel as references; everything else
// is a copy (Convert<T>). A page function passed in arrives as a
// remote::Callback, called one way (B19 of docs/remote.md).
//
// Lifetime: main counts every reference it sends to a document; the page
// gives them back when its proxies are collected, and everything of a
// document is released when it goes (navigation, reload, window closed,
// web process gone), without waiting for a GC.
//
// Thread safety: loop-affine (the thread of the MainProcess's loop).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeindex>
#include <utility>
#include <variant>
#include <vector>

#include "valence/base/future.h"
#include "valence/base/result.h"
#include "valence/base/unique_function.h"
#include "valence/convert.h"
#include "valence/detail/typed_call.h"
#include "valence/main/ipc_main.h"
#include "valence/value.h"

namespace valence {

class MainProcess;
class WebContents;

namespace remote {

class Registry;
class ClassInfo;

// Who asked, for members that want to know (a parameter `CallContext&`
// first, after the object for methods).
struct CallContext {
  std::shared_ptr<WebContents> sender;
  unsigned document = 0;  // the page's document (a reload makes a new one)
};

namespace detail {
struct CallbackState;
struct DocumentHandle;  // a document's tables, for conversions during a call

// The document conversions to and from references use: set while a remote
// operation runs (and while a Callback's arguments are converted).
std::shared_ptr<DocumentHandle> current_document();
class DocumentScope {
 public:
  explicit DocumentScope(std::shared_ptr<DocumentHandle> document);
  ~DocumentScope();
  DocumentScope(const DocumentScope&) = delete;
  DocumentScope& operator=(const DocumentScope&) = delete;

 private:
  std::shared_ptr<DocumentHandle> saved_;
};

// A shared_ptr<T> as a reference of the current document (a HostObject).
Value export_object(std::shared_ptr<void> object, std::type_index type);
// A reference the page passed back, as a shared_ptr<T> (checked: live in
// this document and of class T or derived from it).
Result<std::shared_ptr<void>> import_object(const Value& v, std::type_index type,
                                            ConvertPath& path);
Value export_callback(const std::shared_ptr<CallbackState>& state);
// A page Promise passed as an argument, as a Future (once).
Result<Future<Value>> import_promise(const Value& v, ConvertPath& path);
Result<std::shared_ptr<CallbackState>> import_callback(const Value& v, ConvertPath& path);
}  // namespace detail

// A page function main holds. Calls are one way (Electron's semantics): the
// function runs later in the page, and its result is not seen here. When the
// page's document is gone (navigation, reload, window closed), calls do
// nothing and return false; the first such call reports Electron's line
// "Attempting to call a function in a renderer window that has been closed
// or released. Function provided here: <file:line>" through ipcMain's error
// reporter. When the last copy of a Callback is dropped, the page may free
// the function.
class Callback {
 public:
  Callback() = default;
  explicit Callback(std::shared_ptr<detail::CallbackState> state) : state_(std::move(state)) {}

  template <class... A>
  bool operator()(A&&... args) const {
    std::vector<Value> values;
    {
      detail::DocumentScope scope(document());
      values = valence::detail::pack_args(std::forward<A>(args)...);
    }
    return call_values(std::move(values));
  }
  bool call_values(std::vector<Value> args) const;

  // The document that gave it is still there.
  bool alive() const noexcept;
  // Where the page made the function ("renderer.js:12"), as far as its
  // stack said.
  std::string location() const;
  int web_contents_id() const noexcept;
  // remote.createFunctionWithReturnValue(v): the value, known here at once.
  bool has_constant() const noexcept;
  const Value& constant() const;
  // Runs once when the function is gone for good (its document ended).
  void on_released(UniqueFunction<void()> callback) const;
  // The same page function (one function, one Callback identity).
  friend bool operator==(const Callback& a, const Callback& b) noexcept {
    return a.state_ == b.state_;
  }
  explicit operator bool() const noexcept { return state_ != nullptr; }
  const std::shared_ptr<detail::CallbackState>& state() const noexcept { return state_; }

 private:
  std::shared_ptr<detail::DocumentHandle> document() const;
  std::shared_ptr<detail::CallbackState> state_;
};

// Listener lists for a C++ object's events, as pages see them: a class
// declared with .events() gets on / once / addListener / off /
// removeListener / removeAllListeners / listenerCount. A page's listeners
// leave the lists when its document goes (no reload leak, no calls into a
// dead page); removeAllListeners from a page removes that page's only.
class Events {
 public:
  Events() = default;
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;
  ~Events();

  // Calls every listener of `name` (one way), in the order added.
  template <class... A>
  void emit(std::string_view name, A&&... args) {
    for (const Callback& cb : snapshot(name)) cb(args...);
  }
  std::size_t listener_count(std::string_view name) const;

  void add(std::string name, Callback cb, bool once);
  void remove(std::string_view name, const Callback& cb);
  // Only listeners of `web_contents_id`'s `document` (0: every document).
  void remove_all(std::string_view name, int web_contents_id, unsigned document);

 private:
  struct Entry {
    Callback callback;
    bool once;
  };
  std::vector<Callback> snapshot(std::string_view name);
  void drop(const std::shared_ptr<detail::CallbackState>& state);
  std::map<std::string, std::vector<Entry>, std::less<>> lists_;
  std::shared_ptr<Events*> self_ = std::make_shared<Events*>(this);
};

// What a member call gives back: a value now, or later (a Future: the page
// gets a Promise).
struct Outcome {
  Result<Value> now = Value();
  std::optional<Future<Value>> later;
};

namespace detail {

// (The same traits ipcMain's handlers use.)
using valence::detail::IsFuture;
using valence::detail::IsResult;

// A value a member returned, as a remote value of the current document.
template <class R>
Outcome to_outcome(R&& r) {
  using D = std::remove_cvref_t<R>;
  if constexpr (IsFuture<D>::value) {
    Promise<Value> p;
    Outcome out;
    out.later = p.future();
    auto document = current_document();
    r.then([pp = std::make_shared<Promise<Value>>(std::move(p)), document](auto result) {
      if (!result) {
        pp->set(Unexpected{result.error()});
        return;
      }
      DocumentScope scope(document);
      if constexpr (std::is_void_v<std::remove_cvref_t<decltype(*result)>>)
        pp->set(Value());
      else
        pp->set(valence::detail::pack_one(std::move(result).value()));
    });
    return out;
  } else if constexpr (IsResult<D>::value) {
    if (!r) return Outcome{Unexpected{r.error()}, std::nullopt};
    if constexpr (std::is_void_v<typename D::value_type>)
      return Outcome{};
    else
      return Outcome{valence::detail::pack_one(std::move(r).value()), std::nullopt};
  } else {
    return Outcome{valence::detail::pack_one(std::forward<R>(r)), std::nullopt};
  }
}

// Runs f(pre..., converted args...) and converts what it returns. A
// parameter `CallContext&` right after `pre` gets the caller; the others
// take args[0], args[1], ... (undefined when missing). Exceptions become
// errors (a HandlerError keeps its JS Error).
template <class Tuple>
struct Invoker;
template <class... A>
struct Invoker<std::tuple<A...>> {
  template <class F, class... Pre>
  static Outcome call(F& f, CallContext& ctx, const std::vector<Value>& args, Pre&... pre) {
    auto sink = [](auto&& r) { return to_outcome(std::forward<decltype(r)>(r)); };
    return call_with(f, sink, ctx, args, pre...);
  }
  // As call(), giving what f returns to sink(r) -> Outcome.
  template <class F, class Sink, class... Pre>
  static Outcome call_with(F& f, Sink& sink, CallContext& ctx, const std::vector<Value>& args,
                           Pre&... pre) {
    constexpr std::size_t kPre = sizeof...(Pre);
    using All = std::tuple<A...>;
    constexpr bool kWantsContext = [] {
      if constexpr (sizeof...(A) > kPre)
        return std::is_same_v<std::tuple_element_t<kPre, All>, CallContext&>;
      else
        return false;
    }();
    return call_impl<kWantsContext>(f, sink, ctx, args, std::make_index_sequence<sizeof...(A)>{},
                                    pre...);
  }

 private:
  template <bool kWantsContext, class F, class Sink, std::size_t... I, class... Pre>
  static Outcome call_impl(F& f, Sink& sink, CallContext& ctx, const std::vector<Value>& args,
                           std::index_sequence<I...>, Pre&... pre) {
    constexpr std::size_t kPre = sizeof...(Pre);
    constexpr std::size_t kSkip = kPre + (kWantsContext ? 1 : 0);
    using All = std::tuple<A...>;
    // The converted values of the parameters after `pre` (and the context).
    std::tuple<std::optional<std::conditional_t<(I < kSkip), std::monostate,
                                                std::decay_t<std::tuple_element_t<I, All>>>>...>
        converted;
    Error error;
    bool ok = true;
    auto one = [&](auto index) {
      constexpr std::size_t i = decltype(index)::value;
      if constexpr (i >= kSkip) {
        using P = std::decay_t<std::tuple_element_t<i, All>>;
        if (!ok) return;
        auto r = valence::from_value<P>(valence::detail::arg_or_undefined(args, i - kSkip),
                                        "args[" + std::to_string(i - kSkip) + "]");
        if (!r) {
          ok = false;
          error = r.error();
          return;
        }
        std::get<i>(converted).emplace(std::move(r).value());
      }
    };
    (one(std::integral_constant<std::size_t, I>{}), ...);
    (void)one;
    if (!ok) return Outcome{Unexpected{error}, std::nullopt};
    auto pick = [&](auto index) -> decltype(auto) {
      constexpr std::size_t i = decltype(index)::value;
      if constexpr (i < kPre) {
        return std::get<i>(std::forward_as_tuple(pre...));
      } else if constexpr (kWantsContext && i == kPre) {
        return (ctx);
      } else {
        return std::move(*std::get<i>(converted));
      }
    };
    (void)pick;
    (void)args;
    try {
      using R = std::invoke_result_t<F&, A...>;
      if constexpr (std::is_void_v<R>) {
        f(pick(std::integral_constant<std::size_t, I>{})...);
        return Outcome{};
      } else {
        return sink(f(pick(std::integral_constant<std::size_t, I>{})...));
      }
    } catch (const HandlerError& e) {
      return Outcome{Unexpected{Error{ErrorCode::kHandlerRejected, e.what(), e.error()}},
                     std::nullopt};
    } catch (const std::exception& e) {
      return Outcome{make_error(ErrorCode::kHandlerRejected, e.what()), std::nullopt};
    }
  }
};

// Member pointers as callables taking the object first.
template <class T, class R, class C, class... A>
auto adapt_member(R (C::*pm)(A...)) {
  return [pm](T& self, A... a) -> R { return (self.*pm)(std::forward<A>(a)...); };
}
template <class T, class R, class C, class... A>
auto adapt_member(R (C::*pm)(A...) const) {
  return [pm](T& self, A... a) -> R { return (self.*pm)(std::forward<A>(a)...); };
}
template <class T, class F>
F adapt_member(F f) {
  return f;
}

template <class F>
using Params = typename valence::detail::CallableTraits<F>::Args;
template <class F>
inline constexpr std::size_t kArity = std::tuple_size_v<Params<F>>;

std::shared_ptr<ClassInfo> make_function_class(
    std::string name, int length,
    std::function<Outcome(CallContext&, const std::vector<Value>&)> fn);
std::uint32_t next_class_id();

// The type-erased members of a class (ClassInfo holds them).
using Self = std::shared_ptr<void>;
using MethodFn = std::function<Outcome(const Self&, CallContext&, const std::vector<Value>&)>;
using GetterFn = std::function<Result<Value>(const Self&, CallContext&)>;
using SetterFn = std::function<Result<void>(const Self&, CallContext&, const Value&)>;
using FactoryFn = std::function<Result<Self>(CallContext&, const std::vector<Value>&)>;

}  // namespace detail

// A class pages may use: its constructor, properties, methods, events and
// statics. Members are what the page sees; a page reads a snapshot of them
// when the class first reaches its document. Made by Registry::define().
class ClassInfo {
 public:
  struct Property {
    std::string name;
    detail::GetterFn get;
    detail::SetterFn set;  // empty: read-only
    bool enumerable = true;
  };
  struct Method {
    std::string name;
    int length = 0;
    detail::MethodFn call;
  };
  struct Static {
    std::string name;
    int length = 0;
    std::function<Outcome(CallContext&, const std::vector<Value>&)> call;
  };

  ClassInfo(std::uint32_t id, std::string name, std::type_index type)
      : id_(id), name_(std::move(name)), type_(type) {}
  virtual ~ClassInfo() = default;
  ClassInfo(const ClassInfo&) = delete;
  ClassInfo& operator=(const ClassInfo&) = delete;

  std::uint32_t id() const noexcept { return id_; }
  const std::string& name() const noexcept { return name_; }
  std::type_index type() const noexcept { return type_; }
  const ClassInfo* base() const noexcept { return base_; }
  bool held_weakly() const noexcept { return weak_; }
  bool constructible() const noexcept { return static_cast<bool>(factory_); }
  int constructor_length() const noexcept { return ctor_length_; }
  bool has_events() const noexcept { return static_cast<bool>(events_); }
  // A SharedObject's own class: members are its keys.
  bool dynamic() const noexcept { return dynamic_; }
  // Members, own only (the base's are the base's).
  const std::vector<Property>& properties() const noexcept { return props_; }
  const std::vector<Method>& methods() const noexcept { return methods_; }
  const std::vector<Static>& statics() const noexcept { return statics_; }
  const Property* find_property(std::string_view name) const;  // here or in a base
  const Method* find_method(std::string_view name) const;      // here or in a base
  const Static* find_static(std::string_view name) const;
  Result<detail::Self> construct(CallContext& ctx, const std::vector<Value>& args) const;
  // The object as its base class's pointer (for a base's members).
  detail::Self upcast_to(const ClassInfo& target, const detail::Self& self) const;
  bool is_or_derives(const ClassInfo& other) const noexcept;
  Events* events_of(const detail::Self& self) const { return events_ ? events_(self) : nullptr; }

  // A remote::function: the class of a single callable (no instances).
  bool is_function() const noexcept { return static_cast<bool>(function_); }
  Outcome call_function(CallContext& ctx, const std::vector<Value>& args) const {
    return function_(ctx, args);
  }

 protected:
  std::uint32_t id_;
  std::string name_;
  std::type_index type_;
  const ClassInfo* base_ = nullptr;
  std::function<detail::Self(const detail::Self&)> to_base_;
  bool weak_ = false;
  bool dynamic_ = false;
  detail::FactoryFn factory_;
  int ctor_length_ = 0;
  std::vector<Property> props_;
  std::vector<Method> methods_;
  std::vector<Static> statics_;
  std::function<Events*(const detail::Self&)> events_;
  std::function<Outcome(CallContext&, const std::vector<Value>&)> function_;
  friend class Registry;
  friend class SharedObject;
  friend std::shared_ptr<ClassInfo> detail::make_function_class(
      std::string, int, std::function<Outcome(CallContext&, const std::vector<Value>&)>);
};

template <class T>
class Class final : public ClassInfo {
 public:
  Class(std::uint32_t id, std::string name) : ClassInfo(id, std::move(name), typeid(T)) {}

  // new Class(...args) from a page: factory(args...) -> std::shared_ptr<T>
  // (or Result of it). Without one, `new` throws "... is not a constructor".
  template <class F>
  Class& constructor(F factory) {
    ctor_length_ = static_cast<int>(detail::kArity<F>);
    factory_ = [f = std::move(factory)](
                   CallContext& ctx,
                   const std::vector<Value>& args) mutable -> Result<detail::Self> {
      detail::Self made;
      auto sink = [&made](auto&& r) -> Outcome {
        using R = std::remove_cvref_t<decltype(r)>;
        if constexpr (detail::IsResult<R>::value) {
          if (!r) return Outcome{Unexpected{r.error()}, std::nullopt};
          made = std::static_pointer_cast<T>(std::move(r).value());
        } else {
          made = std::static_pointer_cast<T>(std::forward<decltype(r)>(r));
        }
        return Outcome{};
      };
      auto out = detail::Invoker<detail::Params<F>>::call_with(f, sink, ctx, args);
      if (!out.now) return Unexpected{out.now.error()};
      if (!made) return make_error(ErrorCode::kFailed, "the constructor made no object");
      return made;
    };
    return *this;
  }
  // A method: &T::fn, or a callable (T&, args...) / (T&, CallContext&, args...).
  template <class F>
  Class& method(std::string name, F fn) {
    auto callable = detail::adapt_member<T>(fn);
    using C = decltype(callable);
    int length = static_cast<int>(detail::kArity<C>) - 1;
    methods_.push_back(
        {std::move(name), length,
         [f = std::move(callable)](const detail::Self& self, CallContext& ctx,
                                   const std::vector<Value>& args) mutable -> Outcome {
           T& object = *static_cast<T*>(self.get());
           return detail::Invoker<detail::Params<C>>::call(f, ctx, args, object);
         }});
    return *this;
  }
  // A read/write data member.
  template <class M>
  Class& property(std::string name, M T::*member) {
    Property p;
    p.name = std::move(name);
    p.get = [member](const detail::Self& self, CallContext&) -> Result<Value> {
      return valence::detail::pack_one(static_cast<T*>(self.get())->*member);
    };
    p.set = [member, n = p.name](const detail::Self& self, CallContext&,
                                 const Value& v) -> Result<void> {
      auto converted = valence::from_value<M>(v, n);
      if (!converted) return Unexpected{converted.error()};
      static_cast<T*>(self.get())->*member = std::move(converted).value();
      return {};
    };
    props_.push_back(std::move(p));
    return *this;
  }
  // A computed property: getter(const T&) and, optionally, setter(T&, V).
  template <class G>
  Class& property(std::string name, G getter) {
    return accessor(std::move(name), std::move(getter), nullptr);
  }
  template <class G, class S>
  Class& property(std::string name, G getter, S setter) {
    return accessor(std::move(name), std::move(getter), std::move(setter));
  }
  // on / once / addListener / off / removeListener / removeAllListeners /
  // listenerCount over the object's Events.
  Class& events(Events T::*member) {
    events_ = [member](const detail::Self& self) {
      return &(static_cast<T*>(self.get())->*member);
    };
    return *this;
  }
  // ... or over an Events an accessor finds for the object: accessor(T&) -> Events*.
  template <class F>
  Class& events(F accessor) {
    events_ = [a = std::move(accessor)](const detail::Self& self) mutable -> Events* {
      return a(*static_cast<T*>(self.get()));
    };
    return *this;
  }
  // A function on the constructor (BrowserWindow.fromId).
  template <class F>
  Class& static_method(std::string name, F fn) {
    int length = static_cast<int>(detail::kArity<F>);
    statics_.push_back(
        {std::move(name), length,
         [f = std::move(fn)](CallContext& ctx, const std::vector<Value>& args) mutable {
           return detail::Invoker<detail::Params<F>>::call(f, ctx, args);
         }});
    return *this;
  }
  // T derives from B (defined as `base`): B's members apply to T's objects,
  // and the page's prototypes chain as the classes do.
  template <class B>
  Class& inherits(Class<B>& base) {
    static_assert(std::is_base_of_v<B, T>);
    base_ = &base;
    to_base_ = [](const detail::Self& self) -> detail::Self {
      return std::static_pointer_cast<B>(std::static_pointer_cast<T>(self));
    };
    return *this;
  }
  // Objects main owns and may end (windows): a page's reference does not
  // keep them alive; once gone, calls throw "Object has been destroyed".
  Class& held_weakly() {
    weak_ = true;
    return *this;
  }

 private:
  template <class G, class S>
  Class& accessor(std::string name, G getter, S setter) {
    Property p;
    p.name = std::move(name);
    p.get = [g = std::move(getter)](const detail::Self& self,
                                    CallContext&) mutable -> Result<Value> {
      auto out = detail::to_outcome(g(*static_cast<const T*>(self.get())));
      return std::move(out.now);
    };
    if constexpr (!std::is_same_v<S, std::nullptr_t>) {
      using V = std::decay_t<std::tuple_element_t<1, detail::Params<S>>>;
      p.set = [s = std::move(setter), n = p.name](const detail::Self& self, CallContext&,
                                                  const Value& v) mutable -> Result<void> {
        auto converted = valence::from_value<V>(v, n);
        if (!converted) return Unexpected{converted.error()};
        s(*static_cast<T*>(self.get()), std::move(converted).value());
        return {};
      };
    }
    props_.push_back(std::move(p));
    return *this;
  }
};

// A main object with keys set at run time (Electron's global.sharedObject
// pattern): gets and sets are live; a page sees the keys present when the
// object first reached its document.
class SharedObject {
 public:
  static std::shared_ptr<SharedObject> create(
      std::initializer_list<std::pair<const std::string, Value>> entries = {});
  Value get(std::string_view key) const;
  void set(std::string key, Value value);
  bool has(std::string_view key) const;
  std::vector<std::string> keys() const;
  const ClassInfo& class_info() const noexcept { return *cls_; }

 private:
  std::map<std::string, Value, std::less<>> entries_;
  std::vector<std::string> order_;
  std::shared_ptr<ClassInfo> cls_;
};

// A C++ callable as a remote function (a reference, not a copy): return
// remote::function(f) from a member, or register it in a Module.
struct FunctionRef {
  std::shared_ptr<const ClassInfo> info;
};
template <class F>
FunctionRef function(std::string name, F fn);

// What remote.require(name) gives: named functions, constructors, values
// and objects.
class Module {
 public:
  template <class F>
  Module& function(std::string name, F fn) {
    auto info = remote::function(name, std::move(fn)).info;
    entries_.push_back({std::move(name), std::move(info), nullptr, Value(), nullptr, {}});
    return *this;
  }
  Module& constructor(std::string name, ClassInfo& cls) {
    entries_.push_back({std::move(name), nullptr, &cls, Value(), nullptr, {}});
    return *this;
  }
  // A copy, each time it is read.
  Module& value(std::string name, Value v) {
    entries_.push_back({std::move(name), nullptr, nullptr, std::move(v), nullptr, {}});
    return *this;
  }
  template <class T>
  Module& object(std::string name, std::shared_ptr<T> object) {
    entries_.push_back({std::move(name), nullptr, nullptr, Value(), object, typeid(T)});
    return *this;
  }

 private:
  friend class Registry;
  struct Entry {
    std::string name;
    std::shared_ptr<const ClassInfo> function;
    ClassInfo* constructor;
    Value value;
    std::shared_ptr<void> object;
    std::optional<std::type_index> object_type;
  };
  std::vector<Entry> entries_;
};

// A filtered entry point (@electron/remote's remote-require and friends):
// prevent_default() refuses it ("Blocked remote.require('x')"),
// set_return_value() answers instead.
struct RootEvent {
  std::shared_ptr<WebContents> sender;
  std::string name;  // the module, global or built-in ("" for the current window/contents)
  void prevent_default() { prevented = true; }
  void set_return_value(Value v) {
    return_value = std::move(v);
    has_return_value = true;
  }
  bool prevented = false;
  bool has_return_value = false;
  Value return_value;
};

// One remote operation, for the central filter.
struct OpInfo {
  std::shared_ptr<WebContents> sender;
  std::string op;      // "require", "get", "set", "call", "construct", "callMember", ...
  std::string target;  // the class of the target ("" for the roots)
  std::string member;  // the member or root name
};
struct Decision {
  bool allowed = true;
  std::string reason;
};
inline Decision allow() {
  return {};
}
inline Decision deny(std::string reason) {
  return {false, std::move(reason)};
}

// Live counts, for tests and diagnostics.
struct Stats {
  std::size_t documents = 0;   // documents with anything in their tables
  std::size_t exports = 0;     // main objects the page holds references to
  std::size_t references = 0;  // the sum of their counts
  std::size_t imports = 0;     // page functions main holds
  std::size_t promises = 0;    // main promises the page waits for
  // Since the connection opened: operations run, and the messages that
  // carried them (an async batch carries many).
  std::size_t operations = 0;
  std::size_t messages = 0;
};

struct Quotas {
  std::size_t max_exports = 100000;  // live main objects per document
  std::size_t max_imports = 100000;  // page functions per document
};

class Registry {
 public:
  explicit Registry(MainProcess& main);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Lets a WebContents's page use remote (BrowserWindow's
  // web_preferences.enable_remote_module does it). Off by default: its ops
  // are refused with ERR_REMOTE_DISABLED.
  void enable(const WebContents& contents);
  bool enabled(const WebContents& contents) const;

  // Defines a class (its name is what pages see). One per T.
  template <class T>
  Class<T>& define(std::string name) {
    auto cls = std::make_shared<Class<T>>(detail::next_class_id(), std::move(name));
    Class<T>& ref = *cls;
    add_class(cls);
    return ref;
  }
  const ClassInfo* class_of(std::type_index type) const;

  // remote.require(name): exact names, no paths, no Node modules.
  void module(std::string name, UniqueFunction<void(Module&)> build);
  // remote.getGlobal(name): a copy of `value` each time.
  void global(std::string name, Value value);
  // ... or a reference to a shared object.
  void global(std::string name, std::shared_ptr<SharedObject> object);
  // remote.app, remote.BrowserWindow...: the ui layer registers these; a
  // value is a constructor (a class), an object, or a copy.
  void builtin(std::string name, ClassInfo& constructor);
  template <class T>
  void builtin_object(std::string name, std::shared_ptr<T> object) {
    builtin_object_erased(std::move(name), std::move(object), typeid(T));
  }
  // remote.getCurrentWindow(): the object for a WebContents (the ui layer's
  // BrowserWindow), and getCurrentWebContents().
  void set_current_window(UniqueFunction<Value(const std::shared_ptr<WebContents>&)> fn);
  void set_current_web_contents(UniqueFunction<Value(const std::shared_ptr<WebContents>&)> fn);

  // Filters (@electron/remote's events): each sees the entry point.
  void on_require(UniqueFunction<void(RootEvent&)> fn);
  void on_get_global(UniqueFunction<void(RootEvent&)> fn);
  void on_get_builtin(UniqueFunction<void(RootEvent&)> fn);
  void on_get_current_window(UniqueFunction<void(RootEvent&)> fn);
  void on_get_current_web_contents(UniqueFunction<void(RootEvent&)> fn);
  // Sees every operation; a denial is the page's error ("Blocked: reason").
  void set_call_filter(UniqueFunction<Decision(const OpInfo&)> fn);

  void set_quotas(Quotas quotas);
  Stats stats(const WebContents& contents) const;
  Stats stats() const;  // every WebContents

  struct Impl;
  Impl& impl() noexcept { return *impl_; }

 private:
  void add_class(std::shared_ptr<ClassInfo> cls);
  void builtin_object_erased(std::string name, std::shared_ptr<void> object, std::type_index type);
  std::unique_ptr<Impl> impl_;
};

// ---- implementation details of the templates above -------------------------

namespace detail {
Value export_function(const std::shared_ptr<const ClassInfo>& info);
}  // namespace detail

template <class F>
FunctionRef function(std::string name, F fn) {
  int length = static_cast<int>(detail::kArity<F>);
  return {detail::make_function_class(
      std::move(name), length,
      [f = std::move(fn)](CallContext& ctx, const std::vector<Value>& args) mutable {
        return detail::Invoker<detail::Params<F>>::call(f, ctx, args);
      })};
}

}  // namespace remote

template <class T>
struct Convert<std::shared_ptr<T>> {
  static Value to_value(const std::shared_ptr<T>& v) {
    if (!v) return Value(nullptr);
    return remote::detail::export_object(std::const_pointer_cast<std::remove_const_t<T>>(v),
                                         typeid(std::remove_const_t<T>));
  }
  static Result<std::shared_ptr<T>> from_value(const Value& v, ConvertPath& path) {
    if (v.is_null() || v.is_undefined()) return std::shared_ptr<T>();
    auto r = remote::detail::import_object(v, typeid(std::remove_const_t<T>), path);
    if (!r) return Unexpected{r.error()};
    return std::static_pointer_cast<T>(std::move(r).value());
  }
};

template <>
struct Convert<remote::Callback> {
  static Value to_value(const remote::Callback& cb) {
    return cb ? remote::detail::export_callback(cb.state()) : Value(nullptr);
  }
  static Result<remote::Callback> from_value(const Value& v, ConvertPath& path) {
    auto r = remote::detail::import_callback(v, path);
    if (!r) return Unexpected{r.error()};
    return remote::Callback(std::move(r).value());
  }
};

// A page Promise passed to a remote member: settled when the page's promise
// settles (an Error of the page's when it rejects); fails when the page's
// document goes first.
template <>
struct Convert<Future<Value>> {
  static Value to_value(const Future<Value>&) { return Value(); }
  static Result<Future<Value>> from_value(const Value& v, ConvertPath& path) {
    return remote::detail::import_promise(v, path);
  }
};

template <>
struct Convert<remote::FunctionRef> {
  static Value to_value(const remote::FunctionRef& f) {
    return remote::detail::export_function(f.info);
  }
  static Result<remote::FunctionRef> from_value(const Value&, ConvertPath& path) {
    return path.error("a remote function cannot be passed back to main as a parameter");
  }
};

}  // namespace valence
