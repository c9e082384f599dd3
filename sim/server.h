// The simulator's HTTP face: RFC 6962 §4 endpoints over a SimLog, an admin API, and fault
// injection for testing monitors. Only this file and server.cc include <httplib.h>.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"
#include "sim/log.h"

namespace pinwatch::sim {

// Faults are misbehaviours the server can be told to show. "every" counters count the
// requests to /ct/v1/ and static-ct-api paths (not /sim/), starting at 1; 0 disables.
// All are deterministic, so a test knows which request misbehaves.
struct Faults {
  uint32_t http_429_every = 0;      // every k-th request: 429 Too Many Requests + Retry-After
  uint32_t retry_after_s = 1;       //   the Retry-After value
  uint32_t http_500_every = 0;      // every k-th request: 500 Internal Server Error
  uint32_t short_batch_entries = 0;  // get-entries answers at most this many entries (>= 1)
  uint32_t truncate_every = 0;      // every k-th 200 body is cut to half its length
  uint32_t garbage_every = 0;       // every k-th 200 body is replaced by non-JSON bytes
  bool wrong_root = false;          // get-sth/checkpoint: validly signed, but the root does
                                    //   not match the entries (last byte flipped)
  bool bad_signature = false;       // get-sth/checkpoint: signature bytes corrupted
  bool fork = false;                // get-sth alternates between the real STH and a validly
                                    //   signed STH of the same size with a different root
  int64_t tamper_index = -1;        // get-entries/get-entry-and-proof/data tiles serve this
                                    //   entry with one byte of its certificate flipped
  uint32_t delay_ms = 0;            // sleep this long before answering each request
};

// ParseFaultsJson reads {"http_429_every": 3, "wrong_root": true, ...} (the field names of
// Faults; absent fields are off). kMalformed on unknown fields or wrong types.
Result<Faults> ParseFaultsJson(std::string_view json);
std::string FaultsJson(const Faults& faults);

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                     // 0: pick a free port
  uint32_t max_batch = 256;         // get-entries answers at most this many entries
  std::string origin;               // static-ct-api checkpoint origin; empty: "HOST:PORT"
  bool gzip_data_tiles = false;     // serve data tiles with Content-Encoding: gzip
  Faults faults;
};

// SimServer serves a SimLog until Stop or destruction. Thread-safe.
class SimServer {
 public:
  // Start binds (port 0 picks a free one) and serves on a background thread.
  // kUnavailable if the address cannot be bound.
  static Result<std::unique_ptr<SimServer>> Start(SimLog& log, ServerOptions options);
  ~SimServer();
  void Stop();
  int port() const { return port_; }
  void SetFaults(const Faults& faults);
  Faults faults() const;

 private:
  struct Impl;
  SimServer() = default;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace pinwatch::sim
