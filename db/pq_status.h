// GuardPq: the one place where libpqxx's exceptions become Status values, so nothing above
// db/ sees an exception. The code says what to do next: a lost connection is kUnavailable
// (reconnect and retry), a serialization failure or deadlock kAborted (retry the
// transaction), a commit whose outcome is unknown kInDoubt (re-read before going on), and
// anything else kInternal (a bug in our SQL or a schema someone changed by hand).
#pragma once

#include <pqxx/except>
#include <string>
#include <string_view>

#include "base/status.h"

namespace pinwatch::db {


// GuardPq runs `fn` (returning Status or Result<T>) and turns a pqxx exception into a Status
// whose message starts with `what`.
template <class Fn>
auto GuardPq(std::string_view what, Fn&& fn) -> decltype(fn()) {
  auto fail = [&](Code code, const char* message) {
    std::string m(what);
    m += ": ";
    m += message;
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return Status(code, std::move(m));
  };
  try {
    return fn();
  } catch (const pqxx::in_doubt_error& e) {
    return fail(Code::kInDoubt, e.what());
  } catch (const pqxx::broken_connection& e) {
    return fail(Code::kUnavailable, e.what());
  } catch (const pqxx::serialization_failure& e) {
    return fail(Code::kAborted, e.what());
  } catch (const pqxx::deadlock_detected& e) {
    return fail(Code::kAborted, e.what());
  } catch (const pqxx::sql_error& e) {
    return fail(Code::kInternal, e.what());
  } catch (const pqxx::failure& e) {
    return fail(Code::kUnavailable, e.what());
  } catch (const std::exception& e) {  // pqxx conversion errors and the like
    return fail(Code::kInternal, e.what());
  }
}

}  // namespace pinwatch::db
