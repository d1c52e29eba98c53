-- API tokens: only the SHA-256 of each secret is kept. scopes is a
-- JSON array; names are unique, revoked tokens included.

CREATE TABLE api_tokens (
	id           TEXT NOT NULL PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	scopes       TEXT NOT NULL DEFAULT '[]',
	hash         TEXT NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER
) STRICT;
