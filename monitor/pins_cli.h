// The pin-set commands of `pinwatch` (issue 16): pinset, proposals, operator, audit,
// keygen. Each returns the process exit code: 0 done; 1 refused (a failing safety check,
// a proposal already decided, an unknown operator, a signature that does not verify);
// 2 bad usage, configuration or database.
#pragma once

#include "monitor/cli.h"

namespace pinwatch::monitor {

int PinsetCommand(const Args& args);
int ProposalsCommand(const Args& args);
int OperatorCommand(const Args& args);
int AuditCommand(const Args& args);
int KeygenCommand(const Args& args);

// The usage texts (`pinwatch help COMMAND`).
extern const char kPinsetUsage[];
extern const char kProposalsUsage[];
extern const char kOperatorUsage[];
extern const char kAuditUsage[];
extern const char kKeygenUsage[];

}  // namespace pinwatch::monitor
