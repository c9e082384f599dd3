// The operator API end to end (issue 17): `pinwatch run` serving /api/v1/ on loopback over a
// real PostgreSQL, after the pin-set rotation of pinsets_test.cc left one pending add
// proposal. Every route refuses a request without a token, with a wrong token or with a
// removed operator's token (401), and a viewer's on each write route (403); bodies that are
// too large, not JSON, of the wrong type, with unknown fields or with bad ids are refused
// (4xx); and none of that changes the database (a canonical dump of the tables the API
// writes, compared before and after). SQL metacharacters are stored verbatim. Two approvers
// through the API make version 2 and the audit log names both; a second vote is 409.
// Failed authentications from one address are slowed (429, Retry-After), and no token
// ever reaches the daemon's log. HostileConnectionsChangeNothingAndNoSecretLeaks: the
// listener under slow-loris, oversized and malformed requests, end to end.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/daemon_fixture.h"
#include "tests/support/raw_client.h"

namespace pinwatch {
namespace {

// A pin that no certificate has: a backup key kept offline.
constexpr char kBackupPin[] = "sha256/YmFja3VwIGtleSBrZXB0IG9mZmxpbmUsIDMyIGJ5dGU=";
// A token of the right shape that no operator has.
constexpr char kWrongToken[] = "pwt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
constexpr char kDatabase[] = "operator_api";

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Answer is what the daemon answered (status 0: no answer at all).
struct Answer {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

rapidjson::Document Parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  return doc;
}

// ErrorCode is error.code of an error answer ("" when the body is not one).
std::string ErrorCode(const Answer& a) {
  rapidjson::Document doc = Parse(a.body);
  if (!doc.IsObject() || !doc.HasMember("error") || !doc["error"].IsObject()) return "";
  const rapidjson::Value& error = doc["error"];
  return error.HasMember("code") && error["code"].IsString() ? error["code"].GetString() : "";
}

// Route is one route of the API; `write` routes are POSTs with a body that would be accepted.
struct Route {
  std::string method, path, body;
  bool write = false;
};

class OperatorApiTest : public DaemonTest {
 protected:
  // Send makes one request from `source` (an address of 127.0.0.0/8: the daemon counts
  // failed authentications per address, so each group of refusals comes from its own) with
  // `token` ("": no Authorization header).
  Answer Send(const std::string& source, const Route& route, const std::string& token,
              const std::string& content_type = "application/json") {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(std::chrono::seconds(10));
    client.set_read_timeout(std::chrono::seconds(60));
    bool bound = false;
    client.set_socket_options([&](socket_t sock) {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      bound = inet_pton(AF_INET, source.c_str(), &addr.sin_addr) == 1 &&
              bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    });
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    httplib::Result res = route.method == "GET" ? client.Get(route.path.c_str(), headers)
                                                : client.Post(route.path.c_str(), headers, route.body, content_type.c_str());
    EXPECT_TRUE(bound) << "cannot send from " << source;
    EXPECT_TRUE(res) << route.method << " " << route.path << ": " << httplib::to_string(res.error());
    if (!res) return {};
    return {.status = res->status, .body = res->body, .headers = res->headers};
  }

  // Snapshot is a canonical dump of what the API can change: each finding's status and
  // note, each proposal's status, the decisions, the pin-set versions, and the audit log's
  // length. A psql error (a table gone) fails the test.
  std::map<std::string, std::string> Snapshot() {
    auto dump = pg_->Psql(
        "SELECT string_agg(k || chr(31) || v, chr(30) ORDER BY k) FROM ("
        "  SELECT 'finding ' || id AS k, status || ' ' || coalesce(status_note, '(null)') AS v FROM findings"
        "  UNION ALL SELECT 'proposal ' || id, status FROM proposals"
        "  UNION ALL SELECT 'decision ' || proposal_id || ' ' || operator, approve::text || ' ' || reason"
        "    FROM proposal_decisions"
        "  UNION ALL SELECT 'version ' || pinset || ' ' || version, origin FROM pinset_versions"
        "  UNION ALL SELECT 'audit_log rows', count(*)::text FROM audit_log) rows",
        kDatabase);
    EXPECT_TRUE(dump.ok()) << dump.status().ToString();
    std::map<std::string, std::string> out;
    if (!dump.ok()) return out;
    for (const std::string& row : Split(*dump, '\x1e')) {
      const size_t sep = row.find('\x1f');
      if (sep != std::string::npos) out[row.substr(0, sep)] = row.substr(sep + 1);
    }
    EXPECT_FALSE(out.empty()) << *dump;
    return out;
  }

  static std::vector<std::string> Split(const std::string& s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t at; (at = s.find(sep, start)) != std::string::npos; start = at + 1) out.push_back(s.substr(start, at - start));
    out.push_back(s.substr(start));
    return out;
  }

  // AddOperator runs `operator add` and returns the token, the last line it printed.
  std::string AddOperator(const std::string& config, const std::string& name, const std::string& role) {
    CommandResult r = Pinwatch(config, {"operator", "add", name, "--role", role});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    const std::string token = out.substr(out.rfind('\n') + 1);
    EXPECT_TRUE(token.starts_with("pwt_")) << r.out;
    tokens_.push_back(token);
    return token;
  }

  int port_ = 0;
  std::vector<std::string> tokens_;  // every token made, for the log check
};

TEST_F(OperatorApiTest, RefusesWithoutChangingAnythingAndTwoApproversApply) {
  // The rotation of pinsets_test.cc, minimal: key-a served, then key-b's precertificate
  // (2000) and certificate (2001) from the same CA; the pin-set holds key-a and a backup.
  auto sim = SimProcess::Start({"--entries", "3000", "--seed", "operator-api", "--epoch-ms",
                                std::to_string((NowS() - 10 * 86400) * 1000), "--plant",
                                "100:x509:e1:key-a:api.mybank.test", "--plant", "2000:both:e1:key-b:api.mybank.test"});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  auto plants = PlantsOf(**sim);
  ASSERT_EQ(plants.size(), 2u);
  const std::string a = plants.at(100).leaf_pin, b = plants.at(2000).leaf_pin;
  ASSERT_EQ(plants.at(100).chain_pins.size(), 2u);
  const std::string root = plants.at(100).chain_pins.at(1);
  const std::string watch = "  - name: mybank.test\n    include_subdomains: true\n    allowed_issuers: [\"" + root +
                            "\"]\n    known_keys: [\"" + a + "\"]\n";
  const std::string rest = "pinsets:\n  - name: api\n    names: [api.mybank.test]\n    pins: [\"" + a + "\", \"" +
                           kBackupPin + "\"]\n    approvals_required: 2\nhttp:\n  listen: 127.0.0.1:0\n";
  const std::string config = WriteConfig("api", NewDatabase(kDatabase), {(*sim)->LogListPath()}, watch, rest);
  CommandResult migrate = Pinwatch(config, {"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  CommandResult once = Pinwatch(config, {"run", "--once"});
  ASSERT_EQ(once.exit_code, 0) << once.err;

  // One pending add of key-b, and findings to act on.
  CommandResult listed = Pinwatch(config, {"proposals", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  rapidjson::Document proposals = Parse(listed.out);
  ASSERT_TRUE(proposals.IsArray() && proposals.Size() == 1) << listed.out;
  ASSERT_STREQ(proposals[0]["action"].GetString(), "add");
  ASSERT_EQ(proposals[0]["pin"].GetString(), b);
  ASSERT_STREQ(proposals[0]["status"].GetString(), "pending");
  const std::string pid = std::to_string(proposals[0]["id"].GetInt64());
  rapidjson::Document findings = FindingsJson(config);
  ASSERT_GE(findings.Size(), 1u);
  const std::string fid = std::to_string(findings[0]["id"].GetInt64());

  const std::string alice = AddOperator(config, "alice", "approver");
  const std::string bob = AddOperator(config, "bob", "approver");
  const std::string vera = AddOperator(config, "vera", "viewer");
  const std::string rex = AddOperator(config, "rex", "approver");
  ASSERT_EQ(Pinwatch(config, {"operator", "remove", "rex"}).exit_code, 0);

  auto child = ChildProcess::Start({PinwatchPath(), "--config", config, "run"});
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  Daemon daemon(std::move(*child));
  port_ = daemon.StartDraining();
  ASSERT_GT(port_, 0);

  const std::string f = "/api/v1/findings/" + fid, p = "/api/v1/proposals/" + pid;
  const std::vector<Route> routes = {
      {"GET", "/api/v1/findings"},
      {"GET", f},
      {"POST", f + "/ack", R"({"note": "seen"})", true},
      {"POST", f + "/resolve", R"({"note": "done"})", true},
      {"POST", f + "/reopen", R"({"note": "again"})", true},
      {"GET", "/api/v1/proposals"},
      {"GET", p},
      {"POST", p + "/approve", R"({"reason": "renewal"})", true},
      {"POST", p + "/reject", R"({"reason": "no"})", true},
      {"GET", "/api/v1/pinsets"},
      {"GET", "/api/v1/pinsets/api"},
      {"GET", "/api/v1/pinsets/api/export?format=json"},
      {"GET", "/api/v1/logs"},
      {"GET", "/api/v1/audit"},
  };

  // No token, a wrong token, a removed operator's token: 401 on every route; a viewer: 403
  // on every write route. Each request from its own address, so none is slowed.
  const auto before_auth = Snapshot();
  for (size_t i = 0; i < routes.size(); ++i) {
    const Route& r = routes[i];
    const std::string host = std::to_string(i + 1);
    Answer none = Send("127.0.1." + host, r, "");
    EXPECT_EQ(none.status, 401) << r.method << " " << r.path << ": " << none.body;
    EXPECT_EQ(ErrorCode(none), "unauthorized") << none.body;
    EXPECT_EQ(none.Header("WWW-Authenticate").substr(0, 6), "Bearer");
    Answer wrong = Send("127.0.2." + host, r, kWrongToken);
    EXPECT_EQ(wrong.status, 401) << r.method << " " << r.path << ": " << wrong.body;
    Answer removed = Send("127.0.3." + host, r, rex);
    EXPECT_EQ(removed.status, 401) << r.method << " " << r.path << ": " << removed.body;
    Answer viewer = Send("127.0.4." + host, r, vera);
    EXPECT_EQ(viewer.status, r.write ? 403 : 200) << r.method << " " << r.path << ": " << viewer.body;
    if (r.write) {
      EXPECT_EQ(ErrorCode(viewer), "forbidden") << viewer.body;
    }
  }
  // A header that is not a bearer token, and a token of a thousand bytes.
  {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Post(routes[7].path.c_str(), {{"Authorization", "Basic YWxpY2U6YWxpY2U="}}, routes[7].body,
                           "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
  }
  EXPECT_EQ(Send("127.0.5.2", routes[7], std::string(1000, 'x')).status, 401);
  EXPECT_EQ(Snapshot(), before_auth);

  // A viewer reads: the shapes the CLI's --json prints.
  {
    Answer list = Send("127.0.6.1", routes[5], vera);
    ASSERT_EQ(list.status, 200) << list.body;
    rapidjson::Document doc = Parse(list.body);
    ASSERT_TRUE(doc.IsArray() && doc.Size() == 1) << list.body;
    EXPECT_EQ(std::to_string(doc[0]["id"].GetInt64()), pid);
    Answer one = Send("127.0.6.1", routes[1], vera);
    ASSERT_EQ(one.status, 200) << one.body;
    EXPECT_EQ(std::to_string(Parse(one.body)["id"].GetInt64()), fid);
    Answer exported = Send("127.0.6.1", routes[11], vera);
    ASSERT_EQ(exported.status, 200) << exported.body;
    EXPECT_NE(exported.body.find(a), std::string::npos) << exported.body;
    EXPECT_NE(exported.Header("Content-Disposition").find("api-json.json"), std::string::npos);
  }

  // Bodies and ids an approver sends that are refused, each with its status and code.
  struct Refused {
    Route route;
    std::string content_type;
    int status;
    std::string code;
  };
  const std::string big = R"({"reason": ")" + std::string(70 << 10, 'x') + R"("})";
  const std::vector<Refused> refused = {
      {{"POST", p + "/approve", big}, "application/json", 413, "payload_too_large"},
      {{"POST", p + "/approve", R"({"reason": "r"})"}, "text/plain", 415, "unsupported_media_type"},
      {{"POST", f + "/ack", R"({"note": "n"})"}, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
      {{"POST", p + "/approve", "not json"}, "application/json", 400, "bad_json"},
      {{"POST", p + "/approve", R"({"reason": "r"} trailing)"}, "application/json", 400, "bad_json"},
      {{"POST", p + "/approve", R"(["reason", "r"])"}, "application/json", 400, "bad_request"},
      {{"POST", p + "/approve", R"({"reason": 5})"}, "application/json", 400, "wrong_type"},
      {{"POST", f + "/ack", R"({"note": ["n"]})"}, "application/json", 400, "wrong_type"},
      {{"POST", p + "/approve", R"({"reason": "x", "extra": 1})"}, "application/json", 400, "unknown_field"},
      // The operator is the token's: a body that names one is refused, not believed.
      {{"POST", p + "/approve", R"({"reason": "x", "operator": "bob"})"}, "application/json", 400, "unknown_field"},
      {{"POST", f + "/resolve", R"({"note": "n", "operator": "bob"})"}, "application/json", 400, "unknown_field"},
      {{"POST", p + "/approve", R"({"reason": "a", "reason": "b"})"}, "application/json", 400, "bad_request"},
      {{"POST", p + "/approve", R"({})"}, "application/json", 422, "missing_field"},
      {{"POST", p + "/reject", R"({"reason": ""})"}, "application/json", 422, "missing_field"},
      {{"POST", p + "/approve", R"({"reason": ")" + std::string(4097, 'r') + R"("})"}, "application/json", 422,
       "too_long"},
      {{"POST", f + "/ack", R"({"note": "\udc00"})"}, "application/json", 400, "bad_text"},
      {{"POST", f + "/ack", R"({"note": "a\u0000b"})"}, "application/json", 400, "bad_text"},
      {{"POST", f + "/ack", "{\"note\": \"\xc3\x28\"}"}, "application/json", 400, "bad_json"},
      {{"POST", "/api/v1/proposals/999999/approve", R"({"reason": "'; DROP TABLE proposals; --"})"}, "application/json",
       404, "not_found"},
      {{"POST", "/api/v1/findings/999999/ack", R"({"note": "n"})"}, "application/json", 404, "not_found"},
      {{"GET", "/api/v1/findings/1;DROP"}, "", 400, "bad_id"},
      {{"POST", "/api/v1/findings/1;DROP/ack", R"({"note": "n"})"}, "application/json", 400, "bad_id"},
      {{"POST", "/api/v1/proposals/1;DROP TABLE proposals/approve", R"({"reason": "r"})"}, "application/json", 400,
       "bad_id"},
      {{"GET", "/api/v1/proposals/0"}, "", 400, "bad_id"},
      {{"GET", "/api/v1/findings/-1"}, "", 400, "bad_id"},
      {{"GET", "/api/v1/findings/abc"}, "", 400, "bad_id"},
      {{"GET", "/api/v1/findings/12345678901234567890"}, "", 400, "bad_id"},
      {{"POST", "/api/v1/proposals/0/approve", R"({"reason": "r"})"}, "application/json", 400, "bad_id"},
      {{"POST", "/api/v1/proposals/-1/reject", R"({"reason": "r"})"}, "application/json", 400, "bad_id"},
      {{"POST", "/api/v1/proposals/abc/approve", R"({"reason": "r"})"}, "application/json", 400, "bad_id"},
      {{"POST", "/api/v1/findings/12345678901234567890/ack", R"({"note": "n"})"}, "application/json", 400, "bad_id"},
      {{"GET", "/api/v1/findings?limit=0"}, "", 400, "bad_parameter"},
      {{"GET", "/api/v1/findings?status=open';--"}, "", 400, "bad_parameter"},
      {{"GET", "/api/v1/findings?order=id;DROP"}, "", 400, "unknown_parameter"},
      {{"GET", p + "/approve"}, "", 405, "method_not_allowed"},
      {{"GET", "/api/v1/pinsets/api'--"}, "", 404, "not_found"},
  };
  const auto before_bodies = Snapshot();
  for (const Refused& c : refused) {
    Answer got = Send("127.0.7.1", c.route, alice, c.content_type);
    EXPECT_EQ(got.status, c.status) << c.route.method << " " << c.route.path << " "
                                    << c.route.body.substr(0, 80) << ": " << got.body;
    EXPECT_EQ(ErrorCode(got), c.code) << c.route.path << " " << c.route.body.substr(0, 80) << ": " << got.body;
  }
  EXPECT_EQ(Snapshot(), before_bodies);

  // SQL metacharacters in a note are stored as given (after the token's operator), and
  // nothing else changes: the tables are all still there.
  const std::string sql = "'; DROP TABLE findings; -- \" \\ $1 %s";
  rapidjson::Document note_doc;
  note_doc.SetObject();
  note_doc.AddMember("note", rapidjson::Value(sql.c_str(), note_doc.GetAllocator()), note_doc.GetAllocator());
  std::map<std::string, std::string> expected = Snapshot();
  {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    note_doc.Accept(w);
    Answer acked = Send("127.0.7.1", {"POST", f + "/ack", buffer.GetString()}, alice);
    ASSERT_EQ(acked.status, 200) << acked.body;
    rapidjson::Document doc = Parse(acked.body);
    EXPECT_STREQ(doc["status"].GetString(), "acknowledged");
    EXPECT_EQ(doc["status_note"].GetString(), "alice: " + sql);
  }
  expected["finding " + fid] = "acknowledged alice: " + sql;
  EXPECT_EQ(Snapshot(), expected);
  Answer reopened = Send("127.0.7.1", {"POST", f + "/reopen", "{}"}, bob);
  ASSERT_EQ(reopened.status, 200) << reopened.body;
  EXPECT_STREQ(Parse(reopened.body)["status"].GetString(), "open");
  EXPECT_STREQ(Parse(reopened.body)["status_note"].GetString(), "bob");

  // Two approvers apply the change; one is not enough, and nobody votes twice.
  const Route approve = {"POST", p + "/approve", R"({"reason": "renewal, checked"})", true};
  const Route pinset = {"GET", "/api/v1/pinsets/api"};
  Answer first = Send("127.0.7.1", approve, alice);
  ASSERT_EQ(first.status, 200) << first.body;
  rapidjson::Document one = Parse(first.body);
  EXPECT_EQ(one["approvals"].GetInt64(), 1);
  EXPECT_STREQ(one["status"].GetString(), "pending");
  EXPECT_EQ(Parse(Send("127.0.7.1", pinset, alice).body)["current_version"].GetInt64(), 1);
  const auto after_first = Snapshot();
  Answer again = Send("127.0.7.1", approve, alice);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(ErrorCode(again), "conflict");
  EXPECT_EQ(Snapshot(), after_first);
  Answer second = Send("127.0.7.1", approve, bob);
  ASSERT_EQ(second.status, 200) << second.body;
  rapidjson::Document two = Parse(second.body);
  EXPECT_EQ(two["approvals"].GetInt64(), 2);
  EXPECT_NE(std::string(two["status"].GetString()), "pending");
  ASSERT_TRUE(two["decisions"].IsArray() && two["decisions"].Size() == 2) << second.body;
  rapidjson::Document shown = Parse(Send("127.0.7.1", pinset, vera).body);
  ASSERT_TRUE(shown.IsObject());
  EXPECT_EQ(shown["current_version"].GetInt64(), 2);
  const auto after_second = Snapshot();
  EXPECT_EQ(Send("127.0.7.1", approve, bob).status, 409);
  EXPECT_EQ(Send("127.0.7.1", {"POST", p + "/reject", R"({"reason": "late"})"}, alice).status, 409);
  EXPECT_EQ(Snapshot(), after_second);

  // The audit log names both approvers, from their tokens; bob's approval made version 2.
  Answer audit = Send("127.0.7.1", routes[13], vera);
  ASSERT_EQ(audit.status, 200) << audit.body;
  bool alice_approved = false, bob_approved = false;
  rapidjson::Document entries = Parse(audit.body);
  ASSERT_TRUE(entries.IsArray()) << audit.body;
  for (const auto& e : entries.GetArray()) {
    if (std::string(e["action"].GetString()) != "approve") continue;
    alice_approved |= std::string(e["operator"].GetString()) == "alice";
    bob_approved |= std::string(e["operator"].GetString()) == "bob" && e["version"].IsInt64() &&
                    e["version"].GetInt64() == 2;
    EXPECT_EQ(std::to_string(e["proposal_id"].GetInt64()), pid);
  }
  EXPECT_TRUE(alice_approved && bob_approved) << audit.body;

  // Slowed: ten failed authentications from one address are answered 401, the eleventh
  // 429 with Retry-After; that address is refused even with a good token for the window,
  // while another address is not.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Send("127.0.9.1", routes[0], kWrongToken).status, 401) << "attempt " << i + 1;
  }
  Answer slowed = Send("127.0.9.1", routes[0], kWrongToken);
  EXPECT_EQ(slowed.status, 429) << slowed.body;
  EXPECT_EQ(ErrorCode(slowed), "too_many_requests");
  EXPECT_EQ(slowed.Header("Retry-After"), "60");
  EXPECT_EQ(Send("127.0.9.1", routes[0], vera).status, 429);
  EXPECT_EQ(Send("127.0.9.2", routes[0], vera).status, 200);

  // No token, good or bad, is in anything the daemon wrote.
  const std::string log = daemon.Stop();
  EXPECT_EQ(daemon.exit_code(), 0) << log;
  EXPECT_NE(log.find("http: serving"), std::string::npos);
  tokens_.push_back(kWrongToken);
  for (const std::string& token : tokens_) {
    EXPECT_EQ(log.find(token), std::string::npos) << "a token in the log:\n" << log;
    EXPECT_EQ(log.find(token.substr(4)), std::string::npos) << "a token's secret part in the log:\n" << log;
  }
}

// The listener of `pinwatch run` under hostile connections (issue 19), end to end: more
// slow-loris connections than cpp-httplib's pool had threads, on every route (the page,
// /metrics, the probes, /v1/pinsets/ and each API route, reads and writes), are each
// answered 408 and closed within the I/O bound while an operator's API request is answered;
// oversized and malformed requests with an approver's token are refused with their status;
// and none of it changes the database. Nothing secret (a token, the database password, the
// signing key) is in the daemon's output or in /metrics.
TEST_F(OperatorApiTest, HostileConnectionsChangeNothingAndNoSecretLeaks) {
  auto sim = SimProcess::Start({"--entries", "400", "--seed", "operator-hostile", "--plant",
                                "100:x509:e1:key-a:api.mybank.test"});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  auto plants = PlantsOf(**sim);
  ASSERT_EQ(plants.size(), 1u);
  const std::string a = plants.at(100).leaf_pin;
  const std::string watch = "  - name: mybank.test\n    include_subdomains: true\n    known_keys: [\"" + a + "\"]\n";
  ASSERT_EQ(std::system(("cd " + dir_ + " && " + PinwatchPath() + " keygen --out signing.pem > public.pem 2>/dev/null").c_str()), 0);
  std::stringstream key_text;
  key_text << std::ifstream(dir_ + "/signing.pem").rdbuf();
  const std::string rest = "pinsets:\n  - name: api\n    names: [api.mybank.test]\n    pins: [\"" + a + "\", \"" +
                           kBackupPin + "\"]\npublish:\n  signing_key: " + dir_ + "/signing.pem\n  directory: " + dir_ +
                           "/published\nhttp:\n  listen: 127.0.0.1:0\n";
  // A database password (the test server trusts loopback, so any is accepted; it is in the
  // configuration all the same, which is what must not leak).
  const std::string password = "pw-S3cr3t-" + std::to_string(NowS());
  std::string url = NewDatabase(kDatabase);
  ASSERT_NE(url.find("pinwatch@"), std::string::npos) << url;
  url.replace(url.find("pinwatch@"), 9, "pinwatch:" + password + "@");
  const std::string config = WriteConfig("hostile", url, {(*sim)->LogListPath()}, watch, rest);
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  CommandResult once = Pinwatch(config, {"run", "--once"});
  ASSERT_EQ(once.exit_code, 0) << once.err;
  const std::string alice = AddOperator(config, "alice", "approver");
  const std::string vera = AddOperator(config, "vera", "viewer");
  const std::string rex = AddOperator(config, "rex", "approver");
  ASSERT_EQ(Pinwatch(config, {"operator", "remove", "rex"}).exit_code, 0);
  rapidjson::Document findings = FindingsJson(config);
  ASSERT_GE(findings.Size(), 1u);
  const std::string f = "/api/v1/findings/" + std::to_string(findings[0]["id"].GetInt64());

  auto child = ChildProcess::Start({PinwatchPath(), "--config", config, "run"});
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  Daemon daemon(std::move(*child));
  port_ = daemon.StartDraining();
  ASSERT_GT(port_, 0);
  const auto before = Snapshot();

  // Every route, each slow in its head (one byte at a time) and, for writes, in its body
  // (a whole head with alice's token, then a body slower than its Content-Length).
  const std::vector<std::string> reads = {"/",        "/app.js",          "/endpoints",
                                          "/metrics", "/healthz",         "/readyz",
                                          "/openapi.json", "/v1/pinsets/api.json", "/api/v1/findings",
                                          f,          "/api/v1/proposals", "/api/v1/proposals/1",
                                          "/api/v1/pinsets", "/api/v1/pinsets/api", "/api/v1/pinsets/api/export?format=json",
                                          "/api/v1/logs", "/api/v1/audit"};
  const std::vector<std::string> writes = {f + "/ack", f + "/resolve", f + "/reopen", "/api/v1/proposals/1/approve",
                                           "/api/v1/proposals/1/reject"};
  using Clock = std::chrono::steady_clock;
  testing::SlowClients slow;
  int opened_count = 0;
  const Clock::time_point opened = Clock::now();
  const auto open = [&](const std::string& request, size_t first) {
    const std::string source = "127.0.10." + std::to_string(1 + opened_count++ % 4);
    EXPECT_TRUE(slow.Open(port_, source, request, first)) << request.substr(0, 60);
  };
  for (int round = 0; round < 2; ++round) {
    for (const std::string& path : reads) {
      open("GET " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + vera + "\r\nX-Slow: " +
               std::string(4000, 'a') + "\r\n\r\n",
           1);
    }
    for (const std::string& path : writes) {
      const std::string head = "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice +
                               "\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n";
      open(head + "{\"note\": \"" + std::string(3986, 'n') + "\"}", head.size() + 1);
      open("POST " + path + " HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(4000, 'a') + "\r\n\r\n", 1);
    }
  }
  ASSERT_GT(opened_count, 8 * 2);  // more than twice httplib's pool of max(8, cores - 1)
  slow.Start(std::chrono::milliseconds(200), opened + std::chrono::seconds(40));

  // Meanwhile vera lists the findings, and the probes answer.
  const Clock::time_point asked = Clock::now();
  Answer listed = Send("127.0.11.1", {"GET", "/api/v1/findings"}, vera);
  const int64_t answered_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - asked).count();
  const int held = slow.OpenNow();
  EXPECT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(held, opened_count) << "slow connections were closed before the request was answered";
  EXPECT_LT(answered_ms, 5000) << "the API request waited for the slow connections";
  std::printf("[ measured ] %d slow connections to pinwatch run held; GET /api/v1/findings answered in %lld ms\n",
              held, static_cast<long long>(answered_ms));

  slow.Join();
  int64_t latest_ms = 0;
  for (const testing::SlowClients::Slow& c : slow.clients()) {
    ASSERT_TRUE(c.client->closed()) << c.request.substr(0, 60);
    EXPECT_EQ(c.client->Status(), 408) << c.request.substr(0, 60) << ": " << c.client->received().substr(0, 200);
    latest_ms = std::max<int64_t>(
        latest_ms, std::chrono::duration_cast<std::chrono::milliseconds>(c.client->closed_at() - opened).count());
  }
  EXPECT_LT(latest_ms, 30'000);  // the I/O bound is 10 s
  std::printf("[ measured ] the last slow connection was closed %lld ms after it opened (I/O bound 10000 ms)\n",
              static_cast<long long>(latest_ms));
  EXPECT_EQ(Snapshot(), before);

  // Out of bounds with a good token, on a write route: refused before the API sees it.
  const std::string token = "Authorization: Bearer " + alice + "\r\nContent-Type: application/json\r\n";
  std::string many_headers;
  for (int i = 0; i < 2000; ++i) many_headers += "X-H" + std::to_string(i) + ": v\r\n";
  const std::vector<std::pair<std::string, int>> refused = {
      {"POST " + f + "/ack?" + std::string(9000, 'q') + " HTTP/1.1\r\n" + token + "Content-Length: 2\r\n\r\n{}", 414},
      {"POST " + f + "/ack HTTP/1.1\r\n" + token + "X-Big: " + std::string(9000, 'b') + "\r\nContent-Length: 2\r\n\r\n{}",
       431},
      {"POST " + f + "/ack HTTP/1.1\r\n" + token + many_headers + "Content-Length: 2\r\n\r\n{}", 431},
      {"POST " + f + "/ack HTTP/1.1\r\n" + token + "Content-Length: 1000000000\r\n\r\n", 413},
      {"POST " + f + "/ack HTTP/1.1\r\n" + token + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"no\"\r\n", 411},
      {"POST " + f + "/ack HTTP/1.1\r\n" + token + "Content-Length: 2\r\nContent-Length: 20\r\n\r\n{}", 400},
      {"POST " + f + "/ack HTTP/1.1\n" + token + "Content-Length: 2\r\n\r\n{}", 400},
  };
  for (const auto& [request, status] : refused) {
    auto client = testing::RawClient::Connect(port_, "127.0.12.1");
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Send(request));
    ASSERT_TRUE(client->ReadUntilClosed(Clock::now() + std::chrono::seconds(20))) << request.substr(0, 60);
    EXPECT_EQ(client->Status(), status) << request.substr(0, 80) << ": " << client->received().substr(0, 300);
    EXPECT_EQ(Send("127.0.11.1", {"GET", "/healthz"}, "").status, 200);
  }
  EXPECT_EQ(Snapshot(), before);
  // The same token does act when the request is in bounds.
  EXPECT_EQ(Send("127.0.11.1", {"POST", f + "/ack", R"({"note": "in bounds"})"}, alice).status, 200);
  EXPECT_EQ(Send("127.0.11.2", {"GET", "/api/v1/findings"}, rex).status, 401);

  // Nothing secret in /metrics or in what the daemon wrote.
  Answer metrics = Send("127.0.11.1", {"GET", "/metrics"}, "");
  ASSERT_EQ(metrics.status, 200);
  const std::string log = daemon.Stop();
  EXPECT_EQ(daemon.exit_code(), 0) << log;
  std::vector<std::string> secrets = {password};
  for (const std::string& t : tokens_) secrets.insert(secrets.end(), {t, t.substr(4)});
  std::istringstream pem(key_text.str());
  for (std::string line; std::getline(pem, line);) {
    if (!line.starts_with("-----") && line.size() >= 16) secrets.push_back(line);  // the key's base64 lines
  }
  ASSERT_GE(secrets.size(), 8u);
  for (const std::string& secret : secrets) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "a secret in the daemon's output:\n" << log;
    EXPECT_EQ(metrics.body.find(secret), std::string::npos) << "a secret in /metrics";
  }
}

}  // namespace
}  // namespace pinwatch
