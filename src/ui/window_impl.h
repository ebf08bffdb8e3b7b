// BrowserWindow::Impl: a window's GTK widgets, what its page's WebContents
// asks of a window (WebContentsImpl::Page), and its event callbacks (ui layer
// internals).
// Thread safety: loop-affine (the GTK main thread).
#pragma once

#include <webkit2/webkit2.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipc/main/web_contents_impl.h"
#include "valence/ui/app.h"
#include "valence/ui/browser_window.h"
#include "valence/ui/menu.h"

namespace valence {

struct BrowserWindow::Impl final : ipc::WebContentsImpl::Page {
  BrowserWindow* owner = nullptr;
  // The page's WebContents (BrowserWindow::web_contents(), the same object),
  // with what the window raises on it.
  std::shared_ptr<ipc::WebContentsImpl> contents;
  App* app = nullptr;
  GtkWidget* window = nullptr;
  GtkWidget* box = nullptr;  // the menu bar (if any) above the view
  GtkWidget* menubar = nullptr;
  GtkAccelGroup* accel = nullptr;
  WebKitWebView* view = nullptr;
  bool destroyed = false;
  bool ready_to_show_fired = false;
  // The current load's failure: WebKit ends a failed load with
  // LOAD_FINISHED too, which then fires did-fail-load, not did-finish-load.
  std::optional<DidFailLoadDetails> load_failure;
  // A load ended (did-finish-load or did-fail-load was fired): the first
  // fires ready-to-show.
  void load_ended();
  bool show_on_create = true;
  WebPreferences web_preferences;  // what it was created with (windows a page opens inherit them)
  std::vector<UniqueFunction<void()>> on_closed;
  std::vector<UniqueFunction<void()>> on_ready_to_show;
  std::vector<UniqueFunction<bool(const std::string&)>> on_title;

  void terminate() override {
    if (view) webkit_web_view_terminate_web_process(view);
  }
  Future<Value> execute_javascript(std::string code) override;
  void toggle_dev_tools() override;
  bool dev_tools_open() const override { return inspector_open; }
  bool inspector_open = false;
  // Shows `menu` as this window's menu bar (menu.cc); null removes it.
  void set_menu(const std::shared_ptr<Menu>& menu);

  static void on_destroy(GtkWidget*, gpointer data);
  static gboolean on_user_message(WebKitWebView*, WebKitUserMessage* message, gpointer data);
  static void on_load_changed(WebKitWebView*, WebKitLoadEvent event, gpointer data);
  static gboolean on_load_failed(WebKitWebView*, WebKitLoadEvent event, gchar* uri, GError* error,
                                 gpointer data);
  static gboolean on_load_failed_with_tls_errors(WebKitWebView*, gchar* uri, GTlsCertificate*,
                                                 GTlsCertificateFlags errors, gpointer data);
  static void on_title_changed(GObject*, GParamSpec*, gpointer data);
  static void on_process_terminated(WebKitWebView*, WebKitWebProcessTerminationReason reason,
                                    gpointer data);
};

// executeJavaScript's page side (js_value.cc): an expression whose value is
// run(thunk), which calls thunk (the app's code), awaits its value and
// resolves with it structured-cloned into a string; and what the UI process
// makes of that string (the value, the exception, or the clone error).
extern const char* const kPageEncoderJs;
Result<Value> value_from_page_result(JSCValue* result);

}  // namespace valence
