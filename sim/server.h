// The simulator's HTTP face: RFC 6962 §4 endpoints over a SimLog, an admin API, and fault
// injection for testing monitors. Only this file and server.cc include <httplib.h>.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"
#include "sim/log.h"

namespace pinwatch::sim {

// HostileBody is the kind of body a hostile log sends (the bodies of issue 13 item 2):
enum class HostileBody {
  kOff,      // ""         no hostile body
  kNesting,  // "nesting"  {"entries":  then [ repeated (unbounded JSON nesting)
  kValues,   // "values"   {"entries":[ then 0, repeated (unbounded JSON values)
  kZeros,    // "zeros"    NUL bytes
};

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
  // A hostile log (issue 13): requests whose path starts with hostile_path are answered
  // 200 with a body of hostile_bytes bytes of `hostile_body` (0: endless), streamed 64 KiB
  // at a time and never held whole. It replaces the endpoint's answer; the 429/500 faults
  // still come first. Content-Type is application/octet-stream, a type httplib never
  // compresses, so the bytes on the wire are the hostile bytes whatever Accept-Encoding says.
  HostileBody hostile_body = HostileBody::kOff;
  std::string hostile_path = "/ct/v1/get-entries";  // a path prefix, e.g. "/tile/data/"
  uint64_t hostile_bytes = 0;       // the body's length; 0: endless (always chunked)
  bool hostile_chunked = false;     // send without Content-Length (chunked)
  // A log that trickles: every log answer with a body (not /sim/, not hostile bodies) is
  // sent chunked, one byte every trickle_ms ms, the same bytes it would have sent (gzip'd
  // if the client asked for gzip), as application/octet-stream (see above). 0 disables.
  uint32_t trickle_ms = 0;
  // get-entries answers this many entries beyond the asked (inclusive) end, as far as the
  // tree has them, ignoring max_batch: a log that sends more than asked.
  uint32_t extra_entries = 0;
  // A log that lies about its tree (issue 19). get-sth and the checkpoint serve a head,
  // validly signed, that claims head_tree_size entries (0: the true size; the root stays
  // the true tree's) and is dated head_timestamp_ms (0: the true timestamp), while
  // get-entries and the tiles still serve only the true tree. Every data and hash tile
  // holds tile_width_delta entries or hashes more (or, negative, fewer) than its width,
  // the last one repeated beyond the tree.
  uint64_t head_tree_size = 0;
  uint64_t head_timestamp_ms = 0;
  int32_t tile_width_delta = 0;
};

// HostileBodyName is the JSON/flag name of `body` ("", "nesting", "values", "zeros");
// ParseHostileBody is its inverse, nullopt for an unknown name.
std::string_view HostileBodyName(HostileBody body);
std::optional<HostileBody> ParseHostileBody(std::string_view name);

// AppendHostileBytes appends bytes [offset, offset + length) of the endless body `body`
// (the first hostile_bytes of it are what the fault sends) to `out`. Thread-safe.
void AppendHostileBytes(HostileBody body, uint64_t offset, size_t length, std::string& out);

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
  // SetLogList makes GET /sim/log-list.json answer `json` (404 until set), so a monitor in
  // another container can be pointed at the log by URL alone.
  void SetLogList(std::string json);

 private:
  struct Impl;
  SimServer() = default;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace pinwatch::sim
