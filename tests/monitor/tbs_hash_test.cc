// Filled in below.
#include "monitor/tbs_hash.h"
