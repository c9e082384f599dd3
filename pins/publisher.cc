#include "pins/publisher.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

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
  // A temporary name of its own: the daemon's pass, `proposals approve` and replicas sharing
  // a directory may publish at the same moment, and one fixed name let one writer's rename
  // take the other's file away (seen: "cannot replace: No such file or directory").
  std::string temp = path + ".XXXXXX";
  const int fd = mkstemp(temp.data());
  if (fd < 0) return FailedPreconditionError(path + ": cannot write beside it: " + std::strerror(errno));
  // mkstemp makes it 0600; whoever serves the directory must be able to read it.
  fchmod(fd, 0644);
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      close(fd);
      unlink(temp.c_str());
      return FailedPreconditionError(temp + ": cannot write: " + std::strerror(error));
    }
    written += static_cast<size_t>(n);
  }
  if (close(fd) != 0 || std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    unlink(temp.c_str());
    return FailedPreconditionError(path + ": cannot replace: " + std::strerror(error));
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
