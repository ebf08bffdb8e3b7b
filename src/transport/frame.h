// A frame: the unit the transport carries. On the wire:
//
//   offset 0  u32 LE  payload size in bytes
//          4  u8      kind (ipc/common/protocol.h)
//          5  u8      header version (1)
//          6  u16 LE  number of descriptors (sent with the frame's first byte)
//          8  payload
//
// Thread safety: a value type (move-only).
#pragma once

#include <cstdint>
#include <vector>

#include "transport/buffer.h"
#include "valence/base/unique_fd.h"

namespace valence::transport {

inline constexpr std::size_t kFrameHeaderSize = 8;
inline constexpr std::uint8_t kFrameHeaderVersion = 1;

struct Frame {
  std::uint8_t kind = 0;
  Buffer payload;
  std::vector<UniqueFd> fds;
};

// Writes the 8-byte header for a frame.
void write_frame_header(std::uint8_t* out, std::uint32_t payload_size, std::uint8_t kind,
                        std::uint16_t num_fds);

}  // namespace valence::transport
