// ChildProcess runs a program (pinwatch, in tests) as a child with its standard error on a
// pipe, so a test can wait for an event the program reports ("backfill", "at tree head")
// instead of sleeping, then signal it (SIGKILL for crash tests) and collect its exit.
// RunCommand is the one-shot form: run to completion, capture both outputs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
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
  // max_rss_kib is the command's peak resident set size in KiB (wait4's ru_maxrss), with
  // the caveat of PeakRss below.
  int64_t max_rss_kib = -1;
};

// PeakRss says whose memory CommandResult::max_rss_kib may include. Linux charges a process
// that calls execve with the resident set of the memory it had before (fs/exec.c,
// exec_mmap: signal->maxrss = the old mm's high-water mark), and a posix_spawn child has
// the caller's memory until then: its ru_maxrss is at least the caller's RSS at spawn (an
// ASan test binary late in its run: hundreds of MiB).
enum class PeakRss {
  kAtLeastCallers,  // spawn directly (the default; cheapest): max(the caller's RSS, the command's peak)
  kCommandsOwn,     // spawn from a freshly executed copy of this binary (see child_process.cc):
                    //   the command's own peak, or the copy's small RSS if larger (16 MiB for
                    //   an ASan test binary); costs one more start of this binary
};

// RunOptions configure RunCommand.
struct RunOptions {
  PeakRss peak_rss = PeakRss::kAtLeastCallers;
};

// RunCommand runs argv[0] (a path) with argv and `env` added to the environment ("K=V";
// each replaces an inherited variable of the same name), and waits for it. kInternal if it
// cannot be started.
Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                                 RunOptions options = {});

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
  // ReadToEnd reads output until the child closes it (it exited), without a bound: the
  // caller ends the child. A server's drain thread runs it, so the server never blocks
  // writing its log to a full pipe.
  void ReadToEnd();
  // Wait reads the remaining output and reaps the child: its exit code as in CommandResult.
  int Wait();
  // output is everything read so far.
  const std::string& output() const { return output_; }
  pid_t pid() const { return pid_; }

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
  size_t scanned_ = 0;  // output_ before this offset has been searched line by line
};

}  // namespace pinwatch::testing
