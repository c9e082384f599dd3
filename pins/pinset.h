// Pin-sets: the sets of SPKI pins that apps enforce for some of our names, as the
// configuration declares them (`pinsets:`); their versions live in the database
// (db/pin_store.h). A pin is a Hash (base/pin.h writes it "sha256/BASE64").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/sha256.h"

namespace pinwatch::pins {

// PinsetPolicy is one `pinsets` entry after validation.
struct PinsetPolicy {
  std::string name;                 // [a-z0-9][a-z0-9_-]{0,62}: also a file and URL name
  std::vector<std::string> names;   // DNS names it covers (each covered by a watch entry)
  bool include_subdomains = false;
  std::vector<Hash> pins;           // version 1 (and what `pinset adopt` makes current)
  int64_t min_pins = 2;
  int64_t approvals_required = 1;   // distinct approvers who must approve a change
  int64_t expiry_days = 60;         // the published set's expiry, 1..365
  int64_t remove_grace_days = 7;    // a key is proposed for removal this long after its
                                    // last certificate expired
};

// PublishConfig is `publish`: where signed pin-sets go.
struct PublishConfig {
  std::string signing_key;  // ECDSA P-256 private key, PEM; empty: nothing is published
  std::string directory;    // <directory>/<name>.json and .json.sig; served at /v1/pinsets/
};

}  // namespace pinwatch::pins
