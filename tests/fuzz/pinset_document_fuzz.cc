// Fuzzes ParsePinsetDocument (pins/document.h), which reads a document `pinset verify` is
// given (and, in apps, one fetched from the network). Invariants: never crashes; whatever
// it accepts writes back (CanonicalJson) as a document it accepts again with the same
// facts, and that canonical form is a fixed point.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pins/document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pinwatch::pins;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = ParsePinsetDocument(text);
  if (!doc.ok()) return 0;
  // Years outside 0-9999 cannot be written back as RFC 3339: the parser must not accept them.
  const std::string canonical = CanonicalJson(*doc);
  auto again = ParsePinsetDocument(canonical);
  if (!again.ok()) std::abort();
  if (again->name != doc->name || again->version != doc->version || again->names != doc->names ||
      again->pins != doc->pins || again->include_subdomains != doc->include_subdomains ||
      again->expires_unix_s != doc->expires_unix_s || again->published_at_unix_s != doc->published_at_unix_s) {
    std::abort();
  }
  if (CanonicalJson(*again) != canonical) std::abort();
  return 0;
}
