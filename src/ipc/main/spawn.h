// Starting a native child process with its IPC socket on fd 3.
// Thread safety: free functions.
#pragma once

#include <string>
#include <vector>

#include "valence/base/result.h"
#include "valence/base/unique_fd.h"

namespace valence::ipc {

inline constexpr int kChildIpcFd = 3;
inline constexpr const char* kEnvIpcFd = "VALENCE_IPC_FD";
inline constexpr const char* kEnvIpcToken = "VALENCE_IPC_TOKEN";

struct SpawnedChild {
  int pid = 0;
  UniqueFd pidfd;  // readable when the process ends
};

// fork+exec of `path` with `args`; `socket` becomes the child's fd 3 and the
// child gets SIGTERM if this process dies. The child inherits no other
// descriptor (beyond stdin/stdout/stderr). Errors: exec failed (kFailed with
// strerror), fork failed.
Result<SpawnedChild> spawn_with_socket(const std::string& path,
                                       const std::vector<std::string>& args,
                                       const std::vector<std::string>& extra_env, int socket);

// A descriptor that becomes readable when process `pid` ends (pidfd_open);
// invalid when there is no such process.
UniqueFd open_pidfd(int pid);

// A random token, hex.
std::string random_token();

}  // namespace valence::ipc
