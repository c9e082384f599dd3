// TreeVerifier: the monitor's view of one log's Merkle tree. It appends leaf hashes in log
// order to a compact range and holds the log to its signed tree heads: a root that differs
// from the signed one, two roots for one size, a tree that shrinks or a consistency proof
// that fails is log misbehaviour, returned as evidence, never a crash or a silent skip.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "ctlog/merkle.h"
#include "ctlog/sth.h"

namespace pinwatch::ctlog {

// Misbehaviour is the evidence that a log broke its promises. It is what a monitor stores
// and alerts on; `detail` is a one-line human explanation.
struct Misbehaviour {
  enum class Kind {
    kBadTreeHeadSignature,   // a tree head or checkpoint whose signature does not verify
    kRootMismatch,           // the entries up to a signed size hash to another root
    kForkedTreeHead,         // two different roots signed for the same tree size
    kShrunkTree,             // a newer tree head with a smaller tree size
    kBadConsistencyProof,    // a consistency proof between two signed heads fails
    kBadEntry,               // an entry the log served is not a valid log entry
  };
  Kind kind;
  std::string detail;
  std::optional<SignedTreeHead> tree_head;      // the signed statement in question
  std::optional<SignedTreeHead> verified_head;  // the last head we had verified, if any
  std::optional<Hash> computed_root;            // our root at tree_head->tree_size, if known
  std::optional<uint64_t> entry_index;          // for kBadEntry
};

// KindName returns a stable snake_case name for metrics and storage.
std::string_view KindName(Misbehaviour::Kind kind);

// TreeVerifier is not thread-safe; one per log, owned by that log's worker.
class TreeVerifier {
 public:
  // A verifier resumes from a persisted state: the compact range of the leaves that have
  // been verified against `verified_head` (range.end() == verified_head->tree_size), or an
  // empty range and no head for a new log.
  TreeVerifier(CompactRange verified_range, std::optional<SignedTreeHead> verified_head);
  // This one resumes a monitor that had appended leaves past its verified size and persisted
  // them (pending_range.end() >= verified_range.end(); the caller checks that). The pending
  // leaves are still unverified: the next VerifyAt covers them, and Rewind drops them.
  TreeVerifier(CompactRange verified_range, std::optional<SignedTreeHead> verified_head,
               CompactRange pending_range);

  // CheckNewTreeHead compares a signature-checked tree head with the verified one before
  // any entry under it is fetched. `consistency_proof` proves verified -> new (pass an empty
  // span when no proof is available, e.g. for tiled logs; the root check at the new size
  // then covers consistency). Returns misbehaviour for a fork, a shrunk tree or a failed
  // proof; nullopt when the head may become the target.
  [[nodiscard]] std::optional<Misbehaviour> CheckNewTreeHead(const SignedTreeHead& head,
                                                             std::span<const Hash> consistency_proof) const;

  // Append adds the hash of leaf number pending_end() (the next one in log order).
  void Append(const Hash& leaf_hash) { pending_.Append(leaf_hash); }

  // VerifyAt checks the appended leaves against `head` once pending_end() == head.tree_size.
  // On a match the head becomes the verified head and the range the verified range; on a
  // mismatch the appended leaves are dropped (the position rewinds to verified_end()) and
  // the evidence is returned.
  [[nodiscard]] std::optional<Misbehaviour> VerifyAt(const SignedTreeHead& head);

  // Rewind drops appended leaves that were not verified (e.g. after a failed download).
  void Rewind() { pending_ = verified_; }

  uint64_t pending_end() const { return pending_.end(); }
  uint64_t verified_end() const { return verified_.end(); }
  const CompactRange& verified_range() const { return verified_; }
  const CompactRange& pending_range() const { return pending_; }
  const std::optional<SignedTreeHead>& verified_head() const { return verified_head_; }

 private:
  CompactRange verified_;
  CompactRange pending_;
  std::optional<SignedTreeHead> verified_head_;
};

}  // namespace pinwatch::ctlog
