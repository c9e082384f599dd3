// The monitor daemon end to end, with every part real: a throwaway PostgreSQL (initdb on a
// free loopback port), ctsim logs with planted certificates listed in a v3 log list, and
// the pinwatch binary driven through its CLI exactly as an operator would.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/encoding.h"
#include "base/time.h"
#include "tests/integration/daemon_fixture.h"

namespace pinwatch {
namespace {

TEST_F(DaemonTest, PlantsBecomeExactlyTheRightFindingsOnce) {
  std::vector<std::string> args = {"--entries", "20000", "--seed", "daemon-plants"};
  args.insert(args.end(), kPlants.begin(), kPlants.end());
  auto sim = SimProcess::Start(args);
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  auto plants = PlantsOf(**sim);
  ASSERT_EQ(plants.size(), 6u);
  const std::string config = WriteConfig("plants", NewDatabase("plants"), {(*sim)->LogListPath()}, WatchYaml(plants));

  // `run` refuses an unmigrated database and says what to do.
  CommandResult early = Pinwatch(config, {"run", "--once"});
  EXPECT_EQ(early.exit_code, 2);
  EXPECT_NE(early.err.find("pinwatch migrate"), std::string::npos) << early.err;

  CommandResult migrate = Pinwatch(config, {"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  EXPECT_NE(migrate.out.find("applied 1 initial_schema"), std::string::npos) << migrate.out;
  CommandResult again = Pinwatch(config, {"migrate"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("already up to date"), std::string::npos) << again.out;

  CommandResult run = Pinwatch(config, {"run", "--once"});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  rapidjson::Document findings = FindingsJson(config);
  const std::multiset<std::string>& expected = kPlantFindings;
  EXPECT_EQ(Summaries(findings), expected);

  // Every finding carries the facts ctsim planted.
  for (const auto& f : findings.GetArray()) {
    const uint64_t first = f["entries"][0]["index"].GetUint64();
    ASSERT_TRUE(plants.count(first)) << first;
    const Plant& p = plants.at(first);
    EXPECT_STREQ(f["status"].GetString(), "open");
    if (std::string(f["kind"].GetString()) == "malformed") {
      // Kept by the SHA-256 of its raw bytes, with the name the best-effort walk found.
      EXPECT_FALSE(f["certificate_parsed"].GetBool());
      EXPECT_TRUE(f["parse_error"].IsString());
      EXPECT_EQ(f["tbs_sha256"].GetString(), p.cert_sha256.at(0));
      ASSERT_EQ(f["names"].Size(), 1u);
      EXPECT_STREQ(f["names"][0].GetString(), "broken.mybank.test");
      EXPECT_STREQ(f["severity"].GetString(), "warning");
      continue;
    }
    EXPECT_EQ(f["spki_sha256"].GetString(), p.leaf_pin);
    EXPECT_EQ(f["issuer_spki_sha256"].GetString(), p.issuer_pin);
    EXPECT_EQ(f["tbs_sha256"].GetString(), p.tbs_hex);
    EXPECT_EQ(f["not_before"].GetString(), FormatRfc3339(p.not_before));
    EXPECT_EQ(f["not_after"].GetString(), FormatRfc3339(p.not_after));
    EXPECT_TRUE(f["names"].IsArray() && f["names"].Size() >= 1);
    const std::string severity = f["severity"].GetString();
    const std::string kind = f["kind"].GetString();
    EXPECT_EQ(severity, kind == "unexpected_issuer" ? "critical" : kind == "known_key" ? "info" : "warning");
    for (const auto& e : f["entries"].GetArray()) {
      EXPECT_TRUE(e["verified"].GetBool());
      EXPECT_EQ(e["log_id"].GetString(), LogIdOf(**sim));
    }
  }

  // A second run has nothing new to do and adds nothing.
  CommandResult rerun = Pinwatch(config, {"run", "--once"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(Summaries(FindingsJson(config)), expected);

  // The log grows with a new plant-free stretch: the next run picks up only the new entries.
  ASSERT_TRUE((*sim)->Post("/sim/grow?n=3000").ok());
  CommandResult grown = Pinwatch(config, {"run", "--once"});
  ASSERT_EQ(grown.exit_code, 0) << grown.err;
  EXPECT_NE(grown.err.find("3000 entries to 23000"), std::string::npos) << grown.err;
  rapidjson::Document st = StatusOfOnlyLog(config);
  ASSERT_TRUE(st.IsObject());
  EXPECT_EQ(st["position"].GetUint64(), 23000u);
  EXPECT_EQ(st["verified_tree_size"].GetUint64(), 23000u);
  EXPECT_EQ(st["lag"].GetUint64(), 0u);

  // Operators move findings through their statuses.
  const int64_t id = findings[0]["id"].GetInt64();
  CommandResult ack = Pinwatch(config, {"ack", std::to_string(id), "--note", "ticket 42"});
  ASSERT_EQ(ack.exit_code, 0) << ack.err;
  rapidjson::Document after = FindingsJson(config);
  EXPECT_STREQ(after[0]["status"].GetString(), "acknowledged");
  EXPECT_STREQ(after[0]["status_note"].GetString(), "ticket 42");
  CommandResult open = Pinwatch(config, {"findings", "--json", "--status", "open"});
  rapidjson::Document open_doc;
  open_doc.Parse(open.out.c_str());
  EXPECT_EQ(open_doc.Size(), expected.size() - 1);
  EXPECT_EQ(Pinwatch(config, {"resolve", "999999"}).exit_code, 1);
}


TEST_F(DaemonTest, StaticCtLogGivesTheSameFindings) {
  // The same plants served over static-ct-api: x509 chains come as fingerprints, resolved
  // through the log's /issuer/ endpoint.
  std::vector<std::string> args = {"--entries", "20000", "--seed", "daemon-static", "--log-list-api", "static"};
  args.insert(args.end(), kPlants.begin(), kPlants.end());
  auto sim = SimProcess::Start(args);
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  auto plants = PlantsOf(**sim);
  const std::string config = WriteConfig("static", NewDatabase("staticct"), {(*sim)->LogListPath()}, WatchYaml(plants));
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  CommandResult run = Pinwatch(config, {"run", "--once"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  rapidjson::Document findings = FindingsJson(config);
  EXPECT_EQ(Summaries(findings), kPlantFindings);
  for (const auto& f : findings.GetArray()) {
    const Plant& p = plants.at(f["entries"][0]["index"].GetUint64());
    if (std::string(f["kind"].GetString()) == "malformed") {
      EXPECT_TRUE(f["issuer_spki_sha256"].IsNull());
      continue;
    }
    EXPECT_EQ(f["issuer_spki_sha256"].GetString(), p.issuer_pin);
    EXPECT_EQ(f["spki_sha256"].GetString(), p.leaf_pin);
  }
  CommandResult status = Pinwatch(config, {"status", "--json"});
  EXPECT_NE(status.out.find("\"api\": \"static-ct\""), std::string::npos) << status.out;
}

// The roots each followed log accepts (issue 20) are in log_roots after one `run --once`:
// exactly what the log's get-roots serves (static-ct-api: under its submission URL, which
// ctsim's log list gives as its serving URL), keyed by the SHA-256 of the DER.
TEST_F(DaemonTest, RunOnceRecordsTheRootsTheLogAccepts) {
  for (const char* api : {"rfc6962", "static"}) {
    SCOPED_TRACE(api);
    auto sim = SimProcess::Start({"--entries", "1000", "--seed", std::string("roots-") + api, "--log-list-api", api});
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    const std::string database = std::string("roots_") + api;
    const std::string config = WriteConfig(std::string("roots-") + api, NewDatabase(database),
                                           {(*sim)->LogListPath()}, "  - name: mybank.test\n");
    ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);

    // What the log serves, as any client sees it: "<DER hex>|true|<log id>" per root.
    auto served_body = (*sim)->Get("/ct/v1/get-roots");
    ASSERT_TRUE(served_body.ok()) << served_body.status().ToString();
    rapidjson::Document served_doc;
    served_doc.Parse(served_body->c_str());
    ASSERT_TRUE(served_doc.IsObject() && served_doc.HasMember("certificates") && served_doc["certificates"].IsArray())
        << *served_body;
    std::set<std::string> served;
    for (const auto& c : served_doc["certificates"].GetArray()) {
      auto der = Base64Decode(c.GetString());
      ASSERT_TRUE(der.has_value()) << c.GetString();
      served.insert(HexEncode(*der) + "|true|" + LogIdOf(**sim));
    }
    ASSERT_FALSE(served.empty());

    // What the database holds after a run, and after another (refreshed, not duplicated).
    for (int run_number = 1; run_number <= 2; ++run_number) {
      CommandResult run = Pinwatch(config, {"run", "--once"});
      ASSERT_EQ(run.exit_code, 0) << run.err;
      EXPECT_NE(run.err.find(std::to_string(served.size()) + " accepted roots recorded (get-roots)"), std::string::npos)
          << run.err;
      auto rows = pg_->Psql(
          "SELECT encode(der, 'hex') || '|' || (root_sha256 = sha256(der)) || '|' || encode(log_id, 'base64') "
          "FROM log_roots",
          database);
      ASSERT_TRUE(rows.ok()) << rows.status().ToString();
      std::set<std::string> stored;
      std::istringstream lines(*rows);
      for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) stored.insert(line);
      }
      EXPECT_EQ(stored, served) << "run " << run_number;
    }
  }
}

TEST_F(DaemonTest, StartAtEndSkipsHistoryThenFollowsNewEntries) {
  for (const char* api : {"rfc6962", "static"}) {
    SCOPED_TRACE(api);
    // A plant in the history (not reported: we start at the end) and one beyond the
    // current tree, which appears when the log grows.
    auto sim = SimProcess::Start({"--entries", "5000", "--seed", std::string("daemon-end-") + api, "--log-list-api",
                                  api, "--plant", "100:x509:rogue:key-z:old.mybank.test", "--plant",
                                  "6000:x509:rogue:key-y:new.mybank.test"});
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    const std::string config = WriteConfig(std::string("end-") + api, NewDatabase(std::string("end_") + api),
                                           {(*sim)->LogListPath()}, "  - name: mybank.test\n    include_subdomains: true\n",
                                           "", "end");
    ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
    CommandResult first = Pinwatch(config, {"run", "--once"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_NE(first.err.find("starting at its tree head (5000 entries, root verified)"), std::string::npos) << first.err;
    EXPECT_EQ(FindingsJson(config).Size(), 0u);
    rapidjson::Document st = StatusOfOnlyLog(config);
    ASSERT_TRUE(st.IsObject());
    EXPECT_EQ(st["position"].GetUint64(), 5000u);
    EXPECT_EQ(st["verified_tree_size"].GetUint64(), 5000u);

    ASSERT_TRUE((*sim)->Post("/sim/grow?n=2000").ok());
    CommandResult second = Pinwatch(config, {"run", "--once"});
    ASSERT_EQ(second.exit_code, 0) << second.err;
    rapidjson::Document findings = FindingsJson(config);
    // No allowed_issuers configured: any CA may issue, so the unknown key is what counts.
    EXPECT_EQ(Summaries(findings), std::multiset<std::string>{"unexpected_key mybank.test 6000:x509"});
  }
}

TEST_F(DaemonTest, WrongRootIsRecordedAsMisbehaviourAndNothingIsTrusted) {
  std::vector<std::string> args = {"--entries", "8000", "--seed", "daemon-wrong-root", "--fault-wrong-root"};
  args.insert(args.end(), {"--plant", "100:x509:normal:key-a:www.mybank.test", "--plant",
                           "7000:x509:e2:key-a:mybank.test"});
  auto sim = SimProcess::Start(args);
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  const std::string watch = "  - name: mybank.test\n    include_subdomains: true\n";
  const std::string config = WriteConfig("wrongroot", NewDatabase("wrongroot"), {(*sim)->LogListPath()}, watch);
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  CommandResult run = Pinwatch(config, {"run", "--once"});
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("LOG MISBEHAVIOUR root_mismatch"), std::string::npos) << run.err;

  rapidjson::Document findings = FindingsJson(config);
  size_t misbehaviour = 0;
  for (const auto& f : findings.GetArray()) {
    if (std::string(f["kind"].GetString()) != "log_misbehaviour") {
      // Entries fetched before the root check stay, marked unverified.
      for (const auto& e : f["entries"].GetArray()) EXPECT_FALSE(e["verified"].GetBool());
      continue;
    }
    ++misbehaviour;
    EXPECT_STREQ(f["severity"].GetString(), "critical");
    EXPECT_STREQ(f["evidence"]["misbehaviour"].GetString(), "root_mismatch");
    EXPECT_EQ(f["evidence"]["tree_head"]["tree_size"].GetUint64(), 8000u);
    EXPECT_TRUE(f["evidence"].HasMember("computed_root"));
  }
  EXPECT_EQ(misbehaviour, 1u);
  // The position went back to the last verified size (none yet).
  rapidjson::Document st = StatusOfOnlyLog(config);
  ASSERT_TRUE(st.IsObject());
  EXPECT_EQ(st["position"].GetUint64(), 0u);
  EXPECT_EQ(st["verified_tree_size"].GetUint64(), 0u);
  EXPECT_NE(std::string(st["last_error"].GetString()).find("root_mismatch"), std::string::npos);
  // Running again finds the same lie: still one finding.
  EXPECT_EQ(Pinwatch(config, {"run", "--once"}).exit_code, 3);
  size_t again = 0;
  rapidjson::Document after = FindingsJson(config);
  for (const auto& f : after.GetArray()) again += std::string(f["kind"].GetString()) == "log_misbehaviour";
  EXPECT_EQ(again, 1u);
}

TEST_F(DaemonTest, KillNineMidBackfillThenRestartGivesTheSameFindings) {
  std::vector<std::string> args = {"--entries", "60000", "--seed", "daemon-kill", "--fault-delay-ms", "60"};
  args.insert(args.end(), kPlants.begin(), kPlants.end());
  args.insert(args.end(), {"--plant", "45000:both:rogue:key-d:pay.mybank.test", "--plant",
                           "59999:x509:e2:key-e:mybank.test"});
  auto sim = SimProcess::Start(args);
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  auto plants = PlantsOf(**sim);
  const std::string run_yaml = "  commit_every_entries: 1000\n  commit_interval_ms: 100\n  replica_id: crashy\n";
  const std::string killed = WriteConfig("killed", NewDatabase("killed"), {(*sim)->LogListPath()}, WatchYaml(plants), run_yaml);
  const std::string clean = WriteConfig("clean", NewDatabase("clean"), {(*sim)->LogListPath()}, WatchYaml(plants), run_yaml);
  ASSERT_EQ(Pinwatch(killed, {"migrate"}).exit_code, 0);
  ASSERT_EQ(Pinwatch(clean, {"migrate"}).exit_code, 0);

  // Crash in the middle of the backfill: after the first progress line, SIGKILL.
  auto child = ChildProcess::Start({PinwatchPath(), "--config", killed, "run"});
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  auto line = (*child)->WaitForLine("backfill");
  ASSERT_TRUE(line.ok()) << line.status().ToString() << "\n" << (*child)->output();
  (*child)->Signal(SIGKILL);
  EXPECT_EQ((*child)->Wait(), 128 + SIGKILL);

  rapidjson::Document st = StatusOfOnlyLog(killed);
  ASSERT_TRUE(st.IsObject());
  const uint64_t crashed_at = st["position"].GetUint64();
  EXPECT_GT(crashed_at, 0u);
  EXPECT_LT(crashed_at, 60000u) << "the backfill finished before the kill; the test proves nothing";

  // Restart (same replica: its lease is still its own) and finish.
  CommandResult restarted = Pinwatch(killed, {"run", "--once"});
  ASSERT_EQ(restarted.exit_code, 0) << restarted.err;
  CommandResult uninterrupted = Pinwatch(clean, {"run", "--once"});
  ASSERT_EQ(uninterrupted.exit_code, 0) << uninterrupted.err;

  const auto after_crash = Summaries(FindingsJson(killed));
  EXPECT_EQ(after_crash, Summaries(FindingsJson(clean)));
  EXPECT_EQ(after_crash.size(), 8u);
  // Nothing committed twice: the replica's committed entries add up to the log exactly.
  auto pg_sum = pg_->Psql("SELECT sum(entries_committed) FROM replica_log_entries", "killed");
  ASSERT_TRUE(pg_sum.ok());
  EXPECT_EQ(pg_sum->substr(0, pg_sum->find('\n')), "60000");
  auto entries = pg_->Psql("SELECT count(*) FROM certificate_entries", "killed");
  ASSERT_TRUE(entries.ok());
  // 100, 2000+2001, 5000, 7000, 11000, 45000+45001, 59999 (9000 is not watched).
  EXPECT_EQ(entries->substr(0, entries->find('\n')), "9");
}

TEST_F(DaemonTest, TwoReplicasShareLogsAndOneTakesOverWhenTheOtherIsKilled) {
  std::vector<std::string> a_args = {"--entries", "40000", "--seed", "replica-a", "--fault-delay-ms", "100"};
  a_args.insert(a_args.end(), kPlants.begin(), kPlants.end());
  std::vector<std::string> b_args = {"--entries", "40000", "--seed", "replica-b", "--fault-delay-ms", "100",
                                     "--plant", "30000:x509:rogue:key-x:evil.mybank.test"};
  auto sim_a = SimProcess::Start(a_args);
  auto sim_b = SimProcess::Start(b_args);
  ASSERT_TRUE(sim_a.ok() && sim_b.ok());
  auto plants = PlantsOf(**sim_a);
  const std::string db = NewDatabase("replicas");
  const std::vector<std::string> lists = {(*sim_a)->LogListPath(), (*sim_b)->LogListPath()};
  const std::string run_common = "  lease_seconds: 2\n  commit_every_entries: 1000\n  commit_interval_ms: 100\n";
  const std::string config_a = WriteConfig("a", db, lists, WatchYaml(plants), run_common + "  replica_id: replica-a\n");
  const std::string config_b = WriteConfig("b", db, lists, WatchYaml(plants), run_common + "  replica_id: replica-b\n");
  ASSERT_EQ(Pinwatch(config_a, {"migrate"}).exit_code, 0);

  auto a = ChildProcess::Start({PinwatchPath(), "--config", config_a, "run"});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->WaitForLine("backfill").ok()) << (*a)->output();
  auto b = ChildProcess::Start({PinwatchPath(), "--config", config_b, "run"});
  ASSERT_TRUE(b.ok());
  // B joins: A hands one log back and B takes it; then A dies.
  auto b_started = (*b)->WaitForLine("lease taken");
  ASSERT_TRUE(b_started.ok()) << b_started.status().ToString() << "\nA:\n" << (*a)->output() << "\nB:\n" << (*b)->output();
  (*a)->Signal(SIGKILL);
  EXPECT_EQ((*a)->Wait(), 128 + SIGKILL);
  // B takes over A's log once its lease expires, and both logs reach their heads.
  std::set<std::string> done;
  while (done.size() < 2) {
    auto l = (*b)->WaitForLine("at tree head 40000");
    ASSERT_TRUE(l.ok()) << l.status().ToString() << "\nB:\n" << (*b)->output();
    done.insert(l->substr(0, l->find(": ", l->find("pinwatch: ") + 10)));
  }
  (*b)->Signal(SIGTERM);
  EXPECT_EQ((*b)->Wait(), 0) << (*b)->output();

  rapidjson::Document findings = FindingsJson(config_b);
  std::multiset<std::string> kinds;
  for (const auto& f : findings.GetArray()) kinds.insert(Summary(f));
  EXPECT_EQ(kinds.size(), 7u) << "6 from log A's plants, 1 from log B's";
  // No double work: the entries committed by both replicas add up to both logs exactly.
  auto sum = pg_->Psql("SELECT sum(entries_committed) FROM replica_log_entries", "replicas");
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->substr(0, sum->find('\n')), "80000");
  auto per = pg_->Psql("SELECT count(DISTINCT replica_id) FROM replica_log_entries WHERE entries_committed > 0", "replicas");
  ASSERT_TRUE(per.ok());
  EXPECT_EQ(per->substr(0, per->find('\n')), "2") << "both replicas did part of the work";
}

TEST_F(DaemonTest, FailingLogsDoNotStopTheOthers) {
  // Three logs in one run: a healthy one that answers every third request with 429, one
  // that has gone away (connection refused), and one that signs a wrong root.
  std::vector<std::string> args = {"--entries", "20000", "--seed", "daemon-healthy", "--fault-429-every", "3",
                                   "--fault-retry-after-s", "0"};
  args.insert(args.end(), kPlants.begin(), kPlants.end());
  auto healthy = SimProcess::Start(args);
  auto gone = SimProcess::Start({"--entries", "100", "--seed", "daemon-gone"});
  auto liar = SimProcess::Start({"--entries", "3000", "--seed", "daemon-liar", "--fault-wrong-root"});
  ASSERT_TRUE(healthy.ok() && gone.ok() && liar.ok());
  auto plants = PlantsOf(**healthy);
  // Keep the gone log's list, then stop it: its URL now refuses connections.
  const std::string gone_list = dir_ + "/gone.json";
  std::filesystem::copy_file((*gone)->LogListPath(), gone_list);
  gone->reset();
  const std::string config = WriteConfig("failing", NewDatabase("failing"),
                                         {(*healthy)->LogListPath(), gone_list, (*liar)->LogListPath()},
                                         WatchYaml(plants));
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  CommandResult run = Pinwatch(config, {"run", "--once"});
  EXPECT_EQ(run.exit_code, 3) << run.err;  // misbehaviour outranks the failed log
  EXPECT_NE(run.err.find("1 caught up, 1 failed, 1 misbehaving"), std::string::npos) << run.err;

  // The healthy log was read to its head, with every finding.
  std::multiset<std::string> healthy_findings;
  rapidjson::Document findings = FindingsJson(config);
  for (const auto& f : findings.GetArray()) {
    if (std::string(f["kind"].GetString()) != "log_misbehaviour") healthy_findings.insert(Summary(f));
  }
  EXPECT_EQ(healthy_findings, kPlantFindings);
  CommandResult status = Pinwatch(config, {"status", "--json"});
  rapidjson::Document st;
  st.Parse(status.out.c_str());
  ASSERT_TRUE(st.IsArray() && st.Size() == 3) << status.out;
  for (const auto& log : st.GetArray()) {
    const std::string name = log["log"].GetString();
    if (name.find("daemon-healthy") != std::string::npos) {
      EXPECT_EQ(log["position"].GetUint64(), 20000u);
      EXPECT_EQ(log["verified_tree_size"].GetUint64(), 20000u);
    } else if (name.find("daemon-gone") != std::string::npos) {
      ASSERT_TRUE(log["last_error"].IsString()) << status.out;
      EXPECT_NE(std::string(log["last_error"].GetString()).find("unavailable"), std::string::npos) << status.out;
    } else {
      ASSERT_TRUE(log["last_error"].IsString()) << status.out;
      EXPECT_NE(std::string(log["last_error"].GetString()).find("root_mismatch"), std::string::npos);
    }
  }
}

TEST_F(DaemonTest, BadConfigIsOneClearErrorAndNothingStarts) {
  std::string path = dir_ + "/bad.yaml";
  std::ofstream(path) << "database:\n  url: postgresql://x@127.0.0.1:1/x\nwatch:\n  - name: example.com\n"
                         "    known_keys: [\"sha256/short\"]\n";
  CommandResult r = RunCommand({PinwatchPath(), "--config", path, "run", "--once"}).value();
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("watch[0].known_keys[0]"), std::string::npos) << r.err;
  // The environment overrides the database URL (here: to one that cannot be reached).
  std::string good = dir_ + "/good.yaml";
  std::ofstream(good) << "database:\n  url: postgresql://x@127.0.0.1:1/x\nwatch:\n  - name: example.com\n";
  CommandResult env = RunCommand({PinwatchPath(), "--config", good, "status"},
                                 {"PINWATCH_DATABASE_URL=" + pg_->url("postgres")})
                          .value();
  EXPECT_NE(env.err.find("schema version 0"), std::string::npos) << env.err;
}

// logs.list_public_keys: a list is followed only when its detached signature (Google's
// convention: list.json beside list.sig, RSA PKCS#1 v1.5 over SHA-256) verifies with one of
// the keys. A tampered list, a missing signature or another key's signature is refused
// with a message naming the list, and no log of it is followed.
TEST_F(DaemonTest, SignedLogListsAreFollowedAndOthersRefused) {
  auto sim = SimProcess::Start({"--entries", "2000", "--seed", "daemon-signed-list"});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  auto openssl = [](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = RunCommand(argv).value();
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  const std::string key = dir_ + "/list-key.pem", pub = dir_ + "/list-key.pub.pem", other = dir_ + "/other-key.pem";
  openssl({"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key});
  openssl({"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", other});
  openssl({"pkey", "-in", key, "-pubout", "-out", pub});
  const std::string list = dir_ + "/log_list.json";
  std::filesystem::copy_file((*sim)->LogListPath(), list);
  const std::string sig = dir_ + "/log_list.sig";  // log_list.json's signature, by the convention
  openssl({"dgst", "-sha256", "-sign", key, "-out", sig, list});
  const std::string keys_yaml = "  list_public_keys: [\"" + pub + "\"]\n";
  const std::string watch = "  - name: example.com\n    include_subdomains: true\n";

  // Signed: followed to its tree head.
  const std::string signed_config = WriteConfig("signed", NewDatabase("signedlist"), {list}, watch, "", "0", keys_yaml);
  ASSERT_EQ(Pinwatch(signed_config, {"migrate"}).exit_code, 0);
  CommandResult run = Pinwatch(signed_config, {"run", "--once"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(StatusOfOnlyLog(signed_config)["position"].GetUint64(), 2000u);

  // refused runs `run --once` on a fresh database and expects exit 2 with `why`, and no log.
  auto refused = [&](const std::string& name, const std::string& list_path, const std::string& why) {
    SCOPED_TRACE(name);
    const std::string config = WriteConfig(name, NewDatabase("refused_" + name), {list_path}, watch, "", "0", keys_yaml);
    ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
    CommandResult r = Pinwatch(config, {"run", "--once"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("log list " + list_path + ": refused: " + why), std::string::npos) << r.err;
    CommandResult status = Pinwatch(config, {"status", "--json"});
    EXPECT_EQ(status.out.find("log_id"), std::string::npos) << "a log of a refused list is known: " << status.out;
  };
  // One byte more (still valid JSON: trailing whitespace) is no longer what was signed.
  const std::string tampered = dir_ + "/tampered.json";
  std::filesystem::copy_file(list, tampered);
  std::ofstream(tampered, std::ios::app) << " ";
  std::filesystem::copy_file(sig, dir_ + "/tampered.sig");
  refused("tampered", tampered, "the signature " + dir_ + "/tampered.sig does not verify");
  // No signature beside it.
  const std::string unsigned_list = dir_ + "/unsigned.json";
  std::filesystem::copy_file(list, unsigned_list);
  refused("unsigned", unsigned_list, "its signature could not be read");
  // Signed, but by a key that is not configured.
  const std::string foreign = dir_ + "/foreign.json";
  std::filesystem::copy_file(list, foreign);
  openssl({"dgst", "-sha256", "-sign", other, "-out", dir_ + "/foreign.sig", foreign});
  refused("foreign", foreign, "the signature " + dir_ + "/foreign.sig does not verify");

  // `run` (not --once) that fails at start says why and exits. It used to wait forever for
  // its signal thread, silently, with its listener closed (seen in a container).
  const std::string config = WriteConfig("forever", NewDatabase("refused_forever"), {unsigned_list}, watch,
                                         "", "0", keys_yaml);
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  auto daemon = ChildProcess::Start({PinwatchPath(), "--config", config, "run"});
  ASSERT_TRUE(daemon.ok()) << daemon.status().ToString();
  auto said = (*daemon)->WaitForLine("refused: its signature could not be read", std::chrono::seconds(60));
  ASSERT_TRUE(said.ok()) << "no error, no exit: " << (*daemon)->output();
  EXPECT_EQ((*daemon)->Wait(), 2);
}

}  // namespace
}  // namespace pinwatch
