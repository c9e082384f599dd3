// Crash anywhere (issue 19): kill -9 pinwatch twenty times during a backfill with planted
// certificates, alerts and a pin-set approval, restart it after each, and end exactly where an
// uninterrupted run ends: the same findings, alerts, proposals and pin-set versions, none lost
// and none doubled, and the log verified to its tree head (Merkle verification resumed).
//
// Everything is real: two identical ctsim logs (same seed and epoch, so the same entries and
// log key), a PostgreSQL database and an Alertmanager per run, the pinwatch binary.
//
// Most kills are aimed, not hoped for. The test holds a lock of its own that a daemon
// transaction needs, waits until pg_stat_activity shows the daemon waiting for it (so the
// daemon is provably inside that transaction, or between an Alertmanager's answer and its
// record), kills, then lets go. The rest are random delays (seeded; PINWATCH_CRASH_SEED
// repeats a run), a kill when a commit's write transaction is seen open, and a kill as the
// daemon creates a pin-set file (inotify), while it writes it.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "net/http.h"
#include "tests/integration/daemon_fixture.h"
#include "tests/support/alertmanager_server.h"

namespace pinwatch {
namespace {

using testing::Alert;
using testing::AlertmanagerServer;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The log: 20,000 entries at first; at that head it grows to 30,000 (so restarts after that
// resume with a verified tree head and must check a consistency proof to the new one); after
// the approval it grows to 32,000 while the daemon is down.
constexpr uint64_t kFirstSize = 20000, kGrownSize = 30000, kFinalSize = 32000;

// A plant, and what it becomes under the watch list of Setup below.
struct PlantSpec {
  uint64_t index;
  const char* spec;
  bool match;     // a finding is stored
  bool alerting;  // at least one finding of severity warning or critical
};
const std::vector<PlantSpec> kCrashPlants = {
    {100, "100:x509:e1:key-a:api.mybank.test", true, false},                 // known_key (the pin-set's key)
    {2500, "2500:both:e1:key-b:api.mybank.test", true, true},                // rotation: unexpected_key, a proposal
    {5000, "5000:precert:rogue:key-c:login.mybank.test", true, true},        // unexpected_issuer
    {8000, "8000:x509:e2:key-a:mybank.test,shop.partner.test", true, true},  // known_key + unexpected_key
    {11000, "11000:malformed:normal::broken.mybank.test", true, true},       // malformed
    {14000, "14000:x509:normal::unrelated.example", false, false},           // not watched: nothing
    {17000, "17000:precert:rogue:key-d:pay.mybank.test", true, true},        // unexpected_issuer
    {21000, "21000:x509:e2:key-e:mail.mybank.test", true, true},             // unexpected_key
    {24000, "24000:both:rogue:key-f:vpn.mybank.test", true, true},           // unexpected_issuer (two entries)
    {27000, "27000:x509:e1:key-g:www.mybank.test", true, true},              // unexpected_key
    {29000, "29000:precert:rogue:key-h:sso.mybank.test", true, true},        // unexpected_issuer
    {31000, "31000:x509:rogue:key-i:late.mybank.test", true, true},          // after the approval's growth
};
constexpr size_t kExpectedFindings = 12;  // 8000 makes two, 14000 none, the others one each
constexpr size_t kExpectedAlerts = 10;    // all but the two known_key (info)

// A backup key kept offline: the pin-set's second pin (min_pins 2).
constexpr char kBackupPin[] = "sha256/YmFja3VwIGtleSBrZXB0IG9mZmxpbmUsIDMyIGJ5dGU=";

// Sql is the test's own connection for fast polls (a psql process per poll would be too slow
// to see a transaction in progress). Autocommit: every query sees the present.
class Sql {
 public:
  explicit Sql(const std::string& url) : conn_(url) {}
  std::vector<std::string> Row(const std::string& query) {
    pqxx::nontransaction n(conn_);
    pqxx::result r = n.exec(query);
    std::vector<std::string> out;
    if (r.empty()) return out;
    for (const auto& field : r[0]) out.push_back(field.is_null() ? "" : field.c_str());
    return out;
  }
  std::string Text(const std::string& query) {
    std::vector<std::string> row = Row(query);
    return row.empty() ? "" : row[0];
  }
  int64_t Number(const std::string& query) {
    const std::string t = Text(query);
    return t.empty() ? 0 : std::stoll(t);
  }

 private:
  pqxx::connection conn_;
};

// HeldLock is a transaction of the test's that takes a lock (`lock_sql`) and holds it until
// Release (or destruction), on a connection of its own.
class HeldLock {
 public:
  HeldLock(const std::string& url, const std::string& lock_sql) : conn_(url), tx_(std::make_unique<pqxx::work>(conn_)) {
    rows_ = tx_->exec(lock_sql).size();
  }
  ~HeldLock() { Release(); }
  // rows is how many rows the locking statement returned (a row lock's rows).
  size_t rows() const { return rows_; }
  // Number runs a query inside the lock's transaction (it may read what the lock keeps
  // others from) and returns its first value (0 for none).
  int64_t Number(const std::string& query) {
    pqxx::result r = tx_->exec(query);
    return r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<int64_t>();
  }
  void Release() {
    if (tx_) {
      tx_->abort();
      tx_.reset();
    }
  }

 private:
  pqxx::connection conn_;
  std::unique_ptr<pqxx::work> tx_;
  size_t rows_ = 0;
};

// PollUntil calls `done` every `every` until it returns true (then true) or `timeout` passes
// (then false), calling `tick` before each try.
bool PollUntil(const std::function<bool()>& done, Clock::duration timeout, const std::function<void()>& tick = {},
               milliseconds every = milliseconds(2)) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (tick) tick();
    if (done()) return true;
    std::this_thread::sleep_for(every);
  }
  return false;
}

// BlockedOn counts the other sessions of this database waiting for a lock while running a
// statement that contains `needle` (pg_stat_activity.query is the statement in progress).
int64_t BlockedOn(Sql& sql, const std::string& needle) {
  return sql.Number(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
      "AND wait_event_type = 'Lock' AND query LIKE '%" + needle + "%'");
}

// A commit's statements (db/pg_log_state_store.cc Commit, db/pg_rows.cc): a session running
// one with a transaction id is inside a commit that has written something and not ended.
constexpr char kCommitOpenSql[] =
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND backend_xid IS NOT NULL AND (query LIKE '%UPDATE logs SET position%' OR query LIKE '%INSERT INTO certificate%' "
    "OR query LIKE '%INSERT INTO findings%' OR query LIKE '%INSERT INTO replica_log_entries%' "
    "OR query LIKE '%UPDATE certificate_entries SET verified%')";

// Sessions waiting for an advisory lock (the pin-set's: db/pg_pin_store.cc LockPinset).
constexpr char kAdvisoryWaitSql[] =
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'advisory'";

// The kinds of moment a kill aims at.
enum class Moment {
  kRandom,               // a random delay over the backfill's expected remaining time
  kCommitWithMatch,      // held inside a commit that stores a finding (alert_outbox locked)
  kCommitLastStatement,  // held at a commit's last statement (replica_log_entries locked)
  kCommitSeenOpen,       // a commit's write transaction seen open (no lock: may land at COMMIT)
  kAlertBeforeSend,      // a new finding committed, the sender held before it asks what is owed
  kAlertSentUnrecorded,  // Alertmanager accepted the alerts, the sender held before recording it
  kApproveRandom,        // `proposals approve` (the first approver) and the daemon at a random delay
  kApproveMidDecision,   // the second approval held inside its transaction, with the daemon
  kPublishInDatabase,    // the daemon held storing the new version's signed document
  kPublishWritingFiles,  // the daemon as it creates the first pin-set file (inotify)
};

const char* MomentName(Moment m) {
  switch (m) {
    case Moment::kRandom: return "random delay";
    case Moment::kCommitWithMatch: return "inside a commit storing a finding";
    case Moment::kCommitLastStatement: return "inside a commit, at its last statement";
    case Moment::kCommitSeenOpen: return "a commit's transaction seen open";
    case Moment::kAlertBeforeSend: return "finding committed, alert not yet sent";
    case Moment::kAlertSentUnrecorded: return "alert accepted, not yet recorded";
    case Moment::kApproveRandom: return "first approval (CLI) at a random delay";
    case Moment::kApproveMidDecision: return "second approval inside its transaction";
    case Moment::kPublishInDatabase: return "storing the signed version";
    case Moment::kPublishWritingFiles: return "writing the published files";
  }
  return "?";
}

// Str serialises a JSON value compactly.
std::string Str(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  v.Accept(w);
  return buffer.GetString();
}

// Fields renders the named members of `obj` (absent ones as "-"), in the given order.
std::string Fields(const rapidjson::Value& obj, const std::vector<const char*>& names) {
  std::string out;
  for (const char* n : names) out += std::string(n) + "=" + (obj.HasMember(n) ? Str(obj[n]) : "-") + " ";
  return out;
}

// What one run ends with, in forms that compare across runs (no ids, times or URLs).
struct Outcome {
  std::multiset<std::string> findings;
  std::multiset<std::string> alerts;  // labels, and the finding each one's finding_id names
  std::multiset<std::string> proposals;  // with their evidence and decisions
  std::multiset<std::string> audit;      // every pin-set decision and publication
  std::vector<std::string> versions;  // the pin-set's versions and their signed documents (times left out)
  std::set<std::string> published_files;
  std::string published_document;     // the published api.json, times left out
  uint64_t position = 0, verified_tree_size = 0, latest_tree_size = 0;
  int64_t outbox_rows = 0, delivery_rows = 0, entries_committed = 0, certificate_entries = 0;
};

// DocumentWithoutTimes is a pin-set document with "expires" and "published_at" removed.
std::string DocumentWithoutTimes(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  if (!doc.IsObject()) return "unparsable: " + text;
  doc.RemoveMember("expires");
  doc.RemoveMember("published_at");
  return Str(doc);
}

// One run's parts.
struct RunParts {
  std::string name;
  std::unique_ptr<SimProcess> sim;
  std::unique_ptr<AlertmanagerServer> am;
  std::string db_url, config, workstation_config, publish_dir;
  std::unique_ptr<Sql> sql;
  bool grown = false;  // kFirstSize -> kGrownSize done
};

class CrashAnywhereTest : public DaemonTest {
 protected:
  // Setup starts the run's log, Alertmanager and database and writes its two configurations:
  // the daemon's, and an operator's workstation's without `publish` (the second approver
  // has no signing key there, so the daemon publishes: a moment of its own to kill in).
  void Setup(RunParts& r, const std::string& name, int64_t epoch_ms) {
    r.name = name;
    // Every answer of the log takes 100 ms: the backfill lasts long enough to be killed in.
    std::vector<std::string> args = {"--entries", std::to_string(kFirstSize), "--seed", "crash-anywhere",
                                     "--epoch-ms", std::to_string(epoch_ms), "--fault-delay-ms", "100"};
    for (const PlantSpec& p : kCrashPlants) args.insert(args.end(), {"--plant", p.spec});
    auto sim = SimProcess::Start(args);
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    r.sim = std::move(*sim);
    auto am = AlertmanagerServer::Start();
    ASSERT_TRUE(am.ok()) << am.status().ToString();
    r.am = std::move(*am);
    r.db_url = NewDatabase(name);
    auto plants = PlantsOf(*r.sim);
    ASSERT_EQ(plants.size(), kCrashPlants.size());
    const std::string watch = "  - name: mybank.test\n    include_subdomains: true\n    allowed_issuers: [\"" +
                              plants.at(100).issuer_pin + "\", \"" + plants.at(8000).issuer_pin +
                              "\"]\n    known_keys: [\"" + plants.at(100).leaf_pin + "\"]\n  - name: shop.partner.test\n";
    // Small batches and frequent commits make many moments; the same replica id after a
    // restart is how a service manager restarts it (its leases are its own at once).
    const std::string common =
        "  replica_id: crashy\n  commit_every_entries: 500\n  commit_interval_ms: 100\n  pinset_interval_s: 1\n"
        "http:\n  listen: 127.0.0.1:0\nalerts:\n  alertmanager_urls: [" + r.am->url() + "]\n  resend_interval: 5s\n"
        "pinsets:\n  - name: api\n    names: [api.mybank.test]\n    pins: [\"" + plants.at(100).leaf_pin + "\", \"" +
        kBackupPin + "\"]\n    min_pins: 2\n    approvals_required: 2\n";
    r.publish_dir = dir_ + "/published-" + name;
    const std::string logs = "  entries_per_request: 128\n  requests_in_flight: 2\n";
    const std::string publish =
        "publish:\n  signing_key: " + dir_ + "/signing.pem\n  directory: " + r.publish_dir + "\n";
    const std::vector<std::string> lists = {r.sim->LogListPath()};
    r.config = WriteConfig(name, r.db_url, lists, watch, common + publish, "0", logs);
    r.workstation_config = WriteConfig(name + "-workstation", r.db_url, lists, watch, common, "0", logs);
    ASSERT_EQ(Pinwatch(r.config, {"migrate"}).exit_code, 0);
    for (const char* op : {"alice", "bob"}) ASSERT_EQ(Pinwatch(r.config, {"operator", "add", op}).exit_code, 0);
    r.sql = std::make_unique<Sql>(r.db_url);
  }

  std::unique_ptr<ChildProcess> StartDaemon(const RunParts& r) {
    auto child = ChildProcess::Start({PinwatchPath(), "--config", r.config, "run"});
    EXPECT_TRUE(child.ok()) << child.status().ToString();
    return child.ok() ? std::move(*child) : nullptr;
  }

  std::unique_ptr<ChildProcess> StartApprove(const std::string& config, int64_t proposal, const std::string& op) {
    auto child = ChildProcess::Start(
        {PinwatchPath(), "--config", config, "proposals", "approve", std::to_string(proposal), "--operator", op,
         "--reason", "rotation seen in CT"});
    EXPECT_TRUE(child.ok()) << child.status().ToString();
    return child.ok() ? std::move(*child) : nullptr;
  }

  static uint64_t Position(RunParts& r) { return r.sql->Number("SELECT coalesce(position, 0) FROM logs"); }
  static uint64_t Verified(RunParts& r) { return r.sql->Number("SELECT verified_tree_size FROM logs"); }

  // Tick grows the log to kGrownSize once it is verified to kFirstSize: the growth is an
  // event of the log's, not of the daemon's, so both runs see the same one.
  static void Tick(RunParts& r) {
    if (r.grown || Verified(r) < kFirstSize) return;
    ASSERT_TRUE(r.sim->Post("/sim/grow?n=" + std::to_string(kGrownSize - kFirstSize)).ok());
    r.grown = true;
  }

  static int64_t PendingProposal(RunParts& r) {
    return r.sql->Number("SELECT id FROM proposals WHERE pinset = 'api' AND action = 'add' AND status = 'pending'");
  }

  // AllDelivered: every outbox alert accepted by the run's Alertmanager, which lists them.
  static bool AllDelivered(RunParts& r, size_t alerts) {
    if (r.sql->Number("SELECT count(*) FROM alert_outbox") != static_cast<int64_t>(alerts)) return false;
    if (r.sql->Number("SELECT count(*) FROM alert_deliveries WHERE last_sent_at IS NOT NULL") !=
        static_cast<int64_t>(alerts)) {
      return false;
    }
    auto listed = r.am->Alerts();
    return listed.ok() && listed->size() == alerts;
  }

  // WaitForTheEnd waits until the run has everything an uninterrupted run ends with: the
  // log verified to kFinalSize, version 2 published and in the directory, every alert
  // delivered (and listed by Alertmanager).
  void WaitForTheEnd(RunParts& r, ChildProcess& daemon) {
    const bool done = PollUntil(
        [&] {
          return Verified(r) == kFinalSize && Position(r) == kFinalSize &&
                 r.sql->Number("SELECT count(*) FROM pinset_versions WHERE version = 2 AND document IS NOT NULL") == 1 &&
                 std::filesystem::exists(r.publish_dir + "/api.json") &&
                 DocumentWithoutTimes(ReadAll(r.publish_dir + "/api.json")).find("\"version\":2") != std::string::npos &&
                 FilesIn(r.publish_dir) == std::set<std::string>{"api.json", "api.json.sig"} &&
                 AllDelivered(r, kExpectedAlerts);
        },
        seconds(60), {}, milliseconds(50));
    std::string files;
    for (const std::string& f : FilesIn(r.publish_dir)) files += " " + f;
    ASSERT_TRUE(done) << r.name << ": position " << Position(r) << ", verified " << Verified(r) << ", published:" << files
                      << "\n" << daemon.output();
  }

  static std::set<std::string> FilesIn(const std::string& dir) {
    std::set<std::string> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) out.insert(entry.path().filename().string());
    return out;
  }

  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // Snapshot reads the run's outcome through the CLI (as an operator would) and Alertmanager.
  void Snapshot(RunParts& r, Outcome& out) {
    rapidjson::Document findings = FindingsJson(r.config);
    ASSERT_TRUE(findings.IsArray());
    std::map<int64_t, std::string> by_id;
    for (const auto& f : findings.GetArray()) {
      std::string row = Fields(f, {"kind", "severity", "status", "watched", "names", "ip_addresses", "spki_sha256",
                                   "issuer_spki_sha256", "tbs_sha256", "not_before", "not_after", "subject", "issuer",
                                   "serial", "certificate_parsed", "parse_error", "reason"});
      for (const auto& e : f["entries"].GetArray()) row += Fields(e, {"log_id", "index", "entry_type", "verified"});
      by_id[f["id"].GetInt64()] = row;
      out.findings.insert(row);
    }
    auto alerts = r.am->Alerts();
    ASSERT_TRUE(alerts.ok()) << alerts.status().ToString();
    for (const Alert& a : *alerts) {
      std::string row;
      int64_t finding = 0;
      for (const auto& [k, v] : a.labels) {
        if (k == "finding_id") finding = std::atoll(v.c_str());
        else row += k + "=" + v + " ";
      }
      row += "-> " + (by_id.count(finding) ? by_id.at(finding) : "no finding " + std::to_string(finding));
      out.alerts.insert(row);
    }
    rapidjson::Document proposals = Json(r.config, {"proposals", "--json"});
    ASSERT_TRUE(proposals.IsArray());
    for (const auto& p : proposals.GetArray()) {
      std::string row = Fields(p, {"pinset", "action", "pin", "role", "status", "approvals", "approvals_required",
                                   "base_version", "applied_version"});
      std::set<std::string> deciders;
      for (const auto& d : p["decisions"].GetArray()) {
        deciders.insert(std::string(d["operator"].GetString()) + ":" + d["decision"].GetString());
      }
      for (const std::string& d : deciders) row += d + " ";
      row += Fields(p, {"reason", "lead_time_s", "first_precertificate_at", "first_certificate_at"});
      std::multiset<std::string> evidence;  // the certificates and their log entries
      for (const auto& e : p["evidence"].GetArray()) {
        std::string cert = Fields(e, {"tbs_sha256", "spki_sha256", "issuer_spki_sha256", "serial"});
        for (const auto& x : e["entries"].GetArray()) cert += Fields(x, {"index", "entry_type", "verified"});
        cert += "findings=" + std::to_string(e["finding_ids"].Size());
        evidence.insert(cert);
      }
      for (const std::string& e : evidence) row += "[" + e + "] ";
      out.proposals.insert(row);
    }
    rapidjson::Document pinset = Json(r.config, {"pinset", "show", "api", "--json"});
    ASSERT_TRUE(pinset.IsObject());
    std::string current_document;
    for (const auto& v : pinset["versions"].GetArray()) {
      std::string row = Fields(v, {"version", "pins", "names", "include_subdomains", "expiry_days", "origin"});
      row += "document=" + (v["document"].IsString() ? DocumentWithoutTimes(v["document"].GetString()) : "none");
      out.versions.push_back(row);
      if (v["document"].IsString()) current_document = v["document"].GetString();
    }
    rapidjson::Document audit = Json(r.config, {"audit", "--json"});
    ASSERT_TRUE(audit.IsArray());
    for (const auto& a : audit.GetArray()) {
      out.audit.insert(Fields(a, {"operator", "action", "pinset", "version", "reason", "detail"}));
    }
    out.published_files = FilesIn(r.publish_dir);
    const std::string published = ReadAll(r.publish_dir + "/api.json");
    EXPECT_EQ(published, current_document) << r.name << ": the file is not the stored document of the current version";
    out.published_document = DocumentWithoutTimes(published);
    CommandResult verify = RunCommand({PinwatchPath(), "pinset", "verify", r.publish_dir + "/api.json", "--public-key",
                                       dir_ + "/public.pem"})
                               .value();
    EXPECT_EQ(verify.exit_code, 0) << r.name << ": " << verify.out << verify.err;
    rapidjson::Document status = StatusOfOnlyLog(r.config);
    ASSERT_TRUE(status.IsObject());
    out.position = status["position"].GetUint64();
    out.verified_tree_size = status["verified_tree_size"].GetUint64();
    out.latest_tree_size = status["latest_tree_size"].GetUint64();
    out.outbox_rows = r.sql->Number("SELECT count(*) FROM alert_outbox");
    out.delivery_rows = r.sql->Number("SELECT count(*) FROM alert_deliveries");
    out.entries_committed = r.sql->Number("SELECT sum(entries_committed) FROM replica_log_entries");
    out.certificate_entries = r.sql->Number("SELECT count(*) FROM certificate_entries");
  }
};

// ConsistencyProofsChecked is how many get-sth-consistency requests the daemon serving
// /metrics at `port` made and got a 200 for (each proof is checked before entries are read).
double ConsistencyProofsChecked(int port) {
  net::HttpClient http;
  auto metrics = http.Get("http://127.0.0.1:" + std::to_string(port) + "/metrics");
  if (!metrics.ok()) return -1;
  double sum = 0;
  std::istringstream lines(metrics->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("pinwatch_fetch_requests_total{") &&
        line.find("endpoint=\"get-sth-consistency\"") != std::string::npos &&
        line.find("outcome=\"success\"") != std::string::npos) {
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return sum;
}

// DirectoryWatch reports files created in a directory (inotify), from its construction on.
class DirectoryWatch {
 public:
  explicit DirectoryWatch(const std::string& dir) : fd_(inotify_init1(IN_CLOEXEC)) {
    EXPECT_GE(fd_, 0) << std::strerror(errno);
    EXPECT_GE(inotify_add_watch(fd_, dir.c_str(), IN_CREATE), 0) << dir << ": " << std::strerror(errno);
  }
  ~DirectoryWatch() { close(fd_); }
  DirectoryWatch(const DirectoryWatch&) = delete;
  DirectoryWatch& operator=(const DirectoryWatch&) = delete;

  // NextCreated returns the name of the next file created whose name starts with `prefix`
  // (and is longer); kUnavailable after `timeout`.
  Result<std::string> NextCreated(const std::string& prefix, seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    alignas(inotify_event) char buf[4096];
    while (Clock::now() < deadline) {
      pollfd pfd = {fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      if (poll(&pfd, 1, static_cast<int>(std::max<int64_t>(left, 1))) <= 0) continue;
      const ssize_t n = read(fd_, buf, sizeof buf);
      for (ssize_t at = 0; n > 0 && at < n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buf + at);
        const std::string name = event->len > 0 ? event->name : "";
        if (name.size() > prefix.size() && name.starts_with(prefix)) return name;
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
    return UnavailableError("no file " + prefix + "* was created in time");
  }

 private:
  int fd_;
};

int PortOf(ChildProcess& daemon) {
  auto line = daemon.WaitForLine("http: serving");
  EXPECT_TRUE(line.ok()) << daemon.output();
  constexpr std::string_view kPrefix = "http://127.0.0.1:";
  const size_t at = line.ok() ? line->find(kPrefix) : std::string::npos;
  return at == std::string::npos ? 0 : std::atoi(line->c_str() + at + kPrefix.size());
}

TEST_F(CrashAnywhereTest, TwentyKillsAnywhereEndWhereAnUninterruptedRunEnds) {
  const auto test_start = Clock::now();
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("PINWATCH_CRASH_SEED"); s && *s) seed = std::strtoull(s, nullptr, 10);
  std::cout << "crash_anywhere: seed " << seed << " (repeat with PINWATCH_CRASH_SEED=" << seed << ")" << std::endl;
  std::mt19937_64 rng(seed);

  const std::string keygen = "cd " + dir_ + " && " + PinwatchPath() + " keygen --out signing.pem > public.pem 2>/dev/null";
  ASSERT_EQ(std::system(keygen.c_str()), 0);
  // Ten days old: every planted certificate is valid today, as a proposal's must be.
  const int64_t epoch_ms =
      (std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch()).count() - 10 * 86400) *
      1000;

  // ---- The reference: one uninterrupted run. ----
  RunParts ref;
  Setup(ref, "reference", epoch_ms);
  ASSERT_FALSE(HasFatalFailure());
  auto daemon = StartDaemon(ref);
  ASSERT_NE(daemon, nullptr);
  const auto ref_start = Clock::now();
  ASSERT_TRUE(PollUntil([&] { return Verified(ref) == kGrownSize; }, seconds(120), [&] { Tick(ref); },
                        milliseconds(20)))
      << daemon->output();
  const double backfill_s = std::chrono::duration<double>(Clock::now() - ref_start).count();
  const double entries_per_s = kGrownSize / backfill_s;
  ASSERT_TRUE(PollUntil([&] { return PendingProposal(ref) > 0; }, seconds(30), {}, milliseconds(20)));
  const int64_t ref_proposal = PendingProposal(ref);
  auto approve_started = Clock::now();
  CommandResult alice = Pinwatch(ref.config, {"proposals", "approve", std::to_string(ref_proposal), "--operator",
                                              "alice", "--reason", "rotation seen in CT"});
  ASSERT_EQ(alice.exit_code, 0) << alice.err;
  const auto approve_duration = Clock::now() - approve_started;
  CommandResult bob = Pinwatch(ref.workstation_config, {"proposals", "approve", std::to_string(ref_proposal),
                                                        "--operator", "bob", "--reason", "rotation seen in CT"});
  ASSERT_EQ(bob.exit_code, 0) << bob.err;
  ASSERT_NE(bob.out.find("not published"), std::string::npos) << bob.out;  // the daemon publishes it
  ASSERT_TRUE(PollUntil(
      [&] { return ref.sql->Number("SELECT count(*) FROM pinset_versions WHERE document IS NOT NULL") == 2; },
      seconds(30), {}, milliseconds(20)));
  ASSERT_TRUE(ref.sim->Post("/sim/grow?n=" + std::to_string(kFinalSize - kGrownSize)).ok());
  WaitForTheEnd(ref, *daemon);
  ASSERT_FALSE(HasFatalFailure());
  Outcome reference;
  Snapshot(ref, reference);
  ASSERT_FALSE(HasFatalFailure());
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(), 0) << daemon->output();
  daemon.reset();
  const double reference_s = std::chrono::duration<double>(Clock::now() - ref_start).count();
  ASSERT_EQ(reference.findings.size(), kExpectedFindings);
  ASSERT_EQ(reference.alerts.size(), kExpectedAlerts);

  // ---- The same with twenty kills. ----
  RunParts crash;
  Setup(crash, "crashed", epoch_ms);
  ASSERT_FALSE(HasFatalFailure());
  const auto crash_start = Clock::now();
  std::map<Moment, int> kills;
  std::vector<std::string> journal;  // one line per kill, printed at the end
  int starts = 0, starts_past_verified_head = 0;
  auto daemon_started = Clock::now();
  auto tick = [&] { Tick(crash); };

  // Start starts the daemon: the first time, or again after a kill. A start from a verified
  // head below the log's size must check a consistency proof before it reads an entry.
  auto start = [&] {
    if (crash.grown && Verified(crash) > 0 && Verified(crash) < kGrownSize) ++starts_past_verified_head;
    ++starts;
    daemon = StartDaemon(crash);
    ASSERT_NE(daemon, nullptr);
    daemon_started = Clock::now();
  };
  // Kill ends the daemon with SIGKILL and records the moment.
  auto kill_daemon = [&](Moment m, const std::string& detail) {
    daemon->Signal(SIGKILL);
    EXPECT_EQ(daemon->Wait(), 128 + SIGKILL) << daemon->output();
    daemon.reset();
    ++kills[m];
    journal.push_back(std::to_string(journal.size() + 1) + ". " + MomentName(m) + ": " + detail + " (committed " +
                      std::to_string(Position(crash)) + ", verified " + std::to_string(Verified(crash)) + ")");
    std::cout << "crash_anywhere: kill " << journal.back() << std::endl;
  };
  // Plants whose entries are not committed yet (those before kGrownSize).
  auto plants_ahead = [&](bool alerting_only) {
    size_t n = 0;
    const uint64_t position = Position(crash);
    for (const PlantSpec& p : kCrashPlants) {
      n += p.match && p.index >= position && p.index < kGrownSize && (p.alerting || !alerting_only);
    }
    return n;
  };

  // The backfill's sixteen kills, in an order the seed shuffles. Kinds that need a plant
  // ahead (a commit with a finding, a new alert) go first when plants run short; a resend
  // needs an alert to exist. Each is chosen while the daemon is down, armed (the lock that
  // will hold the daemon is taken before it starts, so a moment right after the start
  // counts too), then the daemon starts and dies at the moment.
  std::vector<Moment> plan;
  for (auto [m, n] : std::vector<std::pair<Moment, int>>{{Moment::kRandom, 6},
                                                         {Moment::kCommitWithMatch, 2},
                                                         {Moment::kCommitLastStatement, 2},
                                                         {Moment::kCommitSeenOpen, 2},
                                                         {Moment::kAlertBeforeSend, 2},
                                                         {Moment::kAlertSentUnrecorded, 2}}) {
    plan.insert(plan.end(), n, m);
  }
  std::shuffle(plan.begin(), plan.end(), rng);
  while (!plan.empty()) {
    auto needs_plant = [](Moment m) { return m == Moment::kCommitWithMatch || m == Moment::kAlertBeforeSend; };
    auto needs_backfill = [&](Moment m) {
      return needs_plant(m) || m == Moment::kCommitLastStatement || m == Moment::kCommitSeenOpen;
    };
    const size_t needing_plants = std::count_if(plan.begin(), plan.end(), needs_plant);
    const size_t needing_backfill = std::count_if(plan.begin(), plan.end(), needs_backfill);
    const uint64_t remaining = kGrownSize - std::min<uint64_t>(Position(crash), kGrownSize);
    auto feasible = [&](Moment m) {
      switch (m) {
        case Moment::kCommitWithMatch: return plants_ahead(false) > 0;
        case Moment::kAlertBeforeSend: return plants_ahead(true) > 0;
        case Moment::kCommitLastStatement:
        case Moment::kCommitSeenOpen: return remaining > 0;
        case Moment::kAlertSentUnrecorded: return crash.sql->Number("SELECT count(*) FROM alert_outbox") > 0;
        default: return true;
      }
    };
    // The seed's order, except that what needs plants or entries ahead goes first when
    // those run short (about 2,000 entries per such kill).
    auto pick = plan.end();
    if (needing_plants > 0 && plants_ahead(true) <= needing_plants + 1) {
      pick = std::find_if(plan.begin(), plan.end(), [&](Moment m) { return needs_plant(m) && feasible(m); });
    }
    if (pick == plan.end() && needing_backfill > 0 && remaining < needing_backfill * 2000) {
      pick = std::find_if(plan.begin(), plan.end(), [&](Moment m) { return needs_backfill(m) && feasible(m); });
    }
    if (pick == plan.end()) pick = std::find_if(plan.begin(), plan.end(), feasible);
    ASSERT_NE(pick, plan.end()) << "no kind of kill is possible any more; the backfill ended too soon (committed "
                                << Position(crash) << ", " << plan.size() << " kills left)";
    const Moment m = *pick;
    plan.erase(pick);

    switch (m) {
      case Moment::kRandom: {
        // Drawn over this kill's share of the backfill still expected (and the start), so
        // the random kills spread over all of it, less the 2,000 entries each aimed kill
        // that needs a backfill will want: a long random delay must not leave them none
        // (with a faster download it did, at seed 1319935012).
        const uint64_t reserved = needing_backfill * 2000;
        const uint64_t spare = remaining > reserved ? remaining - reserved : 0;
        const double share_s = spare / entries_per_s * 2 / static_cast<double>(plan.size() + 1);
        const auto delay =
            milliseconds(std::uniform_int_distribution<int64_t>(0, static_cast<int64_t>((share_s + 0.5) * 1000))(rng));
        start();
        ASSERT_FALSE(HasFatalFailure());
        const auto at = daemon_started + delay;
        PollUntil([&] { return Clock::now() >= at; }, delay + seconds(1), tick, milliseconds(20));  // the kill time
        kill_daemon(m, std::to_string(delay.count()) + " ms after the start" +
                           (Position(crash) == kGrownSize ? ", the backfill already over" : ""));
        break;
      }
      case Moment::kCommitWithMatch:
      case Moment::kCommitLastStatement: {
        // The commit writes its position (and its entries and findings) and then waits for
        // the table the test holds.
        const bool with_match = m == Moment::kCommitWithMatch;
        HeldLock lock(crash.db_url, with_match ? "LOCK TABLE alert_outbox IN EXCLUSIVE MODE"
                                               : "LOCK TABLE replica_log_entries IN EXCLUSIVE MODE");
        const std::string needle = with_match ? "INSERT INTO findings" : "INSERT INTO replica_log_entries";
        start();
        ASSERT_FALSE(HasFatalFailure());
        ASSERT_TRUE(PollUntil([&] { return BlockedOn(*crash.sql, needle) > 0; }, seconds(60), tick))
            << "no commit reached " << needle << "\n" << daemon->output();
        const uint64_t before = Position(crash);
        kill_daemon(m, "held at " + needle);
        lock.Release();
        // The held commit's session ends with its client; its transaction did not commit.
        ASSERT_TRUE(PollUntil([&] { return BlockedOn(*crash.sql, needle) == 0; }, seconds(10)));
        ASSERT_TRUE(PollUntil([&] { return crash.sql->Number(kCommitOpenSql) == 0; }, seconds(10)));
        EXPECT_EQ(Position(crash), before) << "a commit held when its process died was applied";
        break;
      }
      case Moment::kCommitSeenOpen: {
        start();
        ASSERT_FALSE(HasFatalFailure());
        ASSERT_TRUE(PollUntil([&] { return crash.sql->Number(kCommitOpenSql) > 0; }, seconds(60), tick,
                              milliseconds(0)))
            << daemon->output();
        kill_daemon(m, "write transaction open");
        break;
      }
      case Moment::kAlertBeforeSend: {
        // The sender cannot even read what is owed; a finding committed meanwhile is news to
        // Alertmanager.
        const int64_t known = crash.sql->Number("SELECT coalesce(max(finding_id), 0) FROM alert_outbox");
        HeldLock lock(crash.db_url, "LOCK TABLE alert_deliveries IN ACCESS EXCLUSIVE MODE");
        start();
        ASSERT_FALSE(HasFatalFailure());
        const std::string fresh = "SELECT max(finding_id) FROM alert_outbox WHERE finding_id > " + std::to_string(known);
        ASSERT_TRUE(PollUntil([&] { return lock.Number(fresh) > 0 && BlockedOn(*crash.sql, "alert_deliveries") > 0; },
                              seconds(60), tick))
            << daemon->output();
        const int64_t finding = lock.Number(fresh);
        kill_daemon(m, "finding " + std::to_string(finding) + " committed");
        lock.Release();
        auto listed = crash.am->Alerts();
        ASSERT_TRUE(listed.ok());
        for (const Alert& a : *listed) {
          EXPECT_NE(a.labels.at("finding_id"), std::to_string(finding)) << "the alert was sent after all";
        }
        break;
      }
      case Moment::kAlertSentUnrecorded: {
        // A starting sender resends every open alert once; Alertmanager takes them, and the
        // record of it waits for the lock.
        const int64_t open = crash.sql->Number("SELECT count(*) FROM alert_outbox");
        HeldLock lock(crash.db_url, "LOCK TABLE alert_deliveries IN EXCLUSIVE MODE");
        start();
        ASSERT_FALSE(HasFatalFailure());
        ASSERT_TRUE(PollUntil([&] { return BlockedOn(*crash.sql, "INSERT INTO alert_deliveries") > 0; }, seconds(60),
                              tick))
            << daemon->output();
        kill_daemon(m, std::to_string(open) + " alert(s) accepted");
        lock.Release();
        auto listed = crash.am->Alerts();
        ASSERT_TRUE(listed.ok());
        EXPECT_GE(listed->size(), static_cast<size_t>(open)) << "Alertmanager does not hold what it accepted";
        break;
      }
      default:
        FAIL() << "not a backfill moment";
    }
    ASSERT_FALSE(HasFatalFailure());
  }

  // The backfill ends; then the approval, with four kills.
  start();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(PollUntil([&] { return Verified(crash) == kGrownSize && PendingProposal(crash) > 0; }, seconds(120),
                        tick, milliseconds(20)))
      << daemon->output();
  const int64_t proposal = PendingProposal(crash);
  const std::string decided_by = "SELECT count(*) FROM proposal_decisions WHERE operator = ";
  {
    // The first approver's command and the daemon die together (the host goes), at a random
    // point of the command's life as the reference measured it.
    auto approve = StartApprove(crash.config, proposal, "alice");
    ASSERT_NE(approve, nullptr);
    const auto delay = milliseconds(std::uniform_int_distribution<int64_t>(
        0, std::chrono::duration_cast<milliseconds>(approve_duration).count())(rng));
    std::this_thread::sleep_for(delay);  // the kill time
    approve->Signal(SIGKILL);
    const int approve_exit = approve->Wait();
    kill_daemon(Moment::kApproveRandom,
                std::to_string(delay.count()) + " ms into the approval (it exited " + std::to_string(approve_exit) + ")");
    start();
    ASSERT_FALSE(HasFatalFailure());
    // Its pin-set lock at start (version 1) is over before the next step holds that lock.
    ASSERT_TRUE(daemon->WaitForLine("following 1 logs").ok()) << daemon->output();
    if (crash.sql->Number(decided_by + "'alice'") == 0) {
      CommandResult again = Pinwatch(crash.config, {"proposals", "approve", std::to_string(proposal), "--operator",
                                                    "alice", "--reason", "rotation seen in CT"});
      ASSERT_EQ(again.exit_code, 0) << again.err;
    } else {
      // Decided before the kill: deciding again is refused, and nothing changes.
      EXPECT_EQ(Pinwatch(crash.config, {"proposals", "approve", std::to_string(proposal), "--operator", "alice",
                                        "--reason", "again"})
                    .exit_code,
                1);
    }
  }
  {
    // The second approval reaches approvals_required and waits for the pin-set's lock
    // (db/pg_pin_store.cc LockPinset) with its decision written: both die there.
    HeldLock lock(crash.db_url, "SELECT pg_advisory_xact_lock(hashtext('pinwatch pinset api'))");
    auto approve = StartApprove(crash.workstation_config, proposal, "bob");
    ASSERT_NE(approve, nullptr);
    ASSERT_TRUE(PollUntil([&] { return crash.sql->Number(kAdvisoryWaitSql) > 0; }, seconds(30))) << approve->output();
    approve->Signal(SIGKILL);
    approve->Wait();
    kill_daemon(Moment::kApproveMidDecision, "held at the pin-set lock");
    lock.Release();
    ASSERT_TRUE(PollUntil([&] { return crash.sql->Number(kAdvisoryWaitSql) == 0; }, seconds(10)));
    EXPECT_EQ(crash.sql->Number(decided_by + "'bob'"), 0) << "a decision held when its process died was applied";
    EXPECT_EQ(crash.sql->Number("SELECT max(version) FROM pinset_versions"), 1);
  }
  {
    // While the daemon is down, the second approval makes version 2 (from a host without the
    // signing key). The restarted daemon publishes it; it dies storing the signed document.
    CommandResult approved = Pinwatch(crash.workstation_config, {"proposals", "approve", std::to_string(proposal),
                                                                 "--operator", "bob", "--reason", "rotation seen in CT"});
    ASSERT_EQ(approved.exit_code, 0) << approved.err;
    HeldLock lock(crash.db_url,
                  "SELECT 1 FROM pinset_versions WHERE pinset = 'api' AND version = 2 AND document IS NULL FOR UPDATE");
    ASSERT_EQ(lock.rows(), 1u);
    start();
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_TRUE(PollUntil([&] { return BlockedOn(*crash.sql, "UPDATE pinset_versions SET document") > 0; },
                          seconds(30)))
        << daemon->output();
    kill_daemon(Moment::kPublishInDatabase, "held storing version 2's document");
    lock.Release();
    ASSERT_TRUE(PollUntil([&] { return BlockedOn(*crash.sql, "pinset_versions") == 0; }, seconds(10)));
    EXPECT_EQ(crash.sql->Number("SELECT count(*) FROM pinset_versions WHERE document IS NULL"), 1);
  }
  {
    // The next start publishes it, writing each file beside its place and renaming it
    // there (pins/publisher.cc WriteFileAtomically): killed as the first of those files
    // appears (inotify), while it is being written.
    DirectoryWatch watch(crash.publish_dir);
    start();
    ASSERT_FALSE(HasFatalFailure());
    auto created = watch.NextCreated("api.json.", seconds(30));
    ASSERT_TRUE(created.ok()) << created.status().ToString() << "\n" << daemon->output();
    kill_daemon(Moment::kPublishWritingFiles, *created + " created");
    std::string left;
    for (const std::string& f : FilesIn(crash.publish_dir)) left += " " + f;
    journal.back() += "; the directory then held" + left;
  }
  // The log grows while the daemon is down: the last start resumes at a verified head below
  // the new one, and must prove the new head consistent with it.
  ASSERT_TRUE(crash.sim->Post("/sim/grow?n=" + std::to_string(kFinalSize - kGrownSize)).ok());
  start();
  ASSERT_FALSE(HasFatalFailure());
  const int port = PortOf(*daemon);
  auto resumed = daemon->WaitForLine("resuming at entry", seconds(30));
  ASSERT_TRUE(resumed.ok()) << daemon->output();
  EXPECT_NE(resumed->find("resuming at entry " + std::to_string(kGrownSize) + " (verified to " +
                          std::to_string(kGrownSize) + ")"),
            std::string::npos)
      << *resumed;
  WaitForTheEnd(crash, *daemon);
  ASSERT_FALSE(HasFatalFailure());
  const double proofs = ConsistencyProofsChecked(port);
  EXPECT_GE(proofs, 1) << "the last start checked no consistency proof from " << kGrownSize << " to " << kFinalSize;
  Outcome crashed;
  Snapshot(crash, crashed);
  ASSERT_FALSE(HasFatalFailure());
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(), 0) << daemon->output();
  const double crash_s = std::chrono::duration<double>(Clock::now() - crash_start).count();

  // ---- Equal: none lost, none doubled. ----
  EXPECT_EQ(crashed.findings, reference.findings);
  EXPECT_EQ(crashed.alerts, reference.alerts);
  EXPECT_EQ(crashed.proposals, reference.proposals);
  EXPECT_EQ(crashed.versions, reference.versions);
  EXPECT_EQ(crashed.audit, reference.audit);
  EXPECT_EQ(crashed.published_document, reference.published_document);
  EXPECT_EQ(crashed.published_files, (std::set<std::string>{"api.json", "api.json.sig"}))
      << "a file left in the published directory";
  EXPECT_EQ(crashed.published_files, reference.published_files);
  EXPECT_EQ(crashed.position, kFinalSize);
  EXPECT_EQ(crashed.verified_tree_size, kFinalSize);
  EXPECT_EQ(crashed.latest_tree_size, kFinalSize);
  EXPECT_EQ(crashed.outbox_rows, reference.outbox_rows);
  EXPECT_EQ(crashed.delivery_rows, reference.delivery_rows);
  EXPECT_EQ(crashed.certificate_entries, reference.certificate_entries);
  EXPECT_EQ(crashed.entries_committed, static_cast<int64_t>(kFinalSize)) << "entries committed twice, or lost";
  EXPECT_EQ(reference.entries_committed, static_cast<int64_t>(kFinalSize));

  int total = 0;
  std::cout << "crash_anywhere: kills by kind of moment:\n";
  for (const auto& [m, n] : kills) {
    std::cout << "  " << n << " x " << MomentName(m) << "\n";
    total += n;
  }
  for (const std::string& line : journal) std::cout << "  " << line << "\n";
  std::cout << "crash_anywhere: " << total << " kills, " << starts << " starts (" << starts_past_verified_head
            << " from a verified head below the log's size; the last checked " << proofs << " consistency proof(s)); "
            << kFinalSize << " entries; findings " << crashed.findings.size() << " (expected " << reference.findings.size()
            << "); alerts " << crashed.alerts.size() << " (expected " << reference.alerts.size() << "); proposals "
            << crashed.proposals.size() << "; pin-set versions " << crashed.versions.size() << "; reference backfill "
            << static_cast<int>(entries_per_s) << " entries/s, reference run " << reference_s << " s, crashed run "
            << crash_s << " s, whole test "
            << std::chrono::duration<double>(Clock::now() - test_start).count() << " s" << std::endl;
  EXPECT_EQ(total, 20);
}

}  // namespace
}  // namespace pinwatch
