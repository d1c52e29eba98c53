-- The console's overview counts a period's deliveries by channel and
-- status (CountDeliveries): the two time indexes carry channel and status
-- after their keys, so the count reads the index alone, not a million
-- rows. Searches use them as before (the keys lead).

DROP INDEX deliveries_created_at;
CREATE INDEX deliveries_created_at ON deliveries (created_at, id, channel, status);
DROP INDEX deliveries_estate_created;
CREATE INDEX deliveries_estate_created ON deliveries (estate, created_at, id, channel, status);
