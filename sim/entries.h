// The simulated log's contents: a deterministic PKI, a plan of planted certificates, a
// generator that turns (seed, index) into a log entry, and a compact store of entries.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/pin.h"  // SpkiPin
#include "base/status.h"
#include "ctlog/sha256.h"
#include "sim/certs.h"
#include "sim/crypto.h"
#include "sim/der.h"
#include "ctlog/leaf.h"
#include "sim/sct.h"

namespace pinwatch::sim {

// PlantType is what a planted certificate looks like in the log.
enum class PlantType {
  kX509,     // one x509_entry at `index`
  kPrecert,  // one precert_entry at `index`
  kBoth,     // a precert_entry at `index` and its final certificate (same TBS minus the
             // poison, plus an embedded SCT from this log) as an x509_entry at index + 1
  kMalformed,  // one x509_entry whose certificate has a stray byte after its DER: strict
               // parsers refuse it, a best-effort walk still reads its names
  kBadChain,   // one good x509_entry whose extra_data (its chain) does not parse: the
               // certificate_chain is cut by a byte (RFC 6962 only: its data tile answers 500)
};
std::string_view PlantTypeName(PlantType type);

// Plant is a certificate the simulator puts at a chosen index, so a test can check that a
// monitor reports exactly it.
struct Plant {
  uint64_t index = 0;
  std::vector<std::string> names;  // dNSNames; the first is also the subject CN
  std::string issuer = "normal";   // a CA id: "normal" (= "e1"), "e1", "e2", "rogue"
  std::string key;                 // named leaf key: plants naming the same key share it;
                                   // empty means a key of its own ("plant-<index>")
  PlantType type = PlantType::kX509;
  // lifetime_s is not_after - not_before of the plant's certificates, in seconds (RFC 5280
  // §4.1.2.5 counts both ends, so the validity period is one second more); both entries of
  // a kBoth plant share it. 0 means kDefaultLeafLifetimeS; otherwise 1..kMaxLeafLifetimeS.
  // not_before is always the entry's timestamp minus an hour, so with an epoch_ms in the
  // past a short lifetime makes a certificate that has already expired.
  int64_t lifetime_s = 0;
};

// kDefaultLeafLifetimeS is every leaf's not_after - not_before unless a plant says otherwise:
// a 90-day validity period, counted inclusively.
inline constexpr int64_t kDefaultLeafLifetimeS = 90 * 86400 - 1;
// kMaxLeafLifetimeS bounds Plant::lifetime_s at a century: far beyond any real leaf (398
// days), and it keeps not_after within GeneralizedTime's four-digit years for any epoch
// before 7900.
inline constexpr int64_t kMaxLeafLifetimeS = int64_t{100} * 365 * 86400;

// Plan says what the log holds. Every entry's CtExtensions carries the static-ct-api
// leaf_index extension, so that one set of entries (and one tree) serves both RFC 6962
// and static-ct-api; RFC 6962 treats extensions as opaque, so monitors of either accept it. Indices of plants must not overlap (a kBoth plant takes
// two). Plants may lie beyond `entries`; they appear when the log grows past them.
struct Plan {
  std::string seed = "ctsim";
  uint64_t entries = 1000;                 // initial tree size
  uint64_t epoch_ms = 1735689600000;       // entry i has timestamp epoch_ms + i * 1000
  std::vector<std::string> unwatched_domains = {"example.com", "example.net", "example.org",
                                                "sim-shop.test", "cdn-sim.test"};
  std::vector<Plant> plants;
};

// ParsePlanJson reads a plan (fields as in Plan; "plants": [{"index", "names", "issuer",
// "key", "type": "x509"|"precert"|"both"|"malformed"|"badchain", "lifetime_s"}]) over the
// defaults in `base`. kMalformed with the offending field on bad JSON or values.
Result<Plan> ParsePlanJson(std::string_view json, Plan base);
// ParsePlantFlag reads "INDEX:TYPE:ISSUER:KEY:NAME[,NAME...]" (KEY may be empty).
Result<Plant> ParsePlantFlag(std::string_view flag);

// PlantLifetime is one --plant-lifetime flag: the plant at `index` gets `lifetime_s`.
struct PlantLifetime {
  uint64_t index = 0;
  int64_t lifetime_s = 0;  // 1..kMaxLeafLifetimeS
};
// ParsePlantLifetimeFlag reads "INDEX:SECONDS" (SECONDS in 1..kMaxLeafLifetimeS);
// kMalformed naming the flag otherwise.
Result<PlantLifetime> ParsePlantLifetimeFlag(std::string_view flag);
// SetPlantLifetime sets Plant::lifetime_s of the plant whose index (its first index, as in
// --plant) is lifetime.index; kMalformed if no plant of `plan` has that index.
Status SetPlantLifetime(Plan& plan, PlantLifetime lifetime);

// ValidatePlan checks plant indices do not collide and names/issuers/lifetimes are valid.
Status ValidatePlan(const Plan& plan);

// Pki is the simulated CA hierarchy: root "root" with intermediates "e1" and "e2", and an
// unrelated "rogue-root" with intermediate "rogue". All keys derive from the seed.
struct Pki {
  std::vector<CertificateAuthority> cas;
  // Find returns the CA with that id ("normal" means "e1"), or nullptr.
  const CertificateAuthority* Find(std::string_view id) const;
  // Parent returns the CA whose certificate is ca.chain_above[0] (the one that issued
  // `ca`), or nullptr for a root. Points into `cas`.
  const CertificateAuthority* Parent(const CertificateAuthority& ca) const;
  // ChainSpkiPins returns the SpkiPin of `issuer` and of each CA above it, up to and
  // including the root: the keys of the certificate_chain a leaf from `issuer` is logged
  // with, in that order.
  std::vector<std::string> ChainSpkiPins(const CertificateAuthority& issuer) const;
  // Roots returns the DER certificates of the roots (what get-roots serves).
  std::vector<Buffer> Roots() const;
};
Result<Pki> MakePki(std::string_view seed, uint64_t epoch_ms);

// EntryStore keeps entries compactly: one buffer of leaf_input bytes, one buffer of
// pre_certificate DER (precert entries only), offsets into both, and a chain id per entry
// into a small table of encoded certificate_chain blobs. Not thread-safe.
class EntryStore {
 public:
  uint64_t size() const { return chain_ids_.size(); }
  // Add appends an entry. `pre_certificate` is empty for x509 entries. `chain` is the
  // encoded `ASN.1Cert certificate_chain<0..2^24-1>`; equal chains are stored once.
  void Add(Bytes leaf_input, Bytes pre_certificate, Bytes chain);
  // AddAll appends every entry of `other`, in order.
  void AddAll(const EntryStore& other);
  // LeafInput returns entry i's MerkleTreeLeaf; it aliases the store until the next Add.
  Bytes LeafInput(uint64_t i) const;
  // AppendExtraData appends entry i's extra_data: the certificate_chain (x509_entry) or the
  // PrecertChainEntry (precert_entry), byte-identical to ctlog::EncodeX509ChainEntry /
  // EncodePrecertChainEntry (stored chains are shared, so it is assembled here).
  void AppendExtraData(uint64_t i, Buffer& out) const;
  // PreCertificate returns entry i's pre_certificate DER (empty for x509 entries).
  Bytes PreCertificate(uint64_t i) const;
  // Chain returns entry i's encoded certificate_chain.
  Bytes Chain(uint64_t i) const { return chains_[chain_ids_[i]]; }
  // chains returns every distinct encoded certificate_chain.
  std::vector<Bytes> chains() const { return std::vector<Bytes>(chains_.begin(), chains_.end()); }
  size_t memory_bytes() const;

 private:
  Buffer leaves_;
  std::vector<uint64_t> leaf_ends_;  // leaf i is [leaf_ends_[i-1], leaf_ends_[i])
  Buffer precerts_;
  std::vector<uint64_t> precert_ends_;  // same indexing; equal ends mean "no precert"
  std::vector<uint16_t> chain_ids_;
  std::vector<Buffer> chains_;
};

// PlantFacts is what a monitor should report about one plant (written by --facts-out).
struct PlantFacts {
  Plant plant;
  std::vector<uint64_t> indices;
  std::vector<std::string> entry_types;  // "x509_entry" / "precert_entry", per index
  std::vector<std::string> cert_sha256_hex;  // per index: the logged cert / pre_certificate
  std::string leaf_spki_pin;    // "sha256/<base64>"
  std::string issuer_spki_pin;
  // chain_spki_pins are the pins of the CA certificates in the plant's logged chain: the
  // issuer first, up to and including the root (for kBadChain, the chain before its cut).
  std::vector<std::string> chain_spki_pins;
  std::string issuer_subject_cn;
  std::string tbs_sha256_hex;   // of the TBS without poison / SCT list (as in precert leaves)
  std::string serial_hex;
  int64_t not_before_s = 0;
  int64_t not_after_s = 0;
};

// EntrySource produces entries [begin, end_exclusive) into `out`, in order. It must be a
// pure function of the index and safe to call from several threads at once.
using EntrySource = std::function<Status(uint64_t begin, uint64_t end_exclusive, EntryStore& out)>;

// EntryGenerator makes the entries of a Plan. Thread-safe (const after Create).
class EntryGenerator {
 public:
  // Create derives the PKI and the leaf key pool from plan.seed; the log key signs the SCTs
  // embedded in the final certificates of kBoth plants. Fails on an invalid plan.
  static Result<EntryGenerator> Create(Plan plan, EcKey log_key);

  // Generate appends entries [begin, end_exclusive) to `out` (single-threaded).
  Status Generate(uint64_t begin, uint64_t end_exclusive, EntryStore& out) const;
  // GenerateParallel is Generate split over `threads` threads.
  Status GenerateParallel(uint64_t begin, uint64_t end_exclusive, unsigned threads, EntryStore& out) const;
  // Facts returns the facts of every plant (independent of which entries exist yet).
  std::vector<PlantFacts> Facts() const;

  const Pki& pki() const { return *pki_; }
  const Plan& plan() const { return *plan_; }

 private:
  struct Planted {
    const Plant* plant;
    int part;  // 0: the plant's first entry; 1: the final certificate of a kBoth plant
  };
  void GenerateOne(uint64_t index, EntryStore& out, PlantFacts* facts) const;

  std::shared_ptr<const Plan> plan_;
  std::shared_ptr<const Pki> pki_;
  std::shared_ptr<const std::vector<EcKey>> leaf_keys_;
  std::shared_ptr<const std::map<uint64_t, Planted>> planted_;
  std::optional<EcKey> log_key_;
  ctlog::Hash log_id_{};
};

// LoadCertsDir reads every *.pem / *.crt / *.der file of `dir` (sorted by name; a PEM
// file may hold several certificates) and returns an EntrySource serving them in order:
// a certificate with the CT poison extension becomes a precert_entry (its issuer must be
// among the files), anything else an x509_entry; chains are completed from the files.
// Timestamps are epoch_ms + i * 1000; extensions carry leaf_index i. kFailedPrecondition on unreadable or unparsable
// files, or a precertificate whose issuer is missing.
struct CertsDirSource {
  EntrySource source;
  uint64_t count = 0;
  std::vector<Buffer> roots;  // self-signed certificates among the files
};
Result<CertsDirSource> LoadCertsDir(const std::filesystem::path& dir, uint64_t epoch_ms);

}  // namespace pinwatch::sim
