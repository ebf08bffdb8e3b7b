#include "transport/frame_parser.h"

#include <algorithm>

namespace valence::transport {
namespace {

// Payloads up to this size are parsed out of the staging buffer; larger ones
// are collected in their own buffer.
constexpr std::size_t kLargePayload = 256 * 1024;

std::uint32_t load_u32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
         std::uint32_t{p[3]} << 24;
}

}  // namespace

void write_frame_header(std::uint8_t* out, std::uint32_t payload_size, std::uint8_t kind,
                        std::uint16_t num_fds) {
  out[0] = static_cast<std::uint8_t>(payload_size);
  out[1] = static_cast<std::uint8_t>(payload_size >> 8);
  out[2] = static_cast<std::uint8_t>(payload_size >> 16);
  out[3] = static_cast<std::uint8_t>(payload_size >> 24);
  out[4] = kind;
  out[5] = kFrameHeaderVersion;
  out[6] = static_cast<std::uint8_t>(num_fds);
  out[7] = static_cast<std::uint8_t>(num_fds >> 8);
}

std::span<std::uint8_t> FrameParser::prepare(std::size_t min) {
  if (in_large_) {
    Buffer& p = large_.payload;
    // Grow geometrically (at most doubling what has arrived), and only when
    // less than `min` is free, so a read never waits on a reallocation.
    if (p.capacity() - p.size() < min && p.capacity() < large_size_)
      p.reserve(std::min(large_size_, p.size() + std::max(min, p.size())));
    // Never past this payload: the bytes after it belong to the next frame.
    return {p.data() + p.size(), std::min(p.capacity(), large_size_) - p.size()};
  }
  // Compact: drop parsed bytes at the front when they are the larger part.
  if (consumed_ > 0 &&
      (consumed_ >= staging_.size() / 2 || staging_.capacity() - staging_.size() < min)) {
    std::size_t rest = staging_.size() - consumed_;
    if (rest) std::memmove(staging_.data(), staging_.data() + consumed_, rest);
    staging_.resize(rest);
    consumed_ = 0;
  }
  if (staging_.capacity() - staging_.size() < min) staging_.reserve(staging_.size() + min);
  return {staging_.data() + staging_.size(), staging_.capacity() - staging_.size()};
}

void FrameParser::commit(std::size_t n) {
  if (in_large_) {
    large_.payload.resize(large_.payload.size() + n);
  } else {
    staging_.resize(staging_.size() + n);
  }
}

void FrameParser::feed(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    auto dst = prepare(std::min<std::size_t>(bytes.size(), 64 * 1024));
    std::size_t n = std::min(dst.size(), bytes.size());
    if (in_large_) n = std::min(n, large_size_ - large_.payload.size());
    std::memcpy(dst.data(), bytes.data(), n);
    commit(n);
    bytes = bytes.subspan(n);
    // A large payload may complete mid-feed; the rest belongs to later frames.
    if (in_large_ && large_.payload.size() == large_size_ && !bytes.empty()) {
      // Park the remainder in staging after the large frame is taken by next().
      staging_.append(bytes.data(), bytes.size());
      return;
    }
  }
}

void FrameParser::add_fds(std::vector<UniqueFd>& fds) {
  for (auto& fd : fds) fds_.push_back(std::move(fd));
  fds.clear();
  // Descriptors arrive with the first byte of their frame; more than two
  // frames' worth waiting means a peer is sending descriptors nobody claims.
  if (pending_fds() > 2 * limits_.max_fds && error_.empty())
    error_ = std::to_string(pending_fds()) + " descriptors arrived that no frame declares";
}

std::size_t FrameParser::buffered_bytes() const noexcept {
  return staging_.size() - consumed_ + (in_large_ ? large_.payload.size() + kFrameHeaderSize : 0);
}

// Descriptors come with their frame's first byte: when every received byte
// has been parsed and descriptors are left over, no frame declared them.
FrameParser::Status FrameParser::orphan_fds() {
  return fail(std::to_string(pending_fds()) + " descriptors arrived that no frame declares");
}

FrameParser::Status FrameParser::fail(std::string message) {
  error_ = std::move(message);
  return Status::kError;
}

FrameParser::Status FrameParser::next(Frame& out) {
  if (!error_.empty()) return Status::kError;
  if (in_large_) {
    if (large_.payload.size() < large_size_) return Status::kNeedMore;
    if (consumed_ == staging_.size() && pending_fds() > 0) return orphan_fds();
    out = std::move(large_);
    large_ = Frame{};
    in_large_ = false;
    return Status::kFrame;
  }
  std::size_t avail = staging_.size() - consumed_;
  if (avail == 0 && pending_fds() > 0) return orphan_fds();
  if (avail < kFrameHeaderSize) return Status::kNeedMore;
  const std::uint8_t* h = staging_.data() + consumed_;
  std::uint32_t size = load_u32(h);
  std::uint8_t kind = h[4];
  std::uint8_t version = h[5];
  std::size_t num_fds = std::size_t{h[6]} | std::size_t{h[7]} << 8;
  if (version != kFrameHeaderVersion)
    return fail("frame header version " + std::to_string(version) + " (expected " +
                std::to_string(kFrameHeaderVersion) + "): not a valence peer, or corrupt data");
  if (size > limits_.max_payload)
    return fail("frame of " + std::to_string(size) + " bytes exceeds the limit of " +
                std::to_string(limits_.max_payload));
  if (num_fds > limits_.max_fds)
    return fail("frame declares " + std::to_string(num_fds) + " descriptors (limit " +
                std::to_string(limits_.max_fds) + ")");
  std::size_t have = avail - kFrameHeaderSize;
  if (have < size && size <= kLargePayload) return Status::kNeedMore;
  // Descriptors travel with the frame's first byte, so they are here by now.
  if (pending_fds() < num_fds)
    return fail("frame declares " + std::to_string(num_fds) + " descriptors but " +
                std::to_string(pending_fds()) + " arrived");
  Frame f;
  f.kind = kind;
  for (std::size_t i = 0; i < num_fds; ++i) f.fds.push_back(std::move(fds_[fds_taken_++]));
  if (fds_taken_ == fds_.size()) {
    fds_.clear();
    fds_taken_ = 0;
  }
  if (have >= size) {
    f.payload.append(h + kFrameHeaderSize, size);
    consumed_ += kFrameHeaderSize + size;
    if (consumed_ == staging_.size() && pending_fds() > 0) return orphan_fds();
    out = std::move(f);
    return Status::kFrame;
  }
  // A large frame: move what has arrived into its own buffer and collect the
  // rest there.
  f.payload.reserve(std::min<std::size_t>(size, std::max<std::size_t>(2 * have, kLargePayload)));
  f.payload.append(h + kFrameHeaderSize, have);
  consumed_ += kFrameHeaderSize + have;
  large_ = std::move(f);
  large_size_ = size;
  in_large_ = true;
  return next(out);
}

}  // namespace valence::transport

namespace valence::transport {

bool FrameParser::take_buffered(Buffer& out) {
  if (!can_take_buffered()) return false;
  out.clear();
  if (in_large_) {
    std::uint8_t header[kFrameHeaderSize];
    write_frame_header(header, static_cast<std::uint32_t>(large_size_), large_.kind, 0);
    out.append(header, kFrameHeaderSize);
    out.append(large_.payload.data(), large_.payload.size());
    large_ = Frame{};
    in_large_ = false;
  }
  out.append(staging_.data() + consumed_, staging_.size() - consumed_);
  staging_.clear();
  consumed_ = 0;
  return true;
}

}  // namespace valence::transport
