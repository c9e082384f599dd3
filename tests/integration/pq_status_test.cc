// GuardPq: each libpqxx exception becomes the code that says what to do next. Order
// matters in libpqxx 6 (statement_completion_unknown is-a transaction_rollback, and both
// it and in_doubt_error derive from pqxx::failure, not sql_error), which is what went
// wrong before: a deadlock's rollback and an unknown COMMIT outcome were kUnavailable.
#include "db/pq_status.h"

#include <gtest/gtest.h>

#include <pqxx/except>

namespace pinwatch::db {
namespace {

template <class E, class... Args>
Status Thrown(Args&&... args) {
  return GuardPq("commit", [&]() -> Status { throw E(std::forward<Args>(args)...); });
}

TEST(GuardPqTest, EachExceptionGetsTheCodeThatSaysWhatToDo) {
  EXPECT_EQ(Thrown<pqxx::in_doubt_error>("lost during COMMIT").code(), Code::kInDoubt);
  EXPECT_EQ(Thrown<pqxx::statement_completion_unknown>("connection lost").code(), Code::kInDoubt);
  EXPECT_EQ(Thrown<pqxx::deadlock_detected>("ERROR:  deadlock detected").code(), Code::kAborted);
  EXPECT_EQ(Thrown<pqxx::serialization_failure>("could not serialize").code(), Code::kAborted);
  EXPECT_EQ(Thrown<pqxx::transaction_rollback>("rolled back").code(), Code::kAborted);
  EXPECT_EQ(Thrown<pqxx::broken_connection>("server closed the connection").code(), Code::kUnavailable);
  EXPECT_EQ(Thrown<pqxx::too_many_connections>("too many clients").code(), Code::kUnavailable);
  // A server that is shutting down answers with SQLSTATE 57P01: the database is going away,
  // not our SQL being wrong.
  EXPECT_EQ(Thrown<pqxx::sql_error>("terminating connection due to administrator command", "UPDATE logs", "57P01").code(),
            Code::kUnavailable);
  EXPECT_EQ(Thrown<pqxx::sql_error>("connection failure", "SELECT 1", "08006").code(), Code::kUnavailable);
  EXPECT_EQ(Thrown<pqxx::undefined_table>("relation \"logz\" does not exist", "SELECT", "42P01").code(),
            Code::kInternal);
  EXPECT_EQ(Thrown<pqxx::conversion_error>("bad integer").code(), Code::kInternal);
  Status s = Thrown<pqxx::deadlock_detected>("ERROR:  deadlock detected\n");
  EXPECT_EQ(s.message(), "commit: ERROR:  deadlock detected");
}

}  // namespace
}  // namespace pinwatch::db
