-- One campaign index instead of two, as on PostgreSQL: Walk reads oldest
-- first, (created_at, id), so the campaign's search index serves its walk
-- and deliveries_campaign_id (campaign, id, status) goes. The status
-- follows the keys (SQLite has no INCLUDE), so counting a campaign's
-- deliveries by status still reads the index alone.

DROP INDEX deliveries_campaign_id;
DROP INDEX deliveries_campaign_created;
CREATE INDEX deliveries_campaign_created ON deliveries (campaign, created_at, id, status);
