-- What a new delivery costs the archive: every index of deliveries takes
-- an entry per row (about 2.5 µs of the backend's CPU each, on top of
-- the row), so the indexes are the ones the searches need, and no more.
--
-- Building, and building and unit: one index (building, created_at, id,
-- unit) serves both. A building's page reads it newest first as before;
-- an apartment's page reads the building's entries newest first and
-- skips the other units' inside the index (unit is a key column, so the
-- check needs no heap fetch): about units-per-building entries read per
-- row returned, instead of a second index entry for every delivery.
--
-- Status: the partial index lists only the statuses staff look for, the
-- rare ones (failed, undelivered, suppressed, retrying, deferred, and any
-- added later), not queued, sent and delivered, which most deliveries
-- are: a search for one of those walks deliveries_created_at, whose
-- entries carry the status, and finds a page at once. Search adds the
-- index's condition, spelled as here, to a filter on a rare status, so
-- that the planner knows the index holds every match.
--
-- History of new deliveries: Record appends their events in its own
-- statement (a data-modifying WITH), so the insert trigger goes; the
-- statement-level trigger copied every new row, body included, into a
-- transition table first. Status changes (UpdateStatus, a Record that
-- changes one) keep their trigger, deliveries_log_status, as do deletes.

DROP INDEX deliveries_building_created;
DROP INDEX deliveries_unit_created;
CREATE INDEX deliveries_building_created ON deliveries (building, created_at, id, unit);
DROP INDEX deliveries_status_created;
CREATE INDEX deliveries_status_created ON deliveries (status, created_at, id)
	WHERE status NOT IN ('queued', 'sent', 'delivered');
DROP TRIGGER deliveries_log_inserts ON deliveries;
DROP FUNCTION deliveries_log_inserts();
