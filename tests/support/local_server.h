// What the throwaway servers of the tests (PostgreSQL, Alertmanager, Prometheus) share: a
// free loopback port, the port a server says it bound, a plain GET of its API, and reading
// string fields of its JSON answers.
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"
#include "tests/support/child_process.h"

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

// ServingProcess is a server that started: its output is read on a thread of its own (a
// chatty server must never block on a full pipe), and Stop ends it with SIGTERM.
class ServingProcess {
 public:
  // `name` names it in errors ("alertmanager").
  ServingProcess(std::unique_ptr<ChildProcess> child, std::string name);
  ~ServingProcess();  // Stop, errors ignored
  ServingProcess(const ServingProcess&) = delete;
  ServingProcess& operator=(const ServingProcess&) = delete;
  // Stop sends SIGTERM and reaps it; kInternal with its output if it exited with an error.
  // Exit 128 + SIGTERM is a stop too: the signal came before the server installed its
  // handler (just after start-up), and it ended because we asked it to.
  Status Stop();

 private:
  std::unique_ptr<ChildProcess> child_;
  std::thread drain_;
  std::string name_;
};

// StartFailure kills a server that did not start and says why, with its output:
// kUnavailable when its port was taken, else kInternal.
Status StartFailure(ChildProcess& child, std::string_view name, int port, const Status& why);

}  // namespace pinwatch::testing
