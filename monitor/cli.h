// The CLI's shared edge: arguments as `pinwatch` splits them, and the helpers every command
// uses to end with a clear message and exit code (2: bad usage, configuration, database).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "monitor/config.h"

namespace pinwatch::monitor {

struct Args {
  std::optional<std::string> config;
  std::string command;
  std::vector<std::string> rest;
};

[[noreturn]] void UsageError(const std::string& message);

// ParseCount returns the number written in `text`: decimal digits only (no sign, space or
// prefix), at most INT64_MAX (what PostgreSQL's bigint holds); nullopt otherwise, also on
// overflow (strtoll would clamp it to INT64_MAX instead, issue 13).
std::optional<int64_t> ParseCount(const std::string& text);

// SplitComma splits "a,b,,c" into {"a", "b", "c"}.
std::vector<std::string> SplitComma(const std::string& s);

// LogToStderr writes a daemon log line: UTC time, then the line; one writer at a time.
void LogToStderr(const std::string& line);

// LoadConfigOrDie reads --config or exits 2 with the parser's message.
Config LoadConfigOrDie(const Args& args);

// DieWith ends the command with the message and exit code 2: a store call that cannot even
// start (no database, another schema version).
[[noreturn]] void DieWith(const Status& s);

// CheckSchemaOrDie exits 2 unless the database is at this pinwatch's schema version.
void CheckSchemaOrDie(const Config& config);

}  // namespace pinwatch::monitor
