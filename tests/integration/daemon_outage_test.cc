// The daemon through database outages (issue 19): PostgreSQL stopped for 30 s mid-backfill
// and again while idle at the head. The daemon stays up, says each outage once, tells it on
// /readyz (and not on /healthz, so an orchestrator does not restart it), reconnects by
// itself and loses nothing; `run --once` ends with the reason instead of waiting.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "net/http.h"
#include "tests/integration/daemon_fixture.h"

namespace pinwatch {
namespace {

// PortOf reads the listener's port from "http: serving http://127.0.0.1:PORT/ ...".
int PortOf(ChildProcess& daemon) {
  auto line = daemon.WaitForLine("http: serving http://127.0.0.1:");
  if (!line.ok()) return 0;
  const size_t at = line->find("127.0.0.1:") + 10;
  return std::stoi(line->substr(at));
}

int StatusOf(net::HttpClient& http, const std::string& url) {
  auto r = http.Get(url);
  return r.ok() ? r->status_code : 0;
}

// WaitForReadiness polls /readyz until it answers `ready` or not (the listener caches the
// answer for a second, so a change shows within about that).
bool WaitForReadiness(net::HttpClient& http, const std::string& base, bool ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if ((StatusOf(http, base + "/readyz") == 200) == ready) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the poll's pace
  }
  return false;
}

TEST_F(DaemonTest, DatabaseDownForThirtySecondsThenAgainAtTheHead) {
  std::vector<std::string> args = {"--entries", "40000", "--seed", "outage30", "--fault-delay-ms", "30"};
  args.insert(args.end(), kPlants.begin(), kPlants.end());
  auto sim = SimProcess::Start(args);
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  const std::string config =
      WriteConfig("outage30", NewDatabase("outage30"), {(*sim)->LogListPath()}, WatchYaml(PlantsOf(**sim)),
                  "  commit_every_entries: 1000\n  commit_interval_ms: 100\nhttp:\n  listen: 127.0.0.1:0\n");
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  auto daemon = ChildProcess::Start({PinwatchPath(), "--config", config, "run"});
  ASSERT_TRUE(daemon.ok()) << daemon.status().ToString();
  const int port = PortOf(**daemon);
  ASSERT_NE(port, 0) << (*daemon)->output();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  net::HttpClient http;
  ASSERT_TRUE((*daemon)->WaitForLine("backfill").ok()) << (*daemon)->output();
  EXPECT_EQ(StatusOf(http, base + "/readyz"), 200);

  // Mid-backfill, 30 s without a database: alive throughout, not ready throughout.
  ASSERT_TRUE(pg_->Halt().ok());
  ASSERT_TRUE((*daemon)->WaitForLine("database unreachable").ok()) << (*daemon)->output();
  ASSERT_TRUE(WaitForReadiness(http, base, false));
  const auto outage_end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int probes = 0, healthy = 0, ready = 0;
  while (std::chrono::steady_clock::now() < outage_end) {
    ++probes;
    healthy += StatusOf(http, base + "/healthz") == 200;
    ready += StatusOf(http, base + "/readyz") == 200;
    std::this_thread::sleep_for(std::chrono::seconds(1));  // the outage's length, probed each second
  }
  EXPECT_GE(probes, 20);
  EXPECT_EQ(healthy, probes);
  EXPECT_EQ(ready, 0);
  ASSERT_TRUE(pg_->Resume().ok());
  ASSERT_TRUE((*daemon)->WaitForLine("database reachable again after").ok()) << (*daemon)->output();
  ASSERT_TRUE((*daemon)->WaitForLine("at tree head 40000").ok()) << (*daemon)->output();
  EXPECT_TRUE(WaitForReadiness(http, base, true));

  // Idle at the head: down again, back again, and the entries that came meanwhile are read.
  ASSERT_TRUE(pg_->Halt().ok());
  ASSERT_TRUE((*daemon)->WaitForLine("database unreachable").ok()) << (*daemon)->output();
  EXPECT_TRUE(WaitForReadiness(http, base, false));
  EXPECT_EQ(StatusOf(http, base + "/healthz"), 200);
  ASSERT_TRUE((*sim)->Post("/sim/grow?n=500").ok());
  ASSERT_TRUE(pg_->Resume().ok());
  ASSERT_TRUE((*daemon)->WaitForLine("database reachable again after").ok()) << (*daemon)->output();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  uint64_t position = 0;
  while (position < 40500 && std::chrono::steady_clock::now() < deadline) {
    rapidjson::Document st = StatusOfOnlyLog(config);
    position = st.IsObject() && st["position"].IsUint64() ? st["position"].GetUint64() : 0;
    if (position < 40500) std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the poll's pace
  }
  EXPECT_EQ(position, 40500u);
  EXPECT_TRUE(WaitForReadiness(http, base, true));
  (*daemon)->Signal(SIGTERM);
  EXPECT_EQ((*daemon)->Wait(), 0) << (*daemon)->output();

  const std::string& out = (*daemon)->output();
  // Two outages, each told once (a worker mid-call when the server came back may say it
  // a second time), and each recovery told.
  EXPECT_GE(CountOf(out, "database unreachable"), 2u);
  EXPECT_LE(CountOf(out, "database unreachable"), 4u) << out;
  EXPECT_EQ(CountOf(out, "database reachable again after"), 2u) << out;
  EXPECT_EQ(Summaries(FindingsJson(config)), kPlantFindings);
  auto sum = pg_->Psql("SELECT sum(entries_committed) FROM replica_log_entries", "outage30");
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->substr(0, sum->find('\n')), "40500");
  rapidjson::Document st = StatusOfOnlyLog(config);
  ASSERT_TRUE(st.IsObject());
  EXPECT_EQ(st["verified_tree_size"].GetUint64(), 40500u);
}

// `run --once` does not wait for a database that went away: it ends, exit 2, saying so.
TEST_F(DaemonTest, RunOnceWhoseDatabaseGoesAwayEndsWithTheReason) {
  auto sim = SimProcess::Start({"--entries", "20000", "--seed", "outage-once", "--fault-delay-ms", "50"});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  const std::string config = WriteConfig("outageonce", NewDatabase("outageonce"), {(*sim)->LogListPath()},
                                         "  - name: mybank.test\n", "  commit_interval_ms: 100\n");
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  auto run = ChildProcess::Start({PinwatchPath(), "--config", config, "run", "--once"});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_TRUE((*run)->WaitForLine("backfill").ok()) << (*run)->output();
  ASSERT_TRUE(pg_->Halt().ok());
  auto said = (*run)->WaitForLine("pinwatch: database unreachable", std::chrono::seconds(60));
  ASSERT_TRUE(said.ok()) << "no error within 60 s: " << (*run)->output();
  EXPECT_EQ((*run)->Wait(), 2) << (*run)->output();
  EXPECT_TRUE(pg_->Resume().ok());
}

}  // namespace
}  // namespace pinwatch
