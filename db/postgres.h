// Opening pinwatch's PostgreSQL stores, and the schema they need. Every function takes a
// libpq URL or key=value string; errors name it without its password (RedactUrl).
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "db/alert_store.h"
#include "db/connection_pool.h"
#include "db/finding_store.h"
#include "db/log_state_store.h"
#include "db/pin_store.h"
#include "db/report_store.h"
#include "db/migrations.h"

namespace pinwatch::db {

// ConnectLogStateStore / ConnectFindingStore open a store on its own connection.
// kUnavailable when the server cannot be reached; kFailedPrecondition for a URL with a raw
// '@' or '/' in its userinfo (libpq would cut the password and print a piece).
Result<std::unique_ptr<LogStateStore>> ConnectLogStateStore(const std::string& url);
Result<std::unique_ptr<FindingStore>> ConnectFindingStore(const std::string& url);
Result<std::unique_ptr<AlertStore>> ConnectAlertStore(const std::string& url);
Result<std::unique_ptr<PinStore>> ConnectPinStore(const std::string& url);
Result<std::unique_ptr<ReportStore>> ConnectReportStore(const std::string& url);

// LogStateStoreOn .. PinStoreOn make a store on a shared pool (the daemon: workers, lease
// keeper, alert sender, pin-set job and API share database.max_connections). They connect
// nothing themselves: each transaction borrows a connection.
std::unique_ptr<LogStateStore> LogStateStoreOn(std::shared_ptr<ConnectionPool> pool);
std::unique_ptr<FindingStore> FindingStoreOn(std::shared_ptr<ConnectionPool> pool);
std::unique_ptr<AlertStore> AlertStoreOn(std::shared_ptr<ConnectionPool> pool);
std::unique_ptr<PinStore> PinStoreOn(std::shared_ptr<ConnectionPool> pool);
std::unique_ptr<ReportStore> ReportStoreOn(std::shared_ptr<ConnectionPool> pool);

// MigrateSchema applies the migrations the database is missing (db/migrations.h);
// CheckSchema is OK only at SchemaVersion() and otherwise says which way to go;
// SchemaVersionOf reads the version (0: never migrated). Each opens a connection of its own.
Result<MigrateResult> MigrateSchema(const std::string& url);
Status CheckSchema(const std::string& url);
Status CheckSchema(std::shared_ptr<ConnectionPool> pool);  // on a connection of the pool (/readyz)
Result<int> SchemaVersionOf(const std::string& url);

// RedactUrl returns a connection URL or key=value string with any password (URL userinfo,
// ?password= parameter, password= keyword) replaced by "***", for messages.
std::string RedactUrl(const std::string& url);

}  // namespace pinwatch::db
