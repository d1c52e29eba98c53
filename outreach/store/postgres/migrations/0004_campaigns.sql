-- Campaigns, and the policy decision of each delivery. next_run is
-- NULL when no occurrence is ahead.

ALTER TABLE deliveries ADD COLUMN policy text NOT NULL DEFAULT '';
CREATE TABLE campaigns (
	id          text COLLATE "C" NOT NULL PRIMARY KEY,
	name        text NOT NULL,
	kind        text NOT NULL,
	template    text NOT NULL DEFAULT '',
	audience    jsonb NOT NULL DEFAULT '{}',
	channels    text[] NOT NULL DEFAULT '{}',
	data        jsonb NOT NULL DEFAULT '{}',
	priority    text NOT NULL DEFAULT '',
	schedule    jsonb NOT NULL DEFAULT '{}',
	state       text NOT NULL,
	next_run    timestamptz,
	occurrence  text NOT NULL DEFAULT '',
	cursor      text COLLATE "C" NOT NULL DEFAULT '',
	targeted    bigint NOT NULL DEFAULT 0,
	runs        integer NOT NULL DEFAULT 0,
	last_run_at timestamptz,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL
);
CREATE INDEX campaigns_due ON campaigns (state, next_run);
