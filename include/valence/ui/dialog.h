// dialog: Electron's dialog.showOpenDialog / showOpenDialogSync on GTK's file
// chooser.
//
//   dialog::show_open_dialog(win, {.properties = {"openFile"}}).then(
//       [](Result<dialog::OpenDialogReturnValue> r) { ... r->canceled, r->file_paths ... });
//
// Tests answer dialogs without a user through set_test_responder (or drive
// the real GTK dialog with input events, as tests/web/seed_apps_test.cc does).
//
// Thread safety: loop-affine (the GTK main thread).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "valence/base/future.h"
#include "valence/base/unique_function.h"

namespace valence {

class BrowserWindow;

namespace dialog {

struct FileFilter {
  std::string name;
  std::vector<std::string> extensions;  // without the dot; "*" for any
};

struct OpenDialogOptions {
  std::string title{};
  std::string default_path{};
  std::string button_label{};
  std::vector<FileFilter> filters{};
  // Electron's: "openFile" (the default), "openDirectory", "multiSelections",
  // "showHiddenFiles", "createDirectory".
  std::vector<std::string> properties{};
};

struct OpenDialogReturnValue {
  bool canceled = true;
  std::vector<std::string> file_paths;
};

// Shows the dialog (modal to `window` when given) and resolves when the user
// answers. Errors: no App.
Future<OpenDialogReturnValue> show_open_dialog(const std::shared_ptr<BrowserWindow>& window,
                                               OpenDialogOptions options = {});
Future<OpenDialogReturnValue> show_open_dialog(OpenDialogOptions options = {});
// Blocks (running a nested loop, as GTK's dialogs do) until the user answers.
OpenDialogReturnValue show_open_dialog_sync(const std::shared_ptr<BrowserWindow>& window,
                                            OpenDialogOptions options = {});

// Test hook: while set, dialogs are not shown; the responder answers each
// (from the loop, as a user would later). Pass nullptr to show them again.
using TestResponder = UniqueFunction<OpenDialogReturnValue(const OpenDialogOptions&)>;
void set_test_responder(TestResponder responder);

}  // namespace dialog
}  // namespace valence
