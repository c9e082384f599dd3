#include "base/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace pinwatch {

Result<std::string> ReadFile(const std::string& path, const std::string& what, size_t max_bytes) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return FailedPreconditionError(path + ": cannot open " + what + ": " + std::strerror(errno));
  std::string text;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
    text.append(buffer, n);
    if (text.size() > max_bytes) break;
  }
  if (std::ferror(file.get())) {
    return FailedPreconditionError(path + ": cannot read " + what + ": " + std::strerror(errno));
  }
  return text;
}

}  // namespace pinwatch
