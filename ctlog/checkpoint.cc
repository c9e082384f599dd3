#include "ctlog/checkpoint.h"

#include <cassert>

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

void PutU32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
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
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(timestamp_ms >> shift));
  out.insert(out.end(), ds.begin(), ds.end());
  return out;
}

std::string FormatNoteSignatureLine(std::string_view key_name, uint32_t key_id, Bytes signature) {
  assert(IsValidKeyName(key_name));
  (void)IsValidKeyName;  // only used by assert in NDEBUG builds
  std::vector<uint8_t> blob;
  blob.reserve(4 + signature.size());
  PutU32(blob, key_id);
  blob.insert(blob.end(), signature.begin(), signature.end());
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

}  // namespace pinwatch::ctlog
