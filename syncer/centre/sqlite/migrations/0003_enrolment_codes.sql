-- One-time enrolment codes: `central enroll` makes one for a kiosk, the
-- kiosk redeems it once for its token. Only a hash of the code is kept;
-- used_at is set when it is redeemed, and a code is refused after
-- expires_at.

CREATE TABLE enrolment_codes (
  code_hash  TEXT PRIMARY KEY,
  site_id    TEXT NOT NULL REFERENCES sites (id),
  kiosk_id   TEXT NOT NULL,
  name       TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at    TEXT
);
