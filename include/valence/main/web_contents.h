// WebContents: the main process's handle on one renderer — a web page's
// process or a native child process — with Electron's API: id, process id,
// send(), and events.
//
// Thread safety: loop-affine (the main process's loop). Shared ownership:
// the MainProcess holds each WebContents while its process lives; callers
// may keep theirs longer (sends then fail and return false).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "valence/base/future.h"
#include "valence/base/result.h"
#include "valence/base/unique_function.h"
#include "valence/detail/typed_call.h"
#include "valence/message_port.h"
#include "valence/value.h"

namespace valence {

// Electron's render-process-gone details. reason: "clean-exit",
// "abnormal-exit", "killed", "crashed" or "launch-failed".
// A web process's exit status is unknown to main (-1 in both fields) unless
// main ended it: WebKit reports only a reason (docs/electron-differences.md).
struct RenderProcessGoneDetails {
  std::string reason;
  int exit_code = 0;  // the exit status, or the signal number for killed/crashed
  int signal = 0;     // the terminating signal, 0 if it exited
};

// Electron's did-fail-load details. error_code is a Chromium net error
// (-6 ERR_FILE_NOT_FOUND, -102 ERR_CONNECTION_REFUSED, -3 ERR_ABORTED, ...)
// and error_description its name ("ERR_FILE_NOT_FOUND"); a page's are mapped
// from WebKit's errors (docs/electron-differences.md).
struct DidFailLoadDetails {
  int error_code = 0;
  std::string error_description;
  std::string validated_url;  // the URL that failed to load
  bool is_main_frame = true;
};

// What the app sees of a renderer. The IPC core and the ui layer drive it
// through ipc::WebContentsImpl (src/ipc/main/web_contents_impl.h), the one
// implementation, so this header carries only Electron's API.
class WebContents : public std::enable_shared_from_this<WebContents> {
 public:
  virtual ~WebContents() = default;
  WebContents(const WebContents&) = delete;
  WebContents& operator=(const WebContents&) = delete;

  virtual int id() const noexcept = 0;
  // The renderer's OS process id.
  virtual int process_id() const noexcept = 0;
  // False once the renderer's process is gone or was disconnected.
  virtual bool is_connected() const noexcept = 0;
  virtual bool is_crashed() const noexcept = 0;

  // webContents.send(channel, ...args). False when the renderer is gone, or
  // an argument cannot be cloned (reported to the error reporter with its path).
  template <class... A>
  bool send(std::string_view channel, A&&... args) {
    return send_values(channel, detail::pack_args(std::forward<A>(args)...));
  }
  virtual bool send_values(std::string_view channel, std::vector<Value> args) = 0;

  // webContents.postMessage(channel, message, [ports]): the ports leave this
  // process; the renderer's listeners get them in event.ports. Errors:
  // kCloneError (DataCloneError: see MessagePort), kDisconnected.
  virtual Result<void> post_message(std::string_view channel, Value message,
                                    std::vector<std::shared_ptr<MessagePort>> transfer = {}) = 0;

  // Ends the renderer's process (SIGKILL; a page's web process is
  // terminated through WebKit).
  virtual void kill() = 0;

  // Web pages only: runs `code` in the page's main world and resolves with
  // its completion value (a Promise is awaited), as Electron's
  // webContents.executeJavaScript. Errors: the script threw (the message is
  // the exception's), the value cannot be cloned, or this is not a page.
  virtual Future<Value> execute_javascript(std::string code) = 0;
  virtual bool is_page() const noexcept = 0;
  // Web pages only: WebKit's inspector (Electron's developer tools).
  virtual void open_dev_tools() = 0;
  virtual void close_dev_tools() = 0;
  virtual void toggle_dev_tools() = 0;

  // Events. The renderer connected and is ready for messages.
  virtual void on_did_finish_load(UniqueFunction<void()> callback) = 0;
  // Web pages only: a load failed or was cancelled (by a newer one, say);
  // did-finish-load does not follow. WebKit reports failures of the top
  // frame only: is_main_frame is true.
  virtual void on_did_fail_load(UniqueFunction<void(const DidFailLoadDetails&)> callback) = 0;
  // The process ended; after this, sends fail.
  virtual void on_render_process_gone(
      UniqueFunction<void(const RenderProcessGoneDetails&)> callback) = 0;
  // The renderer broke the protocol and was disconnected (and killed).
  // The reason names what was wrong.
  virtual void on_bad_message(UniqueFunction<void(const std::string& reason)> callback) = 0;

 protected:
  WebContents() = default;
};

}  // namespace valence
