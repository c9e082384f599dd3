#include "alerts/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace pinwatch::alerts {
namespace {

prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type, double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) m.counter.value = value;
  else m.gauge.value = value;
  f.metric.push_back(std::move(m));
  return f;
}

// BootTimeUnixS is /proc/stat's btime: process start times count from it.
std::optional<double> BootTimeUnixS() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

}  // namespace

std::vector<prometheus::MetricFamily> CollectProcessMetrics() {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // The command name (field 2) is in parentheses and may hold spaces: read after the last ')'.
  const size_t close = stat.rfind(')');
  if (close != std::string::npos && ticks > 0) {
    std::istringstream fields(stat.substr(close + 2));
    // Fields 3.. of proc(5): state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
    // cmajflt utime(14) stime(15) cutime cstime priority nice num_threads(20) itrealvalue
    // starttime(22) vsize(23) rss(24).
    std::string field;
    std::vector<std::string> f;
    while (fields >> field && f.size() < 22) f.push_back(field);
    if (f.size() == 22) {
      const double utime = std::stod(f[11]), stime = std::stod(f[12]);
      out.push_back(Family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                           MetricType::Counter, (utime + stime) / ticks));
      out.push_back(Family("process_threads", "Number of OS threads in the process.", MetricType::Gauge, std::stod(f[17])));
      if (std::optional<double> boot = BootTimeUnixS()) {
        out.push_back(Family("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                             MetricType::Gauge, *boot + std::stod(f[19]) / ticks));
      }
      out.push_back(Family("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
                           std::stod(f[20])));
      out.push_back(Family("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
                           std::stod(f[21]) * page));
    }
  }
  std::error_code ec;
  size_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  if (!ec) out.push_back(Family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, static_cast<double>(fds)));
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(Family("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
                         static_cast<double>(limit.rlim_cur)));
  }
  return out;
}

}  // namespace pinwatch::alerts
