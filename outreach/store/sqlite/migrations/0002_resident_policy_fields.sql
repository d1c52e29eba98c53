-- The profile fields policy uses: the resident's time zone ('' is
-- the daemon's default) and opt-outs, JSON arrays kept sorted and
-- without repeats (sets).

ALTER TABLE residents ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE residents ADD COLUMN opt_out_channels TEXT NOT NULL DEFAULT '[]';
ALTER TABLE residents ADD COLUMN opt_out_kinds TEXT NOT NULL DEFAULT '[]';
