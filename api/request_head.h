// HeadScanner: where one HTTP/1.1 request ends in the bytes a connection has received, and
// whether the listener takes it at all, decided as the bytes arrive and before any of them
// reach cpp-httplib's parser (which has no bound on a line's length, a head's header count
// or a chunked body, and reads a Content-Length it will refuse to its end first). It checks
// only framing (RFC 9112 section 2-6): the request line's shape, header lines, the body's
// length; httplib still parses what it passes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pinwatch::api {

struct HeadLimits {
  size_t max_request_line_bytes = 8192;  // CRLF included (httplib's own limit): else 414
  size_t max_header_line_bytes = 8192;   // CRLF included: else 431
  size_t max_head_bytes = 32 << 10;      // the request line, the headers and the blank line: else 431
  size_t max_header_count = 100;         // else 431
  size_t max_body_bytes = 64 << 10;      // Content-Length: else 413
};

// Framing is HeadScanner::Scan's verdict on the bytes so far.
struct Framing {
  enum class Verdict {
    kNeedMore,  // the head has not ended yet, and nothing is wrong so far
    kComplete,  // the head ended: the request is head_bytes + body_bytes long
    kRefuse,    // answer `status` (400, 411, 413, 414, 431) and close the connection
  };
  Verdict verdict = Verdict::kNeedMore;
  int status = 0;      // kRefuse
  std::string reason;  // kRefuse: what was wrong, for the answer's body
  size_t head_bytes = 0;
  uint64_t body_bytes = 0;  // Content-Length, 0 without one
  // expect_continue: the head asks for "100 Continue" before its body is sent; the header's
  // line is bytes [expect_line_begin, expect_line_end) of the head.
  bool expect_continue = false;
  size_t expect_line_begin = 0, expect_line_end = 0;
};

class HeadScanner {
 public:
  explicit HeadScanner(HeadLimits limits = {}) : limits_(limits) {}

  // Scan looks at `received`, the bytes of one connection from the start of a request (the
  // same buffer each time, grown), carrying on where the last call stopped. After
  // kComplete or kRefuse it returns the same verdict again.
  Framing Scan(std::string_view received);

  // target is the request-target once the request line has been read ("" before).
  const std::string& target() const { return target_; }

 private:
  Framing Refuse(int status, std::string reason);
  void RequestLine(std::string_view line);
  void HeaderLine(std::string_view line, size_t begin);
  void EndOfHead(size_t end);

  HeadLimits limits_;
  Framing framing_;
  size_t line_begin_ = 0;  // where the line being read starts
  size_t scanned_ = 0;     // bytes looked at so far
  bool request_line_done_ = false;
  size_t header_count_ = 0;
  bool has_content_length_ = false;
  bool has_transfer_encoding_ = false;
  std::string target_;
};

}  // namespace pinwatch::api
