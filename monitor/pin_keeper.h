// PinKeeper: the daemon's pin-set job, beside the log workers and the alert sender. At
// start it makes version 1 of every configured pin-set the database does not know and says
// when the configuration's pins differ from the version in force (they are not applied
// silently: `pinwatch pinset adopt NAME`). Then, every pass: proposals from what the workers
// committed (pins/proposer.h) and the current versions signed and written out
// (pins/publisher.h). It meets the workers only in the database.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "base/stop_signal.h"
#include "db/connection_pool.h"
#include "db/pin_store.h"
#include "monitor/config.h"
#include "pins/proposer.h"
#include "pins/publisher.h"

namespace pinwatch::monitor {

class PinKeeper {
 public:
  using LogLine = std::function<void(const std::string&)>;
  // Start connects, makes missing first versions and loads the signing key; nullptr-free
  // errors: kFailedPrecondition for an unusable signing key or directory, database errors
  // as the store gives them. With no pin-sets configured it does nothing.
  static Result<std::unique_ptr<PinKeeper>> Start(const Config& config, std::shared_ptr<db::ConnectionPool> pool,
                                                  LogLine log_line);

  // Pass runs the proposer, then the publisher.
  Status Pass();
  // Run passes every `interval_ms` until `stop`; a failing pass is logged once per
  // distinct error and tried again at the next.
  void Run(const StopSignal& stop, int64_t interval_ms);

 private:
  PinKeeper(std::unique_ptr<db::PinStore> store, const Config& config, LogLine log_line);
  std::unique_ptr<db::PinStore> store_;
  pins::Proposer proposer_;
  std::optional<pins::Publisher> publisher_;
  LogLine log_line_;
};

}  // namespace pinwatch::monitor
