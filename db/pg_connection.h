// PgConnection: one libpq connection as db/'s stores use it (db/ internal: this header names
// libpqxx, so only db/*.cc include it). Guarded runs a transaction under GuardPq, reopening
// a connection an earlier call found broken; RetryRollbacks reruns one the server rolled
// back. Not thread-safe: one per store object.
#pragma once

#include <chrono>
#include <memory>
#include <pqxx/connection>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"
#include "db/pq_status.h"

namespace pinwatch::db {

// OpenPq connects to `url`; kUnavailable naming the URL without its password, as one line.
Result<std::unique_ptr<pqxx::connection>> OpenPq(const std::string& url);

// CheckUnambiguousUrl refuses a URL whose password libpq would cut (see pg_connection.cc).
Status CheckUnambiguousUrl(const std::string& url);

class PgConnection {
 public:
  // Open connects (CheckUnambiguousUrl, then OpenPq).
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& url);

  pqxx::connection& pq() { return *pq_; }
  const std::string& url() const { return url_; }

  // Guarded runs `fn` (one whole transaction on pq(), returning Status or Result<T>) under
  // GuardPq, first reopening a connection an earlier call found broken. On kUnavailable the
  // transaction did not commit, so it runs once more on a new connection; if none can be
  // opened, the reason ("connection refused") says more than libpqxx's "not connected". On
  // kInDoubt the connection is reopened at the next call and the caller settles the outcome.
  template <class Fn>
  auto Guarded(std::string_view what, Fn&& fn) -> decltype(fn());

 private:
  PgConnection(std::string url, std::unique_ptr<pqxx::connection> pq) : url_(std::move(url)), pq_(std::move(pq)) {}
  std::string url_;
  std::unique_ptr<pqxx::connection> pq_;
  bool broken_ = false;
};

namespace pg_internal {
inline const Status& StatusOf(const Status& s) { return s; }
template <class T>
const Status& StatusOf(const Result<T>& r) { return r.status(); }
inline bool IsDatabaseDownCode(Code code) { return code == Code::kUnavailable || code == Code::kInDoubt; }
}  // namespace pg_internal

template <class Fn>
auto PgConnection::Guarded(std::string_view what, Fn&& fn) -> decltype(fn()) {
  auto reopen = [&]() -> Status {
    auto pq = OpenPq(url_);
    if (!pq.ok()) return Status(Code::kUnavailable, std::string(what) + ": " + pq.status().message());
    pq_ = std::move(*pq);
    broken_ = false;
    return OkStatus();
  };
  if (broken_) {
    if (Status s = reopen(); !s.ok()) return s;
  }
  auto result = GuardPq(what, fn);
  const Code code = pg_internal::StatusOf(result).code();
  if (code == Code::kInDoubt) {
    broken_ = true;  // the caller settles it; the next call reconnects
  } else if (code == Code::kUnavailable) {
    // The connection broke (a database restart closes every session). The transaction did
    // not commit, so it can run once more on a new connection; if none can be opened, the
    // reason ("connection refused") says more than libpqxx's "not connected".
    broken_ = true;
    if (Status s = reopen(); !s.ok()) return s;
    result = GuardPq(what, fn);
    if (pg_internal::IsDatabaseDownCode(pg_internal::StatusOf(result).code())) broken_ = true;
  }
  return result;
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
