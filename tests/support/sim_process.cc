#include "tests/support/sim_process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <httplib.h>
#include <memory>

#include "tests/support/testdata.h"

extern char** environ;

namespace pinwatch::testing {
namespace {

std::string CtsimPath() {
  if (const char* env = std::getenv("CTSIM"); env != nullptr && *env != '\0') return env;
  return std::string(PINWATCH_BIN_DIR) + "/sim/ctsim";
}

}  // namespace

Result<std::unique_ptr<SimProcess>> SimProcess::Start(const std::vector<std::string>& args) {
  std::unique_ptr<SimProcess> sim(new SimProcess());
  char tmpl[] = "/tmp/ctsim-test.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return InternalError("mkdtemp failed");
  sim->dir_ = tmpl;

  std::vector<std::string> argv_strings = {CtsimPath(),  "--port",        "0",
                                           "--pubkey-out", sim->dir_ + "/pubkey.pem",
                                           "--facts-out",  sim->dir_ + "/facts.json",
                                           "--info-out",   sim->dir_ + "/info.json",
                                           "--log-list-out", sim->dir_ + "/loglist.json"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out_pipe[2];
  if (pipe(out_pipe) != 0) return InternalError("pipe failed");
  const std::string err_path = sim->dir_ + "/ctsim.err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int rc = posix_spawn(&sim->pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    return InternalError("cannot start " + argv_strings[0] + ": " + std::strerror(rc));
  }

  // ctsim prints "ctsim: serving URL" once it listens; EOF first means it died.
  std::string line;
  char c;
  while (read(out_pipe[0], &c, 1) == 1) {
    if (c != '\n') {
      line.push_back(c);
      continue;
    }
    if (line.rfind("ctsim: serving ", 0) == 0) {
      sim->url_ = line.substr(std::string("ctsim: serving ").size());
      break;
    }
    line.clear();
  }
  close(out_pipe[0]);
  if (sim->url_.empty()) {
    return InternalError("ctsim exited before serving: " + ReadFile(err_path).value_or(""));
  }
  return sim;
}

SimProcess::~SimProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string SimProcess::PubkeyPem() const { return ReadFile(dir_ + "/pubkey.pem").value_or(""); }
std::string SimProcess::FactsJson() const { return ReadFile(dir_ + "/facts.json").value_or(""); }

Result<std::string> SimProcess::Post(const std::string& path, const std::string& body) const {
  httplib::Client client(url_.substr(0, url_.size() - 1));
  // An admin call can take long (growing a log by 65,536 entries in an ASan build on a
  // loaded 2-core machine took over httplib's default 5 s): no timeout that guesses the
  // machine's speed. The bound is only for a ctsim that hangs, and ctest's own per-test
  // timeout comes first.
  client.set_read_timeout(std::chrono::minutes(30));
  client.set_write_timeout(std::chrono::minutes(30));
  auto res = client.Post(path.c_str(), body, "application/json");
  if (!res) return UnavailableError("POST " + path + " failed: " + httplib::to_string(res.error()));
  if (res->status != 200) {
    return UnavailableError("POST " + path + " failed: HTTP " + std::to_string(res->status) + ": " + res->body);
  }
  return res->body;
}

Result<std::string> SimProcess::Get(const std::string& path) const {
  httplib::Client client(url_.substr(0, url_.size() - 1));
  client.set_read_timeout(std::chrono::minutes(30));  // as Post: only for a ctsim that hangs
  auto res = client.Get(path.c_str());
  if (!res) return UnavailableError("GET " + path + " failed: " + httplib::to_string(res.error()));
  if (res->status != 200) {
    return UnavailableError("GET " + path + " failed: HTTP " + std::to_string(res->status) + ": " + res->body);
  }
  return res->body;
}

}  // namespace pinwatch::testing
