-- Version 18 is PostgreSQL's count deltas (its migration 18): there many
-- writers upserting the same count rows queued on each other, so a write
-- appends deltas that a compaction folds. SQLite has one writer, its row
-- triggers (migration 17) add to the rows in the writer's transaction
-- and cost no round trip, so it keeps them: nothing changes here, and
-- the readers return the same as PostgreSQL's. The statement below does
-- nothing; it keeps the version numbers of the two stores the same.
SELECT 1 WHERE 0;
