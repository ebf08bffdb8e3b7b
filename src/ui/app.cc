#include "valence/ui/app.h"

#include <gtk/gtk.h>
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "base/random.h"
#include "ipc/common/protocol.h"
#include "transport/socket_posix.h"
#include "ui/app_impl.h"
#include "valence/glib_loop.h"

#ifndef VALENCE_WEB_EXTENSION_BUILD_DIR
#define VALENCE_WEB_EXTENSION_BUILD_DIR ""
#endif
#ifndef VALENCE_WEB_EXTENSION_INSTALL_DIR
#define VALENCE_WEB_EXTENSION_INSTALL_DIR ""
#endif
#ifndef VALENCE_VERSION
#define VALENCE_VERSION "0"
#endif

namespace valence {
namespace {

App* g_app = nullptr;  // App::current(): one App per process, as Electron's `app`

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::string(v) != "0";
}

// Where libvalence-web-extension.so is: $VALENCE_WEB_EXTENSION_DIR, else the
// build tree's, else the installed one.
std::string extension_dir() {
  namespace fs = std::filesystem;
  if (const char* dir = std::getenv("VALENCE_WEB_EXTENSION_DIR"); dir && *dir) return dir;
  std::error_code ec;
  for (const char* dir : {VALENCE_WEB_EXTENSION_BUILD_DIR, VALENCE_WEB_EXTENSION_INSTALL_DIR})
    if (*dir && fs::exists(fs::path(dir) / "libvalence-web-extension.so", ec)) return dir;
  return VALENCE_WEB_EXTENSION_INSTALL_DIR;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  return out + "\"";
}

void on_initialize_web_extensions(WebKitWebContext* context, gpointer data) {
  auto* impl = static_cast<App::Impl*>(data);
  // A token per web process: the extension proves with it that it runs in a
  // process this App's WebKit context started.
  std::string token = random_hex_id();
  ipc::MainProcessImpl::from(*impl->main).pages().add_token(token);
  webkit_web_context_set_web_extensions_directory(context, extension_dir().c_str());
  GVariantBuilder builder;
  g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add(&builder, "{sv}", "socket",
                        g_variant_new_string(impl->page_server->socket_path().c_str()));
  g_variant_builder_add(&builder, "{sv}", "token", g_variant_new_string(token.c_str()));
  g_variant_builder_add(&builder, "{sv}", "config",
                        g_variant_new_string(impl->config_json.c_str()));
  g_variant_builder_add(&builder, "{sv}", "hooks", g_variant_new_boolean(impl->options.test_hooks));
  g_variant_builder_add(&builder, "{sv}", "malloc",
                        g_variant_new_boolean(impl->options.tune_malloc));
  webkit_web_context_set_web_extensions_initialization_user_data(context,
                                                                 g_variant_builder_end(&builder));
}

}  // namespace

void tune_malloc() {
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 128 << 20);
}

WebKitWebContext* App::Impl::web_context() {
  if (context) return context;
  start_page_server();
  context = webkit_web_context_new();
  if (options.sandbox) {
    webkit_web_context_set_sandbox_enabled(context, TRUE);
    // Neither directory is visible inside the sandbox otherwise (the
    // extension would silently not load; the socket would not be found).
    webkit_web_context_add_path_to_sandbox(context, extension_dir().c_str(), TRUE);
    webkit_web_context_add_path_to_sandbox(context, page_server->directory().c_str(), TRUE);
  }
  g_signal_connect(context, "initialize-web-extensions", G_CALLBACK(on_initialize_web_extensions),
                   this);
  return context;
}

void App::Impl::start_page_server() {
  auto server = ipc::PageServer::start(*main);
  if (!server) {
    std::fprintf(stderr, "valence: %s\n", server.error().message.c_str());
    std::abort();
  }
  page_server = std::move(server).value();
}

void App::Impl::window_closed(int id) {
  windows.erase(id);
  if (!windows.empty() || quitting) return;
  if (window_all_closed.empty()) {
    loop->quit();
    return;
  }
  for (auto& cb : window_all_closed) cb();
}

App::App()
    : App(
          *[] {
            static int argc = 0;
            return &argc;
          }(),
          *[] {
            static char* argv_storage[] = {nullptr};
            static char** argv = argv_storage;
            return &argv;
          }()) {}

App::App(int& argc, char**& argv, AppOptions options) : impl_(std::make_unique<Impl>()) {
  if (g_app) {
    std::fprintf(stderr, "valence: only one App per process\n");
    std::abort();
  }
  if (!gtk_init_check(&argc, &argv)) {
    std::fprintf(stderr,
                 "valence: cannot open a display (DISPLAY=%s, WAYLAND_DISPLAY=%s); run under "
                 "a desktop session or xvfb-run\n",
                 std::getenv("DISPLAY") ? std::getenv("DISPLAY") : "",
                 std::getenv("WAYLAND_DISPLAY") ? std::getenv("WAYLAND_DISPLAY") : "");
    std::exit(1);
  }
  g_app = this;
  if (env_flag("VALENCE_DISABLE_SANDBOX")) options.sandbox = false;
  if (env_flag("VALENCE_TEST_HOOKS")) options.test_hooks = true;
  if (env_flag("VALENCE_CONSOLE")) options.console_to_stdout = true;
  if (const char* v = std::getenv("VALENCE_MALLOC_TUNING"); v && std::string(v) == "0")
    options.tune_malloc = false;
  if (options.tune_malloc) tune_malloc();
  impl_->options = options;
  impl_->loop = create_glib_loop();
  impl_->main = std::make_unique<MainProcess>(*impl_->loop);
  std::string versions = "{";
  for (const auto& [name, version] : App::versions()) {
    if (versions.size() > 1) versions += ",";
    versions += json_string(name) + ":" + json_string(version);
  }
  impl_->config_json = "{\"versions\":" + versions + "}}";
}

App::~App() {
  impl_->quitting = true;
  auto windows = impl_->windows;
  for (auto& [id, w] : windows) w->destroy();
  windows.clear();
  impl_->windows.clear();
  impl_->remote.reset();
  impl_->main.reset();
  if (impl_->context) g_object_unref(impl_->context);
  impl_->page_server.reset();
  impl_->loop.reset();
  g_app = nullptr;
}

App* App::current() noexcept {
  return g_app;
}

EventLoop& App::loop() noexcept {
  return *impl_->loop;
}

MainProcess& App::main_process() noexcept {
  return *impl_->main;
}

void App::when_ready(UniqueFunction<void()> callback) {
  if (impl_->ready) {
    callback();
    return;
  }
  impl_->when_ready.push_back(std::move(callback));
}

bool App::is_ready() const noexcept {
  return impl_->ready;
}

void App::on_window_all_closed(UniqueFunction<void()> callback) {
  impl_->window_all_closed.push_back(std::move(callback));
}

void App::quit() {
  impl_->quitting = true;
  auto windows = impl_->windows;
  for (auto& [id, w] : windows) w->destroy();
  impl_->loop->quit();
}

int App::run() {
  impl_->quitting = false;
  impl_->loop->post([this] {
    impl_->ready = true;
    auto callbacks = std::move(impl_->when_ready);
    for (auto& cb : callbacks) cb();
  });
  impl_->running = true;
  impl_->loop->run();
  impl_->running = false;
  return 0;
}

std::vector<std::shared_ptr<BrowserWindow>> App::windows() const {
  std::vector<std::shared_ptr<BrowserWindow>> out;
  for (const auto& [id, w] : impl_->windows) out.push_back(w);
  return out;
}

remote::Registry& App::remote() {
  if (!impl_->remote) {
    impl_->remote = std::make_unique<remote::Registry>(main_process());
    register_remote_builtins(*this, *impl_->remote);
  }
  return *impl_->remote;
}

std::string App::name() const {
  const char* n = g_get_application_name();
  return n ? n : "valence";
}

void App::set_name(const std::string& name) {
  g_set_application_name(name.c_str());
}

std::string App::resource_path(const std::string& name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return name;
  return (exe.parent_path() / name).string();
}

std::vector<std::pair<std::string, std::string>> App::versions() {
  auto v = [](unsigned a, unsigned b, unsigned c) {
    return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c);
  };
  return {
      {"valence", VALENCE_VERSION},
      {"webkitgtk",
       v(webkit_get_major_version(), webkit_get_minor_version(), webkit_get_micro_version())},
      {"gtk", v(gtk_get_major_version(), gtk_get_minor_version(), gtk_get_micro_version())},
  };
}

}  // namespace valence
