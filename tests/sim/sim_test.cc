// Tests of the CT log simulator: its certificates are what RFC 5280/6962 say, its tree
// heads verify, its proofs verify with ctlog/merkle.h, plants are where the plan says, it
// is deterministic, and every fault mode does what `ctsim --help` says.
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <rapidjson/document.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "ctlog/checkpoint.h"
#include "ctlog/leaf.h"
#include "ctlog/log_key.h"
#include "ctlog/merkle.h"
#include "ctlog/tile.h"
#include "ctlog/sth.h"
#include "sim/entries.h"
#include "sim/log.h"
#include "sim/server.h"
#include "tests/support/child_process.h"
#include "tests/support/testdata.h"

namespace pinwatch::sim {
namespace {

using ctlog::Hash;

// ---- helpers: an independent reader of what the simulator wrote, via OpenSSL ----

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr ParseCert(Bytes der) {
  const uint8_t* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  EXPECT_TRUE(x) << "OpenSSL cannot parse the certificate";
  EXPECT_EQ(p, der.data() + der.size()) << "trailing bytes after the certificate";
  return x;
}

Buffer TbsOf(X509* x) {
  int len = i2d_re_X509_tbs(x, nullptr);
  Buffer out(static_cast<size_t>(len));
  uint8_t* p = out.data();
  i2d_re_X509_tbs(x, &p);
  return out;
}

Buffer SpkiOf(X509* x) {
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), nullptr);
  Buffer out(static_cast<size_t>(len));
  uint8_t* p = out.data();
  i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &p);
  return out;
}

// VerifyEcdsa checks an ECDSA-SHA256 signature with OpenSSL's own verifier (the simulator
// signs with its own deterministic code, so this is an independent check).
bool VerifyEcdsa(Bytes spki_der, Bytes message, Bytes signature) {
  const uint8_t* p = spki_der.data();
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())),
                                                          EVP_PKEY_free);
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
}

// ParsedEntry is a MerkleTreeLeaf and extra_data, split the RFC 6962 way.
struct ParsedEntry {
  uint64_t timestamp_ms = 0;
  uint16_t entry_type = 0;
  Buffer cert;                 // x509: the certificate; precert: the TBS
  Buffer issuer_key_hash;      // precert only
  Buffer pre_certificate;      // precert only
  std::vector<Buffer> chain;
  Buffer extensions;           // CtExtensions contents
};

ParsedEntry SplitEntry(Bytes leaf, Bytes extra) {
  ParsedEntry e;
  ByteReader r(leaf);
  EXPECT_EQ(r.U8(), 0);  // version
  EXPECT_EQ(r.U8(), 0);  // leaf_type
  e.timestamp_ms = r.U64().value_or(0);
  e.entry_type = r.U16().value_or(99);
  if (e.entry_type == 1) {
    auto h = r.Read(32);
    e.issuer_key_hash.assign(h->begin(), h->end());
  }
  auto body = r.U24Prefixed();
  Bytes b = body->Rest();
  e.cert.assign(b.begin(), b.end());
  Bytes ext = r.U16Prefixed()->Rest();  // CtExtensions extensions
  e.extensions.assign(ext.begin(), ext.end());
  EXPECT_TRUE(r.empty());
  ByteReader x(extra);
  if (e.entry_type == 1) {
    Bytes pc = x.U24Prefixed()->Rest();
    e.pre_certificate.assign(pc.begin(), pc.end());
  }
  auto chain = x.U24Prefixed();
  while (chain && !chain->empty()) {
    Bytes c = chain->U24Prefixed()->Rest();
    e.chain.emplace_back(c.begin(), c.end());
  }
  EXPECT_TRUE(x.empty());
  return e;
}

std::vector<std::string> DnsNames(X509* x) {
  std::vector<std::string> names;
  auto* gens = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(gens, i);
    if (g->type == GEN_DNS) {
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                         ASN1_STRING_length(g->d.dNSName));
    }
  }
  GENERAL_NAMES_free(gens);
  return names;
}

Plan TestPlan() {
  Plan plan;
  plan.seed = "sim-test";
  plan.entries = 300;
  plan.plants = {
      Plant{.index = 3, .names = {"a.watched.test"}, .issuer = "normal", .key = "key-a", .type = PlantType::kX509},
      Plant{.index = 10, .names = {"b.watched.test", "watched.test"}, .issuer = "rogue", .key = "key-a",
            .type = PlantType::kPrecert},
      Plant{.index = 20, .names = {"c.watched.test"}, .issuer = "e2", .key = "", .type = PlantType::kBoth},
  };
  return plan;
}

EntryGenerator MakeGenerator(Plan plan = TestPlan()) {
  auto log_key = EcKey::FromSeed(plan.seed, "log");
  auto g = EntryGenerator::Create(plan, *log_key);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return std::move(*g);
}

Hash RootOf(const EntryStore& store) {
  ctlog::CompactRange range;
  for (uint64_t i = 0; i < store.size(); ++i) range.Append(ctlog::HashLeaf(store.LeafInput(i)));
  return range.Root();
}

// ---- keys ----

TEST(EcKeyTest, SeededKeysAreStableAndPemRoundTrips) {
  auto a = EcKey::FromSeed("s", "log"), b = EcKey::FromSeed("s", "log"), c = EcKey::FromSeed("s", "other");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->spki_der(), b->spki_der());
  EXPECT_NE(a->spki_der(), c->spki_der());
  Buffer msg = {1, 2, 3};
  EXPECT_EQ(a->Sign(msg), b->Sign(msg));  // deterministic
  EXPECT_TRUE(VerifyEcdsa(a->spki_der(), msg, a->Sign(msg)));
  EXPECT_TRUE(VerifyEcdsa(a->spki_der(), msg, a->SignWithNoncePool(msg)));
  EXPECT_FALSE(VerifyEcdsa(c->spki_der(), msg, a->Sign(msg)));
  // A key written as PEM (what --key reads) loads back as the same key.
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("ctsim-key-" + std::to_string(getpid()) + ".pem");
  {
    std::ofstream(path) << a->PrivateKeyPem();
  }
  auto loaded = EcKey::FromPemFile(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->spki_der(), a->spki_der());
  EXPECT_EQ(EcKey::FromPemFile("/nonexistent/key.pem").status().code(), Code::kFailedPrecondition);
  // The public PEM is what the log list / certspotter consume.
  auto key = ctlog::LogKey::FromPem(a->PublicKeyPem());
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->log_id(), ctlog::Sha256Of(a->spki_der()));
}

// ---- entries ----

TEST(EntryGeneratorTest, SameSeedSameRootOtherSeedOtherRoot) {
  EntryStore a, b, c;
  ASSERT_TRUE(MakeGenerator().Generate(0, 200, a).ok());
  ASSERT_TRUE(MakeGenerator().GenerateParallel(0, 200, 2, b).ok());
  Plan other = TestPlan();
  other.seed = "another seed";
  ASSERT_TRUE(MakeGenerator(other).Generate(0, 200, c).ok());
  EXPECT_EQ(RootOf(a), RootOf(b));
  EXPECT_NE(RootOf(a), RootOf(c));
  // Generating a suffix on its own gives the same entries (entries depend only on index).
  EntryStore suffix;
  ASSERT_TRUE(MakeGenerator().Generate(150, 200, suffix).ok());
  for (uint64_t i = 0; i < 50; ++i) {
    Bytes x = a.LeafInput(150 + i), y = suffix.LeafInput(i);
    ASSERT_TRUE(std::equal(x.begin(), x.end(), y.begin(), y.end())) << "entry " << 150 + i;
  }
}

TEST(EntryGeneratorTest, EveryEntryIsAValidCertificateUnderItsChain) {
  EntryGenerator g = MakeGenerator();
  EntryStore store;
  ASSERT_TRUE(g.Generate(0, 120, store).ok());
  int precerts = 0, x509s = 0;
  for (uint64_t i = 0; i < store.size(); ++i) {
    SCOPED_TRACE("entry " + std::to_string(i));
    Buffer extra;
    store.AppendExtraData(i, extra);
    ParsedEntry e = SplitEntry(store.LeafInput(i), extra);
    EXPECT_EQ(e.timestamp_ms, g.plan().epoch_ms + i * 1000);
    EXPECT_EQ(ctlog::ParseLeafIndex(e.extensions).value(), i);  // static-ct-api leaf_index
    // The ctlog parsers (branch leaf) accept the entry too.
    EXPECT_TRUE(ctlog::ParseMerkleTreeLeaf(store.LeafInput(i)).ok());
    EXPECT_TRUE(ctlog::ParseExtraData(e.entry_type == 1 ? ctlog::LogEntryType::kPrecertEntry
                                                        : ctlog::LogEntryType::kX509Entry, extra).ok());
    ASSERT_EQ(e.chain.size(), 2u);  // intermediate, root
    X509Ptr issuer = ParseCert(e.chain[0]);
    X509Ptr root = ParseCert(e.chain[1]);
    EXPECT_EQ(X509_verify(issuer.get(), X509_get0_pubkey(root.get())), 1);
    EXPECT_EQ(X509_verify(root.get(), X509_get0_pubkey(root.get())), 1);
    EXPECT_EQ(X509_check_ca(issuer.get()), 1);
    if (e.entry_type == 0) {
      ++x509s;
      X509Ptr cert = ParseCert(e.cert);
      EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(issuer.get())), 1);
      EXPECT_EQ(X509_check_issued(issuer.get(), cert.get()), X509_V_OK);
      EXPECT_LT(X509_get_ext_by_NID(cert.get(), NID_ct_precert_poison, -1), 0);
    } else {
      ++precerts;
      X509Ptr pre = ParseCert(e.pre_certificate);
      EXPECT_EQ(X509_verify(pre.get(), X509_get0_pubkey(issuer.get())), 1);
      int poison = X509_get_ext_by_NID(pre.get(), NID_ct_precert_poison, -1);
      ASSERT_GE(poison, 0);
      EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(pre.get(), poison)), 1);
      // RFC 6962 §3.2: the logged TBS is the precertificate's TBS without the poison, and
      // issuer_key_hash is SHA-256 of the issuer's SubjectPublicKeyInfo.
      X509_EXTENSION_free(X509_delete_ext(pre.get(), poison));
      EXPECT_EQ(TbsOf(pre.get()), e.cert);
      Hash ikh = ctlog::Sha256Of(SpkiOf(issuer.get()));
      EXPECT_EQ(Buffer(ikh.begin(), ikh.end()), e.issuer_key_hash);
      // The shared-chain extra_data equals what the ctlog encoder makes.
      std::vector<Bytes> chain(e.chain.begin(), e.chain.end());
      Buffer want;
      ASSERT_TRUE(ctlog::EncodePrecertChainEntry(e.pre_certificate, chain, want).ok());
      EXPECT_EQ(extra, want);
    }
  }
  EXPECT_GT(precerts, 20);
  EXPECT_GT(x509s, 20);
}

TEST(EntryGeneratorTest, PlantsAreWhereThePlanSaysWithTheirFacts) {
  EntryGenerator g = MakeGenerator();
  EntryStore store;
  ASSERT_TRUE(g.Generate(0, 30, store).ok());
  std::vector<PlantFacts> facts = g.Facts();
  ASSERT_EQ(facts.size(), 3u);
  EXPECT_EQ(facts[0].indices, (std::vector<uint64_t>{3}));
  EXPECT_EQ(facts[1].entry_types, (std::vector<std::string>{"precert_entry"}));
  EXPECT_EQ(facts[2].indices, (std::vector<uint64_t>{20, 21}));
  EXPECT_EQ(facts[2].entry_types, (std::vector<std::string>{"precert_entry", "x509_entry"}));
  // key-a is shared by the first two plants; the third has its own key.
  EXPECT_EQ(facts[0].leaf_spki_pin, facts[1].leaf_spki_pin);
  EXPECT_NE(facts[0].leaf_spki_pin, facts[2].leaf_spki_pin);
  EXPECT_NE(facts[0].issuer_spki_pin, facts[1].issuer_spki_pin);  // normal vs rogue
  for (const PlantFacts& f : facts) {
    for (size_t k = 0; k < f.indices.size(); ++k) {
      SCOPED_TRACE("plant entry " + std::to_string(f.indices[k]));
      Buffer extra;
      store.AppendExtraData(f.indices[k], extra);
      ParsedEntry e = SplitEntry(store.LeafInput(f.indices[k]), extra);
      Bytes logged = e.entry_type == 1 ? Bytes(e.pre_certificate) : Bytes(e.cert);
      EXPECT_EQ(HexEncode(ctlog::Sha256Of(logged)), f.cert_sha256_hex[k]);
      X509Ptr cert = ParseCert(logged);
      EXPECT_EQ(DnsNames(cert.get()), f.plant.names);
      EXPECT_EQ(SpkiPin(SpkiOf(cert.get())), f.leaf_spki_pin);
      X509Ptr issuer = ParseCert(e.chain[0]);
      EXPECT_EQ(SpkiPin(SpkiOf(issuer.get())), f.issuer_spki_pin);
      if (e.entry_type == 1) {
        EXPECT_EQ(HexEncode(ctlog::Sha256Of(e.cert)), f.tbs_sha256_hex);
      }
    }
  }
  // The final certificate of a "both" plant equals its precertificate's logged TBS once
  // the SCT list is removed, and its embedded SCT verifies under the log key.
  Buffer extra20, extra21;
  store.AppendExtraData(20, extra20);
  store.AppendExtraData(21, extra21);
  ParsedEntry pre = SplitEntry(store.LeafInput(20), extra20);
  ParsedEntry fin = SplitEntry(store.LeafInput(21), extra21);
  X509Ptr final_cert = ParseCert(fin.cert);
  int sct_ext_pos = X509_get_ext_by_NID(final_cert.get(), NID_ct_precert_scts, -1);
  ASSERT_GE(sct_ext_pos, 0);
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(X509_get_ext(final_cert.get(), sct_ext_pos));
  Bytes value_bytes(ASN1_STRING_get0_data(value), static_cast<size_t>(ASN1_STRING_length(value)));
  ByteReader v(value_bytes);
  ASSERT_EQ(v.U8(), 0x04);  // inner OCTET STRING
  if (auto len = v.U8(); len && *len > 0x80) v.Read(*len & 0x7f);  // its length (maybe long form)
  ByteReader list = *v.U16Prefixed();
  ByteReader sct = *list.U16Prefixed();
  EXPECT_EQ(sct.U8(), 0);  // v1
  Bytes log_id = *sct.Read(32);
  auto log_key = EcKey::FromSeed("sim-test", "log");
  Hash want_id = ctlog::Sha256Of(log_key->spki_der());
  EXPECT_TRUE(std::equal(log_id.begin(), log_id.end(), want_id.begin()));
  uint64_t sct_ts = *sct.U64();
  EXPECT_EQ(sct_ts, pre.timestamp_ms);
  Bytes sct_extensions = sct.U16Prefixed()->Rest();
  EXPECT_EQ(ctlog::ParseLeafIndex(sct_extensions).value(), 20u);  // the precert's index
  auto ds = ctlog::ParseDigitallySigned(sct.Rest());
  ASSERT_TRUE(ds.ok());
  Buffer signed_input = {0, 0};
  for (int s = 56; s >= 0; s -= 8) signed_input.push_back(static_cast<uint8_t>(sct_ts >> s));
  signed_input.insert(signed_input.end(), {0, 1});
  signed_input.insert(signed_input.end(), pre.issuer_key_hash.begin(), pre.issuer_key_hash.end());
  signed_input.insert(signed_input.end(), {static_cast<uint8_t>(pre.cert.size() >> 16),
                                           static_cast<uint8_t>(pre.cert.size() >> 8),
                                           static_cast<uint8_t>(pre.cert.size())});
  signed_input.insert(signed_input.end(), pre.cert.begin(), pre.cert.end());
  signed_input.insert(signed_input.end(), {0, static_cast<uint8_t>(sct_extensions.size())});
  signed_input.insert(signed_input.end(), sct_extensions.begin(), sct_extensions.end());
  EXPECT_TRUE(VerifyEcdsa(log_key->spki_der(), signed_input, ds->signature));
  X509_EXTENSION_free(X509_delete_ext(final_cert.get(), sct_ext_pos));
  EXPECT_EQ(TbsOf(final_cert.get()), pre.cert);
}

TEST(PlanTest, ParsesJsonAndFlagsAndRejectsBadPlans) {
  auto plan = ParsePlanJson(R"({"seed":"s","entries":5,"plants":[{"index":1,"names":["x.test"],
      "type":"both","issuer":"rogue","key":"k"}]})", Plan{});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->seed, "s");
  EXPECT_EQ(plan->entries, 5u);
  ASSERT_EQ(plan->plants.size(), 1u);
  EXPECT_EQ(plan->plants[0].type, PlantType::kBoth);
  EXPECT_EQ(plan->plants[0].issuer, "rogue");

  auto flag = ParsePlantFlag("7:precert::key-b:a.test,b.test");
  ASSERT_TRUE(flag.ok());
  EXPECT_EQ(flag->index, 7u);
  EXPECT_EQ(flag->issuer, "normal");
  EXPECT_EQ(flag->names, (std::vector<std::string>{"a.test", "b.test"}));

  EXPECT_EQ(ParsePlanJson("{\"plants\":[{\"index\":-1}]}", Plan{}).status().code(), Code::kMalformed);
  EXPECT_EQ(ParsePlanJson("{\"plants\":[{\"index\":1,\"names\":[\"a\"],\"type\":\"nope\"}]}", Plan{}).status().code(),
            Code::kMalformed);
  EXPECT_EQ(ParsePlanJson("[1,2]", Plan{}).status().code(), Code::kMalformed);
  EXPECT_EQ(ParsePlantFlag("x:x509::k:a.test").status().code(), Code::kMalformed);
  Plan overlap;
  overlap.plants = {Plant{.index = 4, .names = {"a"}, .issuer = "normal", .key = "", .type = PlantType::kBoth},
                    Plant{.index = 5, .names = {"b"}, .issuer = "normal", .key = "", .type = PlantType::kX509}};
  EXPECT_EQ(ValidatePlan(overlap).code(), Code::kMalformed);
}

// UnixSecondsOf converts an ASN1_TIME (UTCTime or GeneralizedTime, "Z") to Unix seconds.
int64_t UnixSecondsOf(const ASN1_TIME* t) {
  struct tm tm {};
  EXPECT_EQ(ASN1_TIME_to_tm(t, &tm), 1);
  return static_cast<int64_t>(timegm(&tm));
}

TEST(PlanTest, PlantLifetimeFromJsonAndFlagAndBadOnesRefusedNamingTheField) {
  auto plan = ParsePlanJson(R"({"plants":[{"index":1,"names":["x.test"],"lifetime_s":3600},
                                           {"index":2,"names":["y.test"]}]})", Plan{});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->plants[0].lifetime_s, 3600);
  EXPECT_EQ(plan->plants[1].lifetime_s, 0);  // the default
  // 0, negative, fractional, string, beyond a century: each refused, naming the field.
  for (const char* bad : {"0", "-5", "1.5", "\"3600\"", "3153600001", "true"}) {
    SCOPED_TRACE(bad);
    auto refused = ParsePlanJson(std::string(R"({"plants":[{"index":1,"names":["x.test"],"lifetime_s":)") + bad + "}]}",
                                 Plan{});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), Code::kMalformed);
    EXPECT_NE(refused.status().message().find("plants[0].lifetime_s must be a positive integer"), std::string::npos)
        << refused.status().message();
  }

  auto flag = ParsePlantLifetimeFlag("7:86400");
  ASSERT_TRUE(flag.ok()) << flag.status().ToString();
  EXPECT_EQ(flag->index, 7u);
  EXPECT_EQ(flag->lifetime_s, 86400);
  for (const char* bad : {"7:0", "7:-5", "7:abc", "7:", "7:+5", "7:1.5", "7:3153600001", "7:99999999999999999999"}) {
    SCOPED_TRACE(bad);
    auto refused = ParsePlantLifetimeFlag(bad);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("--plant-lifetime: SECONDS in"), std::string::npos)
        << refused.status().message();
  }
  for (const char* bad : {"7", "x:5", ":5", "-7:5"}) {
    SCOPED_TRACE(bad);
    auto refused = ParsePlantLifetimeFlag(bad);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("--plant-lifetime"), std::string::npos) << refused.status().message();
  }

  // The flag applies to a plant by its (first) index; any other index is refused.
  EXPECT_TRUE(SetPlantLifetime(*plan, PlantLifetime{.index = 2, .lifetime_s = 60}).ok());
  EXPECT_EQ(plan->plants[1].lifetime_s, 60);
  Status unknown = SetPlantLifetime(*plan, PlantLifetime{.index = 4, .lifetime_s = 60});
  EXPECT_EQ(unknown.code(), Code::kMalformed);
  EXPECT_NE(unknown.message().find("no plant at index 4 (plants are at 1, 2)"), std::string::npos)
      << unknown.message();

  // A plan built in code is checked too.
  Plan negative;
  negative.plants = {Plant{.index = 1, .names = {"a"}, .lifetime_s = -1}};
  EXPECT_EQ(ValidatePlan(negative).code(), Code::kMalformed);
}

TEST(EntryGeneratorTest, PlantLifetimeIsTheValidityOfItsCertificatesAndFacts) {
  Plan plan = TestPlan();
  plan.plants[0].lifetime_s = 3600;   // x509 at 3
  plan.plants[2].lifetime_s = 86400;  // both at 20, 21: precert and final certificate share it
  EntryGenerator g = MakeGenerator(plan);
  EntryStore store;
  ASSERT_TRUE(g.Generate(0, 30, store).ok());
  std::vector<PlantFacts> facts = g.Facts();
  ASSERT_EQ(facts.size(), 3u);
  const std::vector<int64_t> want_lifetime_s = {3600, kDefaultLeafLifetimeS, 86400};
  for (size_t p = 0; p < facts.size(); ++p) {
    const PlantFacts& f = facts[p];
    EXPECT_EQ(f.not_before_s, static_cast<int64_t>((plan.epoch_ms + f.plant.index * 1000) / 1000) - 3600);
    EXPECT_EQ(f.not_after_s - f.not_before_s, want_lifetime_s[p]) << "plant at " << f.plant.index;
    for (uint64_t index : f.indices) {
      SCOPED_TRACE("entry " + std::to_string(index));
      Buffer extra;
      store.AppendExtraData(index, extra);
      ParsedEntry e = SplitEntry(store.LeafInput(index), extra);
      X509Ptr cert = ParseCert(e.entry_type == 1 ? Bytes(e.pre_certificate) : Bytes(e.cert));
      ASSERT_TRUE(cert);
      EXPECT_EQ(UnixSecondsOf(X509_get0_notBefore(cert.get())), f.not_before_s);
      EXPECT_EQ(UnixSecondsOf(X509_get0_notAfter(cert.get())), f.not_after_s);
    }
  }
  // Unplanted entries keep the default.
  Buffer extra;
  store.AppendExtraData(0, extra);
  ParsedEntry e = SplitEntry(store.LeafInput(0), extra);
  X509Ptr cert = ParseCert(e.entry_type == 1 ? Bytes(e.pre_certificate) : Bytes(e.cert));
  ASSERT_TRUE(cert);
  EXPECT_EQ(UnixSecondsOf(X509_get0_notAfter(cert.get())) - UnixSecondsOf(X509_get0_notBefore(cert.get())),
            kDefaultLeafLifetimeS);
}

TEST(EntryGeneratorTest, ChainPinsAreTheLoggedChainIssuerFirstUpToTheRoot) {
  EntryGenerator g = MakeGenerator();
  EntryStore store;
  ASSERT_TRUE(g.Generate(0, 30, store).ok());
  const Pki& pki = g.pki();
  auto pin = [&](std::string_view id) { return SpkiPin(pki.Find(id)->key.spki_der()); };
  // The hierarchy: e1 and e2 under "root", rogue under its own "rogue-root".
  EXPECT_EQ(pki.Parent(*pki.Find("e1"))->id, "root");
  EXPECT_EQ(pki.Parent(*pki.Find("e2"))->id, "root");
  EXPECT_EQ(pki.Parent(*pki.Find("rogue"))->id, "rogue-root");
  EXPECT_EQ(pki.Parent(*pki.Find("root")), nullptr);
  EXPECT_EQ(pki.Parent(*pki.Find("rogue-root")), nullptr);
  std::vector<PlantFacts> facts = g.Facts();
  ASSERT_EQ(facts.size(), 3u);
  EXPECT_EQ(facts[0].chain_spki_pins, (std::vector<std::string>{pin("e1"), pin("root")}));  // "normal"
  EXPECT_EQ(facts[1].chain_spki_pins, (std::vector<std::string>{pin("rogue"), pin("rogue-root")}));
  EXPECT_EQ(facts[2].chain_spki_pins, (std::vector<std::string>{pin("e2"), pin("root")}));
  for (const PlantFacts& f : facts) {
    EXPECT_EQ(f.chain_spki_pins.front(), f.issuer_spki_pin);
    for (uint64_t index : f.indices) {
      SCOPED_TRACE("entry " + std::to_string(index));
      Buffer extra;
      store.AppendExtraData(index, extra);
      ParsedEntry e = SplitEntry(store.LeafInput(index), extra);
      std::vector<std::string> logged;
      for (const Buffer& c : e.chain) logged.push_back(SpkiPin(SpkiOf(ParseCert(c).get())));
      EXPECT_EQ(logged, f.chain_spki_pins);
    }
  }
}

class CertsDirTest : public pinwatch::testing::TestdataTest {};

TEST_F(CertsDirTest, RealPrecertBecomesTheSameEntryARealLogMade) {
  // The ctclient Let's Encrypt precert entry (ct/rfc6962/expected.json): its logged TBS
  // and issuer_key_hash are known; rebuilding the entry from the two PEMs must match.
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("ctsim-certs-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(Path("certs/intermediate/lets-encrypt-x3-cross-signed.pem"), dir / "0-x3.pem");
  std::filesystem::copy_file(Path("certs/leaf/derived-from-ct-entries/itech.social_ctclient-precert.pem"),
                             dir / "1-precert.pem");
  auto source = LoadCertsDir(dir, 1000);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  ASSERT_EQ(source->count, 2u);
  EntryStore store;
  ASSERT_TRUE(source->source(0, 2, store).ok());
  Buffer extra;
  store.AppendExtraData(1, extra);
  ParsedEntry e = SplitEntry(store.LeafInput(1), extra);
  EXPECT_EQ(e.entry_type, 1);
  EXPECT_EQ(e.timestamp_ms, 2000u);
  EXPECT_EQ(HexEncode(e.issuer_key_hash), "60b87575447dcba2a36b7d11ac09fb24a9db406fee12d2cc90180517616e8a18");
  EXPECT_EQ(HexEncode(ctlog::Sha256Of(e.cert)), "7a2461e4ed3c76f8cb45ee3c8af278093ce1935bb6fc71516af7ce1afc2fc7c5");
  EXPECT_EQ(e.chain.size(), 1u);  // X3; its issuer (DST Root CA X3) is not among the files
}

// ---- the log over HTTP ----

class SimServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = EcKey::FromSeed("sim-test", "log");
    generator_ = std::make_unique<EntryGenerator>(MakeGenerator());
    const EntryGenerator* g = generator_.get();
    auto log = SimLog::Create(
        *key, [g](uint64_t b, uint64_t e, EntryStore& out) { return g->Generate(b, e, out); }, 300,
        g->pki().Roots(), 2);
    ASSERT_TRUE(log.ok());
    log_ = std::move(*log);
    auto server = SimServer::Start(*log_, ServerOptions{.host = "127.0.0.1", .port = 0, .max_batch = 64,
                                                        .origin = "", .gzip_data_tiles = false, .faults = {}});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  httplib::Result Get(const std::string& path) { return client_->Get(path); }

  rapidjson::Document GetJson(const std::string& path) {
    auto res = Get(path);
    rapidjson::Document doc;
    EXPECT_TRUE(res) << path;
    if (!res) return doc;
    EXPECT_EQ(res->status, 200) << path << ": " << res->body;
    doc.Parse(res->body.c_str());
    EXPECT_FALSE(doc.HasParseError()) << path;
    return doc;
  }

  ctlog::SignedTreeHead GetSth() {
    rapidjson::Document doc = GetJson("/ct/v1/get-sth");
    ctlog::SignedTreeHead sth;
    sth.tree_size = doc["tree_size"].GetUint64();
    sth.timestamp_ms = doc["timestamp"].GetUint64();
    auto root = Base64Decode(doc["sha256_root_hash"].GetString());
    std::copy(root->begin(), root->end(), sth.root_hash.begin());
    auto sig = Base64Decode(doc["tree_head_signature"].GetString());
    sth.signature = *ctlog::ParseDigitallySigned(*sig);
    return sth;
  }

  bool SthVerifies(const ctlog::SignedTreeHead& sth) {
    return sth.signature.hash_algorithm == ctlog::kHashSha256 &&
           sth.signature.signature_algorithm == ctlog::kSignatureEcdsa &&
           VerifyEcdsa(log_->key().spki_der(),
                       ctlog::SerializeTreeHeadSignatureInput(sth.timestamp_ms, sth.tree_size, sth.root_hash),
                       sth.signature.signature);
  }

  // LeafHashes downloads [0, tree_size) through get-entries, following short answers.
  std::vector<Hash> LeafHashes(uint64_t tree_size) {
    std::vector<Hash> hashes;
    while (hashes.size() < tree_size) {
      rapidjson::Document doc = GetJson("/ct/v1/get-entries?start=" + std::to_string(hashes.size()) +
                                        "&end=" + std::to_string(tree_size - 1));
      const auto& entries = doc["entries"];
      EXPECT_GT(entries.Size(), 0u);
      if (entries.Size() == 0) break;
      for (const auto& e : entries.GetArray()) {
        hashes.push_back(ctlog::HashLeaf(*Base64Decode(e["leaf_input"].GetString())));
      }
    }
    return hashes;
  }

  void SetFaults(const std::string& json) {
    auto res = client_->Post("/sim/faults", json, "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
  }

  std::unique_ptr<EntryGenerator> generator_;
  std::unique_ptr<SimLog> log_;
  std::unique_ptr<SimServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

std::vector<Hash> HashArray(const rapidjson::Value& v) {
  std::vector<Hash> out;
  for (const auto& h : v.GetArray()) {
    auto bytes = Base64Decode(h.GetString());
    Hash hash{};
    std::copy(bytes->begin(), bytes->end(), hash.begin());
    out.push_back(hash);
  }
  return out;
}

TEST_F(SimServerTest, SthVerifiesAndItsRootIsTheRootOfTheServedEntries) {
  ctlog::SignedTreeHead sth = GetSth();
  EXPECT_EQ(sth.tree_size, 300u);
  EXPECT_TRUE(SthVerifies(sth));
  ctlog::CompactRange range;
  for (const Hash& h : LeafHashes(sth.tree_size)) range.Append(h);
  EXPECT_EQ(range.end(), 300u);
  EXPECT_EQ(range.Root(), sth.root_hash);
}

TEST_F(SimServerTest, GetEntriesAnswersAtMostMaxBatchAndRejectsBadRanges) {
  rapidjson::Document doc = GetJson("/ct/v1/get-entries?start=10&end=299");
  EXPECT_EQ(doc["entries"].Size(), 64u);
  doc = GetJson("/ct/v1/get-entries?start=290&end=1000");  // clipped to the tree
  EXPECT_EQ(doc["entries"].Size(), 10u);
  EXPECT_EQ(Get("/ct/v1/get-entries?start=300&end=300")->status, 400);
  EXPECT_EQ(Get("/ct/v1/get-entries?start=5&end=4")->status, 400);
  EXPECT_EQ(Get("/ct/v1/get-entries?start=-1&end=4")->status, 400);
  EXPECT_EQ(Get("/ct/v1/get-entries?start=1")->status, 400);
}

TEST_F(SimServerTest, InclusionProofsVerify) {
  ctlog::SignedTreeHead sth = GetSth();
  std::vector<Hash> leaves = LeafHashes(sth.tree_size);
  for (uint64_t index : {0ull, 1ull, 20ull, 255ull, 299ull}) {
    SCOPED_TRACE(index);
    rapidjson::Document doc = GetJson("/ct/v1/get-proof-by-hash?tree_size=300&hash=" +
                                      httplib::detail::encode_query_param(Base64Encode(leaves[index])));
    EXPECT_EQ(doc["leaf_index"].GetUint64(), index);
    EXPECT_TRUE(ctlog::VerifyInclusion(index, 300, leaves[index], HashArray(doc["audit_path"]), sth.root_hash).ok());
    doc = GetJson("/ct/v1/get-entry-and-proof?leaf_index=" + std::to_string(index) + "&tree_size=300");
    Hash leaf = ctlog::HashLeaf(*Base64Decode(doc["leaf_input"].GetString()));
    EXPECT_EQ(leaf, leaves[index]);
    EXPECT_TRUE(ctlog::VerifyInclusion(index, 300, leaf, HashArray(doc["audit_path"]), sth.root_hash).ok());
  }
  Hash absent{};
  EXPECT_EQ(Get("/ct/v1/get-proof-by-hash?tree_size=300&hash=" +
                httplib::detail::encode_query_param(Base64Encode(absent)))->status, 404);
}

TEST_F(SimServerTest, GrowPublishesNewSthsAndConsistencyProofsVerifyBetweenAnyOfThem) {
  ctlog::SignedTreeHead first = GetSth();
  auto res = client_->Post("/sim/grow?n=77", "", "text/plain");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  ctlog::SignedTreeHead second = GetSth();
  ASSERT_TRUE(log_->Grow(1).ok());
  ctlog::SignedTreeHead third = GetSth();
  EXPECT_EQ(second.tree_size, 377u);
  EXPECT_EQ(third.tree_size, 378u);
  EXPECT_TRUE(SthVerifies(second));
  EXPECT_GT(third.timestamp_ms, second.timestamp_ms);
  const ctlog::SignedTreeHead* sths[] = {&first, &second, &third};
  for (auto* a : sths) {
    for (auto* b : sths) {
      if (a->tree_size >= b->tree_size) continue;
      rapidjson::Document doc = GetJson("/ct/v1/get-sth-consistency?first=" + std::to_string(a->tree_size) +
                                        "&second=" + std::to_string(b->tree_size));
      EXPECT_TRUE(ctlog::VerifyConsistency(a->tree_size, b->tree_size, a->root_hash, b->root_hash,
                                           HashArray(doc["consistency"]))
                      .ok());
    }
  }
  EXPECT_EQ(Get("/ct/v1/get-sth-consistency?first=10&second=400")->status, 400);
  // Grown entries are the generator's entries at those indices (the plan continues).
  ctlog::CompactRange range;
  for (const Hash& h : LeafHashes(378)) range.Append(h);
  EXPECT_EQ(range.Root(), third.root_hash);
}

TEST_F(SimServerTest, GetRootsServesBothRoots) {
  rapidjson::Document doc = GetJson("/ct/v1/get-roots");
  ASSERT_EQ(doc["certificates"].Size(), 2u);
  for (const auto& c : doc["certificates"].GetArray()) {
    X509Ptr root = ParseCert(*Base64Decode(c.GetString()));
    EXPECT_EQ(X509_verify(root.get(), X509_get0_pubkey(root.get())), 1);
  }
}

TEST_F(SimServerTest, Fault429EveryKthRequestWithRetryAfter) {
  SetFaults(R"({"http_429_every": 2, "retry_after_s": 7})");
  auto r1 = Get("/ct/v1/get-sth");
  auto r2 = Get("/ct/v1/get-sth");
  auto r3 = Get("/ct/v1/get-sth");
  auto r4 = Get("/ct/v1/get-sth");
  EXPECT_EQ(r1->status, 200);
  EXPECT_EQ(r2->status, 429);
  EXPECT_EQ(r2->get_header_value("Retry-After"), "7");
  EXPECT_EQ(r3->status, 200);
  EXPECT_EQ(r4->status, 429);
  EXPECT_EQ(Get("/sim/faults")->status, 200);  // admin calls are never faulted
}

TEST_F(SimServerTest, Fault500) {
  SetFaults(R"({"http_500_every": 1})");
  EXPECT_EQ(Get("/ct/v1/get-sth")->status, 500);
  SetFaults("{}");
  EXPECT_EQ(Get("/ct/v1/get-sth")->status, 200);
}

TEST_F(SimServerTest, FaultShortBatch) {
  SetFaults(R"({"short_batch_entries": 3})");
  rapidjson::Document doc = GetJson("/ct/v1/get-entries?start=0&end=99");
  EXPECT_EQ(doc["entries"].Size(), 3u);
}

TEST_F(SimServerTest, FaultTruncatedAndGarbageBodiesAreNotJson) {
  SetFaults(R"({"truncate_every": 2})");
  auto whole = Get("/ct/v1/get-entries?start=0&end=3");
  auto cut = Get("/ct/v1/get-entries?start=0&end=3");
  EXPECT_EQ(cut->status, 200);
  EXPECT_EQ(cut->body.size(), whole->body.size() / 2);
  EXPECT_EQ(whole->body.compare(0, cut->body.size(), cut->body), 0);
  rapidjson::Document doc;
  doc.Parse(cut->body.c_str());
  EXPECT_TRUE(doc.HasParseError());
  SetFaults(R"({"garbage_every": 1})");
  auto garbage = Get("/ct/v1/get-sth");
  EXPECT_EQ(garbage->status, 200);
  doc.Parse(garbage->body.c_str());
  EXPECT_TRUE(doc.HasParseError());
}

TEST_F(SimServerTest, FaultWrongRootIsValidlySignedButDoesNotMatchTheEntries) {
  ctlog::SignedTreeHead good = GetSth();
  SetFaults(R"({"wrong_root": true})");
  ctlog::SignedTreeHead bad = GetSth();
  EXPECT_TRUE(SthVerifies(bad));
  EXPECT_EQ(bad.tree_size, good.tree_size);
  ctlog::CompactRange range;
  for (const Hash& h : LeafHashes(bad.tree_size)) range.Append(h);
  EXPECT_NE(range.Root(), bad.root_hash);
}

TEST_F(SimServerTest, FaultBadSignature) {
  EXPECT_TRUE(SthVerifies(GetSth()));
  SetFaults(R"({"bad_signature": true})");
  EXPECT_FALSE(SthVerifies(GetSth()));
}

TEST_F(SimServerTest, FaultForkServesTwoSignedRootsForOneSize) {
  SetFaults(R"({"fork": true})");
  ctlog::SignedTreeHead a = GetSth(), b = GetSth(), c = GetSth();
  EXPECT_EQ(a.tree_size, b.tree_size);
  EXPECT_NE(a.root_hash, b.root_hash);
  EXPECT_EQ(a.root_hash, c.root_hash);
  EXPECT_TRUE(SthVerifies(a));
  EXPECT_TRUE(SthVerifies(b));
}

TEST_F(SimServerTest, FaultTamperedEntryNoLongerMatchesTheTree) {
  std::vector<Hash> honest = LeafHashes(20);
  SetFaults(R"({"tamper_index": 5})");
  std::vector<Hash> served = LeafHashes(20);
  for (size_t i = 0; i < 20; ++i) {
    if (i == 5) {
      EXPECT_NE(served[i], honest[i]);
    } else {
      EXPECT_EQ(served[i], honest[i]) << i;
    }
  }
}

TEST_F(SimServerTest, FaultDelay) {
  SetFaults(R"({"delay_ms": 200})");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Get("/ct/v1/get-sth")->status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
}

TEST_F(SimServerTest, FaultsJsonRejectsUnknownFields) {
  auto res = client_->Post("/sim/faults", R"({"explode": true})", "application/json");
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(ParseFaultsJson(R"({"wrong_root": 1})").status().code(), Code::kMalformed);
  auto f = ParseFaultsJson(FaultsJson(Faults{.http_429_every = 3, .tamper_index = 9}));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->http_429_every, 3u);
  EXPECT_EQ(f->tamper_index, 9);
}

// ---- hostile logs, trickles and extra entries (issue 13 item 2) ----

TEST(FaultsJsonTest, StreamFaultsRoundTripAndBadValuesAreRefused) {
  const Faults want{.hostile_body = HostileBody::kValues, .hostile_path = "/tile/data/\"x\\",
                    .hostile_bytes = uint64_t{5} << 32, .hostile_chunked = true, .trickle_ms = 7,
                    .extra_entries = 3};
  auto f = ParseFaultsJson(FaultsJson(want));
  ASSERT_TRUE(f.ok()) << f.status().ToString() << "\n" << FaultsJson(want);
  EXPECT_EQ(f->hostile_body, HostileBody::kValues);
  EXPECT_EQ(f->hostile_path, "/tile/data/\"x\\");
  EXPECT_EQ(f->hostile_bytes, uint64_t{5} << 32);
  EXPECT_TRUE(f->hostile_chunked);
  EXPECT_EQ(f->trickle_ms, 7u);
  EXPECT_EQ(f->extra_entries, 3u);
  for (HostileBody body : {HostileBody::kOff, HostileBody::kNesting, HostileBody::kValues, HostileBody::kZeros}) {
    EXPECT_EQ(ParseHostileBody(HostileBodyName(body)), body);
  }
  // Absent fields are off, and hostile bodies go to get-entries unless told otherwise.
  auto defaults = ParseFaultsJson(R"({"hostile_body": "zeros"})");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->hostile_path, "/ct/v1/get-entries");
  EXPECT_EQ(defaults->hostile_bytes, 0u);
  EXPECT_FALSE(defaults->hostile_chunked);
  EXPECT_EQ(defaults->trickle_ms, 0u);
  for (const char* bad : {R"({"hostile_body": "bombs"})", R"({"hostile_body": 1})", R"({"hostile_path": "ct/v1/"})",
                          R"({"hostile_path": ""})", R"({"hostile_bytes": -1})", R"({"hostile_chunked": 1})",
                          R"({"trickle_ms": "5"})", R"({"extra_entries": -2})"}) {
    EXPECT_EQ(ParseFaultsJson(bad).status().code(), Code::kMalformed) << bad;
  }
}

// The lying log's faults (issue 19): what the scan and daemon tests use them for is in
// tests/integration (scan_test.cc, log_faults_test.cc); here, their JSON.
TEST(FaultsJsonTest, LyingHeadAndTileFaultsRoundTripAndBadValuesAreRefused) {
  const Faults want{.head_tree_size = uint64_t{1} << 63, .head_timestamp_ms = UINT64_MAX, .tile_width_delta = -256};
  auto f = ParseFaultsJson(FaultsJson(want));
  ASSERT_TRUE(f.ok()) << f.status().ToString() << "\n" << FaultsJson(want);
  EXPECT_EQ(f->head_tree_size, uint64_t{1} << 63);
  EXPECT_EQ(f->head_timestamp_ms, UINT64_MAX);
  EXPECT_EQ(f->tile_width_delta, -256);
  auto defaults = ParseFaultsJson("{}");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->head_tree_size, 0u);
  EXPECT_EQ(defaults->head_timestamp_ms, 0u);
  EXPECT_EQ(defaults->tile_width_delta, 0);
  for (const char* bad : {R"({"head_tree_size": -1})", R"({"head_timestamp_ms": "1"})", R"({"tile_width_delta": 257})",
                          R"({"tile_width_delta": -257})", R"({"tile_width_delta": 1.5})"}) {
    EXPECT_EQ(ParseFaultsJson(bad).status().code(), Code::kMalformed) << bad;
  }
}

// HostileBytes is the first `n` bytes of the endless hostile body `body`, written out
// independently of AppendHostileBytes from the grammar of each kind.
std::string HostileBytes(HostileBody body, size_t n) {
  std::string out;
  if (body == HostileBody::kNesting) out = "{\"entries\":";
  if (body == HostileBody::kValues) out = "{\"entries\":[";
  while (out.size() < n) out += body == HostileBody::kNesting ? std::string("[") : body == HostileBody::kValues ? std::string("0,") : std::string(1, '\0');
  out.resize(n);
  return out;
}

TEST_F(SimServerTest, HostileBodyHasExactlyHostileBytesAndItsPrefix) {
  // 200,001 bytes: more than three of the server's 64 KiB chunks, and not a multiple of a
  // unit, so an off-by-one at a chunk edge or at the end shows.
  constexpr size_t kBodyBytes = 200'001;
  for (HostileBody body : {HostileBody::kNesting, HostileBody::kValues, HostileBody::kZeros}) {
    for (bool chunked : {false, true}) {
      SCOPED_TRACE(std::string(HostileBodyName(body)) + (chunked ? " chunked" : " with Content-Length"));
      SetFaults(FaultsJson(Faults{.hostile_body = body, .hostile_bytes = kBodyBytes, .hostile_chunked = chunked}));
      auto res = Get("/ct/v1/get-entries?start=0&end=3");
      ASSERT_TRUE(res);
      EXPECT_EQ(res->status, 200);
      EXPECT_EQ(res->body.size(), kBodyBytes);
      EXPECT_EQ(res->body, HostileBytes(body, kBodyBytes));
      if (chunked) {
        EXPECT_FALSE(res->has_header("Content-Length"));
        EXPECT_EQ(res->get_header_value("Transfer-Encoding"), "chunked");
      } else {
        EXPECT_EQ(res->get_header_value("Content-Length"), std::to_string(kBodyBytes));
      }
    }
  }
  EXPECT_EQ(HostileBytes(HostileBody::kNesting, 14), "{\"entries\":[[[");
  EXPECT_EQ(HostileBytes(HostileBody::kValues, 16), "{\"entries\":[0,0,");
  // Other paths answer as usual; so does the admin API even when the prefix covers it.
  EXPECT_TRUE(SthVerifies(GetSth()));
  SetFaults(R"({"hostile_body": "zeros", "hostile_path": "/", "hostile_bytes": 10})");
  EXPECT_EQ(Get("/ct/v1/get-sth")->body, std::string(10, '\0'));
  EXPECT_EQ(Get("/sim/faults")->body.front(), '{');
}

TEST_F(SimServerTest, EndlessHostileBodyStreamsUntilTheClientGoesAway) {
  SetFaults(R"({"hostile_body": "nesting", "hostile_path": "/ct/v1/get-sth"})");
  // Read 3 MiB of the endless answer, then hang up.
  constexpr size_t kReadBytes = size_t{3} << 20;
  std::string got;
  httplib::Headers headers;
  auto res = client_->Get(
      "/ct/v1/get-sth", [&](const httplib::Response& r) {
        headers = r.headers;
        return true;
      },
      [&](const char* data, size_t n) {
        got.append(data, std::min(n, kReadBytes - got.size()));
        return got.size() < kReadBytes;
      });
  EXPECT_FALSE(res);  // cancelled by us: the body had no end
  EXPECT_EQ(got.size(), kReadBytes);
  EXPECT_EQ(got, HostileBytes(HostileBody::kNesting, kReadBytes));
  EXPECT_EQ(headers.count("Content-Length"), 0u);
  // The server is still fine, and Stop (TearDown) does not wait for the abandoned answer.
  SetFaults("{}");
  EXPECT_TRUE(SthVerifies(GetSth()));
}

TEST_F(SimServerTest, TrickleSendsTheSameBytesOneAtATime) {
  // identity: this client's gzip would otherwise be trickled as gzip (also tested below).
  client_->set_default_headers({{"Accept-Encoding", "identity"}});
  const std::string path = "/ct/v1/get-sth-consistency?first=10&second=300";
  auto plain = Get(path);
  ASSERT_TRUE(plain);
  ASSERT_EQ(plain->status, 200);
  SetFaults(R"({"trickle_ms": 2})");
  std::string body;
  size_t pieces = 0;
  httplib::Headers headers;
  const auto start = std::chrono::steady_clock::now();
  auto res = client_->Get(
      path, [&](const httplib::Response& r) {
        headers = r.headers;
        EXPECT_EQ(r.status, 200);
        return true;
      },
      [&](const char* data, size_t n) {
        body.append(data, n);
        ++pieces;
        return true;
      });
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(body, plain->body);
  EXPECT_EQ(pieces, body.size());  // one chunk per byte
  EXPECT_EQ(headers.count("Content-Length"), 0u);
  EXPECT_EQ(headers.find("Transfer-Encoding")->second, "chunked");
  // Each byte waits its 2 ms (a lower bound: a condition variable never wakes early unasked).
  EXPECT_GE(elapsed, std::chrono::milliseconds(2) * body.size());
  // A gzip answer is trickled as the compressed bytes and decodes to the same body; error
  // answers trickle too; the admin API never does.
  client_->set_default_headers({{"Accept-Encoding", "gzip"}});
  client_->set_decompress(true);
  auto gz = Get(path);
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->body, plain->body);
  EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip");
  EXPECT_FALSE(gz->has_header("Content-Length"));
  auto bad = Get("/ct/v1/get-entries?start=5&end=4");
  EXPECT_EQ(bad->status, 400);
  EXPECT_FALSE(bad->has_header("Content-Length"));
  EXPECT_NE(bad->body.find("need 0 <= start <= end"), std::string::npos);
  EXPECT_TRUE(Get("/sim/faults")->has_header("Content-Length"));
}

TEST_F(SimServerTest, FaultExtraEntriesAnswersMoreThanAskedFromTheRealLog) {
  std::vector<Hash> honest = LeafHashes(300);
  SetFaults(R"({"extra_entries": 3})");
  auto hashes = [&](const std::string& path) {
    std::vector<Hash> out;
    rapidjson::Document doc = GetJson(path);
    for (const auto& e : doc["entries"].GetArray()) out.push_back(ctlog::HashLeaf(*Base64Decode(e["leaf_input"].GetString())));
    return out;
  };
  EXPECT_EQ(hashes("/ct/v1/get-entries?start=10&end=19"), std::vector<Hash>(honest.begin() + 10, honest.begin() + 23));
  // Beyond max_batch (64) too, and only as far as the tree goes.
  EXPECT_EQ(hashes("/ct/v1/get-entries?start=0&end=63").size(), 67u);
  EXPECT_EQ(hashes("/ct/v1/get-entries?start=290&end=298"), std::vector<Hash>(honest.begin() + 290, honest.end()));
  EXPECT_EQ(hashes("/ct/v1/get-entries?start=299&end=299").size(), 1u);
}

// ---- ctsim, the binary: stopping while an answer is in flight ----

std::string CtsimPath() {
  if (const char* env = std::getenv("CTSIM"); env != nullptr && *env != '\0') return env;
  return std::string(PINWATCH_BIN_DIR) + "/sim/ctsim";
}

// RunningCtsim is ctsim started with `args`, once it serves, and its port.
struct RunningCtsim {
  std::unique_ptr<pinwatch::testing::ChildProcess> process;
  int port = 0;
};

RunningCtsim StartCtsim(std::vector<std::string> args) {
  args.insert(args.begin(), {CtsimPath(), "--port", "0", "--entries", "16", "--threads", "1"});
  auto child = pinwatch::testing::ChildProcess::Start(args);
  EXPECT_TRUE(child.ok()) << child.status().ToString() << " (is ctsim built?)";
  if (!child.ok()) return {};
  auto line = (*child)->WaitForLine("ctsim: serving ");
  EXPECT_TRUE(line.ok()) << line.status().ToString() << "\n" << (*child)->output();
  if (!line.ok()) return {};
  // "ctsim: serving http://127.0.0.1:PORT/"
  const size_t colon = line->rfind(':');
  return RunningCtsim{.process = std::move(*child), .port = std::atoi(line->c_str() + colon + 1)};
}

// OpenRequest connects to 127.0.0.1:port, sends a GET of `path` and returns the socket
// once the answer's headers have arrived (the answer is then in flight), with what was
// read so far in `received`; -1 on failure.
int OpenRequest(int port, const std::string& path, std::string& received) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return -1;
  char buf[4096];
  while (received.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return -1;
    received.append(buf, static_cast<size_t>(n));
  }
  return fd;
}

// ReadToEnd reads `fd` until the peer closes it and returns how many bytes came.
size_t ReadToEnd(int fd) {
  size_t total = 0;
  char buf[65536];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    total += static_cast<size_t>(n);
  }
  return total;
}

TEST(CtsimProcessTest, SigtermEndsATrickleInFlightAtOnce) {
  // One byte a minute: without a stop-aware wait, ctsim would need a minute per byte of
  // the answer to stop.
  constexpr int kTrickleMs = 60'000;
  RunningCtsim sim = StartCtsim({"--fault-trickle-ms", std::to_string(kTrickleMs)});
  ASSERT_TRUE(sim.process);
  std::string received;
  int fd = OpenRequest(sim.port, "/ct/v1/get-sth", received);
  ASSERT_GE(fd, 0);
  EXPECT_NE(received.find("Transfer-Encoding: chunked"), std::string::npos) << received;
  const auto signalled = std::chrono::steady_clock::now();
  sim.process->Signal(SIGTERM);
  EXPECT_EQ(sim.process->Wait(), 0) << sim.process->output();
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, std::chrono::milliseconds(kTrickleMs));
  EXPECT_NE(sim.process->output().find("stopped by signal"), std::string::npos);
  ReadToEnd(fd);  // the connection was closed, not left open
  close(fd);
}

TEST(CtsimProcessTest, SigtermEndsAnEndlessHostileBodyInFlight) {
  RunningCtsim sim = StartCtsim({"--fault-hostile-body", "zeros", "--fault-hostile-path", "/ct/v1/get-sth"});
  ASSERT_TRUE(sim.process);
  std::string received;
  int fd = OpenRequest(sim.port, "/ct/v1/get-sth", received);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(received.find("Content-Length"), std::string::npos) << received;
  sim.process->Signal(SIGTERM);
  // The body has no end: reading it ends only because ctsim stops sending and closes.
  ReadToEnd(fd);
  close(fd);
  EXPECT_EQ(sim.process->Wait(), 0) << sim.process->output();
  EXPECT_NE(sim.process->output().find("stopped by signal"), std::string::npos);
}

// ---- ctsim, the binary: plant lifetimes and the facts file ----

// ScratchDir is a fresh directory under the temp directory, removed at scope exit.
struct ScratchDir {
  explicit ScratchDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path path;
};

// RunCtsim runs ctsim --generate-only on 16 entries with `args` to completion.
pinwatch::testing::CommandResult RunCtsim(std::vector<std::string> args) {
  args.insert(args.begin(), {CtsimPath(), "--generate-only", "--entries", "16", "--threads", "1"});
  auto r = pinwatch::testing::RunCommand(args);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << " (is ctsim built?)";
  return r.ok() ? *r : pinwatch::testing::CommandResult{};
}

TEST(CtsimProcessTest, FactsCarryPlantLifetimesChainPinsAndTheCas) {
  ScratchDir dir("ctsim-facts");
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  // Entries two days old: a plant living an hour has expired, one living 90 days has not.
  const int64_t epoch_s = now_s - 2 * 86400;
  {
    std::ofstream(dir.path / "plan.json")
        << R"({"plants": [{"index": 2, "names": ["short.test"], "issuer": "e1", "lifetime_s": 3600},
                         {"index": 5, "names": ["both.test"], "issuer": "e2", "type": "both",
                          "lifetime_s": 7200}]})";
  }
  pinwatch::testing::CommandResult r = RunCtsim({"--epoch-ms", std::to_string(epoch_s * 1000), "--plan",
                                       (dir.path / "plan.json").string(), "--plant", "8:x509:rogue::rogue.test",
                                       "--plant", "9:x509:normal::long.test", "--plant-lifetime", "8:60",
                                       "--plant-lifetime", "5:600",  // flags override the plan
                                       "--facts-out", (dir.path / "facts.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(dir.path / "facts.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  rapidjson::Document facts;
  facts.Parse(text.c_str());
  ASSERT_TRUE(facts.IsObject()) << text;

  // "cas": every CA with its pin and parent: e1 and e2 under "root", rogue under "rogue-root".
  const rapidjson::Value& cas = facts["cas"];
  ASSERT_TRUE(cas.IsObject()) << text;
  EXPECT_EQ(cas.MemberCount(), 5u);
  auto parent = [&](const char* id) -> std::string {
    const rapidjson::Value& p = cas[id]["parent"];
    return p.IsNull() ? "null" : p.GetString();
  };
  EXPECT_EQ(parent("root"), "null");
  EXPECT_EQ(parent("e1"), "root");
  EXPECT_EQ(parent("e2"), "root");
  EXPECT_EQ(parent("rogue-root"), "null");
  EXPECT_EQ(parent("rogue"), "rogue-root");
  auto ca_pin = [&](const std::string& id) -> std::string { return cas[id.c_str()]["spki_sha256"].GetString(); };
  for (const char* id : {"root", "e1", "e2", "rogue-root", "rogue"}) {
    EXPECT_TRUE(ParsePin(ca_pin(id)).has_value()) << id << ": " << ca_pin(id);
  }

  std::map<uint64_t, const rapidjson::Value*> plants;
  for (const auto& p : facts["plants"].GetArray()) plants[p["index"].GetUint64()] = &p;
  ASSERT_EQ(plants.size(), 4u);
  const std::map<uint64_t, std::pair<int64_t, std::string>> want = {
      {2, {3600, "e1"}}, {5, {600, "e2"}}, {8, {60, "rogue"}}, {9, {kDefaultLeafLifetimeS, "e1"}}};
  for (const auto& [index, lifetime_and_issuer] : want) {
    SCOPED_TRACE("plant at " + std::to_string(index));
    const rapidjson::Value& p = *plants.at(index);
    const int64_t not_before = p["not_before_unix_s"].GetInt64(), not_after = p["not_after_unix_s"].GetInt64();
    EXPECT_EQ(not_before, epoch_s + static_cast<int64_t>(index) - 3600);
    EXPECT_EQ(not_after - not_before, lifetime_and_issuer.first);
    // Expired now unless it has the default lifetime.
    EXPECT_EQ(not_after < now_s, lifetime_and_issuer.first != kDefaultLeafLifetimeS);
    // chain_spki_sha256: the issuer's pin, then its root's, as "cas" has them.
    const std::string& issuer = lifetime_and_issuer.second;
    std::vector<std::string> chain;
    for (const auto& c : p["chain_spki_sha256"].GetArray()) chain.push_back(c.GetString());
    EXPECT_EQ(chain, (std::vector<std::string>{ca_pin(issuer), ca_pin(parent(issuer.c_str()))}));
    EXPECT_EQ(chain.front(), p["issuer_spki_sha256"].GetString());
  }
}

TEST(CtsimProcessTest, BadPlantLifetimesAreRefusedWithAMessage) {
  ScratchDir dir("ctsim-bad-lifetime");
  const std::vector<std::string> plant = {"--plant", "3:x509:e1::a.test"};
  struct Case {
    std::vector<std::string> args;
    std::string want_error;
  };
  const std::vector<Case> cases = {
      {{"--plant-lifetime", "3:0"}, "--plant-lifetime: SECONDS in \"3:0\" must be a positive integer"},
      {{"--plant-lifetime", "3:-60"}, "--plant-lifetime: SECONDS in \"3:-60\" must be a positive integer"},
      {{"--plant-lifetime", "3:soon"}, "--plant-lifetime: SECONDS in \"3:soon\" must be a positive integer"},
      {{"--plant-lifetime", "3"}, "--plant-lifetime wants INDEX:SECONDS"},
      {{"--plant-lifetime", "4:60"}, "--plant-lifetime: no plant at index 4 (plants are at 3)"},
      {{"--plant-lifetime"}, "--plant-lifetime needs a value"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = plant;
    args.insert(args.end(), c.args.begin(), c.args.end());
    pinwatch::testing::CommandResult r = RunCtsim(args);
    EXPECT_EQ(r.exit_code, 2) << c.args.back();
    EXPECT_NE(r.err.find(c.want_error), std::string::npos) << c.args.back() << ": " << r.err;
  }
  // In a plan file the field is named.
  {
    std::ofstream(dir.path / "plan.json") << R"({"plants": [{"index": 3, "names": ["a.test"], "lifetime_s": -1}]})";
  }
  pinwatch::testing::CommandResult r = RunCtsim({"--plan", (dir.path / "plan.json").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("plants[0].lifetime_s must be a positive integer"), std::string::npos) << r.err;
}

// ---- static-ct-api over the same entries ----

TEST_F(SimServerTest, CheckpointVerifiesAndMatchesGetSth) {
  ctlog::SignedTreeHead sth = GetSth();
  auto res = Get("/checkpoint");
  ASSERT_EQ(res->status, 200);
  auto key = ctlog::LogKey::Create(log_->key().spki_der());
  ASSERT_TRUE(key.ok());
  std::string origin = "127.0.0.1:" + std::to_string(server_->port());
  auto head = ctlog::VerifyRfc6962Checkpoint(res->body, origin, *key);
  ASSERT_TRUE(head.ok()) << head.status().ToString() << "\n" << res->body;
  EXPECT_EQ(head->tree_size, sth.tree_size);
  EXPECT_EQ(head->root_hash, sth.root_hash);
  SetFaults(R"({"bad_signature": true})");
  EXPECT_EQ(ctlog::VerifyRfc6962Checkpoint(Get("/checkpoint")->body, origin, *key).status().code(),
            Code::kMisbehaviour);
}

TEST_F(SimServerTest, DataTilesHoldTheSameEntriesWithLeafIndexAndIssuers) {
  std::vector<Hash> leaves = LeafHashes(300);
  struct Case {
    std::string path;
    uint64_t tile;
    uint16_t width;
  };
  for (const Case& c : {Case{"/tile/data/000", 0, 256}, Case{"/tile/data/001.p/44", 1, 44},
                        Case{"/tile/data/001.p/3", 1, 3}}) {
    SCOPED_TRACE(c.path);
    auto res = Get(c.path);
    ASSERT_EQ(res->status, 200);
    auto tile = ctlog::ParseDataTile(AsBytes(res->body), c.tile, c.width);
    ASSERT_TRUE(tile.ok()) << tile.status().ToString();
    for (const ctlog::TileLeafView& leaf : *tile) {
      EXPECT_TRUE(ctlog::VerifyLeafIndex(leaf).ok());
      EXPECT_EQ(leaf.MerkleLeafHash(), leaves[leaf.leaf_index]);
      ASSERT_EQ(leaf.chain_length(), 2u);
      auto issuer = Get("/issuer/" + HexEncode(leaf.ChainFingerprint(0)));
      ASSERT_EQ(issuer->status, 200);
      EXPECT_EQ(ctlog::Sha256Of(AsBytes(issuer->body)), leaf.ChainFingerprint(0));
    }
  }
  EXPECT_EQ(Get("/tile/data/001")->status, 404);       // only 44 entries in tile 1
  EXPECT_EQ(Get("/tile/data/001.p/45")->status, 404);
  EXPECT_EQ(Get("/tile/data/x001/000")->status, 404);
  EXPECT_EQ(Get("/issuer/" + std::string(64, '0'))->status, 404);
}

TEST_F(SimServerTest, HashTilesHoldTheTreeNodes) {
  std::vector<Hash> leaves = LeafHashes(300);
  auto level0 = Get("/tile/0/000");
  ASSERT_EQ(level0->status, 200);
  auto hashes = ctlog::ParseHashTile(AsBytes(level0->body), 256);
  ASSERT_TRUE(hashes.ok());
  EXPECT_TRUE(std::equal(hashes->begin(), hashes->end(), leaves.begin()));
  auto partial = Get("/tile/0/001.p/44");
  ASSERT_EQ(partial->status, 200);
  hashes = ctlog::ParseHashTile(AsBytes(partial->body), 44);
  ASSERT_TRUE(hashes.ok());
  EXPECT_TRUE(std::equal(hashes->begin(), hashes->end(), leaves.begin() + 256));
  // Level 1 holds the roots of 256-leaf subtrees: one so far.
  auto level1 = Get("/tile/1/000.p/1");
  ASSERT_EQ(level1->status, 200);
  ctlog::CompactRange first256;
  for (int i = 0; i < 256; ++i) first256.Append(leaves[i]);
  Hash root256 = first256.Root();
  EXPECT_EQ(level1->body, std::string(root256.begin(), root256.end()));
  EXPECT_EQ(Get("/tile/1/000.p/2")->status, 404);
  EXPECT_EQ(Get("/tile/0/001")->status, 404);
}

TEST_F(SimServerTest, GzipDataTilesDecodeToTheSameBytes) {
  auto gz_server = SimServer::Start(*log_, ServerOptions{.host = "127.0.0.1", .port = 0, .max_batch = 64,
                                                         .origin = "", .gzip_data_tiles = true, .faults = {}});
  ASSERT_TRUE(gz_server.ok());
  httplib::Client gz_client("127.0.0.1", (*gz_server)->port());
  gz_client.set_decompress(false);
  auto compressed = gz_client.Get("/tile/data/000");
  ASSERT_TRUE(compressed);
  EXPECT_EQ(compressed->get_header_value("Content-Encoding"), "gzip");
  ASSERT_GE(compressed->body.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(compressed->body[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<uint8_t>(compressed->body[1]), 0x8b);
  auto plain = Get("/tile/data/000");
  EXPECT_LT(compressed->body.size(), plain->body.size());
  gz_client.set_decompress(true);
  auto decoded = gz_client.Get("/tile/data/000");
  EXPECT_EQ(decoded->body, plain->body);
}

}  // namespace
}  // namespace pinwatch::sim
