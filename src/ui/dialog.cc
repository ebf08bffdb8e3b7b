#include "valence/ui/dialog.h"

#include <gtk/gtk.h>

#include <algorithm>

#include "ui/app_impl.h"

namespace valence::dialog {
namespace {

dialog::TestResponder& responder() {
  static TestResponder r;  // a test hook: one per process, like the App
  return r;
}

bool has(const OpenDialogOptions& o, const char* property) {
  return std::find(o.properties.begin(), o.properties.end(), property) != o.properties.end();
}

GtkWidget* make_chooser(GtkWindow* parent, const OpenDialogOptions& o) {
  bool directory = has(o, "openDirectory");
  GtkFileChooserAction action =
      directory ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER : GTK_FILE_CHOOSER_ACTION_OPEN;
  std::string title = !o.title.empty() ? o.title : directory ? "Open Folder" : "Open File";
  std::string accept = o.button_label.empty() ? "_Open" : o.button_label;
  GtkWidget* chooser =
      gtk_file_chooser_dialog_new(title.c_str(), parent, action, "_Cancel", GTK_RESPONSE_CANCEL,
                                  accept.c_str(), GTK_RESPONSE_ACCEPT, nullptr);
  GtkFileChooser* fc = GTK_FILE_CHOOSER(chooser);
  gtk_file_chooser_set_select_multiple(fc, has(o, "multiSelections"));
  gtk_file_chooser_set_show_hidden(fc, has(o, "showHiddenFiles"));
  gtk_file_chooser_set_create_folders(fc, has(o, "createDirectory"));
  if (!o.default_path.empty()) {
    if (g_file_test(o.default_path.c_str(), G_FILE_TEST_IS_DIR))
      gtk_file_chooser_set_current_folder(fc, o.default_path.c_str());
    else
      gtk_file_chooser_set_filename(fc, o.default_path.c_str());
  }
  for (const auto& f : o.filters) {
    GtkFileFilter* filter = gtk_file_filter_new();
    gtk_file_filter_set_name(filter, f.name.c_str());
    for (const auto& ext : f.extensions)
      gtk_file_filter_add_pattern(filter, ext == "*" ? "*" : ("*." + ext).c_str());
    gtk_file_chooser_add_filter(fc, filter);  // takes the floating reference
  }
  return chooser;
}

OpenDialogReturnValue result_of(GtkWidget* chooser, int response) {
  OpenDialogReturnValue r;
  if (response != GTK_RESPONSE_ACCEPT) return r;
  GSList* files = gtk_file_chooser_get_filenames(GTK_FILE_CHOOSER(chooser));
  for (GSList* l = files; l; l = l->next) {
    r.file_paths.emplace_back(static_cast<char*>(l->data));
    g_free(l->data);
  }
  g_slist_free(files);
  r.canceled = r.file_paths.empty();
  return r;
}

GtkWindow* parent_of(const std::shared_ptr<BrowserWindow>& window) {
  return window && !window->is_destroyed() ? GTK_WINDOW(window->native_window()) : nullptr;
}

struct Pending {
  Promise<OpenDialogReturnValue> promise;
};

void on_response(GtkDialog* chooser, int response, gpointer data) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(data));
  auto r = result_of(GTK_WIDGET(chooser), response);
  gtk_widget_destroy(GTK_WIDGET(chooser));
  pending->promise.set(std::move(r));
}

}  // namespace

void set_test_responder(TestResponder r) {
  responder() = std::move(r);
}

Future<OpenDialogReturnValue> show_open_dialog(const std::shared_ptr<BrowserWindow>& window,
                                               OpenDialogOptions options) {
  App* app = App::current();
  if (!app)
    return Future<OpenDialogReturnValue>::ready(
        make_error(ErrorCode::kFailed, "dialog.showOpenDialog: no App"));
  if (responder()) {
    auto promise = std::make_shared<Promise<OpenDialogReturnValue>>();
    auto future = promise->future();
    app->loop().post([promise, options = std::move(options)] {
      if (responder())
        promise->set(responder()(options));
      else
        promise->set(OpenDialogReturnValue{});
    });
    return future;
  }
  GtkWidget* chooser = make_chooser(parent_of(window), options);
  auto* pending = new Pending();
  auto future = pending->promise.future();
  g_signal_connect(chooser, "response", G_CALLBACK(on_response), pending);
  gtk_window_set_modal(GTK_WINDOW(chooser), window != nullptr);
  gtk_widget_show(chooser);
  return future;
}

Future<OpenDialogReturnValue> show_open_dialog(OpenDialogOptions options) {
  return show_open_dialog(nullptr, std::move(options));
}

OpenDialogReturnValue show_open_dialog_sync(const std::shared_ptr<BrowserWindow>& window,
                                            OpenDialogOptions options) {
  if (responder()) return responder()(options);
  GtkWidget* chooser = make_chooser(parent_of(window), options);
  int response = gtk_dialog_run(GTK_DIALOG(chooser));
  auto r = result_of(chooser, response);
  gtk_widget_destroy(chooser);
  return r;
}

}  // namespace valence::dialog
