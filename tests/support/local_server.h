// What the throwaway servers of the tests (PostgreSQL, Alertmanager, Prometheus) share: a
// free loopback port, the port a server says it bound, a plain GET of its API, and reading
// string fields of its JSON answers.
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <string>
#include <string_view>

#include "base/status.h"

namespace pinwatch::testing {

// FreeLoopbackPort asks the kernel for a free 127.0.0.1 port (0 if it cannot). Another
// process could take it before the server binds; servers that can say "port 0" should.
int FreeLoopbackPort();

// ListenPortOf reads the port from a Go server's `msg="Listening on" address=HOST:PORT`
// line; 0 if there is none.
int ListenPortOf(std::string_view line);

// HttpGetBody GETs base_url + path and returns the body of a 200 answer; kUnavailable with
// the status and body otherwise, or when nothing answers.
Result<std::string> HttpGetBody(const std::string& base_url, const std::string& path);

// JsonString returns object[name] when it is a string, else "".
std::string JsonString(const rapidjson::Value& object, const char* name);
// JsonStringMap returns the string-valued members of object[name] (label and annotation
// values are strings; anything else is skipped).
std::map<std::string, std::string> JsonStringMap(const rapidjson::Value& object, const char* name);

}  // namespace pinwatch::testing
