-- The console's overview counts a period's deliveries by channel and
-- status (CountDeliveries): the two time indexes include channel and
-- status, so the count is an index-only scan, not a million rows read.
-- Searches use them as before (the keys are unchanged).

DROP INDEX deliveries_created_at;
CREATE INDEX deliveries_created_at ON deliveries (created_at, id) INCLUDE (channel, status);
DROP INDEX deliveries_estate_created;
CREATE INDEX deliveries_estate_created ON deliveries (estate, created_at, id) INCLUDE (channel, status);
