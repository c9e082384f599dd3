// PgConnection: a store's way to the database (db/ internal: this header names libpqxx, so
// only db/*.cc include it). Guarded runs one transaction on a connection borrowed from the
// process's ConnectionPool and gives it back; a connection that broke is closed and the
// transaction, which did not commit, runs once more on another. RetryRollbacks reruns one
// the server rolled back. Not thread-safe: one per store object (the pool is shared).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <pqxx/connection>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "db/connection_pool.h"
#include "db/pq_status.h"

namespace pinwatch::db {

// OpenPq connects to `url`; kUnavailable naming the URL without its password, as one line.
Result<std::unique_ptr<pqxx::connection>> OpenPq(const std::string& url);

// CheckUnambiguousUrl refuses a URL whose password libpq would cut (see pg_connection.cc).
Status CheckUnambiguousUrl(const std::string& url);

// PooledPq is one borrowed connection; destroying it gives the connection back.
class PooledPq {
 public:
  // How a connection goes back: to the idle ones, closed alone (a LISTEN session), or
  // closed with every idle one as old as it (broken: a server restart ends them all, and
  // each would otherwise cost a failed transaction to find out).
  enum class Returned { kReusable, kClose, kBroken };

  PooledPq(ConnectionPool::Impl* pool, std::unique_ptr<pqxx::connection> pq, uint64_t generation)
      : pool_(pool), pq_(std::move(pq)), generation_(generation) {}
  PooledPq(PooledPq&& other) noexcept
      : pool_(std::exchange(other.pool_, nullptr)), pq_(std::move(other.pq_)), generation_(other.generation_),
        how_(other.how_) {}
  PooledPq& operator=(PooledPq&&) = delete;
  ~PooledPq();

  pqxx::connection& pq() { return *pq_; }
  void MarkBroken() { how_ = Returned::kBroken; }
  void Close() {
    if (how_ == Returned::kReusable) how_ = Returned::kClose;
  }

 private:
  ConnectionPool::Impl* pool_;
  std::unique_ptr<pqxx::connection> pq_;
  uint64_t generation_;
  Returned how_ = Returned::kReusable;
};

struct ConnectionPool::Impl {
  Impl(std::string url, size_t max_connections, std::chrono::milliseconds wait)
      : url(std::move(url)), max_connections(max_connections), wait(wait) {}

  // Borrow gives an idle connection, opens one while fewer than max_connections are open,
  // or waits up to `wait` for one to come back. kUnavailable, prefixed with `what`, when
  // none can be opened or none came back in time.
  Result<PooledPq> Borrow(std::string_view what);
  void GiveBack(std::unique_ptr<pqxx::connection> pq, uint64_t generation, PooledPq::Returned how);
  PoolStats Stats() const;

  const std::string url;
  const size_t max_connections;
  const std::chrono::milliseconds wait;

 private:
  struct Idle {
    std::unique_ptr<pqxx::connection> pq;
    uint64_t generation;
  };
  mutable std::mutex mu_;
  std::condition_variable returned_;
  std::vector<Idle> idle_;
  size_t open_ = 0;
  size_t in_use_ = 0;
  uint64_t waits_ = 0;
  uint64_t opened_ = 0;
  uint64_t generation_ = 0;  // connections older than this are closed when given back
};

class PgConnection {
 public:
  explicit PgConnection(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

  // Open makes a store's connection on a pool of its own of `max_connections` (commands
  // that open one store; the daemon shares one pool among all of them).
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& url, size_t max_connections = 1);

  // pq is the connection of the transaction Guarded is running (only inside `fn`).
  pqxx::connection& pq() { return *current_; }
  const std::string& url() const { return pool_->url(); }
  ConnectionPool& pool() { return *pool_; }

  // Guarded runs `fn` (one whole transaction on pq(), returning Status or Result<T>) under
  // GuardPq on a borrowed connection. On kUnavailable the transaction did not commit, so it
  // runs once more on another connection; if none can be opened, the reason ("connection
  // refused") says more than libpqxx's "not connected". On kInDoubt the connection is
  // closed and the caller settles the outcome.
  template <class Fn>
  auto Guarded(std::string_view what, Fn&& fn) -> decltype(fn());

 private:
  std::shared_ptr<ConnectionPool> pool_;
  pqxx::connection* current_ = nullptr;
};

namespace pg_internal {
inline const Status& StatusOf(const Status& s) { return s; }
template <class T>
const Status& StatusOf(const Result<T>& r) { return r.status(); }
inline bool IsDatabaseDownCode(Code code) { return code == Code::kUnavailable || code == Code::kInDoubt; }
}  // namespace pg_internal

template <class Fn>
auto PgConnection::Guarded(std::string_view what, Fn&& fn) -> decltype(fn()) {
  auto run_on = [&](PooledPq& lease) {
    current_ = &lease.pq();
    auto result = GuardPq(what, fn);
    current_ = nullptr;
    if (pg_internal::IsDatabaseDownCode(pg_internal::StatusOf(result).code())) lease.MarkBroken();
    return result;
  };
  {
    auto first = pool_->impl().Borrow(what);
    if (!first.ok()) return first.status();
    auto result = run_on(*first);
    if (pg_internal::StatusOf(result).code() != Code::kUnavailable) return result;
  }
  // The connection broke (a database restart closes every session) and was closed when it
  // went back above. The transaction did not commit, so it runs once more.
  auto second = pool_->impl().Borrow(what);
  if (!second.ok()) return second.status();
  return run_on(*second);
}

// kMaxRollbackAttempts bounds how often a transaction the server rolled back (deadlock,
// serialization failure) is run again before the failure is handed up as transient.
inline constexpr int kMaxRollbackAttempts = 8;

// RetryRollbacks runs `attempt` (one whole transaction) again while the server rolls it
// back (kAborted from GuardPq), after a short random pause, as pqxx::perform does: two
// workers that upsert the same certificates in different orders can deadlock, and one of
// them is chosen to fail. After kMaxRollbackAttempts the rollback becomes kUnavailable
// (transient: the caller backs off and tries again later). Anything else is returned as it is.
template <class Fn>
Status RetryRollbacks(Fn&& attempt) {
  std::minstd_rand rng(std::random_device{}());
  for (int n = 1;; ++n) {
    Status s = attempt();
    if (s.code() != Code::kAborted) return s;
    if (n == kMaxRollbackAttempts) {
      return UnavailableError(s.message() + " (rolled back " + std::to_string(n) + " times)");
    }
    std::uniform_int_distribution<int> pause_ms(1, 5 << std::min(n, 6));
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
  }
}


}  // namespace pinwatch::db
