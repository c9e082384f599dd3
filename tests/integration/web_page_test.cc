// The operator web page end to end (issue 17): `pinwatch run` over a real PostgreSQL and a
// ctsim key rotation serves the page; tests/web/page_test.py drives it in headless Chromium
// (phone and desktop sizes): an approver signs in with a token, sees the pending proposal
// with its safety checks and evidence, approves it with a reason, and sees version 2 in the
// pin-set's history. The CLI then confirms version 2 and that the audit log names the
// token's operator. Screenshots stay under the build tree (test-artifacts/web/).
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/integration/daemon_fixture.h"
#include "tests/support/local_server.h"

namespace pinwatch {
namespace {

// A pin that no certificate has: a backup key kept offline.
constexpr char kBackupPin[] = "sha256/YmFja3VwIGtleSBrZXB0IG9mZmxpbmUsIDMyIGJ5dGU=";
// Debian's python3, the one python3-selenium installs into (a python3 earlier on PATH,
// pyenv's say, would not have it).
constexpr char kPython[] = "/usr/bin/python3";

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// MissingBrowserTools names what of Chromium, its WebDriver and Selenium is not installed
// ("" when all are).
std::string MissingBrowserTools() {
  std::string missing;
  if (access("/usr/bin/chromium", X_OK) != 0) missing += " chromium";
  if (access("/usr/bin/chromedriver", X_OK) != 0) missing += " chromium-driver";
  auto selenium = testing::RunCommand({kPython, "-c", "import selenium"});
  if (!selenium.ok() || selenium->exit_code != 0) missing += " python3-selenium";
  return missing;
}

// LastLine is the last line of `text` without its newline (`operator add` prints the token
// there).
std::string LastLine(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t.substr(t.rfind('\n') == std::string::npos ? 0 : t.rfind('\n') + 1);
}

using WebPageTest = DaemonTest;

TEST_F(WebPageTest, AnApproverApprovesAKeyRotationOnThePageAndSeesTheNewVersion) {
  const std::string missing = MissingBrowserTools();
  ASSERT_TRUE(missing.empty()) << "the web page test needs" << missing
                               << " (Debian packages chromium, chromium-driver, python3-selenium): run scripts/setup.sh";

  // The rotation of pinsets_test.cc, reduced: key-a served today, key-b's precertificate
  // (2000) and certificate (2001) from the same allowed CA; one approval makes version 2.
  const int64_t epoch_ms = (NowS() - 10 * 86400) * 1000;
  auto sim = SimProcess::Start({"--entries", "3000", "--seed", "web-page", "--epoch-ms", std::to_string(epoch_ms),
                                "--plant", "100:x509:e1:key-a:api.mybank.test",
                                "--plant", "2000:both:e1:key-b:api.mybank.test"});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  const auto plants = PlantsOf(**sim);
  ASSERT_EQ(plants.size(), 2u);
  const std::string a = plants.at(100).leaf_pin, b = plants.at(2000).leaf_pin;

  auto keygen = testing::RunCommand({PinwatchPath(), "keygen", "--out", dir_ + "/signing.pem"});
  ASSERT_TRUE(keygen.ok() && keygen->exit_code == 0) << (keygen.ok() ? keygen->err : keygen.status().ToString());
  const std::string watch = "  - name: mybank.test\n    include_subdomains: true\n    allowed_issuers: [\"" +
                            plants.at(100).issuer_pin + "\"]\n    known_keys: [\"" + a + "\"]\n";
  const std::string rest =
      "pinsets:\n"
      "  - name: api\n    names: [api.mybank.test]\n    pins: [\"" + a + "\", \"" + kBackupPin + "\"]\n"
      "    approvals_required: 1\n"
      "publish:\n  signing_key: " + dir_ + "/signing.pem\n  directory: " + dir_ + "/published\n"
      "http:\n  listen: 127.0.0.1:0\n";
  const std::string config = WriteConfig("web", NewDatabase("web"), {(*sim)->LogListPath()}, watch, rest);
  CommandResult migrate = Pinwatch(config, {"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  CommandResult once = Pinwatch(config, {"run", "--once"});
  ASSERT_EQ(once.exit_code, 0) << once.err;

  const rapidjson::Document pending = Json(config, {"proposals", "--json"});
  ASSERT_TRUE(pending.IsArray() && pending.Size() == 1u) << once.err;
  EXPECT_STREQ(pending[0]["action"].GetString(), "add");
  EXPECT_EQ(pending[0]["pin"].GetString(), b);
  EXPECT_EQ(pending[0]["approvals_required"].GetInt64(), 1);
  EXPECT_TRUE(pending[0]["checks_pass"].GetBool());

  CommandResult alice = Pinwatch(config, {"operator", "add", "alice"});
  ASSERT_EQ(alice.exit_code, 0) << alice.err;
  const std::string token = LastLine(alice.out);
  ASSERT_EQ(token.substr(0, 4), "pwt_") << alice.out;

  // The daemon with its listener on a free port, read from its "http: serving" line.
  auto child = testing::ChildProcess::Start({PinwatchPath(), "--config", config, "run"});
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  auto serving = (*child)->WaitForLine("http: serving");
  ASSERT_TRUE(serving.ok()) << serving.status().ToString() << "\n" << (*child)->output();
  const size_t at = serving->find("http://");
  ASSERT_NE(at, std::string::npos) << *serving;
  const std::string url = serving->substr(at, serving->find(' ', at) - at);
  // Its output is drained on a thread from here on, so a long browser run never blocks it.
  testing::ServingProcess daemon(std::move(*child), "pinwatch run");

  const std::string shots = std::string(PINWATCH_BIN_DIR) + "/test-artifacts/web";
  std::filesystem::create_directories(shots);
  auto page = testing::RunCommand({kPython, std::string(PINWATCH_SOURCE_DIR) + "/tests/web/page_test.py", url, token, shots});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->exit_code, 0) << "page_test.py " << url << ":\n" << page->out << page->err
                                << "\n(screenshots in " << shots << ")";
  EXPECT_TRUE(daemon.Stop().ok());

  // What the page did, as the CLI sees it: version 2 with key-b, alice's approval and her
  // acknowledgement of a finding.
  const rapidjson::Document api = Json(config, {"pinset", "show", "api", "--json"});
  ASSERT_TRUE(api.IsObject());
  EXPECT_EQ(api["current_version"].GetInt64(), 2);
  ASSERT_EQ(api["versions"].Size(), 2u);
  bool has_b = false;
  for (const auto& pin : api["versions"][1]["pins"].GetArray()) has_b |= b == pin.GetString();
  EXPECT_TRUE(has_b);
  const rapidjson::Document audit = Json(config, {"audit", "--json"});
  ASSERT_TRUE(audit.IsArray());
  bool approved_by_alice = false;
  for (const auto& e : audit.GetArray()) {
    approved_by_alice |= e["operator"].IsString() && std::string(e["operator"].GetString()) == "alice" &&
                         e["reason"].IsString() &&
                         std::string(e["reason"].GetString()) == "renewal key checked with the web team";
  }
  EXPECT_TRUE(approved_by_alice) << Pinwatch(config, {"audit"}).out;
  // And the finding the page acknowledged, in alice's name with the page's note.
  const rapidjson::Document findings = FindingsJson(config);
  size_t acknowledged = 0;
  for (const auto& f : findings.GetArray()) {
    if (std::string(f["status"].GetString()) != "acknowledged") continue;
    ++acknowledged;
    EXPECT_STREQ(f["status_note"].GetString(), "alice: seen on the page");
  }
  EXPECT_EQ(acknowledged, 1u);
}

}  // namespace
}  // namespace pinwatch
