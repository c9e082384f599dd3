// ctscan: download one CT log up to its latest signed tree head and verify it (signature,
// consistency, Merkle root), over RFC 6962 or static-ct-api. A developer's and operator's
// tool for checking a log by hand, and with --watch it reports entries that concern
// watched names (the monitor itself, with storage and alerts, will be `pinwatch`).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "base/file.h"
#include "ctlog/scanner.h"
#include "ctlog/static_client.h"
#include "monitor/entry_identity.h"
#include "x509/identity.h"
#include "watch/matcher.h"

namespace {

constexpr const char kUsage[] = R"(ctscan: download and verify one Certificate Transparency log.

  ctscan --url URL --key FILE [--api rfc6962|static-ct] [--origin ORIGIN]
         [--watch NAME]... [--watch-subdomains NAME]...
         [--max-entries N] [--batch N] [--in-flight N]

  --url URL          the log's URL (RFC 6962: the part before ct/v1/; static-ct-api:
                     the monitoring URL)
  --key FILE         the log's public key, PEM (or base64 DER as in log lists)
  --api API          rfc6962 (default) or static-ct
  --origin ORIGIN    static-ct-api checkpoint origin (default: URL without scheme and "/")
  --watch NAME       report certificates for NAME (repeatable; Unicode names are
                     converted to A-labels; wildcard certificates covering NAME count)
  --watch-subdomains NAME
                     report certificates for NAME and every name below it
  --max-entries N    stop after N entries (the root is then not checked)
  --batch N          get-entries batch size asked for (default 256)
  --in-flight N      requests in flight (default 4)

Prints the verified tree head and counts. Exit status: 0 verified, 1 error (e.g. log
unreachable), 2 usage, 3 the log misbehaved (evidence printed).
)";

[[noreturn]] void Usage(const std::string& error) {
  std::cerr << "ctscan: " << error << "\n\n" << kUsage;
  std::exit(2);
}

uint64_t ParseCount(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno != 0 || value[0] == '-') {
    Usage(flag + " wants a non-negative integer, got \"" + value + "\"");
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pinwatch;
  using namespace pinwatch::ctlog;
  std::string url, key_file, api = "rfc6962", origin;
  std::vector<watch::WatchEntry> watch_entries;
  ScanOptions scan_options;
  LogSourceOptions source_options;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= argc) Usage("missing value after " + a);
    const std::string v = argv[++i];
    if (a == "--url") url = v;
    else if (a == "--key") key_file = v;
    else if (a == "--api") api = v;
    else if (a == "--origin") origin = v;
    else if (a == "--watch") watch_entries.push_back({.name = v});
    else if (a == "--watch-subdomains") watch_entries.push_back({.name = v, .scope = watch::WatchScope::kIncludeSubdomains});
    else if (a == "--max-entries") scan_options.max_entries = ParseCount(a, v);
    else if (a == "--batch") source_options.entries_per_request = ParseCount(a, v);
    else if (a == "--in-flight") source_options.max_requests_in_flight = ParseCount(a, v);
    else Usage("unknown flag " + a);
  }
  if (url.empty() || key_file.empty()) Usage("--url and --key are required");
  if (api != "rfc6962" && api != "static-ct") Usage("--api is rfc6962 or static-ct, not \"" + api + "\"");

  Result<std::string> key_file_text = ReadFile(key_file, "--key file");
  if (!key_file_text.ok()) Usage(key_file_text.status().message());
  const std::string& key_text = *key_file_text;
  auto key = key_text.find("-----BEGIN") != std::string::npos
                 ? LogKey::FromPem(key_text)
                 : LogKey::FromBase64(key_text.substr(0, key_text.find_last_not_of(" \n\r\t") + 1));
  if (!key.ok()) {
    std::cerr << "ctscan: --key " << key_file << ": " << key.status().message() << "\n";
    return 2;
  }
  std::unique_ptr<LogSource> source;
  if (api == "rfc6962") {
    source = NewRfc6962Source(url, *key, source_options);
  } else {
    if (origin.empty()) origin = DefaultOrigin(url);
    // ctscan never asks get-roots, so the submission URL is not needed: the monitoring URL stands in.
    source = NewStaticCtSource(url, url, origin, *key, source_options);
  }

  auto watch = watch::WatchList::Create(watch_entries);
  if (!watch.ok()) Usage(watch.status().message());
  watch::Matcher matcher(*watch);
  // Static-ct-api entries name their chain by fingerprint; fetch each issuer once.
  StaticCtClient issuer_client(url);
  std::map<Hash, std::vector<uint8_t>> issuers;
  x509::IssuerLookup lookup = [&](const Hash& fp) -> std::optional<Bytes> {
    auto it = issuers.find(fp);
    if (it == issuers.end()) {
      auto der = issuer_client.GetIssuer(fp);
      if (!der.ok()) return std::nullopt;
      it = issuers.emplace(fp, std::move(*der)).first;
    }
    return Bytes(it->second);
  };
  uint64_t matches = 0;
  auto report = [&](const LogEntry& e, const watch::EntryMatch& m) {
    ++matches;
    const bool precert = e.timestamped_entry.entry_type == LogEntryType::kPrecertEntry;
    std::cout << "MATCH        entry " << e.index << " (" << (precert ? "precert" : "x509") << "): "
              << m.certificate_name << " concerns watch \"" << watch->canonical_name(m.watch.entry_index) << "\"";
    if (m.malformed) std::cout << " [malformed certificate: " << m.parse_error << "]";
    std::cout << "\n";
    auto id = monitor::ComputeEntryIdentity(e, lookup);
    if (!id.ok()) {
      std::cout << "             identity: " << id.status().message() << "\n";
      return;
    }
    std::cout << "             names " << id->dns_names.size() << ":";
    for (const auto& n : id->dns_names) std::cout << " " << n;
    std::cout << "\n             issuer " << id->issuer_rfc2253 << "\n             key " << id->key_algorithm
              << " " << id->spki_sha256_pin << ", issuer key "
              << (id->issuer_spki_sha256 ? "sha256/" + Base64Encode(*id->issuer_spki_sha256) : "unknown")
              << "\n             valid " << id->not_before_rfc3339 << " .. " << id->not_after_rfc3339
              << ", TBS identity " << HexEncode(id->tbs_identity_hash) << "\n";
  };

  TreeVerifier verifier({}, std::nullopt);
  uint64_t x509 = 0, precert = 0, malformed = 0, next_report = 100'000;
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  auto result = Scan(*source, verifier, [&](std::span<const LogEntry> batch) {
    if (batch.empty()) return OkStatus();
    for (const LogEntry& e : batch) {
      if (!e.status.ok()) {
        ++malformed;
        std::cerr << "ctscan: entry " << e.index << " is malformed: " << e.status.message() << "\n";
      } else if (e.timestamped_entry.entry_type == LogEntryType::kPrecertEntry) {
        ++precert;
      } else {
        ++x509;
      }
      if (auto m = matcher.Match(e)) report(e, *m);
    }
    if (const uint64_t done = batch.back().index + 1; done >= next_report) {
      std::cerr << "ctscan: " << done << " entries, " << static_cast<uint64_t>(done / seconds()) << " entries/s\n";
      next_report += 100'000;
    }
    return OkStatus();
  }, scan_options);
  if (!result.ok()) {
    std::cerr << "ctscan: " << source->Description() << ": " << result.status().ToString() << "\n";
    return 1;
  }
  const double s = seconds();
  std::cout << "log          " << source->Description() << " (" << api << ")\n"
            << "entries      " << result->entries_delivered << " (" << x509 << " x509, " << precert
            << " precert, " << malformed << " malformed) in " << s << " s\n";
  if (!watch_entries.empty()) {
    std::cout << "watched      " << matches << " entries concern watched names ("
              << matcher.counters().unparseable << " certificates parsed only best-effort)\n";
  }
  if (result->misbehaviour) {
    const Misbehaviour& m = *result->misbehaviour;
    std::cout << "MISBEHAVIOUR " << KindName(m.kind) << ": " << m.detail << "\n";
    return 3;
  }
  if (verifier.verified_head()) {
    const SignedTreeHead& head = *verifier.verified_head();
    std::cout << "verified     tree_size " << head.tree_size << ", root " << Base64Encode(head.root_hash)
              << ", timestamp " << head.timestamp_ms << "\n";
  } else {
    std::cout << "verified     nothing yet (stopped at " << verifier.pending_end() << " by --max-entries)\n";
  }
  return 0;
}
