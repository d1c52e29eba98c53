-- The archive as a property manager keeps it: building, unit,
-- follow-up note and purge time of each delivery, and delivery_events,
-- its history. Triggers append an event whenever a delivery is
-- inserted or its status changes (Record, UpdateStatus) and drop a
-- deleted delivery's events; replies, opt-outs and notes append theirs
-- explicitly. The search indexes are PostgreSQL's (its
-- 0006_archive_history.sql says why these); SQLite reads a B-tree backwards as well.

ALTER TABLE deliveries ADD COLUMN building TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN unit TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN content_purged_at INTEGER;
CREATE TABLE delivery_events (
	seq         INTEGER PRIMARY KEY,
	delivery_id TEXT NOT NULL,
	job_id      TEXT NOT NULL,
	event       TEXT NOT NULL,
	at          INTEGER NOT NULL,
	detail      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX delivery_events_delivery ON delivery_events (delivery_id, seq);
-- What was archived before keeps one event: where it stands.
INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
	SELECT id, job_id, status, updated_at, concat_ws('; ',
		CASE WHEN error <> '' THEN 'error: ' || error END,
		CASE WHEN provider_id <> '' THEN 'provider id: ' || provider_id END,
		CASE WHEN policy <> '' THEN 'policy: ' || policy END)
	FROM deliveries ORDER BY created_at, id;
CREATE TRIGGER deliveries_log_insert AFTER INSERT ON deliveries BEGIN
	INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
	VALUES (new.id, new.job_id, new.status, new.updated_at, concat_ws('; ',
		CASE WHEN new.error <> '' THEN 'error: ' || new.error END,
		CASE WHEN new.provider_id <> '' THEN 'provider id: ' || new.provider_id END,
		CASE WHEN new.policy <> '' THEN 'policy: ' || new.policy END));
END;
CREATE TRIGGER deliveries_log_status AFTER UPDATE OF status ON deliveries
	WHEN new.status IS NOT old.status BEGIN
	INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
	VALUES (new.id, new.job_id, new.status, new.updated_at, concat_ws('; ',
		CASE WHEN new.error <> '' THEN 'error: ' || new.error END,
		CASE WHEN new.provider_id <> '' THEN 'provider id: ' || new.provider_id END,
		CASE WHEN new.policy <> '' THEN 'policy: ' || new.policy END));
END;
CREATE TRIGGER deliveries_drop_events AFTER DELETE ON deliveries BEGIN
	DELETE FROM delivery_events WHERE delivery_id = old.id;
END;
DROP INDEX deliveries_resident_id;
DROP INDEX deliveries_campaign;
CREATE INDEX deliveries_resident_created ON deliveries (resident_id, created_at, id);
CREATE INDEX deliveries_building_created ON deliveries (building, created_at, id);
CREATE INDEX deliveries_unit_created ON deliveries (building, unit, created_at, id);
CREATE INDEX deliveries_campaign_created ON deliveries (campaign, created_at, id);
CREATE INDEX deliveries_status_created ON deliveries (status, created_at, id);
CREATE INDEX deliveries_unpurged ON deliveries (created_at) WHERE content_purged_at IS NULL;
