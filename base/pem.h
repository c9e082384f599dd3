// PEM (RFC 7468): the text form of DER that certificates, keys and pin-failure reports
// travel in. One decoder for every folder, in plain code over the text (no OpenSSL BIOs):
// input is untrusted (a report's chain, a file an operator points at).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"

namespace pinwatch {

// PemBlock is one "-----BEGIN <label>-----" ... "-----END <label>-----" block, decoded.
struct PemBlock {
  std::string label;          // e.g. "CERTIFICATE", "PUBLIC KEY"
  std::vector<uint8_t> der;
};

// DecodePemBlocks returns every block in `text`, in order. Text outside blocks (an
// `openssl x509 -text` dump, comments) is ignored; inside, whitespace between base64
// characters is allowed (RFC 7468 §3, lax). kMalformed naming the block (1-based) and what
// is wrong: an END that does not match its BEGIN, a missing END, bad base64, an empty body.
// No block at all is an empty vector, not an error. Thread-safe.
Result<std::vector<PemBlock>> DecodePemBlocks(std::string_view text);

// DecodePem returns the DER of the first block labelled `label`; kMalformed if there is
// none or any block before it is broken.
Result<std::vector<uint8_t>> DecodePem(std::string_view text, std::string_view label);

// EncodePem writes one block: the base64 in lines of 64 characters, each ending in "\n".
std::string EncodePem(std::string_view label, Bytes der);

}  // namespace pinwatch
