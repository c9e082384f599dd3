// Checkpoints (C2SP tlog-checkpoint) carried in signed notes (C2SP signed-note), and the
// RFC 6962 tree head signature as a note signature (C2SP static-ct-api, "Checkpoints"):
//
//   <origin>\n<tree size, decimal>\n<base64 root hash>\n[<extension line>\n...]
//   \n
//   — <key name> base64(uint32 key ID || signature)\n   (one or more lines; U+2014 em dash)
//
// For an RFC 6962 log the key name is the origin and the signature is an
// RFC6962NoteSignature { uint64 timestamp; DigitallySigned TreeHeadSignature }.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"
#include "ctlog/sha256.h"
#include "ctlog/sth.h"

namespace pinwatch::ctlog {

// Signature type identifier bytes of C2SP signed-note ("Signature types").
inline constexpr uint8_t kNoteSignatureTypeEd25519 = 0x01;
inline constexpr uint8_t kNoteSignatureTypeRfc6962 = 0x05;

// kMaxNoteBytes caps a note we parse. Checkpoints are a few hundred bytes; the spec asks
// verifiers to accept at least 16 signatures of up to ~5 KB (post-quantum), so 1 MiB is
// generous and still bounded.
inline constexpr size_t kMaxNoteBytes = size_t{1} << 20;
// kMaxNoteSignatures caps the signature lines of a note (signed-note: "MUST accept at
// least up to 16"; Go's golang.org/x/mod/sumdb/note accepts 100, and so do we).
inline constexpr size_t kMaxNoteSignatures = 100;

// FormatCheckpointBody returns the checkpoint note text "origin\nsize\nbase64(root)\n"
// (tlog-checkpoint; no extension lines). The origin must be non-empty and free of
// newlines (a programming error otherwise; asserted). Thread-safe.
std::string FormatCheckpointBody(std::string_view origin, uint64_t tree_size, const Hash& root);

// Rfc6962NoteKeyId returns the key ID of an RFC 6962 log's note signatures, per C2SP
// static-ct-api: the first four bytes, big-endian, of
//   SHA-256(key_name || 0x0A || 0x05 || LogID), where LogID = SHA-256(SPKI DER).
// (The LogID, not the SPKI itself, is hashed in: this matches the spec and Sunlight.)
// Thread-safe.
uint32_t Rfc6962NoteKeyId(std::string_view key_name, Bytes spki_der);
// Rfc6962NoteKeyIdForLogId is Rfc6962NoteKeyId for a caller that already has the LogID.
uint32_t Rfc6962NoteKeyIdForLogId(std::string_view key_name, const Hash& log_id);

// NoteKeyId returns the signed-note recommended key ID of any key: the first four bytes,
// big-endian, of SHA-256(key_name || 0x0A || signature_type || public_key). Thread-safe.
uint32_t NoteKeyId(std::string_view key_name, uint8_t signature_type, Bytes public_key);

// EncodeRfc6962NoteSignature returns the bytes of
//   struct { uint64 timestamp; DigitallySigned signature; } RFC6962NoteSignature;
// (the note signature after the key ID). Thread-safe.
std::vector<uint8_t> EncodeRfc6962NoteSignature(uint64_t timestamp_ms, const DigitallySigned& signature);

// FormatNoteSignatureLine returns "— <key_name> base64(key_id || signature)\n", with the
// U+2014 em dash (UTF-8 E2 80 94) and the key ID big-endian. The key name must be
// non-empty and free of spaces, '+' and newlines (asserted). Thread-safe.
std::string FormatNoteSignatureLine(std::string_view key_name, uint32_t key_id, Bytes signature);

// FormatRfc6962Checkpoint returns a whole signed note for an RFC 6962 tree head: the
// checkpoint body for `origin`, a blank line, and one signature line whose key name is
// `origin` and whose key ID is Rfc6962NoteKeyId(origin, spki_der). This is how a
// static-ct-api log serves its STH (and how a get-sth response converts to a checkpoint
// without the private key). Thread-safe.
std::string FormatRfc6962Checkpoint(std::string_view origin, const SignedTreeHead& sth, Bytes spki_der);

}  // namespace pinwatch::ctlog
