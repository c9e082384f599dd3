// Fuzzes ParseCertificate, ParseTbsCertificate, WalkNamesBestEffort and the TBS identity
// re-encoding. Invariants: strict errors are always kMalformed; the best-effort walk never
// crashes; when a strict parse succeeds, the walk reports exactly the names the strict view
// yields, the counters equal the iterations, and the identity TBS re-parses without CT
// extensions and hashes to the identity hash. An input holding a PEM CERTIFICATE block is
// also fuzzed as its DER, so the corpus can name the real PEM files in shared testdata.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/encoding.h"
#include "base/pem.h"
#include "base/sha256.h"
#include "x509/cert_view.h"
#include "x509/tbs_hash.h"

namespace {

using namespace pinwatch;
using namespace pinwatch::x509;

struct Names {
  std::vector<Bytes> cns, dns, ips;
};

bool SameBytes(const std::vector<Bytes>& a, const std::vector<Bytes>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].data() != b[i].data() || a[i].size() != b[i].size()) return false;
  }
  return true;
}

void Check(const TbsView& tbs, const Names& walked) {
  Names strict;
  for (const AttributeValueView& cn : tbs.SubjectCommonNames()) strict.cns.push_back(cn.value);
  for (Bytes n : tbs.SanDnsNames()) strict.dns.push_back(n);
  for (Bytes n : tbs.SanIpAddresses()) strict.ips.push_back(n);
  if (strict.dns.size() != tbs.san_dns_name_count) std::abort();
  if (strict.ips.size() != tbs.san_ip_address_count) std::abort();
  if (!SameBytes(strict.cns, walked.cns) || !SameBytes(strict.dns, walked.dns) ||
      !SameBytes(strict.ips, walked.ips)) {
    std::abort();
  }
  size_t extensions = 0;
  for (const ExtensionView& ext : tbs.extensions()) {
    if (ext.oid.empty()) std::abort();
    ++extensions;
  }
  if ((extensions == 0) != tbs.extensions_body.empty()) std::abort();
  std::vector<uint8_t> rebuilt;
  EncodeTbsWithoutCtExtensions(tbs, rebuilt);
  Result<TbsView> again = ParseTbsCertificate(rebuilt);
  if (!again.ok() || again->has_poison || again->has_sct_list) std::abort();
  Sha256 sha;
  if (ComputeTbsIdentityHash(tbs, sha) != Sha256Of(rebuilt)) std::abort();
}

void FuzzDer(Bytes in) {
  Names walked;
  WalkNamesBestEffort(in, [&walked](const FoundName& n) {
    (n.source == NameSource::kSubjectCommonName ? walked.cns
     : n.source == NameSource::kSanDnsName      ? walked.dns
                                                : walked.ips)
        .push_back(n.value);
  });
  Result<CertificateView> cert = ParseCertificate(in);
  Result<TbsView> tbs = ParseTbsCertificate(in);
  if (!cert.ok() && cert.status().code() != Code::kMalformed) std::abort();
  if (!tbs.ok() && tbs.status().code() != Code::kMalformed) std::abort();
  if (cert.ok() && tbs.ok()) std::abort();  // a Certificate is never a TBS
  if (cert.ok()) Check(cert->tbs, walked);
  if (tbs.ok()) Check(*tbs, walked);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzDer(Bytes(data, size));
  // The PEM decoder too: every block it returns is walked as DER.
  Result<std::vector<PemBlock>> blocks = DecodePemBlocks(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!blocks.ok() && blocks.status().code() != Code::kMalformed) std::abort();
  if (blocks.ok()) {
    for (const PemBlock& block : *blocks) FuzzDer(block.der);
  }
  return 0;
}
