#include "api/request_head.h"

#include <algorithm>

namespace pinwatch::api {
namespace {

// IsTchar: RFC 9110 section 5.6.2, token = 1*tchar.
bool IsTchar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), IsTchar); }

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Framing HeadScanner::Refuse(int status, std::string reason) {
  framing_ = {.verdict = Framing::Verdict::kRefuse, .status = status, .reason = std::move(reason)};
  return framing_;
}

Framing HeadScanner::Scan(std::string_view received) {
  while (framing_.verdict == Framing::Verdict::kNeedMore) {
    const size_t newline = received.find('\n', scanned_);
    const size_t line_end = newline == std::string_view::npos ? received.size() : newline + 1;
    const size_t line_bytes = line_end - line_begin_;
    // A line too long is refused as soon as it is, not when (if ever) it ends.
    if (!request_line_done_ && line_bytes > limits_.max_request_line_bytes) {
      // The target as far as it came, so that the answer can be in the shape its path expects.
      const std::string_view line = received.substr(0, line_end);
      const size_t space = line.find(' ');
      if (space != std::string_view::npos) target_ = std::string(line.substr(space + 1, line.find(' ', space + 1) - space - 1));
      return Refuse(414, "request line over " + std::to_string(limits_.max_request_line_bytes) + " bytes");
    }
    if (request_line_done_ && line_bytes > limits_.max_header_line_bytes) {
      return Refuse(431, "header line over " + std::to_string(limits_.max_header_line_bytes) + " bytes");
    }
    if (line_end > limits_.max_head_bytes) {
      return Refuse(431, "request head over " + std::to_string(limits_.max_head_bytes) + " bytes");
    }
    scanned_ = line_end;
    if (newline == std::string_view::npos) return framing_;
    const size_t begin = line_begin_;
    line_begin_ = line_end;
    const std::string_view line = received.substr(begin, line_end - begin);
    if (line.size() < 2 || line[line.size() - 2] != '\r') {
      return Refuse(400, "a line of the request head does not end in CRLF");
    }
    if (!request_line_done_) {
      RequestLine(line.substr(0, line.size() - 2));
    } else if (line.size() == 2) {
      EndOfHead(line_end);
    } else {
      HeaderLine(line.substr(0, line.size() - 2), begin);
    }
  }
  return framing_;
}

// request-line = method SP request-target SP HTTP-version (RFC 9112 section 3).
void HeadScanner::RequestLine(std::string_view line) {
  request_line_done_ = true;
  const size_t first = line.find(' ');
  const size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos) {
    Refuse(400, "malformed request line");
    return;
  }
  const std::string_view method = line.substr(0, first);
  const std::string_view target = line.substr(first + 1, second - first - 1);
  const std::string_view version = line.substr(second + 1);
  if (!IsToken(method) || target.empty() || (version != "HTTP/1.1" && version != "HTTP/1.0") ||
      std::any_of(target.begin(), target.end(), [](char c) { return c <= ' ' || c == 0x7f; })) {
    Refuse(400, "malformed request line");
    return;
  }
  target_ = std::string(target);
}

// field-line = field-name ":" OWS field-value OWS (RFC 9112 section 5); no obsolete line
// folding, no whitespace before the colon.
void HeadScanner::HeaderLine(std::string_view line, size_t begin) {
  if (++header_count_ > limits_.max_header_count) {
    Refuse(431, "over " + std::to_string(limits_.max_header_count) + " header fields");
    return;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
    Refuse(400, "malformed header field");
    return;
  }
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = TrimWhitespace(line.substr(colon + 1));
  if (EqualsIgnoringCase(name, "Content-Length")) {
    uint64_t length = 0;
    const bool digits = !value.empty() && value.size() <= 18 &&
                        std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    for (char c : digits ? value : std::string_view()) length = length * 10 + static_cast<uint64_t>(c - '0');
    // A second Content-Length, even an equal one, is how requests are smuggled past proxies.
    if (!digits || has_content_length_) {
      Refuse(400, "malformed or repeated Content-Length");
      return;
    }
    has_content_length_ = true;
    framing_.body_bytes = length;
  } else if (EqualsIgnoringCase(name, "Transfer-Encoding")) {
    has_transfer_encoding_ = true;
  } else if (EqualsIgnoringCase(name, "Expect") && EqualsIgnoringCase(value, "100-continue")) {
    framing_.expect_continue = true;
    framing_.expect_line_begin = begin;
    framing_.expect_line_end = begin + line.size() + 2;
  }
}

void HeadScanner::EndOfHead(size_t end) {
  // Bodies come with their length: a chunked body is refused before a byte of it is read,
  // so one without end holds nothing (RFC 9110 section 15.5.12).
  if (has_transfer_encoding_) {
    Refuse(411, "Transfer-Encoding is not accepted: send Content-Length");
    return;
  }
  if (framing_.body_bytes > limits_.max_body_bytes) {
    Refuse(413, "request body over " + std::to_string(limits_.max_body_bytes) + " bytes");
    return;
  }
  framing_.verdict = Framing::Verdict::kComplete;
  framing_.head_bytes = end;
}

}  // namespace pinwatch::api
