// net::Gunzip (libdeflate) on arbitrary bytes: never crashes, errors are kMalformed, output stays
// under the cap, and whenever zlib (what curl used before) decodes the whole input as
// gzip members within the cap, net::Gunzip decodes it too, to the same bytes.
#include <libdeflate.h>
#include <zlib.h>

#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "net/gzip.h"

namespace {

constexpr size_t kCap = 1 << 20;

// ZlibGunzip decodes concatenated gzip members with zlib; nullopt on any error or overflow.
std::optional<std::string> ZlibGunzip(const uint8_t* data, size_t size) {
  std::string out;
  size_t pos = 0;
  while (pos < size) {
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return std::nullopt;
    z.next_in = const_cast<uint8_t*>(data + pos);
    z.avail_in = static_cast<uInt>(size - pos);
    int rc = Z_OK;
    char buf[16384];
    while (rc == Z_OK) {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      rc = inflate(&z, Z_NO_FLUSH);
      out.append(buf, sizeof buf - z.avail_out);
      if (out.size() > kCap) rc = Z_BUF_ERROR;
      if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) rc = Z_BUF_ERROR;  // truncated
    }
    pos = size - z.avail_in;
    inflateEnd(&z);
    if (rc != Z_STREAM_END) return std::nullopt;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto ours = pinwatch::net::Gunzip(d, in, kCap);
  if (!ours.ok()) {
    if (ours.status().code() != pinwatch::Code::kMalformed) std::abort();
  } else if (ours->size() > kCap) {
    std::abort();
  }
  if (auto theirs = ZlibGunzip(data, size)) {
    if (!ours.ok() || *ours != *theirs) std::abort();
  }
  return 0;
}
