// Filled in below.
#include "monitor/cert_view.h"
