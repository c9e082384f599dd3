// ReadFile: the whole of a small file (a config, a log list, a key), as errors-as-values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace pinwatch {

// ReadFile returns the bytes of the file at `path`, or kFailedPrecondition
// "PATH: cannot open WHAT: <strerror>" (or "cannot read WHAT"). It stops after max_bytes + 1
// bytes, so a caller with a size limit can tell "too big" without reading a huge file.
Result<std::string> ReadFile(const std::string& path, const std::string& what, size_t max_bytes = SIZE_MAX - 1);

}  // namespace pinwatch
