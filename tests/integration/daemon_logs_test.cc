// The daemon's log set under change and at scale (issue 19): log lists read again while
// `run` runs (a new log followed, a retired one let go, a bad list changing nothing), and
// one ctsim process serving 100 logs followed through a pool of database.max_connections
// sessions against a PostgreSQL that allows only 20.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/daemon_fixture.h"

namespace pinwatch {
namespace {

constexpr char kWatch[] = "  - name: mybank.test\n    include_subdomains: true\n";

// WriteAtomically replaces `path` whole, as an operator's deployment would (a reader never
// sees half a list).
void WriteAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp, std::ios::trunc) << text;
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// ListOf is ctsim's log list of several logs cut down to the logs at `keep` (indices into
// operators[0].logs).
std::string ListOf(const std::string& full_list, const std::set<size_t>& keep) {
  rapidjson::Document doc;
  doc.Parse(full_list.c_str());
  rapidjson::Value& logs = doc["operators"][0]["logs"];
  rapidjson::Value kept(rapidjson::kArrayType);
  for (size_t i = 0; i < logs.Size(); ++i) {
    if (keep.count(i)) kept.PushBack(rapidjson::Value(logs[static_cast<rapidjson::SizeType>(i)], doc.GetAllocator()),
                                     doc.GetAllocator());
  }
  logs = kept;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return buffer.GetString();
}

// LogRow is one log of `status --json`.
struct LogRow {
  bool followed = false;
  uint64_t position = 0;
  std::string lease_holder;
};

// StatusByUrl reads `status --json` keyed by the log's URL.
std::map<std::string, LogRow> StatusByUrl(const std::string& status_json) {
  rapidjson::Document doc;
  doc.Parse(status_json.c_str());
  std::map<std::string, LogRow> out;
  if (!doc.IsArray()) return out;
  for (const auto& row : doc.GetArray()) {
    LogRow r;
    r.followed = row["followed"].GetBool();
    r.position = row["position"].IsUint64() ? row["position"].GetUint64() : 0;
    r.lease_holder = row["lease_holder"].IsString() ? row["lease_holder"].GetString() : "";
    out[row["url"].GetString()] = r;
  }
  return out;
}

class DaemonLogsTest : public DaemonTest {
 protected:
  std::map<std::string, LogRow> Status(const std::string& config) {
    CommandResult r = Pinwatch(config, {"status", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return StatusByUrl(r.out);
  }

  // WaitForStatus polls `status --json` until `done` holds (a broken test ends at the bound).
  template <class Pred>
  bool WaitForStatus(const std::string& config, Pred done, std::chrono::seconds bound = std::chrono::seconds(120)) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done(Status(config))) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the poll's pace
    }
    return false;
  }
};

std::vector<std::string> UrlsOf(const std::string& list) {
  rapidjson::Document doc;
  doc.Parse(list.c_str());
  std::vector<std::string> out;
  for (const auto& log : doc["operators"][0]["logs"].GetArray()) out.push_back(log["url"].GetString());
  return out;
}

TEST_F(DaemonLogsTest, LogListsAreReadAgainWhileRunningAndABadOneChangesNothing) {
  auto sim = SimProcess::Start({"--logs", "2", "--entries", "1500", "--seed", "relist", "--threads", "1", "--plant",
                                "700:x509:rogue:key-r:www.mybank.test"});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  const std::string both = ReadAll((*sim)->LogListPath());
  const std::vector<std::string> urls = UrlsOf(both);
  ASSERT_EQ(urls.size(), 2u) << both;
  const std::string& a = urls[0];
  const std::string& b = urls[1];
  const std::string list = dir_ + "/list.json";
  WriteAtomically(list, ListOf(both, {0}));
  const std::string config = WriteConfig("relist", NewDatabase("relist"), {list}, kWatch, "  lease_seconds: 3\n", "0",
                                         "  list_refresh_interval_s: 1\n");
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  auto daemon = ChildProcess::Start({PinwatchPath(), "--config", config, "run"});
  ASSERT_TRUE(daemon.ok()) << daemon.status().ToString();
  ASSERT_TRUE((*daemon)->WaitForLine("following 1 logs").ok()) << (*daemon)->output();
  ASSERT_TRUE((*daemon)->WaitForLine("at tree head 1500").ok()) << (*daemon)->output();

  // A new log in the list: followed to its head without a restart.
  WriteAtomically(list, both);
  ASSERT_TRUE((*daemon)->WaitForLine("log lists: now following 2 logs (1 new, 0 no longer listed)").ok())
      << (*daemon)->output();
  ASSERT_TRUE((*daemon)->WaitForLine("at tree head 1500").ok()) << (*daemon)->output();
  EXPECT_TRUE(WaitForStatus(config, [&](const std::map<std::string, LogRow>& s) {
    return s.count(b) && s.at(b).position == 1500 && s.at(b).followed;
  }));

  // A list that does not parse: said, and the two logs stay followed.
  WriteAtomically(list, "{\"operators\": [");
  auto refused = (*daemon)->WaitForLine("the previous reading stays in force (2 logs)");
  ASSERT_TRUE(refused.ok()) << (*daemon)->output();
  EXPECT_NE(refused->find(list), std::string::npos) << *refused;
  std::map<std::string, LogRow> during = Status(config);
  EXPECT_TRUE(during[a].followed && during[b].followed);

  // The first log retired: its lease is let go and it is no longer followed.
  WriteAtomically(list, ListOf(both, {1}));
  ASSERT_TRUE((*daemon)->WaitForLine("log lists: now following 1 logs (0 new, 1 no longer listed)").ok())
      << (*daemon)->output();
  EXPECT_TRUE(WaitForStatus(config, [&](const std::map<std::string, LogRow>& s) {
    return s.count(a) && !s.at(a).followed && s.at(a).lease_holder.empty() && s.at(b).followed;
  })) << (*daemon)->output();
  (*daemon)->Signal(SIGTERM);
  EXPECT_EQ((*daemon)->Wait(), 0) << (*daemon)->output();
  // The bad list was said once, not at every reading after it.
  const std::string& out = (*daemon)->output();
  EXPECT_EQ(CountOf(out, "stays in force"), 1u) << out;
  EXPECT_EQ(FindingsJson(config).Size(), 2u);  // the plant of each log, once

  // Started with a list that does not parse: the daemon keeps what the database follows
  // (a list's outage must not stop the monitoring); a one-shot run reports it instead.
  WriteAtomically(list, "not json");
  auto again = ChildProcess::Start({PinwatchPath(), "--config", config, "run"});
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->WaitForLine("the previous reading stays in force (1 logs)").ok()) << (*again)->output();
  ASSERT_TRUE((*again)->WaitForLine("lease taken").ok()) << (*again)->output();
  (*again)->Signal(SIGTERM);
  EXPECT_EQ((*again)->Wait(), 0) << (*again)->output();
  CommandResult once = Pinwatch(config, {"run", "--once"});
  EXPECT_EQ(once.exit_code, 2) << once.err;
  EXPECT_NE(once.err.find(list), std::string::npos) << once.err;
}

// ProcessSample is what /proc says about a process at one moment.
struct ProcessSample {
  size_t threads = 0;
  size_t rss_kib = 0;
  bool gone = true;  // exited (a zombie, or reaped)
};

ProcessSample SampleOf(pid_t pid) {
  ProcessSample s;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("State:", 0) == 0) s.gone = line.find('Z') != std::string::npos;
    if (line.rfind("Threads:", 0) == 0) s.threads = std::stoul(line.substr(8));
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::stoul(line.substr(6));
  }
  return s;
}

// 100 logs used to take 101 sessions (one per log, one for the leases), so a replica met
// PostgreSQL's limit (default 100, here 20) and logs failed with "too many clients". Now
// every store borrows from one pool of database.max_connections.
TEST_F(DaemonLogsTest, HundredLogsShareAPoolUnderAServerThatAllowsTwenty) {
  ASSERT_TRUE(pg_->Psql("ALTER SYSTEM SET max_connections = 20").ok());
  ASSERT_TRUE(pg_->Halt().ok());
  ASSERT_TRUE(pg_->Resume().ok());
  auto limit = pg_->Psql("SHOW max_connections");
  ASSERT_TRUE(limit.ok());
  ASSERT_EQ(*limit, "20");

  constexpr int kLogs = 100;
  constexpr uint64_t kEntries = 400;
  auto sim = SimProcess::Start({"--logs", std::to_string(kLogs), "--entries", std::to_string(kEntries), "--seed",
                                "hundred", "--threads", "1", "--plant", "123:x509:rogue:key-r:www.mybank.test"});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  const std::string db = NewDatabase("hundred");
  const std::string config = WriteConfig("hundred", db, {(*sim)->LogListPath()}, kWatch,
                                         "  commit_interval_ms: 50\n  lease_seconds: 10\n");
  {
    std::string text = ReadAll(config);
    text.replace(text.find("\nlogs:"), 0, "\n  max_connections: 8");
    WriteAtomically(config, text);
  }
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);

  auto run = ChildProcess::Start({PinwatchPath(), "--config", config, "run", "--once"});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  std::thread drain([&] { (*run)->ReadToEnd(); });
  // Sampled while it runs: threads and memory from /proc, sessions from the server.
  size_t peak_threads = 0, peak_rss_kib = 0, peak_sessions = 0, samples = 0;
  for (;;) {
    ProcessSample s = SampleOf((*run)->pid());
    if (s.gone) break;
    peak_threads = std::max(peak_threads, s.threads);
    peak_rss_kib = std::max(peak_rss_kib, s.rss_kib);
    auto sessions = pg_->Psql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'hundred' AND pid <> pg_backend_pid()");
    if (sessions.ok()) peak_sessions = std::max<size_t>(peak_sessions, std::stoul(*sessions));
    ++samples;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the sampler's pace
  }
  drain.join();
  const int exit_code = (*run)->Wait();
  const std::string& out = (*run)->output();
  std::cout << "100 logs: peak " << peak_threads << " threads, " << peak_rss_kib / 1024 << " MiB RSS, "
            << peak_sessions << " database sessions (" << samples << " samples)\n";
  EXPECT_EQ(exit_code, 0) << out.substr(out.size() > 4000 ? out.size() - 4000 : 0);
  EXPECT_NE(out.find("logs: 100 caught up, 0 failed"), std::string::npos) << out.substr(out.size() > 4000 ? out.size() - 4000 : 0);
  EXPECT_EQ(out.find("too many clients"), std::string::npos);
  EXPECT_GT(samples, 0u);
  EXPECT_LE(peak_sessions, 8u);
  EXPECT_GE(peak_sessions, 1u);

  std::map<std::string, LogRow> status = Status(config);
  ASSERT_EQ(status.size(), static_cast<size_t>(kLogs));
  for (const auto& [url, row] : status) EXPECT_EQ(row.position, kEntries) << url;
  EXPECT_EQ(FindingsJson(config).Size(), static_cast<size_t>(kLogs));  // each log's plant, once
}

}  // namespace
}  // namespace pinwatch
