// Does the chain a pin-failure report carries lead to a root that the followed CT logs
// accept (issue 20)? A chain that is in no log and leads to no such root was most likely
// made by someone who sits between the app and its server (TLS inspection, malware, a
// captive portal): its root is unknown to every public CA program, so no CT log takes its
// certificates. The roots come from the logs' get-roots (db::LogStateStore::AcceptedRoots).
// Pure: bytes in, a verdict with its one-line reason out; OpenSSL appears only in roots.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pinwatch::pinreports {

// RootCheck is CheckChainAgainstRoots's verdict.
struct RootCheck {
  bool reaches_accepted_root = false;
  // One line (no newline; names escaped as RFC 2253 escapes control characters), e.g.
  //   "certificate 3 is the accepted root CN=ISRG Root X1,O=Internet Security Research Group,C=US"
  //   "certificate 2 (CN=R11,O=Let's Encrypt,C=US) is issued by the accepted root CN=ISRG Root X1,..."
  //   "chain ends at CN=Corp Inspection CA, which is not among the 412 roots the followed logs accept"
  //   "no roots known yet: the logs' get-roots have not been fetched"
  // Certificates are numbered from 1, leaf first. Unparseable ones are named at the end:
  //   "... (certificate 2 skipped: not a DER X.509 certificate)".
  std::string reason;
};

// CheckChainAgainstRoots says whether `chain_leaf_first` (DER certificates as the app saw
// them, leaf first; order beyond that is not relied on) reaches one of `accepted_roots`
// (DER, as get-roots serves them; duplicates and unparseable ones are ignored). It does when
//   * one of its certificates IS an accepted root: the same DER (by SHA-256), or the same
//     subject (X509_NAME_cmp) and the same SubjectPublicKeyInfo DER (a re-issued root); or
//   * one of its certificates is ISSUED BY an accepted root: OpenSSL's X509_check_issued
//     (names, key identifiers, key usage) says so and the certificate's signature verifies
//     with the root's public key (X509_verify == 1). A certificate that only names an
//     accepted root as its issuer (same DN, another key) does not reach it.
// What is not checked: validity periods, that the chain's certificates chain to one another
// (a stray accepted root sent along with an unrelated chain counts), revocation, name
// constraints. No roots at all is "not reached" with the reason saying none are known.
// Cost: it parses every accepted root, about 90 µs each (1,000 roots: ~90 ms a call, on
// the development machine); to check many chains against the same roots, build an
// AcceptedRootSet once. Thread-safe.
RootCheck CheckChainAgainstRoots(const std::vector<std::vector<uint8_t>>& chain_leaf_first,
                                 const std::vector<std::vector<uint8_t>>& accepted_roots);

// AcceptedRootSet is CheckChainAgainstRoots with the roots parsed once: build it when the
// roots change (daily) and check every report against it. Check(chain) returns exactly what
// CheckChainAgainstRoots(chain, roots) returns, at the cost of the chain alone plus a name
// comparison per root (1,000 roots: about 0.2 ms a chain). Movable, not copyable; Check
// is thread-safe (the roots are only read: OpenSSL's per-certificate caches are filled in Of).
class AcceptedRootSet {
 public:
  // Of parses `accepted_roots` (DER; duplicates and unparseable ones are ignored, though an
  // unparseable root still matches a chain certificate with the same DER). Never fails.
  static AcceptedRootSet Of(const std::vector<std::vector<uint8_t>>& accepted_roots);
  AcceptedRootSet(AcceptedRootSet&&) noexcept;
  AcceptedRootSet& operator=(AcceptedRootSet&&) noexcept;
  ~AcceptedRootSet();

  RootCheck Check(const std::vector<std::vector<uint8_t>>& chain_leaf_first) const;
  // size is the number of distinct roots (by SHA-256 of the DER), parseable or not.
  size_t size() const;

 private:
  struct Impl;
  explicit AcceptedRootSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pinwatch::pinreports
