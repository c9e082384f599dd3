// TLS probe: which keys a server presents right now, for the live check of a pin-set
// proposal (`proposals check ID --live`). It connects, shakes hands with SNI and reads the
// certificates the server sent. It does NOT verify the chain's trust, names or dates: the
// question is what is served, and a self-signed or expired certificate is an answer too.
// This header names no OpenSSL type; <openssl/ssl.h> is included by tls_probe.cc only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "base/status.h"

namespace pinwatch::net {

// ServedChain is what one TLS handshake showed.
struct ServedChain {
  std::string address;             // the address connected, numeric: "127.0.0.1:4433", "[::1]:443"
  std::vector<Hash> spki_sha256;   // SHA-256 of each certificate's DER SubjectPublicKeyInfo,
                                   // in the order sent: the leaf first, then what came with it
};

// ProbeTls connects to host:port over TCP (each address getaddrinfo gives, in order, until
// one accepts), performs a TLS handshake sending SNI `server_name`, and returns the SPKI
// hashes of every certificate the server sent. `timeout_ms` bounds the whole probe (DNS
// aside: getaddrinfo has no deadline). On failure kUnavailable, the message naming
// server_name and host:port and saying what failed: "api.example.com (127.0.0.1:4433):
// connection refused", "...: DNS lookup failed: ...", "...: TLS handshake failed: ...",
// "...: no TLS handshake within 5000 ms". Blocks the calling thread; thread-safe. A server
// that closes mid-handshake may raise SIGPIPE: the process ignores it (pinwatch's main does).
Result<ServedChain> ProbeTls(const std::string& server_name, const std::string& host, int port, int64_t timeout_ms);

}  // namespace pinwatch::net
