// SimProcess runs the ctsim binary as a child process on a free loopback port, for tests
// that need a real CT log. It waits for ctsim's "serving URL" line on a pipe (no polling,
// no sleeps) and stops the process (SIGTERM, then waits) when destroyed.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace pinwatch::testing {

class SimProcess {
 public:
  // Start runs `ctsim --port 0 ARGS…` (the binary from PINWATCH_BIN_DIR, or $CTSIM) and
  // returns once it serves, or an error with ctsim's stderr if it exits first.
  static Result<std::unique_ptr<SimProcess>> Start(const std::vector<std::string>& args);
  ~SimProcess();
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  // url is the log's base URL with a trailing slash, e.g. "http://127.0.0.1:40123/".
  const std::string& url() const { return url_; }
  // dir is a private temporary directory (removed on destruction) holding pubkey.pem,
  // facts.json and info.json as ctsim wrote them.
  const std::string& dir() const { return dir_; }
  std::string PubkeyPem() const;
  // LogListPath is a v3 log list naming this log (ctsim --log-list-out; RFC 6962 API unless
  // the args chose --log-list-api static).
  std::string LogListPath() const { return dir_ + "/loglist.json"; }
  std::string FactsJson() const;

  // Post sends an admin request (e.g. "/sim/grow?n=10" or "/sim/faults" with a JSON body)
  // and returns the response body; kUnavailable unless the answer is 200.
  Result<std::string> Post(const std::string& path, const std::string& body = "") const;
  // Get fetches `path` (e.g. "/ct/v1/get-roots", what a monitor would see; faults apply)
  // and returns the body; kUnavailable unless the answer is 200.
  Result<std::string> Get(const std::string& path) const;

 private:
  SimProcess() = default;
  pid_t pid_ = -1;
  std::string url_;
  std::string dir_;
};

}  // namespace pinwatch::testing
