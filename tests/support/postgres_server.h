// PostgresServer runs a real, throwaway PostgreSQL for tests: initdb in a temporary
// directory, the server on a free 127.0.0.1 port, stopped and removed on destruction.
// PostgreSQL refuses to run as root, so under root (CI, containers) the server runs as the
// `postgres` system user that Debian's package creates (via runuser). pg_ctl -w does the
// waiting for start-up; nothing here sleeps.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"

namespace pinwatch::testing {

class PostgresServer {
 public:
  // Start initialises and starts a server. The binaries come from $PINWATCH_PG_BINDIR, or
  // the newest /usr/lib/postgresql/<version>/bin. Errors carry the server's log.
  static Result<std::unique_ptr<PostgresServer>> Start();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // url is a libpq connection URL for the superuser "pinwatch" (trust authentication on
  // loopback), e.g. "postgresql://pinwatch@127.0.0.1:54321/postgres".
  std::string url(const std::string& database = "postgres") const;
  int port() const { return port_; }
  const std::string& bindir() const { return bindir_; }

  // Halt stops the server (fast shutdown: sessions are closed at once) and Resume starts
  // it again on the same port with the same data, for database-outage tests. Both return
  // once pg_ctl says it is done.
  Status Halt();
  Status Resume();

  // Psql runs one SQL command with psql and returns its unaligned, tuples-only output.
  Result<std::string> Psql(const std::string& sql, const std::string& database = "postgres") const;

 private:
  PostgresServer() = default;
  std::string bindir_;
  std::string dir_;  // temporary directory: data/, server.log, the socket
  int port_ = 0;
  bool as_postgres_user_ = false;
  bool started_ = false;
};

}  // namespace pinwatch::testing
