#include "tests/support/testdata.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace pinwatch::testing {

std::filesystem::path TestdataDir() {
  if (const char* env = std::getenv("PINWATCH_TESTDATA"); env != nullptr && *env != '\0') {
    return env;
  }
  return PINWATCH_DEFAULT_TESTDATA;
}

std::optional<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string ReadFileText(const std::filesystem::path& path) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) ADD_FAILURE() << "cannot read " << path;
  return text.value_or("");
}

std::vector<uint8_t> ReadFileBytes(const std::filesystem::path& path) {
  std::string text = ReadFileText(path);
  return std::vector<uint8_t>(text.begin(), text.end());
}

}  // namespace pinwatch::testing
