// The schema functions of db/postgres.h: each opens a short-lived connection.
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

Result<int> SchemaVersionOf(const std::string& url) {
  auto db = PgConnection::Open(url);
  if (!db.ok()) return db.status();
  return (*db)->Guarded("read schema version", [&] { return CurrentVersion((*db)->pq()); });
}

}  // namespace pinwatch::db
