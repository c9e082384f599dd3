#include "monitor/cli.h"

#include <malloc.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <mutex>

#include "base/time.h"
#include "db/postgres.h"

namespace pinwatch::monitor {

[[noreturn]] void UsageError(const std::string& message) {
  std::cerr << "pinwatch: " << message << "\n(see pinwatch --help)\n";
  std::exit(2);
}



std::optional<int64_t> ParseCount(const std::string& text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

void LogToStderr(const std::string& line) {
  static std::mutex mu;
  std::time_t now = std::time(nullptr);
  std::string stamp = FormatRfc3339(static_cast<int64_t>(now));
  std::lock_guard lock(mu);
  std::cerr << stamp << " pinwatch: " << line << std::endl;
}



Config LoadConfigOrDie(const Args& args) {
  if (!args.config) UsageError("--config FILE is required");
  auto config = LoadConfigFile(*args.config);
  if (!config.ok()) {
    std::cerr << "pinwatch: " << config.status().message() << "\n";
    std::exit(2);
  }
  // yaml-cpp's node tree, about 2 KB per watch name, is freed by now, but M_TRIM_THRESHOLD
  // (main) keeps freed heap in the process: give it back once, or `run` with 100,000 names
  // would hold some 200 MB it no longer uses for as long as it runs (issue 13).
  malloc_trim(0);
  return std::move(*config);
}

[[noreturn]] void DieWith(const Status& s) {
  std::cerr << "pinwatch: " << s.message() << "\n";
  std::exit(2);
}

void CheckSchemaOrDie(const Config& config) {
  if (Status s = db::CheckSchema(config.database_url); !s.ok()) DieWith(s);
}

}  // namespace pinwatch::monitor
