#include "tests/support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string_view>

extern char** environ;

namespace pinwatch::testing {

namespace {

// ---- the spawner: a fresh copy of the test binary that runs one command (PeakRss::kCommandsOwn) ----
//
// Linux counts a process's pre-execve memory in its ru_maxrss, and a posix_spawn child's
// pre-execve memory is its caller's (see PeakRss). A process forked by a process that has
// just executed, and so is still small, starts nearly empty. RunCommand therefore runs
// `/proc/self/exe kSpawnerFlag ARGV...`; the constructor below catches that before main
// (gtest's), forks, executes ARGV in the child, waits for it with wait4 and writes a
// SpawnerReport to kSpawnerReportFd.

constexpr char kSpawnerFlag[] = "--pinwatch-internal-run-command-spawner";
constexpr int kSpawnerReportFd = 3;

// SpawnerReport is what the spawner tells RunCommand, in one write (< PIPE_BUF, so atomic).
struct SpawnerReport {
  int32_t exec_errno = 0;   // nonzero: execve failed with this errno
  int32_t wait_status = 0;  // wait4's status of the command
  int64_t max_rss_kib = -1; // wait4's ru_maxrss of the command
};

// RunAsSpawnerIfAsked runs before main, in any order with other static constructors: it
// needs none of them, only system calls. glibc passes (argc, argv, envp) to ELF constructors.
__attribute__((constructor)) void RunAsSpawnerIfAsked(int argc, char** argv, char** envp) {
  if (argc < 3 || std::strcmp(argv[1], kSpawnerFlag) != 0) return;
  SpawnerReport report;
  fcntl(kSpawnerReportFd, F_SETFD, FD_CLOEXEC);  // the command must not inherit it
  int exec_error[2];
  if (pipe2(exec_error, O_CLOEXEC) != 0) _exit(120);
  const pid_t pid = fork();
  if (pid < 0) _exit(121);
  if (pid == 0) {
    execve(argv[2], argv + 2, envp);
    const int e = errno;
    (void)!write(exec_error[1], &e, sizeof e);
    _exit(127);
  }
  close(exec_error[1]);
  // Zero bytes: execve succeeded and closed the pipe (O_CLOEXEC).
  int e = 0;
  ssize_t n;
  while ((n = read(exec_error[0], &e, sizeof e)) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof e)) report.exec_errno = e;
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  report.wait_status = status;
  report.max_rss_kib = usage.ru_maxrss;
  (void)!write(kSpawnerReportFd, &report, sizeof report);
  _exit(0);
}

struct Spawned {
  pid_t pid = -1;
  int out = -1;     // read end of stdout (and stderr when merged)
  int err = -1;     // read end of stderr, or -1 when merged
  int report = -1;  // read end of the spawner's report, or -1 without a spawner
};

enum class Output { kSeparate, kMerged };

Result<Spawned> Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env, Output output,
                      PeakRss peak_rss) {
  const bool merge = output == Output::kMerged;
  const bool spawner = peak_rss == PeakRss::kCommandsOwn;
  // `env` overrides what is inherited: getenv returns the first of two equal names, so an
  // inherited ASAN_OPTIONS would otherwise win over the caller's.
  auto name_of = [](std::string_view kv) { return kv.substr(0, kv.find('=') + 1); };
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const bool overridden = std::any_of(env.begin(), env.end(), [&](const std::string& kv) {
      return name_of(kv) == name_of(*e);
    });
    if (!overridden) env_strings.emplace_back(*e);
  }
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_copy = args;
  if (spawner) arg_copy.insert(arg_copy.begin(), {"/proc/self/exe", kSpawnerFlag});
  for (auto& s : arg_copy) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out[2], err[2] = {-1, -1}, report[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0) return InternalError("pipe failed");
  if (!merge && pipe2(err, O_CLOEXEC) != 0) return InternalError("pipe failed");
  if (spawner) {
    if (pipe2(report, O_CLOEXEC) != 0) return InternalError("pipe failed");
    // Not fd 3 itself: dup2 onto itself would keep O_CLOEXEC and close it at execve.
    const int high = fcntl(report[1], F_DUPFD_CLOEXEC, 10);
    close(report[1]);
    report[1] = high;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, merge ? out[1] : err[1], STDERR_FILENO);
  if (spawner) posix_spawn_file_actions_adddup2(&actions, report[1], kSpawnerReportFd);
  Spawned s;
  const int rc = posix_spawn(&s.pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (!merge) close(err[1]);
  if (spawner) close(report[1]);
  if (rc != 0) {
    close(out[0]);
    if (!merge) close(err[0]);
    if (spawner) close(report[0]);
    return InternalError("cannot start " + arg_copy[0] + ": " + std::strerror(rc));
  }
  s.out = out[0];
  s.err = merge ? -1 : err[0];
  s.report = spawner ? report[0] : -1;
  return s;
}

// ExitCode maps a wait status as CommandResult documents.
int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

struct Reaped {
  int exit_code = -1;
  int64_t max_rss_kib = -1;
};

Reaped Reap(pid_t pid) {
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  return {.exit_code = ExitCode(status), .max_rss_kib = usage.ru_maxrss};
}

}  // namespace

Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                 RunOptions options) {
  auto s = Spawn(argv, env, Output::kSeparate, options.peak_rss);
  if (!s.ok()) return s.status();
  CommandResult result;
  pollfd fds[2] = {{s->out, POLLIN, 0}, {s->err, POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
    }
  }
  const Reaped reaped = Reap(s->pid);
  result.exit_code = reaped.exit_code;
  result.max_rss_kib = reaped.max_rss_kib;
  if (s->report < 0) return result;
  // The spawner has exited: its report is complete, or absent if it failed.
  SpawnerReport report;
  ssize_t n;
  while ((n = read(s->report, &report, sizeof report)) < 0 && errno == EINTR) {
  }
  close(s->report);
  if (n != static_cast<ssize_t>(sizeof report)) {
    return InternalError("the spawner for " + argv[0] + " failed (exit " + std::to_string(reaped.exit_code) +
                         "): " + result.err);
  }
  if (report.exec_errno != 0) return InternalError("cannot start " + argv[0] + ": " + std::strerror(report.exec_errno));
  result.exit_code = ExitCode(report.wait_status);
  result.max_rss_kib = report.max_rss_kib;
  return result;
}

Result<std::unique_ptr<ChildProcess>> ChildProcess::Start(const std::vector<std::string>& argv,
                                                          const std::vector<std::string>& env) {
  auto s = Spawn(argv, env, Output::kMerged, PeakRss::kAtLeastCallers);
  if (!s.ok()) return s.status();
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  child->pid_ = s->pid;
  child->fd_ = s->out;
  return child;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    (void)Reap(pid_);
  }
  if (fd_ >= 0) close(fd_);
}

Result<std::string> ChildProcess::WaitForLine(std::string_view needle, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  while (true) {
    // Search the complete lines not searched yet.
    for (size_t nl; (nl = output_.find('\n', scanned_)) != std::string::npos;) {
      std::string line = output_.substr(scanned_, nl - scanned_);
      scanned_ = nl + 1;
      if (line.find(needle) != std::string::npos) return line;
    }
    if (fd_ < 0) return UnavailableError("output ended without a line containing '" + std::string(needle) + "'");
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return UnavailableError("no line containing '" + std::string(needle) + "' in time");
    pollfd pfd = {fd_, POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) {
      close(fd_);
      fd_ = -1;
      continue;
    }
    output_.append(buf, static_cast<size_t>(n));
  }
}

void ChildProcess::ReadToEnd() {
  char buf[65536];
  while (fd_ >= 0) {
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd_);
      fd_ = -1;
      break;
    }
    output_.append(buf, static_cast<size_t>(n));
  }
}

void ChildProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

int ChildProcess::Wait() {
  ReadToEnd();
  const int code = Reap(pid_).exit_code;
  pid_ = -1;
  return code;
}

}  // namespace pinwatch::testing
