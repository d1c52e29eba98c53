-- One campaign index instead of two. Walk (export, a campaign's check
-- in `outreach bench` and the chaos run) now reads oldest first,
-- (created_at, id) like every filter's index, instead of by id, so the
-- index that serves a campaign's search serves its walk too, and
-- deliveries_campaign_id (campaign, id, status) goes: one index entry
-- fewer for every delivery Record writes (about 2.5 µs of the backend's
-- CPU each). The campaign's index carries the status after its keys, so
-- counting a campaign's deliveries by status (CampaignStatusCounts)
-- still reads the index alone.

DROP INDEX deliveries_campaign_id;
DROP INDEX deliveries_campaign_created;
CREATE INDEX deliveries_campaign_created ON deliveries (campaign, created_at, id) INCLUDE (status);
