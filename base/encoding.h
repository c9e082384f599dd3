// Hex and base64 (RFC 4648 §4, with padding) for wire formats and display.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"

namespace pinwatch {

std::string HexEncode(Bytes in);
// HexDecode accepts upper or lower case; nullopt on odd length or a non-hex digit.
std::optional<std::vector<uint8_t>> HexDecode(std::string_view in);

std::string Base64Encode(Bytes in);
// Base64Decode is strict: standard alphabet, padded to a multiple of 4, no whitespace,
// canonical padding bits. Nullopt otherwise. Table-driven (faster than EVP_DecodeBlock).
std::optional<std::vector<uint8_t>> Base64Decode(std::string_view in);
// Base64DecodeInto appends to `out` (reusing its capacity); false on bad input, in which
// case `out` is left at an unspecified size >= its original size.
bool Base64DecodeInto(std::string_view in, std::vector<uint8_t>& out);

}  // namespace pinwatch
