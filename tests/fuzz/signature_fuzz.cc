// Fuzzes the signature checks that stand between untrusted signed bytes and their use. The
// first byte's low two bits choose the check; the rest of the input is the untrusted part:
//   0  a log list's detached signature (VerifyLogListSignature, RSA-2048 made at start):
//      the input as the list, signed here, verifies and fails with any one bit of the
//      signature changed; the input as the signature of a fixed list verifies iff it is that
//      list's signature (PKCS#1 v1.5 signatures are unique); the input as the key is refused
//      with kFailedPrecondition or the signature fails with kMalformed
//   1  a static-ct-api checkpoint (ParseRfc6962CheckpointHeads, VerifyRfc6962Checkpoint, with
//      the fixed P-256 key below, so the corpus can hold genuinely signed notes): both fail
//      only with their documented codes, agree with each other and with VerifySignedTreeHead
//      head by head; a checkpoint made from the input and signed here verifies, and with any
//      one byte of its signature line changed it does not
//   2  an Ed25519 signed note (VerifyEd25519Note, fixed key): documented codes only, an
//      accepted note returns its own text; a note made from the input and signed here
//      verifies, and with one bit of the signature changed it is kMisbehaviour
//   3  a pin-set document's .sig file text (VerifyDocumentSignature, P-256 key below): never
//      accepted unless it decodes to a signature the key made over the fixed document,
//      kMalformed or kFailedPrecondition otherwise; the document's own signature verifies
// The private keys are test keys, no secret.
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/encoding.h"
#include "base/sha256.h"
#include "ctlog/checkpoint.h"
#include "ctlog/log_key.h"
#include "ctlog/loglist.h"
#include "ctlog/sth.h"
#include "pins/signing.h"

namespace {

using namespace pinwatch;
using namespace pinwatch::ctlog;

void Check(bool ok) {
  if (!ok) std::abort();
}

Bytes BytesOf(std::string_view s) { return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

// A P-256 test key: the checkpoint log's key and the pin-set signing key.
constexpr std::string_view kP256PrivateKeyPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgunpNtM0ijs7b32Us\n"
    "01irkW6KvWQVEbBS6UZc6aBqHN6hRANCAASRptfjZmuNXuShPEgN5nQ4Wnzq6DA9\n"
    "hVT5FEMRCTGINF0k8cEL4kzQQCgz4wpDNxAsxLu7TvnJZLjJCJLDPpu4\n"
    "-----END PRIVATE KEY-----\n";
// The Ed25519 test key's 32-byte seed.
constexpr uint8_t kEd25519Seed[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                      17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
constexpr std::string_view kOrigin = "fuzz.example/log";
constexpr std::string_view kNoteName = "fuzz.example/note";
constexpr std::string_view kFixedList = R"({"version":"1.0","operators":[]})";
constexpr std::string_view kFixedDocument = R"({"name":"fuzz"})";

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

// SignWith signs `message` with `key`: SHA-256 for RSA (PKCS#1 v1.5) and ECDSA, none for Ed25519.
std::vector<uint8_t> SignWith(EVP_PKEY* key, const EVP_MD* md, Bytes message) {
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  Check(ctx && EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key) == 1);
  Check(EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) == 1);
  std::vector<uint8_t> sig(len);
  Check(EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) == 1);
  sig.resize(len);
  return sig;
}

std::vector<uint8_t> SpkiDer(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  Check(len > 0);
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

struct Keys {
  PkeyPtr rsa{EVP_RSA_gen(2048), EVP_PKEY_free};
  std::vector<uint8_t> rsa_spki = SpkiDer(rsa.get());
  std::vector<uint8_t> fixed_list_signature = SignWith(rsa.get(), EVP_sha256(), BytesOf(kFixedList));

  pins::SigningKey p256 = *pins::SigningKey::FromPem(kP256PrivateKeyPem, "signature_fuzz");  // Result&&: moved
  LogKey log_key = *LogKey::FromPem(p256.PublicKeyPem());
  std::string p256_public_pem = p256.PublicKeyPem();
  std::string document_signature = pins::SignatureFileText(*p256.Sign(BytesOf(kFixedDocument)));

  PkeyPtr ed25519{EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, kEd25519Seed, sizeof kEd25519Seed),
                  EVP_PKEY_free};
  uint32_t ed25519_key_id = 0;
  std::string vkey;

  Keys() {
    uint8_t pub[32];
    size_t len = sizeof pub;
    Check(EVP_PKEY_get_raw_public_key(ed25519.get(), pub, &len) == 1 && len == 32);
    ed25519_key_id = NoteKeyId(kNoteName, kNoteSignatureTypeEd25519, Bytes(pub, len));
    std::vector<uint8_t> typed = {kNoteSignatureTypeEd25519};
    typed.insert(typed.end(), pub, pub + len);
    char id[9];
    std::snprintf(id, sizeof id, "%08x", ed25519_key_id);
    vkey = std::string(kNoteName) + "+" + id + "+" + Base64Encode(typed);
  }
};

const Keys& TheKeys() {
  static const Keys* keys = new Keys();  // lives for the process (LeakSanitizer: reachable)
  return *keys;
}

// Trimmed drops ASCII whitespace at both ends, as a .sig file's reader does.
std::string_view Trimmed(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

// Hash64 picks a position from the input, so that every byte can be the one changed.
uint64_t Hash64(Bytes in) {
  const Hash h = Sha256Of(in);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | h[i];
  return v;
}

void FuzzListSignature(Bytes in) {
  const Keys& k = TheKeys();
  // The input as the list, signed here.
  std::vector<uint8_t> sig = SignWith(k.rsa.get(), EVP_sha256(), in);
  Check(VerifyLogListSignature(in, sig, k.rsa_spki).ok());
  sig[Hash64(in) / 8 % sig.size()] ^= uint8_t(1u << (Hash64(in) % 8));
  Check(VerifyLogListSignature(in, sig, k.rsa_spki).code() == Code::kMalformed);
  // The input as the signature of a fixed list.
  const Status as_signature = VerifyLogListSignature(BytesOf(kFixedList), in, k.rsa_spki);
  const bool genuine = std::equal(in.begin(), in.end(), k.fixed_list_signature.begin(), k.fixed_list_signature.end());
  Check(as_signature.ok() == genuine);
  if (!as_signature.ok()) Check(as_signature.code() == Code::kMalformed);
  // The input as the key.
  const Status as_key = VerifyLogListSignature(BytesOf(kFixedList), k.fixed_list_signature, in);
  if (!as_key.ok()) Check(as_key.code() == Code::kFailedPrecondition || as_key.code() == Code::kMalformed);
}

void FuzzCheckpoint(Bytes in) {
  const Keys& k = TheKeys();
  const std::string_view note(reinterpret_cast<const char*>(in.data()), in.size());
  auto heads = ParseRfc6962CheckpointHeads(note, kOrigin, k.log_key);
  auto verified = VerifyRfc6962Checkpoint(note, kOrigin, k.log_key);
  if (!heads.ok()) {
    Check(heads.status().code() == Code::kMalformed || heads.status().code() == Code::kFailedPrecondition);
    Check(!verified.ok() && verified.status().code() == heads.status().code());
  } else {
    Status first_failure = OkStatus();
    for (const SignedTreeHead& head : *heads) {
      Status s = VerifySignedTreeHead(head, k.log_key);
      Check(s.ok() || s.code() == Code::kMisbehaviour || s.code() == Code::kMalformed);
      if (first_failure.ok() && !s.ok()) first_failure = s;
    }
    Check(verified.ok() == first_failure.ok());
    if (verified.ok()) Check(*verified == heads->front());
    else Check(verified.status().code() == first_failure.code());
  }

  // A checkpoint made from the input and signed here verifies; one changed byte in its
  // signature line (after the em dash) makes it fail.
  const uint64_t h = Hash64(in);
  SignedTreeHead sth{.tree_size = h >> 1, .timestamp_ms = h >> 20, .root_hash = Sha256Of(in), .signature = {}};
  const auto input = SerializeTreeHeadSignatureInput(sth.timestamp_ms, sth.tree_size, sth.root_hash);
  sth.signature = {.hash_algorithm = kHashSha256, .signature_algorithm = kSignatureEcdsa,
                   .signature = *k.p256.Sign(input)};
  std::string signed_note = FormatRfc6962Checkpoint(kOrigin, sth, k.log_key.spki_der());
  auto good = VerifyRfc6962Checkpoint(signed_note, kOrigin, k.log_key);
  Check(good.ok() && *good == sth);
  // "— origin base64(key ID || RFC6962NoteSignature)\n": change one base64 digit or '='.
  const size_t base64_begin = signed_note.find("\n\n") + 2 + 4 + kOrigin.size() + 1;
  const size_t at = base64_begin + h % (signed_note.size() - 1 - base64_begin);
  signed_note[at] = signed_note[at] == 'A' ? 'B' : 'A';
  auto bad = VerifyRfc6962Checkpoint(signed_note, kOrigin, k.log_key);
  Check(!bad.ok());
}

void FuzzEd25519Note(Bytes in) {
  const Keys& k = TheKeys();
  const std::string_view note(reinterpret_cast<const char*>(in.data()), in.size());
  auto verified = VerifyEd25519Note(note, k.vkey);
  if (verified.ok()) {
    Check(note.starts_with(*verified) && verified->ends_with("\n"));
  } else {
    const Code code = verified.status().code();
    Check(code == Code::kMalformed || code == Code::kFailedPrecondition || code == Code::kMisbehaviour);
  }

  // A note made from the input (its hex: printable) and signed here verifies.
  const std::string text = "fuzz\n" + HexEncode(in.first(std::min<size_t>(in.size(), 64))) + "\n";
  std::vector<uint8_t> sig = SignWith(k.ed25519.get(), nullptr, BytesOf(text));
  std::string good = text + "\n" + FormatNoteSignatureLine(kNoteName, k.ed25519_key_id, sig);
  auto ok = VerifyEd25519Note(good, k.vkey);
  Check(ok.ok() && *ok == text);
  sig[Hash64(in) / 8 % sig.size()] ^= uint8_t(1u << (Hash64(in) % 8));
  std::string bad = text + "\n" + FormatNoteSignatureLine(kNoteName, k.ed25519_key_id, sig);
  Check(VerifyEd25519Note(bad, k.vkey).status().code() == Code::kMisbehaviour);
}

void FuzzDocumentSignature(Bytes in) {
  const Keys& k = TheKeys();
  Check(pins::VerifyDocumentSignature(k.p256_public_pem, BytesOf(kFixedDocument), k.document_signature).ok());
  const std::string_view sig_text(reinterpret_cast<const char*>(in.data()), in.size());
  const Status s = pins::VerifyDocumentSignature(k.p256_public_pem, BytesOf(kFixedDocument), sig_text);
  if (s.ok()) {
    // Only a signature of this document by this key: the decoded bytes verify with OpenSSL too.
    std::optional<std::vector<uint8_t>> der = Base64Decode(Trimmed(sig_text));
    Check(der.has_value());
    Check(k.log_key.Verify(BytesOf(kFixedDocument),
                           {.hash_algorithm = kHashSha256, .signature_algorithm = kSignatureEcdsa, .signature = *der})
              .ok());
  } else {
    Check(s.code() == Code::kMalformed || s.code() == Code::kFailedPrecondition);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Bytes rest(data + 1, size - 1);
  switch (data[0] & 3) {
    case 0:
      FuzzListSignature(rest);
      break;
    case 1:
      FuzzCheckpoint(rest);
      break;
    case 2:
      FuzzEd25519Note(rest);
      break;
    default:
      FuzzDocumentSignature(rest);
  }
  return 0;
}
