#include "ctlog/scanner.h"

#include <algorithm>

namespace pinwatch::ctlog {

Result<ScanResult> Scan(LogSource& source, TreeVerifier& verifier, const LogEntrySink& sink,
                        const ScanOptions& options) {
  ScanResult result;
  auto answer = source.FetchTreeHead();
  if (!answer.ok()) return answer.status();
  if (!answer->signature.ok()) {
    // Nothing is fetched under a head whose signature fails; the head is the evidence.
    result.misbehaviour = Misbehaviour{.kind = Misbehaviour::Kind::kBadTreeHeadSignature,
                                       .detail = answer->signature.message(),
                                       .tree_head = answer->head,
                                       .verified_head = verifier.verified_head()};
    return result;
  }
  const SignedTreeHead* head = &answer->head;

  // Check the new head against the verified one before fetching anything under it.
  std::vector<Hash> proof;
  const uint64_t verified_size = verifier.verified_end();
  if (verified_size > 0 && head->tree_size > verified_size) {
    auto p = source.ConsistencyProof(verified_size, head->tree_size);
    if (!p.ok()) return p.status();
    proof = std::move(*p);
  }
  if (auto m = verifier.CheckNewTreeHead(*head, proof)) {
    result.misbehaviour = std::move(m);
    return result;
  }
  result.head = *head;
  if (options.on_tree_head) options.on_tree_head(*head);
  if (head->tree_size <= verifier.pending_end()) {
    // Nothing new to fetch. A resumed verifier may hold every leaf of this head without
    // having checked the root yet (a crash between the last batch and the check).
    if (head->tree_size == verifier.pending_end() && verifier.verified_end() < head->tree_size) {
      result.misbehaviour = verifier.VerifyAt(*head);
    }
    return result;  // otherwise: a head behind our position, to be passed later
  }

  const uint64_t start = verifier.pending_end();
  const uint64_t end = start + std::min(options.max_entries, head->tree_size - start);
  Status status = source.Entries(start, end, head->tree_size, [&](std::span<const LogEntry> batch) {
    for (const LogEntry& e : batch) {
      if (e.index != verifier.pending_end()) {
        return InternalError("log source delivered entry " + std::to_string(e.index) + ", expected " +
                             std::to_string(verifier.pending_end()));
      }
      verifier.Append(e.leaf_hash);
      if (!e.status.ok()) ++result.malformed_entries;
    }
    result.entries_delivered += batch.size();
    return sink(batch);
  });
  if (!status.ok()) {
    if (options.before_rewind) options.before_rewind();
    verifier.Rewind();
    if (status.code() != Code::kMisbehaviour) return status;
    result.misbehaviour = Misbehaviour{.kind = Misbehaviour::Kind::kBadEntry,
                                       .detail = status.message(),
                                       .tree_head = *head,
                                       .verified_head = verifier.verified_head()};
    return result;
  }
  if (verifier.pending_end() == head->tree_size) result.misbehaviour = verifier.VerifyAt(*head);
  return result;
}

}  // namespace pinwatch::ctlog
