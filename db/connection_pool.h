// ConnectionPool: the PostgreSQL connections one process shares (database.max_connections).
// Every store made on a pool borrows a connection for one transaction at a time and gives it
// back, so a replica following 100 logs holds at most max_connections sessions, not one per
// log: PostgreSQL's default limit is 100 for every client together. Names no libpqxx type.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

namespace pinwatch::db {

// kDefaultMaxConnections is database.max_connections when the config does not say.
inline constexpr size_t kDefaultMaxConnections = 8;
// kDefaultConnectionWait bounds how long a transaction waits for a free connection before it
// fails as transient (kUnavailable: the caller backs off and tries again).
inline constexpr std::chrono::milliseconds kDefaultConnectionWait{30000};

struct PoolStats {
  size_t max_connections = 0;
  size_t open = 0;     // sessions with the server now
  size_t in_use = 0;   // borrowed by a transaction (or held by a listener)
  uint64_t waits = 0;  // borrows that had to wait for a free connection
  uint64_t opened = 0; // sessions opened since the start (reconnects included)
};

class ConnectionPool {
 public:
  struct Impl;  // db/ internal (pg_connection.h)

  // Open checks the URL, opens one connection (so a server that cannot be reached is one
  // clear error at start) and returns a pool of at most `max_connections` (at least 1).
  static Result<std::shared_ptr<ConnectionPool>> Open(const std::string& url, size_t max_connections,
                                                      std::chrono::milliseconds wait = kDefaultConnectionWait);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  const std::string& url() const;
  PoolStats Stats() const;
  Impl& impl() { return *impl_; }

 private:
  explicit ConnectionPool(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pinwatch::db
