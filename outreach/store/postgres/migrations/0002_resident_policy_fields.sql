-- The profile fields policy uses: the resident's time zone ('' is
-- the daemon's default) and opt-outs, arrays kept sorted (in byte
-- order: COLLATE "C", as SQLite and Go sort) and without repeats.

ALTER TABLE residents
	ADD COLUMN time_zone        text NOT NULL DEFAULT '',
	ADD COLUMN opt_out_channels text[] COLLATE "C" NOT NULL DEFAULT '{}',
	ADD COLUMN opt_out_kinds    text[] COLLATE "C" NOT NULL DEFAULT '{}';
