#include "ipc/main/web_contents_impl.h"

#include "ipc/main/child_host.h"

namespace valence::ipc {
namespace {
constexpr std::size_t kMaxQueuedSends = 4096;
}  // namespace

WebContentsImpl::~WebContentsImpl() = default;

bool WebContentsImpl::is_connected() const noexcept {
  return host_ && host_->connected();
}

bool WebContentsImpl::send_values(std::string_view channel, std::vector<Value> args) {
  if (!host_ && page_ && !gone_) {
    // Bounded: a page whose connection never comes (its web process failed
    // to load the extension, say) must not grow main without limit.
    if (queued_sends_.size() >= kMaxQueuedSends) return false;
    queued_sends_.emplace_back(std::string(channel), std::move(args));
    return true;
  }
  if (!host_) return false;
  Message m;
  m.kind = MessageKind::kRendererMessage;
  m.channel = std::string(channel);
  m.body = make_args(std::move(args));
  return host_->send_or_report(m);
}

void WebContentsImpl::send_queued() {
  auto queued = std::move(queued_sends_);
  queued_sends_.clear();
  for (auto& [channel, args] : queued) send_values(channel, std::move(args));
}

Result<void> WebContentsImpl::post_message(std::string_view channel, Value message,
                                           std::vector<std::shared_ptr<MessagePort>> transfer) {
  if (!host_ || !host_->connected())
    return make_error(ErrorCode::kDisconnected, "the renderer is gone");
  return host_->post_message(channel, std::move(message), transfer);
}

void WebContentsImpl::kill() {
  if (host_) host_->kill();
}

Future<Value> WebContentsImpl::execute_javascript(std::string code) {
  if (!page_) {
    return Future<Value>::ready(
        make_error(ErrorCode::kFailed,
                   "executeJavaScript: webContents " + std::to_string(id_) + " is not a web page"));
  }
  return page_->execute_javascript(std::move(code));
}

void WebContentsImpl::open_dev_tools() {
  if (page_ && !page_->dev_tools_open()) page_->toggle_dev_tools();
}

void WebContentsImpl::close_dev_tools() {
  if (page_ && page_->dev_tools_open()) page_->toggle_dev_tools();
}

void WebContentsImpl::toggle_dev_tools() {
  if (page_) page_->toggle_dev_tools();
}

void WebContentsImpl::emit_did_finish_load() {
  auto self = shared_from_this();  // callbacks may drop other references
  for (auto& cb : on_did_finish_load_) cb();
}

void WebContentsImpl::emit_did_fail_load(const DidFailLoadDetails& details) {
  auto self = shared_from_this();
  for (auto& cb : on_did_fail_load_) cb(details);
}

void WebContentsImpl::emit_render_process_gone(const RenderProcessGoneDetails& details) {
  auto self = shared_from_this();
  gone_ = true;
  for (auto& cb : on_gone_) cb(details);
}

void WebContentsImpl::emit_bad_message(const std::string& reason) {
  auto self = shared_from_this();
  for (auto& cb : on_bad_message_) cb(reason);
}

void WebContentsImpl::on_did_finish_load(UniqueFunction<void()> callback) {
  on_did_finish_load_.push_back(std::move(callback));
}

void WebContentsImpl::on_did_fail_load(UniqueFunction<void(const DidFailLoadDetails&)> callback) {
  on_did_fail_load_.push_back(std::move(callback));
}

void WebContentsImpl::on_render_process_gone(
    UniqueFunction<void(const RenderProcessGoneDetails&)> callback) {
  on_gone_.push_back(std::move(callback));
}

void WebContentsImpl::on_bad_message(UniqueFunction<void(const std::string&)> callback) {
  on_bad_message_.push_back(std::move(callback));
}

}  // namespace valence::ipc
