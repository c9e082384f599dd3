// Exports: a pin-set version in the formats apps already use (`pinwatch pinset export NAME
// --format FORMAT`, and later the HTTP API). Each is built from the published document's
// facts; `ca_pins` says which of its pins are CA keys (intermediate or root) rather than
// leaf keys, which iOS App Transport Security keeps apart.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pins/document.h"

namespace pinwatch::pins {

enum class ExportFormat {
  kJson,        // the published document (pins/document.h), canonical, with a newline
  kAndroidNsc,  // res/xml/network_security_config.xml with <pin-set expiration="yyyy-MM-dd">
  kOkHttp,      // Kotlin CertificatePinner.Builder() lines; "**." for include_subdomains
  kTrustKit,    // TrustKit's configuration dictionary as an XML plist
  kIosAts,      // Info.plist NSAppTransportSecurity / NSPinnedDomains
  kApproov,     // JSON host -> [base64 pins]
};

// The names `--format` takes: json, android-nsc, okhttp, trustkit, ios-ats, approov.
std::optional<ExportFormat> ExportFormatFromName(std::string_view name);
std::string_view ExportFormatName(ExportFormat format);
// ExportFormatNames is "json, android-nsc, okhttp, trustkit, ios-ats, approov" for messages.
std::string ExportFormatNames();

// Export writes `doc` in `format`. Pure; every name and pin is escaped for its format.
std::string Export(const PinsetDocument& doc, const std::vector<std::string>& ca_pins, ExportFormat format);

}  // namespace pinwatch::pins
