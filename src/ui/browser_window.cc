#include "valence/ui/browser_window.h"

#include <gtk/gtk.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ipc/common/protocol.h"
#include "ui/app_impl.h"
#include "ui/window_impl.h"

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
  owner->contents_->set_page(nullptr);
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
  impl->app->main_process().bind_page(nonce, impl->owner->contents_);
  return TRUE;
}

void BrowserWindow::Impl::on_load_changed(WebKitWebView*, WebKitLoadEvent event, gpointer data) {
  auto* impl = static_cast<Impl*>(data);
  if (event != WEBKIT_LOAD_FINISHED) return;
  auto self = impl->owner->shared_from_this();
  impl->owner->contents_->emit_did_finish_load();
  if (!impl->ready_to_show_fired && !impl->destroyed) {
    impl->ready_to_show_fired = true;
    auto callbacks = std::move(impl->on_ready_to_show);
    for (auto& cb : callbacks) cb();
  }
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
  impl->owner->contents_->emit_render_process_gone(details);
}

BrowserWindow::BrowserWindow(int id) : id_(id), impl_(std::make_unique<Impl>()) {}

BrowserWindow::~BrowserWindow() {
  if (impl_->window) {
    g_signal_handlers_disconnect_by_data(impl_->window, impl_.get());
    if (impl_->view) g_signal_handlers_disconnect_by_data(impl_->view, impl_.get());
    gtk_widget_destroy(impl_->window);
  }
  if (contents_) contents_->set_page(nullptr);
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
  win->contents_ = app.main_process().create_page_contents();
  win->contents_->set_page(&impl);

  WebKitUserContentManager* content = webkit_user_content_manager_new();
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
  // As the window manager's close button: GTK then destroys the window.
  if (impl_->window) gtk_window_close(GTK_WINDOW(impl_->window));
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
// Electron runs the code as a script of the page and awaits a Promise result,
// whatever the page's Content-Security-Policy says. WebKit offers two calls
// that are not subject to CSP: call_async_javascript_function awaits but
// takes a function body, evaluate_javascript takes a script but does not
// await. So the code is first tried as an expression (awaited); only when it
// does not parse as one (statements: a SyntaxError, raised before anything
// ran) is it run as a script, whose completion value is the result.

namespace {

struct EvalRequest {
  Promise<Value> promise;
  std::string code;
  WebKitWebView* view = nullptr;  // a reference
  ~EvalRequest() {
    if (view) g_object_unref(view);
  }
};

void finish(EvalRequest& request, JSCValue* value, GError* error) {
  if (!value) {
    std::string message = error ? error->message : "the script failed";
    request.promise.set(make_error(ErrorCode::kHandlerRejected, message));
    return;
  }
  auto converted = value_from_jsc(value);
  g_object_unref(value);
  request.promise.set(std::move(converted));
}

void on_script_done(GObject* source, GAsyncResult* result, gpointer data) {
  std::unique_ptr<EvalRequest> request(static_cast<EvalRequest*>(data));
  GError* error = nullptr;
  JSCValue* value =
      webkit_web_view_evaluate_javascript_finish(WEBKIT_WEB_VIEW(source), result, &error);
  finish(*request, value, error);
  g_clear_error(&error);
}

void on_expression_done(GObject* source, GAsyncResult* result, gpointer data) {
  std::unique_ptr<EvalRequest> request(static_cast<EvalRequest*>(data));
  GError* error = nullptr;
  JSCValue* value = webkit_web_view_call_async_javascript_function_finish(WEBKIT_WEB_VIEW(source),
                                                                          result, &error);
  if (!value && error && std::string(error->message).find("SyntaxError") != std::string::npos) {
    g_clear_error(&error);
    EvalRequest* again = request.release();
    webkit_web_view_evaluate_javascript(
        again->view, again->code.c_str(), static_cast<gssize>(again->code.size()), nullptr,
        "valence://execute-javascript", nullptr, on_script_done, again);
    return;
  }
  finish(*request, value, error);
  g_clear_error(&error);
}

}  // namespace

Future<Value> BrowserWindow::Impl::execute_javascript(std::string code) {
  if (!view)
    return Future<Value>::ready(make_error(ErrorCode::kDisconnected, "the window is destroyed"));
  auto* request = new EvalRequest();
  auto future = request->promise.future();
  request->code = std::move(code);
  request->view = WEBKIT_WEB_VIEW(g_object_ref(view));
  std::string body = "return (" + request->code + "\n);";
  webkit_web_view_call_async_javascript_function(
      view, body.c_str(), static_cast<gssize>(body.size()), nullptr, nullptr,
      "valence://execute-javascript", nullptr, on_expression_done, request);
  return future;
}

}  // namespace valence
