#include "rmi/document.h"

#include "ipc/common/protocol.h"
#include "rmi/registry_impl.h"

namespace valence::remote::detail {

ErrorValue make_error_value(ErrorPrototype proto, const std::string& message) {
  return ErrorValue(proto, String(message));
}

CallbackState::~CallbackState() {
  if (id == 0) return;
  if (auto doc = document.lock(); doc && doc->alive()) doc->session->release_import(*doc, id);
}

void CallbackState::release() {
  if (released) return;
  released = true;
  auto hooks = std::move(on_released);
  for (auto& hook : hooks) hook();
}

Result<std::uint64_t> DocumentHandle::export_object(Self object, const ClassInfo& cls) {
  if (auto it = ids.find(object); it != ids.end()) {
    auto e = exports.find(it->second);
    // A weak export whose object died and whose address came back is a new
    // object: owner_less compares control blocks, so it cannot match here.
    if (e != exports.end()) return it->second;
    ids.erase(it);
  }
  if (exports.size() >= session->quotas().max_exports)
    return make_error(ErrorCode::kOverloaded, "too many remote objects for this document (limit " +
                                                  std::to_string(session->quotas().max_exports) +
                                                  ")");
  std::uint64_t id = next_export++;
  Export e;
  e.cls = &cls;
  e.weak = object;
  if (!cls.held_weakly()) e.strong = object;
  ids.emplace(std::weak_ptr<void>(object), id);
  exports.emplace(id, std::move(e));
  fresh.push_back(id);
  return id;
}

std::uint64_t DocumentHandle::export_function(const ClassInfo& cls,
                                              std::shared_ptr<const ClassInfo> keep) {
  if (auto it = function_ids.find(&cls); it != function_ids.end()) return it->second;
  std::uint64_t id = next_export++;
  Export e;
  e.cls = &cls;
  e.function = true;
  e.keep = std::move(keep);
  exports.emplace(id, std::move(e));
  function_ids.emplace(&cls, id);
  fresh.push_back(id);
  return id;
}

void DocumentHandle::sweep_fresh() {
  for (std::uint64_t id : fresh) {
    auto it = exports.find(id);
    if (it == exports.end() || it->second.count > 0) continue;
    if (it->second.function)
      function_ids.erase(it->second.cls);
    else
      ids.erase(it->second.weak);
    exports.erase(it);
  }
  fresh.clear();
}

void DocumentHandle::close() {
  if (!session) return;
  session = nullptr;
  // Objects first: a destructor may drop Callbacks of this document.
  auto dropped = std::move(exports);
  exports.clear();
  ids.clear();
  function_ids.clear();
  fresh.clear();
  promises.clear();
  release_queue.clear();
  op_callbacks.clear();
  op_futures.clear();
  auto waiting = std::move(page_promises);
  page_promises.clear();
  for (auto& [id, p] : waiting)
    p->set(
        make_error(ErrorCode::kDisconnected, "the page's document that gave this promise is gone"));
  std::vector<std::shared_ptr<CallbackState>> states;
  for (auto& [id, import] : imports)
    if (auto s = import.state.lock()) states.push_back(std::move(s));
  imports.clear();
  dropped.clear();
  for (auto& s : states) s->release();
}

Value describe_class(const ClassInfo& cls, const SharedObject* shared) {
  std::vector<Value> props, methods, statics;
  if (shared) {
    for (const auto& key : shared->keys()) props.push_back(Value::array({Value(key), Value(3)}));
  } else {
    for (const auto& p : cls.properties())
      props.push_back(
          Value::array({Value(p.name), Value((p.set ? 1 : 0) | (p.enumerable ? 2 : 0))}));
  }
  for (const auto& m : cls.methods())
    methods.push_back(Value::array({Value(m.name), Value(m.length)}));
  for (const auto& m : cls.statics())
    statics.push_back(Value::array({Value(m.name), Value(m.length)}));
  Value d = Value::object({});
  Object& o = d.get_object();
  o.set("id", Value(static_cast<double>(cls.id())));
  o.set("name", Value(cls.name()));
  o.set("base", Value(static_cast<double>(cls.base() ? cls.base()->id() : 0)));
  o.set("ctor", cls.constructible() ? Value(cls.constructor_length()) : Value(nullptr));
  o.set("fn", cls.is_function() ? Value(cls.constructor_length()) : Value(nullptr));
  o.set("props", Value::array(std::move(props)));
  o.set("methods", Value::array(std::move(methods)));
  o.set("statics", Value::array(std::move(statics)));
  o.set("events", Value(cls.has_events()));
  return d;
}

// ---- references on the wire ---------------------------------------------------

Result<void> RefCodec::write_host_object(const HostObject& object, std::vector<std::uint8_t>& out) {
  auto kind = [&](ipc::RemoteRef k) { out.push_back(static_cast<std::uint8_t>(k)); };
  if (object.kind == kObjectRef || object.kind == kFunctionRef) {
    auto it = doc_.exports.find(object.handle);
    if (it == doc_.exports.end())
      return make_error(ErrorCode::kCloneError, "a remote reference of another document");
    const Export& e = it->second;
    kind(e.function ? ipc::RemoteRef::kFunction : ipc::RemoteRef::kObject);
    codec::write_varint(out, object.handle);
    codec::write_varint(out, e.cls->id());
    const SharedObject* shared = nullptr;
    Self self;
    if (e.cls->dynamic()) {
      self = e.strong;
      shared = static_cast<const SharedObject*>(self.get());
    }
    if (auto r = write_descriptors(*e.cls, shared, out); !r) return r;
    ++it->second.count;
    counted_.push_back(object.handle);
    return {};
  }
  if (object.kind == kPromiseRef) {
    kind(ipc::RemoteRef::kPromise);
    codec::write_varint(out, object.handle);
    return {};
  }
  if (object.kind == kPageFunctionRef) {
    // The page's own function, back: not counted (it is the page's export).
    if (object.handle == 0 || !doc_.imports.count(object.handle))
      return make_error(ErrorCode::kCloneError, "a page function of another document");
    kind(ipc::RemoteRef::kPageFunction);
    codec::write_varint(out, object.handle);
    return {};
  }
  if (object.kind == kUnexported)
    return make_error(ErrorCode::kCloneError,
                      "a remote object can be sent only as the result or argument of a remote "
                      "call (it was converted outside one)");
  return make_error(ErrorCode::kCloneError, "host object '" + object.kind + "' cannot be sent");
}

Result<void> RefCodec::write_descriptors(const ClassInfo& cls, const SharedObject* shared,
                                         std::vector<std::uint8_t>& out) {
  std::vector<const ClassInfo*> chain;  // bases first
  for (const ClassInfo* c = &cls; c; c = c->base())
    if (!doc_.classes_sent.count(c->id())) chain.insert(chain.begin(), c);
  if (chain.empty()) {
    codec::write_varint(out, 0);
    return {};
  }
  std::vector<Value> descriptors;
  for (const ClassInfo* c : chain) {
    descriptors.push_back(describe_class(*c, c == &cls ? shared : nullptr));
    doc_.classes_sent.insert(c->id());
    described_.push_back(c->id());
  }
  codec::EncodeOptions options;
  options.form = codec::Form::kValence;
  auto bytes = codec::encode(Value::array(std::move(descriptors)), options);
  if (!bytes) return Unexpected{bytes.error()};
  codec::write_varint(out, bytes->size());
  out.insert(out.end(), bytes->begin(), bytes->end());
  return {};
}

void RefCodec::undo() {
  for (std::uint32_t id : described_) doc_.classes_sent.erase(id);
  described_.clear();
  for (std::uint64_t id : counted_)
    if (auto it = doc_.exports.find(id); it != doc_.exports.end() && it->second.count > 0)
      --it->second.count;
  counted_.clear();
}

Result<Value> RefCodec::read_host_object(codec::ByteReader& reader) {
  std::uint8_t kind = 0;
  std::uint64_t id = 0;
  if (!reader.read_byte(kind) || !reader.read_varint64(id))
    return make_error(ErrorCode::kBadMessage, "a truncated remote reference");
  switch (static_cast<ipc::RemoteRef>(kind)) {
    case ipc::RemoteRef::kObject:
    case ipc::RemoteRef::kFunction: {
      auto it = doc_.exports.find(id);
      if (it == doc_.exports.end())
        return make_error(ErrorCode::kBadMessage,
                          "remote object " + std::to_string(id) + " is not held by this document");
      bool function = kind == static_cast<std::uint8_t>(ipc::RemoteRef::kFunction);
      if (it->second.function != function)
        return make_error(ErrorCode::kBadMessage,
                          "remote reference " + std::to_string(id) + " has the wrong kind");
      return Value(HostObject{function ? kFunctionRef : kObjectRef, id});
    }
    case ipc::RemoteRef::kPageFunction: {
      std::uint64_t n = 0;
      std::span<const std::uint8_t> location;
      if (id == 0 || !reader.read_varint64(n) || n > ipc::kMaxRemoteLocation ||
          !reader.read_bytes(static_cast<std::size_t>(n), location))
        return make_error(ErrorCode::kBadMessage, "a malformed page function reference");
      auto& import = doc_.imports[id];
      auto state = import.state.lock();
      if (!state) {
        if (doc_.imports.size() > quotas_.max_imports) {
          // An error reply (RangeError), not a disconnect: the page asked
          // for too much, it did not break the protocol.
          doc_.imports.erase(id);
          doc_.quota_hit = true;
          return Value(HostObject{"over quota", 0});
        }
        state = std::make_shared<CallbackState>();
        state->document = doc_.weak_from_this();
        state->id = id;
        state->contents_id = doc_.contents_id;
        state->location.assign(location.begin(), location.end());
        state->reporter = doc_.session->registry().self;
        import.state = state;
        import.count = 0;
      }
      ++import.count;
      doc_.op_callbacks.push_back(state);
      return Value(HostObject{kPageFunctionRef, doc_.op_callbacks.size() - 1});
    }
    case ipc::RemoteRef::kPagePromise: {
      // Ids grow: a settle of an id main saw but refused is then told
      // apart from one it never saw (Session::on_settle).
      if (id <= doc_.last_page_promise)
        return make_error(ErrorCode::kBadMessage,
                          "page promise " + std::to_string(id) + " sent twice or out of order");
      doc_.last_page_promise = id;
      if (doc_.page_promises.size() >= quotas_.max_imports) {
        doc_.quota_hit = true;
        return Value(HostObject{"over quota", 0});
      }
      auto promise = std::make_shared<Promise<Value>>();
      doc_.op_futures.push_back(promise->future());
      doc_.page_promises.emplace(id, std::move(promise));
      return Value(HostObject{kPagePromiseRef, doc_.op_futures.size() - 1});
    }
    case ipc::RemoteRef::kConstant: {
      std::uint64_t n = 0;
      std::span<const std::uint8_t> bytes;
      if (!reader.read_varint64(n) || n > reader.remaining() ||
          !reader.read_bytes(static_cast<std::size_t>(n), bytes))
        return make_error(ErrorCode::kBadMessage, "a malformed constant function");
      codec::DecodeOptions options;
      options.form = codec::Form::kValence;
      auto value = codec::decode(bytes, options);
      if (!value)
        return make_error(ErrorCode::kBadMessage,
                          "a constant function's value: " + value.error().message);
      auto state = std::make_shared<CallbackState>();
      state->contents_id = doc_.contents_id;
      state->has_constant = true;
      state->constant = std::move(value).value();
      doc_.op_callbacks.push_back(state);
      return Value(HostObject{kPageFunctionRef, doc_.op_callbacks.size() - 1});
    }
    default:
      return make_error(ErrorCode::kBadMessage,
                        "unknown remote reference kind " + std::to_string(kind));
  }
}

}  // namespace valence::remote::detail
