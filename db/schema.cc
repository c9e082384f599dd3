// The schema functions of db/postgres.h: each opens a short-lived connection, but the check
// on a pool, which borrows one.
#include <pqxx/connection>

#include "db/migrations.h"
#include "db/pg_connection.h"
#include "db/postgres.h"

namespace pinwatch::db {

Result<MigrateResult> MigrateSchema(const std::string& url) {
  auto db = PgConnection::Open(url);
  if (!db.ok()) return db.status();
  return (*db)->Guarded("migrate", [&] { return Migrate((*db)->pq()); });
}

Status CheckSchema(const std::string& url) {
  auto db = PgConnection::Open(url);
  if (!db.ok()) return db.status();
  return (*db)->Guarded("check schema version", [&] { return CheckVersion((*db)->pq()); });
}

Status CheckSchema(std::shared_ptr<ConnectionPool> pool) {
  PgConnection db(std::move(pool));  // a handle of this call's own on the shared pool
  return db.Guarded("check schema version", [&] { return CheckVersion(db.pq()); });
}

Result<int> SchemaVersionOf(const std::string& url) {
  auto db = PgConnection::Open(url);
  if (!db.ok()) return db.status();
  return (*db)->Guarded("read schema version", [&] { return CurrentVersion((*db)->pq()); });
}

}  // namespace pinwatch::db
