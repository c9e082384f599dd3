// Helpers shared by the certificate tests (x509/, watch/): PEM reading and a tiny DER builder for
// hand-made certificates.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "base/byte_reader.h"
#include "base/byte_writer.h"
#include "base/encoding.h"
#include "base/pem.h"
#include "x509/cert_view.h"
#include "x509/der.h"
#include "tests/support/testdata.h"

namespace pinwatch::testing {

namespace der = pinwatch::x509::der;
using x509::kGeneralNameDns;
using x509::kGeneralNameIp;
using x509::kOidCtPoison;

// PemCertificate returns the DER of the first CERTIFICATE block in a file (files may start
// with an `openssl x509 -text` dump); fails the test and returns empty if there is none.
inline std::vector<uint8_t> PemCertificate(const std::filesystem::path& path) {
  Result<std::vector<uint8_t>> der = DecodePem(pinwatch::testing::ReadFileText(path), "CERTIFICATE");
  if (!der.ok()) {
    ADD_FAILURE() << path << ": " << der.status().ToString();
    return {};
  }
  return std::move(*der);
}

using Der = std::vector<uint8_t>;

// Tlv builds one DER element with a minimal length from the concatenated parts.
inline Der Tlv(uint8_t tag, std::initializer_list<Der> parts) {
  Der body;
  for (const Der& p : parts) body.insert(body.end(), p.begin(), p.end());
  Der out;
  ByteWriter(out).DerTlv(tag, body);
  return out;
}
inline Der Raw(std::string_view s) { return Der(s.begin(), s.end()); }
inline Der Cat(std::initializer_list<Der> parts) {
  Der out;
  for (const Der& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A hand-made TBS with the parts the real certificates lack. Field builders below let the
// malformed cases change one part at a time.
struct TbsParts {
  Der version = Tlv(0xa0, {Tlv(der::kInteger, {{0x02}})});
  Der serial = Tlv(der::kInteger, {{0x01}});
  Der signature = Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}})});
  Der issuer = Tlv(der::kSequence, {Tlv(der::kSet, {Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{0x55, 0x04, 0x03}}), Tlv(der::kPrintableString, {Raw("Test CA")})})})});
  Der validity = Tlv(der::kSequence, {Tlv(der::kUtcTime, {Raw("240101000000Z")}), Tlv(der::kGeneralizedTime, {Raw("20500101000000Z")})});
  Der subject = Tlv(der::kSequence, {
      Tlv(der::kSet, {Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{0x55, 0x04, 0x0a}}), Tlv(der::kUtf8String, {Raw("Org")})})}),
      Tlv(der::kSet, {Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{0x55, 0x04, 0x03}}), Tlv(der::kUtf8String, {Raw("a.example")})}),
                      Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{0x55, 0x04, 0x03}}), Tlv(der::kIa5String, {Raw("b.example")})})})});
  Der spki = Tlv(der::kSequence, {Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}})}), Tlv(der::kBitString, {{0x00, 0x04, 0x01}})});
  Der san = Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{0x55, 0x1d, 0x11}}), Tlv(der::kOctetString, {Tlv(der::kSequence, {
      Tlv(kGeneralNameDns, {Raw("c.example")}), Tlv(kGeneralNameIp, {{192, 0, 2, 1}}),
      Tlv(der::ContextPrimitive(1), {Raw("x@example")}),
      Tlv(kGeneralNameIp, {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}),
      Tlv(kGeneralNameDns, {Raw("*.d.example")})})})});
  Der poison = Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{kOidCtPoison.begin(), kOidCtPoison.end()}}), Tlv(der::kBoolean, {{0xff}}), Tlv(der::kOctetString, {{0x05, 0x00}})});
  Der extensions = Tlv(0xa3, {Tlv(der::kSequence, {san, poison})});
  Der trailer{};

  Der Build() const {
    return Tlv(der::kSequence, {version, serial, signature, issuer, validity, subject, spki, extensions, trailer});
  }
};

}  // namespace pinwatch::testing
