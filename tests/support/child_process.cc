#include "tests/support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

extern char** environ;

namespace pinwatch::testing {

namespace {

struct Spawned {
  pid_t pid = -1;
  int out = -1;  // read end of stdout (and stderr when merged)
  int err = -1;  // read end of stderr, or -1 when merged
};

Result<Spawned> Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env, bool merge) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_copy = args;
  for (auto& s : arg_copy) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out[2], err[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0) return InternalError("pipe failed");
  if (!merge && pipe2(err, O_CLOEXEC) != 0) return InternalError("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, merge ? out[1] : err[1], STDERR_FILENO);
  Spawned s;
  const int rc = posix_spawn(&s.pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (!merge) close(err[1]);
  if (rc != 0) {
    close(out[0]);
    if (!merge) close(err[0]);
    return InternalError("cannot start " + args[0] + ": " + std::strerror(rc));
  }
  s.out = out[0];
  s.err = merge ? -1 : err[0];
  return s;
}

int Reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  auto s = Spawn(argv, env, /*merge=*/false);
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
  result.exit_code = Reap(s->pid);
  return result;
}

Result<std::unique_ptr<ChildProcess>> ChildProcess::Start(const std::vector<std::string>& argv,
                                                          const std::vector<std::string>& env) {
  auto s = Spawn(argv, env, /*merge=*/true);
  if (!s.ok()) return s.status();
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  child->pid_ = s->pid;
  child->fd_ = s->out;
  return child;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    Reap(pid_);
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

void ChildProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

int ChildProcess::Wait() {
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
  int code = Reap(pid_);
  pid_ = -1;
  return code;
}

}  // namespace pinwatch::testing
