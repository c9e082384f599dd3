// TBS identity hash. See tbs_hash.h.
#include "x509/tbs_hash.h"

#include <algorithm>
#include <array>

namespace pinwatch::x509 {
namespace {

// Header is one DER tag and minimal definite length (X.690 §10.1).
struct Header {
  std::array<uint8_t, 6> bytes{};
  size_t size = 0;
  Bytes view() const { return Bytes(bytes.data(), size); }
};

Header EncodeHeader(uint8_t tag, size_t length) {
  Header h;
  h.bytes[h.size++] = tag;
  if (length < 0x80) {
    h.bytes[h.size++] = static_cast<uint8_t>(length);
    return h;
  }
  size_t octets = 0;
  for (size_t l = length; l != 0; l >>= 8) ++octets;
  h.bytes[h.size++] = static_cast<uint8_t>(0x80 | octets);
  for (size_t i = octets; i-- > 0;) h.bytes[h.size++] = static_cast<uint8_t>(length >> (8 * i));
  return h;
}

bool IsCtExtension(Bytes oid) {
  return std::ranges::equal(oid, kOidCtPoison) || std::ranges::equal(oid, kOidCtSctList);
}

// EmitIdentityTbs calls `emit(Bytes)` with consecutive pieces of the re-encoded TBS.
template <class Emit>
void EmitIdentityTbs(const TbsView& tbs, Emit&& emit) {
  if (!tbs.has_poison && !tbs.has_sct_list) {
    emit(tbs.tlv);
    return;
  }
  Bytes whole = tbs.tlv;
  std::optional<der::Element> seq = der::TakeElement(whole);
  const Bytes contents = seq->contents;  // validated by the parser
  // TBS contents = prefix | [3] wrapper | suffix (empty in a valid TBS: [3] is last).
  const size_t prefix_size = static_cast<size_t>(tbs.extensions_tlv.data() - contents.data());
  const Bytes prefix = contents.first(prefix_size);
  const Bytes suffix = contents.subspan(prefix_size + tbs.extensions_tlv.size());
  size_t kept_size = 0;
  for (const ExtensionView& ext : tbs.extensions()) {
    if (!IsCtExtension(ext.oid)) kept_size += ext.tlv.size();
  }
  const Header seq_header = EncodeHeader(der::kSequence, kept_size);
  const size_t seq_size = seq_header.size + kept_size;
  const Header wrapper_header = EncodeHeader(der::ContextConstructed(3), seq_size);
  const size_t wrapper_size = kept_size == 0 ? 0 : wrapper_header.size + seq_size;
  emit(EncodeHeader(der::kSequence, prefix.size() + wrapper_size + suffix.size()).view());
  emit(prefix);
  if (kept_size != 0) {
    emit(wrapper_header.view());
    emit(seq_header.view());
    for (const ExtensionView& ext : tbs.extensions()) {
      if (!IsCtExtension(ext.oid)) emit(ext.tlv);
    }
  }
  emit(suffix);
}

}  // namespace

Hash ComputeTbsIdentityHash(const TbsView& tbs, Sha256& sha) {
  EmitIdentityTbs(tbs, [&sha](Bytes piece) { sha.Update(piece); });
  return sha.Final();
}

Result<Hash> ComputeTbsIdentityHash(Bytes tbs) {
  Result<TbsView> view = ParseTbsCertificate(tbs);
  if (!view.ok()) return view.status();
  thread_local Sha256 sha;
  return ComputeTbsIdentityHash(*view, sha);
}

void EncodeTbsWithoutCtExtensions(const TbsView& tbs, std::vector<uint8_t>& out) {
  EmitIdentityTbs(tbs, [&out](Bytes piece) { out.insert(out.end(), piece.begin(), piece.end()); });
}

}  // namespace pinwatch::x509
