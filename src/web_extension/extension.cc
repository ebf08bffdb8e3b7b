// The web-process extension: WebKit loads it into every web process the main
// process's windows use. For each page it opens the page's connection to main
// (an ipc::Endpoint, the renderer side native children use too) before any
// script runs, and on each new document of the page's main frame it installs
// the renderer runtime into the isolated preload world: the codec,
// ipcRenderer, contextBridge, require('electron') and process (js/*.js), over
// a few native functions defined here. What is WebKit's stays here: the
// page's binding (its nonce to its view) and the JSC glue.
//
// Lifetimes: the only JSC objects C++ keeps are the current document's
// receiver function and its context (both released when the frame's window
// object is cleared again); everything else the runtime holds lives in the JS
// heap, so a navigation frees the old document whatever the page did.
//
// Thread safety: everything runs on the web process's main thread (WebKit's
// rule for JSC and WebKit calls); the endpoints run on GLib's default context.
#include <webkit2/webkit-web-extension.h>

#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/random.h"
#include "ipc/common/endpoint.h"
#include "ipc/common/protocol.h"
#include "transport/socket_posix.h"
#include "valence/codec.h"
#include "valence/glib_loop.h"
#include "web_extension/js_sources.h"
#include "web_extension/port_link.h"

// Exported by JavaScriptCore but not declared: a collection that really runs
// (JSGarbageCollect is only a hint). Test hooks only.
extern "C" void JSSynchronousGarbageCollectForDebugging(JSContextRef ctx);

namespace valence::web {
namespace {

struct PageState;

struct Extension {
  std::unique_ptr<EventLoop> loop;
  std::string socket_path;
  std::string token;
  std::string config_json;  // versions etc. for the runtime
  bool hooks = false;
  WebKitScriptWorld* world = nullptr;
  std::map<guint64, std::shared_ptr<PageState>> pages;
  // Test hooks: weak references the tests count after a GC, by label.
  std::vector<std::pair<JSCWeakValue*, std::string>> tracked;
};

Extension* g_extension = nullptr;  // one per web process: WebKit's entry point is a C function

void deliver(PageState& page, ipc::RawMessage& m);
void deliver_lost(PageState& page, const std::string& reason);

struct PageState final : ipc::Endpoint::Delegate {
  WebKitWebPage* page = nullptr;  // weak: the state is dropped when the page goes
  guint64 page_id = 0;
  std::unique_ptr<ipc::Endpoint> link;
  std::string connect_error;
  // The current document's receivers and its world's context (GC roots):
  // messages, the end of the connection, a port's message, a port's end.
  JSCValue* receiver = nullptr;
  JSCValue* lost_receiver = nullptr;
  JSCValue* on_port_message = nullptr;
  JSCValue* on_port_closed = nullptr;
  JSCContext* context = nullptr;
  WebKitFrame* frame = nullptr;  // the main frame (owned by WebKit)
  unsigned generation = 0;       // documents installed so far
  // The current document's MessagePorts, by handle; a new document closes
  // them (their other ends see `close`).
  std::map<int, std::unique_ptr<PortLink>> ports;
  int next_port = 1;

  void release_document_roots() {
    for (JSCValue** v : {&receiver, &lost_receiver, &on_port_message, &on_port_closed})
      g_clear_object(v);
    g_clear_object(&context);
  }
  void release_document() {
    release_document_roots();
    // What main sends meanwhile waits for the next document's runtime.
    if (link) link->set_delegate(nullptr);
    for (auto& [handle, port] : ports) close_port(std::move(port));
    ports.clear();
  }
  // Writes what the port queued, closes its socket, then frees it.
  static void close_port(std::unique_ptr<PortLink> port) {
    PortLink* raw = port.get();
    EventLoop& loop = *g_extension->loop;
    EventLoop::KeepToken token = loop.keep(std::shared_ptr<PortLink>(std::move(port)));
    raw->close([&loop, token] {
      // Released from the loop: the link's channel may still be on the stack.
      loop.post([&loop, token] { loop.release(token); });
    });
  }
  void on_message(ipc::RawMessage& m) override { deliver(*this, m); }
  void on_lost(const std::string& reason) override { deliver_lost(*this, reason); }
  int adopt_port(UniqueFd fd) {
    int handle = next_port++;
    ports.emplace(handle, std::make_unique<PortLink>(*g_extension->loop, std::move(fd)));
    return handle;
  }
  ~PageState() { release_document(); }
};

// What a native function's user data points to: its page and document. A
// call from a document that is no longer current is refused.
struct NativeData {
  std::weak_ptr<PageState> page;
  unsigned generation = 0;
};

void free_native_data(gpointer p) {
  delete static_cast<NativeData*>(p);
}

std::shared_ptr<PageState> current_page(gpointer user_data) {
  auto* data = static_cast<NativeData*>(user_data);
  auto page = data->page.lock();
  if (!page || page->generation != data->generation) return nullptr;
  return page;
}

JSCValue* undefined_value() {
  return jsc_value_new_undefined(jsc_context_get_current());
}

// Prints what a runtime script threw (on the web process's stderr: no page
// should see it) and clears it. True when something had been thrown.
bool report_exception(JSCContext* ctx, const std::string& what) {
  JSCException* e = jsc_context_get_exception(ctx);
  if (!e) return false;
  char* report = jsc_exception_report(e);
  std::fprintf(stderr, "valence: %s: %s\n", what.c_str(), report);
  g_free(report);
  jsc_context_clear_exception(ctx);
  return true;
}

JSCValue* throw_error(const std::string& message) {
  JSCContext* ctx = jsc_context_get_current();
  jsc_context_throw(ctx, message.c_str());
  return jsc_value_new_undefined(ctx);
}

JSCValue* arg(GPtrArray* args, guint i) {
  return i < args->len ? static_cast<JSCValue*>(g_ptr_array_index(args, i)) : nullptr;
}

std::string to_string(JSCValue* v) {
  if (!v) return {};
  char* s = jsc_value_to_string(v);
  std::string out = s ? s : "";
  g_free(s);
  return out;
}

// The bytes of a Uint8Array argument (valid until the next JSC call).
std::span<const std::uint8_t> bytes_of(JSCValue* v) {
  if (!v || !jsc_value_is_typed_array(v)) return {};
  gsize length = 0;
  auto* data = static_cast<const std::uint8_t*>(jsc_value_typed_array_get_data(v, &length));
  return {data, jsc_value_typed_array_get_size(v)};
}

JSCValue* new_bytes(JSCContext* ctx, std::span<const std::uint8_t> bytes) {
  // jsc_value_new_array_buffer with external memory aborts the web process
  // (gigacage): allocate in JSC and copy.
  JSCValue* array = jsc_value_new_typed_array(ctx, JSC_TYPED_ARRAY_UINT8, bytes.size());
  gsize length = 0;
  void* data = jsc_value_typed_array_get_data(array, &length);
  if (!bytes.empty()) std::memcpy(data, bytes.data(), bytes.size());
  return array;
}

// ---- native functions (preload world only) ----------------------------------

// send(kind, channel, bytes, handles?) -> the request id (kInvoke,
// kRemoteAsync), else 0.
// Request ids are the connection's, never reused across documents: a reply
// to an old document's invoke matches nothing in a new one.
JSCValue* native_send(GPtrArray* args, gpointer user_data) {
  auto page = current_page(user_data);
  if (!page) return throw_error("this document is no longer current");
  if (!page->link)
    return throw_error("not connected to the main process (" + page->connect_error + ")");
  JSCValue* kind_v = arg(args, 0);
  int kind = kind_v ? jsc_value_to_int32(kind_v) : 0;
  if (kind != static_cast<int>(ipc::MessageKind::kMessage) &&
      kind != static_cast<int>(ipc::MessageKind::kInvoke) &&
      kind != static_cast<int>(ipc::MessageKind::kPostMessage) &&
      kind != static_cast<int>(ipc::MessageKind::kRemoteRelease) &&
      kind != static_cast<int>(ipc::MessageKind::kRemoteAsync) &&
      kind != static_cast<int>(ipc::MessageKind::kRemoteSettle))
    return throw_error("bad message kind " + std::to_string(kind));
  std::string channel = to_string(arg(args, 1));
  // kPostMessage: the ports to transfer, by handle; their sockets leave.
  std::vector<UniqueFd> fds;
  if (JSCValue* handles = arg(args, 3); handles && jsc_value_is_array(handles)) {
    JSCValue* length_v = jsc_value_object_get_property(handles, "length");
    auto n = static_cast<guint>(jsc_value_to_int32(length_v));
    g_object_unref(length_v);
    for (guint i = 0; i < n; ++i) {
      JSCValue* h = jsc_value_object_get_property_at_index(handles, i);
      int handle = jsc_value_to_int32(h);
      g_object_unref(h);
      auto it = page->ports.find(handle);
      if (it == page->ports.end()) return throw_error("a port was already transferred");
      fds.push_back(it->second->release());
      page->ports.erase(it);
    }
  }
  std::uint64_t id = kind == static_cast<int>(ipc::MessageKind::kInvoke) ||
                             kind == static_cast<int>(ipc::MessageKind::kRemoteAsync)
                         ? page->link->next_request_id()
                         : 0;
  auto sent = page->link->send(static_cast<ipc::MessageKind>(kind), channel, id,
                               bytes_of(arg(args, 2)), std::move(fds));
  if (!sent) return throw_error(sent.error().message);
  return jsc_value_new_number(jsc_context_get_current(), static_cast<double>(id));
}

// Sends `kind` and blocks until `reply_kind` answers it -> [status, bytes].
JSCValue* blocking_call(gpointer user_data, ipc::MessageKind kind, ipc::MessageKind reply_kind,
                        const std::string& channel, JSCValue* body) {
  auto page = current_page(user_data);
  if (!page) return throw_error("this document is no longer current");
  if (!page->link)
    return throw_error("not connected to the main process (" + page->connect_error + ")");
  std::uint64_t id = page->link->next_request_id();
  auto sent = page->link->send(kind, channel, id, bytes_of(body));
  if (!sent) return throw_error(sent.error().message);
  auto reply = page->link->wait_for(reply_kind, id, -1);
  if (!reply) return throw_error(reply.error().message);
  JSCContext* ctx = jsc_context_get_current();
  GPtrArray* items = g_ptr_array_new_with_free_func(g_object_unref);
  g_ptr_array_add(items, jsc_value_new_number(ctx, static_cast<double>(reply->status)));
  g_ptr_array_add(items, new_bytes(ctx, reply->body()));
  JSCValue* out = jsc_value_new_array_from_garray(ctx, items);
  g_ptr_array_unref(items);
  return out;
}

// sendSync(channel, bytes) -> [status, bytes]
JSCValue* native_send_sync(GPtrArray* args, gpointer user_data) {
  return blocking_call(user_data, ipc::MessageKind::kMessageSync, ipc::MessageKind::kSyncReply,
                       to_string(arg(args, 0)), arg(args, 1));
}

// remoteSync(bytes) -> [status, bytes]: one remote operation.
JSCValue* native_remote_sync(GPtrArray* args, gpointer user_data) {
  return blocking_call(user_data, ipc::MessageKind::kRemoteSync, ipc::MessageKind::kRemoteReply,
                       std::string(), arg(args, 0));
}

// Calls one of the document's receivers with `argv` (taking them),
// reporting what it throws: a listener's error must not escape into WebKit.
void call_receiver(PageState& page, JSCValue* receiver, std::span<JSCValue*> argv) {
  if (receiver && page.context) {
    JSCContext* ctx = page.context;
    g_object_ref(receiver);  // a listener may replace it
    JSCValue* r = jsc_value_function_callv(receiver, static_cast<guint>(argv.size()), argv.data());
    report_exception(ctx, "preload receiver threw");
    g_clear_object(&r);
    g_object_unref(receiver);
  }
  for (JSCValue* v : argv) g_object_unref(v);
}

// receiver(kind, channel, requestId, status, bytes, portHandles)
void deliver(PageState& page, ipc::RawMessage& m) {
  if (!page.receiver || !page.context) return;
  // Remote frames name their document: one for a document that is gone
  // (main sent it before it heard of the navigation) is dropped here.
  if ((m.kind == ipc::MessageKind::kRemoteRelease || m.kind == ipc::MessageKind::kRemoteCall ||
       m.kind == ipc::MessageKind::kRemoteSettle || m.kind == ipc::MessageKind::kRemoteReply) &&
      m.channel != std::to_string(page.generation))
    return;
  JSCContext* ctx = page.context;
  GPtrArray* handles = g_ptr_array_new_with_free_func(g_object_unref);
  for (auto& fd : m.fds)
    g_ptr_array_add(handles, jsc_value_new_number(ctx, page.adopt_port(std::move(fd))));
  JSCValue* handles_v = jsc_value_new_array_from_garray(ctx, handles);
  g_ptr_array_unref(handles);
  GBytes* channel = g_bytes_new_static(m.channel.data(), m.channel.size());
  JSCValue* argv[6] = {
      jsc_value_new_number(ctx, static_cast<double>(m.kind)),
      jsc_value_new_string_from_bytes(ctx, channel),
      jsc_value_new_number(ctx, static_cast<double>(m.request_id)),
      jsc_value_new_number(ctx, static_cast<double>(m.status)),
      new_bytes(ctx, m.body()),
      handles_v,
  };
  g_bytes_unref(channel);
  call_receiver(page, page.receiver, argv);
}

// onLost(reason)
void deliver_lost(PageState& page, const std::string& reason) {
  if (!page.lost_receiver || !page.context) return;
  JSCValue* argv[1] = {jsc_value_new_string(page.context, reason.c_str())};
  call_receiver(page, page.lost_receiver, argv);
}

// setReceivers(message, lost, portMessage, portClosed)
JSCValue* native_set_receivers(GPtrArray* args, gpointer user_data) {
  auto page = current_page(user_data);
  if (!page) return throw_error("this document is no longer current");
  for (guint i = 0; i < 4; ++i)
    if (!arg(args, i) || !jsc_value_is_function(arg(args, i)))
      return throw_error("setReceivers: not a function");
  page->release_document_roots();
  page->receiver = JSC_VALUE(g_object_ref(arg(args, 0)));
  page->lost_receiver = JSC_VALUE(g_object_ref(arg(args, 1)));
  page->on_port_message = JSC_VALUE(g_object_ref(arg(args, 2)));
  page->on_port_closed = JSC_VALUE(g_object_ref(arg(args, 3)));
  page->context = JSC_CONTEXT(g_object_ref(jsc_context_get_current()));
  if (page->link) page->link->set_delegate(page.get());
  return undefined_value();
}

// portMessage(handle, bytes)
void deliver_port_message(PageState& page, int handle, std::span<const std::uint8_t> body) {
  if (!page.on_port_message || !page.context) return;
  JSCValue* argv[2] = {jsc_value_new_number(page.context, handle), new_bytes(page.context, body)};
  call_receiver(page, page.on_port_message, argv);
}

// portClosed(handle, reason)
void deliver_port_closed(PageState& page, int handle, const std::string& reason) {
  if (!page.on_port_closed || !page.context) return;
  JSCValue* argv[2] = {jsc_value_new_number(page.context, handle),
                       jsc_value_new_string(page.context, reason.c_str())};
  call_receiver(page, page.on_port_closed, argv);
}

// portStart(handle, prefix, unsent)
JSCValue* native_port_start(GPtrArray* args, gpointer user_data) {
  auto page = current_page(user_data);
  if (!page) return throw_error("MessagePort: this document is no longer current");
  int handle = arg(args, 0) ? jsc_value_to_int32(arg(args, 0)) : 0;
  auto it = page->ports.find(handle);
  if (it == page->ports.end()) return throw_error("MessagePort: no such port");
  std::vector<std::uint8_t> prefix, unsent;
  auto p = bytes_of(arg(args, 1));
  prefix.assign(p.begin(), p.end());
  auto u = bytes_of(arg(args, 2));
  unsent.assign(u.begin(), u.end());
  std::weak_ptr<PageState> weak = page;
  it->second->start(prefix, unsent,
                    {[weak, handle](std::span<const std::uint8_t> body) {
                       if (auto pg = weak.lock()) deliver_port_message(*pg, handle, body);
                     },
                     [weak, handle](const std::string& reason) {
                       auto pg = weak.lock();
                       if (!pg) return;
                       // Its socket is closed already; freed from the loop.
                       g_extension->loop->post([weak, handle] {
                         if (auto p2 = weak.lock()) p2->ports.erase(handle);
                       });
                       deliver_port_closed(*pg, handle, reason);
                     }});
  return undefined_value();
}

// portSend(handle, bytes)
JSCValue* native_port_send(GPtrArray* args, gpointer user_data) {
  auto page = current_page(user_data);
  if (!page) return throw_error("MessagePort: this document is no longer current");
  int handle = arg(args, 0) ? jsc_value_to_int32(arg(args, 0)) : 0;
  auto it = page->ports.find(handle);
  if (it == page->ports.end()) return jsc_value_new_boolean(jsc_context_get_current(), FALSE);
  auto sent = it->second->send(bytes_of(arg(args, 1)));
  return jsc_value_new_boolean(jsc_context_get_current(), sent ? TRUE : FALSE);
}

// portClose(handle)
JSCValue* native_port_close(GPtrArray* args, gpointer user_data) {
  auto page = current_page(user_data);
  if (!page) return undefined_value();
  int handle = arg(args, 0) ? jsc_value_to_int32(arg(args, 0)) : 0;
  auto it = page->ports.find(handle);
  if (it != page->ports.end()) {
    PageState::close_port(std::move(it->second));
    page->ports.erase(it);
  }
  return undefined_value();
}

// portPair() -> [handle, handle]: both ends of a new channel.
JSCValue* native_port_pair(GPtrArray*, gpointer user_data) {
  auto page = current_page(user_data);
  if (!page) return throw_error("MessagePort: this document is no longer current");
  auto pair = transport::make_socket_pair();
  if (!pair) return throw_error("MessagePort: " + pair.error().message);
  JSCContext* ctx = jsc_context_get_current();
  GPtrArray* items = g_ptr_array_new_with_free_func(g_object_unref);
  g_ptr_array_add(items, jsc_value_new_number(ctx, page->adopt_port(std::move(pair->first))));
  g_ptr_array_add(items, jsc_value_new_number(ctx, page->adopt_port(std::move(pair->second))));
  JSCValue* out = jsc_value_new_array_from_garray(ctx, items);
  g_ptr_array_unref(items);
  return out;
}

// mainWorld() -> the main world's bootstrap object (js/bridge_main.js)
JSCValue* native_main_world(GPtrArray*, gpointer user_data) {
  auto page = current_page(user_data);
  if (!page || !page->frame)
    return throw_error("contextBridge: this document is no longer current");
  JSCContext* main_ctx = webkit_frame_get_js_context(page->frame);
  JSCValue* v = jsc_context_evaluate_with_source_uri(main_ctx, kBridgeMainJs, -1,
                                                     "valence://bridge_main.js", 1);
  if (JSCException* e = jsc_context_get_exception(main_ctx)) {
    std::string message = jsc_exception_get_message(e);
    jsc_context_clear_exception(main_ctx);
    g_clear_object(&v);
    g_object_unref(main_ctx);
    return throw_error("contextBridge: the main world failed to start: " + message);
  }
  g_object_unref(main_ctx);
  return v;
}

// Test hooks (only with the "hooks" initialization flag).
JSCValue* native_gc(GPtrArray*, gpointer user_data) {
  auto page = current_page(user_data);
  if (!page || !page->frame) return undefined_value();
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  JSGlobalContextRef global = webkit_frame_get_javascript_global_context(page->frame);
  G_GNUC_END_IGNORE_DEPRECATIONS
  JSSynchronousGarbageCollectForDebugging(global);
  return undefined_value();
}

JSCValue* native_track(GPtrArray* args, gpointer) {
  JSCValue* v = arg(args, 0);
  if (v && jsc_value_is_object(v))
    g_extension->tracked.emplace_back(jsc_weak_value_new(v), to_string(arg(args, 1)));
  return undefined_value();
}

JSCValue* native_live(GPtrArray* args, gpointer) {
  std::string label = to_string(arg(args, 0));
  int live = 0;
  for (auto& [weak, l] : g_extension->tracked) {
    if (l != label) continue;
    if (JSCValue* v = jsc_weak_value_get_value(weak)) {
      ++live;
      g_object_unref(v);
    }
  }
  return jsc_value_new_number(jsc_context_get_current(), live);
}

// CLOCK_MONOTONIC in microseconds (performance.now() is coarsened).
JSCValue* native_now(GPtrArray*, gpointer) {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return jsc_value_new_number(jsc_context_get_current(), static_cast<double>(ts.tv_sec) * 1e6 +
                                                             static_cast<double>(ts.tv_nsec) / 1e3);
}

// resources() -> [open descriptors, objects the loop keeps, RSS in KiB]:
// what a leak would grow.
JSCValue* native_resources(GPtrArray*, gpointer) {
  double fds = 0;
  if (GDir* dir = g_dir_open("/proc/self/fd", 0, nullptr)) {
    while (g_dir_read_name(dir)) ++fds;
    g_dir_close(dir);
  }
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  JSCContext* ctx = jsc_context_get_current();
  GPtrArray* items = g_ptr_array_new_with_free_func(g_object_unref);
  g_ptr_array_add(items, jsc_value_new_number(ctx, fds));
  g_ptr_array_add(items,
                  jsc_value_new_number(ctx, static_cast<double>(g_extension->loop->kept_count())));
  g_ptr_array_add(
      items, jsc_value_new_number(
                 ctx, static_cast<double>(resident) * static_cast<double>(::getpagesize()) / 1024));
  JSCValue* out = jsc_value_new_array_from_garray(ctx, items);
  g_ptr_array_unref(items);
  return out;
}

JSCValue* native_log(GPtrArray* args, gpointer) {
  std::fprintf(stderr, "[preload] %s\n", to_string(arg(args, 0)).c_str());
  return undefined_value();
}

void define_native(JSCContext* ctx, JSCValue* object, const char* name, GCallback fn,
                   const std::shared_ptr<PageState>& page) {
  auto* data = new NativeData{page, page->generation};
  JSCValue* f =
      jsc_value_new_function_variadic(ctx, name, fn, data, free_native_data, JSC_TYPE_VALUE);
  jsc_value_object_define_property_data(object, name, JSC_VALUE_PROPERTY_CONFIGURABLE, f);
  g_object_unref(f);
}

// Evaluates a runtime file; false (and a report) when it threw.
JSCValue* evaluate(JSCContext* ctx, const char* source, const char* uri) {
  JSCValue* v = jsc_context_evaluate_with_source_uri(ctx, source, -1, uri, 1);
  if (report_exception(ctx, std::string(uri) + " failed")) g_clear_object(&v);
  return v;
}

template <class F>
GCallback as_callback(F* f) {
  return reinterpret_cast<GCallback>(f);
}

void install_runtime(const std::shared_ptr<PageState>& page, WebKitFrame* frame) {
  page->release_document();
  ++page->generation;
  page->frame = frame;
  JSCContext* ctx = webkit_frame_get_js_context_for_script_world(frame, g_extension->world);
  JSCValue* codec = evaluate(ctx, kV8CodecJs, "valence://v8_codec.js");
  JSCValue* bridge = evaluate(ctx, kBridgeJs, "valence://bridge.js");
  JSCValue* runtime = evaluate(ctx, kRuntimeJs, "valence://runtime.js");
  // This world described as bridge_main.js describes the main world.
  JSCValue* local_realm = evaluate(ctx, kBridgeMainJs, "valence://bridge_main.js");
  JSCValue* remote = evaluate(ctx, kRemoteJs, "valence://remote.js");
  // Main learns of the new document before anything it sends: remote
  // operations belong to the last document opened.
  if (page->link) {
    std::vector<std::uint8_t> marker;
    codec::EncodeOptions encode;
    encode.form = codec::Form::kValence;
    if (codec::encode_into(Value::array({Value(ipc::kRemoteContextOpen),
                                         Value(static_cast<double>(page->generation))}),
                           marker, encode, 0))
      (void)page->link->send(ipc::MessageKind::kRemoteContext, "", 0, marker);
  }
  if (codec && bridge && runtime && local_realm && remote) {
    JSCValue* native = jsc_value_new_object(ctx, nullptr, nullptr);
    define_native(ctx, native, "send", as_callback(native_send), page);
    define_native(ctx, native, "sendSync", as_callback(native_send_sync), page);
    define_native(ctx, native, "remoteSync", as_callback(native_remote_sync), page);
    define_native(ctx, native, "setReceivers", as_callback(native_set_receivers), page);
    define_native(ctx, native, "mainWorld", as_callback(native_main_world), page);
    define_native(ctx, native, "log", as_callback(native_log), page);
    define_native(ctx, native, "portStart", as_callback(native_port_start), page);
    define_native(ctx, native, "portSend", as_callback(native_port_send), page);
    define_native(ctx, native, "portClose", as_callback(native_port_close), page);
    define_native(ctx, native, "portPair", as_callback(native_port_pair), page);
    if (g_extension->hooks) {
      define_native(ctx, native, "gc", as_callback(native_gc), page);
      define_native(ctx, native, "track", as_callback(native_track), page);
      define_native(ctx, native, "live", as_callback(native_live), page);
      define_native(ctx, native, "now", as_callback(native_now), page);
      define_native(ctx, native, "resources", as_callback(native_resources), page);
    }
    std::string config = g_extension->config_json;
    JSCValue* config_v = jsc_value_new_from_json(ctx, config.c_str());
    JSCValue* error_v = jsc_value_new_string(ctx, page->link ? "" : page->connect_error.c_str());
    JSCValue* argv[7] = {native, codec, bridge, config_v, error_v, local_realm, remote};
    JSCValue* r = jsc_value_function_callv(runtime, 7, argv);
    report_exception(ctx, "the preload runtime failed");
    g_clear_object(&r);
    g_object_unref(error_v);
    g_object_unref(config_v);
    g_object_unref(native);
  }
  g_clear_object(&codec);
  g_clear_object(&bridge);
  g_clear_object(&runtime);
  g_clear_object(&local_realm);
  g_clear_object(&remote);
  g_object_unref(ctx);
}

// ---- WebKit signals ----------------------------------------------------------

void on_window_object_cleared(WebKitScriptWorld*, WebKitWebPage* web_page, WebKitFrame* frame,
                              gpointer) {
  // The preload runs in the top frame only (Electron's default).
  if (!webkit_frame_is_main_frame(frame)) return;
  auto it = g_extension->pages.find(webkit_web_page_get_id(web_page));
  if (it == g_extension->pages.end()) return;
  install_runtime(it->second, frame);
}

void on_page_gone(gpointer data, GObject*) {
  auto id = static_cast<guint64>(reinterpret_cast<guintptr>(data));
  if (g_extension) g_extension->pages.erase(id);
}

// Connects a page to main and says Hello (blocking: before any script of the
// page runs).
Result<std::unique_ptr<ipc::Endpoint>> connect_page(const std::string& nonce) {
  auto socket = transport::connect_unix(g_extension->socket_path);
  if (!socket) return Unexpected{socket.error()};
  ipc::Endpoint::Options options;
  options.shutdown_flush_ms = 1000;
  auto link =
      std::make_unique<ipc::Endpoint>(*g_extension->loop, std::move(socket).value(), options);
  std::vector<std::uint8_t> hello;
  codec::EncodeOptions encode;
  encode.form = codec::Form::kValence;
  auto body = codec::encode_into(Value::object({{"nonce", nonce}}), hello, encode, 0);
  if (!body) return Unexpected{body.error()};
  auto started = link->start(g_extension->token, hello, 5000);
  if (!started) return Unexpected{started.error()};
  return link;
}

void on_page_created(WebKitWebExtension*, WebKitWebPage* web_page, gpointer) {
  auto page = std::make_shared<PageState>();
  page->page = web_page;
  page->page_id = webkit_web_page_get_id(web_page);
  std::string nonce = random_hex_id();
  auto link = connect_page(nonce);
  if (link) {
    page->link = std::move(link).value();
  } else {
    page->connect_error = link.error().message;
    std::fprintf(stderr, "valence: page %llu could not connect to the main process: %s\n",
                 static_cast<unsigned long long>(page->page_id), page->connect_error.c_str());
  }
  // WebKit delivers this to the page's own view: main's proof of which
  // window the connection belongs to.
  WebKitUserMessage* bind =
      webkit_user_message_new(ipc::kWebBindMessage, g_variant_new_string(nonce.c_str()));
  webkit_web_page_send_message_to_view(web_page, bind, nullptr, nullptr, nullptr);
  g_object_weak_ref(G_OBJECT(web_page), on_page_gone,
                    reinterpret_cast<gpointer>(static_cast<guintptr>(page->page_id)));
  g_extension->pages[page->page_id] = std::move(page);
}

}  // namespace
}  // namespace valence::web

extern "C" G_MODULE_EXPORT void webkit_web_extension_initialize_with_user_data(
    WebKitWebExtension* extension, const GVariant* user_data) {
  using namespace valence::web;
  auto* ext = new Extension();  // lives as long as the web process
  g_extension = ext;
  ext->loop = valence::create_glib_loop();
  GVariantDict dict;
  g_variant_dict_init(&dict, const_cast<GVariant*>(user_data));
  const char* s = nullptr;
  if (g_variant_dict_lookup(&dict, "socket", "&s", &s)) ext->socket_path = s;
  if (g_variant_dict_lookup(&dict, "token", "&s", &s)) ext->token = s;
  if (g_variant_dict_lookup(&dict, "config", "&s", &s)) ext->config_json = s;
  gboolean hooks = FALSE;
  if (g_variant_dict_lookup(&dict, "hooks", "b", &hooks)) ext->hooks = hooks;
  gboolean tune = FALSE;
  if (g_variant_dict_lookup(&dict, "malloc", "b", &tune) && tune) {
    // As in main (AppOptions::tune_malloc): message buffers are recycled,
    // not unmapped and faulted in again for every large message.
    ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
    ::mallopt(M_TRIM_THRESHOLD, 128 << 20);
  }
  g_variant_dict_clear(&dict);
  if (ext->config_json.empty() || ext->config_json[0] != '{') ext->config_json = "{}";
  // Created here, not later: a world created after initialization is a
  // different world from the one WebKit runs the preload user script in.
  ext->world = webkit_script_world_new_with_name(valence::ipc::kPreloadWorldName);
  g_signal_connect(ext->world, "window-object-cleared", G_CALLBACK(on_window_object_cleared),
                   nullptr);
  g_signal_connect(extension, "page-created", G_CALLBACK(on_page_created), nullptr);
}
