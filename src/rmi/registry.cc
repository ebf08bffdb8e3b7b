#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <climits>

#include "ipc/main/child_host.h"
#include "rmi/registry_impl.h"
#include "valence/main/main_process.h"
#include "valence/main/web_contents.h"

namespace valence::remote {
namespace detail {
namespace {

thread_local std::shared_ptr<DocumentHandle> t_document;

DocumentHandle* live_document() {
  return t_document && t_document->alive() ? t_document.get() : nullptr;
}

Value unexported() {
  return Value(HostObject{kUnexported, 0});
}

Value export_with_class(DocumentHandle& doc, Self object, const ClassInfo& cls) {
  auto id = doc.export_object(std::move(object), cls);
  if (!id) {
    doc.quota_hit = true;
    return Value();
  }
  return Value(HostObject{kObjectRef, *id});
}

}  // namespace

std::uint32_t next_class_id() {
  static std::atomic<std::uint32_t> next{1};
  return next++;
}

std::shared_ptr<DocumentHandle> current_document() {
  return t_document;
}

DocumentScope::DocumentScope(std::shared_ptr<DocumentHandle> document)
    : saved_(std::exchange(t_document, std::move(document))) {}
DocumentScope::~DocumentScope() {
  t_document = std::move(saved_);
}

Value export_object(std::shared_ptr<void> object, std::type_index type) {
  DocumentHandle* doc = live_document();
  if (!doc) return unexported();
  const ClassInfo* cls = nullptr;
  if (type == typeid(SharedObject))
    cls = &static_cast<const SharedObject*>(object.get())->class_info();
  else if (type == typeid(Registry::Impl::ModuleObject))
    cls = static_cast<const Registry::Impl::ModuleObject*>(object.get())->cls.get();
  else
    cls = doc->session->registry().class_of(type);
  if (!cls)
    return Value(HostObject{
        std::string("an object of a C++ type that is not a remote class (") + type.name() + ")",
        0});
  return export_with_class(*doc, std::move(object), *cls);
}

Result<std::shared_ptr<void>> import_object(const Value& v, std::type_index type,
                                            ConvertPath& path) {
  const HostObject* h = v.get_if_host_object();
  DocumentHandle* doc = live_document();
  const ClassInfo* want = doc ? doc->session->registry().class_of(type) : nullptr;
  std::string want_name = want ? want->name() : std::string(type.name());
  if (!h || h->kind != kObjectRef || !doc) return path.mismatch("a remote " + want_name, v);
  auto it = doc->exports.find(h->handle);
  if (it == doc->exports.end()) return path.error("remote object has been released");
  const Export& e = it->second;
  if (!want || !e.cls->is_or_derives(*want))
    return path.error("expected a remote " + want_name + ", got a remote " + e.cls->name());
  Self self = e.strong ? e.strong : e.weak.lock();
  if (!self) return path.error("Object has been destroyed");
  return e.cls->upcast_to(*want, self);
}

Value export_callback(const std::shared_ptr<CallbackState>& state) {
  DocumentHandle* doc = live_document();
  if (!doc || state->id == 0 || state->document.lock().get() != doc) return unexported();
  return Value(HostObject{kPageFunctionRef, state->id});
}

Result<std::shared_ptr<CallbackState>> import_callback(const Value& v, ConvertPath& path) {
  const HostObject* h = v.get_if_host_object();
  DocumentHandle* doc = live_document();
  if (!h || h->kind != kPageFunctionRef || !doc || h->handle >= doc->op_callbacks.size())
    return path.mismatch("function", v);
  return doc->op_callbacks[h->handle];
}

Result<Future<Value>> import_promise(const Value& v, ConvertPath& path) {
  const HostObject* h = v.get_if_host_object();
  DocumentHandle* doc = live_document();
  if (!h || h->kind != kPagePromiseRef || !doc || h->handle >= doc->op_futures.size() ||
      !doc->op_futures[h->handle].valid())
    return path.mismatch("a Promise", v);
  return std::move(doc->op_futures[h->handle]);
}

std::shared_ptr<ClassInfo> make_function_class(
    std::string name, int length,
    std::function<Outcome(CallContext&, const std::vector<Value>&)> fn) {
  auto cls = std::make_shared<ClassInfo>(next_class_id(), std::move(name), typeid(void));
  cls->ctor_length_ = length;
  cls->function_ = std::move(fn);
  return cls;
}

Value export_function(const std::shared_ptr<const ClassInfo>& info) {
  DocumentHandle* doc = live_document();
  if (!doc || !info) return unexported();
  return Value(HostObject{kFunctionRef, doc->export_function(*info, info)});
}

}  // namespace detail

// ---- ClassInfo ------------------------------------------------------------------

const ClassInfo::Property* ClassInfo::find_property(std::string_view name) const {
  for (const ClassInfo* c = this; c; c = c->base_)
    for (const auto& p : c->props_)
      if (p.name == name) return &p;
  return nullptr;
}

const ClassInfo::Method* ClassInfo::find_method(std::string_view name) const {
  for (const ClassInfo* c = this; c; c = c->base_)
    for (const auto& m : c->methods_)
      if (m.name == name) return &m;
  return nullptr;
}

const ClassInfo::Static* ClassInfo::find_static(std::string_view name) const {
  for (const auto& m : statics_)
    if (m.name == name) return &m;
  return nullptr;
}

Result<detail::Self> ClassInfo::construct(CallContext& ctx, const std::vector<Value>& args) const {
  if (!factory_) return make_error(ErrorCode::kFailed, name_ + " is not a constructor");
  return factory_(ctx, args);
}

detail::Self ClassInfo::upcast_to(const ClassInfo& target, const detail::Self& self) const {
  detail::Self out = self;
  for (const ClassInfo* c = this; c && c != &target; c = c->base_)
    if (c->to_base_) out = c->to_base_(out);
  return out;
}

bool ClassInfo::is_or_derives(const ClassInfo& other) const noexcept {
  for (const ClassInfo* c = this; c; c = c->base_)
    if (c == &other) return true;
  return false;
}

// ---- SharedObject -----------------------------------------------------------------

std::shared_ptr<SharedObject> SharedObject::create(
    std::initializer_list<std::pair<const std::string, Value>> entries) {
  auto object = std::make_shared<SharedObject>();
  for (const auto& [key, value] : entries) object->set(key, value.clone());
  object->cls_ =
      std::make_shared<ClassInfo>(detail::next_class_id(), "Object", typeid(SharedObject));
  object->cls_->dynamic_ = true;
  return object;
}

Value SharedObject::get(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? Value() : it->second.clone();
}

void SharedObject::set(std::string key, Value value) {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    it->second = std::move(value);
    return;
  }
  order_.push_back(key);
  entries_.emplace(std::move(key), std::move(value));
}

bool SharedObject::has(std::string_view key) const {
  return entries_.find(key) != entries_.end();
}

std::vector<std::string> SharedObject::keys() const {
  return order_;
}

// ---- Callback -----------------------------------------------------------------------

std::shared_ptr<detail::DocumentHandle> Callback::document() const {
  return state_ ? state_->document.lock() : nullptr;
}

bool Callback::call_values(std::vector<Value> args) const {
  if (!state_) return false;
  if (state_->has_constant) return true;
  auto doc = state_->document.lock();
  if (!doc || !doc->alive()) {
    if (!state_->reported) {
      state_->reported = true;
      if (auto reporter = state_->reporter.lock(); reporter && *reporter)
        (*reporter)->main.ipc_main().report_error(
            "Attempting to call a function in a renderer window that has been closed or released. "
            "Function provided here: " +
            (state_->location.empty() ? std::string("(unknown)") : state_->location));
    }
    return false;
  }
  return doc->session->call(*doc, *state_, std::move(args));
}

bool Callback::alive() const noexcept {
  if (!state_ || state_->released) return false;
  if (state_->has_constant) return true;
  auto doc = state_->document.lock();
  return doc && doc->alive();
}

std::string Callback::location() const {
  return state_ ? state_->location : std::string();
}
int Callback::web_contents_id() const noexcept {
  return state_ ? state_->contents_id : 0;
}
bool Callback::has_constant() const noexcept {
  return state_ && state_->has_constant;
}
const Value& Callback::constant() const {
  static const Value kUndefined;
  return state_ && state_->has_constant ? state_->constant : kUndefined;
}

void Callback::on_released(UniqueFunction<void()> callback) const {
  if (!state_) return;
  if (state_->released) {
    callback();
    return;
  }
  state_->on_released.push_back(std::move(callback));
}

// ---- Events ---------------------------------------------------------------------------

Events::~Events() {
  *self_ = nullptr;
}

void Events::add(std::string name, Callback cb, bool once) {
  std::weak_ptr<Events*> weak = self_;
  std::weak_ptr<detail::CallbackState> state = cb.state();
  cb.on_released([weak, state] {
    auto self = weak.lock();
    auto s = state.lock();
    if (self && *self && s) (*self)->drop(s);
  });
  lists_[std::move(name)].push_back({std::move(cb), once});
}

void Events::remove(std::string_view name, const Callback& cb) {
  auto it = lists_.find(name);
  if (it == lists_.end()) return;
  auto& list = it->second;
  // The last one added, as Node's removeListener.
  for (auto e = list.rbegin(); e != list.rend(); ++e) {
    if (e->callback == cb) {
      list.erase(std::next(e).base());
      break;
    }
  }
  if (list.empty()) lists_.erase(it);
}

void Events::remove_all(std::string_view name, int web_contents_id, unsigned document) {
  for (auto it = lists_.begin(); it != lists_.end();) {
    if (!name.empty() && it->first != name) {
      ++it;
      continue;
    }
    auto& list = it->second;
    std::erase_if(list, [&](const Entry& e) {
      if (web_contents_id == 0) return true;
      const auto& s = e.callback.state();
      auto doc = s ? s->document.lock() : nullptr;
      return s && s->contents_id == web_contents_id &&
             (document == 0 || (doc && doc->ctx == document));
    });
    it = list.empty() ? lists_.erase(it) : std::next(it);
  }
}

std::size_t Events::listener_count(std::string_view name) const {
  auto it = lists_.find(name);
  return it == lists_.end() ? 0 : it->second.size();
}

std::vector<Callback> Events::snapshot(std::string_view name) {
  std::vector<Callback> out;
  auto it = lists_.find(name);
  if (it == lists_.end()) return out;
  for (const auto& e : it->second) out.push_back(e.callback);
  std::erase_if(it->second, [](const Entry& e) { return e.once; });
  if (it->second.empty()) lists_.erase(it);
  return out;
}

void Events::drop(const std::shared_ptr<detail::CallbackState>& state) {
  for (auto it = lists_.begin(); it != lists_.end();) {
    std::erase_if(it->second, [&](const Entry& e) { return e.callback.state() == state; });
    it = it->second.empty() ? lists_.erase(it) : std::next(it);
  }
}

// ---- Registry::Impl -----------------------------------------------------------------------

namespace {
Value process_info() {
  utsname u{};
  std::string arch = ::uname(&u) == 0 ? u.machine : "";
  if (arch == "x86_64")
    arch = "x64";
  else if (arch == "aarch64")
    arch = "arm64";
  else if (arch == "i686" || arch == "i386")
    arch = "ia32";
  char exe[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  Value v =
      Value::object({{"type", "browser"},
                     {"pid", static_cast<double>(::getpid())},
                     {"platform", "linux"},
                     {"arch", arch},
                     {"execPath", std::string(exe, n > 0 ? static_cast<std::size_t>(n) : 0)}});
  v.get_object().set(String("versions"), Value::object({}));
  v.get_object().set(String("argv"), Value::array({}));
  return v;
}
}  // namespace

Registry::Impl::Impl(MainProcess& m) : main(m), main_impl(ipc::MainProcessImpl::from(m)) {
  globals["process"].copy = process_info();
  main_impl.set_remote(this);
}

Registry::Impl::~Impl() {
  if (main_impl.remote() == this) main_impl.set_remote(nullptr);
  *self = nullptr;
  sessions.clear();
  detached.clear();
}

Result<void> Registry::Impl::on_remote_message(ipc::ChildHost& host, ipc::RawMessage& message) {
  auto& slot = sessions[&host];
  if (!slot) slot = std::make_unique<Session>(*this, host);
  Session* session = slot.get();
  // A member may run a nested loop (a *Sync dialog) in which the
  // connection ends: the session outlives the operation (on_host_gone).
  ++session->busy;
  auto r = session->on_message(message);
  if (--session->busy == 0 && !session->attached())
    std::erase_if(detached, [&](const auto& s) { return s.get() == session; });
  return r;
}

void Registry::Impl::on_host_gone(ipc::ChildHost& host) {
  auto it = sessions.find(&host);
  if (it == sessions.end()) return;
  auto session = std::move(it->second);
  sessions.erase(it);
  if (session->busy > 0) {
    session->detach_host();
    detached.push_back(std::move(session));
    return;
  }
  session.reset();
}

bool Registry::Impl::filter_root(std::vector<UniqueFunction<void(RootEvent&)>>& filters,
                                 RootEvent& event) {
  for (auto& f : filters) {
    f(event);
    if (event.prevented) return false;
  }
  return true;
}

Decision Registry::Impl::filter_op(const OpInfo& info) {
  return call_filter ? call_filter(info) : Decision{};
}

const ClassInfo* Registry::Impl::class_of(std::type_index type) const {
  auto it = by_type.find(type);
  return it == by_type.end() ? nullptr : it->second;
}

// ---- Registry ----------------------------------------------------------------------

Registry::Registry(MainProcess& main) : impl_(std::make_unique<Impl>(main)) {}
Registry::~Registry() = default;

void Registry::enable(const WebContents& contents) {
  impl_->enabled_ids.insert(contents.id());
}
bool Registry::enabled(const WebContents& contents) const {
  return impl_->enabled(contents.id());
}

void Registry::add_class(std::shared_ptr<ClassInfo> cls) {
  impl_->by_type[cls->type()] = cls.get();
  impl_->classes.push_back(std::move(cls));
}

const ClassInfo* Registry::class_of(std::type_index type) const {
  return impl_->class_of(type);
}

void Registry::module(std::string name, UniqueFunction<void(Module&)> build) {
  Module m;
  build(m);
  auto cls = std::make_shared<ClassInfo>(detail::next_class_id(), name, typeid(Impl::ModuleObject));
  for (auto& entry : m.entries_) {
    if (entry.function) {
      auto fn = entry.function;
      cls->methods_.push_back(
          {entry.name, fn->constructor_length(),
           [fn](const detail::Self&, CallContext& ctx, const std::vector<Value>& args) {
             return fn->call_function(ctx, args);
           }});
      continue;
    }
    ClassInfo::Property p;
    p.name = entry.name;
    if (entry.constructor) {
      std::shared_ptr<const ClassInfo> ctor(std::shared_ptr<void>(), entry.constructor);
      p.get = [ctor](const detail::Self&, CallContext&) -> Result<Value> {
        return detail::export_function(ctor);
      };
    } else if (entry.object) {
      auto object = entry.object;
      auto type = *entry.object_type;
      p.get = [object, type](const detail::Self&, CallContext&) -> Result<Value> {
        return detail::export_object(object, type);
      };
    } else {
      auto value = std::make_shared<Value>(std::move(entry.value));
      p.get = [value](const detail::Self&, CallContext&) -> Result<Value> {
        return value->clone();
      };
    }
    cls->props_.push_back(std::move(p));
  }
  auto object = std::make_shared<Impl::ModuleObject>();
  object->cls = cls;
  impl_->modules[std::move(name)] = {cls, object};
}

void Registry::global(std::string name, Value value) {
  impl_->globals[std::move(name)] = {std::move(value), nullptr};
}

void Registry::global(std::string name, std::shared_ptr<SharedObject> object) {
  impl_->globals[std::move(name)] = {Value(), std::move(object)};
}

void Registry::builtin(std::string name, ClassInfo& constructor) {
  impl_->builtins[std::move(name)] = {&constructor, nullptr, typeid(void)};
}

void Registry::builtin_object_erased(std::string name, std::shared_ptr<void> object,
                                     std::type_index type) {
  impl_->builtins[std::move(name)] = {nullptr, std::move(object), type};
}

void Registry::set_current_window(UniqueFunction<Value(const std::shared_ptr<WebContents>&)> fn) {
  impl_->current_window = std::move(fn);
}
void Registry::set_current_web_contents(
    UniqueFunction<Value(const std::shared_ptr<WebContents>&)> fn) {
  impl_->current_web_contents = std::move(fn);
}
void Registry::on_require(UniqueFunction<void(RootEvent&)> fn) {
  impl_->on_require.push_back(std::move(fn));
}
void Registry::on_get_global(UniqueFunction<void(RootEvent&)> fn) {
  impl_->on_get_global.push_back(std::move(fn));
}
void Registry::on_get_builtin(UniqueFunction<void(RootEvent&)> fn) {
  impl_->on_get_builtin.push_back(std::move(fn));
}
void Registry::on_get_current_window(UniqueFunction<void(RootEvent&)> fn) {
  impl_->on_get_current_window.push_back(std::move(fn));
}
void Registry::on_get_current_web_contents(UniqueFunction<void(RootEvent&)> fn) {
  impl_->on_get_current_web_contents.push_back(std::move(fn));
}
void Registry::set_call_filter(UniqueFunction<Decision(const OpInfo&)> fn) {
  impl_->call_filter = std::move(fn);
}
void Registry::set_quotas(Quotas quotas) {
  impl_->quotas = quotas;
}

Stats Registry::stats(const WebContents& contents) const {
  Stats s;
  for (const auto& [host, session] : impl_->sessions)
    if (host->contents() && host->contents()->id() == contents.id()) session->add_stats(s);
  return s;
}

Stats Registry::stats() const {
  Stats s;
  for (const auto& [host, session] : impl_->sessions) session->add_stats(s);
  return s;
}

}  // namespace valence::remote
