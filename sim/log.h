// SimLog: an append-only RFC 6962 log in memory: entries, their Merkle tree, and every
// signed tree head it has published (so consistency proofs work between any of them).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "ctlog/merkle.h"
#include "ctlog/sth.h"
#include "sim/crypto.h"
#include "sim/entries.h"

namespace pinwatch::sim {

// SimLog is thread-safe: readers share a lock, Grow takes it exclusively only to append
// (entries are generated before the lock is taken).
class SimLog {
 public:
  // SimLog serves `source` starting with `initial_size` entries, and publishes an STH
  // for that size. `threads` is used to generate entries.
  static Result<std::unique_ptr<SimLog>> Create(EcKey log_key, EntrySource source, uint64_t initial_size,
                                                std::vector<Buffer> roots, unsigned threads);

  // Grow appends `count` entries from the source and publishes a new STH; with count 0
  // it publishes a fresh STH for the same size. Returns the new STH.
  Result<ctlog::SignedTreeHead> Grow(uint64_t count);

  // LatestSth returns the newest published STH (callable with or without ReadLock held).
  ctlog::SignedTreeHead LatestSth() const;
  // PublishedSth returns the newest STH published for tree_size, or nullopt.
  std::optional<ctlog::SignedTreeHead> PublishedSth(uint64_t tree_size) const;
  // SignTreeHead signs an arbitrary (timestamp, size, root) with the log key (for faults).
  ctlog::SignedTreeHead SignTreeHead(uint64_t timestamp_ms, uint64_t tree_size, const ctlog::Hash& root) const;

  // ReadLock returns a lock under which the accessors below may be used; views returned by
  // entries() alias the store and are valid only while it is held.
  std::shared_lock<std::shared_mutex> ReadLock() const { return std::shared_lock(mu_); }
  const EntryStore& entries() const { return entries_; }
  const ctlog::MerkleTree& tree() const { return tree_; }
  // size returns the number of entries (may exceed the latest STH's size only inside Grow).
  uint64_t size() const { return entries_.size(); }

  const EcKey& key() const { return key_; }
  const ctlog::Hash& log_id() const { return log_id_; }
  const std::vector<Buffer>& roots() const { return roots_; }

 private:
  SimLog(EcKey key, EntrySource source, std::vector<Buffer> roots, unsigned threads)
      : key_(std::move(key)), log_id_(ctlog::Sha256Of(key_.spki_der())), source_(std::move(source)),
        roots_(std::move(roots)), threads_(threads) {}
  // PublishLocked signs and records an STH for the current tree; mu_ held exclusively.
  ctlog::SignedTreeHead PublishLocked();

  EcKey key_;
  ctlog::Hash log_id_;
  EntrySource source_;
  std::vector<Buffer> roots_;
  unsigned threads_;
  std::mutex grow_mu_;  // serialises Grow so entries are generated in order
  mutable std::shared_mutex mu_;  // guards entries_ and tree_
  EntryStore entries_;
  ctlog::MerkleTree tree_;
  // Guards sths_. Separate from mu_ so that LatestSth may be called under ReadLock();
  // STHs are published while mu_ is held exclusively, so they always match the tree.
  mutable std::mutex sth_mu_;
  std::vector<ctlog::SignedTreeHead> sths_;
};

}  // namespace pinwatch::sim
