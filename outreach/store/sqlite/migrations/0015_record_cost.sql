-- PostgreSQL's migration 15 merges the building and unit indexes, makes
-- the status index partial and moves the history event of a new delivery
-- from a trigger into Record's statement, to make a Record cheaper for
-- its server. SQLite keeps its indexes (its planner does not use a
-- partial index for a bound parameter) and its per-row triggers, which
-- cost a Record there no round trip; the version number stays in step.

SELECT 1;
