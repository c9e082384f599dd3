// Pin-failure reports end to end (issue 20): `pinwatch run` with its listener over a real
// PostgreSQL and a ctsim log whose certificates the reports carry. Through the real
// POST /v1/pin-reports: a report of the server's new key that CT showed is stale_pinset,
// raises its finding and makes the pending add proposal urgent; the same report again is
// merged; the rogue CA's certificate served is unexpected_issuer_served and escalates its
// finding; an interceptor's chain is interception, alerting only past the configured
// number of clients and never proposing its key; oversized, malformed, deeply nested and
// unwatched reports are refused with their status and store nothing; one address past its
// rate is 429; the metrics count it all. PinReportsTest.BurstDuringBackfill: a flood of
// reports while the daemon backfills leaves the backfill and its findings intact.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <sys/socket.h>

#include <atomic>
#include <iostream>
#include <set>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "base/encoding.h"
#include "base/pem.h"
#include "tests/integration/daemon_fixture.h"
#include "tests/support/throwaway_pki.h"

namespace pinwatch {
namespace {

constexpr char kBackupPin[] = "sha256/YmFja3VwIGtleSBrZXB0IG9mZmxpbmUsIDMyIGJ5dGU=";

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

rapidjson::Document Parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  return doc;
}

uint32_t U24(const std::vector<uint8_t>& b, size_t at) { return (b[at] << 16) | (b[at + 1] << 8) | b[at + 2]; }

// ChainOfX509Entry returns the PEM chain, leaf first, of the x509_entry at `index` of the
// log, as a server would present it: the certificate from the leaf and its chain from
// extra_data (RFC 6962 §3.1, §4.6).
std::vector<std::string> ChainOfX509Entry(const std::string& sim_url, uint64_t index) {
  httplib::Client client(sim_url.substr(0, sim_url.size() - 1));
  const std::string i = std::to_string(index);
  auto res = client.Get("/ct/v1/get-entries?start=" + i + "&end=" + i);
  EXPECT_TRUE(res && res->status == 200);
  if (!res) return {};
  rapidjson::Document doc = Parse(res->body);
  const rapidjson::Value& entry = doc["entries"][0];
  std::vector<uint8_t> leaf = *Base64Decode(entry["leaf_input"].GetString());
  std::vector<uint8_t> extra = *Base64Decode(entry["extra_data"].GetString());
  EXPECT_EQ(leaf[10] << 8 | leaf[11], 0) << "entry " << index << " is not an x509_entry";
  std::vector<std::string> chain;
  const uint32_t cert_len = U24(leaf, 12);
  chain.push_back(EncodePem("CERTIFICATE", Bytes(leaf.data() + 15, cert_len)));
  for (size_t at = 3; at + 3 <= extra.size();) {
    const uint32_t n = U24(extra, at);
    chain.push_back(EncodePem("CERTIFICATE", Bytes(extra.data() + at + 3, n)));
    at += 3 + n;
  }
  return chain;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '"') out += "\\\"";
    else out += c;
  }
  return out + "\"";
}

// TrustKitReport is a report as TrustKit sends it.
std::string TrustKitReport(const std::string& hostname, const std::vector<std::string>& chain,
                           const std::vector<std::string>& pins, const std::string& vendor_id,
                           const std::string& date_time = "2026-12-05T10:11:12.345Z") {
  std::string body = "{\"app-bundle-id\":\"com.mybank.app\",\"app-version\":\"5.2\",\"app-vendor-id\":\"" + vendor_id +
                     "\",\"app-platform\":\"IOS\",\"app-platform-version\":\"17.1\",\"trustkit-version\":\"3.0.3\","
                     "\"hostname\":\"" + hostname + "\",\"port\":443,\"noted-hostname\":\"mybank.test\","
                     "\"include-subdomains\":true,\"enforce-pinning\":true,\"validated-certificate-chain\":[";
  for (size_t i = 0; i < chain.size(); ++i) body += (i ? "," : "") + JsonString(chain[i]);
  body += "],\"known-pins\":[";
  for (size_t i = 0; i < pins.size(); ++i) {
    body += std::string(i ? "," : "") + "\"pin-sha256=\\\"" + pins[i].substr(std::string("sha256/").size()) + "\\\"\"";
  }
  body += "],\"validation-result\":1,\"date-time\":\"" + date_time + "\",\"known-pins-expiration-date\":\"2027-01-01\"}";
  return body;
}

struct Answer {
  int status = 0;
  std::string body;
};

class PinReportsTest : public DaemonTest {
 protected:
  // Post sends one report from `source` (an address of 127.0.0.0/8: the daemon limits
  // reports per address).
  Answer Post(const std::string& source, const std::string& body, const std::string& type = "application/json") {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(std::chrono::seconds(10));
    client.set_read_timeout(std::chrono::seconds(30));
    client.set_socket_options([&](socket_t sock) {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      inet_pton(AF_INET, source.c_str(), &addr.sin_addr);
      bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    });
    auto res = client.Post("/v1/pin-reports", body, type.c_str());
    EXPECT_TRUE(res) << httplib::to_string(res.error());
    if (!res) return {};
    return {res->status, res->body};
  }

  std::string Metrics() {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Get("/metrics");
    EXPECT_TRUE(res && res->status == 200);
    return res ? res->body : "";
  }

  // Reports waits until `reports --json` satisfies `done` (the intake explains reports on
  // a thread of its own after answering 202), and returns it.
  rapidjson::Document Reports(const std::string& config, const std::function<bool(const rapidjson::Document&)>& done) {
    rapidjson::Document doc;
    std::string last;
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(std::chrono::milliseconds(100))) {
      CommandResult r = Pinwatch(config, {"reports", "--json"});
      last = r.out + r.err;
      doc.Parse(r.out.c_str());
      if (doc.IsArray() && done(doc)) return doc;
    }
    ADD_FAILURE() << "reports --json never got there; last:\n" << last;
    return doc;
  }

  // Group is the one group of `doc` with this classification (null when there is none).
  static const rapidjson::Value* Group(const rapidjson::Document& doc, const std::string& classification) {
    for (const auto& g : doc.GetArray()) {
      if (classification == g["classification"].GetString()) return &g;
    }
    return nullptr;
  }

  // RowCount counts the rows of `table` in the test's database.
  int64_t RowCount(const std::string& table) {
    auto r = pg_->Psql("SELECT count(*) FROM " + table, database_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::stoll(*r) : -1;
  }

  int port_ = 0;
  std::string database_ = "pin_reports";
};

TEST_F(PinReportsTest, ReportsAreExplainedFromWhatCtShowed) {
  // key-a served (100); key-b's precertificate and certificate from the same allowed CA
  // (2000, 2001): the server's next key, which the published pin-set lacks; a rogue CA's
  // certificate for pay.mybank.test (2500).
  auto sim = SimProcess::Start({"--entries", "3000", "--seed", "pin-reports", "--epoch-ms",
                                std::to_string((NowS() - 10 * 86400) * 1000), "--plant",
                                "100:x509:e1:key-a:api.mybank.test", "--plant", "2000:both:e1:key-b:api.mybank.test",
                                "--plant", "2500:x509:rogue:key-c:pay.mybank.test", "--plant",
                                "2800:x509:e1:key-d:www.elsewhere.test"});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  auto plants = PlantsOf(**sim);
  ASSERT_EQ(plants.size(), 4u);
  const std::string a = plants.at(100).leaf_pin, b = plants.at(2000).leaf_pin, c = plants.at(2500).leaf_pin;
  const std::string root = plants.at(100).chain_pins.at(1);
  const std::string watch = "  - name: mybank.test\n    include_subdomains: true\n    allowed_issuers: [\"" + root +
                            "\"]\n    known_keys: [\"" + a + "\"]\n";
  const std::string rest = "pinsets:\n  - name: api\n    names: [api.mybank.test]\n    pins: [\"" + a + "\", \"" +
                           kBackupPin + "\"]\nhttp:\n  listen: 127.0.0.1:0\n"
                           "reports:\n  interception_clients: 3\n  per_address_per_minute: 20\n";
  const std::string config = WriteConfig("reports", NewDatabase(database_), {(*sim)->LogListPath()}, watch, rest);
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  CommandResult once = Pinwatch(config, {"run", "--once"});
  ASSERT_EQ(once.exit_code, 0) << once.err;
  rapidjson::Document proposals = Json(config, {"proposals", "--json"});
  ASSERT_TRUE(proposals.IsArray() && proposals.Size() == 1);
  ASSERT_EQ(proposals[0]["pin"].GetString(), b);
  const int64_t add_b = proposals[0]["id"].GetInt64();
  int64_t rogue_finding = 0;
  const rapidjson::Document before = FindingsJson(config);  // named: a loop over a temporary's array reads freed memory
  for (const auto& f : before.GetArray()) {
    if (std::string(f["kind"].GetString()) == "unexpected_issuer" && f["spki_sha256"].GetString() == c) {
      rogue_finding = f["id"].GetInt64();
    }
  }
  ASSERT_GT(rogue_finding, 0);

  // An operator judged the rogue certificate harmless (a mis-issuance never used).
  ASSERT_EQ(Pinwatch(config, {"ack", std::to_string(rogue_finding), "--note", "never used"}).exit_code, 0);

  auto child = ChildProcess::Start({PinwatchPath(), "--config", config, "run"});
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  Daemon daemon(std::move(*child));
  port_ = daemon.StartDraining();
  ASSERT_GT(port_, 0);

  // The app pins key-a and the backup; the server now serves key-b.
  const std::vector<std::string> b_chain = ChainOfX509Entry((*sim)->url(), 2001);
  const std::string stale = TrustKitReport("api.mybank.test", b_chain, {a, kBackupPin}, "device-1");
  Answer accepted = Post("127.0.1.1", stale);
  EXPECT_EQ(accepted.status, 202);
  EXPECT_EQ(accepted.body, "");  // nothing the store knows goes back to the sender
  rapidjson::Document doc = Reports(config, [](const auto& d) { return Group(d, "stale_pinset") != nullptr; });
  const rapidjson::Value* g = Group(doc, "stale_pinset");
  ASSERT_NE(g, nullptr) << daemon.Stop();
  EXPECT_STREQ((*g)["hostname"].GetString(), "api.mybank.test");
  EXPECT_EQ((*g)["leaf_spki_sha256"].GetString(), b);
  EXPECT_EQ((*g)["issuer_spki_sha256"].GetString(), plants.at(2000).issuer_pin);
  EXPECT_EQ((*g)["count"].GetInt64(), 1);
  EXPECT_EQ((*g)["distinct_clients"].GetInt64(), 1);
  EXPECT_STREQ((*g)["first_seen"].GetString(), "2026-12-05T10:11:12Z");  // the report's time, not arrival
  ASSERT_TRUE((*g)["proposal_id"].IsInt64()) << (*g)["reason"].GetString();
  EXPECT_EQ((*g)["proposal_id"].GetInt64(), add_b);
  EXPECT_TRUE((*g)["proposal_urgent"].GetBool());
  rapidjson::Document urgent = Json(config, {"proposals", "--json"});
  ASSERT_TRUE(urgent.IsArray() && urgent.Size() == 1);
  EXPECT_TRUE(urgent[0]["urgent"].GetBool());
  ASSERT_TRUE(urgent[0]["pin_reports"].IsArray() && urgent[0]["pin_reports"].Size() == 1);
  EXPECT_EQ(urgent[0]["pin_reports"][0].GetInt64(), (*g)["id"].GetInt64());
  ASSERT_TRUE((*g)["finding_id"].IsInt64());
  const int64_t stale_finding = (*g)["finding_id"].GetInt64();

  // TrustKit's resend (hours later by its background session, same report): merged.
  EXPECT_EQ(Post("127.0.1.1", TrustKitReport("api.mybank.test", b_chain, {a, kBackupPin}, "device-1",
                                             "2026-12-05T15:00:00Z")).status,
            202);
  // Another device: a second report, a second client.
  EXPECT_EQ(Post("127.0.1.2", TrustKitReport("api.mybank.test", b_chain, {kBackupPin, a}, "device-2")).status, 202);
  doc = Reports(config, [](const auto& d) {
    const rapidjson::Value* s = Group(d, "stale_pinset");
    return s && (*s)["count"].GetInt64() + (*s)["duplicates"].GetInt64() == 3;
  });
  g = Group(doc, "stale_pinset");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ((*g)["count"].GetInt64(), 2);
  EXPECT_EQ((*g)["duplicates"].GetInt64(), 1);
  EXPECT_EQ((*g)["distinct_clients"].GetInt64(), 2);
  EXPECT_EQ((*g)["finding_id"].GetInt64(), stale_finding);

  // The rogue certificate, served to an app: its finding escalated.
  const std::vector<std::string> c_chain = ChainOfX509Entry((*sim)->url(), 2500);
  EXPECT_EQ(Post("127.0.1.3", TrustKitReport("pay.mybank.test", c_chain, {a, kBackupPin}, "device-3")).status, 202);
  doc = Reports(config, [](const auto& d) { return Group(d, "unexpected_issuer_served") != nullptr; });
  g = Group(doc, "unexpected_issuer_served");
  ASSERT_NE(g, nullptr);
  EXPECT_NE(std::string((*g)["reason"].GetString()).find("finding " + std::to_string(rogue_finding)), std::string::npos)
      << (*g)["reason"].GetString();
  ASSERT_TRUE((*g)["finding_id"].IsInt64());
  EXPECT_TRUE((*g)["proposal_id"].IsNull());

  rapidjson::Document findings = FindingsJson(config);
  std::map<std::string, const rapidjson::Value*> by_kind;
  for (const auto& f : findings.GetArray()) by_kind[f["kind"].GetString()] = &f;
  ASSERT_TRUE(by_kind.contains("stale_pinset"));
  EXPECT_STREQ((*by_kind["stale_pinset"])["severity"].GetString(), "critical");
  EXPECT_EQ((*by_kind["stale_pinset"])["spki_sha256"].GetString(), b);
  // The acknowledged rogue finding is open again, saying why.
  for (const auto& f : findings.GetArray()) {
    if (f["id"].GetInt64() != rogue_finding) continue;
    EXPECT_STREQ(f["status"].GetString(), "open");
    EXPECT_NE(std::string(f["status_note"].GetString()).find("being served to users"), std::string::npos)
        << f["status_note"].GetString();
  }
  ASSERT_TRUE(by_kind.contains("unexpected_issuer_served"));
  EXPECT_STREQ((*by_kind["unexpected_issuer_served"])["severity"].GetString(), "critical");
  EXPECT_EQ((*by_kind["unexpected_issuer_served"])["spki_sha256"].GetString(), c);

  // An interceptor: a TLS-inspection CA of its own, a leaf for the name. Two clients are
  // below the threshold of 3: counted, no finding; the third raises one. Never a proposal.
  auto inspection = testing::MakeThrowawayCa("Corporate TLS Inspection CA");
  ASSERT_TRUE(inspection.ok()) << inspection.status().ToString();
  auto intercepted = testing::MakeThrowawayLeaf(*inspection, {"api.mybank.test"});
  ASSERT_TRUE(intercepted.ok()) << intercepted.status().ToString();
  const std::vector<std::string> i_chain = {testing::CertificatePem(*intercepted), testing::CertificatePem(*inspection)};
  for (int client = 1; client <= 2; ++client) {
    EXPECT_EQ(Post("127.0.2." + std::to_string(client),
                   TrustKitReport("api.mybank.test", i_chain, {a, kBackupPin}, "laptop-" + std::to_string(client)))
                  .status,
              202);
  }
  doc = Reports(config, [](const auto& d) {
    const rapidjson::Value* s = Group(d, "interception");
    return s && (*s)["count"].GetInt64() == 2;
  });
  g = Group(doc, "interception");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ((*g)["distinct_clients"].GetInt64(), 2);
  EXPECT_TRUE((*g)["finding_id"].IsNull());
  EXPECT_TRUE((*g)["proposal_id"].IsNull());
  EXPECT_EQ(Post("127.0.2.3", TrustKitReport("api.mybank.test", i_chain, {a, kBackupPin}, "laptop-3")).status, 202);
  doc = Reports(config, [](const auto& d) {
    const rapidjson::Value* s = Group(d, "interception");
    return s && (*s)["finding_id"].IsInt64();
  });
  g = Group(doc, "interception");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ((*g)["distinct_clients"].GetInt64(), 3);
  EXPECT_TRUE((*g)["proposal_id"].IsNull());
  const std::string interceptor_key = (*g)["leaf_spki_sha256"].GetString();
  proposals = Json(config, {"proposals", "--json"});
  for (const auto& p : proposals.GetArray()) EXPECT_NE(p["pin"].GetString(), interceptor_key);
  EXPECT_EQ(proposals.Size(), 1u);

  // A certificate pinwatch never stored (its name is not watched) from the log's own CA,
  // reported for a watched name: not in the CT pinwatch saw, but its chain reaches a root
  // the log accepts (get-roots, recorded by the worker): unknown, not interception.
  const std::vector<std::string> d_chain = ChainOfX509Entry((*sim)->url(), 2800);
  EXPECT_EQ(Post("127.0.1.4", TrustKitReport("www.mybank.test", d_chain, {a, kBackupPin}, "device-4")).status, 202);
  doc = Reports(config, [](const auto& d) { return Group(d, "unknown") != nullptr; });
  g = Group(doc, "unknown");
  ASSERT_NE(g, nullptr);
  EXPECT_NE(std::string((*g)["reason"].GetString()).find("the accepted root CN=Pinwatch Sim Root"), std::string::npos)
      << (*g)["reason"].GetString();
  EXPECT_TRUE((*g)["finding_id"].IsNull());
  EXPECT_TRUE((*g)["proposal_id"].IsNull());

  // Refusals store nothing.
  const int64_t groups = RowCount("pin_reports"), sightings = RowCount("pin_report_sightings");
  EXPECT_EQ(Post("127.0.3.1", std::string(70 * 1024, ' ')).status, 413);
  EXPECT_EQ(Post("127.0.3.1", "{\"hostname\": ").status, 400);
  EXPECT_EQ(Post("127.0.3.1", std::string(40, '[') + std::string(40, ']')).status, 400);
  std::string nested = stale;
  nested.insert(nested.size() - 1, ",\"x\":{\"y\":{\"z\":{\"w\":[[[1]]]}}}");
  EXPECT_EQ(Post("127.0.3.1", nested).status, 400);
  EXPECT_EQ(Post("127.0.3.1", TrustKitReport("www.not-ours.test", b_chain, {a}, "device-9")).status, 422);
  EXPECT_EQ(Post("127.0.3.1", stale, "application/x-www-form-urlencoded").status, 415);
  // One address past its 20 a minute.
  int limited = 0;
  for (int i = 0; i < 25; ++i) limited += Post("127.0.4.1", stale).status == 429;
  EXPECT_EQ(limited, 5);
  const std::string metrics = Metrics();
  EXPECT_NE(metrics.find("pinwatch_pin_reports_rejected_total{reason=\"rate_limited\"} 5"), std::string::npos);
  EXPECT_NE(metrics.find("pinwatch_pin_reports_rejected_total{reason=\"unwatched\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("pinwatch_pin_reports_rejected_total{reason=\"malformed\"} 3"), std::string::npos);
  EXPECT_NE(metrics.find("pinwatch_pin_reports_total{classification=\"interception\"} 3"), std::string::npos);
  // The 20 accepted from 127.0.4.1 are one more client (an address of its own) and 19
  // resends of its report.
  doc = Reports(config, [](const auto& d) {
    const rapidjson::Value* s = Group(d, "stale_pinset");
    return s && (*s)["duplicates"].GetInt64() == 20;
  });
  g = Group(doc, "stale_pinset");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ((*g)["count"].GetInt64(), 3);
  EXPECT_EQ(RowCount("pin_reports"), groups);
  EXPECT_EQ(RowCount("pin_report_sightings"), sightings + 1);
  const std::string out = daemon.Stop();
  EXPECT_EQ(daemon.exit_code(), 0) << out;
}

TEST_F(PinReportsTest, ABurstOfReportsDuringABackfillLeavesItIntact) {
  // A 40,000-entry backfill with the daemon's listener open; from the moment it starts,
  // eight senders post reports as fast as they are answered, each from a client of its
  // own, until the log is at its head. The backfill must end with exactly the findings of
  // its plants, and the reports taken must be explained.
  auto sim = SimProcess::Start({"--entries", "40000", "--seed", "pin-reports-burst", "--epoch-ms",
                                std::to_string((NowS() - 10 * 86400) * 1000), "--plant",
                                "100:x509:e1:key-a:api.mybank.test", "--plant", "20000:both:e1:key-b:api.mybank.test",
                                "--plant", "39000:x509:rogue:key-c:pay.mybank.test"});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  auto plants = PlantsOf(**sim);
  const std::string a = plants.at(100).leaf_pin;
  const std::string watch = "  - name: mybank.test\n    include_subdomains: true\n    allowed_issuers: [\"" +
                            plants.at(100).chain_pins.at(1) + "\"]\n    known_keys: [\"" + a + "\"]\n";
  const std::string rest = "http:\n  listen: 127.0.0.1:0\nreports:\n  per_address_per_minute: 100000\n";
  const std::string config = WriteConfig("burst", NewDatabase("pin_reports_burst"), {(*sim)->LogListPath()}, watch,
                                         "  commit_every_entries: 2000\n" + rest);  // after the fixture's run:
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  const std::vector<std::string> chain = ChainOfX509Entry((*sim)->url(), 100);

  auto child = ChildProcess::Start({PinwatchPath(), "--config", config, "run"});
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  Daemon daemon(std::move(*child));
  port_ = daemon.StartDraining();
  ASSERT_GT(port_, 0);

  std::atomic<bool> caught_up{false};
  std::atomic<int> accepted{0}, refused{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 8; ++t) {
    senders.emplace_back([&, t] {
      for (int n = 0; !caught_up; ++n) {
        const std::string body = TrustKitReport("api.mybank.test", chain, {kBackupPin},
                                                "sender-" + std::to_string(t) + "-" + std::to_string(n));
        const int status = Post("127.0.6." + std::to_string(t + 1), body).status;
        (status == 202 ? accepted : refused)++;
      }
    });
  }
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
       !caught_up && std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(std::chrono::milliseconds(200))) {
    rapidjson::Document row = StatusOfOnlyLog(config);
    caught_up = row.IsObject() && row["position"].IsUint64() && row["position"].GetUint64() == 40000 &&
                row["verified_tree_size"].IsUint64() && row["verified_tree_size"].GetUint64() == 40000;
  }
  const bool caught_up_in_time = caught_up;
  caught_up = true;
  for (std::thread& t : senders) t.join();
  ASSERT_TRUE(caught_up_in_time) << "the backfill did not finish in 5 minutes";
  EXPECT_GT(accepted.load(), 100) << "the burst was too small to mean anything";

  // The plants' findings, no more, no fewer. The reports carry key-a's certificate to an
  // app that pins only a backup: explained before entry 100 is committed they are not (yet)
  // in CT, after it they are stale_pinset; the findings they raise are of the report kinds,
  // which are left out here.
  std::multiset<std::string> kinds;
  const rapidjson::Document after = FindingsJson(config);
  for (const auto& f : after.GetArray()) {
    const std::string kind = f["kind"].GetString();
    if (kind == "stale_pinset" || kind == "interception" || kind == "unexpected_issuer_served") continue;
    kinds.insert(kind + " " + f["spki_sha256"].GetString());
  }
  EXPECT_EQ(kinds, (std::multiset<std::string>{"known_key " + a, "unexpected_key " + plants.at(20000).leaf_pin,
                                               "unexpected_issuer " + plants.at(39000).leaf_pin}));
  // Every report taken is explained and counted (the queue drains once the burst ends).
  rapidjson::Document doc = Reports(config, [&](const auto& d) {
    int64_t n = 0;
    for (const auto& g : d.GetArray()) n += g["count"].GetInt64() + g["duplicates"].GetInt64();
    return n == accepted.load();
  });
  const std::string out = daemon.Stop();
  EXPECT_EQ(daemon.exit_code(), 0) << out;
  RecordProperty("reports_accepted", accepted.load());
  RecordProperty("reports_refused", refused.load());
  std::cout << "burst: " << accepted << " reports taken, " << refused << " refused during the backfill\n";
}

}  // namespace
}  // namespace pinwatch
