-- The scheduled end-of-day close runs once per kiosk-local day: a clock
-- that jumps past the close time and back (a dead RTC battery, NTP after
-- boot) must not check the lobby out twice. A close from the command line
-- is not recorded here; the scheduled one still runs that evening.
CREATE TABLE day_closes (
  day TEXT PRIMARY KEY,
  at  TEXT NOT NULL
) STRICT;
