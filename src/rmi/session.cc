#include "rmi/session.h"

#include <string_view>
#include <type_traits>
#include <utility>

#include "ipc/main/child_host.h"
#include "rmi/registry_impl.h"

namespace valence::remote {
namespace {

using detail::DocumentHandle;
using detail::Export;
using ipc::RemoteOp;

const char* op_name(RemoteOp op) {
  switch (op) {
    case RemoteOp::kRequire: return "require";
    case RemoteOp::kGetBuiltin: return "getBuiltin";
    case RemoteOp::kGetGlobal: return "getGlobal";
    case RemoteOp::kGetCurrentWindow: return "getCurrentWindow";
    case RemoteOp::kGetCurrentWebContents: return "getCurrentWebContents";
    case RemoteOp::kProcess: return "process";
    case RemoteOp::kGet: return "get";
    case RemoteOp::kSet: return "set";
    case RemoteOp::kCall: return "call";
    case RemoteOp::kConstruct: return "construct";
    case RemoteOp::kCallMember: return "callMember";
  }
  return "unknown";
}

template <class... V>
std::vector<Value> values(V&&... v) {
  std::vector<Value> out;
  out.reserve(sizeof...(V));
  (out.push_back(std::forward<V>(v)), ...);
  return out;
}

template <class... V>
Value values_array(V&&... v) {
  return Value::array(values(std::forward<V>(v)...));
}

bool known_op(std::int32_t code) {
  switch (code) {
#define VALENCE_X(name, value) \
  case value: return true;
    VALENCE_REMOTE_OPS(VALENCE_X)
#undef VALENCE_X
  }
  return false;
}

// The object as the class that declares `member` (a base's member gets the
// object as its own class: the pointer may differ under multiple
// inheritance).
template <class Member>
detail::Self as_owner(const ClassInfo& cls, const detail::Self& self, const Member* member) {
  for (const ClassInfo* c = &cls; c; c = c->base()) {
    bool own = false;
    if constexpr (std::is_same_v<Member, ClassInfo::Method>)
      for (const auto& m : c->methods()) own = own || &m == member;
    else
      for (const auto& p : c->properties()) own = own || &p == member;
    if (own) return cls.upcast_to(*c, self);
  }
  return self;
}

Outcome fail(ErrorPrototype proto, const std::string& message) {
  auto e = std::make_shared<Value>(detail::make_error_value(proto, message));
  return Outcome{Unexpected{Error{ErrorCode::kFailed, message, std::move(e)}}, std::nullopt};
}

// The JS Error an error becomes: its own when it carried one (a
// HandlerError), a TypeError for a conversion, else an Error.
Value error_value_of(const Error& error) {
  if (error.remote && error.remote->is_error()) return error.remote->clone();
  ErrorPrototype proto =
      error.code == ErrorCode::kTypeMismatch ? ErrorPrototype::kTypeError : ErrorPrototype::kError;
  if (error.code == ErrorCode::kOverloaded) proto = ErrorPrototype::kRangeError;
  return Value(detail::make_error_value(proto, error.message));
}

// Electron 1.4's text for a failed call, with the underlying error as cause
// (and its class).
Outcome call_failed(std::string_view what, const std::string& name, const Error& error) {
  Value cause = error_value_of(error);
  const ErrorValue& c = cause.get_error();
  std::string underlying = c.message ? c.message->utf8() : "";
  ErrorValue e(c.prototype, String("Could not call remote " + std::string(what) + " '" + name +
                                   "'. Check that the function signature is correct. "
                                   "Underlying error: " +
                                   underlying));
  e.set_cause(std::move(cause));
  auto v = std::make_shared<Value>(std::move(e));
  return Outcome{Unexpected{Error{error.code, error.message, std::move(v)}}, std::nullopt};
}

}  // namespace

Session::Session(Registry::Impl& registry, ipc::ChildHost& host)
    : registry_(registry), host_(&host), main_(host.main()), contents_(host.contents()) {}

void Session::detach_host() {
  host_ = nullptr;
  close_current();
}

Session::~Session() {
  *alive_ = false;
  close_current();
}

const Quotas& Session::quotas() const noexcept {
  return registry_.quotas;
}

void Session::close_current() {
  if (!current_) return;
  auto doc = std::move(current_);
  current_.reset();
  doc->close();
}

void Session::add_stats(Stats& stats) const {
  stats.operations += operations_;
  stats.messages += messages_;
  if (!current_ || !current_->alive()) return;
  const auto& d = *current_;
  if (!d.exports.empty() || !d.imports.empty() || !d.promises.empty()) ++stats.documents;
  stats.exports += d.exports.size();
  for (const auto& [id, e] : d.exports) stats.references += e.count;
  stats.imports += d.imports.size();
  stats.promises += d.promises.size();
}

Result<void> Session::on_message(ipc::RawMessage& m) {
  switch (m.kind) {
    case ipc::MessageKind::kRemoteContext: return on_context(m);
    case ipc::MessageKind::kRemoteSync: return on_sync(m);
    case ipc::MessageKind::kRemoteAsync: return on_async(m);
    case ipc::MessageKind::kRemoteRelease: return on_release(m);
    case ipc::MessageKind::kRemoteSettle: return on_settle(m);
    default:
      return make_error(
          ErrorCode::kBadMessage,
          std::string("unexpected ") + ipc::message_kind_name(m.kind) + " from a page");
  }
}

namespace {
Result<Value> decode_plain(const ipc::RawMessage& m) {
  codec::DecodeOptions options;
  options.form = codec::Form::kValence;
  auto body = codec::decode(m.body(), options);
  if (!body)
    return make_error(ErrorCode::kBadMessage,
                      std::string(ipc::message_kind_name(m.kind)) + ": " + body.error().message);
  return body;
}

// A non-negative integer element of a plain array body.
bool count_at(const Array& a, std::uint32_t i, std::uint64_t& out) {
  const Value* v = a.get(i);
  auto d = v ? v->get_if_number() : std::nullopt;
  if (!d || !(*d >= 0) || *d > 9007199254740991.0 ||
      static_cast<double>(static_cast<std::uint64_t>(*d)) != *d)
    return false;
  out = static_cast<std::uint64_t>(*d);
  return true;
}
}  // namespace

Result<void> Session::on_context(const ipc::RawMessage& m) {
  auto body = decode_plain(m);
  if (!body) return Unexpected{body.error()};
  const Array* a = body->get_if_array();
  std::uint64_t what = 0, gen = 0;
  if (!a || a->length() != 2 || !count_at(*a, 0, what) || !count_at(*a, 1, gen) || gen == 0 ||
      gen > 0xffffffffu)
    return make_error(ErrorCode::kBadMessage, "RemoteContext: malformed");
  if (what == static_cast<std::uint64_t>(ipc::kRemoteContextOpen)) {
    if (gen <= last_ctx_)
      return make_error(ErrorCode::kBadMessage, "RemoteContext: document " + std::to_string(gen) +
                                                    " opened after " + std::to_string(last_ctx_));
    close_current();
    last_ctx_ = static_cast<unsigned>(gen);
    current_ = std::make_shared<DocumentHandle>();
    current_->session = this;
    current_->ctx = last_ctx_;
    current_->ctx_text = std::to_string(last_ctx_);
    current_->contents_id = contents_ ? contents_->id() : 0;
    return {};
  }
  if (what == static_cast<std::uint64_t>(ipc::kRemoteContextClose)) {
    // A close of a document that is not the current one changes nothing.
    if (current_ && current_->ctx == gen) close_current();
    return {};
  }
  return make_error(ErrorCode::kBadMessage,
                    "RemoteContext: unknown marker " + std::to_string(what));
}

Result<void> Session::on_release(const ipc::RawMessage& m) {
  if (!current_)
    return make_error(ErrorCode::kBadMessage, "RemoteRelease before a document opened");
  auto body = decode_plain(m);
  if (!body) return Unexpected{body.error()};
  const Array* a = body->get_if_array();
  if (!a || a->length() % 2 != 0 || a->length() / 2 > ipc::kMaxRemoteReleasePairs)
    return make_error(ErrorCode::kBadMessage, "RemoteRelease: not a list of (id, count) pairs");
  auto& doc = *current_;
  for (std::uint32_t i = 0; i < a->length(); i += 2) {
    std::uint64_t id = 0, n = 0;
    if (!count_at(*a, i, id) || !count_at(*a, i + 1, n) || n == 0)
      return make_error(ErrorCode::kBadMessage, "RemoteRelease: a bad id or count");
    auto it = doc.exports.find(id);
    if (it == doc.exports.end())
      return make_error(ErrorCode::kBadMessage, "RemoteRelease of remote object " +
                                                    std::to_string(id) +
                                                    ", which this document does not hold");
    if (n > it->second.count)
      return make_error(ErrorCode::kBadMessage,
                        "RemoteRelease of " + std::to_string(n) + " references to remote object " +
                            std::to_string(id) + ", which has " + std::to_string(it->second.count));
    it->second.count -= n;
    if (it->second.count == 0) {
      // The object's destructor may run here, and may drop Callbacks.
      Export dropped = std::move(it->second);
      if (dropped.function)
        doc.function_ids.erase(dropped.cls);
      else
        doc.ids.erase(dropped.weak);
      doc.exports.erase(it);
    }
  }
  return {};
}

// One op of a body: [code, target, name, args]. In a batch (RemoteAsync)
// the target may also be {answer: i}, the result of an earlier op i.
Result<Session::ParsedOp> Session::parse_op(Value& op_value, std::size_t index, bool batch) {
  auto bad = [&](const std::string& what) {
    return make_error(
        ErrorCode::kBadMessage,
        std::string(batch ? "RemoteAsync op " + std::to_string(index) : "RemoteSync") + ": " +
            what);
  };
  auto parts = ipc::take_args(op_value, decoded_has_refs_);
  if (!parts || parts->size() != 4 || !(*parts)[0].is_number() ||
      !((*parts)[2].is_string() || (*parts)[2].is_undefined()) || !(*parts)[3].is_array())
    return bad("not [op, target, name, args]");
  auto code = (*parts)[0].get_if_int32();
  if (!code || !known_op(*code)) return bad("unknown operation");
  ParsedOp op;
  op.op = static_cast<RemoteOp>(*code);
  auto args = ipc::take_args((*parts)[3], decoded_has_refs_);
  if (!args) return bad(args.error().message);
  op.args = std::move(args).value();
  if (op.op >= RemoteOp::kGet) {
    // A target is a reference to one of main's objects (the decoder checked
    // the id); anything else there is not what a page's runtime sends.
    Value& target = (*parts)[1];
    const HostObject* ref = target.get_if_host_object();
    if (ref && (ref->kind == detail::kObjectRef || ref->kind == detail::kFunctionRef)) {
      op.target = std::move(target);
    } else if (const Object* o = batch ? target.get_if_object() : nullptr) {
      const Value* answer = o->find("answer");
      auto i = answer ? answer->get_if_int32() : std::nullopt;
      if (o->size() != 1 || !i || *i < 0 || static_cast<std::size_t>(*i) >= index)
        return bad("the target is not a remote object or an earlier op's answer");
      op.answer = *i;
    } else {
      return bad("the target is not a remote object");
    }
  }
  op.name = (*parts)[2].is_string() ? (*parts)[2].get_string() : std::string();
  return op;
}

Result<Value> Session::decode_ops(detail::DocumentHandle& doc, const ipc::RawMessage& m) {
  codec::DecodeOptions options;
  options.form = codec::Form::kValence;
  detail::RefCodec refs(doc, registry_.quotas);
  options.delegate = &refs;
  // Bodies without shared references (the usual) are split without copies.
  options.produced_refs = &decoded_has_refs_;
  auto decoded = codec::decode(m.body(), options);
  if (!decoded)
    return make_error(ErrorCode::kBadMessage,
                      std::string(ipc::message_kind_name(m.kind)) + ": " + decoded.error().message);
  return decoded;
}

Session::OpResult Session::run_parsed(DocumentHandle& doc, ParsedOp& op) {
  if (!registry_.enabled(doc.contents_id))
    return {fail(ErrorPrototype::kError, "remote is disabled for this WebContents"),
            "ERR_REMOTE_DISABLED"};
  return run_op(doc, op.op, op.target, op.name, op.args);
}

// A page promise main waits for settled: [promiseId, state, value].
Result<void> Session::on_settle(ipc::RawMessage& m) {
  if (!current_) return make_error(ErrorCode::kBadMessage, "RemoteSettle before a document opened");
  auto doc = current_;
  detail::DocumentScope scope(doc);
  auto decoded = decode_ops(*doc, m);
  auto clear = [&] {
    doc->op_callbacks.clear();
    doc->op_futures.clear();
  };
  if (!decoded) {
    clear();
    return Unexpected{decoded.error()};
  }
  const Array* a = decoded->get_if_array();
  std::uint64_t id = 0, state = 0;
  if (!a || a->length() != 3 || !count_at(*a, 0, id) || !count_at(*a, 1, state) || state > 1) {
    clear();
    return make_error(ErrorCode::kBadMessage, "RemoteSettle: not [promiseId, state, value]");
  }
  auto it = doc->page_promises.find(id);
  if (it == doc->page_promises.end()) {
    clear();
    return make_error(ErrorCode::kBadMessage, "RemoteSettle of page promise " + std::to_string(id) +
                                                  ", which main does not wait for");
  }
  auto promise = std::move(it->second);
  doc->page_promises.erase(it);
  auto parts = ipc::take_args(*decoded, decoded_has_refs_);
  Value value = parts && parts->size() == 3 ? std::move((*parts)[2]) : Value();
  if (state == 0) {
    promise->set(std::move(value));
  } else {
    std::string text = "the page's promise was rejected";
    if (const ErrorValue* e = value.is_error() ? &value.get_error() : nullptr; e && e->message)
      text = e->message->utf8();
    promise->set(Unexpected{
        Error{ErrorCode::kHandlerRejected, text, std::make_shared<Value>(std::move(value))}});
  }
  clear();
  return {};
}

Result<void> Session::on_sync(ipc::RawMessage& m) {
  if (!current_) return make_error(ErrorCode::kBadMessage, "RemoteSync before a document opened");
  auto doc = current_;  // an operation may close the document (a reload it starts)
  detail::DocumentScope scope(doc);
  auto decoded = decode_ops(*doc, m);
  if (!decoded) {
    doc->op_callbacks.clear();
    return Unexpected{decoded.error()};
  }
  auto op = parse_op(*decoded, 0, false);
  if (!op) {
    doc->op_callbacks.clear();
    return Unexpected{op.error()};
  }
  ++messages_;
  ++operations_;
  OpResult result = run_parsed(*doc, *op);
  op->args.clear();
  if (doc->alive()) reply(*doc, m.request_id, std::move(result));
  doc->op_callbacks.clear();
  doc->op_futures.clear();
  return {};
}

Result<void> Session::on_async(ipc::RawMessage& m) {
  if (!current_) return make_error(ErrorCode::kBadMessage, "RemoteAsync before a document opened");
  auto doc = current_;
  detail::DocumentScope scope(doc);
  auto decoded = decode_ops(*doc, m);
  if (!decoded) {
    doc->op_callbacks.clear();
    return Unexpected{decoded.error()};
  }
  auto list = ipc::take_args(*decoded, decoded_has_refs_);
  if (!list || list->empty() || list->size() > kMaxBatch) {
    doc->op_callbacks.clear();
    return make_error(ErrorCode::kBadMessage,
                      "RemoteAsync: not a list of 1 to " + std::to_string(kMaxBatch) + " ops");
  }
  std::vector<ParsedOp> ops;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto op = parse_op((*list)[i], i, true);
    if (!op) {
      doc->op_callbacks.clear();
      return Unexpected{op.error()};
    }
    ops.push_back(std::move(op).value());
  }
  // In order; an op on an earlier op's answer runs on what that op gave
  // (Cap'n Proto's promise pipelining, within one batch).
  ++messages_;
  operations_ += ops.size();
  std::vector<OpResult> results;
  for (auto& op : ops) {
    if (!doc->alive()) break;
    if (op.answer >= 0) {
      const OpResult& earlier = results[static_cast<std::size_t>(op.answer)];
      const HostObject* ref =
          earlier.outcome.now ? earlier.outcome.now->get_if_host_object() : nullptr;
      if (!earlier.outcome.now) {
        results.push_back(
            {Outcome{Unexpected{earlier.outcome.now.error()}, std::nullopt}, earlier.code});
        continue;
      }
      if (!ref || earlier.outcome.later ||
          (ref->kind != detail::kObjectRef && ref->kind != detail::kFunctionRef)) {
        results.push_back(
            {fail(ErrorPrototype::kTypeError,
                  "op " + std::to_string(op.answer) + " did not give a remote object to call on"),
             {}});
        continue;
      }
      op.target = Value(HostObject{ref->kind, ref->handle});
    }
    results.push_back(run_parsed(*doc, op));
  }
  if (doc->alive()) reply_batch(*doc, m.request_id, std::move(results));
  doc->op_callbacks.clear();
  doc->op_futures.clear();
  return {};
}

Session::OpResult Session::run_op(DocumentHandle& doc, RemoteOp op, const Value& target,
                                  const std::string& name, const std::vector<Value>& args) {
  if (op <= RemoteOp::kProcess) return run_root(doc, op, name);
  const HostObject* ref = target.get_if_host_object();
  if (!ref)
    return {fail(ErrorPrototype::kTypeError, "a remote operation without a remote object"), {}};
  auto it = doc.exports.find(ref->handle);
  if (it == doc.exports.end())  // the decoder checked; a member call may have released it since
    return {fail(ErrorPrototype::kError, "remote object has been released"), {}};
  Export& e = it->second;
  if (registry_.call_filter) {
    OpInfo info{contents_, op_name(op), e.cls->name(), name};
    if (Decision d = registry_.filter_op(info); !d.allowed)
      return {fail(ErrorPrototype::kError, "Blocked remote " + std::string(op_name(op)) + " of '" +
                                               e.cls->name() + (name.empty() ? "" : "." + name) +
                                               "': " + d.reason),
              "ERR_REMOTE_BLOCKED"};
  }
  if (e.function) return run_on_function(doc, op, e, name, args);
  return run_on_object(doc, op, e, name, args);
}

Session::OpResult Session::run_root(DocumentHandle& doc, RemoteOp op, const std::string& name) {
  (void)doc;
  auto& r = registry_;
  RootEvent event;
  event.sender = contents_;
  event.name = name;
  auto blocked = [&](const std::string& what) -> OpResult {
    return {fail(ErrorPrototype::kError, "Blocked " + what), "ERR_REMOTE_BLOCKED"};
  };
  if (r.call_filter) {
    OpInfo info{contents_, op_name(op), "", name};
    if (Decision d = r.filter_op(info); !d.allowed)
      return {fail(ErrorPrototype::kError,
                   "Blocked remote." + std::string(op_name(op)) + "('" + name + "'): " + d.reason),
              "ERR_REMOTE_BLOCKED"};
  }
  switch (op) {
    case RemoteOp::kRequire: {
      if (!r.filter_root(r.on_require, event)) return blocked("remote.require('" + name + "')");
      if (event.has_return_value) return {Outcome{std::move(event.return_value), std::nullopt}, {}};
      auto it = r.modules.find(name);
      if (it == r.modules.end())
        return {fail(ErrorPrototype::kError, "Cannot find module '" + name + "'"),
                "MODULE_NOT_FOUND"};
      return {Outcome{detail::export_object(it->second.self, typeid(Registry::Impl::ModuleObject)),
                      std::nullopt},
              {}};
    }
    case RemoteOp::kGetBuiltin: {
      if (!r.filter_root(r.on_get_builtin, event))
        return blocked("remote.getBuiltin('" + name + "')");
      if (event.has_return_value) return {Outcome{std::move(event.return_value), std::nullopt}, {}};
      auto it = r.builtins.find(name);
      if (it == r.builtins.end()) return {Outcome{}, {}};  // undefined, as an absent getter
      if (it->second.constructor)
        return {Outcome{detail::export_function(std::shared_ptr<const ClassInfo>(
                            std::shared_ptr<void>(), it->second.constructor)),
                        std::nullopt},
                {}};
      return {Outcome{detail::export_object(it->second.object, it->second.type), std::nullopt}, {}};
    }
    case RemoteOp::kGetGlobal: {
      if (!r.filter_root(r.on_get_global, event))
        return blocked("remote.getGlobal('" + name + "')");
      if (event.has_return_value) return {Outcome{std::move(event.return_value), std::nullopt}, {}};
      auto it = r.globals.find(name);
      if (it == r.globals.end()) return {Outcome{}, {}};
      if (it->second.shared)
        return {
            Outcome{detail::export_object(it->second.shared, typeid(SharedObject)), std::nullopt},
            {}};
      return {Outcome{it->second.copy.clone(), std::nullopt}, {}};
    }
    case RemoteOp::kGetCurrentWindow:
      if (!r.filter_root(r.on_get_current_window, event))
        return blocked("remote.getCurrentWindow()");
      if (event.has_return_value) return {Outcome{std::move(event.return_value), std::nullopt}, {}};
      if (!r.current_window) return {Outcome{Value(nullptr), std::nullopt}, {}};
      return {Outcome{r.current_window(contents_), std::nullopt}, {}};
    case RemoteOp::kGetCurrentWebContents:
      if (!r.filter_root(r.on_get_current_web_contents, event))
        return blocked("remote.getCurrentWebContents()");
      if (event.has_return_value) return {Outcome{std::move(event.return_value), std::nullopt}, {}};
      if (!r.current_web_contents) return {Outcome{Value(nullptr), std::nullopt}, {}};
      return {Outcome{r.current_web_contents(contents_), std::nullopt}, {}};
    case RemoteOp::kProcess: {
      auto it = r.globals.find("process");
      if (it != r.globals.end() && !it->second.shared)
        return {Outcome{it->second.copy.clone(), std::nullopt}, {}};
      return {Outcome{Value(nullptr), std::nullopt}, {}};
    }
    default: break;
  }
  return {fail(ErrorPrototype::kError, "unknown remote operation"), {}};
}

Session::OpResult Session::run_on_object(DocumentHandle& doc, RemoteOp op, Export& e,
                                         const std::string& name, const std::vector<Value>& args) {
  detail::Self self = e.strong ? e.strong : e.weak.lock();
  if (!self) return {fail(ErrorPrototype::kTypeError, "Object has been destroyed"), {}};
  const ClassInfo& cls = *e.cls;
  CallContext ctx{contents_, doc.ctx};
  auto no_member = [&]() -> OpResult {
    return {fail(ErrorPrototype::kTypeError,
                 "remote object of class '" + cls.name() + "' has no member '" + name + "'"),
            {}};
  };
  if (cls.dynamic()) {
    auto* shared = static_cast<SharedObject*>(self.get());
    if (op == RemoteOp::kGet) return {Outcome{shared->get(name), std::nullopt}, {}};
    if (op == RemoteOp::kSet) {
      shared->set(name, args.empty() ? Value() : args[0].clone());
      return {Outcome{}, {}};
    }
    return no_member();
  }
  switch (op) {
    case RemoteOp::kGet: {
      const ClassInfo::Property* p = cls.find_property(name);
      if (!p) return no_member();
      auto v = p->get(as_owner(cls, self, p), ctx);
      if (!v) return {Outcome{Unexpected{v.error()}, std::nullopt}, {}};
      return {Outcome{std::move(v).value(), std::nullopt}, {}};
    }
    case RemoteOp::kSet: {
      const ClassInfo::Property* p = cls.find_property(name);
      if (!p) return no_member();
      if (!p->set)
        return {fail(ErrorPrototype::kTypeError, "Cannot assign to read only property '" + name +
                                                     "' of remote object of class '" + cls.name() +
                                                     "'"),
                {}};
      static const Value kUndefined;
      auto r = p->set(as_owner(cls, self, p), ctx, args.empty() ? kUndefined : args[0]);
      if (!r) return {Outcome{Unexpected{r.error()}, std::nullopt}, {}};
      return {Outcome{}, {}};
    }
    case RemoteOp::kCallMember: {
      if (const ClassInfo::Method* m = cls.find_method(name)) {
        Outcome out = m->call(as_owner(cls, self, m), ctx, args);
        if (!out.now) return {call_failed("function", name, out.now.error()), {}};
        return {std::move(out), {}};
      }
      if (Events* events = cls.events_of(self))
        if (auto r = events_op(doc, *events, name, args)) return std::move(*r);
      return no_member();
    }
    case RemoteOp::kCall:
    case RemoteOp::kConstruct:
      return {fail(ErrorPrototype::kTypeError,
                   "remote object of class '" + cls.name() + "' is not a function"),
              {}};
    default: break;
  }
  return no_member();
}

Session::OpResult Session::run_on_function(DocumentHandle& doc, RemoteOp op, Export& e,
                                           const std::string& name,
                                           const std::vector<Value>& args) {
  const ClassInfo& cls = *e.cls;
  CallContext ctx{contents_, doc.ctx};
  switch (op) {
    case RemoteOp::kCall: {
      if (!cls.is_function())
        return {fail(ErrorPrototype::kTypeError,
                     "Class constructor " + cls.name() + " cannot be invoked without 'new'"),
                {}};
      Outcome out = cls.call_function(ctx, args);
      if (!out.now) return {call_failed("function", cls.name(), out.now.error()), {}};
      return {std::move(out), {}};
    }
    case RemoteOp::kConstruct: {
      if (!cls.constructible())
        return {fail(ErrorPrototype::kTypeError, cls.name() + " is not a constructor"), {}};
      auto made = cls.construct(ctx, args);
      if (!made) return {call_failed("constructor", cls.name(), made.error()), {}};
      return {Outcome{detail::export_object(std::move(made).value(), cls.type()), std::nullopt},
              {}};
    }
    case RemoteOp::kCallMember: {
      const ClassInfo::Static* s = cls.find_static(name);
      if (!s)
        return {fail(ErrorPrototype::kTypeError,
                     "remote class '" + cls.name() + "' has no static member '" + name + "'"),
                {}};
      Outcome out = s->call(ctx, args);
      if (!out.now) return {call_failed("function", name, out.now.error()), {}};
      return {std::move(out), {}};
    }
    default:
      return {fail(ErrorPrototype::kTypeError,
                   "remote function '" + cls.name() + "' has no member '" + name + "'"),
              {}};
  }
}

std::optional<Session::OpResult> Session::events_op(DocumentHandle& doc, Events& events,
                                                    const std::string& name,
                                                    const std::vector<Value>& args) {
  auto event_name = [&]() -> Result<std::string> {
    return valence::from_value<std::string>(valence::detail::arg_or_undefined(args, 0), "args[0]");
  };
  auto listener = [&]() -> Result<Callback> {
    return valence::from_value<Callback>(valence::detail::arg_or_undefined(args, 1), "args[1]");
  };
  auto bad = [&](const Error& error) -> OpResult {
    return {call_failed("function", name, error), {}};
  };
  if (name == "on" || name == "addListener" || name == "once") {
    auto n = event_name();
    if (!n) return bad(n.error());
    auto cb = listener();
    if (!cb) return bad(cb.error());
    events.add(std::move(n).value(), std::move(cb).value(), name == "once");
    return OpResult{Outcome{}, {}};
  }
  if (name == "off" || name == "removeListener") {
    auto n = event_name();
    if (!n) return bad(n.error());
    auto cb = listener();
    if (!cb) return bad(cb.error());
    events.remove(*n, *cb);
    return OpResult{Outcome{}, {}};
  }
  if (name == "removeAllListeners") {
    std::string n;
    if (!args.empty() && !args[0].is_undefined()) {
      auto r = event_name();
      if (!r) return bad(r.error());
      n = std::move(r).value();
    }
    events.remove_all(n, doc.contents_id, doc.ctx);
    return OpResult{Outcome{}, {}};
  }
  if (name == "listenerCount") {
    auto n = event_name();
    if (!n) return bad(n.error());
    return OpResult{Outcome{Value(static_cast<double>(events.listener_count(*n))), std::nullopt},
                    {}};
  }
  return std::nullopt;  // not an events method
}

// ---- what main sends ----------------------------------------------------------

void Session::send(DocumentHandle& doc, ipc::MessageKind kind, std::uint64_t request_id,
                   ipc::ReplyStatus status, std::vector<Value> body) {
  std::vector<std::uint8_t> out;
  ipc::write_header(out, request_id, doc.ctx_text, status);
  std::size_t header = out.size();
  codec::EncodeOptions options;
  options.form = codec::Form::kValence;
  detail::RefCodec refs(doc, registry_.quotas);
  options.delegate = &refs;
  options.root_name = "result";
  Value value = Value::array(std::move(body));
  auto encoded = codec::encode_into(value, out, options, header);
  if (!encoded) {
    refs.undo();
    doc.sweep_fresh();
    std::string why = encoded.error().message;
    if (kind == ipc::MessageKind::kRemoteCall || kind == ipc::MessageKind::kRemoteRelease) {
      main_.ipc_main().report_error("remote: a callback's arguments could not be sent: " + why);
      return;
    }
    // The page still gets an answer, saying why.
    out.resize(0);
    ipc::write_header(out, request_id, doc.ctx_text, ipc::ReplyStatus::kError);
    Value error(
        detail::make_error_value(ErrorPrototype::kError, "the result could not be sent: " + why));
    Value fallback = kind == ipc::MessageKind::kRemoteSettle
                         ? Value::array({value.get_array().get(0)->clone(), std::move(error)})
                         : Value::array({std::move(error)});
    codec::EncodeOptions plain;
    plain.form = codec::Form::kValence;
    if (!codec::encode_into(fallback, out, plain, out.size())) return;
  }
  doc.sweep_fresh();
  if (host_) (void)host_->send_raw(kind, transport::Buffer::adopt(std::move(out)));
}

void Session::reply(DocumentHandle& doc, std::uint64_t request_id, OpResult result) {
  if (std::exchange(doc.quota_hit, false)) {
    doc.sweep_fresh();
    result.outcome = fail(ErrorPrototype::kRangeError,
                          "too many remote objects for this document (limit " +
                              std::to_string(registry_.quotas.max_exports) + " objects, " +
                              std::to_string(registry_.quotas.max_imports) + " page functions)");
    result.code = "ERR_REMOTE_QUOTA";
  }
  Outcome& out = result.outcome;
  if (out.later) {
    std::uint64_t id = doc.next_promise++;
    doc.promises.insert(id);
    send(doc, ipc::MessageKind::kRemoteReply, request_id, ipc::ReplyStatus::kOk,
         values(Value(HostObject{detail::kPromiseRef, id})));
    settle_later(doc, id, std::move(*out.later));
    return;
  }
  if (out.now) {
    send(doc, ipc::MessageKind::kRemoteReply, request_id, ipc::ReplyStatus::kOk,
         values(std::move(out.now).value()));
    return;
  }
  Value code = result.code.empty() ? Value() : Value(result.code);
  send(doc, ipc::MessageKind::kRemoteReply, request_id, ipc::ReplyStatus::kError,
       values(error_value_of(out.now.error()), std::move(code)));
}

void Session::reply_batch(DocumentHandle& doc, std::uint64_t request_id,
                          std::vector<OpResult> results) {
  bool quota = std::exchange(doc.quota_hit, false);
  std::vector<Value> items;
  for (auto& result : results) {
    Outcome& out = result.outcome;
    if (quota) {
      out = fail(ErrorPrototype::kRangeError, "too many remote objects for this document");
      result.code = "ERR_REMOTE_QUOTA";
    }
    if (out.later) {
      std::uint64_t id = doc.next_promise++;
      doc.promises.insert(id);
      settle_later(doc, id, std::move(*out.later));
      items.push_back(values_array(Value(0), Value(HostObject{detail::kPromiseRef, id})));
    } else if (out.now) {
      items.push_back(values_array(Value(0), std::move(out.now).value()));
    } else {
      items.push_back(values_array(Value(1), error_value_of(out.now.error()),
                                   result.code.empty() ? Value() : Value(result.code)));
    }
  }
  if (quota) doc.sweep_fresh();
  send(doc, ipc::MessageKind::kRemoteReply, request_id, ipc::ReplyStatus::kOk,
       values(Value::array(std::move(items))));
}

void Session::settle_later(DocumentHandle& doc, std::uint64_t id, Future<Value> later) {
  std::weak_ptr<DocumentHandle> weak = doc.shared_from_this();
  later.then([weak, id](Result<Value> r) {
    auto d = weak.lock();
    // A document that ended gets nothing, and no reference is counted.
    if (!d || !d->alive() || !d->promises.erase(id)) return;
    detail::DocumentScope scope(d);
    if (r)
      d->session->send(*d, ipc::MessageKind::kRemoteSettle, 0, ipc::ReplyStatus::kOk,
                       values(Value(static_cast<double>(id)), std::move(r).value()));
    else
      d->session->send(*d, ipc::MessageKind::kRemoteSettle, 0, ipc::ReplyStatus::kError,
                       values(Value(static_cast<double>(id)), error_value_of(r.error())));
  });
}

bool Session::call(DocumentHandle& doc, detail::CallbackState& fn, std::vector<Value> args) {
  detail::DocumentScope scope(doc.shared_from_this());
  send(doc, ipc::MessageKind::kRemoteCall, 0, ipc::ReplyStatus::kOk,
       values(Value(static_cast<double>(fn.id)), Value::array(std::move(args))));
  return true;
}

void Session::release_import(DocumentHandle& doc, std::uint64_t id) {
  auto it = doc.imports.find(id);
  if (it == doc.imports.end()) return;
  // A newer Callback of the same function (sent again since) keeps it.
  if (!it->second.state.expired()) return;
  doc.release_queue.push_back(id);
  doc.release_queue.push_back(it->second.count);
  doc.imports.erase(it);
  if (doc.release_queue.size() == 2) {
    std::weak_ptr<DocumentHandle> weak = doc.shared_from_this();
    std::weak_ptr<bool> alive = alive_;
    main_.loop().post([this, weak, alive] {
      if (alive.lock()) flush_releases(weak);
    });
  }
}

void Session::flush_releases(std::weak_ptr<DocumentHandle> weak) {
  auto doc = weak.lock();
  if (!doc || !doc->alive() || doc->release_queue.empty()) return;
  std::vector<Value> pairs;
  for (std::uint64_t n : doc->release_queue) pairs.emplace_back(static_cast<double>(n));
  doc->release_queue.clear();
  send(*doc, ipc::MessageKind::kRemoteRelease, 0, ipc::ReplyStatus::kOk, std::move(pairs));
}

}  // namespace valence::remote
