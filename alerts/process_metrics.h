// The standard process_* metrics (as Prometheus's client libraries export them), which
// prometheus-cpp 1.0 does not provide: CPU time, memory, file descriptors, threads and the
// start time, read from /proc/self at each scrape. alerts/-internal (names prometheus-cpp).
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

namespace pinwatch::alerts {

// CollectProcessMetrics returns process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_start_time_seconds, process_open_fds,
// process_max_fds and process_threads; a value /proc does not give is left out.
std::vector<prometheus::MetricFamily> CollectProcessMetrics();

}  // namespace pinwatch::alerts
