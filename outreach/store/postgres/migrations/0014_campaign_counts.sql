-- A campaign's progress counts its deliveries by status
-- (CampaignStatusCounts: the console's campaign list, the scheduler):
-- the campaign's id-ordered index carries the status after its keys, so
-- the count reads the index alone, not every row of the campaign (46 ms
-- a campaign of 20000 deliveries on SQLite before). Walking a campaign
-- in id order uses it as before.

DROP INDEX deliveries_campaign_id;
CREATE INDEX deliveries_campaign_id ON deliveries (campaign, id, status);
