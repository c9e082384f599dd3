#include "monitor/pin_keeper.h"

#include <algorithm>
#include <chrono>

#include "base/pin.h"
#include "base/time.h"
#include "db/postgres.h"

namespace pinwatch::monitor {

PinKeeper::PinKeeper(std::unique_ptr<db::PinStore> store, const Config& config, LogLine log_line)
    : store_(std::move(store)), proposer_(config.pinsets, *store_, log_line), log_line_(std::move(log_line)) {}

Result<std::unique_ptr<PinKeeper>> PinKeeper::Start(const Config& config, std::shared_ptr<db::ConnectionPool> pool,
                                                   LogLine log_line) {
  std::unique_ptr<PinKeeper> keeper(new PinKeeper(db::PinStoreOn(std::move(pool)), config, log_line));
  std::vector<std::string> names;
  for (const pins::PinsetPolicy& p : config.pinsets) {
    names.push_back(p.name);
    Result<db::PinsetVersion> current = keeper->store_->EnsureFirstVersion(
        {.pinset = p.name, .pins = p.pins, .names = p.names, .include_subdomains = p.include_subdomains,
         .expiry_days = p.expiry_days});
    if (!current.ok()) return current.status();
    std::vector<Hash> configured = p.pins;
    std::sort(configured.begin(), configured.end());
    if (configured != current->pins && log_line) {
      log_line("pin-set " + p.name + ": the configuration's pins differ from version " +
               std::to_string(current->version) + " in the database, which stays in force; `pinwatch pinset adopt " +
               p.name + " --operator NAME` makes them version " + std::to_string(current->version + 1));
    }
  }
  if (!config.publish.signing_key.empty()) {
    auto publisher = pins::Publisher::Create(config.publish, names, *keeper->store_, log_line);
    if (!publisher.ok()) return publisher.status();
    keeper->publisher_.emplace(*std::move(publisher));
  } else if (!config.pinsets.empty() && log_line) {
    log_line("pin-sets: no `publish` section, so approved versions are not signed or published");
  }
  return keeper;
}

Status PinKeeper::Pass() {
  const int64_t now_s = UnixNowMs() / 1000;
  Result<pins::PassSummary> summary = proposer_.Pass(now_s);
  if (!summary.ok()) return summary.status();
  if (publisher_) return publisher_->Pass(now_s);
  return OkStatus();
}

void PinKeeper::Run(const StopSignal& stop, int64_t interval_ms) {
  std::string last_error;
  while (!stop.stopped()) {
    Status s = Pass();
    if (!s.ok() && s.message() != last_error && log_line_) log_line_("pin-sets: " + s.message() + "; trying again");
    if (s.ok() && !last_error.empty() && log_line_) log_line_("pin-sets: working again");
    last_error = s.ok() ? std::string() : s.message();
    if (stop.WaitFor(std::chrono::milliseconds(interval_ms))) break;
  }
}

}  // namespace pinwatch::monitor
