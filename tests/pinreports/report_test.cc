// ParsePinReport and ReportIdentity (pinreports/report.h) over reports built here: the three
// forms with every member, the chain choice, each refusal with its message, and the duplicate
// rule. Certificates are made with OpenSSL at start (a throwaway EC P-256 CA, two leaves), so
// the PEM is what a real TLS stack hands an app, and the pins are computed here, apart from
// the code under test.
#include "pinreports/report.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "base/encoding.h"
#include "base/openssl_ptr.h"

namespace pinwatch::pinreports {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using X509Ptr = OpenSslPtr<X509, X509_free>;
using Der = std::vector<uint8_t>;

// ---------------------------------------------------------------------------------------------
// Certificates

struct TestCert {
  std::string pem;  // as PEM_write_bio_X509 writes it
  Der der;
  Hash spki_sha256{};
  std::string pin_b64;  // base64 of spki_sha256
};

struct TestPki {
  TestCert ca, leaf, other_leaf, other_ca;
};

EvpPkeyPtr NewP256Key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) ADD_FAILURE() << "EVP_EC_gen: " << OpenSslError();
  return key;
}

// MakeCert returns a certificate for `subject_cn` with `key`, signed by `signer` (self-signed
// when issuer is null).
X509Ptr MakeCert(const char* subject_cn, EVP_PKEY* key, const X509* issuer, EVP_PKEY* signer, long serial) {
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 30L * 86400);
  X509_set_pubkey(x.get(), key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(subject_cn), -1, -1, 0);
  X509_set_issuer_name(x.get(), issuer != nullptr ? X509_get_subject_name(issuer) : X509_get_subject_name(x.get()));
  if (X509_sign(x.get(), signer, EVP_sha256()) <= 0) ADD_FAILURE() << "X509_sign: " << OpenSslError();
  return x;
}

TestCert Describe(X509* x) {
  TestCert c;
  unsigned char* der = nullptr;
  const int der_len = i2d_X509(x, &der);
  c.der.assign(der, der + der_len);
  OPENSSL_free(der);
  unsigned char* spki = nullptr;
  const int spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
  SHA256(spki, static_cast<size_t>(spki_len), c.spki_sha256.data());
  OPENSSL_free(spki);
  c.pin_b64 = Base64Encode(c.spki_sha256);
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), x);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  c.pem.assign(data, static_cast<size_t>(len));
  return c;
}

const TestPki& Pki() {
  static const TestPki pki = [] {
    EvpPkeyPtr ca_key = NewP256Key(), leaf_key = NewP256Key(), other_key = NewP256Key(),
               other_ca_key = NewP256Key();
    X509Ptr ca = MakeCert("Throwaway Test CA", ca_key.get(), nullptr, ca_key.get(), 1);
    X509Ptr leaf = MakeCert("www.example.com", leaf_key.get(), ca.get(), ca_key.get(), 2);
    X509Ptr other = MakeCert("www.example.com", other_key.get(), ca.get(), ca_key.get(), 3);
    X509Ptr other_ca = MakeCert("Intercepting Proxy CA", other_ca_key.get(), nullptr, other_ca_key.get(), 4);
    return TestPki{Describe(ca.get()), Describe(leaf.get()), Describe(other.get()), Describe(other_ca.get())};
  }();
  return pki;
}

// ---------------------------------------------------------------------------------------------
// JSON bodies: members in order, values as raw JSON text.

using Members = std::vector<std::pair<std::string, std::string>>;

// Str quotes text as a JSON string (the escapes PEM and the tests need).
std::string Str(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

std::string Arr(const std::vector<std::string>& raw_values) {
  std::string out = "[";
  for (size_t i = 0; i < raw_values.size(); ++i) out += (i > 0 ? "," : "") + raw_values[i];
  return out + "]";
}

std::string Json(const Members& members) {
  std::string out = "{";
  for (size_t i = 0; i < members.size(); ++i) {
    out += (i > 0 ? "," : "") + Str(members[i].first) + ":" + members[i].second;
  }
  return out + "}";
}

// With replaces member `name` (or appends it); Without drops it.
Members With(Members m, const std::string& name, const std::string& raw) {
  for (auto& [n, v] : m) {
    if (n == name) {
      v = raw;
      return m;
    }
  }
  m.emplace_back(name, raw);
  return m;
}
Members Without(Members m, const std::string& name) {
  std::erase_if(m, [&](const auto& member) { return member.first == name; });
  return m;
}

std::string DirectivePin(const TestCert& c) { return Str("pin-sha256=\"" + c.pin_b64 + "\""); }

// TrustKit 3's report, as in its TSKPinFailureReport, for a leaf and CA the app did not pin.
Members TrustKitReport() {
  const TestPki& pki = Pki();
  return {
      {"app-bundle-id", Str("com.example.app")},
      {"app-version", Str("1.2")},
      {"app-vendor-id", Str("3C3E6C4B-0D8B-4F7A-9E0B-2B1D7A5C9F10")},
      {"app-platform", Str("IOS")},
      {"app-platform-version", Str("17.0")},
      {"trustkit-version", Str("3.0.3")},
      {"hostname", Str("www.example.com")},
      {"port", "443"},
      {"noted-hostname", Str("example.com")},
      {"include-subdomains", "true"},
      {"enforce-pinning", "true"},
      {"validated-certificate-chain", Arr({Str(pki.leaf.pem), Str(pki.ca.pem)})},
      {"known-pins", Arr({DirectivePin(pki.other_leaf), DirectivePin(pki.other_ca)})},
      {"validation-result", "1"},
      {"date-time", Str("2026-12-05T10:11:12.345Z")},
      {"known-pins-expiration-date", Str("2027-01-01")},
  };
}

// RFC 7469 §3.1's report, with the served chain longer than the validated one.
Members Rfc7469Report() {
  const TestPki& pki = Pki();
  return {
      {"date-time", Str("2026-12-05T10:11:12+01:00")},
      {"hostname", Str("www.example.com")},
      {"port", "8443"},
      {"effective-expiration-date", Str("2027-03-01T00:00:00Z")},
      {"include-subdomains", "false"},
      {"noted-hostname", Str("www.example.com")},
      {"served-certificate-chain", Arr({Str(pki.leaf.pem), Str(pki.ca.pem), Str(pki.other_ca.pem)})},
      {"validated-certificate-chain", Arr({Str(pki.leaf.pem), Str(pki.ca.pem)})},
      {"known-pins", Arr({DirectivePin(pki.other_leaf)})},
  };
}

// pinwatch's plain form, both pin spellings.
Members PinwatchReport() {
  const TestPki& pki = Pki();
  return {
      {"pinwatch-report", "1"},
      {"hostname", Str("api.example.com")},
      {"port", "443"},
      {"noted-hostname", Str("example.com")},
      {"include-subdomains", "true"},
      {"date-time", Str("2027-03-01T00:00:00-05:30")},
      {"peer-certificate-chain", Arr({Str(pki.leaf.pem), Str(pki.ca.pem)})},
      {"known-pins", Arr({Str("sha256/" + pki.other_leaf.pin_b64), DirectivePin(pki.other_ca)})},
      {"app", Str("com.example.android 4.1 (OkHttp 4.12)")},
      {"client-id", Str("f0e1d2c3-b4a5-4697-8877-665544332211")},
  };
}

PinReport MustParse(const std::string& body) {
  Result<PinReport> report = ParsePinReport(body);
  EXPECT_TRUE(report.ok()) << report.status().ToString() << "\nbody: " << body.substr(0, 400);
  return report.ok() ? std::move(*report) : PinReport{};
}

// ---------------------------------------------------------------------------------------------
// The three forms

TEST(ParsePinReportTest, TrustKitReportGivesEveryField) {
  const TestPki& pki = Pki();
  Result<PinReport> r = ParsePinReport(Json(TrustKitReport()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, ReportFormat::kTrustKit);
  EXPECT_EQ(r->hostname, "www.example.com");
  EXPECT_EQ(r->port, 443);
  EXPECT_EQ(r->noted_hostname, "example.com");
  EXPECT_TRUE(r->include_subdomains);
  EXPECT_EQ(r->enforce_pinning, std::optional<bool>(true));
  EXPECT_EQ(r->validation_result, std::optional<int64_t>(1));
  EXPECT_EQ(r->happened_unix_s, std::optional<int64_t>(1796465472));  // fraction dropped
  EXPECT_EQ(r->chain, (std::vector<Der>{pki.leaf.der, pki.ca.der}));
  EXPECT_TRUE(r->served_chain.empty());
  EXPECT_EQ(r->known_pins, (std::vector<Hash>{pki.other_leaf.spki_sha256, pki.other_ca.spki_sha256}));
  EXPECT_EQ(r->app_id, "com.example.app");
  EXPECT_EQ(r->app_version, "1.2");
  EXPECT_EQ(r->app_platform, "IOS");
  EXPECT_EQ(r->app_platform_version, "17.0");
  EXPECT_EQ(r->library_version, "3.0.3");
  EXPECT_EQ(r->client_id, "3C3E6C4B-0D8B-4F7A-9E0B-2B1D7A5C9F10");
}

TEST(ParsePinReportTest, Rfc7469ReportGivesEveryField) {
  const TestPki& pki = Pki();
  Result<PinReport> r = ParsePinReport(Json(Rfc7469Report()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, ReportFormat::kRfc7469);
  EXPECT_EQ(r->hostname, "www.example.com");
  EXPECT_EQ(r->port, 8443);
  EXPECT_EQ(r->noted_hostname, "www.example.com");
  EXPECT_FALSE(r->include_subdomains);
  EXPECT_EQ(r->enforce_pinning, std::nullopt);
  EXPECT_EQ(r->validation_result, std::nullopt);
  EXPECT_EQ(r->happened_unix_s, std::optional<int64_t>(1796461872));  // 09:11:12Z
  EXPECT_EQ(r->chain, (std::vector<Der>{pki.leaf.der, pki.ca.der}));
  EXPECT_EQ(r->served_chain, (std::vector<Der>{pki.leaf.der, pki.ca.der, pki.other_ca.der}));
  EXPECT_EQ(r->known_pins, (std::vector<Hash>{pki.other_leaf.spki_sha256}));
  EXPECT_EQ(r->app_id, "");
  EXPECT_EQ(r->client_id, "");
}

TEST(ParsePinReportTest, PinwatchReportGivesEveryField) {
  const TestPki& pki = Pki();
  Result<PinReport> r = ParsePinReport(Json(PinwatchReport()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, ReportFormat::kPinwatch);
  EXPECT_EQ(r->hostname, "api.example.com");
  EXPECT_EQ(r->port, 443);
  EXPECT_EQ(r->noted_hostname, "example.com");
  EXPECT_TRUE(r->include_subdomains);
  EXPECT_EQ(r->enforce_pinning, std::nullopt);
  EXPECT_EQ(r->validation_result, std::nullopt);
  EXPECT_EQ(r->happened_unix_s, std::optional<int64_t>(1803879000));
  EXPECT_EQ(r->chain, (std::vector<Der>{pki.leaf.der, pki.ca.der}));
  EXPECT_TRUE(r->served_chain.empty());
  EXPECT_EQ(r->known_pins, (std::vector<Hash>{pki.other_leaf.spki_sha256, pki.other_ca.spki_sha256}));
  EXPECT_EQ(r->app_id, "com.example.android 4.1 (OkHttp 4.12)");
  EXPECT_EQ(r->client_id, "f0e1d2c3-b4a5-4697-8877-665544332211");
  EXPECT_EQ(r->library_version, "");
}

TEST(ParsePinReportTest, FormatNames) {
  EXPECT_EQ(ReportFormatName(ReportFormat::kTrustKit), "trustkit");
  EXPECT_EQ(ReportFormatName(ReportFormat::kRfc7469), "rfc7469");
  EXPECT_EQ(ReportFormatName(ReportFormat::kPinwatch), "pinwatch");
}

TEST(ParsePinReportTest, FormIsChosenByMembers) {
  // Without app-* members, validated-certificate-chain alone is TrustKit's (older versions).
  Members bare = {{"hostname", Str("www.example.com")},
                  {"validated-certificate-chain", Arr({Str(Pki().leaf.pem)})}};
  EXPECT_EQ(MustParse(Json(bare)).format, ReportFormat::kTrustKit);
  // A served chain makes it RFC 7469's; an app-* member TrustKit's again.
  Members served = With(bare, "served-certificate-chain", Arr({Str(Pki().leaf.pem)}));
  EXPECT_EQ(MustParse(Json(served)).format, ReportFormat::kRfc7469);
  EXPECT_EQ(MustParse(Json(With(served, "app-version", Str("1")))).format, ReportFormat::kTrustKit);
  // Another form's members are ignored: TrustKit's app-version is not read from pinwatch's form.
  PinReport pw = MustParse(Json(With(PinwatchReport(), "app-version", Str("9.9"))));
  EXPECT_EQ(pw.format, ReportFormat::kPinwatch);
  EXPECT_EQ(pw.app_version, "");
}

TEST(ParsePinReportTest, DefaultsAndNormalisation) {
  Members m = Without(Without(Without(TrustKitReport(), "port"), "noted-hostname"), "date-time");
  m = Without(Without(Without(m, "include-subdomains"), "enforce-pinning"), "validation-result");
  m = With(m, "hostname", Str("WWW.Example.COM."));
  PinReport r = MustParse(Json(m));
  EXPECT_EQ(r.hostname, "www.example.com");
  EXPECT_EQ(r.port, 443);
  EXPECT_EQ(r.noted_hostname, "www.example.com");
  EXPECT_FALSE(r.include_subdomains);
  EXPECT_EQ(r.enforce_pinning, std::nullopt);
  EXPECT_EQ(r.validation_result, std::nullopt);
  EXPECT_EQ(r.happened_unix_s, std::nullopt);

  EXPECT_EQ(MustParse(Json(With(m, "hostname", Str("192.0.2.1")))).hostname, "192.0.2.1");
  EXPECT_EQ(MustParse(Json(With(m, "hostname", Str("2001:DB8::1")))).hostname, "2001:db8::1");
  EXPECT_EQ(MustParse(Json(With(m, "hostname", Str("[2001:db8::1]")))).hostname, "2001:db8::1");
  EXPECT_EQ(MustParse(Json(With(m, "port", "1"))).port, 1);
  EXPECT_EQ(MustParse(Json(With(m, "port", "65535"))).port, 65535);
  // Unknown members are ignored, whatever their type.
  EXPECT_EQ(MustParse(Json(With(m, "future-member", "{\"a\":[1,2]}"))).hostname, "www.example.com");
}

TEST(ParsePinReportTest, RepeatedPinsAreDroppedInOrder) {
  const TestPki& pki = Pki();
  Members m = With(TrustKitReport(), "known-pins",
                   Arr({DirectivePin(pki.ca), DirectivePin(pki.leaf), DirectivePin(pki.ca),
                        // Directive names are case-insensitive (RFC 7469 §2.1).
                        Str("PIN-SHA256=\"" + pki.leaf.pin_b64 + "\"")}));
  EXPECT_EQ(MustParse(Json(m)).known_pins, (std::vector<Hash>{pki.ca.spki_sha256, pki.leaf.spki_sha256}));
}

// ---------------------------------------------------------------------------------------------
// Which chain

TEST(ParsePinReportTest, ValidatedChainIsPreferredAndServedKeptWhenDifferent) {
  const TestPki& pki = Pki();
  const std::string leaf_ca = Arr({Str(pki.leaf.pem), Str(pki.ca.pem)});
  const std::string proxy = Arr({Str(pki.other_leaf.pem), Str(pki.other_ca.pem)});
  Members m = Rfc7469Report();

  // Both, different: chain is the validated one, served_chain the served one.
  PinReport both = MustParse(Json(With(With(m, "validated-certificate-chain", leaf_ca), "served-certificate-chain", proxy)));
  EXPECT_EQ(both.chain, (std::vector<Der>{pki.leaf.der, pki.ca.der}));
  EXPECT_EQ(both.served_chain, (std::vector<Der>{pki.other_leaf.der, pki.other_ca.der}));

  // Both, the same: served_chain stays empty.
  PinReport same = MustParse(Json(With(With(m, "validated-certificate-chain", leaf_ca), "served-certificate-chain", leaf_ca)));
  EXPECT_EQ(same.chain, (std::vector<Der>{pki.leaf.der, pki.ca.der}));
  EXPECT_TRUE(same.served_chain.empty());

  // Validated empty or absent: the served chain is the chain.
  for (const Members& served_only : {With(With(m, "validated-certificate-chain", "[]"), "served-certificate-chain", proxy),
                                     With(Without(m, "validated-certificate-chain"), "served-certificate-chain", proxy)}) {
    PinReport r = MustParse(Json(served_only));
    EXPECT_EQ(r.chain, (std::vector<Der>{pki.other_leaf.der, pki.other_ca.der}));
    EXPECT_TRUE(r.served_chain.empty());
  }

  // TrustKit: served empty, validated used.
  PinReport tk = MustParse(Json(With(TrustKitReport(), "served-certificate-chain", "[]")));
  EXPECT_EQ(tk.chain, (std::vector<Der>{pki.leaf.der, pki.ca.der}));
}

// ---------------------------------------------------------------------------------------------
// Refusals

struct Refusal {
  const char* desc;
  std::string body;
  std::string want;  // the whole message, or its start when want_prefix
  bool want_prefix = false;
};

std::vector<Refusal> Refusals() {
  const TestPki& pki = Pki();
  const Members tk = TrustKitReport(), rfc = Rfc7469Report(), pw = PinwatchReport();
  const std::string tk_json = Json(tk);
  std::vector<std::string> eleven(11, Str(pki.ca.pem));
  std::vector<std::string> pins33;
  for (int i = 0; i < 33; ++i) pins33.push_back(DirectivePin(i % 2 == 0 ? pki.leaf : pki.ca));
  const std::string two_blocks = pki.leaf.pem + pki.ca.pem;
  const std::string short_digest = Base64Encode(std::vector<uint8_t>(31, 7));
  return {
      // The body.
      {"not JSON", "{\"hostname\":", "report: invalid JSON: ", true},
      {"bytes after the object", tk_json + " {}", "report: invalid JSON: ", true},
      {"empty body", "", "report: invalid JSON: ", true},
      {"a raw NUL", tk_json.substr(0, 10) + std::string(1, '\0') + tk_json.substr(10),
       "report: invalid JSON: NUL byte at byte offset 10"},
      {"raw bytes that are not UTF-8", Json(With(tk, "app-version", "\"\xff\xfe\"")), "report: invalid JSON: ", true},
      {"an array, not an object", "[" + tk_json + "]", "report: not a JSON object"},
      {"nested 5 deep", Json(With(tk, "extra", "[[[{}]]]")), "report: nested deeper than 4 levels", true},
      {"a known member twice", tk_json.substr(0, tk_json.size() - 1) + ",\"hostname\":\"a.example\"}",
       "\"hostname\": given twice"},
      {"an unknown member twice", tk_json.substr(0, tk_json.size() - 1) + ",\"y\":1,\"y\":[2]}",
       "\"y\": given twice"},
      {"a member twice, spelled with an escape", tk_json.substr(0, tk_json.size() - 1) + ",\"host\\u006eame\":\"a.example\"}",
       "\"hostname\": given twice"},
      {"no chain member at all", Json({{"hostname", Str("www.example.com")}}),
       "report: no certificate chain (validated-certificate-chain, served-certificate-chain, or "
       "\"pinwatch-report\": 1 with peer-certificate-chain)"},

      // hostname and port.
      {"no hostname", Json(Without(tk, "hostname")), "hostname: missing"},
      {"hostname a number", Json(With(tk, "hostname", "1")), "hostname: expected a string"},
      {"hostname a wildcard", Json(With(tk, "hostname", Str("*.example.com"))),
       "hostname: \"*.example.com\" is a wildcard, not a host"},
      {"hostname with a space", Json(With(tk, "hostname", Str("www example.com"))),
       "hostname: \"www example.com\" is not a DNS hostname or an IP address"},
      {"hostname of one label", Json(With(tk, "hostname", Str("localhost"))),
       "hostname: \"localhost\" is not a DNS hostname or an IP address"},
      {"hostname with a numeric TLD", Json(With(tk, "hostname", Str("192.0.2.999"))),
       "hostname: \"192.0.2.999\" is not a DNS hostname or an IP address"},
      {"hostname empty", Json(With(tk, "hostname", Str(""))), "hostname: \"\" is not a DNS hostname or an IP address"},
      {"hostname over 256 bytes", Json(With(tk, "hostname", Str(std::string(257, 'a')))), "hostname: 257 bytes, at most 256"},
      {"noted-hostname a wildcard", Json(With(tk, "noted-hostname", Str("*.example.com"))),
       "noted-hostname: \"*.example.com\" is a wildcard, not a host"},
      {"port 0", Json(With(tk, "port", "0")), "port: expected an integer 1-65535"},
      {"port 65536", Json(With(tk, "port", "65536")), "port: expected an integer 1-65535"},
      {"port -443", Json(With(tk, "port", "-443")), "port: expected an integer 1-65535"},
      {"port 443.0", Json(With(tk, "port", "443.0")), "port: expected an integer 1-65535"},
      {"port a string", Json(With(tk, "port", Str("443"))), "port: expected an integer 1-65535"},

      // Flags, numbers, text.
      {"include-subdomains a string", Json(With(tk, "include-subdomains", Str("true"))),
       "include-subdomains: expected true or false"},
      {"enforce-pinning a number", Json(With(tk, "enforce-pinning", "1")), "enforce-pinning: expected true or false"},
      {"validation-result a string", Json(With(tk, "validation-result", Str("1"))),
       "validation-result: expected an integer"},
      {"validation-result a fraction", Json(With(tk, "validation-result", "1.5")), "validation-result: expected an integer"},
      {"app-version over 256 bytes", Json(With(tk, "app-version", Str(std::string(257, '1')))),
       "app-version: 257 bytes, at most 256"},
      {"app-bundle-id an array", Json(With(tk, "app-bundle-id", "[]")), "app-bundle-id: expected a string"},
      {"app-bundle-id with a newline", Json(With(tk, "app-bundle-id", Str("com.example\nX-Injected: 1"))),
       "app-bundle-id: not plain UTF-8 text (a control character or a lone surrogate)"},
      {"app-vendor-id with an escaped NUL", Json(With(tk, "app-vendor-id", "\"a\\u0000b\"")),
       "app-vendor-id: not plain UTF-8 text (a control character or a lone surrogate)"},
      {"trustkit-version a lone surrogate", Json(With(tk, "trustkit-version", "\"3\\udc00\"")),
       "trustkit-version: not plain UTF-8 text (a control character or a lone surrogate)"},
      {"known-pins-expiration-date a number", Json(With(tk, "known-pins-expiration-date", "20270101")),
       "known-pins-expiration-date: expected a string"},
      {"effective-expiration-date over 256 bytes", Json(With(rfc, "effective-expiration-date", Str(std::string(300, '2')))),
       "effective-expiration-date: 300 bytes, at most 256"},
      {"client-id with an escaped tab", Json(With(pw, "client-id", "\"a\\tb\"")),
       "client-id: not plain UTF-8 text (a control character or a lone surrogate)"},
      {"date-time with a space", Json(With(tk, "date-time", Str("2026-12-05 10:11:12Z"))),
       "date-time: expected an RFC 3339 date-time such as \"2026-12-05T10:11:12Z\" (a fraction and a +hh:mm offset "
       "allowed), not \"2026-12-05 10:11:12Z\""},
      {"date-time without an offset", Json(With(tk, "date-time", Str("2026-12-05T10:11:12"))), "date-time: expected", true},
      {"date-time on 30 February", Json(With(tk, "date-time", Str("2026-02-30T10:11:12Z"))), "date-time: expected", true},
      {"date-time before year 0000 in UTC", Json(With(tk, "date-time", Str("0000-01-01T00:00:00+00:01"))),
       "date-time: \"0000-01-01T00:00:00+00:01\" is outside years 0000-9999 in UTC"},
      {"date-time after year 9999 in UTC", Json(With(tk, "date-time", Str("9999-12-31T23:59:59.5-00:01"))),
       "date-time: \"9999-12-31T23:59:59.5-00:01\" is outside years 0000-9999 in UTC"},
      {"date-time a number", Json(With(tk, "date-time", "1796465472")), "date-time: expected a string"},

      // Chains.
      {"11 certificates", Json(With(tk, "validated-certificate-chain", Arr(eleven))),
       "validated-certificate-chain: 11 certificates, at most 10"},
      {"11 served certificates", Json(With(rfc, "served-certificate-chain", Arr(eleven))),
       "served-certificate-chain: 11 certificates, at most 10"},
      {"11 peer certificates", Json(With(pw, "peer-certificate-chain", Arr(eleven))),
       "peer-certificate-chain: 11 certificates, at most 10"},
      {"chain an object", Json(With(tk, "validated-certificate-chain", "{}")),
       "validated-certificate-chain: expected an array of PEM strings"},
      {"chain element a number", Json(With(tk, "validated-certificate-chain", Arr({Str(pki.leaf.pem), "7"}))),
       "validated-certificate-chain[1]: expected a PEM string"},
      {"two certificates in one string", Json(With(tk, "validated-certificate-chain", Arr({Str(two_blocks)}))),
       "validated-certificate-chain[0]: expected one PEM CERTIFICATE block, found 2"},
      {"no PEM block", Json(With(tk, "validated-certificate-chain", Arr({Str("MIIBxzCCAW2gAwIBAgIBAjAKBggq")}))),
       "validated-certificate-chain[0]: expected one PEM CERTIFICATE block, found 0"},
      {"a key, not a certificate",
       Json(With(tk, "validated-certificate-chain", Arr({Str("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")}))),
       "validated-certificate-chain[0]: expected a PEM CERTIFICATE block, found \"PUBLIC KEY\""},
      {"bad base64 in the block",
       Json(With(tk, "validated-certificate-chain",
                 Arr({Str(pki.leaf.pem), Str("-----BEGIN CERTIFICATE-----\nAA!A\n-----END CERTIFICATE-----\n")}))),
       "validated-certificate-chain[1]: PEM block 1 (CERTIFICATE): not base64"},
      {"END does not match", Json(With(pw, "peer-certificate-chain", Arr({Str("-----BEGIN CERTIFICATE-----\nAAAA\n-----END X-----\n")}))),
       "peer-certificate-chain[0]: PEM block 1 (CERTIFICATE): END line does not match BEGIN"},
      {"TrustKit, validated chain empty", Json(With(tk, "validated-certificate-chain", "[]")),
       "validated-certificate-chain: missing or empty (and no served-certificate-chain)"},
      {"RFC 7469, both chains empty",
       Json(With(With(rfc, "validated-certificate-chain", "[]"), "served-certificate-chain", "[]")),
       "served-certificate-chain: missing or empty (and no validated-certificate-chain)"},
      {"pinwatch, no peer chain", Json(Without(pw, "peer-certificate-chain")), "peer-certificate-chain: missing or empty"},
      {"pinwatch, empty peer chain", Json(With(pw, "peer-certificate-chain", "[]")), "peer-certificate-chain: missing or empty"},
      {"pinwatch, only a validated chain",
       Json(With(Without(pw, "peer-certificate-chain"), "validated-certificate-chain", Arr({Str(pki.leaf.pem)}))),
       "peer-certificate-chain: missing or empty"},

      // Pins.
      {"33 pins", Json(With(tk, "known-pins", Arr(pins33))), "known-pins: 33 pins, at most 32"},
      {"known-pins a string", Json(With(tk, "known-pins", DirectivePin(pki.ca))), "known-pins: expected an array of strings"},
      {"TrustKit pin as sha256/", Json(With(tk, "known-pins", Arr({DirectivePin(pki.ca), DirectivePin(pki.leaf), DirectivePin(pki.ca),
                                                                   Str("sha256/" + pki.leaf.pin_b64)}))),
       "known-pins[3]: expected pin-sha256=\"BASE64\" of a 32-byte digest"},
      {"pin of 31 bytes", Json(With(rfc, "known-pins", Arr({Str("pin-sha256=\"" + short_digest + "\"")}))),
       "known-pins[0]: expected pin-sha256=\"BASE64\" of a 32-byte digest"},
      {"pin unquoted", Json(With(tk, "known-pins", Arr({Str("pin-sha256=" + pki.ca.pin_b64)}))),
       "known-pins[0]: expected pin-sha256=\"BASE64\" of a 32-byte digest"},
      {"pin of another hash", Json(With(tk, "known-pins", Arr({Str("pin-sha512=\"" + pki.ca.pin_b64 + "\"")}))),
       "known-pins[0]: expected pin-sha256=\"BASE64\" of a 32-byte digest"},
      {"pin a number", Json(With(tk, "known-pins", Arr({"1"}))),
       "known-pins[0]: expected pin-sha256=\"BASE64\" of a 32-byte digest"},
      {"pinwatch pin of 31 bytes", Json(With(pw, "known-pins", Arr({DirectivePin(pki.ca), Str("sha256/" + short_digest)}))),
       "known-pins[1]: expected \"sha256/BASE64\" or pin-sha256=\"BASE64\" of a 32-byte digest"},

      // pinwatch's version.
      {"pinwatch-report 2", Json(With(pw, "pinwatch-report", "2")), "pinwatch-report: expected 1"},
      {"pinwatch-report a string", Json(With(pw, "pinwatch-report", Str("1"))), "pinwatch-report: expected 1"},
  };
}

TEST(ParsePinReportTest, RefusesWithAMessageNamingTheMember) {
  for (const Refusal& c : Refusals()) {
    SCOPED_TRACE(c.desc);
    Result<PinReport> r = ParsePinReport(c.body);
    ASSERT_FALSE(r.ok()) << "accepted: " << c.body.substr(0, 300);
    EXPECT_EQ(r.status().code(), Code::kMalformed);
    if (c.want_prefix) {
      EXPECT_THAT(r.status().message(), StartsWith(c.want));
    } else {
      EXPECT_EQ(r.status().message(), c.want);
    }
  }
}

// The bounds hold exactly: the largest accepted value next to the refused one.
TEST(ParsePinReportTest, BoundsAcceptUpToTheirLimit) {
  const TestPki& pki = Pki();
  std::vector<std::string> ten(10, Str(pki.ca.pem));
  EXPECT_EQ(MustParse(Json(With(TrustKitReport(), "validated-certificate-chain", Arr(ten)))).chain.size(), 10u);
  std::vector<std::string> pins32(32, DirectivePin(pki.ca));
  EXPECT_EQ(MustParse(Json(With(TrustKitReport(), "known-pins", Arr(pins32)))).known_pins.size(), 1u);
  EXPECT_EQ(MustParse(Json(With(TrustKitReport(), "app-version", Str(std::string(256, '1'))))).app_version.size(), 256u);
  EXPECT_EQ(MustParse(Json(With(TrustKitReport(), "date-time", Str("0000-01-01T00:00:00Z")))).happened_unix_s,
            std::optional<int64_t>(-62167219200));
  EXPECT_EQ(MustParse(Json(With(TrustKitReport(), "date-time", Str("9999-12-31T23:59:59.999Z")))).happened_unix_s,
            std::optional<int64_t>(253402300799));
  // Nested 4 deep (the object and three arrays) is within kMaxJsonDepth.
  EXPECT_EQ(MustParse(Json(With(TrustKitReport(), "extra", "[[{}]]"))).hostname, "www.example.com");
}

TEST(ParsePinReportTest, BodySizeIsCappedAt64KiB) {
  const std::string report = Json(TrustKitReport());
  ASSERT_LT(report.size(), kMaxReportBytes);
  // Whitespace after the object pads it to the cap exactly, then one byte over.
  std::string at_cap = report + std::string(kMaxReportBytes - report.size(), ' ');
  EXPECT_TRUE(ParsePinReport(at_cap).ok()) << ParsePinReport(at_cap).status().ToString();
  Result<PinReport> over = ParsePinReport(at_cap + " ");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().message(), "report: 65537 bytes, at most 65536");
}

TEST(ParsePinReportTest, DeepNestingIsRefusedWithoutRecursion) {
  // 60,000 '[' inside the cap: a recursive parser would need that many frames.
  std::string body = "{\"x\":" + std::string(60000, '[');
  Result<PinReport> r = ParsePinReport(body);
  ASSERT_FALSE(r.ok());
  // {"x":[[[[ : the fourth '[', at byte 8, opens the fifth level.
  EXPECT_EQ(r.status().message(), "report: nested deeper than 4 levels (at byte offset 8)");
}

// ---------------------------------------------------------------------------------------------
// ReportIdentity

Hash IdentityOf(const Members& m) { return ReportIdentity(MustParse(Json(m))); }

TEST(ReportIdentityTest, PinOrderAndAppDetailsDoNotMatter) {
  const TestPki& pki = Pki();
  const Members base = TrustKitReport();
  const Hash id = IdentityOf(base);
  EXPECT_EQ(IdentityOf(With(base, "known-pins", Arr({DirectivePin(pki.other_ca), DirectivePin(pki.other_leaf)}))), id);
  EXPECT_EQ(IdentityOf(With(base, "known-pins", Arr({DirectivePin(pki.other_ca), DirectivePin(pki.other_leaf),
                                                     DirectivePin(pki.other_ca)}))), id);
  EXPECT_EQ(IdentityOf(With(base, "app-version", Str("1.3"))), id);
  EXPECT_EQ(IdentityOf(With(base, "app-vendor-id", Str("another-install"))), id);
  EXPECT_EQ(IdentityOf(With(base, "date-time", Str("2026-12-06T00:00:00Z"))), id);
  EXPECT_EQ(IdentityOf(With(base, "include-subdomains", "false")), id);
  EXPECT_EQ(IdentityOf(With(base, "hostname", Str("WWW.EXAMPLE.COM."))), id);  // the same host
}

TEST(ReportIdentityTest, EachIdentityFieldMatters) {
  const TestPki& pki = Pki();
  const Members base = TrustKitReport();
  const Hash id = IdentityOf(base);
  struct Change {
    const char* desc;
    Members report;
  };
  const Change changes[] = {
      {"noted-hostname", With(base, "noted-hostname", Str("www.example.com"))},
      {"hostname", With(base, "hostname", Str("api.example.com"))},
      {"port", With(base, "port", "8443")},
      {"chain: another leaf", With(base, "validated-certificate-chain", Arr({Str(pki.other_leaf.pem), Str(pki.ca.pem)}))},
      {"chain: one certificate fewer", With(base, "validated-certificate-chain", Arr({Str(pki.leaf.pem)}))},
      {"chain: order", With(base, "validated-certificate-chain", Arr({Str(pki.ca.pem), Str(pki.leaf.pem)}))},
      {"known-pins: one more", With(base, "known-pins", Arr({DirectivePin(pki.other_leaf), DirectivePin(pki.other_ca),
                                                             DirectivePin(pki.ca)}))},
      {"known-pins: one fewer", With(base, "known-pins", Arr({DirectivePin(pki.other_leaf)}))},
      {"known-pins: none", Without(base, "known-pins")},
      {"validation-result", With(base, "validation-result", "2")},
      {"validation-result absent", Without(base, "validation-result")},
  };
  for (const Change& c : changes) {
    EXPECT_NE(IdentityOf(c.report), id) << c.desc;
  }
  // validation-result 0 is not the same as none.
  EXPECT_NE(IdentityOf(With(base, "validation-result", "0")), IdentityOf(Without(base, "validation-result")));
}

TEST(ReportIdentityTest, FieldsAreLengthPrefixed) {
  // The same bytes split differently between noted-hostname and hostname, or between two
  // certificates, are different reports.
  PinReport a, b;
  a.noted_hostname = "ab";
  a.hostname = "c";
  b.noted_hostname = "a";
  b.hostname = "bc";
  EXPECT_NE(ReportIdentity(a), ReportIdentity(b));
  a = b;
  a.chain = {{1, 2}, {3}};
  b.chain = {{1}, {2, 3}};
  EXPECT_NE(ReportIdentity(a), ReportIdentity(b));
  b.chain = a.chain;
  EXPECT_EQ(ReportIdentity(a), ReportIdentity(b));
}

}  // namespace
}  // namespace pinwatch::pinreports
