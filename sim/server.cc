#include "sim/server.h"

#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <thread>

#include "base/encoding.h"
#include "ctlog/checkpoint.h"
#include "ctlog/leaf.h"
#include "ctlog/tile.h"

namespace pinwatch::sim {
namespace {

// Strict unsigned decimal, as RFC 6962 query parameters are.
std::optional<uint64_t> ParseU64(std::string_view s) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<uint64_t> Param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  return ParseU64(req.get_param_value(name));
}

std::string SthJson(const ctlog::SignedTreeHead& sth) {
  return "{\"tree_size\":" + std::to_string(sth.tree_size) + ",\"timestamp\":" + std::to_string(sth.timestamp_ms) +
         ",\"sha256_root_hash\":\"" + Base64Encode(sth.root_hash) + "\",\"tree_head_signature\":\"" +
         Base64Encode(ctlog::EncodeDigitallySigned(sth.signature)) + "\"}";
}

void AppendHashArray(std::string& out, const std::vector<ctlog::Hash>& hashes) {
  out.push_back('[');
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (i) out.push_back(',');
    out += "\"" + Base64Encode(hashes[i]) + "\"";
  }
  out.push_back(']');
}

// ParseTileIndex reads a tlog-tiles index path "x001/x234/067" (every element three
// digits, all but the last prefixed with "x"); nullopt otherwise.
std::optional<uint64_t> ParseTileIndex(std::string_view path) {
  uint64_t index = 0;
  while (true) {
    size_t slash = path.find('/');
    std::string_view element = path.substr(0, slash);
    bool last = slash == std::string_view::npos;
    if (!last) {
      if (element.size() != 4 || element[0] != 'x') return std::nullopt;
      element.remove_prefix(1);
    }
    if (element.size() != 3) return std::nullopt;
    auto v = ParseU64(element);
    if (!v || index > (uint64_t{1} << 50)) return std::nullopt;
    index = index * 1000 + *v;
    if (last) return index;
    path.remove_prefix(slash + 1);
  }
}

// Gzip returns `in` as a gzip member (RFC 1952), as static-ct-api logs may serve data tiles.
std::string Gzip(std::string_view in) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void BadRequest(httplib::Response& res, std::string_view message) {
  res.status = 400;
  res.set_content("{\"error\":\"" + std::string(message) + "\"}", "application/json");
}

// JsonQuote returns `s` as a JSON string literal (RFC 8259 §7).
std::string JsonQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

// kHostileChunkBytes is how much of a hostile body is made and written at a time: the
// server holds at most this much of it per request, whatever hostile_bytes says.
constexpr size_t kHostileChunkBytes = size_t{64} << 10;
// kStreamContentType is the type of streamed (hostile and trickled) answers: httplib 0.11
// compresses chunked answers of JSON and text types for clients that accept gzip, and its
// compressor holds back output until it has enough, which would turn a trickle into one
// burst at the end and make the hostile bytes on the wire something else.
constexpr char kStreamContentType[] = "application/octet-stream";

}  // namespace

std::string_view HostileBodyName(HostileBody body) {
  switch (body) {
    case HostileBody::kOff: return "";
    case HostileBody::kNesting: return "nesting";
    case HostileBody::kValues: return "values";
    case HostileBody::kZeros: return "zeros";
  }
  return "";
}

std::optional<HostileBody> ParseHostileBody(std::string_view name) {
  for (HostileBody b : {HostileBody::kOff, HostileBody::kNesting, HostileBody::kValues, HostileBody::kZeros}) {
    if (name == HostileBodyName(b)) return b;
  }
  return std::nullopt;
}

void AppendHostileBytes(HostileBody body, uint64_t offset, size_t length, std::string& out) {
  // Each body is a prefix, then one unit repeated forever.
  std::string_view prefix, unit;
  switch (body) {
    case HostileBody::kOff: return;
    case HostileBody::kNesting: prefix = "{\"entries\":", unit = "["; break;
    case HostileBody::kValues: prefix = "{\"entries\":[", unit = "0,"; break;
    case HostileBody::kZeros: unit = std::string_view("\0", 1); break;
  }
  out.reserve(out.size() + length);
  for (uint64_t p = offset; p - offset < length; ++p) {
    out.push_back(p < prefix.size() ? prefix[p] : unit[(p - prefix.size()) % unit.size()]);
  }
}

Result<Faults> ParseFaultsJson(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return MalformedError("faults: body must be a JSON object");
  Faults f;
  for (const auto& m : static_cast<const rapidjson::Document&>(doc).GetObject()) {
    std::string_view name = m.name.GetString();
    const auto& v = m.value;
    auto u32 = [&](uint32_t& field) -> Status {
      if (!v.IsUint()) return MalformedError("faults: \"" + std::string(name) + "\" must be a non-negative integer");
      field = v.GetUint();
      return OkStatus();
    };
    auto flag = [&](bool& field) -> Status {
      if (!v.IsBool()) return MalformedError("faults: \"" + std::string(name) + "\" must be a boolean");
      field = v.GetBool();
      return OkStatus();
    };
    Status s;
    if (name == "http_429_every") s = u32(f.http_429_every);
    else if (name == "retry_after_s") s = u32(f.retry_after_s);
    else if (name == "http_500_every") s = u32(f.http_500_every);
    else if (name == "short_batch_entries") s = u32(f.short_batch_entries);
    else if (name == "truncate_every") s = u32(f.truncate_every);
    else if (name == "garbage_every") s = u32(f.garbage_every);
    else if (name == "delay_ms") s = u32(f.delay_ms);
    else if (name == "trickle_ms") s = u32(f.trickle_ms);
    else if (name == "extra_entries") s = u32(f.extra_entries);
    else if (name == "head_tree_size" || name == "head_timestamp_ms") {
      if (!v.IsUint64()) return MalformedError("faults: \"" + std::string(name) + "\" must be a non-negative integer");
      (name == "head_tree_size" ? f.head_tree_size : f.head_timestamp_ms) = v.GetUint64();
    } else if (name == "tile_width_delta") {
      // Bounded so that a tile stays at most two tiles' worth.
      if (!v.IsInt() || v.GetInt() < -256 || v.GetInt() > 256) {
        return MalformedError("faults: \"tile_width_delta\" must be an integer in [-256, 256]");
      }
      f.tile_width_delta = v.GetInt();
    }
    else if (name == "hostile_chunked") s = flag(f.hostile_chunked);
    else if (name == "hostile_bytes") {
      if (!v.IsUint64()) return MalformedError("faults: \"hostile_bytes\" must be a non-negative integer");
      f.hostile_bytes = v.GetUint64();
    } else if (name == "hostile_body") {
      std::optional<HostileBody> body = v.IsString() ? ParseHostileBody(v.GetString()) : std::nullopt;
      if (!body) return MalformedError("faults: \"hostile_body\" must be \"\", \"nesting\", \"values\" or \"zeros\"");
      f.hostile_body = *body;
    } else if (name == "hostile_path") {
      // Request paths begin with '/': a prefix that does not could never match.
      if (!v.IsString() || v.GetStringLength() == 0 || v.GetString()[0] != '/') {
        return MalformedError("faults: \"hostile_path\" must be a path prefix starting with \"/\"");
      }
      f.hostile_path.assign(v.GetString(), v.GetStringLength());
    }
    else if (name == "wrong_root") s = flag(f.wrong_root);
    else if (name == "bad_signature") s = flag(f.bad_signature);
    else if (name == "fork") s = flag(f.fork);
    else if (name == "tamper_index") {
      if (!v.IsInt64()) return MalformedError("faults: \"tamper_index\" must be an integer");
      f.tamper_index = v.GetInt64();
    } else {
      return MalformedError("faults: unknown field \"" + std::string(name) + "\"");
    }
    if (!s.ok()) return s;
  }
  return f;
}

std::string FaultsJson(const Faults& f) {
  return "{\"http_429_every\":" + std::to_string(f.http_429_every) +
         ",\"retry_after_s\":" + std::to_string(f.retry_after_s) +
         ",\"http_500_every\":" + std::to_string(f.http_500_every) +
         ",\"short_batch_entries\":" + std::to_string(f.short_batch_entries) +
         ",\"truncate_every\":" + std::to_string(f.truncate_every) +
         ",\"garbage_every\":" + std::to_string(f.garbage_every) +
         ",\"wrong_root\":" + (f.wrong_root ? "true" : "false") +
         ",\"bad_signature\":" + (f.bad_signature ? "true" : "false") +
         ",\"fork\":" + (f.fork ? "true" : "false") +
         ",\"tamper_index\":" + std::to_string(f.tamper_index) +
         ",\"delay_ms\":" + std::to_string(f.delay_ms) +
         ",\"hostile_body\":" + JsonQuote(HostileBodyName(f.hostile_body)) +
         ",\"hostile_path\":" + JsonQuote(f.hostile_path) +
         ",\"hostile_bytes\":" + std::to_string(f.hostile_bytes) +
         ",\"hostile_chunked\":" + (f.hostile_chunked ? "true" : "false") +
         ",\"trickle_ms\":" + std::to_string(f.trickle_ms) +
         ",\"extra_entries\":" + std::to_string(f.extra_entries) +
         ",\"head_tree_size\":" + std::to_string(f.head_tree_size) +
         ",\"head_timestamp_ms\":" + std::to_string(f.head_timestamp_ms) +
         ",\"tile_width_delta\":" + std::to_string(f.tile_width_delta) + "}";
}

struct SimServer::Impl {
  SimLog& log;
  ServerOptions options;
  httplib::Server http;
  mutable std::mutex faults_mu;
  Faults faults;
  mutable std::mutex log_list_mu;
  std::string log_list;  // guarded by log_list_mu; empty: not set
  std::atomic<uint64_t> request_count{0};
  std::atomic<uint64_t> sth_count{0};
  // Set by Stop: streamed answers (trickles, hostile bodies) end at once, so stopping
  // (ctsim's SIGTERM) does not wait for them; httplib joins its workers before it returns.
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;

  Impl(SimLog& l, ServerOptions o) : log(l), options(std::move(o)), faults(options.faults) {}

  Faults CurrentFaults() const {
    std::lock_guard lock(faults_mu);
    return faults;
  }

  // ServedSth applies the STH faults to the latest STH.
  ctlog::SignedTreeHead ServedSth(const Faults& f) {
    ctlog::SignedTreeHead sth = log.LatestSth();
    bool forked = f.fork && (sth_count.fetch_add(1) % 2 == 1);
    if (f.wrong_root || forked) {
      ctlog::Hash root = sth.root_hash;
      root[31] ^= forked ? 0x55 : 0x01;
      sth = log.SignTreeHead(sth.timestamp_ms, sth.tree_size, root);
    }
    if (f.head_tree_size != 0 || f.head_timestamp_ms != 0) {
      sth = log.SignTreeHead(f.head_timestamp_ms != 0 ? f.head_timestamp_ms : sth.timestamp_ms,
                             f.head_tree_size != 0 ? f.head_tree_size : sth.tree_size, sth.root_hash);
    }
    if (f.bad_signature && !sth.signature.signature.empty()) sth.signature.signature[10] ^= 0x01;
    return sth;
  }

  // LeafInputServed returns entry i's leaf_input as served, i.e. tampered if the fault
  // says so (log read-locked).
  Buffer LeafInputServed(uint64_t i, const Faults& f) const {
    Bytes leaf = log.entries().LeafInput(i);
    Buffer out(leaf.begin(), leaf.end());
    if (f.tamper_index >= 0 && static_cast<uint64_t>(f.tamper_index) == i) out[out.size() - 40] ^= 0x01;
    return out;
  }

  // AppendEntryJson appends {"leaf_input": ..., "extra_data": ...} for entry i (log read-locked).
  void AppendEntryJson(std::string& out, uint64_t i, const Faults& f, Buffer& scratch) const {
    const EntryStore& entries = log.entries();
    out += "{\"leaf_input\":\"";
    out += Base64Encode(LeafInputServed(i, f));
    out += "\",\"extra_data\":\"";
    scratch.clear();
    entries.AppendExtraData(i, scratch);
    out += Base64Encode(scratch);
    out += "\"}";
  }

  // WaitUnlessStopped waits `duration`; false (at once) if the server is stopping.
  bool WaitUnlessStopped(std::chrono::milliseconds duration) {
    std::unique_lock lock(stop_mu);
    return !stop_cv.wait_for(lock, duration, [this] { return stopping; });
  }
  bool Stopping() {
    std::lock_guard lock(stop_mu);
    return stopping;
  }
  void RequestStop() {
    {
      std::lock_guard lock(stop_mu);
      stopping = true;
    }
    stop_cv.notify_all();
  }

  // SetHostileBody makes `res` the hostile answer the faults describe, made 64 KiB at a
  // time as httplib asks for it. A provider returning false ends the connection; a failed
  // sink.write (the client went away) does too.
  void SetHostileBody(httplib::Response& res, const Faults& f) {
    res.status = 200;
    const HostileBody kind = f.hostile_body;
    const uint64_t total_bytes = f.hostile_bytes;  // 0: endless
    if (total_bytes > 0 && !f.hostile_chunked) {
      res.set_content_provider(static_cast<size_t>(total_bytes), kStreamContentType,
                               [this, kind](size_t offset, size_t length, httplib::DataSink& sink) {
                                 if (Stopping()) return false;
                                 std::string chunk;
                                 AppendHostileBytes(kind, offset, std::min(length, kHostileChunkBytes), chunk);
                                 return sink.write(chunk.data(), chunk.size());
                               });
      return;
    }
    res.set_chunked_content_provider(kStreamContentType, [this, kind, total_bytes](size_t offset,
                                                                                   httplib::DataSink& sink) {
      if (Stopping()) return false;
      if (total_bytes > 0 && offset >= total_bytes) {
        sink.done();
        return true;
      }
      const size_t n = total_bytes == 0 ? kHostileChunkBytes
                                        : static_cast<size_t>(std::min<uint64_t>(kHostileChunkBytes, total_bytes - offset));
      std::string chunk;
      AppendHostileBytes(kind, offset, n, chunk);
      return sink.write(chunk.data(), chunk.size());
    });
  }

  // Trickle turns a finished answer into a chunked one that sends its body, exactly as
  // httplib prepared it (compressed if it was), one byte every `delay`. It runs as the
  // post-routing handler: httplib 0.11 calls that after it has compressed the body and set
  // Content-Length and Content-Encoding, and before it writes the headers.
  void Trickle(httplib::Response& res, std::chrono::milliseconds delay) {
    auto body = std::make_shared<std::string>(std::move(res.body));
    res.body.clear();
    for (const char* header : {"Content-Length", "Content-Type", "Transfer-Encoding"}) {
      auto range = res.headers.equal_range(header);
      res.headers.erase(range.first, range.second);
    }
    res.set_header("Transfer-Encoding", "chunked");
    res.set_chunked_content_provider(kStreamContentType, [this, body, delay](size_t offset, httplib::DataSink& sink) {
      if (offset >= body->size()) {
        sink.done();
        return true;
      }
      if (!WaitUnlessStopped(delay)) return false;
      return sink.write(body->data() + offset, 1);
    });
  }

  // ServedWidth is how many entries or hashes a tile of `width` holds as served.
  static uint64_t ServedWidth(uint64_t width, const Faults& f) {
    const int64_t served = static_cast<int64_t>(width) + f.tile_width_delta;
    return served > 0 ? static_cast<uint64_t>(served) : 0;
  }

  void Route();
  // FaultedBody applies the body faults (truncate, garbage) to a successful answer's body.
  // (They are applied while the handler runs rather than in a post-routing handler, which
  // runs after httplib has fixed Content-Length: a truncated body must still be a complete
  // HTTP response.)
  std::string FaultedBody(const httplib::Response& res, std::string body) const {
    if (res.status != -1 && res.status != 200) return body;
    Faults f = CurrentFaults();
    uint64_t n = tls_request_number;
    if (n == 0) {
      // an admin answer
    } else if (f.truncate_every > 0 && n % f.truncate_every == 0) {
      body.resize(body.size() / 2);
    } else if (f.garbage_every > 0 && n % f.garbage_every == 0) {
      body = "<html>ctsim garbage: this is not what you asked for</html>\x01\x02";
    }
    return body;
  }
  // Json sets a JSON body, with the body faults applied.
  void Json(httplib::Response& res, std::string body) const {
    res.set_content(FaultedBody(res, std::move(body)), "application/json");
  }
  // The number of the request this thread is answering (httplib answers a request on one thread).
  static thread_local uint64_t tls_request_number;
};

thread_local uint64_t SimServer::Impl::tls_request_number = 0;

void SimServer::Impl::Route() {
  // Faults and delays apply to the log API, not to /sim/ admin calls.
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (req.path.rfind("/sim/", 0) == 0) {
      tls_request_number = 0;  // admin answers are never faulted
      return httplib::Server::HandlerResponse::Unhandled;
    }
    Faults f = CurrentFaults();
    uint64_t n = request_count.fetch_add(1) + 1;
    tls_request_number = n;
    if (f.delay_ms > 0) WaitUnlessStopped(std::chrono::milliseconds(f.delay_ms));
    if (f.http_429_every > 0 && n % f.http_429_every == 0) {
      res.status = 429;
      res.set_header("Retry-After", std::to_string(f.retry_after_s));
      res.set_content("rate limited by ctsim fault injection\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (f.http_500_every > 0 && n % f.http_500_every == 0) {
      res.status = 500;
      res.set_content("internal error by ctsim fault injection\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (f.hostile_body != HostileBody::kOff && req.path.rfind(f.hostile_path, 0) == 0) {
      SetHostileBody(res, f);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (req.path.rfind("/sim/", 0) == 0 || res.body.empty()) return;  // admin, streamed or empty
    const Faults f = CurrentFaults();
    if (f.trickle_ms > 0) Trickle(res, std::chrono::milliseconds(f.trickle_ms));
  });
  http.Get("/ct/v1/get-sth", [this](const httplib::Request&, httplib::Response& res) {
    Json(res, SthJson(ServedSth(CurrentFaults())));
  });

  http.Get("/ct/v1/get-sth-consistency", [this](const httplib::Request& req, httplib::Response& res) {
    auto first = Param(req, "first"), second = Param(req, "second");
    if (!first || !second) return BadRequest(res, "need first and second");
    auto lock = log.ReadLock();
    uint64_t published = log.LatestSth().tree_size;
    if (*first > *second || *second > published) return BadRequest(res, "bad first/second");
    std::vector<ctlog::Hash> proof;
    if (*first > 0) proof = log.tree().ConsistencyProof(*first, *second);
    std::string body = "{\"consistency\":";
    AppendHashArray(body, proof);
    body += "}";
    Json(res, std::move(body));
  });

  http.Get("/ct/v1/get-proof-by-hash", [this](const httplib::Request& req, httplib::Response& res) {
    auto tree_size = Param(req, "tree_size");
    if (!tree_size || !req.has_param("hash")) return BadRequest(res, "need hash and tree_size");
    auto hash = Base64Decode(req.get_param_value("hash"));
    if (!hash || hash->size() != 32) return BadRequest(res, "hash must be 32 bytes of base64");
    auto lock = log.ReadLock();
    if (*tree_size == 0 || *tree_size > log.LatestSth().tree_size) return BadRequest(res, "bad tree_size");
    for (uint64_t i = 0; i < *tree_size; ++i) {
      const ctlog::Hash& h = log.tree().PerfectNode(0, i);
      if (std::equal(h.begin(), h.end(), hash->begin())) {
        std::string body = "{\"leaf_index\":" + std::to_string(i) + ",\"audit_path\":";
        AppendHashArray(body, log.tree().InclusionProof(i, *tree_size));
        body += "}";
        return Json(res, std::move(body));
      }
    }
    res.status = 404;
    Json(res, "{\"error\":\"leaf hash not found in tree\"}");
  });

  http.Get("/ct/v1/get-entries", [this](const httplib::Request& req, httplib::Response& res) {
    auto start = Param(req, "start"), end = Param(req, "end");  // both inclusive
    if (!start || !end || *start > *end) return BadRequest(res, "need 0 <= start <= end");
    Faults f = CurrentFaults();
    auto lock = log.ReadLock();
    uint64_t tree_size = log.LatestSth().tree_size;
    if (*start >= tree_size) return BadRequest(res, "start beyond tree size");
    uint64_t batch = options.max_batch;
    if (f.short_batch_entries > 0) batch = std::min<uint64_t>(batch, f.short_batch_entries);
    uint64_t last = std::min({*end, tree_size - 1, *start + batch - 1});
    if (f.extra_entries > 0) {  // more than asked (and than max_batch), if the tree has them
      // (*end < tree_size - 1 here, so adding a uint32 cannot overflow.)
      last = *end >= tree_size - 1 ? tree_size - 1 : std::min<uint64_t>(tree_size - 1, *end + f.extra_entries);
    }
    std::string body;
    body.reserve((last - *start + 1) * 2600);
    body += "{\"entries\":[";
    Buffer scratch;
    for (uint64_t i = *start; i <= last; ++i) {
      if (i != *start) body.push_back(',');
      AppendEntryJson(body, i, f, scratch);
    }
    body += "]}";
    Json(res, std::move(body));
  });

  http.Get("/ct/v1/get-entry-and-proof", [this](const httplib::Request& req, httplib::Response& res) {
    auto index = Param(req, "leaf_index"), tree_size = Param(req, "tree_size");
    if (!index || !tree_size) return BadRequest(res, "need leaf_index and tree_size");
    Faults f = CurrentFaults();
    auto lock = log.ReadLock();
    if (*index >= *tree_size || *tree_size > log.LatestSth().tree_size) return BadRequest(res, "bad range");
    std::string entry;
    Buffer scratch;
    AppendEntryJson(entry, *index, f, scratch);
    entry.pop_back();  // reuse the entry object, adding the audit path
    entry += ",\"audit_path\":";
    AppendHashArray(entry, log.tree().InclusionProof(*index, *tree_size));
    entry += "}";
    Json(res, std::move(entry));
  });

  http.Get("/ct/v1/get-roots", [this](const httplib::Request&, httplib::Response& res) {
    std::string body = "{\"certificates\":[";
    for (size_t i = 0; i < log.roots().size(); ++i) {
      if (i) body.push_back(',');
      body += "\"" + Base64Encode(log.roots()[i]) + "\"";
    }
    body += "]}";
    Json(res, std::move(body));
  });

  // ---- static-ct-api (C2SP static-ct-api, tlog-tiles) over the same tree ----
  http.Get("/checkpoint", [this](const httplib::Request&, httplib::Response& res) {
    ctlog::SignedTreeHead sth = ServedSth(CurrentFaults());
    res.set_content(FaultedBody(res, ctlog::FormatRfc6962Checkpoint(options.origin, sth, log.key().spki_der())),
                    "text/plain; charset=utf-8");
  });
  // /tile/<L>/<N>[.p/<W>]: hashes of the level-(8*L) nodes [N*256, N*256 + W).
  http.Get(R"(/tile/(\d+)/((?:x\d{3}/)*\d{3})(?:\.p/(\d+))?)", [this](const httplib::Request& req, httplib::Response& res) {
    auto level = ParseU64(req.matches[1].str());
    auto index = ParseTileIndex(req.matches[2].str());
    std::optional<uint64_t> width = req.matches[3].matched ? ParseU64(req.matches[3].str()) : 256;
    if (!level || *level > ctlog::kMaxTileLevel || !index || !width || *width == 0 || *width > 256 ||
        (req.matches[3].matched && *width == 256)) {
      res.status = 404;
      return;
    }
    const Faults f = CurrentFaults();
    auto lock = log.ReadLock();
    uint64_t tree_size = log.LatestSth().tree_size;
    unsigned node_level = static_cast<unsigned>(8 * *level);
    uint64_t nodes = tree_size >> node_level;
    uint64_t first = *index * 256;
    if (first + *width > nodes) {
      res.status = 404;
      return;
    }
    const uint64_t served = ServedWidth(*width, f);
    std::string body;
    body.reserve(served * 32);
    for (uint64_t k = 0; k < served; ++k) {
      const ctlog::Hash& h = log.tree().PerfectNode(node_level, std::min(first + k, nodes - 1));
      body.append(reinterpret_cast<const char*>(h.data()), h.size());
    }
    res.set_content(FaultedBody(res, std::move(body)), "application/octet-stream");
  });
  // /tile/data/<N>[.p/<W>]: TileLeaf structs of entries [N*256, N*256 + W).
  http.Get(R"(/tile/data/((?:x\d{3}/)*\d{3})(?:\.p/(\d+))?)", [this](const httplib::Request& req, httplib::Response& res) {
    auto index = ParseTileIndex(req.matches[1].str());
    std::optional<uint64_t> width = req.matches[2].matched ? ParseU64(req.matches[2].str()) : 256;
    if (!index || !width || *width == 0 || *width > 256 || (req.matches[2].matched && *width == 256)) {
      res.status = 404;
      return;
    }
    Faults f = CurrentFaults();
    auto lock = log.ReadLock();
    uint64_t first = *index * 256;
    const uint64_t tree_size = log.LatestSth().tree_size;
    if (first + *width > tree_size) {
      res.status = 404;
      return;
    }
    const uint64_t served = ServedWidth(*width, f);
    Buffer tile;
    tile.reserve(served * 1200);
    for (uint64_t k = 0; k < served; ++k) {
      const uint64_t i = std::min(first + k, tree_size - 1);
      Buffer leaf_input = LeafInputServed(i, f);
      auto leaf = ctlog::ParseMerkleTreeLeaf(leaf_input);
      Bytes chain_bytes = log.entries().Chain(i);
      auto chain = ctlog::ParseExtraData(ctlog::LogEntryType::kX509Entry, chain_bytes);
      if (!leaf.ok() || !chain.ok()) {  // only a tampered entry can fail to parse
        res.status = 500;
        return;
      }
      std::vector<ctlog::Hash> fingerprints;
      for (Bytes cert : chain->chain) fingerprints.push_back(ctlog::Sha256Of(cert));
      if (!ctlog::EncodeTileLeaf(leaf->timestamped_entry, log.entries().PreCertificate(i), fingerprints, tile).ok()) {
        res.status = 500;
        return;
      }
    }
    std::string body = FaultedBody(res, std::string(tile.begin(), tile.end()));
    if (options.gzip_data_tiles) {
      res.set_header("Content-Encoding", "gzip");
      body = Gzip(body);
    }
    res.set_content(std::move(body), "application/octet-stream");
  });
  // /issuer/<hex SHA-256 of the certificate>: the DER of a chain certificate.
  http.Get(R"(/issuer/([0-9a-f]{64}))", [this](const httplib::Request& req, httplib::Response& res) {
    auto want = HexDecode(req.matches[1].str());
    auto lock = log.ReadLock();
    for (Bytes chain_bytes : log.entries().chains()) {
      auto chain = ctlog::ParseExtraData(ctlog::LogEntryType::kX509Entry, chain_bytes);
      if (!chain.ok()) continue;
      for (Bytes cert : chain->chain) {
        ctlog::Hash h = ctlog::Sha256Of(cert);
        if (std::equal(h.begin(), h.end(), want->begin())) {
          res.set_content(std::string(cert.begin(), cert.end()), "application/pkix-cert");
          return;
        }
      }
    }
    res.status = 404;
  });

  // ---- admin ----
  http.Post("/sim/grow", [this](const httplib::Request& req, httplib::Response& res) {
    auto n = req.has_param("n") ? Param(req, "n") : std::optional<uint64_t>(1);
    if (!n) return BadRequest(res, "n must be an unsigned integer");
    auto sth = log.Grow(*n);
    if (!sth.ok()) {
      res.status = 500;
      return Json(res, "{\"error\":\"grow failed\"}");
    }
    Json(res, SthJson(*sth));
  });
  http.Post("/sim/faults", [this](const httplib::Request& req, httplib::Response& res) {
    auto f = ParseFaultsJson(req.body);
    if (!f.ok()) return BadRequest(res, f.status().message());
    {
      std::lock_guard lock(faults_mu);
      faults = *f;
    }
    request_count = 0;
    sth_count = 0;
    Json(res, FaultsJson(*f));
  });
  http.Get("/sim/faults", [this](const httplib::Request&, httplib::Response& res) {
    Json(res, FaultsJson(CurrentFaults()));
  });
  http.Get("/sim/log-list.json", [this](const httplib::Request&, httplib::Response& res) {
    std::string list;
    {
      std::lock_guard lock(log_list_mu);
      list = log_list;
    }
    if (list.empty()) {
      res.status = 404;
      return;
    }
    Json(res, list);
  });
  http.Get("/sim/info", [this](const httplib::Request&, httplib::Response& res) {
    ctlog::SignedTreeHead sth = log.LatestSth();
    Json(res, "{\"log_id\":\"" + Base64Encode(log.log_id()) + "\",\"key\":\"" + Base64Encode(log.key().spki_der()) +
                  "\",\"tree_size\":" + std::to_string(sth.tree_size) + "}");
  });
}

Result<std::unique_ptr<SimServer>> SimServer::Start(SimLog& log, ServerOptions options) {
  std::unique_ptr<SimServer> server(new SimServer());
  server->impl_ = std::make_unique<Impl>(log, std::move(options));
  Impl& impl = *server->impl_;
  impl.Route();
  int port = impl.options.port;
  if (port == 0) {
    port = impl.http.bind_to_any_port(impl.options.host);
    if (port <= 0) return UnavailableError("cannot bind " + impl.options.host);
  } else if (!impl.http.bind_to_port(impl.options.host, port)) {
    return UnavailableError("cannot bind " + impl.options.host + ":" + std::to_string(port));
  }
  server->port_ = port;
  if (impl.options.origin.empty()) impl.options.origin = impl.options.host + ":" + std::to_string(port);
  auto finished = std::make_shared<std::atomic<bool>>(false);
  server->thread_ = std::thread([&impl, finished] {
    impl.http.listen_after_bind();
    *finished = true;
  });
  // httplib's stop() does nothing until the accept loop runs, so a stop signal that came
  // before it would leave ctsim blocked in accept: return only once it runs (it starts at
  // once after bind; this is a bounded hand-off, not a wait for an outside event).
  while (!impl.http.is_running() && !*finished) std::this_thread::yield();
  return server;
}

SimServer::~SimServer() { Stop(); }

void SimServer::Stop() {
  if (impl_) {
    impl_->RequestStop();
    impl_->http.stop();
  }
  if (thread_.joinable()) thread_.join();
}

void SimServer::SetFaults(const Faults& faults) {
  std::lock_guard lock(impl_->faults_mu);
  impl_->faults = faults;
}

Faults SimServer::faults() const { return impl_->CurrentFaults(); }

void SimServer::SetLogList(std::string json) {
  std::lock_guard lock(impl_->log_list_mu);
  impl_->log_list = std::move(json);
}

}  // namespace pinwatch::sim
