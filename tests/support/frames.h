// Raw protocol bytes, for tests that play a hostile or half-built peer:
// whole frames (header + payload) of any kind, protocol messages as frames,
// a child's Hello, and writing them onto a socket without ever blocking in
// send().
// Thread safety: plain functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ipc/common/message.h"
#include "support/loop_driver.h"
#include "transport/frame.h"
#include "valence/event_loop.h"
#include "valence/value.h"

namespace valence::test {

// A frame of `kind` carrying `payload`; the header declares `n_fds`
// descriptors (they travel separately) and says `version`.
std::vector<std::uint8_t> frame(std::uint8_t kind, const std::vector<std::uint8_t>& payload,
                                std::uint16_t n_fds = 0,
                                std::uint8_t version = transport::kFrameHeaderVersion);

// Protocol message `m` (ipc::encode_message) as a whole frame. Aborts when
// `m` does not encode (a broken test, not a finding).
std::vector<std::uint8_t> message_frame(const ipc::Message& m, std::uint16_t n_fds = 0);
std::vector<std::uint8_t> message_frame(std::uint8_t kind, std::uint64_t request_id,
                                        const std::string& channel, Value body);

// A native child's Hello with `token` (and this process's pid).
std::vector<std::uint8_t> hello_frame(const std::string& token);
// A web page's Hello with its web process's `token` and its `nonce`.
std::vector<std::uint8_t> page_hello_frame(const std::string& token, const std::string& nonce);

// Writes every byte to `fd` without ever blocking in send() (a socket may
// be in blocking mode; a pipe or FIFO is written with write()), polling
// while it is full. With a loop, runs it between attempts (the reader may
// be in this process). False when the write failed or `timeout` passed.
bool write_all(int fd, std::span<const std::uint8_t> bytes, EventLoop* loop = nullptr,
               std::chrono::milliseconds timeout = kPatience);

}  // namespace valence::test
