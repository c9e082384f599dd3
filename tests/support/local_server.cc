#include "tests/support/local_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <signal.h>

#include <chrono>
#include <cstdlib>

namespace pinwatch::testing {

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

int ListenPortOf(std::string_view line) {
  const size_t at = line.find("address=");
  if (at == std::string_view::npos) return 0;
  std::string_view address = line.substr(at + 8);
  address = address.substr(0, address.find(' '));
  if (!address.empty() && address.back() == '"') address.remove_suffix(1);
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return 0;
  return std::atoi(std::string(address.substr(colon + 1)).c_str());
}

Result<std::string> HttpGetBody(const std::string& base_url, const std::string& path) {
  httplib::Client client(base_url);
  client.set_connection_timeout(std::chrono::seconds(10));
  client.set_read_timeout(std::chrono::seconds(60));
  auto res = client.Get(path.c_str());
  if (!res) return UnavailableError("GET " + base_url + path + " failed: " + httplib::to_string(res.error()));
  if (res->status != 200) {
    return UnavailableError("GET " + base_url + path + ": HTTP " + std::to_string(res->status) + ": " + res->body);
  }
  return res->body;
}

std::string JsonString(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return "";
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

std::map<std::string, std::string> JsonStringMap(const rapidjson::Value& object, const char* name) {
  std::map<std::string, std::string> out;
  if (!object.IsObject()) return out;
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsObject()) return out;
  for (const auto& m : it->value.GetObject()) {
    if (m.value.IsString()) out[m.name.GetString()] = m.value.GetString();
  }
  return out;
}

ServingProcess::ServingProcess(std::unique_ptr<ChildProcess> child, std::string name)
    : child_(std::move(child)), name_(std::move(name)) {
  drain_ = std::thread([child = child_.get()] { child->ReadToEnd(); });
}

ServingProcess::~ServingProcess() { (void)Stop(); }

Status ServingProcess::Stop() {
  if (child_ == nullptr) return OkStatus();
  child_->Signal(SIGTERM);
  drain_.join();  // the output ends when the process exits
  const int code = child_->Wait();
  const std::string out = child_->output();
  child_.reset();
  if (code != 0 && code != 128 + SIGTERM) return InternalError(name_ + " exited with " + std::to_string(code) + ": " + out);
  return OkStatus();
}

Status StartFailure(ChildProcess& child, std::string_view name, int port, const Status& why) {
  child.Signal(SIGKILL);
  (void)child.Wait();
  const std::string& out = child.output();
  const Code code = out.find("address already in use") != std::string::npos ? Code::kUnavailable : Code::kInternal;
  return Status(code, std::string(name) + " did not start on 127.0.0.1:" + std::to_string(port) + " (" + why.message() +
                          "): " + out);
}

}  // namespace pinwatch::testing
