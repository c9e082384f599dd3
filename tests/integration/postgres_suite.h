// PostgresSuite: the fixture shape of the store tests. One real, throwaway PostgreSQL for
// the whole suite (started once: initdb costs about a second), and a fresh database per
// test, so tests never see each other's rows. Each suite derives its own fixture class, so
// each gets a server of its own.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tests/support/postgres_server.h"

namespace pinwatch::testing {

template <class Suite>
class PostgresSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pg = PostgresServer::Start();
    if (pg.ok()) {
      server_ = std::move(*pg).release();
    } else {
      start_error_ = new std::string(pg.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }

  // StartError is why the suite's server did not start ("" when it did).
  static std::string StartError() { return start_error_ ? *start_error_ : ""; }

  // NewDatabase creates "PREFIX_N", a new database on the suite's server, and returns its name.
  std::string NewDatabase(const std::string& prefix) {
    static int counter = 0;
    std::string name = prefix + "_" + std::to_string(++counter);
    auto created = server_->Psql("CREATE DATABASE " + name);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return name;
  }

  static inline PostgresServer* server_ = nullptr;
  static inline std::string* start_error_ = nullptr;
};

}  // namespace pinwatch::testing
