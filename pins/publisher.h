// The publisher: every pin-set's current version as a signed document (pins/document.h,
// pins/signing.h) in the database and in publish.directory. The first replica to publish a
// version stores its document and signature (PinStore::MarkPublished); every replica then
// writes those same bytes to its directory, so apps get one document whichever replica
// serves them. Versions stay in the database; the directory holds the current one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "db/pin_store.h"
#include "pins/document.h"
#include "pins/pinset.h"
#include "pins/signing.h"

namespace pinwatch::pins {

// DocumentOf is the document a version is published as at `published_at_unix_s`.
PinsetDocument DocumentOf(const db::PinsetVersion& version, int64_t published_at_unix_s);

// ExportDocumentOf is what an export of `version` says: its published document (with the
// expiry apps were given), or, before publication, DocumentOf(version, now_s).
PinsetDocument ExportDocumentOf(const db::PinsetVersion& version, int64_t now_s);

// WriteFileAtomically replaces `path` with `bytes` (written beside it under a unique name,
// PATH.XXXXXX, locked until it is renamed), so a reader never sees half a document and
// concurrent writers do not collide. Skips the write when the file already holds them.
// First removes the temporary files of `path` that no writer holds (left by one that was
// killed). Thread-safe, and safe between processes sharing the directory.
Status WriteFileAtomically(const std::string& path, const std::string& bytes);

class Publisher {
 public:
  using LogLine = std::function<void(const std::string&)>;
  // Create loads the signing key and makes the directory; kFailedPrecondition naming the
  // file or directory when either cannot be used.
  static Result<Publisher> Create(const PublishConfig& config, std::vector<std::string> pinsets, db::PinStore& store,
                                  LogLine log_line);

  // Pass publishes every pin-set's current version not yet published and writes each
  // current document and .sig to the directory.
  Status Pass(int64_t now_s);

 private:
  Publisher(PublishConfig config, SigningKey key, std::vector<std::string> pinsets, db::PinStore& store, LogLine log_line)
      : config_(std::move(config)), key_(std::move(key)), pinsets_(std::move(pinsets)), store_(&store),
        log_line_(std::move(log_line)) {}
  PublishConfig config_;
  SigningKey key_;
  std::vector<std::string> pinsets_;
  db::PinStore* store_;
  LogLine log_line_;
};

}  // namespace pinwatch::pins
