#include "sim/entries.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "base/encoding.h"
#include "ctlog/tile.h"

namespace pinwatch::sim {
namespace {

constexpr size_t kLeafKeyPoolSize = 256;
constexpr int64_t kDaySeconds = 86400;

// SplitMix64: a tiny, well-mixed generator; each entry seeds its own from (seed, index),
// so entries can be generated in any order and on any thread.
class Rng {
 public:
  explicit Rng(uint64_t state) : state_(state) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t state_;
};

uint64_t SeedWord(std::string_view seed) {
  ctlog::Hash h = ctlog::Sha256Of(AsBytes(seed));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | h[i];
  return v;
}

constexpr const char* kWords[] = {"api", "shop", "mail", "cdn", "static", "login", "app", "edge",
                                  "portal", "files", "img", "dev", "beta", "status", "docs", "vpn"};

std::string HexOf(Bytes b) { return HexEncode(b); }

// EncodeChain returns `ASN.1Cert certificate_chain<0..2^24-1>`: the issuer, then its issuers.
Buffer EncodeChain(const CertificateAuthority& issuer) {
  std::vector<Bytes> certs = {issuer.cert_der};
  for (const Buffer& c : issuer.chain_above) certs.emplace_back(c);
  Buffer out;
  Status s = ctlog::EncodeX509ChainEntry(certs, out);
  (void)s;  // our own certificates are within every bound
  return out;
}

// EncodeLeaf sets `out` to the MerkleTreeLeaf of one of our own entries (within bounds).
void EncodeLeaf(const ctlog::TimestampedEntryView& entry, Buffer& out) {
  out.clear();
  Status s = ctlog::EncodeMerkleTreeLeaf(entry, out);
  (void)s;
}

// Member returns obj[name] or nullptr (FindMember on a const object: no operator[] on input).
const rapidjson::Value* Member(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

// LifetimeError is the message for a lifetime out of 1..kMaxLeafLifetimeS, after `what`.
std::string LifetimeError(const std::string& what) {
  return what + " must be a positive integer of seconds, at most " + std::to_string(kMaxLeafLifetimeS) +
         " (a century)";
}

Result<PlantType> ParsePlantType(std::string_view s) {
  if (s == "x509") return PlantType::kX509;
  if (s == "precert") return PlantType::kPrecert;
  if (s == "both") return PlantType::kBoth;
  if (s == "malformed") return PlantType::kMalformed;
  if (s == "badchain") return PlantType::kBadChain;
  return MalformedError("plant type must be x509, precert, both, malformed or badchain, not \"" + std::string(s) + "\"");
}

}  // namespace

std::string_view PlantTypeName(PlantType type) {
  switch (type) {
    case PlantType::kX509: return "x509";
    case PlantType::kPrecert: return "precert";
    case PlantType::kBoth: return "both";
    case PlantType::kMalformed: return "malformed";
    case PlantType::kBadChain: return "badchain";
  }
  return "?";
}

Result<Plan> ParsePlanJson(std::string_view json, Plan base) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return MalformedError(std::string("plan JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
                          " at byte offset " + std::to_string(doc.GetErrorOffset()));
  }
  if (!doc.IsObject()) return MalformedError("plan JSON: top level must be an object");
  Plan plan = std::move(base);
  if (const rapidjson::Value* it = Member(doc, "seed")) {
    if (!it->IsString()) return MalformedError("plan JSON: \"seed\" must be a string");
    plan.seed = it->GetString();
  }
  if (const rapidjson::Value* it = Member(doc, "entries")) {
    if (!it->IsUint64()) return MalformedError("plan JSON: \"entries\" must be an integer");
    plan.entries = it->GetUint64();
  }
  if (const rapidjson::Value* it = Member(doc, "epoch_ms")) {
    if (!it->IsUint64()) return MalformedError("plan JSON: \"epoch_ms\" must be an integer");
    plan.epoch_ms = it->GetUint64();
  }
  if (const rapidjson::Value* it = Member(doc, "unwatched_domains")) {
    if (!it->IsArray() || it->Empty()) {
      return MalformedError("plan JSON: \"unwatched_domains\" must be a non-empty array");
    }
    plan.unwatched_domains.clear();
    for (const auto& d : it->GetArray()) {
      if (!d.IsString()) return MalformedError("plan JSON: unwatched_domains[] must be strings");
      plan.unwatched_domains.emplace_back(d.GetString());
    }
  }
  if (const rapidjson::Value* it = Member(doc, "plants")) {
    if (!it->IsArray()) return MalformedError("plan JSON: \"plants\" must be an array");
    size_t i = 0;
    for (const auto& p : it->GetArray()) {
      std::string where = "plan JSON: plants[" + std::to_string(i++) + "]";
      if (!p.IsObject()) return MalformedError(where + " must be an object");
      Plant plant;
      const rapidjson::Value* index = Member(p, "index");
      if (index == nullptr || !index->IsUint64()) {
        return MalformedError(where + ".index must be an integer");
      }
      plant.index = index->GetUint64();
      const rapidjson::Value* names = Member(p, "names");
      if (names == nullptr || !names->IsArray() || names->Empty()) {
        return MalformedError(where + ".names must be a non-empty array");
      }
      for (const auto& n : names->GetArray()) {
        if (!n.IsString()) return MalformedError(where + ".names[] must be strings");
        plant.names.emplace_back(n.GetString());
      }
      if (const rapidjson::Value* v = Member(p, "issuer")) {
        if (!v->IsString()) return MalformedError(where + ".issuer must be a string");
        plant.issuer = v->GetString();
      }
      if (const rapidjson::Value* v = Member(p, "key")) {
        if (!v->IsString()) return MalformedError(where + ".key must be a string");
        plant.key = v->GetString();
      }
      if (const rapidjson::Value* v = Member(p, "type")) {
        if (!v->IsString()) return MalformedError(where + ".type must be a string");
        auto type = ParsePlantType(v->GetString());
        if (!type.ok()) return MalformedError(where + ": " + type.status().message());
        plant.type = *type;
      }
      if (const rapidjson::Value* v = Member(p, "lifetime_s")) {
        // IsInt64 is false for 1.5 and 1e3 (doubles) and for strings.
        if (!v->IsInt64() || v->GetInt64() < 1 || v->GetInt64() > kMaxLeafLifetimeS) {
          return MalformedError(LifetimeError(where + ".lifetime_s"));
        }
        plant.lifetime_s = v->GetInt64();
      }
      plan.plants.push_back(std::move(plant));
    }
  }
  return plan;
}

Result<Plant> ParsePlantFlag(std::string_view flag) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    size_t colon = flag.find(':', start);
    if (colon == std::string_view::npos) {
      return MalformedError("--plant wants INDEX:TYPE:ISSUER:KEY:NAMES, got \"" + std::string(flag) + "\"");
    }
    parts.emplace_back(flag.substr(start, colon - start));
    start = colon + 1;
  }
  parts.emplace_back(flag.substr(start));
  Plant plant;
  char* end = nullptr;
  plant.index = std::strtoull(parts[0].c_str(), &end, 10);
  if (parts[0].empty() || *end != '\0') return MalformedError("--plant: bad index \"" + parts[0] + "\"");
  auto type = ParsePlantType(parts[1]);
  if (!type.ok()) return type.status();
  plant.type = *type;
  if (!parts[2].empty()) plant.issuer = parts[2];
  plant.key = parts[3];
  std::string_view names = parts[4];
  while (!names.empty()) {
    size_t comma = names.find(',');
    plant.names.emplace_back(names.substr(0, comma));
    if (comma == std::string_view::npos) break;
    names.remove_prefix(comma + 1);
  }
  if (plant.names.empty() || plant.names.front().empty()) return MalformedError("--plant: no names");
  return plant;
}

Result<PlantLifetime> ParsePlantLifetimeFlag(std::string_view flag) {
  const std::string quoted = "\"" + std::string(flag) + "\"";
  size_t colon = flag.find(':');
  if (colon == std::string_view::npos) {
    return MalformedError("--plant-lifetime wants INDEX:SECONDS, got " + quoted);
  }
  std::string index(flag.substr(0, colon)), seconds(flag.substr(colon + 1));
  // strtoull accepts a sign and leading blanks; only digits are allowed here.
  auto digits = [](const std::string& t) {
    return !t.empty() && t.size() <= 19 && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!digits(index)) return MalformedError("--plant-lifetime: bad index in " + quoted);
  if (!digits(seconds)) return MalformedError(LifetimeError("--plant-lifetime: SECONDS in " + quoted));
  PlantLifetime out{.index = std::strtoull(index.c_str(), nullptr, 10),
                    .lifetime_s = static_cast<int64_t>(std::strtoull(seconds.c_str(), nullptr, 10))};
  if (out.lifetime_s < 1 || out.lifetime_s > kMaxLeafLifetimeS) {
    return MalformedError(LifetimeError("--plant-lifetime: SECONDS in " + quoted));
  }
  return out;
}

Status SetPlantLifetime(Plan& plan, PlantLifetime lifetime) {
  for (Plant& p : plan.plants) {
    if (p.index == lifetime.index) {
      p.lifetime_s = lifetime.lifetime_s;
      return OkStatus();
    }
  }
  std::string known;
  for (const Plant& p : plan.plants) known += (known.empty() ? "" : ", ") + std::to_string(p.index);
  return MalformedError("--plant-lifetime: no plant at index " + std::to_string(lifetime.index) + " (plants are at " +
                        (known.empty() ? "no index" : known) + ")");
}

Status ValidatePlan(const Plan& plan) {
  std::map<uint64_t, uint64_t> taken;  // index -> plant's first index
  for (const Plant& p : plan.plants) {
    if (p.names.empty()) return MalformedError("plant at " + std::to_string(p.index) + " has no names");
    for (const std::string& n : p.names) {
      if (n.empty() || n.size() > 253) return MalformedError("plant name \"" + n + "\" is not a DNS name");
    }
    if (p.issuer != "normal" && p.issuer != "e1" && p.issuer != "e2" && p.issuer != "rogue") {
      return MalformedError("plant issuer must be normal, e1, e2 or rogue, not \"" + p.issuer + "\"");
    }
    if (p.lifetime_s < 0 || p.lifetime_s > kMaxLeafLifetimeS) {
      return MalformedError("lifetime_s of the plant at " + std::to_string(p.index) + " must be 0 (the default) or 1.." +
                            std::to_string(kMaxLeafLifetimeS) + " seconds, not " + std::to_string(p.lifetime_s));
    }
    uint64_t count = p.type == PlantType::kBoth ? 2 : 1;
    for (uint64_t i = p.index; i < p.index + count; ++i) {
      if (auto [it, inserted] = taken.emplace(i, p.index); !inserted) {
        return MalformedError("plants at " + std::to_string(it->second) + " and " +
                              std::to_string(p.index) + " overlap at index " + std::to_string(i));
      }
    }
  }
  return OkStatus();
}

const CertificateAuthority* Pki::Find(std::string_view id) const {
  if (id == "normal") id = "e1";
  for (const auto& ca : cas) {
    if (ca.id == id) return &ca;
  }
  return nullptr;
}

const CertificateAuthority* Pki::Parent(const CertificateAuthority& ca) const {
  if (ca.chain_above.empty()) return nullptr;
  for (const auto& other : cas) {
    if (other.cert_der == ca.chain_above.front()) return &other;
  }
  return nullptr;
}

std::vector<std::string> Pki::ChainSpkiPins(const CertificateAuthority& issuer) const {
  std::vector<std::string> pins;
  for (const CertificateAuthority* ca = &issuer; ca != nullptr; ca = Parent(*ca)) {
    pins.push_back(SpkiPin(ca->key.spki_der()));
  }
  return pins;
}

std::vector<Buffer> Pki::Roots() const {
  std::vector<Buffer> roots;
  for (const auto& ca : cas) {
    if (ca.chain_above.empty()) roots.push_back(ca.cert_der);
  }
  return roots;
}

Result<Pki> MakePki(std::string_view seed, uint64_t epoch_ms) {
  int64_t epoch_s = static_cast<int64_t>(epoch_ms / 1000);
  int64_t nb = epoch_s - 365 * kDaySeconds;
  int64_t na = epoch_s + 10 * 365 * kDaySeconds;
  auto key = [&](std::string_view label) { return EcKey::FromSeed(seed, label); };
  auto root_key = key("ca/root"), e1_key = key("ca/e1"), e2_key = key("ca/e2");
  auto rogue_root_key = key("ca/rogue-root"), rogue_key = key("ca/rogue");
  for (auto* k : {&root_key, &e1_key, &e2_key, &rogue_root_key, &rogue_key}) {
    if (!k->ok()) return k->status();
  }
  Pki pki;
  pki.cas.reserve(5);
  pki.cas.push_back(MakeRoot("root", *root_key, "Pinwatch Sim Root R1", nb, na));
  pki.cas.push_back(MakeIntermediate("e1", *e1_key, "Pinwatch Sim CA E1", pki.cas[0], nb, na));
  pki.cas.push_back(MakeIntermediate("e2", *e2_key, "Pinwatch Sim CA E2", pki.cas[0], nb, na));
  pki.cas.push_back(MakeRoot("rogue-root", *rogue_root_key, "Totally Legit Root", nb, na));
  pki.cas.push_back(MakeIntermediate("rogue", *rogue_key, "Totally Legit Issuing CA", pki.cas[3], nb, na));
  return pki;
}

// ---- EntryStore ----

void EntryStore::Add(Bytes leaf_input, Bytes pre_certificate, Bytes chain) {
  Append(leaves_, leaf_input);
  leaf_ends_.push_back(leaves_.size());
  Append(precerts_, pre_certificate);
  precert_ends_.push_back(precerts_.size());
  size_t id = 0;
  while (id < chains_.size() && !std::equal(chains_[id].begin(), chains_[id].end(), chain.begin(), chain.end())) {
    ++id;
  }
  if (id == chains_.size()) chains_.emplace_back(chain.begin(), chain.end());
  chain_ids_.push_back(static_cast<uint16_t>(id));
}

void EntryStore::AddAll(const EntryStore& other) {
  leaves_.reserve(leaves_.size() + other.leaves_.size());
  precerts_.reserve(precerts_.size() + other.precerts_.size());
  for (uint64_t i = 0; i < other.size(); ++i) Add(other.LeafInput(i), other.PreCertificate(i), other.Chain(i));
}

Bytes EntryStore::LeafInput(uint64_t i) const {
  uint64_t begin = i == 0 ? 0 : leaf_ends_[i - 1];
  return Bytes(leaves_).subspan(begin, leaf_ends_[i] - begin);
}

Bytes EntryStore::PreCertificate(uint64_t i) const {
  uint64_t begin = i == 0 ? 0 : precert_ends_[i - 1];
  return Bytes(precerts_).subspan(begin, precert_ends_[i] - begin);
}

void EntryStore::AppendExtraData(uint64_t i, Buffer& out) const {
  Bytes pre_certificate = PreCertificate(i);
  if (!pre_certificate.empty()) {
    // PrecertChainEntry { ASN.1Cert pre_certificate; ASN.1Cert precertificate_chain<0..2^24-1>; }
    ByteWriter(out).U24Prefixed(pre_certificate);
  }
  Append(out, Chain(i));  // ASN.1Cert certificate_chain<0..2^24-1>
}

size_t EntryStore::memory_bytes() const {
  return leaves_.capacity() + precerts_.capacity() + 8 * (leaf_ends_.capacity() + precert_ends_.capacity()) +
         2 * chain_ids_.capacity();
}

// ---- EntryGenerator ----

Result<EntryGenerator> EntryGenerator::Create(Plan plan, EcKey log_key) {
  if (Status s = ValidatePlan(plan); !s.ok()) return s;
  auto pki = MakePki(plan.seed, plan.epoch_ms);
  if (!pki.ok()) return pki.status();
  EntryGenerator g;
  auto keys = std::make_shared<std::vector<EcKey>>();
  keys->reserve(kLeafKeyPoolSize);
  for (size_t i = 0; i < kLeafKeyPoolSize; ++i) {
    auto k = EcKey::FromSeed(plan.seed, "leaf-pool/" + std::to_string(i));
    if (!k.ok()) return k.status();
    keys->push_back(*k);
  }
  auto owned_plan = std::make_shared<Plan>(std::move(plan));
  auto planted = std::make_shared<std::map<uint64_t, Planted>>();
  for (const Plant& p : owned_plan->plants) {
    (*planted)[p.index] = Planted{&p, 0};
    if (p.type == PlantType::kBoth) (*planted)[p.index + 1] = Planted{&p, 1};
  }
  g.plan_ = owned_plan;
  g.pki_ = std::make_shared<Pki>(std::move(*pki));
  g.leaf_keys_ = std::move(keys);
  g.planted_ = std::move(planted);
  g.log_id_ = ctlog::Sha256Of(log_key.spki_der());
  g.log_key_ = std::move(log_key);
  return g;
}

void EntryGenerator::GenerateOne(uint64_t index, EntryStore& out, PlantFacts* facts) const {
  const Plan& plan = *plan_;
  uint64_t timestamp_ms = plan.epoch_ms + index * 1000;
  auto planted_it = planted_->find(index);
  const Plant* plant = planted_it == planted_->end() ? nullptr : planted_it->second.plant;
  int part = plant ? planted_it->second.part : 0;
  // A kBoth plant's final certificate is generated from the plant's first index, so that
  // both entries share the serial, validity and TBS.
  uint64_t base_index = plant ? plant->index : index;
  uint64_t base_timestamp_ms = plan.epoch_ms + base_index * 1000;
  Rng rng(SeedWord(plan.seed) ^ (base_index * 0xd1b54a32d192ed03ull));

  uint8_t serial[16];
  for (int i = 0; i < 16; i += 8) {
    uint64_t w = rng.Next();
    for (int j = 0; j < 8; ++j) serial[i + j] = static_cast<uint8_t>(w >> (8 * j));
  }
  serial[0] = static_cast<uint8_t>((serial[0] & 0x7f) | 0x01);

  LeafSpec spec;
  spec.serial = Bytes(serial, sizeof serial);
  spec.not_before_s = static_cast<int64_t>(base_timestamp_ms / 1000) - 3600;
  spec.not_after_s = spec.not_before_s + (plant != nullptr && plant->lifetime_s > 0 ? plant->lifetime_s
                                                                                    : kDefaultLeafLifetimeS);
  const CertificateAuthority* issuer = nullptr;
  const EcKey* leaf_key = nullptr;
  std::optional<EcKey> named_key;
  bool precert_first = false;
  if (plant != nullptr) {
    spec.dns_names = plant->names;
    issuer = pki_->Find(plant->issuer);
    named_key = *EcKey::FromSeed(plan.seed, "named-key/" + (plant->key.empty()
                                                                 ? "plant-" + std::to_string(plant->index)
                                                                 : plant->key));
    leaf_key = &*named_key;
    precert_first = plant->type == PlantType::kPrecert || plant->type == PlantType::kBoth;
  } else {
    issuer = &pki_->cas[1 + rng.Below(2)];  // e1 or e2
    leaf_key = &(*leaf_keys_)[rng.Below(leaf_keys_->size())];
    precert_first = rng.Below(2) == 0;
    const std::string& domain = plan.unwatched_domains[rng.Below(plan.unwatched_domains.size())];
    std::string host = std::string(kWords[rng.Below(std::size(kWords))]) + "-" +
                       std::to_string(rng.Below(1000000)) + "." + domain;
    spec.dns_names.push_back(host);
    if (rng.Below(2) == 0) spec.dns_names.push_back("www." + host);
  }
  spec.spki_der = leaf_key->spki_der();
  ctlog::Hash issuer_key_hash = ctlog::Sha256Of(issuer->key.spki_der());
  Buffer chain = EncodeChain(*issuer);
  std::array<uint8_t, 8> leaf_index = ctlog::EncodeLeafIndexExtensions(index);

  // The TBS without poison or SCT list: what a precert_entry logs (RFC 6962 §3.2).
  Buffer bare_tbs = LeafTbs(spec, *issuer);
  Buffer logged_cert;
  Buffer leaf_input;
  bool is_precert_entry = precert_first && part == 0;
  // The precert_entry this index (or, for a final certificate, the plant's first index) has.
  ctlog::TimestampedEntryView precert_entry{.timestamp_ms = base_timestamp_ms,
                                            .entry_type = ctlog::LogEntryType::kPrecertEntry,
                                            .certificate = {},
                                            .issuer_key_hash = issuer_key_hash,
                                            .tbs_certificate = bare_tbs,
                                            .extensions = {}};
  if (is_precert_entry) {
    spec.last = LastExtension::kPoison;
    logged_cert = SignCertificate(LeafTbs(spec, *issuer), issuer->key);
    precert_entry.extensions = leaf_index;
    EncodeLeaf(precert_entry, leaf_input);
    out.Add(leaf_input, logged_cert, chain);
  } else {
    if (plant != nullptr && plant->type == PlantType::kBoth) {
      // The final certificate embeds the SCT this log issued for the precertificate.
      std::array<uint8_t, 8> precert_leaf_index = ctlog::EncodeLeafIndexExtensions(base_index);
      precert_entry.extensions = precert_leaf_index;
      Buffer sct_list = EncodeSctList(SignPrecertSct(*log_key_, log_id_, precert_entry));
      spec.last = LastExtension::kSctList;
      spec.sct_list = sct_list;
      logged_cert = SignCertificate(LeafTbs(spec, *issuer), issuer->key);
    } else {
      logged_cert = SignCertificate(bare_tbs, issuer->key);
      if (plant != nullptr && plant->type == PlantType::kMalformed) logged_cert.push_back(0x00);
    }
    ctlog::TimestampedEntryView entry{.timestamp_ms = timestamp_ms,
                                      .entry_type = ctlog::LogEntryType::kX509Entry,
                                      .certificate = logged_cert,
                                      .issuer_key_hash = {},
                                      .tbs_certificate = {},
                                      .extensions = leaf_index};
    EncodeLeaf(entry, leaf_input);
    if (plant != nullptr && plant->type == PlantType::kBadChain) {
      // certificate_chain's length prefix now claims one byte more than follows.
      Buffer cut(chain.begin(), chain.end() - 1);
      out.Add(leaf_input, {}, cut);
    } else {
      out.Add(leaf_input, {}, chain);
    }
  }
  if (facts != nullptr) {
    if (facts->indices.empty()) {
      facts->leaf_spki_pin = SpkiPin(spec.spki_der);
      facts->issuer_spki_pin = SpkiPin(issuer->key.spki_der());
      facts->chain_spki_pins = pki_->ChainSpkiPins(*issuer);
      facts->issuer_subject_cn = issuer->id;
      facts->tbs_sha256_hex = HexOf(ctlog::Sha256Of(bare_tbs));
      facts->serial_hex = HexOf(spec.serial);
      facts->not_before_s = spec.not_before_s;
      facts->not_after_s = spec.not_after_s;
    }
    facts->indices.push_back(index);
    facts->entry_types.push_back(is_precert_entry ? "precert_entry" : "x509_entry");
    facts->cert_sha256_hex.push_back(HexOf(ctlog::Sha256Of(logged_cert)));
  }
}

Status EntryGenerator::Generate(uint64_t begin, uint64_t end_exclusive, EntryStore& out) const {
  for (uint64_t i = begin; i < end_exclusive; ++i) GenerateOne(i, out, nullptr);
  return OkStatus();
}

Status EntryGenerator::GenerateParallel(uint64_t begin, uint64_t end_exclusive, unsigned threads,
                                        EntryStore& out) const {
  if (end_exclusive <= begin) return OkStatus();
  uint64_t n = end_exclusive - begin;
  if (threads <= 1 || n < 1024) return Generate(begin, end_exclusive, out);
  std::vector<EntryStore> parts(threads);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    uint64_t b = begin + n * t / threads, e = begin + n * (t + 1) / threads;
    workers.emplace_back([this, b, e, &parts, t] { (void)Generate(b, e, parts[t]); });
  }
  for (auto& w : workers) w.join();
  for (const auto& part : parts) out.AddAll(part);
  return OkStatus();
}

std::vector<PlantFacts> EntryGenerator::Facts() const {
  std::vector<PlantFacts> all;
  for (const Plant& p : plan_->plants) {
    PlantFacts f;
    f.plant = p;
    EntryStore scratch;
    GenerateOne(p.index, scratch, &f);
    if (p.type == PlantType::kBoth) GenerateOne(p.index + 1, scratch, &f);
    f.issuer_subject_cn = pki_->Find(p.issuer)->id;
    all.push_back(std::move(f));
  }
  return all;
}

}  // namespace pinwatch::sim
