#include "monitor/pins_cli.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <set>

#include "base/encoding.h"
#include "base/file.h"
#include "base/pin.h"
#include "base/sha256.h"
#include "base/time.h"
#include "db/postgres.h"
#include "net/tls_probe.h"
#include "pins/checks.h"
#include "pins/decision.h"
#include "pins/export.h"
#include "pins/matching.h"
#include "pins/publisher.h"
#include "pins/signing.h"
#include "report/pinsets.h"

namespace pinwatch::monitor {

const char kPinsetUsage[] = R"(pinwatch --config FILE pinset show NAME [--json] [--version N]
pinwatch --config FILE pinset export NAME --format FORMAT [--version N]
pinwatch --config FILE pinset adopt NAME --operator NAME [--reason TEXT]
pinwatch pinset verify FILE --public-key PEM [--signature SIGFILE]

  show     the pin-set's versions (or one), oldest first; --json: {name, current_version, versions}
  export   the current version (or --version N) for apps: json, android-nsc, okhttp,
           trustkit, ios-ats, approov
  adopt    make the configuration's pins the next version (recorded in the audit log)
  verify   check a published document against its signature (default FILE.sig) and the
           publisher's public key; exit 0 if it verifies, 1 if not
)";

const char kProposalsUsage[] = R"(pinwatch --config FILE proposals [--json] [--status S[,S]] [--pinset NAME]
pinwatch --config FILE proposals approve ID --operator NAME --reason TEXT
pinwatch --config FILE proposals reject ID --operator NAME --reason TEXT
pinwatch --config FILE proposals check ID [--live [--connect-to NAME:PORT:HOST:PORT]...]

  (list)   proposals with their safety checks (computed now for pending ones), evidence
           and lead time; --status pending, approved, rejected, applied, superseded
  approve  one approval; refused (exit 1) while a safety check fails. The approval that
           reaches the pin-set's approvals_required makes the next version, published at
           once when `publish` is configured
  reject   ends the proposal
  check    the safety checks alone; exit 1 if one fails. --live also connects over TLS
           (SNI = the name, port 443, the chain's trust not verified) to each name of the
           pin-set and prints per name the address, the served leaf's pin and whether the
           set now and after the change accepts what is served (a pin on any certificate
           sent); exit 1 as well if a name cannot be reached or the set after the change
           would not accept it. --connect-to (repeatable, as curl's) sends connections for
           NAME:PORT to HOST:PORT instead; an empty field matches any NAME or PORT, or
           keeps the HOST or PORT
)";

const char kOperatorUsage[] = R"(pinwatch --config FILE operator add NAME [--role approver|viewer]
pinwatch --config FILE operator list [--json]
pinwatch --config FILE operator remove NAME

  add prints the operator's API token once, alone on the last line (only its SHA-256 is
  stored); remove revokes it. Approvers decide proposals; viewers only read.
)";

const char kAuditUsage[] = R"(pinwatch --config FILE audit [--json] [--limit N]

Every pin-set decision: versions made from the configuration, proposals made, approved,
rejected and superseded, adoptions, publications and operator changes, oldest first
(the last N, default 1000).
)";

const char kKeygenUsage[] = R"(pinwatch keygen --out FILE

Makes an ECDSA P-256 signing key for publish.signing_key: writes the private key (PKCS#8
PEM, mode 0600; an existing FILE is not overwritten) and prints the public key PEM, which
apps embed to verify published pin-sets.
)";

namespace {

// Flags: "--name value" options and bare words, in order.
struct Flags {
  std::vector<std::string> words;
  std::map<std::string, std::string> values;
  std::set<std::string> switches;
  std::map<std::string, std::vector<std::string>> repeated;  // options that may be given again, in order
};

Flags ParseFlags(const std::vector<std::string>& rest, size_t from, const std::string& command,
                 const std::set<std::string>& with_value, const std::set<std::string>& switches,
                 const std::set<std::string>& repeatable = {}) {
  Flags f;
  for (size_t i = from; i < rest.size(); ++i) {
    const std::string& a = rest[i];
    if (repeatable.count(a)) {
      if (i + 1 >= rest.size()) UsageError(command + ": " + a + " needs a value");
      f.repeated[a].push_back(rest[++i]);
    } else if (with_value.count(a)) {
      if (i + 1 >= rest.size()) UsageError(command + ": " + a + " needs a value");
      if (f.values.count(a)) UsageError(command + ": " + a + " given twice");
      f.values[a] = rest[++i];
    } else if (switches.count(a)) {
      f.switches.insert(a);
    } else if (a.starts_with("--")) {
      UsageError(command + ": unknown option " + a);
    } else {
      f.words.push_back(a);
    }
  }
  return f;
}

std::string Value(const Flags& f, const std::string& key, const std::string& fallback = "") {
  auto it = f.values.find(key);
  return it == f.values.end() ? fallback : it->second;
}

std::unique_ptr<db::PinStore> PinStoreOrDie(const Config& config) {
  CheckSchemaOrDie(config);
  auto store = db::ConnectPinStore(config.database_url);
  if (!store.ok()) DieWith(store.status());
  return std::move(*store);
}

template <class T>
T OrDie(Result<T> r) {
  if (!r.ok()) DieWith(r.status());
  return *std::move(r);
}

// Refused prints a refusal and returns its exit code: 1 for what the operator can act on.
int Refused(const Status& s) {
  std::cerr << "pinwatch: " << s.message() << "\n";
  return s.code() == Code::kFailedPrecondition || s.code() == Code::kNotFound ? 1 : 2;
}

const pins::PinsetPolicy& PolicyOrDie(const Config& config, const std::string& name) {
  for (const pins::PinsetPolicy& p : config.pinsets) {
    if (p.name == name) return p;
  }
  std::cerr << "pinwatch: no pin-set " << name << " in " << config.source << "\n";
  std::exit(2);
}

db::PinsetVersion VersionOrDie(db::PinStore& store, const std::string& name, const Flags& f) {
  std::vector<db::PinsetVersion> versions = OrDie(store.Versions(name));
  if (versions.empty()) {
    std::cerr << "pinwatch: pin-set " << name << " has no version in the database yet (`pinwatch run` makes version 1)\n";
    std::exit(1);
  }
  if (!f.values.count("--version")) return versions.back();
  std::optional<int64_t> n = ParseCount(Value(f, "--version"));
  if (!n) UsageError("pinset: --version wants a number");
  for (const db::PinsetVersion& v : versions) {
    if (v.version == *n) return v;
  }
  std::cerr << "pinwatch: pin-set " << name << " has no version " << *n << "\n";
  std::exit(1);
}

// PublishNow signs and writes the pin-set's new version from the CLI. The version is made
// whatever happens here: when this host cannot publish (no key access, another directory),
// the daemon's next pass does, so that is a warning, not a failure.
void PublishNow(const Config& config, db::PinStore& store, const std::string& name) {
  auto publisher = pins::Publisher::Create(config.publish, {name}, store, nullptr);
  Status s = publisher.ok() ? publisher->Pass(UnixNowMs() / 1000) : publisher.status();
  if (!s.ok()) {
    std::cerr << "pinwatch: not published from here (" << s.message() << "); `run` publishes it at its next pass\n";
    return;
  }
  std::cout << "published " << config.publish.directory << "/" << name << ".json and .json.sig\n";
}

int PinsetVerify(const Flags& f) {
  if (f.words.size() != 1) UsageError("pinset verify FILE --public-key PEM");
  const std::string& file = f.words[0];
  const std::string key_file = Value(f, "--public-key");
  if (key_file.empty()) UsageError("pinset verify: --public-key PEM is required");
  const std::string sig_file = Value(f, "--signature", file + ".sig");
  Result<std::string> document = ReadFile(file, "pin-set document", 1 << 20);
  Result<std::string> signature = ReadFile(sig_file, "signature", 1 << 16);
  Result<std::string> key = ReadFile(key_file, "public key", 1 << 16);
  for (const Status& s : {document.status(), signature.status(), key.status()}) {
    if (!s.ok()) {
      std::cerr << "pinwatch: " << s.message() << "\n";
      return 2;
    }
  }
  const Bytes bytes(reinterpret_cast<const uint8_t*>(document->data()), document->size());
  if (Status s = pins::VerifyDocumentSignature(*key, bytes, *signature); !s.ok()) {
    std::cout << file << ": NOT verified: " << s.message() << "\n";
    return 1;
  }
  Result<pins::PinsetDocument> doc = pins::ParsePinsetDocument(*document);
  if (!doc.ok()) {
    std::cout << file << ": the signature verifies, but the document is not a pin-set: " << doc.status().message() << "\n";
    return 1;
  }
  std::cout << file << ": verified: pin-set " << doc->name << " version " << doc->version << ", "
            << doc->pins.size() << " pins, expires " << FormatRfc3339(doc->expires_unix_s) << "\n";
  return 0;
}

}  // namespace

int PinsetCommand(const Args& args) {
  if (args.rest.empty()) UsageError("pinset: show, export, adopt or verify");
  const std::string& sub = args.rest[0];
  const Flags f = ParseFlags(args.rest, 1, "pinset " + sub,
                             {"--version", "--format", "--operator", "--reason", "--public-key", "--signature"},
                             {"--json"});
  if (sub == "verify") return PinsetVerify(f);
  if (f.words.size() != 1) UsageError("pinset " + sub + ": NAME is required (one)");
  const std::string& name = f.words[0];
  Config config = LoadConfigOrDie(args);
  const pins::PinsetPolicy& policy = PolicyOrDie(config, name);
  auto store = PinStoreOrDie(config);
  if (sub == "show") {
    std::vector<db::PinsetVersion> versions = OrDie(store->Versions(name));
    if (f.values.count("--version")) versions = {VersionOrDie(*store, name, f)};
    if (versions.empty()) {
      std::cerr << "pinwatch: pin-set " << name << " has no version in the database yet (`pinwatch run` makes version 1)\n";
      return 1;
    }
    std::cout << (f.switches.count("--json") ? report::PinsetJson(versions) : report::PinsetText(versions));
    return 0;
  }
  if (sub == "export") {
    std::optional<pins::ExportFormat> format = pins::ExportFormatFromName(Value(f, "--format"));
    if (!format) UsageError("pinset export: --format wants one of " + pins::ExportFormatNames());
    const db::PinsetVersion version = VersionOrDie(*store, name, f);
    std::cout << pins::Export(pins::ExportDocumentOf(version, UnixNowMs() / 1000),
                              pins::CaPinsOf(OrDie(store->Certificates())), *format);
    return 0;
  }
  if (sub == "adopt") {
    const std::string op = Value(f, "--operator");
    if (op.empty()) UsageError("pinset adopt: --operator NAME is required (it goes to the audit log)");
    auto adopted = store->Adopt({.pinset = name, .pins = policy.pins, .names = policy.names,
                                 .include_subdomains = policy.include_subdomains, .expiry_days = policy.expiry_days},
                                op, Value(f, "--reason", "the configuration's pins"));
    if (!adopted.ok()) return Refused(adopted.status());
    std::cout << "pin-set " << name << " version " << adopted->version << " holds the configuration's "
              << adopted->pins.size() << " pins\n";
    if (!config.publish.signing_key.empty()) {
      PublishNow(config, *store, name);
    }
    return 0;
  }
  UsageError("pinset: unknown subcommand " + sub + " (show, export, adopt, verify)");
}

namespace {

db::Proposal ProposalOrDie(db::PinStore& store, int64_t id) {
  std::vector<db::Proposal> found = OrDie(store.ListProposals({.ids = {id}}));
  if (found.empty()) {
    std::cerr << "pinwatch: no proposal " << id << "\n";
    std::exit(1);
  }
  return std::move(found.front());
}

int Decide(const Args& args, const Flags& f, bool approve) {
  const std::string verb = approve ? "approve" : "reject";
  if (f.words.size() != 1) UsageError("proposals " + verb + " ID --operator NAME --reason TEXT");
  std::optional<int64_t> id = ParseCount(f.words[0]);
  if (!id || *id <= 0) UsageError("proposals " + verb + ": ID must be a proposal number");
  const std::string op = Value(f, "--operator");
  const std::string reason = Value(f, "--reason");
  if (op.empty()) UsageError("proposals " + verb + ": --operator NAME is required");
  if (reason.empty()) UsageError("proposals " + verb + ": --reason TEXT is required (it goes to the audit log)");
  Config config = LoadConfigOrDie(args);
  auto store = PinStoreOrDie(config);
  auto decided = pins::Decide(*store, config.pinsets, config.publish,
                              {.proposal_id = *id, .operator_name = op, .approve = approve, .reason = reason},
                              UnixNowMs() / 1000);
  if (!decided.ok()) return Refused(decided.status());
  const db::DecisionOutcome& outcome = decided->outcome;
  if (!approve) {
    std::cout << "proposal " << *id << " rejected by " << op << "\n";
    return 0;
  }
  std::cout << "proposal " << *id << " approved by " << op << " (" << outcome.approvals << " of "
            << decided->approvals_required << (outcome.new_version ? "" : " approvals") << ")";
  if (!outcome.new_version) {
    std::cout << "\n";
    return 0;
  }
  std::cout << ": pin-set " << decided->pinset << " version " << *outcome.new_version << " made\n";
  if (!decided->published) {
    std::cout << "not published: the configuration has no `publish` section\n";
  } else if (!decided->published->ok()) {
    std::cerr << "pinwatch: not published from here (" << decided->published->message()
              << "); `run` publishes it at its next pass\n";
  } else {
    std::cout << "published " << config.publish.directory << "/" << decided->pinset << ".json and .json.sig\n";
  }
  return 0;
}

// kLiveCheckTimeoutMs bounds each name's connection and TLS handshake: a name that has not
// answered in 10 s is reported as unreachable rather than holding the check.
constexpr int64_t kLiveCheckTimeoutMs = 10'000;
constexpr int kHttpsPort = 443;

// ConnectTo is one --connect-to NAME:PORT:HOST:PORT, as curl's: connections for NAME:PORT
// go to HOST:PORT instead. An empty NAME or PORT matches any; an empty HOST or PORT keeps
// the original. HOST may be a bracketed IPv6 literal ("[::1]").
struct ConnectTo {
  std::string name;                 // "" matches any name
  std::optional<int> port;          // nullopt matches any port
  std::string host;                 // "" keeps the name
  std::optional<int> to_port;       // nullopt keeps the port
};

std::optional<int> PortOf(const std::string& text) {
  std::optional<int64_t> n = ParseCount(text);
  if (!n || *n < 1 || *n > 65535) return std::nullopt;
  return static_cast<int>(*n);
}

ConnectTo ParseConnectToOrDie(const std::string& text) {
  const std::string usage = "proposals check: --connect-to wants NAME:PORT:HOST:PORT, not " + text;
  const size_t first = text.find(':');
  const size_t second = first == std::string::npos ? first : text.find(':', first + 1);
  const size_t last = text.rfind(':');
  if (second == std::string::npos || last == second) UsageError(usage);
  const auto port_or_empty = [&](const std::string& field) -> std::optional<int> {
    if (field.empty()) return std::nullopt;
    std::optional<int> port = PortOf(field);
    if (!port) UsageError(usage + " (a port is 1-65535)");
    return port;
  };
  ConnectTo c{.name = text.substr(0, first),
              .port = port_or_empty(text.substr(first + 1, second - first - 1)),
              .host = text.substr(second + 1, last - second - 1),
              .to_port = port_or_empty(text.substr(last + 1))};
  if (c.host.size() >= 2 && c.host.front() == '[' && c.host.back() == ']') {
    c.host = c.host.substr(1, c.host.size() - 2);
  } else if (c.host.find_first_of("[]:") != std::string::npos) {
    UsageError(usage + " (write an IPv6 HOST in brackets)");
  }
  return c;
}

// Accepts says whether a pin-set accepts a served chain: a pin on any certificate sent
// passes, as apps check pins.
bool Accepts(const std::vector<Hash>& pins, const net::ServedChain& served) {
  return std::any_of(served.spki_sha256.begin(), served.spki_sha256.end(), [&](const Hash& h) {
    return std::find(pins.begin(), pins.end(), h) != pins.end();
  });
}

// LiveCheck connects to each of the pin-set's names (through the first matching
// --connect-to) and prints one line per name; true if every name answered and the set after
// the change accepts what it serves.
bool LiveCheck(const std::vector<std::string>& names, const std::vector<ConnectTo>& connect_to,
               const std::vector<Hash>& before, const std::vector<Hash>& after) {
  bool all_pass = true;
  for (const std::string& name : names) {
    std::string host = name;
    int port = kHttpsPort;
    for (const ConnectTo& c : connect_to) {
      if ((c.name.empty() || c.name == name) && (!c.port || *c.port == kHttpsPort)) {
        if (!c.host.empty()) host = c.host;
        if (c.to_port) port = *c.to_port;
        break;
      }
    }
    Result<net::ServedChain> served = net::ProbeTls(name, host, port, kLiveCheckTimeoutMs);
    if (!served.ok()) {
      std::cout << "FAILED live " << name << ": " << served.status().message() << "\n";
      all_pass = false;
      continue;
    }
    const bool now = Accepts(before, *served), later = Accepts(after, *served);
    const size_t sent = served->spki_sha256.size();
    std::cout << (later ? "ok     live " : "FAILED live ") << name << ": " << served->address << " serves leaf "
              << PinText(served->spki_sha256.front()) << " (" << sent << (sent == 1 ? " certificate" : " certificates")
              << "); pin-set now: " << (now ? "accepts" : "rejects")
              << ", after the change: " << (later ? "accepts" : "rejects") << "\n";
    all_pass = all_pass && later;
  }
  return all_pass;
}

}  // namespace

int ProposalsCommand(const Args& args) {
  const bool has_sub = !args.rest.empty() && !args.rest[0].starts_with("--");
  const std::string sub = has_sub ? args.rest[0] : "list";
  // --live and --connect-to are the check's alone.
  const bool check = sub == "check";
  const Flags f = ParseFlags(args.rest, has_sub ? 1 : 0, "proposals " + sub,
                             {"--status", "--pinset", "--operator", "--reason"},
                             check ? std::set<std::string>{"--json", "--live"} : std::set<std::string>{"--json"},
                             check ? std::set<std::string>{"--connect-to"} : std::set<std::string>{});
  if (sub == "approve") return Decide(args, f, true);
  if (sub == "reject") return Decide(args, f, false);
  if (sub == "list") {
    db::ProposalFilter filter{.pinset = Value(f, "--pinset")};
    for (const std::string& name : SplitComma(Value(f, "--status"))) {
      std::optional<db::ProposalStatus> s = db::ProposalStatusFromName(name);
      if (!s) UsageError("proposals: unknown status " + name + " (pending, approved, rejected, applied, superseded)");
      filter.statuses.push_back(*s);
    }
    if (!f.words.empty()) UsageError("proposals: unexpected " + f.words[0]);
    Config config = LoadConfigOrDie(args);
    auto store = PinStoreOrDie(config);
    std::vector<report::ProposalView> views = OrDie(
        report::ProposalViews(*store, config.pinsets, OrDie(store->ListProposals(filter)), UnixNowMs() / 1000));
    std::cout << (f.switches.count("--json") ? report::ProposalsJson(views) : report::ProposalsText(views));
    return 0;
  }
  if (sub == "check") {
    if (f.words.size() != 1) UsageError("proposals check ID [--live [--connect-to NAME:PORT:HOST:PORT]...]");
    std::optional<int64_t> id = ParseCount(f.words[0]);
    if (!id || *id <= 0) UsageError("proposals check: ID must be a proposal number");
    const bool live = f.switches.count("--live") > 0;
    std::vector<ConnectTo> connect_to;
    if (auto it = f.repeated.find("--connect-to"); it != f.repeated.end()) {
      if (!live) UsageError("proposals check: --connect-to is for --live");
      for (const std::string& text : it->second) connect_to.push_back(ParseConnectToOrDie(text));
    }
    Config config = LoadConfigOrDie(args);
    auto store = PinStoreOrDie(config);
    std::vector<report::ProposalView> views =
        OrDie(report::ProposalViews(*store, config.pinsets, {ProposalOrDie(*store, *id)}, UnixNowMs() / 1000));
    const db::Proposal& proposal = views.front().proposal;
    if (proposal.status != db::ProposalStatus::kPending) {
      std::cerr << "pinwatch: proposal " << *id << " is " << db::ProposalStatusName(proposal.status)
                << ": checks are computed for pending proposals\n";
      return 1;
    }
    for (const pins::Check& c : views.front().checks) {
      std::cout << (c.ok ? "ok     " : "FAILED ") << c.name << ": " << c.detail << "\n";
    }
    bool pass = pins::AllPass(views.front().checks);
    if (live) {
      // The names of the version in force: those are what apps pin today.
      const db::PinsetVersion current = OrDie(store->CurrentVersion(proposal.pinset));
      const std::vector<Hash> after = pins::PinsAfter(current.pins, proposal.action, proposal.pin);
      pass = LiveCheck(current.names, connect_to, current.pins, after) && pass;
    }
    return pass ? 0 : 1;
  }
  UsageError("proposals: unknown subcommand " + sub + " (approve, reject, check, or options to list)");
}

int OperatorCommand(const Args& args) {
  if (args.rest.empty()) UsageError("operator: add, list or remove");
  const std::string& sub = args.rest[0];
  const Flags f = ParseFlags(args.rest, 1, "operator " + sub, {"--role"}, {"--json"});
  Config config = LoadConfigOrDie(args);
  auto store = PinStoreOrDie(config);
  if (sub == "add") {
    if (f.words.size() != 1) UsageError("operator add NAME [--role approver|viewer]");
    const std::string& name = f.words[0];
    const bool plain = std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '@' || c == '-';
    });
    if (name.empty() || name.size() > 64 || !plain) UsageError("operator add: NAME is 1-64 of A-Z a-z 0-9 . _ @ -");
    const std::string role = Value(f, "--role", "approver");
    if (role != "approver" && role != "viewer") UsageError("operator add: --role is approver or viewer");
    uint8_t random[32];
    if (RAND_bytes(random, sizeof random) != 1) DieWith(InternalError("no random bytes for a token"));
    // "pwt_" + base64url: recognisable in a leak scan, safe in a header.
    std::string token = Base64Encode(Bytes(random, sizeof random));
    std::replace(token.begin(), token.end(), '+', '-');
    std::replace(token.begin(), token.end(), '/', '_');
    token.erase(std::remove(token.begin(), token.end(), '='), token.end());
    token = "pwt_" + token;
    if (Status s = store->AddOperator(name, role, Sha256Of(Bytes(reinterpret_cast<const uint8_t*>(token.data()), token.size())));
        !s.ok()) {
      return Refused(s);
    }
    std::cout << "operator " << name << " added as " << role << "; its token (shown once, only its hash is kept):\n"
              << token << "\n";
    return 0;
  }
  if (sub == "list") {
    std::vector<db::Operator> ops = OrDie(store->ListOperators());
    if (f.switches.count("--json")) {
      std::string out = "[";
      for (size_t i = 0; i < ops.size(); ++i) {
        out += std::string(i ? "," : "") + "\n  {\"name\": \"" + ops[i].name + "\", \"role\": \"" + ops[i].role +
               "\", \"created_at\": \"" + ops[i].created_at + "\"}";
      }
      std::cout << out << (ops.empty() ? "]\n" : "\n]\n");
    } else {
      for (const db::Operator& o : ops) std::cout << o.name << " " << o.role << " since " << o.created_at << "\n";
      if (ops.empty()) std::cout << "no operators (`pinwatch operator add NAME`)\n";
    }
    return 0;
  }
  if (sub == "remove") {
    if (f.words.size() != 1) UsageError("operator remove NAME");
    if (Status s = store->RemoveOperator(f.words[0]); !s.ok()) return Refused(s);
    std::cout << "operator " << f.words[0] << " removed; its token no longer works\n";
    return 0;
  }
  UsageError("operator: unknown subcommand " + sub + " (add, list, remove)");
}

int AuditCommand(const Args& args) {
  const Flags f = ParseFlags(args.rest, 0, "audit", {"--limit"}, {"--json"});
  if (!f.words.empty()) UsageError("audit: unexpected " + f.words[0]);
  size_t limit = 1000;
  if (f.values.count("--limit")) {
    std::optional<int64_t> n = ParseCount(Value(f, "--limit"));
    if (!n) UsageError("audit: --limit wants a number");
    limit = static_cast<size_t>(*n);
  }
  Config config = LoadConfigOrDie(args);
  auto store = PinStoreOrDie(config);
  std::vector<db::AuditEntry> entries = OrDie(store->ListAudit(limit));
  std::cout << (f.switches.count("--json") ? report::AuditJson(entries) : report::AuditText(entries));
  return 0;
}

int KeygenCommand(const Args& args) {
  const Flags f = ParseFlags(args.rest, 0, "keygen", {"--out"}, {});
  const std::string out = Value(f, "--out");
  if (out.empty() || !f.words.empty()) UsageError("keygen --out FILE");
  Result<pins::SigningKey> key = pins::SigningKey::Generate();
  if (!key.ok()) DieWith(key.status());
  const std::string pem = key->PrivateKeyPem();
  // O_EXCL: never overwrite a key that may already sign what apps trust.
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    std::cerr << "pinwatch: " << out << ": cannot create: " << std::strerror(errno) << "\n";
    return 2;
  }
  const bool written = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
  const bool closed = ::close(fd) == 0;
  if (!written || !closed) {
    std::cerr << "pinwatch: " << out << ": cannot write the key\n";
    return 2;
  }
  std::cerr << "wrote the private key to " << out << " (" << key->PublicKeyPin() << "); the public key:\n";
  std::cout << key->PublicKeyPem();
  return 0;
}

}  // namespace pinwatch::monitor
