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

std::string ReadFileText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return {};
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<uint8_t> ReadFileBytes(const std::filesystem::path& path) {
  std::string text = ReadFileText(path);
  return std::vector<uint8_t>(text.begin(), text.end());
}

}  // namespace pinwatch::testing
