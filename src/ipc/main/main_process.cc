#include "valence/main/main_process.h"

#include "ipc/main/child_host.h"
#include "transport/socket_posix.h"

namespace valence {

MainProcess::MainProcess(EventLoop& loop) : loop_(loop) {}

MainProcess::~MainProcess() {
  // Hosts kill and reap their processes; WebContents kept by callers stay
  // valid and report is_connected() == false.
  hosts_.clear();
  page_hosts_.clear();
}

Result<std::shared_ptr<WebContents>> MainProcess::spawn_child(const ChildOptions& options) {
  auto pair = transport::make_socket_pair();
  if (!pair) return Unexpected{pair.error()};
  auto& [ours, theirs] = *pair;
  std::string token = ipc::random_token();
  std::vector<std::string> env = options.env;
  env.push_back(std::string(ipc::kEnvIpcFd) + "=" + std::to_string(ipc::kChildIpcFd));
  env.push_back(std::string(ipc::kEnvIpcToken) + "=" + token);
  auto child = ipc::spawn_with_socket(options.path, options.args, env, theirs.get());
  if (!child) return Unexpected{child.error()};
  theirs.reset();
  int id = next_id_++;
  auto contents = std::make_shared<WebContents>(id);
  transport::ChannelOptions channel_options;
  channel_options.limits.max_payload = options.max_message_bytes;
  channel_options.max_queued_bytes = options.max_queued_bytes;
  auto host = std::make_unique<ipc::ChildHost>(*this, contents, std::move(ours), std::move(token),
                                               std::move(child).value(), channel_options);
  host->start();
  hosts_.emplace(id, std::move(host));
  return contents;
}

std::vector<std::shared_ptr<WebContents>> MainProcess::all_web_contents() const {
  std::map<int, std::shared_ptr<WebContents>> all;
  for (const auto& [id, host] : hosts_) all.emplace(id, host->contents());
  for (const auto& [id, page] : pages_)
    if (auto p = page.lock()) all.emplace(id, std::move(p));
  std::vector<std::shared_ptr<WebContents>> out;
  for (auto& [id, c] : all) out.push_back(std::move(c));
  return out;
}

std::shared_ptr<WebContents> MainProcess::from_id(int id) const {
  auto it = hosts_.find(id);
  if (it != hosts_.end()) return it->second->contents();
  auto p = pages_.find(id);
  return p == pages_.end() ? nullptr : p->second.lock();
}

std::shared_ptr<WebContents> MainProcess::create_page_contents() {
  int id = next_id_++;
  auto contents = std::make_shared<WebContents>(id);
  std::erase_if(pages_, [](const auto& e) { return e.second.expired(); });
  pages_.emplace(id, contents);
  return contents;
}

void MainProcess::add_page_token(std::string token) {
  page_tokens_.push_back(std::move(token));
}

bool MainProcess::is_page_token(const std::string& token) const {
  for (const auto& t : page_tokens_)
    if (t.size() == token.size() && t == token) return true;
  return false;
}

void MainProcess::adopt_page_connection(UniqueFd socket, int pid) {
  transport::ChannelOptions options;
  auto host = std::make_unique<ipc::ChildHost>(*this, std::move(socket), pid, options);
  ipc::ChildHost* raw = host.get();
  page_hosts_.emplace(raw, std::move(host));
  raw->start();
}

void MainProcess::bind_page(const std::string& nonce,
                            const std::shared_ptr<WebContents>& contents) {
  for (auto& [raw, host] : page_hosts_) {
    if (!host->is_bound() && host->nonce() == nonce) {
      host->bind(contents);
      return;
    }
  }
  std::erase_if(confirmed_nonces_, [](const auto& e) { return e.second.expired(); });
  confirmed_nonces_[nonce] = contents;
}

void MainProcess::page_hello(ipc::ChildHost* host) {
  auto it = confirmed_nonces_.find(host->nonce());
  if (it == confirmed_nonces_.end()) return;  // bind_page() comes later
  auto contents = it->second.lock();
  confirmed_nonces_.erase(it);
  if (contents) host->bind(contents);
}

void MainProcess::remove_host(ipc::ChildHost* host) {
  if (!host->mark_removed()) return;
  // Deleted from the loop, not from inside the host's own callback.
  std::weak_ptr<int> alive = alive_;
  if (host->is_page()) {
    loop_.post([this, alive, host] {
      if (alive.lock()) page_hosts_.erase(host);
    });
    return;
  }
  int id = host->contents()->id();
  loop_.post([this, alive, id] {
    if (alive.lock()) hosts_.erase(id);
  });
}

}  // namespace valence
