// ctsim: a faithful Certificate Transparency log simulator on loopback. See kUsage.
#include <csignal>
#include <chrono>
#include <ctime>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "base/encoding.h"
#include "base/file.h"
#include "base/time.h"
#include "base/stop_signal.h"
#include "sim/entries.h"
#include "sim/log.h"
#include "sim/server.h"

namespace {

constexpr const char kUsage[] = R"(ctsim: a simulated RFC 6962 / static-ct-api Certificate Transparency log.

It generates a signed log of real-shaped certificates (deterministic from --seed), plants
chosen certificates at chosen indices, serves the log over HTTP on loopback, and can grow
and misbehave on request.

Contents
  --seed S                 seed for every key, certificate and name (default "ctsim")
  --logs N                 serve N logs from this process (default 1), each on a port of
                           its own, generated from the plan with seed "S/0" .. "S/N-1" (so
                           each has its own key, certificates and planted certificates);
                           --log-list-out and /sim/log-list.json list them all, and
                           --info-out, --facts-out, --pubkey-out and --port-file describe
                           the first. Not with --certs, --key or --public-url
  --entries N              initial tree size (default 1000)
  --epoch-ms T             entry i has timestamp T + i*1000 ms (default 1735689600000)
  --epoch-age-s S          the same, with T = now - S seconds: certificates valid today
                           whenever the log starts (a container's command cannot compute T)
  --plan FILE              JSON plan: {"seed", "entries", "epoch_ms", "unwatched_domains",
                           "plants": [{"index", "names": [...], "issuer": "normal|e1|e2|rogue",
                           "key": "key-a", "type": "x509|precert|both|malformed|badchain",
                           "lifetime_s": 3600}]}; flags override it
  --plant SPEC             add a plant: INDEX:TYPE:ISSUER:KEY:NAME[,NAME...] (repeatable);
                           TYPE x509|precert|both|malformed|badchain ("both" = precert at INDEX
                           and its final certificate with an embedded SCT at INDEX+1; "malformed"
                           = an x509 entry with a stray byte after the DER; "badchain" = a good
                           x509 entry whose extra_data chain is cut by a byte, RFC 6962 only:
                           its data tile answers 500); ISSUER normal|e1|e2|
                           rogue (empty = normal); KEY names a leaf key shared by plants
                           naming it (empty = a key of the plant's own)
  --plant-lifetime INDEX:SECONDS
                           the plant at INDEX (from --plan or --plant) gets not_after =
                           not_before + SECONDS (1..3153600000; default 7775999, 90 days
                           counted inclusively) for its certificate(s); not_before is the
                           entry's timestamp - 1 h, so with --epoch-ms in the past a short
                           lifetime is already expired (repeatable)
  --certs DIR              serve the certificates in DIR (*.pem, *.crt, *.der, sorted by name)
                           instead of generated ones; --entries/--plan are then ignored
  --threads N              generator threads (default: hardware concurrency)
  --facts-out FILE         write JSON facts about the log, every plant (names, indices,
                           SPKI pins of the leaf, its issuer and its whole chain
                           "chain_spki_sha256" issuer first up to the root, TBS hash, serial,
                           validity) and every CA ("cas": id -> {"spki_sha256", "parent"})
  --generate-only          generate, print timing and memory, and exit (no server)

Log
  --key FILE               log private key (PEM, ECDSA P-256); default: derived from --seed
  --pubkey-out FILE        write the log public key (PEM)
  --grow N                 append N entries (and publish a new STH) every --grow-interval-ms
  --grow-interval-ms M     (default 1000)
  --grow-max-size S        stop growing at tree size S (default: never)

Server
  --host H                 address to bind (default 127.0.0.1; ::1 works too)
  --port P                 port (default 0 = pick a free port)
  --port-file FILE         write the bound port there once listening
  --public-url URL         the log's URL as monitors reach it, for --info-out, the log
                           list and the "serving" line (default http://HOST:PORT/; in a
                           container: http://ctsim:8080/)
  --info-out FILE          write {"url", "log_id", "key", "port"} once listening
  --log-list-out FILE      write a Google v3 log list (operator "ctsim", one usable log with
                           this log's key, log id and serving URL) once listening, so a
                           monitor can be pointed at it like at a real list; the same
                           list is always served at GET /sim/log-list.json
  --log-list-api API       rfc6962 (default): the log appears under "logs" with "url";
                           static: under "tiled_logs" with "submission_url" and
                           "monitoring_url" (both the serving URL)
  --max-batch N            get-entries answers at most N entries (default 256)
  --origin O               static-ct-api checkpoint origin (default HOST:PORT)
  --gzip-tiles             serve data tiles gzip-compressed (Content-Encoding: gzip)

Endpoints: /ct/v1/get-sth, get-sth-consistency, get-proof-by-hash, get-entries,
get-entry-and-proof, get-roots (RFC 6962 §4). The same tree over C2SP static-ct-api:
/checkpoint (signed note, RFC6962NoteSignature, key name = origin), /tile/<L>/<N>[.p/<W>]
(hash tiles), /tile/data/<N>[.p/<W>] (TileLeaf data tiles), /issuer/<hex SHA-256>. Every
entry carries the leaf_index CT extension, in both APIs (one tree serves both). Admin: POST /sim/grow?n=K appends K entries
and publishes an STH (returned); POST /sim/faults with a JSON object of the fault fields
below (absent = off) replaces the faults and restarts the request counter; GET /sim/faults;
GET /sim/info; GET /sim/log-list.json.

Faults (flags set the initial faults; requests to /sim/ are never faulted or counted;
"every K" counts log requests from 1 and hits requests K, 2K, ...)
  --fault-429-every K      answer 429 Too Many Requests with Retry-After  [http_429_every]
  --fault-retry-after-s S  the Retry-After value (default 1)             [retry_after_s]
  --fault-500-every K      answer 500 Internal Server Error              [http_500_every]
  --fault-short-batch N    get-entries returns at most N entries         [short_batch_entries]
  --fault-truncate-every K cut the body of a 200 answer in half          [truncate_every]
  --fault-garbage-every K  replace the body of a 200 answer by garbage  [garbage_every]
                           (both body faults hit JSON, checkpoints and tiles alike)
  --fault-wrong-root       get-sth serves a validly signed STH whose root does not
                           match the entries                             [wrong_root]
  --fault-bad-signature    get-sth serves an STH with a corrupted signature [bad_signature]
  --fault-fork             get-sth alternates between the true STH and a validly signed
                           STH of the same size with another root         [fork]
  --fault-tamper-index I   entry I is served with one byte flipped        [tamper_index]
  --fault-delay-ms M       sleep M ms before answering                    [delay_ms]
  --fault-extra-entries N  get-entries answers N entries beyond the asked end (as far as
                           the tree has them; more than asked)           [extra_entries]
  --fault-trickle-ms M     send every log answer chunked, one byte every M ms (the
                           same bytes)                                    [trickle_ms]
  --fault-hostile-body B   answer 200 with a hostile body instead: nesting ({"entries":
                           then "[" repeated), values ({"entries":[ then "0," repeated)
                           or zeros (NUL bytes); streamed, never held whole [hostile_body]
  --fault-hostile-path P   only requests whose path starts with P get it (default
                           /ct/v1/get-entries; e.g. /ct/v1/get-sth, /checkpoint,
                           /tile/data/)                                   [hostile_path]
  --fault-hostile-bytes N  the hostile body's length (default 0 = endless) [hostile_bytes]
  --fault-hostile-chunked  send it chunked, without Content-Length (an endless body
                           always is)                                     [hostile_chunked]
                           (streamed answers are application/octet-stream, so they are
                           never compressed; hostile bodies are not trickled)
  --faults JSON            the same as a JSON object, e.g. '{"http_429_every":3}'
A log that lies about its tree (JSON only; get-entries and tiles still serve the truth):
  head_tree_size N         get-sth and the checkpoint claim N entries, validly signed
  head_timestamp_ms T      ... and are dated T (e.g. tomorrow)
  tile_width_delta D       every data and hash tile holds D more (or fewer) entries or
                           hashes than its width (-256..256; the last one repeated)

Runs until SIGINT or SIGTERM.
)";

using namespace pinwatch;
using namespace pinwatch::sim;

struct Flags {
  Plan plan;
  std::optional<std::string> plan_file;
  std::vector<std::string> plant_flags;
  std::vector<PlantLifetime> plant_lifetimes;
  std::optional<std::string> seed, certs_dir, key_file, pubkey_out, facts_out, port_file, info_out, faults_json,
      log_list_out, public_url;
  enum class LogListApi { kRfc6962, kStaticCt } log_list_api = LogListApi::kRfc6962;
  std::optional<uint64_t> entries, epoch_ms;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  uint32_t logs = 1;
  bool generate_only = false;
  uint64_t grow = 0, grow_interval_ms = 1000, grow_max_size = 0;
  ServerOptions server;
};

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "ctsim: " << message << "\n";
  std::exit(2);
}

uint64_t U64Flag(const std::string& name, const char* value) {
  char* end = nullptr;
  errno = 0;
  uint64_t v = std::strtoull(value, &end, 10);
  if (*value == '\0' || *end != '\0' || errno != 0 || value[0] == '-') Die(name + " wants an unsigned integer");
  return v;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    auto u32 = [&]() { return static_cast<uint32_t>(U64Flag(a, value())); };
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (a == "--seed") f.seed = value();
    else if (a == "--logs") {
      f.logs = u32();
      if (f.logs < 1 || f.logs > 10000) Die("--logs wants 1 to 10000");
    }
    else if (a == "--entries") f.entries = U64Flag(a, value());
    else if (a == "--epoch-ms") f.epoch_ms = U64Flag(a, value());
    else if (a == "--epoch-age-s") {
      const uint64_t age_ms = U64Flag(a, value()) * 1000;
      const auto now_ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    std::chrono::system_clock::now().time_since_epoch())
                                                    .count());
      if (age_ms > now_ms) Die("--epoch-age-s reaches back before 1970");
      f.epoch_ms = now_ms - age_ms;
    }
    else if (a == "--plan") f.plan_file = value();
    else if (a == "--plant") f.plant_flags.emplace_back(value());
    else if (a == "--plant-lifetime") {
      auto lifetime = ParsePlantLifetimeFlag(value());
      if (!lifetime.ok()) Die(lifetime.status().ToString());
      f.plant_lifetimes.push_back(*lifetime);
    }
    else if (a == "--certs") f.certs_dir = value();
    else if (a == "--threads") f.threads = std::max(1u, u32());
    else if (a == "--facts-out") f.facts_out = value();
    else if (a == "--generate-only") f.generate_only = true;
    else if (a == "--key") f.key_file = value();
    else if (a == "--pubkey-out") f.pubkey_out = value();
    else if (a == "--grow") f.grow = U64Flag(a, value());
    else if (a == "--grow-interval-ms") f.grow_interval_ms = U64Flag(a, value());
    else if (a == "--grow-max-size") f.grow_max_size = U64Flag(a, value());
    else if (a == "--host") f.server.host = value();
    else if (a == "--port") f.server.port = static_cast<int>(u32());
    else if (a == "--port-file") f.port_file = value();
    else if (a == "--info-out") f.info_out = value();
    else if (a == "--public-url") {
      f.public_url = value();
      if (f.public_url->rfind("http://", 0) != 0 && f.public_url->rfind("https://", 0) != 0) {
        Die("--public-url wants an http:// or https:// URL");
      }
      if (f.public_url->back() != '/') *f.public_url += '/';
    }
    else if (a == "--log-list-out") f.log_list_out = value();
    else if (a == "--log-list-api") {
      std::string api = value();
      if (api == "rfc6962") f.log_list_api = Flags::LogListApi::kRfc6962;
      else if (api == "static") f.log_list_api = Flags::LogListApi::kStaticCt;
      else Die("--log-list-api wants rfc6962 or static");
    }
    else if (a == "--max-batch") f.server.max_batch = std::max(1u, u32());
    else if (a == "--origin") f.server.origin = value();
    else if (a == "--gzip-tiles") f.server.gzip_data_tiles = true;
    else if (a == "--fault-429-every") f.server.faults.http_429_every = u32();
    else if (a == "--fault-retry-after-s") f.server.faults.retry_after_s = u32();
    else if (a == "--fault-500-every") f.server.faults.http_500_every = u32();
    else if (a == "--fault-short-batch") f.server.faults.short_batch_entries = u32();
    else if (a == "--fault-truncate-every") f.server.faults.truncate_every = u32();
    else if (a == "--fault-garbage-every") f.server.faults.garbage_every = u32();
    else if (a == "--fault-wrong-root") f.server.faults.wrong_root = true;
    else if (a == "--fault-bad-signature") f.server.faults.bad_signature = true;
    else if (a == "--fault-fork") f.server.faults.fork = true;
    else if (a == "--fault-tamper-index") f.server.faults.tamper_index = static_cast<int64_t>(U64Flag(a, value()));
    else if (a == "--fault-delay-ms") f.server.faults.delay_ms = u32();
    else if (a == "--fault-extra-entries") f.server.faults.extra_entries = u32();
    else if (a == "--fault-trickle-ms") f.server.faults.trickle_ms = u32();
    else if (a == "--fault-hostile-body") {
      std::optional<HostileBody> body = ParseHostileBody(value());
      if (!body || *body == HostileBody::kOff) Die("--fault-hostile-body wants nesting, values or zeros");
      f.server.faults.hostile_body = *body;
    }
    else if (a == "--fault-hostile-path") {
      f.server.faults.hostile_path = value();
      if (f.server.faults.hostile_path.empty() || f.server.faults.hostile_path[0] != '/') {
        Die("--fault-hostile-path wants a path prefix starting with /");
      }
    }
    else if (a == "--fault-hostile-bytes") f.server.faults.hostile_bytes = U64Flag(a, value());
    else if (a == "--fault-hostile-chunked") f.server.faults.hostile_chunked = true;
    else if (a == "--faults") f.faults_json = value();
    else Die("unknown flag " + a + " (see --help)");
  }
  return f;
}

std::string ReadFileOrDie(const std::string& path, const std::string& what) {
  Result<std::string> text = ReadFile(path, what);
  if (!text.ok()) Die(text.status().message());
  return std::move(*text);
}

void WriteFile(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out || !(out << content)) Die("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) Die("cannot rename " + tmp + " to " + path);
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out.push_back(c);
  }
  return out + "\"";
}

// JsonStringArray is ["a", "b", ...].
std::string JsonStringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t j = 0; j < items.size(); ++j) out += (j ? ", " : "") + JsonString(items[j]);
  return out + "]";
}

// FactsJsonText is the --facts-out file. `pki` is the generator's CA hierarchy (empty with
// --certs): "cas" maps each CA id to its SPKI pin and the id of its issuer (null for a root).
std::string FactsJsonText(const SimLog& log, const Plan& plan, const std::vector<PlantFacts>& facts,
                          const Pki& pki) {
  std::string out = "{\n  \"log_id\": " + JsonString(Base64Encode(log.log_id())) +
                    ",\n  \"log_key\": " + JsonString(Base64Encode(log.key().spki_der())) +
                    ",\n  \"seed\": " + JsonString(plan.seed) +
                    ",\n  \"initial_tree_size\": " + std::to_string(log.LatestSth().tree_size) +
                    ",\n  \"epoch_ms\": " + std::to_string(plan.epoch_ms) + ",\n  \"plants\": [";
  for (size_t i = 0; i < facts.size(); ++i) {
    const PlantFacts& f = facts[i];
    out += i ? ",\n    {" : "\n    {";
    out += "\"index\": " + std::to_string(f.plant.index) + ", \"indices\": [";
    for (size_t j = 0; j < f.indices.size(); ++j) out += (j ? ", " : "") + std::to_string(f.indices[j]);
    out += "], \"entry_types\": " + JsonStringArray(f.entry_types) +
           ", \"cert_sha256\": " + JsonStringArray(f.cert_sha256_hex) + ", \"names\": " + JsonStringArray(f.plant.names);
    out += ", \"type\": " + JsonString(PlantTypeName(f.plant.type)) + ", \"issuer\": " +
           JsonString(f.issuer_subject_cn) + ", \"key\": " + JsonString(f.plant.key) +
           ", \"leaf_spki_sha256\": " + JsonString(f.leaf_spki_pin) +
           ", \"issuer_spki_sha256\": " + JsonString(f.issuer_spki_pin) +
           ", \"chain_spki_sha256\": " + JsonStringArray(f.chain_spki_pins) +
           ", \"tbs_sha256\": " + JsonString(f.tbs_sha256_hex) + ", \"serial\": " + JsonString(f.serial_hex) +
           ", \"not_before_unix_s\": " + std::to_string(f.not_before_s) +
           ", \"not_after_unix_s\": " + std::to_string(f.not_after_s) + "}";
  }
  out += "\n  ],\n  \"cas\": {";
  for (size_t i = 0; i < pki.cas.size(); ++i) {
    const CertificateAuthority& ca = pki.cas[i];
    const CertificateAuthority* parent = pki.Parent(ca);
    out += (i ? ",\n    " : "\n    ") + JsonString(ca.id) + ": {\"spki_sha256\": " +
           JsonString(SpkiPin(ca.key.spki_der())) + ", \"parent\": " + (parent ? JsonString(parent->id) : "null") + "}";
  }
  out += pki.cas.empty() ? "}\n}\n" : "\n  }\n}\n";
  return out;
}

// Rfc3339 formats ms since the Unix epoch in whole seconds (rounded down), the form Google's
// log lists use.
std::string Rfc3339(uint64_t unix_ms) { return FormatRfc3339(static_cast<int64_t>(unix_ms / 1000)); }

// ListedLog is one log as a log list names it.
struct ListedLog {
  const SimLog* log;
  std::string description;
  std::string url;
};

// LogListJsonText is a Google v3 log list (https://www.gstatic.com/ct/log_list/v3/
// log_list_schema.json) with one operator, "ctsim", and `logs`, all usable since
// `usable_since_ms`. The list is "published" at `now_ms`.
std::string LogListJsonText(const std::vector<ListedLog>& logs, Flags::LogListApi api, uint64_t usable_since_ms,
                            uint64_t now_ms) {
  const bool tiled = api == Flags::LogListApi::kStaticCt;
  std::string entries;
  for (const ListedLog& l : logs) {
    std::string entry = "{\n          \"description\": " + JsonString(l.description) +
                        ",\n          \"log_id\": " + JsonString(Base64Encode(l.log->log_id())) +
                        ",\n          \"key\": " + JsonString(Base64Encode(l.log->key().spki_der()));
    if (tiled) {
      entry += ",\n          \"submission_url\": " + JsonString(l.url) + ",\n          \"monitoring_url\": " +
               JsonString(l.url);
    } else {
      entry += ",\n          \"url\": " + JsonString(l.url);
    }
    entry += ",\n          \"mmd\": 86400,\n          \"state\": {\"usable\": {\"timestamp\": " +
             JsonString(Rfc3339(usable_since_ms)) + "}}\n        }";
    entries += (entries.empty() ? "\n        " : ",\n        ") + entry;
  }
  entries += "\n      ";
  return "{\n  \"version\": \"1.0\",\n  \"log_list_timestamp\": " + JsonString(Rfc3339(now_ms)) +
         ",\n  \"operators\": [\n    {\n      \"name\": \"ctsim\",\n      \"email\": [\"ctsim@example.invalid\"],\n"
         "      \"logs\": [" + (tiled ? "" : entries) + "],\n      \"tiled_logs\": [" + (tiled ? entries : "") +
         "]\n    }\n  ]\n}\n";
}

// ServedLog is one log of this process: its generator (which its entry source points
// into, so it stays put), the log and its server.
struct ServedLog {
  Plan plan;
  std::unique_ptr<EntryGenerator> generator;
  std::unique_ptr<SimLog> log;
  std::unique_ptr<SimServer> server;
  std::string url;
};

}  // namespace

int main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  // Block the stop signals in every thread; main waits for them with sigwait.
  const sigset_t stop_signals = BlockStopSignals();

  Plan plan;
  if (flags.plan_file) {
    auto parsed = ParsePlanJson(ReadFileOrDie(*flags.plan_file, "--plan file"), plan);
    if (!parsed.ok()) Die(parsed.status().ToString());
    plan = std::move(*parsed);
  }
  if (flags.seed) plan.seed = *flags.seed;
  if (flags.entries) plan.entries = *flags.entries;
  if (flags.epoch_ms) plan.epoch_ms = *flags.epoch_ms;
  for (const std::string& spec : flags.plant_flags) {
    auto plant = ParsePlantFlag(spec);
    if (!plant.ok()) Die(plant.status().ToString());
    plan.plants.push_back(std::move(*plant));
  }
  // Lifetimes apply once every plant (from --plan and --plant) is known.
  for (const PlantLifetime& lifetime : flags.plant_lifetimes) {
    if (Status s = SetPlantLifetime(plan, lifetime); !s.ok()) Die(s.ToString());
  }
  if (flags.faults_json) {
    auto faults = ParseFaultsJson(*flags.faults_json);
    if (!faults.ok()) Die(faults.status().ToString());
    flags.server.faults = *faults;
  }

  if (flags.logs > 1 && (flags.certs_dir || flags.key_file || flags.public_url)) {
    Die("--logs cannot be used with --certs, --key or --public-url");
  }
  auto t0 = std::chrono::steady_clock::now();
  std::vector<ServedLog> served(flags.logs);
  std::vector<PlantFacts> facts;  // the first log's
  for (uint32_t k = 0; k < flags.logs; ++k) {
    ServedLog& s = served[k];
    s.plan = plan;
    if (flags.logs > 1) s.plan.seed = plan.seed + "/" + std::to_string(k);
    auto key = flags.key_file ? EcKey::FromPemFile(*flags.key_file) : EcKey::FromSeed(s.plan.seed, "log");
    if (!key.ok()) Die(key.status().ToString());
    EntrySource source;
    uint64_t initial_size = s.plan.entries;
    std::vector<Buffer> roots;
    if (flags.certs_dir) {
      auto dir = LoadCertsDir(*flags.certs_dir, plan.epoch_ms);
      if (!dir.ok()) Die(dir.status().ToString());
      source = dir->source;
      initial_size = dir->count;
      roots = dir->roots;
      if (flags.grow > 0) Die("--grow cannot be used with --certs");
    } else {
      auto g = EntryGenerator::Create(s.plan, *key);
      if (!g.ok()) Die(g.status().ToString());
      s.generator = std::make_unique<EntryGenerator>(std::move(*g));
      roots = s.generator->pki().Roots();
      if (k == 0) facts = s.generator->Facts();
      const EntryGenerator* gen = s.generator.get();
      source = [gen](uint64_t begin, uint64_t end, EntryStore& out) { return gen->Generate(begin, end, out); };
    }
    auto log = SimLog::Create(*key, source, initial_size, roots, flags.threads);
    if (!log.ok()) Die(log.status().ToString());
    s.log = std::move(*log);
    if (k == 0) {
      if (flags.pubkey_out) WriteFile(*flags.pubkey_out, key->PublicKeyPem());
      if (flags.facts_out) {
        const Pki no_pki;  // --certs: the certificates' CAs are not ctsim's
        WriteFile(*flags.facts_out, FactsJsonText(*s.log, s.plan, facts, s.generator ? s.generator->pki() : no_pki));
      }
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const ServedLog& s : served) {
    ctlog::SignedTreeHead sth = s.log->LatestSth();
    std::cerr << "ctsim: " << sth.tree_size << " entries (" << s.log->entries().memory_bytes() / (1024 * 1024)
              << " MiB of entries), root " << Base64Encode(sth.root_hash) << ", log_id " << Base64Encode(s.log->log_id())
              << "\n";
  }
  std::cerr << "ctsim: " << served.size() << (served.size() == 1 ? " log" : " logs") << " made in " << seconds << " s\n";
  if (flags.generate_only) return 0;

  std::string host = flags.server.host.find(':') != std::string::npos ? "[" + flags.server.host + "]" : flags.server.host;
  std::vector<ListedLog> listed;
  for (ServedLog& s : served) {
    auto server = SimServer::Start(*s.log, flags.server);
    if (!server.ok()) Die(server.status().ToString());
    s.server = std::move(*server);
    s.url = flags.public_url && flags.logs == 1 ? *flags.public_url
                                                : "http://" + host + ":" + std::to_string(s.server->port()) + "/";
    listed.push_back({s.log.get(), "ctsim " + s.plan.seed + " at " + s.url, s.url});
  }
  const ServedLog& first = served.front();
  const int port = first.server->port();
  if (flags.info_out) {
    WriteFile(*flags.info_out, "{\"url\": " + JsonString(first.url) + ", \"port\": " + std::to_string(port) +
                                   ", \"log_id\": " + JsonString(Base64Encode(first.log->log_id())) +
                                   ", \"key\": " + JsonString(Base64Encode(first.log->key().spki_der())) + "}\n");
  }
  {
    const auto now_ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  std::chrono::system_clock::now().time_since_epoch())
                                                  .count());
    const std::string log_list = LogListJsonText(listed, flags.log_list_api, plan.epoch_ms, now_ms);
    if (flags.log_list_out) WriteFile(*flags.log_list_out, log_list);
    for (ServedLog& s : served) s.server->SetLogList(log_list);
  }
  if (flags.port_file) WriteFile(*flags.port_file, std::to_string(port) + "\n");
  for (const ServedLog& s : served) std::cout << "ctsim: serving " << s.url << std::endl;

  std::atomic<bool> stopping{false};
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  std::thread grower;
  if (flags.grow > 0) {
    grower = std::thread([&] {
      std::unique_lock lock(stop_mu);
      while (!stop_cv.wait_for(lock, std::chrono::milliseconds(flags.grow_interval_ms), [&] { return stopping.load(); })) {
        for (ServedLog& s : served) {
          uint64_t size = s.log->LatestSth().tree_size;
          if (flags.grow_max_size > 0 && size >= flags.grow_max_size) continue;
          uint64_t n = flags.grow;
          if (flags.grow_max_size > 0) n = std::min(n, flags.grow_max_size - size);
          auto grown = s.log->Grow(n);
          if (!grown.ok()) std::cerr << "ctsim: grow failed: " << grown.status().ToString() << "\n";
        }
      }
    });
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  {
    std::lock_guard lock(stop_mu);
    stopping = true;
  }
  stop_cv.notify_all();
  if (grower.joinable()) grower.join();
  for (ServedLog& s : served) s.server->Stop();
  std::cerr << "ctsim: stopped by signal " << sig << "\n";
  return 0;
}
