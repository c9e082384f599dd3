#include "base/pin.h"

#include <algorithm>
#include <vector>

#include "base/encoding.h"

namespace pinwatch {

std::optional<Hash> ParsePin(std::string_view text) {
  if (!text.starts_with(kPinPrefix)) return std::nullopt;
  std::optional<std::vector<uint8_t>> bytes = Base64Decode(text.substr(kPinPrefix.size()));
  if (!bytes || bytes->size() != Hash{}.size()) return std::nullopt;
  Hash hash;
  std::copy(bytes->begin(), bytes->end(), hash.begin());
  return hash;
}

std::string PinText(const Hash& hash) { return std::string(kPinPrefix) + Base64Encode(hash); }

std::string SpkiPin(Bytes spki_der) { return PinText(Sha256Of(spki_der)); }

}  // namespace pinwatch
