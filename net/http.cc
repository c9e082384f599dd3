// The only home of libcurl in pinwatch (STYLE.md principle 3). One CURLM per HttpClient
// holds the connection cache; easy handles are pooled and reset between requests.
#include "net/http.h"

#include <curl/curl.h>
#include <libdeflate.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "net/gzip.h"

namespace pinwatch::net {
namespace {

// kMaxBodySizeHint caps what a transfer reserves up front (bodies may be larger).
constexpr size_t kMaxBodySizeHint = size_t{4} << 20;

// kMaxIdleHandles bounds the pool of reset easy handles kept for reuse.
constexpr size_t kMaxIdleHandles = 64;
// kMaxRedirects: logs and their CDNs may redirect (e.g. a monitoring prefix moved); a
// longer chain is a misconfiguration.
constexpr long kMaxRedirects = 5;
// kMaxPollMs caps one curl_multi_poll so timers curl keeps internally are serviced.
constexpr int kMaxPollMs = 1000;
// kBodyExcerptBytes: how much of an error body goes into a Status message.
constexpr size_t kBodyExcerptBytes = 200;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// Excerpt returns the start of `body` with control bytes replaced, for error messages.
std::string Excerpt(std::string_view body) {
  std::string out(body.substr(0, kBodyExcerptBytes));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '.';
  }
  if (body.size() > kBodyExcerptBytes) out += "...";
  return out;
}

}  // namespace

Status CheckHttpStatus(const HttpResponse& response, std::string_view what) {
  const int64_t code = response.status_code;
  if (code >= 200 && code < 300) return OkStatus();
  std::string message = std::string(what) + ": HTTP " + std::to_string(code);
  if (response.retry_after) message += " (Retry-After: " + *response.retry_after + ")";
  if (!response.body.empty()) message += ": " + Excerpt(response.body);
  if (code == 429 || (code >= 500 && code < 600)) return UnavailableError(std::move(message));
  return FailedPreconditionError(std::move(message));
}

struct HttpClient::Impl {
  // Transfer is the state of one request while curl owns its easy handle.
  struct Transfer {
    RequestId id = 0;
    std::string url;
    const char* method = "GET";
    std::string post_body;             // POST only; curl reads it in place
    curl_slist* headers = nullptr;     // POST only: Content-Type
    std::chrono::steady_clock::time_point started;
    CURL* easy = nullptr;
    size_t max_body_bytes = 0;
    std::string body;
    std::optional<std::string> retry_after;
    std::string content_encoding;  // lower case, as the final response gave it
    bool decode_gzip = false;      // we asked curl not to decode; Finish does it
    bool over_cap = false;
    char error[CURL_ERROR_SIZE] = {};
    ~Transfer() { curl_slist_free_all(headers); }
    std::string What() const { return std::string(method) + " " + url; }
  };

  CURLM* multi = nullptr;
  const StopSignal* stop = nullptr;
  std::function<void(const HttpExchange&)> on_complete;
  uint64_t waker_id = 0;  // stop's waker: curl_multi_wakeup, so Stop() ends a poll at once
  std::vector<CURL*> idle;
  std::unordered_map<RequestId, std::unique_ptr<Transfer>> active;
  std::deque<Completion> completed;
  RequestId next_id = 1;
  // The largest body seen so far (capped): new transfers reserve it, so a 600 KB
  // get-entries answer is not grown by a dozen reallocations and copies.
  size_t body_size_hint = 0;
  libdeflate_decompressor* decompressor = libdeflate_alloc_decompressor();

  static size_t OnBody(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    if (n > t->max_body_bytes - t->body.size()) {
      t->over_cap = true;
      return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    t->body.append(data, n);
    return n;
  }

  static size_t OnHeader(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    std::string_view line(data, n);
    if (StartsWithNoCase(line, "HTTP/")) {
      // A new response (after a redirect or a 100 Continue): forget the previous headers.
      t->retry_after.reset();
      t->content_encoding.clear();
    } else if (StartsWithNoCase(line, "retry-after:")) {
      t->retry_after = std::string(Trim(line.substr(12)));
    } else if (StartsWithNoCase(line, "content-encoding:")) {
      t->content_encoding = std::string(Trim(line.substr(17)));
      for (char& c : t->content_encoding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return n;
  }

  CURL* TakeHandle() {
    if (!idle.empty()) {
      CURL* easy = idle.back();
      idle.pop_back();
      curl_easy_reset(easy);
      return easy;
    }
    return curl_easy_init();
  }

  void ReturnHandle(CURL* easy) {
    curl_multi_remove_handle(multi, easy);
    if (idle.size() < kMaxIdleHandles) {
      idle.push_back(easy);
    } else {
      curl_easy_cleanup(easy);
    }
  }

  // Finish turns a transfer curl reported done into a Completion.
  Completion Finish(Transfer& t, CURLcode code) {
    Completion done{.id = t.id, .response = InternalError("unset")};
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
      if (t.decode_gzip && !t.content_encoding.empty() && t.content_encoding != "identity") {
        if (t.content_encoding != "gzip" && t.content_encoding != "x-gzip") {
          done.response = MalformedError(t.What() + ": unrequested Content-Encoding " + t.content_encoding);
          return done;
        }
        auto decoded = Gunzip(decompressor, t.body, t.max_body_bytes);
        if (!decoded.ok()) {
          done.response = Status(decoded.status().code(), t.What() + ": " + decoded.status().message());
          return done;
        }
        t.body = std::move(*decoded);
      }
      body_size_hint = std::max(body_size_hint, t.body.size());
      done.response = HttpResponse{
          .status_code = status, .body = std::move(t.body), .retry_after = std::move(t.retry_after)};
      return done;
    }
    std::string detail = t.error[0] != '\0' ? std::string(t.error) : curl_easy_strerror(code);
    std::string message = t.What() + ": " + detail;
    switch (code) {
      case CURLE_WRITE_ERROR:
      case CURLE_FILESIZE_EXCEEDED:
        if (t.over_cap || code == CURLE_FILESIZE_EXCEEDED) {
          done.response = MalformedError(t.What() + ": response body exceeds " +
                                         std::to_string(t.max_body_bytes) + " bytes");
        } else {
          done.response = InternalError(std::move(message));
        }
        break;
      case CURLE_BAD_CONTENT_ENCODING:
        done.response = MalformedError(std::move(message));
        break;
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_TOO_MANY_REDIRECTS:
        done.response = FailedPreconditionError(std::move(message));
        break;
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_COULDNT_CONNECT:
      case CURLE_OPERATION_TIMEDOUT:
      case CURLE_PARTIAL_FILE:
      case CURLE_GOT_NOTHING:
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_HTTP2:
      case CURLE_HTTP2_STREAM:
      case CURLE_HTTP3:
        done.response = UnavailableError(std::move(message));
        break;
      default:
        done.response = InternalError(std::move(message));
        break;
    }
    return done;
  }

  // Perform lets curl move every transfer forward and collects those that finished.
  void Perform() {
    int running = 0;
    curl_multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
      const CURLcode code = msg->data.result;
      completed.push_back(Finish(*t, code));
      Observe(*t, completed.back());
      ReturnHandle(t->easy);  // invalidates msg
      active.erase(t->id);
    }
  }

  void Poll(int timeout_ms) {
    curl_multi_poll(multi, nullptr, 0, std::clamp(timeout_ms, 0, kMaxPollMs), nullptr);
  }

  bool stopped() const { return stop != nullptr && stop->stopped(); }

  // Observe tells on_complete how a transfer ended.
  void Observe(const Transfer& t, const Completion& done) const {
    if (!on_complete) return;
    HttpExchange exchange{.method = t.method, .url = t.url};
    if (done.response.ok()) {
      exchange.status_code = done.response->status_code;
    } else {
      exchange.transport = done.response.status().code();
    }
    exchange.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t.started).count();
    on_complete(exchange);
  }

  // AbortAll ends every transfer in flight with kAborted (the stop signal was given).
  void AbortAll() {
    for (auto& [id, t] : active) {
      completed.push_back({.id = id, .response = Status(Code::kAborted, t->What() + ": stopped")});
      Observe(*t, completed.back());
      ReturnHandle(t->easy);
    }
    active.clear();
  }
};

HttpClient::HttpClient(HttpOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  GlobalInitOnce();
  impl_->multi = curl_multi_init();
  impl_->stop = options_.stop;
  impl_->on_complete = options_.on_complete;
  if (impl_->stop != nullptr) {
    CURLM* multi = impl_->multi;
    impl_->waker_id = impl_->stop->AddWaker([multi] { curl_multi_wakeup(multi); });
  }
  curl_multi_setopt(impl_->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                    static_cast<long>(options_.max_connections_per_host));
  curl_multi_setopt(impl_->multi, CURLMOPT_MAXCONNECTS,
                    static_cast<long>(std::max<int64_t>(options_.max_connections_per_host, 4)));
}

HttpClient::~HttpClient() {
  if (impl_->stop != nullptr) impl_->stop->RemoveWaker(impl_->waker_id);
  for (auto& [id, t] : impl_->active) {
    curl_multi_remove_handle(impl_->multi, t->easy);
    curl_easy_cleanup(t->easy);
  }
  for (CURL* easy : impl_->idle) curl_easy_cleanup(easy);
  curl_multi_cleanup(impl_->multi);
  libdeflate_free_decompressor(impl_->decompressor);
}

HttpClient::RequestId HttpClient::Start(std::string url, size_t max_body_bytes) {
  return StartRequest(std::move(url), std::nullopt, max_body_bytes);
}

HttpClient::RequestId HttpClient::StartPost(std::string url, HttpPost post, size_t max_body_bytes) {
  return StartRequest(std::move(url), std::move(post), max_body_bytes);
}

HttpClient::RequestId HttpClient::StartRequest(std::string url, std::optional<HttpPost> post, size_t max_body_bytes) {
  auto t = std::make_unique<Impl::Transfer>();
  t->id = impl_->next_id++;
  t->url = std::move(url);
  t->started = std::chrono::steady_clock::now();
  if (post) {
    t->method = "POST";
    t->post_body = std::move(post->body);
    t->headers = curl_slist_append(nullptr, ("Content-Type: " + post->content_type).c_str());
  }
  // A request's own limit can only lower the client's.
  t->max_body_bytes = max_body_bytes != 0 ? std::min(max_body_bytes, options_.max_response_bytes)
                                          : options_.max_response_bytes;
  if (impl_->stopped()) {
    impl_->completed.push_back({.id = t->id, .response = Status(Code::kAborted, t->What() + ": stopped")});
    return t->id;
  }
  t->body.reserve(std::min({impl_->body_size_hint, kMaxBodySizeHint, t->max_body_bytes}));
  t->easy = impl_->TakeHandle();
  CURL* e = t->easy;
  if (e == nullptr) {
    impl_->completed.push_back({.id = t->id, .response = InternalError("curl_easy_init failed")});
    return t->id;
  }
  curl_easy_setopt(e, CURLOPT_URL, t->url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::OnBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout_ms));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  // Rejects early when Content-Length announces too much; OnBody enforces it otherwise
  // (chunked answers, and decoded gzip which may be far larger than its transfer size).
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(t->max_body_bytes));
  if (options_.low_speed_bytes_per_s > 0 && options_.low_speed_time_ms > 0) {
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(options_.low_speed_bytes_per_s));
    // curl counts whole seconds.
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(std::max<int64_t>(1, (options_.low_speed_time_ms + 999) / 1000)));
  }
  // Whatever is offered here arrives decoded (gzip tiles included). gzip alone, the
  // default, is decoded by Finish with libdeflate rather than by curl with zlib.
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, options_.accept_encoding.c_str());
  if (options_.accept_encoding == "gzip") {
    curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    t->decode_gzip = true;
  }
  curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  if (t->headers != nullptr) {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->post_body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->post_body.size()));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  } else {
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  }
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, kMaxRedirects);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  const RequestId id = t->id;
  if (CURLMcode mc = curl_multi_add_handle(impl_->multi, e); mc != CURLM_OK) {
    curl_easy_cleanup(e);
    impl_->completed.push_back(
        {.id = id, .response = InternalError(std::string("curl_multi_add_handle: ") +
                                             curl_multi_strerror(mc))});
    return id;
  }
  impl_->active.emplace(id, std::move(t));
  return id;
}

std::optional<HttpClient::Completion> HttpClient::Wait(std::chrono::milliseconds max_wait) {
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  for (;;) {
    if (!impl_->completed.empty()) {
      Completion done = std::move(impl_->completed.front());
      impl_->completed.pop_front();
      return done;
    }
    if (impl_->active.empty()) return std::nullopt;
    if (impl_->stopped()) {
      impl_->AbortAll();
      continue;
    }
    impl_->Perform();
    if (!impl_->completed.empty()) continue;
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) return std::nullopt;
    impl_->Poll(static_cast<int>(std::min<int64_t>(remaining.count(), kMaxPollMs)));
  }
}

Result<HttpResponse> HttpClient::Get(std::string url, size_t max_body_bytes) {
  return AwaitOne(Start(std::move(url), max_body_bytes));
}

Result<HttpResponse> HttpClient::Post(std::string url, HttpPost post, size_t max_body_bytes) {
  return AwaitOne(StartPost(std::move(url), std::move(post), max_body_bytes));
}

Result<HttpResponse> HttpClient::AwaitOne(RequestId id) {
  for (;;) {
    auto it = std::find_if(impl_->completed.begin(), impl_->completed.end(),
                           [id](const Completion& c) { return c.id == id; });
    if (it != impl_->completed.end()) {
      Result<HttpResponse> response = std::move(it->response);
      impl_->completed.erase(it);
      return response;
    }
    if (impl_->stopped()) {
      impl_->AbortAll();
      continue;
    }
    impl_->Perform();
    if (impl_->active.count(id) != 0) impl_->Poll(kMaxPollMs);
  }
}

void HttpClient::Cancel(RequestId id) {
  if (auto it = impl_->active.find(id); it != impl_->active.end()) {
    impl_->ReturnHandle(it->second->easy);
    impl_->active.erase(it);
    return;
  }
  std::erase_if(impl_->completed, [id](const Completion& c) { return c.id == id; });
}

size_t HttpClient::in_flight() const { return impl_->active.size() + impl_->completed.size(); }

}  // namespace pinwatch::net
