// The open-file app of Electron's IPC tutorial (pattern 2, renderer to main,
// two-way: ipcRenderer.invoke -> ipcMain.handle with dialog.showOpenDialog),
// with its preload.js, index.html and renderer.js as the tutorial prints
// them. This file is its main.js.
#include "valence/ui/app.h"
#include "valence/ui/browser_window.h"
#include "valence/ui/dialog.h"

using namespace valence;

// async function handleFileOpen () {
//   const { canceled, filePaths } = await dialog.showOpenDialog()
//   if (!canceled) return filePaths[0]
// }
Future<Value> handle_file_open(IpcMainInvokeEvent&) {
  Promise<Value> result;
  auto future = result.future();
  dialog::show_open_dialog().then(
      [result = std::move(result)](Result<dialog::OpenDialogReturnValue> r) mutable {
        if (r && !r->canceled)
          result.set(Value(r->file_paths[0]));
        else
          result.set(Value());
      });
  return future;
}

void create_window(App& app) {
  auto main_window = BrowserWindow::create(
      app, {.web_preferences = {.preload = App::resource_path("preload.js")}});
  if (!main_window) return;
  (void)(*main_window)->load_file(App::resource_path("index.html"));
}

int main(int argc, char** argv) {
  App app(argc, argv);
  app.when_ready([&] {
    (void)app.ipc_main().handle("dialog:openFile", handle_file_open);
    create_window(app);
  });
  return app.run();
}
