// Fuzzes the listener's framing of requests as they arrive (api/request_head.h). The first
// byte chooses where the input is cut into two deliveries; the rest is what a client sent.
// Invariants: the verdict does not depend on how the bytes arrive (whole, or in two pieces,
// or a byte at a time); a complete head is at most the bytes given, ends in CRLF CRLF, holds
// no bare LF, and its body fits the limit; a refusal is one of 400, 411, 413, 414, 431;
// nothing is refused for being long within the limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/request_head.h"

namespace {

using pinwatch::api::Framing;
using pinwatch::api::HeadLimits;
using pinwatch::api::HeadScanner;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Same(const Framing& a, const Framing& b) {
  return a.verdict == b.verdict && a.status == b.status && a.head_bytes == b.head_bytes &&
         a.body_bytes == b.body_bytes && a.expect_continue == b.expect_continue &&
         a.expect_line_begin == b.expect_line_begin && a.expect_line_end == b.expect_line_end;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  // Small limits, so that short inputs reach every refusal.
  const HeadLimits limits{.max_request_line_bytes = 64,
                          .max_header_line_bytes = 48,
                          .max_head_bytes = 256,
                          .max_header_count = 6,
                          .max_body_bytes = 100};
  HeadScanner whole(limits);
  const Framing once = whole.Scan(in);

  const size_t cut = in.empty() ? 0 : data[0] % (in.size() + 1);
  HeadScanner two(limits);
  Framing first = two.Scan(in.substr(0, cut));
  // A verdict on a prefix stands (kNeedMore aside) and equals the whole input's.
  if (first.verdict != Framing::Verdict::kNeedMore) Check(Same(first, once));
  Check(Same(two.Scan(in), once));

  if (in.size() <= 512) {
    HeadScanner trickle(limits);
    Framing f;
    for (size_t n = 0; n <= in.size(); ++n) f = trickle.Scan(in.substr(0, n));
    Check(Same(f, once));
  }

  switch (once.verdict) {
    case Framing::Verdict::kComplete: {
      Check(once.head_bytes <= in.size() && once.head_bytes <= limits.max_head_bytes);
      const std::string_view head = in.substr(0, once.head_bytes);
      Check(head.ends_with("\r\n\r\n"));
      for (size_t i = 0; i < head.size(); ++i) Check(head[i] != '\n' || (i > 0 && head[i - 1] == '\r'));
      Check(once.body_bytes <= limits.max_body_bytes);
      if (once.expect_continue) {
        Check(once.expect_line_begin < once.expect_line_end && once.expect_line_end <= once.head_bytes);
        Check(head.substr(once.expect_line_end - 2, 2) == "\r\n");
      }
      break;
    }
    case Framing::Verdict::kRefuse:
      Check(once.status == 400 || once.status == 411 || once.status == 413 || once.status == 414 ||
            once.status == 431);
      Check(!once.reason.empty());
      break;
    case Framing::Verdict::kNeedMore:
      // Nothing wrong yet: within the head's limit, and no complete empty line.
      Check(in.size() <= limits.max_head_bytes);
      break;
  }
  return 0;
}
