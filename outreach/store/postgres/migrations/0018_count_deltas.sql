-- Stored counts as appended deltas (issue 16): migration 17's upserts
-- made every archive write update the same few rows (the current hour,
-- the running campaign) under one advisory lock held to commit, so the
-- count writers queued on each other. Now a write only appends rows to
-- two heaps without indexes or keys, and nothing waits on anything:
--
--   campaign_count_deltas (campaign, status, n)
--   delivery_hour_count_deltas (hour, estate, channel, status, n)
--
-- The count of a key is the sum of n over its row in the compacted
-- table (campaign_counts, delivery_hour_counts, as migration 17 made
-- them) and its delta rows; the readers (CountDeliveries,
-- CampaignStatusCounts, CheckStoredCounts) sum both in one statement, so
-- in one snapshot. compact_delivery_counts() folds the deltas into the
-- compacted rows: one DELETE ... RETURNING into an upsert per table, in
-- its caller's transaction, so a reader sees the deltas either before
-- the fold or in the compacted rows after it, never both or neither. A
-- delta committed after the DELETE's snapshot stays for the next fold.
-- The store runs it every second (Store.CompactCounts); at most one
-- session folds at a time (a try lock: another one skips).
--
-- Invariant, as in migration 17 with sums: for every key, compacted n
-- plus its deltas is the number of deliveries with that key. The writes
-- that keep it are migration 17's (Record's statement, the triggers
-- deliveries_log_status and deliveries_drop_events), now appending.
-- Upgrade: the compacted tables already hold migration 17's counts and
-- the delta tables start empty, so the sums are those counts.

CREATE TABLE campaign_count_deltas (
	campaign text COLLATE "C" NOT NULL,
	status   text COLLATE "C" NOT NULL,
	n        bigint NOT NULL
);
CREATE TABLE delivery_hour_count_deltas (
	hour    bigint NOT NULL,
	estate  text COLLATE "C" NOT NULL,
	channel text COLLATE "C" NOT NULL,
	status  text COLLATE "C" NOT NULL,
	n       bigint NOT NULL
);

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
	INSERT INTO campaign_count_deltas (campaign, status, n)
		SELECT campaign, status, n FROM (
			SELECT campaign, status, sum(d) AS n FROM (
				SELECT campaign, status, 1 AS d FROM new_rows
				UNION ALL SELECT campaign, status, -1 FROM old_rows) a
			WHERE campaign <> '' GROUP BY campaign, status) g
		WHERE n <> 0;
	INSERT INTO delivery_hour_count_deltas (hour, estate, channel, status, n)
		SELECT hour, estate, channel, status, n FROM (
			SELECT hour, estate, channel, status, sum(d) AS n FROM (
				SELECT delivery_hour(created_at) AS hour, estate, channel, status, 1 AS d FROM new_rows
				UNION ALL SELECT delivery_hour(created_at), estate, channel, status, -1 FROM old_rows) a
			GROUP BY hour, estate, channel, status) g
		WHERE n <> 0;
	RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION deliveries_drop_events() RETURNS trigger LANGUAGE plpgsql
	SET search_path FROM CURRENT AS $$
BEGIN
	DELETE FROM delivery_events WHERE delivery_id IN (SELECT id FROM old_rows);
	INSERT INTO campaign_count_deltas (campaign, status, n)
		SELECT campaign, status, -count(*) FROM old_rows
		WHERE campaign <> '' GROUP BY campaign, status;
	INSERT INTO delivery_hour_count_deltas (hour, estate, channel, status, n)
		SELECT delivery_hour(created_at), estate, channel, status, -count(*) FROM old_rows
		GROUP BY 1, 2, 3, 4;
	RETURN NULL;
END $$;

-- Nothing takes it any more (Record's statement took it too: the new
-- program's statement does not).
DROP FUNCTION delivery_counts_lock();

CREATE FUNCTION compact_delivery_counts() RETURNS boolean LANGUAGE plpgsql VOLATILE
	SET search_path FROM CURRENT AS $$
BEGIN
	IF NOT pg_try_advisory_xact_lock(hashtext('outreach compact delivery counts ' || current_schema())) THEN
		RETURN false;
	END IF;
	WITH d AS (DELETE FROM campaign_count_deltas RETURNING campaign, status, n)
	INSERT INTO campaign_counts AS c (campaign, status, n)
		SELECT campaign, status, sum(n) FROM d GROUP BY campaign, status
		ORDER BY campaign, status
		ON CONFLICT (campaign, status) DO UPDATE SET n = c.n + excluded.n;
	WITH d AS (DELETE FROM delivery_hour_count_deltas RETURNING hour, estate, channel, status, n)
	INSERT INTO delivery_hour_counts AS c (hour, estate, channel, status, n)
		SELECT hour, estate, channel, status, sum(n) FROM d GROUP BY hour, estate, channel, status
		ORDER BY hour, estate, channel, status
		ON CONFLICT (hour, estate, channel, status) DO UPDATE SET n = c.n + excluded.n;
	RETURN true;
END $$;
