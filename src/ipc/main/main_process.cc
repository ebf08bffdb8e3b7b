#include "valence/main/main_process.h"

#include "ipc/main/child_host.h"
#include "transport/socket_posix.h"

namespace valence {

MainProcess::MainProcess(EventLoop& loop) : loop_(loop) {}

MainProcess::~MainProcess() {
  // Hosts kill and reap their processes; WebContents kept by callers stay
  // valid and report is_connected() == false.
  hosts_.clear();
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
  std::vector<std::shared_ptr<WebContents>> out;
  for (const auto& [id, host] : hosts_) out.push_back(host->contents());
  return out;
}

std::shared_ptr<WebContents> MainProcess::from_id(int id) const {
  auto it = hosts_.find(id);
  return it == hosts_.end() ? nullptr : it->second->contents();
}

void MainProcess::remove_host(ipc::ChildHost* host) {
  int id = host->contents()->id();
  // Deleted from the loop, not from inside the host's own callback.
  std::weak_ptr<int> alive = alive_;
  loop_.post([this, alive, id] {
    if (alive.lock()) hosts_.erase(id);
  });
}

}  // namespace valence
