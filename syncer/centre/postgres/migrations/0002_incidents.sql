-- Incident summaries kiosks send once an outage or drill is over and its
-- backlog has reached the centre: one row per incident of a kiosk
-- database, replaced if the kiosk sends a newer summary. The figures are
-- columns for reports in SQL; summary holds the JSON as received.

CREATE TABLE incidents (
  kiosk_id        TEXT NOT NULL,
  epoch           BIGINT NOT NULL,
  incident_id     BIGINT NOT NULL,
  site_id         TEXT NOT NULL,
  drill           BOOLEAN NOT NULL DEFAULT FALSE,
  cause           TEXT NOT NULL,
  peak            TEXT NOT NULL,
  started_at      TEXT NOT NULL,
  ended_at        TEXT NOT NULL,
  duration_ms     BIGINT NOT NULL,
  check_ins       BIGINT NOT NULL,
  peak_waiting    BIGINT NOT NULL,
  longest_wait_ms BIGINT NOT NULL,
  drain_ms        BIGINT NOT NULL,
  conflicts       BIGINT NOT NULL,
  watch_hits      BIGINT NOT NULL,
  messages        BIGINT NOT NULL,
  steps_done      BIGINT NOT NULL,
  steps_total     BIGINT NOT NULL,
  feedback        BIGINT NOT NULL,
  feedback_avg    DOUBLE PRECISION NOT NULL,
  first_said_ms   BIGINT NOT NULL,
  all_ticked_ms   BIGINT NOT NULL,
  summary         TEXT NOT NULL,
  received_at     TEXT NOT NULL,
  PRIMARY KEY (kiosk_id, epoch, incident_id)
);

CREATE INDEX incidents_by_site ON incidents (site_id, ended_at);
