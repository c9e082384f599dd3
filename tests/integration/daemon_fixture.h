// DaemonTest: the fixture of the daemon's end-to-end tests (daemon_test.cc,
// daemon_faults_test.cc): one real PostgreSQL per test, a database and config files per
// case, the pinwatch binary run through its CLI, and helpers that read ctsim's facts.
#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/postgres_server.h"
#include "tests/support/sim_process.h"

namespace pinwatch {

using testing::ChildProcess;
using testing::CommandResult;
using testing::PostgresServer;
using testing::RunCommand;
using testing::SimProcess;

// CountOf counts the occurrences of `needle` in `haystack` (lines of a daemon's output).
inline size_t CountOf(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

inline std::string PinwatchPath() { return std::string(PINWATCH_BIN_DIR) + "/monitor/pinwatch"; }

// A fact of one planted certificate, from ctsim's facts file.
struct Plant {
  std::vector<uint64_t> indices;
  std::vector<std::string> entry_types;
  std::string leaf_pin, issuer_pin, tbs_hex;
  std::vector<std::string> cert_sha256;
  int64_t not_before = 0, not_after = 0;
  std::vector<std::string> chain_pins;  // "chain_spki_sha256": issuer first, up to the root
};

inline std::map<uint64_t, Plant> PlantsOf(const SimProcess& sim) {
  rapidjson::Document facts;
  std::string text = sim.FactsJson();
  facts.Parse(text.c_str());
  std::map<uint64_t, Plant> out;
  if (!facts.IsObject()) return out;
  for (const auto& p : facts["plants"].GetArray()) {
    Plant plant;
    for (const auto& i : p["indices"].GetArray()) plant.indices.push_back(i.GetUint64());
    for (const auto& t : p["entry_types"].GetArray()) plant.entry_types.push_back(t.GetString());
    plant.leaf_pin = p["leaf_spki_sha256"].GetString();
    plant.issuer_pin = p["issuer_spki_sha256"].GetString();
    plant.tbs_hex = p["tbs_sha256"].GetString();
    for (const auto& c : p["cert_sha256"].GetArray()) plant.cert_sha256.push_back(c.GetString());
    plant.not_before = p["not_before_unix_s"].GetInt64();
    plant.not_after = p["not_after_unix_s"].GetInt64();
    for (const auto& c : p["chain_spki_sha256"].GetArray()) plant.chain_pins.push_back(c.GetString());
    out[p["index"].GetUint64()] = plant;
  }
  return out;
}

inline std::string LogIdOf(const SimProcess& sim) {
  rapidjson::Document facts;
  std::string text = sim.FactsJson();
  facts.Parse(text.c_str());
  return facts.IsObject() ? facts["log_id"].GetString() : "";
}

// Daemon is `pinwatch run` with an HTTP listener, its output drained on a thread of its own
// (a full pipe must never block it).
class Daemon {
 public:
  explicit Daemon(std::unique_ptr<ChildProcess> child) : child_(std::move(child)) {}
  ~Daemon() { (void)Stop(); }
  // StartDraining waits for the "http: serving" line and returns its port (0: no such
  // line); from then on a thread reads the output.
  int StartDraining() {
    auto line = child_->WaitForLine("http: serving http://127.0.0.1:");
    EXPECT_TRUE(line.ok()) << child_->output();
    int port = 0;
    if (line.ok()) {
      const std::string prefix = "http://127.0.0.1:";
      port = std::atoi(line->c_str() + line->find(prefix) + prefix.size());
    }
    drain_ = std::thread([child = child_.get()] { child->ReadToEnd(); });
    return port;
  }
  // Stop ends the daemon (SIGTERM) and returns everything it wrote.
  std::string Stop() {
    if (!child_) return output_;
    child_->Signal(SIGTERM);
    if (drain_.joinable()) drain_.join();
    exit_code_ = child_->Wait();
    output_ = child_->output();
    child_.reset();
    return output_;
  }
  int exit_code() const { return exit_code_; }

 private:
  std::unique_ptr<ChildProcess> child_;
  std::thread drain_;
  std::string output_;
  int exit_code_ = -1;
};

// Fixture: one PostgreSQL server; each test makes its own database and config files.
class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pg = PostgresServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status().ToString();
    pg_ = std::move(*pg);
    char tmpl[] = "/tmp/pinwatch-daemon-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  std::string NewDatabase(const std::string& name) {
    auto r = pg_->Psql("CREATE DATABASE " + name);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return pg_->url(name);
  }

  // WriteConfig writes a config file and returns its path.
  std::string WriteConfig(const std::string& name, const std::string& db_url, const std::vector<std::string>& lists,
                          const std::string& watch_yaml, const std::string& run_yaml = "",
                          const std::string& start = "0", const std::string& logs_yaml = "") {
    std::string path = dir_ + "/" + name + ".yaml";
    std::ofstream out(path);
    out << "database:\n  url: " << db_url << "\nlogs:\n  lists:\n";
    for (const std::string& l : lists) out << "    - " << l << "\n";
    out << "  start: " << start << "\n  poll_interval_ms: 200\n" << logs_yaml << "watch:\n" << watch_yaml;
    out << "run:\n  progress_interval_s: 1\n" << run_yaml;
    return path;
  }

  CommandResult Pinwatch(const std::string& config, std::vector<std::string> args,
                         const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {PinwatchPath(), "--config", config};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunCommand(argv, env);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : CommandResult{};
  }

  rapidjson::Document FindingsJson(const std::string& config) {
    CommandResult r = Pinwatch(config, {"findings", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    rapidjson::Document doc;
    doc.Parse(r.out.c_str());
    EXPECT_TRUE(doc.IsArray()) << r.out;
    return doc;
  }

  // Json runs a pinwatch command that prints JSON (exit 0 expected) and parses it.
  rapidjson::Document Json(const std::string& config, const std::vector<std::string>& args) {
    CommandResult r = Pinwatch(config, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    rapidjson::Document doc;
    doc.Parse(r.out.c_str());
    EXPECT_FALSE(doc.HasParseError()) << r.out;
    return doc;
  }

  // StatusOfOnlyLog returns `status --json`'s one row (the tests follow one log).
  rapidjson::Document StatusOfOnlyLog(const std::string& config) {
    CommandResult r = Pinwatch(config, {"status", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    rapidjson::Document doc;
    doc.Parse(r.out.c_str());
    rapidjson::Document row;
    if (doc.IsArray() && doc.Size() == 1) row.CopyFrom(doc[0], row.GetAllocator());
    EXPECT_TRUE(row.IsObject()) << r.out;
    return row;
  }

  std::unique_ptr<PostgresServer> pg_;
  std::string dir_;
};

inline std::string WatchYaml(const std::map<uint64_t, Plant>& plants) {
  // mybank.test: issuers e1 (plant 100) and e2 (plant 7000) allowed, key-a known.
  return "  - name: mybank.test\n    include_subdomains: true\n    allowed_issuers: [\"" + plants.at(100).issuer_pin +
         "\", \"" + plants.at(7000).issuer_pin + "\"]\n    known_keys: [\"" + plants.at(100).leaf_pin +
         "\"]\n  - name: shop.partner.test\n";
}

// A compact description of a finding, for set comparisons.
inline std::string Summary(const rapidjson::Value& f) {
  std::string s = std::string(f["kind"].GetString()) + " " + (f["watched"].IsString() ? f["watched"].GetString() : "-");
  for (const auto& e : f["entries"].GetArray()) {
    s += " " + std::to_string(e["index"].GetUint64()) + ":" + e["entry_type"].GetString();
  }
  return s;
}

inline std::multiset<std::string> Summaries(const rapidjson::Document& doc) {
  std::multiset<std::string> out;
  for (const auto& f : doc.GetArray()) out.insert(Summary(f));
  return out;
}

inline const std::vector<std::string> kPlants = {
    "--plant", "100:x509:normal:key-a:www.mybank.test",
    "--plant", "2000:both:e1:key-b:api.mybank.test",
    "--plant", "5000:precert:rogue:key-c:login.mybank.test",
    "--plant", "7000:x509:e2:key-a:mybank.test,shop.partner.test",
    "--plant", "9000:x509:normal::unrelated.example",
    "--plant", "11000:malformed:normal::broken.mybank.test"};

inline const std::multiset<std::string> kPlantFindings = {
    "known_key mybank.test 100:x509",
    "unexpected_key mybank.test 2000:precert 2001:x509",
    "unexpected_issuer mybank.test 5000:precert",
    "known_key mybank.test 7000:x509",
    "unexpected_key shop.partner.test 7000:x509",
    "malformed mybank.test 11000:x509",
};

}  // namespace pinwatch
