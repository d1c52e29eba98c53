-- The web console (package console): its accounts (bcrypt hashes
-- only), server-side sessions (the SHA-256 of the cookie's secret,
-- deleted with their user) and the audit log of what was done in it.

CREATE TABLE console_users (
	id            text COLLATE "C" NOT NULL PRIMARY KEY,
	login         text COLLATE "C" NOT NULL UNIQUE,
	name          text NOT NULL DEFAULT '',
	role          text NOT NULL,
	estates       text[] COLLATE "C" NOT NULL DEFAULT '{}',
	password_hash text NOT NULL,
	disabled      boolean NOT NULL DEFAULT false,
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL
);
CREATE TABLE console_sessions (
	hash         text COLLATE "C" NOT NULL PRIMARY KEY,
	user_id      text COLLATE "C" NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
	csrf         text NOT NULL,
	addr         text NOT NULL DEFAULT '',
	created_at   timestamptz NOT NULL,
	last_seen_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE TABLE audit_log (
	seq    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at     timestamptz NOT NULL,
	actor  text NOT NULL,
	action text NOT NULL,
	target text NOT NULL DEFAULT '',
	detail text NOT NULL DEFAULT '',
	addr   text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
