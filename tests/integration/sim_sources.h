// Shared by the tests that read a ctsim log over both APIs: the API parameter, and a
// LogSource for a running SimProcess.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ctlog/log_source.h"
#include "tests/support/sim_process.h"

namespace pinwatch::ctlog {

enum class Api { kRfc6962, kStaticCt };

inline std::string ApiName(const ::testing::TestParamInfo<Api>& info) {
  return info.param == Api::kRfc6962 ? "Rfc6962" : "StaticCt";
}

// NewSimSource returns a source for the log `sim` serves, over `api`.
inline std::unique_ptr<LogSource> NewSimSource(const testing::SimProcess& sim, Api api, LogSourceOptions options) {
  auto key = LogKey::FromPem(sim.PubkeyPem());
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  if (api == Api::kRfc6962) return NewRfc6962Source(sim.url(), *key, options);
  // ctsim's default checkpoint origin is HOST:PORT, the URL without scheme and slash.
  return NewStaticCtSource(sim.url(), sim.url(), DefaultOrigin(sim.url()), *key, options);
}

// StartSim starts ctsim with `args`, or fails the test and returns nullptr.
inline std::unique_ptr<testing::SimProcess> StartSim(const std::vector<std::string>& args) {
  auto sim = testing::SimProcess::Start(args);
  EXPECT_TRUE(sim.ok()) << sim.status().ToString();
  return sim.ok() ? std::move(*sim) : nullptr;
}

}  // namespace pinwatch::ctlog
