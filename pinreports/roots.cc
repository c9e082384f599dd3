#include "pinreports/roots.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>
#include <memory>
#include <set>
#include <utility>

#include "base/openssl_ptr.h"
#include "base/sha256.h"

namespace pinwatch::pinreports {
namespace {

using X509Ptr = OpenSslPtr<X509, X509_free>;

// kMaxNameBytes bounds a DN in a reason: names in a report's chain are the sender's to choose.
constexpr size_t kMaxNameBytes = 256;
// kMaxSkippedNamed bounds how many skipped certificates a reason lists by number.
constexpr size_t kMaxSkippedNamed = 5;

// ParseDer returns the certificate that `der` holds exactly, or nullptr.
X509Ptr ParseDer(const std::vector<uint8_t>& der) {
  if (der.empty() || der.size() > static_cast<size_t>(LONG_MAX)) return nullptr;
  const unsigned char* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x || p != der.data() + der.size()) {
    ERR_clear_error();
    return nullptr;
  }
  return x;
}

// SpkiDer is the certificate's SubjectPublicKeyInfo, DER; empty if it cannot be encoded.
std::vector<uint8_t> SpkiDer(X509* x) {
  unsigned char* buf = nullptr;
  const int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &buf);
  if (n <= 0) {
    ERR_clear_error();
    return {};
  }
  std::vector<uint8_t> out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

// NameText renders a DN as `openssl x509 -nameopt RFC2253,-esc_msb` does: UTF-8, with
// control characters escaped (so the reason stays one line), cut to kMaxNameBytes on a
// character boundary.
std::string NameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    ERR_clear_error();
    return "<a name that does not print>";
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  std::string text(data, n > 0 ? static_cast<size_t>(n) : 0);
  if (text.empty()) return "<an empty name>";
  if (text.size() > kMaxNameBytes) {
    size_t cut = kMaxNameBytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;  // not inside a UTF-8 character
    text.resize(cut);
    text += "...";
  }
  return text;
}

std::string SubjectOf(X509* x) { return NameText(X509_get_subject_name(x)); }

// Root is one distinct accepted root that parses.
struct Root {
  X509Ptr x;
  std::vector<uint8_t> spki;
};

// Link is one chain certificate that parses; `number` counts from 1, leaf first.
struct Link {
  size_t number;
  const std::vector<uint8_t>* der;
  X509Ptr x;
};

// Skipped is the note a reason ends with when chain certificates did not parse: "" for none.
std::string Skipped(const std::vector<size_t>& numbers) {
  if (numbers.empty()) return "";
  std::string list;
  for (size_t i = 0; i < numbers.size() && i < kMaxSkippedNamed; ++i) {
    list += (i == 0 ? "" : ", ") + std::to_string(numbers[i]);
  }
  if (numbers.size() > kMaxSkippedNamed) list += " and " + std::to_string(numbers.size() - kMaxSkippedNamed) + " more";
  return std::string(" (certificate") + (numbers.size() == 1 ? " " : "s ") + list +
         " skipped: not a DER X.509 certificate)";
}

}  // namespace

struct AcceptedRootSet::Impl {
  std::set<Hash> sha256;     // every distinct root, parseable or not
  std::vector<Root> parsed;  // those that parse
};

AcceptedRootSet::AcceptedRootSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AcceptedRootSet::AcceptedRootSet(AcceptedRootSet&&) noexcept = default;
AcceptedRootSet& AcceptedRootSet::operator=(AcceptedRootSet&&) noexcept = default;
AcceptedRootSet::~AcceptedRootSet() = default;

size_t AcceptedRootSet::size() const { return impl_->sha256.size(); }

AcceptedRootSet AcceptedRootSet::Of(const std::vector<std::vector<uint8_t>>& accepted_roots) {
  auto impl = std::make_unique<Impl>();
  for (const std::vector<uint8_t>& der : accepted_roots) {
    if (!impl->sha256.insert(Sha256Of(der)).second) continue;
    if (X509Ptr x = ParseDer(der)) {
      // Fill the certificate's extension cache now (X509_check_issued reads it), so that
      // Check only reads the roots and can run on several threads at once.
      X509_check_purpose(x.get(), -1, 0);
      std::vector<uint8_t> spki = SpkiDer(x.get());
      impl->parsed.push_back({std::move(x), std::move(spki)});
    }
  }
  ERR_clear_error();
  return AcceptedRootSet(std::move(impl));
}

RootCheck AcceptedRootSet::Check(const std::vector<std::vector<uint8_t>>& chain_leaf_first) const {
  if (impl_->sha256.empty()) {
    return {.reaches_accepted_root = false, .reason = "no roots known yet: the logs' get-roots have not been fetched"};
  }
  std::vector<Link> links;
  std::vector<size_t> skipped;
  for (size_t i = 0; i < chain_leaf_first.size(); ++i) {
    if (X509Ptr x = ParseDer(chain_leaf_first[i])) {
      links.push_back({i + 1, &chain_leaf_first[i], std::move(x)});
    } else {
      skipped.push_back(i + 1);
    }
  }
  const std::string skipped_note = Skipped(skipped);

  // 1. A certificate of the chain is an accepted root: the same DER, or the same subject
  //    and key (the root re-issued, e.g. with another validity).
  for (const Link& link : links) {
    const std::string number = std::to_string(link.number);
    if (impl_->sha256.count(Sha256Of(*link.der)) != 0) {
      return {.reaches_accepted_root = true,
              .reason = "certificate " + number + " is the accepted root " + SubjectOf(link.x.get()) + skipped_note};
    }
    const std::vector<uint8_t> spki = SpkiDer(link.x.get());
    for (const Root& root : impl_->parsed) {
      if (!spki.empty() && root.spki == spki &&
          X509_NAME_cmp(X509_get_subject_name(root.x.get()), X509_get_subject_name(link.x.get())) == 0) {
        return {.reaches_accepted_root = true,
                .reason = "certificate " + number + " is the accepted root " + SubjectOf(link.x.get()) +
                          " (the same subject and key in another certificate)" + skipped_note};
      }
    }
  }
  // 2. A certificate of the chain is issued by an accepted root: the names (and key
  //    identifiers, key usage) fit, and the signature verifies with the root's key. A
  //    certificate that merely names an accepted root as its issuer fails the signature.
  for (const Link& link : links) {
    for (const Root& root : impl_->parsed) {
      if (X509_check_issued(root.x.get(), link.x.get()) != X509_V_OK) continue;
      EVP_PKEY* key = X509_get0_pubkey(root.x.get());
      if (key == nullptr || X509_verify(link.x.get(), key) != 1) {
        ERR_clear_error();
        continue;
      }
      return {.reaches_accepted_root = true,
              .reason = "certificate " + std::to_string(link.number) + " (" + SubjectOf(link.x.get()) +
                        ") is issued by the accepted root " + SubjectOf(root.x.get()) + skipped_note};
    }
  }
  ERR_clear_error();

  const size_t known = impl_->sha256.size();
  const std::string roots_known = std::to_string(known) + " root" + (known == 1 ? "" : "s");
  if (chain_leaf_first.empty()) return {.reaches_accepted_root = false, .reason = "the chain is empty"};
  if (links.empty()) {
    return {.reaches_accepted_root = false,
            .reason = "no certificate of the chain parses, so none leads to the " + roots_known +
                      " the followed logs accept" + skipped_note};
  }
  return {.reaches_accepted_root = false,
          .reason = "chain ends at " + NameText(X509_get_issuer_name(links.back().x.get())) +
                    ", which is not among the " + roots_known + " the followed logs accept" + skipped_note};
}

RootCheck CheckChainAgainstRoots(const std::vector<std::vector<uint8_t>>& chain_leaf_first,
                                 const std::vector<std::vector<uint8_t>>& accepted_roots) {
  return AcceptedRootSet::Of(accepted_roots).Check(chain_leaf_first);
}

}  // namespace pinwatch::pinreports
