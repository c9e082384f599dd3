#include "pins/publisher.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
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

namespace {

// kTemporarySuffixLength is mkostemp's "XXXXXX": WriteFileAtomically's temporary files are
// PATH.XXXXXX.
constexpr size_t kTemporarySuffixLength = 6;
// kAbandonedAfterSeconds: an unlocked temporary file this old is no writer's. A writer
// locks its file right after making it; younger ones may be between the two.
constexpr int64_t kAbandonedAfterSeconds = 2;

// RemoveAbandonedTemporaries removes the temporary files of `path` that no writer holds. A
// writer keeps its own locked (flock) from creation until it is renamed into place; one
// killed on the way (kill -9 while publishing, issue 19) left it in the directory for good.
// Best effort: what cannot be removed now is removed by a later write.
void RemoveAbandonedTemporaries(const std::string& path) {
  const std::filesystem::path target(path);
  const std::string prefix = target.filename().string() + ".";
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != prefix.size() + kTemporarySuffixLength || !name.starts_with(prefix)) continue;
    const int fd = open(entry.path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    struct stat st {};
    const bool old = fstat(fd, &st) == 0 && std::time(nullptr) - st.st_mtime >= kAbandonedAfterSeconds;
    // Old and unlocked: its writer is gone.
    if (old && flock(fd, LOCK_EX | LOCK_NB) == 0) unlink(entry.path().c_str());
    close(fd);
  }
}

}  // namespace

Status WriteFileAtomically(const std::string& path, const std::string& bytes) {
  RemoveAbandonedTemporaries(path);
  if (Result<std::string> old = ReadFile(path, "published file", bytes.size() + 1); old.ok() && *old == bytes) {
    return OkStatus();
  }
  // A temporary name of its own: the daemon's pass, `proposals approve` and replicas sharing
  // a directory may publish at the same moment, and one fixed name let one writer's rename
  // take the other's file away (seen: "cannot replace: No such file or directory").
  std::string temp;
  int fd = -1;
  for (int attempt = 0;; ++attempt) {
    temp = path + ".XXXXXX";
    fd = mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) return FailedPreconditionError(path + ": cannot write beside it: " + std::strerror(errno));
    // Locked until it is renamed (see RemoveAbandonedTemporaries). Unlinked between mkostemp
    // and the lock (this thread stalled for seconds, or clocks disagree): another writer
    // took it for abandoned; make another. A file system without locks: write unprotected
    // (nobody can remove it then either).
    struct stat st {};
    if (flock(fd, LOCK_EX) != 0 || (fstat(fd, &st) == 0 && st.st_nlink > 0)) break;
    close(fd);
    if (attempt == 2) return FailedPreconditionError(temp + ": removed as soon as it was made");
  }
  // mkostemp makes it 0600; whoever serves the directory must be able to read it.
  fchmod(fd, 0644);
  // The lock is held through a second descriptor until after the rename, so that close(fd)
  // can still report a deferred write error (NFS) before the file is put in place.
  const int locked = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  auto fail = [&](const std::string& what, int error) {
    unlink(temp.c_str());
    if (locked >= 0) close(locked);
    return FailedPreconditionError(what + std::strerror(error));
  };
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      close(fd);
      return fail(temp + ": cannot write: ", error);
    }
    written += static_cast<size_t>(n);
  }
  if (close(fd) != 0 || std::rename(temp.c_str(), path.c_str()) != 0) return fail(path + ": cannot replace: ", errno);
  if (locked >= 0) close(locked);
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
