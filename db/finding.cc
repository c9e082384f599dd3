#include "db/finding.h"

#include <array>

namespace pinwatch::db {
namespace {

constexpr std::array kKinds = {FindingKind::kUnexpectedIssuer, FindingKind::kUnexpectedKey, FindingKind::kKnownKey,
                               FindingKind::kMalformed, FindingKind::kLogMisbehaviour, FindingKind::kStalePinset,
                               FindingKind::kUnexpectedIssuerServed, FindingKind::kInterception};
constexpr std::array kSeverities = {Severity::kInfo, Severity::kWarning, Severity::kCritical};
constexpr std::array kStatuses = {FindingStatus::kOpen, FindingStatus::kAcknowledged, FindingStatus::kResolved};

template <class E, size_t N>
std::optional<E> FromName(std::string_view name, const std::array<E, N>& all, std::string_view (*name_of)(E)) {
  for (E e : all) {
    if (name_of(e) == name) return e;
  }
  return std::nullopt;
}

}  // namespace

std::string_view FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kUnexpectedIssuer: return "unexpected_issuer";
    case FindingKind::kUnexpectedKey: return "unexpected_key";
    case FindingKind::kKnownKey: return "known_key";
    case FindingKind::kMalformed: return "malformed";
    case FindingKind::kLogMisbehaviour: return "log_misbehaviour";
    case FindingKind::kStalePinset: return "stale_pinset";
    case FindingKind::kUnexpectedIssuerServed: return "unexpected_issuer_served";
    case FindingKind::kInterception: return "interception";
  }
  return "unknown";
}

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kCritical: return "critical";
  }
  return "unknown";
}

std::string_view FindingStatusName(FindingStatus status) {
  switch (status) {
    case FindingStatus::kOpen: return "open";
    case FindingStatus::kAcknowledged: return "acknowledged";
    case FindingStatus::kResolved: return "resolved";
  }
  return "unknown";
}

std::optional<FindingKind> FindingKindFromName(std::string_view name) { return FromName(name, kKinds, FindingKindName); }
std::optional<Severity> SeverityFromName(std::string_view name) { return FromName(name, kSeverities, SeverityName); }
std::optional<FindingStatus> FindingStatusFromName(std::string_view name) {
  return FromName(name, kStatuses, FindingStatusName);
}

Severity SeverityOf(FindingKind kind) {
  switch (kind) {
    case FindingKind::kUnexpectedIssuer:
    case FindingKind::kLogMisbehaviour:
    case FindingKind::kStalePinset:
    case FindingKind::kUnexpectedIssuerServed: return Severity::kCritical;
    case FindingKind::kUnexpectedKey:
    case FindingKind::kMalformed:
    case FindingKind::kInterception: return Severity::kWarning;
    case FindingKind::kKnownKey: return Severity::kInfo;
  }
  return Severity::kCritical;
}

}  // namespace pinwatch::db
