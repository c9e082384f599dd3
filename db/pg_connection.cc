#include "db/pg_connection.h"

#include <algorithm>

#include "db/postgres.h"

namespace pinwatch::db {
namespace {

// OneLine joins libpq's multi-line messages ("...failed: Connection refused\n\tIs the
// server running...") into one line, so a log line stays one line.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\t' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

Result<std::unique_ptr<pqxx::connection>> OpenPq(const std::string& url) {
  try {
    return std::make_unique<pqxx::connection>(url);
  } catch (const std::exception& e) {
    std::string m = OneLine(e.what());
    return UnavailableError("cannot connect to the database " + RedactUrl(url) + ": " + m);
  }
}

// CheckUnambiguousUrl refuses a URL whose password libpq would cut into pieces and then
// print a piece of in its error ("could not translate host name "ss@127.0.0.1""): a raw
// '@' in the userinfo, or a raw '/' in the password (libpq ends the authority at the first
// '/', so the rest of the password and the host land in the path). Either shows as an '@'
// between "://" and the query other than the one before the host. The message names no part
// of the URL but the scheme.
Status CheckUnambiguousUrl(const std::string& url) {
  const bool is_url = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  if (!is_url) return OkStatus();
  const size_t start = url.find("://") + 3;
  const std::string_view before_query = std::string_view(url).substr(start, url.find('?', start) - start);
  if (std::count(before_query.begin(), before_query.end(), '@') > 1 ||
      (before_query.find('@') != std::string_view::npos && before_query.find('/') < before_query.find('@'))) {
    return FailedPreconditionError(
        "the database URL has a raw '@' or '/' in its user name or password, which libpq would cut "
        "(and print a piece of): percent-encode them, '@' as %40 and '/' as %2F");
  }
  return OkStatus();
}

PooledPq::~PooledPq() {
  if (pool_) pool_->GiveBack(std::move(pq_), generation_, how_);
}

Result<PooledPq> ConnectionPool::Impl::Borrow(std::string_view what) {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  bool counted_wait = false;
  for (;;) {
    if (!idle_.empty()) {  // all current: GiveBack closes the old ones when one breaks
      Idle next = std::move(idle_.back());
      idle_.pop_back();
      ++in_use_;
      return PooledPq(this, std::move(next.pq), next.generation);
    }
    if (open_ < max_connections) {
      ++open_;
      ++in_use_;
      const uint64_t generation = generation_;
      lock.unlock();
      auto pq = OpenPq(url);
      lock.lock();
      if (!pq.ok()) {
        --open_;
        --in_use_;
        returned_.notify_one();
        return Status(Code::kUnavailable, what.empty() ? pq.status().message()
                                                       : std::string(what) + ": " + pq.status().message());
      }
      ++opened_;
      return PooledPq(this, std::move(*pq), generation);
    }
    if (!counted_wait) {
      ++waits_;
      counted_wait = true;
    }
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= max_connections) {
      return UnavailableError(std::string(what) + ": all " + std::to_string(max_connections) +
                              " database connections (database.max_connections) stayed busy for " +
                              std::to_string(wait.count() / 1000) + " s");
    }
  }
}

void ConnectionPool::Impl::GiveBack(std::unique_ptr<pqxx::connection> pq, uint64_t generation,
                                    PooledPq::Returned how) {
  std::vector<Idle> closing;  // closed outside the lock: closing talks to the server
  {
    std::lock_guard lock(mu_);
    --in_use_;
    if (how == PooledPq::Returned::kBroken && generation >= generation_) {
      // Every idle connection is as old as the broken one: close them all.
      generation_ = generation + 1;
      for (Idle& idle : idle_) closing.push_back(std::move(idle));
      open_ -= idle_.size();
      idle_.clear();
    }
    if (how != PooledPq::Returned::kReusable || generation < generation_) {
      --open_;
      closing.push_back({std::move(pq), generation});
    } else {
      idle_.push_back({std::move(pq), generation});
    }
  }
  returned_.notify_all();
}

PoolStats ConnectionPool::Impl::Stats() const {
  std::lock_guard lock(mu_);
  return {.max_connections = max_connections, .open = open_, .in_use = in_use_, .waits = waits_, .opened = opened_};
}

ConnectionPool::ConnectionPool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConnectionPool::~ConnectionPool() = default;
const std::string& ConnectionPool::url() const { return impl_->url; }
PoolStats ConnectionPool::Stats() const { return impl_->Stats(); }

Result<std::shared_ptr<ConnectionPool>> ConnectionPool::Open(const std::string& url, size_t max_connections,
                                                             std::chrono::milliseconds wait) {
  if (Status s = CheckUnambiguousUrl(url); !s.ok()) return s;
  std::shared_ptr<ConnectionPool> pool(
      new ConnectionPool(std::make_unique<Impl>(url, std::max<size_t>(max_connections, 1), wait)));
  // One connection now, kept idle: a server that cannot be reached is one error at start.
  if (auto first = pool->impl_->Borrow(""); !first.ok()) return first.status();
  return pool;
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& url, size_t max_connections) {
  auto pool = ConnectionPool::Open(url, max_connections);
  if (!pool.ok()) return pool.status();
  return std::make_unique<PgConnection>(std::move(*pool));
}

std::string RedactUrl(const std::string& url) {
  // libpq takes a password in three places; each value becomes "***":
  //   postgresql://user:password@host/...       (URL userinfo)
  //   postgresql://host/db?password=...&...     (URL query parameter)
  //   host=... password=... / password = '...'  (key=value string, value maybe quoted)
  std::string out = url;
  // libpq's rule: a URL starts with one of its two schemes; anything else is key=value.
  const bool is_url = out.rfind("postgresql://", 0) == 0 || out.rfind("postgres://", 0) == 0;
  if (is_url) {
    // The userinfo is what comes before an '@' ahead of the first '/' after "://" (libpq looks
    // only for '@' and '/' there, so a raw '?' or '#' in a password works and must be hidden
    // too; RFC 3986 §3.2 would also end the authority at them). Take the last such '@': a raw
    // '@' in a password ("u:Pa@ss@host") is invalid, libpq splits at the first one, and then
    // everything up to the host is secret (issue 13).
    const size_t start = out.find("://") + 3;
    const size_t authority_end = std::min(out.find('/', start), out.size());
    const std::string_view authority = std::string_view(out).substr(start, authority_end - start);
    const size_t at = authority.rfind('@');
    const size_t colon = authority.find(':');
    if (at != std::string_view::npos && colon != std::string_view::npos && colon < at) {
      out = out.substr(0, start + colon + 1) + "***" + out.substr(start + at);
    }
  }
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  constexpr std::string_view kKey = "password";
  for (size_t pos = 0; (pos = out.find(kKey, pos)) != std::string::npos; pos += kKey.size()) {
    if (pos > 0 && (is_url ? out[pos - 1] != '?' && out[pos - 1] != '&' : !is_space(out[pos - 1]))) continue;
    size_t i = pos + kKey.size();
    while (!is_url && i < out.size() && is_space(out[i])) ++i;
    if (i >= out.size() || out[i] != '=') continue;
    ++i;
    while (!is_url && i < out.size() && is_space(out[i])) ++i;
    size_t end = i;
    if (!is_url && end < out.size() && out[end] == '\'') {
      for (++end; end < out.size() && out[end] != '\''; ++end) {
        if (out[end] == '\\') ++end;  // \' and \\ inside quotes
      }
      end = std::min(end + 1, out.size());
    } else {
      while (end < out.size() && (is_url ? out[end] != '&' && out[end] != '#' : !is_space(out[end]))) ++end;
    }
    out.replace(i, end - i, "***");
  }
  return out;
}

// Connection is one libpq connection and whether it is known to be broken. libpqxx 6
// tries to reactivate a broken connection by itself, but not in every path (a transaction
// on it can fail with "Could not obtain client encoding: not connected"), so a Store
// that saw the connection fail opens a fresh one before its next statement.

}  // namespace pinwatch::db

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer, in sanitizer builds of every binary that uses the store: libpq leaks one
// PGresult (216 bytes) when libpqxx 6.4 runs a statement on a connection the server has
// closed (PQexec -> pqSaveErrorResult, under transaction_base::direct_exec); ClickHouse
// met the same leak (ClickHouse/ClickHouse#56627). It happens once per broken connection,
// inside the libraries, and the Store then opens a new connection.
extern "C" const char* __lsan_default_suppressions() { return "leak:PQmakeEmptyPGresult\n"; }
#endif
