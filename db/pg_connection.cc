#include "db/pg_connection.h"

#include <algorithm>

#include "db/postgres.h"

namespace pinwatch::db {
namespace {

// OneLine joins libpq's multi-line messages ("...failed: Connection refused\n\tIs the
// server running...") into one line, so a log line stays one line.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\t' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

Result<std::unique_ptr<pqxx::connection>> OpenPq(const std::string& url) {
  try {
    return std::make_unique<pqxx::connection>(url);
  } catch (const std::exception& e) {
    std::string m = OneLine(e.what());
    return UnavailableError("cannot connect to the database " + RedactUrl(url) + ": " + m);
  }
}

// CheckUnambiguousUrl refuses a URL whose password libpq would cut into pieces and then
// print a piece of in its error ("could not translate host name "ss@127.0.0.1""): a raw
// '@' in the userinfo, or a raw '/' in the password (libpq ends the authority at the first
// '/', so the rest of the password and the host land in the path). Either shows as an '@'
// between "://" and the query other than the one before the host. The message names no part
// of the URL but the scheme.
Status CheckUnambiguousUrl(const std::string& url) {
  const bool is_url = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  if (!is_url) return OkStatus();
  const size_t start = url.find("://") + 3;
  const std::string_view before_query = std::string_view(url).substr(start, url.find('?', start) - start);
  if (std::count(before_query.begin(), before_query.end(), '@') > 1 ||
      (before_query.find('@') != std::string_view::npos && before_query.find('/') < before_query.find('@'))) {
    return FailedPreconditionError(
        "the database URL has a raw '@' or '/' in its user name or password, which libpq would cut "
        "(and print a piece of): percent-encode them, '@' as %40 and '/' as %2F");
  }
  return OkStatus();
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& url) {
  if (Status s = CheckUnambiguousUrl(url); !s.ok()) return s;
  auto pq = OpenPq(url);
  if (!pq.ok()) return pq.status();
  return std::unique_ptr<PgConnection>(new PgConnection(url, std::move(*pq)));
}

std::string RedactUrl(const std::string& url) {
  // libpq takes a password in three places; each value becomes "***":
  //   postgresql://user:password@host/...       (URL userinfo)
  //   postgresql://host/db?password=...&...     (URL query parameter)
  //   host=... password=... / password = '...'  (key=value string, value maybe quoted)
  std::string out = url;
  // libpq's rule: a URL starts with one of its two schemes; anything else is key=value.
  const bool is_url = out.rfind("postgresql://", 0) == 0 || out.rfind("postgres://", 0) == 0;
  if (is_url) {
    // The userinfo is what comes before an '@' ahead of the first '/' after "://" (libpq looks
    // only for '@' and '/' there, so a raw '?' or '#' in a password works and must be hidden
    // too; RFC 3986 §3.2 would also end the authority at them). Take the last such '@': a raw
    // '@' in a password ("u:Pa@ss@host") is invalid, libpq splits at the first one, and then
    // everything up to the host is secret (issue 13).
    const size_t start = out.find("://") + 3;
    const size_t authority_end = std::min(out.find('/', start), out.size());
    const std::string_view authority = std::string_view(out).substr(start, authority_end - start);
    const size_t at = authority.rfind('@');
    const size_t colon = authority.find(':');
    if (at != std::string_view::npos && colon != std::string_view::npos && colon < at) {
      out = out.substr(0, start + colon + 1) + "***" + out.substr(start + at);
    }
  }
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  constexpr std::string_view kKey = "password";
  for (size_t pos = 0; (pos = out.find(kKey, pos)) != std::string::npos; pos += kKey.size()) {
    if (pos > 0 && (is_url ? out[pos - 1] != '?' && out[pos - 1] != '&' : !is_space(out[pos - 1]))) continue;
    size_t i = pos + kKey.size();
    while (!is_url && i < out.size() && is_space(out[i])) ++i;
    if (i >= out.size() || out[i] != '=') continue;
    ++i;
    while (!is_url && i < out.size() && is_space(out[i])) ++i;
    size_t end = i;
    if (!is_url && end < out.size() && out[end] == '\'') {
      for (++end; end < out.size() && out[end] != '\''; ++end) {
        if (out[end] == '\\') ++end;  // \' and \\ inside quotes
      }
      end = std::min(end + 1, out.size());
    } else {
      while (end < out.size() && (is_url ? out[end] != '&' && out[end] != '#' : !is_space(out[end]))) ++end;
    }
    out.replace(i, end - i, "***");
  }
  return out;
}

// Connection is one libpq connection and whether it is known to be broken. libpqxx 6
// tries to reactivate a broken connection by itself, but not in every path (a transaction
// on it can fail with "Could not obtain client encoding: not connected"), so a Store
// that saw the connection fail opens a fresh one before its next statement.

}  // namespace pinwatch::db

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer, in sanitizer builds of every binary that uses the store: libpq leaks one
// PGresult (216 bytes) when libpqxx 6.4 runs a statement on a connection the server has
// closed (PQexec -> pqSaveErrorResult, under transaction_base::direct_exec); ClickHouse
// met the same leak (ClickHouse/ClickHouse#56627). It happens once per broken connection,
// inside the libraries, and the Store then opens a new connection.
extern "C" const char* __lsan_default_suppressions() { return "leak:PQmakeEmptyPGresult\n"; }
#endif
