#include "ctlog/log_source.h"

namespace pinwatch::ctlog {

std::string_view EndpointOfUrl(std::string_view url) {
  // The path, without scheme, host and query.
  if (size_t scheme = url.find("://"); scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  const size_t slash = url.find('/');
  std::string_view path = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  if (size_t query = path.find('?'); query != std::string_view::npos) path = path.substr(0, query);
  // RFC 6962 §4: .../ct/v1/<method>; the longest names first where one prefixes another.
  if (size_t v1 = path.rfind("/ct/v1/"); v1 != std::string_view::npos) {
    const std::string_view method = path.substr(v1 + 7);
    for (std::string_view known : {"get-sth-consistency", "get-sth", "get-entries", "get-entry-and-proof",
                                   "get-proof-by-hash", "get-roots"}) {
      if (method == known) return known;
    }
    return "other";
  }
  // C2SP static-ct-api: <prefix>/checkpoint, <prefix>/tile/data/..., <prefix>/tile/..., <prefix>/issuer/...
  if (path.ends_with("/checkpoint")) return "checkpoint";
  if (path.find("/tile/data/") != std::string_view::npos) return "data-tile";
  if (path.find("/tile/") != std::string_view::npos) return "tile";
  if (path.find("/issuer/") != std::string_view::npos) return "issuer";
  return "other";
}

}  // namespace pinwatch::ctlog
