// Buffer: a growable byte buffer that does not zero what it allocates, so a
// large payload costs the copies it needs and no memset.
// Thread safety: a value type (move-only).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace valence::transport {

class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(std::size_t size) { resize(size); }
  Buffer(Buffer&& o) noexcept
      : data_(std::move(o.data_)),
        adopted_(std::move(o.adopted_)),
        size_(std::exchange(o.size_, 0)),
        capacity_(std::exchange(o.capacity_, 0)) {}
  Buffer& operator=(Buffer&& o) noexcept {
    data_ = std::move(o.data_);
    adopted_ = std::move(o.adopted_);
    size_ = std::exchange(o.size_, 0);
    capacity_ = std::exchange(o.capacity_, 0);
    return *this;
  }
  // Takes a vector's bytes without copying them (an encoder's output).
  static Buffer adopt(std::vector<std::uint8_t>&& bytes) {
    Buffer b;
    b.size_ = b.capacity_ = bytes.size();
    b.adopted_ = std::move(bytes);
    return b;
  }

  std::uint8_t* data() noexcept { return data_ ? data_.get() : adopted_.data(); }
  const std::uint8_t* data() const noexcept { return data_ ? data_.get() : adopted_.data(); }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  bool empty() const noexcept { return size_ == 0; }
  std::span<const std::uint8_t> span() const noexcept { return {data(), size_}; }

  void reserve(std::size_t capacity) {
    if (capacity <= capacity_) return;
    auto fresh = std::make_unique_for_overwrite<std::uint8_t[]>(capacity);
    if (size_) std::memcpy(fresh.get(), data(), size_);
    data_ = std::move(fresh);
    adopted_ = {};
    capacity_ = capacity;
  }
  // New bytes are uninitialized.
  void resize(std::size_t size) {
    if (size > capacity_) reserve(size);
    size_ = size;
  }
  void append(const void* p, std::size_t n) {
    if (size_ + n > capacity_) reserve(std::max(size_ + n, capacity_ * 2));
    if (n) std::memcpy(data() + size_, p, n);
    size_ += n;
  }
  void clear() noexcept { size_ = 0; }

 private:
  std::unique_ptr<std::uint8_t[]> data_;  // or, when adopted, the vector's bytes
  std::vector<std::uint8_t> adopted_;     // capacity_ stays at its size: no writes past it
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace valence::transport
