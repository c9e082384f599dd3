// The test harness's real PostgreSQL (groundwork for the monitor's store, issue 4): it must
// start from nothing, answer SQL over loopback TCP, and keep what was written.
#include "tests/support/postgres_server.h"

#include <gtest/gtest.h>

namespace pinwatch::testing {
namespace {

TEST(PostgresServer, StartsAnswersAndKeepsData) {
  auto pg = PostgresServer::Start();
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  auto version = (*pg)->Psql("SHOW server_version_num");
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_GE(std::stoi(*version), 150000);
  ASSERT_TRUE((*pg)->Psql("CREATE TABLE t (k int PRIMARY KEY, v text)").ok());
  ASSERT_TRUE((*pg)->Psql("INSERT INTO t VALUES (1, 'pinwatch')").ok());
  auto row = (*pg)->Psql("SELECT v FROM t WHERE k = 1");
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(*row, "pinwatch");
  auto bad = (*pg)->Psql("SELECT * FROM missing_table");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("missing_table"), std::string::npos) << bad.status().message();
}

TEST(PostgresServer, TwoServersRunSideBySide) {
  auto a = PostgresServer::Start();
  auto b = PostgresServer::Start();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->port(), (*b)->port());
  ASSERT_TRUE((*a)->Psql("CREATE TABLE only_in_a (x int)").ok());
  EXPECT_FALSE((*b)->Psql("SELECT * FROM only_in_a").ok());
}

}  // namespace
}  // namespace pinwatch::testing
