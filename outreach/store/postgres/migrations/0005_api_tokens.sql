-- API tokens: only the SHA-256 of each secret is kept; names are
-- unique, revoked tokens included.

CREATE TABLE api_tokens (
	id           text COLLATE "C" NOT NULL PRIMARY KEY,
	name         text COLLATE "C" NOT NULL UNIQUE,
	scopes       text[] NOT NULL DEFAULT '{}',
	hash         text NOT NULL UNIQUE,
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz,
	revoked_at   timestamptz
);
