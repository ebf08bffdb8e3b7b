// Channel: a framed, descriptor-capable connection to one peer over an
// AF_UNIX stream socket, driven by the event loop (shaped like
// mojo::core::Channel). Async only: what a caller does with the socket
// outside the loop is a part of its own, in its own file, each with its
// thread rule:
//   blocking_io.h  reads and writes while a thread blocks instead of running
//                  the loop (a renderer in sendSync);
//   handoff.h      the socket leaving for another owner with the bytes read
//                  but not delivered and queued but not written (ports);
//   linger.h       flush-then-close (a port closed right after posting).
// Those parts are friends: each needs the socket, the parser or the queue
// while keeping the channel's own invariants (loop interest, one failure
// report), and public members for them would let anyone break those.
//
// Writes never block the loop: send() queues, and the queue is flushed when
// the loop runs (several frames per sendmsg). Limits, which fail one send and
// leave the channel up: a frame larger than `limits.max_payload`; and more
// than `max_queued_bytes` waiting to be written (frames not begun yet; the
// one being written does not count, and a frame of any allowed size is
// accepted when none waits), so a process never grows without bound because
// its peer stopped reading, and any frame the peer may receive can be sent.
//
// Reads are fair: at most `read_budget_bytes` per wake-up, then other fds get
// their turn. Every received descriptor is owned (and closed unless a frame
// takes it); a channel that does not accept descriptors fails on the first.
//
// Thread safety: loop-affine. All methods and all Delegate calls happen on
// the loop's thread. The Delegate may destroy the Channel from its callbacks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "transport/frame.h"
#include "transport/frame_parser.h"
#include "valence/base/result.h"
#include "valence/base/unique_fd.h"
#include "valence/base/unique_function.h"
#include "valence/event_loop.h"

namespace valence::transport {

enum class ChannelError : std::uint8_t {
  kDisconnected,  // the peer closed its end
  kMalformed,     // bytes that are not valid frames
  kTooManyFds,    // descriptors beyond the limits, or where none are accepted
  kOverloaded,    // a limit was hit (not used to fail a channel since sends fail alone)
  kIoError,       // a socket error
};
const char* channel_error_name(ChannelError error) noexcept;

struct ChannelOptions {
  ParserLimits limits;
  bool accept_fds = true;
  std::size_t max_queued_bytes = std::size_t{1} << 30;
  std::size_t read_budget_bytes = std::size_t{4} << 20;
};

class Channel {
 public:
  class Delegate {
   public:
    virtual void on_frame(Frame frame) = 0;
    // Called at most once, and last. The channel is closed by then.
    virtual void on_channel_error(ChannelError error, const std::string& detail) = 0;

   protected:
    ~Delegate() = default;
  };

  Channel(EventLoop& loop, UniqueFd socket, Delegate& delegate, ChannelOptions options = {});
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  // Closes without calling the delegate.
  ~Channel();

  // Starts reading (and delivering frames). Separate from the constructor
  // so the owner can finish setting up before the first delegate call.
  // Before start() a channel only writes: what arrives waits in the socket.
  void start();
  // Stops delivering frames (what arrives waits in the socket, so the peer
  // feels the back-pressure) until resume_reading(), which also delivers
  // frames already read. For a peer that may not speak yet (a page waiting
  // to be bound to its window).
  void pause_reading();
  void resume_reading();
  // Changes the largest frame accepted from the peer from now on (the first
  // frame of an unauthenticated peer is kept small).
  void set_read_limit(std::size_t max_payload) noexcept { parser_.set_max_payload(max_payload); }

  // Queues a frame. Errors, after which the channel stays as it was:
  // kDisconnected (closed), kOverloaded (a limit of this class; the message
  // says which, in bytes).
  Result<void> send(std::uint8_t kind, Buffer payload, std::vector<UniqueFd> fds = {});
  // Reads and delivers everything the socket holds now, without a budget
  // (before closing the channel of a process that exited, say).
  void drain();
  // Delivers the frames already read but not delivered (a blocking read
  // leaves those behind; the socket may never wake the loop for them).
  void deliver_buffered() {
    if (socket_.valid() && reading_ && !paused_) read_some(0);
  }
  // Closes the socket; no delegate calls after this.
  void close();
  bool is_open() const noexcept { return socket_.valid() && !write_closed_; }
  std::size_t queued_bytes() const noexcept { return queued_bytes_; }

 private:
  friend class BlockingIo;
  friend class Handoff;
  friend void close_when_flushed(Channel& channel, UniqueFunction<void()> closed);  // linger.h

  struct Outgoing {
    std::uint8_t header[kFrameHeaderSize];
    Buffer payload;
    std::vector<UniqueFd> fds;
    std::size_t written = 0;  // of header + payload
    std::size_t total() const { return kFrameHeaderSize + payload.size(); }
  };

  void on_events(std::uint32_t events);
  void read_some(std::size_t budget);
  // Bytes of frames not begun yet (the queue limit counts these).
  std::size_t waiting_bytes() const noexcept;
  // Writes what the socket takes now. False when the channel failed.
  bool write_some();
  // After writing: closes a lingering channel whose queue is empty, or
  // updates what the loop watches. False when the channel is gone.
  bool after_write();
  void schedule_flush();
  void update_interest();
  // Receives once into the parser. Returns bytes read; 0 with *eof on EOF.
  Result<std::size_t> receive(bool& eof, bool& would_block, bool* drained, bool block = false);
  void fail(ChannelError error, std::string detail);

  EventLoop& loop_;
  UniqueFd socket_;
  Delegate& delegate_;
  ChannelOptions options_;
  FrameParser parser_;
  FdWatch watch_;
  std::deque<Outgoing> queue_;
  std::size_t queued_bytes_ = 0;
  bool flush_scheduled_ = false;
  std::uint32_t watch_events_ = 0;
  bool reading_ = false;
  bool paused_ = false;
  bool delivery_scheduled_ = false;
  bool write_closed_ = false;         // the peer stopped reading (EPIPE); reads go on until EOF
  bool closing_ = false;              // close_when_flushed(): close once the queue is empty
  UniqueFunction<void()> on_closed_;  // close_when_flushed()'s callback
  bool eof_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace valence::transport
