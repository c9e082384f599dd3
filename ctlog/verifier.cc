#include "ctlog/verifier.h"

#include <cassert>

#include "base/encoding.h"

namespace pinwatch::ctlog {

std::string_view KindName(Misbehaviour::Kind kind) {
  switch (kind) {
    case Misbehaviour::Kind::kBadTreeHeadSignature: return "bad_tree_head_signature";
    case Misbehaviour::Kind::kRootMismatch: return "root_mismatch";
    case Misbehaviour::Kind::kForkedTreeHead: return "forked_tree_head";
    case Misbehaviour::Kind::kShrunkTree: return "shrunk_tree";
    case Misbehaviour::Kind::kBadConsistencyProof: return "bad_consistency_proof";
    case Misbehaviour::Kind::kBadEntry: return "bad_entry";
  }
  return "unknown";
}

TreeVerifier::TreeVerifier(CompactRange verified_range, std::optional<SignedTreeHead> verified_head)
    : verified_(std::move(verified_range)), pending_(verified_), verified_head_(std::move(verified_head)) {}

TreeVerifier::TreeVerifier(CompactRange verified_range, std::optional<SignedTreeHead> verified_head,
                           CompactRange pending_range)
    : verified_(std::move(verified_range)),
      pending_(std::move(pending_range)),
      verified_head_(std::move(verified_head)) {
  assert(pending_.end() >= verified_.end());
}

std::optional<Misbehaviour> TreeVerifier::CheckNewTreeHead(const SignedTreeHead& head,
                                                           std::span<const Hash> consistency_proof) const {
  if (!verified_head_) return std::nullopt;
  const SignedTreeHead& old = *verified_head_;
  auto evidence = [&](Misbehaviour::Kind kind, std::string detail) {
    return Misbehaviour{.kind = kind, .detail = std::move(detail), .tree_head = head, .verified_head = old};
  };
  if (head.tree_size == old.tree_size) {
    if (head.root_hash != old.root_hash) {
      return evidence(Misbehaviour::Kind::kForkedTreeHead,
                      "two roots for tree size " + std::to_string(head.tree_size) + ": " +
                          HexEncode(old.root_hash) + " and " + HexEncode(head.root_hash));
    }
    return std::nullopt;
  }
  if (head.tree_size < old.tree_size) {
    // An older head served by a lagging frontend is normal; a newer one that is smaller is not.
    if (head.timestamp_ms > old.timestamp_ms) {
      return evidence(Misbehaviour::Kind::kShrunkTree,
                      "tree head at " + std::to_string(head.timestamp_ms) + " has size " +
                          std::to_string(head.tree_size) + ", smaller than " +
                          std::to_string(old.tree_size) + " signed at " + std::to_string(old.timestamp_ms));
    }
    return std::nullopt;
  }
  if (old.tree_size > 0 && !consistency_proof.empty()) {
    if (Status s = VerifyConsistency(old.tree_size, head.tree_size, old.root_hash, head.root_hash,
                                     consistency_proof);
        !s.ok()) {
      return evidence(Misbehaviour::Kind::kBadConsistencyProof,
                      "consistency " + std::to_string(old.tree_size) + " -> " +
                          std::to_string(head.tree_size) + ": " + s.message());
    }
  }
  return std::nullopt;
}

std::optional<Misbehaviour> TreeVerifier::VerifyAt(const SignedTreeHead& head) {
  assert(pending_.end() == head.tree_size);
  const Hash computed = pending_.Root();
  if (computed != head.root_hash) {
    Misbehaviour m{.kind = Misbehaviour::Kind::kRootMismatch,
                   .detail = "entries [0, " + std::to_string(head.tree_size) + ") hash to " +
                             HexEncode(computed) + " but the log signed " + HexEncode(head.root_hash),
                   .tree_head = head,
                   .verified_head = verified_head_,
                   .computed_root = computed};
    Rewind();
    return m;
  }
  verified_ = pending_;
  verified_head_ = head;
  return std::nullopt;
}

}  // namespace pinwatch::ctlog
