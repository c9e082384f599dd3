#include "base/status.h"

namespace pinwatch {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kMalformed: return "malformed";
    case Code::kUnavailable: return "unavailable";
    case Code::kAborted: return "aborted";
    case Code::kInDoubt: return "in_doubt";
    case Code::kFailedPrecondition: return "failed_precondition";
    case Code::kNotFound: return "not_found";
    case Code::kMisbehaviour: return "misbehaviour";
    case Code::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(CodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

}  // namespace pinwatch
