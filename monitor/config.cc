// monitor/config.h: the YAML file, read through yaml-cpp. yaml-cpp throws; its exceptions
// stop in ParseConfig (the library seam), and everything below it walks the parsed node tree
// with typed readers that return Result<T> and name the key path and line on error.
#include "monitor/config.h"

#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <span>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "base/encoding.h"
#include "base/file.h"
#include "base/pin.h"
#include "base/time.h"
#include "x509/hostname.h"
#include "watch/watchlist.h"

namespace pinwatch::monitor {
namespace {

// kMaxConfigBytes bounds the file: 100,000 watch entries with a few pins each fit in about
// 40 MB; anything larger is not a configuration file.
constexpr size_t kMaxConfigBytes = 64 << 20;
// kMaxDurationMs bounds every duration at one year: longer is a typo, and the bound keeps
// conversions to std::chrono::nanoseconds (±292 years) far from overflow.
constexpr int64_t kMaxDurationMs = int64_t{365} * 24 * 3600 * 1000;
constexpr int64_t kMaxDurationS = kMaxDurationMs / 1000;
// kMaxThreads bounds match_threads and requests_in_flight: more would exhaust the machine
// (threads) or get us rate-limited by every log (connections) long before it helped.
constexpr int64_t kMaxThreads = 1024;
// kMaxEntries bounds entry counts; no log serves or is worth batching more in one go.
constexpr int64_t kMaxEntries = int64_t{1} << 30;
// kMaxQuotedBytes: longer values are cut in messages.
constexpr size_t kMaxQuotedBytes = 80;
constexpr std::string_view kPinShape = "\"sha256/<base64 of 32 bytes>\"";

// Quote returns `text` in double quotes with '"', '\\' and non-printable bytes escaped, cut
// to kMaxQuotedBytes.
std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMaxQuotedBytes; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);  // UTF-8 passes through
    }
  }
  out += text.size() > kMaxQuotedBytes ? "\"..." : "\"";
  return out;
}

// IsPlain says whether a scalar was written without quotes or an explicit tag; only plain
// scalars are numbers or booleans ("30" in quotes is a string).
bool IsPlain(const YAML::Node& node) { return node.IsScalar() && node.Tag() == "?"; }

// Describe says what a node is, for "got ..." in messages.
std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing (null)";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      break;
  }
  return IsPlain(node) ? Quote(node.Scalar()) : "the quoted string " + Quote(node.Scalar());
}

// Joined returns "a, b, c".
std::string Joined(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// Reader turns nodes into typed values; every error names source, line and key path.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  // Error returns kFailedPrecondition "SOURCE:LINE: PATH: what" (LINE and PATH left out
  // when unknown or empty).
  Status Error(const YAML::Mark& mark, std::string_view path, std::string_view what) const {
    std::string message(source_);
    if (!mark.is_null()) message += ":" + std::to_string(mark.line + 1);
    message += ": ";
    if (!path.empty()) {
      message += path;
      message += ": ";
    }
    message += what;
    return FailedPreconditionError(std::move(message));
  }
  Status Expected(const YAML::Node& node, std::string_view path, std::string_view expected) const {
    return Error(node.Mark(), path, "expected " + std::string(expected) + ", got " + Describe(node));
  }

  // Field is one key of a map: its value and where the key was written.
  struct Field {
    YAML::Node value;
    YAML::Mark key_mark;
    std::string path;
    // mark is where to point for the value: the key's line when the value is empty (an
    // empty value's mark is wherever the next token happens to be).
    YAML::Mark mark() const { return value.IsNull() || value.Mark().is_null() ? key_mark : value.Mark(); }
  };
  // Fields holds a map's keys, each checked against the allowed names and seen once.
  struct Fields {
    YAML::Mark mark;  // the map's, for "required" errors
    std::string path;
    std::map<std::string, Field, std::less<>> by_key;
    const Field* Find(std::string_view key) const {
      auto it = by_key.find(key);
      return it == by_key.end() ? nullptr : &it->second;
    }
    std::string PathOf(std::string_view key) const { return path.empty() ? std::string(key) : path + "." + std::string(key); }
  };

  // ReadMap returns the keys of a map (a null node, as in "logs:" with nothing after it, is
  // an empty map). Error on another node type, a non-scalar key, an unknown key or a key
  // written twice.
  Result<Fields> ReadMap(const YAML::Node& node, const YAML::Mark& fallback, const std::string& path,
                         std::span<const std::string_view> allowed) const {
    Fields fields{.mark = node.Mark().is_null() || node.IsNull() ? fallback : node.Mark(), .path = path};
    if (node.IsNull()) return fields;
    if (!node.IsMap()) return Expected(node, path, "a map with keys " + Joined(allowed));
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Copies, not references: yaml-cpp's iterator returns a temporary proxy whose
      // `first`/`second` die with it (ASan: stack-use-after-scope).
      const YAML::Node key = it->first;
      if (!key.IsScalar()) return Expected(key, path, "a key name");
      const std::string& name = key.Scalar();
      std::string key_path = fields.PathOf(name);
      bool known = false;
      for (std::string_view a : allowed) known = known || a == name;
      if (!known) {
        return Error(key.Mark(), key_path, "unknown key, expected one of: " + Joined(allowed));
      }
      if (const Field* first = fields.Find(name)) {
        return Error(key.Mark(), key_path, "key written twice (first on line " + std::to_string(first->key_mark.line + 1) + ")");
      }
      fields.by_key.emplace(name, Field{.value = YAML::Node(it->second), .key_mark = key.Mark(), .path = std::move(key_path)});
    }
    return fields;
  }

  // ReadList returns the elements of a list. Error on anything else (also null: an empty
  // list is written "[]").
  Result<std::vector<YAML::Node>> ReadList(const Field& field, std::string_view what) const {
    if (!field.value.IsSequence()) return Error(field.mark(), field.path, "expected a list of " + std::string(what) + ", got " + Describe(field.value));
    std::vector<YAML::Node> out;
    for (auto it = field.value.begin(); it != field.value.end(); ++it) out.push_back(*it);
    return out;
  }

  // ReadString returns a non-empty scalar's text.
  Result<std::string> ReadString(const YAML::Node& node, const YAML::Mark& mark, std::string_view path, std::string_view what) const {
    if (!node.IsScalar() || node.Scalar().empty()) {
      return Error(mark, path, "expected " + std::string(what) + ", got " + (node.IsScalar() ? "an empty string" : Describe(node)));
    }
    return node.Scalar();
  }

  // ReadBool accepts exactly the plain scalars true and false (not yes/no/on/off, which
  // YAML 1.1 readers and yaml-cpp's as<bool> also take: a typo should not become a value).
  Result<bool> ReadBool(const Field& field) const {
    if (IsPlain(field.value) && field.value.Scalar() == "true") return true;
    if (IsPlain(field.value) && field.value.Scalar() == "false") return false;
    return Error(field.mark(), field.path, "expected true or false, got " + Describe(field.value));
  }

  // ReadInt accepts a plain decimal integer in [min, max] (no sign on positives, no
  // underscores, hex or exponents).
  Result<int64_t> ReadInt(const Field& field, int64_t min, int64_t max) const {
    const std::string expected = min == 1 ? "a positive integer up to " + std::to_string(max)
                                          : "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    const auto fail = [&] { return Error(field.mark(), field.path, "expected " + expected + ", got " + Describe(field.value)); };
    if (!IsPlain(field.value)) return fail();
    const std::string& text = field.value.Scalar();
    int64_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || value < min || value > max) return fail();
    return value;
  }

  // ReadDuration accepts a duration as Prometheus writes it ("30s", "5m", "1h30m"; see
  // ParseDurationMs) in [min_ms, max_ms].
  Result<int64_t> ReadDuration(const Field& field, int64_t min_ms, int64_t max_ms) const {
    const std::optional<int64_t> ms = field.value.IsScalar() ? ParseDurationMs(field.value.Scalar()) : std::nullopt;
    if (!ms || *ms < min_ms || *ms > max_ms) {
      return Error(field.mark(), field.path,
                   "expected a duration such as 30s, 5m or 1h from " + FormatDurationMs(min_ms) + " to " +
                       FormatDurationMs(max_ms) + ", got " + Describe(field.value));
    }
    return *ms;
  }

  // ReadHttpUrl returns an http:// or https:// URL with a host, without its trailing slash.
  Result<std::string> ReadHttpUrl(const YAML::Node& node, const YAML::Mark& mark, const std::string& path) const {
    Result<std::string> url = ReadString(node, mark, path, "an http:// or https:// URL");
    if (!url.ok()) return url.status();
    std::string_view rest = *url;
    if (rest.starts_with("http://")) rest.remove_prefix(7);
    else if (rest.starts_with("https://")) rest.remove_prefix(8);
    else return Expected(node, path, "an http:// or https:// URL");
    const bool printable = std::all_of(url->begin(), url->end(), [](char c) { return c > 0x20 && c < 0x7f; });
    if (rest.empty() || rest.front() == '/' || !printable || url->find_first_of("?#") != std::string::npos) {
      return Expected(node, path, "an http:// or https:// URL with a host and no query");
    }
    std::string out = *std::move(url);
    while (out.ends_with('/')) out.pop_back();
    return out;
  }

  // ReadPins returns the SPKI hashes of a list of "sha256/<base64>" pins.
  Result<std::vector<ctlog::Hash>> ReadPins(const Field& field) const {
    Result<std::vector<YAML::Node>> items = ReadList(field, "\"sha256/<base64 of 32 bytes>\" pins");
    if (!items.ok()) return items.status();
    std::vector<ctlog::Hash> pins;
    for (size_t i = 0; i < items->size(); ++i) {
      const YAML::Node& item = (*items)[i];
      std::optional<ctlog::Hash> pin = item.IsScalar() ? ParsePin(item.Scalar()) : std::nullopt;
      if (!pin) return Expected(item, field.path + "[" + std::to_string(i) + "]", kPinShape);
      pins.push_back(*pin);
    }
    return pins;
  }

 private:
  std::string_view source_;
};

constexpr std::array<std::string_view, 9> kTopKeys = {"database", "logs", "watch", "run", "http", "alerts",
                                                     "pinsets", "publish", "reports"};
constexpr std::array<std::string_view, 3> kReportsKeys = {"interception_clients", "interception_window_s",
                                                          "per_address_per_minute"};
constexpr std::array<std::string_view, 8> kPinsetKeys = {"name", "names", "include_subdomains", "pins", "min_pins",
                                                        "approvals_required", "expiry_days", "remove_grace_days"};
constexpr std::array<std::string_view, 2> kPublishKeys = {"signing_key", "directory"};
constexpr std::array<std::string_view, 3> kHttpKeys = {"listen", "tls_cert_file", "tls_key_file"};
constexpr std::array<std::string_view, 5> kAlertsKeys = {"alertmanager_urls", "resend_interval", "timeout",
                                                         "external_url", "send_severities"};
constexpr std::array<std::string_view, 2> kDatabaseKeys = {"url", "max_connections"};
constexpr std::array<std::string_view, 13> kLogsKeys = {"lists", "states", "start", "poll_interval_ms",
                                                       "entries_per_request", "requests_in_flight", "retry_lookahead_mib",
                                                       "request_timeout_ms", "low_speed_bytes_per_s",
                                                       "low_speed_time_ms", "plain_http_hosts",
                                                       "list_public_keys", "list_refresh_interval_s"};
constexpr std::array<std::string_view, 4> kWatchKeys = {"name", "include_subdomains", "allowed_issuers", "known_keys"};
constexpr std::array<std::string_view, 7> kRunKeys = {"replica_id", "lease_seconds", "commit_every_entries",
                                                      "commit_interval_ms", "match_threads", "progress_interval_s", "pinset_interval_s"};
constexpr std::array<ctlog::LogState, 6> kAllStates = {ctlog::LogState::kPending, ctlog::LogState::kQualified,
                                                        ctlog::LogState::kUsable, ctlog::LogState::kReadOnly,
                                                        ctlog::LogState::kRetired, ctlog::LogState::kRejected};

std::optional<ctlog::LogState> StateNamed(std::string_view name) {
  for (ctlog::LogState state : kAllStates) {
    if (ctlog::LogStateName(state) == name) return state;
  }
  return std::nullopt;
}

std::string StateNames() {
  std::string out;
  for (ctlog::LogState state : kAllStates) {
    if (!out.empty()) out += ", ";
    out += ctlog::LogStateName(state);
  }
  return out;
}

// ReadStrings reads the list at `f` (`list_what`: "host names"), each item a string that
// `valid` accepts, else the error says it expected `item_what`.
Result<std::vector<std::string>> ReadStrings(const Reader& r, const Reader::Field& f, const std::string& list_what,
                                             const std::string& item_what,
                                             const std::function<bool(const std::string&)>& valid) {
  Result<std::vector<YAML::Node>> items = r.ReadList(f, list_what);
  if (!items.ok()) return items.status();
  std::vector<std::string> out;
  for (size_t i = 0; i < items->size(); ++i) {
    const YAML::Node& item = (*items)[i];
    const std::string path = f.path + "[" + std::to_string(i) + "]";
    Result<std::string> text = r.ReadString(item, item.IsNull() ? f.mark() : item.Mark(), path, item_what);
    if (!text.ok()) return text.status();
    if (!valid(*text)) return r.Expected(item, path, item_what);
    out.push_back(*std::move(text));
  }
  return out;
}

// ReadLogs reads `logs` (absent or empty: all defaults).
Result<LogsConfig> ReadLogs(const Reader& r, const YAML::Node& node, const YAML::Mark& mark) {
  Result<Reader::Fields> fields = r.ReadMap(node, mark, "logs", kLogsKeys);
  if (!fields.ok()) return fields.status();
  LogsConfig logs;
  logs.lists = {std::string(kGoogleLogListUrl)};
  logs.states.assign(ctlog::kMonitoredStates.begin(), ctlog::kMonitoredStates.end());

  // lists: [FILE-OR-URL, ...]
  if (const Reader::Field* f = fields->Find("lists")) {
    Result<std::vector<YAML::Node>> items = r.ReadList(*f, "log list files or URLs");
    if (!items.ok()) return items.status();
    if (items->empty()) return r.Error(f->mark(), f->path, "expected at least one log list file or URL, got an empty list");
    logs.lists.clear();
    for (size_t i = 0; i < items->size(); ++i) {
      const YAML::Node& item = (*items)[i];
      const std::string path = f->path + "[" + std::to_string(i) + "]";
      Result<std::string> list = r.ReadString(item, item.IsNull() ? f->mark() : item.Mark(), path, "a file path or http(s) URL");
      if (!list.ok()) return list.status();
      if (list->find("://") != std::string::npos && !list->starts_with("https://") && !list->starts_with("http://")) {
        return r.Expected(item, path, "a file path or an http:// or https:// URL");
      }
      logs.lists.push_back(*std::move(list));
    }
  }
  // states: [usable, qualified, readonly]
  if (const Reader::Field* f = fields->Find("states")) {
    Result<std::vector<YAML::Node>> items = r.ReadList(*f, "log states");
    if (!items.ok()) return items.status();
    if (items->empty()) return r.Error(f->mark(), f->path, "expected at least one log state, got an empty list");
    logs.states.clear();
    for (size_t i = 0; i < items->size(); ++i) {
      const YAML::Node& item = (*items)[i];
      const std::string path = f->path + "[" + std::to_string(i) + "]";
      std::optional<ctlog::LogState> state = item.IsScalar() ? StateNamed(item.Scalar()) : std::nullopt;
      if (!state) return r.Expected(item, path, "one of " + StateNames());
      for (ctlog::LogState seen : logs.states) {
        if (seen == *state) return r.Error(item.Mark(), path, "expected each state once, got " + Quote(item.Scalar()) + " again");
      }
      logs.states.push_back(*state);
    }
  }
  // plain_http_hosts: [ctsim]: host names whose logs may be reached over plain http
  // besides loopback.
  if (const Reader::Field* f = fields->Find("plain_http_hosts")) {
    auto hosts = ReadStrings(r, *f, "host names", "a host name in lower case (letters, digits, '-', '.'), no port",
                             [](const std::string& host) {
                               return !host.empty() && host.size() <= 253 &&
                                      std::all_of(host.begin(), host.end(), [](char c) {
                                        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
                                      });
                             });
    if (!hosts.ok()) return hosts.status();
    logs.plain_http_hosts = *std::move(hosts);
  }
  // list_public_keys: [FILE, ...]
  if (const Reader::Field* f = fields->Find("list_public_keys")) {
    auto files = ReadStrings(r, *f, "public key files", "a PEM file path",
                             [](const std::string& file) { return !file.empty(); });
    if (!files.ok()) return files.status();
    logs.list_public_keys = *std::move(files);
  }
  // start: end | 0
  if (const Reader::Field* f = fields->Find("start")) {
    const std::string text = f->value.IsScalar() ? f->value.Scalar() : "";
    if (text == "end") {
      logs.start = StartPosition::kEnd;
    } else if (text == "0") {
      logs.start = StartPosition::kZero;
    } else {
      return r.Error(f->mark(), f->path, "expected end or 0, got " + Describe(f->value));
    }
  }
  if (const Reader::Field* f = fields->Find("poll_interval_ms")) {
    Result<int64_t> v = r.ReadInt(*f, 0, kMaxDurationMs);  // 0: automatic, see config.h
    if (!v.ok()) return v.status();
    logs.poll_interval_ms = *v;
  }
  if (const Reader::Field* f = fields->Find("entries_per_request")) {
    Result<int64_t> v = r.ReadInt(*f, 1, kMaxEntries);
    if (!v.ok()) return v.status();
    logs.entries_per_request = static_cast<uint64_t>(*v);
  }
  if (const Reader::Field* f = fields->Find("requests_in_flight")) {
    Result<int64_t> v = r.ReadInt(*f, 1, kMaxThreads);
    if (!v.ok()) return v.status();
    logs.requests_in_flight = static_cast<uint64_t>(*v);
  }
  if (const Reader::Field* f = fields->Find("retry_lookahead_mib")) {
    Result<int64_t> v = r.ReadInt(*f, 0, 4096);
    if (!v.ok()) return v.status();
    logs.retry_lookahead_mib = static_cast<uint64_t>(*v);
  }
  if (const Reader::Field* f = fields->Find("request_timeout_ms")) {
    Result<int64_t> v = r.ReadInt(*f, 1, kMaxDurationMs);
    if (!v.ok()) return v.status();
    logs.request_timeout_ms = *v;
  }
  if (const Reader::Field* f = fields->Find("low_speed_bytes_per_s")) {
    Result<int64_t> v = r.ReadInt(*f, 0, int64_t{1} << 40);  // 0: no low-speed limit
    if (!v.ok()) return v.status();
    logs.low_speed_bytes_per_s = *v;
  }
  if (const Reader::Field* f = fields->Find("low_speed_time_ms")) {
    Result<int64_t> v = r.ReadInt(*f, 1000, kMaxDurationMs);  // curl counts whole seconds
    if (!v.ok()) return v.status();
    logs.low_speed_time_ms = *v;
  }
  if (const Reader::Field* f = fields->Find("list_refresh_interval_s")) {
    Result<int64_t> v = r.ReadInt(*f, 0, kMaxDurationMs / 1000);  // 0: read once, at start
    if (!v.ok()) return v.status();
    logs.list_refresh_interval_s = *v;
  }
  return logs;
}

// ReadWatch reads the `watch` list: at least one entry, each a name WatchList accepts, no
// name twice (compared as matched: "Example.COM." and "example.com" are the same). It builds
// no WatchList: `run` builds the one index it matches with (MakeWatch), other commands none.
Result<std::vector<WatchConfig>> ReadWatch(const Reader& r, const Reader::Field& field) {
  Result<std::vector<YAML::Node>> items = r.ReadList(field, "watch entries (maps with a name)");
  if (!items.ok()) return items.status();
  if (items->empty()) return r.Error(field.mark(), field.path, "expected at least one entry (a daemon watching nothing is a configuration error), got an empty list");
  if (items->size() > watch::kMaxWatchEntries) {
    return r.Error(field.mark(), field.path, "expected at most " + std::to_string(watch::kMaxWatchEntries) + " entries, got " + std::to_string(items->size()));
  }
  std::vector<WatchConfig> watch;
  watch.reserve(items->size());
  std::unordered_map<std::string, size_t> index_by_name;  // canonical name -> first entry
  index_by_name.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    const YAML::Node& item = (*items)[i];
    const std::string path = field.path + "[" + std::to_string(i) + "]";
    if (item.IsNull()) return r.Error(field.mark(), path, "expected a map with keys " + Joined(kWatchKeys) + ", got " + Describe(item));
    Result<Reader::Fields> fields = r.ReadMap(item, field.mark(), path, kWatchKeys);
    if (!fields.ok()) return fields.status();
    WatchConfig entry;
    const Reader::Field* name = fields->Find("name");
    if (!name) return r.Error(fields->mark, fields->PathOf("name"), "required");
    Result<std::string> text = r.ReadString(name->value, name->mark(), name->path, "a DNS name or IP address");
    if (!text.ok()) return text.status();
    entry.name = *std::move(text);
    if (const Reader::Field* f = fields->Find("include_subdomains")) {
      Result<bool> v = r.ReadBool(*f);
      if (!v.ok()) return v.status();
      entry.include_subdomains = *v;
    }
    if (const Reader::Field* f = fields->Find("allowed_issuers")) {
      Result<std::vector<ctlog::Hash>> pins = r.ReadPins(*f);
      if (!pins.ok()) return pins.status();
      entry.allowed_issuers = *std::move(pins);
    }
    if (const Reader::Field* f = fields->Find("known_keys")) {
      Result<std::vector<ctlog::Hash>> pins = r.ReadPins(*f);
      if (!pins.ok()) return pins.status();
      entry.known_keys = *std::move(pins);
    }
    // The name as WatchList will match it, checked with the rules WatchList::Create applies
    // (and its words): building an index here, per entry or for the whole list, cost every
    // command the index's time and memory while only `run` matches anything (issue 13).
    const auto refused = [&](const std::string& why) {
      return r.Error(name->mark(), name->path, "expected a DNS name or IP address to watch, got " + Quote(entry.name) + " (" + why + ")");
    };
    std::string canonical;  // "ip:" + the address bytes, or the DNS name as x509::NormalizeWatchName returns it
    if (std::optional<x509::IpAddress> address = x509::ParseIpAddressLiteral(entry.name)) {
      if (entry.include_subdomains) return refused("an IP address cannot include subdomains");
      canonical = "ip:" + std::string(address->view().begin(), address->view().end());
    } else {
      Result<std::string> normalized = x509::NormalizeWatchName(entry.name);
      if (!normalized.ok()) return refused(normalized.status().message());
      canonical = *std::move(normalized);
    }
    auto [it, inserted] = index_by_name.emplace(std::move(canonical), i);
    if (!inserted) {
      return r.Error(name->mark(), name->path, "expected each name once, got " + Quote(entry.name) + " again (as watch[" + std::to_string(it->second) + "])");
    }
    watch.push_back(std::move(entry));
  }
  return watch;
}

// ReadRun reads `run` (absent or empty: all defaults; replica_id is filled in later).
Result<RunConfig> ReadRun(const Reader& r, const YAML::Node& node, const YAML::Mark& mark) {
  Result<Reader::Fields> fields = r.ReadMap(node, mark, "run", kRunKeys);
  if (!fields.ok()) return fields.status();
  RunConfig run;
  if (const Reader::Field* f = fields->Find("replica_id")) {
    Result<std::string> v = r.ReadString(f->value, f->mark(), f->path, "a non-empty string");
    if (!v.ok()) return v.status();
    run.replica_id = *std::move(v);
  }
  struct IntKey {
    std::string_view key;
    int64_t max;
    int64_t* signed_out;
    uint64_t* unsigned_out;
  };
  const IntKey keys[] = {
      {"lease_seconds", kMaxDurationS, &run.lease_seconds, nullptr},
      {"commit_every_entries", kMaxEntries, nullptr, &run.commit_every_entries},
      {"commit_interval_ms", kMaxDurationMs, &run.commit_interval_ms, nullptr},
      {"match_threads", kMaxThreads, nullptr, &run.match_threads},
      {"progress_interval_s", kMaxDurationS, &run.progress_interval_s, nullptr},
      {"pinset_interval_s", 3600, &run.pinset_interval_s, nullptr},
  };
  for (const IntKey& k : keys) {
    const Reader::Field* f = fields->Find(k.key);
    if (!f) continue;
    Result<int64_t> v = r.ReadInt(*f, 1, k.max);
    if (!v.ok()) return v.status();
    if (k.signed_out) *k.signed_out = *v;
    if (k.unsigned_out) *k.unsigned_out = static_cast<uint64_t>(*v);
  }
  return run;
}

// ReadReports reads `reports` (every key optional).
Result<ReportsConfig> ReadReports(const Reader& r, const YAML::Node& node, const YAML::Mark& mark) {
  Result<Reader::Fields> fields = r.ReadMap(node, mark, "reports", kReportsKeys);
  if (!fields.ok()) return fields.status();
  ReportsConfig reports;
  if (const Reader::Field* f = fields->Find("interception_clients")) {
    Result<int64_t> v = r.ReadInt(*f, 1, 1'000'000);
    if (!v.ok()) return v.status();
    reports.interception_clients = *v;
  }
  if (const Reader::Field* f = fields->Find("interception_window_s")) {
    Result<int64_t> v = r.ReadInt(*f, 60, 30 * 86400);
    if (!v.ok()) return v.status();
    reports.interception_window_s = *v;
  }
  if (const Reader::Field* f = fields->Find("per_address_per_minute")) {
    Result<int64_t> v = r.ReadInt(*f, 1, 100'000);
    if (!v.ok()) return v.status();
    reports.per_address_per_minute = *v;
  }
  return reports;
}

// ReadHttp reads `http` (absent or empty: no listener).
Result<HttpConfig> ReadHttp(const Reader& r, const YAML::Node& node, const YAML::Mark& mark) {
  Result<Reader::Fields> fields = r.ReadMap(node, mark, "http", kHttpKeys);
  if (!fields.ok()) return fields.status();
  HttpConfig http;
  const Reader::Field* cert = fields->Find("tls_cert_file");
  const Reader::Field* key = fields->Find("tls_key_file");
  if ((cert == nullptr) != (key == nullptr)) {
    const Reader::Field* given = cert ? cert : key;
    return r.Error(given->mark(), given->path, std::string("needs ") + (cert ? "http.tls_key_file" : "http.tls_cert_file") +
                                                   " as well (a certificate and its key)");
  }
  if (cert) {
    Result<std::string> c = r.ReadString(cert->value, cert->mark(), cert->path, "a PEM certificate file");
    if (!c.ok()) return c.status();
    Result<std::string> k = r.ReadString(key->value, key->mark(), key->path, "a PEM private key file");
    if (!k.ok()) return k.status();
    http.tls_cert_file = *std::move(c);
    http.tls_key_file = *std::move(k);
  }
  const Reader::Field* f = fields->Find("listen");
  if (!f) return http;
  Result<std::string> text = r.ReadString(f->value, f->mark(), f->path, "HOST:PORT");
  if (!text.ok()) return text.status();
  const auto bad = [&](const std::string& why) {
    return r.Error(f->mark(), f->path, "expected HOST:PORT such as 127.0.0.1:9464, [::1]:9464 or :9464, got " +
                                           Quote(*text) + " (" + why + ")");
  };
  const size_t colon = text->rfind(':');
  if (colon == std::string::npos) return bad("no port");
  std::string host = text->substr(0, colon);
  const std::string port_text = text->substr(colon + 1);
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return bad("the port must be a number from 0 to 65535");
  }
  if (host.starts_with('[')) {
    if (!host.ends_with(']') || host.size() < 3) return bad("an IPv6 address goes in brackets");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return bad("an IPv6 address goes in brackets");
  }
  if (host.empty()) host = "0.0.0.0";
  const bool printable = std::all_of(host.begin(), host.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (!printable) return bad("the host has spaces or control characters");
  http.listen = *std::move(text);
  http.host = std::move(host);
  http.port = port;
  return http;
}

// ReadAlerts reads `alerts` (absent or empty: the defaults, no Alertmanager).
Result<AlertsConfig> ReadAlerts(const Reader& r, const YAML::Node& node, const YAML::Mark& mark) {
  Result<Reader::Fields> fields = r.ReadMap(node, mark, "alerts", kAlertsKeys);
  if (!fields.ok()) return fields.status();
  AlertsConfig alerts;
  if (const Reader::Field* f = fields->Find("alertmanager_urls")) {
    Result<std::vector<YAML::Node>> items = r.ReadList(*f, "Alertmanager URLs");
    if (!items.ok()) return items.status();
    for (size_t i = 0; i < items->size(); ++i) {
      const YAML::Node& item = (*items)[i];
      const std::string path = f->path + "[" + std::to_string(i) + "]";
      Result<std::string> url = r.ReadHttpUrl(item, item.IsNull() ? f->mark() : item.Mark(), path);
      if (!url.ok()) return url.status();
      if (std::find(alerts.alertmanager_urls.begin(), alerts.alertmanager_urls.end(), *url) !=
          alerts.alertmanager_urls.end()) {
        return r.Error(item.Mark(), path, "expected each Alertmanager once, got " + Quote(*url) + " again");
      }
      alerts.alertmanager_urls.push_back(*std::move(url));
    }
  }
  if (const Reader::Field* f = fields->Find("resend_interval")) {
    Result<int64_t> v = r.ReadDuration(*f, 1000, int64_t{24} * 3600 * 1000);
    if (!v.ok()) return v.status();
    alerts.resend_interval_ms = *v;
  }
  if (const Reader::Field* f = fields->Find("timeout")) {
    Result<int64_t> v = r.ReadDuration(*f, 100, int64_t{5} * 60 * 1000);
    if (!v.ok()) return v.status();
    alerts.timeout_ms = *v;
  }
  if (const Reader::Field* f = fields->Find("external_url")) {
    Result<std::string> url = r.ReadHttpUrl(f->value, f->mark(), f->path);
    if (!url.ok()) return url.status();
    alerts.external_url = *std::move(url);
  }
  if (const Reader::Field* f = fields->Find("send_severities")) {
    Result<std::vector<YAML::Node>> items = r.ReadList(*f, "severities");
    if (!items.ok()) return items.status();
    alerts.send_severities.clear();
    for (size_t i = 0; i < items->size(); ++i) {
      const YAML::Node& item = (*items)[i];
      const std::string path = f->path + "[" + std::to_string(i) + "]";
      std::optional<db::Severity> severity = item.IsScalar() ? db::SeverityFromName(item.Scalar()) : std::nullopt;
      if (!severity) return r.Expected(item, path, "one of info, warning, critical");
      if (std::find(alerts.send_severities.begin(), alerts.send_severities.end(), *severity) !=
          alerts.send_severities.end()) {
        return r.Error(item.Mark(), path, "expected each severity once, got " + Quote(item.Scalar()) + " again");
      }
      alerts.send_severities.push_back(*severity);
    }
  }
  return alerts;
}

// kPinsetName is what a pin-set name may be: it is also a file name and a URL path part.
bool IsPinsetName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '-' && c != '_'))) return false;
  }
  return true;
}

// CoveredByWatch says whether the canonical DNS name `name` is a watch entry or under an
// include_subdomains one: a pin-set can only be kept right for names whose certificates
// pinwatch sees.
bool CoveredByWatch(const std::string& name, const std::unordered_map<std::string, bool>& watched) {
  if (auto it = watched.find(name); it != watched.end()) return true;
  for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
    auto it = watched.find(name.substr(dot + 1));
    if (it != watched.end() && it->second) return true;
  }
  return false;
}

// ReadPinsets reads `pinsets` (absent: none). Every name must be covered by `watch`.
Result<std::vector<pins::PinsetPolicy>> ReadPinsets(const Reader& r, const Reader::Field& field,
                                                   const std::vector<WatchConfig>& watch) {
  Result<std::vector<YAML::Node>> items = r.ReadList(field, "pin-sets (maps with a name)");
  if (!items.ok()) return items.status();
  std::unordered_map<std::string, bool> watched;  // canonical watch name -> include_subdomains
  for (const WatchConfig& w : watch) {
    if (Result<std::string> n = x509::NormalizeWatchName(w.name); n.ok()) {
      watched[*n] = watched[*n] || w.include_subdomains;
    }
  }
  std::vector<pins::PinsetPolicy> out;
  for (size_t i = 0; i < items->size(); ++i) {
    const YAML::Node& item = (*items)[i];
    const std::string path = field.path + "[" + std::to_string(i) + "]";
    if (item.IsNull()) return r.Error(field.mark(), path, "expected a map with keys " + Joined(kPinsetKeys) + ", got " + Describe(item));
    Result<Reader::Fields> fields = r.ReadMap(item, field.mark(), path, kPinsetKeys);
    if (!fields.ok()) return fields.status();
    pins::PinsetPolicy p;
    const Reader::Field* name = fields->Find("name");
    if (!name) return r.Error(fields->mark, fields->PathOf("name"), "required");
    Result<std::string> text = r.ReadString(name->value, name->mark(), name->path, "a pin-set name");
    if (!text.ok()) return text.status();
    if (!IsPinsetName(*text)) {
      return r.Error(name->mark(), name->path, "expected a pin-set name of lowercase letters, digits, '-' and '_' (at most 63, starting with a letter or digit), got " + Quote(*text));
    }
    for (const pins::PinsetPolicy& before : out) {
      if (before.name == *text) return r.Error(name->mark(), name->path, "expected each pin-set name once, got " + Quote(*text) + " again");
    }
    p.name = *std::move(text);
    if (const Reader::Field* f = fields->Find("include_subdomains")) {
      Result<bool> v = r.ReadBool(*f);
      if (!v.ok()) return v.status();
      p.include_subdomains = *v;
    }
    const Reader::Field* names = fields->Find("names");
    if (!names) return r.Error(fields->mark, fields->PathOf("names"), "required (the DNS names the pin-set covers)");
    Result<std::vector<YAML::Node>> name_items = r.ReadList(*names, "DNS names");
    if (!name_items.ok()) return name_items.status();
    if (name_items->empty()) return r.Error(names->mark(), names->path, "expected at least one DNS name, got an empty list");
    for (size_t j = 0; j < name_items->size(); ++j) {
      const YAML::Node& n = (*name_items)[j];
      const std::string npath = names->path + "[" + std::to_string(j) + "]";
      Result<std::string> dns = r.ReadString(n, n.IsNull() ? names->mark() : n.Mark(), npath, "a DNS name");
      if (!dns.ok()) return dns.status();
      Result<std::string> canonical = x509::ParseIpAddressLiteral(*dns) ? Result<std::string>(MalformedError("an IP address cannot be pinned by name"))
                                                                        : x509::NormalizeWatchName(*dns);
      if (!canonical.ok()) return r.Error(n.Mark(), npath, "expected a DNS name, got " + Quote(*dns) + " (" + canonical.status().message() + ")");
      if (!CoveredByWatch(*canonical, watched) ||
          (p.include_subdomains && !CoveredByWatch("x." + *canonical, watched))) {
        return r.Error(n.Mark(), npath, Quote(*dns) + " is not covered by a watch entry" +
                                            (p.include_subdomains ? " (with its subdomains)" : "") +
                                            ": pinwatch would not see its certificates");
      }
      if (std::find(p.names.begin(), p.names.end(), *canonical) != p.names.end()) {
        return r.Error(n.Mark(), npath, "expected each name once, got " + Quote(*dns) + " again");
      }
      p.names.push_back(*std::move(canonical));
    }
    const Reader::Field* pin_field = fields->Find("pins");
    if (!pin_field) return r.Error(fields->mark, fields->PathOf("pins"), "required (version 1 of the pin-set)");
    Result<std::vector<ctlog::Hash>> pin_list = r.ReadPins(*pin_field);
    if (!pin_list.ok()) return pin_list.status();
    for (size_t j = 0; j < pin_list->size(); ++j) {
      if (std::find(p.pins.begin(), p.pins.end(), (*pin_list)[j]) != p.pins.end()) {
        return r.Error(pin_field->mark(), pin_field->path + "[" + std::to_string(j) + "]", "expected each pin once, got " + PinText((*pin_list)[j]) + " again");
      }
      p.pins.push_back((*pin_list)[j]);
    }
    struct IntKey {
      std::string_view key;
      int64_t min, max;
      int64_t* out;
    };
    const IntKey keys[] = {
        {"min_pins", 1, 100, &p.min_pins},
        {"approvals_required", 1, 10, &p.approvals_required},
        {"expiry_days", 1, 365, &p.expiry_days},
        {"remove_grace_days", 0, 365, &p.remove_grace_days},
    };
    for (const IntKey& k : keys) {
      if (const Reader::Field* f = fields->Find(k.key)) {
        Result<int64_t> v = r.ReadInt(*f, k.min, k.max);
        if (!v.ok()) return v.status();
        *k.out = *v;
      }
    }
    if (static_cast<int64_t>(p.pins.size()) < p.min_pins) {
      return r.Error(pin_field->mark(), pin_field->path,
                     "expected at least min_pins (" + std::to_string(p.min_pins) + ") pins, one of them a backup, got " +
                         std::to_string(p.pins.size()));
    }
    out.push_back(std::move(p));
  }
  return out;
}

// ReadPublish reads `publish`: both keys are required when it is there.
Result<pins::PublishConfig> ReadPublish(const Reader& r, const Reader::Field& field) {
  Result<Reader::Fields> fields = r.ReadMap(field.value, field.mark(), "publish", kPublishKeys);
  if (!fields.ok()) return fields.status();
  pins::PublishConfig publish;
  const Reader::Field* key = fields->Find("signing_key");
  if (!key) return r.Error(fields->mark, "publish.signing_key", "required (an ECDSA P-256 private key, PEM; `pinwatch keygen --out FILE` makes one)");
  Result<std::string> key_path = r.ReadString(key->value, key->mark(), key->path, "a file path");
  if (!key_path.ok()) return key_path.status();
  const Reader::Field* dir = fields->Find("directory");
  if (!dir) return r.Error(fields->mark, "publish.directory", "required (where <name>.json and .json.sig are written)");
  Result<std::string> dir_path = r.ReadString(dir->value, dir->mark(), dir->path, "a directory path");
  if (!dir_path.ok()) return dir_path.status();
  publish.signing_key = *std::move(key_path);
  publish.directory = *std::move(dir_path);
  return publish;
}

// DocumentStarts records where each YAML document starts and ignores everything else.
struct DocumentStarts final : YAML::EventHandler {
  std::vector<YAML::Mark> marks;
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

std::string DefaultReplicaId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') std::strcpy(host, "unknown-host");
  return std::string(host) + ":" + std::to_string(getpid());
}

// NonEmptyEnv returns the variable's value; unset and empty are the same (an empty
// `PINWATCH_DATABASE_URL=` in a compose file means "not set", not "connect to nothing").
std::optional<std::string> NonEmptyEnv(const GetEnv& env, const std::string& name) {
  std::optional<std::string> value = env ? env(name) : std::nullopt;
  if (value && value->empty()) return std::nullopt;
  return value;
}

// ParseDocument does the work of ParseConfig below the exception seam.
Result<Config> ParseDocument(const Reader& r, const YAML::Node& root, std::string_view source, const GetEnv& env) {
  Result<Reader::Fields> top = r.ReadMap(root, YAML::Mark::null_mark(), "", kTopKeys);
  if (!top.ok()) return top.status();
  Config config;
  config.source = std::string(source);

  // database: {url: ...}
  const Reader::Field* database = top->Find("database");
  if (database) {
    Result<Reader::Fields> fields = r.ReadMap(database->value, database->mark(), "database", kDatabaseKeys);
    if (!fields.ok()) return fields.status();
    if (const Reader::Field* f = fields->Find("url")) {
      Result<std::string> url = r.ReadString(f->value, f->mark(), f->path, "a PostgreSQL connection URL");
      if (!url.ok()) return url.status();
      config.database_url = *std::move(url);
    }
    // Two at least: the alert sender's LISTEN session holds one while it waits.
    if (const Reader::Field* f = fields->Find("max_connections")) {
      Result<int64_t> v = r.ReadInt(*f, 2, kMaxDatabaseConnections);
      if (!v.ok()) return v.status();
      config.database_max_connections = static_cast<size_t>(*v);
    }
  }
  const Reader::Field* logs = top->Find("logs");
  Result<LogsConfig> logs_config = logs ? ReadLogs(r, logs->value, logs->mark()) : ReadLogs(r, YAML::Node(YAML::NodeType::Null), top->mark);
  if (!logs_config.ok()) return logs_config.status();
  config.logs = *std::move(logs_config);

  const Reader::Field* watch = top->Find("watch");
  if (!watch) return r.Error(top->mark, "watch", "required (a daemon watching nothing is a configuration error)");
  Result<std::vector<WatchConfig>> watch_config = ReadWatch(r, *watch);
  if (!watch_config.ok()) return watch_config.status();
  config.watch = *std::move(watch_config);

  const Reader::Field* run = top->Find("run");
  Result<RunConfig> run_config = run ? ReadRun(r, run->value, run->mark()) : ReadRun(r, YAML::Node(YAML::NodeType::Null), top->mark);
  if (!run_config.ok()) return run_config.status();
  config.run = *std::move(run_config);

  const Reader::Field* http = top->Find("http");
  Result<HttpConfig> http_config = http ? ReadHttp(r, http->value, http->mark()) : HttpConfig{};
  if (!http_config.ok()) return http_config.status();
  config.http = *std::move(http_config);

  if (const Reader::Field* f = top->Find("reports")) {
    Result<ReportsConfig> reports = ReadReports(r, f->value, f->mark());
    if (!reports.ok()) return reports.status();
    config.reports = *reports;
  }

  const Reader::Field* alerts = top->Find("alerts");
  Result<AlertsConfig> alerts_config = alerts ? ReadAlerts(r, alerts->value, alerts->mark()) : AlertsConfig{};
  if (!alerts_config.ok()) return alerts_config.status();
  config.alerts = *std::move(alerts_config);
  if (const Reader::Field* f = top->Find("pinsets")) {
    Result<std::vector<pins::PinsetPolicy>> pinsets = ReadPinsets(r, *f, config.watch);
    if (!pinsets.ok()) return pinsets.status();
    config.pinsets = *std::move(pinsets);
  }
  if (const Reader::Field* f = top->Find("publish")) {
    Result<pins::PublishConfig> publish = ReadPublish(r, *f);
    if (!publish.ok()) return publish.status();
    config.publish = *std::move(publish);
  }
  // Port 0 is only known once bound: the daemon fills the URL in then.
  if (config.alerts.external_url.empty() && !config.http.listen.empty() && config.http.port != 0) {
    const bool any_host = config.http.listen.starts_with(':');
    const std::string scheme = config.http.tls_cert_file.empty() ? "http://" : "https://";
    config.alerts.external_url = scheme + (any_host ? "localhost" + config.http.listen : config.http.listen);
  }

  // Environment overrides win over the file.
  if (std::optional<std::string> url = NonEmptyEnv(env, "PINWATCH_DATABASE_URL")) config.database_url = *std::move(url);
  if (std::optional<std::string> id = NonEmptyEnv(env, "PINWATCH_REPLICA_ID")) config.run.replica_id = *std::move(id);
  if (config.database_url.empty()) {
    return r.Error(database ? database->mark() : top->mark, "database.url", "required (or set PINWATCH_DATABASE_URL)");
  }
  if (config.run.replica_id.empty()) config.run.replica_id = DefaultReplicaId();
  return config;
}

}  // namespace

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Result<Config> ParseConfig(std::string_view yaml_text, std::string_view source, const GetEnv& env) {
  const Reader r(source);
  if (yaml_text.size() > kMaxConfigBytes) {
    return r.Error(YAML::Mark::null_mark(), "", "expected at most " + std::to_string(kMaxConfigBytes) + " bytes, got " + std::to_string(yaml_text.size()));
  }
  // The seam: yaml-cpp throws (syntax errors, nesting deeper than its limit, allocation);
  // nothing past this point does.
  try {
    // One copy of the text, read twice (a 100,000-name file is 5 MB; YAML::Load(string) would
    // make two more).
    std::istringstream stream{std::string(yaml_text)};
    // Count documents first, without YAML::LoadAll: yaml-cpp 0.7 loops forever in LoadAll,
    // allocating, on some invalid input such as "," (jbeder/yaml-cpp#1040, fixed upstream in
    // #1319 after 0.8). There the parser keeps restarting a document at the same place,
    // which is how we recognise it.
    {
      YAML::Parser parser(stream);
      DocumentStarts starts;
      while (starts.marks.size() < 2 && parser.HandleNextDocument(starts)) {
      }
      if (starts.marks.size() == 2) {
        const YAML::Mark& second = starts.marks[1];
        if (second.pos == starts.marks[0].pos) {
          const std::string_view at = second.pos >= 0 && static_cast<size_t>(second.pos) < yaml_text.size()
                                          ? yaml_text.substr(static_cast<size_t>(second.pos), 1)
                                          : std::string_view();
          return r.Error(second, "", "YAML syntax error: unexpected " + Quote(at));
        }
        return r.Error(second, "", "expected one YAML document, got a second one");
      }
    }
    stream.clear();
    stream.seekg(0);
    YAML::Node root = YAML::Load(stream);
    return ParseDocument(r, root, source, env);
  } catch (const YAML::Exception& e) {
    return r.Error(e.mark, "", "YAML syntax error: " + (e.msg.empty() ? std::string(e.what()) : e.msg));
  } catch (const std::exception& e) {
    return r.Error(YAML::Mark::null_mark(), "", std::string("cannot read YAML: ") + e.what());
  }
}

Result<Config> LoadConfigFile(const std::string& path, const GetEnv& env) {
  // One byte over the cap is enough for ParseConfig to report the size.
  Result<std::string> text = ReadFile(path, "config file", kMaxConfigBytes);
  if (!text.ok()) return text.status();
  return ParseConfig(*text, path, env);
}

}  // namespace pinwatch::monitor
