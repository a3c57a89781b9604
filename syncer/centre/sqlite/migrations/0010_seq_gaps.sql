-- Sequence discipline (issue 16 §2): the runs of a kiosk epoch's
-- sequence numbers the centre has not received below the highest it has
-- (progress.last_seq), from a kiosk before protocol 4 that skipped them,
-- or that a kiosk said it holds or lost (why: unsent, held, lost). A
-- change received later closes its number. A gap open longer than the
-- centre allows raises an alert, once (alerted_at; '' until then).

CREATE TABLE seq_gaps (
  kiosk_id   TEXT NOT NULL REFERENCES kiosks(id),
  epoch      BIGINT NOT NULL,
  from_seq   BIGINT NOT NULL,
  to_seq     BIGINT NOT NULL,
  why        TEXT NOT NULL,
  opened_at  TEXT NOT NULL,
  alerted_at TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (kiosk_id, epoch, from_seq)
);

CREATE INDEX seq_gaps_unalerted ON seq_gaps (opened_at) WHERE alerted_at = '';
