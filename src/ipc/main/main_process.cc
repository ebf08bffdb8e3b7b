#include "valence/main/main_process.h"

#include "ipc/main/child_host.h"
#include "ipc/main/main_process_impl.h"
#include "ipc/main/spawn.h"
#include "ipc/main/web_contents_impl.h"
#include "transport/socket_posix.h"

namespace valence {

// ---- MainProcess: the public API, forwarded ----------------------------------

MainProcess::MainProcess(EventLoop& loop) : impl_(std::make_unique<ipc::MainProcessImpl>(loop)) {}
MainProcess::~MainProcess() = default;

EventLoop& MainProcess::loop() noexcept {
  return impl_->loop();
}

IpcMain& MainProcess::ipc_main() noexcept {
  return impl_->ipc_main();
}

Result<std::shared_ptr<WebContents>> MainProcess::spawn_child(const ChildOptions& options) {
  return impl_->spawn_child(options);
}

std::vector<std::shared_ptr<WebContents>> MainProcess::all_web_contents() const {
  return impl_->all_web_contents();
}

std::shared_ptr<WebContents> MainProcess::from_id(int id) const {
  return impl_->from_id(id);
}

namespace ipc {

// ---- MainProcessImpl ----------------------------------------------------------

MainProcessImpl::MainProcessImpl(EventLoop& loop) : loop_(loop), pages_(*this) {}

// Hosts kill and reap their processes; WebContents kept by callers stay
// valid and report is_connected() == false.
MainProcessImpl::~MainProcessImpl() = default;

Result<std::shared_ptr<WebContents>> MainProcessImpl::spawn_child(const ChildOptions& options) {
  auto pair = transport::make_socket_pair();
  if (!pair) return Unexpected{pair.error()};
  auto& [ours, theirs] = *pair;
  std::string token = random_token();
  std::vector<std::string> env = options.env;
  env.push_back(std::string(kEnvIpcFd) + "=" + std::to_string(kChildIpcFd));
  env.push_back(std::string(kEnvIpcToken) + "=" + token);
  auto child = spawn_with_socket(options.path, options.args, env, theirs.get());
  if (!child) return Unexpected{child.error()};
  theirs.reset();
  int id = next_id_++;
  auto contents = std::make_shared<WebContentsImpl>(id);
  transport::ChannelOptions channel_options;
  channel_options.limits.max_payload = options.max_message_bytes;
  channel_options.max_queued_bytes = options.max_queued_bytes;
  auto host = std::make_unique<ChildHost>(*this, contents, std::move(ours), std::move(token),
                                          std::move(child).value(), channel_options);
  host->start();
  hosts_.emplace(id, std::move(host));
  return std::shared_ptr<WebContents>(std::move(contents));
}

std::vector<std::shared_ptr<WebContents>> MainProcessImpl::all_web_contents() const {
  std::map<int, std::shared_ptr<WebContents>> all;
  for (const auto& [id, host] : hosts_) all.emplace(id, host->contents());
  for (const auto& [id, page] : page_contents_)
    if (auto p = page.lock()) all.emplace(id, std::move(p));
  std::vector<std::shared_ptr<WebContents>> out;
  for (auto& [id, c] : all) out.push_back(std::move(c));
  return out;
}

std::shared_ptr<WebContents> MainProcessImpl::from_id(int id) const {
  auto it = hosts_.find(id);
  if (it != hosts_.end()) return it->second->contents();
  auto p = page_contents_.find(id);
  return p == page_contents_.end() ? nullptr : p->second.lock();
}

std::shared_ptr<WebContentsImpl> MainProcessImpl::create_page_contents() {
  int id = next_id_++;
  auto contents = std::make_shared<WebContentsImpl>(id);
  std::erase_if(page_contents_, [](const auto& e) { return e.second.expired(); });
  page_contents_.emplace(id, contents);
  return contents;
}

void MainProcessImpl::remove_host(ChildHost& host) {
  if (!host.mark_removed()) return;
  if (host.is_page()) {
    pages_.remove(host);
    return;
  }
  std::weak_ptr<int> alive = alive_;
  int id = host.contents()->id();
  loop_.post([this, alive, id] {
    if (alive.lock()) hosts_.erase(id);
  });
}

}  // namespace ipc
}  // namespace valence
