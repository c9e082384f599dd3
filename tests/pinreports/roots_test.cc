// CheckChainAgainstRoots (pinreports/roots.h): whether a pin-failure report's chain leads to
// a root the followed CT logs accept. Every certificate is made here, with the throwaway PKI
// of tests/support: a public CA hierarchy whose root the logs accept, an interceptor's own
// CA, a forger's CA with the public root's name, and bytes that are no certificate.
#include "pinreports/roots.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <string>
#include <thread>
#include <vector>

#include "base/openssl_ptr.h"
#include "tests/support/throwaway_pki.h"

namespace pinwatch::pinreports {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using pinwatch::testing::KeyIdentifiers;
using pinwatch::testing::MakeThrowawayCa;
using pinwatch::testing::MakeThrowawayIntermediateCa;
using pinwatch::testing::MakeThrowawayLeaf;
using pinwatch::testing::ThrowawayCertificate;
using pinwatch::testing::ThrowawayOptions;

using Ders = std::vector<std::vector<uint8_t>>;

ThrowawayCertificate Ca(const std::string& cn, const ThrowawayOptions& options = {}) {
  auto ca = MakeThrowawayCa(cn, options);
  EXPECT_TRUE(ca.ok()) << ca.status().ToString();
  return ca.ok() ? *ca : ThrowawayCertificate{};
}

ThrowawayCertificate Intermediate(const ThrowawayCertificate& issuer, const std::string& cn,
                                  const ThrowawayOptions& options = {}) {
  auto ca = MakeThrowawayIntermediateCa(issuer, cn, options);
  EXPECT_TRUE(ca.ok()) << ca.status().ToString();
  return ca.ok() ? *ca : ThrowawayCertificate{};
}

ThrowawayCertificate Leaf(const ThrowawayCertificate& issuer, const std::vector<std::string>& names,
                          const ThrowawayOptions& options = {}) {
  auto leaf = MakeThrowawayLeaf(issuer, names, options);
  EXPECT_TRUE(leaf.ok()) << leaf.status().ToString();
  return leaf.ok() ? *leaf : ThrowawayCertificate{};
}

// A public hierarchy (root -> intermediate -> leaf) and another root the logs accept.
class RootsTest : public ::testing::Test {
 protected:
  const ThrowawayCertificate root_ = Ca("Test Public Root", {.organization = "Test Trust"});
  const ThrowawayCertificate other_root_ = Ca("Other Public Root");
  const ThrowawayCertificate intermediate_ = Intermediate(root_, "Test Issuing CA");
  const ThrowawayCertificate leaf_ = Leaf(intermediate_, {"www.mybank.test", "mybank.test"});
  const Ders accepted_ = {other_root_.der, root_.der};
};

TEST_F(RootsTest, ChainThatEndsAtAnAcceptedRootReachesIt) {
  RootCheck check = CheckChainAgainstRoots({leaf_.der, intermediate_.der, root_.der}, accepted_);
  EXPECT_TRUE(check.reaches_accepted_root);
  EXPECT_EQ(check.reason, "certificate 3 is the accepted root CN=Test Public Root,O=Test Trust");
}

TEST_F(RootsTest, ChainWithoutItsRootReachesTheAcceptedRootThatIssuedItsTop) {
  // Servers leave the root out: the intermediate's signature verifies with the root's key.
  RootCheck check = CheckChainAgainstRoots({leaf_.der, intermediate_.der}, accepted_);
  EXPECT_TRUE(check.reaches_accepted_root);
  EXPECT_EQ(check.reason,
            "certificate 2 (CN=Test Issuing CA) is issued by the accepted root CN=Test Public Root,O=Test Trust");

  // A leaf issued directly by an accepted root.
  RootCheck direct = CheckChainAgainstRoots({Leaf(other_root_, {"api.mybank.test"}).der}, accepted_);
  EXPECT_TRUE(direct.reaches_accepted_root);
  EXPECT_EQ(direct.reason, "certificate 1 (CN=api.mybank.test) is issued by the accepted root CN=Other Public Root");
}

TEST_F(RootsTest, InterceptorsChainReachesNoAcceptedRoot) {
  // A TLS-inspection box mints a leaf for the same name under its own CA.
  const ThrowawayCertificate interceptor = Ca("Corp TLS Inspection CA", {.organization = "Example Corp"});
  const ThrowawayCertificate minted = Leaf(interceptor, {"www.mybank.test"});

  RootCheck with_ca = CheckChainAgainstRoots({minted.der, interceptor.der}, accepted_);
  EXPECT_FALSE(with_ca.reaches_accepted_root);
  EXPECT_EQ(with_ca.reason,
            "chain ends at CN=Corp TLS Inspection CA,O=Example Corp, which is not among the 2 roots the followed "
            "logs accept");

  RootCheck leaf_only = CheckChainAgainstRoots({minted.der}, accepted_);
  EXPECT_FALSE(leaf_only.reaches_accepted_root);
  EXPECT_THAT(leaf_only.reason, HasSubstr("chain ends at CN=Corp TLS Inspection CA,O=Example Corp, which is not"));
}

TEST_F(RootsTest, ForgedIssuerWithAnAcceptedRootsNameDoesNotReachIt) {
  // Without key identifiers OpenSSL's issuer check matches on names alone, so only the
  // signature tells the forger's CA from the accepted root of the same name.
  const ThrowawayOptions no_key_ids = {.key_identifiers = KeyIdentifiers::kOmit};
  const ThrowawayCertificate real = Ca("Test Public Root", no_key_ids);
  const ThrowawayCertificate forged = Ca("Test Public Root", no_key_ids);  // same DN, another key
  const ThrowawayCertificate forged_leaf = Leaf(forged, {"www.mybank.test"}, no_key_ids);

  RootCheck leaf_only = CheckChainAgainstRoots({forged_leaf.der}, {real.der});
  EXPECT_FALSE(leaf_only.reaches_accepted_root);
  EXPECT_EQ(leaf_only.reason,
            "chain ends at CN=Test Public Root, which is not among the 1 root the followed logs accept");

  // The forged root sent along: same subject as the accepted root, but not its key.
  RootCheck with_forged_root = CheckChainAgainstRoots({forged_leaf.der, forged.der}, {real.der});
  EXPECT_FALSE(with_forged_root.reaches_accepted_root);

  // The control: had the logs accepted the forger's root, the same chain would reach it.
  EXPECT_TRUE(CheckChainAgainstRoots({forged_leaf.der}, {forged.der}).reaches_accepted_root);
  // And with key identifiers (as real CAs write them) the forgery fails on those already.
  const ThrowawayCertificate forged_with_ids = Ca("Test Public Root", {.organization = "Test Trust"});
  EXPECT_FALSE(CheckChainAgainstRoots({Leaf(forged_with_ids, {"www.mybank.test"}).der}, accepted_).reaches_accepted_root);
}

TEST_F(RootsTest, ReissuedRootWithTheSameSubjectAndKeyIsTheAcceptedRoot) {
  // The root re-signed with its own key and a longer validity: another DER, the same root.
  const unsigned char* p = root_.der.data();
  OpenSslPtr<X509, X509_free> x(d2i_X509(nullptr, &p, static_cast<long>(root_.der.size())));
  ASSERT_NE(x, nullptr);
  p = root_.private_key_der.data();
  EvpPkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(root_.private_key_der.size())));
  ASSERT_NE(key, nullptr);
  ASSERT_NE(X509_time_adj_ex(X509_getm_notAfter(x.get()), 7300, 0, nullptr), nullptr);
  ASSERT_GT(X509_sign(x.get(), key.get(), EVP_sha256()), 0);
  unsigned char* buf = nullptr;
  const int n = i2d_X509(x.get(), &buf);
  ASSERT_GT(n, 0);
  const std::vector<uint8_t> reissued(buf, buf + n);
  OPENSSL_free(buf);
  ASSERT_NE(reissued, root_.der);

  RootCheck check = CheckChainAgainstRoots({leaf_.der, intermediate_.der, reissued}, accepted_);
  EXPECT_TRUE(check.reaches_accepted_root);
  EXPECT_EQ(check.reason,
            "certificate 3 is the accepted root CN=Test Public Root,O=Test Trust (the same subject and key in "
            "another certificate)");
}

TEST_F(RootsTest, GarbageIsSkippedAndSaidSo) {
  const std::vector<uint8_t> garbage = {0x30, 0x03, 0x02, 0x01};  // a cut SEQUENCE
  const std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o'};

  RootCheck around = CheckChainAgainstRoots({garbage, leaf_.der, text, intermediate_.der}, accepted_);
  EXPECT_TRUE(around.reaches_accepted_root);
  EXPECT_THAT(around.reason, EndsWith(" (certificates 1, 3 skipped: not a DER X.509 certificate)"));

  RootCheck only = CheckChainAgainstRoots({text}, accepted_);
  EXPECT_FALSE(only.reaches_accepted_root);
  EXPECT_EQ(only.reason,
            "no certificate of the chain parses, so none leads to the 2 roots the followed logs accept (certificate 1 "
            "skipped: not a DER X.509 certificate)");

  // A certificate with a byte after it is not one certificate.
  std::vector<uint8_t> trailing = leaf_.der;
  trailing.push_back(0);
  EXPECT_FALSE(CheckChainAgainstRoots({trailing}, accepted_).reaches_accepted_root);

  // Garbage among the roots is ignored; the real ones still count.
  RootCheck garbage_roots = CheckChainAgainstRoots({leaf_.der, intermediate_.der}, {text, garbage, root_.der});
  EXPECT_TRUE(garbage_roots.reaches_accepted_root);

  EXPECT_EQ(CheckChainAgainstRoots({}, accepted_).reason, "the chain is empty");
}

TEST_F(RootsTest, NoRootsKnownSaysSo) {
  RootCheck check = CheckChainAgainstRoots({leaf_.der, intermediate_.der, root_.der}, {});
  EXPECT_FALSE(check.reaches_accepted_root);
  EXPECT_EQ(check.reason, "no roots known yet: the logs' get-roots have not been fetched");
}

TEST_F(RootsTest, DuplicateRootsCountOnce) {
  RootCheck check = CheckChainAgainstRoots({Leaf(Ca("Elsewhere CA"), {"x.test"}).der},
                                           {root_.der, root_.der, other_root_.der});
  EXPECT_THAT(check.reason, HasSubstr("not among the 2 roots"));
}

TEST_F(RootsTest, ReasonIsOneLineWhateverTheNamesHold) {
  // A sender chooses the names: control characters are escaped, long names cut.
  const ThrowawayCertificate odd = Ca("Evil\nCA\r\x01", {.organization = std::string(64, 'O')});
  RootCheck check = CheckChainAgainstRoots({Leaf(odd, {"www.mybank.test"}).der}, accepted_);
  EXPECT_FALSE(check.reaches_accepted_root);
  EXPECT_EQ(check.reason.find('\n'), std::string::npos) << check.reason;
  EXPECT_EQ(check.reason.find('\r'), std::string::npos) << check.reason;
  EXPECT_THAT(check.reason, HasSubstr("CN=Evil\\0ACA\\0D\\01,O=OOOO"));
}

TEST_F(RootsTest, APreparedSetGivesTheSameVerdictsOnAnyThread) {
  const ThrowawayCertificate interceptor = Ca("Corp TLS Inspection CA");
  const std::vector<Ders> chains = {
      {leaf_.der, intermediate_.der, root_.der},
      {leaf_.der, intermediate_.der},
      {Leaf(interceptor, {"www.mybank.test"}).der, interceptor.der},
      {{0x01}, leaf_.der, intermediate_.der},
  };
  const AcceptedRootSet set = AcceptedRootSet::Of({root_.der, other_root_.der, root_.der, {0x30, 0x00}});
  EXPECT_EQ(set.size(), 3u);  // two roots and the garbage, which still counts (and matches) by SHA-256
  std::vector<RootCheck> want;
  for (const Ders& chain : chains) want.push_back(CheckChainAgainstRoots(chain, {root_.der, other_root_.der, {0x30, 0x00}}));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < chains.size(); ++i) {
          RootCheck got = set.Check(chains[i]);
          EXPECT_EQ(got.reaches_accepted_root, want[i].reaches_accepted_root) << i;
          EXPECT_EQ(got.reason, want[i].reason) << i;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(AcceptedRootSet::Of({}).Check(chains[0]).reason, "no roots known yet: the logs' get-roots have not been fetched");
}

}  // namespace
}  // namespace pinwatch::pinreports
