// Access to ../shared/testdata (real CT data gathered from public sources), overridable
// with PINWATCH_TESTDATA. Tests that need it derive from TestdataTest, which skips with
// a message naming the missing path instead of failing obscurely.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace pinwatch::testing {

// TestdataDir returns $PINWATCH_TESTDATA, or ../shared/testdata beside the checkout.
std::filesystem::path TestdataDir();

// ReadFile returns the whole file, or nullopt when it cannot be read (for logs that may not
// exist, such as a child process's stderr).
std::optional<std::string> ReadFile(const std::filesystem::path& path);

// ReadFileBytes/ReadFileText return the whole file; they fail the current test (and return
// empty) when it cannot be read.
std::vector<uint8_t> ReadFileBytes(const std::filesystem::path& path);
std::string ReadFileText(const std::filesystem::path& path);

class TestdataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::is_directory(TestdataDir())) {
      GTEST_SKIP() << "shared test data absent: " << TestdataDir()
                   << " (set PINWATCH_TESTDATA to its path)";
    }
  }
  static std::filesystem::path Path(const std::string& relative) { return TestdataDir() / relative; }
};

}  // namespace pinwatch::testing
