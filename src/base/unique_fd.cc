#include "valence/base/unique_fd.h"

#include <unistd.h>

namespace valence {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);  // Linux closes the fd even when close() reports EINTR
  fd_ = fd;
}

}  // namespace valence
