// Fuzz target for the simulator's two JSON inputs: the plan (--plan) and the fault set
// (POST /sim/faults, reachable over HTTP). Invariants: any input either parses or fails
// with kMalformed; a parsed fault set survives FaultsJson -> ParseFaultsJson unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sim/entries.h"
#include "sim/server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto plan = pinwatch::sim::ParsePlanJson(in, pinwatch::sim::Plan{});
  if (!plan.ok() && plan.status().code() != pinwatch::Code::kMalformed) std::abort();
  if (plan.ok()) (void)pinwatch::sim::ValidatePlan(*plan);
  auto faults = pinwatch::sim::ParseFaultsJson(in);
  if (!faults.ok()) {
    if (faults.status().code() != pinwatch::Code::kMalformed) std::abort();
    return 0;
  }
  auto again = pinwatch::sim::ParseFaultsJson(pinwatch::sim::FaultsJson(*faults));
  if (!again.ok() || pinwatch::sim::FaultsJson(*again) != pinwatch::sim::FaultsJson(*faults)) std::abort();
  return 0;
}
