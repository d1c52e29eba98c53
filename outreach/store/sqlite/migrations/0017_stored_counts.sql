-- Stored counts, as PostgreSQL's migration 17 (which says what they are
-- for and the invariant): campaign_counts by (campaign, status) and
-- delivery_hour_counts by (hour in UTC as hours since the Unix epoch,
-- estate, channel, status), kept by per-row triggers in the transaction
-- of every write to deliveries (Record, UpdateStatus, deletes). A
-- trigger costs SQLite no round trip and its writer is one connection,
-- so there is no lock order to keep; the update trigger fires only when
-- a counted column changes (a note or a purge changes none).
-- created_at is integer microseconds: its hour is created_at / 3600000000.

CREATE TABLE campaign_counts (
	campaign TEXT NOT NULL,
	status   TEXT NOT NULL,
	n        INTEGER NOT NULL,
	PRIMARY KEY (campaign, status)
) WITHOUT ROWID;
CREATE TABLE delivery_hour_counts (
	hour    INTEGER NOT NULL,
	estate  TEXT NOT NULL,
	channel TEXT NOT NULL,
	status  TEXT NOT NULL,
	n       INTEGER NOT NULL,
	PRIMARY KEY (hour, estate, channel, status)
) WITHOUT ROWID;

INSERT INTO campaign_counts (campaign, status, n)
	SELECT campaign, status, count(*) FROM deliveries WHERE campaign <> '' GROUP BY campaign, status;
INSERT INTO delivery_hour_counts (hour, estate, channel, status, n)
	SELECT created_at / 3600000000, estate, channel, status, count(*) FROM deliveries
	GROUP BY 1, 2, 3, 4;

CREATE TRIGGER deliveries_count_insert AFTER INSERT ON deliveries BEGIN
	INSERT INTO campaign_counts (campaign, status, n) SELECT new.campaign, new.status, 1 WHERE new.campaign <> ''
		ON CONFLICT (campaign, status) DO UPDATE SET n = n + 1;
	INSERT INTO delivery_hour_counts (hour, estate, channel, status, n)
		VALUES (new.created_at / 3600000000, new.estate, new.channel, new.status, 1)
		ON CONFLICT (hour, estate, channel, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER deliveries_count_update AFTER UPDATE OF status, channel, estate, campaign, created_at ON deliveries
	WHEN new.status IS NOT old.status OR new.channel IS NOT old.channel OR new.estate IS NOT old.estate
		OR new.campaign IS NOT old.campaign OR new.created_at / 3600000000 IS NOT old.created_at / 3600000000 BEGIN
	INSERT INTO campaign_counts (campaign, status, n) SELECT old.campaign, old.status, -1 WHERE old.campaign <> ''
		ON CONFLICT (campaign, status) DO UPDATE SET n = n - 1;
	INSERT INTO campaign_counts (campaign, status, n) SELECT new.campaign, new.status, 1 WHERE new.campaign <> ''
		ON CONFLICT (campaign, status) DO UPDATE SET n = n + 1;
	INSERT INTO delivery_hour_counts (hour, estate, channel, status, n)
		VALUES (old.created_at / 3600000000, old.estate, old.channel, old.status, -1)
		ON CONFLICT (hour, estate, channel, status) DO UPDATE SET n = n - 1;
	INSERT INTO delivery_hour_counts (hour, estate, channel, status, n)
		VALUES (new.created_at / 3600000000, new.estate, new.channel, new.status, 1)
		ON CONFLICT (hour, estate, channel, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER deliveries_count_delete AFTER DELETE ON deliveries BEGIN
	INSERT INTO campaign_counts (campaign, status, n) SELECT old.campaign, old.status, -1 WHERE old.campaign <> ''
		ON CONFLICT (campaign, status) DO UPDATE SET n = n - 1;
	INSERT INTO delivery_hour_counts (hour, estate, channel, status, n)
		VALUES (old.created_at / 3600000000, old.estate, old.channel, old.status, -1)
		ON CONFLICT (hour, estate, channel, status) DO UPDATE SET n = n - 1;
END;
