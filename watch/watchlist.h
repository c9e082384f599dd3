// The watch list: which certificate names (and IP addresses) concern us. Built once from
// configuration into a flat, immutable index; matching a certificate name then costs
// O(bytes of the name) with at most one hash probe per label (usually one or two: the walk
// stops at the first label suffix that no watched name ends with), whatever the list size
// (10 or 100,000 entries), and never allocates.
//
// Matching rules. A certificate name N is first normalised (NormalizeCertificateName: ASCII
// lowercase, one trailing dot dropped, nothing else; names that are empty or longer than
// kMaxHostnameBytes match nothing). Watch entries are normalised at load time to lowercase
// A-labels (NormalizeWatchName), so "bücher.example" matches the certificate name
// "xn--bcher-kva.example" and "BÜCHER.example." alike. Then, for an entry W:
//  1. Same name: N == W matches an entry of either scope.
//  2. Subdomain: N ends with "." + W matches a kIncludeSubdomains entry. This is a plain
//     suffix test on labels, so it also holds for wildcard names ("*.example.com" and
//     "*.api.example.com" are under a subdomain watch on example.com), for raw UTF-8 names
//     ("bücher.example.com" in a dNSName is under example.com) and for names with empty
//     labels ("a..example.com" and ".example.com" are under example.com: an odd name under a
//     watched domain is exactly what a monitor should report).
//  3. Wildcard covers: if N's first label contains '*' (a wildcard, "*.P"; partial-label
//     forms such as "f*.P" are treated the same, which can only over-report) and P is not
//     empty, N matches every entry, of either scope, that is exactly one label below P:
//     "*.example.com" concerns a watch on api.example.com (and a subdomain watch on it), not
//     one on example.com itself (RFC 6125 §6.4.3: a wildcard does not cover its parent) and
//     not one on a.b.example.com. "*.com" concerns a watch on example.com (such a certificate
//     would be misissuance, which is worth an alert) but not api.example.com or example.org;
//     "*" alone (P empty) matches nothing. A '*' anywhere else has no special meaning.
//  4. Nothing else: no IDNA conversion or Unicode case folding of certificate names, no
//     public-suffix knowledge, and an IP address written as text in a dNSName never matches
//     a DNS entry (watch names cannot have an all-digit last label or a ':'). Watched IP
//     addresses are matched separately, against iPAddress SANs (MatchIpAddress).
// When several entries match one name, the most specific is reported: for a wildcard, the
// lowest-index entry it covers (rule 3), if any; otherwise the entry with the longest name,
// at the same name an exact-scope entry before an include_subdomains one, among equals the
// lowest index. tests/fuzz/watchlist_fuzz.cc checks all of this against a plain loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "x509/hostname.h"

namespace pinwatch::watch {

// WatchScope says what a watch entry covers.
enum class WatchScope : uint8_t {
  kExactName,          // only this name (and wildcards whose expansion includes it)
  kIncludeSubdomains,  // this name and every name below it
};

// WatchEntry is one configured entry: a DNS name in Unicode or A-labels (case and one trailing
// dot do not matter), or an IPv4/IPv6 address literal (ParseIpAddressLiteral), which is
// watched as an iPAddress SAN and must have scope kExactName.
struct WatchEntry {
  std::string name;
  WatchScope scope = WatchScope::kExactName;
};

// MatchReason says which matching rule (see the top of this file) connected a certificate
// name to an entry.
enum class MatchReason : uint8_t {
  kSameName,        // rule 1: the certificate name is the watched name
  kSubdomain,       // rule 2: the certificate name is below a kIncludeSubdomains entry
  kWildcardCovers,  // rule 3: the certificate's wildcard name covers the watched name
  kSameAddress,     // an iPAddress SAN equals a watched address
};

// WatchMatch says which entry matched and why.
struct WatchMatch {
  uint32_t entry_index = 0;  // index into the entries given to WatchList::Create
  MatchReason reason = MatchReason::kSameName;
  uint32_t name_index = 0;   // MatchAny*: index of the matching name in its input; else 0

  friend bool operator==(const WatchMatch&, const WatchMatch&) = default;
};

// kMaxWatchEntries bounds the list so that entry and key indexes fit in 32 bits (an entry adds
// one key per label, at most 127); ten times more than any configuration we know of needs.
inline constexpr size_t kMaxWatchEntries = size_t{1} << 20;

class WatchList {
 public:
  // Create returns the index of `entries`; entry i is reported as entry_index i. kMalformed
  // naming the first invalid entry (its index and text, and why; see NormalizeWatchName) or
  // if there are more than kMaxWatchEntries. Duplicates are allowed. An empty list is valid
  // and matches nothing. Copies what it needs; `entries` may be freed afterwards.
  static Result<WatchList> Create(std::span<const WatchEntry> entries);

  // MatchName returns the most specific entry that the certificate dNSName (or subject CN)
  // `name` concerns, per the rules at the top of this file, or nullopt if none. Cost is
  // O(name size) plus one hash probe per label; never allocates. Thread-safe (const).
  std::optional<WatchMatch> MatchName(std::string_view name) const;

  // MatchAny returns MatchName of the first of `names` that matches anything, with
  // name_index set to its position in `names`, or nullopt if none does. Thread-safe (const).
  std::optional<WatchMatch> MatchAny(std::span<const std::string_view> names) const;

  // MatchIpAddress returns the watched address equal to `address` (4 or 16 bytes, the contents
  // of an iPAddress SAN; an IPv4-mapped IPv6 address ::ffff:a.b.c.d also matches a watched
  // a.b.c.d), or nullopt (also for any other size). O(log addresses); never allocates.
  // Thread-safe (const).
  std::optional<WatchMatch> MatchIpAddress(std::span<const uint8_t> address) const;

  // MatchAnyIpAddress is MatchAny for iPAddress SANs. Thread-safe (const).
  std::optional<WatchMatch> MatchAnyIpAddress(std::span<const std::span<const uint8_t>> addresses) const;

  // size returns the number of entries given to Create.
  size_t size() const { return canonical_names_.size(); }
  // canonical_name returns entry `index` as matched: lowercase A-labels for a DNS name, the
  // configured text for an IP address. `index` < size() is asserted. Thread-safe (const).
  const std::string& canonical_name(uint32_t index) const;
  // scope returns entry `index`'s scope; `index` < size() is asserted. Thread-safe (const).
  WatchScope scope(uint32_t index) const;

 private:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Key is one distinct DNS name in the index: a watched name or a label suffix of one.
  struct Key {
    uint32_t name_offset = 0;       // into arena_
    uint32_t name_size_bytes = 0;
    uint32_t exact_entry = kNone;     // lowest index of a kExactName entry with this name
    uint32_t subtree_entry = kNone;   // lowest index of a kIncludeSubdomains entry with this name
    uint32_t child_entry = kNone;     // lowest index of an entry one label below this name
  };
  // Slot is one open-addressing slot: a 32-bit hash tag and key index + 1 (0 = empty).
  struct Slot {
    uint32_t tag = 0;
    uint32_t key_plus_one = 0;
  };
  struct WatchedAddress {
    x509::IpAddress address;
    uint32_t entry_index = 0;
  };

  WatchList() = default;
  Key& FindOrInsert(std::string_view name);
  const Key* Find(std::string_view name, uint64_t hash) const;

  std::string arena_;                 // every key's bytes, back to back
  std::vector<Key> keys_;
  std::vector<Slot> slots_;           // size is a power of two, at most half full
  std::vector<WatchedAddress> addresses_;  // sorted by address, then entry index
  std::vector<std::string> canonical_names_;
  std::vector<WatchScope> scopes_;
};

}  // namespace pinwatch::watch
