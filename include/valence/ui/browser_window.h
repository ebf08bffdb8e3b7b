// BrowserWindow: a top-level window showing one web page — Electron's
// BrowserWindow on GTK 3 and WebKitGTK 4.1. The page runs in a WebKit web
// process; its preload script runs there in an isolated world with
// require('electron') = { ipcRenderer, contextBridge }, and its
// web_contents() is the same WebContents type as a native child's.
//
// Thread safety: loop-affine (the GTK main thread). The App keeps every open
// window alive; after close() / destroy() a kept shared_ptr reports
// is_destroyed() and its calls do nothing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "valence/base/result.h"
#include "valence/base/unique_function.h"
#include "valence/main/web_contents.h"

namespace valence {

class App;

struct WebPreferences {
  // A script run before the page's scripts, in the isolated preload world.
  std::string preload{};
  // Only true is supported: the preload world is always isolated.
  bool context_isolation = true;
  // Preload scripts never get Node; WebKit's process sandbox is App-wide
  // (AppOptions::sandbox). Kept for Electron's option names.
  bool sandbox = true;
  // For legacy pages that call require('electron') themselves: the page's
  // main world gets `require('electron')` = { ipcRenderer } and `process`
  // (through the contextBridge, so still no Node and no preload objects).
  // Off by default, as in Electron.
  bool node_integration = false;
  // require('electron').remote in the preload (App::remote() says what it
  // reaches). Off by default, as in Electron >= 10.
  bool enable_remote_module = false;
};

struct BrowserWindowOptions {
  int width = 800;
  int height = 600;
  std::string title = "valence";
  bool show = true;
  WebPreferences web_preferences{};
};

class BrowserWindow : public std::enable_shared_from_this<BrowserWindow> {
 public:
  // Errors: unsupported options (context_isolation = false), an unreadable
  // preload file.
  static Result<std::shared_ptr<BrowserWindow>> create(App& app, BrowserWindowOptions options = {});
  ~BrowserWindow();
  BrowserWindow(const BrowserWindow&) = delete;
  BrowserWindow& operator=(const BrowserWindow&) = delete;

  int id() const noexcept { return id_; }
  const std::shared_ptr<WebContents>& web_contents() const noexcept { return contents_; }

  // Loads a file (a path, made absolute) or a URL. The load ends with
  // web_contents()'s did-finish-load, or did-fail-load when it fails (a
  // refused connection, a missing file, a newer load that cancels it).
  Result<void> load_file(const std::string& path);
  Result<void> load_url(const std::string& url);
  std::string get_url() const;

  void set_title(const std::string& title);
  std::string get_title() const;
  // The window's size, as GTK has it ([width, height]).
  std::pair<int, int> get_size() const;
  void show();
  void hide();
  bool is_visible() const;
  // Closes the window as the user would (closed follows).
  void close();
  // Closes at once.
  void destroy();
  bool is_destroyed() const noexcept;

  // Events.
  void on_closed(UniqueFunction<void()> callback);
  // The first load ended (with did-finish-load or did-fail-load): the
  // window can be shown with content, blank for a failed load.
  void on_ready_to_show(UniqueFunction<void()> callback);
  // The page's <title> changed; the window's title follows it unless a
  // listener returns true (Electron's event.preventDefault()).
  void on_page_title_updated(UniqueFunction<bool(const std::string& title)> callback);

  static std::shared_ptr<BrowserWindow> from_web_contents(const WebContents& contents);
  static std::shared_ptr<BrowserWindow> from_id(int id);
  static std::vector<std::shared_ptr<BrowserWindow>> get_all_windows();

  // The GtkWindow* and WebKitWebView* (for code that uses GTK directly).
  void* native_window() const noexcept;
  void* native_view() const noexcept;

  struct Impl;
  explicit BrowserWindow(int id);
  Impl& impl() noexcept { return *impl_; }

 private:
  friend struct Impl;
  int id_;
  std::shared_ptr<WebContents> contents_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace valence
