// Throwaway PKI for tests: certificate authorities and leaf certificates made in the test
// with OpenSSL (EC P-256 keys, ECDSA with SHA-256), so no test depends on a key that lives
// in the repository or on a real CA. The same helpers make a "TLS-inspection CA" for
// integration tests (an interceptor's own root, unknown to every CT log) and the roots and
// chains of unit tests. Keys are new on every call: two CAs made with the same name have
// the same subject DN and different keys (a forged issuer).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"

namespace pinwatch::testing {

// ThrowawayCertificate is one certificate with its private key, both DER.
struct ThrowawayCertificate {
  std::vector<uint8_t> der;              // the X.509 certificate
  std::vector<uint8_t> private_key_der;  // its key, PKCS#8 PrivateKeyInfo (EC P-256)
};

// KeyIdentifiers says whether a certificate carries subjectKeyIdentifier and (when issued
// by another) authorityKeyIdentifier. Real CAs include them; a test that wants OpenSSL's
// issuer check to get as far as the signature omits them (with them, a forged issuer is
// already told apart by its key identifier).
enum class KeyIdentifiers { kInclude, kOmit };

// ThrowawayOptions tune a certificate; the defaults suit most tests.
struct ThrowawayOptions {
  // Validity, in Unix seconds, inclusive both ends. 0: from a day before now to 90 days
  // (leaves) or 10 years (CAs) after.
  int64_t not_before_unix_s = 0;
  int64_t not_after_unix_s = 0;
  KeyIdentifiers key_identifiers = KeyIdentifiers::kInclude;
  // Organization (O) of the subject, before the common name in the DN (RFC 2253 text:
  // "CN=<name>,O=<organization>"); empty: none.
  std::string organization = "";
};

// MakeThrowawayCa returns a self-signed root CA with subject CN=`common_name` (and O when
// options.organization is set; never C): X.509 v3, a random 128-bit serial, basicConstraints
// CA:TRUE (critical), keyUsage keyCertSign and cRLSign (critical). kInternal with OpenSSL's
// error if OpenSSL fails. Thread-safe.
Result<ThrowawayCertificate> MakeThrowawayCa(std::string_view common_name, const ThrowawayOptions& options = {});

// MakeThrowawayIntermediateCa returns a CA certificate for CN=`common_name` issued (signed)
// by `issuer`, with a new key; the extensions are those of MakeThrowawayCa. kInternal if
// `issuer` does not parse or OpenSSL fails. Thread-safe.
Result<ThrowawayCertificate> MakeThrowawayIntermediateCa(const ThrowawayCertificate& issuer,
                                                         std::string_view common_name,
                                                         const ThrowawayOptions& options = {});

// MakeThrowawayLeaf returns an end-entity certificate for `dns_names` (subjectAltName
// dNSNames in that order; subject CN = the first name; at least one name) issued by
// `issuer`, with a new key: basicConstraints CA:FALSE, keyUsage digitalSignature (critical),
// extendedKeyUsage serverAuth. kInternal for no names, an `issuer` that does not parse, or
// an OpenSSL failure. Thread-safe.
Result<ThrowawayCertificate> MakeThrowawayLeaf(const ThrowawayCertificate& issuer,
                                               const std::vector<std::string>& dns_names,
                                               const ThrowawayOptions& options = {});

// CertificatePem and PrivateKeyPem return the PEM text ("CERTIFICATE", "PRIVATE KEY") of a
// throwaway certificate, as a TLS server or a pin-failure report wants them. ChainPem
// concatenates the certificates' PEM in the order given (leaf first, for a server).
std::string CertificatePem(const ThrowawayCertificate& certificate);
std::string PrivateKeyPem(const ThrowawayCertificate& certificate);
std::string ChainPem(const std::vector<const ThrowawayCertificate*>& chain_leaf_first);

// SpkiSha256Pin returns "sha256/<base64>" of the certificate's SubjectPublicKeyInfo, the
// pin an app would hold for it; empty if the DER does not parse.
std::string SpkiSha256Pin(Bytes certificate_der);

}  // namespace pinwatch::testing
