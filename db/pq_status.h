// GuardPq: the one place where libpqxx's exceptions become Status values, so nothing above
// db/ sees an exception. The code says what to do next:
//   kInDoubt      a commit whose outcome is unknown (in_doubt_error, and
//                 statement_completion_unknown: the connection broke during COMMIT):
//                 re-read what the transaction would have changed before going on;
//   kAborted      the server rolled the transaction back (serialization failure,
//                 deadlock: transaction_rollback and its subclasses): run it again;
//   kUnavailable  the connection is gone or the server is shutting down or starting
//                 (broken_connection, SQLSTATE class 08 and 57P0x): reconnect and retry
//                 with backoff;
//   kInternal     anything else (a bug in our SQL, or a schema someone changed by hand).
// Order matters: in libpqxx 6 in_doubt_error and transaction_rollback derive from
// pqxx::failure, not from sql_error, and statement_completion_unknown is-a
// transaction_rollback, so the specific classes are caught before their bases.
#pragma once

#include <pqxx/except>
#include <string>
#include <string_view>

#include "base/status.h"

namespace pinwatch::db {

// IsUnavailableSqlState says whether a server error means "the server cannot serve this
// connection now" rather than "this statement is wrong": class 08 (connection exception)
// and 57P01..57P03 (admin_shutdown, crash_shutdown, cannot_connect_now).
inline bool IsUnavailableSqlState(std::string_view state) {
  return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03";
}

// GuardPq runs `fn` (returning Status or Result<T>) and turns a pqxx exception into a Status
// whose message starts with `what`.
template <class Fn>
auto GuardPq(std::string_view what, Fn&& fn) -> decltype(fn()) {
  auto fail = [&](Code code, const char* message) {
    std::string m(what);
    m += ": ";
    // libpq's messages may span lines ("ERROR: ...\nDETAIL: ..."): one line for logs.
    for (const char* p = message; *p != '\0'; ++p) {
      const bool space = *p == '\n' || *p == '\t' || *p == '\r';
      if (!space) m += *p;
      else if (m.back() != ' ') m += ' ';
    }
    while (!m.empty() && m.back() == ' ') m.pop_back();
    return Status(code, std::move(m));
  };
  try {
    return fn();
  } catch (const pqxx::in_doubt_error& e) {
    return fail(Code::kInDoubt, e.what());
  } catch (const pqxx::statement_completion_unknown& e) {
    return fail(Code::kInDoubt, e.what());
  } catch (const pqxx::transaction_rollback& e) {
    return fail(Code::kAborted, e.what());
  } catch (const pqxx::broken_connection& e) {
    return fail(Code::kUnavailable, e.what());
  } catch (const pqxx::sql_error& e) {
    return fail(IsUnavailableSqlState(e.sqlstate()) ? Code::kUnavailable : Code::kInternal, e.what());
  } catch (const pqxx::failure& e) {
    return fail(Code::kUnavailable, e.what());
  } catch (const std::exception& e) {  // pqxx conversion errors and the like
    return fail(Code::kInternal, e.what());
  }
}

}  // namespace pinwatch::db
