#include "tests/support/postgres_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "tests/support/local_server.h"
#include "tests/support/testdata.h"

extern char** environ;

namespace pinwatch::testing {
namespace {

// FindBindir returns $PINWATCH_PG_BINDIR or the newest /usr/lib/postgresql/*/bin.
std::string FindBindir() {
  if (const char* env = std::getenv("PINWATCH_PG_BINDIR"); env != nullptr && *env != '\0') return env;
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = e.path().filename().string();
    const int version = std::atoi(name.c_str());
    if (version > best_version && std::filesystem::exists(e.path() / "bin" / "initdb")) {
      best_version = version;
      best = (e.path() / "bin").string();
    }
  }
  return best;
}

// Run runs argv (as the postgres user if asked) with stdout+stderr to `output_path`, and
// returns its exit status (or -1 if it could not start).
int Run(std::vector<std::string> argv, bool as_postgres_user, const std::string& output_path) {
  if (as_postgres_user) argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

Result<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  std::unique_ptr<PostgresServer> pg(new PostgresServer());
  pg->bindir_ = FindBindir();
  if (pg->bindir_.empty()) {
    return FailedPreconditionError("no PostgreSQL server binaries (install Debian's postgresql, or set PINWATCH_PG_BINDIR)");
  }
  char tmpl[] = "/tmp/pinwatch-pg.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return InternalError("mkdtemp failed");
  pg->dir_ = tmpl;
  pg->as_postgres_user_ = geteuid() == 0;
  if (pg->as_postgres_user_) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) return FailedPreconditionError("running as root but there is no postgres user to run the server as");
    if (chown(pg->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return InternalError("chown of the data directory failed");
  }
  const std::string out = pg->dir_ + "/commands.log";
  const std::string data = pg->dir_ + "/data";
  if (Run({pg->bindir_ + "/initdb", "-D", data, "-U", "pinwatch", "--auth=trust", "-E", "UTF8", "--no-sync"},
          pg->as_postgres_user_, out) != 0) {
    return InternalError("initdb failed: " + ReadFile(out).value_or(""));
  }
  pg->port_ = FreeLoopbackPort();
  if (pg->port_ == 0) return InternalError("no free loopback port");
  if (Status s = pg->Resume(); !s.ok()) return s;
  return pg;
}

Status PostgresServer::Resume() {
  const std::string out = dir_ + "/commands.log";
  // fsync off: a test database that dies with the test needs no durability.
  const std::string options = "-p " + std::to_string(port_) + " -k " + dir_ +
                              " -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off";
  // pg_ctl -w waits until the server accepts connections (its own polling, not ours).
  if (Run({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-o", options, "-l", dir_ + "/server.log", "-w", "-t", "60",
           "start"},
          as_postgres_user_, out) != 0) {
    return InternalError("pg_ctl start failed: " + ReadFile(out).value_or("") +
                         ReadFile(dir_ + "/server.log").value_or(""));
  }
  started_ = true;
  return OkStatus();
}

Status PostgresServer::Halt() {
  if (!started_) return OkStatus();
  // "fast": connections are closed at once, as when an operator restarts the database.
  if (Run({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "fast", "-w", "-t", "60", "stop"}, as_postgres_user_,
          dir_ + "/commands.log") != 0) {
    return InternalError("pg_ctl stop failed: " + ReadFile(dir_ + "/commands.log").value_or(""));
  }
  started_ = false;
  return OkStatus();
}

PostgresServer::~PostgresServer() {
  if (started_) {
    Run({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"}, as_postgres_user_,
        "/dev/null");
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://pinwatch@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

Result<std::string> PostgresServer::Psql(const std::string& sql, const std::string& database) const {
  const std::string out = dir_ + "/psql.out";
  // psql runs as the caller: it connects over TCP, so no socket permissions are involved.
  const int rc = Run({bindir_ + "/psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url(database), "-c", sql},
                     false, out);
  std::string text = ReadFile(out).value_or("");
  if (rc != 0) return UnavailableError("psql failed: " + text);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

}  // namespace pinwatch::testing
