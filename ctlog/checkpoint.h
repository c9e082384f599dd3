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
#include "ctlog/log_key.h"
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

// --- Parsing and verification -----------------------------------------------------

// NoteSignature is one signature line, "— <key_name> base64(key_id || signature)". Not
// verified. key_name aliases the parsed note; signature is owned.
struct NoteSignature {
  std::string_view key_name;
  uint32_t key_id = 0;
  std::vector<uint8_t> signature;  // the bytes after the 4-byte key ID (at least 1)
};

// SignedNote is a parsed signed note. `text` (the signed message, including its final
// newline) and the key names alias the input.
struct SignedNote {
  std::string_view text;
  std::vector<NoteSignature> signatures;  // in order, at least one
};

// ParseSignedNote splits a note (C2SP signed-note) into its text and signature lines:
// valid UTF-8 without control characters other than newline, at most kMaxNoteBytes,
// the text ending in a newline, then a blank line (the LAST one in the note separates),
// then 1..kMaxNoteSignatures lines "— name base64\n" with a valid key name and at least
// 5 decoded bytes. Returns the views (aliasing `note`); kMalformed naming the problem
// and byte offset otherwise. Verifies nothing. Thread-safe.
Result<SignedNote> ParseSignedNote(std::string_view note);

// Checkpoint is a parsed checkpoint (tlog-checkpoint) with its note signatures. Views
// alias the parsed note. Nothing is verified: use VerifyRfc6962Checkpoint.
struct Checkpoint {
  std::string_view origin;
  uint64_t tree_size = 0;
  Hash root_hash{};
  std::vector<std::string_view> extension_lines;  // without their newlines
  std::string_view body;                          // the whole note text
  std::vector<NoteSignature> signatures;
};

// ParseCheckpoint parses a signed note whose text is a checkpoint:
//   origin (non-empty) \n tree size (decimal, no leading zeroes, < 2^64) \n
//   base64(32-byte root) \n { non-empty extension line \n }
// Returns the checkpoint (views alias `note`); kMalformed naming the line otherwise.
// Parsing is strict, so FormatCheckpointBody(origin, tree_size, root_hash) followed by
// the extension lines reproduces `body` exactly. Thread-safe.
Result<Checkpoint> ParseCheckpoint(std::string_view note);

// VerifyRfc6962Checkpoint verifies a static-ct-api checkpoint from the log with `key`
// whose origin (submission prefix without scheme) is `origin`. It parses the note,
// requires the origin line to equal `origin` and no extension lines, then checks every
// signature line whose key name is `origin` and key ID is Rfc6962NoteKeyId(origin, key):
// each must hold an RFC6962NoteSignature whose TreeHeadSignature over (timestamp,
// tree_size, root_hash) verifies. Lines from other keys (witnesses, other algorithms)
// are ignored. Returns the tree head of the first matching line. Errors: kMalformed for a
// malformed note, extension lines, or a malformed RFC6962NoteSignature; kFailedPrecondition
// if the origin line differs or no line is from this key (a configuration or key mismatch);
// kMisbehaviour if a matching signature does not verify. Thread-safe.
Result<SignedTreeHead> VerifyRfc6962Checkpoint(std::string_view note, std::string_view origin,
                                               const LogKey& key);

// ParseRfc6962CheckpointHeads is VerifyRfc6962Checkpoint without the signature checks: the
// tree head of every signature line from this key, in note order (at least one), NOT
// verified. Errors as VerifyRfc6962Checkpoint, but never kMisbehaviour. For evidence: a
// head whose signature fails is kept as what the log claimed. Thread-safe.
Result<std::vector<SignedTreeHead>> ParseRfc6962CheckpointHeads(std::string_view note, std::string_view origin,
                                                                const LogKey& key);

// VerifyEd25519Note verifies a signed note with an Ed25519 verifier key in the Go
// golang.org/x/mod/sumdb/note "vkey" form: "<name>+<8 hex digits key ID>+base64(0x01 ||
// 32-byte public key)". The key ID must equal NoteKeyId(name, 0x01, public key). Every
// line with that name and key ID must verify (RFC 8032 over the note text); lines from
// other keys are ignored. Returns the note text (aliasing `note`). Errors: kMalformed
// for a malformed note or vkey; kFailedPrecondition if no line is from this key;
// kMisbehaviour if one does not verify. Thread-safe.
Result<std::string_view> VerifyEd25519Note(std::string_view note, std::string_view vkey);

}  // namespace pinwatch::ctlog
