-- Where a kiosk's recovery took each visit's state from (issue 15 §3),
-- as its KindRestored changes say: 'snapshot', 'damaged-file', 'outbox'
-- or 'centre'. Keyed as the visit's record is (kiosk/epoch/visit id), so
-- it is there whether the change or the visit's record arrived first. A
-- later recovery of the same kiosk replaces it. No personal data.
CREATE TABLE visit_origins (
  site_id     TEXT NOT NULL REFERENCES sites (id),
  key         TEXT NOT NULL,
  kiosk_id    TEXT NOT NULL,
  origin      TEXT NOT NULL,
  restored_at TEXT NOT NULL,
  PRIMARY KEY (site_id, key)
);
