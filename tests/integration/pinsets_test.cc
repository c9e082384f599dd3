// Pin-sets end to end (issue 16): a simulated key rotation over ctsim, through the pinwatch
// binary and a real PostgreSQL. The log gains a precertificate with a new key from the
// allowed CA -> an add proposal with evidence and a lead time -> two approvals -> version 2
// signed, published and verifiable with openssl; a rogue CA's certificate -> a finding and no
// proposal; removals refused while a key is in use, below min_pins or with no backup; a CA
// moving to a new intermediate -> an add of the intermediate's key; expired keys -> removes.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/daemon_fixture.h"

namespace pinwatch {
namespace {

// A pin that no certificate has: a backup key kept offline.
constexpr char kBackupPin[] = "sha256/YmFja3VwIGtleSBrZXB0IG9mZmxpbmUsIDMyIGJ5dGU=";

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int Shell(const std::string& command) {
  const int status = std::system(("bash -c '" + command + "' >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class PinsetTest : public DaemonTest {
 protected:
  // ProposalOf returns the proposal for this pin-set, action and pin (nullptr: none).
  static const rapidjson::Value* ProposalOf(const rapidjson::Document& proposals, const std::string& pinset,
                                            const std::string& action, const std::string& pin) {
    for (const auto& p : proposals.GetArray()) {
      if (pinset == p["pinset"].GetString() && action == p["action"].GetString() && pin == p["pin"].GetString()) {
        return &p;
      }
    }
    return nullptr;
  }
  static std::set<std::string> PinsOf(const rapidjson::Value& version) {
    std::set<std::string> out;
    for (const auto& p : version["pins"].GetArray()) out.insert(p.GetString());
    return out;
  }
};

TEST_F(PinsetTest, RotationIsProposedCheckedApprovedTwiceSignedAndPublished) {
  // Log A: ten days old. key-a is served today; key-b's precertificate (2000) and final
  // certificate (2001) are the ACME renewal with a new key; a rogue CA issued for api at
  // 2500; key-old and key-old2 certificates expired nine days ago; www's two keys are both
  // live and www gets a third (no backup left); cdn pins CA E1 and the CA starts issuing
  // from E2.
  const int64_t epoch_ms = (NowS() - 10 * 86400) * 1000;
  std::vector<std::string> args = {"--entries", "3000", "--seed", "pinsets", "--epoch-ms", std::to_string(epoch_ms),
                                   "--plant", "100:x509:e1:key-a:api.mybank.test",
                                   "--plant", "150:x509:e1:key-w:www.mybank.test",
                                   "--plant", "160:x509:e1:key-w2:www.mybank.test",
                                   "--plant", "170:x509:e1:key-cdn:cdn.mybank.test",
                                   "--plant", "2000:both:e1:key-b:api.mybank.test",
                                   "--plant", "2200:precert:e1:key-w3:www.mybank.test",
                                   "--plant", "2300:precert:e2:key-cdn2:cdn.mybank.test",
                                   "--plant", "2500:precert:rogue:key-c:api.mybank.test",
                                   "--plant", "2800:x509:e1:key-old:api.mybank.test",
                                   "--plant", "2900:x509:e1:key-old2:api.mybank.test",
                                   "--plant-lifetime", "2800:86400",
                                   "--plant-lifetime", "2900:86400"};
  auto sim = SimProcess::Start(args);
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  auto plants = PlantsOf(**sim);
  ASSERT_EQ(plants.size(), 10u);
  const std::string a = plants.at(100).leaf_pin, b = plants.at(2000).leaf_pin, old = plants.at(2800).leaf_pin,
                    old2 = plants.at(2900).leaf_pin, rogue = plants.at(2500).leaf_pin;
  const std::string e1 = plants.at(100).issuer_pin, e2 = plants.at(2300).issuer_pin;
  ASSERT_EQ(plants.at(100).chain_pins.size(), 2u);
  const std::string root = plants.at(100).chain_pins.at(1);

  // Allowing the root allows what its intermediates issue (E1 and E2), not the rogue CA.
  const std::string watch = "  - name: mybank.test\n    include_subdomains: true\n    allowed_issuers: [\"" + root +
                            "\"]\n    known_keys: [\"" + a + "\"]\n";
  const std::string publish_dir = dir_ + "/published";
  ASSERT_EQ(Shell("cd " + dir_ + " && " + PinwatchPath() + " keygen --out signing.pem > public.pem"), 0);
  const std::string pinsets =
      "pinsets:\n"
      "  - name: api\n    names: [api.mybank.test]\n    pins: [\"" + a + "\", \"" + old + "\", \"" + old2 + "\", \"" +
      kBackupPin + "\"]\n    min_pins: 4\n    approvals_required: 2\n    expiry_days: 30\n    remove_grace_days: 7\n"
      "  - name: www\n    names: [www.mybank.test]\n    pins: [\"" + plants.at(150).leaf_pin + "\", \"" +
      plants.at(160).leaf_pin + "\"]\n"
      "  - name: cdn\n    names: [cdn.mybank.test]\n    pins: [\"" + e1 + "\", \"" + kBackupPin + "\"]\n"
      "publish:\n  signing_key: " + dir_ + "/signing.pem\n  directory: " + publish_dir + "\n";
  const std::string db = NewDatabase("pinsets");
  const std::string config = WriteConfig("pinsets", db, {(*sim)->LogListPath()}, watch, pinsets);
  CommandResult migrate = Pinwatch(config, {"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  CommandResult run = Pinwatch(config, {"run", "--once"});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  // Version 1 of each set is the configuration's, published at once.
  rapidjson::Document api = Json(config, {"pinset", "show", "api", "--json"});
  EXPECT_EQ(api["current_version"].GetInt64(), 1);
  EXPECT_EQ(PinsOf(api["versions"][0]), (std::set<std::string>{a, old, old2, kBackupPin}));
  EXPECT_TRUE(std::filesystem::exists(publish_dir + "/api.json"));

  rapidjson::Document proposals = Json(config, {"proposals", "--json"});
  // The new key: an add with its evidence (precertificate and certificate) and lead time.
  const rapidjson::Value* add = ProposalOf(proposals, "api", "add", b);
  ASSERT_NE(add, nullptr) << run.err;
  EXPECT_STREQ((*add)["status"].GetString(), "pending");
  EXPECT_STREQ((*add)["role"].GetString(), "leaf");
  EXPECT_EQ((*add)["approvals_required"].GetInt64(), 2);
  EXPECT_EQ((*add)["lead_time_s"].GetInt64(), 1);  // ctsim logs the certificate one second after
  ASSERT_EQ((*add)["evidence"].Size(), 1u);
  const auto& entries = (*add)["evidence"][0]["entries"];
  ASSERT_EQ(entries.Size(), 2u);
  EXPECT_STREQ(entries[0]["entry_type"].GetString(), "precert");
  EXPECT_EQ(entries[0]["index"].GetUint64(), 2000u);
  EXPECT_TRUE(entries[0]["verified"].GetBool());
  EXPECT_TRUE((*add)["checks_pass"].GetBool());
  EXPECT_GE((*add)["checks"].Size(), 5u);
  // The rogue CA's certificate: a critical finding, and no proposal for its key or its CA's.
  bool rogue_finding = false;
  const rapidjson::Document findings = FindingsJson(config);  // named: a temporary would die before the loop
  for (const auto& f : findings.GetArray()) {
    rogue_finding |= std::string(f["kind"].GetString()) == "unexpected_issuer" && rogue == f["spki_sha256"].GetString();
  }
  EXPECT_TRUE(rogue_finding);
  for (const auto& p : proposals.GetArray()) {
    EXPECT_NE(p["pin"].GetString(), rogue);
    EXPECT_NE(p["pin"].GetString(), plants.at(2500).issuer_pin);
  }
  // With four pins and min_pins 4, no removal is proposed yet.
  EXPECT_EQ(ProposalOf(proposals, "api", "remove", old), nullptr);
  // cdn pins CA E1: the CA's move to E2 is an add of E2's key, not of the leaf's.
  const rapidjson::Value* cdn = ProposalOf(proposals, "cdn", "add", e2);
  ASSERT_NE(cdn, nullptr);
  EXPECT_STREQ((*cdn)["role"].GetString(), "ca");
  const std::string cdn_id = std::to_string((*cdn)["id"].GetInt64());  // `proposals` is read again below
  // www pins both live keys: its third key would leave no backup, and approval is refused.
  const rapidjson::Value* www = ProposalOf(proposals, "www", "add", plants.at(2200).leaf_pin);
  ASSERT_NE(www, nullptr);
  EXPECT_FALSE((*www)["checks_pass"].GetBool());

  ASSERT_EQ(Pinwatch(config, {"operator", "add", "alice"}).exit_code, 0);
  ASSERT_EQ(Pinwatch(config, {"operator", "add", "bob"}).exit_code, 0);
  CommandResult viewer = Pinwatch(config, {"operator", "add", "vera", "--role", "viewer"});
  ASSERT_EQ(viewer.exit_code, 0);
  EXPECT_TRUE(viewer.out.ends_with("\n"));
  EXPECT_EQ(viewer.out.substr(viewer.out.rfind('\n', viewer.out.size() - 2) + 1).substr(0, 4), "pwt_");

  const std::string www_id = std::to_string((*www)["id"].GetInt64());
  CommandResult no_backup = Pinwatch(config, {"proposals", "approve", www_id, "--operator", "alice", "--reason", "r"});
  EXPECT_EQ(no_backup.exit_code, 1);
  EXPECT_NE(no_backup.err.find("backup_pin"), std::string::npos) << no_backup.err;

  // Two approvers apply the add; one is not enough, a viewer and a second vote do not count.
  const std::string add_id = std::to_string((*add)["id"].GetInt64());
  ASSERT_EQ(Pinwatch(config, {"proposals", "approve", add_id, "--operator", "alice", "--reason", "renewal"}).exit_code, 0);
  EXPECT_EQ(Json(config, {"pinset", "show", "api", "--json"})["current_version"].GetInt64(), 1);
  EXPECT_EQ(Pinwatch(config, {"proposals", "approve", add_id, "--operator", "alice", "--reason", "again"}).exit_code, 1);
  EXPECT_EQ(Pinwatch(config, {"proposals", "approve", add_id, "--operator", "vera", "--reason", "r"}).exit_code, 1);
  EXPECT_EQ(Pinwatch(config, {"proposals", "approve", add_id, "--operator", "mallory", "--reason", "r"}).exit_code, 1);
  CommandResult second = Pinwatch(config, {"proposals", "approve", add_id, "--operator", "bob", "--reason", "checked"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  api = Json(config, {"pinset", "show", "api", "--json"});
  ASSERT_EQ(api["current_version"].GetInt64(), 2);
  EXPECT_EQ(PinsOf(api["versions"][1]), (std::set<std::string>{a, b, old, old2, kBackupPin}));
  EXPECT_EQ(Pinwatch(config, {"proposals", "approve", add_id, "--operator", "bob", "--reason", "r"}).exit_code, 1);

  // Version 2 is published and signed: openssl and `pinset verify` accept it...
  rapidjson::Document published;
  const std::string doc_text = ReadAll(publish_dir + "/api.json");
  published.Parse(doc_text.c_str());
  ASSERT_TRUE(published.IsObject()) << doc_text;
  EXPECT_EQ(published["version"].GetInt64(), 2);
  EXPECT_EQ(PinsOf(published), (std::set<std::string>{a, b, old, old2, kBackupPin}));
  const std::string openssl = "openssl dgst -sha256 -verify " + dir_ + "/public.pem -signature <(base64 -d " +
                              publish_dir + "/api.json.sig) " + publish_dir + "/api.json";
  EXPECT_EQ(Shell(openssl), 0);
  const std::vector<std::string> verify = {PinwatchPath(), "pinset", "verify", publish_dir + "/api.json",
                                           "--public-key", dir_ + "/public.pem"};
  EXPECT_EQ(RunCommand(verify)->exit_code, 0);
  // ...and a one-byte change fails both.
  std::string tampered = doc_text;
  tampered[tampered.find("\"version\":2") + 10] = '3';
  std::ofstream(publish_dir + "/api.json", std::ios::binary | std::ios::trunc) << tampered;
  EXPECT_NE(Shell(openssl), 0);
  EXPECT_EQ(RunCommand(verify)->exit_code, 1);

  // The audit log names both approvers and the version they made.
  bool alice = false, bob = false;
  const rapidjson::Document audit = Json(config, {"audit", "--json"});
  for (const auto& e : audit.GetArray()) {
    if (std::string(e["action"].GetString()) != "approve") continue;
    alice |= std::string(e["operator"].GetString()) == "alice";
    bob |= std::string(e["operator"].GetString()) == "bob" && e["version"].IsInt64() && e["version"].GetInt64() == 2;
  }
  EXPECT_TRUE(alice && bob);

  // Now five pins: the expired keys are proposed for removal; the next pass also restores
  // the published file from the database.
  run = Pinwatch(config, {"run", "--once"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ReadAll(publish_dir + "/api.json"), doc_text);
  proposals = Json(config, {"proposals", "--json", "--status", "pending"});
  const rapidjson::Value* remove_old = ProposalOf(proposals, "api", "remove", old);
  const rapidjson::Value* remove_old2 = ProposalOf(proposals, "api", "remove", old2);
  ASSERT_NE(remove_old, nullptr) << run.err;
  ASSERT_NE(remove_old2, nullptr);
  EXPECT_EQ(ProposalOf(proposals, "api", "remove", kBackupPin), nullptr);  // a backup is never removed
  const std::string old_id = std::to_string((*remove_old)["id"].GetInt64());
  const std::string old2_id = std::to_string((*remove_old2)["id"].GetInt64());

  // Log B shows a certificate with key-old that is valid today (same seed, so the same
  // named keys; its own log key). Stored by a configuration without pin-sets, so no pass
  // has looked at it yet: removing key-old would now break apps, and is refused.
  ASSERT_EQ(Shell("openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out " + dir_ +
                  "/log-b.pem"),
            0);
  auto sim_b = SimProcess::Start({"--entries", "50", "--seed", "pinsets", "--key", dir_ + "/log-b.pem", "--epoch-ms",
                                  std::to_string((NowS() - 86400) * 1000), "--plant", "10:x509:e1:key-old:api.mybank.test"});
  ASSERT_TRUE(sim_b.ok()) << sim_b.status().ToString();
  ASSERT_EQ(PlantsOf(**sim_b).at(10).leaf_pin, old);
  const std::string config_b = WriteConfig("log-b", db, {(*sim_b)->LogListPath()}, watch);
  ASSERT_EQ(Pinwatch(config_b, {"run", "--once"}).exit_code, 0);
  CommandResult in_use = Pinwatch(config, {"proposals", "approve", old_id, "--operator", "alice", "--reason", "r"});
  EXPECT_EQ(in_use.exit_code, 1);
  EXPECT_NE(in_use.err.find("valid_certificates_pinned"), std::string::npos) << in_use.err;
  EXPECT_EQ(in_use.err.find("min_pins:"), std::string::npos) << in_use.err;

  // key-old2 is unused: removed with two approvals. Then removing key-old as well would go
  // below min_pins, and its check says so.
  ASSERT_EQ(Pinwatch(config, {"proposals", "approve", old2_id, "--operator", "alice", "--reason", "expired"}).exit_code, 0);
  ASSERT_EQ(Pinwatch(config, {"proposals", "approve", old2_id, "--operator", "bob", "--reason", "expired"}).exit_code, 0);
  api = Json(config, {"pinset", "show", "api", "--json"});
  ASSERT_EQ(api["current_version"].GetInt64(), 3);
  EXPECT_EQ(PinsOf(api["versions"][2]), (std::set<std::string>{a, b, old, kBackupPin}));
  CommandResult below = Pinwatch(config, {"proposals", "check", old_id});
  EXPECT_EQ(below.exit_code, 1);
  EXPECT_NE(below.out.find("FAILED min_pins"), std::string::npos) << below.out;
  // The next pass supersedes it: it no longer changes anything that can be approved.
  ASSERT_EQ(Pinwatch(config, {"run", "--once"}).exit_code, 0);
  proposals = Json(config, {"proposals", "--json"});
  ASSERT_NE(ProposalOf(proposals, "api", "remove", old), nullptr);
  EXPECT_STREQ((*ProposalOf(proposals, "api", "remove", old))["status"].GetString(), "superseded");

  // Rejecting ends a proposal, and it is not made again without new evidence.
  ASSERT_EQ(Pinwatch(config, {"proposals", "reject", cdn_id, "--operator", "alice", "--reason", "not yet"}).exit_code, 0);
  ASSERT_EQ(Pinwatch(config, {"run", "--once"}).exit_code, 0);
  size_t cdn_proposals = 0;
  const rapidjson::Document all = Json(config, {"proposals", "--json"});
  for (const auto& p : all.GetArray()) cdn_proposals += p["pinset"] == "cdn";
  EXPECT_EQ(cdn_proposals, 1u);

  // Exports parse as their formats (tests/pins checks each in depth); here: the pins are the
  // current version's.
  CommandResult nsc = Pinwatch(config, {"pinset", "export", "api", "--format", "android-nsc"});
  ASSERT_EQ(nsc.exit_code, 0) << nsc.err;
  EXPECT_NE(nsc.out.find(b.substr(7)), std::string::npos);
  EXPECT_EQ(nsc.out.find(old2.substr(7)), std::string::npos);
}

TEST_F(PinsetTest, ConfigPinsThatDifferAreReportedAndAdoptedNotApplied) {
  auto sim = SimProcess::Start({"--entries", "200", "--seed", "adopt", "--plant", "100:x509:e1:key-a:api.mybank.test"});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  const std::string a = PlantsOf(**sim).at(100).leaf_pin;
  const std::string watch = "  - name: mybank.test\n    include_subdomains: true\n";
  const auto pinsets = [&](const std::string& second) {
    return "pinsets:\n  - name: api\n    names: [api.mybank.test]\n    pins: [\"" + a + "\", \"" + second + "\"]\n";
  };
  const std::string db = NewDatabase("adopt");
  const std::string v1 = WriteConfig("v1", db, {(*sim)->LogListPath()}, watch, pinsets(kBackupPin));
  CommandResult migrate = Pinwatch(v1, {"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  ASSERT_EQ(Pinwatch(v1, {"run", "--once"}).exit_code, 0);

  const std::string other = "sha256/YW5vdGhlciBiYWNrdXAga2V5LCBhbHNvIG9mZmxpbmU=";
  const std::string v2 = WriteConfig("v2", db, {(*sim)->LogListPath()}, watch, pinsets(other));
  CommandResult run = Pinwatch(v2, {"run", "--once"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("differ from version 1"), std::string::npos) << run.err;
  rapidjson::Document api = Json(v2, {"pinset", "show", "api", "--json"});
  EXPECT_EQ(api["current_version"].GetInt64(), 1);  // not applied silently

  EXPECT_EQ(Pinwatch(v2, {"pinset", "adopt", "api"}).exit_code, 2);  // --operator is required
  CommandResult adopt = Pinwatch(v2, {"pinset", "adopt", "api", "--operator", "carol", "--reason", "new backup"});
  ASSERT_EQ(adopt.exit_code, 0) << adopt.err;
  api = Json(v2, {"pinset", "show", "api", "--json"});
  ASSERT_EQ(api["current_version"].GetInt64(), 2);
  EXPECT_EQ(PinsOf(api["versions"][1]), (std::set<std::string>{a, other}));
  EXPECT_EQ(Pinwatch(v2, {"pinset", "adopt", "api", "--operator", "carol"}).exit_code, 1);  // nothing to adopt
  bool audited = false;
  const rapidjson::Document audit = Json(v2, {"audit", "--json"});
  for (const auto& e : audit.GetArray()) {
    audited |= std::string(e["action"].GetString()) == "adopt" && std::string(e["operator"].GetString()) == "carol";
  }
  EXPECT_TRUE(audited);
}

}  // namespace
}  // namespace pinwatch
