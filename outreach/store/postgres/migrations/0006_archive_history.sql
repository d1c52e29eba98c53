-- The archive as a property manager keeps it. Each delivery gets
-- the resident's building and unit, staff's follow-up note and the
-- time retention purged its content; delivery_events holds its history.
--
-- The table keeps its own history: statement-level triggers (one
-- INSERT ... SELECT per statement, from the transition tables, however
-- many rows Record writes at once) append an event whenever a delivery
-- is inserted or its status changes, whoever writes it (Record,
-- UpdateStatus, a bulk COPY), and drop a deleted delivery's events.
-- Replies, opt-outs and notes append theirs explicitly.
--
-- Search indexes. Search filters on equality and orders by created_at
-- DESC, id DESC, continuing after a (created_at, id) cursor; an index
-- (x, created_at, id) answers "x = ? ORDER BY created_at DESC, id
-- DESC LIMIT n" by reading n entries backwards, on the first page and
-- the thousandth alike. Selective filters get one: resident (replaces
-- the plain resident_id index), building, building and unit (an
-- apartment's history; a unit number alone means nothing across
-- buildings, so it has no index of its own), campaign (replaces the
-- plain campaign index), status (failed and undelivered are rare and
-- the ones staff look for). Kind and channel have a handful of
-- values, each a large share of the rows: walking deliveries_created_at
-- and skipping the others finds a page quickly, so they get none
-- (every index slows every Record). job_id keeps its own index
-- (Accepted, Outcomes, notes by job). deliveries_unpurged lists only
-- the rows retention has still to purge, so each purge batch starts
-- where the last one ended instead of skipping purged rows.

ALTER TABLE deliveries
	ADD COLUMN building text NOT NULL DEFAULT '',
	ADD COLUMN unit text NOT NULL DEFAULT '',
	ADD COLUMN note text NOT NULL DEFAULT '',
	ADD COLUMN content_purged_at timestamptz;
CREATE TABLE delivery_events (
	seq         bigint GENERATED ALWAYS AS IDENTITY,
	delivery_id text COLLATE "C" NOT NULL,
	job_id      text NOT NULL,
	event       text NOT NULL,
	at          timestamptz NOT NULL,
	detail      text NOT NULL DEFAULT ''
);
-- The one index history needs: a delivery's events in order. seq
-- is unique by construction and never looked up alone, so it has
-- no index of its own (each would cost every Record).
CREATE INDEX delivery_events_delivery ON delivery_events (delivery_id, seq);
-- What was archived before keeps one event: where it stands.
INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
	SELECT id, job_id, status, updated_at, concat_ws('; ',
		CASE WHEN error <> '' THEN 'error: ' || error END,
		CASE WHEN provider_id <> '' THEN 'provider id: ' || provider_id END,
		CASE WHEN policy <> '' THEN 'policy: ' || policy END)
	FROM deliveries ORDER BY created_at, id;
CREATE FUNCTION deliveries_log_inserts() RETURNS trigger LANGUAGE plpgsql
	SET search_path FROM CURRENT AS $$
BEGIN
	INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
		SELECT n.id, n.job_id, n.status, n.updated_at, concat_ws('; ',
			CASE WHEN n.error <> '' THEN 'error: ' || n.error END,
			CASE WHEN n.provider_id <> '' THEN 'provider id: ' || n.provider_id END,
			CASE WHEN n.policy <> '' THEN 'policy: ' || n.policy END)
		FROM new_rows n;
	RETURN NULL;
END $$;
CREATE TRIGGER deliveries_log_inserts AFTER INSERT ON deliveries
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION deliveries_log_inserts();
CREATE FUNCTION deliveries_log_status() RETURNS trigger LANGUAGE plpgsql
	SET search_path FROM CURRENT AS $$
BEGIN
	INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
		SELECT n.id, n.job_id, n.status, n.updated_at, concat_ws('; ',
			CASE WHEN n.error <> '' THEN 'error: ' || n.error END,
			CASE WHEN n.provider_id <> '' THEN 'provider id: ' || n.provider_id END,
			CASE WHEN n.policy <> '' THEN 'policy: ' || n.policy END)
		FROM new_rows n JOIN old_rows o ON o.id = n.id
		WHERE n.status <> o.status;
	RETURN NULL;
END $$;
CREATE TRIGGER deliveries_log_status AFTER UPDATE ON deliveries
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION deliveries_log_status();
CREATE FUNCTION deliveries_drop_events() RETURNS trigger LANGUAGE plpgsql
	SET search_path FROM CURRENT AS $$
BEGIN
	DELETE FROM delivery_events WHERE delivery_id IN (SELECT id FROM old_rows);
	RETURN NULL;
END $$;
CREATE TRIGGER deliveries_drop_events AFTER DELETE ON deliveries
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION deliveries_drop_events();
DROP INDEX deliveries_resident_id;
DROP INDEX deliveries_campaign;
CREATE INDEX deliveries_resident_created ON deliveries (resident_id, created_at, id);
CREATE INDEX deliveries_building_created ON deliveries (building, created_at, id);
CREATE INDEX deliveries_unit_created ON deliveries (building, unit, created_at, id);
CREATE INDEX deliveries_campaign_created ON deliveries (campaign, created_at, id);
CREATE INDEX deliveries_status_created ON deliveries (status, created_at, id);
CREATE INDEX deliveries_unpurged ON deliveries (created_at) WHERE content_purged_at IS NULL;
