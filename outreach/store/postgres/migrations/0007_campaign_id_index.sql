-- Walking a campaign's deliveries in id order (Walk, export by
-- campaign, outreach bench's check) reads the index in order instead of
-- sorting the whole campaign for every page (6 dropped the index on
-- campaign alone; deliveries_campaign_created serves Search, which
-- orders by time).

CREATE INDEX deliveries_campaign_id ON deliveries (campaign, id);
