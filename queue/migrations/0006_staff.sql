-- Named staff (issue 13 §4).

-- The kiosk's copy of its site's staff accounts: pulled from the centre
-- (entity staff) or made here (the first supervisor at set-up, or with
-- lobbyline-kiosk staff add). The newest change of an account wins.
CREATE TABLE staff_accounts (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL CHECK (role IN ('reception', 'supervisor')),
  pin_hash   TEXT NOT NULL,
  badge_hash TEXT NOT NULL DEFAULT '',
  disabled   INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX staff_accounts_badge ON staff_accounts (badge_hash) WHERE badge_hash != '';

-- Wrong PINs per account: the lockout is the account's, not the kiosk's,
-- so one person's mistakes do not lock their colleagues out.
CREATE TABLE staff_lockout (
  account      TEXT PRIMARY KEY,
  failures     INTEGER NOT NULL,
  locked_until TEXT NOT NULL DEFAULT ''
) STRICT;

-- Every staff action, by whom and from where; it also travels to the
-- centre (outbox kind audit). Ticket numbers, never visitors' names.
CREATE TABLE audit (
  id      INTEGER PRIMARY KEY,
  at      TEXT NOT NULL,
  source  TEXT NOT NULL,
  account TEXT NOT NULL DEFAULT '',
  name    TEXT NOT NULL,
  role    TEXT NOT NULL DEFAULT '',
  os_user TEXT NOT NULL DEFAULT '',
  action  TEXT NOT NULL,
  ticket  TEXT NOT NULL DEFAULT '',
  detail  TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_at ON audit (at);

-- The shared PIN's failure count goes: lockout is per account now.
DELETE FROM meta WHERE key IN ('pin_failures', 'pin_locked_until');
