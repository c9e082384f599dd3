// Fuzzes the RFC 6962 JSON response parsers (ctlog/rfc6962_json.h) with one input fed to
// each. Invariants: no crash, no sanitizer report, and every error is kMalformed; a
// parsed get-sth re-parses from its canonical JSON to the same value; get-entries views
// lie inside the caller's buffer.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/encoding.h"
#include "ctlog/rfc6962_json.h"

namespace {

using namespace pinwatch;
using namespace pinwatch::ctlog;

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckMalformedIfError(const Status& s) { Check(s.ok() || s.code() == Code::kMalformed); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  auto sth = ParseGetSthResponse(body);
  CheckMalformedIfError(sth.status());
  if (sth.ok()) {
    const std::string again = "{\"tree_size\":" + std::to_string(sth->tree_size) +
                              ",\"timestamp\":" + std::to_string(sth->timestamp_ms) +
                              ",\"sha256_root_hash\":\"" + Base64Encode(sth->root_hash) +
                              "\",\"tree_head_signature\":\"" +
                              Base64Encode(EncodeDigitallySigned(sth->signature)) + "\"}";
    auto reparsed = ParseGetSthResponse(again);
    Check(reparsed.ok() && *reparsed == *sth);
  }
  CheckMalformedIfError(ParseGetSthConsistencyResponse(body).status());
  CheckMalformedIfError(ParseGetProofByHashResponse(body).status());
  CheckMalformedIfError(ParseGetEntryAndProofResponse(body).status());
  CheckMalformedIfError(ParseGetRootsResponse(body).status());

  // In situ on a fresh heap copy, so reads or writes past its end are caught.
  std::string buf(body.begin(), body.end());
  std::vector<RawEntry> entries;
  Status s = ParseGetEntriesResponse(buf, entries);
  CheckMalformedIfError(s);
  if (s.ok()) {
    for (const RawEntry& e : entries) {
      for (std::string_view v : {e.leaf_input_b64, e.extra_data_b64}) {
        Check(v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size()));
      }
    }
  }
  return 0;
}
