#include "base/encoding.h"

#include <array>

namespace pinwatch {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> MakeBase64Table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  for (uint8_t i = 0; i < 64; ++i) t[static_cast<uint8_t>(kBase64Alphabet[i])] = i;
  return t;
}
constexpr std::array<uint8_t, 256> kBase64Table = MakeBase64Table();

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string HexEncode(Bytes in) {
  std::string out;
  out.reserve(in.size() * 2);
  for (uint8_t b : in) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 15]);
  }
  return out;
}

std::optional<std::vector<uint8_t>> HexDecode(std::string_view in) {
  if (in.size() % 2 != 0) return std::nullopt;
  std::vector<uint8_t> out(in.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(in[2 * i]), lo = HexValue(in[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string Base64Encode(Bytes in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = uint32_t{in[i]} << 16 | uint32_t{in[i + 1]} << 8 | in[i + 2];
    out.push_back(kBase64Alphabet[v >> 18]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(kBase64Alphabet[(v >> 6) & 63]);
    out.push_back(kBase64Alphabet[v & 63]);
  }
  if (size_t rest = in.size() - i; rest > 0) {
    uint32_t v = uint32_t{in[i]} << 16 | (rest == 2 ? uint32_t{in[i + 1]} << 8 : 0);
    out.push_back(kBase64Alphabet[v >> 18]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool Base64DecodeInto(std::string_view in, std::vector<uint8_t>& out) {
  if (in.size() % 4 != 0) return false;
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') pad = (in[in.size() - 2] == '=') ? 2 : 1;
  const size_t start = out.size();
  out.resize(start + in.size() / 4 * 3 - pad);
  uint8_t* dst = out.data() + start;
  const size_t full_quads = in.size() / 4 - (pad ? 1 : 0);
  const auto* src = reinterpret_cast<const uint8_t*>(in.data());
  for (size_t q = 0; q < full_quads; ++q, src += 4) {
    uint8_t a = kBase64Table[src[0]], b = kBase64Table[src[1]];
    uint8_t c = kBase64Table[src[2]], d = kBase64Table[src[3]];
    if ((a | b | c | d) & 0xc0) return false;  // kInvalid has the top bits set
    uint32_t v = uint32_t{a} << 18 | uint32_t{b} << 12 | uint32_t{c} << 6 | d;
    *dst++ = static_cast<uint8_t>(v >> 16);
    *dst++ = static_cast<uint8_t>(v >> 8);
    *dst++ = static_cast<uint8_t>(v);
  }
  if (pad) {
    uint8_t a = kBase64Table[src[0]], b = kBase64Table[src[1]];
    uint8_t c = pad == 1 ? kBase64Table[src[2]] : 0;
    if ((a | b | c) & 0xc0) return false;
    uint32_t v = uint32_t{a} << 18 | uint32_t{b} << 12 | uint32_t{c} << 6;
    // Canonical encoding: the bits below the last output byte must be zero.
    if (pad == 2 && (v & 0xffff) != 0) return false;
    if (pad == 1 && (v & 0xff) != 0) return false;
    *dst++ = static_cast<uint8_t>(v >> 16);
    if (pad == 1) *dst++ = static_cast<uint8_t>(v >> 8);
  }
  return true;
}

std::optional<std::vector<uint8_t>> Base64Decode(std::string_view in) {
  std::vector<uint8_t> out;
  if (!Base64DecodeInto(in, out)) return std::nullopt;
  return out;
}

}  // namespace pinwatch
