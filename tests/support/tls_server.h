// TlsServer: Debian's `openssl s_server` on loopback serving a certificate the test made, for
// tests of what a TLS client is served (net/tls_probe, `proposals check --live`). Keys and
// certificates are made with the openssl CLI, so the pins the tests expect come from a
// second implementation, not from the code under test. Header-only: used by net_test and
// daemon_test, no library of its own.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "tests/support/child_process.h"
#include "tests/support/local_server.h"

namespace pinwatch::testing {

inline constexpr char kOpensslPath[] = "/usr/bin/openssl";

// Bash runs `command` with bash -c and returns its standard output; kInternal with its
// standard error if it exits non-zero.
inline Result<std::string> Bash(const std::string& command) {
  Result<CommandResult> r = RunCommand({"/bin/bash", "-c", "set -o pipefail; " + command});
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return InternalError(command + ": exit " + std::to_string(r->exit_code) + ": " + r->err);
  return r->out;
}

// MakeKey writes a new P-256 private key (PEM) to `key_path`.
inline Status MakeKey(const std::string& key_path) {
  return Bash(std::string(kOpensslPath) + " genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + key_path)
      .status();
}

// MakeSelfSigned writes a self-signed certificate for `dns_name` with the key at key_path.
inline Status MakeSelfSigned(const std::string& key_path, const std::string& dns_name, const std::string& cert_path) {
  return Bash(std::string(kOpensslPath) + " req -x509 -new -key " + key_path + " -out " + cert_path +
              " -days 2 -subj /CN=" + dns_name + " -addext subjectAltName=DNS:" + dns_name)
      .status();
}

// SpkiPinOfKey is the "sha256/BASE64" pin of the key at key_path (its public half's DER
// SubjectPublicKeyInfo), computed by the openssl CLI as an operator would.
inline Result<std::string> SpkiPinOfKey(const std::string& key_path) {
  const std::string o = kOpensslPath;
  Result<std::string> b64 =
      Bash(o + " pkey -in " + key_path + " -pubout -outform DER | " + o + " dgst -sha256 -binary | base64 -w0");
  if (!b64.ok()) return b64.status();
  return "sha256/" + *b64;
}

// TlsServerOptions say what the server serves. Paths are PEM files.
struct TlsServerOptions {
  std::string cert, key;
  std::string chain = "";  // certificates sent after the leaf (s_server -cert_chain); "": none
  // With sni_name set, a client whose SNI is sni_name gets sni_cert (s_server -servername,
  // -cert2, -key2); any other client gets `cert`.
  std::string sni_name = "", sni_cert = "", sni_key = "";
};

// TlsServer serves TLS on 127.0.0.1 at a port the kernel chose, until destroyed (SIGTERM).
// It answers every connection (-www: a status page for HTTP GETs).
class TlsServer {
 public:
  // Start returns once s_server says it accepts ("ACCEPT 127.0.0.1:PORT"); kInternal with
  // its output if it does not.
  static Result<std::unique_ptr<TlsServer>> Start(const TlsServerOptions& o) {
    std::vector<std::string> argv = {kOpensslPath, "s_server", "-accept", "127.0.0.1:0", "-cert", o.cert,
                                     "-key", o.key, "-www"};
    if (!o.chain.empty()) argv.insert(argv.end(), {"-cert_chain", o.chain});
    if (!o.sni_name.empty()) argv.insert(argv.end(), {"-servername", o.sni_name, "-cert2", o.sni_cert, "-key2", o.sni_key});
    Result<std::unique_ptr<ChildProcess>> child = ChildProcess::Start(argv);
    if (!child.ok()) return child.status();
    Result<std::string> line = (*child)->WaitForLine("ACCEPT", std::chrono::seconds(30));
    const size_t colon = line.ok() ? line->rfind(':') : std::string::npos;
    const int port = colon == std::string::npos ? 0 : std::atoi(line->c_str() + colon + 1);
    if (port <= 0) {
      (*child)->Signal(SIGKILL);
      (void)(*child)->Wait();
      return InternalError("openssl s_server did not start: " + (*child)->output());
    }
    return std::unique_ptr<TlsServer>(new TlsServer(std::move(*child), port));
  }
  int port() const { return port_; }

 private:
  TlsServer(std::unique_ptr<ChildProcess> child, int port)
      : process_(std::move(child), "openssl s_server"), port_(port) {}
  ServingProcess process_;
  int port_;
};

}  // namespace pinwatch::testing
