// ctlog's names for the SHA-256 vocabulary of base/sha256.h: every hash in CT (leaves,
// nodes, log IDs, fingerprints) is SHA-256.
#pragma once

#include "base/sha256.h"

namespace pinwatch::ctlog {

using pinwatch::Hash;
using pinwatch::Sha256;
using pinwatch::Sha256Of;

}  // namespace pinwatch::ctlog
