-- The centre's schema on PostgreSQL. Times are UTC text with milliseconds,
-- which sorts, as on SQLite (sqlite/migrations), so both stores read alike.

CREATE TABLE sites (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  -- Every write to a site's records takes the next version from here,
  -- inside its transaction: the row lock orders commits, so a pull after
  -- a cursor never misses a row that committed late.
  version    BIGINT NOT NULL DEFAULT 0,
  -- Tombstones at or below floor were purged; an older cursor gets a
  -- snapshot.
  floor      BIGINT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);

CREATE TABLE kiosks (
  id           TEXT PRIMARY KEY,
  site_id      TEXT NOT NULL REFERENCES sites (id),
  name         TEXT NOT NULL DEFAULT '',
  token_hash   TEXT NOT NULL UNIQUE,
  enrolled_at  TEXT NOT NULL,
  revoked_at   TEXT,
  last_seen_at TEXT,
  backlog      BIGINT NOT NULL DEFAULT 0,
  skew_ms      BIGINT NOT NULL DEFAULT 0
);

-- How far each kiosk database (epoch) has been applied. A push locks its
-- row, so two instances never apply the same batch side by side.
CREATE TABLE progress (
  kiosk_id TEXT NOT NULL REFERENCES kiosks (id),
  epoch    BIGINT NOT NULL,
  last_seq BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (kiosk_id, epoch)
);

-- Every mutation ever received, by its name. The primary key is the
-- idempotency record: it never expires.
CREATE TABLE mutations (
  kiosk_id    TEXT NOT NULL,
  epoch       BIGINT NOT NULL,
  seq         BIGINT NOT NULL,
  site_id     TEXT NOT NULL,
  kind        TEXT NOT NULL,
  kiosk_at    TEXT NOT NULL,
  hlc         TEXT NOT NULL,
  received_at TEXT NOT NULL,
  status      TEXT NOT NULL,
  reason      TEXT NOT NULL DEFAULT '',
  payload     TEXT NOT NULL,
  PRIMARY KEY (kiosk_id, epoch, seq)
);

-- Centre-owned data and what kiosks pull: one row per (site, entity, key)
-- at its latest version; deleted rows stay as tombstones until compacted.
CREATE TABLE records (
  site_id    TEXT NOT NULL REFERENCES sites (id),
  entity     TEXT NOT NULL,
  key        TEXT NOT NULL,
  version    BIGINT NOT NULL,
  deleted    BOOLEAN NOT NULL DEFAULT FALSE,
  data       TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (site_id, entity, key)
);

CREATE INDEX records_by_version ON records (site_id, version);

-- Check-ins by normalised name, to link the same person at two kiosks.
CREATE TABLE arrivals (
  site_id       TEXT NOT NULL,
  norm_name     TEXT NOT NULL,
  kiosk_id      TEXT NOT NULL,
  epoch         BIGINT NOT NULL,
  visit_id      BIGINT NOT NULL,
  ticket        TEXT NOT NULL,
  checked_in_at TEXT NOT NULL,
  PRIMARY KEY (kiosk_id, epoch, visit_id)
);

CREATE INDEX arrivals_by_name ON arrivals (site_id, norm_name);
