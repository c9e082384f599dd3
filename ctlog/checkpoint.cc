#include "ctlog/checkpoint.h"

#include <cassert>
#include <charconv>
#include <cstdio>
#include <optional>
#include <memory>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "base/byte_writer.h"
#include "base/encoding.h"

namespace pinwatch::ctlog {
namespace {

// The signature line prefix: U+2014 EM DASH, then U+0020 SPACE.
constexpr std::string_view kEmDashSpace = "\xE2\x80\x94 ";

bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    // signed-note: no Unicode spaces or '+'; no control characters anywhere in a note.
    // Non-ASCII Unicode spaces are not checked here (we never produce them).
    if (c == ' ' || c == '+' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// At renders a position inside the note for error messages.
std::string At(std::string_view note, std::string_view part) {
  return " at byte offset " + std::to_string(part.data() - note.data());
}

// ValidateNoteCharacters checks signed-note's "MUST be valid UTF-8 and MUST NOT contain
// any ASCII control characters (those below U+0020) other than newline". UTF-8 per
// RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
Status ValidateNoteCharacters(std::string_view note) {
  const auto* s = reinterpret_cast<const unsigned char*>(note.data());
  const size_t n = note.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      if (c < 0x20 && c != '\n') {
        return MalformedError("note: control character " + std::to_string(c) + " at byte offset " +
                              std::to_string(i));
      }
      ++i;
      continue;
    }
    size_t len;
    uint32_t min, cp;
    if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; cp = c & 0x07; }
    else return MalformedError("note: invalid UTF-8 at byte offset " + std::to_string(i));
    if (len > n - i) return MalformedError("note: truncated UTF-8 at byte offset " + std::to_string(i));
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) {
        return MalformedError("note: invalid UTF-8 at byte offset " + std::to_string(i));
      }
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return MalformedError("note: invalid UTF-8 at byte offset " + std::to_string(i));
    }
    i += len;
  }
  return OkStatus();
}

uint32_t FirstFourBytesBigEndian(const Hash& h) {
  return uint32_t{h[0]} << 24 | uint32_t{h[1]} << 16 | uint32_t{h[2]} << 8 | h[3];
}

}  // namespace

std::string FormatCheckpointBody(std::string_view origin, uint64_t tree_size, const Hash& root) {
  assert(!origin.empty() && origin.find('\n') == std::string_view::npos);
  std::string out;
  out.reserve(origin.size() + 1 + 20 + 1 + 44 + 1);
  out.append(origin).push_back('\n');            // origin
  out.append(std::to_string(tree_size)).push_back('\n');  // tree size, no leading zeroes
  out.append(Base64Encode(root)).push_back('\n');         // root hash
  return out;
}

uint32_t NoteKeyId(std::string_view key_name, uint8_t signature_type, Bytes public_key) {
  Sha256 h;
  h.Update(AsBytes(key_name)).Update(uint8_t{0x0A}).Update(signature_type).Update(public_key);
  return FirstFourBytesBigEndian(h.Final());
}

uint32_t Rfc6962NoteKeyIdForLogId(std::string_view key_name, const Hash& log_id) {
  return NoteKeyId(key_name, kNoteSignatureTypeRfc6962, log_id);
}

uint32_t Rfc6962NoteKeyId(std::string_view key_name, Bytes spki_der) {
  return Rfc6962NoteKeyIdForLogId(key_name, Sha256Of(spki_der));
}

std::vector<uint8_t> EncodeRfc6962NoteSignature(uint64_t timestamp_ms, const DigitallySigned& signature) {
  std::vector<uint8_t> ds = EncodeDigitallySigned(signature);
  std::vector<uint8_t> out;
  out.reserve(8 + ds.size());
  ByteWriter w(out);
  w.U64(timestamp_ms);
  w.Write(ds);
  return out;
}

std::string FormatNoteSignatureLine(std::string_view key_name, uint32_t key_id, Bytes signature) {
  assert(IsValidKeyName(key_name));
  std::vector<uint8_t> blob;
  blob.reserve(4 + signature.size());
  ByteWriter w(blob);
  w.U32(key_id);
  w.Write(signature);
  std::string out;
  out.append(kEmDashSpace).append(key_name).append(" ").append(Base64Encode(blob)).push_back('\n');
  return out;
}

std::string FormatRfc6962Checkpoint(std::string_view origin, const SignedTreeHead& sth, Bytes spki_der) {
  std::string note = FormatCheckpointBody(origin, sth.tree_size, sth.root_hash);
  note.push_back('\n');
  note += FormatNoteSignatureLine(origin, Rfc6962NoteKeyId(origin, spki_der),
                                  EncodeRfc6962NoteSignature(sth.timestamp_ms, sth.signature));
  return note;
}

Result<SignedNote> ParseSignedNote(std::string_view note) {
  if (note.size() > kMaxNoteBytes) {
    return MalformedError("note: " + std::to_string(note.size()) + " bytes, over the cap of " +
                          std::to_string(kMaxNoteBytes));
  }
  if (Status s = ValidateNoteCharacters(note); !s.ok()) return s;
  // note = text blank-line signature-lines, split at the LAST blank line ("\n\n").
  const size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return MalformedError("note: no blank line before the signatures");
  SignedNote out;
  out.text = note.substr(0, split + 1);
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty()) return MalformedError("note: no signature lines");
  if (sigs.back() != '\n') return MalformedError("note: last signature line does not end in a newline");
  while (!sigs.empty()) {
    const size_t eol = sigs.find('\n');  // present: sigs ends in '\n'
    const std::string_view line = sigs.substr(0, eol);
    sigs.remove_prefix(eol + 1);
    if (out.signatures.size() == kMaxNoteSignatures) {
      return MalformedError("note: more than " + std::to_string(kMaxNoteSignatures) + " signatures");
    }
    // "— " key-name " " base64(uint32 key ID || signature)
    if (!line.starts_with(kEmDashSpace)) {
      return MalformedError("note: signature line does not start with an em dash and space" + At(note, line));
    }
    const std::string_view rest = line.substr(kEmDashSpace.size());
    const size_t space = rest.find(' ');
    if (space == std::string_view::npos) {
      return MalformedError("note: signature line has no space after the key name" + At(note, line));
    }
    NoteSignature sig;
    sig.key_name = rest.substr(0, space);
    if (!IsValidKeyName(sig.key_name)) return MalformedError("note: invalid key name" + At(note, line));
    auto blob = Base64Decode(rest.substr(space + 1));
    if (!blob) return MalformedError("note: signature is not valid base64" + At(note, line));
    if (blob->size() < 5) return MalformedError("note: signature shorter than a key ID plus one byte" + At(note, line));
    sig.key_id = uint32_t{(*blob)[0]} << 24 | uint32_t{(*blob)[1]} << 16 | uint32_t{(*blob)[2]} << 8 | (*blob)[3];
    sig.signature.assign(blob->begin() + 4, blob->end());
    out.signatures.push_back(std::move(sig));
  }
  return out;
}

Result<Checkpoint> ParseCheckpoint(std::string_view note) {
  auto signed_note = ParseSignedNote(note);
  if (!signed_note.ok()) return signed_note.status();
  Checkpoint cp;
  cp.body = signed_note->text;
  cp.signatures = std::move(signed_note->signatures);
  std::string_view text = cp.body;  // ends in '\n' (ParseSignedNote)
  auto next_line = [&text]() {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol + 1);
    return line;
  };
  // origin: non-empty
  cp.origin = next_line();
  if (cp.origin.empty()) return MalformedError("checkpoint: empty origin line");
  // tree size: ASCII decimal, no leading zeroes unless it is "0"
  if (text.empty()) return MalformedError("checkpoint: missing tree size line");
  const std::string_view size = next_line();
  if (size.empty() || (size.size() > 1 && size[0] == '0') ||
      size.find_first_not_of("0123456789") != std::string_view::npos) {
    return MalformedError("checkpoint: tree size line is not a decimal without leading zeroes" + At(note, size));
  }
  const auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), cp.tree_size);
  if (ec != std::errc() || end != size.data() + size.size()) {
    return MalformedError("checkpoint: tree size does not fit in 64 bits" + At(note, size));
  }
  // root hash: base64 of 32 bytes
  if (text.empty()) return MalformedError("checkpoint: missing root hash line");
  const std::string_view root = next_line();
  auto root_bytes = Base64Decode(root);
  if (!root_bytes || root_bytes->size() != cp.root_hash.size()) {
    return MalformedError("checkpoint: root hash line is not base64 of 32 bytes" + At(note, root));
  }
  std::copy(root_bytes->begin(), root_bytes->end(), cp.root_hash.begin());
  // extension lines: non-empty
  while (!text.empty()) {
    const std::string_view ext = next_line();
    if (ext.empty()) return MalformedError("checkpoint: empty extension line" + At(note, ext));
    cp.extension_lines.push_back(ext);
  }
  return cp;
}

Result<std::vector<SignedTreeHead>> ParseRfc6962CheckpointHeads(std::string_view note, std::string_view origin,
                                                                const LogKey& key) {
  auto cp = ParseCheckpoint(note);
  if (!cp.ok()) return cp.status();
  if (cp->origin != origin) {
    return FailedPreconditionError("checkpoint: origin \"" + std::string(cp->origin) +
                                   "\" is not the configured \"" + std::string(origin) + "\"");
  }
  // static-ct-api: "A checkpoint signed with this algorithm MUST NOT include any extension lines."
  if (!cp->extension_lines.empty()) return MalformedError("checkpoint: RFC 6962 checkpoint has extension lines");
  const uint32_t key_id = Rfc6962NoteKeyIdForLogId(origin, key.log_id());
  std::vector<SignedTreeHead> heads;
  for (const NoteSignature& sig : cp->signatures) {
    if (sig.key_name != origin || sig.key_id != key_id) continue;  // another key: ignored
    // struct { uint64 timestamp; DigitallySigned signature; } RFC6962NoteSignature;
    ByteReader r(sig.signature);
    auto timestamp = r.U64();
    if (!timestamp) return MalformedError("checkpoint: RFC6962NoteSignature.timestamp truncated");
    auto ds = ParseDigitallySigned(r.Rest());
    if (!ds.ok()) return MalformedError("checkpoint: RFC6962NoteSignature.signature: " + ds.status().message());
    heads.push_back({.tree_size = cp->tree_size, .timestamp_ms = *timestamp, .root_hash = cp->root_hash,
                     .signature = *std::move(ds)});
  }
  if (heads.empty()) {
    char id[9];
    std::snprintf(id, sizeof id, "%08x", key_id);
    return FailedPreconditionError("checkpoint: no signature from the log key (name \"" + std::string(origin) +
                                   "\", key ID " + id + ")");
  }
  return heads;
}

Result<SignedTreeHead> VerifyRfc6962Checkpoint(std::string_view note, std::string_view origin,
                                               const LogKey& key) {
  auto heads = ParseRfc6962CheckpointHeads(note, origin, key);
  if (!heads.ok()) return heads.status();
  for (const SignedTreeHead& sth : *heads) {
    if (Status s = VerifySignedTreeHead(sth, key); !s.ok()) {
      return Status(s.code(), "checkpoint: " + s.message());
    }
  }
  return std::move(heads->front());
}

Result<std::string_view> VerifyEd25519Note(std::string_view note, std::string_view vkey) {
  // vkey = name "+" hex8(key ID) "+" base64(0x01 || 32-byte Ed25519 public key)
  const size_t plus1 = vkey.find('+');
  const size_t plus2 = plus1 == std::string_view::npos ? plus1 : vkey.find('+', plus1 + 1);
  if (plus2 == std::string_view::npos) return MalformedError("vkey: want name+keyid+key");
  const std::string_view name = vkey.substr(0, plus1);
  const std::string_view id_hex = vkey.substr(plus1 + 1, plus2 - plus1 - 1);
  if (!IsValidKeyName(name)) return MalformedError("vkey: invalid key name");
  auto id_bytes = id_hex.size() == 8 ? HexDecode(id_hex) : std::nullopt;
  if (!id_bytes) return MalformedError("vkey: key ID is not 8 hex digits");
  const uint32_t key_id = uint32_t{(*id_bytes)[0]} << 24 | uint32_t{(*id_bytes)[1]} << 16 |
                          uint32_t{(*id_bytes)[2]} << 8 | (*id_bytes)[3];
  auto key = Base64Decode(vkey.substr(plus2 + 1));
  if (!key || key->size() != 33 || (*key)[0] != kNoteSignatureTypeEd25519) {
    return MalformedError("vkey: key is not base64(0x01 || 32-byte Ed25519 public key)");
  }
  const Bytes public_key = Bytes(*key).subspan(1);
  if (NoteKeyId(name, kNoteSignatureTypeEd25519, public_key) != key_id) {
    return MalformedError("vkey: key ID does not match the name and key");
  }
  auto parsed = ParseSignedNote(note);
  if (!parsed.ok()) return parsed.status();

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()),
      EVP_PKEY_free);
  if (!pkey) {
    ERR_clear_error();
    return MalformedError("vkey: not a valid Ed25519 public key");
  }
  bool matched = false;
  for (const NoteSignature& sig : parsed->signatures) {
    if (sig.key_name != name || sig.key_id != key_id) continue;  // another key: ignored
    matched = true;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
      ERR_clear_error();
      return InternalError("Ed25519 EVP_DigestVerifyInit failed");
    }
    const Bytes text = AsBytes(parsed->text);
    const int rc = EVP_DigestVerify(ctx.get(), sig.signature.data(), sig.signature.size(), text.data(), text.size());
    ERR_clear_error();
    if (rc != 1) return MisbehaviourError("note: Ed25519 signature by " + std::string(name) + " does not verify");
  }
  if (!matched) return FailedPreconditionError("note: no signature from " + std::string(vkey.substr(0, plus2)));
  return parsed->text;
}

}  // namespace pinwatch::ctlog
