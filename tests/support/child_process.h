// ChildProcess runs a program (pinwatch, in tests) as a child with its standard error on a
// pipe, so a test can wait for an event the program reports ("backfill", "at tree head")
// instead of sleeping, then signal it (SIGKILL for crash tests) and collect its exit.
// RunCommand is the one-shot form: run to completion, capture both outputs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace pinwatch::testing {

// CommandResult is how a finished command ended: exit_code is the exit status, or
// 128 + signal number when a signal ended it.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// RunCommand runs argv[0] (a path) with argv and `env` added to the environment ("K=V"),
// and waits for it. kInternal if it cannot be started.
Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

class ChildProcess {
 public:
  // Start runs argv (argv[0] a path) with `env` added; stdout and stderr both go to the pipe.
  static Result<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv,
                                                     const std::vector<std::string>& env = {});
  ~ChildProcess();  // SIGKILL and reap if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // WaitForLine reads output until a line containing `needle` arrives and returns it;
  // kUnavailable if the child closes its output first or `timeout` passes (a bound for a
  // broken test, not a synchronisation: poll() wakes on the child's write).
  Result<std::string> WaitForLine(std::string_view needle, std::chrono::seconds timeout = std::chrono::seconds(120));
  void Signal(int signal);
  // Wait reads the remaining output and reaps the child: its exit code as in CommandResult.
  int Wait();
  // output is everything read so far.
  const std::string& output() const { return output_; }

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
  size_t scanned_ = 0;  // output_ before this offset has been searched line by line
};

}  // namespace pinwatch::testing
