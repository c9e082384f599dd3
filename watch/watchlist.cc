#include "watch/watchlist.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <utility>

namespace pinwatch::watch {

using x509::AsciiLowercase;
using x509::HostnameBuffer;
using x509::IpAddress;
using x509::kMaxHostnameBytes;
using x509::NormalizeCertificateName;
using x509::NormalizeWatchName;
using x509::ParseIpAddressLiteral;
namespace {

// The index hashes names right to left, one byte at a time (FNV-1a), so that a single pass
// over a certificate name yields the hash of every label suffix ("com", "example.com",
// "www.example.com") as it goes. Finish mixes the state (MurmurHash3's fmix64) so that the
// low bits pick a slot and the high bits make the tag.
constexpr uint64_t kHashSeed = 0xcbf29ce484222325u;
inline uint64_t HashStep(uint64_t h, char c) { return (h ^ static_cast<uint8_t>(c)) * 0x100000001b3u; }
inline uint64_t Finish(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdu;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53u;
  h ^= h >> 33;
  return h;
}
uint64_t HashName(std::string_view name) {
  uint64_t h = kHashSeed;
  for (size_t i = name.size(); i-- > 0;) h = HashStep(h, name[i]);
  return Finish(h);
}
inline uint32_t Tag(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }

// ParentOf returns `name` without its first label ("" for a single label).
std::string_view ParentOf(std::string_view name) {
  size_t dot = name.find('.');
  return dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool AddressLess(const IpAddress& a, const IpAddress& b) {
  if (a.size != b.size) return a.size < b.size;
  return std::memcmp(a.bytes.data(), b.bytes.data(), a.size) < 0;
}

// kV4MappedPrefix is ::ffff:0:0/96 (RFC 4291 §2.5.5.2).
constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

Result<WatchList> WatchList::Create(std::span<const WatchEntry> entries) {
  if (entries.size() > kMaxWatchEntries) {
    return MalformedError("watch list has " + std::to_string(entries.size()) + " entries, more than " +
                          std::to_string(kMaxWatchEntries));
  }
  WatchList list;
  list.canonical_names_.reserve(entries.size());
  list.scopes_.reserve(entries.size());
  std::vector<bool> is_address(entries.size());
  size_t max_keys = 0;
  // First pass: validate and canonicalise every entry, and bound the number of keys.
  for (size_t i = 0; i < entries.size(); ++i) {
    const WatchEntry& entry = entries[i];
    auto error = [&](const std::string& why) {
      return MalformedError("watch entry " + std::to_string(i) + " " + Quote(entry.name) + ": " + why);
    };
    if (std::optional<IpAddress> address = ParseIpAddressLiteral(entry.name)) {
      if (entry.scope != WatchScope::kExactName) return error("an IP address cannot include subdomains");
      list.addresses_.push_back({.address = *address, .entry_index = static_cast<uint32_t>(i)});
      list.canonical_names_.push_back(entry.name);
      is_address[i] = true;
    } else {
      Result<std::string> name = NormalizeWatchName(entry.name);
      if (!name.ok()) return error(name.status().message());
      max_keys += static_cast<size_t>(std::count(name->begin(), name->end(), '.')) + 1;
      list.canonical_names_.push_back(*std::move(name));
    }
    list.scopes_.push_back(entry.scope);
  }

  // Second pass: the index. Every label suffix of every watched name is a key ("a.b.example",
  // "b.example", "example"), so a lookup can stop at the first suffix that is not one: no
  // longer suffix can be a key either. Keep the table at most half full.
  list.slots_.resize(std::bit_ceil(std::max<size_t>(16, 2 * max_keys)));
  list.keys_.reserve(max_keys);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (is_address[i]) continue;
    const auto index = static_cast<uint32_t>(i);
    const std::string_view name = list.canonical_names_[i];
    Key& key = list.FindOrInsert(name);
    uint32_t& entry_slot = list.scopes_[i] == WatchScope::kExactName ? key.exact_entry : key.subtree_entry;
    entry_slot = std::min(entry_slot, index);
    bool parent = true;
    for (std::string_view suffix = ParentOf(name); !suffix.empty(); suffix = ParentOf(suffix)) {
      Key& suffix_key = list.FindOrInsert(suffix);  // keys_ never reallocates: reserved above
      if (parent) suffix_key.child_entry = std::min(suffix_key.child_entry, index);
      parent = false;
    }
  }
  // max_keys counted shared suffixes ("com") once per entry; shrink the table to the keys
  // there are, so that a large list's slots stay as cache-friendly as they can.
  if (const size_t fitted = std::bit_ceil(std::max<size_t>(16, 2 * list.keys_.size())); fitted < list.slots_.size()) {
    list.slots_.assign(fitted, Slot{});
    for (size_t k = 0; k < list.keys_.size(); ++k) {
      const Key& key = list.keys_[k];
      const uint64_t hash = HashName(std::string_view(list.arena_).substr(key.name_offset, key.name_size_bytes));
      size_t slot = hash & (fitted - 1);
      while (list.slots_[slot].key_plus_one != 0) slot = (slot + 1) & (fitted - 1);
      list.slots_[slot] = {.tag = Tag(hash), .key_plus_one = static_cast<uint32_t>(k + 1)};
    }
  }
  std::stable_sort(list.addresses_.begin(), list.addresses_.end(),
                   [](const WatchedAddress& a, const WatchedAddress& b) { return AddressLess(a.address, b.address); });
  return list;
}

WatchList::Key& WatchList::FindOrInsert(std::string_view name) {
  const uint64_t hash = HashName(name);
  if (const Key* found = Find(name, hash)) return keys_[found - keys_.data()];
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].key_plus_one != 0) i = (i + 1) & mask;
  keys_.push_back({.name_offset = static_cast<uint32_t>(arena_.size()),
                   .name_size_bytes = static_cast<uint32_t>(name.size())});
  arena_.append(name);
  slots_[i] = {.tag = Tag(hash), .key_plus_one = static_cast<uint32_t>(keys_.size())};
  return keys_.back();
}

const WatchList::Key* WatchList::Find(std::string_view name, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  const uint32_t tag = Tag(hash);
  // Linear probing; the table is at most half full, so a miss ends at an empty slot soon.
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.key_plus_one == 0) return nullptr;
    if (slot.tag != tag) continue;
    const Key& key = keys_[slot.key_plus_one - 1];
    if (key.name_size_bytes == name.size() &&
        std::memcmp(arena_.data() + key.name_offset, name.data(), name.size()) == 0) {
      return &key;
    }
  }
}

std::optional<WatchMatch> WatchList::MatchName(std::string_view name) const {
  // NormalizeCertificateName, fused into the walk below so that the name is read once.
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxHostnameBytes || keys_.empty()) return std::nullopt;
  HostnameBuffer buffer;  // the lowercased name, filled right to left as the walk goes
  const std::string_view lower(buffer.data(), name.size());

  // Walk right to left. At each '.', the bytes to its right are a proper suffix, already
  // lowercased, whose hash is ready; longer suffixes come later and are more specific, so a
  // later hit replaces an earlier one.
  std::optional<WatchMatch> best;
  const Key* parent_key = nullptr;  // key of the suffix right of the latest '.' (the first label's parent)
  size_t first_dot = std::string_view::npos;
  uint64_t h = kHashSeed;
  for (size_t i = name.size(); i-- > 0;) {
    const char c = AsciiLowercase(name[i]);
    buffer[i] = c;
    if (c == '.') {
      first_dot = i;
      parent_key = nullptr;
      if (i + 1 < name.size()) {
        parent_key = Find(lower.substr(i + 1), Finish(h));
        // Every suffix of a key is a key, so if this suffix is not one, no longer one is: the
        // common, non-matching case ends here after a probe or two.
        if (parent_key == nullptr) return best;
        if (parent_key->subtree_entry != kNone) {
          best = WatchMatch{.entry_index = parent_key->subtree_entry, .reason = MatchReason::kSubdomain};
        }
      }
    }
    h = HashStep(h, c);
  }
  // Rule 3: a '*' in the first label makes the name a wildcard over its parent, which covers
  // the entries one label below that parent (more specific than a subdomain entry on it).
  if (lower.substr(0, first_dot).find('*') != std::string_view::npos) {
    if (parent_key != nullptr && parent_key->child_entry != kNone) {
      best = WatchMatch{.entry_index = parent_key->child_entry, .reason = MatchReason::kWildcardCovers};
    }
    return best;  // watch names never contain '*': no need to probe the whole name
  }
  // Rule 1 on the whole name.
  if (const Key* key = Find(lower, Finish(h))) {
    const uint32_t entry = key->exact_entry != kNone ? key->exact_entry : key->subtree_entry;
    if (entry != kNone) best = WatchMatch{.entry_index = entry, .reason = MatchReason::kSameName};
  }
  return best;
}

std::optional<WatchMatch> WatchList::MatchAny(std::span<const std::string_view> names) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (std::optional<WatchMatch> match = MatchName(names[i])) {
      match->name_index = static_cast<uint32_t>(i);
      return match;
    }
  }
  return std::nullopt;
}

std::optional<WatchMatch> WatchList::MatchIpAddress(std::span<const uint8_t> address) const {
  IpAddress wanted;
  if (address.size() == 4) {
    std::copy(address.begin(), address.end(), wanted.bytes.begin());
    wanted.size = 4;
  } else if (address.size() == 16) {
    std::copy(address.begin(), address.end(), wanted.bytes.begin());
    wanted.size = 16;
  } else {
    return std::nullopt;
  }
  auto lookup = [this](const IpAddress& a) -> std::optional<WatchMatch> {
    auto it = std::lower_bound(addresses_.begin(), addresses_.end(), a,
                               [](const WatchedAddress& w, const IpAddress& x) { return AddressLess(w.address, x); });
    if (it == addresses_.end() || !(it->address == a)) return std::nullopt;
    return WatchMatch{.entry_index = it->entry_index, .reason = MatchReason::kSameAddress};
  };
  if (std::optional<WatchMatch> match = lookup(wanted)) return match;
  if (wanted.size == 16 && std::memcmp(wanted.bytes.data(), kV4MappedPrefix, sizeof kV4MappedPrefix) == 0) {
    IpAddress v4;
    std::copy(wanted.bytes.begin() + 12, wanted.bytes.end(), v4.bytes.begin());
    v4.size = 4;
    return lookup(v4);
  }
  return std::nullopt;
}

std::optional<WatchMatch> WatchList::MatchAnyIpAddress(std::span<const std::span<const uint8_t>> addresses) const {
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (std::optional<WatchMatch> match = MatchIpAddress(addresses[i])) {
      match->name_index = static_cast<uint32_t>(i);
      return match;
    }
  }
  return std::nullopt;
}

const std::string& WatchList::canonical_name(uint32_t index) const {
  assert(index < canonical_names_.size());
  return canonical_names_[index];
}

WatchScope WatchList::scope(uint32_t index) const {
  assert(index < scopes_.size());
  return scopes_[index];
}

}  // namespace pinwatch::watch
