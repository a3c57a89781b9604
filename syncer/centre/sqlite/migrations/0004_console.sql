-- The fleet console: the software each kiosk says it runs, the admin
-- accounts that may sign in, and their sessions.

-- What the kiosk's User-Agent last said (lobbyline-kiosk/VERSION); '' until
-- a kiosk that sends one is heard from.
ALTER TABLE kiosks ADD COLUMN software TEXT NOT NULL DEFAULT '';

-- password_hash is bcrypt. failures counts wrong passwords since the last
-- right one; from the limit on, each locks the account until locked_until.
CREATE TABLE admins (
  name          TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  failures      BIGINT NOT NULL DEFAULT 0,
  locked_until  TEXT NOT NULL DEFAULT ''
);

-- A signed-in browser. Only the hash of the cookie's token is kept; csrf
-- is the token every form of the session must send back.
CREATE TABLE admin_sessions (
  token_hash TEXT PRIMARY KEY,
  admin      TEXT NOT NULL REFERENCES admins (name) ON DELETE CASCADE,
  csrf       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);

CREATE INDEX admin_sessions_by_expiry ON admin_sessions (expires_at);
