#include "db/migrations.h"

#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/transaction>

#include "db/pq_status.h"

namespace pinwatch::db {

namespace {

// Advisory lock key for migrations: any constant that no other part takes ("pinwatch").
constexpr int64_t kMigrationLockKey = 0x70696e7761746368;

// Version 1: logs with their place and lease, certificates by TBS hash, the log entries
// they appeared at, findings, and the replicas that share the work.
constexpr const char kInitialSchema[] = R"sql(
CREATE TABLE logs (
  log_id                bytea PRIMARY KEY CHECK (octet_length(log_id) = 32),
  description           text NOT NULL,
  api                   text NOT NULL CHECK (api IN ('rfc6962', 'static-ct')),
  url                   text NOT NULL,            -- RFC 6962 url, or static-ct monitoring_url
  submission_url        text NOT NULL,
  key                   bytea NOT NULL,           -- DER SubjectPublicKeyInfo
  mmd_seconds           bigint NOT NULL CHECK (mmd_seconds > 0),
  state                 text NOT NULL,            -- the log lists' state when last synced
  followed              boolean NOT NULL DEFAULT true,  -- chosen by the current configuration
  -- Entries [0, position) are committed; NULL: never started.
  position              bigint CHECK (position >= 0),
  pending_range         bytea NOT NULL DEFAULT '',  -- compact range of [0, position)
  verified_tree_size    bigint NOT NULL DEFAULT 0 CHECK (verified_tree_size >= 0),
  verified_range        bytea NOT NULL DEFAULT '',  -- compact range of [0, verified_tree_size)
  verified_timestamp_ms bigint,
  verified_root         bytea,
  verified_signature    bytea,                      -- the TLS DigitallySigned struct
  started_at_end        boolean,
  latest_tree_size      bigint,
  latest_seen_at        timestamptz,
  last_error            text,
  last_error_at         timestamptz,
  lease_holder          text,
  lease_expires_at      timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CHECK (position IS NULL OR verified_tree_size <= position)
);

CREATE TABLE replicas (
  replica_id        text PRIMARY KEY,
  started_at        timestamptz NOT NULL DEFAULT now(),
  heartbeat_at      timestamptz NOT NULL DEFAULT now(),
  entries_committed bigint NOT NULL DEFAULT 0
);

-- One row per certificate, whatever the number of log entries: a precertificate and its
-- final certificate share the TBS identity hash (poison and SCTs removed). An entry that
-- could concern a watched name but does not parse is keyed by SHA-256 of its raw bytes.
CREATE TABLE certificates (
  id                  bigserial PRIMARY KEY,
  tbs_sha256          bytea NOT NULL UNIQUE CHECK (octet_length(tbs_sha256) = 32),
  parsed              boolean NOT NULL,
  parse_error         text,
  dns_names           jsonb NOT NULL DEFAULT '[]',
  ip_addresses        jsonb NOT NULL DEFAULT '[]',
  subject             text,
  issuer              text,
  serial              text,
  not_before          timestamptz,
  not_after           timestamptz,
  spki_sha256         bytea,
  issuer_spki_sha256  bytea,
  key_type            text,
  key_bits            integer,
  ec_curve            text,
  der_kind            text NOT NULL CHECK (der_kind IN ('certificate', 'precertificate', 'tbs', 'raw')),
  der                 bytea NOT NULL,
  first_seen_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificates_spki ON certificates (spki_sha256);

CREATE TABLE certificate_entries (
  log_id          bytea NOT NULL REFERENCES logs (log_id),
  entry_index     bigint NOT NULL CHECK (entry_index >= 0),
  certificate_id  bigint NOT NULL REFERENCES certificates (id),
  entry_type      text NOT NULL CHECK (entry_type IN ('x509', 'precert')),
  timestamp_ms    bigint NOT NULL,
  -- True once a signed tree head covering the entry has been verified.
  verified        boolean NOT NULL DEFAULT false,
  PRIMARY KEY (log_id, entry_index)
);
CREATE INDEX certificate_entries_certificate ON certificate_entries (certificate_id);

CREATE TABLE findings (
  id              bigserial PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('unexpected_issuer', 'unexpected_key', 'known_key',
                                                'malformed', 'log_misbehaviour')),
  severity        text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
  watched         text,                                 -- the watch entry's name
  certificate_id  bigint REFERENCES certificates (id),  -- certificate findings
  log_id          bytea REFERENCES logs (log_id),       -- log_misbehaviour
  reason          text NOT NULL,
  evidence        jsonb NOT NULL DEFAULT '{}',
  -- What makes a finding the same finding when an entry is processed again.
  dedupe_key      bytea NOT NULL UNIQUE,
  status_note     text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  status_changed_at timestamptz NOT NULL DEFAULT now(),
  CHECK (certificate_id IS NOT NULL OR log_id IS NOT NULL)
);
CREATE INDEX findings_open ON findings (status, severity);
)sql";

// Version 2: entries committed per replica and log. Counting them in the shared replicas
// row made every commit lock that row after its log row, while the lease keeper locks it
// before the log rows: opposite orders, and PostgreSQL killed one of them as a deadlock
// (issue 13). Each worker now counts in a row of its own log. replicas.entries_committed
// keeps what was counted before this version.
constexpr const char kReplicaLogEntries[] = R"sql(
CREATE TABLE replica_log_entries (
  replica_id        text NOT NULL,
  log_id            bytea NOT NULL REFERENCES logs (log_id),
  entries_committed bigint NOT NULL DEFAULT 0 CHECK (entries_committed >= 0),
  PRIMARY KEY (replica_id, log_id)
);
COMMENT ON COLUMN replicas.entries_committed IS
  'entries committed before schema version 2; later ones are counted in replica_log_entries';
)sql";

// Version 3: the alert outbox (issue 15). A finding that should alert gets its outbox row
// in the transaction that stores it, so no alert is lost between "stored" and "told"; the
// sender (one replica at a time, by the lease row in singleton_leases) pushes open alerts
// to every Alertmanager and records per Alertmanager what it accepted. Findings stored
// before this version have no outbox row and do not alert (pinwatch_findings still counts
// them, and the shipped rules alert on open critical ones).
constexpr const char kAlertOutbox[] = R"sql(
CREATE TABLE alert_outbox (
  finding_id  bigint PRIMARY KEY REFERENCES findings (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- The alert's startsAt: when the finding was stored, or reopened.
  starts_at   timestamptz NOT NULL DEFAULT now(),
  -- Set when an operator acks or resolves the finding: the endsAt of the last send.
  ends_at     timestamptz,
  -- Set once that last send reached every Alertmanager: nothing more to do.
  done_at     timestamptz,
  CHECK (done_at IS NULL OR ends_at IS NOT NULL)
);
CREATE INDEX alert_outbox_undone ON alert_outbox (finding_id) WHERE done_at IS NULL;

-- What each Alertmanager (by its configured base URL) accepted of an outbox alert.
CREATE TABLE alert_deliveries (
  finding_id        bigint NOT NULL REFERENCES alert_outbox (finding_id),
  alertmanager      text NOT NULL,
  last_sent_at      timestamptz,  -- the last time it accepted the alert as open
  resolved_sent_for timestamptz,  -- the ends_at it accepted (a later reopen and ack is a new one)
  PRIMARY KEY (finding_id, alertmanager)
);

-- Leases for jobs one replica does at a time ('alert_sender'), like the logs' leases.
CREATE TABLE singleton_leases (
  name        text PRIMARY KEY,
  holder      text,
  expires_at  timestamptz
);
)sql";

// Version 4: pin-sets (issue 16). Versions are immutable rows; proposals carry their
// evidence (certificates) and decisions; every decision and adoption is in audit_log.
// certificates gains the keys of the log's chain above each certificate (empty for rows
// stored before this version), which pin-sets that pin CA keys are checked against.
constexpr const char kPinsets[] = R"sql(
ALTER TABLE certificates ADD COLUMN chain_spki_sha256 bytea NOT NULL DEFAULT ''
  CHECK (octet_length(chain_spki_sha256) % 32 = 0);
CREATE INDEX certificates_issuer_spki ON certificates (issuer_spki_sha256);
-- What the policy said of each certificate, read by the pin-set job at every pass.
CREATE INDEX findings_certificate ON findings (certificate_id);

CREATE TABLE pinset_versions (
  pinset             text NOT NULL,
  version            integer NOT NULL CHECK (version >= 1),
  pins               bytea NOT NULL CHECK (octet_length(pins) % 32 = 0 AND octet_length(pins) > 0),
  names              jsonb NOT NULL,
  include_subdomains boolean NOT NULL,
  expiry_days        integer NOT NULL CHECK (expiry_days BETWEEN 1 AND 365),
  origin             text NOT NULL CHECK (origin IN ('config', 'adopt', 'proposal')),
  proposal_id        bigint,
  created_at         timestamptz NOT NULL DEFAULT now(),
  -- The signed document, stored once by the first replica that publishes the version.
  document           text,
  signature          text,
  published_at       timestamptz,
  PRIMARY KEY (pinset, version),
  CHECK ((document IS NULL) = (signature IS NULL) AND (document IS NULL) = (published_at IS NULL))
);

CREATE TABLE operators (
  name          text PRIMARY KEY,
  role          text NOT NULL CHECK (role IN ('approver', 'viewer')),
  token_sha256  bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
  created_at    timestamptz NOT NULL DEFAULT now(),
  removed_at    timestamptz
);

CREATE TABLE proposals (
  id               bigserial PRIMARY KEY,
  pinset           text NOT NULL,
  action           text NOT NULL CHECK (action IN ('add', 'remove')),
  pin              bytea NOT NULL CHECK (octet_length(pin) = 32),
  key_role         text NOT NULL CHECK (key_role IN ('leaf', 'ca')),
  reason           text NOT NULL,
  status           text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'approved', 'rejected', 'applied', 'superseded')),
  base_version     integer NOT NULL,
  applied_version  integer,
  status_note      text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  decided_at       timestamptz
);
-- One pending proposal per pin-set and pin.
CREATE UNIQUE INDEX proposals_one_pending ON proposals (pinset, pin) WHERE status = 'pending';

CREATE TABLE proposal_evidence (
  proposal_id     bigint NOT NULL REFERENCES proposals (id),
  certificate_id  bigint NOT NULL REFERENCES certificates (id),
  added_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (proposal_id, certificate_id)
);

CREATE TABLE proposal_decisions (
  proposal_id  bigint NOT NULL REFERENCES proposals (id),
  operator     text NOT NULL,
  approve      boolean NOT NULL,
  reason       text NOT NULL,
  decided_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (proposal_id, operator)
);

CREATE TABLE audit_log (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  operator     text NOT NULL,
  action       text NOT NULL,
  pinset       text,
  proposal_id  bigint,
  version      integer,
  reason       text NOT NULL DEFAULT '',
  detail       jsonb NOT NULL DEFAULT '{}'
);
)sql";

// Version 5: pin-failure reports from apps (issue 20). The roots each followed log accepts
// (get-roots), which a report's chain is checked against; the report groups and who sent
// them; the finding kinds reports raise; proposals a report made urgent.
constexpr const char kPinReports[] = R"sql(
CREATE TABLE log_roots (
  log_id       bytea NOT NULL REFERENCES logs (log_id),
  root_sha256  bytea NOT NULL CHECK (octet_length(root_sha256) = 32),  -- SHA-256 of der
  der          bytea NOT NULL,
  fetched_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (log_id, root_sha256)
);

ALTER TABLE findings DROP CONSTRAINT findings_kind_check;
ALTER TABLE findings ADD CONSTRAINT findings_kind_check
  CHECK (kind IN ('unexpected_issuer', 'unexpected_key', 'known_key', 'malformed', 'log_misbehaviour',
                  'stale_pinset', 'unexpected_issuer_served', 'interception'));
-- An interception finding is about neither a logged certificate nor a log.
ALTER TABLE findings DROP CONSTRAINT findings_check;
ALTER TABLE findings ADD CONSTRAINT findings_check
  CHECK (certificate_id IS NOT NULL OR log_id IS NOT NULL OR kind = 'interception');

-- Set when a pin-failure report shows that apps fail for want of the proposed pin.
ALTER TABLE proposals ADD COLUMN urgent_at timestamptz;

-- One row per group of reports that say the same thing: the same name, classification
-- and keys (group_key, chosen by the classification).
CREATE TABLE pin_reports (
  id                  bigserial PRIMARY KEY,
  group_key           bytea NOT NULL UNIQUE CHECK (octet_length(group_key) = 32),
  hostname            text NOT NULL,
  port                integer NOT NULL,
  watched             text NOT NULL,
  classification      text NOT NULL CHECK (classification IN ('stale_pinset', 'unexpected_issuer_served',
                                                              'interception', 'unknown')),
  reason              text NOT NULL,
  leaf_spki_sha256    bytea CHECK (octet_length(leaf_spki_sha256) = 32),
  issuer_spki_sha256  bytea CHECK (octet_length(issuer_spki_sha256) = 32),
  leaf_tbs_sha256     bytea CHECK (octet_length(leaf_tbs_sha256) = 32),
  reports             bigint NOT NULL DEFAULT 0,  -- distinct reports, resends merged
  duplicates          bigint NOT NULL DEFAULT 0,  -- resends merged into them
  first_seen          timestamptz NOT NULL,       -- the reports' own date-time
  last_seen           timestamptz NOT NULL,
  finding_id          bigint REFERENCES findings (id),
  proposal_id         bigint REFERENCES proposals (id),
  example             jsonb NOT NULL DEFAULT '{}'  -- the first report: chain, known pins, app
);

-- Who sent a group's reports: one row per client and identical report (TrustKit's rule:
-- same noted-hostname, hostname, port, chain, known-pins, validation-result), with when it
-- last happened; the same one again within 24 h of that is a resend.
CREATE TABLE pin_report_sightings (
  report_id      bigint NOT NULL REFERENCES pin_reports (id),
  client_sha256  bytea NOT NULL CHECK (octet_length(client_sha256) = 32),
  report_sha256  bytea NOT NULL CHECK (octet_length(report_sha256) = 32),
  happened_at    timestamptz NOT NULL,
  PRIMARY KEY (report_id, client_sha256, report_sha256)
);
CREATE INDEX pin_report_sightings_recent ON pin_report_sightings (report_id, happened_at);
)sql";

}  // namespace

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = {
      {1, "initial_schema", kInitialSchema},
      {2, "replica_log_entries", kReplicaLogEntries},
      {3, "alert_outbox", kAlertOutbox},
      {4, "pinsets", kPinsets},
      {5, "pin_reports", kPinReports},
  };
  return migrations;
}

int SchemaVersion() { return Migrations().back().version; }

namespace {

// schema_migrations is created outside the numbered steps: it is how steps are counted.
constexpr const char kCreateMigrationsTable[] = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
))sql";

int VersionIn(pqxx::transaction_base& tx) {
  pqxx::row row = tx.exec1(
      "SELECT coalesce(max(version), 0) FROM schema_migrations");
  return row[0].as<int>();
}

bool MigrationsTableExists(pqxx::transaction_base& tx) {
  return tx.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL")[0].as<bool>();
}

}  // namespace

Result<MigrateResult> Migrate(pqxx::connection_base& connection) {
  return GuardPq("migrate", [&]() -> Result<MigrateResult> {
    MigrateResult result;
    {
      pqxx::work tx(connection);
      tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLockKey);
      tx.exec(kCreateMigrationsTable);
      tx.commit();
    }
    bool first = true;
    for (const Migration& m : Migrations()) {
      pqxx::work tx(connection);
      // Each step holds the lock for its whole transaction and re-reads the version under
      // it, so a concurrent migrate waits and then finds the step done.
      tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLockKey);
      int version = VersionIn(tx);
      if (first) {
        result.from_version = version;
        first = false;
        if (version > SchemaVersion()) {
          return FailedPreconditionError("the database is at schema version " + std::to_string(version) +
                                         ", newer than this pinwatch (" + std::to_string(SchemaVersion()) +
                                         "): upgrade pinwatch");
        }
      }
      if (m.version <= version) continue;
      tx.exec(m.sql);
      tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name);
      tx.commit();
      result.applied.push_back(std::to_string(m.version) + " " + m.name);
    }
    result.to_version = SchemaVersion();
    return result;
  });
}

Result<int> CurrentVersion(pqxx::connection_base& connection) {
  return GuardPq("read schema version", [&]() -> Result<int> {
    pqxx::read_transaction tx(connection);
    if (!MigrationsTableExists(tx)) return 0;
    return VersionIn(tx);
  });
}

Status CheckVersion(pqxx::connection_base& connection) {
  auto version = CurrentVersion(connection);
  if (!version.ok()) return version.status();
  if (*version == SchemaVersion()) return OkStatus();
  if (*version < SchemaVersion()) {
    return FailedPreconditionError("the database is at schema version " + std::to_string(*version) +
                                   ", this pinwatch needs " + std::to_string(SchemaVersion()) +
                                   ": run `pinwatch migrate` first");
  }
  return FailedPreconditionError("the database is at schema version " + std::to_string(*version) +
                                 ", newer than this pinwatch (" + std::to_string(SchemaVersion()) +
                                 "): upgrade pinwatch");
}

}  // namespace pinwatch::db
