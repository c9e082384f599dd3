#include "ctlog/loglist.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <memory>

#include "base/encoding.h"
#include "base/openssl_ptr.h"

namespace pinwatch::ctlog {
namespace {

using rapidjson::Value;

// ---------------------------------------------------------------------------------------
// Typed access to untrusted JSON: every read checks presence and type (never doc["x"]), and
// every error names the list and the JSON path.

enum class Presence { kRequired, kOptional };

class Ctx {
 public:
  Ctx(std::string_view list_name, const LogListOptions& options) : list_name_(list_name), options_(options) {}
  Status Error(const std::string& path, std::string_view what) const {
    return MalformedError("log list '" + list_name_ + "': " + path + ": " + std::string(what));
  }
  const std::string& list_name() const { return list_name_; }
  const LogListOptions& options() const { return options_; }

 private:
  std::string list_name_;
  const LogListOptions& options_;
};

std::string Child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// CheckObject: the value is an object of at most kMaxJsonObjectMembers members without
// duplicate names (RapidJSON keeps both and FindMember returns the first; another reader of
// the same signed bytes might take the last, so a duplicate is an ambiguity we refuse).
Status CheckObject(const Ctx& ctx, const Value& v, const std::string& path) {
  if (!v.IsObject()) return ctx.Error(path, "expected object");
  if (v.MemberCount() > kMaxJsonObjectMembers) {
    return ctx.Error(path, "more than " + std::to_string(kMaxJsonObjectMembers) + " members (kMaxJsonObjectMembers)");
  }
  for (auto a = v.MemberBegin(); a != v.MemberEnd(); ++a) {
    for (auto b = v.MemberBegin(); b != a; ++b) {
      if (a->name == b->name) {
        return ctx.Error(Child(path, std::string_view(a->name.GetString(), a->name.GetStringLength())),
                         "duplicate member");
      }
    }
  }
  return OkStatus();
}

// Member returns the named member of an object (already checked by CheckObject), nullptr if
// it is optional and absent, or kMalformed if it is required and absent.
Result<const Value*> Member(const Ctx& ctx, const Value& obj, const std::string& path,
                            const char* key, Presence presence) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) {
    if (presence == Presence::kOptional) return static_cast<const Value*>(nullptr);
    return ctx.Error(Child(path, key), "missing required member");
  }
  return &it->value;
}

Result<std::string> AsString(const Ctx& ctx, const Value& v, const std::string& path) {
  if (!v.IsString()) return ctx.Error(path, "expected string");
  return std::string(v.GetString(), v.GetStringLength());
}

Result<uint64_t> AsU64(const Ctx& ctx, const Value& v, const std::string& path) {
  if (!v.IsUint64()) return ctx.Error(path, "expected non-negative integer");
  return v.GetUint64();
}

Result<std::vector<uint8_t>> AsBase64(const Ctx& ctx, const Value& v, const std::string& path) {
  if (!v.IsString()) return ctx.Error(path, "expected base64 string");
  auto decoded = Base64Decode(std::string_view(v.GetString(), v.GetStringLength()));
  if (!decoded) return ctx.Error(path, "expected base64 string");
  return std::move(*decoded);
}

Result<Hash> AsBase64Hash(const Ctx& ctx, const Value& v, const std::string& path) {
  auto bytes = AsBase64(ctx, v, path);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != Hash().size()) return ctx.Error(path, "expected base64 of 32 bytes");
  Hash out;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

Result<int64_t> AsTime(const Ctx& ctx, const Value& v, const std::string& path) {
  if (!v.IsString()) return ctx.Error(path, "expected RFC 3339 date-time string");
  auto ms = ParseRfc3339Ms(std::string_view(v.GetString(), v.GetStringLength()));
  if (!ms) return ctx.Error(path, "expected RFC 3339 date-time string");
  return *ms;
}

// IsPlainHttpAuthority says whether `authority` (a URL's host[:port]) may be reached over
// plain http: a loopback host ("127.0.0.1", "[::1]" or "localhost", exactly, lower case) or
// one of `extra_hosts` (logs.plain_http_hosts: a log simulator in the next container),
// optionally followed by ":" and 1-5 digits. Anything else, userinfo
// ("localhost@evil.example") included, is not.
bool IsPlainHttpAuthority(std::string_view authority, const std::vector<std::string>& extra_hosts) {
  auto matches = [authority](std::string_view host) {
    if (host.empty() || authority.substr(0, host.size()) != host) return false;
    std::string_view port = authority.substr(host.size());
    if (port.empty()) return true;
    if (port.size() < 2 || port.size() > 6 || port[0] != ':') return false;
    return std::all_of(port.begin() + 1, port.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  for (std::string_view host : {std::string_view("127.0.0.1"), std::string_view("[::1]"),
                                std::string_view("localhost")}) {
    if (matches(host)) return true;
  }
  return std::any_of(extra_hosts.begin(), extra_hosts.end(), matches);
}

// AsUrl accepts "https://" + a non-empty host + the rest, or "http://" + a loopback host or
// a host the operator allowed (IsPlainHttpAuthority) + "/" or nothing, all printable ASCII,
// and returns it with a trailing "/" (appended if missing) so that API paths can be
// appended directly. Plain http to any other host is refused: the list is how a monitor
// learns where a log is, and nothing would protect what it then downloads.
Result<std::string> AsUrl(const Ctx& ctx, const Value& v, const std::string& path) {
  constexpr std::string_view kScheme = "https://";
  constexpr std::string_view kPlainScheme = "http://";
  auto s = AsString(ctx, v, path);
  if (!s.ok()) return s.status();
  std::string& url = *s;
  const std::string_view view = url;
  if (view.starts_with(kPlainScheme)) {
    const std::string_view rest = view.substr(kPlainScheme.size());
    if (!IsPlainHttpAuthority(rest.substr(0, rest.find('/')), ctx.options().plain_http_hosts)) {
      return ctx.Error(path, "expected https:// URL with a host (http:// only for a loopback host: "
                             "127.0.0.1, [::1] or localhost, or a host in logs.plain_http_hosts, with an "
                             "optional :port)");
    }
  } else if (url.size() <= kScheme.size() || !view.starts_with(kScheme) || url[kScheme.size()] == '/') {
    return ctx.Error(path, "expected https:// URL with a host");
  }
  for (char c : url) {
    if (c < 0x21 || c > 0x7e) return ctx.Error(path, "URL has a space, control or non-ASCII byte");
  }
  if (url.back() != '/') url.push_back('/');
  return std::move(url);
}

// CheckArray: the value is an array.
Status CheckArray(const Ctx& ctx, const Value& v, const std::string& path) {
  if (!v.IsArray()) return ctx.Error(path, "expected array");
  return OkStatus();
}

// ---------------------------------------------------------------------------------------
// The grammar, after Google's log_list_schema.json (v3) and Apple's v5.

constexpr std::array<std::pair<std::string_view, LogState>, 6> kStateNames = {{
    {"pending", LogState::kPending},
    {"qualified", LogState::kQualified},
    {"usable", LogState::kUsable},
    {"readonly", LogState::kReadOnly},
    {"retired", LogState::kRetired},
    {"rejected", LogState::kRejected},
}};

// state: { <one of kStateNames>: { timestamp: date-time,
//                                  final_tree_head: {tree_size, sha256_root_hash} (readonly) } }
Result<LogStateInfo> ParseState(const Ctx& ctx, const Value& v, const std::string& path) {
  if (Status s = CheckObject(ctx, v, path); !s.ok()) return s;
  std::optional<LogStateInfo> found;
  std::string found_name;
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    std::string_view name(m->name.GetString(), m->name.GetStringLength());
    auto known = std::find_if(kStateNames.begin(), kStateNames.end(),
                              [&](const auto& p) { return p.first == name; });
    if (known == kStateNames.end()) continue;  // a future state; see the header
    std::string state_path = Child(path, name);
    if (found) return ctx.Error(state_path, "more than one state (also " + found_name + ")");
    found_name = std::string(name);
    LogStateInfo info{.state = known->second};
    if (Status s = CheckObject(ctx, m->value, state_path); !s.ok()) return s;
    //   timestamp: date-time
    auto ts = Member(ctx, m->value, state_path, "timestamp", Presence::kRequired);
    if (!ts.ok()) return ts.status();
    auto ms = AsTime(ctx, **ts, Child(state_path, "timestamp"));
    if (!ms.ok()) return ms.status();
    info.timestamp_ms = *ms;
    //   final_tree_head: { tree_size: number >= 0, sha256_root_hash: base64(32 bytes) }
    if (info.state == LogState::kReadOnly) {
      std::string fth_path = Child(state_path, "final_tree_head");
      auto fth = Member(ctx, m->value, state_path, "final_tree_head", Presence::kRequired);
      if (!fth.ok()) return fth.status();
      if (Status s = CheckObject(ctx, **fth, fth_path); !s.ok()) return s;
      auto size_v = Member(ctx, **fth, fth_path, "tree_size", Presence::kRequired);
      if (!size_v.ok()) return size_v.status();
      auto tree_size = AsU64(ctx, **size_v, Child(fth_path, "tree_size"));
      if (!tree_size.ok()) return tree_size.status();
      auto root_v = Member(ctx, **fth, fth_path, "sha256_root_hash", Presence::kRequired);
      if (!root_v.ok()) return root_v.status();
      auto root = AsBase64Hash(ctx, **root_v, Child(fth_path, "sha256_root_hash"));
      if (!root.ok()) return root.status();
      info.final_tree_head = FinalTreeHead{.tree_size = *tree_size, .sha256_root_hash = *root};
    }
    found = std::move(info);
  }
  if (!found) return ctx.Error(path, "no known state (pending, qualified, usable, readonly, retired, rejected)");
  return std::move(*found);
}

// temporal_interval: { start_inclusive: date-time, end_exclusive: date-time }, start < end
Result<TemporalInterval> ParseTemporalInterval(const Ctx& ctx, const Value& v, const std::string& path) {
  if (Status s = CheckObject(ctx, v, path); !s.ok()) return s;
  auto start_v = Member(ctx, v, path, "start_inclusive", Presence::kRequired);
  if (!start_v.ok()) return start_v.status();
  auto start = AsTime(ctx, **start_v, Child(path, "start_inclusive"));
  if (!start.ok()) return start.status();
  auto end_v = Member(ctx, v, path, "end_exclusive", Presence::kRequired);
  if (!end_v.ok()) return end_v.status();
  auto end = AsTime(ctx, **end_v, Child(path, "end_exclusive"));
  if (!end.ok()) return end.status();
  if (*start >= *end) return ctx.Error(path, "start_inclusive is not before end_exclusive");
  return TemporalInterval{.start_inclusive_ms = *start, .end_exclusive_ms = *end};
}

std::string Quoted(const std::string& description) {
  constexpr size_t kMaxShown = 80;  // untrusted text in an error message: keep it short
  return "\"" + description.substr(0, kMaxShown) + (description.size() > kMaxShown ? "…" : "") + "\"";
}

// log (RFC 6962, "logs"):  { description?, key, log_id, mmd, url, state?, temporal_interval?,
//                            log_type?, … }
// tiled log ("tiled_logs"): the same with submission_url + monitoring_url instead of url.
Result<Log> ParseLog(const Ctx& ctx, const Value& v, const std::string& path, LogApi api) {
  if (Status s = CheckObject(ctx, v, path); !s.ok()) return s;
  Log log{.api = api, .list_names = {ctx.list_name()}};

  //   description: string (optional)
  auto desc_v = Member(ctx, v, path, "description", Presence::kOptional);
  if (!desc_v.ok()) return desc_v.status();
  if (*desc_v != nullptr) {
    auto d = AsString(ctx, **desc_v, Child(path, "description"));
    if (!d.ok()) return d.status();
    log.description = std::move(*d);
  }
  //   key: base64(DER SubjectPublicKeyInfo)
  auto key_v = Member(ctx, v, path, "key", Presence::kRequired);
  if (!key_v.ok()) return key_v.status();
  auto key = AsBase64(ctx, **key_v, Child(path, "key"));
  if (!key.ok()) return key.status();
  if (key->empty()) return ctx.Error(Child(path, "key"), "empty key");
  log.key = std::move(*key);
  //   log_id: base64(SHA-256(key)), RFC 6962 §3.2
  auto id_v = Member(ctx, v, path, "log_id", Presence::kRequired);
  if (!id_v.ok()) return id_v.status();
  auto id = AsBase64Hash(ctx, **id_v, Child(path, "log_id"));
  if (!id.ok()) return id.status();
  log.log_id = *id;
  if (Sha256Of(log.key) != log.log_id) {
    return ctx.Error(path, "log " + Quoted(log.description) + ": log_id " + Base64Encode(log.log_id) +
                               " is not SHA-256(key) " + Base64Encode(Sha256Of(log.key)));
  }
  //   mmd: integer seconds >= 1
  auto mmd_v = Member(ctx, v, path, "mmd", Presence::kRequired);
  if (!mmd_v.ok()) return mmd_v.status();
  auto mmd = AsU64(ctx, **mmd_v, Child(path, "mmd"));
  if (!mmd.ok()) return mmd.status();
  if (*mmd == 0) return ctx.Error(Child(path, "mmd"), "must be at least 1 second");
  log.mmd_seconds = *mmd;
  //   url (logs) | submission_url, monitoring_url (tiled_logs)
  const char* submission_key = api == LogApi::kRfc6962 ? "url" : "submission_url";
  const char* monitoring_key = api == LogApi::kRfc6962 ? "url" : "monitoring_url";
  auto sub_v = Member(ctx, v, path, submission_key, Presence::kRequired);
  if (!sub_v.ok()) return sub_v.status();
  auto sub = AsUrl(ctx, **sub_v, Child(path, submission_key));
  if (!sub.ok()) return sub.status();
  log.submission_url = std::move(*sub);
  auto mon_v = Member(ctx, v, path, monitoring_key, Presence::kRequired);
  if (!mon_v.ok()) return mon_v.status();
  auto mon = AsUrl(ctx, **mon_v, Child(path, monitoring_key));
  if (!mon.ok()) return mon.status();
  log.monitoring_url = std::move(*mon);
  //   state: {…} (optional: Google's all_logs_list names logs not yet admitted)
  auto state_v = Member(ctx, v, path, "state", Presence::kOptional);
  if (!state_v.ok()) return state_v.status();
  if (*state_v != nullptr) {
    auto state = ParseState(ctx, **state_v, Child(path, "state"));
    if (!state.ok()) return state.status();
    log.state = std::move(*state);
  }
  //   temporal_interval: {…} (optional)
  auto ti_v = Member(ctx, v, path, "temporal_interval", Presence::kOptional);
  if (!ti_v.ok()) return ti_v.status();
  if (*ti_v != nullptr) {
    auto ti = ParseTemporalInterval(ctx, **ti_v, Child(path, "temporal_interval"));
    if (!ti.ok()) return ti.status();
    log.temporal_interval = *ti;
  }
  //   log_type: "prod" | "test" | "monitoring_only" | other (optional)
  auto type_v = Member(ctx, v, path, "log_type", Presence::kOptional);
  if (!type_v.ok()) return type_v.status();
  if (*type_v != nullptr) {
    auto type = AsString(ctx, **type_v, Child(path, "log_type"));
    if (!type.ok()) return type.status();
    log.log_type = *type == "prod"              ? LogType::kProd
                   : *type == "test"            ? LogType::kTest
                   : *type == "monitoring_only" ? LogType::kMonitoringOnly
                                                : LogType::kOther;
  }
  return log;
}

Result<std::vector<Log>> ParseLogs(const Ctx& ctx, const Value& v, const std::string& path, LogApi api) {
  if (Status s = CheckArray(ctx, v, path); !s.ok()) return s;
  std::vector<Log> logs;
  logs.reserve(v.Size());
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    auto log = ParseLog(ctx, v[i], Index(path, i), api);
    if (!log.ok()) return log.status();
    logs.push_back(std::move(*log));
  }
  return logs;
}

// operator: { name: string, email: [string], logs: [log], tiled_logs?: [tiled log] }
Result<Operator> ParseOperator(const Ctx& ctx, const Value& v, const std::string& path) {
  if (Status s = CheckObject(ctx, v, path); !s.ok()) return s;
  Operator op;
  auto name_v = Member(ctx, v, path, "name", Presence::kRequired);
  if (!name_v.ok()) return name_v.status();
  auto name = AsString(ctx, **name_v, Child(path, "name"));
  if (!name.ok()) return name.status();
  op.name = std::move(*name);

  std::string email_path = Child(path, "email");
  auto email_v = Member(ctx, v, path, "email", Presence::kRequired);
  if (!email_v.ok()) return email_v.status();
  if (Status s = CheckArray(ctx, **email_v, email_path); !s.ok()) return s;
  for (rapidjson::SizeType i = 0; i < (*email_v)->Size(); ++i) {
    auto e = AsString(ctx, (**email_v)[i], Index(email_path, i));
    if (!e.ok()) return e.status();
    op.email.push_back(std::move(*e));
  }

  auto logs_v = Member(ctx, v, path, "logs", Presence::kRequired);
  if (!logs_v.ok()) return logs_v.status();
  auto logs = ParseLogs(ctx, **logs_v, Child(path, "logs"), LogApi::kRfc6962);
  if (!logs.ok()) return logs.status();
  op.logs = std::move(*logs);

  auto tiled_v = Member(ctx, v, path, "tiled_logs", Presence::kOptional);
  if (!tiled_v.ok()) return tiled_v.status();
  if (*tiled_v != nullptr) {
    auto tiled = ParseLogs(ctx, **tiled_v, Child(path, "tiled_logs"), LogApi::kStaticCt);
    if (!tiled.ok()) return tiled.status();
    op.tiled_logs = std::move(*tiled);
  }
  return op;
}

// ---------------------------------------------------------------------------------------
// Union.

// StateRank orders states by how much a monitor should care (see UnionOfLists).
int StateRank(const std::optional<LogStateInfo>& s) {
  if (!s) return 0;
  switch (s->state) {
    case LogState::kRejected: return 1;
    case LogState::kPending: return 2;
    case LogState::kRetired: return 3;
    case LogState::kReadOnly: return 4;
    case LogState::kQualified: return 5;
    case LogState::kUsable: return 6;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// OpenSSL, wrapped so that every object is freed on every path.

using PkeyPtr = EvpPkeyPtr;
using MdCtxPtr = EvpMdCtxPtr;

constexpr int kMinRsaBits = 2048;

Result<PkeyPtr> ReadPublicKey(Bytes spki_der_or_pem) {
  if (spki_der_or_pem.size() > INT_MAX) return FailedPreconditionError("log list key: too large");
  std::string_view text(reinterpret_cast<const char*>(spki_der_or_pem.data()), spki_der_or_pem.size());
  size_t first = text.find_first_not_of(" \t\r\n");
  PkeyPtr key;
  if (first != std::string_view::npos && text.substr(first).starts_with("-----BEGIN")) {
    BioPtr bio(BIO_new_mem_buf(spki_der_or_pem.data(), static_cast<int>(spki_der_or_pem.size())));
    if (!bio) return InternalError("BIO_new_mem_buf failed");
    key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const unsigned char* p = spki_der_or_pem.data();
    key.reset(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der_or_pem.size())));
    if (key && p != spki_der_or_pem.data() + spki_der_or_pem.size()) {
      return FailedPreconditionError("log list key: trailing bytes after SubjectPublicKeyInfo");
    }
  }
  if (!key) {
    ERR_clear_error();
    return FailedPreconditionError("log list key: not a PEM or DER SubjectPublicKeyInfo");
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return FailedPreconditionError("log list key: not an RSA key");
  }
  if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
    return FailedPreconditionError("log list key: RSA key shorter than 2048 bits");
  }
  return key;
}

}  // namespace

std::string_view LogStateName(LogState state) {
  for (const auto& [name, s] : kStateNames) {
    if (s == state) return name;
  }
  return "unknown";
}

Result<LogList> ParseLogList(Bytes json, std::string_view list_name, const LogListOptions& options) {
  Ctx ctx(list_name, options);
  if (json.size() > kMaxLogListSizeBytes) {
    return ctx.Error("(document)", "larger than " + std::to_string(kMaxLogListSizeBytes) + " bytes");
  }
  // A raw NUL is never valid JSON text, and RapidJSON's in-memory stream reads NUL as "end of
  // input", which would let bytes after it pass as absent.
  if (std::memchr(json.data(), 0, json.size()) != nullptr) {
    return ctx.Error("(document)", "NUL byte in JSON text");
  }
  rapidjson::Document doc;
  // Default flags (anything but whitespace after the root value is an error), plus UTF-8
  // validation and the iterative parser (no recursion depth for nested input to exhaust).
  constexpr unsigned kFlags = rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;
  doc.Parse<kFlags>(reinterpret_cast<const char*>(json.data()), json.size());
  if (doc.HasParseError()) {
    return ctx.Error("(document)", std::string("invalid JSON at byte offset ") +
                                       std::to_string(doc.GetErrorOffset()) + ": " +
                                       rapidjson::GetParseError_En(doc.GetParseError()));
  }
  const std::string root;  // the empty path
  if (!doc.IsObject()) return ctx.Error("(document)", "expected object");
  if (Status s = CheckObject(ctx, doc, root); !s.ok()) return s;

  LogList list{.name = std::string(list_name)};
  // version: string (optional)
  auto version_v = Member(ctx, doc, root, "version", Presence::kOptional);
  if (!version_v.ok()) return version_v.status();
  if (*version_v != nullptr) {
    auto version = AsString(ctx, **version_v, "version");
    if (!version.ok()) return version.status();
    list.version = std::move(*version);
  }
  // log_list_timestamp: date-time (optional; Apple's list has none)
  auto ts_v = Member(ctx, doc, root, "log_list_timestamp", Presence::kOptional);
  if (!ts_v.ok()) return ts_v.status();
  if (*ts_v != nullptr) {
    auto ts = AsTime(ctx, **ts_v, "log_list_timestamp");
    if (!ts.ok()) return ts.status();
    list.log_list_timestamp_ms = *ts;
  }
  // operators: [operator]
  auto ops_v = Member(ctx, doc, root, "operators", Presence::kRequired);
  if (!ops_v.ok()) return ops_v.status();
  if (Status s = CheckArray(ctx, **ops_v, "operators"); !s.ok()) return s;
  std::map<LogId, std::string> seen;  // log id -> path of its first appearance
  for (rapidjson::SizeType i = 0; i < (*ops_v)->Size(); ++i) {
    std::string op_path = Index("operators", i);
    auto op = ParseOperator(ctx, (**ops_v)[i], op_path);
    if (!op.ok()) return op.status();
    if (seen.size() + op->logs.size() + op->tiled_logs.size() > kMaxLogsPerList) {
      return ctx.Error(op_path, "the list names more than " + std::to_string(kMaxLogsPerList) +
                                    " logs (kMaxLogsPerList)");
    }
    // A log id must appear once per list: two entries for one log could disagree.
    for (const auto& [logs, key] : {std::pair{&op->logs, "logs"}, std::pair{&op->tiled_logs, "tiled_logs"}}) {
      for (size_t j = 0; j < logs->size(); ++j) {
        std::string path = Index(Child(op_path, key), j);
        auto [it, inserted] = seen.emplace((*logs)[j].log_id, path);
        if (!inserted) return ctx.Error(path, "duplicate log_id (first at " + it->second + ")");
      }
    }
    list.operators.push_back(std::move(*op));
  }
  return list;
}

Result<std::vector<Log>> UnionOfLists(std::span<const LogList> lists) {
  std::vector<Log> out;
  std::map<LogId, size_t> index;  // log id -> position in `out`
  for (const LogList& list : lists) {
    for (const Operator& op : list.operators) {
      for (const auto* logs : {&op.logs, &op.tiled_logs}) {
        for (const Log& log : *logs) {
          auto [it, inserted] = index.emplace(log.log_id, out.size());
          if (inserted) {
            out.push_back(log);
            continue;
          }
          Log& kept = out[it->second];
          auto conflict = [&](std::string_view what) {
            return FailedPreconditionError(
                "log lists disagree on " + std::string(what) + " of log " + Quoted(log.description) +
                " (log_id " + Base64Encode(log.log_id) + "): list '" + kept.list_names.front() +
                "' vs list '" + list.name + "'");
          };
          if (kept.key != log.key) return conflict("the key");
          if (kept.api != log.api) return conflict("the API (logs vs tiled_logs)");
          if (kept.submission_url != log.submission_url) return conflict("the submission URL");
          if (kept.monitoring_url != log.monitoring_url) return conflict("the monitoring URL");
          if (kept.state && log.state && kept.state->final_tree_head && log.state->final_tree_head &&
              kept.state->final_tree_head != log.state->final_tree_head) {
            return conflict("the final tree head");
          }
          if (StateRank(log.state) > StateRank(kept.state)) kept.state = log.state;
          kept.mmd_seconds = std::min(kept.mmd_seconds, log.mmd_seconds);
          if (kept.description.empty()) kept.description = log.description;
          if (!kept.temporal_interval) kept.temporal_interval = log.temporal_interval;
          if (!kept.log_type) kept.log_type = log.log_type;
          kept.list_names.insert(kept.list_names.end(), log.list_names.begin(), log.list_names.end());
        }
      }
    }
  }
  return out;
}

std::vector<Log> SelectLogs(std::span<const Log> logs, std::span<const LogState> states) {
  std::vector<Log> out;
  for (const Log& log : logs) {
    if (log.state && std::find(states.begin(), states.end(), log.state->state) != states.end()) {
      out.push_back(log);
    }
  }
  return out;
}

Status VerifyLogListSignature(Bytes json, Bytes signature, Bytes spki_der_or_pem) {
  auto key = ReadPublicKey(spki_der_or_pem);
  if (!key.ok()) return key.status();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key->get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
    ERR_clear_error();
    return InternalError("log list signature: EVP_DigestVerifyInit failed");
  }
  int rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), json.data(), json.size());
  ERR_clear_error();
  if (rc != 1) {
    return MalformedError("log list signature does not verify (RSASSA-PKCS1-v1_5, SHA-256, " +
                          std::to_string(json.size()) + " bytes of JSON)");
  }
  return OkStatus();
}

std::string LogListSignatureLocation(std::string_view list_location) {
  constexpr std::string_view kJson = ".json";
  std::string_view base = list_location;
  if (base.ends_with(kJson)) base.remove_suffix(kJson.size());
  return std::string(base) + ".sig";
}

}  // namespace pinwatch::ctlog
