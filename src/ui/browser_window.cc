#include "valence/ui/browser_window.h"

#include <gtk/gtk.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "ipc/common/protocol.h"
#include "ui/app_impl.h"
#include "ui/window_impl.h"
#include "valence/remote.h"

namespace valence {

namespace {

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kFailed, "cannot read the preload script " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

void BrowserWindow::Impl::toggle_dev_tools() {
  if (!view) return;
  WebKitWebInspector* inspector = webkit_web_view_get_inspector(view);
  if (inspector_open)
    webkit_web_inspector_close(inspector);
  else
    webkit_web_inspector_show(inspector);
  inspector_open = !inspector_open;
}

void BrowserWindow::Impl::on_destroy(GtkWidget*, gpointer data) {
  auto* impl = static_cast<Impl*>(data);
  if (impl->destroyed) return;
  impl->destroyed = true;
  impl->window = nullptr;
  impl->view = nullptr;
  impl->box = nullptr;
  impl->menubar = nullptr;
  if (impl->accel) g_object_unref(impl->accel);
  impl->accel = nullptr;
  BrowserWindow* owner = impl->owner;
  auto self = owner->shared_from_this();  // the App drops its reference below
  impl->contents->set_page(nullptr);
  // The page goes with its view; its connection closes on its own.
  auto callbacks = std::move(impl->on_closed);
  for (auto& cb : callbacks) cb();
  impl->app->impl().window_closed(owner->id_);
}

gboolean BrowserWindow::Impl::on_user_message(WebKitWebView*, WebKitUserMessage* message,
                                              gpointer data) {
  auto* impl = static_cast<Impl*>(data);
  if (std::string(webkit_user_message_get_name(message)) != ipc::kWebBindMessage) return FALSE;
  GVariant* params = webkit_user_message_get_parameters(message);
  if (!params || !g_variant_is_of_type(params, G_VARIANT_TYPE_STRING)) return TRUE;
  std::string nonce = g_variant_get_string(params, nullptr);
  // WebKit delivered this on this view's own channel: the page that sent it
  // is this window's page, whatever its connection claims.
  ipc::MainProcessImpl::from(impl->app->main_process()).pages().confirm(nonce, impl->contents);
  return TRUE;
}

// ---- Load events --------------------------------------------------------------
//
// WebKit ends every load with LOAD_FINISHED, a failed one too (after
// load-failed), and then, by default, loads an error page of its own for the
// failed URI, whose LOAD_FINISHED would look like a successful load. So a
// failure is recorded for the current load, turned into did-fail-load (not
// did-finish-load) at its LOAD_FINISHED, and WebKit's error page is not
// loaded: the view keeps what it showed (blank for a first load, as in
// Electron, whose error page is empty).

namespace {

struct NetError {
  int code;
  const char* name;
};

constexpr NetError kFailed{-2, "ERR_FAILED"};
constexpr NetError kAborted{-3, "ERR_ABORTED"};
constexpr NetError kFileNotFound{-6, "ERR_FILE_NOT_FOUND"};
constexpr NetError kAccessDenied{-10, "ERR_ACCESS_DENIED"};
constexpr NetError kConnectionClosed{-100, "ERR_CONNECTION_CLOSED"};
constexpr NetError kConnectionReset{-101, "ERR_CONNECTION_RESET"};
constexpr NetError kConnectionRefused{-102, "ERR_CONNECTION_REFUSED"};
constexpr NetError kConnectionFailed{-104, "ERR_CONNECTION_FAILED"};
constexpr NetError kNameNotResolved{-105, "ERR_NAME_NOT_RESOLVED"};
constexpr NetError kSslProtocolError{-107, "ERR_SSL_PROTOCOL_ERROR"};
constexpr NetError kAddressUnreachable{-109, "ERR_ADDRESS_UNREACHABLE"};
constexpr NetError kConnectionTimedOut{-118, "ERR_CONNECTION_TIMED_OUT"};
constexpr NetError kProxyConnectionFailed{-130, "ERR_PROXY_CONNECTION_FAILED"};
constexpr NetError kNameResolutionFailed{-137, "ERR_NAME_RESOLUTION_FAILED"};
constexpr NetError kCertCommonNameInvalid{-200, "ERR_CERT_COMMON_NAME_INVALID"};
constexpr NetError kCertDateInvalid{-201, "ERR_CERT_DATE_INVALID"};
constexpr NetError kCertAuthorityInvalid{-202, "ERR_CERT_AUTHORITY_INVALID"};
constexpr NetError kCertRevoked{-206, "ERR_CERT_REVOKED"};
constexpr NetError kCertInvalid{-207, "ERR_CERT_INVALID"};
constexpr NetError kCertWeakSignatureAlgorithm{-208, "ERR_CERT_WEAK_SIGNATURE_ALGORITHM"};
constexpr NetError kUnknownUrlScheme{-302, "ERR_UNKNOWN_URL_SCHEME"};
constexpr NetError kTooManyRedirects{-310, "ERR_TOO_MANY_REDIRECTS"};
constexpr NetError kUnsafePort{-312, "ERR_UNSAFE_PORT"};
constexpr NetError kInvalidResponse{-320, "ERR_INVALID_RESPONSE"};
constexpr NetError kContentDecodingFailed{-330, "ERR_CONTENT_DECODING_FAILED"};

// WebKit's load error (a GError of WebKit's, GIO's or libsoup's domain) as
// the nearest Chromium net error, the codes Electron reports. Where WebKit
// is less precise than Chromium the mapping is approximate (a transport
// failure is ERR_FAILED, say); docs/electron-differences.md has the table.
NetError net_error_for(const GError* error) {
  if (!error) return kFailed;
  if (error->domain == WEBKIT_NETWORK_ERROR) {
    switch (error->code) {
      case WEBKIT_NETWORK_ERROR_CANCELLED: return kAborted;
      case WEBKIT_NETWORK_ERROR_FILE_DOES_NOT_EXIST: return kFileNotFound;
      case WEBKIT_NETWORK_ERROR_UNKNOWN_PROTOCOL: return kUnknownUrlScheme;
      default: return kFailed;  // WEBKIT_NETWORK_ERROR_TRANSPORT, _FAILED
    }
  }
  if (error->domain == WEBKIT_POLICY_ERROR) {
    switch (error->code) {
      // Content WebKit will not show (a download, in Chromium): the
      // navigation ends without a page, as ERR_ABORTED does.
      case WEBKIT_POLICY_ERROR_CANNOT_SHOW_MIME_TYPE:
      case WEBKIT_POLICY_ERROR_FRAME_LOAD_INTERRUPTED_BY_POLICY_CHANGE: return kAborted;
      case WEBKIT_POLICY_ERROR_CANNOT_SHOW_URI: return kUnknownUrlScheme;
      case WEBKIT_POLICY_ERROR_CANNOT_USE_RESTRICTED_PORT: return kUnsafePort;
      default: return kFailed;
    }
  }
  if (error->domain == G_IO_ERROR) {
    switch (error->code) {
      case G_IO_ERROR_NOT_FOUND:
      case G_IO_ERROR_IS_DIRECTORY: return kFileNotFound;
      case G_IO_ERROR_PERMISSION_DENIED: return kAccessDenied;
      case G_IO_ERROR_CANCELLED: return kAborted;
      case G_IO_ERROR_CONNECTION_REFUSED: return kConnectionRefused;
      case G_IO_ERROR_TIMED_OUT: return kConnectionTimedOut;
      case G_IO_ERROR_HOST_NOT_FOUND: return kNameNotResolved;
      case G_IO_ERROR_HOST_UNREACHABLE:
      case G_IO_ERROR_NETWORK_UNREACHABLE: return kAddressUnreachable;
      case G_IO_ERROR_BROKEN_PIPE: return kConnectionClosed;  // = CONNECTION_CLOSED
      case G_IO_ERROR_NOT_CONNECTED: return kConnectionFailed;
      case G_IO_ERROR_PROXY_FAILED:
      case G_IO_ERROR_PROXY_AUTH_FAILED:
      case G_IO_ERROR_PROXY_NEED_AUTH:
      case G_IO_ERROR_PROXY_NOT_ALLOWED: return kProxyConnectionFailed;
      default: return kFailed;
    }
  }
  if (error->domain == G_RESOLVER_ERROR) {
    return error->code == G_RESOLVER_ERROR_INTERNAL ? kNameResolutionFailed : kNameNotResolved;
  }
  if (error->domain == G_TLS_ERROR) {
    return error->code == G_TLS_ERROR_BAD_CERTIFICATE ? kCertInvalid : kSslProtocolError;
  }
  // libsoup's session errors, by name: valence does not link libsoup.
  if (std::strcmp(g_quark_to_string(error->domain), "soup-session-error-quark") == 0) {
    switch (error->code) {
      case 0: return kInvalidResponse;        // SOUP_SESSION_ERROR_PARSING
      case 1: return kContentDecodingFailed;  // _ENCODING
      case 2:                                 // _TOO_MANY_REDIRECTS
      case 3: return kTooManyRedirects;       // _TOO_MANY_RESTARTS
      case 4: return kInvalidResponse;        // _REDIRECT_NO_LOCATION
      case 5: return kUnknownUrlScheme;       // _REDIRECT_BAD_URI
      default: return kFailed;
    }
  }
  if (std::strcmp(g_quark_to_string(error->domain), "soup-message-error-quark") == 0)
    return kConnectionReset;
  return kFailed;
}

// A certificate's problems as Chromium's nearest certificate error.
NetError net_error_for(GTlsCertificateFlags errors) {
  if (errors & G_TLS_CERTIFICATE_UNKNOWN_CA) return kCertAuthorityInvalid;
  if (errors & G_TLS_CERTIFICATE_BAD_IDENTITY) return kCertCommonNameInvalid;
  if (errors & (G_TLS_CERTIFICATE_NOT_ACTIVATED | G_TLS_CERTIFICATE_EXPIRED))
    return kCertDateInvalid;
  if (errors & G_TLS_CERTIFICATE_REVOKED) return kCertRevoked;
  if (errors & G_TLS_CERTIFICATE_INSECURE) return kCertWeakSignatureAlgorithm;
  return kCertInvalid;
}

DidFailLoadDetails fail_details(NetError error, const char* uri) {
  DidFailLoadDetails details;
  details.error_code = error.code;
  details.error_description = error.name;
  details.validated_url = uri ? uri : "";
  details.is_main_frame = true;  // WebKitWebView reports the top frame's loads only
  return details;
}

// The Fetch standard's bad ports, which WebKit (as Chromium) refuses to
// load. WebKit refuses a top-level load to one without a load-failed: it
// shows about:blank instead.
bool is_bad_port(int port) {
  static constexpr int kBadPorts[] = {
      1,    7,    9,    11,   13,   15,   17,   19,   20,   21,   22,   23,   25,   37,
      42,   43,   53,   69,   77,   79,   87,   95,   101,  102,  103,  104,  109,  110,
      111,  113,  115,  117,  119,  123,  135,  137,  139,  143,  161,  179,  389,  427,
      465,  512,  513,  514,  515,  526,  530,  531,  532,  540,  548,  554,  556,  563,
      587,  601,  636,  989,  990,  993,  995,  1719, 1720, 1723, 2049, 3659, 4045, 4190,
      5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080};
  for (int p : kBadPorts)
    if (p == port) return true;
  return false;
}

bool has_bad_port(const std::string& url) {
  GUri* uri = g_uri_parse(url.c_str(), G_URI_FLAGS_NONE, nullptr);
  if (!uri) return false;
  const char* scheme = g_uri_get_scheme(uri);
  bool bad =
      scheme &&
      (g_ascii_strcasecmp(scheme, "http") == 0 || g_ascii_strcasecmp(scheme, "https") == 0) &&
      is_bad_port(g_uri_get_port(uri));
  g_uri_unref(uri);
  return bad;
}

}  // namespace

void BrowserWindow::Impl::on_load_changed(WebKitWebView*, WebKitLoadEvent event, gpointer data) {
  auto* impl = static_cast<Impl*>(data);
  if (event == WEBKIT_LOAD_STARTED) {
    impl->load_failure.reset();
    return;
  }
  if (event != WEBKIT_LOAD_FINISHED) return;
  auto self = impl->owner->shared_from_this();
  auto failure = std::move(impl->load_failure);
  impl->load_failure.reset();
  if (failure)
    impl->contents->emit_did_fail_load(*failure);
  else
    impl->contents->emit_did_finish_load();
  impl->load_ended();
}

void BrowserWindow::Impl::load_ended() {
  // Electron's ready-to-show comes with the first paint, an error page's
  // too: here, the first load's end, whether it failed or not (a window
  // that waits for it to show itself is shown either way).
  if (ready_to_show_fired || destroyed) return;
  ready_to_show_fired = true;
  auto callbacks = std::move(on_ready_to_show);
  for (auto& cb : callbacks) cb();
}

gboolean BrowserWindow::Impl::on_load_failed(WebKitWebView*, WebKitLoadEvent, gchar* uri,
                                             GError* error, gpointer data) {
  auto* impl = static_cast<Impl*>(data);
  // A TLS failure already said what it was (on_load_failed_with_tls_errors).
  if (!impl->load_failure) impl->load_failure = fail_details(net_error_for(error), uri);
  return TRUE;  // no error page of WebKit's
}

gboolean BrowserWindow::Impl::on_load_failed_with_tls_errors(WebKitWebView*, gchar* uri,
                                                             GTlsCertificate*,
                                                             GTlsCertificateFlags errors,
                                                             gpointer data) {
  auto* impl = static_cast<Impl*>(data);
  impl->load_failure = fail_details(net_error_for(errors), uri);
  return TRUE;  // handled: WebKit ends the load (LOAD_FINISHED) without load-failed
}

void BrowserWindow::Impl::on_title_changed(GObject*, GParamSpec*, gpointer data) {
  auto* impl = static_cast<Impl*>(data);
  if (!impl->view || !impl->window) return;
  const char* t = webkit_web_view_get_title(impl->view);
  std::string title = t ? t : "";
  if (title.empty()) return;
  bool prevented = false;
  for (auto& cb : impl->on_title) prevented = cb(title) || prevented;
  if (!prevented && impl->window) gtk_window_set_title(GTK_WINDOW(impl->window), title.c_str());
}

void BrowserWindow::Impl::on_process_terminated(WebKitWebView*,
                                                WebKitWebProcessTerminationReason reason,
                                                gpointer data) {
  auto* impl = static_cast<Impl*>(data);
  // WebKit tells why, not how: the exit status of a web process is WebKit's
  // (main is not its parent), so it is unknown (-1) unless valence ended it.
  RenderProcessGoneDetails details;
  details.exit_code = -1;
  details.signal = -1;
  switch (reason) {
    case WEBKIT_WEB_PROCESS_CRASHED: details.reason = "crashed"; break;
    case WEBKIT_WEB_PROCESS_EXCEEDED_MEMORY_LIMIT: details.reason = "oom"; break;
    case WEBKIT_WEB_PROCESS_TERMINATED_BY_API:
      details.reason = "killed";  // WebContents::kill(): SIGKILL
      details.signal = details.exit_code = 9;
      break;
  }
  auto self = impl->owner->shared_from_this();
  impl->contents->emit_render_process_gone(details);
}

BrowserWindow::BrowserWindow(int id) : id_(id), impl_(std::make_unique<Impl>()) {}

BrowserWindow::~BrowserWindow() {
  if (impl_->window) {
    g_signal_handlers_disconnect_by_data(impl_->window, impl_.get());
    if (impl_->view) g_signal_handlers_disconnect_by_data(impl_->view, impl_.get());
    gtk_widget_destroy(impl_->window);
  }
  if (impl_->contents) impl_->contents->set_page(nullptr);
}

Result<std::shared_ptr<BrowserWindow>> BrowserWindow::create(App& app,
                                                             BrowserWindowOptions options) {
  if (!options.web_preferences.context_isolation)
    return make_error(ErrorCode::kUnimplemented,
                      "BrowserWindow: context_isolation = false is not supported (preload "
                      "scripts always run in an isolated world)");
  std::string preload;
  if (!options.web_preferences.preload.empty()) {
    auto text = read_file(options.web_preferences.preload);
    if (!text) return Unexpected{text.error()};
    preload = std::move(text).value();
  }
  auto& app_impl = app.impl();
  int id = app_impl.next_window_id++;
  auto win = std::make_shared<BrowserWindow>(id);
  Impl& impl = *win->impl_;
  impl.owner = win.get();
  impl.app = &app;
  impl.show_on_create = options.show;
  impl.contents = ipc::MainProcessImpl::from(app.main_process()).create_page_contents();
  impl.contents->set_page(&impl);
  win->contents_ = impl.contents;

  impl.web_preferences = options.web_preferences;
  WebKitUserContentManager* content = webkit_user_content_manager_new();
  if (options.web_preferences.enable_remote_module) {
    app.remote().enable(*impl.contents);
    // Before node integration (which hands `remote` on to the page) and the
    // preload.
    WebKitUserScript* script = webkit_user_script_new_for_world(
        "__valenceRemote();", WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
        WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_START, ipc::kPreloadWorldName, nullptr, nullptr);
    webkit_user_content_manager_add_script(content, script);
    webkit_user_script_unref(script);
  }
  if (options.web_preferences.node_integration) {
    // Runs in the preload world before the app's preload (scripts run in the
    // order they were added).
    WebKitUserScript* script = webkit_user_script_new_for_world(
        "__valenceNodeIntegration();", WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
        WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_START, ipc::kPreloadWorldName, nullptr, nullptr);
    webkit_user_content_manager_add_script(content, script);
    webkit_user_script_unref(script);
  }
  if (!preload.empty()) {
    std::string uri =
        "file://" + std::filesystem::absolute(options.web_preferences.preload).string();
    // Wrapped as Electron wraps preloads (js/runtime.js, runPreload); the
    // first line of the preload stays line 1.
    std::string wrapped =
        "(globalThis.__valencePreload || function () { throw new Error('valence: the preload "
        "runtime is not installed in this document') })(function (require, process, global, "
        "exports, module) {" +
        preload + "\n})\n//# sourceURL=" + uri + "\n";
    WebKitUserScript* script = webkit_user_script_new_for_world(
        wrapped.c_str(), WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
        WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_START, ipc::kPreloadWorldName, nullptr, nullptr);
    webkit_user_content_manager_add_script(content, script);
    webkit_user_script_unref(script);
  }
  impl.view =
      WEBKIT_WEB_VIEW(g_object_new(WEBKIT_TYPE_WEB_VIEW, "web-context", app_impl.web_context(),
                                   "user-content-manager", content, nullptr));
  g_object_unref(content);
  WebKitSettings* settings = webkit_web_view_get_settings(impl.view);
  // The renderer runtime is installed per document; a page restored from the
  // back/forward cache would come back without it.
  webkit_settings_set_enable_page_cache(settings, FALSE);
  // Electron's webContents.openDevTools(): WebKit's inspector.
  webkit_settings_set_enable_developer_extras(settings, TRUE);
  webkit_settings_set_enable_write_console_messages_to_stdout(
      settings, app_impl.options.console_to_stdout ? TRUE : FALSE);

  impl.window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
  gtk_window_set_title(GTK_WINDOW(impl.window), options.title.c_str());
  gtk_window_set_default_size(GTK_WINDOW(impl.window), options.width, options.height);
  impl.box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
  gtk_container_add(GTK_CONTAINER(impl.window), impl.box);
  gtk_box_pack_end(GTK_BOX(impl.box), GTK_WIDGET(impl.view), TRUE, TRUE, 0);
  gtk_widget_show(impl.box);
  if (auto menu = app_impl.application_menu) impl.set_menu(menu);
  g_signal_connect(impl.window, "destroy", G_CALLBACK(Impl::on_destroy), &impl);
  g_signal_connect(impl.view, "user-message-received", G_CALLBACK(Impl::on_user_message), &impl);
  g_signal_connect(impl.view, "load-changed", G_CALLBACK(Impl::on_load_changed), &impl);
  g_signal_connect(impl.view, "load-failed", G_CALLBACK(Impl::on_load_failed), &impl);
  g_signal_connect(impl.view, "load-failed-with-tls-errors",
                   G_CALLBACK(Impl::on_load_failed_with_tls_errors), &impl);
  g_signal_connect(impl.view, "notify::title", G_CALLBACK(Impl::on_title_changed), &impl);
  g_signal_connect(impl.view, "web-process-terminated", G_CALLBACK(Impl::on_process_terminated),
                   &impl);
  gtk_widget_show(GTK_WIDGET(impl.view));
  if (options.show) gtk_widget_show(impl.window);
  app_impl.windows[id] = win;
  return win;
}

Result<void> BrowserWindow::load_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec || !fs::exists(absolute, ec))
    return make_error(ErrorCode::kFailed, "BrowserWindow.loadFile: no such file: " + path);
  GError* error = nullptr;
  char* uri = g_filename_to_uri(absolute.c_str(), nullptr, &error);
  if (!uri) {
    std::string message = error ? error->message : "bad path";
    g_clear_error(&error);
    return make_error(ErrorCode::kFailed, "BrowserWindow.loadFile: " + message);
  }
  auto r = load_url(uri);
  g_free(uri);
  return r;
}

Result<void> BrowserWindow::load_url(const std::string& url) {
  if (impl_->destroyed || !impl_->view)
    return make_error(ErrorCode::kDisconnected, "BrowserWindow.loadURL: the window is destroyed");
  if (has_bad_port(url)) {
    // WebKit would refuse it quietly (and show about:blank): fail it as
    // Chromium does, with did-fail-load from the loop, as a load's would be.
    std::weak_ptr<BrowserWindow> weak = weak_from_this();
    impl_->app->loop().post([weak, url] {
      auto self = weak.lock();
      if (!self || self->is_destroyed()) return;
      self->impl_->contents->emit_did_fail_load(fail_details(kUnsafePort, url.c_str()));
      self->impl_->load_ended();
    });
    return {};
  }
  webkit_web_view_load_uri(impl_->view, url.c_str());
  return {};
}

std::string BrowserWindow::get_url() const {
  if (!impl_->view) return {};
  const char* uri = webkit_web_view_get_uri(impl_->view);
  return uri ? uri : "";
}

void BrowserWindow::set_title(const std::string& title) {
  if (impl_->window) gtk_window_set_title(GTK_WINDOW(impl_->window), title.c_str());
}

std::string BrowserWindow::get_title() const {
  if (!impl_->window) return {};
  const char* t = gtk_window_get_title(GTK_WINDOW(impl_->window));
  return t ? t : "";
}

std::pair<int, int> BrowserWindow::get_size() const {
  int w = 0, h = 0;
  if (impl_->window) gtk_window_get_size(GTK_WINDOW(impl_->window), &w, &h);
  return {w, h};
}

void BrowserWindow::show() {
  if (impl_->window) gtk_widget_show(impl_->window);
}

void BrowserWindow::hide() {
  if (impl_->window) gtk_widget_hide(impl_->window);
}

bool BrowserWindow::is_visible() const {
  return impl_->window && gtk_widget_get_visible(impl_->window);
}

void BrowserWindow::close() {
  if (!impl_->window) return;
  // As the window manager's close button: GTK then destroys the window. A
  // window never shown has no close button to press (GTK ignores the
  // request): it is destroyed.
  if (gtk_widget_get_realized(impl_->window))
    gtk_window_close(GTK_WINDOW(impl_->window));
  else
    gtk_widget_destroy(impl_->window);
}

void BrowserWindow::destroy() {
  if (impl_->window) gtk_widget_destroy(impl_->window);
}

bool BrowserWindow::is_destroyed() const noexcept {
  return impl_->destroyed;
}

void BrowserWindow::on_closed(UniqueFunction<void()> callback) {
  impl_->on_closed.push_back(std::move(callback));
}

void BrowserWindow::on_ready_to_show(UniqueFunction<void()> callback) {
  impl_->on_ready_to_show.push_back(std::move(callback));
}

void BrowserWindow::on_page_title_updated(UniqueFunction<bool(const std::string&)> callback) {
  impl_->on_title.push_back(std::move(callback));
}

std::shared_ptr<BrowserWindow> BrowserWindow::from_web_contents(const WebContents& contents) {
  App* app = App::current();
  if (!app) return nullptr;
  for (const auto& w : app->windows())
    if (w->contents_.get() == &contents) return w;
  return nullptr;
}

std::shared_ptr<BrowserWindow> BrowserWindow::from_id(int id) {
  App* app = App::current();
  if (!app) return nullptr;
  auto& windows = app->impl().windows;
  auto it = windows.find(id);
  return it == windows.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<BrowserWindow>> BrowserWindow::get_all_windows() {
  App* app = App::current();
  return app ? app->windows() : std::vector<std::shared_ptr<BrowserWindow>>{};
}

void* BrowserWindow::native_window() const noexcept {
  return impl_->window;
}

void* BrowserWindow::native_view() const noexcept {
  return impl_->view;
}

// ---- executeJavaScript -------------------------------------------------------
//
// Electron runs the code once, as a classic script of the page (whatever the
// page's Content-Security-Policy says), awaits its completion value when it
// is a Promise, and hands main a structured clone of it. WebKit runs a
// script without CSP checks (evaluate_javascript), but the completion value
// it hands back is its own lossy JSON-like copy, and it awaits nothing; its
// other call (call_async_javascript_function) awaits, but takes a function
// body, in which `var` and `function` are not globals. eval and new Function
// would give a script's completion value to our code, but a strict CSP
// forbids them. So the code is classified before anything runs, by parsing
// it with a JavaScriptCore engine of our own in this process (the same
// engine as the page's, so it parses the same way; nothing is run there):
//
//  - code that ends with an expression statement (`document.title`,
//    `var x = 1; x + 1`, lines without semicolons too) runs as one script in
//    which that last statement becomes `run(() => (expression), key)`;
//    run() (js_value.cc) encodes the value in the page (structured clone,
//    V8's wire format) and returns that string as the script's completion
//    value; when the value is a thenable, it leaves a promise of the string
//    in a global slot, which call_async_javascript_function then awaits;
//  - other code (`if (a) { 1 } else { 2 }`, declarations alone) runs as it
//    is, and the completion value is what WebKit makes of it: JSON-like,
//    not awaited (docs/electron-differences.md).
//
// Either way the code runs exactly once; code that does not parse runs
// never (WebKit reports its SyntaxError).

namespace {

constexpr char kSourceUri[] = "valence://execute-javascript";
// The split search looks at this many statement boundaries from the end,
// and at a last expression of at most this size.
constexpr int kMaxSplitCandidates = 64;
constexpr std::size_t kMaxFinalExpression = 256 * 1024;

// A JavaScriptCore context of the UI process, used only to parse.
JSCContext* syntax_context() {
  static JSCContext* context = jsc_context_new();
  return context;
}

bool parses(std::string_view script) {
  return jsc_context_check_syntax(syntax_context(), script.data(),
                                  static_cast<gssize>(script.size()), JSC_CHECK_SYNTAX_MODE_SCRIPT,
                                  nullptr, 1, nullptr) == JSC_CHECK_SYNTAX_RESULT_SUCCESS;
}

// The length of JS white space or a line terminator (UTF-8) at i, or 0.
std::size_t space_at(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
  };
  switch (b(0)) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\v':
    case '\f': return 1;
    case 0xC2: return b(1) == 0xA0 ? 2 : 0;                  // NBSP
    case 0xE1: return b(1) == 0x9A && b(2) == 0x80 ? 3 : 0;  // U+1680
    case 0xE2:
      if (b(1) == 0x80 &&
          ((b(2) >= 0x80 && b(2) <= 0x8A) || b(2) == 0xA8 || b(2) == 0xA9 || b(2) == 0xAF))
        return 3;                                            // U+2000..200A, U+2028, U+2029, U+202F
      return b(1) == 0x81 && b(2) == 0x9F ? 3 : 0;           // U+205F
    case 0xE3: return b(1) == 0x80 && b(2) == 0x80 ? 3 : 0;  // U+3000
    case 0xEF: return b(1) == 0xBB && b(2) == 0xBF ? 3 : 0;  // U+FEFF
    default: return 0;
  }
}

bool is_line_terminator(std::string_view s, std::size_t i) {
  return s[i] == '\n' || s[i] == '\r' ||
         (s.substr(i, 3) == "\xE2\x80\xA8" || s.substr(i, 3) == "\xE2\x80\xA9");
}

// The index of the first token at or after i (past white space and comments).
std::size_t skip_blank(std::string_view s, std::size_t i) {
  while (i < s.size()) {
    if (std::size_t n = space_at(s, i)) {
      i += n;
    } else if (s.substr(i, 2) == "//") {
      while (i < s.size() && !is_line_terminator(s, i)) ++i;
    } else if (s.substr(i, 2) == "/*") {
      std::size_t end = s.find("*/", i + 2);
      if (end == std::string_view::npos) return s.size();
      i = end + 2;
    } else {
      break;
    }
  }
  return i;
}

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

std::string_view word_at(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && is_word_char(s[j])) ++j;
  return s.substr(i, j - i);
}

// Whether a script starting with this code does not start with an
// expression statement: a block, a function, class or `let [` declaration.
bool starts_as_declaration(std::string_view code) {
  std::size_t i = skip_blank(code, 0);
  if (i >= code.size()) return false;
  if (code[i] == '{') return true;
  std::string_view w = word_at(code, i);
  if (w == "function" || w == "class") return true;
  if (w == "async" || w == "let") {
    std::size_t j = i + w.size();
    std::size_t k = skip_blank(code, j);
    if (w == "let") return k < code.size() && code[k] == '[';
    for (std::size_t m = j; m < k; ++m)
      if (is_line_terminator(code, m)) return false;
    return word_at(code, k) == "function";
  }
  return false;
}

// The code without a final `;` followed only by white space and comments.
std::string without_final_semicolon(std::string_view code) {
  std::size_t p = code.rfind(';');
  if (p == std::string_view::npos || skip_blank(code, p + 1) != code.size())
    return std::string(code);
  return std::string(code.substr(0, p)) + std::string(code.substr(p + 1));
}

// Whether `code` is one expression in the context `before` + code + `after`
// puts it in. It is checked in parentheses and in brackets: code that closes
// the parenthesis early (`1); f(); (2`) cannot also close the bracket.
bool is_expression(const std::string& code, std::string_view before, std::string_view after) {
  if (starts_as_declaration(code)) return false;
  std::string open(before), close(after);
  return parses(open + "(" + code + "\n)" + close) && parses(open + "[" + code + "\n]" + close);
}

// After a line break that is to end a statement: whether the next token
// would rather continue the statement before it (then there is no
// statement boundary there).
bool continues_previous_line(std::string_view next, std::string_view before) {
  std::size_t i = skip_blank(next, 0);
  if (i >= next.size()) return true;
  char c = next[i];
  char d = i + 1 < next.size() ? next[i + 1] : '\0';
  if (c == '+' || c == '-') return d != c;  // ++x and --x start a statement
  if (c == '!') return d == '=';
  if (std::strchr("([`.,?=<>*/%&|^:;)]}", c)) return true;
  std::string_view w = word_at(next, i);
  if (w == "in" || w == "instanceof") return true;
  // `let` then a line break then a name is a declaration.
  std::size_t end = before.find_last_not_of(" \t\r\n");
  if (end != std::string_view::npos && end >= 2 && before.substr(end - 2, 3) == "let" &&
      (end < 3 || !is_word_char(before[end - 3])))
    return true;
  return false;
}

// What to run: `head` (statements, may be empty) then the final expression
// through run(); or, when the code does not end with an expression
// statement, the code as it is.
struct Plan {
  bool run = false;
  std::string head;
  std::string expression;
};

Plan plan_for(const std::string& code) {
  Plan plan;
  std::string whole = without_final_semicolon(code);
  if (is_expression(whole, "(() => ", ")")) {
    plan.run = true;
    plan.expression = std::move(whole);
    return plan;
  }
  if (!parses(code)) return plan;  // evaluated as it is: WebKit reports the SyntaxError
  int candidates = 0;
  for (std::size_t p = code.size(); p-- > 0 && candidates < kMaxSplitCandidates;) {
    bool semicolon = code[p] == ';';
    if (!semicolon && code[p] != '\n' && code[p] != '\r') continue;
    std::string_view head = std::string_view(code).substr(0, p + 1);
    std::string_view rest = std::string_view(code).substr(p + 1);
    if (rest.size() > kMaxFinalExpression) break;
    std::string last = without_final_semicolon(rest);
    if (skip_blank(last, 0) == last.size()) continue;
    ++candidates;
    if (!is_expression(last, "(() => ", ")")) continue;
    if (!semicolon && continues_previous_line(last, head)) continue;
    // The boundary is real: the statements before it parse alone, and the
    // `;` is not in a comment (a `)` after it would be).
    if (!parses(head) || parses(std::string(head) + ")")) continue;
    plan.run = true;
    plan.head = std::string(head);
    plan.expression = std::move(last);
    return plan;
  }
  return plan;
}

struct EvalRequest {
  Promise<Value> promise;
  WebKitWebView* view = nullptr;  // a reference
  std::string slot;               // a JS string literal: the global run() uses
  std::string script;             // the script, while run is being installed
  ~EvalRequest() {
    if (view) g_object_unref(view);
  }
};

Error script_error(GError* error) {
  return Error{ErrorCode::kHandlerRejected, error ? error->message : "the script failed"};
}

void evaluate(EvalRequest* request, const std::string& script, GAsyncReadyCallback done) {
  webkit_web_view_evaluate_javascript(request->view, script.c_str(),
                                      static_cast<gssize>(script.size()), nullptr, kSourceUri,
                                      nullptr, done, request);
}

// Takes the settled value of a thenable result.
void on_taken(GObject* source, GAsyncResult* result, gpointer data) {
  std::unique_ptr<EvalRequest> request(static_cast<EvalRequest*>(data));
  GError* error = nullptr;
  JSCValue* value = webkit_web_view_call_async_javascript_function_finish(WEBKIT_WEB_VIEW(source),
                                                                          result, &error);
  if (!value) {
    request->promise.set(Unexpected{script_error(error)});
  } else {
    request->promise.set(value_from_page_result(value));
    g_object_unref(value);
  }
  g_clear_error(&error);
}

void on_run(GObject* source, GAsyncResult* result, gpointer data) {
  std::unique_ptr<EvalRequest> request(static_cast<EvalRequest*>(data));
  GError* error = nullptr;
  JSCValue* value =
      webkit_web_view_evaluate_javascript_finish(WEBKIT_WEB_VIEW(source), result, &error);
  if (!value) {
    request->promise.set(Unexpected{script_error(error)});
    g_clear_error(&error);
    return;
  }
  bool pending = jsc_value_is_string(value) && [&] {
    char* s = jsc_value_to_string(value);
    bool p = std::strcmp(s, "p") == 0;
    g_free(s);
    return p;
  }();
  if (!pending) {
    request->promise.set(value_from_page_result(value));
    g_object_unref(value);
    return;
  }
  g_object_unref(value);
  // The value is a thenable: WebKit awaits what this returns.
  std::string body = "const key = " + request->slot +
                     ";\nconst result = globalThis[key];\ndelete globalThis[key];\nreturn result;";
  EvalRequest* next = request.release();
  webkit_web_view_call_async_javascript_function(next->view, body.c_str(),
                                                 static_cast<gssize>(body.size()), nullptr, nullptr,
                                                 kSourceUri, nullptr, on_taken, next);
}

void on_runner_installed(GObject* source, GAsyncResult* result, gpointer data) {
  std::unique_ptr<EvalRequest> request(static_cast<EvalRequest*>(data));
  GError* error = nullptr;
  JSCValue* value =
      webkit_web_view_evaluate_javascript_finish(WEBKIT_WEB_VIEW(source), result, &error);
  if (!value) {
    request->promise.set(Unexpected{script_error(error)});
    g_clear_error(&error);
    return;
  }
  g_object_unref(value);
  EvalRequest* next = request.release();
  evaluate(next, next->script, on_run);
}

void on_script_done(GObject* source, GAsyncResult* result, gpointer data) {
  std::unique_ptr<EvalRequest> request(static_cast<EvalRequest*>(data));
  GError* error = nullptr;
  JSCValue* value =
      webkit_web_view_evaluate_javascript_finish(WEBKIT_WEB_VIEW(source), result, &error);
  if (!value) {
    request->promise.set(Unexpected{script_error(error)});
  } else {
    request->promise.set(value_from_jsc(value));
    g_object_unref(value);
  }
  g_clear_error(&error);
}

}  // namespace

Future<Value> BrowserWindow::Impl::execute_javascript(std::string code) {
  if (!view)
    return Future<Value>::ready(make_error(ErrorCode::kDisconnected, "the window is destroyed"));
  static std::uint64_t next_slot = 1;
  auto* request = new EvalRequest();
  auto future = request->promise.future();
  request->view = WEBKIT_WEB_VIEW(g_object_ref(view));
  Plan plan = plan_for(code);
  if (!plan.run) {
    evaluate(request, code, on_script_done);
    return future;
  }
  request->slot = "'__valenceExecuteJavaScript" + std::to_string(next_slot++) + "'";
  std::string slot = "globalThis[" + request->slot + "]";
  // The statements, then run(thunk, key) as the last expression statement:
  // the script's completion value is run()'s string. The thunk comes first
  // (the expression keeps its line numbers); run is made before the thunk
  // is called, here or, when there are statements (which may change the
  // intrinsics run captures), by a script of its own before them.
  std::string script = plan.head + (plan.head.empty() ? "" : ";") + "((thunk, run) => run(thunk, " +
                       request->slot + "))(() => (" + plan.expression + "\n), " + slot + " || " +
                       kPageEncoderJs + ")\n";
  if (plan.head.empty()) {
    evaluate(request, script, on_run);
  } else {
    request->script = std::move(script);
    evaluate(request, slot + " = " + kPageEncoderJs + ";\n0\n", on_runner_installed);
  }
  return future;
}

}  // namespace valence
