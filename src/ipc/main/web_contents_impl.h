// WebContentsImpl: the one implementation of valence::WebContents, and what
// the IPC core and the ui layer need of it beyond Electron's API: which
// connection serves it, its page's window, and raising its events. Kept out
// of include/valence/ so the app cannot reach any of it, as Chromium keeps
// content::WebContentsImpl behind content::WebContents.
//
// Thread safety: loop-affine (the main process's loop).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "valence/main/web_contents.h"

namespace valence::ipc {

class ChildHost;

class WebContentsImpl final : public WebContents {
 public:
  // What a window system provides for a page's WebContents (the ui layer's
  // BrowserWindow); the IPC core knows no window.
  class Page {
   public:
    virtual void terminate() = 0;
    virtual Future<Value> execute_javascript(std::string code) = 0;
    virtual void toggle_dev_tools() = 0;
    virtual bool dev_tools_open() const = 0;

   protected:
    ~Page() = default;
  };

  explicit WebContentsImpl(int id) : id_(id) {}
  ~WebContentsImpl() override;

  // Every WebContents is a WebContentsImpl: only this class derives from it.
  static WebContentsImpl& from(WebContents& contents) noexcept {
    return static_cast<WebContentsImpl&>(contents);
  }
  static std::shared_ptr<WebContentsImpl> from(const std::shared_ptr<WebContents>& contents) {
    return std::static_pointer_cast<WebContentsImpl>(contents);
  }

  // ---- WebContents ----------------------------------------------------------
  int id() const noexcept override { return id_; }
  int process_id() const noexcept override { return pid_; }
  bool is_connected() const noexcept override;
  bool is_crashed() const noexcept override { return gone_; }
  bool send_values(std::string_view channel, std::vector<Value> args) override;
  Result<void> post_message(std::string_view channel, Value message,
                            std::vector<std::shared_ptr<MessagePort>> transfer = {}) override;
  void kill() override;
  Future<Value> execute_javascript(std::string code) override;
  bool is_page() const noexcept override { return page_ != nullptr; }
  void open_dev_tools() override;
  void close_dev_tools() override;
  void toggle_dev_tools() override;
  void on_did_finish_load(UniqueFunction<void()> callback) override;
  void on_did_fail_load(UniqueFunction<void(const DidFailLoadDetails&)> callback) override;
  void on_render_process_gone(
      UniqueFunction<void(const RenderProcessGoneDetails&)> callback) override;
  void on_bad_message(UniqueFunction<void(const std::string& reason)> callback) override;

  // ---- the IPC core -----------------------------------------------------------
  // The connection that serves this renderer (null while there is none).
  ChildHost* host() const noexcept { return host_; }
  // `host` now serves this renderer, a process with `pid` (a page whose
  // process was gone is back: a new web process after a crash).
  void attach(ChildHost& host, int pid) noexcept {
    host_ = &host;
    pid_ = pid;
    gone_ = false;
  }
  // Sends what a page's app sent before its connection was bound.
  void send_queued();
  // `host` stopped serving this renderer (no-op if another one replaced it).
  void detach(const ChildHost& host) noexcept {
    if (host_ == &host) host_ = nullptr;
  }

  // ---- the window system ------------------------------------------------------
  Page* page() const noexcept { return page_; }
  void set_page(Page* page) noexcept { page_ = page; }

  // ---- events (raised by the IPC core and the ui layer) ------------------------
  void emit_did_finish_load();
  void emit_did_fail_load(const DidFailLoadDetails& details);
  // Marks the renderer gone first: the callbacks see is_crashed().
  void emit_render_process_gone(const RenderProcessGoneDetails& details);
  void emit_bad_message(const std::string& reason);

 private:
  int id_;
  int pid_ = 0;
  bool gone_ = false;
  ChildHost* host_ = nullptr;  // owned by the MainProcess; null once gone
  Page* page_ = nullptr;       // set by the page's window while it lives
  // A page's sends before its connection is confirmed (milliseconds after
  // the window opens); send_queued() sends them.
  std::vector<std::pair<std::string, std::vector<Value>>> queued_sends_;
  std::vector<UniqueFunction<void()>> on_did_finish_load_;
  std::vector<UniqueFunction<void(const DidFailLoadDetails&)>> on_did_fail_load_;
  std::vector<UniqueFunction<void(const RenderProcessGoneDetails&)>> on_gone_;
  std::vector<UniqueFunction<void(const std::string&)>> on_bad_message_;
};

}  // namespace valence::ipc
