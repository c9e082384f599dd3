// ByteReader: a non-owning, bounds-checked cursor over untrusted bytes, for TLS-style
// (RFC 6962 / RFC 8446 §3) and DER framing. Every read checks `n <= remaining` before
// touching memory; nothing allocates or throws. Spans it returns alias the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace pinwatch {

using Bytes = std::span<const uint8_t>;

class ByteReader {
 public:
  // `base_offset` is where `in` starts inside the outermost buffer, so that errors from
  // nested readers name absolute byte offsets.
  explicit ByteReader(Bytes in, size_t base_offset = 0) : in_(in), base_(base_offset) {}

  std::optional<uint8_t> U8() { return ReadInt<uint8_t>(1); }
  std::optional<uint16_t> U16() { return ReadInt<uint16_t>(2); }  // big-endian
  std::optional<uint32_t> U24() { return ReadInt<uint32_t>(3); }
  std::optional<uint32_t> U32() { return ReadInt<uint32_t>(4); }
  std::optional<uint64_t> U64() { return ReadInt<uint64_t>(8); }

  // Bytes returns the next n bytes, or nullopt if fewer remain (nothing is consumed then).
  std::optional<Bytes> Read(size_t n) {
    if (n > in_.size()) return std::nullopt;
    Bytes out = in_.first(n);
    Advance(n);
    return out;
  }

  // U8Prefixed/U16Prefixed/U24Prefixed read a length-prefixed vector `opaque x<0..2^k-1>`
  // and return a reader over exactly its contents.
  std::optional<ByteReader> U8Prefixed() { return Prefixed(U8()); }
  std::optional<ByteReader> U16Prefixed() { return Prefixed(U16()); }
  std::optional<ByteReader> U24Prefixed() { return Prefixed(U24()); }

  // Rest consumes and returns everything left.
  Bytes Rest() {
    Bytes out = in_;
    Advance(in_.size());
    return out;
  }

  bool empty() const { return in_.empty(); }
  size_t remaining() const { return in_.size(); }
  Bytes peek() const { return in_; }
  // offset is the absolute position of the next unread byte.
  size_t offset() const { return base_ + consumed_; }

  // Fail returns a kMalformed Status naming `what` and the current absolute offset.
  Status Fail(std::string_view what) const {
    return MalformedError(std::string(what) + " at byte offset " + std::to_string(offset()));
  }

 private:
  template <class T>
  std::optional<T> ReadInt(size_t n) {
    if (n > in_.size()) return std::nullopt;
    T v = 0;
    for (size_t i = 0; i < n; ++i) v = static_cast<T>((v << 8) | in_[i]);
    Advance(n);
    return v;
  }
  template <class L>
  std::optional<ByteReader> Prefixed(std::optional<L> len) {
    if (!len || *len > in_.size()) return std::nullopt;
    ByteReader inner(in_.first(*len), offset());
    Advance(*len);
    return inner;
  }
  void Advance(size_t n) {
    in_ = in_.subspan(n);
    consumed_ += n;
  }

  Bytes in_;
  size_t base_;
  size_t consumed_ = 0;
};

// AsBytes views a string's bytes (the string must outlive the view).
inline Bytes AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace pinwatch
