#include "net/gzip.h"

#include <libdeflate.h>

#include <algorithm>
#include <cstdint>

namespace pinwatch::net {

Result<std::string> Gunzip(libdeflate_decompressor* d, std::string_view in, size_t max_out) {
  std::string out;
  size_t pos = 0;
  while (pos < in.size()) {
    const std::string_view member = in.substr(pos);
    size_t guess = member.size() * 4;
    if (member.size() >= 18) {
      const auto* t = reinterpret_cast<const uint8_t*>(in.data() + in.size() - 4);
      const size_t isize = t[0] | t[1] << 8 | t[2] << 16 | uint32_t{t[3]} << 24;
      // DEFLATE cannot expand more than 1032:1, so a larger claim is a lie not worth memory.
      guess = std::max<size_t>(64, std::min(isize, member.size() * 1032));
    }
    const size_t room = max_out - out.size();
    size_t capacity = std::min(guess, room);
    while (true) {
      const size_t old = out.size();
      out.resize(old + capacity);
      size_t used_in = 0, produced = 0;
      libdeflate_result r = libdeflate_gzip_decompress_ex(d, member.data(), member.size(), out.data() + old, capacity,
                                                         &used_in, &produced);
      if (r == LIBDEFLATE_SUCCESS) {
        out.resize(old + produced);
        pos += used_in;
        break;
      }
      out.resize(old);
      if (r != LIBDEFLATE_INSUFFICIENT_SPACE) {
        return MalformedError("gzip body does not decode (member at byte " + std::to_string(pos) + ")");
      }
      if (capacity == room) {
        return MalformedError("response body exceeds " + std::to_string(max_out) + " bytes decoded");
      }
      capacity = std::min(room, capacity * 2);
    }
  }
  return out;
}

}  // namespace pinwatch::net
