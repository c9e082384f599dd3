// ctsim --log-list-out: the log list ctsim writes describes the running log so that a monitor
// can be pointed at it exactly as at Google's list: ParseLogList accepts it (its http://
// loopback URL included), SelectLogs picks the log, and the key, log id and URL lead to it.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/encoding.h"
#include "ctlog/log_source.h"
#include "ctlog/loglist.h"
#include "tests/support/sim_process.h"

namespace pinwatch::ctlog {
namespace {

using testing::SimProcess;

// TempDir is a private directory removed on destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ctsim-loglist-test.XXXXXX";
    EXPECT_NE(mkdtemp(tmpl), nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Case {
  std::string api_flag;  // --log-list-api value; empty: the default
  LogApi want_api;
};

class SimLogListTest : public ::testing::TestWithParam<Case> {};

TEST_P(SimLogListTest, ListDescribesTheRunningLog) {
  const Case& c = GetParam();
  TempDir dir;
  std::vector<std::string> args = {"--entries", "300", "--seed", "log-list", "--log-list-out", dir.File("list.json")};
  if (!c.api_flag.empty()) args.insert(args.end(), {"--log-list-api", c.api_flag});
  auto started = SimProcess::Start(args);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  const SimProcess& sim = **started;

  // The list is written before ctsim says it serves, so it is complete now.
  const std::string text = Slurp(dir.File("list.json"));
  auto list = ParseLogList(AsBytes(text), "ctsim");
  ASSERT_TRUE(list.ok()) << list.status().ToString() << "\n" << text;
  EXPECT_TRUE(list->version.has_value());
  EXPECT_TRUE(list->log_list_timestamp_ms.has_value());
  ASSERT_EQ(list->operators.size(), 1u);
  const Operator& op = list->operators[0];
  EXPECT_EQ(op.name, "ctsim");
  EXPECT_FALSE(op.email.empty());
  const bool tiled = c.want_api == LogApi::kStaticCt;
  EXPECT_EQ(op.logs.size(), tiled ? 0u : 1u);
  EXPECT_EQ(op.tiled_logs.size(), tiled ? 1u : 0u);

  auto logs = UnionOfLists(std::span(&*list, 1));
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  std::vector<Log> selected = SelectLogs(*logs);  // the default states
  ASSERT_EQ(selected.size(), 1u);
  const Log& log = selected[0];
  EXPECT_EQ(log.api, c.want_api);
  EXPECT_EQ(log.state->state, LogState::kUsable);
  EXPECT_EQ(log.state->timestamp_ms, 1735689600000);  // ctsim's default --epoch-ms
  EXPECT_EQ(log.mmd_seconds, 86400u);
  EXPECT_EQ(log.submission_url, sim.url());
  EXPECT_EQ(log.monitoring_url, sim.url());
  EXPECT_NE(log.description.find(sim.url()), std::string::npos) << log.description;

  // The key and log id are the ones ctsim reports in facts.json and info.json.
  rapidjson::Document facts, info;
  const std::string facts_text = sim.FactsJson();
  const std::string info_text = Slurp(sim.dir() + "/info.json");
  ASSERT_FALSE(facts.Parse(facts_text.c_str()).HasParseError());
  ASSERT_FALSE(info.Parse(info_text.c_str()).HasParseError());
  EXPECT_EQ(Base64Encode(log.key), facts["log_key"].GetString());
  EXPECT_EQ(Base64Encode(log.log_id), facts["log_id"].GetString());
  EXPECT_EQ(Base64Encode(log.key), info["key"].GetString());
  EXPECT_EQ(log.monitoring_url, info["url"].GetString());

  // And they lead to the log: a source built from the list entry alone verifies its head.
  auto key = LogKey::Create(log.key);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  std::unique_ptr<LogSource> source;
  if (tiled) {
    source = NewStaticCtSource(log.monitoring_url, log.submission_url, DefaultOrigin(log.submission_url), *key);
  } else {
    source = NewRfc6962Source(log.monitoring_url, *key);
  }
  auto head = source->LatestTreeHead();
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->tree_size, 300u);
}

INSTANTIATE_TEST_SUITE_P(Apis, SimLogListTest,
                         ::testing::Values(Case{"", LogApi::kRfc6962}, Case{"rfc6962", LogApi::kRfc6962},
                                           Case{"static", LogApi::kStaticCt}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.api_flag.empty() ? std::string("Default") : info.param.api_flag;
                         });

TEST(SimLogList, UnknownApiIsRefused) {
  auto sim = SimProcess::Start({"--entries", "1", "--log-list-api", "grpc"});
  ASSERT_FALSE(sim.ok());
  EXPECT_NE(sim.status().message().find("--log-list-api wants rfc6962 or static"), std::string::npos)
      << sim.status().ToString();
}

}  // namespace
}  // namespace pinwatch::ctlog
