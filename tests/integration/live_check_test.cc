// `proposals check ID --live` end to end: a pending add proposal made from ctsim (key-b's
// precertificate for api.mybank.test), then the pinwatch binary connecting over TLS to an
// `openssl s_server` on loopback that --connect-to puts in place of api.mybank.test:443.
// A key in neither set fails the name; the set's backup key passes it; a port with nothing
// listening is reported with the name and address. Nothing here leaves loopback.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/daemon_fixture.h"
#include "tests/support/local_server.h"
#include "tests/support/tls_server.h"

namespace pinwatch {
namespace {

using testing::FreeLoopbackPort;
using testing::MakeKey;
using testing::MakeSelfSigned;
using testing::SpkiPinOfKey;
using testing::TlsServer;

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// ProposalIdOf returns the id of the pending add of `pin` to `pinset` as text ("" if none).
std::string ProposalIdOf(const std::string& proposals_json, const std::string& pinset, const std::string& pin) {
  rapidjson::Document doc;
  doc.Parse(proposals_json.c_str());
  if (!doc.IsArray()) return "";
  for (const auto& p : doc.GetArray()) {
    if (pinset == p["pinset"].GetString() && std::string(p["action"].GetString()) == "add" &&
        pin == p["pin"].GetString() && std::string(p["status"].GetString()) == "pending") {
      return std::to_string(p["id"].GetInt64());
    }
  }
  return "";
}

// Lines returns the lines of `out` that contain `needle`.
std::vector<std::string> Lines(const std::string& out, const std::string& needle) {
  std::vector<std::string> found;
  for (size_t start = 0, nl; start < out.size(); start = nl + 1) {
    nl = out.find('\n', start);
    if (nl == std::string::npos) nl = out.size();
    const std::string line = out.substr(start, nl - start);
    if (line.find(needle) != std::string::npos) found.push_back(line);
  }
  return found;
}

class LiveCheckTest : public DaemonTest {
 protected:
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  // ServeSelfSigned starts a TLS server for api.mybank.test with a self-signed certificate
  // over the key at key_path.
  std::unique_ptr<TlsServer> ServeSelfSigned(const std::string& key_path, const std::string& cert_name) {
    Status made = MakeSelfSigned(key_path, "api.mybank.test", Path(cert_name));
    EXPECT_TRUE(made.ok()) << made.ToString();
    auto server = TlsServer::Start({.cert = Path(cert_name), .key = key_path});
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    return server.ok() ? std::move(*server) : nullptr;
  }
};

TEST_F(LiveCheckTest, ReportsPerNameWhetherTheServedKeyIsPinnedBeforeAndAfterTheChange) {
  // The pin-set's backup key exists (an operator keeps it offline); its pin is computed
  // the way an operator would, with the openssl CLI.
  ASSERT_TRUE(MakeKey(Path("backup.key")).ok());
  Result<std::string> backup = SpkiPinOfKey(Path("backup.key"));
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();

  // Log: ten days old; key-a is served today, key-b's precertificate and certificate (2000,
  // 2001) are its renewal with a new key, so an add of key-b is proposed.
  const int64_t epoch_ms = (NowS() - 10 * 86400) * 1000;
  auto sim = SimProcess::Start({"--entries", "2500", "--seed", "live", "--epoch-ms", std::to_string(epoch_ms),
                                "--plant", "100:x509:e1:key-a:api.mybank.test",
                                "--plant", "2000:both:e1:key-b:api.mybank.test"});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  auto plants = PlantsOf(**sim);
  const std::string a = plants.at(100).leaf_pin, b = plants.at(2000).leaf_pin;
  const std::string watch = "  - name: mybank.test\n    include_subdomains: true\n    allowed_issuers: [\"" +
                            plants.at(100).issuer_pin + "\"]\n    known_keys: [\"" + a + "\"]\n";
  // `edge` covers a second name, to show one line per name.
  const std::string pinsets = "pinsets:\n"
                              "  - name: api\n    names: [api.mybank.test]\n    pins: [\"" + a + "\", \"" + *backup +
                              "\"]\n"
                              "  - name: edge\n    names: [api.mybank.test, www.mybank.test]\n    pins: [\"" + a +
                              "\", \"" + *backup + "\"]\n";
  const std::string config = WriteConfig("live", NewDatabase("live"), {(*sim)->LogListPath()}, watch, pinsets);
  CommandResult migrate = Pinwatch(config, {"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  CommandResult run = Pinwatch(config, {"run", "--once"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  CommandResult listed = Pinwatch(config, {"proposals", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const std::string id = ProposalIdOf(listed.out, "api", b);
  ASSERT_FALSE(id.empty()) << listed.out;

  // Without --live: the safety checks alone, which pass.
  CommandResult offline = Pinwatch(config, {"proposals", "check", id});
  ASSERT_EQ(offline.exit_code, 0) << offline.out << offline.err;
  EXPECT_TRUE(Lines(offline.out, "live").empty()) << offline.out;

  // 1. The server has a fresh key, in neither set: the name fails, and the command with it.
  ASSERT_TRUE(MakeKey(Path("stranger.key")).ok());
  Result<std::string> stranger_pin = SpkiPinOfKey(Path("stranger.key"));
  ASSERT_TRUE(stranger_pin.ok());
  {
    auto server = ServeSelfSigned(Path("stranger.key"), "stranger.pem");
    ASSERT_NE(server, nullptr);
    const std::string address = "127.0.0.1:" + std::to_string(server->port());
    CommandResult r = Pinwatch(config, {"proposals", "check", id, "--live", "--connect-to",
                                        "api.mybank.test:443:" + address});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("ok     min_pins"), std::string::npos) << r.out;  // the safety checks still print
    const std::vector<std::string> lines = Lines(r.out, "live ");
    ASSERT_EQ(lines.size(), 1u) << r.out;
    EXPECT_EQ(lines[0], "FAILED live api.mybank.test: " + address + " serves leaf " + *stranger_pin +
                            " (1 certificate); pin-set now: rejects, after the change: rejects");
  }

  // 2. The server has the set's backup key: accepted now and after the change, so the
  // command passes. A --connect-to for another name or port is not taken.
  {
    auto server = ServeSelfSigned(Path("backup.key"), "backup.pem");
    ASSERT_NE(server, nullptr);
    const std::string address = "127.0.0.1:" + std::to_string(server->port());
    CommandResult r = Pinwatch(config, {"proposals", "check", id, "--live",
                                        "--connect-to", "www.mybank.test:443:127.0.0.1:1",
                                        "--connect-to", "api.mybank.test:8443:127.0.0.1:1",
                                        "--connect-to", "api.mybank.test:443:" + address});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const std::vector<std::string> lines = Lines(r.out, "live ");
    ASSERT_EQ(lines.size(), 1u) << r.out;
    EXPECT_EQ(lines[0], "ok     live api.mybank.test: " + address + " serves leaf " + *backup +
                            " (1 certificate); pin-set now: accepts, after the change: accepts");

    // edge: one line per name; www.mybank.test has no server (refused), so exit 1 even
    // though api.mybank.test passes.
    const std::string edge_id = ProposalIdOf(listed.out, "edge", b);
    ASSERT_FALSE(edge_id.empty()) << listed.out;
    const int closed = FreeLoopbackPort();
    ASSERT_NE(closed, 0);
    r = Pinwatch(config, {"proposals", "check", edge_id, "--live", "--connect-to", "api.mybank.test:443:" + address,
                          "--connect-to", "www.mybank.test:443:127.0.0.1:" + std::to_string(closed)});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(Lines(r.out, "live ").size(), 2u) << r.out;
    EXPECT_EQ(Lines(r.out, "ok     live api.mybank.test: " + address).size(), 1u) << r.out;
    EXPECT_EQ(Lines(r.out, "FAILED live www.mybank.test: www.mybank.test (127.0.0.1:" + std::to_string(closed) +
                               "): connection refused")
                  .size(),
              1u)
        << r.out;
  }

  // 3. Nothing listens: the name is reported with its address, and the command fails.
  const int port = FreeLoopbackPort();
  ASSERT_NE(port, 0);
  CommandResult refused = Pinwatch(config, {"proposals", "check", id, "--live", "--connect-to",
                                            "api.mybank.test:443:127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_NE(refused.out.find("FAILED live api.mybank.test: api.mybank.test (127.0.0.1:" + std::to_string(port) +
                             "): connection refused"),
            std::string::npos)
      << refused.out;

  // Usage: --connect-to wants four fields and --live.
  EXPECT_EQ(Pinwatch(config, {"proposals", "check", id, "--live", "--connect-to", "api.mybank.test:443"}).exit_code, 2);
  EXPECT_EQ(Pinwatch(config, {"proposals", "check", id, "--connect-to", "api.mybank.test:443:127.0.0.1:1"}).exit_code,
            2);
  EXPECT_EQ(Pinwatch(config, {"proposals", "--live"}).exit_code, 2);  // the check's option alone
}

}  // namespace
}  // namespace pinwatch
