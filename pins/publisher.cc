#include "pins/publisher.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/file.h"
#include "base/pin.h"

namespace pinwatch::pins {

PinsetDocument DocumentOf(const db::PinsetVersion& version, int64_t published_at_unix_s) {
  PinsetDocument doc{.name = version.pinset,
                     .version = version.version,
                     .names = version.names,
                     .include_subdomains = version.include_subdomains,
                     .expires_unix_s = published_at_unix_s + version.expiry_days * 86400,
                     .published_at_unix_s = published_at_unix_s};
  for (const Hash& pin : version.pins) doc.pins.push_back(PinText(pin));
  return doc;
}

PinsetDocument ExportDocumentOf(const db::PinsetVersion& version, int64_t now_s) {
  if (Result<PinsetDocument> published = ParsePinsetDocument(version.document); published.ok()) {
    return *std::move(published);
  }
  return DocumentOf(version, now_s);
}

Status WriteFileAtomically(const std::string& path, const std::string& bytes) {
  if (Result<std::string> old = ReadFile(path, "published file", bytes.size() + 1); old.ok() && *old == bytes) {
    return OkStatus();
  }
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) return FailedPreconditionError(temp + ": cannot write: " + std::strerror(errno));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    return FailedPreconditionError(path + ": cannot replace: " + std::strerror(errno));
  }
  return OkStatus();
}

Result<Publisher> Publisher::Create(const PublishConfig& config, std::vector<std::string> pinsets, db::PinStore& store,
                                    LogLine log_line) {
  Result<SigningKey> key = SigningKey::LoadPemFile(config.signing_key);
  if (!key.ok()) return FailedPreconditionError("publish.signing_key: " + key.status().message());
  std::error_code ec;
  std::filesystem::create_directories(config.directory, ec);
  if (ec || !std::filesystem::is_directory(config.directory)) {
    return FailedPreconditionError("publish.directory: " + config.directory + ": cannot create or use it" +
                                   (ec ? ": " + ec.message() : std::string()));
  }
  return Publisher(config, *std::move(key), std::move(pinsets), store, std::move(log_line));
}

Status Publisher::Pass(int64_t now_s) {
  for (const std::string& name : pinsets_) {
    Result<db::PinsetVersion> current = store_->CurrentVersion(name);
    if (!current.ok()) return current.status();
    if (current->document.empty()) {
      const std::string document = CanonicalJson(DocumentOf(*current, now_s));
      Result<std::vector<uint8_t>> signature =
          key_.Sign(Bytes(reinterpret_cast<const uint8_t*>(document.data()), document.size()));
      if (!signature.ok()) return signature.status();
      Result<db::PinsetVersion> stored =
          store_->MarkPublished(name, current->version, document, SignatureFileText(*signature));
      if (!stored.ok()) return stored.status();
      current = std::move(stored);
      if (log_line_) {
        log_line_("pin-set " + name + " version " + std::to_string(current->version) + " published (" +
                  std::to_string(current->pins.size()) + " pins, signed by " + key_.PublicKeyPin() + ")");
      }
    }
    const std::string base = config_.directory + "/" + name + ".json";
    // Each file is replaced whole; between the two renames a reader may pair the new document
    // with the old signature, which fails to verify, and an app keeps the set it has.
    if (Status s = WriteFileAtomically(base, current->document); !s.ok()) return s;
    if (Status s = WriteFileAtomically(base + ".sig", current->signature); !s.ok()) return s;
  }
  return OkStatus();
}

}  // namespace pinwatch::pins
