-- The web console (package console): its accounts (bcrypt hashes
-- only; estates a JSON array), server-side sessions (the SHA-256 of
-- the cookie's secret) and the audit log of what was done in it.

CREATE TABLE console_users (
	id            TEXT NOT NULL PRIMARY KEY,
	login         TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL DEFAULT '',
	role          TEXT NOT NULL,
	estates       TEXT NOT NULL DEFAULT '[]',
	password_hash TEXT NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
) STRICT;
CREATE TABLE console_sessions (
	hash         TEXT NOT NULL PRIMARY KEY,
	user_id      TEXT NOT NULL,
	csrf         TEXT NOT NULL,
	addr         TEXT NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL
) STRICT;
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE TABLE audit_log (
	seq    INTEGER PRIMARY KEY,
	at     INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT '',
	addr   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
