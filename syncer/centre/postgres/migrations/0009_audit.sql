-- The audit log of staff actions (issue 13 §4): what kiosks send as
-- "audit" changes, and what IT does at the centre (central staff, enrol,
-- revoke, erase) and in the console. An entry names a member of staff (or
-- an operating-system user, or a console admin) and at most a visit's
-- ticket, never a visitor. A kiosk's entry is kept under its mutation's
-- name (kiosk_id, epoch, seq), so a replay is stored once; an entry made
-- at the centre has kiosk_id '', epoch 0 and a seq of the centre's
-- clock in microseconds and random bits (centre.Service.audit). The daily
-- purge deletes a site's entries received more than a year before
-- (centre.AuditRetention).

CREATE TABLE audit_log (
  kiosk_id    TEXT NOT NULL,
  epoch       BIGINT NOT NULL,
  seq         BIGINT NOT NULL,
  site_id     TEXT NOT NULL,
  at          TEXT NOT NULL,
  source      TEXT NOT NULL,
  account     TEXT NOT NULL DEFAULT '',
  name        TEXT NOT NULL,
  role        TEXT NOT NULL DEFAULT '',
  os_user     TEXT NOT NULL DEFAULT '',
  action      TEXT NOT NULL,
  ticket      TEXT NOT NULL DEFAULT '',
  detail      TEXT NOT NULL DEFAULT '',
  received_at TEXT NOT NULL,
  PRIMARY KEY (kiosk_id, epoch, seq)
);

CREATE INDEX audit_log_by_site ON audit_log (site_id, at);
CREATE INDEX audit_log_by_received ON audit_log (site_id, received_at);
