// Schema migrations: the database's shape is a numbered list of steps, applied in order by
// `pinwatch migrate`, each in its own transaction together with its row in
// schema_migrations, under an advisory lock so that two replicas migrating at once apply
// each step once. Running it again is a no-op. `run` and the other commands refuse a
// database whose version is not exactly kSchemaVersion (older: run migrate; newer: this
// binary is too old for it).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace pqxx {
class connection_base;
}

namespace pinwatch::db {

// Migration is one step: its version (1, 2, ...), a name for people and its SQL.
struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// Migrations returns every step, in version order.
const std::vector<Migration>& Migrations();

// kSchemaVersion is the version this binary reads and writes (the last step's).
int SchemaVersion();

// MigrateResult says what Migrate did.
struct MigrateResult {
  int from_version = 0;
  int to_version = 0;
  std::vector<std::string> applied;  // "3 findings_status_note", ...
};

// Migrate applies the missing steps. kFailedPrecondition if the database is newer than
// this binary; kUnavailable if it cannot be reached. Not thread-safe (one connection).
Result<MigrateResult> Migrate(pqxx::connection_base& connection);

// CurrentVersion returns the database's schema version (0 when never migrated).
Result<int> CurrentVersion(pqxx::connection_base& connection);

// CheckVersion is OK when the database is at SchemaVersion(), else kFailedPrecondition
// saying what to do.
Status CheckVersion(pqxx::connection_base& connection);

}  // namespace pinwatch::db
