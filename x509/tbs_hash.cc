// TBS identity hash. See tbs_hash.h.
#include "x509/tbs_hash.h"

#include <algorithm>
#include <array>

#include "base/byte_writer.h"

namespace pinwatch::x509 {
namespace {

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
  const DerHeader seq_header = EncodeDerHeader(der::kSequence, kept_size);
  const size_t seq_size = seq_header.size + kept_size;
  const DerHeader wrapper_header = EncodeDerHeader(der::ContextConstructed(3), seq_size);
  const size_t wrapper_size = kept_size == 0 ? 0 : wrapper_header.size + seq_size;
  emit(EncodeDerHeader(der::kSequence, prefix.size() + wrapper_size + suffix.size()).view());
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
