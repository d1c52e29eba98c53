-- Stored counts: the console's overview, the campaigns list, a
-- campaign's page, the scheduler and the API read how many deliveries
-- there are by (campaign, status) and by (hour, estate, channel, status)
-- from two small tables instead of counting a million rows per request.
--
-- delivery_hour_counts: hour is the hour of created_at in UTC, as hours
-- since the Unix epoch (delivery_hour). A day of any zone whose offset is
-- a whole number of hours is a sum of whole hours; CountDeliveries counts
-- the rows of a part-hour at either end of a range (a zone at +05:30)
-- from deliveries, so every range is exact.
--
-- Invariant: each table holds, for every key, the number of deliveries
-- with that key (a row whose n fell to 0 may stay). Every write keeps it,
-- in the transaction of the write:
--   - new deliveries: Record's statement (a data-modifying WITH over the
--     rows it inserted, one aggregated upsert per table per batch);
--   - changed deliveries (a Record that updates, UpdateStatus, any
--     UPDATE): the statement-level trigger deliveries_log_status, from
--     its transition tables (old rows -1, new rows +1, aggregated);
--   - deleted deliveries (DeleteDeliveries, retention): the statement
--     trigger deliveries_drop_events, from its transition table.
-- An insert that does not go through Record (a bulk COPY) is not
-- counted: the program has none. storetest's stored-counts test compares
-- the tables with a COUNT(*) of deliveries after every kind of write.
--
-- Deadlocks: a Record changes count rows twice (its statement, then the
-- trigger), so two writers could lock the same rows in opposite orders.
-- Every writer first takes one transaction-level advisory lock
-- (delivery_counts_lock), only when it has a count to change: the count
-- writers queue on it (they would queue on the rows of the current hour
-- anyway), and nothing else waits on it.

CREATE TABLE campaign_counts (
	campaign text COLLATE "C" NOT NULL,
	status   text COLLATE "C" NOT NULL,
	n        bigint NOT NULL,
	PRIMARY KEY (campaign, status)
);
CREATE TABLE delivery_hour_counts (
	hour    bigint NOT NULL,
	estate  text COLLATE "C" NOT NULL,
	channel text COLLATE "C" NOT NULL,
	status  text COLLATE "C" NOT NULL,
	n       bigint NOT NULL,
	PRIMARY KEY (hour, estate, channel, status)
);

CREATE FUNCTION delivery_hour(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN floor(extract(epoch FROM t) / 3600)::bigint;

CREATE FUNCTION delivery_counts_lock() RETURNS boolean LANGUAGE sql VOLATILE
	RETURN pg_advisory_xact_lock(hashtext('outreach delivery counts ' || current_schema())) IS NOT NULL OR true;

-- Backfill, with writers kept out until the migration commits.
LOCK TABLE deliveries IN SHARE MODE;
INSERT INTO campaign_counts (campaign, status, n)
	SELECT campaign, status, count(*) FROM deliveries WHERE campaign <> '' GROUP BY campaign, status;
INSERT INTO delivery_hour_counts (hour, estate, channel, status, n)
	SELECT delivery_hour(created_at), estate, channel, status, count(*) FROM deliveries
	GROUP BY 1, 2, 3, 4;

CREATE OR REPLACE FUNCTION deliveries_log_status() RETURNS trigger LANGUAGE plpgsql
	SET search_path FROM CURRENT AS $$
BEGIN
	INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
		SELECT n.id, n.job_id, n.status, n.updated_at, concat_ws('; ',
			CASE WHEN n.error <> '' THEN 'error: ' || n.error END,
			CASE WHEN n.provider_id <> '' THEN 'provider id: ' || n.provider_id END,
			CASE WHEN n.policy <> '' THEN 'policy: ' || n.policy END)
		FROM new_rows n JOIN old_rows o ON o.id = n.id
		WHERE n.status <> o.status;
	INSERT INTO campaign_counts AS c (campaign, status, n)
		SELECT campaign, status, n FROM (
			SELECT campaign, status, sum(d) AS n FROM (
				SELECT campaign, status, 1 AS d FROM new_rows
				UNION ALL SELECT campaign, status, -1 FROM old_rows) a
			WHERE campaign <> '' GROUP BY campaign, status) g
		WHERE n <> 0 AND delivery_counts_lock()
		ORDER BY campaign, status
		ON CONFLICT (campaign, status) DO UPDATE SET n = c.n + excluded.n;
	INSERT INTO delivery_hour_counts AS c (hour, estate, channel, status, n)
		SELECT hour, estate, channel, status, n FROM (
			SELECT hour, estate, channel, status, sum(d) AS n FROM (
				SELECT delivery_hour(created_at) AS hour, estate, channel, status, 1 AS d FROM new_rows
				UNION ALL SELECT delivery_hour(created_at), estate, channel, status, -1 FROM old_rows) a
			GROUP BY hour, estate, channel, status) g
		WHERE n <> 0 AND delivery_counts_lock()
		ORDER BY hour, estate, channel, status
		ON CONFLICT (hour, estate, channel, status) DO UPDATE SET n = c.n + excluded.n;
	RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION deliveries_drop_events() RETURNS trigger LANGUAGE plpgsql
	SET search_path FROM CURRENT AS $$
BEGIN
	DELETE FROM delivery_events WHERE delivery_id IN (SELECT id FROM old_rows);
	INSERT INTO campaign_counts AS c (campaign, status, n)
		SELECT campaign, status, n FROM (
			SELECT campaign, status, -count(*) AS n FROM old_rows
			WHERE campaign <> '' GROUP BY campaign, status) g
		WHERE delivery_counts_lock()
		ORDER BY campaign, status
		ON CONFLICT (campaign, status) DO UPDATE SET n = c.n + excluded.n;
	INSERT INTO delivery_hour_counts AS c (hour, estate, channel, status, n)
		SELECT hour, estate, channel, status, n FROM (
			SELECT delivery_hour(created_at) AS hour, estate, channel, status, -count(*) AS n FROM old_rows
			GROUP BY 1, 2, 3, 4) g
		WHERE delivery_counts_lock()
		ORDER BY hour, estate, channel, status
		ON CONFLICT (hour, estate, channel, status) DO UPDATE SET n = c.n + excluded.n;
	RETURN NULL;
END $$;
